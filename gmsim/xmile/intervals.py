"""Interval arithmetic over one XMILE expression: the range of its value from the ranges of its names.

:func:`interval` bounds an expression given the ranges of the names it reads
(:func:`combine` does one node from its parts', for walks of their own such as
the link signs of :mod:`gmsim.xmile.graph`). A product whose factor is 0 is 0
even beside an unbounded factor (values are finite numbers); a quotient by a
range holding 0 is unbounded; comparisons and logic lie in [0, 1].

The saturation curve of exported factor models, ``u / (c + ABS(k * u) ^ q) ^ (1 / q)``,
is recognised (:func:`saturation`): it rises with ``u`` and stays within ``±1 / |k|``.
Every walk over an expression is iterative (:func:`fold`, :func:`same`): deep nesting
costs no recursion.

Examples
--------
>>> from gmsim.xmile.expr import parse
>>> interval(parse("0.5 + u / (1 + ABS(2 * u) ^ 2.5) ^ (1 / 2.5)"), {})
(0.0, 1.0)
>>> interval(parse("MAX(0, 1 - z) * x"), {"z": (0.5, 2.0), "x": (0.0, 4.0)})
(0.0, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from gmsim.xmile.expr import Binary, Call, Chain, If, Num, Unary, Var
from gmsim.xmile.flat import (
    ActiveInitial,
    Delayed,
    Initial,
    Items,
    Lookup,
    Previous,
    Ref,
    Select,
    children,
)

__all__ = [
    "NON_NEGATIVE",
    "WHOLE",
    "Interval",
    "arith",
    "combine",
    "constant",
    "fold",
    "interval",
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

Interval = tuple[float, float]


def fold(root, kids: Callable, combine: Callable):
    """``combine(node, [results of its kids])`` over a tree, bottom up, without recursion.

    >>> from gmsim.xmile.expr import parse
    >>> fold(parse("a * (b + 1)"), parts, lambda n, args: 1 + sum(args))  # count the nodes
    5
    """
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
    """Two expressions written alike (compared without recursion).

    >>> from gmsim.xmile.expr import parse
    >>> same(parse("(a - b) / t"), parse("(a - b)/t")), same(parse("a - b"), parse("b - a"))
    (True, False)
    """
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


def constant(node, values: Mapping[str, float]) -> float | None:
    """The value of an expression of numbers and the constants ``values``, else ``None``.

    >>> from gmsim.xmile.expr import parse
    >>> constant(parse("1 / p"), {"p": 2.5}), constant(parse("p * x"), {"p": 2.5})
    (0.4, None)
    """
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
                    return lambda values, k=k: constant(k, values)
                return lambda values, k=k: None if not (c := constant(k, values)) else 1 / c
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
        c, q, k = constant(c_node, values), constant(powered.right, values), k_of(values)
        r = 1.0 if r_node is None else constant(r_node, values)
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
    """The range of ``a op b`` for a binary operator of XMILE (comparisons and logic: [0, 1]).

    >>> arith("-", (1.0, 1.0), (0.0, 1.0)), arith("/", (1.0, 2.0), (-1.0, 1.0))
    ((0.0, 1.0), (-inf, inf))
    """
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
    """The sub-nodes a walk visits: :func:`children`, an array function's items, none for a name.

    >>> from gmsim.xmile.expr import parse
    >>> parts(parse("MAX(0, x)"))
    (Num(value=0.0), Var(name='x', subscripts=None))
    """
    if isinstance(node, Ref | Var):
        return ()
    if isinstance(node, Call) and len(node.args) == 1 and isinstance(node.args[0], Items):
        return node.args[0].items
    return children(node)


def combine(node, args: Sequence[Interval], values: Mapping[str, float], convention: bool = False):
    """The range of ``node`` (not a name) from the ranges of its :func:`parts`, in order.

    ``values``: the model's constants; ``convention``: ``TIME`` is non-negative.

    >>> from gmsim.xmile.expr import parse
    >>> combine(parse("IF c THEN a ELSE b"), [(0.0, 1.0), (2.0, 3.0), (-1.0, 0.0)], {})
    (-1.0, 3.0)
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
