"""Exact link gains of a compiled factor model, for loop dominance.

``∂(dx_effect/dt)/∂cause`` for every edge of the causal graph (see
:meth:`gmsim.factor.system.FactorSystem.link_gains`): the saturation slope,
necessary conditions, moderators, flows into and out of stocks, and the rise or
fall rate chosen by the sign of ``x* − x``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gmsim.factor.saturation import saturate, saturation_slope

if TYPE_CHECKING:
    from gmsim.factor.system import FactorParams, FactorSystem

__all__ = ["link_gains_batch"]


def link_gains_batch(
    system: FactorSystem, time: np.ndarray, y: np.ndarray, params: FactorParams
) -> dict[tuple[str, str], np.ndarray]:
    """The gains of every link at states ``y`` (one time per row), from the numbers of one run."""
    st = system.structure
    ne, ns, nd = st.ne, st.ns, st.nd
    names = st.state_names
    links = system.links
    one = params.subset(slice(0, 1))
    p = (
        np.asarray(one.steepness, dtype=float).reshape(-1)[0]
        if np.ndim(one.steepness)
        else one.steepness
    )
    weights = np.repeat(one.weights, len(y), axis=0)
    rise = np.repeat(one.rates, len(y), axis=0)
    fall = rise if one.fall_rates is None else np.repeat(one.fall_rates, len(y), axis=0)
    bias = np.repeat(one.bias, len(y), axis=0)
    u = st.additive(y, weights) + bias
    N = st.necessity(y, weights)
    target = N * saturate(u, p)
    rate = np.where(target > y[:, :ne], rise[:, :ne], fall[:, :ne])
    for i in system._decided:
        rate[:, i] = 0.0
    free = np.ones(y.shape, dtype=bool)
    for f in params.forcings:
        if f.variable in st.index:
            free[:, st.index[f.variable]] &= [not f.active(tk) for tk in time]
    dx_du = rate * N * saturation_slope(u, p) * free[:, :ne]  # ∂(dx/dt)/∂u
    gains: dict[tuple[str, str], np.ndarray] = {}

    def add(key, value):
        gains[key] = gains[key] + value if key in gains else value

    mod_factor = st.moderation(y, weights) if st.mod.size else None
    mod_col = {int(li): k for k, li in enumerate(st.mod)}
    cond = st.conditions(y, weights) if st.nec.size else None
    nec_col = {int(li): k for k, li in enumerate(st.nec)}
    delay_rates = rise[:, ne:]
    for li, link in enumerate(links):
        source = link.cause
        if link.delay > 0:
            chain = st.chains[(link.cause, float(link.delay), int(link.order))]
            for s in chain:
                j = s - (ne + ns)
                gains.setdefault((source, names[s]), delay_rates[:, j] * free[:, s])
                source = names[s]
        i = st.index[link.effect]
        w = weights[:, li]
        if link.kind == "necessary":
            k = nec_col[li]
            others = np.ones(len(y))
            for kk in range(len(st.nec)):
                if kk != k and st.nec_effects[kk] == i:
                    others = others * cond[:, kk]
            gain = rate[:, i] * others * saturate(u[:, i], p) * w * free[:, i]
            add((source, link.effect), gain)
            continue
        if li in mod_col:
            k = mod_col[li]
            add((source, link.effect), dx_du[:, i] * w * mod_factor[:, k])
            z = y @ st.S_mod[:, k]
            active = (1.0 + y @ st.M[:, k]) > 0
            for m, strength in link.moderated_by:
                add((m, link.effect), dx_du[:, i] * w * strength * z * active)
        else:
            add((source, link.effect), dx_du[:, i] * w)
    for i, fid in enumerate(st.endo):
        add((fid, fid), -rate[:, i] * free[:, i])
    for s in range(ne + ns, nd):
        gains.setdefault((names[s], names[s]), -delay_rates[:, s - ne - ns] * free[:, s])
    if ns:
        _flow_gains(system, y, one.flow_rates[0], free, add)
    for f in system.model.composites:
        total = sum(w for _, w in f.of)
        for part, w in f.of:
            gains.setdefault((part, f.id), np.full(len(y), w / total))
    return gains


def _flow_gains(system, y, rates, free, add) -> None:
    st = system.structure
    z = y @ st.Z
    for fi, flow in enumerate(system.model.flows):
        terms = [(x, 1.0) for x in flow.times] + [(x, -1.0) for x in flow.gap]
        levels = [z[:, st.flow_factors.index(x)] if sign > 0 else 1 - z[:, st.flow_factors.index(x)]
                  for x, sign in terms]  # fmt: skip
        for k, (x, sign) in enumerate(terms):
            others = np.ones(len(y))
            for kk, level in enumerate(levels):
                if kk != k:
                    others = others * level
            for stock, direction in ((flow.into, 1.0), (flow.from_, -1.0)):
                if stock is not None:
                    s = st.index[stock]
                    add((x, stock), direction * sign * rates[fi] * others * free[:, s])
