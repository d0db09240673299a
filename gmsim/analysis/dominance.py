"""Which feedback loops drive a run, and when: the Loops That Matter method.

Loops That Matter (LTM; Schoenberg, Davidsen & Eberlein 2020, *System Dynamics
Review* 36(2); flow-to-stock correction: Schoenberg, Hayward & Eberlein 2023,
*SDR* 39(2)) scores every link at every instant by how much of its effect's
change it causes, and every loop by the product of its links' scores:

    LS(x → z) = |Δ_x z / Δz| · sign(Δ_x z / Δx)        (0 where Δz or Δx is 0)

with Δ_x z the change of z when only x changes. gmsim uses the method's
continuous form, exact for its own equations rather than a finite difference::

    LS(x → z) = (∂z/∂x) · |ẋ / ż|                          z an auxiliary
    LS(x → S) = (∂f_S/∂x) · |ẋ / S̈|                        S a stock, f_S = dS/dt

The second line is the corrected (2023) flow-to-stock score: the net flow's
score to its stock, |ḟ_S / S̈|, is 1, so a cause reaches the stock with the
score of its partial change of the flow.

Scores of gmsim's factor equations
----------------------------------
An endogenous factor is a stock ``x_i`` with net flow
``f_i = (σ(λ u_i) − x_i) / τ_i`` and ``u_i = b_i + Σ_l w_l z_l``. Hence

- a link ``l`` from cause ``z`` (a factor, a composite, or a delay's output)
  has gain ``∂f_i/∂z = λ σ'(λ u_i) w_l / τ_i`` with ``σ' = σ(1 − σ)``, and
  score ``λ σ'(λ u_i) w_l / τ_i · |ż / ẍ_i|``;
- the factor's own ``−x_i/τ_i`` term has gain ``−1/τ_i``: the *adjustment
  loop* of the factor, score ``−(1/τ_i) · |ẋ_i / ẍ_i|``;
- the acceleration is exact: ``ẍ_i = Σ_l (∂f_i/∂z_l) ż_l − ẋ_i/τ_i``;
- a composite ``c = Σ a_j x_j`` (e.g. effectiveness) is an auxiliary: each part
  has gain ``a_j`` and score ``a_j · |ẋ_j / ċ|``;
- a delayed link is a chain of stage stocks ``s_k`` with
  ``ṡ_k = r (input_k − s_k)``, ``r = order / delay``: each stage link scores
  ``r · |input̊_k / s̈_k|`` and the delayed link's score is the product along
  the chain up to the effect. The stages' own decay is part of what a delay
  means (SMOOTH / SMOOTH3) and is not listed as a loop;
- an exogenous factor's rate is the slope of the path a scenario gives it (0
  when constant); a factor held by a clamp does not respond to its causes, so
  every link into it, and every loop through it, scores 0 while it is held.

Rates below ``atol`` (default 1e-12 per month) count as zero: a loop through a
factor at rest is inactive, as the method's "0 where Δx is 0" says. Scores are
multiplied in log space, so the infinite scores near an inflection point
(where a stock's acceleration passes through 0) stay finite in the relative
scores.

Relative scores and partitions
------------------------------
The relative score of a loop is its score over the sum of the absolute scores
of the loops it is compared with, in [−1, 1]; the absolute relative scores
of the active loops of a partition sum to 1. As in LTM, loops are compared
within their *cycle partition*, the strongly connected part of the causal
graph they lie in. A loop (or the smallest set of loops) with at least half
of the total is *dominant*.

Adjustment loops
----------------
Every endogenous factor's adjustment is a real balancing loop of the
equations, and Stella's LTM treats such a first-order stock-to-own-flow loop
as an ordinary loop and counts it in the relative scores. In a factor model,
though, every factor has one by construction: it is the factor's inertia, not
a causal claim of the diagram, and together these loops often hold most of
the total. gmsim therefore offers both:

- ``adjustment="exclude"`` (default): relative scores compare the loops of the
  diagram only; :attr:`Dominance.adjustment_share` still reports, at each
  time, the fraction of the partition's total that the adjustment loops hold,
  so nothing is hidden;
- ``adjustment="include"``: adjustment loops (ids ``A1, A2, ...``) are scored
  and compared like any loop, as in Stella. A factor on no feedback loop forms
  a partition of its own.

Other systems
-------------
A :class:`~gmsim.core.system.System` that is not a factor system (an imported
stock-and-flow model, a hand-written one) takes part by offering
``link_gains(t, y, params)``: the partial derivative of each effect with
respect to each cause, for every edge of its graph (see :class:`LinkGains`).
Graph nodes that are states are stocks (their rates from ``rhs``), other nodes
with causes are auxiliaries (their rates by the chain rule); the same scores
follow.

Examples
--------
>>> import gmsim
>>> from gmsim.core.system import Event, Interventions
>>> shock = Interventions(events=(Event(time=1, variable="leadership_attention", multiply=0.5),))
>>> dom = gmsim.loop_dominance(scenario=shock, stop=24)
>>> dom.periods(by="polarity")[["start", "end", "polarity", "loop"]].head(3)
   start    end polarity       loop
0  0.000  1.125           (at rest)
1  1.125  2.375        B         B1
2  2.375  2.500        R        R10
>>> frame = dom.to_frame()
>>> bool(abs(frame.loc[12.0].abs().sum() - 1.0) < 1e-9)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.special import expit, logsumexp

from gmsim.analysis.loops import (
    DEFAULT_MAX_LOOPS,
    Loop,
    LoopError,
    LoopList,
    adjustment_loops,
    find_loops,
    no_loops_message,
)
from gmsim.core.integrate import integrate
from gmsim.core.system import Params, System
from gmsim.errors import GmsimError, SimulationError
from gmsim.factor.system import FactorSystem
from gmsim.simulation.simulate import as_system

__all__ = [
    "ADJUSTMENT",
    "AT_REST",
    "Dominance",
    "DominanceShift",
    "LinkGains",
    "dominance_shift",
    "loop_dominance",
]

ADJUSTMENT = ("exclude", "include")
"""How adjustment loops enter the relative scores (see the module docstring)."""

AT_REST = "(at rest)"
"""What :meth:`Dominance.periods` says where no loop is active."""


@runtime_checkable
class LinkGains(Protocol):
    """What a System other than a factor system offers to be scored.

    ``link_gains(t, y, params)`` returns, for a state row ``y`` of shape
    ``(1, n_states)``, a mapping ``(cause, effect) -> ∂effect/∂cause`` for every
    edge of the system's graph: for an auxiliary effect the partial derivative
    of its value, for a stock the partial derivative of its net flow.
    """

    def link_gains(self, t: float, y: np.ndarray, params: Params) -> Mapping[tuple[str, str], float]: ...


# ---------------------------------------------------------------------------------------------
# The scoring graph: stocks, auxiliaries and constants, with one gain per edge and time
# ---------------------------------------------------------------------------------------------
@dataclass
class _Scoring:
    """A system's equations linearised along a run (``T`` saved times)."""

    nodes: list[str]
    stocks: np.ndarray  # (N,) bool
    aux: list[int]  # auxiliaries in an order where causes come first
    src: np.ndarray  # (E,) node index of each edge's cause
    dst: np.ndarray  # (E,) node index of each edge's effect
    gains: np.ndarray  # (T, E)
    rates: np.ndarray  # (T, N); auxiliaries' columns are filled by the chain rule
    paths: dict[tuple[str, str], list[int]]  # graph edge -> its chain of scoring edges
    adjust: dict[str, int]  # endogenous factor -> its self edge


def _forcing_slopes(system: System, params: Params, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which states are held at each time, and the slope of the path holding them."""
    held = np.zeros((len(time), len(system.state_names)), dtype=bool)
    slope = np.zeros(held.shape)
    h = 1e-6
    for f in params.forcings:
        if f.variable not in system.state_names:
            continue
        i = system.state_names.index(f.variable)
        for k, t in enumerate(time):
            if f.active(t):
                held[k, i] = True
                step = (np.asarray(f.path.value(t + h), float) - np.asarray(f.path.value(t), float)) / h
                slope[k, i] = float(np.ravel(step)[0])
    return held, slope


class _Builder:
    """Collects scoring edges, each once."""

    def __init__(self, nodes: list[str]):
        self.index = {n: i for i, n in enumerate(nodes)}
        self.edges: dict[tuple[int, int], int] = {}

    def edge(self, cause: str, effect: str) -> int:
        key = (self.index[cause], self.index[effect])
        return self.edges.setdefault(key, len(self.edges))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        pairs = np.array(list(self.edges), dtype=int).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]


def _composite_order(system: FactorSystem) -> list[str]:
    """Composites with their parts first (composites may be made of composites)."""
    comps = [f.id for f in system.model.composites]
    g = nx.DiGraph()
    g.add_nodes_from(comps)
    for f in system.model.composites:
        g.add_edges_from((part, f.id) for part, _ in f.of if part in comps)
    return list(nx.topological_sort(g))


def _factor_scoring(system: FactorSystem, params, time: np.ndarray, Y: np.ndarray) -> _Scoring:
    """The exact linearisation of a factor system (see the module docstring)."""
    ne, nd = system.n_endo, system.n_dynamic
    names = list(system.state_names)
    comps = _composite_order(system)
    nodes = names + comps
    b = _Builder(nodes)
    T = len(time)
    lam = system.steepness
    weights, tau, rates_p = params.weights[0], params.tau[0], params.rates[0]
    endo = names[:ne]

    # values and rates of the stocks
    held, slope = _forcing_slopes(system, params, time)
    sig = expit(params.lam_bias[0] + lam * ((Y @ system._S) * weights) @ system._T)
    rates = np.zeros((T, len(nodes)))
    rates[:, :ne] = (sig - Y[:, :ne]) / tau
    rates[:, ne:nd] = (Y @ system._D - Y[:, ne:nd]) * rates_p[ne:nd]
    rates[:, : len(names)] = np.where(held, slope, rates[:, : len(names)])

    columns: list[np.ndarray] = []
    paths: dict[tuple[str, str], list[int]] = {}

    def add(cause: str, effect: str, gain) -> int:
        e = b.edge(cause, effect)
        if e == len(columns):
            columns.append(np.broadcast_to(np.asarray(gain, float), (T,)))
        return e

    slope_sig = lam * sig * (1.0 - sig) / tau  # (T, ne): λσ'/τ
    for li, link in enumerate(system.links):
        i = endo.index(link.effect)
        path: list[int] = []
        source = link.cause
        if link.delay > 0:
            last = int(np.argmax(system._S[:, li]))
            chain = [last]
            while True:  # walk back through the stages to the first one
                j = chain[0] - ne
                prev = np.flatnonzero(system._D[:, j])
                if len(prev) == 1 and ne <= prev[0] < nd and system._D[prev[0], j] == 1.0:
                    chain.insert(0, int(prev[0]))
                else:
                    break
            for stage in chain:
                path.append(add(source, names[stage], rates_p[stage]))
                source = names[stage]
        path.append(add(source, link.effect, slope_sig[:, i] * weights[li]))
        paths[(link.cause, link.effect)] = path
    adjust = {}
    for i, fid in enumerate(endo):
        adjust[fid] = add(fid, fid, -1.0 / tau[i])
    for s in range(ne, nd):
        add(names[s], names[s], -rates_p[s])
    for f in system.model.composites:
        total = sum(w for _, w in f.of)
        for part, w in f.of:
            paths[(part, f.id)] = [add(part, f.id, w / total)]
    gains = np.column_stack(columns) if columns else np.zeros((T, 0))
    src, dst = b.arrays()
    # a held state does not respond to its causes
    into_held = dst < len(names)
    gains[:, into_held] *= ~held[:, dst[into_held]]
    stocks = np.zeros(len(nodes), dtype=bool)
    stocks[:nd] = True
    aux = [b.index[c] for c in comps]
    return _Scoring(nodes, stocks, aux, src, dst, gains, rates, paths, adjust)


def _generic_scoring(system: System, params, time: np.ndarray, Y: np.ndarray) -> _Scoring:
    """Any System offering ``link_gains``: stocks are its states, other caused nodes auxiliaries."""
    graph = system.graph
    nodes = list(graph.nodes)
    missing = [s for s in system.state_names if s not in graph]
    if missing:
        raise SimulationError(f"the graph of '{system.name}' lacks its states {missing}")
    b = _Builder(nodes)
    paths = {(c, e): [b.edge(c, e)] for c, e in graph.edges}
    src, dst = b.arrays()
    T = len(time)
    gains = np.zeros((T, len(paths)))
    rates = np.zeros((T, len(nodes)))
    cols = [b.index[s] for s in system.state_names]
    for k, t in enumerate(time):
        row = Y[k : k + 1]
        rates[k, cols] = system.rhs(t, row, params)[0]
        given = system.link_gains(t, row, params)
        for (c, e), edge in paths.items():
            if (c, e) not in given:
                raise SimulationError(
                    f"'{system.name}'.link_gains gave no gain for the link '{c}' -> '{e}'"
                )
            gains[k, edge[0]] = float(np.ravel(given[(c, e)])[0])
    stocks = np.array([n in system.state_names for n in nodes])
    try:
        caused = list(
            nx.topological_sort(graph.subgraph(n for n in nodes if n not in system.state_names))
        )
    except nx.NetworkXUnfeasible:
        raise SimulationError(
            f"'{system.name}' has a loop of auxiliaries with no stock on it (an algebraic loop); "
            "loop dominance needs every loop to pass through a stock"
        ) from None
    aux = [b.index[n] for n in caused if graph.in_degree(n) > 0]
    adjust = {n: paths[(n, n)][0] for n in nodes if graph.has_edge(n, n)}
    return _Scoring(nodes, stocks, aux, src, dst, gains, rates, paths, adjust)


def _edge_logscores(sc: _Scoring, atol: float) -> tuple[np.ndarray, np.ndarray]:
    """log|LS| (−inf for a zero score) and sign of every scoring edge, shape (T, E).

    Fills in ``sc.rates`` of the auxiliaries first (chain rule, causes first).
    """
    rates = sc.rates
    by_dst: dict[int, np.ndarray] = {}
    for node in sc.aux:  # chain rule, causes first
        into = by_dst.setdefault(node, np.flatnonzero(sc.dst == node))
        rates[:, node] = (sc.gains[:, into] * rates[:, sc.src[into]]).sum(axis=1)
    contrib = sc.gains * rates[:, sc.src]
    acc = np.zeros_like(rates)
    np.add.at(acc.T, sc.dst, contrib.T)
    den = np.where(sc.stocks, acc, rates)[:, sc.dst]
    num = np.abs(rates[:, sc.src])
    zero = (sc.gains == 0) | (num <= atol) | (den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(np.abs(sc.gains)) + np.log(num) - np.log(np.abs(den))
    logs[zero] = -np.inf
    return logs, np.sign(sc.gains)


def _loop_logscores(loops, sc: _Scoring, logs, signs) -> tuple[np.ndarray, np.ndarray]:
    """log|loop score| and sign of every loop, shape (T, L)."""
    E = logs.shape[1]
    incidence = np.zeros((len(loops), E))
    missing = np.zeros(len(loops), dtype=bool)
    for k, loop in enumerate(loops):
        if loop.kind == "adjustment":
            edges = [sc.adjust[loop.variables[0]]] if loop.variables[0] in sc.adjust else None
        else:
            edges = []
            for link in loop.links:
                if link not in sc.paths:
                    edges = None
                    break
                edges += sc.paths[link]
        if edges is None:
            missing[k] = True
        else:
            np.add.at(incidence[k], edges, 1.0)
    dead = np.isneginf(logs)
    finite = np.where(dead, 0.0, logs)
    loop_logs = finite @ incidence.T
    loop_logs[(dead.astype(float) @ incidence.T) > 0] = -np.inf
    loop_logs[:, missing] = -np.inf
    negatives = (signs < 0).astype(float) @ incidence.T
    return loop_logs, np.where(negatives % 2 == 1, -1.0, 1.0)


def _partitions(graph: nx.DiGraph, loops) -> np.ndarray:
    """Cycle partition of each loop: its strongly connected component, the main one numbered 0."""
    comp = {}
    for k, nodes in enumerate(nx.strongly_connected_components(graph)):
        for n in nodes:
            comp[n] = k
    raw = [comp.get(lp.variables[0], -1 - i) for i, lp in enumerate(loops)]
    counts: dict[int, int] = {}
    for r, lp in zip(raw, loops, strict=True):
        counts[r] = counts.get(r, 0) + (lp.kind == "feedback")
    order = sorted(counts, key=lambda r: (-counts[r], raw.index(r)))
    return np.array([order.index(r) for r in raw], dtype=int)


class _StateView(System):
    """A system whose reported variables are its states (held states at their held values)."""

    def __init__(self, inner: System):
        self.inner = inner
        self.name, self.state_names = inner.name, inner.state_names
        self.variable_names = inner.state_names
        self.groups, self.labels, self.graph = inner.groups, inner.labels, inner.graph
        self.bounds = inner.bounds
        self.simulation = getattr(inner, "simulation", None)

    def parameter_names(self):
        return self.inner.parameter_names()

    def parameters(self, batch=None):
        return self.inner.parameters(batch)

    def initial_state(self, params):
        return self.inner.initial_state(params)

    def rhs(self, t, y, params):
        return self.inner.rhs(t, y, params)

    def observe(self, t, y, params):
        y = y.copy()
        for i, value in self.inner.held(t, params):
            y[:, i] = value
        return y

    def time_constants(self, params):
        return self.inner.time_constants(params)

    def breakpoints(self, params):
        return self.inner.breakpoints(params)

    def jump(self, t, y, params):
        return self.inner.jump(t, y, params)

    def held(self, t, params):
        return self.inner.held(t, params)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dominance:
    """Loop scores of one run: which loops drive it, and when.

    Attributes
    ----------
    time : ndarray, shape (T,)
        Months.
    loops : LoopList
        The loops scored (adjustment loops among them when included).
    scores : ndarray, shape (T, L)
        Loop scores (may be very large near an inflection point).
    relative : ndarray, shape (T, L)
        Relative loop scores in [−1, 1], compared within each loop's partition.
    partition : ndarray, shape (L,)
        Cycle partition of each loop; 0 is the one with the most feedback loops.
    adjustment_share : ndarray, shape (T,)
        Fraction of partition 0's total absolute score held by adjustment
        loops (NaN at rest): how much of the motion is plain goal seeking.
    link_scores : DataFrame
        Score of every link on a loop (columns ``cause->effect``; a delayed link
        scores its whole chain of stages; ``x->x`` is x's adjustment).
    levels : DataFrame
        The factors' levels over the run.
    """

    model: str
    scenario: str
    time: np.ndarray
    loops: LoopList
    scores: np.ndarray
    relative: np.ndarray
    partition: np.ndarray
    adjustment_share: np.ndarray
    link_scores: pd.DataFrame
    levels: pd.DataFrame
    adjustment: str = "exclude"

    def to_frame(self, kind: Literal["relative", "score"] = "relative") -> pd.DataFrame:
        """Relative loop scores (or raw scores) over time: index time, one column per loop id."""
        if kind not in ("relative", "score"):
            raise GmsimError(f"`kind` must be 'relative' or 'score', got {kind!r}")
        data = self.relative if kind == "relative" else self.scores
        return pd.DataFrame(data, index=pd.Index(self.time, name="time"), columns=list(self.loops.ids))

    def _in(self, partition: int) -> np.ndarray:
        if not (self.partition == partition).any():
            raise GmsimError(f"no partition {partition}; partitions are 0-{self.partition.max()}")
        return np.flatnonzero(self.partition == partition)

    def dominant(self, partition: int = 0) -> pd.DataFrame:
        """Which loops lead at each time.

        Columns: ``top`` (the loop with the largest share; :data:`AT_REST` where
        no loop is active), ``top_share``, ``polarity`` (of the top loop),
        ``dominant`` (the smallest set of loops holding at least half of the
        total, the method's definition of dominance, ids joined by ``+``),
        ``dominant_share``, and ``reinforcing`` / ``balancing`` (the shares of
        all reinforcing and all balancing loops together).
        """
        cols = self._in(partition)
        ids = np.array(self.loops.ids)[cols]
        pol = np.array([lp.polarity for lp in self.loops])[cols]
        rel = self.relative[:, cols]
        share = np.abs(rel)
        order = np.argsort(-share, axis=1, kind="stable")
        cum = np.cumsum(np.take_along_axis(share, order, axis=1), axis=1)
        count = np.minimum((cum < 0.5 - 1e-12).sum(axis=1) + 1, cum.shape[1])
        rest = cum[:, -1] == 0
        top = order[:, 0]
        frame = pd.DataFrame(
            {
                "top": np.where(rest, AT_REST, ids[top]),
                "top_share": share[np.arange(len(top)), top],
                "polarity": np.where(rest, "", pol[top]),
                "dominant": [
                    AT_REST if rest[k] else "+".join(ids[order[k, : count[k]]]) for k in range(len(rest))
                ],
                "dominant_share": np.where(rest, 0.0, cum[np.arange(len(top)), count - 1]),
                "reinforcing": np.clip(rel, 0, None).sum(axis=1),
                "balancing": -np.clip(rel, None, 0).sum(axis=1),
            },
            index=pd.Index(self.time, name="time"),
        )
        return frame

    def periods(self, partition: int = 0, *, by: Literal["loop", "polarity"] = "loop") -> pd.DataFrame:
        """Stretches of time with the same leading loop (or the same dominant polarity).

        ``by="loop"``: one row each time the top loop changes, with its mean
        share and whether it held half of the total by itself (``alone``).
        ``by="polarity"``: one row each time the reinforcing or the balancing
        loops together take over the majority; ``loop`` is the loop of that
        polarity with the largest mean share in the stretch.

        Columns: ``start``, ``end`` (months), ``polarity``, ``share``, ``loop``,
        ``alone`` and ``name``.
        """
        if by not in ("loop", "polarity"):
            raise GmsimError(f"`by` must be 'loop' or 'polarity', got {by!r}")
        dom = self.dominant(partition)
        rest = dom["top"].to_numpy() == AT_REST
        if by == "loop":
            key = dom["top"].to_numpy()
        else:
            key = np.where(rest, AT_REST, np.where(dom["reinforcing"] > dom["balancing"], "R", "B"))
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        cols = self._in(partition)
        rows = []
        for a, b in zip(starts, ends, strict=True):
            end = float(self.time[min(b, len(self.time) - 1)])
            if rest[a]:
                rows.append((float(self.time[a]), end, "", 0.0, AT_REST, False, "no loop is active"))
                continue
            if by == "loop":
                loop = self.loops[str(key[a])]
                share = float(dom["top_share"].iloc[a:b].mean())
                alone = bool((dom["top_share"].iloc[a:b] >= 0.5).all())
                polarity = loop.polarity
            else:
                polarity = str(key[a])
                share = float(dom["reinforcing" if polarity == "R" else "balancing"].iloc[a:b].mean())
                signed = self.relative[a:b, cols].mean(axis=0) * (1 if polarity == "R" else -1)
                loop = self.loops[int(cols[int(np.argmax(signed))])]
                alone = bool(signed.max() >= 0.5)
            rows.append((float(self.time[a]), end, polarity, share, loop.id, alone, loop.name))
        return pd.DataFrame(rows, columns=["start", "end", "polarity", "share", "loop", "alone", "name"])

    def summary(self) -> pd.DataFrame:
        """One row per loop, largest mean share first.

        Columns: ``id``, ``polarity``, ``runtime_polarity`` (the sign the scores
        actually had: ``R``, ``B``, ``U`` when it changed, ``-`` when never
        active; it differs from the structural polarity only when a scenario
        flips a link's sign), ``partition``, ``mean_share``, ``peak_share``,
        ``peak_month``, ``months_top`` (time as the leading loop) and ``name``.
        """
        share = np.abs(self.relative)
        tops = {p: self.dominant(p)["top"].to_numpy() for p in np.unique(self.partition)}
        steps = np.diff(self.time, append=self.time[-1])
        rows = []
        for k, lp in enumerate(self.loops):
            s = self.scores[:, k]
            runtime = (
                "-" if not (s != 0).any() else "R" if (s >= 0).all() else "B" if (s <= 0).all() else "U"
            )
            peak = int(np.argmax(share[:, k]))
            rows.append(
                {
                    "id": lp.id,
                    "polarity": lp.polarity,
                    "runtime_polarity": runtime,
                    "partition": int(self.partition[k]),
                    "mean_share": float(share[:, k].mean()),
                    "peak_share": float(share[peak, k]),
                    "peak_month": float(self.time[peak]),
                    "months_top": float(steps[tops[self.partition[k]] == lp.id].sum()),
                    "name": lp.name,
                }
            )
        return pd.DataFrame(rows).sort_values("mean_share", ascending=False, kind="stable")

    def plot(
        self, *, top: int = 8, variable: str | None = "effectiveness", partition: int = 0
    ) -> Figure:
        """Relative loop scores over time, stacked (reinforcing above 0, balancing below).

        The ``top`` loops that lead longest (then by mean share) get their own
        colour, the others are summed by polarity; a strip above names the dominant loop(s) of each
        period, and, when ``variable`` is a factor of the run, a panel on top
        shows its level.
        """
        show_level = variable is not None and variable in self.levels.columns
        heights = [1.2, 0.35, 3.2] if show_level else [0.35, 3.2]
        fig, axes = plt.subplots(
            len(heights), 1, figsize=(9, 6.5 if show_level else 5), sharex=True,
            gridspec_kw={"height_ratios": heights, "hspace": 0.08},
        )  # fmt: skip
        if show_level:
            axes[0].plot(self.time, self.levels[variable], color="black", linewidth=1.6)
            axes[0].set_ylabel(variable.replace("_", " "), fontsize=8)
            axes[0].grid(alpha=0.3)
        strip, ax = axes[-2], axes[-1]
        cols = self._in(partition)
        _stack(ax, self.time, self.relative[:, cols], [self.loops[int(i)] for i in cols], top)
        _strip(strip, self.periods(partition), self.time)
        ax.set_xlabel("month")
        ax.set_ylabel("relative loop score")
        ax.set_ylim(-1.05, 1.05)
        fig.suptitle(f"Loop dominance - {self.model} - {self.scenario}", fontsize=10)
        return fig


def _stack(ax, time, rel, loops: list[Loop], top: int) -> None:
    """Stacked relative scores; the loops that lead longest (then by mean share) get a colour each,
    taken in turn from the reinforcing and the balancing side."""
    share = np.abs(rel).mean(axis=0)
    leading = np.argmax(np.abs(rel), axis=1)[np.abs(rel).sum(axis=1) > 0]
    months_top = np.bincount(leading, minlength=rel.shape[1])
    ranked = [int(i) for i in np.lexsort((-share, -months_top)) if share[i] > 0]
    # alternate polarities so that neither the reinforcing nor the balancing side is all "other"
    sides = [[i for i in ranked if loops[i].polarity == p] for p in ("R", "B")]
    sides.append([i for i in ranked if loops[i].polarity not in ("R", "B")])
    chosen: list[int] = []
    while len(chosen) < top and any(sides):
        for side in sides:
            if side and len(chosen) < top:
                chosen.append(side.pop(0))
    colors = plt.get_cmap("tab10").colors
    pos_base, neg_base = np.zeros(len(time)), np.zeros(len(time))
    series = [
        (rel[:, i], f"{loops[i].id}: {_short(loops[i].name)}", colors[n % 10])
        for n, i in enumerate(chosen)
    ]
    rest = np.delete(rel, chosen, axis=1)
    series.append((np.where(rest > 0, rest, 0).sum(axis=1), "other reinforcing", "#c8d8e8"))
    series.append((np.where(rest < 0, rest, 0).sum(axis=1), "other balancing", "#f0c8c0"))
    for values, label, color in series:
        up, down = np.clip(values, 0, None), np.clip(values, None, 0)
        if not (up.any() or down.any()):
            continue
        ax.fill_between(time, pos_base, pos_base + up, color=color, linewidth=0, label=label)
        ax.fill_between(time, neg_base, neg_base + down, color=color, linewidth=0)
        pos_base, neg_base = pos_base + up, neg_base + down
    ax.axhline(0, color="black", linewidth=0.8)
    ax.grid(alpha=0.3)
    ax.text(0.005, 0.98, "reinforcing", transform=ax.transAxes, va="top", fontsize=7, color="#555")
    ax.text(0.005, 0.02, "balancing", transform=ax.transAxes, va="bottom", fontsize=7, color="#555")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _strip(ax, periods: pd.DataFrame, time: np.ndarray) -> None:
    """A band naming the dominant loop(s) of each period."""
    palette = {"R": "#4c78a8", "B": "#e45756"}
    for row in periods.itertuples():
        color = palette.get(row.polarity, "#dddddd")
        ax.axvspan(row.start, row.end, color=color, alpha=0.35, linewidth=0)
        if row.end - row.start >= 0.05 * (time[-1] - time[0]) and row.loop != AT_REST:
            ax.text((row.start + row.end) / 2, 0.5, row.loop, ha="center", va="center", fontsize=7)
    ax.set_yticks([])
    ax.set_ylabel("leading", fontsize=7, rotation=0, ha="right", va="center")
    ax.set_xlim(time[0], time[-1])


def _short(name: str, width: int = 60) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------
def loop_dominance(
    model: Any = None,
    *,
    scenario: Any = None,
    loops: LoopList | None = None,
    adjustment: Literal["exclude", "include"] = "exclude",
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    equilibrium: bool | None = None,
    max_length: int | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
    atol: float = 1e-12,
) -> Dominance:
    """Run a model and score its feedback loops at every saved time (Loops That Matter).

    Parameters
    ----------
    model : Model, System, path or None
        What to run; ``None`` is the paper's default model.
    scenario : str, path, Scenario, Interventions or None
        A "what if" applied to the model. A model started at equilibrium is at
        rest without one, and every loop then scores 0.
    loops : LoopList, optional
        The loops to score (default: :func:`~gmsim.analysis.loops.find_loops` with
        ``max_length`` and ``max_loops``).
    adjustment : {"exclude", "include"}
        Whether factors' adjustment loops are compared with the others (see the
        module docstring).
    start, stop, dt, method, equilibrium
        Run settings, as for :func:`gmsim.simulate`.
    atol : float
        Rates (per month) at or below this count as zero.

    Returns
    -------
    Dominance

    Raises
    ------
    LoopError
        When the model has no feedback loop to score.
    """
    _check_adjustment(adjustment)
    system, name = as_system(model, scenario=scenario, equilibrium=equilibrium, start=start, stop=stop)
    if loops is None:
        loops = find_loops(system, max_length=max_length, max_loops=max_loops)
    return _dominance(system, name, loops, adjustment, start, stop, dt, method, atol)


def _check_adjustment(adjustment: str) -> None:
    if adjustment not in ADJUSTMENT:
        raise GmsimError(f"`adjustment` must be one of {', '.join(ADJUSTMENT)}, got {adjustment!r}")


def _dominance(
    system: System, scenario_name: str, loops: LoopList, adjustment, start, stop, dt, method, atol
):
    """Loop dominance of one compiled system along its run."""
    if not isinstance(system, FactorSystem) and not isinstance(system, LinkGains):
        raise SimulationError(
            f"loop dominance needs the equations of '{system.name}': a factor model, or a System "
            "that offers link_gains(t, y, params) (see gmsim.analysis.dominance.LinkGains)"
        )
    feedback = loops.feedback
    if not feedback:
        raise LoopError(f"{no_loops_message(system.name)}; there is no loop dominance to compute")
    graph = system.graph
    scored = [*feedback, *adjustment_loops(graph)]
    sim = system.simulation
    start = sim.start if start is None else float(start)
    stop = sim.stop if stop is None else float(stop)
    dt = sim.dt if dt is None else float(dt)
    params = system.parameters()
    with np.errstate(over="ignore", invalid="ignore"):
        time, values = integrate(
            _StateView(system), params, start=start, stop=stop, dt=dt, method=method or sim.method
        )
    Y = values[0]
    if not np.isfinite(Y).all():
        raise SimulationError(f"the run of '{system.name}' stopped being finite; use a smaller dt")
    if isinstance(system, FactorSystem):
        sc = _factor_scoring(system, params, time, Y)
        levels = Y @ system._O
    else:
        sc = _generic_scoring(system, params, time, Y)
        levels = np.vstack([system.observe(t, Y[k : k + 1], params)[0] for k, t in enumerate(time)])
    logs, signs = _edge_logscores(sc, atol)
    loop_logs, loop_signs = _loop_logscores(scored, sc, logs, signs)
    partition = _partitions(graph, scored)
    is_adj = np.array([lp.kind == "adjustment" for lp in scored])
    relative = np.zeros_like(loop_logs)
    adjustment_share = np.full(len(time), np.nan)
    for p in np.unique(partition):
        members = partition == p
        compared = members & (~is_adj if adjustment == "exclude" else True)
        total = logsumexp(loop_logs[:, compared], axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            rel = np.where(np.isfinite(total), np.exp(loop_logs[:, compared] - total), 0.0)
        relative[:, compared] = rel * loop_signs[:, compared]
        if p == 0:
            everything = logsumexp(loop_logs[:, members], axis=1)
            adj = (
                logsumexp(loop_logs[:, members & is_adj], axis=1)
                if (members & is_adj).any()
                else -np.inf
            )
            with np.errstate(invalid="ignore"):
                adjustment_share = np.where(np.isfinite(everything), np.exp(adj - everything), np.nan)
    keep = ~is_adj | (adjustment == "include")
    kept = [lp for lp, k in zip(scored, keep, strict=True) if k]
    with np.errstate(over="ignore"):
        scores = np.exp(loop_logs[:, keep]) * loop_signs[:, keep]
    link_scores = _link_frame(kept, sc, logs, signs, time)
    return Dominance(
        model=system.name,
        scenario=scenario_name,
        time=time,
        loops=LoopList(
            tuple(kept), loops.model, loops.max_length, loops.max_loops, loops.truncated, loops.note
        ),
        scores=scores,
        relative=relative[:, keep],
        partition=partition[keep],
        adjustment_share=adjustment_share,
        link_scores=link_scores,
        levels=pd.DataFrame(
            levels, index=pd.Index(time, name="time"), columns=list(system.variable_names)
        ),
        adjustment=adjustment,
    )


def _link_frame(loops, sc: _Scoring, logs, signs, time) -> pd.DataFrame:
    """Scores of the links on the loops (a delayed link: the product along its stages)."""
    columns = {}
    for lp in loops:
        links = [(lp.variables[0], lp.variables[0])] if lp.kind == "adjustment" else lp.links
        for link in links:
            name = f"{link[0]}->{link[1]}"
            edges = [sc.adjust[link[0]]] if lp.kind == "adjustment" else sc.paths.get(link)
            if name in columns or edges is None:
                continue
            with np.errstate(over="ignore"):
                columns[name] = np.exp(logs[:, edges].sum(axis=1)) * np.prod(signs[:, edges], axis=1)
    return pd.DataFrame(columns, index=pd.Index(time, name="time"))


# ---------------------------------------------------------------------------------------------
# Dominance shift between two runs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DominanceShift:
    """How loop dominance in a scenario run differs from a reference run (the baseline by default).

    Both runs score the same loops on the same time grid, so their relative
    scores compare column by column. A loop's *share* is the absolute value
    of its relative score.
    """

    scenario: Dominance
    reference: Dominance

    @property
    def note(self) -> str:
        """A warning when one of the runs is at rest throughout (its shares are all 0)."""
        notes = []
        for run, what in ((self.reference, "reference"), (self.scenario, "scenario")):
            if not np.abs(run.relative).any():
                notes.append(
                    f"the {what} run ({run.scenario}) is at rest throughout: a model started at "
                    "equilibrium does not move without a scenario, so every loop's share in it is 0"
                )
        return "; ".join(notes)

    def change(self) -> pd.DataFrame:
        """Share in the scenario minus share in the reference: index time, one column per loop id."""
        diff = np.abs(self.scenario.relative) - np.abs(self.reference.relative)
        return pd.DataFrame(
            diff, index=pd.Index(self.scenario.time, name="time"), columns=list(self.scenario.loops.ids)
        )

    def table(self) -> pd.DataFrame:
        """One row per loop that is active in either run, largest change of mean share first.

        Columns: ``id``, ``polarity``, ``share_scenario``, ``share_reference``
        (mean shares over the run), ``change``, ``largest_gain`` and
        ``gain_month``, ``largest_loss`` and ``loss_month`` (the extreme
        differences of share and when they happen), ``name``.
        """
        diff = self.change().to_numpy()
        s, r = np.abs(self.scenario.relative), np.abs(self.reference.relative)
        time = self.scenario.time
        rows = []
        for k, lp in enumerate(self.scenario.loops):
            if not (s[:, k].any() or r[:, k].any()):
                continue
            up, down = int(np.argmax(diff[:, k])), int(np.argmin(diff[:, k]))
            rows.append(
                {
                    "id": lp.id,
                    "polarity": lp.polarity,
                    "share_scenario": float(s[:, k].mean()),
                    "share_reference": float(r[:, k].mean()),
                    "change": float(s[:, k].mean() - r[:, k].mean()),
                    "largest_gain": float(max(diff[up, k], 0.0)),
                    "gain_month": float(time[up]) if diff[up, k] > 0 else np.nan,
                    "largest_loss": float(min(diff[down, k], 0.0)),
                    "loss_month": float(time[down]) if diff[down, k] < 0 else np.nan,
                    "name": lp.name,
                }
            )
        columns = ["id", "polarity", "share_scenario", "share_reference", "change", "largest_gain",
                   "gain_month", "largest_loss", "loss_month", "name"]  # fmt: skip
        frame = pd.DataFrame(rows, columns=columns)
        return frame.iloc[np.argsort(-frame["change"].abs().to_numpy(), kind="stable")].reset_index(
            drop=True
        )

    def periods(self) -> pd.DataFrame:
        """Stretches of time in which the leading loop differs between the runs.

        Columns: ``start``, ``end``, ``scenario`` and ``reference`` (the leading
        loop of each run, :data:`AT_REST` where none is active).
        """
        a = self.scenario.dominant()["top"].to_numpy()
        b = self.reference.dominant()["top"].to_numpy()
        time = self.scenario.time
        differs = a != b
        key = np.where(differs, np.char.add(np.char.add(a.astype(str), "|"), b.astype(str)), "")
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        rows = [
            (float(time[i]), float(time[min(j, len(time) - 1)]), a[i], b[i])
            for i, j in zip(starts, ends, strict=True)
            if differs[i]
        ]
        return pd.DataFrame(rows, columns=["start", "end", "scenario", "reference"])

    def plot(self, *, top: int = 6) -> Figure:
        """Change of share over time of the loops that moved most, above the leading loops of both runs."""
        table = self.table()
        fig, axes = plt.subplots(
            3,
            1,
            figsize=(9, 5.5),
            sharex=True,
            gridspec_kw={"height_ratios": [0.3, 0.3, 3], "hspace": 0.1},
        )
        _strip(axes[0], self.scenario.periods(), self.scenario.time)
        axes[0].set_ylabel(self.scenario.scenario, fontsize=7, rotation=0, ha="right", va="center")
        _strip(axes[1], self.reference.periods(), self.reference.time)
        axes[1].set_ylabel(self.reference.scenario, fontsize=7, rotation=0, ha="right", va="center")
        ax = axes[2]
        change = self.change()
        for row in table.head(top).itertuples():
            style = "-" if row.polarity == "R" else "--"
            ax.plot(change.index, change[row.id], style, label=f"{row.id}: {_short(row.name)}")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel("month")
        ax.set_ylabel("share in scenario − share in reference")
        ax.grid(alpha=0.3)
        if len(table):
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.suptitle(
            f"Dominance shift - {self.scenario.scenario} against {self.reference.scenario}", fontsize=10
        )
        return fig


def dominance_shift(
    model: Any = None,
    scenario: Any = None,
    *,
    against: Any = None,
    adjustment: Literal["exclude", "include"] = "exclude",
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    equilibrium: bool | None = None,
    max_length: int | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
    atol: float = 1e-12,
) -> DominanceShift:
    """Which loops gain or lose share in a scenario run against a reference run, and when.

    Parameters
    ----------
    model : Model, path or None
        The model; ``None`` is the paper's default model.
    scenario : str, path, Scenario or Interventions
        The run examined.
    against : same kinds, or None
        The reference run; ``None`` is the baseline (the model as it is).
    adjustment, start, stop, dt, method, equilibrium, max_length, max_loops, atol
        As for :func:`loop_dominance`.

    Returns
    -------
    DominanceShift
        Both runs score the loops of the union of their causal graphs (a
        scenario may add links), on the same time grid.
    """
    _check_adjustment(adjustment)
    if scenario is None and against is None:
        raise GmsimError("dominance_shift needs a `scenario` to compare with the baseline")
    horizon = {"equilibrium": equilibrium, "start": start, "stop": stop}
    runs = [as_system(model, scenario=s, **horizon) for s in (scenario, against)]
    graph = nx.compose(runs[1][0].graph, runs[0][0].graph)
    graph.graph["name"] = runs[0][0].name
    loops = find_loops(graph, max_length=max_length, max_loops=max_loops)
    scored = [
        _dominance(system, name, loops, adjustment, start, stop, dt, method, atol)
        for system, name in runs
    ]
    return DominanceShift(scenario=scored[0], reference=scored[1])
