"""Integrate a :class:`~gmsim.core.system.System` over time: one entry point, a method table.

Fixed-step ``euler`` and ``rk4`` (as SD tools do) and adaptive ``rk45`` and
``lsoda`` (:func:`scipy.integrate.solve_ivp`). Discrete events, the edges of
forcing windows and the kinks of driver paths are *breakpoints*: the
integration stops exactly there, the system applies the jump
(:meth:`System.jump`), and it starts again. A fixed-step method takes a partial
step to reach a breakpoint that falls between grid points, so an event at
month 4.3 happens at 4.3, not at the nearest step. A value saved at a
breakpoint is the one just after the jump.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.integrate import solve_ivp
from threadpoolctl import threadpool_limits

from gmsim.core.system import Params, System
from gmsim.errors import SimulationError
from gmsim.factor.model import METHODS

__all__ = ["METHODS", "integrate", "time_grid"]

Stepper = Callable[[System, float, np.ndarray, float, Params], np.ndarray]


def _euler(system: System, t: float, y: np.ndarray, h: float, p: Params) -> np.ndarray:
    return y + h * system.rhs(t, y, p)


def _rk4(system: System, t: float, y: np.ndarray, h: float, p: Params) -> np.ndarray:
    """Classical Runge-Kutta, with the stage sums formed in place (fewer passes over big batches)."""
    f = system.rhs
    k = f(t, y, p)
    acc = k.copy()
    stage = y + (h / 2) * k
    k = f(t + h / 2, stage, p)
    acc += 2 * k
    np.multiply(k, h / 2, out=stage)
    stage += y
    k = f(t + h / 2, stage, p)
    acc += 2 * k
    np.multiply(k, h, out=stage)
    stage += y
    acc += f(t + h, stage, p)
    acc *= h / 6
    acc += y
    return acc


FIXED_STEP: dict[str, Stepper] = {"euler": _euler, "rk4": _rk4}
ADAPTIVE: dict[str, str] = {"rk45": "RK45", "lsoda": "LSODA"}


def time_grid(start: float, stop: float, dt: float) -> np.ndarray:
    """Save times ``start, start + dt, ...`` ending exactly at ``stop``.

    Examples
    --------
    >>> time_grid(0, 1, 0.25).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> time_grid(0, 1, 0.3).tolist()
    [0.0, 0.3, 0.6, 0.9, 1.0]
    """
    n = int(np.floor((stop - start) / dt + 1e-9))
    grid = start + dt * np.arange(n + 1)
    if stop - grid[-1] > 1e-9 * dt:
        grid = np.append(grid, stop)
    grid[-1] = stop if abs(grid[-1] - stop) <= 1e-9 * dt else grid[-1]
    return grid


def integrate(
    system: System,
    params: Params,
    *,
    start: float,
    stop: float,
    dt: float,
    method: str = "rk4",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    workers: int | None = None,
    block: int = 512,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate and return ``(times, values)``, values shaped ``(batch, time, variable)``.

    Parameters
    ----------
    system, params : System, Params
        What to run, and the numbers of each run (``params.batch`` rows).
    start, stop, dt : float
        Horizon and step (months). Values are saved every ``dt``; fixed-step
        methods also step by ``dt``.
    method : str
        One of ``"euler"``, ``"rk4"``, ``"rk45"``, ``"lsoda"``.
    rtol, atol : float
        Tolerances of the adaptive methods.
    workers : int or None
        Threads that share a large batch; ``None``: one per core.
    block : int
        A batch larger than this is integrated in blocks of this many runs, so
        that each step's arrays stay in the CPU cache; blocks are shared among
        ``workers`` threads (numpy releases the GIL in the heavy operations).
        Every run's numbers are the same whatever the split.
    """
    if method not in METHODS:
        raise SimulationError(f"unknown `method` '{method}'; use one of {', '.join(METHODS)}")
    if not stop > start:
        raise SimulationError(f"`stop` (month {stop:g}) must be after `start` (month {start:g})")
    if not dt > 0:
        raise SimulationError(f"`dt` must be > 0, got {dt}")
    _check_step(system, params, dt, method)
    grid = time_grid(start, stop, dt)
    out = np.empty((params.batch, len(grid), len(system.variable_names)))
    if params.batch <= block:
        _integrate_block(system, params, grid, method, rtol, atol, out)
        return grid, out
    bounds = [*range(0, params.batch, block), params.batch]
    errors = np.geterr()  # numpy's error handling is per thread: the workers take the caller's

    def one(rows: tuple[int, int]) -> None:
        with np.errstate(**errors):
            part = params.subset(slice(*rows))
            _integrate_block(system, part, grid, method, rtol, atol, out[rows[0] : rows[1]])

    # one BLAS thread per worker: BLAS's own threads would fight ours for the cores
    with (
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(workers or os.cpu_count()) as pool,
    ):
        list(pool.map(one, itertools.pairwise(bounds)))
    return grid, out


def _integrate_block(system, params, grid, method, rtol, atol, out) -> None:
    """Integrate one block of runs, segment by segment, into ``out`` (runs, time, variable).

    Saves go into a time-major buffer first, so that each saved step is one
    contiguous write, and are transposed into ``out`` once at the end.
    """
    start, stop = grid[0], grid[-1]
    saved = np.empty((len(grid), params.batch, out.shape[2]))
    all_breaks = system.breakpoints(params)
    breaks = [b for b in all_breaks if start < b < stop]
    y = system.initial_state(params)
    if start in all_breaks:
        y = system.jump(start, y, params)
    edges = [start, *breaks, stop]
    k = 0  # next grid point to save
    for a, b in itertools.pairwise(edges):
        if a != start:
            y = system.jump(a, y, params)
        segment = system.during(params, a, b)
        last = b == stop
        inside = (grid >= a) & ((grid < b) | (last & (grid == b)))
        saves = np.nonzero(inside)[0]
        saves = saves[saves >= k]
        if method in FIXED_STEP:
            y = _fixed(system, segment, FIXED_STEP[method], a, b, grid, saves, y, saved)
        else:
            y = _adaptive(system, segment, ADAPTIVE[method], a, b, grid, saves, y, saved, rtol, atol)
        k = saves[-1] + 1 if saves.size else k
    out[...] = saved.transpose(1, 0, 2)


def _check_step(system: System, params: Params, dt: float, method: str) -> None:
    """Refuse fixed steps too long for the fastest time constant (the run would blow up)."""
    if method not in FIXED_STEP:
        return
    taus = system.time_constants(params)
    if taus.size == 0:
        return
    limit = {"euler": 1.0, "rk4": 2.0}[method]
    i = int(np.argmin(taus))
    if dt > limit * taus[i]:
        raise SimulationError(
            f"`dt` = {dt:g} is too long for '{system.state_names[i]}', whose time constant is "
            f"{taus[i]:g}; {method} needs dt <= {limit * taus[i]:g}. Use a smaller dt "
            "or method='rk45'"
        )


def _fixed(system, params, step, a, b, grid, saves, y, out) -> np.ndarray:
    """Step from ``a`` to ``b`` through the grid points ``saves``, saving each one (time-major)."""
    t = a
    for k in saves:
        if grid[k] > t:
            y = step(system, t, y, grid[k] - t, params)
            t = grid[k]
        out[k] = system.observe(t, y, params)
    if b > t:
        y = step(system, t, y, b - t, params)
    return y


def _adaptive(system, params, method, a, b, grid, saves, y, out, rtol, atol) -> np.ndarray:
    """Integrate ``[a, b]`` with scipy, saving at the grid points ``saves``."""
    shape = y.shape

    def f(t, flat):
        return system.rhs(t, flat.reshape(shape), params).ravel()

    t_eval = np.unique(np.concatenate([[a], grid[saves], [b]]))
    sol = solve_ivp(f, (a, b), y.ravel(), method=method, t_eval=t_eval, rtol=rtol, atol=atol)
    if not sol.success:
        raise SimulationError(f"{method} failed between months {a:g} and {b:g}: {sol.message}")
    states = sol.y.T.reshape(len(sol.t), *shape)
    for k in saves:
        out[k] = system.observe(grid[k], states[np.searchsorted(sol.t, grid[k])], params)
    return states[-1]
