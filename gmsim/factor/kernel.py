"""The compiled kernel of factor systems: fixed-step segments without Python in the loop.

A factor system's right-hand side is a few dozen small numpy operations; for one
run, or a block of a few hundred, their Python overhead dominates. The kernel
(:mod:`gmsim.factor.kernel_numba`, compiled with numba once per machine and
cached on disk) steps each run through a whole segment between two breakpoints
in one call: every equation of :mod:`gmsim.factor.system` (additive links with
shared or per-run weights, moderators, necessary conditions, ``S_p`` with a
per-run steepness, asymmetric rise and fall, delay stages, stocks and flows with
their [0, 1] rule, decided factors and held states), ``euler`` and ``rk4``, and
the saves on the grid. A run with no forcings and no parameter windows is one
call (:func:`integrate_fixed_run`): its events and decisions happen inside the
loop, as :meth:`~gmsim.factor.system.FactorSystem.jump` does them. Otherwise the
engine (:func:`gmsim.core.solver.solve`) splits the run at its breakpoints, does
their jumps, and steps each segment in the kernel (:func:`integrate_fixed`).

The model's structure reaches the kernel as index arrays (:class:`KernelPlan`),
so no model compiles anything new. numba is an optional extra
(``pip install gmsim[kernel]``); without it, or with ``GMSIM_KERNEL=0`` in the
environment, factor systems use the numpy path, which gives the same numbers to
rounding (``tests/test_kernel.py`` checks 1e-12).

Examples
--------
>>> import gmsim
>>> system = gmsim.load_model().compile()
>>> plan = KernelPlan(system)
>>> plan.sizes.tolist() == [system.n_endo, system.n_stock, system.n_dynamic]
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from gmsim.core.system import events_at

if TYPE_CHECKING:
    from gmsim.factor.system import FactorParams, FactorSystem

__all__ = ["ONE_RUN_MAX_LINKS", "KernelPlan", "available", "integrate_fixed", "integrate_fixed_run"]

_FIXED = ("euler", "rk4")
# Above this many links a single run steps in numpy: measured (benchmarks/bench_kernel.py, rk4,
# 120 months), 10,000 factors / 50,000 links take 4.1 s there and 9.0 s in the kernel's loop,
# 1,000 / 5,000 links 0.22 s and 0.28 s; batches keep the kernel (its tiles run in SIMD).
ONE_RUN_MAX_LINKS = 20_000
# A batch of this many runs or fewer steps its runs one by one in the loop compiled for one run
# (~1.3 us per evaluation of the default model), rather than in a tile of 64 lanes (~20 us).
ONE_BY_ONE = 12
_compiled = None


def _kernel():
    """The compiled entry point, or ``None`` without numba (or with ``GMSIM_KERNEL=0``)."""
    global _compiled
    if os.environ.get("GMSIM_KERNEL", "1").strip().lower() in ("0", "off", "false", "no"):
        return None
    if _compiled is None:
        try:
            from gmsim.factor.kernel_numba import integrate_run, integrate_segment
        except ImportError:
            _compiled = False
        else:
            _compiled = (integrate_run, integrate_segment)
    return _compiled or None


def available() -> bool:
    """Whether the compiled kernel can run here (numba installed, not switched off).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return _kernel() is not None


def _csc(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(indptr, indices, data)`` of ``matrix`` in compressed columns (int64, float64)."""
    m = sp.csc_array(matrix)
    m.sum_duplicates()
    m.sort_indices()
    return (
        np.ascontiguousarray(m.indptr, dtype=np.int64),
        np.ascontiguousarray(m.indices, dtype=np.int64),
        np.ascontiguousarray(m.data, dtype=np.float64),
    )


def _csr(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ptr, idx, val = _csc(sp.csc_array(matrix).T)
    return ptr, idx, val


def _lists(layers_of: list[tuple[np.ndarray, np.ndarray]], rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row lists (``ptr``, ``idx``) of ``(row, column)`` layers, in the layers' order."""
    pairs = [(int(r), int(c)) for rs, cs in layers_of for r, c in zip(rs, cs, strict=True)]
    pairs.sort(key=lambda pc: pc[0])  # stable: each row keeps its layers' order
    ptr = np.zeros(rows + 1, dtype=np.int64)
    for r, _ in pairs:
        ptr[r + 1] += 1
    return np.cumsum(ptr), np.array([c for _, c in pairs], dtype=np.int64)


class KernelPlan:
    """The structure of a factor system as the kernel reads it: compressed columns and index lists.

    Built once per system (:attr:`FactorSystem.kernel_plan`); only the run's
    numbers change between calls.
    """

    def __init__(self, system: FactorSystem):
        st = system.structure
        links = system.links
        L = len(links)
        self.sizes = np.array([st.ne, st.ns, st.nd], dtype=np.int64)
        effect = np.asarray(st.T_sp.tocoo().col if L else [], dtype=np.int64)
        rows = np.asarray(st.T_sp.tocoo().row if L else [], dtype=np.int64)
        effects = np.zeros(L, dtype=np.int64)
        effects[rows] = effect
        moderated = np.full(L, -1, dtype=np.int64)
        moderated[st.mod] = np.arange(len(st.mod))
        necessary = np.zeros(L, dtype=np.bool_)
        necessary[st.nec] = True
        self.links = (
            *_csc(st.S_all_sp),
            effects,
            np.ascontiguousarray(st.additive_mask, dtype=np.bool_),
            moderated,
            necessary,
        )
        self.mods = _csc(st.M_sp)
        self.delays = _csc(st.D_sp)
        nf = st.F_sp.shape[0]
        times_ptr, times_idx = _lists(st.times_layers, nf)
        gap_ptr, gap_idx = _lists(st.gap_layers, nf)
        self.flows = (
            *_csc(st.Z_sp),
            times_ptr,
            times_idx,
            gap_ptr,
            gap_idx,
            *_csr(st.F_sp),
            np.array(system._decided, dtype=np.int64),
        )
        self.observed = _csc(st.O_sp)


_NO_INT = np.zeros(0, dtype=np.int64)
_NO_JUMPS = (_NO_INT, np.zeros(1, dtype=np.int64), _NO_INT, np.zeros(0, dtype=np.bool_),
             np.zeros((0, 1)), np.zeros(1, dtype=np.int64), _NO_INT)  # fmt: skip


def _jumps(system: FactorSystem, params: FactorParams, times: np.ndarray, steps: np.ndarray, batch: int):
    """The jumps at ``times`` (before step ``steps``) as the kernel reads them, or ``None`` if a
    jump's event cannot be done there (a value per run of another batch's size).

    Each jump's events in their order, then its decided factors; the arrays are
    ``(step, event pointers, event states, multiply?, event values, decision pointers, decided)``.
    """
    ev_ptr, ev_state, ev_mult, values, dec_ptr, dec_idx = [0], [], [], [], [0], []
    for t in times.tolist():
        for e in events_at(params, t):
            value = np.asarray(e.multiply if e.multiply is not None else e.set, dtype=np.float64)
            if value.ndim > 1 or value.size not in (1, batch):
                return None
            ev_state.append(system.state_index(e.variable))
            ev_mult.append(e.multiply is not None)
            values.append(value.reshape(-1))
        ev_ptr.append(len(ev_state))
        dec_idx.extend(system.structure.decisions.get(t, ()))
        dec_ptr.append(len(dec_idx))
    width = batch if any(v.size > 1 for v in values) else 1
    table = np.empty((len(values), width))
    for k, v in enumerate(values):
        table[k] = v
    as_int = lambda x: np.array(x, dtype=np.int64)  # noqa: E731
    return (
        np.ascontiguousarray(steps, dtype=np.int64), as_int(ev_ptr), as_int(ev_state),
        np.array(ev_mult, dtype=np.bool_), table, as_int(dec_ptr), as_int(dec_idx),
    )  # fmt: skip


def _schedule(a: float, b: float, grid: np.ndarray, saves: np.ndarray):
    """The steps of :func:`gmsim.core.solver._fixed` from ``a`` to ``b``: start times, lengths,
    and how many steps come before each save."""
    times = grid[saves]
    prev = np.concatenate([[a], times[:-1]])
    taken = times > prev
    starts, lengths = prev[taken], times[taken] - prev[taken]
    before = np.cumsum(taken)
    last = times[-1] if times.size else a
    if b > last:
        starts = np.append(starts, last)
        lengths = np.append(lengths, b - last)
    return starts, lengths, before.astype(np.int64)


def _held(system: FactorSystem, params: FactorParams, times, batch: int):
    """Held states' indices and values at ``times``: ``(n_held,)`` and ``(len(times), n_held, 1 or batch)``."""
    positions = system._positions()
    active = [f for f in params.forcings if f.variable in positions]
    idx = np.array([positions[f.variable] for f in active], dtype=np.int64)
    if not active:
        return idx, np.zeros((len(times), 0, 1))
    values = [[f.path.value(t) if f.active(t) else np.nan for f in active] for t in times]
    per_run = any(np.ndim(v) > 0 for row in values for v in row)
    out = np.empty((len(times), len(active), batch if per_run else 1))
    for k, row in enumerate(values):
        for j, v in enumerate(row):
            out[k, j] = v
    if np.isnan(out).any():
        return None, None  # a forcing that starts or ends inside the segment: the numpy path
    return idx, out


def integrate_fixed(
    system: FactorSystem,
    method: str,
    a: float,
    b: float,
    grid: np.ndarray,
    saves: np.ndarray,
    y: np.ndarray,
    params: FactorParams,
    saved: np.ndarray,
    save: str = "variables",
) -> tuple[np.ndarray, int] | None:
    """Fixed steps from ``a`` to ``b`` in the kernel, as :func:`gmsim.core.solver._fixed` takes them.

    Writes the saves into ``saved`` (time, runs, saved) and returns the states at
    ``b`` and the number of steps; ``None`` when the kernel cannot run here (no
    numba, another method), and the engine steps in numpy.
    """
    kernel = _kernel()
    if kernel is None or method not in _FIXED:
        return None
    if y.shape[0] == 1 and len(system.links) > ONE_RUN_MAX_LINKS:
        return None  # one run of a large graph: scipy's sparse products beat the link loop

    rk4 = method == "rk4"
    starts, lengths, before = _schedule(a, b, grid, saves)
    if rk4:
        stage_times = np.column_stack([starts, starts + lengths / 2, starts + lengths]).ravel()
    else:
        stage_times = starts
    B = y.shape[0]
    held_idx, held_steps = _held(system, params, stage_times, B)
    if held_idx is None:
        return None
    _, held_saves = _held(system, params, grid[saves], B)
    if held_steps.shape[0] == 0:
        held_steps = np.zeros((1, held_idx.size, held_saves.shape[2] if held_saves.size else 1))
    out = _call(kernel, system, rk4, y, saved, saves, before, lengths, _NO_JUMPS,
                (held_idx, held_steps, held_saves), params, save)  # fmt: skip
    return out, int(lengths.size)


def _call(kernel, system, rk4, y, saved, saves, before, lengths, jumps, held, params, save):
    """Run the compiled loop on a copy of ``y`` and return it (the saves go into ``saved``)."""
    plan = system.kernel_plan
    B = y.shape[0]
    steep = np.ascontiguousarray(np.asarray(params.steepness, dtype=np.float64).reshape(-1))
    rates = np.ascontiguousarray(params.rates, dtype=np.float64)
    asym = params.fall_rates is not None
    numbers = (
        np.ascontiguousarray(params.weights, dtype=np.float64),
        np.ascontiguousarray(params.bias, dtype=np.float64),
        rates,
        np.ascontiguousarray(params.fall_rates, dtype=np.float64) if asym else rates,
        asym,
        np.ascontiguousarray(params.flow_rates, dtype=np.float64).reshape(B, -1),
        steep,
        not bool(np.max(steep) > 50.0),
    )
    out = np.array(y, dtype=np.float64, order="C", copy=True)
    steps = (np.ascontiguousarray(saves, dtype=np.int64), np.asarray(before, np.int64),
             np.ascontiguousarray(lengths, dtype=np.float64))  # fmt: skip
    structure = ((*plan.observed, save == "states"), plan.sizes, plan.links, plan.mods,
                 plan.delays, plan.flows)  # fmt: skip
    if B == 1 or B > ONE_BY_ONE:  # compiled for a single run, or for tiles of runs
        kernel[0 if B == 1 else 1](rk4, out, saved, *steps, jumps, *held, *structure, numbers)
        return out
    for r in range(B):  # each run in the loop compiled for one: the same bits as in a tile
        kernel[0](
            rk4, out[r : r + 1], saved[:, r : r + 1], *steps, _run_of(jumps, r), *_run_of(held, r),
            *structure, _run_of(numbers, r),
        )  # fmt: skip
    return out


def _run_of(arrays: tuple, r: int) -> tuple:
    """Run ``r``'s part of the kernel's arguments: the rows (or, for jumps and held values, the
    last axis) that are per run; numbers shared by every run as they are."""
    if len(arrays) == 8:  # the numbers: weights, bias, rates, fall rates, asym, flow rates, p, clip
        return tuple(a[r : r + 1] if isinstance(a, np.ndarray) and a.shape[0] > 1 else a for a in arrays)
    return tuple(  # jumps and held values: per run along their last axis
        np.ascontiguousarray(a[..., r : r + 1])
        if a.dtype == np.float64 and a.ndim > 1 and a.shape[-1] > 1
        else a
        for a in arrays
    )


def integrate_fixed_run(
    system: FactorSystem,
    method: str,
    grid: np.ndarray,
    breaks: Sequence[float],
    y: np.ndarray,
    params: FactorParams,
    saved: np.ndarray,
    save: str = "variables",
) -> tuple[np.ndarray, int] | None:
    """A whole run on ``grid`` in one call of the kernel, with the jumps at ``breaks`` inside it.

    The steps are those the engine takes segment by segment (to each point of
    ``grid`` and of ``breaks``, in order); at each breakpoint (strictly inside the
    grid) the events there, then the decisions, as
    :meth:`~gmsim.factor.system.FactorSystem.jump` does them. Writes the saves into
    ``saved`` (time, runs, saved) and returns the states at the end and the steps
    taken; ``None`` when the run needs the engine's segments (forcings or
    parameter windows, another method, no kernel).
    """
    kernel = _kernel()
    if kernel is None or method not in _FIXED or params.forcings or params.windows:
        return None
    if y.shape[0] == 1 and len(system.links) > ONE_RUN_MAX_LINKS:
        return None
    times = np.asarray(breaks, dtype=np.float64)
    points = np.union1d(grid, times)  # every step ends at a grid point or a breakpoint
    jumps = _jumps(system, params, times, np.searchsorted(points, times), y.shape[0])
    if jumps is None:
        return None
    lengths = np.diff(points)
    saves = np.arange(grid.size)
    held = (_NO_INT, np.zeros((3 * lengths.size + 1, 0, 1)), np.zeros((grid.size, 0, 1)))  # none
    out = _call(kernel, system, method == "rk4", y, saved, saves, np.searchsorted(points, grid),
                lengths, jumps, held, params, save)  # fmt: skip
    return out, int(lengths.size)
