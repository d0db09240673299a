"""Arrays in XMILE equations: elements in row-major order, and subscripts resolved per element.

A mixin of the resolver (:mod:`gmsim.xmile.flatten`): an arrayed variable
becomes one scalar variable per element, named ``name[element,...]``, and in
each element's equation a dimension name stands for that element (XMILE 1.0,
3.7.1). Subscripts may be element names, 1-based numbers, ranges ``a:b``,
``*``, ``@n`` (the n-th dimension of the variable being defined), a subrange
dimension, or an expression known only while running.
"""

from __future__ import annotations

import itertools
import re

from gmsim.xmile.expr import DimPosition, Node, Num, Range, Star, Var
from gmsim.xmile.flat import Items, Ref, Select
from gmsim.xmile.names import canonical, identifier, label
from gmsim.xmile.reader import Dimension, GraphicalFunction
from gmsim.xmile.scope import Entry, Scope

__all__ = ["ArrayResolution", "is_number_list"]

_NUMBER = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"
_NUMBER_LIST = re.compile(rf"^\s*{_NUMBER}\s*([,;]\s*{_NUMBER}\s*)+[;,]?\s*$")


def is_number_list(text: str) -> bool:
    """An equation listing one number per element: ``1, 2, 3`` or ``1, 2; 3, 4`` (rows).

    >>> is_number_list("0.1,0.2;\\n 0.4,.5;"), is_number_list("1 + 2")
    (True, False)
    """
    return _NUMBER_LIST.match(text) is not None


class ArrayResolution:
    """Methods of the resolver that deal with dimensions and subscripts."""

    def elements(self, entry: Entry) -> list[tuple[str, ...]]:
        return list(itertools.product(*(d.elements for d in entry.dims))) if entry.dims else [()]

    def scalar_name(self, entry: Entry, element: tuple[str, ...]) -> str:
        return entry.name + (f"[{','.join(identifier(e) for e in element)}]" if element else "")

    def element_sources(self, entry: Entry) -> list[tuple[str | None, int, GraphicalFunction | None]]:
        """Equation text, line and graphical function of each element, in row-major order."""
        v = entry.var
        elements = self.elements(entry)
        n = len(elements)
        if v.elements:
            by_key = {tuple(canonical(s) for s in e.subscript): e for e in v.elements}
            out = []
            for element in elements:
                e = by_key.get(tuple(canonical(s) for s in element))
                if e is None:
                    raise self.error(
                        v.line,
                        f"variable '{label(v.name)}' has no <element subscript=\"{', '.join(element)}\">",
                    )
                out.append((e.equation, e.line, e.gf or v.gf))
            return out
        if v.equations:
            if len(v.equations) != n:
                raise self.error(
                    v.line,
                    f"variable '{label(v.name)}' has {len(v.equations)} <eqn> tags for {n} array elements",
                )
            return [(text, v.line, v.gf) for text in v.equations]
        text = v.equation
        if n > 1 and text is not None and is_number_list(text):
            values = [x for x in text.replace(";", ",").split(",") if x.strip()]
            if len(values) != n:
                raise self.error(
                    v.line,
                    f"variable '{label(v.name)}' lists {len(values)} values for {n} array elements",
                )
            return [(x.strip(), v.line, v.gf) for x in values]
        return [(text, v.line, v.gf)] * n

    def element_position(self, name: str) -> int | None:
        """``Dim.element`` outside brackets: the element's position (1-based)."""
        dim, _, elem = name.rpartition(".")
        d = self.dims.get(canonical(dim)) if dim else None
        if d is None:
            return None
        where = self.positions(d)
        return where[canonical(elem)] + 1 if canonical(elem) in where else None

    def positions(self, dim: Dimension) -> dict[str, int]:
        """Each element of ``dim`` (canonical) and its index, made once per dimension: a lookup per
        reference costs O(1), not a pass over the elements (which made arrays cost O(n^2))."""
        cache = self.__dict__.setdefault("_positions", {})
        got = cache.get(id(dim))
        if got is None or got[0] is not dim:
            where: dict[str, int] = {}
            for i, e in enumerate(dim.elements):
                where.setdefault(canonical(e), i)
            got = cache[id(dim)] = (dim, where)
        return got[1]

    def subscripted(self, entry: Entry, node: Var, scope: Scope):
        dims = entry.dims
        subs = node.subscripts
        if not dims:
            if subs:
                raise self.fail(scope, f"'{label(entry.name)}' is not an array but is subscripted")
            return Ref(entry.name)
        if subs is None:  # apply-to-all: each dimension bound by name, or by an element of a subrange
            subs = tuple(self.implicit(d, scope) for d in dims)
        if len(subs) != len(dims):
            raise self.fail(
                scope,
                f"'{label(entry.name)}' has {len(dims)} dimension(s) "
                f"({', '.join(d.name for d in dims)}) but {len(subs)} subscript(s) are given",
            )
        choices: list[list[int] | Node] = [
            self.subscript(s, d, entry, scope) for s, d in zip(subs, dims, strict=True)
        ]
        dynamic = [i for i, c in enumerate(choices) if not isinstance(c, list)]
        if len(dynamic) > 1:
            raise self.fail(
                scope, f"only one subscript of '{label(entry.name)}' may be computed while running"
            )
        if dynamic:
            j = dynamic[0]
            fixed = [c if isinstance(c, list) else None for c in choices]
            if any(len(c) != 1 for c in fixed if c is not None):
                raise self.fail(scope, "a computed subscript cannot be combined with a slice")
            items = []
            for k in range(len(dims[j].elements)):
                picked = tuple(dims[i].elements[k if i == j else fixed[i][0]] for i in range(len(dims)))
                items.append(Ref(self.scalar_name(entry, picked)))
            return Select(tuple(items), choices[j])
        refs = [
            Ref(self.scalar_name(entry, tuple(d.elements[i] for d, i in zip(dims, combo, strict=True))))
            for combo in itertools.product(*choices)
        ]
        return refs[0] if len(refs) == 1 and all(len(c) == 1 for c in choices) else Items(tuple(refs))

    def implicit(self, dim: Dimension, scope: Scope) -> Node:
        """The subscript a reference without brackets has in ``dim``."""
        if canonical(dim.name) in scope.bindings:
            return Var(dim.name)
        keys = self.positions(dim)
        inside = [e for e in scope.bindings.values() if canonical(e) in keys]
        return Var(inside[0]) if len(inside) == 1 else Var(dim.name)

    def subscript(self, sub: Node, dim: Dimension, entry: Entry, scope: Scope) -> list[int] | Node:
        keys = self.positions(dim)
        n = len(dim.elements)
        if isinstance(sub, Star):
            return list(range(n))
        if isinstance(sub, DimPosition):
            if sub.position > len(scope.element):
                raise self.fail(
                    scope,
                    f"@{sub.position} refers past the {len(scope.element)} dimension(s) of the variable",
                )
            return [self.place(scope.element[sub.position - 1], dim, scope, sub.position - 1)]
        if isinstance(sub, Range):
            a, b = (self.index(x, n, scope) for x in (sub.start, sub.stop))
            return list(range(a, b + 1))
        if isinstance(sub, Var) and sub.subscripts is None:
            key = canonical(sub.name)
            if key in self.dims:
                if key in scope.bindings:
                    return [self.place(scope.bindings[key], dim, scope, None, via=self.dims[key])]
                named = self.dims[key]
                if key == canonical(dim.name):
                    return list(range(n))
                if all(canonical(e) in keys for e in named.elements):  # a subrange used as a slice
                    return [keys[canonical(e)] for e in named.elements]
                raise self.fail(
                    scope, f"dimension '{sub.name}' does not fit '{dim.name}' of '{label(entry.name)}'"
                )
            if key in keys:
                return [keys[key]]
            qualified = sub.name.rpartition(".")
            if (
                qualified[0]
                and canonical(qualified[0]) == canonical(dim.name)
                and canonical(qualified[2]) in keys
            ):
                return [keys[canonical(qualified[2])]]
        value = self.scalar(self.resolve(sub, scope), scope)
        folded = self.fold(value)
        if folded is None:
            return value
        return [self.index(Num(folded), n, scope)]

    def place(self, element: str, dim: Dimension, scope: Scope, position: int | None, via=None) -> int:
        """Index in ``dim`` of an element the variable being defined is bound to."""
        keys = self.positions(dim)
        if canonical(element) in keys:
            return keys[canonical(element)]
        source = via or (self.owner_dims(scope)[position] if position is not None else None)
        if source is not None and len(source.elements) == len(dim.elements):  # same size: by position
            return [canonical(e) for e in source.elements].index(canonical(element))
        raise self.fail(scope, f"element '{element}' is not in dimension '{dim.name}'")

    def owner_dims(self, scope: Scope) -> tuple[Dimension, ...]:
        return scope.entry.dims if scope.entry else ()

    def index(self, node: Node, n: int, scope: Scope) -> int:
        value = self.fold(
            self.scalar(self.resolve(node, scope), scope) if not isinstance(node, Num) else node
        )
        if value is None or value != int(value):
            raise self.fail(scope, "a subscript range needs whole numbers known before the run")
        if not 1 <= value <= n:
            raise self.fail(scope, f"subscript {int(value)} is outside 1..{n}")
        return int(value) - 1
