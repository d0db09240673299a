"""An imported model after resolution: scalar variables whose equations name each other exactly.

Arrays are expanded into one variable per element (``Stock_A[Entry_1]``),
modules into qualified names (``hares.births``), macros and stateful builtins
(SMTH, DELAY1/3/N, TREND) into hidden stocks and auxiliaries. What is left
for the compiler is a list of :class:`FlatVariable` whose equations use the
nodes of :mod:`gmsim.xmile.expr` plus the few defined here.
"""

from __future__ import annotations

from dataclasses import dataclass

from gmsim.xmile.expr import Binary, Call, Chain, If, Node, Num, Unary
from gmsim.xmile.reader import GraphicalFunction

__all__ = [
    "ActiveInitial",
    "Delayed",
    "FlatVariable",
    "Initial",
    "Items",
    "Lookup",
    "Previous",
    "Ref",
    "Select",
    "children",
    "refs",
]


@dataclass(frozen=True)
class Ref:
    """The value of the flat variable ``name`` at the current time."""

    name: str


@dataclass(frozen=True)
class Items:
    """Several values at once (an array slice), for SUM, MEAN, MIN, MAX, PROD, STDDEV, SIZE."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Select:
    """``items[index]`` with an index known only while running (1-based; out of range gives 0)."""

    items: tuple[Node, ...]
    index: Node


@dataclass(frozen=True)
class Lookup:
    """A graphical function read at ``x``."""

    gf: GraphicalFunction
    x: Node


@dataclass(frozen=True)
class Delayed:
    """``input`` as it was ``delay`` time units ago (a pipeline delay); ``initial`` before that."""

    input: Ref
    delay: Node
    initial: Node


@dataclass(frozen=True)
class Previous:
    """``input`` one DT ago; ``initial`` during the first DT."""

    input: Ref
    initial: Node


@dataclass(frozen=True)
class Initial:
    """The value ``input`` had at the start of the run."""

    input: Node


@dataclass(frozen=True)
class ActiveInitial:
    """``initial`` while the model initialises, ``active`` afterwards."""

    active: Node
    initial: Node


def children(node) -> tuple:
    """The direct sub-nodes of a resolved node."""
    match node:
        case Call(args=args) | Chain(args=args):
            return args
        case Unary(operand=x):
            return (x,)
        case Binary(left=a, right=b):
            return (a, b)
        case If(cond=c, then=a, otherwise=b):
            return (c, a, b)
        case Items(items=items):
            return items
        case Select(items=items, index=i):
            return (*items, i)
        case Lookup(x=x):
            return (x,)
        case Delayed(input=x, delay=d, initial=i):
            return (x, d, i)
        case Previous(input=x, initial=i):
            return (x, i)
        case Initial(input=x):
            return (x,)
        case ActiveInitial(active=a, initial=i):
            return (a, i)
    return ()


def refs(node, *, mode: str = "all") -> set[str]:
    """Names a resolved equation reads.

    ``mode="run"`` leaves out what a running model does not need now (the
    input of a delay or of PREVIOUS, the argument of INIT, the initial value of
    ACTIVE INITIAL); ``mode="init"`` leaves out what initialisation does not
    need (the inputs of delays and PREVIOUS, the active value of ACTIVE
    INITIAL).
    """
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Ref):
            out.add(n.name)
            continue
        if mode == "run":
            if isinstance(n, Initial):
                continue
            if isinstance(n, Delayed):
                stack.extend((n.delay, n.initial))
                continue
            if isinstance(n, Previous):
                stack.append(n.initial)
                continue
            if isinstance(n, ActiveInitial):
                stack.append(n.active)
                continue
        elif mode == "init":
            if isinstance(n, Delayed | Previous):
                stack.append(n.initial)
                continue
            if isinstance(n, ActiveInitial):
                stack.append(n.initial)
                continue
        stack.extend(children(n))
    return out


@dataclass(frozen=True)
class FlatVariable:
    """One scalar variable of an imported model.

    Parameters
    ----------
    name : str
        Reported name: the XMILE name with ``_`` for spaces, elements in
        brackets, modules as prefixes (``hares.births``, ``Stock_A[Entry_1]``).
        Hidden helpers carry a ``~`` (``smooth~SMTH3.2``).
    kind : str
        ``"stock"``, ``"flow"`` or ``"aux"``.
    equation : node
        The value of a flow or auxiliary; the initial value of a stock.
    source : str
        The equation as written in the file (for messages).
    inflows, outflows : tuple of str
        A stock's flows; hidden stocks have one inflow carrying their whole rate.
    non_negative : bool
        A flow never negative; a stock whose outflows stop at zero.
    gf : GraphicalFunction or None
        When set, the value is ``gf(equation)``.
    hidden : bool
        A helper of a builtin or macro, not reported in results.
    label, units, doc : str
        Human-readable name, units and documentation from the file.
    line : int
        Line of the definition in the file.
    """

    name: str
    kind: str
    equation: Node
    source: str = ""
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()
    non_negative: bool = False
    gf: GraphicalFunction | None = None
    hidden: bool = False
    label: str = ""
    units: str = ""
    doc: str = ""
    line: int = 0

    @property
    def constant(self) -> bool:
        """An auxiliary or flow given by a number alone (a parameter of the model)."""
        return self.kind != "stock" and not self.hidden and self.gf is None and _is_number(self.equation)


def _is_number(node) -> bool:
    if isinstance(node, Num):
        return True
    if isinstance(node, Unary) and node.op in ("-", "+"):
        return _is_number(node.operand)
    return False
