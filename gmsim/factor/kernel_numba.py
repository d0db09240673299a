"""The compiled loop of a factor system: fixed steps of a whole segment, run by run (numba).

Imported only by :mod:`gmsim.factor.kernel` when numba is installed. Every
function is compiled once per machine (``cache=True``) and is generic over the
model: the structure comes in as index arrays (compressed columns), so no model
triggers a new compilation. The loop releases the GIL (``nogil=True``): the
engine's thread blocks run it on every core at once.

The equations are those of :mod:`gmsim.factor.system`, evaluated for one run at a
time with the operations in the numpy path's order, so both agree to rounding.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["integrate_segment"]


@nb.njit(cache=True, nogil=True)
def _saturate(u, p, clip):
    if clip:
        if u > 1e3:
            u = 1e3
        elif u < -1e3:
            u = -1e3
        a = (abs(u) * 2.0) ** p
        return u * (a + 1.0) ** (-1.0 / p) + 0.5
    two = abs(2.0 * u)
    scale = (1.0 + two**p) ** (-1.0 / p)
    if not (np.isfinite(scale) and scale > 0.0):
        scale = 1.0 / max(two, 1e-300)
    return u * scale + 0.5


@nb.njit(cache=True, nogil=True)
def _combine(ptr, idx, val, col, y):
    """``y @ X[:, col]`` of a matrix ``X`` in compressed columns ``(ptr, idx, val)``."""
    acc = 0.0
    for q in range(ptr[col], ptr[col + 1]):
        acc += y[idx[q]] * val[q]
    return acc


@nb.njit(cache=True, nogil=True)
def _rhs(y, dy, yf, u, nec, zf, ds, held_idx, held_row, r, sizes, links, mods, delays, flows, numbers):
    """``dy/dt`` of run ``r`` at states ``y`` (held states taken from ``held_row``)."""
    ne, ns, nd = sizes[0], sizes[1], sizes[2]
    n = y.shape[0]
    src_ptr, src_idx, src_val, effect, additive, moderated, necessary = links
    mod_ptr, mod_idx, mod_val = mods
    dly_ptr, dly_idx, dly_val = delays
    z_ptr, z_idx, z_val, times_ptr, times_idx, gap_ptr, gap_idx, f_ptr, f_idx, f_val, decided = flows
    weights, bias, rates, fall_rates, asym, flow_rates, steep, clip = numbers
    wr = weights[r if weights.shape[0] > 1 else 0]
    for i in range(n):
        yf[i] = y[i]
    vr = r if held_row.shape[1] > 1 else 0
    for j in range(held_idx.shape[0]):
        yf[held_idx[j]] = held_row[j, vr]
    br = bias[r]
    for i in range(ne):
        u[i] = br[i]
        nec[i] = 1.0
    for li in range(effect.shape[0]):
        z = _combine(src_ptr, src_idx, src_val, li, yf)
        w = wr[li]
        e = effect[li]
        if additive[li]:
            u[e] += z * w
        k = moderated[li]
        if k >= 0:
            m = 1.0 + _combine(mod_ptr, mod_idx, mod_val, k, yf)
            if m < 0.0:
                m = 0.0
            u[e] += z * w * (m - 1.0)
        if necessary[li]:
            nec[e] *= 1.0 - w + w * z
    p = steep[r if steep.shape[0] > 1 else 0]
    rr = rates[r]
    fr = fall_rates[r if fall_rates.shape[0] > 1 else 0]
    for i in range(ne):
        first = nec[i] * _saturate(u[i], p, clip) - yf[i]
        dy[i] = first * (fr[i] if asym and not first > 0 else rr[i])
    for j in range(nd - ne - ns):
        first = _combine(dly_ptr, dly_idx, dly_val, j, yf) - yf[ne + ns + j]
        dy[ne + ns + j] = first * (fr[ne + j] if asym and not first > 0 else rr[ne + j])
    if ns:
        for c in range(z_ptr.shape[0] - 1):
            zf[c] = _combine(z_ptr, z_idx, z_val, c, yf)
        for k in range(ns):
            ds[k] = 0.0
        qr = flow_rates[r]
        for f in range(times_ptr.shape[0] - 1):
            unit = 1.0
            for q in range(times_ptr[f], times_ptr[f + 1]):
                unit *= zf[times_idx[q]]
            for q in range(gap_ptr[f], gap_ptr[f + 1]):
                unit *= 1.0 - zf[gap_idx[q]]
            unit *= qr[f]
            for q in range(f_ptr[f], f_ptr[f + 1]):
                ds[f_idx[q]] += unit * f_val[q]
        for k in range(ns):
            level = yf[ne + k]
            d = ds[k]
            if (level >= 1.0 and d > 0.0) or (level <= 0.0 and d < 0.0):
                d = 0.0
            dy[ne + k] = d
    for i in range(nd, n):
        dy[i] = 0.0
    for j in range(decided.shape[0]):
        dy[decided[j]] = 0.0
    for j in range(held_idx.shape[0]):
        dy[held_idx[j]] = 0.0


@nb.njit(cache=True, nogil=True)
def _observe(y, yf, out, held_idx, held_row, r, obs_ptr, obs_idx, obs_val, states):
    n = y.shape[0]
    for i in range(n):
        yf[i] = y[i]
    vr = r if held_row.shape[1] > 1 else 0
    for j in range(held_idx.shape[0]):
        yf[held_idx[j]] = held_row[j, vr]
    if states:
        for i in range(n):
            out[i] = yf[i]
    else:
        for v in range(obs_ptr.shape[0] - 1):
            out[v] = _combine(obs_ptr, obs_idx, obs_val, v, yf)


@nb.njit(cache=True, nogil=True)
def integrate_segment(
    rk4, y, saved, save_rows, save_before, step_h, held_idx, held_steps, held_saves,
    observed, sizes, links, mods, delays, flows, numbers,
):  # fmt: skip
    """Step every run of ``y`` (runs, states) through one segment, in place, saving on the way.

    Step ``s`` is ``step_h[s]`` long; the save ``j`` is written to
    ``saved[save_rows[j], run]`` after ``save_before[j]`` steps. ``held_steps``
    gives the held states' values at each right-hand-side time (rk4: the step's
    start, middle and end; euler: its start), ``held_saves`` at each save.
    """
    obs_ptr, obs_idx, obs_val, states = observed
    n = y.shape[0 + 1]
    ne = sizes[0]
    n_steps = step_h.shape[0]
    n_saves = save_rows.shape[0]
    per_step = 3 if rk4 else 1
    yf = np.empty(n)
    u = np.empty(ne)
    nec = np.empty(ne)
    zf = np.empty(max(flows[0].shape[0] - 1, 1))
    ds = np.empty(max(sizes[1], 1))
    k1, k2, k3, k4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    stage = np.empty(n)
    for r in range(y.shape[0]):
        yr = y[r]
        j = 0
        for s in range(n_steps + 1):
            while j < n_saves and save_before[j] == s:
                _observe(yr, yf, saved[save_rows[j], r], held_idx, held_saves[j], r,
                         obs_ptr, obs_idx, obs_val, states)  # fmt: skip
                j += 1
            if s == n_steps:
                break
            h = step_h[s]
            row = s * per_step
            _rhs(yr, k1, yf, u, nec, zf, ds, held_idx, held_steps[row], r,
                 sizes, links, mods, delays, flows, numbers)  # fmt: skip
            if rk4:
                half = h / 2
                for i in range(n):
                    stage[i] = yr[i] + half * k1[i]
                _rhs(stage, k2, yf, u, nec, zf, ds, held_idx, held_steps[row + 1], r,
                     sizes, links, mods, delays, flows, numbers)  # fmt: skip
                for i in range(n):
                    stage[i] = k2[i] * half + yr[i]
                _rhs(stage, k3, yf, u, nec, zf, ds, held_idx, held_steps[row + 1], r,
                     sizes, links, mods, delays, flows, numbers)  # fmt: skip
                for i in range(n):
                    stage[i] = k3[i] * h + yr[i]
                _rhs(stage, k4, yf, u, nec, zf, ds, held_idx, held_steps[row + 2], r,
                     sizes, links, mods, delays, flows, numbers)  # fmt: skip
                sixth = h / 6
                for i in range(n):
                    yr[i] = (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) * sixth + yr[i]
            else:
                for i in range(n):
                    yr[i] = yr[i] + h * k1[i]
            for i in range(n):  # levels stay in [0, 1]: a step may overshoot a stock's bound
                yr[i] = min(max(yr[i], 0.0), 1.0)
