"""Resolve a read XMILE :class:`~gmsim.xmile.reader.Document` into scalar :class:`FlatVariable` s.

This is where names meet: every equation is parsed, every name in it is
found (case-insensitively, ``_`` read as a space) or reported with a
suggestion, arrays are expanded element by element, module inputs are wired
to the outputs they are connected to, macros are expanded, and builtins with
memory become hidden stocks. Every problem is a :class:`~gmsim.errors.ModelError`
that names the file and line, the variable and its equation.
"""

from __future__ import annotations

import math

import gmsim.xmile.builtins as bi
from gmsim.core.names import printable, reserved, reserved_message, unprintable
from gmsim.errors import ModelError, did_you_mean
from gmsim.limits import LimitError, check
from gmsim.xmile.arrays import ArrayResolution
from gmsim.xmile.expansion import Expansion
from gmsim.xmile.expr import (
    Binary,
    Call,
    Chain,
    EquationError,
    If,
    Node,
    Num,
    Unary,
    Var,
    parse,
)
from gmsim.xmile.flat import (
    FlatVariable,
    Items,
    Lookup,
    Ref,
)
from gmsim.xmile.names import canonical, identifier, label
from gmsim.xmile.reader import (
    Behavior,
    Document,
    Macro,
    ModelSection,
    Variable,
)
from gmsim.xmile.scope import Entry, Scope

__all__ = ["flatten", "is_vensim"]


def is_vensim(doc: Document) -> bool:
    """Whether the file was written by Vensim or its converter xmutil (INT and MOD follow Vensim)."""
    return any(word in f"{doc.vendor} {doc.product}".lower() for word in ("vensim", "ventana", "xmutil"))


class _Flattener(ArrayResolution, Expansion):
    """Resolves one document: modules and names here, arrays and hidden helpers in the mixins."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.path = doc.path
        self.pure = bi.VENSIM_PURE if is_vensim(doc) else bi.PURE
        if bad := unprintable(doc.name):
            raise ModelError(f"{doc.path}: <header> <name> holds the control character {bad}; remove it")
        for m in doc.macros:
            self.check_name(m.name, m.line, "macro")
        for d in doc.dimensions:
            for name in (d.name, *d.elements):
                self.check_name(name, d.line, "dimension" if name == d.name else "element")
        self.dims = {canonical(d.name): d for d in doc.dimensions}
        self.macros: dict[str, list[Macro]] = {}
        for m in doc.macros:
            self.macros.setdefault(canonical(m.name), []).append(m)
        self.entries: dict[str, Entry] = {}
        self.parsed: dict[str, Node | EquationError] = {}
        self.hidden: list[FlatVariable] = []
        self.constants: dict[str, float] = {}
        self.array_elements = 0  # of all arrayed variables so far (the `array_elements` limit)

    # -- messages -------------------------------------------------------------------------------------
    def fail(self, scope: Scope, message: str) -> ModelError:
        who = f"variable '{label(scope.owner)}'" if scope.owner else "the model"
        role = f" ({scope.what})" if scope.what else ""
        equation = " ".join(scope.source.split())
        if len(equation) > 300:  # a generated equation can be pages long: its start is enough
            equation = f"{equation[:300]}... ({len(equation):,} characters)"
        return ModelError(f"{self.path}:{scope.line}: {who}{role}: {message}; equation: '{equation}'")

    def error(self, line: int, message: str) -> ModelError:
        return ModelError(f"{self.path}:{line}: {message}")

    def check_name(self, name: str, line: int, what: str, *, top: bool = False) -> None:
        """Refuse a name that would act on a terminal, that a built-in would shadow (XMILE 3.5.5:
        TIME, DT, STARTTIME, STOPTIME; also PI and INF), or (``top``) that a table column has."""
        if bad := unprintable(name):
            raise self.error(
                line, f"{what} name '{printable(name)}' holds the control character {bad}; remove it"
            )
        if what in ("variable", "module") and identifier(name).upper() in bi.CONSTANTS:
            raise self.error(
                line,
                f"{what} '{label(name)}' has the name of the built-in {identifier(name).upper()}, which "
                f"equations would read instead of it; rename it, e.g. '{label(name)} value'",
            )
        if top and reserved(identifier(name)):
            raise self.error(line, f"{what} {reserved_message(identifier(name))}")

    def count_elements(self, name: str, n: int, line: int) -> None:
        """Add the ``n`` elements of the arrayed variable ``name``; refuse more than the limit."""
        self.array_elements += n
        try:
            check("array_elements", n, f"the number of elements of '{label(name)}'")
            check("array_elements", self.array_elements, "the number of array elements of the model")
        except LimitError as exc:
            raise self.error(line, f"variable '{label(name)}': {exc}") from None

    # -- model instances and modules ----------------------------------------------------------------
    def collect(
        self, section: ModelSection, prefix: str, behavior: Behavior, path: tuple[str, ...]
    ) -> None:
        behavior = section.behavior or behavior
        connections: list[tuple[str, str, Variable]] = []
        for v in section.variables:
            self.check_name(
                v.name, v.line, "module" if v.kind == "module" else "variable", top=not prefix
            )
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
            if dims:
                self.count_elements(name, math.prod(len(d.elements) for d in dims), v.line)
            self.entries[key] = Entry(v, name, prefix, behavior, tuple(dims))
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
        self.module_instances = getattr(self, "module_instances", 0) + 1
        try:
            check("module_depth", len(path) + 1, "the nesting of modules")
            check("module_instances", self.module_instances, "the number of module instances")
        except LimitError as exc:
            raise self.error(v.line, f"module '{v.name}': {exc}") from None
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

    def expand(self, entry: Entry) -> list[FlatVariable]:
        v = entry.var
        out = []
        sources = self.element_sources(entry)
        for element, (text, line, gf) in zip(self.elements(entry), sources, strict=True):
            owner = self.scalar_name(entry, element)
            bindings = {canonical(d.name): e for d, e in zip(entry.dims, element, strict=True)}
            scope = Scope(entry, owner, text or "", line, entry.prefix, bindings, element)
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

    def flow_name(self, name: str, entry: Entry, element: tuple[str, ...], scope: Scope) -> str:
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
    def parse(self, text: str | None, scope: Scope) -> Node:
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

    def resolve_equation(self, text: str | None, scope: Scope) -> Node:
        return self.scalar(self.resolve(self.parse(text, scope), scope), scope)

    def scalar(self, node, scope: Scope):
        if isinstance(node, Items):
            raise self.fail(
                scope,
                f"an array slice of {len(node.items)} values stands where one value is needed; "
                "sum it with SUM(...) or pick one element",
            )
        return node

    def resolve(self, node: Node, scope: Scope):
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
            case Chain(ops=ops, args=args):
                return Chain(ops, tuple(self.scalar(self.resolve(x, scope), scope) for x in args))
            case If(cond=c, then=a, otherwise=b):
                return If(*(self.scalar(self.resolve(x, scope), scope) for x in (c, a, b)))
        raise self.fail(scope, "'*', ranges and @n may only appear inside [ ]")

    # -- names ---------------------------------------------------------------------------------------------
    def find(self, name: str, scope: Scope) -> Entry | None:
        key = canonical(name)
        if scope.macros:  # inside a macro only its own names are visible
            return None
        if name.startswith("."):
            return self.entries.get(canonical(name[1:]))
        return self.entries.get(canonical(scope.prefix + identifier(name))) or self.entries.get(key)

    def known_names(self, scope: Scope) -> list[str]:
        names = [
            label(e.name[len(scope.prefix) :])
            for e in self.entries.values()
            if e.name.startswith(scope.prefix)
        ]
        return names + list(scope.locals) + list(scope.local_names)

    def reference(self, node: Var, scope: Scope):
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
            case Binary(op=op, left=a, right=b):
                return _arithmetic(op, self.fold(a), self.fold(b))
            case Chain(args=args):
                value = self.fold(args[0])
                for op, b in node.steps():
                    value = _arithmetic(op, value, self.fold(b))
                return value
        return None

    # -- calls ------------------------------------------------------------------------------------------
    def call(self, node: Call, scope: Scope):
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
        if upper == "LOOKUP":  # Stella's LOOKUP(table, x): the graphical function `table` at x
            return self.lookup(node, scope)
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

    def arity(self, node: Call, low: int, high: int, scope: Scope) -> None:
        n = len(node.args)
        if not low <= n <= high:
            want = f"{low}" if low == high else f"{low} to {high}"
            raise self.fail(scope, f"{node.name.upper()} takes {want} argument(s), got {n}")

    def lookup(self, node: Call, scope: Scope):
        self.arity(node, 2, 2, scope)
        table, x = node.args
        entry = self.find(table.name, scope) if isinstance(table, Var) and not table.subscripts else None
        if entry is None or entry.var.gf is None:
            raise self.fail(
                scope,
                "LOOKUP's first argument must name a graphical function of the model "
                '(LOOKUP(table, x) with <gf name="table"> or an auxiliary with a <gf>)',
            )
        return self.graphical(entry, Call(table.name, (x,)), scope)

    def graphical(self, entry: Entry, node: Call, scope: Scope):
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


def _arithmetic(op: str, x: float | None, y: float | None) -> float | None:
    """``x op y`` for ``+ - * / ^``, or ``None`` (unknown, another operator, not finite)."""
    if x is None or y is None or op not in ("+", "-", "*", "/", "^"):
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


def _items(resolved: list) -> Items:
    out: list = []
    for r in resolved:
        out.extend(r.items if isinstance(r, Items) else (r,))
    return Items(tuple(out))


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
