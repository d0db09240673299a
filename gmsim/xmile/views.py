"""The ``<views>`` of an exported XMILE file: a stock-and-flow diagram Stella can open.

Variables are laid out in two dimensions by their dependencies: a variable's
column is the length of the longest chain of causes leading to it (flows into
stocks do not count, so every chain ends), and each column is ordered by the
mean row of its causes, which keeps links short; a column of more than :data:`ROWS` wraps. A stock's flow sits just left
of it with its pipe drawn into the stock; every use of one variable in
another's equation is a connector.

Examples
--------
>>> from types import SimpleNamespace as V
>>> variables = [
...     V(tag="stock", name="x", eqn="0.5", inflow="x_adjustment"),
...     V(tag="flow", name="x_adjustment", eqn="(x_target - x) / tau", inflow=None),
...     V(tag="aux", name="x_target", eqn="2 * x", inflow=None),
...     V(tag="aux", name="tau", eqn="3", inflow=None),
... ]
>>> view = views_element(variables)[0]
>>> [(el.tag, el.get("name")) for el in view if el.tag != "connector"]
[('stock', 'x'), ('flow', 'x_adjustment'), ('aux', 'x_target'), ('aux', 'tau')]
>>> sorted((c.find("from").text, c.find("to").text) for c in view.iter("connector"))
[('tau', 'x_adjustment'), ('x', 'x_adjustment'), ('x', 'x_target'), ('x_target', 'x_adjustment')]
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET  # building only; gmsim parses XML with defusedxml
from collections.abc import Mapping, Sequence

import networkx as nx

from gmsim.errors import GmsimError
from gmsim.xmile.expr import parse
from gmsim.xmile.names import canonical

__all__ = ["view_positions", "views_element"]

COLUMN = 180.0
"""Horizontal distance of two columns, in the view's pixels."""

ROW = 70.0
"""Vertical distance of two variables of a column."""

MARGIN = 100.0

ROWS = 12
"""Most variables in one column before it wraps into the next."""


def _uses(eqn: str) -> set[str]:
    try:
        tree = parse(eqn)
    except GmsimError:
        return set()
    out: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        name = getattr(node, "name", None)
        if type(node).__name__ == "Var" and name:
            out.add(name)
        for field in ("args", "operand", "left", "right", "cond", "then", "otherwise"):
            child = getattr(node, field, None)
            if isinstance(child, tuple):
                stack.extend(child)
            elif child is not None:
                stack.append(child)
    return out


def _graph(variables: Sequence) -> nx.DiGraph:
    key = {canonical(v.name): v.name for v in variables}
    g = nx.DiGraph()
    g.add_nodes_from(v.name for v in variables)
    for v in variables:
        if v.tag == "stock":
            continue  # a stock's equation is its initial value: no connector
        for used in _uses(v.eqn):
            cause = key.get(canonical(used))
            if cause is not None and cause != v.name:
                g.add_edge(cause, v.name)
    return g


def view_positions(variables: Sequence) -> dict[str, tuple[float, float]]:
    """Where each variable sits: ``name -> (x, y)`` in the view's pixels (see the module docstring)."""
    g = _graph(variables)
    flows = {v.inflow: v.name for v in variables if v.tag == "stock" and v.inflow}
    placed = [v.name for v in variables if v.name not in flows]
    depth: dict[str, int] = {}
    order = list(nx.topological_sort(g)) if nx.is_directed_acyclic_graph(g) else list(g.nodes)
    for name in order:
        causes = [c for c in g.predecessors(name) if c in depth]
        depth[name] = 1 + max((depth[c] for c in causes), default=-1)
    # a stock stands one column after its flow
    for flow, stock in flows.items():
        depth[stock] = max(depth.get(stock, 0), depth.get(flow, 0) + 1)
    columns: dict[int, list[str]] = {}
    for name in placed:
        columns.setdefault(depth.get(name, 0), []).append(name)
    pos: dict[str, tuple[float, float]] = {}
    x = MARGIN
    for k in sorted(columns):

        def row(name: str) -> float:
            near = [pos[c][1] for c in g.predecessors(name) if c in pos]
            return sum(near) / len(near) if near else math.inf

        members = sorted(columns[k], key=lambda n: (row(n), placed.index(n)))
        for i, name in enumerate(members):  # a long column wraps into several
            pos[name] = (x + COLUMN * (i // ROWS), MARGIN + ROW * (i % ROWS))
        x += COLUMN * (1 + (len(members) - 1) // ROWS)
    for flow, stock in flows.items():
        x, y = pos[stock]
        pos[flow] = (x - COLUMN / 2, y)
    return pos


def views_element(
    variables: Sequence, positions: Mapping[str, tuple[float, float]] | None = None
) -> ET.Element:
    """The ``<views>`` element of ``variables`` (each with ``tag``, ``name``, ``eqn``, ``inflow``).

    ``positions`` places variables (``name -> (x, y)``); the rest follow :func:`view_positions`.
    """
    pos = view_positions(variables)
    pos.update(positions or {})
    views = ET.Element("views")
    view = ET.SubElement(
        views, "view", {"type": "stock_flow", "page_width": "800", "page_height": "600"}
    )
    stock_of = {v.inflow: v.name for v in variables if v.tag == "stock" and v.inflow}
    for v in variables:
        x, y = pos[v.name]
        el = ET.SubElement(view, v.tag, {"name": v.name, "x": _px(x), "y": _px(y)})
        if v.tag == "flow" and v.name in stock_of:
            sx, sy = pos[stock_of[v.name]]
            pts = ET.SubElement(el, "pts")
            ET.SubElement(pts, "pt", {"x": _px(x - COLUMN / 3), "y": _px(y)})
            ET.SubElement(pts, "pt", {"x": _px(sx - 22.5), "y": _px(sy)})
    g = _graph(variables)
    for uid, (cause, effect) in enumerate(g.edges, start=1):
        (x0, y0), (x1, y1) = pos[cause], pos[effect]
        angle = math.degrees(math.atan2(y0 - y1, x1 - x0))  # XMILE: counter-clockwise, y up
        connector = ET.SubElement(view, "connector", {"uid": str(uid), "angle": f"{angle:.4g}"})
        ET.SubElement(connector, "from").text = cause
        ET.SubElement(connector, "to").text = effect
    return views


def _px(value: float) -> str:
    return f"{value:g}"
