"""The engine: what a compiled model is, how it is run, and what a run returns.

``core`` imports nothing else of gmsim but :mod:`gmsim.errors`: a
:class:`System` (states, a vectorized right-hand side, observed variables),
its :class:`Params`, the :class:`Interventions` it is run under (forcings and
events), time paths, the method table (:data:`METHODS`, :class:`Method`), the
one entry point :func:`solve` with its :class:`RunSettings`, and the
:class:`Result` with its :class:`SolverStats`.
"""

from gmsim.core.methods import METHOD_TABLE, METHODS, Method, get_method
from gmsim.core.paths import Constant, Path, Pulse, Ramp, Step, Table, Within
from gmsim.core.result import Result, SolverStats
from gmsim.core.solver import RunSettings, solve, time_grid
from gmsim.core.system import Event, Forcing, Interventions, Params, System

__all__ = [
    "METHODS",
    "METHOD_TABLE",
    "Constant",
    "Event",
    "Forcing",
    "Interventions",
    "Method",
    "Params",
    "Path",
    "Pulse",
    "Ramp",
    "Result",
    "RunSettings",
    "SolverStats",
    "Step",
    "System",
    "Table",
    "Within",
    "get_method",
    "solve",
    "time_grid",
]
