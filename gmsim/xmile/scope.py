"""What the resolver knows while it reads one equation: the variable, its element, its macro."""

from __future__ import annotations

from dataclasses import dataclass, field

from gmsim.xmile.expr import Node
from gmsim.xmile.reader import Behavior, Dimension, Variable

__all__ = ["Entry", "Scope"]


@dataclass
class Entry:
    """A variable of some model instance, before its arrays are expanded."""

    var: Variable
    name: str  # identifier with the module prefix, e.g. "hares.hare_density"
    prefix: str
    behavior: Behavior
    dims: tuple[Dimension, ...]
    alias: str | None = None  # canonical key of the variable a module input is connected to


@dataclass
class Scope:
    """Where an equation is being resolved."""

    entry: Entry | None
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
