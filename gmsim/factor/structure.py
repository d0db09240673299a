"""The matrices and index tables of a compiled factor model, and its vectorized pieces.

States are ordered: endogenous factors, stocks, delay stages, exogenous factors.
``S`` maps states to link sources (composites and delay outputs folded in),
``T`` links to their effects, ``D`` states to delay-stage inputs and ``O``
states to reported variables. Necessary links, moderators and flows each keep
small matrices of their own and are applied in *layers*: groups in which no
effect (or flow) appears twice, so each layer is one vectorized product.

Examples
--------
>>> from gmsim.factor.model import Factor, Link, Model
>>> m = Model("m", (Factor("a", kind="exogenous"), Factor("b", tau=2.0)), (Link("a", "b", 0.5),))
>>> Structure(m, m.links).state_names
('b', 'a')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from gmsim.errors import ModelError
from gmsim.factor.saturation import saturate
from gmsim.limits import limit

if TYPE_CHECKING:
    from gmsim.factor.model import Link, Model

__all__ = ["Structure", "layers", "saturate_fast"]

DECISION_HORIZONS = 100
"""Decision times are listed up to this many model horizons past the start."""


def layers(pairs: Sequence[tuple[int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split ``(row, column)`` pairs into groups in which no row appears twice.

    Examples
    --------
    >>> [(r.tolist(), c.tolist()) for r, c in layers([(0, 5), (1, 6), (0, 7)])]
    [([0, 1], [5, 6]), ([0], [7])]
    """
    count: dict[int, int] = defaultdict(int)
    groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row, col in pairs:
        groups[count[row]].append((row, col))
        count[row] += 1
    return [
        (np.array([r for r, _ in g], dtype=int), np.array([c for _, c in g], dtype=int))
        for _, g in sorted(groups.items())
    ]


def saturate_fast(u: np.ndarray, p) -> np.ndarray:
    """``S_p(u)`` in place of ``u`` (see :func:`~gmsim.factor.saturation.saturate`).

    Examples
    --------
    >>> import numpy as np
    >>> saturate_fast(np.array([0.0, 0.25]), 2.0).round(4).tolist()
    [0.5, 0.7236]
    """
    scalar = isinstance(p, float)
    if not scalar or p > 8.0:
        if np.max(p) > 50.0:
            return saturate(u, p, out=u)
        np.clip(u, -1e3, 1e3, out=u)  # |2u|^p stays finite
    a = np.abs(u)
    a *= 2.0
    if scalar and p in (2.0, 4.0):  # powers by square roots: several times faster
        np.square(a, out=a)
        if p == 4.0:
            np.square(a, out=a)
        a += 1.0
        np.sqrt(a, out=a)
        if p == 4.0:
            np.sqrt(a, out=a)
        np.divide(u, a, out=u)
    else:
        if scalar and p == 2.5:
            root = np.sqrt(a)
            np.square(a, out=a)
            a *= root
        else:
            np.power(a, p, out=a)
        a += 1.0
        np.power(a, -1.0 / np.asarray(p, dtype=float), out=a)
        u *= a
    u += 0.5
    return u


def _columns(vectors: Sequence[dict[int, float]], n: int) -> sp.csc_array:
    """The ``n``-row matrix whose columns are ``vectors`` (``{row: value}``), in compressed columns."""
    ptr = np.zeros(len(vectors) + 1, dtype=np.int64)
    rows: list[int] = []
    values: list[float] = []
    for k, v in enumerate(vectors):
        for i in sorted(v):
            rows.append(i)
            values.append(v[i])
        ptr[k + 1] = len(rows)
    return sp.csc_array(
        (np.array(values, dtype=float), np.array(rows, dtype=np.int64), ptr), shape=(n, len(vectors))
    )


class Structure:
    """Index tables and matrices of a factor model with the given ``links`` (a scenario's added)."""

    def __init__(self, model: Model, links: Sequence[Link], *, sparse_above: int = 200):
        self.model = model
        self.endo_factors = model.endogenous
        self.endo = [f.id for f in self.endo_factors]
        stocks = [f.id for f in model.stocks]
        exo = [f.id for f in model.exogenous]
        chains: dict[tuple[str, float, int], list[int]] = {}
        stage_names: list[str] = []
        first_stage = len(self.endo) + len(stocks)
        for link in links:
            key = (link.cause, float(link.delay), int(link.order))
            if link.delay > 0 and key not in chains:
                chains[key] = []
                for k in range(link.order):
                    chains[key].append(first_stage + len(stage_names))
                    stage_names.append(f"{link.cause}~delay{link.delay:g}#{k + 1}")
        self.ne, self.ns, self.nl, self.nx = len(self.endo), len(stocks), len(stage_names), len(exo)
        self.nd = self.ne + self.ns + self.nl
        self.state_names = (*self.endo, *stocks, *stage_names, *exo)
        n = len(self.state_names)
        self.index = index = {name: i for i, name in enumerate(self.state_names)}
        by_id = {f.id: f for f in model.factors}
        value_of: dict[str, dict[int, float]] = {}

        def vector(fid: str) -> dict[int, float]:
            """The factor's level as ``{state: coefficient}`` (composites folded, in order).

            Parts before the composites made of them, with a stack: a chain of
            thousands of composites does not recurse.
            """
            stack, open_ = [fid], set()
            while stack:
                top = stack[-1]
                if top in value_of:
                    stack.pop()
                    continue
                f = by_id[top]
                if f.kind != "composite":
                    value_of[top] = {index[top]: 1.0}
                    stack.pop()
                    continue
                missing = [part for part, _ in f.of if part not in value_of]
                if missing and top not in open_:
                    open_.add(top)
                    stack.extend(reversed(missing))
                    continue
                if missing:  # refused by the model checks before: never folded forever
                    raise ModelError(f"composite '{top}' is made of itself through {missing[0]!r}")
                v: dict[int, float] = {}
                total = sum(w for _, w in f.of)
                for part, w in f.of:
                    for i, c in value_of[part].items():
                        v[i] = v.get(i, 0.0) + (w / total) * c
                value_of[top] = v
                stack.pop()
            return value_of[fid]

        L = len(links)
        endo_index = {fid: i for i, fid in enumerate(self.endo)}
        sources = []
        for link in links:
            key = (link.cause, float(link.delay), int(link.order))
            sources.append({chains[key][-1]: 1.0} if link.delay > 0 else vector(link.cause))
        self.S_all_sp = _columns(sources, n)
        effects_of = np.array([endo_index[link.effect] for link in links], dtype=np.int64)
        self.T_sp = sp.csr_array((np.ones(L), (np.arange(L), effects_of)), shape=(L, self.ne))
        self.chains = chains
        inputs, rests = [{} for _ in range(self.nl)], [{} for _ in range(self.nl)]
        self.delay_rate = np.zeros(self.nl)
        for (cause, delay, order), stages in chains.items():
            for k, s in enumerate(stages):
                j = s - first_stage
                inputs[j] = vector(cause) if k == 0 else {stages[k - 1]: 1.0}
                rests[j] = vector(cause)
                self.delay_rate[j] = order / delay
        self.D_sp, self.source_sp = _columns(inputs, n), _columns(rests, n)
        self.O_sp = _columns([vector(fid) for fid in model.factor_ids], n)
        self.sparse = n > sparse_above
        additive = np.array([link.kind != "necessary" for link in links], dtype=bool)
        self.additive_mask = additive
        self.S_sp = _columns([v if a else {} for v, a in zip(sources, additive, strict=True)], n)
        self.S_add_sp = self.S_sp
        # necessary links: c = 1 - w + w z, multiplied into N in layers
        self.nec = np.array([li for li, link in enumerate(links) if link.kind == "necessary"], dtype=int)
        self.S_nec_sp = _columns([sources[li] for li in self.nec], n)
        effects = [int(effects_of[li]) for li in self.nec]
        self.nec_layers = layers([(e, k) for k, e in enumerate(effects)])
        self.nec_effects = np.array(effects, dtype=int)
        # moderated links: w_eff = w · max(0, 1 + M z)
        self.mod = np.array([li for li, link in enumerate(links) if link.moderated_by], dtype=int)
        self.S_mod_sp = _columns([sources[li] for li in self.mod], n)
        self.T_mod_sp = (
            sp.csr_array(self.T_sp[self.mod]) if self.mod.size else sp.csr_array((0, self.ne))
        )
        moderators = []
        for li in self.mod:
            v: dict[int, float] = {}
            for m, strength in links[li].moderated_by:
                for i, c in vector(m).items():
                    v[i] = v.get(i, 0.0) + strength * c
            moderators.append(v)
        self.M_sp = _columns(moderators, n)
        self._flows(model, vector)
        self._decisions(model)
        self.values = value_of  # factor id -> its level as {state: coefficient}
        self._transposed: dict[str, sp.csr_array] = {}

    def vector(self, fid: str) -> np.ndarray:
        """A factor's level as a linear function of the states (composites folded)."""
        v = np.zeros(len(self.state_names))
        for i, c in self.values[fid].items():
            v[i] = c
        return v

    # dense forms, built only when asked for (the dense path, small models)
    S = cached_property(lambda self: self.S_all_sp.toarray())
    T = cached_property(lambda self: self.T_sp.toarray())
    D = cached_property(lambda self: self.D_sp.toarray())
    source = cached_property(lambda self: self.source_sp.toarray())
    O = cached_property(lambda self: self.O_sp.toarray())  # noqa: E741 (the paper's name)
    S_add = cached_property(lambda self: self.S * self.additive_mask)
    S_nec = cached_property(lambda self: self.S[:, self.nec])
    S_mod = cached_property(lambda self: self.S[:, self.mod])
    T_mod = cached_property(lambda self: self.T[self.mod])
    M = cached_property(lambda self: self.M_sp.toarray())
    Z = cached_property(lambda self: self.Z_sp.toarray())

    def _dot(self, y: np.ndarray, name: str) -> np.ndarray:
        """``y @ X`` of the matrix named ``name``: its sparse form above the threshold."""
        if not self.sparse:
            return y @ getattr(self, name)
        if name not in self._transposed:
            self._transposed[name] = sp.csr_array(getattr(self, f"{name}_sp").T)
        return (self._transposed[name] @ y.T).T

    def _flows(self, model: Model, vector) -> None:
        flows = model.flows
        used = list(dict.fromkeys(fid for f in flows for fid in (*f.times, *f.gap)))
        self.flow_factors = used
        column = {fid: c for c, fid in enumerate(used)}
        self.Z_sp = _columns([vector(fid) for fid in used], len(self.index))
        self.times_layers = layers([(i, column[x]) for i, f in enumerate(flows) for x in f.times])
        self.gap_layers = layers([(i, column[x]) for i, f in enumerate(flows) for x in f.gap])
        # each flow's factors as columns of [z, 1 - z, 1]: its times, then its gaps, padded with 1
        nz, most = len(used), max((len(f.times) + len(f.gap) for f in flows), default=0)
        self.flow_gather = np.full((len(flows), most), 2 * nz, dtype=np.intp)
        for i, f in enumerate(flows):
            cols = [column[x] for x in f.times] + [nz + column[x] for x in f.gap]
            self.flow_gather[i, : len(cols)] = cols
        stocks = self.state_names[self.ne : self.ne + self.ns]
        self.F = np.zeros((len(flows), self.ns))
        for i, f in enumerate(flows):
            if f.into is not None:
                self.F[i, stocks.index(f.into)] += 1.0
            if f.from_ is not None:
                self.F[i, stocks.index(f.from_)] -= 1.0
        self.F_sp = sp.csr_array(self.F)
        self.balanced = np.array([i for i, f in enumerate(flows) if f.balance], dtype=int)
        self.balanced_stock = np.array(
            [stocks.index(flows[i].balanced_stock) for i in self.balanced], dtype=int
        )

    def _decisions(self, model: Model) -> None:
        sim = model.simulation
        end = sim.start + DECISION_HORIZONS * (sim.stop - sim.start)
        times: dict[float, list[int]] = defaultdict(list)
        most = limit("events")  # a run with more breakpoints is refused (solve), so list no more
        for i, f in enumerate(self.endo_factors):
            if not f.decided:
                continue
            k = 0
            while (t := sim.start + f.decide_offset + k * f.decide_every) <= end and k <= most + 1:
                if t > sim.start:
                    times[float(t)].append(i)
                k += 1
        self.decisions = dict(times)
        self.decision_times = tuple(sorted(times))

    # -- pieces of the equations --------------------------------------------------------
    def rest_delays(self, x: np.ndarray) -> np.ndarray:
        """``x`` with every delay stage at rest on its cause's current level."""
        if self.nl:
            x = x.copy()
            x[:, self.ne + self.ns : self.nd] = self._dot(x, "source")
        return x

    def additive_matrix(self, weights: np.ndarray) -> np.ndarray:
        """``A = S diag(w) T`` (additive links only): ``y @ A`` is every additive input."""
        return (self.S_add * weights) @ self.T

    def shared_matrix(self, weights: np.ndarray):
        """``[A | D]`` for weights shared by every run: dense, or above the threshold the
        compressed rows of its transpose (built from the sparse forms, never dense)."""
        if not self.sparse:
            return np.hstack([self.additive_matrix(weights), self.D])
        A = sp.csr_array(self.S_sp.multiply(np.asarray(weights)[None, :])) @ self.T_sp
        return sp.csr_array(sp.hstack([A, self.D_sp]).T)

    def moderation(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each moderated link's factor ``max(0, 1 + Σ m z)``, shape ``(batch, n_moderated)``."""
        return np.maximum(0.0, 1.0 + self._dot(y, "M"))

    def additive(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``Σ_j w_eff z_j`` for every endogenous factor (moderators applied)."""
        u = self._dot(self._dot(y, "S_add") * weights, "T")
        if self.mod.size:
            u += self._moderated(y, weights)
        return u

    def _moderated(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        w = weights[:, self.mod]
        return self._dot(self._dot(y, "S_mod") * w * (self.moderation(y, weights) - 1.0), "T_mod")

    def conditions(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each necessary link's factor ``1 − w + w z``, shape ``(batch, n_necessary)``."""
        w = weights[:, self.nec]
        return 1.0 - w + w * self._dot(y, "S_nec")

    def necessity(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``N`` of every endogenous factor (1 without necessary links), ``(batch, n_endo)``."""
        N = np.ones((y.shape[0], self.ne))
        if self.nec.size:
            c = self.conditions(y, weights)
            for rows, cols in self.nec_layers:
                N[:, rows] *= c[:, cols]
        return N

    def inputs(self, y: np.ndarray, params) -> tuple[np.ndarray, np.ndarray | None]:
        """Targets ``x*`` of the endogenous factors and inputs of the delay stages."""
        ne = self.ne
        m = params.matrix
        hd = None
        if m is None:
            w = params.weights
            if self.sparse:
                src = self._dot(y, "S_add") * w
                u = self._dot(src, "T")
                if self.nl:
                    hd = self._dot(y, "D")
            else:
                src = y @ self.S_add
                src *= w
                u = src @ self.T
                if self.nl:
                    hd = y @ self.D
        else:
            h = (m @ y.T).T if self.sparse else y @ m
            u, hd = h[:, :ne], h[:, ne:]
        if self.mod.size:
            u += self._moderated(y, params.weights)
        u += params.bias
        target = saturate_fast(u, params.steepness)
        if self.nec.size:
            target *= self.necessity(y, params.weights)
        return target, hd

    def flow_units(self, y: np.ndarray) -> np.ndarray:
        """Each flow per unit of its rate, ``Π times · Π (1 − gap)``, shape ``(batch, n_flows)``."""
        z = self._dot(y, "Z")
        nz = z.shape[1]
        factors = np.empty((y.shape[0], 2 * nz + 1))
        factors[:, :nz] = z
        np.subtract(1.0, z, out=factors[:, nz : 2 * nz])
        factors[:, 2 * nz] = 1.0
        # (batch, flows, most factors of a flow), multiplied in the kernel's order: times, then gaps
        return factors[:, self.flow_gather].prod(axis=2)

    def stock_change(self, y: np.ndarray, rates: np.ndarray) -> np.ndarray:
        """``dS/dt`` of every stock, held at 0 where it would leave [0, 1]."""
        dS = (self.flow_units(y) * rates) @ self.F
        level = y[:, self.ne : self.ne + self.ns]
        dS[((level >= 1.0) & (dS > 0)) | ((level <= 0.0) & (dS < 0))] = 0.0
        return dS

    def stock_rate_bound(self, rates: np.ndarray, states: np.ndarray) -> np.ndarray:
        """Each stock's rate of change per unit of its own level, the largest over ``states``.

        This is ``|∂(dS/dt)/∂S| = |Σ_f ±rate_f · ∂(Π times · Π (1 − gap))/∂S|`` at the
        states a run lives between (its start and its reference), for step-size checks.
        It replaced the bound ``Σ rate_f``, which assumed every other factor of a flow at 1
        and refused steps a hundred times shorter than any run needed.
        """
        if not rates.size or not self.ns:
            return np.zeros(self.ns)
        out = np.zeros(self.ns)
        h = 1e-6
        S, n = states.shape
        per_call = max(1, 2**20 // (2 * S * n))  # stocks perturbed in one call: arrays of ~8 MB
        for first in range(0, self.ns, per_call):
            k = np.arange(first, min(first + per_call, self.ns))
            nudge = np.zeros((2, k.size, 1, n))
            nudge[0, np.arange(k.size), 0, self.ne + k] = h
            nudge[1, np.arange(k.size), 0, self.ne + k] = -h
            units = self.flow_units((states[None, None] + nudge).reshape(-1, n))
            units = units.reshape(2, k.size, S, -1)
            slope = (units[0] - units[1]) / (2 * h)  # (stocks, states, flows)
            change = np.einsum("ksf,fk->ks", slope * rates, self.F[:, k])
            out[k] = np.abs(change).max(axis=1)
        return out

    def balance_rates(self, ref: np.ndarray, rates: np.ndarray) -> np.ndarray:
        """``rates`` with each balanced flow's rate solved so its stock rests at ``ref``."""
        if not self.balanced.size:
            return rates
        g = self.flow_units(ref)
        others = rates.copy()
        others[:, self.balanced] = 0.0
        rhs = -((others * g) @ self.F)[:, self.balanced_stock]
        M = self.F[np.ix_(self.balanced, self.balanced_stock)].T[None] * g[:, None, self.balanced]
        try:
            solved = np.linalg.solve(M, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:
            names = ", ".join(self.model.flows[i].name for i in self.balanced)
            raise ModelError(
                f"the balanced flows ({names}) are 0 at the reference levels, so no rate keeps "
                "their stocks at rest; check their `times` and `gap` factors' references"
            ) from None
        rates = rates.copy()
        rates[:, self.balanced] = np.maximum(solved, 0.0)
        return rates
