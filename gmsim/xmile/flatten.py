"""Resolve a read XMILE :class:`~gmsim.xmile.reader.Document` into scalar :class:`FlatVariable` s.

This is where names meet: every equation is parsed, every name in it is
found (case-insensitively, ``_`` read as a space) or reported with a
suggestion, arrays are expanded element by element, module inputs are wired
to the outputs they are connected to, macros are expanded, and builtins with
memory become hidden stocks. Every problem is a :class:`~gmsim.errors.ModelError`
that names the file and line, the variable and its equation.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace

from gmsim.errors import ModelError, did_you_mean
from gmsim.xmile import builtins as bi
from gmsim.xmile.expr import (
    Binary,
    Call,
    DimPosition,
    EquationError,
    If,
    Node,
    Num,
    Range,
    Star,
    Unary,
    Var,
    parse,
)
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
)
from gmsim.xmile.names import canonical, identifier, label
from gmsim.xmile.reader import (
    Behavior,
    Dimension,
    Document,
    GraphicalFunction,
    Macro,
    ModelSection,
    Variable,
)

__all__ = ["flatten", "is_vensim"]

_NUMBER_LIST = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*([,;]\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*)+[;,]?\s*$"


def is_vensim(doc: Document) -> bool:
    """Whether the file was written by Vensim or its converter xmutil (INT and MOD follow Vensim)."""
    return any(word in f"{doc.vendor} {doc.product}".lower() for word in ("vensim", "ventana", "xmutil"))


@dataclass
class _Entry:
    """A variable of some model instance, before expansion."""

    var: Variable
    name: str  # identifier with the module prefix, e.g. "hares.hare_density"
    prefix: str
    behavior: Behavior
    dims: tuple[Dimension, ...]
    alias: str | None = None  # canonical key of the variable a module input is connected to


@dataclass
class _Scope:
    """Where an equation is being resolved."""

    entry: _Entry | None
    owner: str  # the scalar variable being defined (hidden helpers are named after it)
    source: str
    line: int
    prefix: str = ""
    bindings: dict[str, str] = field(default_factory=dict)  # dimension -> element
    element: tuple[str, ...] = ()
    locals: dict[str, Node] = field(default_factory=dict)
    local_names: dict[str, str] = field(default_factory=dict)
    macros: tuple[str, ...] = ()
    counter: list[int] = field(default_factory=lambda: [0])
    what: str = ""  # the role of the equation, e.g. "initial value"


class _Flattener:
    def __init__(self, doc: Document):
        self.doc = doc
        self.path = doc.path
        self.pure = bi.VENSIM_PURE if is_vensim(doc) else bi.PURE
        self.dims = {canonical(d.name): d for d in doc.dimensions}
        self.macros: dict[str, list[Macro]] = {}
        for m in doc.macros:
            self.macros.setdefault(canonical(m.name), []).append(m)
        self.entries: dict[str, _Entry] = {}
        self.parsed: dict[str, Node | EquationError] = {}
        self.hidden: list[FlatVariable] = []
        self.constants: dict[str, float] = {}

    # -- messages -------------------------------------------------------------------------------------
    def fail(self, scope: _Scope, message: str) -> ModelError:
        who = f"variable '{label(scope.owner)}'" if scope.owner else "the model"
        role = f" ({scope.what})" if scope.what else ""
        equation = " ".join(scope.source.split())
        return ModelError(f"{self.path}:{scope.line}: {who}{role}: {message}; equation: '{equation}'")

    def error(self, line: int, message: str) -> ModelError:
        return ModelError(f"{self.path}:{line}: {message}")

    # -- model instances and modules ----------------------------------------------------------------
    def collect(
        self, section: ModelSection, prefix: str, behavior: Behavior, path: tuple[str, ...]
    ) -> None:
        behavior = section.behavior or behavior
        connections: list[tuple[str, str, Variable]] = []
        for v in section.variables:
            if v.kind == "module":
                connections += self.module(v, prefix, behavior, path)
                continue
            name = prefix + identifier(v.name)
            key = canonical(name)
            if key in self.entries:
                raise self.error(
                    v.line,
                    f"'{label(name)}' is defined twice (also on line {self.entries[key].var.line})",
                )
            dims = []
            for d in v.dimensions:
                if canonical(d) not in self.dims:
                    raise self.error(
                        v.line,
                        f"variable '{label(name)}' uses the dimension '{d}', which <dimensions> does not "
                        f"define{did_you_mean(d, [x.name for x in self.doc.dimensions])}",
                    )
                dims.append(self.dims[canonical(d)])
            self.entries[key] = _Entry(v, name, prefix, behavior, tuple(dims))
        for target, source, module in connections:
            if target not in self.entries or source not in self.entries:
                missing = target if target not in self.entries else source
                raise self.error(
                    module.line,
                    f"module '{module.name}' connects '{label(missing)}', which is not a variable"
                    f"{did_you_mean(missing, list(self.entries))}",
                )
            self.entries[target].alias = source

    def module(self, v: Variable, prefix: str, behavior: Behavior, path: tuple[str, ...]):
        if v.resource:
            raise self.error(
                v.line,
                f"module '{v.name}' loads its model from '{v.resource}'; gmsim reads nothing but this "
                "file, so copy that <model> into it",
            )
        section = self.doc.model(v.name)
        if section is None:
            names = [m.name for m in self.doc.models[1:]]
            raise self.error(
                v.line,
                f"module '{v.name}' has no <model name=\"{v.name}\"> in the file{did_you_mean(v.name, names)}",
            )
        if canonical(v.name) in path:
            raise self.error(v.line, f"module '{v.name}' contains itself")
        inner = prefix + identifier(v.name) + "."
        self.collect(section, inner, behavior, (*path, canonical(v.name)))
        out = []
        for to, source in v.connections:
            target = prefix + identifier(to[1:]) if to.startswith(".") else inner + identifier(to)
            origin = (
                prefix + identifier(source[1:])
                if source.startswith(".")
                else prefix + identifier(source)
            )
            out.append((canonical(target), canonical(origin), v))
        return out

    # -- expansion --------------------------------------------------------------------------------------
    def run(self) -> tuple[FlatVariable, ...]:
        self.collect(self.doc.root, "", self.doc.behavior, ())
        self.find_constants()
        out: list[FlatVariable] = []
        for entry in self.entries.values():
            if entry.var.kind != "gf":
                out.extend(self.expand(entry))
        return (*out, *self.hidden)

    def elements(self, entry: _Entry) -> list[tuple[str, ...]]:
        return list(itertools.product(*(d.elements for d in entry.dims))) if entry.dims else [()]

    def scalar_name(self, entry: _Entry, element: tuple[str, ...]) -> str:
        return entry.name + (f"[{','.join(identifier(e) for e in element)}]" if element else "")

    def expand(self, entry: _Entry) -> list[FlatVariable]:
        v = entry.var
        out = []
        sources = self.element_sources(entry)
        for element, (text, line, gf) in zip(self.elements(entry), sources, strict=True):
            owner = self.scalar_name(entry, element)
            bindings = {canonical(d.name): e for d, e in zip(entry.dims, element, strict=True)}
            scope = _Scope(entry, owner, text or "", line, entry.prefix, bindings, element)
            common = {
                "name": owner,
                "label": label(owner),
                "units": v.units,
                "doc": v.doc,
                "line": line,
                "source": text or "",
            }
            if entry.alias is not None:
                source = self.entries[entry.alias]
                src_element = element if source.dims else ()
                ref = Ref(self.scalar_name(source, src_element))
                out.append(FlatVariable(kind="aux", equation=ref, **{**common, "source": ref.name}))
                continue
            scope.what = "initial value" if v.kind == "stock" else ""
            equation = self.resolve_equation(text, scope)
            if v.kind == "stock":
                out.append(
                    FlatVariable(
                        kind="stock",
                        equation=equation,
                        inflows=tuple(self.flow_name(f, entry, element, scope) for f in v.inflows),
                        outflows=tuple(self.flow_name(f, entry, element, scope) for f in v.outflows),
                        non_negative=v.non_negative
                        if v.non_negative is not None
                        else entry.behavior.stocks_non_negative,
                        **common,
                    )
                )
            else:
                flows = entry.behavior.flows_non_negative
                out.append(
                    FlatVariable(
                        kind="flow" if v.kind == "flow" else "aux",
                        equation=equation,
                        non_negative=v.kind == "flow"
                        and (v.non_negative if v.non_negative is not None else flows),
                        gf=gf,
                        **common,
                    )
                )
        return out

    def element_sources(self, entry: _Entry) -> list[tuple[str | None, int, GraphicalFunction | None]]:
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
        if n > 1 and text is not None and _is_number_list(text):
            values = [x for x in text.replace(";", ",").split(",") if x.strip()]
            if len(values) != n:
                raise self.error(
                    v.line,
                    f"variable '{label(v.name)}' lists {len(values)} values for {n} array elements",
                )
            return [(x.strip(), v.line, v.gf) for x in values]
        return [(text, v.line, v.gf)] * n

    def flow_name(self, name: str, entry: _Entry, element: tuple[str, ...], scope: _Scope) -> str:
        key = canonical(entry.prefix + identifier(name))
        flow = self.entries.get(key)
        if flow is None or flow.var.kind not in ("flow", "aux"):
            raise self.fail(
                scope,
                f"its flow '{name}' is not a flow of the model"
                f"{did_you_mean(identifier(name), [e.name for e in self.entries.values() if e.var.kind == 'flow'])}",
            )
        if not flow.dims:
            return flow.name
        bindings = {canonical(d.name): e for d, e in zip(entry.dims, element, strict=True)}
        picked = []
        for d in flow.dims:
            if canonical(d.name) not in bindings:
                raise self.fail(
                    scope, f"its flow '{name}' is arrayed over '{d.name}' but the stock is not"
                )
            picked.append(bindings[canonical(d.name)])
        return self.scalar_name(flow, tuple(picked))

    # -- equations ------------------------------------------------------------------------------------
    def parse(self, text: str | None, scope: _Scope) -> Node:
        if text is None:
            raise self.fail(scope, "it has no equation (<eqn>)")
        if text not in self.parsed:
            try:
                self.parsed[text] = parse(text)
            except EquationError as exc:
                self.parsed[text] = exc
        node = self.parsed[text]
        if isinstance(node, EquationError):
            if node.message == "the equation is empty" and text.strip():
                raise self.fail(scope, "its equation is only a comment {...}; give it a value")
            if node.message == "the equation is empty":
                raise self.fail(scope, "its equation is empty")
            if "???" in text:
                raise self.fail(
                    scope,
                    "its equation is the placeholder '???' that converters leave where they could "
                    "not translate the original; write the equation",
                )
            where = f" at character {node.position + 1}" if node.position is not None else ""
            raise self.fail(scope, f"cannot read the equation: {node.message}{where}")
        return node

    def resolve_equation(self, text: str | None, scope: _Scope) -> Node:
        return self.scalar(self.resolve(self.parse(text, scope), scope), scope)

    def scalar(self, node, scope: _Scope):
        if isinstance(node, Items):
            raise self.fail(
                scope,
                f"an array slice of {len(node.items)} values stands where one value is needed; "
                "sum it with SUM(...) or pick one element",
            )
        return node

    def resolve(self, node: Node, scope: _Scope):
        match node:
            case Num():
                return node
            case Var():
                return self.reference(node, scope)
            case Call():
                return self.call(node, scope)
            case Unary(op=op, operand=x):
                return Unary(op, self.scalar(self.resolve(x, scope), scope))
            case Binary(op=op, left=a, right=b):
                return Binary(
                    op,
                    self.scalar(self.resolve(a, scope), scope),
                    self.scalar(self.resolve(b, scope), scope),
                )
            case If(cond=c, then=a, otherwise=b):
                return If(*(self.scalar(self.resolve(x, scope), scope) for x in (c, a, b)))
        raise self.fail(scope, "'*', ranges and @n may only appear inside [ ]")

    # -- names ---------------------------------------------------------------------------------------------
    def find(self, name: str, scope: _Scope) -> _Entry | None:
        key = canonical(name)
        if scope.macros:  # inside a macro only its own names are visible
            return None
        if name.startswith("."):
            return self.entries.get(canonical(name[1:]))
        return self.entries.get(canonical(scope.prefix + identifier(name))) or self.entries.get(key)

    def known_names(self, scope: _Scope) -> list[str]:
        names = [
            label(e.name[len(scope.prefix) :])
            for e in self.entries.values()
            if e.name.startswith(scope.prefix)
        ]
        return names + list(scope.locals) + list(scope.local_names)

    def reference(self, node: Var, scope: _Scope):
        key = canonical(node.name)
        if node.subscripts is None:
            if key in scope.locals:
                return scope.locals[key]
            if key in scope.local_names:
                return Ref(scope.local_names[key])
            if key == "self" and scope.owner:
                return Ref(scope.owner)
            if identifier(node.name).upper() in bi.CONSTANTS:
                return Call(identifier(node.name).upper(), ())
        elif identifier(node.name).upper() in bi.CONSTANTS and self.find(node.name, scope) is None:
            raise self.fail(scope, f"'{node.name}' is not an array but is subscripted")
        entry = self.find(node.name, scope)
        if entry is None:
            position = self.element_position(node.name)
            if position is not None and node.subscripts is None:
                return Num(float(position))
            suggestion = did_you_mean(label(node.name), self.known_names(scope))
            raise self.fail(scope, f"unknown name '{node.name}'{suggestion}")
        if entry.var.kind == "gf" or (
            entry.var.equation is None and entry.var.gf is not None and not entry.dims
        ):
            raise self.fail(
                scope,
                f"'{label(entry.name)}' is a graphical function; call it with an input, e.g. {entry.name}(x)",
            )
        return self.subscripted(entry, node, scope)

    def element_position(self, name: str) -> int | None:
        """``Dim.element`` outside brackets: the element's position (1-based)."""
        dim, _, elem = name.rpartition(".")
        d = self.dims.get(canonical(dim)) if dim else None
        if d is None:
            return None
        keys = [canonical(e) for e in d.elements]
        return keys.index(canonical(elem)) + 1 if canonical(elem) in keys else None

    def subscripted(self, entry: _Entry, node: Var, scope: _Scope):
        dims = entry.dims
        subs = node.subscripts
        if not dims:
            if subs:
                raise self.fail(scope, f"'{label(entry.name)}' is not an array but is subscripted")
            return Ref(entry.name)
        if subs is None:
            subs = tuple(Var(d.name) for d in dims)
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

    def subscript(self, sub: Node, dim: Dimension, entry: _Entry, scope: _Scope) -> list[int] | Node:
        keys = [canonical(e) for e in dim.elements]
        n = len(keys)
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
                    return [keys.index(canonical(e)) for e in named.elements]
                raise self.fail(
                    scope, f"dimension '{sub.name}' does not fit '{dim.name}' of '{label(entry.name)}'"
                )
            if key in keys:
                return [keys.index(key)]
            qualified = sub.name.rpartition(".")
            if (
                qualified[0]
                and canonical(qualified[0]) == canonical(dim.name)
                and canonical(qualified[2]) in keys
            ):
                return [keys.index(canonical(qualified[2]))]
        value = self.scalar(self.resolve(sub, scope), scope)
        folded = self.fold(value)
        if folded is None:
            return value
        return [self.index(Num(folded), n, scope)]

    def place(self, element: str, dim: Dimension, scope: _Scope, position: int | None, via=None) -> int:
        """Index in ``dim`` of an element the variable being defined is bound to."""
        keys = [canonical(e) for e in dim.elements]
        if canonical(element) in keys:
            return keys.index(canonical(element))
        source = via or (self.owner_dims(scope)[position] if position is not None else None)
        if source is not None and len(source.elements) == len(keys):  # same size: map by position
            return [canonical(e) for e in source.elements].index(canonical(element))
        raise self.fail(scope, f"element '{element}' is not in dimension '{dim.name}'")

    def owner_dims(self, scope: _Scope) -> tuple[Dimension, ...]:
        return scope.entry.dims if scope.entry else ()

    def index(self, node: Node, n: int, scope: _Scope) -> int:
        value = self.fold(
            self.scalar(self.resolve(node, scope), scope) if not isinstance(node, Num) else node
        )
        if value is None or value != int(value):
            raise self.fail(scope, "a subscript range needs whole numbers known before the run")
        if not 1 <= value <= n:
            raise self.fail(scope, f"subscript {int(value)} is outside 1..{n}")
        return int(value) - 1

    # -- constants ------------------------------------------------------------------------------------------
    def find_constants(self) -> None:
        """Values of scalar auxiliaries given by arithmetic on numbers (for DELAYN orders and subscripts)."""
        for key, entry in self.entries.items():
            v = entry.var
            if (
                v.kind in ("aux", "flow")
                and not entry.dims
                and v.gf is None
                and v.equation
                and entry.alias is None
            ):
                try:
                    value = self.fold(parse(v.equation))
                except (EquationError, ModelError):
                    value = None
                if value is not None:
                    self.constants[key] = value

    def fold(self, node) -> float | None:
        """The number a resolved expression always has, or ``None``."""
        match node:
            case Num(value=v):
                return v
            case Ref(name=name):
                return self.constants.get(canonical(name))
            case Unary(op=op, operand=x):
                v = self.fold(x)
                return None if v is None else (-v if op == "-" else v if op == "+" else float(v == 0))
            case Binary(op=op, left=a, right=b) if op in ("+", "-", "*", "/", "^"):
                x, y = self.fold(a), self.fold(b)
                if x is None or y is None:
                    return None
                try:
                    value = {
                        "+": x + y,
                        "-": x - y,
                        "*": x * y,
                        "/": x / y if y else math.nan,
                        "^": x**y,
                    }[op]
                except (OverflowError, ZeroDivisionError):
                    return None
                return value if isinstance(value, float) and math.isfinite(value) else None
        return None

    # -- calls ------------------------------------------------------------------------------------------
    def call(self, node: Call, scope: _Scope):
        name = identifier(node.name)
        for ns in bi.NAMESPACES:
            if name.lower().startswith(ns):
                name = name[len(ns) :]
        upper = bi.ALIASES.get(name.upper(), name.upper())
        if canonical(name) in self.macros:
            return self.macro(canonical(name), node, scope)
        builtin = upper in bi.all_names() or upper in self.pure
        entry = None if builtin else self.find(node.name, scope)
        if entry is not None:
            return self.graphical(entry, node, scope)
        args = node.args
        if upper == "IF":
            self.arity(node, 3, 3, scope)
            return If(*(self.scalar(self.resolve(a, scope), scope) for a in args))
        if upper in bi.CONSTANTS:
            self.arity(node, 0, 0, scope)
            return Call(upper, ())
        if upper in ("MIN", "MAX"):
            self.arity(node, 1, 2, scope)
            resolved = [self.resolve(a, scope) for a in args]
            if len(resolved) == 1 or any(isinstance(r, Items) for r in resolved):
                return Call(upper, (_items(resolved),))
            return Call(upper, tuple(resolved))
        if upper in self.pure:
            low, high, _ = self.pure[upper]
            self.arity(node, low, high, scope)
            resolved = tuple(self.scalar(self.resolve(a, scope), scope) for a in args)
            if (node.name.upper() == "ZIDZ" and len(resolved) != 2) or (
                node.name.upper() == "XIDZ" and len(resolved) != 3
            ):
                raise self.fail(
                    scope,
                    f"{node.name.upper()} takes {2 if node.name.upper() == 'ZIDZ' else 3} arguments",
                )
            return Call(upper, resolved)
        if upper in bi.INPUTS:
            self.arity(node, *bi.INPUTS[upper], scope)
            return Call(upper, tuple(self.scalar(self.resolve(a, scope), scope) for a in args))
        if upper in bi.ARRAY_FUNCTIONS:
            self.arity(node, 1, 1, scope)
            return Call(upper, (_items([self.resolve(a, scope) for a in args]),))
        if upper in bi.STATEFUL:
            self.arity(node, *bi.STATEFUL[upper], scope)
            return self.stateful(
                upper, [self.scalar(self.resolve(a, scope), scope) for a in args], scope
            )
        if upper in bi.RANDOM:
            raise self.fail(
                scope, f"{upper} draws random numbers, which gmsim does not support in imported models"
            )
        choices = bi.all_names() + [m[0].name for m in self.macros.values()]
        hint = "" if self.macros else "; the file defines no <macro> of that name"
        raise self.fail(
            scope, f"unknown function '{node.name}'{did_you_mean(node.name.upper(), choices)}{hint}"
        )

    def arity(self, node: Call, low: int, high: int, scope: _Scope) -> None:
        n = len(node.args)
        if not low <= n <= high:
            want = f"{low}" if low == high else f"{low} to {high}"
            raise self.fail(scope, f"{node.name.upper()} takes {want} argument(s), got {n}")

    def graphical(self, entry: _Entry, node: Call, scope: _Scope):
        v = entry.var
        gf = v.gf
        if entry.dims:
            element = tuple(scope.bindings.get(canonical(d.name), "") for d in entry.dims)
            sources = dict(zip(self.elements(entry), self.element_sources(entry), strict=True))
            gf = sources.get(element, (None, 0, v.gf))[2]
        if gf is None:
            raise self.fail(
                scope, f"'{label(entry.name)}' is called like a function but has no graphical function"
            )
        self.arity(node, 1, 1, scope)
        return Lookup(gf, self.scalar(self.resolve(node.args[0], scope), scope))

    # -- builtins with memory -----------------------------------------------------------------------------
    def helper(self, scope: _Scope, tag: str) -> str:
        scope.counter[0] += 1
        return f"{scope.owner}~{tag}" + (f"#{scope.counter[0]}" if scope.counter[0] > 1 else "")

    def add_hidden(self, scope: _Scope, name: str, kind: str, equation, **extra) -> Ref:
        self.hidden.append(
            FlatVariable(
                name=name,
                kind=kind,
                equation=equation,
                source=scope.source,
                hidden=True,
                line=scope.line,
                **extra,
            )
        )
        return Ref(name)

    def shared(self, node, scope: _Scope, name: str) -> Ref | Num:
        """A value used several times: itself when simple, else a hidden auxiliary."""
        if isinstance(node, Ref | Num):
            return node
        return self.add_hidden(scope, name, "aux", node)

    def order(self, node, scope: _Scope, fn: str) -> int:
        n = self.fold(node)
        if n is None or n != int(n) or n < 1:
            raise self.fail(scope, f"the order of {fn} must be a whole number >= 1 known before the run")
        return int(n)

    def stateful(self, fn: str, args: list, scope: _Scope):
        if fn == "INIT":
            return self.add_hidden(scope, self.helper(scope, "INIT"), "aux", Initial(args[0]))
        if fn == "ACTIVE_INITIAL":
            return ActiveInitial(args[0], args[1])
        base = self.helper(scope, fn)
        if fn == "PREVIOUS":
            x = self.shared(args[0], scope, base + ".input")
            if isinstance(x, Num):
                return x
            initial = (
                args[1] if len(args) > 1 else self.add_hidden(scope, base + ".start", "aux", Initial(x))
            )
            return Previous(x, initial)
        if fn == "DELAY":
            x = self.shared(args[0], scope, base + ".input")
            if isinstance(x, Num):
                return x
            initial = (
                args[2] if len(args) > 2 else self.add_hidden(scope, base + ".start", "aux", Initial(x))
            )
            return Delayed(x, args[1], initial)
        x = self.shared(args[0], scope, base + ".input")
        time = self.shared(args[1], scope, base + ".time")
        if fn in ("TREND", "FORCST"):
            trend0 = (
                (args[3] if fn == "FORCST" else args[2])
                if len(args) > (3 if fn == "FORCST" else 2)
                else Num(0.0)
            )
            average = self.stock(
                scope,
                base + ".average",
                Binary("/", Binary("-", x, Ref(base + ".average")), time),
                Binary("/", x, Binary("+", Num(1.0), Binary("*", trend0, time))),
            )
            trend = Call("SAFEDIV", (Binary("-", x, average), Binary("*", average, time)))
            if fn == "TREND":
                return trend
            return Binary("*", x, Binary("+", Num(1.0), Binary("*", trend, args[2])))
        if fn in ("SMTH1", "SMTH3", "SMTHN"):
            n = {"SMTH1": 1, "SMTH3": 3}.get(fn) or self.order(args[2], scope, fn)
            initial = args[3 if fn == "SMTHN" else 2] if len(args) > (3 if fn == "SMTHN" else 2) else x
            stage_time = (
                time
                if n == 1
                else self.shared(Binary("/", time, Num(float(n))), scope, base + ".stage_time")
            )
            prev = x
            for k in range(1, n + 1):
                name = base if n == 1 else f"{base}.{k}"
                prev = self.stock(
                    scope, name, Binary("/", Binary("-", prev, Ref(name)), stage_time), initial
                )
            return prev
        # material delays DELAY1, DELAY3, DELAYN
        n = {"DELAY1": 1, "DELAY3": 3}.get(fn) or self.order(args[2], scope, fn)
        initial = args[3 if fn == "DELAYN" else 2] if len(args) > (3 if fn == "DELAYN" else 2) else x
        stage_time = (
            time
            if n == 1
            else self.shared(Binary("/", time, Num(float(n))), scope, base + ".stage_time")
        )
        inflow = x
        for k in range(1, n + 1):
            name = base if n == 1 else f"{base}.{k}"
            outflow = Binary("/", Ref(name), stage_time)
            self.stock(scope, name, Binary("-", inflow, outflow), Binary("*", initial, stage_time))
            inflow = outflow
        return inflow

    def stock(self, scope: _Scope, name: str, rate, initial) -> Ref:
        self.add_hidden(scope, name + ".rate", "flow", rate)
        return self.add_hidden(scope, name, "stock", initial, inflows=(name + ".rate",))

    # -- macros ----------------------------------------------------------------------------------------------
    def macro(self, key: str, node: Call, scope: _Scope):
        candidates = self.macros[key]
        n = len(node.args)
        fits = [
            m for m in candidates if sum(d is None for _, d in m.parameters) <= n <= len(m.parameters)
        ]
        if not fits:
            counts = sorted({len(m.parameters) for m in candidates})
            raise self.fail(scope, f"macro {candidates[0].name} takes {counts} argument(s), got {n}")
        m = fits[0]
        if key in scope.macros:
            raise self.fail(scope, f"macro {m.name} calls itself; recursive macros are not supported")
        if m.has_sim_specs:
            raise self.fail(
                scope, f"macro {m.name} has its own <sim_specs>; such macros are not supported"
            )
        base = self.helper(scope, identifier(m.name).upper())
        inner = _Scope(
            None,
            scope.owner,
            m.equation,
            m.line,
            macros=(*scope.macros, key),
            counter=scope.counter,
            what=f"in macro {m.name}",
        )
        for i, (param, default) in enumerate(m.parameters):
            if i < n:
                value = self.scalar(self.resolve(node.args[i], scope), scope)
            else:
                value = self.scalar(self.resolve(self.parse(default, inner), inner), inner)
            inner.locals[canonical(param)] = self.shared(value, scope, f"{base}.{identifier(param)}")
        for v in m.variables:
            inner.local_names[canonical(v.name)] = f"{base}.{identifier(v.name)}"
        for v in m.variables:
            local = replace(
                inner, source=v.equation or "", line=v.line, what=f"{v.name} in macro {m.name}"
            )
            equation = self.resolve_equation(v.equation, local)
            name = inner.local_names[canonical(v.name)]
            if v.kind == "stock":
                flows = [
                    tuple(self.local_flow(f, inner, local) for f in fs) for fs in (v.inflows, v.outflows)
                ]
                self.add_hidden(local, name, "stock", equation, inflows=flows[0], outflows=flows[1])
            elif v.kind in ("flow", "aux"):
                self.add_hidden(local, name, "flow" if v.kind == "flow" else "aux", equation, gf=v.gf)
            else:
                raise self.fail(local, f"<{v.kind}> inside a macro is not supported")
        return self.resolve_equation(m.equation, inner)

    def local_flow(self, name: str, inner: _Scope, scope: _Scope) -> str:
        if canonical(name) not in inner.local_names:
            raise self.fail(scope, f"flow '{name}' is not a variable of the macro")
        return inner.local_names[canonical(name)]


def _items(resolved: list) -> Items:
    out: list = []
    for r in resolved:
        out.extend(r.items if isinstance(r, Items) else (r,))
    return Items(tuple(out))


def _is_number_list(text: str) -> bool:
    return re.match(_NUMBER_LIST, text) is not None


def flatten(doc: Document) -> tuple[FlatVariable, ...]:
    """Every scalar variable of a document, resolved; hidden helpers last.

    Raises
    ------
    ModelError
        Naming the file and line, the variable and its equation.

    Examples
    --------
    >>> from gmsim.xmile.reader import read_xmile_text
    >>> doc = read_xmile_text('''<xmile><sim_specs><start>0</start><stop>1</stop></sim_specs>
    ... <model><variables><aux name="x"><eqn>SMTH1(y, 2)</eqn></aux><aux name="y"><eqn>3</eqn></aux>
    ... </variables></model></xmile>''')
    >>> [(v.name, v.kind, v.hidden) for v in flatten(doc)]
    [('x', 'aux', False), ('y', 'aux', False), ('x~SMTH1.rate', 'flow', True), ('x~SMTH1', 'stock', True)]
    """
    return _Flattener(doc).run()
