"""Feedback loops of a causal graph: list them, name them, give their polarity.

A feedback loop is a chain of links that leads from a factor back to itself.
Its polarity is the product of its links' signs: reinforcing (``R``) when the
product is positive, balancing (``B``) when negative, undetermined (``U``) when
a link has weight 0 or no sign (a stock whose own flows pull both ways).
Exogenous factors have no causes, so they are never on a loop; a delayed link
is a link like any other, and is marked in the loop's name (``→||``, the double
bar of causal loop diagrams).

Enumeration uses :func:`networkx.simple_cycles` with two bounds: a longest loop
(``max_length`` links) and a largest count (``max_loops``). When the count
bound cuts the list, the shortest loops are kept: every loop up to some length
``k`` is listed, then as many of length ``k + 1`` as fit, and the list says so
(:attr:`LoopList.truncated`, :attr:`LoopList.note`).

Loop ids are ``R1, R2, ...`` and ``B1, B2, ...``, numbered shortest first (ties
in the order of the model's factors); each loop starts at its factor that comes
first in the model, so ids and names are the same from run to run.

Adjustment loops
----------------
Every endogenous factor also has a first-order adjustment toward the level its
causes set (the ``−x/τ`` term of its equation): a balancing loop of one link
on itself, the factor's inertia. So does a stock, through its own flows alone
(:func:`adjustment_loops`). They are left out of a listing unless
``adjustment=True``; then each such loop gets an id ``A1, A2, ...``. See :mod:`gmsim.analysis.dominance` for how they
enter the loop scores.

Examples
--------
>>> import gmsim
>>> loops = gmsim.find_loops(gmsim.load_model())
>>> loops["R1"].name  # the shortest reinforcing loop: an audience engages, engagement adopts
'Followers → Citizen engagement'
>>> loops["B2"].polarity, loops["B2"].variables
('B', ('workload', 'responsiveness', 'citizen_engagement'))

Followers act on their own inflow (adoption needs an audience) and on their
outflows (each leaving flow is a share of them): the two disagree, so the
stock's own-flow loop has no sign of its own. Like each factor's ``−x/τ`` it is
an adjustment loop.

>>> every = gmsim.find_loops(gmsim.load_model(), adjustment=True)
>>> [(lp.id, lp.polarity) for lp in every if lp.variables == ("followers",)]
[('A19', 'U')]
>>> len(loops) == len(loops.reinforcing) + len(loops.balancing)
True
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx
import pandas as pd

from gmsim.analysis.words import POLARITY, count
from gmsim.errors import LoopError, did_you_mean

__all__ = [
    "DEFAULT_MAX_LOOPS",
    "Loop",
    "LoopError",
    "LoopList",
    "adjustment_loops",
    "causal_graph",
    "describe_loop",
    "find_loops",
    "loop_summary",
    "loop_table",
]

DEFAULT_MAX_LOOPS = 10_000
"""Loops listed at most unless ``max_loops`` says otherwise."""

DELAY_MARK = "||"
"""Written after the arrow of a delayed link in loop names (``A →|| B``)."""


@dataclass(frozen=True)
class Loop:
    """One feedback loop.

    Parameters
    ----------
    id : str
        ``R<n>`` (reinforcing), ``B<n>`` (balancing), ``U<n>`` (a link of weight 0
        makes the polarity undetermined) or ``A<n>`` (a factor's own adjustment).
    variables : tuple of str
        The factors in the order the loop runs; the last links back to the first.
    signs : tuple of int
        Sign of each link, ``signs[k]`` for ``variables[k] -> variables[k + 1]``.
    delays : tuple of float
        Delay of each link in months (0: none).
    labels : tuple of str
        Readable labels of the variables.
    kind : str
        ``"feedback"`` (a loop of the diagram) or ``"adjustment"``.
    """

    id: str
    variables: tuple[str, ...]
    signs: tuple[int, ...]
    delays: tuple[float, ...]
    labels: tuple[str, ...] = ()
    kind: str = "feedback"

    def __post_init__(self) -> None:
        if not self.labels:
            object.__setattr__(self, "labels", tuple(str(v).replace("_", " ") for v in self.variables))

    @property
    def length(self) -> int:
        """Number of links (= number of variables)."""
        return len(self.variables)

    @property
    def polarity(self) -> str:
        """``"R"`` (reinforcing), ``"B"`` (balancing) or ``"U"`` (a link of weight 0 or of no sign)."""
        product = math.prod(self.signs)
        return "R" if product > 0 else "B" if product < 0 else "U"

    @property
    def links(self) -> tuple[tuple[str, str], ...]:
        """The loop's links as ``(cause, effect)`` pairs, in order."""
        v = self.variables
        return tuple((v[k], v[(k + 1) % len(v)]) for k in range(len(v)))

    @property
    def delay(self) -> float:
        """Total delay around the loop, in months."""
        return float(sum(self.delays))

    @property
    def delayed(self) -> tuple[tuple[str, str], ...]:
        """The delayed links of the loop."""
        return tuple(link for link, d in zip(self.links, self.delays, strict=True) if d > 0)

    @property
    def name(self) -> str:
        """The loop in words: labels joined by arrows, ``→||`` for a delayed link.

        The link that closes the loop is written only when it is delayed (a
        trailing ``→||``). An adjustment loop reads ``"Adjustment of <label>"``.
        """
        if self.kind == "adjustment":
            return f"Adjustment of {self.labels[0]}"
        out = self.labels[0]
        for label, delay in zip(self.labels[1:], self.delays, strict=False):
            out += (f" →{DELAY_MARK} " if delay > 0 else " → ") + label
        return out + (f" →{DELAY_MARK}" if self.delays[-1] > 0 else "")

    def __contains__(self, factor: object) -> bool:
        return factor in self.variables

    def __str__(self) -> str:
        return f"{self.id} ({self.polarity}, {self.length} links): {self.name}"


@dataclass(frozen=True)
class LoopList(Sequence[Loop]):
    """The loops of a model, shortest first, with the bounds they were found under.

    Index it by position or by loop id (``loops["R2"]``); an unknown id raises
    :class:`LoopError` with a suggestion.
    """

    loops: tuple[Loop, ...]
    model: str = ""
    max_length: int | None = None
    max_loops: int = DEFAULT_MAX_LOOPS
    truncated: bool = False
    note: str = ""
    _by_id: dict[str, Loop] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({loop.id: loop for loop in self.loops})

    def __len__(self) -> int:
        return len(self.loops)

    def __iter__(self) -> Iterator[Loop]:
        return iter(self.loops)

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return self.get(key)
        return self.loops[key]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(loop.id for loop in self.loops)

    def get(self, id: str) -> Loop:
        """The loop called ``id`` (any case); a :class:`LoopError` with a suggestion otherwise."""
        found = self._by_id.get(id) or self._by_id.get(str(id).upper())
        if found is not None:
            return found
        if not self.loops:
            raise LoopError(f"no loop '{id}': {no_loops_message(self.model)}") from None
        raise LoopError(
            f"no loop '{id}' in {self.model or 'the model'}{did_you_mean(id, self.ids)}; "
            f"its loops are {_id_ranges(self.ids)} (see `gmsim loops`)"
        ) from None

    def select(self, ids: Iterable[str]) -> LoopList:
        """Only the loops named in ``ids`` (each checked)."""
        return self._replace(tuple(self.get(i) for i in ids))

    def through(self, *factors: str) -> LoopList:
        """The loops that pass through every factor given."""
        return self._replace(tuple(lp for lp in self.loops if all(f in lp for f in factors)))

    @property
    def reinforcing(self) -> LoopList:
        return self._replace(tuple(lp for lp in self.loops if lp.polarity == "R"))

    @property
    def balancing(self) -> LoopList:
        return self._replace(tuple(lp for lp in self.loops if lp.polarity == "B"))

    @property
    def feedback(self) -> LoopList:
        """The loops of the diagram (adjustment loops left out)."""
        return self._replace(tuple(lp for lp in self.loops if lp.kind == "feedback"))

    def _replace(self, loops: tuple[Loop, ...]) -> LoopList:
        return LoopList(loops, self.model, self.max_length, self.max_loops, self.truncated, self.note)

    def summary(self) -> str:
        """One line: how many loops, of which polarity and length, and whether the list is cut."""
        if not self.loops:
            return no_loops_message(self.model)
        fb = self.feedback
        counts = {p: sum(lp.polarity == p for lp in fb) for p in "RBU"}
        parts = [f"{counts['R']} reinforcing", f"{counts['B']} balancing"]
        if counts["U"]:
            parts.append(f"{counts['U']} undetermined")
        text = f"{count(len(fb), 'feedback loop')} ({', '.join(parts)})"
        if fb:
            shortest, longest = min(lp.length for lp in fb), max(lp.length for lp in fb)
            span = f"{shortest}" if shortest == longest else f"{shortest} to {longest}"
            text += f", {span} {'link' if longest == 1 else 'links'} long"
        adjustment = len(self) - len(fb)
        if adjustment:
            text += f"; {count(adjustment, 'adjustment loop')}"
        return text + (f". {self.note}" if self.note else "")

    def to_frame(self) -> pd.DataFrame:
        """One row per loop: id, polarity, kind, length, delayed links, total delay, variables, name.

        Examples
        --------
        >>> import gmsim
        >>> frame = gmsim.find_loops(gmsim.load_model()).to_frame()
        >>> list(frame.columns)
        ['id', 'polarity', 'kind', 'length', 'delayed_links', 'delay', 'variables', 'name']
        """
        return pd.DataFrame(
            [
                {
                    "id": lp.id,
                    "polarity": lp.polarity,
                    "kind": lp.kind,
                    "length": lp.length,
                    "delayed_links": len(lp.delayed),
                    "delay": lp.delay,
                    "variables": " -> ".join(lp.variables),
                    "name": lp.name,
                }
                for lp in self.loops
            ],
            columns=["id", "polarity", "kind", "length", "delayed_links", "delay", "variables", "name"],
        )


def loop_table(loops: LoopList) -> str:
    """The loops as a text table: id, polarity, links, delay, name (wrapped at 80 characters).

    Examples
    --------
    >>> import gmsim
    >>> print(loop_table(gmsim.find_loops().select(["R1"])))
      id   pol  links  delay  loop
      R1   R        2         Followers → Citizen engagement
    """
    lines = [f"  {'id':<5}{'pol':<5}{'links':>5}{'delay':>7}  loop"]
    for lp in loops:
        delay = f"{lp.delay:g}" if lp.delay else ""
        wrapped = textwrap.wrap(lp.name, width=80) or [""]
        lines.append(f"  {lp.id:<5}{lp.polarity:<5}{lp.length:>5}{delay:>7}  {wrapped[0]}")
        lines.extend(" " * 24 + more for more in wrapped[1:])
    return "\n".join(lines)


def describe_loop(loop: Loop, graph: nx.DiGraph) -> str:
    """One loop link by link: sign, weight, delay and the source (paper section) of each link.

    ``graph`` is the causal graph the loop was found in (see :func:`causal_graph`).

    Examples
    --------
    >>> import gmsim
    >>> model = gmsim.load_model()
    >>> print(describe_loop(gmsim.find_loops(model)["B2"], model.graph()))
    B2: balancing loop of 3 link(s)
      Workload → Responsiveness → Citizen engagement
      workload -> responsiveness: - weight -0.4  [2.4.6]
      responsiveness -> citizen_engagement: + weight 0.2  [2.4.6]
      citizen_engagement -> workload: + weight 0.4  [2.4.1]
    """
    lines = [
        f"{loop.id}: {POLARITY[loop.polarity]} loop of {loop.length} link(s)"
        + (" (adjustment)" if loop.kind != "feedback" else "")
    ]
    lines.append(f"  {loop.name}")
    if loop.kind != "feedback":
        lines.append("  the factor's first-order adjustment toward the level its causes set (−x/τ)")
        return "\n".join(lines)
    for (cause, effect), sign, delay in zip(loop.links, loop.signs, loop.delays, strict=True):
        data = graph.edges[cause, effect]
        what = f"{'+' if sign > 0 else '-' if sign < 0 else '0'} weight {data.get('weight', float('nan')):g}"
        if delay:
            what += f", delay {delay:g} months"
        if data.get("kind") == "composite":
            what += " (part of the composite)"
        source = f"  [{data['source']}]" if data.get("source") else ""
        lines.append(f"  {cause} -> {effect}: {what}{source}")
    return "\n".join(lines)


def loop_summary(loops: LoopList, *, loop: str | None = None, graph: nx.DiGraph | None = None) -> str:
    """What ``gmsim loops`` prints: the count of loops, then their table or one loop link by link.

    Parameters
    ----------
    loops : LoopList
        From :func:`find_loops`.
    loop : str, optional
        A loop id: describe this loop (:func:`describe_loop`) instead of listing all.
    graph : networkx.DiGraph, optional
        The graph the loops were found in; needed with ``loop``.

    Examples
    --------
    >>> import gmsim
    >>> print(loop_summary(gmsim.find_loops()).splitlines()[0])
    245 feedback loops (135 reinforcing, 110 balancing), 2 to 13 links long
    """
    lines = [loops.summary()]
    if loop:
        if graph is None:
            raise LoopError(
                "`graph` is needed to describe a loop's links: pass the causal graph the loops were "
                "found in (causal_graph(model))"
            )
        lines.append(describe_loop(loops.get(loop), graph))
    elif loops:
        lines.append(loop_table(loops))
    return "\n".join(lines)


def no_loops_message(model: str = "") -> str:
    """What to tell a user whose model has no feedback loop."""
    return (
        f"model '{model}' has no feedback loops: no chain of links leads from a factor back to "
        "itself, so its behaviour is driven from outside (add a link that closes a loop to see feedback)"
        if model
        else "the model has no feedback loops: no chain of links leads from a factor back to itself"
    )


def _id_ranges(ids: Sequence[str]) -> str:
    """``R1-R5, B1-B3`` for a list of ids."""
    by_prefix: dict[str, list[int]] = {}
    for i in ids:
        prefix, number = i[0], i[1:]
        if number.isdigit():
            by_prefix.setdefault(prefix, []).append(int(number))
    return ", ".join(
        f"{p}{min(n)}-{p}{max(n)}" if len(n) > 1 else f"{p}{n[0]}" for p, n in by_prefix.items()
    )


def causal_graph(model=None) -> nx.DiGraph:
    """The causal graph of a model, a compiled system, a model file, or the default model.

    A :class:`networkx.DiGraph` is returned as it is. Edges carry ``sign``,
    ``weight`` and ``delay``; nodes carry ``label``, ``group`` and ``kind``.
    """
    if isinstance(model, nx.DiGraph):
        return model
    graph = getattr(model, "graph", None)
    if isinstance(graph, nx.DiGraph):  # a System
        return graph
    if callable(graph):  # a Model
        return graph()
    if model is None or isinstance(model, str | os.PathLike):
        from gmsim.simulation.load import load_model

        return causal_graph(load_model(model))
    if hasattr(model, "compile"):
        return model.compile().graph
    raise LoopError(
        f"cannot find a causal graph in {type(model).__name__}; pass a Model, a System, "
        "a model file or a networkx DiGraph"
    )


def find_loops(
    model=None,
    *,
    max_length: int | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
    adjustment: bool = False,
) -> LoopList:
    """List the feedback loops of a model's causal graph, shortest first.

    Parameters
    ----------
    model : Model, System, DiGraph, path or None
        What to analyse; ``None`` is the paper's default model.
    max_length : int or None
        Longest loop listed, in links (at least 2). ``None``: no bound.
    max_loops : int
        Most loops listed. When there are more, the shortest are kept and the
        list is marked ``truncated`` with a note saying where it was cut.
    adjustment : bool
        Also list the adjustment loops (``A<n>``): each endogenous factor's one-link
        ``−x/τ`` and each stock's own-flow loops (see :func:`adjustment_loops`).

    Returns
    -------
    LoopList
        Empty when the model has no feedback loop (see :func:`no_loops_message`).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph()
    >>> g.add_edge("sales", "word_of_mouth", sign=1)
    >>> g.add_edge("word_of_mouth", "sales", sign=1)
    >>> g.add_edge("sales", "saturation", sign=1)
    >>> g.add_edge("saturation", "sales", sign=-1)
    >>> [str(loop) for loop in find_loops(g)]
    ['R1 (R, 2 links): sales → word of mouth', 'B1 (B, 2 links): sales → saturation']
    """
    if max_length is not None and (isinstance(max_length, bool) or int(max_length) != max_length):
        raise LoopError(f"`max_length` must be a whole number of links, got {max_length!r}")
    if max_length is not None and max_length < 2:
        raise LoopError(
            f"`max_length` (--max-length) must be at least 2 links, got {max_length}: a loop needs two "
            "links to come back to its start (a factor's one-link adjustment is listed with "
            "`adjustment=True`, --adjustment)"
        )
    if isinstance(max_loops, bool) or int(max_loops) != max_loops or max_loops < 1:
        raise LoopError(f"`max_loops` must be a whole number >= 1, got {max_loops!r}")
    graph = causal_graph(model)
    order = {node: k for k, node in enumerate(graph.nodes)}
    cycles, truncated, note = _enumerate(graph, max_length, int(max_loops))
    own = _own_flow_loops(graph, cycles)
    mine = set(own)
    cycles = sorted(
        (_rotate(c, order) for c in cycles if tuple(c) not in mine),
        key=lambda c: (len(c), [order[v] for v in c]),
    )
    counters: dict[str, int] = {}
    loops: list[Loop] = []
    for cycle in cycles:
        loop = _make_loop(cycle, graph)
        counters[loop.polarity] = counters.get(loop.polarity, 0) + 1
        loops.append(replace(loop, id=f"{loop.polarity}{counters[loop.polarity]}"))
    if adjustment:
        loops.extend(adjustment_loops(graph, cycles=own))
    name = graph.graph.get("name", "")
    return LoopList(tuple(loops), name, max_length, int(max_loops), truncated, note)


def adjustment_loops(graph: nx.DiGraph, *, cycles: Sequence[Sequence[str]] | None = None) -> list[Loop]:
    """The adjustment loops of a graph, ``A1, A2, ...`` in model order.

    An endogenous factor's is its one-link ``−x/τ`` term (polarity ``B``). A stock's are its
    own-flow loops: the loops through that stock alone (no other stock or endogenous factor)
    that close on a ``flow`` edge into it, such as ``x → x_adjustment → x`` or a stock's
    ``flow`` edge on itself. They count as the stock's inertia when the graph has a loop
    through two or more stocks or endogenous factors; a model whose loops each run through
    one stock (a teacup, an epidemic) keeps them as feedback loops. ``cycles``: the own-flow
    loops, when already found.

    Examples
    --------
    >>> g = nx.DiGraph([(a, b, {"sign": s, "kind": "flow" if a[0] == "f" else "info"}) for a, b, s in
    ...     [("x", "fx", -1), ("fx", "x", 1), ("y", "fy", -1), ("fy", "y", 1), ("x", "fy", 1), ("y", "fx", 1)]])
    >>> nx.set_node_attributes(g, {"x": "stock", "y": "stock", "fx": "flow", "fy": "flow"}, "kind")
    >>> [str(lp) for lp in adjustment_loops(g)]
    ['A1 (B, 2 links): Adjustment of x', 'A2 (B, 2 links): Adjustment of y']
    >>> [str(lp) for lp in find_loops(g)]
    ['R1 (R, 4 links): x → fy → y → fx']
    """
    if cycles is None:
        found, _, _ = _enumerate(graph, None, DEFAULT_MAX_LOOPS)
        cycles = _own_flow_loops(graph, found)
    order = {node: k for k, node in enumerate(graph.nodes)}
    made = [
        (order[n], 1, [order[n]], Loop("", (n,), (-1,), (0.0,), (_label(graph, n),), "adjustment"))
        for n, kind in graph.nodes(data="kind")
        if kind == "endogenous"
    ]
    for c in cycles:
        c = _rotate(list(c), {v: (graph.nodes[v].get("kind") != "stock", order[v]) for v in c})
        loop = replace(_make_loop(c, graph), kind="adjustment")
        made.append((order[c[0]], len(c), [order[v] for v in c], loop))
    made.sort(key=lambda m: m[:3])
    return [replace(m[3], id=f"A{k}") for k, m in enumerate(made, start=1)]


def _own_flow_loops(graph: nx.DiGraph, cycles: Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    """The cycles that are a stock's own-flow loops (see :func:`adjustment_loops`)."""
    kinds = dict(graph.nodes(data="kind"))
    states = {n for n, kind in kinds.items() if kind in ("stock", "endogenous")}
    cycles = [tuple(c) for c in cycles]
    if not any(kind == "stock" for kind in kinds.values()):
        return []
    if not any(len(states.intersection(c)) >= 2 for c in cycles):
        return []
    out = []
    for c in cycles:
        on = [k for k, v in enumerate(c) if v in states]
        if len(on) == 1 and kinds[c[on[0]]] == "stock":
            into = graph.edges[c[on[0] - 1], c[on[0]]]
            if into.get("kind") == "flow":
                out.append(c)
    return out


def _label(graph: nx.DiGraph, node) -> str:
    return graph.nodes[node].get("label") or str(node).replace("_", " ")


def _make_loop(cycle: Sequence[str], graph: nx.DiGraph) -> Loop:
    n = len(cycle)
    edges = [graph.edges[cycle[k], cycle[(k + 1) % n]] for k in range(n)]
    return Loop(
        id="",
        variables=tuple(cycle),
        signs=tuple(int(e.get("sign", 1)) for e in edges),
        delays=tuple(float(e.get("delay", 0.0) or 0.0) for e in edges),
        labels=tuple(_label(graph, v) for v in cycle),
    )


def _rotate(cycle: list[str], order: dict) -> list[str]:
    """Start the cycle at its variable that comes first in the model."""
    k = min(range(len(cycle)), key=lambda i: order[cycle[i]])
    return cycle[k:] + cycle[:k]


def _cycles(graph: nx.DiGraph, bound: int | None, cap: int) -> list[list[str]] | None:
    """All simple cycles up to ``bound`` links, or ``None`` when there are more than ``cap``."""
    found = []
    for cycle in nx.simple_cycles(graph, length_bound=bound):
        found.append(cycle)
        if len(found) > cap:
            return None
    return found


def _enumerate(graph: nx.DiGraph, max_length: int | None, cap: int) -> tuple[list, bool, str]:
    """Cycles within the bounds; when there are too many, the shortest ``cap`` of them."""
    found = _cycles(graph, max_length, cap)
    if found is not None:
        return found, False, ""
    # Too many: find the longest length k whose loops all fit, then fill up with length k + 1.
    complete: list[list[str]] = []
    k = 1
    longest = max_length or graph.number_of_nodes()
    while k < longest:
        more = _cycles(graph, k + 1, cap)
        if more is None:
            break
        complete, k = more, k + 1
    extra = []
    for cycle in nx.simple_cycles(graph, length_bound=k + 1):
        if len(cycle) == k + 1:
            extra.append(cycle)
            if len(complete) + len(extra) >= cap:
                break
    note = (
        f"The list stops at {cap:,} loops: it has every loop of up to {k} links and "
        f"{len(extra):,} of those of {k + 1} links; raise max_loops (--max-loops) or lower "
        "max_length (--max-length) to see a complete list"
    )
    return complete + extra, True, note
