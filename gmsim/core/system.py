"""The compiled form every engine and analysis works on.

A :class:`System` is what :func:`gmsim.simulate` integrates. It has named
states, a vectorized right-hand side ``rhs(t, y, params)`` where ``y`` has a
leading batch axis (one row per run), and ``observe`` which turns states into
the variables a :class:`~gmsim.core.result.Result` reports. Factor models
(:mod:`gmsim.factor.system`) and imported stock-and-flow models compile to this
same interface, so scenarios, loops and sensitivity work on both.

Interventions reach a system in two generic forms that the integrator handles
exactly (it splits the integration at their times):

- a :class:`Forcing` holds a variable to a time path over ``[start, end)``
  (a clamp, or a driver path of an exogenous factor);
- an :class:`Event` is a discrete jump of a state: multiply or set.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from gmsim.core.paths import Path, Within
from gmsim.errors import SimulationError, did_you_mean

__all__ = ["Event", "Forcing", "Interventions", "Params", "System", "Window", "events_at"]


@dataclass(frozen=True)
class Forcing:
    """Hold ``variable`` to ``path`` while ``start <= t < end``.

    At ``end`` the variable is released at the path's value there and follows
    its own dynamics again.
    """

    variable: str
    path: Path
    start: float = -math.inf
    end: float = math.inf

    def active(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Event:
    """A discrete jump of ``variable`` at ``time``: ``x <- x * multiply`` or ``x <- set``."""

    time: float
    variable: str
    multiply: float | None = None
    set: float | None = None

    def __post_init__(self) -> None:
        if (self.multiply is None) == (self.set is None):
            raise ValueError("an Event needs exactly one of `multiply` or `set`")


@dataclass(frozen=True)
class Window:
    """Give parameter ``parameter`` the value ``value`` while ``start <= t < end``.

    Outside the window the parameter keeps its value in the run; the window's
    edges are breakpoints, so the change is exact. The system decides what a
    parameter is (:meth:`System.parameter_names`); a factor system applies
    windows with :func:`gmsim.factor.windows.apply_windows`.
    """

    parameter: str
    value: Any
    start: float = -math.inf
    end: float = math.inf

    def active(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Interventions:
    """What a scenario asks of a system, in the engine's terms.

    Parameters
    ----------
    overrides : mapping of str to float
        Parameter values by name (see :meth:`System.parameter_names`), applied
        *after* equilibrium biases are solved, so that a changed weight moves
        the system away from its baseline rest.
    added_links : tuple
        Links the model does not have, of the model's own kind (for a factor
        model, :class:`gmsim.factor.model.Link`); the engine only passes them
        to the system that compiles them. They enter with weight 0 for the
        bias solve and their own weight afterwards.
    forcings, events : tuples
        Driver paths, clamps and discrete jumps.
    windows : tuple of Window
        Parameter values that hold only over a window of time (applied, like
        overrides, after the biases are solved).
    """

    overrides: Mapping[str, float] = field(default_factory=dict)
    added_links: tuple[Any, ...] = ()
    forcings: tuple[Forcing, ...] = ()
    events: tuple[Event, ...] = ()
    windows: tuple[Window, ...] = ()


@dataclass
class Params:
    """Numbers of one batch of runs, ready for ``rhs``; built by :meth:`System.parameters`.

    ``batch`` is the number of runs. Subclasses add their arrays (one row per run).
    """

    batch: int
    forcings: tuple[Forcing, ...] = ()
    events: tuple[Event, ...] = ()
    windows: tuple[Window, ...] = ()

    def subset(self, rows: slice) -> Params:
        """The same parameters for a slice of the runs (arrays with one row per run are cut).

        Forcing paths and event values that hold one value per run are cut too.
        """
        n = len(range(*rows.indices(self.batch)))
        changes = {"batch": n}
        for f in dataclasses.fields(self):
            if f.name == "batch":
                continue
            value = getattr(self, f.name)
            if f.name in ("forcings", "events", "windows"):
                changes[f.name] = tuple(_cut(item, rows, self.batch) for item in value)
            elif isinstance(value, np.ndarray) and value.ndim and value.shape[0] == self.batch:
                changes[f.name] = value[rows]
        return dataclasses.replace(self, **changes)


def events_at(params: Params, t: float) -> list[Event]:
    """The events of ``params`` at ``t``, in their order. The index by time is built once for each
    tuple of events, so a run with E events costs O(E), not O(E²), in :meth:`System.jump`."""
    cached = params.__dict__.get("_events_by_time")
    if cached is None or cached[0] is not params.events:
        index: dict[float, list[Event]] = {}
        for e in params.events:
            index.setdefault(e.time, []).append(e)
        cached = params.__dict__["_events_by_time"] = (params.events, index)
    return cached[1].get(t, [])


def _cut(obj, rows: slice, batch: int):
    """Cut per-run arrays inside a frozen dataclass (a Forcing, its path, an Event)."""
    if isinstance(obj, np.ndarray) and obj.ndim and obj.shape[0] == batch:
        return obj[rows]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            cut = _cut(value, rows, batch)
            if cut is not value:
                changes[f.name] = cut
        if changes:
            new = object.__new__(type(obj))
            for f in dataclasses.fields(obj):
                object.__setattr__(new, f.name, changes.get(f.name, getattr(obj, f.name)))
            return new
    return obj


class System(ABC):
    """A compiled model: states, a vectorized right-hand side and observed variables.

    Subclasses set ``name``, ``state_names``, ``variable_names``, ``groups``
    (variable -> group, for plots), ``labels``, ``graph`` (the causal graph,
    edges carrying ``sign`` and ``weight``), ``simulation`` (default start,
    stop, dt, method) and ``bounds`` (``(low, high)`` of states, or ``None``).
    """

    name: str
    state_names: tuple[str, ...]
    variable_names: tuple[str, ...]
    groups: Mapping[str, str]
    labels: Mapping[str, str]
    graph: nx.DiGraph
    bounds: tuple[float, float] | None = None
    time_unit: str = "time"  # what the model's time is counted in, for labels
    value_label: str = "value"  # what its variables' numbers are, for labels

    # -- what subclasses provide ----------------------------------------------------
    @abstractmethod
    def parameter_names(self) -> tuple[str, ...]:
        """Names accepted in ``batch`` and ``Interventions.overrides``."""

    @abstractmethod
    def parameters(self, batch: Mapping[str, Sequence[float] | np.ndarray] | None = None) -> Params:
        """Numbers for one run, or one per row of ``batch`` (name -> values)."""

    @abstractmethod
    def initial_state(self, params: Params) -> np.ndarray:
        """States at the start, shape ``(batch, n_states)``."""

    @abstractmethod
    def rhs(self, t: float, y: np.ndarray, params: Params) -> np.ndarray:
        """Time derivative of the states, shape ``(batch, n_states)``."""

    @abstractmethod
    def observe(self, t: float, y: np.ndarray, params: Params) -> np.ndarray:
        """The reported variables at ``t``, shape ``(batch, n_variables)``."""

    def time_constants(self, params: Params) -> np.ndarray:
        """Shortest time constants of the states (for step-size checks); none by default."""
        return np.array([])

    def parameter_ranges(self) -> dict[str, tuple[float, float]]:
        """The values each parameter may take, ``name -> (low, high)``; any number by default."""
        return {name: (-math.inf, math.inf) for name in self.parameter_names()}

    def parameter_values(self) -> dict[str, float]:
        """Each parameter's value in the model as written, by name; ``{}`` where a system cannot say."""
        return {}

    # -- generic services -------------------------------------------------------------
    def _positions(self) -> dict[str, int]:
        """State name -> column, built once per system."""
        positions = self.__dict__.get("_state_positions")
        if positions is None or len(positions) != len(self.state_names):
            positions = {n: i for i, n in enumerate(self.state_names)}
            self.__dict__["_state_positions"] = positions
        return positions

    def state_index(self, name: str) -> int:
        try:
            return self._positions()[name]
        except KeyError:
            raise SimulationError(
                f"'{name}' is not a state of model '{self.name}'{did_you_mean(name, self.state_names)}"
            ) from None

    def breakpoints(self, params: Params) -> list[float]:
        """Times where the integration must split: events, forcing windows, path kinks,
        the edges of parameter windows."""
        times: set[float] = {e.time for e in params.events}
        for w in params.windows:
            times.update(t for t in (w.start, w.end) if math.isfinite(t))
        for f in params.forcings:
            times.update(t for t in (f.start, f.end) if math.isfinite(t))
            times.update(t for t in f.path.breakpoints if f.start <= t < f.end)
        return sorted(times)

    def jump(self, t: float, y: np.ndarray, params: Params) -> np.ndarray:
        """Apply what happens exactly at ``t``: forcings that end release their state at
        the path's value just before ``t``, forcings that start set it, then events."""
        y = y.copy()
        positions = self._positions()
        for f in params.forcings:
            if f.variable in positions and f.end == t:
                y[:, positions[f.variable]] = Within(f.path, t).value(t)
        for f in params.forcings:
            if f.variable in positions and f.start == t:
                y[:, positions[f.variable]] = f.path.value(t)
        for e in events_at(params, t):
            i = self.state_index(e.variable)
            y[:, i] = y[:, i] * e.multiply if e.multiply is not None else e.set
        if self.bounds is not None:
            np.clip(y, *self.bounds, out=y)
        return y

    def during(self, params: Params, start: float, end: float) -> Params:
        """Parameters for the segment ``[start, end)`` between two breakpoints.

        Only the forcings active on the segment remain, made permanent, with
        their paths seen from inside the segment (:class:`~gmsim.core.paths.Within`).
        Within a segment nothing jumps, so any integrator may treat it as smooth.
        """
        active = tuple(
            Forcing(f.variable, Within(f.path, end)) for f in params.forcings if f.start <= start < f.end
        )
        return dataclasses.replace(params, forcings=active, events=())

    def held(self, t: float, params: Params) -> list[tuple[int, object]]:
        """(state index, value) of states held by a forcing at ``t``."""
        positions = self._positions()
        return [
            (positions[f.variable], f.path.value(t))
            for f in params.forcings
            if f.variable in positions and f.active(t)
        ]
