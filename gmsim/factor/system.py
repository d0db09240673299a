"""Compile a factor-graph :class:`~gmsim.factor.model.Model` into a :class:`~gmsim.core.system.System`.

The equations (``docs/model-file.md``)::

    u_i     = b_i + Σ_j w_ij · m_ij · z_j         z_j: the cause's level, or its delayed level
    m_ij    = max(0, 1 + Σ_k μ_k · z_k)            moderators of the link (1 if none)
    x*_i    = N_i · S_p(u_i)                       N_i = Π (1 − w + w·z) over necessary links
    dx_i/dt = (x*_i − x_i) / τ_i                   τ_rise if x* > x, else τ_fall
    dS/dt   = Σ inflows − Σ outflows               flow = rate · Π times · Π (1 − gap)

``S_p`` is :func:`~gmsim.factor.saturation.saturate`. A decided factor is held
between its decision times, where it jumps to its target (:meth:`FactorSystem.jump`).
Exogenous factors are states with zero derivative (so events can move them);
composites are weighted means of other factors; a link with ``delay = d`` and
``order = n`` sees its cause through ``n`` first-order stages of time ``d/n``.

Everything linear folds into matrices built once (:mod:`gmsim.factor.structure`).
With weights shared by all runs one matrix product gives every additive input;
with per-run weights the product is ``((y S) * w) T``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from gmsim.core.system import Interventions, Params, System
from gmsim.core.units import amount
from gmsim.errors import ModelError, did_you_mean
from gmsim.factor.gains import link_gains_batch
from gmsim.factor.kernel import KernelPlan, integrate_fixed, integrate_fixed_run
from gmsim.factor.ranges import RANGES, within
from gmsim.factor.saturation import saturation_input
from gmsim.factor.structure import Structure
from gmsim.factor.windows import apply_windows

if TYPE_CHECKING:
    from gmsim.factor.model import Model

__all__ = ["SPARSE_ABOVE", "FactorParams", "FactorSystem", "compile_model"]

SPARSE_ABOVE = 200
"""Models with more states than this use scipy sparse matrices."""

_MESSAGES = {
    "weight": "weights must be in [-1, 1]",
    "tau": "tau must be > 0",
    "tau_rise": "tau_rise must be > 0",
    "tau_fall": "tau_fall must be > 0",
    "initial": "initial levels must be in [0, 1]",
    "rate": "rates must be >= 0",
    "steepness": "the steepness must be in [1, 20]",
}


@dataclass
class FactorParams(Params):
    """Per-run numbers of a factor system (rows = runs)."""

    weights: np.ndarray | None = None  # (B, L), the links' weights
    tau: np.ndarray | None = None  # (B, n_endo): tau_rise (= tau when symmetric); inf if decided
    tau_fall: np.ndarray | None = None  # (B, n_endo)
    bias: np.ndarray | None = None  # (B, n_endo)
    x0: np.ndarray | None = None  # (B, n_states)
    rates: np.ndarray | None = None  # (B, n_first): 1/τ_rise of factors, then delay-stage rates
    fall_rates: np.ndarray | None = None  # (B, n_first), or None when every factor is symmetric
    flow_rates: np.ndarray | None = None  # (B, n_flows)
    steepness: float | np.ndarray = 2.5  # a number, or (B, 1) per run
    reference: np.ndarray | None = None  # (B, n_states): the levels at rest
    matrix: object = None  # shared additive input matrix [A | D]; None if per-run weights


class FactorSystem(System):
    """A factor-graph model compiled for the engine (see the module docstring)."""

    bounds = (0.0, 1.0)
    use_kernel = True
    """Let the engine run fixed-step segments in the compiled kernel when numba is installed
    (set ``False`` on a system, or ``GMSIM_KERNEL=0``, for the numpy path)."""

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
        links = list(model.links) + [
            type(link)(**{**link.__dict__, "weight": 0.0}) for link in iv.added_links
        ]
        self.links = tuple(links)
        self.link_names = tuple(f"{link.cause}->{link.effect}" for link in links)
        self.added_weights = {f"{link.cause}->{link.effect}": link.weight for link in iv.added_links}
        st = self.structure = Structure(model, self.links, sparse_above=SPARSE_ABOVE)
        self.n_endo, self.n_stock, self.n_delay, self.n_exo = st.ne, st.ns, st.nl, st.nx
        self.n_dynamic = st.nd
        self.state_names = st.state_names
        self.variable_names = model.factor_ids
        self.groups = {f.id: f.group for f in model.factors}
        self.labels = {f.id: f.label for f in model.factors}
        self.kinds = {f.id: f.kind for f in model.factors}
        self.graph = model.graph()
        for link in iv.added_links:
            self.graph.add_edge(
                link.cause, link.effect, weight=link.weight, sign=link.sign, delay=link.delay,
                kind="link", source=link.source,
            )  # fmt: skip
        self._index = st.index
        self._sparse = st.sparse
        self._endo = st.endo
        self._asym = [i for i, f in enumerate(st.endo_factors) if f.tau_rise is not None]
        self._sym = [i for i, f in enumerate(st.endo_factors) if f.tau_rise is None and not f.decided]
        self._decided = [i for i, f in enumerate(st.endo_factors) if f.decided]

    # -- parameters ---------------------------------------------------------------------
    def _tables(self) -> dict[str, tuple[str, ...]]:
        endo = self.structure.endo_factors
        return {
            "weight": self.link_names,
            "tau": tuple(endo[i].id for i in sorted(self._sym + self._asym)),
            "tau_rise": tuple(endo[i].id for i in self._asym),
            "tau_fall": tuple(endo[i].id for i in self._asym),
            "initial": tuple(self._factor_states()),
            "rate": tuple(f.name for f in self.model.flows),
        }

    def parameter_names(self) -> tuple[str, ...]:
        """``weight:<cause>-><effect>``, ``tau:``, ``tau_rise:``, ``tau_fall:``, ``initial:<factor>``,
        ``rate:<flow>`` and ``steepness``.

        Examples
        --------
        >>> import gmsim
        >>> names = gmsim.load_model().compile().parameter_names()
        >>> "tau:training" in names, "tau:funding" in names, names[-1]  # funding is decided yearly
        (True, False, 'steepness')
        """
        return (
            *(f"{kind}:{target}" for kind, targets in self._tables().items() for target in targets),
            "steepness",
        )

    def parameter_ranges(self) -> dict[str, tuple[float, float]]:
        """The values each parameter may take, ``name -> (low, high)`` (:data:`~gmsim.factor.ranges.RANGES`).

        Examples
        --------
        >>> import gmsim
        >>> ranges = gmsim.load_model().compile().parameter_ranges()
        >>> ranges["weight:leadership_attention->funding"], ranges["initial:funding"], ranges["steepness"]
        ((0.0, 1.0), (0.0, 1.0), (1.0, 20.0))

        A necessary link's weight stays in ``[0, 1]``; an additive link's may be negative:

        >>> ranges["weight:workload->responsiveness"]
        (-1.0, 1.0)
        """
        necessary = {
            name
            for name, link in zip(self.link_names, self.links, strict=True)
            if link.kind == "necessary"
        }
        return {
            name: (0.0, 1.0)
            if name[7:] in necessary and name.startswith("weight:")
            else RANGES[name.partition(":")[0]]
            for name in self.parameter_names()
        }

    def parameter_values(self) -> dict[str, float]:
        """Each parameter's value in the model as written (a scenario's added link: its weight).

        Examples
        --------
        >>> import gmsim
        >>> gmsim.load_model().compile().parameter_values()["tau:training"]
        3.0
        """
        weights = {
            name: float(link.weight) for name, link in zip(self.link_names, self.links, strict=True)
        }
        weights.update((name, float(w)) for name, w in self.added_weights.items())
        factor = self.model.factor
        t = self._tables()
        return {
            **{f"weight:{name}": w for name, w in weights.items()},
            **{f"tau:{fid}": float(factor(fid).rise) for fid in t["tau"]},
            **{f"tau_rise:{fid}": float(factor(fid).tau_rise) for fid in t["tau_rise"]},
            **{f"tau_fall:{fid}": float(factor(fid).tau_fall) for fid in t["tau_fall"]},
            **{f"initial:{fid}": float(factor(fid).initial) for fid in t["initial"]},
            **{f"rate:{f.name}": float(f.rate) for f in self.model.flows},
            "steepness": self.steepness,
        }

    def _factor_states(self) -> list[str]:
        st = self.structure
        return [*st.state_names[: st.ne + st.ns], *st.state_names[st.nd :]]

    def _column(self, name: str) -> tuple[str, int]:
        if name == "steepness":
            return "steepness", 0
        kind, _, target = name.partition(":")
        tables = self._tables()
        decided = {f.id: f for f in self.structure.endo_factors if f.decided}
        if kind in ("tau", "tau_rise", "tau_fall") and target in decided:
            raise ModelError(
                f"'{name}': '{target}' has no adjustment time, it is decided every "
                f"{amount(self.time_unit, decided[target].decide_every)} (`decide_every`) and jumps "
                f"to its target then; vary the weights of its links or 'initial:{target}' instead"
            )
        if kind not in tables or target not in tables[kind]:
            raise ModelError(
                f"unknown parameter '{name}'{did_you_mean(name, self.parameter_names())}; "
                "parameters are named weight:<cause>-><effect>, tau:<factor>, tau_rise:<factor>, "
                "tau_fall:<factor>, initial:<factor>, rate:<flow> or steepness"
            )
        if kind == "weight":
            return kind, self.link_names.index(target)
        if kind == "rate":
            return kind, tables["rate"].index(target)
        return kind, self._index[target]

    def parameters(
        self, batch: Mapping[str, Sequence[float] | np.ndarray] | None = None
    ) -> FactorParams:
        """Numbers for one run, or one run per row of ``batch``.

        Biases (and the rates of balanced flows) are solved so that the
        reference state rests, from the batch's own numbers; the interventions'
        overrides are applied after that.

        Examples
        --------
        >>> import gmsim
        >>> system = gmsim.load_model().compile()
        >>> p = system.parameters({"tau:training": [3.0, 6.0, 12.0]})
        >>> p.batch, p.tau.shape[0]
        (3, 3)
        """
        batch = dict(batch or {})
        sizes = {len(np.atleast_1d(v)) for v in batch.values()}
        if len(sizes) > 1:
            raise ModelError(f"batch columns differ in length: {sorted(sizes)}")
        B = sizes.pop() if sizes else 1
        model, st = self.model, self.structure
        endo = st.endo_factors
        rows = self._rows
        v = {
            kind: np.tile(rows[kind], (B, 1))
            for kind in ("weight", "tau", "tau_fall", "initial", "rate")
        }
        v["steepness"] = np.full((B, 1), self.steepness)
        v["tau_rise"] = v["tau"]
        per_run = {"weight": False, "steepness": False}
        for name, values in batch.items():
            kind, col = self._column(name)
            values = np.asarray(values, dtype=float)
            if not np.isfinite(values).all():
                run = int(np.argmin(np.isfinite(values)))
                raise ModelError(
                    f"batch column '{name}' is {values[run]} in run {run}; values must be finite"
                )
            bad = ~within(values, kind)
            if bad.any():
                run = int(np.argmax(bad))
                raise ModelError(
                    f"batch column '{name}' is {values[run]:g} in run {run}; {_MESSAGES[kind]}"
                )
            v[kind][:, col] = values
            if kind == "tau":  # a symmetric time for a factor that rises and falls at its own
                v["tau_fall"][:, col] = values
            per_run[kind] = per_run.get(kind, False) or kind in ("weight", "steepness")
        x_init = v["initial"]
        ref = x_init.copy()
        columns, levels = rows["reference"]
        ref[:, columns] = levels
        ref = st.rest_delays(ref)
        p = v["steepness"] if per_run["steepness"] else self.steepness
        if model.solves_bias:
            bias = self._solve_bias(ref, v["weight"], p)
            v["rate"] = st.balance_rates(ref, v["rate"])
        else:
            bias = np.tile([f.bias or 0.0 for f in endo], (B, 1)).astype(float)
        x0 = ref.copy() if self.equilibrium else x_init
        overrides = {f"weight:{k}": w for k, w in self.added_weights.items()}
        overrides.update(self.interventions.overrides)
        for name, value in overrides.items():
            kind, col = self._column(name)
            target = x0 if kind == "initial" else v[kind]
            target[:, col] = value
            if kind == "tau":
                v["tau_fall"][:, col] = value
            if kind == "steepness":
                p = v["steepness"]
                per_run["steepness"] = True
            per_run["weight"] |= kind == "weight" and np.ndim(value) > 0
        x0 = st.rest_delays(x0)
        return self._assemble(B, v, bias, x0, p, shared=not per_run["weight"], reference=ref)

    @cached_property
    def _rows(self) -> dict:
        """The model's own numbers of one run, by kind (``reference``: the columns that have one,
        and their levels); :meth:`parameters` tiles them and sets a batch's columns."""
        st, model = self.structure, self.model
        endo = st.endo_factors
        initial = np.zeros(len(st.state_names))
        by_id = {f.id: f for f in model.factors}
        for fid in self._factor_states():
            initial[self._index[fid]] = by_id[fid].initial
        referenced = [f for f in (*endo, *model.stocks, *model.exogenous) if f.reference is not None]
        return {
            "weight": np.array([link.weight for link in self.links], dtype=float),
            "tau": np.array([np.inf if f.decided else f.rise for f in endo], dtype=float),
            "tau_fall": np.array([np.inf if f.decided else f.fall for f in endo], dtype=float),
            "initial": initial,
            "rate": np.array([f.rate for f in model.flows], dtype=float),
            "reference": (
                np.array([self._index[f.id] for f in referenced], dtype=np.intp),
                np.array([f.reference for f in referenced], dtype=float),
            ),
        }

    def _solve_bias(self, ref: np.ndarray, weights: np.ndarray, p) -> np.ndarray:
        st = self.structure
        n_ref = st.necessity(ref, weights)
        level = ref[:, : st.ne] / n_ref
        u = saturation_input(np.clip(level, 1e-12, 1 - 1e-12), p)
        return u - st.additive(ref, weights)

    def _assemble(self, B, v, bias, x0, p, *, shared: bool, reference=None) -> FactorParams:
        st = self.structure
        rise, fall = v["tau"], v["tau_fall"]
        with np.errstate(divide="ignore"):
            delays = np.tile(st.delay_rate, (B, 1))
            rates = np.concatenate([1.0 / rise, delays], axis=1)
            fall_rates = np.concatenate([1.0 / fall, delays], axis=1) if self._asym else None
        matrix = None
        if shared:
            matrix = st.shared_matrix(v["weight"][0])
        return FactorParams(
            batch=B,
            forcings=self.interventions.forcings,
            events=self.interventions.events,
            windows=getattr(self.interventions, "windows", ()),
            weights=v["weight"],
            tau=rise,
            tau_fall=fall,
            bias=bias,
            x0=x0,
            rates=rates,
            fall_rates=fall_rates,
            flow_rates=v["rate"],
            steepness=p,
            reference=reference,
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

    def targets(self, t: float, y: np.ndarray, params: FactorParams) -> np.ndarray:
        """The levels ``x* = N · S_p(u)`` the endogenous factors move toward, ``(batch, n_endo)``."""
        y, _ = self._forced(t, y, params)
        return self.structure.inputs(y, params)[0]

    def rhs(self, t: float, y: np.ndarray, params: FactorParams) -> np.ndarray:
        """dy/dt for every run at once; ``y`` has shape ``(batch, n_states)``."""
        y, held = self._forced(t, y, params)
        st = self.structure
        ne, ns, nd = st.ne, st.ns, st.nd
        target, h_delay = st.inputs(y, params)
        dy = np.empty_like(y)
        first = np.empty((y.shape[0], ne + st.nl))
        first[:, :ne] = target
        if st.nl:
            first[:, ne:] = h_delay
        first[:, :ne] -= y[:, :ne]
        if st.nl:
            first[:, ne:] -= y[:, ne + ns : nd]
        if params.fall_rates is None:
            first *= params.rates
        else:
            first *= np.where(first > 0, params.rates, params.fall_rates)
        dy[:, :ne] = first[:, :ne]
        dy[:, ne + ns : nd] = first[:, ne:]
        if ns:
            dy[:, ne : ne + ns] = st.stock_change(y, params.flow_rates)
        dy[:, nd:] = 0.0
        for i in self._decided:
            dy[:, i] = 0.0
        for i, _ in held:
            dy[:, i] = 0.0
        return dy

    def observe(self, t: float, y: np.ndarray, params: FactorParams) -> np.ndarray:
        """Levels of every factor (composites included), shape ``(batch, n_factors)``."""
        y, _ = self._forced(t, y, params)
        if self._sparse:
            return (self.structure.O_sp.T @ y.T).T
        return y @ self.structure.O

    def time_constants(self, params: FactorParams) -> np.ndarray:
        """Shortest time constant of each state (decided factors: none, ``inf``)."""
        st = self.structure
        rates = (
            params.rates if params.fall_rates is None else np.maximum(params.rates, params.fall_rates)
        )
        out = np.full(len(st.state_names), np.inf)
        with np.errstate(divide="ignore"):
            out[: st.ne] = 1.0 / rates[:, : st.ne].max(axis=0)
            out[st.ne + st.ns : st.nd] = 1.0 / rates[:, st.ne :].max(axis=0)
            states = params.x0 if params.reference is None else np.vstack([params.x0, params.reference])
            rates = params.flow_rates if params.reference is None else np.vstack([params.flow_rates] * 2)
            out[st.ne : st.ne + st.ns] = 1.0 / st.stock_rate_bound(rates, states)
        return out

    def during(self, params: Params, start: float, end: float) -> Params:
        """The numbers of the segment ``[start, end)``: forcings seen from inside it, and the
        parameter windows active there (:func:`~gmsim.factor.windows.apply_windows`)."""
        return apply_windows(self, super().during(params, start, end), start)

    # -- the compiled kernel ------------------------------------------------------------------
    @cached_property
    def kernel_plan(self) -> KernelPlan:
        """The structure as the compiled kernel reads it (:class:`~gmsim.factor.kernel.KernelPlan`)."""
        return KernelPlan(self)

    def integrate_fixed(
        self, method: str, start: float, end: float, grid: np.ndarray, saves: np.ndarray,
        y: np.ndarray, params: FactorParams, saved: np.ndarray, save: str = "variables",
    ) -> tuple[np.ndarray, int] | None:  # fmt: skip
        """Fixed steps over one segment in the compiled kernel (:func:`~gmsim.factor.kernel.integrate_fixed`).

        The engine's fast path for ``euler`` and ``rk4``: returns the states at
        ``end`` and the steps taken, or ``None`` (numba absent, ``use_kernel``
        false), and the engine steps with :meth:`rhs` instead.
        """
        if not self.use_kernel:
            return None
        return integrate_fixed(self, method, start, end, grid, saves, y, params, saved, save)

    def integrate_fixed_run(
        self, method: str, grid: np.ndarray, breaks: Sequence[float], y: np.ndarray,
        params: FactorParams, saved: np.ndarray, save: str = "variables",
    ) -> tuple[np.ndarray, int] | None:  # fmt: skip
        """A whole fixed-step run in one call of the kernel, its jumps at ``breaks`` inside it
        (:func:`~gmsim.factor.kernel.integrate_fixed_run`).

        The engine's first choice for ``euler`` and ``rk4``: ``None`` when the run
        has forcings or parameter windows (or no kernel), and the engine goes
        segment by segment instead.
        """
        if not self.use_kernel:
            return None
        return integrate_fixed_run(self, method, grid, breaks, y, params, saved, save)

    # -- decisions --------------------------------------------------------------------------
    def breakpoints(self, params: Params) -> list[float]:
        """The breakpoints of :class:`~gmsim.core.system.System` and every decision time."""
        others = super().breakpoints(params)
        if not others:  # most runs: only the decisions, which the structure keeps in order
            return list(self.structure.decision_times)
        return sorted(set(others) | set(self.structure.decisions))

    def jump(self, t: float, y: np.ndarray, params: Params) -> np.ndarray:
        """Forcings and events at ``t``, then each factor decided at ``t`` set to its target there."""
        y = super().jump(t, y, params)
        decided = self.structure.decisions.get(t)
        if decided:
            forced, held = self._forced(t, y, params)
            target = self.structure.inputs(forced, params)[0]
            skip = {i for i, _ in held}
            for i in decided:
                if i not in skip:
                    y[:, i] = target[:, i]
        return y

    # -- loop dominance ---------------------------------------------------------------------
    def value_vector(self, factor: str) -> np.ndarray:
        """A factor's level as a linear function of the states (composites folded)."""
        return self.structure.vector(factor)

    def link_gains(
        self, t: float, y: np.ndarray, params: FactorParams
    ) -> dict[tuple[str, str], np.ndarray]:
        """``∂effect/∂cause`` of every link at states ``y`` (rows, all at time ``t``), for loop dominance.

        For a factor (a stock) the partial derivative of its net flow, for a
        composite that of its value. A delayed link is its chain of delay
        stages (states named ``<cause>~delay<d>#<k>``), one entry per stage;
        each factor and stage has its own adjustment entry ``(x, x)``
        (``−1/τ``, with the rise or fall time chosen by the sign of
        ``x* − x``; 0 for a decided factor, which is held). A stock's entries
        come from its flows. A state held by a forcing does not respond to its
        causes: its entries are 0. ``params`` are the numbers of one run.

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
        return link_gains_batch(self, time, y, params)


def compile_model(model: Model, interventions: Interventions | None = None) -> FactorSystem:
    """Compile a factor model (and optionally a scenario's interventions) for the engine.

    Examples
    --------
    >>> import gmsim
    >>> model = gmsim.load_model()
    >>> system = gmsim.compile_model(model)
    >>> system.n_endo == sum(f.kind == "endogenous" for f in model.factors)
    True
    """
    return FactorSystem(model, interventions)
