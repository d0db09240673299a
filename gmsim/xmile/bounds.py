"""Ranges of an imported model's variables, read off its equations by interval arithmetic.

:func:`interval` bounds an expression given the ranges of the names it reads;
:func:`model_ranges` gives each variable of a model its range: constants their
values, auxiliaries and flows what their equations allow, and a stock ``[0, 1]``
(or ``[0, ∞)``) where the model's own flows keep it there: at its lower bound its
net flow is never negative and at its upper bound never positive, whatever the
other variables do within their ranges (the box condition for a region the
model, in continuous time, never leaves). Ranges found for several stocks at once
are checked together, each assuming the others', and any stock that fails is
widened until all that are left hold. Everything else is ``(-∞, ∞)``.

The link signs of :mod:`gmsim.xmile.graph` rest on these ranges:
``seeding_rate * staff * (1 - followers)`` rises with ``staff`` because the
model's own flows keep ``followers`` in [0, 1]. The saturation curve of
exported factor models, ``u / (c + ABS(k * u) ^ q) ^ (1 / q)``, is recognised
(:func:`saturation`): it rises with ``u`` and stays within ``±1 / |k|``.

Every walk over an expression is iterative (:func:`fold`): deep nesting costs no recursion.

Examples
--------
>>> from gmsim.xmile.expr import parse
>>> from gmsim.xmile.flat import FlatVariable
>>> interval(parse("0.5 + u / (1 + ABS(2 * u) ^ 2.5) ^ (1 / 2.5)"), {})
(0.0, 1.0)
>>> share = FlatVariable("share", "stock", parse("0.1"), inflows=("rise",))
>>> rise = FlatVariable("rise", "flow", parse("rate * share * (1 - share)"))
>>> model_ranges((share, rise, FlatVariable("rate", "aux", parse("2"))))["share"]
(0.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import networkx as nx

from gmsim.xmile.expr import Binary, Call, Chain, If, Num, Unary, Var
from gmsim.xmile.flat import (
    ActiveInitial,
    Delayed,
    FlatVariable,
    Initial,
    Items,
    Lookup,
    Previous,
    Ref,
    Select,
    children,
    refs,
)

__all__ = [
    "NON_NEGATIVE",
    "WHOLE",
    "arith",
    "combine",
    "constant_values",
    "fold",
    "interval",
    "model_ranges",
    "parts",
    "same",
    "saturation",
]

INF = math.inf
WHOLE = (-INF, INF)
"""The range of a quantity nothing is known about."""

NON_NEGATIVE = (0.0, INF)
_POSITIVE = (5e-324, INF)  # DT
_TRUTH = (0.0, 1.0)
_CHECKS = 100_000
"""Most equations evaluated while proving stock ranges (seconds at most); past it none is kept."""

Interval = tuple[float, float]


def fold(root, kids: Callable, combine: Callable):
    """``combine(node, [results of its kids])`` over a tree, bottom up, without recursion."""
    stack: list = [(root, -1)]
    out: list = []
    while stack:
        node, n = stack.pop()
        if n < 0:
            below = kids(node)
            stack.append((node, len(below)))
            stack.extend((c, -1) for c in reversed(below))
        else:
            args = out[len(out) - n :] if n else []
            del out[len(out) - n :]
            out.append(combine(node, args))
    return out[0]


def same(a, b) -> bool:
    """Two expressions written alike (compared without recursion)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, Ref | Var | Num):
            if x != y:
                return False
            continue
        if isinstance(x, Call | Unary | Binary | Chain | Lookup) and (
            getattr(x, "name", None) != getattr(y, "name", None)
            or getattr(x, "op", None) != getattr(y, "op", None)
            or getattr(x, "ops", None) != getattr(y, "ops", None)
            or getattr(x, "gf", None) != getattr(y, "gf", None)
        ):
            return False
        cx, cy = children(x), children(y)
        if len(cx) != len(cy):
            return False
        stack.extend(zip(cx, cy, strict=True))
    return True


def _add(a: Interval, b: Interval) -> Interval:
    lo, hi = a[0] + b[0], a[1] + b[1]
    return (-INF if lo != lo else lo, INF if hi != hi else hi)


def _neg(a: Interval) -> Interval:
    return (-a[1], -a[0])


def _mul(a: Interval, b: Interval) -> Interval:
    # a value is a finite number, so 0 times an unbounded end is 0
    ps = [0.0 if x == 0 or y == 0 else x * y for x in a for y in b]
    return (min(ps), max(ps))


def _inverse(b: Interval) -> Interval:
    lo, hi = b
    if lo > 0 or hi < 0:
        return (0.0 if math.isinf(hi) else 1 / hi, 0.0 if math.isinf(lo) else 1 / lo)
    return WHOLE


def _div(a: Interval, b: Interval) -> Interval:
    return _mul(a, _inverse(b)) if b[0] > 0 or b[1] < 0 else WHOLE


def _hull(*parts: Interval) -> Interval:
    return (min(p[0] for p in parts), max(p[1] for p in parts))


def _power(x: float, q: float) -> float:
    try:
        return float(x**q)
    except OverflowError:
        return INF if x > 0 or q % 2 == 0 else -INF
    except ZeroDivisionError:
        return INF


def _pow(a: Interval, b: Interval) -> Interval:
    lo, hi = a
    if b[0] == b[1] and math.isfinite(b[0]):
        q = b[0]
        if q == 0:
            return (1.0, 1.0)
        if lo >= 0:
            if q > 0:
                return (_power(lo, q), _power(hi, q))
            return (_power(hi, q), _power(lo, q) if lo > 0 else INF)
        if q.is_integer() and q > 0:
            ends = [_power(lo, q), _power(hi, q)] + ([0.0] if hi > 0 else [])
            return (min(ends), max(ends))
        return WHOLE
    if lo == hi and lo > 0:  # c ^ x
        ends = sorted((_power(lo, b[0]), _power(lo, b[1])))
        return (ends[0], ends[1])
    return NON_NEGATIVE if lo >= 0 else WHOLE


def _map(fn: Callable[[float], float], a: Interval) -> Interval:
    """A rising function of one argument, its limits at the unbounded ends included."""

    def at(x: float) -> float:
        try:
            return fn(x)
        except (OverflowError, ValueError):
            return INF if x > 0 else -INF

    return (at(a[0]), at(a[1]))


def _abs(a: Interval) -> Interval:
    lo, hi = a
    if lo >= 0:
        return a
    if hi <= 0:
        return (-hi, -lo)
    return (0.0, max(-lo, hi))


class _Points:
    """Known values seen as ranges of one point, without copying them."""

    def __init__(self, values: Mapping[str, float]):
        self.values = values

    def get(self, name: str, default: Interval) -> Interval:
        v = self.values.get(name)
        return default if v is None else (v, v)


def _const(node, values: Mapping[str, float]) -> float | None:
    lo, hi = interval(node, _Points(values))  # type: ignore[arg-type]
    return lo if lo == hi and math.isfinite(lo) else None


def _scale(node, x) -> Callable[[Mapping[str, float]], float | None] | None:
    """``node`` as ``k * x``: how to find ``k``, or ``None``."""
    if same(node, x):
        return lambda values: 1.0
    if isinstance(node, Unary) and node.op == "-" and same(node.operand, x):
        return lambda values: -1.0
    if isinstance(node, Binary) and node.op in ("*", "/"):
        for k, y in (
            ((node.left, node.right), (node.right, node.left))
            if node.op == "*"
            else ((node.right, node.left),)
        ):
            if same(y, x):
                if node.op == "*":
                    return lambda values, k=k: _const(k, values)
                return lambda values, k=k: None if not (c := _const(k, values)) else 1 / c
    return None


def saturation(node, values: Mapping[str, float]) -> tuple | None:
    """``node`` as ``x / (c + ABS(k * x) ^ q) ^ r``: ``(x, c, k, q, r)``, else ``None``.

    Only with constants ``c > 0``, ``q > 0``, ``r > 0`` and ``q * r <= 1``: then the
    curve rises with ``x``, its derivative being
    ``(c + |kx|^q)^(-r-1) · (c + (1 - qr)·|kx|^q) > 0``; with ``q * r = 1`` it
    stays within ``±1/|k|``. ``values``: the model's constants.

    >>> from gmsim.xmile.expr import parse
    >>> saturation(parse("u / (1 + ABS(2 * u) ^ p) ^ (1 / p)"), {"p": 2.5})[1:]
    (1.0, 2.0, 2.5, 0.4)
    >>> saturation(parse("u / (1 + ABS(u) ^ 2)"), {}) is None  # q * r = 2: it falls again
    True
    """
    if not (isinstance(node, Binary) and node.op == "/"):
        return None
    x, den = node.left, node.right
    r_node = None
    if isinstance(den, Binary) and den.op == "^":
        den, r_node = den.left, den.right
    if not (isinstance(den, Binary) and den.op == "+"):
        return None
    for c_node, powered in ((den.left, den.right), (den.right, den.left)):
        if not (isinstance(powered, Binary) and powered.op == "^"):
            continue
        inner = powered.left
        if not (isinstance(inner, Call) and inner.name == "ABS" and len(inner.args) == 1):
            continue
        k_of = _scale(inner.args[0], x)
        if k_of is None:
            continue
        c, q, k = _const(c_node, values), _const(powered.right, values), k_of(values)
        r = 1.0 if r_node is None else _const(r_node, values)
        if None in (c, q, k, r) or not (c > 0 and q > 0 and r > 0 and k != 0):
            continue
        reciprocal = (
            isinstance(r_node, Binary)
            and r_node.op == "/"
            and r_node.left == Num(1.0)
            and same(r_node.right, powered.right)
        )
        if reciprocal or math.isclose(q * r, 1.0, rel_tol=1e-12):
            return x, c, k, q, 1 / q  # q * r is 1
        if q * r < 1.0:
            return x, c, k, q, r
    return None


def _saturation_range(node, x: Interval, values: Mapping[str, float]) -> Interval | None:
    found = saturation(node, values)
    if found is None:
        return None
    _, c, k, q, r = found
    bound = 1 / abs(k) if r == 1 / q else INF

    def at(v: float) -> float:  # the curve rises: its ends are at the ends of x
        if math.isinf(v):
            return math.copysign(bound, v)
        try:
            y = v / (c + abs(k * v) ** q) ** r
        except OverflowError:
            return math.copysign(bound, v)
        return max(-bound, min(bound, y))

    return (at(x[0]), at(x[1]))


_RISING_1 = {
    "EXP": math.exp,
    "ARCTAN": math.atan,
    "TANH": math.tanh,
    "SINH": math.sinh,
    "SIGN": lambda x: float((x > 0) - (x < 0)),
    "INT": math.floor,
    "ROUND": lambda x: math.floor(x + 0.5),
}


def _call(node: Call, args: Sequence[Interval], convention: bool) -> Interval:
    name = node.name
    if name in _RISING_1 and len(args) == 1:
        return _map(_RISING_1[name], args[0])
    if name in ("LN", "LOG10") and len(args) == 1:
        lo, hi = args[0]
        log = math.log if name == "LN" else math.log10
        return WHOLE if hi <= 0 else (log(lo) if lo > 0 else -INF, log(hi) if math.isfinite(hi) else INF)
    match name, len(args):
        case "SQRT", 1 if args[0][1] >= 0:
            return _map(math.sqrt, (max(args[0][0], 0.0), args[0][1]))
        case "ABS", 1:
            return _abs(args[0])
        case (("SIN" | "COS"), 1):
            return (-1.0, 1.0)
        case "MIN", n if n:
            return (min(a[0] for a in args), min(a[1] for a in args))
        case "MAX", n if n:
            return (max(a[0] for a in args), max(a[1] for a in args))
        case "SUM", n:
            out = (0.0, 0.0)
            for a in args:
                out = _add(out, a)
            return out
        case "MEAN", n if n:
            return _hull(*args)
        case "SAFEDIV", n if n >= 2:
            return _hull(_div(args[0], args[1]), args[2] if n > 2 else (0.0, 0.0))
        case "POWER", 2:
            return _pow(args[0], args[1])
        case "STEP", 2:
            return _hull((0.0, 0.0), args[0])
        case "PI", 0:
            return (math.pi, math.pi)
        case "DT", 0:
            return _POSITIVE
        case (("TIME" | "STARTTIME" | "STOPTIME"), 0):
            return NON_NEGATIVE if convention else WHOLE
    return WHOLE


def arith(op: str, a: Interval, b: Interval) -> Interval:
    """The range of ``a op b`` for a binary operator of XMILE (comparisons and logic: [0, 1])."""
    match op:
        case "+":
            return _add(a, b)
        case "-":
            return _add(a, _neg(b))
        case "*":
            return _mul(a, b)
        case "/":
            return _div(a, b)
        case "^":
            return _pow(a, b)
        case "MOD":
            return (0.0, b[1]) if b[0] > 0 and a[0] >= 0 else WHOLE
    return _TRUTH


def parts(node) -> tuple:
    """The sub-nodes a walk visits: :func:`children`, an array function's items, none for a name."""
    if isinstance(node, Ref | Var):
        return ()
    if isinstance(node, Call) and len(node.args) == 1 and isinstance(node.args[0], Items):
        return node.args[0].items
    return children(node)


def combine(node, args: Sequence[Interval], values: Mapping[str, float], convention: bool = False):
    """The range of ``node`` (not a name) from the ranges of its :func:`parts`, in order.

    ``values``: the model's constants; ``convention``: ``TIME`` is non-negative.
    """
    match node:
        case Num(value=v):
            return (float(v), float(v))
        case Unary(op="-"):
            return _neg(args[0])
        case Unary(op="+"):
            return args[0]
        case Unary():
            return _TRUTH
        case Binary(op="/"):
            found = _saturation_range(node, args[0], values)
            return found if found is not None else _div(args[0], args[1])
        case Binary(op=op):
            return arith(op, args[0], args[1])
        case Chain(ops=ops, args=nodes):  # left to right, as the nested Binary nodes
            acc = combine(Binary(ops[0], nodes[0], nodes[1]), args[:2], values, convention)
            for op, b in zip(ops[1:], args[2:], strict=True):
                acc = arith(op, acc, b)
            return acc
        case If():
            return _hull(args[1], args[2])
        case Call():
            return _call(node, args, convention)
        case Items():
            return _hull(*args) if args else (0.0, 0.0)
        case Select():
            return _hull((0.0, 0.0), *args[:-1])
        case Lookup(gf=gf):
            if not gf.y or (gf.kind == "extrapolate" and len(set(gf.y)) > 1):
                return WHOLE
            return (min(gf.y), max(gf.y))
        case Delayed() | Previous():
            return _hull(args[0], args[-1])
        case Initial():
            return args[0]
        case ActiveInitial():
            return _hull(args[0], args[1])
    return WHOLE


def interval(
    node,
    ranges: Mapping[str, Interval],
    values: Mapping[str, float] | None = None,
    *,
    convention: bool = False,
) -> Interval:
    """The range of ``node`` when each name it reads lies in ``ranges`` (others: unbounded).

    ``values`` are the model's known constants (they shape :func:`saturation`);
    ``convention``: ``TIME`` is taken as non-negative.

    >>> from gmsim.xmile.expr import parse
    >>> interval(parse("rate * x * (1 - x)"), {"rate": (2.0, 2.0), "x": (0.0, 1.0)})
    (0.0, 2.0)
    """
    values = values or {}

    def join(n, args):
        if isinstance(n, Ref | Var):
            return ranges.get(n.name, WHOLE)
        return combine(n, args, values, convention)

    return fold(node, parts, join)


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
            value = _const(v.equation, known)
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
            net = _add(net, pinned.get(f, WHOLE))
        for f in s.outflows:
            net = _add(net, _neg(pinned.get(f, WHOLE)))
        if (net[0] if inward == 1 else -net[1]) < 0:
            return False
    return True
