"""``gmsim explore``: a local web page to try policies on a model and see every trajectory change.

Levers for every exogenous factor (its level, and a step, ramp or pulse with
its timing), any link's weight and a held factor; the library's scenarios as
starting points; trajectories against the baseline with the gaps that matter;
a factor's causes and uses trees with the paper's words; the loops that
dominate the run; pinned runs; and the current settings exported as a
scenario file that ``gmsim run --scenario`` accepts unchanged.

The page is a Dash app (``pip install "gmsim[explore]"``); :class:`Session` is
its engine and needs nothing but gmsim. :func:`explore` serves the page on
127.0.0.1, or shows it inside Jupyter.
"""

from gmsim.explore.session import Session
from gmsim.explore.settings import Hold, Lever, Settings

__all__ = ["Hold", "Lever", "Session", "Settings", "explore", "make_app"]


def make_app(session=None, **options):
    """The Dash app of ``session`` (see :func:`gmsim.explore.app.make_app`)."""
    from gmsim.explore.app import make_app as build

    return build(session, **options)


def explore(model=None, **options):
    """Serve the explore page of ``model`` (see :func:`gmsim.explore.app.explore`)."""
    from gmsim.explore.app import explore as serve

    return serve(model, **options)
