"""Read an XMILE file into plain, frozen data; nothing in it is evaluated.

The XML goes through :mod:`defusedxml` (SAX, without namespace processing, so
the undeclared ``isee:`` prefixes that some tools write are harmless): entity
declarations ("billion laughs") and external references are refused with a
:class:`~gmsim.errors.ModelError`, and no other file is ever opened. What
comes out is a :class:`Document`: simulation specs, dimensions, behaviour
defaults, models with their variables (equations kept as text, each with its
line), and macros.

Examples
--------
>>> doc = read_xmile_text('''<xmile version="1.0"><sim_specs><start>0</start><stop>8</stop>
... <dt>0.5</dt></sim_specs><model><variables><aux name="Room Temperature"><eqn>70</eqn></aux>
... </variables></model></xmile>''')
>>> doc.sim_specs.stop, doc.root.variables[0].name, doc.root.variables[0].equation
(8.0, 'Room Temperature', '70')
"""

from __future__ import annotations

import itertools
import math
import os
import xml.sax
import xml.sax.handler
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml
import defusedxml.sax

from gmsim.errors import ModelError, did_you_mean
from gmsim.files.reading import read_bytes
from gmsim.limits import check, check_grid

__all__ = [
    "Behavior",
    "Dimension",
    "Document",
    "Element",
    "GraphicalFunction",
    "Macro",
    "ModelSection",
    "SimSpecs",
    "Variable",
    "read_xmile",
    "read_xmile_text",
]

GF_KINDS = ("continuous", "extrapolate", "discrete")
METHOD_NAMES = {
    "euler": "euler",
    "rk4": "rk4",
    "rk45": "rk45",
    "lsoda": "lsoda",
    "rk2": "rk4",
    "rk4 auto": "rk4",
}
"""XMILE and vendor method names -> gmsim's; RK2 runs as RK4 (a note says so)."""


@dataclass(frozen=True)
class GraphicalFunction:
    """A lookup table: points ``(x, y)`` and how to read between and beyond them."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    kind: str = "continuous"


@dataclass(frozen=True)
class Element:
    """The equation of one element of an array defined element by element."""

    subscript: tuple[str, ...]
    equation: str
    line: int
    gf: GraphicalFunction | None = None


@dataclass(frozen=True)
class Variable:
    """One ``<stock>``, ``<flow>``, ``<aux>``, ``<gf>`` or ``<module>`` as written in the file.

    ``equation`` is ``None`` when the tag has no ``<eqn>``; ``equations``
    holds every ``<eqn>`` when there are several (one per array element).
    ``non_negative`` is ``None`` when the variable does not say.
    """

    kind: str
    name: str
    line: int
    equation: str | None = None
    equations: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    elements: tuple[Element, ...] = ()
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()
    non_negative: bool | None = None
    gf: GraphicalFunction | None = None
    doc: str = ""
    units: str = ""
    access: str = ""
    connections: tuple[tuple[str, str], ...] = ()
    resource: str = ""


@dataclass(frozen=True)
class Dimension:
    """An array dimension and its elements, in order."""

    name: str
    elements: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class Behavior:
    """File- or model-wide defaults: are stocks and flows non-negative unless they say otherwise."""

    stocks_non_negative: bool = False
    flows_non_negative: bool = False


@dataclass(frozen=True)
class SimSpecs:
    """``<sim_specs>``: horizon, step and integration method (gmsim's names)."""

    start: float = 0.0
    stop: float = 10.0
    dt: float = 1.0
    method: str = "euler"
    time_units: str = ""


@dataclass(frozen=True)
class ModelSection:
    """A ``<model>``: the root model has the name ``""``."""

    name: str
    variables: tuple[Variable, ...]
    line: int
    behavior: Behavior | None = None


@dataclass(frozen=True)
class Macro:
    """A ``<macro>``: parameters (name, default equation or ``None``), equation, local variables."""

    name: str
    parameters: tuple[tuple[str, str | None], ...]
    equation: str
    line: int
    variables: tuple[Variable, ...] = ()
    has_sim_specs: bool = False


@dataclass(frozen=True)
class Document:
    """Everything gmsim reads from an XMILE file."""

    path: str
    name: str
    vendor: str
    product: str
    sim_specs: SimSpecs
    dimensions: tuple[Dimension, ...]
    behavior: Behavior
    models: tuple[ModelSection, ...]
    macros: tuple[Macro, ...] = ()
    description: str = ""
    notes: tuple[str, ...] = ()

    @property
    def root(self) -> ModelSection:
        """The model without a name (the whole model)."""
        return self.models[0]

    def model(self, name: str) -> ModelSection | None:
        """The submodel called ``name`` (case-insensitive), or ``None``."""
        from gmsim.xmile.names import canonical

        return next((m for m in self.models[1:] if canonical(m.name) == canonical(name)), None)


# -- XML to a small tree with line numbers ------------------------------------------------------------
@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]


class _TreeBuilder(xml.sax.handler.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[_Node] = []
        self.root: _Node | None = None
        self.locator = None

    def setDocumentLocator(self, locator) -> None:
        self.locator = locator

    def startElement(self, name, attrs) -> None:
        line = self.locator.getLineNumber() if self.locator else 0
        node = _Node(name, dict(attrs), line)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElement(self, name) -> None:
        self.stack.pop()

    def characters(self, content) -> None:
        if self.stack:
            self.stack[-1].parts.append(content)


MAX_REPAIRS = 20
"""How many unclosed tags :func:`read_xmile_text` closes before it gives up on a file."""


def _parse_xml(data: bytes, where: str) -> tuple[_Node, list[str]]:
    """Parse, closing tags a file forgot (as lenient readers do); return the tree and what was mended."""
    repairs: list[str] = []
    while True:
        builder = _TreeBuilder()
        try:
            return _parse_once(data, builder, where), repairs
        except xml.sax.SAXParseException as exc:
            mended = _close_unclosed(data, exc, builder) if len(repairs) < MAX_REPAIRS else None
            if mended is None:
                raise ModelError(
                    f"{where}:{exc.getLineNumber()}: not well-formed XML ({exc.getMessage()}); check "
                    "that every tag is closed and that '<' and '&' in equations are written &lt; and &amp;"
                ) from None
            data, note = mended
            repairs.append(note)


def _close_unclosed(data: bytes, exc: xml.sax.SAXParseException, builder: _TreeBuilder):
    """Insert the end tag of the innermost open element before a mismatched end tag."""
    if "mismatched tag" not in exc.getMessage() or not builder.stack:
        return None
    lines = data.split(b"\n")
    line = exc.getLineNumber()
    if not 1 <= line <= len(lines):
        return None
    start = sum(len(x) + 1 for x in lines[: line - 1])
    at = data.find(b"</", start + max(exc.getColumnNumber() - 1, 0))
    if at < 0 or at > start + len(lines[line - 1]):
        at = data.find(b"</", start)
        if at < 0 or at > start + len(lines[line - 1]):
            return None
    node = builder.stack[-1]
    name = f' name="{node.attrs["name"]}"' if "name" in node.attrs else ""
    closing = data[at : data.find(b">", at) + 1].decode("utf-8", "replace")
    note = f"line {node.line}: <{node.tag}{name}> is never closed; read as closed before {closing} (line {line})"
    return data[:at] + f"</{node.tag}>".encode() + data[at:], note


def _parse_once(data: bytes, builder: _TreeBuilder, where: str) -> _Node:
    try:
        defusedxml.sax.parseString(
            data, builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except defusedxml.EntitiesForbidden as exc:
        raise ModelError(
            f"{where}: declares the XML entity '{exc.name}'; entity declarations are refused "
            "(they can expand into gigabytes, or read other files). XMILE files never need them: "
            "remove the <!DOCTYPE ...> block"
        ) from None
    except defusedxml.ExternalReferenceForbidden as exc:
        raise ModelError(
            f"{where}: refers to the external resource '{exc.sysid}'; gmsim reads nothing but the "
            "model file itself. Remove the reference from the <!DOCTYPE ...> line"
        ) from None
    except defusedxml.DefusedXmlException as exc:
        raise ModelError(f"{where}: refused unsafe XML ({exc})") from None
    assert builder.root is not None
    return builder.root


# -- the tree to data ------------------------------------------------------------------------------
class _Reader:
    def __init__(self, path: str, notes: list[str]):
        self.path = path
        self.notes = notes

    def error(self, node: _Node | int, message: str) -> ModelError:
        line = node if isinstance(node, int) else node.line
        return ModelError(f"{self.path}:{line}: {message}")

    def number(self, node: _Node, what: str) -> float:
        text = node.text.strip()
        try:
            value = float(text)
        except ValueError:
            raise self.error(node, f"{what} must be a number, got '{text}'") from None
        if not math.isfinite(value):
            raise self.error(node, f"{what} must be finite, got '{text}'")
        return value

    def flag(self, node: _Node) -> bool:
        text = node.text.strip().lower()
        if text in ("", "true"):
            return True
        if text == "false":
            return False
        raise self.error(
            node, f"<{node.tag}> must be empty, 'true' or 'false', got '{node.text.strip()}'"
        )

    def document(self, root: _Node) -> Document:
        if root.tag.split(":")[-1] != "xmile":
            raise self.error(root, f"not an XMILE file: the root element is <{root.tag}>, not <xmile>")
        header = root.find("header") or _Node("header", {}, root.line)
        text = {
            tag: (header.find(tag).text.strip() if header.find(tag) else "")
            for tag in ("name", "vendor")
        }
        product = header.find("product")
        models = root.all("model")
        if not models:
            raise self.error(root, "the file has no <model>")
        models.sort(key=lambda m: bool(m.attrs.get("name")))  # the root model first
        specs = root.find("sim_specs") or models[0].find("sim_specs")
        if specs is None:
            raise self.error(root, "the file has no <sim_specs> (start, stop and dt of the run)")
        dims = root.find("dimensions")
        return Document(
            path=self.path,
            name=text["name"] or Path(self.path).stem,
            vendor=text["vendor"],
            product=product.text.strip() if product else "",
            sim_specs=self.sim_specs(specs),
            dimensions=tuple(self.dimension(d) for d in dims.all("dim")) if dims else (),
            behavior=self.behavior(root.find("behavior")) or Behavior(),
            models=tuple(self.model_section(m) for m in models),
            macros=tuple(self.macro(m) for m in root.all("macro")),
            description=_doc(models[0]),
            notes=tuple(self.notes),
        )

    def sim_specs(self, node: _Node) -> SimSpecs:
        values = {}
        for tag in ("start", "stop", "dt"):
            child = node.find(tag)
            if child is not None:
                values[tag] = self.number(child, f"<sim_specs> <{tag}>")
            elif tag != "dt":
                raise self.error(node, f"<sim_specs> has no <{tag}>; XMILE requires <start> and <stop>")
        dt = node.find("dt")
        if dt is not None and dt.attrs.get("reciprocal", "").strip().lower() == "true":
            if values["dt"] <= 0:
                raise self.error(dt, "a reciprocal <dt> must be > 0")
            values["dt"] = 1.0 / values["dt"]
        method = node.attrs.get("method", "euler").strip().lower()
        if method not in METHOD_NAMES:
            raise self.error(
                node,
                f"integration method '{node.attrs['method']}' is not supported"
                f"{did_you_mean(method, METHOD_NAMES)}; use Euler or RK4 in <sim_specs method=...>",
            )
        if method == "rk2":
            self.notes.append(
                f"line {node.line}: method RK2 runs as RK4, a little more accurate than RK2"
            )
        specs = SimSpecs(
            **values, method=METHOD_NAMES[method], time_units=node.attrs.get("time_units", "")
        )
        if specs.stop <= specs.start:
            raise self.error(node, f"<stop> ({specs.stop:g}) must be after <start> ({specs.start:g})")
        if specs.dt <= 0:
            raise self.error(node, f"<dt> must be > 0, got {specs.dt:g}")
        check_grid(specs.start, specs.stop, specs.dt, error=lambda m: self.error(node, m))
        return specs

    def dimension(self, node: _Node) -> Dimension:
        name = self.name_of(node)
        elems = tuple(self.name_of(e) for e in node.all("elem"))
        if not elems:
            size = node.attrs.get("size", "").strip()
            if not size.isdigit() or int(size) < 1:
                raise self.error(node, f"dimension '{name}' needs <elem> tags or a size=\"N\" attribute")
            what, fail = f"the size of dimension '{name}'", lambda m: self.error(node, m)
            check("array_elements", int(size), what, error=fail)
            elems = tuple(str(i) for i in range(1, int(size) + 1))
        return Dimension(name, elems, node.line)

    def behavior(self, node: _Node | None) -> Behavior | None:
        if node is None:
            return None
        both = node.find("non_negative")
        everything = self.flag(both) if both is not None else False
        out = {}
        for tag, key in (("stock", "stocks_non_negative"), ("flow", "flows_non_negative")):
            part = node.find(tag)
            flag = part.find("non_negative") if part is not None else None
            out[key] = self.flag(flag) if flag is not None else everything
        return Behavior(**out)

    def name_of(self, node: _Node) -> str:
        name = node.attrs.get("name", "").strip()
        if not name:
            raise self.error(node, f'<{node.tag}> has no name="..." attribute')
        return name

    def model_section(self, node: _Node) -> ModelSection:
        variables = node.find("variables")
        return ModelSection(
            name=node.attrs.get("name", "").strip(),
            variables=self.variables(variables) if variables else (),
            line=node.line,
            behavior=self.behavior(node.find("behavior")),
        )

    def variables(self, node: _Node) -> tuple[Variable, ...]:
        kinds = ("stock", "flow", "aux", "gf", "module")
        out = []
        stack = [iter(node.children)]  # the variables a variable holds come right after it
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
            elif child.tag in kinds:
                out.append(self.variable(child))
                nested = [c for c in child.children if c.tag in kinds[:3] or c.tag == "module"]
                if nested:  # a variable cannot hold another: the file forgot to close it
                    self.notes.append(
                        f'line {child.line}: <{child.tag} name="{child.attrs.get("name", "")}"> holds '
                        f"{len(nested)} other variable(s); read them as siblings"
                    )
                    stack.append(iter(nested))
            elif child.tag == "group":
                continue
            elif ":" not in child.tag:
                raise self.error(
                    child,
                    f"<{child.tag}> is not supported{did_you_mean(child.tag, kinds)}; "
                    "gmsim reads stocks, flows, auxiliaries, graphical functions and modules",
                )
        return tuple(out)

    def variable(self, node: _Node) -> Variable:
        name = self.name_of(node)
        for option in ("conveyor", "queue"):
            if node.find(option) is not None:
                raise self.error(
                    node,
                    f"stock '{name}' is a {option}; conveyors and queues are not supported, only plain stocks",
                )
        eqns = node.all("eqn")
        nn = node.find("non_negative")
        dims = node.find("dimensions")
        gf_node = node if node.tag == "gf" else node.find("gf")
        return Variable(
            kind=node.tag,
            name=name,
            line=node.line,
            equation=eqns[0].text if len(eqns) == 1 else None,
            equations=tuple(e.text for e in eqns) if len(eqns) > 1 else (),
            dimensions=tuple(self.name_of(d) for d in dims.all("dim")) if dims else (),
            elements=tuple(self.element(e) for e in node.all("element")),
            inflows=tuple(_unquote(f.text) for f in node.all("inflow")),
            outflows=tuple(_unquote(f.text) for f in node.all("outflow")),
            non_negative=self.flag(nn) if nn is not None else None,
            gf=self.gf(gf_node, name) if gf_node is not None else None,
            doc=_doc(node),
            units=node.find("units").text.strip() if node.find("units") else "",
            access=node.attrs.get("access", ""),
            connections=tuple(
                (c.attrs.get("to", "").strip(), c.attrs.get("from", "").strip())
                for c in node.all("connect")
            ),
            resource=node.attrs.get("resource", ""),
        )

    def element(self, node: _Node) -> Element:
        subscript = node.attrs.get("subscript", "")
        eqn = node.find("eqn")
        gf = node.find("gf")
        return Element(
            subscript=tuple(s.strip() for s in subscript.split(",")),
            equation=eqn.text if eqn is not None else "",
            line=node.line,
            gf=self.gf(gf, subscript) if gf is not None else None,
        )

    def points(self, node: _Node, what: str) -> tuple[float, ...]:
        sep = node.attrs.get("sep", ",") or ","
        values = []
        for part in node.text.split(sep):
            part = part.strip()
            if not part:
                continue
            try:
                values.append(float(part))
            except ValueError:
                raise self.error(node, f"{what}: '{part}' is not a number") from None
        return tuple(values)

    def gf(self, node: _Node, owner: str) -> GraphicalFunction:
        what = f"graphical function of '{owner}'"
        ypts = node.find("ypts")
        if ypts is None:
            raise self.error(node, f"{what} has no <ypts>")
        y = self.points(ypts, what)
        xpts = node.find("xpts")
        if xpts is not None:
            x = self.points(xpts, what)
        else:
            scale = node.find("xscale")
            if scale is None:
                raise self.error(node, f"{what} needs <xpts> or <xscale min=... max=...>")
            try:
                lo, hi = float(scale.attrs["min"]), float(scale.attrs["max"])
            except (KeyError, ValueError):
                raise self.error(
                    scale, f"{what}: <xscale> needs numeric min and max attributes"
                ) from None
            if len(y) > 1 and not hi > lo:
                raise self.error(scale, f"{what}: <xscale> max must be above min")
            x = tuple(lo + (hi - lo) * i / max(len(y) - 1, 1) for i in range(len(y)))
        if len(x) != len(y) or not y:
            raise self.error(
                node, f"{what} has {len(x)} x values and {len(y)} y values; they must pair up"
            )
        if any(b < a for a, b in itertools.pairwise(x)):
            raise self.error(node, f"{what}: x values must be in increasing order")
        kind = node.attrs.get("type", "").strip().lower()
        if not kind:
            kind = (
                "discrete" if node.attrs.get("discrete", "").strip().lower() == "true" else "continuous"
            )
        if kind not in GF_KINDS:
            raise self.error(
                node,
                f"{what}: type '{kind}' is not one of {', '.join(GF_KINDS)}{did_you_mean(kind, GF_KINDS)}",
            )
        return GraphicalFunction(x, y, kind)

    def macro(self, node: _Node) -> Macro:
        eqn = node.find("eqn")
        variables = node.find("variables")
        return Macro(
            name=self.name_of(node),
            parameters=tuple((p.text.strip(), p.attrs.get("default")) for p in node.all("parm")),
            equation=eqn.text if eqn is not None else "",
            line=node.line,
            variables=self.variables(variables) if variables else (),
            has_sim_specs=node.find("sim_specs") is not None,
        )


def _doc(node: _Node) -> str:
    doc = node.find("doc")
    return doc.text.strip() if doc is not None else ""


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def read_xmile_text(text: str | bytes, path: str = "<string>") -> Document:
    """Read XMILE from a string (``path`` names it in messages)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    root, notes = _parse_xml(data, path)
    return _Reader(path, notes).document(root)


def read_xmile(path: str | os.PathLike) -> Document:
    """Read an XMILE file (``.xmile``, ``.stmx``, ``.itmx`` or ``.xml``).

    Raises
    ------
    ModelError
        The file cannot be read, is not well-formed or safe XML, or is not XMILE.
    """
    path = Path(path)
    data = read_bytes(path, what="XMILE file", error=ModelError, limit_name="xmile_bytes", report=True)
    return read_xmile_text(data, str(path))
