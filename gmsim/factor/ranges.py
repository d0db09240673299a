"""The one table of valid parameter values of a factor model, and how checks read it.

Model checks (:func:`gmsim.factor.model.check_model`), scenario checks, the
compiled system's :meth:`~gmsim.factor.system.FactorSystem.parameter_ranges`
and uncertainty specs all read :data:`RANGES`.

Examples
--------
>>> RANGES["weight"], interval("initial")
((-1.0, 1.0), '[0, 1]')
"""

from __future__ import annotations

import math

__all__ = ["RANGES", "interval", "within"]

RANGES: dict[str, tuple[float, float]] = {
    "weight": (-1.0, 1.0),
    "tau": (0.0, math.inf),
    "initial": (0.0, 1.0),
    "reference": (0.0, 1.0),
    "tau_rise": (0.0, math.inf),
    "tau_fall": (0.0, math.inf),
    "rate": (0.0, math.inf),
    "steepness": (1.0, 20.0),
}
"""The values a factor model's parameters may take, by kind: a link's ``weight``, a factor's
adjustment time ``tau`` (its low end excluded: > 0) and its ``initial`` level (any level of
a factor lies in this range too), its ``reference`` level, asymmetric adjustment times
``tau_rise``/``tau_fall`` (> 0), a flow's ``rate`` (>= 0) and the ``steepness`` p of the
saturation curve (a batch parameter of its own)."""


def within(value, kind: str):
    """Whether ``value`` (a number or an array of them) is a valid ``kind`` of parameter.

    The low end of ``tau`` is excluded (an adjustment time is > 0). For arrays
    the answer is elementwise.

    Examples
    --------
    >>> within(0.5, "initial"), within(-1.5, "weight"), within(0.0, "tau")
    (True, False, False)
    """
    low, high = RANGES[kind]
    above = value > low if kind in ("tau", "tau_rise", "tau_fall") else value >= low
    return above & (value <= high)


def interval(kind: str) -> str:
    """The range of a ``kind`` of parameter as people write it: ``[-1, 1]``.

    Examples
    --------
    >>> interval("weight")
    '[-1, 1]'
    """
    low, high = RANGES[kind]
    return f"[{low:g}, {high:g}]"
