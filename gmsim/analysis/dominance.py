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

Any system
----------
Nothing above is special to factor models in the code: a
:class:`~gmsim.core.system.System` takes part by offering
``link_gains(t, y, params)``, the partial derivative of each effect with
respect to each cause at a state (see :class:`LinkGains`).
:meth:`FactorSystem.link_gains <gmsim.factor.system.FactorSystem.link_gains>`
gives the gains listed above, an imported stock-and-flow model those of its
compiled equations. States are stocks (their rates from ``rhs``, or the slope
of the path holding them), other nodes with causes are auxiliaries (their rates
by the chain rule); a link of the graph with no gain of its own is the chain of
hidden states (delay stages) that carries it.

Examples
--------
>>> import gmsim
>>> from gmsim.core.system import Event, Interventions
>>> shock = Interventions(events=(Event(time=1, variable="leadership_attention", multiply=0.5),))
>>> dom = gmsim.loop_dominance(scenario=shock, stop=24, equilibrium=True)  # from rest
>>> periods = dom.periods(by="polarity")
>>> first = periods.iloc[0]  # still until the first saved step after the shock
>>> float(first["start"]), float(first["end"]), first["loop"]
(0.0, 1.125, '(at rest)')
>>> "followers" in dom.loops[periods.loc[1, "loop"]].variables  # the audience answers first
True
>>> frame = dom.to_frame()
>>> bool(abs(frame.loc[12.0].abs().sum() - 1.0) < 1e-9)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import networkx as nx
import numpy as np
import pandas as pd
from scipy.special import logsumexp

from gmsim.analysis.cuts import cut_loops
from gmsim.analysis.dominance_result import Dominance
from gmsim.analysis.loops import (
    DEFAULT_MAX_LOOPS,
    LoopList,
    adjustment_loops,
    find_loops,
    no_loops_message,
)
from gmsim.core.solver import RunSettings, solve
from gmsim.core.system import Params, System
from gmsim.errors import GmsimError, LoopError, SimulationError
from gmsim.simulation.simulate import as_system

__all__ = ["ADJUSTMENT", "LinkGains", "loop_dominance"]

ADJUSTMENT = ("exclude", "include")
"""How adjustment loops enter the relative scores (see the module docstring)."""


@runtime_checkable
class LinkGains(Protocol):
    """What a System offers to be scored: the gains of its links at a state.

    ``link_gains(t, y, params)`` returns, for state rows ``y`` (shape
    ``(rows, n_states)``) at time ``t``, a mapping ``(cause, effect) ->
    ∂effect/∂cause`` (one value per row) for every edge of the system's graph:
    for an auxiliary effect the partial derivative of its value, for a stock
    that of its net flow. An edge may instead come as a chain through states
    that are not nodes of the graph (the stages of a delay): ``(cause, s1),
    (s1, s2), ..., (sn, effect)``, scored as the product along the chain. An
    entry ``(x, x)`` is the adjustment of ``x`` toward its own level.

    A System may also offer ``link_gains_batch(time, y, params)``, the same
    with one time per row of ``y``, to score a run in one call; otherwise
    ``link_gains`` is called at each saved time.
    """

    def link_gains(
        self, t: float, y: np.ndarray, params: Params
    ) -> Mapping[tuple[str, str], float | np.ndarray]: ...


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
    adjust: dict[str, int]  # node -> its self edge


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


def _gains_along(system: System, params: Params, time: np.ndarray, Y: np.ndarray) -> dict:
    """``(cause, effect) -> gains``, one per saved time, from the system's ``link_gains``."""
    T = len(time)
    batch = getattr(system, "link_gains_batch", None)
    if callable(batch):
        given = batch(time, Y, params)
        return {key: np.broadcast_to(np.asarray(g, float), (T,)) for key, g in given.items()}
    rows = [system.link_gains(t, Y[k : k + 1], params) for k, t in enumerate(time)]
    out = {}
    for key in rows[0]:
        column = np.empty(T)
        for k, row in enumerate(rows):
            if key not in row:
                raise SimulationError(
                    f"'{system.name}'.link_gains gave no gain for '{key[0]}' -> '{key[1]}' at "
                    f"time {time[k]:g}; it must give the same links at every time"
                )
            column[k] = float(np.ravel(row[key])[0])
        out[key] = column
    return out


def _chains(graph: nx.DiGraph, edges: list[tuple[str, str]], hidden: set[str], name: str) -> dict:
    """Each edge of ``graph`` as its chain of scoring edges: itself, or a path through hidden states."""
    position = {edge: k for k, edge in enumerate(edges)}
    leaving: dict[str, list[int]] = {}
    for k, (c, e) in enumerate(edges):
        if c != e:
            leaving.setdefault(c, []).append(k)

    def walk(node: str, effect: str, path: list[int], found: list[list[int]]) -> None:
        """Depth first, with a stack: a delay of a thousand stages is a chain that long."""
        stack = [(iter(leaving.get(node, ())), path)]
        while stack:
            ks, path = stack[-1]
            k = next(ks, None)
            if k is None:
                stack.pop()
                continue
            nxt = edges[k][1]
            if nxt == effect:
                found.append([*path, k])
            elif nxt in hidden and all(edges[j][1] != nxt for j in path):
                stack.append((iter(leaving.get(nxt, ())), [*path, k]))

    paths = {}
    for c, e in graph.edges:
        if (c, e) in position:
            paths[(c, e)] = [position[(c, e)]]
            continue
        found: list[list[int]] = []
        walk(c, e, [], found)
        if len(found) != 1:
            raise SimulationError(
                f"'{name}'.link_gains gave no gain for the link '{c}' -> '{e}'"
                if not found
                else f"'{name}'.link_gains gives {len(found)} chains of hidden states for the link "
                f"'{c}' -> '{e}'; it can score one"
            )
        paths[(c, e)] = found[0]
    return paths


def _scoring(system: System, params: Params, time: np.ndarray, Y: np.ndarray) -> _Scoring:
    """A System's equations linearised along a run, from its ``link_gains`` (see :class:`LinkGains`)."""
    graph = system.graph
    states = {s: i for i, s in enumerate(system.state_names)}
    given = _gains_along(system, params, time, Y)
    edges = list(given)
    nodes = list(graph.nodes)
    nodes += [s for s in states if s not in graph]
    nodes += list(dict.fromkeys(n for edge in edges for n in edge if n not in graph and n not in states))
    index = {n: i for i, n in enumerate(nodes)}
    src = np.array([index[c] for c, _ in edges], dtype=int)
    dst = np.array([index[e] for _, e in edges], dtype=int)
    T = len(time)
    gains = np.column_stack([given[edge] for edge in edges]) if edges else np.zeros((T, 0))
    paths = _chains(graph, edges, set(nodes[graph.number_of_nodes() :]), system.name)

    # rates of the stocks: the system's own, or the slope of the path holding a state
    held, slope = _forcing_slopes(system, params, time)
    columns = [index[s] for s in states]
    rates = np.zeros((T, len(nodes)))
    for k, t in enumerate(time):
        rates[k, columns] = system.rhs(t, Y[k : k + 1], params)[0]
    rates[:, columns] = np.where(held, slope, rates[:, columns])
    # a held state does not respond to its causes
    into = [k for k, (_, e) in enumerate(edges) if e in states]
    gains[:, into] *= ~held[:, [states[edges[k][1]] for k in into]]

    stocks = np.array([n in states for n in nodes], dtype=bool)
    between = nx.DiGraph()
    between.add_nodes_from(n for n in nodes if n not in states)
    between.add_edges_from((c, e) for c, e in edges if c not in states and e not in states)
    try:
        order = list(nx.topological_sort(between))
    except nx.NetworkXUnfeasible:
        raise SimulationError(
            f"'{system.name}' has a loop of auxiliaries with no stock on it (an algebraic loop); "
            "loop dominance needs every loop to pass through a stock"
        ) from None
    caused = set(dst.tolist())
    aux = [index[n] for n in order if index[n] in caused]
    adjust = {c: k for k, (c, e) in enumerate(edges) if c == e}
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
        if loop.kind == "adjustment" and loop.length == 1:
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
    check_adjustment(adjustment)
    system, name = as_system(model, scenario=scenario, equilibrium=equilibrium, start=start, stop=stop)
    if loops is None:
        loops = find_loops(system, max_length=max_length, max_loops=max_loops)
    return score_run(system, name, loops, adjustment, start, stop, dt, method, atol)


def check_adjustment(adjustment: str) -> None:
    """Refuse an ``adjustment`` that is not one of :data:`ADJUSTMENT`."""
    if adjustment not in ADJUSTMENT:
        raise GmsimError(f"`adjustment` must be one of {', '.join(ADJUSTMENT)}, got {adjustment!r}")


def score_run(
    system: System, scenario_name: str, loops: LoopList, adjustment, start, stop, dt, method, atol
) -> Dominance:
    """Loop dominance of one compiled system along its run (what :func:`loop_dominance` returns)."""
    if not callable(getattr(system, "link_gains", None)):
        raise SimulationError(
            f"loop dominance needs the equations of '{system.name}': a factor model, an imported "
            "stock-and-flow model, or a System that offers link_gains(t, y, params) (see "
            "gmsim.analysis.dominance.LinkGains)"
        )
    feedback = loops.feedback
    if not feedback:
        raise LoopError(f"{no_loops_message(system.name)}; there is no loop dominance to compute")
    graph = system.graph
    scored = [*feedback, *adjustment_loops(graph)]
    settings = RunSettings.for_system(system, start=start, stop=stop, dt=dt, method=method)
    params = system.parameters()
    run = solve(system, params, settings, save="states", scenario=scenario_name)
    time, Y = run.time, run.values[0]
    sc = _scoring(system, params, time, Y)
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
        cuts=tuple(
            cut_loops(kept, getattr(system, "interventions", None), float(time[0]), float(time[-1]))
        ),
    )


def _link_frame(loops, sc: _Scoring, logs, signs, time) -> pd.DataFrame:
    """Scores of the links on the loops (a delayed link: the product along its stages)."""
    columns = {}
    for lp in loops:
        own = lp.kind == "adjustment" and lp.length == 1
        links = [(lp.variables[0], lp.variables[0])] if own else lp.links
        for link in links:
            name = f"{link[0]}->{link[1]}"
            edges = [sc.adjust[link[0]]] if own else sc.paths.get(link)
            if name in columns or edges is None:
                continue
            with np.errstate(over="ignore"):
                columns[name] = np.exp(logs[:, edges].sum(axis=1)) * np.prod(signs[:, edges], axis=1)
    return pd.DataFrame(columns, index=pd.Index(time, name="time"))
