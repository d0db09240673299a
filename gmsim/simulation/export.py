"""Export a model, a scenario built in, as a file for other system-dynamics tools.

The format itself is :mod:`gmsim.xmile.writer`'s; this module loads the model,
compiles the scenario into it (:func:`~gmsim.simulation.simulate.as_system`)
and writes the file whole or not at all.
"""

from __future__ import annotations

import os

from gmsim.files.output import write_file
from gmsim.simulation.simulate import ModelLike, as_system
from gmsim.xmile.writer import xmile_document

__all__ = ["export_xmile"]


def export_xmile(
    model: ModelLike = None,
    path: str | os.PathLike | None = None,
    *,
    scenario=None,
    equilibrium: bool | None = None,
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
) -> str:
    """Write a factor model, optionally with a scenario built in, as standard XMILE 1.0.

    Parameters
    ----------
    model : Model, FactorSystem, path or None
        What to export; ``None`` is the default model of the paper.
    path : str or path-like, optional
        The file to write, through a temporary file beside it so that it is
        never half-written. The text is returned either way.
    scenario : str, path, Scenario, Interventions or None
        A "what if" to build into the file (see :mod:`gmsim.xmile.writer` for what
        XMILE can hold).
    equilibrium : bool or None
        Override the model's equilibrium initialisation of biases.
    start, stop, dt, method
        The file's ``sim_specs``; the model's ``[simulation]`` settings by default.

    Returns
    -------
    str
        The XMILE document.

    Raises
    ------
    ModelError
        A factor id that XMILE reserves or cannot tell from another, or a model
        that is not a factor model.
    ScenarioError
        A scenario XMILE cannot state (holds of composites, per-run values, paths
        of unknown form), or holds or jumps of stocks with a method other than Euler.
    SimulationError
        Settings that make no run (``stop`` not after ``start``, ``dt`` <= 0).
    OutputError
        ``path`` cannot be written, or is the model file itself.

    Examples
    --------
    >>> import gmsim, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "microblogs.xmile"
    >>> text = gmsim.export_xmile(gmsim.load_model(), target, method="euler")
    >>> target.read_text(encoding="utf-8") == text, '<sim_specs method="euler"' in text
    (True, True)
    """
    system, scenario_name = as_system(
        model, scenario=scenario, equilibrium=equilibrium, start=start, stop=stop
    )
    text = xmile_document(system, scenario_name, start=start, stop=stop, dt=dt, method=method)
    if path is not None:
        sources = [model] if isinstance(model, str | os.PathLike) else []
        write_file(path, text, example="model.xmile", inputs=sources)  # never over the model read
    return text
