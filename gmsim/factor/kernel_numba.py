"""The compiled loop of a factor system: fixed steps of a whole segment, runs innermost (numba).

Imported only by :mod:`gmsim.factor.kernel` when numba is installed. Every
function is compiled once per machine (``cache=True``) and is generic over the
model: the structure comes in as index arrays (compressed columns), so no model
triggers a new compilation. The loop releases the GIL (``nogil=True``): the
engine's thread blocks run it on every core at once.

A batch is stepped in tiles of :data:`TILE` runs with the runs innermost: each
state, weight and rate of a tile is a row of ``TILE`` numbers, so the model's
structure is read once per tile instead of once per run and the arithmetic
over a row is done with SIMD instructions. The equations are those of
:mod:`gmsim.factor.system`, with each run's operations in the numpy path's
order, so both agree to rounding, and a run's numbers do not depend on the
other runs of its tile or on the tile's width. ``S_p`` goes through the
kernel's own ``exp`` and ``log`` (after fdlibm), which vectorize (the C
library's ``pow`` does not): over a tile's runs, or for a single run over its
factors. A whole run is one call: the jumps of its breakpoints (events, then
decisions) happen inside the loop, before the step that starts there.

The two entry points, :func:`integrate_run` and :func:`integrate_segment`, inline
one body with the tile's width as a constant, so every loop over a tile has a
trip count the compiler knows. All functions are defined at module level: numba
gives a function that captures other compiled functions (one made in a factory)
a new cache key in every process, and every process compiled again.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["TILE", "integrate_run", "integrate_segment"]

# Runs per tile: a tile's states, stages and rates stay in the cache. The last tile of a batch
# is filled up with copies of its last run, so every tile's loops have the same length.
# Measured on the default model (euler, one thread, 512 runs), per run and evaluation:
# 16 lanes 0.58 us, 32 lanes 0.51, 48 lanes 0.36, 64 lanes 0.31, 128 lanes 0.30.
TILE = 64


# exp and log after fdlibm (Sun Microsystems, 1993): range reduction by ln 2, then its polynomials
_MAGIC = 6755399441055744.0  # 1.5 * 2**52: adding it rounds a double to an integer kept in its low bits
_MAGIC_BITS = 0x4338000000000000
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_SQRT2 = 1.4142135623730951
_P1, _P2, _P3, _P4, _P5 = (
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
)
_LG1, _LG2, _LG3, _LG4, _LG5, _LG6, _LG7 = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _saturate(u, p, clip):
    """``S_p(u)`` of one number through the library's power; ``clip`` as for :func:`_saturate_row`,
    else for any ``p``: the power may overflow, and the limit ``1/|2u|`` is taken then."""
    if clip:
        u = min(max(u, -1e3), 1e3)
        return u * ((abs(u) * 2.0) ** p + 1.0) ** (-1.0 / p) + 0.5
    two = abs(2.0 * u)
    scale = (1.0 + two**p) ** (-1.0 / p)
    if not (np.isfinite(scale) and scale > 0.0):
        scale = 1.0 / max(two, 1e-300)
    return u * scale + 0.5


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _exp_row(x, out):
    """``out = e**x`` over a row, without a library call (fdlibm's e_exp.c), so in SIMD.

    A row is a tile's runs, or one run's factors."""
    for r in range(x.shape[0]):
        v = min(max(x[r], -708.0), 709.0)
        shifted = v * _INV_LN2 + _MAGIC
        k = shifted - _MAGIC
        hi = v - k * _LN2_HI
        lo = k * _LN2_LO
        q = hi - lo
        t = q * q
        c = q - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
        y = 1.0 - ((lo - (q * c) / (2.0 - c)) - hi)
        bits = (np.float64(shifted).view(np.int64) - _MAGIC_BITS + 1023) << 52
        out[r] = y * np.int64(bits).view(np.float64)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _log_row(x, out):
    """``out = ln x`` over a row of positive numbers (fdlibm's e_log.c; 0 gives about -709)."""
    for r in range(x.shape[0]):
        b = np.float64(x[r]).view(np.int64)
        e = (b >> 52) - 1023
        m = np.int64((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000).view(np.float64)
        big = m > _SQRT2
        m = m * 0.5 if big else m
        e = e + 1 if big else e
        f = m - 1.0
        s = f / (2.0 + f)
        z = s * s
        w = z * z
        t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
        t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
        R = t2 + t1
        hfsq = 0.5 * f * f
        dk = np.int64(e + _MAGIC_BITS).view(np.float64) - _MAGIC
        out[r] = dk * _LN2_HI - ((hfsq - (s * (hfsq + R) + dk * _LN2_LO)) - f)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _saturate_row(u, p, out, a, b):
    """``out = S_p(u)`` over a row for ``p <= 50``, ``u`` clipped to [-1e3, 1e3] (no overflow);
    ``a`` and ``b`` are scratch rows, ``out`` may be ``u``. A row is as for :func:`_exp_row`."""
    n = u.shape[0]
    for r in range(n):
        out[r] = min(max(u[r], -1e3), 1e3)
        a[r] = abs(out[r]) * 2.0
    _log_row(a, b)
    for r in range(n):
        a[r] = p[r] * b[r]
    _exp_row(a, b)  # |2u|^p
    for r in range(n):
        a[r] = b[r] + 1.0
    _log_row(a, b)
    for r in range(n):
        a[r] = b[r] * (-1.0 / p[r])
    _exp_row(a, b)  # (1 + |2u|^p)^(-1/p)
    for r in range(n):
        out[r] = out[r] * b[r] + 0.5


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _combine(lanes, ptr, idx, val, col, y, acc):
    """``acc = y @ X[:, col]`` for a tile (rows of ``y`` are states) of ``X`` in compressed columns."""
    for r in range(lanes):
        acc[r] = 0.0
    for q in range(ptr[col], ptr[col + 1]):
        row = idx[q]
        v = val[q]
        for r in range(lanes):
            acc[r] += y[row, r] * v


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _with_held(lanes, y, yf, held_idx, held_row, r0, w):
    """The tile's states ``y``, or (when states are held) ``yf`` filled with them and the held
    values at ``held_row`` (one per run from ``r0``, or one for all); a padded lane takes the last
    run's."""
    if not held_idx.shape[0]:
        return y
    for i in range(y.shape[0]):
        for r in range(lanes):
            yf[i, r] = y[i, r]
    per_run = held_row.shape[1] > 1
    for j in range(held_idx.shape[0]):
        for r in range(lanes):
            yf[held_idx[j], r] = held_row[j, r0 + min(r, w - 1) if per_run else 0]
    return yf


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _rhs(lanes, y, dy, t, held_idx, held_row, r0, w, sizes, links, mods, delays, flows, tile):
    """``dy/dt`` of the tile's ``w`` runs (from run ``r0``) at states ``y`` (states, runs); the
    endogenous factors' targets ``x*`` are left in ``tg`` (a decision sets a factor to its own)."""
    yf, u, nec, zf, ds, z, m, unit, wt, rr, fr, qr, br, pp, tg, vp, va, vb = t
    ne, ns, nd = sizes[0], sizes[1], sizes[2]
    n = y.shape[0]
    src_ptr, src_idx, src_val, effect, additive, moderated, necessary = links
    mod_ptr, mod_idx, mod_val = mods
    dly_ptr, dly_idx, dly_val = delays
    z_ptr, z_idx, z_val, times_ptr, times_idx, gap_ptr, gap_idx, f_ptr, f_idx, f_val, decided = flows
    asym, clip = tile
    x = _with_held(lanes, y, yf, held_idx, held_row, r0, w)
    for i in range(ne):
        for r in range(lanes):
            u[i, r] = br[i, r]
            nec[i, r] = 1.0
    for li in range(effect.shape[0]):
        _combine(lanes, src_ptr, src_idx, src_val, li, x, z)
        e = effect[li]
        if additive[li]:
            for r in range(lanes):
                u[e, r] += z[r] * wt[li, r]
        k = moderated[li]
        if k >= 0:
            _combine(lanes, mod_ptr, mod_idx, mod_val, k, x, m)
            for r in range(lanes):
                mr = 1.0 + m[r]
                if mr < 0.0:
                    mr = 0.0
                u[e, r] += z[r] * wt[li, r] * (mr - 1.0)
        if necessary[li]:
            for r in range(lanes):
                nec[e, r] *= 1.0 - wt[li, r] + wt[li, r] * z[r]
    if clip and lanes == 1:  # one run: its factors are the row, in SIMD
        flat = u.reshape(ne)
        _saturate_row(flat, vp, flat, va, vb)
    for i in range(ne):
        if clip and lanes > 1:  # a tile: its runs are the row
            _saturate_row(u[i], pp, z, m, unit)
        elif clip:
            z[0] = u[i, 0]
        else:
            for r in range(lanes):
                z[r] = _saturate(u[i, r], pp[r], clip)
        for r in range(lanes):
            tg[i, r] = nec[i, r] * z[r]
            first = tg[i, r] - x[i, r]
            dy[i, r] = first * (fr[i, r] if asym and not first > 0 else rr[i, r])
    for j in range(nd - ne - ns):
        _combine(lanes, dly_ptr, dly_idx, dly_val, j, x, z)
        s = ne + ns + j
        for r in range(lanes):
            first = z[r] - x[s, r]
            dy[s, r] = first * (fr[ne + j, r] if asym and not first > 0 else rr[ne + j, r])
    if ns:
        for c in range(z_ptr.shape[0] - 1):
            _combine(lanes, z_ptr, z_idx, z_val, c, x, zf[c])
        for k in range(ns):
            for r in range(lanes):
                ds[k, r] = 0.0
        for f in range(times_ptr.shape[0] - 1):
            for r in range(lanes):
                unit[r] = 1.0
            for q in range(times_ptr[f], times_ptr[f + 1]):
                c = times_idx[q]
                for r in range(lanes):
                    unit[r] *= zf[c, r]
            for q in range(gap_ptr[f], gap_ptr[f + 1]):
                c = gap_idx[q]
                for r in range(lanes):
                    unit[r] *= 1.0 - zf[c, r]
            for r in range(lanes):
                unit[r] *= qr[f, r]
            for q in range(f_ptr[f], f_ptr[f + 1]):
                k = f_idx[q]
                v = f_val[q]
                for r in range(lanes):
                    ds[k, r] += unit[r] * v
        for k in range(ns):
            for r in range(lanes):
                level = x[ne + k, r]
                d = ds[k, r]
                if (level >= 1.0 and d > 0.0) or (level <= 0.0 and d < 0.0):
                    d = 0.0
                dy[ne + k, r] = d
    for i in range(nd, n):
        for r in range(lanes):
            dy[i, r] = 0.0
    for j in range(decided.shape[0]):
        for r in range(lanes):
            dy[decided[j], r] = 0.0
    for j in range(held_idx.shape[0]):
        for r in range(lanes):
            dy[held_idx[j], r] = 0.0


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _observe(y, yf, saved, row, held_idx, held_row, r0, w, observed, buf):
    """Write the tile's saved variables (or states) at ``y`` into ``saved[row, r0:r0 + w]``;
    ``buf`` (variables, lanes) is scratch, so that each run's values are written in a row."""
    obs_ptr, obs_idx, obs_val, states = observed
    n, lanes = y.shape
    src = _with_held(lanes, y, yf, held_idx, held_row, r0, w)
    if states:
        for r in range(w):
            for i in range(n):
                saved[row, r0 + r, i] = src[i, r]
        return
    nv = obs_ptr.shape[0] - 1
    for v in range(nv):
        _combine(lanes, obs_ptr, obs_idx, obs_val, v, src, buf[v])
    for r in range(w):
        for v in range(nv):
            saved[row, r0 + r, v] = buf[v, r]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _save(y, yf, saved, save_rows, save_before, s, j, held, r0, w, observed, acc):
    """The saves from ``j`` on that come after ``s`` steps; returns the next save's index."""
    held_idx, held_saves = held
    while j < save_rows.shape[0] and save_before[j] == s:
        _observe(y, yf, saved, save_rows[j], held_idx, held_saves[j], r0, w, observed, acc)
        j += 1
    return j


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _load(dst, src, r0, w):
    """``dst[:, :w]`` = the tile's rows of ``src`` (runs, columns) transposed; one row of ``src`` is shared."""
    shared = src.shape[0] == 1
    for c in range(src.shape[1]):
        for r in range(dst.shape[1]):
            dst[c, r] = src[0 if shared else r0 + min(r, w - 1), c]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _jump(yt, tg, jumps, q, r0, w, decide):
    """Jump ``q`` of the tile: its events (``decide`` false), or its decisions (``decide`` true:
    each decided factor takes its target, computed at the states after the events)."""
    _, ev_ptr, ev_state, ev_mult, ev_value, dec_ptr, dec_idx = jumps
    lanes = yt.shape[1]
    if decide:
        for k in range(dec_ptr[q], dec_ptr[q + 1]):
            i = dec_idx[k]
            for r in range(lanes):
                yt[i, r] = tg[i, r]
        return
    per_run = ev_value.shape[1] > 1
    for e in range(ev_ptr[q], ev_ptr[q + 1]):
        i = ev_state[e]
        for r in range(lanes):
            v = ev_value[e, r0 + min(r, w - 1) if per_run else 0]
            x = yt[i, r] * v if ev_mult[e] else v
            yt[i, r] = min(max(x, 0.0), 1.0)


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _integrate(
    lanes, rk4, y, saved, save_rows, save_before, step_h, jumps, held_idx, held_steps, held_saves,
    observed, sizes, links, mods, delays, flows, numbers,
):  # fmt: skip
    """Step every run of ``y`` (runs, states) through a run or a segment of it, in tiles of
    ``lanes`` runs, in place, saving on the way.

    Step ``s`` is ``step_h[s]`` long; the save ``j`` is written to
    ``saved[save_rows[j], run]`` after ``save_before[j]`` steps. Before step
    ``jumps[0][q]`` the jump ``q`` happens (its events, then its decisions),
    and the saves there see the states after it. ``held_steps`` gives the held
    states' values at each right-hand-side time (rk4: the step's start, middle
    and end; euler: its start), ``held_saves`` at each save.
    """
    weights, bias, rates, fall_rates, asym, flow_rates, steep, clip = numbers
    jump_steps, dec_ptr = jumps[0], jumps[5]
    B, n = y.shape
    ne, ns = sizes[0], sizes[1]
    n_steps = step_h.shape[0]
    n_jumps = jump_steps.shape[0]
    per_step = 3 if rk4 else 1
    stages = 4 if rk4 else 1
    T = lanes
    L = weights.shape[1]
    nf = flow_rates.shape[1]
    nz = max(flows[0].shape[0] - 1, 1)
    yt = np.empty((n, T))
    ks = np.empty((4, n, T))  # the stages' slopes
    stage = np.empty((n, T))
    scratch = (
        np.empty((n, T)),  # yf: states with held values
        np.empty((ne, T)),  # u
        np.empty((ne, T)),  # nec
        np.empty((nz, T)),  # zf
        np.empty((max(ns, 1), T)),  # ds
        np.empty(T),  # z
        np.empty(T),  # m
        np.empty(T),  # unit
        np.empty((L, T)),  # weights
        np.empty((rates.shape[1], T)),  # rise (or only) rates
        np.empty((fall_rates.shape[1], T)),  # fall rates
        np.empty((nf, T)),  # flow rates
        np.empty((ne, T)),  # bias
        np.empty(T),  # steepness
        np.empty((ne, T)),  # tg: the targets
        np.empty(ne),  # vp: one run's steepness for each factor
        np.empty(ne),  # va, vb: one run's scratch rows
        np.empty(ne),
    )
    yf, wt, rr, fr, qr, br, pp, tg, vp = (
        scratch[0],
        scratch[8],
        scratch[9],
        scratch[10],
        scratch[11],
        scratch[12],
        scratch[13],
        scratch[14],
        scratch[15],
    )
    acc = np.empty((max(observed[0].shape[0] - 1, 1), T))  # a save's variables
    tile = (asym, clip)
    held = (held_idx, held_saves)
    for r0 in range(0, B, T):
        w = min(T, B - r0)
        _load(yt, y, r0, w)
        _load(wt, weights, r0, w)
        _load(rr, rates, r0, w)
        _load(fr, fall_rates, r0, w)
        _load(qr, flow_rates, r0, w)
        _load(br, bias, r0, w)
        for r in range(T):
            pp[r] = steep[r0 + min(r, w - 1) if steep.shape[0] > 1 else 0]
        for i in range(ne):
            vp[i] = pp[0]
        j = 0
        q = 0  # the next jump
        for s in range(n_steps + 1):
            g = 0
            if q < n_jumps and jump_steps[q] == s:
                _jump(yt, tg, jumps, q, r0, w, False)
                if dec_ptr[q + 1] > dec_ptr[q]:
                    g = -1  # a stage at the states before the decisions gives their targets
                else:
                    q += 1
            h = step_h[s] if s < n_steps else 0.0
            row = s * per_step
            while g < stages:  # rk4's stages: the step's start, middle twice, end
                if g == 0:
                    j = _save(yt, yf, saved, save_rows, save_before, s, j, held, r0, w, observed, acc)
                    if s == n_steps:
                        break
                if g <= 0:
                    at = yt
                else:
                    c = h if g == 3 else h / 2
                    before = ks[g - 1]
                    for i in range(n):
                        for r in range(T):
                            stage[i, r] = yt[i, r] + c * before[i, r]
                    at = stage
                _rhs(lanes, at, ks[max(g, 0)], scratch, held_idx, held_steps[row + (g + 1) // 2], r0, w,
                     sizes, links, mods, delays, flows, tile)  # fmt: skip
                if g == -1:
                    _jump(yt, tg, jumps, q, r0, w, True)
                    q += 1
                g += 1
            if s == n_steps:
                break
            if rk4:
                sixth = h / 6
                k1, k2, k3, k4 = ks[0], ks[1], ks[2], ks[3]
                for i in range(n):
                    for r in range(T):
                        yt[i, r] = (k1[i, r] + 2 * k2[i, r] + 2 * k3[i, r] + k4[i, r]) * sixth + yt[i, r]
            else:
                k1 = ks[0]
                for i in range(n):
                    for r in range(T):
                        yt[i, r] = yt[i, r] + h * k1[i, r]
            for i in range(n):  # levels stay in [0, 1]: a step may overshoot a stock's bound
                for r in range(T):
                    yt[i, r] = min(max(yt[i, r], 0.0), 1.0)
        for i in range(n):
            for r in range(w):
                y[r0 + r, i] = yt[i, r]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def integrate_run(
    rk4, y, saved, save_rows, save_before, step_h, jumps, held_idx, held_steps, held_saves,
    observed, sizes, links, mods, delays, flows, numbers,
):  # fmt: skip
    """A single run: :func:`_integrate` with the loops' width the constant 1."""
    _integrate(
        1, rk4, y, saved, save_rows, save_before, step_h, jumps, held_idx, held_steps, held_saves,
        observed, sizes, links, mods, delays, flows, numbers,
    )  # fmt: skip


@nb.njit(cache=True, nogil=True, error_model="numpy")
def integrate_segment(
    rk4, y, saved, save_rows, save_before, step_h, jumps, held_idx, held_steps, held_saves,
    observed, sizes, links, mods, delays, flows, numbers,
):  # fmt: skip
    """A batch: :func:`_integrate` with tiles of :data:`TILE` runs (a constant of its loops)."""
    _integrate(
        TILE, rk4, y, saved, save_rows, save_before, step_h, jumps, held_idx, held_steps,
        held_saves, observed, sizes, links, mods, delays, flows, numbers,
    )  # fmt: skip
