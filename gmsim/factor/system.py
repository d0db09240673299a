"""Compile a factor-graph :class:`~gmsim.factor.model.Model` into a :class:`~gmsim.core.system.System`.

The equations (README, "The equations")::

    u_i     = b_i + Σ_j w_ij · z_j         z_j: the cause's level, or its delayed level
    dx_i/dt = (σ(λ·u_i) − x_i) / τ_i        σ(u) = 1 / (1 + e^(−u))

Exogenous factors are states with zero derivative (so events can move them);
composites are weighted means of other factors; a link with ``delay = d`` and
``order = n`` sees its cause through ``n`` first-order stages of time ``d/n``
each (SMOOTH for n = 1, SMOOTH3 for n = 3).

Everything linear folds into matrices built once: ``S`` (states -> link
sources, composites and delay outputs folded in), ``T`` (links -> effects),
``D`` (states -> delay-stage inputs) and ``O`` (states -> reported variables).
With weights shared by all runs, ``A = λ·S·diag(w)·T`` and one matrix product
gives every input; with per-run weights the product is ``((y S) * w) T``.
Above :data:`SPARSE_ABOVE` states the matrices are scipy sparse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logit

from gmsim.core.system import Interventions, Params, System
from gmsim.errors import ModelError, did_you_mean
from gmsim.factor.ranges import RANGES

if TYPE_CHECKING:
    from gmsim.factor.model import Model

__all__ = ["SPARSE_ABOVE", "FactorParams", "FactorSystem", "compile_model"]

SPARSE_ABOVE = 200
"""Models with more states than this use scipy sparse matrices."""


@dataclass
class FactorParams(Params):
    """Per-run numbers of a factor system (rows = runs)."""

    weights: np.ndarray | None = None  # (B, L), the links' weights
    tau: np.ndarray | None = None  # (B, n_endo)
    bias: np.ndarray | None = None  # (B, n_endo), b_i before λ
    x0: np.ndarray | None = None  # (B, n_states)
    rates: np.ndarray | None = None  # (B, n_dynamic): 1/τ, then delay-stage rates
    lam_bias: np.ndarray | None = None  # (B, n_endo) = λ·b
    lam_weights: np.ndarray | None = None  # (B, L) = λ·w, for per-run weights
    matrix: object = None  # shared input matrix [λA | D], dense or sparse; None if per-run weights


class FactorSystem(System):
    """A factor-graph model compiled for the engine (see the module docstring)."""

    bounds = (0.0, 1.0)

    def __init__(self, model: Model, interventions: Interventions | None = None):
        iv = interventions or Interventions()
        self.model = model
        self.interventions = iv
        self.name = model.name
        self.simulation = model.simulation
        self.time_unit = model.time_unit or "month"
        self.value_label = "level (0-1)"
        self.steepness = float(model.dynamics.steepness)
        self.equilibrium = bool(model.dynamics.equilibrium)

        endo = [f.id for f in model.endogenous]
        exo = [f.id for f in model.exogenous]
        links = list(model.links) + [
            type(link)(**{**link.__dict__, "weight": 0.0}) for link in iv.added_links
        ]
        self.links = tuple(links)
        self.link_names = tuple(f"{link.cause}->{link.effect}" for link in links)
        self.added_weights = {f"{link.cause}->{link.effect}": link.weight for link in iv.added_links}

        chains: dict[tuple[str, float, int], list[int]] = {}
        stage_names: list[str] = []
        for link in links:
            key = (link.cause, float(link.delay), int(link.order))
            if link.delay > 0 and key not in chains:
                chains[key] = []
                for k in range(link.order):
                    chains[key].append(len(endo) + len(stage_names))
                    stage_names.append(f"{link.cause}~delay{link.delay:g}#{k + 1}")

        self.n_endo, self.n_delay, self.n_exo = len(endo), len(stage_names), len(exo)
        self.n_dynamic = self.n_endo + self.n_delay
        self.state_names = (*endo, *stage_names, *exo)
        self.variable_names = model.factor_ids
        self.groups = {f.id: f.group for f in model.factors}
        self.labels = {f.id: f.label for f in model.factors}
        self.kinds = {f.id: f.kind for f in model.factors}
        self.graph = model.graph()
        for link in iv.added_links:
            self.graph.add_edge(
                link.cause,
                link.effect,
                weight=link.weight,
                sign=link.sign,
                delay=link.delay,
                kind="link",
                source=link.source,
            )
        n = len(self.state_names)
        index = {name: i for i, name in enumerate(self.state_names)}
        self._index = index

        # the value of each factor as a vector over states (composites folded)
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

        S = np.zeros((n, len(links)))
        T = np.zeros((len(links), self.n_endo))
        for li, link in enumerate(links):
            key = (link.cause, float(link.delay), int(link.order))
            if link.delay > 0:
                S[chains[key][-1], li] = 1.0
            else:
                S[:, li] = vector(link.cause)
            T[li, endo.index(link.effect)] = 1.0
        D = np.zeros((n, self.n_delay))  # inputs of delay stages
        source = np.zeros((n, self.n_delay))  # each stage's cause (for the resting start)
        delay_rate = np.zeros(self.n_delay)
        for (cause, delay, order), stages in chains.items():
            for k, s in enumerate(stages):
                j = s - self.n_endo
                D[:, j] = vector(cause) if k == 0 else np.eye(n)[stages[k - 1]]
                source[:, j] = vector(cause)
                delay_rate[j] = order / delay
        observed = np.column_stack([vector(fid) for fid in self.variable_names])
        self._sparse = n > SPARSE_ABOVE
        self._S, self._T, self._D = S, T, D
        self._source, self._delay_rate, self._O = source, delay_rate, observed
        if self._sparse:
            self._S_sp, self._T_sp, self._D_sp = sp.csr_array(S), sp.csr_array(T), sp.csr_array(D)
            self._O_sp = sp.csr_array(observed)

    # -- parameters ---------------------------------------------------------------------
    def parameter_names(self) -> tuple[str, ...]:
        """``weight:<cause>-><effect>``, ``tau:<factor>`` and ``initial:<factor>`` names.

        Examples
        --------
        >>> import gmsim
        >>> names = gmsim.load_model().compile().parameter_names()
        >>> "weight:leadership_attention->funding" in names, "tau:funding" in names
        (True, True)
        """
        return (
            *(f"weight:{name}" for name in self.link_names),
            *(f"tau:{fid}" for fid in self.state_names[: self.n_endo]),
            *(f"initial:{fid}" for fid in self._factor_states()),
        )

    def parameter_ranges(self) -> dict[str, tuple[float, float]]:
        """The values each parameter may take, ``name -> (low, high)`` (:data:`~gmsim.factor.ranges.RANGES`).

        Examples
        --------
        >>> import gmsim
        >>> ranges = gmsim.load_model().compile().parameter_ranges()
        >>> ranges["weight:leadership_attention->funding"], ranges["initial:funding"]
        ((-1.0, 1.0), (0.0, 1.0))
        """
        return {name: RANGES[name.partition(":")[0]] for name in self.parameter_names()}

    def parameter_values(self) -> dict[str, float]:
        """Each parameter's value in the model as written (a scenario's added link: its weight).

        Examples
        --------
        >>> import gmsim
        >>> gmsim.load_model().compile().parameter_values()["tau:funding"]
        4.0
        """
        weights = {
            name: float(link.weight) for name, link in zip(self.link_names, self.links, strict=True)
        }
        weights.update((name, float(w)) for name, w in self.added_weights.items())
        factor = self.model.factor
        return {
            **{f"weight:{name}": w for name, w in weights.items()},
            **{f"tau:{fid}": float(factor(fid).tau) for fid in self.state_names[: self.n_endo]},
            **{f"initial:{fid}": float(factor(fid).initial) for fid in self._factor_states()},
        }

    def _factor_states(self) -> list[str]:
        return [*self.state_names[: self.n_endo], *self.state_names[self.n_dynamic :]]

    def _column(self, name: str) -> tuple[str, int]:
        kind, _, target = name.partition(":")
        table = {
            "weight": self.link_names,
            "tau": self.state_names[: self.n_endo],
            "initial": tuple(self._factor_states()),
        }
        if kind not in table or target not in table[kind]:
            raise ModelError(
                f"unknown parameter '{name}'{did_you_mean(name, self.parameter_names())}; "
                "parameters are named weight:<cause>-><effect>, tau:<factor>, initial:<factor>"
            )
        col = table[kind].index(target)
        return kind, (self._index[target] if kind == "initial" else col)

    def parameters(
        self, batch: Mapping[str, Sequence[float] | np.ndarray] | None = None
    ) -> FactorParams:
        """Numbers for one run, or one run per row of ``batch``.

        Biases are solved for rest at the initial state (when the model asks for
        equilibrium) from the batch's own weights and initial levels; the
        interventions' overrides are applied after that.

        Examples
        --------
        >>> import gmsim
        >>> system = gmsim.load_model().compile()
        >>> p = system.parameters({"tau:funding": [3.0, 6.0, 12.0]})
        >>> p.batch, p.tau.shape[0]
        (3, 3)
        """
        batch = dict(batch or {})
        sizes = {len(np.atleast_1d(v)) for v in batch.values()}
        if len(sizes) > 1:
            raise ModelError(f"batch columns differ in length: {sorted(sizes)}")
        B = sizes.pop() if sizes else 1
        model = self.model
        weights = np.tile([link.weight for link in self.links], (B, 1)).astype(float)
        tau = np.tile([model.factor(f).tau for f in self.state_names[: self.n_endo]], (B, 1))
        x0 = np.zeros((B, len(self.state_names)))
        for fid in self._factor_states():
            x0[:, self._index[fid]] = model.factor(fid).initial
        per_run_weights = False
        for name, values in batch.items():
            kind, col = self._column(name)
            values = np.asarray(values, dtype=float)
            if not np.isfinite(values).all():
                run = int(np.argmin(np.isfinite(values)))
                raise ModelError(
                    f"batch column '{name}' is {values[run]} in run {run}; values must be finite"
                )
            low, high = {"weight": (-1.0, 1.0), "tau": (0.0, np.inf), "initial": (0.0, 1.0)}[kind]
            bad = (values < low) | (values > high) | ((values == 0.0) & (kind == "tau"))
            if bad.any():
                run = int(np.argmax(bad))
                raise ModelError(
                    f"batch column '{name}' is {values[run]:g} in run {run}; "
                    + {
                        "weight": "weights must be in [-1, 1]",
                        "tau": "tau must be > 0",
                        "initial": "initial levels must be in [0, 1]",
                    }[kind]
                )
            {"weight": weights, "tau": tau, "initial": x0}[kind][:, col] = values
            per_run_weights |= kind == "weight"
        x0 = self._rest_delays(x0)
        if self.equilibrium:
            target = logit(np.clip(x0[:, : self.n_endo], 1e-12, 1 - 1e-12)) / self.steepness
            bias = target - ((x0 @ self._S) * weights) @ self._T
        else:
            bias = np.tile(
                [model.factor(f).bias or 0.0 for f in self.state_names[: self.n_endo]], (B, 1)
            )
        overrides = {f"weight:{k}": v for k, v in self.added_weights.items()}
        overrides.update(self.interventions.overrides)
        for name, value in overrides.items():
            kind, col = self._column(name)
            {"weight": weights, "tau": tau, "initial": x0}[kind][:, col] = value
            per_run_weights |= kind == "weight" and np.ndim(value) > 0
        x0 = self._rest_delays(x0)
        return self._assemble(B, weights, tau, bias, x0, shared=not per_run_weights)

    def _rest_delays(self, x0: np.ndarray) -> np.ndarray:
        if self.n_delay:
            x0 = x0.copy()
            x0[:, self.n_endo : self.n_dynamic] = x0 @ self._source
        return x0

    def _assemble(self, B, weights, tau, bias, x0, *, shared: bool) -> FactorParams:
        lam = self.steepness
        rates = np.concatenate([1.0 / tau, np.tile(self._delay_rate, (B, 1))], axis=1)
        matrix = None
        if shared:
            A = lam * (self._S * weights[0]) @ self._T
            full = np.hstack([A, self._D])
            matrix = sp.csr_array(full.T) if self._sparse else full
        return FactorParams(
            batch=B,
            forcings=self.interventions.forcings,
            events=self.interventions.events,
            weights=weights,
            tau=tau,
            bias=bias,
            x0=x0,
            rates=rates,
            lam_bias=lam * bias,
            lam_weights=None if shared else lam * weights,
            matrix=matrix,
        )

    # -- the engine's interface -----------------------------------------------------------
    def initial_state(self, params: FactorParams) -> np.ndarray:
        return params.x0.copy()

    def _forced(self, t: float, y: np.ndarray, params: Params) -> tuple[np.ndarray, list]:
        """``y`` with held states replaced by their paths' values, and the held (index, value)s."""
        held = self.held(t, params) if params.forcings else []
        if held:
            y = y.copy()
            for i, value in held:
                y[:, i] = value
        return y, held

    def rhs(self, t: float, y: np.ndarray, params: FactorParams) -> np.ndarray:
        """dy/dt for every run at once; ``y`` has shape ``(batch, n_states)``."""
        y, held = self._forced(t, y, params)
        ne, nd = self.n_endo, self.n_dynamic
        m = params.matrix
        # h: inputs of the dynamic states; its first n_endo columns become σ(λu)
        if m is None:  # per-run weights
            if self._sparse:
                src = (self._S_sp.T @ y.T).T
                u = (self._T_sp.T @ (src * params.lam_weights).T).T
                h = np.concatenate([u, (self._D_sp.T @ y.T).T], axis=1)
            else:
                src = y @ self._S
                src *= params.lam_weights
                h = np.empty((y.shape[0], nd))
                np.matmul(src, self._T, out=h[:, :ne])
                if nd > ne:
                    np.matmul(y, self._D, out=h[:, ne:])
        elif self._sparse:
            h = (m @ y.T).T
        else:
            h = y @ m
        head = h[:, :ne]
        head += params.lam_bias
        expit(head, out=head)
        h -= y[:, :nd]
        dy = np.empty_like(y)
        np.multiply(h, params.rates, out=dy[:, :nd])
        dy[:, nd:] = 0.0
        for i, _ in held:
            dy[:, i] = 0.0
        return dy

    def observe(self, t: float, y: np.ndarray, params: FactorParams) -> np.ndarray:
        """Levels of every factor (composites included), shape ``(batch, n_factors)``."""
        y, _ = self._forced(t, y, params)
        if self._sparse:
            return (self._O_sp.T @ y.T).T
        return y @ self._O

    def time_constants(self, params: FactorParams) -> np.ndarray:
        return 1.0 / params.rates.max(axis=0) if params.rates.size else np.array([])

    def value_vector(self, factor: str) -> np.ndarray:
        """A factor's level as a linear function of the states (composites folded)."""
        return self._O[:, self.variable_names.index(factor)]

    def link_gains(
        self, t: float, y: np.ndarray, params: FactorParams
    ) -> dict[tuple[str, str], np.ndarray]:
        """``∂effect/∂cause`` of every link at states ``y`` (rows, all at time ``t``), for loop dominance.

        For a factor (a stock) the partial derivative of its net flow, for a
        composite that of its value. A delayed link is its chain of delay
        stages (states named ``<cause>~delay<d>#<k>``), one entry per stage;
        each factor and stage has its own adjustment entry ``(x, x)``. A state
        held by a forcing does not respond to its causes: its entries are 0.
        ``params`` are the numbers of one run; the result has one gain per row.

        Examples
        --------
        >>> import gmsim
        >>> system = gmsim.load_model().compile()
        >>> p = system.parameters()
        >>> gains = system.link_gains(0.0, system.initial_state(p), p)
        >>> tau = p.tau[0, system.state_index("funding")]
        >>> bool(gains["funding", "funding"][0] == -1 / tau), len(gains["funding", "training"])
        (True, 1)
        """
        return self.link_gains_batch(np.full(len(y), float(t)), y, params)

    def link_gains_batch(
        self, time: np.ndarray, y: np.ndarray, params: FactorParams
    ) -> dict[tuple[str, str], np.ndarray]:
        """:meth:`link_gains` with one time per row of ``y``: the saved states of a run in one call."""
        ne, nd = self.n_endo, self.n_dynamic
        names, endo = self.state_names, self.state_names[:ne]
        weights, tau, rates = params.weights[0], params.tau[0], params.rates[0]
        lam = self.steepness
        sig = expit(params.lam_bias[0] + lam * ((y @ self._S) * weights) @ self._T)
        slope = lam * sig * (1.0 - sig) / tau  # λσ'(λu)/τ
        free = np.ones(y.shape, dtype=bool)
        for f in params.forcings:
            if f.variable in self._index:
                free[:, self._index[f.variable]] &= [not f.active(tk) for tk in time]
        gains: dict[tuple[str, str], np.ndarray] = {}
        for li, link in enumerate(self.links):
            source = link.cause
            if link.delay > 0:  # walk back from the last stage through the stages' inputs
                chain = [int(np.argmax(self._S[:, li]))]
                while True:
                    prev = np.flatnonzero(self._D[:, chain[0] - ne])
                    if len(prev) != 1 or not ne <= prev[0] < nd or self._D[prev[0], chain[0] - ne] != 1:
                        break
                    chain.insert(0, int(prev[0]))
                for stage in chain:
                    gains.setdefault((source, names[stage]), rates[stage] * free[:, stage])
                    source = names[stage]
            i = self._index[link.effect]  # endogenous factors are the first states
            gains.setdefault((source, link.effect), slope[:, i] * weights[li] * free[:, i])
        for i, fid in enumerate(endo):
            gains.setdefault((fid, fid), -1.0 / tau[i] * free[:, i])
        for s in range(ne, nd):
            gains.setdefault((names[s], names[s]), -rates[s] * free[:, s])
        for f in self.model.composites:
            total = sum(w for _, w in f.of)
            for part, w in f.of:
                gains.setdefault((part, f.id), np.full(len(y), w / total))
        return gains


def compile_model(model: Model, interventions: Interventions | None = None) -> FactorSystem:
    """Compile a factor model (and optionally a scenario's interventions) for the engine.

    Examples
    --------
    >>> import gmsim
    >>> system = gmsim.compile_model(gmsim.load_model())
    >>> system.n_endo > 20
    True
    """
    return FactorSystem(model, interventions)
