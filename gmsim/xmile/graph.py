"""The causal graph of an imported model, with link polarities read off the equations.

An edge ``cause -> effect`` exists when the effect's equation uses the cause
(``kind="info"``) or when the cause is a flow of the stock (``kind="flow"``:
+1 for an inflow, -1 for an outflow). Its ``sign`` is the sign of the partial
derivative of the effect with respect to the cause where the equation shows it,
else 0. As SD tools do, quantities are taken as non-negative when a product or
a quotient is signed (``births = hares * birth_fraction`` is + in both). Smooths
and delays pass their input's sign through; graphical functions pass it when
their points rise or fall monotonically.

Examples
--------
>>> from gmsim.xmile.expr import parse
>>> from gmsim.xmile.flat import Ref
>>> polarity(parse("(room - teacup) / time"), "teacup", {}), polarity(parse("1/x^2"), "x", {})
(-1, -1)
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np

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

__all__ = ["causal_graph", "constant_signs", "polarity", "value_sign"]

_RISING = frozenset({"EXP", "LN", "LOG10", "SQRT", "ARCSIN", "ARCTAN", "SINH", "TANH", "INT", "ROUND"})
_RISING |= {"MIN", "MAX", "SUM", "MEAN", "SIGN"}


def _join(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a == b else 0


def _neg(a: int | None) -> int | None:
    return None if a is None else -a


def _times(a: int | None, sign: int) -> int | None:
    return None if a is None else a * sign


def value_sign(node, signs: Mapping[str, int] | None = None) -> int:
    """Sign a value is taken to have: numbers their own, constants (``signs``) theirs, other names +1.

    Names of quantities are taken as non-negative, as SD tools do, except the
    model's own constants, whose values are known: a link gain
    ``weight_a_to_x = -0.4`` makes ``weight_a_to_x * a`` fall with ``a``.
    """
    signs = signs or {}
    match node:
        case Num(value=v):
            return int(np.sign(v))
        case Ref(name=name) | Var(name=name):
            return signs.get(name, 1)
        case Unary(op="-", operand=x):
            return -value_sign(x, signs)
        case Binary(op="*" | "/", left=a, right=b):
            return value_sign(a, signs) * value_sign(b, signs)
        case Binary(op="+", left=a, right=b):
            sa, sb = value_sign(a, signs), value_sign(b, signs)
            return sa if sa == sb else 0
        case Binary(op="^", left=a):
            return 1 if value_sign(a, signs) == 1 else 0
        case Chain(args=args):  # as the nested Binary nodes it stands for
            sign = value_sign(args[0], signs)
            for op, b in node.steps():
                sign = _sign_step(op, sign, value_sign(b, signs))
            return sign
        case Call(name=name) if name in ("EXP", "SQRT", "ABS", "PI", "DT", "TIME"):
            return 1
        case Lookup(gf=gf) if min(gf.y) >= 0:
            return 1
    return 0


_value_sign = value_sign


def polarity(
    node,
    cause: str,
    hidden: Mapping[str, FlatVariable],
    _seen: frozenset = frozenset(),
    signs: Mapping[str, int] | None = None,
) -> int | None:
    """Sign of d(node)/d(cause): +1, -1, 0 (unknown), or ``None`` when ``node`` does not use ``cause``.

    ``hidden`` maps names of hidden helpers (of smooths, delays, macros) to
    their variables; they are looked through. ``signs`` gives the signs of the
    model's constants (see :func:`constant_signs`).
    """

    def p(x):
        return polarity(x, cause, hidden, _seen, signs)

    def value_sign(x):
        return _value_sign(x, signs)

    match node:
        case Ref(name=name) | Var(name=name):
            if name == cause:
                return 1
            if name in hidden and name not in _seen:
                v = hidden[name]
                seen = _seen | {name}
                if v.kind == "stock":
                    net = None
                    for f in v.inflows:
                        net = _join(net, polarity(Ref(f), cause, hidden, seen, signs))
                    for f in v.outflows:
                        net = _join(net, _neg(polarity(Ref(f), cause, hidden, seen, signs)))
                    return net
                return polarity(v.equation, cause, hidden, seen, signs)
            return None
        case Num():
            return None
        case Unary(op=op, operand=x):
            return {"-": _neg(p(x)), "+": p(x)}.get(op, None if p(x) is None else 0)
        case Binary(op="+", left=a, right=b):
            return _join(p(a), p(b))
        case Binary(op="-", left=a, right=b):
            return _join(p(a), _neg(p(b)))
        case Binary(op="*", left=a, right=b):
            return _join(_times(p(a), value_sign(b)), _times(p(b), value_sign(a)))
        case Binary(op="/", left=a, right=b):
            return _join(_times(p(a), value_sign(b)), _times(_neg(p(b)), value_sign(a)))
        case Binary(op="^", left=a, right=b) if isinstance(b, Num) or (
            isinstance(b, Unary) and isinstance(b.operand, Num)
        ):
            exponent = b.value if isinstance(b, Num) else -b.operand.value
            return _times(p(a), int(np.sign(exponent))) if value_sign(a) == 1 else _zero(p(a))
        case Chain(args=args):  # as the nested Binary nodes it stands for
            pa, sa = p(args[0]), value_sign(args[0])
            for op, b in node.steps():
                pb, sb = p(b), value_sign(b)
                pa, sa = _polarity_step(op, pa, sa, pb, sb), _sign_step(op, sa, sb)
            return pa
        case If(cond=c, then=a, otherwise=b):
            return _join(_zero(p(c)), _join(p(a), p(b)))
        case Call(name=name, args=args):
            each = [p(a) for a in (args[0].items if args and isinstance(args[0], Items) else args)]
            joined = None
            for s in each:
                joined = _join(joined, s)
            if name in _RISING:
                return joined
            if name == "ARCCOS":
                return _neg(joined)
            if name == "SAFEDIV" and len(args) >= 2:
                return p(Binary("/", args[0], args[1]))
            return _zero(joined)
        case Lookup(gf=gf, x=x):
            steps = np.diff(gf.y)
            shape = 1 if (steps >= 0).all() else -1 if (steps <= 0).all() else 0
            return _times(p(x), shape)
        case Delayed(input=x) | Previous(input=x):
            return p(x)
        case ActiveInitial(active=x):
            return p(x)
        case Initial():
            return None
        case Select() | Items():
            joined = None
            for c in children(node):
                joined = _join(joined, p(c))
            return _zero(joined) if isinstance(node, Select) else joined
    joined = None
    for c in children(node):
        joined = _join(joined, p(c))
    return _zero(joined)


def _constant(node, values: Mapping[str, float]) -> float | None:
    """The value of an expression of numbers and known constants, else ``None``."""
    match node:
        case Num(value=v):
            return float(v)
        case Ref(name=name) | Var(name=name):
            return values.get(name)
        case Unary(op="-" | "+" as op, operand=x):
            v = _constant(x, values)
            return None if v is None else (-v if op == "-" else v)
        case Binary(op=op, left=a, right=b):
            return _arithmetic(op, _constant(a, values), _constant(b, values))
        case Chain(args=args):
            out = _constant(args[0], values)
            for op, b in node.steps():
                out = _arithmetic(op, out, _constant(b, values))
            return out
    return None


def _arithmetic(op: str, x: float | None, y: float | None) -> float | None:
    """``x op y`` for ``+ - * / ^`` when finite, else ``None``."""
    if x is None or y is None or op not in ("+", "-", "*", "/", "^"):
        return None
    with np.errstate(all="ignore"):
        out = {"+": x + y, "-": x - y, "*": x * y}.get(op)
        if op == "/":
            out = x / y if y else None
        elif op == "^":
            out = float(np.power(x, y)) if x > 0 or float(y).is_integer() else None
    return out if out is not None and np.isfinite(out) else None


def _sign_step(op: str, sa: int, sb: int) -> int:
    """:func:`value_sign` of ``a op b`` from the signs of ``a`` and ``b``."""
    if op in ("*", "/"):
        return sa * sb
    if op == "+":
        return sa if sa == sb else 0
    return 0


def _polarity_step(op: str, pa: int | None, sa: int, pb: int | None, sb: int) -> int | None:
    """:func:`polarity` of ``a op b`` from the polarities and value signs of ``a`` and ``b``."""
    if op == "+":
        return _join(pa, pb)
    if op == "-":
        return _join(pa, _neg(pb))
    if op == "*":
        return _join(_times(pa, sb), _times(pb, sa))
    if op == "/":
        return _join(_times(pa, sb), _times(_neg(pb), sa))
    return _zero(_join(pa, pb))


def constant_signs(
    variables: tuple[FlatVariable, ...], values: Mapping[str, float] | None = None
) -> dict[str, int]:
    """Signs of the model's constants: numbers, and expressions of numbers and other constants.

    ``values`` adds values known otherwise (a compiled model's constants).

    Examples
    --------
    >>> from gmsim.xmile.expr import parse
    >>> from gmsim.xmile.flat import FlatVariable
    >>> w = FlatVariable(name="w", kind="aux", equation=parse("-0.4"))
    >>> v = FlatVariable(name="v", kind="aux", equation=parse("2 * w"))
    >>> constant_signs((w, v))
    {'w': -1, 'v': -1}
    """
    known = dict(values or {})
    pending = [v for v in variables if v.kind != "stock" and v.gf is None and v.name not in known]
    changed = True
    while changed and pending:
        changed, rest = False, []
        for v in pending:
            value = _constant(v.equation, known)
            if value is None:
                rest.append(v)
            else:
                known[v.name], changed = value, True
        pending = rest
    wanted = {v.name for v in variables}
    return {name: int(np.sign(value)) for name, value in known.items() if name in wanted}


def _zero(a: int | None) -> int | None:
    return None if a is None else 0


def causal_graph(
    variables: tuple[FlatVariable, ...], values: Mapping[str, float] | None = None
) -> nx.DiGraph:
    """The causal graph over the reported variables (hidden helpers are looked through).

    A link's sign is that of its gain in the model's own equations, the
    constants' values included (``values`` adds those known from a compiled
    model); a stock's inflows enter it with +1, its outflows with -1.
    """
    hidden = {v.name: v for v in variables if v.hidden}
    signs = constant_signs(variables, values)
    g = nx.DiGraph()
    for v in variables:
        if not v.hidden:
            g.add_node(v.name, label=v.label or v.name, group=v.kind, kind=v.kind, units=v.units)
    for v in variables:
        if v.hidden:
            continue
        if v.kind == "stock":
            for flows, sign in ((v.inflows, 1), (v.outflows, -1)):
                for f in flows:
                    if f in g:
                        g.add_edge(f, v.name, sign=sign, weight=float(sign), kind="flow", delay=0.0)
            continue
        for cause in _visible_causes(v.equation, hidden):
            sign = polarity(v.equation, cause, hidden, signs=signs)
            if v.gf is not None:
                steps = np.diff(v.gf.y)
                sign = _times(sign, 1 if (steps >= 0).all() else -1 if (steps <= 0).all() else 0)
            sign = sign or 0
            g.add_edge(cause, v.name, sign=sign, weight=float(sign), kind="info", delay=0.0)
    return g


def _visible_causes(node, hidden: Mapping[str, FlatVariable]) -> set[str]:
    out: set[str] = set()
    seen: set[str] = set()
    stack = list(refs(node, mode="run"))
    while stack:
        name = stack.pop()
        if name in hidden:
            if name not in seen:
                seen.add(name)
                v = hidden[name]
                stack.extend(
                    refs(v.equation, mode="run") if v.kind != "stock" else (*v.inflows, *v.outflows)
                )
        else:
            out.add(name)
    return out
