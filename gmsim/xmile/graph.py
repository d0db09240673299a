"""The causal graph of an imported model, with link polarities read off the equations.

An edge ``cause -> effect`` exists when the effect's equation uses the cause
(``kind="info"``) or when the cause is a flow of the stock (``kind="flow"``:
+1 for an inflow, -1 for an outflow). Its ``sign`` is the sign of the partial
derivative of the effect with respect to the cause wherever the model can be
(+1 or -1 when it never changes sign, else 0), found as Stella and Vensim
users would sign the link by reading the equation:

- sums, differences, products and quotients by the rules of derivatives, a
  factor's sign taken from its range (:mod:`gmsim.xmile.bounds`,
  :mod:`gmsim.xmile.intervals`): the model's
  constants their values (a link gain ``weight = -0.4`` makes
  ``weight * a`` fall with ``a``), a stock the range its own flows keep it in
  (``1 - followers`` is non-negative when the flows of ``followers`` keep it
  in [0, 1]), and, as SD tools do, any other quantity non-negative unless its
  range says it is not (``births = hares * birth_fraction`` is + in both);
- ``x ^ p`` with a constant ``p`` (for non-negative ``x``), ``c ^ x`` with a
  constant ``c > 0``, and the rising saturation ``x / (c + ABS(k*x)^q)^(1/q)``
  (:func:`gmsim.xmile.intervals.saturation`);
- rising functions (EXP, LN, SQRT, MIN, MAX, ...), ABS of a signed argument;
- ``IF`` by its branches when the condition does not use the cause, or when the
  condition compares ``a`` with ``b`` and both branches vanish where ``a = b``
  (``IF target > level THEN (target - level) / rise ELSE (target - level) / fall``
  rises with ``target`` on both sides and is continuous where they meet);
- smooths and delays pass their input's sign through; graphical functions pass
  it when their points rise or fall monotonically.

Where the sign depends on the values (``adoption = r * f * (1 - f)`` in ``f``)
the link stays 0. Every walk over an equation is iterative.

Examples
--------
>>> from gmsim.xmile.expr import parse
>>> polarity(parse("(room - teacup) / time"), "teacup", {}), polarity(parse("1/x^2"), "x", {})
(-1, -1)
>>> gap = "(target - level)"
>>> polarity(parse(f"IF target > level THEN {gap} / 2 ELSE {gap} / 9"), "level", {})
-1
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import networkx as nx
import numpy as np

from gmsim.xmile.bounds import constant_values, model_ranges
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
    refs,
)
from gmsim.xmile.intervals import NON_NEGATIVE, arith, combine, parts, same, saturation

__all__ = ["causal_graph", "constant_signs", "polarity", "value_sign"]

_RISING = frozenset({"EXP", "LN", "LOG10", "SQRT", "ARCSIN", "ARCTAN", "SINH", "TANH", "INT", "ROUND"})
_RISING |= {"MIN", "MAX", "SUM", "MEAN", "SIGN"}
_COMPARE = frozenset({"<", "<=", ">", ">=", "=", "<>"})


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


def _zero(a: int | None) -> int | None:
    return None if a is None else 0


def _sign(iv) -> int:
    """+1 for a range of non-negative values (not only 0), -1 for non-positive, else 0."""
    lo, hi = iv
    return 1 if lo >= 0 and hi > 0 else -1 if hi <= 0 and lo < 0 else 0


def _by(p: int | None, iv) -> int | None:
    """The sign of a term ``d(a)·b`` from ``a``'s polarity and ``b``'s range (none when ``b`` is 0)."""
    return None if iv == (0.0, 0.0) else _times(p, _sign(iv))


def _shape(gf) -> int:
    steps = np.diff(gf.y)
    return 1 if (steps >= 0).all() else -1 if (steps <= 0).all() else 0


def _step(op: str, pa, ia, pb, ib) -> int | None:
    """Polarity of ``a op b`` from the polarities and ranges of ``a`` and ``b``."""
    match op:
        case "+":
            return _join(pa, pb)
        case "-":
            return _join(pa, _neg(pb))
        case "*":
            return _join(_by(pa, ib), _by(pb, ia))
        case "/":
            return _join(_by(pa, ib), _by(_neg(pb), ia))
        case "^" if pb is None and ib[0] == ib[1] and math.isfinite(ib[0]):  # x ^ q
            q, base = ib[0], _sign(ia)
            if base == 1:
                return _times(pa, int(np.sign(q)))
            if base == -1 and q.is_integer():
                return _times(pa, int(np.sign(q)) * (1 if q % 2 else -1))
            return _zero(pa)
        case "^" if pa is None and ia[0] == ia[1] and ia[0] > 0:  # c ^ x
            return _times(pb, int(np.sign(math.log(ia[0]))))
    return _zero(_join(pa, pb))


def _vanishes(node, a, b) -> bool:
    """``node`` is 0 wherever ``a = b``: it has a factor ``a - b`` (or ``b - a``)."""
    stack = [node]
    while stack:
        n = stack.pop()
        match n:
            case Num(value=0.0):
                return True
            case Binary(op="-", left=x, right=y) if (same(x, a) and same(y, b)) or (
                same(x, b) and same(y, a)
            ):
                return True
            case Binary(op="*", left=x, right=y):
                stack.extend((x, y))
            case Binary(op="/", left=x):
                stack.append(x)
            case Unary(op="-" | "+", operand=x):
                stack.append(x)
            case Chain(ops=ops, args=args) if set(ops) <= {"*", "/"}:
                stack.extend(x for op, x in zip(("*", *ops), args, strict=True) if op == "*")
        if (isinstance(b, Num) and b.value == 0 and same(n, a)) or (
            isinstance(a, Num) and a.value == 0 and same(n, b)
        ):
            return True
    return False


def _continuous(node: If) -> bool:
    """The two branches meet where the condition (a comparison) switches."""
    c = node.cond
    if same(node.then, node.otherwise):
        return True
    if not (isinstance(c, Binary) and c.op in _COMPARE):
        return False
    return all(_vanishes(x, c.left, c.right) for x in (node.then, node.otherwise))


class _Signs:
    """Link signs over one model: the ranges of its names, its constants, its hidden helpers."""

    def __init__(self, hidden: Mapping[str, FlatVariable], ranges, values: Mapping[str, float]):
        self.hidden, self.ranges, self.values = hidden, ranges, values

    def value(self, node):
        """The range of ``node`` (names: :attr:`ranges`, else non-negative)."""
        return self.polarity(node, None)[1]

    def polarity(self, root, cause: str | None, seen=frozenset()) -> tuple[int | None, tuple]:
        """``(sign of d(root)/d(cause) or None when unused, range of root)``, bottom up."""
        hidden, cache, opened = self.hidden, {}, set(seen)
        stack: list = [(root, -1, False)]
        out: list = []
        while stack:
            node, n, expanded = stack.pop()
            if n < 0:
                below, expanded = parts(node), False
                if isinstance(node, Ref | Var):
                    name = node.name
                    if name != cause and name in hidden and name not in opened and name not in cache:
                        v, expanded = hidden[name], True
                        opened.add(name)
                        flows = (*v.inflows, *v.outflows)
                        below = tuple(Ref(f) for f in flows) if v.kind == "stock" else (v.equation,)
                stack.append((node, len(below), expanded))
                stack.extend((c, -1, False) for c in reversed(below))
                continue
            args = out[len(out) - n :] if n else []
            del out[len(out) - n :]
            if isinstance(node, Ref | Var):
                out.append(
                    (self._name(node.name, cause, args, expanded, cache, opened), self._range(node))
                )
                continue
            pols, ivs = [a[0] for a in args], [a[1] for a in args]
            out.append((self._rule(node, pols, ivs), combine(node, ivs, self.values, True)))
        return out[0]

    def _range(self, node):
        return self.ranges.get(node.name, NON_NEGATIVE)

    def _name(self, name, cause, args, expanded, cache, opened) -> int | None:
        if name == cause:
            return 1
        if not expanded:
            return cache.get(name)
        v = self.hidden[name]
        opened.discard(name)
        if v.kind == "stock":
            k = len(v.inflows)
            net = None
            for j, (p, _) in enumerate(args):
                net = _join(net, p if j < k else _neg(p))
        else:
            net = args[0][0] if v.gf is None else _times(args[0][0], _shape(v.gf))
        cache[name] = net
        return net

    def _rule(self, node, pols, ivs) -> int | None:
        match node:
            case Num():
                return None
            case Unary(op="-"):
                return _neg(pols[0])
            case Unary(op="+"):
                return pols[0]
            case Binary(op="/") if saturation(node, self.values) is not None:
                return pols[0]
            case Binary(op=op):
                return _step(op, pols[0], ivs[0], pols[1], ivs[1])
            case Chain(ops=ops, args=args):  # as the nested Binary nodes it stands for
                first = Binary(ops[0], args[0], args[1])
                acc = self._rule(first, pols[:2], ivs[:2])
                iv = combine(first, ivs[:2], self.values, True)
                for op, pb, ib in zip(ops[1:], pols[2:], ivs[2:], strict=True):
                    acc, iv = _step(op, acc, iv, pb, ib), arith(op, iv, ib)
                return acc
            case If():
                pc, pa, pb = pols
                if pc is None:
                    return _join(pa, pb)
                return (_join(pa, pb) or 0) if _continuous(node) else 0
            case Call(name=name):
                return self._call(name, pols, ivs)
            case Lookup(gf=gf):
                return _times(pols[0], _shape(gf))
            case Delayed() | Previous() | ActiveInitial():
                return pols[0]
            case Initial():
                return None
            case Items():
                joined = None
                for p in pols:
                    joined = _join(joined, p)
                return joined
        joined = None
        for p in pols:
            joined = _join(joined, p)
        return _zero(joined)

    @staticmethod
    def _call(name: str, pols, ivs) -> int | None:
        joined = None
        for p in pols:
            joined = _join(joined, p)
        if name in _RISING:
            return joined
        if name == "ARCCOS":
            return _neg(joined)
        if name == "ABS" and len(pols) == 1:
            s = _sign(ivs[0])
            return _times(pols[0], s) if s else _zero(pols[0])
        if name in ("SAFEDIV", "POWER") and len(pols) >= 2:
            return _step("/" if name == "SAFEDIV" else "^", pols[0], ivs[0], pols[1], ivs[1])
        return _zero(joined)


def _from_signs(signs: Mapping[str, int] | None) -> dict:
    ranges = {1: NON_NEGATIVE, -1: (-math.inf, 0.0), 0: (0.0, 0.0)}
    return {name: ranges[int(np.sign(s))] for name, s in (signs or {}).items()}


def value_sign(node, signs: Mapping[str, int] | None = None) -> int:
    """Sign a value is taken to have: numbers their own, constants (``signs``) theirs, other names +1.

    Names of quantities are taken as non-negative, as SD tools do, except the
    model's own constants, whose values are known: a link gain
    ``weight_a_to_x = -0.4`` makes ``weight_a_to_x * a`` fall with ``a``.

    >>> from gmsim.xmile.expr import parse
    >>> value_sign(parse("w * a"), {"w": -1}), value_sign(parse("1 - a"))
    (-1, 0)
    """
    return _sign(_Signs({}, _from_signs(signs), {}).value(node))


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
    model's constants (see :func:`constant_signs`); other names are taken as
    non-negative.
    """
    return _Signs(hidden, _from_signs(signs), {}).polarity(node, cause, _seen)[0]


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
    known = constant_values(variables, values)
    wanted = {v.name for v in variables}
    return {name: int(np.sign(value)) for name, value in known.items() if name in wanted}


def _taken(iv) -> tuple[float, float]:
    """A name's range as signs are read: non-negative, as SD tools take it, unless known non-positive."""
    lo, hi = iv
    return iv if hi <= 0 and lo < 0 else (max(lo, 0.0), hi)


def causal_graph(
    variables: tuple[FlatVariable, ...], values: Mapping[str, float] | None = None
) -> nx.DiGraph:
    """The causal graph over the reported variables (hidden helpers are looked through).

    A link's sign is that of its gain in the model's own equations, the
    constants' values and the stocks' ranges included (``values`` adds
    constants known from a compiled model); a stock's inflows enter it with
    +1, its outflows with -1.
    """
    hidden = {v.name: v for v in variables if v.hidden}
    known = constant_values(variables, values)
    ranges = {
        name: iv if name in known else _taken(iv) for name, iv in model_ranges(variables, known).items()
    }
    signer = _Signs(hidden, ranges, known)
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
        by_term = _sum_signs(signer, v.equation, hidden)
        for cause in _visible_causes(v.equation, hidden):
            sign = by_term[cause] if by_term is not None else signer.polarity(v.equation, cause)[0]
            if v.gf is not None:
                sign = _times(sign, _shape(v.gf))
            sign = sign or 0
            g.add_edge(cause, v.name, sign=sign, weight=float(sign), kind="info", delay=0.0)
    return g


def _sum_signs(signer: _Signs, node, hidden: Mapping[str, FlatVariable]) -> dict[str, int | None] | None:
    """The polarity of a sum of three or more terms in each of its causes, read term by term.

    The polarity of ``a + b - c ...`` is the join of its terms' (their ranges do
    not matter), so a sum of thousands of terms is read once per term instead of
    once per term and cause. The sum may stand inside operators whose other
    operand reads no name (``(a + b + c) / 3``, ``-(...)``, ``k0 * (...)`` with a
    number): their rule is applied to the sum's sign. ``None`` (read the whole
    equation per cause) for anything else, or when two terms reach the same
    hidden helper (whose reading could then depend on the order).
    """
    wrappers = []
    while not (isinstance(node, Chain) and set(node.ops) <= {"+", "-"}):
        below = parts(node)
        named = [k for k, c in enumerate(below) if refs(c)]
        if not isinstance(node, Unary | Binary) or len(named) != 1:
            return None
        wrappers.append((node, named[0]))
        node = below[named[0]]
    helpers: set[str] = set()
    causes = []
    for term in node.args:
        reached = _reached(term, hidden)
        if reached & helpers:
            return None
        helpers |= reached
        causes.append(_visible_causes(term, hidden))
    out: dict[str, int | None] = {}
    for sign, term, names in zip(("+", *node.ops), node.args, causes, strict=True):
        for cause in names:
            p = signer.polarity(term, cause)[0]
            out[cause] = _join(out.get(cause), p if sign == "+" else _neg(p))
    for wrapper, k in reversed(wrappers):  # as the walk would: the rule of each, bottom up
        below = parts(wrapper)
        ivs = [signer.value(c) for c in below]
        for cause, p in out.items():
            out[cause] = signer._rule(wrapper, [p if j == k else None for j in range(len(below))], ivs)
    return out


def _reached(node, hidden: Mapping[str, FlatVariable]) -> set[str]:
    """The hidden helpers an equation reaches, through each other too (any use)."""
    seen: set[str] = set()
    stack = [name for name in refs(node) if name in hidden]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            v = hidden[name]
            below = refs(v.equation) if v.kind != "stock" else {*v.inflows, *v.outflows}
            stack.extend(n for n in below if n in hidden)
    return seen


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
