"""Ranges of an imported model's variables, read off its equations by interval arithmetic.

:func:`model_ranges` gives each variable of a model its range (see
:mod:`gmsim.xmile.intervals` for one expression): constants their values,
auxiliaries and flows what their equations allow, and a stock ``[0, 1]`` (or
``[0, ∞)``) where the model's own flows keep it there: at its lower bound its
net flow is never negative and at its upper bound never positive, whatever the
other variables do within their ranges (the box condition for a region the
model, in continuous time, never leaves). Ranges found for several stocks at once
are checked together, each assuming the others', and any stock that fails is
widened until all that are left hold. Everything else is ``(-∞, ∞)``.

The link signs of :mod:`gmsim.xmile.graph` rest on these ranges:
``seeding_rate * staff * (1 - followers)`` rises with ``staff`` because the
model's own flows keep ``followers`` in [0, 1].

Examples
--------
>>> from gmsim.xmile.expr import parse
>>> from gmsim.xmile.flat import FlatVariable
>>> share = FlatVariable("share", "stock", parse("0.1"), inflows=("rise",))
>>> rise = FlatVariable("rise", "flow", parse("rate * share * (1 - share)"))
>>> model_ranges((share, rise, FlatVariable("rate", "aux", parse("2"))))["share"]
(0.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import networkx as nx

from gmsim.xmile.expr import Var
from gmsim.xmile.flat import FlatVariable, Lookup, Ref, refs
from gmsim.xmile.intervals import (
    NON_NEGATIVE,
    WHOLE,
    Interval,
    arith,
    combine,
    constant,
    interval,
    parts,
)

__all__ = ["constant_values", "model_ranges"]

_CHECKS = 100_000
"""Most equations evaluated while proving stock ranges (seconds at most); past it none is kept."""


def constant_values(
    variables: Sequence[FlatVariable], values: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Values of the model's constants: numbers, and expressions of numbers and other constants.

    ``values`` adds values known otherwise (a compiled model's constants).
    """
    known = dict(values or {})
    pending = {
        v.name: v for v in variables if v.kind != "stock" and v.gf is None and v.name not in known
    }
    uses = nx.DiGraph()
    uses.add_nodes_from(pending)
    for v in pending.values():
        uses.add_edges_from((r, v.name) for r in _reads(v.equation, "all") if r in pending)
    for name in _in_order(uses):
        v = pending[name]
        if not _reads(v.equation, "all") - known.keys():
            value = constant(v.equation, known)
            if value is not None:
                known[name] = value
    return known


def _in_order(graph: nx.DiGraph) -> list:
    """The nodes, each after those it reads (those on a circle left out)."""
    circle = {n for c in nx.strongly_connected_components(graph) if len(c) > 1 for n in c}
    circle |= {n for n in graph if graph.has_edge(n, n)}
    return list(nx.topological_sort(graph.subgraph(n for n in graph if n not in circle)))


def _reads(node, mode: str = "run") -> set[str]:
    """The names an equation reads (:func:`refs`), names not yet resolved (``Var``) included."""
    out, stack = refs(node, mode=mode), [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Var):
            out.add(n.name)
        stack.extend(parts(n))
    return out


def _postorder(node) -> list[tuple]:
    """The nodes of an expression, each after its parts, with their number (names: ``None``)."""
    out: list[tuple] = []
    stack: list = [(node, False)]
    while stack:
        n, done = stack.pop()
        below = parts(n)
        if done or not below:
            out.append((n, None if isinstance(n, Ref | Var) else len(below)))
            continue
        stack.append((n, True))
        stack.extend((c, False) for c in reversed(below))
    return out


def _run(plan: list[tuple], ranges: Mapping[str, Interval], values: Mapping[str, float]) -> Interval:
    """:func:`interval` over a :func:`_postorder` plan (worked out once, run many times)."""
    stack: list = []
    for node, n in plan:
        if n is None:
            stack.append(ranges.get(node.name, WHOLE))
        elif n == 0:
            stack.append(combine(node, (), values))
        else:
            args = stack[-n:]
            del stack[-n:]
            stack.append(combine(node, args, values))
    return stack[0]


def _range_of(v: FlatVariable, plan, ranges: Mapping[str, Interval], values) -> Interval:
    if v.gf is not None:
        return combine(Lookup(v.gf, v.equation), [WHOLE], values)
    lo, hi = _run(plan, ranges, values)
    return (max(lo, 0.0), max(hi, 0.0)) if v.kind == "flow" and v.non_negative else (lo, hi)


def model_ranges(
    variables: Sequence[FlatVariable], values: Mapping[str, float] | None = None
) -> dict[str, Interval]:
    """The range of every variable of a model (see the module's description).

    ``values`` adds constants known otherwise (a compiled model's).
    """
    known = constant_values(variables, values)
    by_name = {v.name: v for v in variables}
    stocks = [v for v in variables if v.kind == "stock"]
    deps = nx.DiGraph()
    deps.add_nodes_from(v.name for v in variables if v.name not in known)
    for v in variables:
        if v.kind != "stock" and v.name not in known:
            deps.add_edges_from((r, v.name) for r in _reads(v.equation) if r in deps)
    order = _in_order(deps.subgraph(n for n in deps if by_name[n].kind != "stock"))
    rank = {n: k for k, n in enumerate(order)}
    cyclic = {n for n in deps if n not in rank and by_name[n].kind != "stock"}
    below = {}  # what to work out again when the stock is pinned: what its flows read of it
    for s in stocks:
        moved = nx.descendants(deps, s.name)
        needed = {f for f in (*s.inflows, *s.outflows) if f in moved}
        for f in list(needed):
            needed |= nx.ancestors(deps, f) & moved
        below[s.name] = sorted((n for n in needed if n in rank), key=rank.__getitem__)
    base = {k: (x, x) for k, x in known.items()} | dict.fromkeys(cyclic, WHOLE)

    plans = {n: _postorder(by_name[n].equation) for n in order}

    def evaluate(ranges: dict, names) -> dict:
        for n in names:
            ranges[n] = _range_of(by_name[n], plans[n], ranges, known)
        return ranges

    floor = {s.name: NON_NEGATIVE if s.non_negative else WHOLE for s in stocks}
    boxes = {s.name: [(0.0, 1.0), NON_NEGATIVE] for s in stocks}
    spent = 0
    while True:
        assumed = {n: (b[0] if b else floor[n]) for n, b in boxes.items()}
        ranges = evaluate(base | assumed, order)
        changed, spent = False, spent + len(order)
        for s in stocks:
            box = boxes[s.name]
            if not box:
                continue
            spent += 2 * len(below[s.name]) + 1
            if spent > _CHECKS:
                return evaluate(base | floor, order)
            if not _holds(s, box[0], ranges, below[s.name], evaluate, known):
                box.pop(0)
                changed = True
        if not changed:
            return ranges


def _holds(s: FlatVariable, box: Interval, ranges: dict, below, evaluate, known) -> bool:
    """The stock starts in ``box`` and its net flow points inward on both of its ends."""
    lo, hi = interval(s.equation, ranges, known)
    if lo < box[0] or hi > box[1]:
        return False
    for end, inward in ((box[0], 1), (box[1], -1)):
        if math.isinf(end) or (inward == 1 and s.non_negative and end == 0):
            continue
        pinned = evaluate({**ranges, s.name: (end, end)}, below)
        net = (0.0, 0.0)
        for f in s.inflows:
            net = arith("+", net, pinned.get(f, WHOLE))
        for f in s.outflows:
            net = arith("-", net, pinned.get(f, WHOLE))
        if (net[0] if inward == 1 else -net[1]) < 0:
            return False
    return True
