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
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from gmsim.errors import ModelError
from gmsim.factor.saturation import saturate

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
    if np.max(p) > 50.0:
        return saturate(u, p, out=u)
    np.clip(u, -1e3, 1e3, out=u)
    a = np.abs(u)
    a *= 2.0
    np.power(a, p, out=a)
    a += 1.0
    np.power(a, -1.0 / np.asarray(p, dtype=float), out=a)
    u *= a
    u += 0.5
    return u


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
        value_of: dict[str, np.ndarray] = {}

        def vector(fid: str) -> np.ndarray:
            if fid not in value_of:
                f = model.factor(fid)
                v = np.zeros(n)
                if f.kind == "composite":
                    total = sum(w for _, w in f.of)
                    for part, w in f.of:
                        v += (w / total) * vector(part)
                else:
                    v[index[fid]] = 1.0
                value_of[fid] = v
            return value_of[fid]

        self.vector = vector
        L = len(links)
        S = np.zeros((n, L))
        T = np.zeros((L, self.ne))
        for li, link in enumerate(links):
            key = (link.cause, float(link.delay), int(link.order))
            S[:, li] = np.eye(n)[chains[key][-1]] if link.delay > 0 else vector(link.cause)
            T[li, self.endo.index(link.effect)] = 1.0
        self.chains = chains
        D = np.zeros((n, self.nl))
        source = np.zeros((n, self.nl))
        self.delay_rate = np.zeros(self.nl)
        for (cause, delay, order), stages in chains.items():
            for k, s in enumerate(stages):
                j = s - first_stage
                D[:, j] = vector(cause) if k == 0 else np.eye(n)[stages[k - 1]]
                source[:, j] = vector(cause)
                self.delay_rate[j] = order / delay
        self.S, self.T, self.D, self.source = S, T, D, source
        self.O = np.column_stack([vector(fid) for fid in model.factor_ids])
        self.sparse = n > sparse_above
        additive = np.array([link.kind != "necessary" for link in links], dtype=bool)
        self.S_add = S * additive
        self.additive_mask = additive
        if self.sparse:
            self.S_sp, self.T_sp, self.D_sp = sp.csr_array(self.S_add), sp.csr_array(T), sp.csr_array(D)
            self.O_sp = sp.csr_array(self.O)
        # necessary links: c = 1 - w + w z, multiplied into N in layers
        self.nec = np.array([li for li, link in enumerate(links) if link.kind == "necessary"], dtype=int)
        self.S_nec = S[:, self.nec]
        effects = [self.endo.index(links[li].effect) for li in self.nec]
        self.nec_layers = layers([(e, k) for k, e in enumerate(effects)])
        self.nec_effects = np.array(effects, dtype=int)
        # moderated links: w_eff = w · max(0, 1 + M z)
        self.mod = np.array([li for li, link in enumerate(links) if link.moderated_by], dtype=int)
        self.S_mod, self.T_mod = S[:, self.mod], T[self.mod]
        self.M = np.zeros((n, len(self.mod)))
        for k, li in enumerate(self.mod):
            for m, strength in links[li].moderated_by:
                self.M[:, k] += strength * vector(m)
        self._flows(model, vector)
        self._decisions(model)

    def _flows(self, model: Model, vector) -> None:
        flows = model.flows
        used = list(dict.fromkeys(fid for f in flows for fid in (*f.times, *f.gap)))
        self.flow_factors = used
        self.Z = (
            np.column_stack([vector(fid) for fid in used]) if used else np.zeros((len(self.index), 0))
        )
        self.times_layers = layers([(i, used.index(x)) for i, f in enumerate(flows) for x in f.times])
        self.gap_layers = layers([(i, used.index(x)) for i, f in enumerate(flows) for x in f.gap])
        stocks = self.state_names[self.ne : self.ne + self.ns]
        self.F = np.zeros((len(flows), self.ns))
        for i, f in enumerate(flows):
            if f.into is not None:
                self.F[i, stocks.index(f.into)] += 1.0
            if f.from_ is not None:
                self.F[i, stocks.index(f.from_)] -= 1.0
        self.balanced = np.array([i for i, f in enumerate(flows) if f.balance], dtype=int)
        self.balanced_stock = np.array(
            [stocks.index(flows[i].balanced_stock) for i in self.balanced], dtype=int
        )

    def _decisions(self, model: Model) -> None:
        sim = model.simulation
        end = sim.start + DECISION_HORIZONS * (sim.stop - sim.start)
        times: dict[float, list[int]] = defaultdict(list)
        for i, f in enumerate(self.endo_factors):
            if not f.decided:
                continue
            k = 0
            while (t := sim.start + f.decide_offset + k * f.decide_every) <= end:
                if t > sim.start:
                    times[float(t)].append(i)
                k += 1
        self.decisions = dict(times)

    # -- pieces of the equations --------------------------------------------------------
    def rest_delays(self, x: np.ndarray) -> np.ndarray:
        """``x`` with every delay stage at rest on its cause's current level."""
        if self.nl:
            x = x.copy()
            x[:, self.ne + self.ns : self.nd] = x @ self.source
        return x

    def additive_matrix(self, weights: np.ndarray) -> np.ndarray:
        """``A = S diag(w) T`` (additive links only): ``y @ A`` is every additive input."""
        return (self.S_add * weights) @ self.T

    def moderation(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each moderated link's factor ``max(0, 1 + Σ m z)``, shape ``(batch, n_moderated)``."""
        return np.maximum(0.0, 1.0 + y @ self.M)

    def additive(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``Σ_j w_eff z_j`` for every endogenous factor (moderators applied)."""
        u = ((y @ self.S_add) * weights) @ self.T
        if self.mod.size:
            u += self._moderated(y, weights)
        return u

    def _moderated(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        w = weights[:, self.mod]
        return ((y @ self.S_mod) * w * (self.moderation(y, weights) - 1.0)) @ self.T_mod

    def conditions(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each necessary link's factor ``1 − w + w z``, shape ``(batch, n_necessary)``."""
        w = weights[:, self.nec]
        return 1.0 - w + w * (y @ self.S_nec)

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
                src = (self.S_sp.T @ y.T).T * w
                u = (self.T_sp.T @ src.T).T
                if self.nl:
                    hd = (self.D_sp.T @ y.T).T
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
        z = y @ self.Z
        value = np.ones((y.shape[0], self.F.shape[0]))
        for rows, cols in self.times_layers:
            value[:, rows] *= z[:, cols]
        for rows, cols in self.gap_layers:
            value[:, rows] *= 1.0 - z[:, cols]
        return value

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
        for k in range(self.ns):
            up, down = states.copy(), states.copy()
            up[:, self.ne + k] += h
            down[:, self.ne + k] -= h
            slope = (self.flow_units(up) - self.flow_units(down)) / (2 * h)
            out[k] = np.abs((slope * rates) @ self.F[:, k]).max()
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
