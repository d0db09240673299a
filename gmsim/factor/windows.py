"""Parameter windows of a factor system: a weight or a tau that changes for a while.

A :class:`~gmsim.core.system.Window` gives a parameter (``weight:<cause>-><effect>``
or ``tau:<factor>``) another value while ``start <= t < end``. The engine
splits the run at the windows' edges (they are breakpoints of
:meth:`~gmsim.core.system.System.breakpoints`) and asks the system for each
segment's numbers (:meth:`~gmsim.core.system.System.during`); a factor system
gives them with :func:`apply_windows`, which sets the value of every window
active on the segment and rebuilds the numbers derived from weights and taus.
Biases are not solved again: a window moves the system away from its rest,
as an override does.

The factor system calls it from its ``during``::

    def during(self, params, start, end):
        return apply_windows(self, super().during(params, start, end), start)

and passes ``windows=self.interventions.windows`` to the :class:`FactorParams`
it builds.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from gmsim.errors import ModelError

if TYPE_CHECKING:
    from gmsim.factor.system import FactorParams, FactorSystem

__all__ = ["WINDOWED", "apply_windows"]

WINDOWED = ("weight", "tau", "tau_rise", "tau_fall", "rate")
"""Kinds of parameter a window may change (an initial level has no meaning after the start)."""


def apply_windows(system: FactorSystem, params: FactorParams, start: float) -> FactorParams:
    """The numbers of a segment beginning at ``start``: each window active there sets its parameter.

    ``params`` hold the values outside every window (those of the run);
    returned unchanged when no window is active at ``start``.
    """
    active = [w for w in params.windows if w.active(start)]
    if not active:
        return params
    v = {
        "weight": params.weights.copy(),
        "tau": params.tau.copy(),
        "tau_fall": (params.tau if params.tau_fall is None else params.tau_fall).copy(),
        "rate": params.flow_rates.copy(),
    }
    v["tau_rise"] = v["tau"]
    per_run = params.matrix is None
    for w in active:
        kind, col = system._column(w.parameter)
        if kind not in WINDOWED:
            raise ModelError(
                f"`{w.parameter}`: only {', '.join(WINDOWED)} parameters can change over a window"
            )
        v[kind][:, col] = w.value
        per_run |= kind == "weight" and np.ndim(w.value) > 0
    fresh = system._assemble(
        params.batch, v, params.bias, params.x0, params.steepness, shared=not per_run
    )
    return dataclasses.replace(
        fresh, forcings=params.forcings, events=params.events, windows=params.windows
    )
