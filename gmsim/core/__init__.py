"""The engine: what a compiled model is, how it is integrated, and what a run returns.

``core`` imports nothing else of gmsim but :mod:`gmsim.errors`: a
:class:`System` (states, a vectorized right-hand side, observed variables),
its :class:`Params`, the :class:`Interventions` it is run under (forcings and
events), time paths, the method table, the integrator and the :class:`Result`.
"""

from gmsim.core.integrate import METHODS, integrate, time_grid
from gmsim.core.paths import Constant, Path, Pulse, Ramp, Step, Table, Within
from gmsim.core.result import Result
from gmsim.core.system import Event, Forcing, Interventions, Params, System

__all__ = [
    "METHODS",
    "Constant",
    "Event",
    "Forcing",
    "Interventions",
    "Params",
    "Path",
    "Pulse",
    "Ramp",
    "Result",
    "Step",
    "System",
    "Table",
    "Within",
    "integrate",
    "time_grid",
]
