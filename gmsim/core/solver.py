"""The one way into the engine: :func:`solve` runs a :class:`System` under :class:`RunSettings`.

Fixed-step ``euler`` and ``rk4`` (as SD tools do) and adaptive ``rk45`` and
``lsoda`` (:func:`scipy.integrate.solve_ivp`), all read from the method table
(:mod:`gmsim.core.methods`). Discrete events, the edges of forcing windows and
the kinks of driver paths are *breakpoints*: the integration stops exactly
there, the system applies the jump (:meth:`System.jump`), and it starts again.
A fixed-step method takes a partial step to reach a breakpoint that falls
between grid points, so an event at month 4.3 happens at 4.3, not at the
nearest step. A value saved at a breakpoint is the one just after the jump.

Every message words times in the model's own unit (``system.time_unit``).
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.integrate
from threadpoolctl import threadpool_limits

from gmsim.core.methods import METHOD_TABLE, Method, get_method
from gmsim.core.result import Result, SolverStats
from gmsim.core.system import Params, System
from gmsim.core.units import amount, moment, span
from gmsim.errors import SimulationError
from gmsim.limits import check, check_grid

__all__ = ["SAVES", "RunSettings", "check_finite", "result_of", "solve", "time_grid"]

SAVES = ("variables", "states")
"""What a run can report: the system's variables (``observe``) or its raw states."""


# -- settings ----------------------------------------------------------------------------------------
def _number(key: str, value: Any) -> float:
    """``value`` as a finite float, or a :class:`SimulationError` naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise SimulationError(f"`{key}` must be a finite number, got {value!r}")
    if not np.isfinite(value):
        raise SimulationError(f"`{key}` must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """How to run a system: horizon, step, method, tolerances and how to share out a batch.

    Parameters
    ----------
    start, stop, dt : float
        Horizon and step, in the model's time unit. Values are saved every
        ``dt`` (and at ``stop``); fixed-step methods also step by ``dt``.
    method : str
        One of :data:`~gmsim.core.methods.METHODS`: ``"euler"``, ``"rk4"``,
        ``"rk45"``, ``"lsoda"``.
    rtol, atol : float
        Tolerances of the adaptive methods.
    workers : int or None
        Threads that share a large batch; ``None``: one per core.
    block : int
        A batch larger than this is integrated in blocks of this many runs, so
        that each step's arrays stay in the CPU cache; blocks are shared among
        ``workers`` threads (numpy releases the GIL in the heavy operations).
        With the compiled kernel a run's numbers are the same whatever the
        split; the numpy path agrees to rounding (BLAS sums rows of different
        counts in other orders).
    check_finite : bool
        Raise a :class:`~gmsim.errors.SimulationError` naming the variable and
        time where a value first stops being finite.

    Examples
    --------
    >>> settings = RunSettings(start=0, stop=36, dt=0.125)
    >>> settings.method, settings.stop
    ('rk4', 36.0)
    >>> RunSettings(start=0, stop=12, dt=0)
    Traceback (most recent call last):
    ...
    gmsim.errors.SimulationError: `dt` must be > 0, got 0.0
    >>> RunSettings(start=0, stop=12, dt=0.5, method="rk5")
    Traceback (most recent call last):
    ...
    gmsim.errors.SimulationError: unknown `method` 'rk5' (did you mean 'rk45'?); use one of euler, rk4, rk45, lsoda
    """

    start: float
    stop: float
    dt: float
    method: str = "rk4"
    rtol: float = 1e-6
    atol: float = 1e-9
    workers: int | None = None
    block: int = 512
    check_finite: bool = True

    def __post_init__(self) -> None:
        for key in ("start", "stop", "dt", "rtol", "atol"):
            object.__setattr__(self, key, _number(key, getattr(self, key)))
        if not self.stop > self.start:
            raise SimulationError(
                f"`stop` ({self.stop:g}) must be after `start` ({self.start:g}); give a later `stop`"
            )
        if not self.dt > 0:
            raise SimulationError(f"`dt` must be > 0, got {self.dt}")
        check_grid(self.start, self.stop, self.dt)  # too many steps, or times lost in rounding
        get_method(self.method)
        if not self.rtol > 0:
            raise SimulationError(f"`rtol` must be > 0, got {self.rtol}")
        if self.atol < 0:
            raise SimulationError(f"`atol` must be >= 0, got {self.atol}")
        for key, value in (("workers", self.workers), ("block", self.block)):
            if value is None and key == "workers":
                continue
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise SimulationError(f"`{key}` must be a whole number >= 1, got {value!r}")
        if not isinstance(self.check_finite, bool | np.bool_):
            raise SimulationError(f"`check_finite` must be True or False, got {self.check_finite!r}")

    @classmethod
    def for_system(
        cls,
        system: System,
        *,
        start: float | None = None,
        stop: float | None = None,
        dt: float | None = None,
        method: str | None = None,
        **options: Any,
    ) -> RunSettings:
        """The system's own run settings (``system.simulation``), with those given replaced.

        A horizon that ends before it starts is reported in the model's time unit.

        Examples
        --------
        >>> import gmsim
        >>> system = gmsim.load_model().compile()
        >>> RunSettings.for_system(system, stop=12).stop
        12.0
        >>> RunSettings.for_system(system, stop=0)
        Traceback (most recent call last):
        ...
        gmsim.errors.SimulationError: `stop` (month 0) must be after `start` (month 0); give a later `stop`
        """
        sim = getattr(system, "simulation", None)
        given = {"start": start, "stop": stop, "dt": dt, "method": method or None}
        for key, value in given.items():
            if value is None:
                if sim is None:
                    raise SimulationError(
                        f"model '{system.name}' has no run settings of its own; give `{key}`"
                    )
                given[key] = getattr(sim, key)
        first, last = _number("start", given["start"]), _number("stop", given["stop"])
        if not last > first:
            unit = system.time_unit
            raise SimulationError(
                f"`stop` ({moment(unit, last)}) must be after `start` ({moment(unit, first)}); "
                "give a later `stop`"
            )
        return cls(**given, **options)


def time_grid(start: float, stop: float, dt: float) -> np.ndarray:
    """Save times ``start, start + dt, ...`` ending exactly at ``stop``.

    Examples
    --------
    >>> time_grid(0, 1, 0.25).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> [round(t, 12) for t in time_grid(0, 1, 0.3).tolist()]
    [0.0, 0.3, 0.6, 0.9, 1.0]
    """
    n = int(np.floor((stop - start) / dt + 1e-9))
    grid = start + dt * np.arange(n + 1)
    if stop - grid[-1] > 1e-9 * dt:
        grid = np.append(grid, stop)
    grid[-1] = stop if abs(grid[-1] - stop) <= 1e-9 * dt else grid[-1]
    return grid


# -- the entry point ---------------------------------------------------------------------------------
def solve(
    system: System,
    params: Params,
    settings: RunSettings,
    *,
    save: str = "variables",
    scenario: str = "baseline",
    batch: pd.DataFrame | None = None,
    batched: bool | None = None,
) -> Result:
    """Integrate ``system`` with ``params`` under ``settings`` and return the :class:`Result`.

    Parameters
    ----------
    system, params : System, Params
        What to run, and the numbers of each run (``params.batch`` rows).
    settings : RunSettings
        Horizon, step, method, tolerances, threads.
    save : {"variables", "states"}
        Report the system's variables (``system.variable_names``, through
        ``observe``) or its raw states (``system.state_names``; a state held
        by a forcing at its held value), which is what loop dominance needs.
    scenario : str
        The scenario's name, for the result's provenance.
    batch : DataFrame or None
        The parameters of each run of a batch (kept in :attr:`Result.batch`).
    batched : bool or None
        Whether the result is a batch; ``None``: when ``batch`` is given or
        there is more than one run.

    Returns
    -------
    Result
        With the model's name, time unit and value label, and the solver's
        :class:`~gmsim.core.result.SolverStats` in ``stats``.

    Examples
    --------
    >>> import gmsim
    >>> system = gmsim.load_model().compile()
    >>> result = solve(system, system.parameters(), RunSettings(start=0, stop=36, dt=0.125))
    >>> result.values.shape[1], result.time_unit, result.stats.rhs_evaluations
    (289, 'month', 1152)
    >>> states = solve(system, system.parameters(), RunSettings(start=0, stop=1, dt=0.5),
    ...                save="states")
    >>> states.variables == system.state_names
    True
    """
    if save not in SAVES:
        raise SimulationError(f"`save` must be 'variables' or 'states', got {save!r}")
    if not isinstance(settings, RunSettings):
        raise SimulationError(
            f"`settings` must be a RunSettings, got {type(settings).__name__}; "
            "build one with RunSettings(start=..., stop=..., dt=...)"
        )
    method = get_method(settings.method)
    unit = system.time_unit
    names = tuple(system.variable_names if save == "variables" else system.state_names)
    observe = system.observe if save == "variables" else _StatesOf(system)
    with np.errstate(over="ignore", invalid="ignore"):  # a run that blows up is reported below
        _check_step(system, params, settings.dt, method, unit)
        jumps = len(_inside(system.breakpoints(params), settings.start, settings.stop))
        check("events", jumps, "the number of breakpoints in the run (events, decisions, table points)")
        grid = time_grid(settings.start, settings.stop, settings.dt)
        shape = (params.batch, len(grid), len(names))
        what = "the number of values to save ({} runs x {} times x {} variables)".format(*shape)
        check("saved_values", float(np.prod(shape, dtype=float)), what)
        out = np.empty(shape)
        stats = _integrate(system, params, grid, method, settings, observe, out)
    if settings.check_finite:
        check_finite(grid, out, names, unit)
    return result_of(
        system,
        grid,
        out,
        method=settings.method,
        scenario=scenario,
        save=save,
        batch=batch,
        batched=(batch is not None or params.batch != 1) if batched is None else batched,
        stats=stats,
    )


def result_of(
    system: System,
    time: np.ndarray,
    values: np.ndarray,
    *,
    method: str,
    scenario: str = "baseline",
    save: str = "variables",
    batch: pd.DataFrame | None = None,
    batched: bool = False,
    stats: SolverStats | None = None,
) -> Result:
    """The :class:`Result` of ``values`` (runs, time, variable) computed on ``system``.

    The one place a run's result is labelled: the model's name, variables (or
    states, for ``save="states"``), groups, labels, time unit and value label.
    """
    names = system.variable_names if save == "variables" else system.state_names
    return Result(
        time=time,
        values=values,
        variables=tuple(names),
        batched=batched,
        model=system.name,
        scenario=scenario,
        method=method,
        groups=dict(system.groups),
        labels=dict(system.labels),
        batch=batch,
        time_unit=system.time_unit,
        value_label=system.value_label,
        stats=stats,
    )


def check_finite(time: np.ndarray, values: np.ndarray, names: Sequence[str], unit: str = "time") -> None:
    """Raise a :class:`SimulationError` at the first value (in time) that is not finite.

    Examples
    --------
    >>> values = np.array([[[0.5], [np.nan]]])
    >>> check_finite(np.array([0.0, 3.0]), values, ["x"], "Minutes")
    Traceback (most recent call last):
    ...
    gmsim.errors.SimulationError: 'x' became nan at minute 3; check its links' weights and tau, or use a smaller dt
    """
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    where_bad = np.argwhere(bad)
    run, k, v = where_bad[np.argmin(where_bad[:, 1])]
    where = f" in run {run}" if values.shape[0] > 1 else ""
    raise SimulationError(
        f"'{names[v]}' became {values[run, k, v]} at {moment(unit, time[k])}{where}; "
        "check its links' weights and tau, or use a smaller dt"
    )


# -- the machinery ------------------------------------------------------------------------------------
class _StatesOf:
    """``observe`` for ``save="states"``: the states, a held state at its held value."""

    def __init__(self, system: System):
        self.system = system

    def __call__(self, t: float, y: np.ndarray, params: Params) -> np.ndarray:
        y = y.copy()
        for i, value in self.system.held(t, params):
            y[:, i] = value
        return y


class _Tally:
    """Work of one block: steps taken, right-hand-side evaluations, and (where known) rejected steps.

    A fixed step costs its method's ``stages`` evaluations; an adaptive solve
    adds the evaluations scipy counted (``nfev``). Counting this way, rather
    than wrapping the right-hand side, costs nothing per evaluation.
    """

    __slots__ = ("evaluations", "rejected", "steps")

    def __init__(self, rejected: int | None = 0):
        self.steps = 0
        self.evaluations = 0
        self.rejected = rejected


class _Tallied:
    """Mixed into a scipy solver: counts accepted steps and, for Runge-Kutta pairs, rejected ones.

    A Runge-Kutta try costs exactly ``n_stages`` evaluations, accepted or not,
    so the tries of a step follow from the evaluations it made.
    """

    def __init__(self, fun, t0, y0, t_bound, *, tally: _Tally, **options):
        super().__init__(fun, t0, y0, t_bound, **options)
        self.tally = tally

    def _step_impl(self):
        before = self.nfev
        ok, message = super()._step_impl()
        self.tally.steps += bool(ok)
        if self.tally.rejected is not None:
            self.tally.rejected += (self.nfev - before) // self.n_stages - bool(ok)
        return ok, message


_SOLVERS: dict[str, type] = {
    m.scipy: type(f"Tallied{m.scipy}", (_Tallied, getattr(scipy.integrate, m.scipy)), {})
    for m in METHOD_TABLE.values()
    if m.scipy is not None
}


def _integrate(system, params, grid, method, settings, observe, out) -> SolverStats:
    """Integrate every run into ``out`` (runs, time, saved), in blocks shared among threads."""
    if params.batch <= settings.block:
        return _total([_integrate_block(system, params, grid, method, settings, observe, out)])
    bounds = [*range(0, params.batch, settings.block), params.batch]
    errors = np.geterr()  # numpy's error handling is per thread: the workers take the caller's

    def one(rows: tuple[int, int]) -> SolverStats:
        with np.errstate(**errors):
            part = params.subset(slice(*rows))
            return _integrate_block(
                system, part, grid, method, settings, observe, out[rows[0] : rows[1]]
            )

    # one BLAS thread per worker: BLAS's own threads would fight ours for the cores
    with (
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(settings.workers or os.cpu_count()) as pool,
    ):
        return _total(list(pool.map(one, itertools.pairwise(bounds))))


def _total(parts: list[SolverStats]) -> SolverStats:
    rejected = [p.rejected for p in parts]
    return SolverStats(
        steps=sum(p.steps for p in parts),
        rhs_evaluations=sum(p.rhs_evaluations for p in parts),
        segments=parts[0].segments,
        rejected=None if None in rejected else sum(rejected),
        blocks=len(parts),
    )


def _inside(times: Sequence[float], start: float, stop: float) -> Sequence[float]:
    """The sorted ``times`` strictly between ``start`` and ``stop`` (a model may list hundreds)."""
    return times[bisect.bisect_right(times, start) : bisect.bisect_left(times, stop)]


def _integrate_block(system, params, grid, method: Method, settings, observe, out) -> SolverStats:
    """Integrate one block of runs, segment by segment, into ``out`` (runs, time, saved).

    Saves of numpy steps go into a time-major buffer first, so that each saved step
    is one contiguous write, and are transposed into ``out`` once at the end; a
    system's compiled loop writes into ``out`` itself.
    """
    start, stop = grid[0], grid[-1]
    all_breaks = system.breakpoints(params)
    breaks = _inside(all_breaks, start, stop)
    rhs = system.rhs
    # a system may step a whole fixed-step run, or segment, itself: (y, steps), or None if it cannot
    whole = getattr(system, "integrate_fixed_run", None) if method.fixed else None
    fast_path = getattr(system, "integrate_fixed", None) if method.fixed else None
    # a compiled loop writes each run's saves straight into ``out``; numpy steps save time-major
    saved = out.transpose(1, 0, 2) if fast_path else np.empty((len(grid), params.batch, out.shape[2]))
    save = "states" if isinstance(observe, _StatesOf) else "variables"
    tally = _Tally(0 if method.fixed or hasattr(_SOLVERS[method.scipy], "n_stages") else None)
    y = system.initial_state(params)
    if start in all_breaks:
        y = system.jump(start, y, params)
    edges = [start, *breaks, stop]
    done = whole(method.name, grid, breaks, y, params, saved, save) if whole and fast_path else None
    if done is not None:  # the jumps at ``breaks`` happened inside the system's loop
        tally.steps = done[1]
        edges = []
    k = 0  # next grid point to save
    for a, b in itertools.pairwise(edges):
        if a != start:
            y = system.jump(a, y, params)
        segment = system.during(params, a, b)
        last = b == stop
        first = max(int(np.searchsorted(grid, a, "left")), k)  # grid points in [a, b), [a, b] last
        saves = np.arange(first, int(np.searchsorted(grid, b, "right" if last else "left")))
        fast = fast_path(method.name, a, b, grid, saves, y, segment, saved, save) if fast_path else None
        if fast is not None:  # the system's compiled fixed-step loop (same steps, same saves)
            y, steps = fast
            tally.steps += steps
        elif method.fixed:
            y = _fixed(
                rhs, observe, segment, method.stepper, a, b, grid, saves, y, saved, tally, system.bounds
            )
        else:
            y = _adaptive(
                rhs, observe, segment, method, a, b, grid, saves, y, saved, settings, tally,
                system.time_unit,
            )  # fmt: skip
        k = saves[-1] + 1 if saves.size else k
    if not fast_path:
        out[...] = saved.transpose(1, 0, 2)
    if method.fixed:
        tally.evaluations = method.stages * tally.steps
    return SolverStats(tally.steps, tally.evaluations, len(breaks) + 1, tally.rejected)


def _check_step(system: System, params: Params, dt: float, method: Method, unit: str) -> None:
    """Refuse fixed steps too long for the fastest time constant (the run would blow up)."""
    if method.stability is None:
        return
    taus = system.time_constants(params)
    if taus.size == 0:
        return
    i = int(np.argmin(taus))
    limit = method.stability * taus[i]
    if dt > limit:
        raise SimulationError(
            f"`dt` = {dt:g} is too long for '{system.state_names[i]}', whose time "
            f"constant is {amount(unit, taus[i])}; {method.name} needs dt <= {amount(unit, limit)}. "
            "Use a smaller dt or method='rk45'"
        )


def _fixed(
    rhs, observe, params, step: Callable, a, b, grid, saves, y, out, tally, bounds=None
) -> np.ndarray:
    """Step from ``a`` to ``b`` through the grid points ``saves``, saving each one (time-major).

    A bounded system's states are kept within its ``bounds`` after every step: a stock whose
    outflow stops at 0 can otherwise be carried past it by a Runge-Kutta step's earlier stages.
    """
    t = a
    for k in saves:
        if grid[k] > t:
            y = step(rhs, t, y, grid[k] - t, params)
            if bounds is not None:
                np.clip(y, *bounds, out=y)
            tally.steps += 1
            t = grid[k]
        out[k] = observe(t, y, params)
    if b > t:
        y = step(rhs, t, y, b - t, params)
        if bounds is not None:
            np.clip(y, *bounds, out=y)
        tally.steps += 1
    return y


def _adaptive(
    rhs, observe, params, method: Method, a, b, grid, saves, y, out, settings, tally, unit
) -> np.ndarray:
    """Integrate ``[a, b]`` with scipy, saving at the grid points ``saves``."""
    shape = y.shape

    def f(t, flat):
        return rhs(t, flat.reshape(shape), params).ravel()

    t_eval = np.unique(np.concatenate([[a], grid[saves], [b]]))
    sol = scipy.integrate.solve_ivp(
        f,
        (a, b),
        y.ravel(),
        method=_SOLVERS[method.scipy],
        t_eval=t_eval,
        rtol=settings.rtol,
        atol=settings.atol,
        tally=tally,
    )
    if not sol.success:
        raise SimulationError(f"{method.name} failed between {span(unit, a, b)}: {sol.message}")
    tally.evaluations += sol.nfev
    states = sol.y.T.reshape(len(sol.t), *shape)
    for k in saves:
        out[k] = observe(grid[k], states[np.searchsorted(sol.t, grid[k])], params)
    return states[-1]
