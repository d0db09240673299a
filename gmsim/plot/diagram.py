"""The causal loop diagram of a causal graph: a figure, and Graphviz DOT and GraphML text.

Factors are placed in six horizontal bands by the paper's groups: external
and internal enablers on top, processes and outcomes in the middle, internal
and external barriers below. Within a band, factors are ordered to shorten
links (a few sweeps of the barycentre heuristic). Links are coloured by sign
(blue +, red −) with a sign at the head, their width grows with |weight|, a
delayed link carries the double bar ``||`` of causal loop diagrams, and the
dotted grey links show which outcomes make up a composite such as
effectiveness. Exogenous factors have a dashed border. A chosen loop is drawn
on top with the rest faded, its id in a circle at its centre.

:func:`dot_text` writes the same diagram for Graphviz (clusters per group),
:func:`graphml_text` GraphML with every attribute and the layout's ``x``/``y``
for Gephi, yEd or Kumu; :func:`write_diagram` writes any of them to a file.

A stock-and-flow graph (an imported XMILE model: nodes of kind ``stock``,
``flow`` and ``aux``, none in the paper's groups) has no bands: its variables
are placed on a grid about as wide as it is tall (:func:`flow_layout`),
causes to the left of what they cause, stocks drawn square, flows in a
colour of their own and constants grey and small.

Everything here takes a :class:`networkx.DiGraph` and, to highlight, a loop
object (a :class:`~gmsim.analysis.loops.Loop`, or anything with its ``id``,
``variables``, ``links``, ``length``, ``polarity`` and ``name``). To draw a
model, a model file or a loop by its id, use :func:`gmsim.plot_diagram` and
the other functions of :mod:`gmsim.analysis.diagram`.

Examples
--------
>>> import gmsim
>>> graph = gmsim.load_model().graph()
>>> ax = draw_diagram(graph)
>>> ax.get_title(loc="left").startswith("Government microblog effectiveness (Zheng 2012)")
True
>>> "digraph" in dot_text(graph)
True
"""

from __future__ import annotations

import itertools
import math
import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from gmsim.errors import OutputError, did_you_mean
from gmsim.factor.model import GROUPS
from gmsim.files.output import write_file
from gmsim.plot.results import GROUP_TITLES

if TYPE_CHECKING:
    from gmsim.analysis.loops import Loop

__all__ = [
    "BANDS",
    "FORMATS",
    "diagram_format",
    "diagram_layout",
    "dot_text",
    "draw_diagram",
    "flow_layout",
    "graphml_text",
    "write_diagram",
]

BANDS = (
    "external_enabler",
    "internal_enabler",
    "process",
    "outcome",
    "internal_barrier",
    "external_barrier",
)
"""Bands from top to bottom: enablers above, processes and outcomes between, barriers below."""

FORMATS = (".png", ".svg", ".pdf", ".dot", ".gv", ".graphml")
"""File types :func:`write_diagram` writes."""

POSITIVE, NEGATIVE, NEUTRAL = "#1f5fa8", "#c0392b", "#888888"
GROUP_COLORS = {
    "external_enabler": "#d9ead3",
    "internal_enabler": "#b6d7a8",
    "process": "#fff2cc",
    "outcome": "#cfe2f3",
    "internal_barrier": "#f4cccc",
    "external_barrier": "#fce5cd",
}
BAND_HEIGHT = 2.4
NODE_SPACING = 2.5
ROW_SPACING = 1.5
"""Vertical distance of two rows of a stock-and-flow grid (NODE_SPACING is the horizontal)."""
ASPECT = 1.6
"""Width / height a stock-and-flow grid aims for."""
FLOW_COLORS = {"stock": "#cfe2f3", "flow": "#fff2cc", "aux": "#f3f3f3", "constant": "#ffffff"}


def _edge_color(sign: int) -> str:
    return POSITIVE if sign > 0 else NEGATIVE if sign < 0 else NEUTRAL


def _bands(graph: nx.DiGraph) -> list[tuple[str, list[str]]]:
    """Non-empty bands in display order; factors of no known group go to a last band."""
    out = [(g, [n for n, grp in graph.nodes(data="group") if grp == g]) for g in BANDS]
    other = [n for n, grp in graph.nodes(data="group") if grp not in GROUPS]
    out.append(("other", other))
    return [(g, nodes) for g, nodes in out if nodes]


def is_stock_flow(graph: nx.DiGraph) -> bool:
    """A graph of stocks, flows and auxiliaries (no node in the paper's groups)."""
    return graph.number_of_nodes() > 0 and not any(g in GROUPS for _, g in graph.nodes(data="group"))


def _is_constant(graph: nx.DiGraph, node: str) -> bool:
    return graph.nodes[node].get("kind") == "aux" and graph.in_degree(node) == 0


def flow_layout(graph: nx.DiGraph, *, sweeps: int = 4) -> dict[str, tuple[float, float]]:
    """Positions of a stock-and-flow graph's variables on a grid about :data:`ASPECT` times as
    wide as tall.

    Each variable gets a depth: the longest chain of causes leading to it once
    the flows' links into their stocks are set aside (so stocks and constants
    start the chains). Variables in order of depth fill the grid column by
    column, and within a column are sorted by the rows of their causes.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph([("rate", "inflow"), ("inflow", "stock"), ("stock", "inflow")])
    >>> nx.set_node_attributes(g, {"rate": "aux", "inflow": "flow", "stock": "stock"}, "kind")
    >>> pos = flow_layout(g)
    >>> pos["inflow"][0] > pos["stock"][0]
    True
    """
    nodes = list(graph.nodes)
    if not nodes:
        return {}
    h = nx.DiGraph()
    h.add_nodes_from(nodes)
    h.add_edges_from(
        (a, b)
        for a, b, kind in graph.edges(data="kind")
        if a != b and kind != "flow" and graph.nodes[b].get("kind") != "stock"
    )
    condensed = nx.condensation(h)
    member = condensed.graph["mapping"]
    level: dict[int, int] = {}
    for c in nx.topological_sort(condensed):
        level[c] = 1 + max((level[p] for p in condensed.predecessors(c)), default=-1)
    index = {n: i for i, n in enumerate(nodes)}
    ordered = sorted(nodes, key=lambda n: (level[member[n]], index[n]))
    rows = max(1, math.ceil(math.sqrt(len(nodes) * NODE_SPACING / (ASPECT * ROW_SPACING))))
    columns = [ordered[k : k + rows] for k in range(0, len(ordered), rows)]
    pos: dict[str, tuple[float, float]] = {}

    def place(col: int, members: list[str]) -> None:
        for r, n in enumerate(members):
            pos[n] = ((col + 0.5) * NODE_SPACING, -r * ROW_SPACING)

    for c, members in enumerate(columns):
        place(c, members)
    undirected = graph.to_undirected(as_view=True)
    for _ in range(sweeps):
        for c, members in enumerate(columns):
            key = {
                n: (np.mean([pos[m][1] for m in undirected.neighbors(n) if m != n] or [pos[n][1]]), i)
                for i, n in enumerate(members)
            }
            members.sort(key=lambda n: key[n], reverse=True)
            place(c, members)
    return pos


def diagram_layout(graph: nx.DiGraph, *, sweeps: int = 8) -> dict[str, tuple[float, float]]:
    """Positions of the factors: y by band, x ordered within a band to keep links short.

    A stock-and-flow graph is laid out by :func:`flow_layout` instead.

    Examples
    --------
    >>> import gmsim
    >>> pos = diagram_layout(gmsim.load_model().graph())
    >>> pos["living_standards"][1] > pos["effectiveness"][1] > pos["hacker_threat"][1]
    True
    """
    if is_stock_flow(graph):
        return flow_layout(graph)
    bands = _bands(graph)
    width = max(len(nodes) for _, nodes in bands) * NODE_SPACING
    undirected = graph.to_undirected(as_view=True)
    pos: dict[str, tuple[float, float]] = {}

    def place(nodes: list[str], y: float) -> None:
        step = width / len(nodes)
        for i, n in enumerate(nodes):
            pos[n] = ((i + 0.5) * step, y)

    orders = [list(nodes) for _, nodes in bands]
    for k, nodes in enumerate(orders):
        place(nodes, -k * BAND_HEIGHT)
    for _ in range(sweeps):
        for k, nodes in enumerate(orders):
            key = {}
            for i, n in enumerate(nodes):
                xs = [pos[m][0] for m in undirected.neighbors(n) if m != n]
                key[n] = (np.mean(xs) if xs else pos[n][0], i)
            nodes.sort(key=key.__getitem__)
            place(nodes, -k * BAND_HEIGHT)
    return pos


def _bezier_point(p0, p1, rad: float, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Point and unit tangent at ``t`` of matplotlib's ``arc3`` curve from p0 to p1."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    c = (p0 + p1) / 2 + rad * np.array([d[1], -d[0]])
    point = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t**2 * p1
    tangent = 2 * (1 - t) * (c - p0) + 2 * t * (p1 - c)
    return point, tangent / (np.linalg.norm(tangent) or 1.0)


def draw_diagram(
    graph: nx.DiGraph, *, loop: Loop | None = None, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """Draw the causal loop diagram of a causal graph, optionally highlighting one loop.

    Parameters
    ----------
    graph : networkx.DiGraph
        Nodes with ``label``, ``group`` and ``kind``; edges with ``sign``,
        ``weight``, ``delay`` and ``kind`` (as :meth:`gmsim.Model.graph` makes them).
    loop : Loop, optional
        Its links are drawn on top and the rest faded.
    ax : Axes, optional
        Where to draw; a new figure sized to the graph otherwise.
    title : str, optional
        Defaults to the graph's name, or the loop's id and name.

    Returns
    -------
    Axes
    """
    chosen = loop
    pos = diagram_layout(graph)
    flows = is_stock_flow(graph)
    bands = [] if flows else _bands(graph)
    if flows:
        xs, ys = zip(*pos.values(), strict=True)
        width, height = max(xs) + 0.5 * NODE_SPACING, -min(ys) + ROW_SPACING
        if ax is None:
            _, ax = plt.subplots(figsize=(max(8.0, 0.52 * width + 1.0), max(4.0, 0.52 * height + 1.6)))
        ax.set_xlim(0.0, width)
        ax.set_ylim(-height + 0.5 * ROW_SPACING, 0.5 * ROW_SPACING)
    else:
        width = max(len(nodes) for _, nodes in bands) * NODE_SPACING
        if ax is None:
            _, ax = plt.subplots(
                figsize=(max(8.0, 0.52 * width + 2.5), 0.52 * len(bands) * BAND_HEIGHT + 1.6)
            )
        ax.set_xlim(-2.2, width + 0.2)
        ax.set_ylim(-(len(bands) - 0.5) * BAND_HEIGHT, 0.5 * BAND_HEIGHT)
    ax.set_aspect("equal")
    ax.axis("off")
    on_loop_nodes = set(chosen.variables) if chosen else set()
    on_loop_links = set(chosen.links) if chosen else set()
    faded = 0.12 if chosen else 1.0

    for k, (group, _) in enumerate(bands):
        y = -k * BAND_HEIGHT
        ax.add_patch(
            FancyBboxPatch(
                (-2.1, y - 0.45 * BAND_HEIGHT), width + 2.2, 0.9 * BAND_HEIGHT,
                boxstyle="round,pad=0,rounding_size=0.3", facecolor=GROUP_COLORS.get(group, "#eeeeee"),
                alpha=0.35, edgecolor="none", zorder=0,
            )
        )  # fmt: skip
        title_text = GROUP_TITLES.get(group, "Other variables")
        ax.text(-1.95, y, "\n".join(textwrap.wrap(title_text, 13)), fontsize=7, va="center", ha="left",
                color="#444444", fontweight="bold", zorder=1)  # fmt: skip

    # nodes: text first, then a box sized to it
    ax.figure.canvas.draw_idle()
    ax.apply_aspect()
    renderer = ax.figure.canvas.get_renderer()
    inverse = ax.transData.inverted()
    boxes: dict[str, FancyBboxPatch] = {}
    for node, data in graph.nodes(data=True):
        x, y = pos[node]
        label = "\n".join(textwrap.wrap(data.get("label") or node.replace("_", " "), 15))
        alpha = 1.0 if (not chosen or node in on_loop_nodes) else 0.35
        text = ax.text(x, y, label, ha="center", va="center", fontsize=6.5, zorder=4, alpha=alpha)
        extent = text.get_window_extent(renderer).transformed(inverse)
        w, h = extent.width + 0.25, extent.height + 0.18
        kind = data.get("kind")
        if flows:
            role = "constant" if _is_constant(graph, node) else kind
            box = FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h,
                boxstyle="square,pad=0.04" if kind == "stock" else "round,pad=0,rounding_size=0.12",
                facecolor=FLOW_COLORS.get(role, "#eeeeee"),
                edgecolor="#222222" if node in on_loop_nodes or kind == "stock" else "#888888",
                linewidth=2.2 if node in on_loop_nodes else (1.4 if kind == "stock" else 0.6),
                linestyle=":" if role == "constant" else "-", alpha=alpha, zorder=3,
            )  # fmt: skip
            if role == "constant":
                text.set_color("#666666")
            ax.add_patch(box)
            boxes[node] = box
            continue
        box = FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.12",
            facecolor=GROUP_COLORS.get(data.get("group"), "#eeeeee"),
            edgecolor="#222222" if node in on_loop_nodes else "#555555",
            linewidth=2.2 if node in on_loop_nodes else (1.6 if kind == "composite" else 0.8),
            linestyle="--" if kind == "exogenous" else "-", alpha=alpha, zorder=3,
        )  # fmt: skip
        ax.add_patch(box)
        boxes[node] = box

    for cause, effect, data in graph.edges(data=True):
        if cause == effect:
            continue
        on_loop = (cause, effect) in on_loop_links
        composite = data.get("kind") == "composite"
        sign = int(data.get("sign", 1))
        color = _edge_color(sign) if (on_loop or not composite) else "#999999"
        weight = abs(float(data.get("weight", 0.5)))
        lw = 0.8 if composite else 0.5 + 2.5 * weight
        if flows:  # no weights: pipes into stocks thick, information links thin
            weight, lw = 0.0, (2.0 if data.get("kind") == "flow" else 0.6)
            rad = 0.15 if graph.has_edge(effect, cause) else 0.08
        else:
            rad = _curvature(
                pos, cause, effect, graph.has_edge(effect, cause), top=-(len(bands) - 1) / 2
            )
        alpha = 1.0 if on_loop else (0.75 * faded if not composite else 0.6 * faded)
        arrow = FancyArrowPatch(
            pos[cause], pos[effect], connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
            mutation_scale=9 + 2 * weight, linewidth=lw + (1.2 if on_loop else 0), color=color,
            linestyle=("--" if on_loop else ":") if composite else "-", alpha=alpha, patchA=boxes[cause], patchB=boxes[effect],
            shrinkA=1, shrinkB=2, zorder=5 if on_loop else 2,
        )  # fmt: skip
        ax.add_patch(arrow)
        if float(data.get("delay", 0) or 0) > 0:
            mid, tangent = _bezier_point(pos[cause], pos[effect], rad, 0.5)
            normal = np.array([-tangent[1], tangent[0]]) * 0.22
            for offset in (-0.07, 0.07):
                c = mid + tangent * offset
                ax.plot(*zip(c - normal, c + normal, strict=True), color=color, linewidth=1.4,
                        alpha=alpha, zorder=5 if on_loop else 2, solid_capstyle="butt")  # fmt: skip
        if not composite and not (flows and sign == 0):
            at, tangent = _bezier_point(pos[cause], pos[effect], rad, 0.78)
            at = at + np.array([-tangent[1], tangent[0]]) * 0.18
            ax.text(*at, "+" if sign > 0 else "−" if sign < 0 else "0", color=color, fontsize=7,
                    fontweight="bold", ha="center", va="center", alpha=alpha, zorder=6)  # fmt: skip

    if chosen is not None:
        centre = np.mean([pos[n] for n in chosen.variables], axis=0)
        if chosen.length == 1:  # an adjustment loop: beside its factor, not on it
            centre = centre + np.array([0.0, 0.42 * BAND_HEIGHT])
        polarity_color = {"R": POSITIVE, "B": NEGATIVE}.get(chosen.polarity, NEUTRAL)
        ax.text(*centre, f"{chosen.id}\n↻", ha="center", va="center", fontsize=9, fontweight="bold",
                color=polarity_color, zorder=7,
                bbox={"boxstyle": "circle,pad=0.3", "facecolor": "white", "edgecolor": polarity_color})  # fmt: skip
        kind = {"R": "reinforcing", "B": "balancing"}.get(chosen.polarity, "undetermined")
        default = f"{chosen.id} ({kind}): " + "\n".join(textwrap.wrap(chosen.name, 150))
    else:
        default = graph.graph.get("name") or "Causal loop diagram"
    ax.set_title(title or default, fontsize=9, loc="left")
    ax.legend(
        handles=_flow_legend() if flows else _legend(), loc="upper left", bbox_to_anchor=(0.0, 0.0),
        ncol=6, fontsize=7, frameon=False,
    )  # fmt: skip
    return ax


def _curvature(pos, cause: str, effect: str, reciprocal: bool, top: float) -> float:
    """``arc3`` curvature of a link: a slight bend, or for a link within a band a bow of fixed
    height out of the band's row of boxes (upward in the upper bands, downward in the lower)."""
    dx = pos[effect][0] - pos[cause][0]
    if abs(pos[cause][1] - pos[effect][1]) > 1e-9 or dx == 0:
        return 0.12
    bow = 0.85 if pos[cause][1] / BAND_HEIGHT >= top else -0.85
    if reciprocal and dx < 0:
        bow *= 1.6  # keep a pair of opposite links apart
    return float(np.clip(-2 * bow / dx, -0.6, 0.6))


def _flow_legend() -> list:
    return [
        Patch(facecolor=FLOW_COLORS["stock"], edgecolor="#222222", label="stock"),
        Patch(facecolor=FLOW_COLORS["flow"], edgecolor="#888888", label="flow"),
        Patch(facecolor=FLOW_COLORS["aux"], edgecolor="#888888", label="auxiliary"),
        Patch(facecolor="white", edgecolor="#888888", linestyle=":", label="constant"),
        Line2D([], [], color=NEUTRAL, linewidth=2.0, label="flow into / out of a stock"),
        Line2D([], [], color=POSITIVE, linewidth=1, label="+ / − link (sign known)"),
    ]


def _legend() -> list:
    return [
        Line2D([], [], color=POSITIVE, linewidth=2, label="+ link (same direction)"),
        Line2D([], [], color=NEGATIVE, linewidth=2, label="− link (opposite direction)"),
        Line2D([], [], color="#555555", marker="$||$", markersize=9, linewidth=1, label="delayed link"),
        Line2D([], [], color="#999999", linestyle=":", linewidth=1.2, label="part of a composite"),
        Patch(
            facecolor="white", edgecolor="#555555", linestyle="--", label="exogenous (set from outside)"
        ),
        Line2D([], [], color="#555555", linewidth=2.5, label="width: |weight|"),
    ]


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------
def _quote(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_text(graph: nx.DiGraph, *, loop: Loop | None = None) -> str:
    """The diagram in Graphviz DOT: one cluster per group, links coloured by sign.

    Link labels carry the sign and ``||`` for a delay; a chosen loop is drawn
    bold and the rest faded. Render with ``dot -Tsvg model.dot -o model.svg``.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph(name="two")
    >>> g.add_edge("a", "b", sign=1, weight=0.5, delay=2.0)
    >>> g.add_edge("b", "a", sign=-1, weight=0.4, delay=0.0)
    >>> lines = dot_text(g).splitlines()
    >>> print(lines[-3]); print(lines[-2])
      "a" -> "b" [color="#1f5fa8", penwidth=1.8, label="+ || 2"];
      "b" -> "a" [color="#c0392b", penwidth=1.6, label="−"];
    """
    chosen = loop
    on_loop = set(chosen.links) if chosen else set()
    lines = [
        f"digraph {_quote(graph.graph.get('name') or 'causal loop diagram')} {{",
        "  graph [rankdir=TB, newrank=true, nodesep=0.25, ranksep=0.9, fontname=Helvetica, fontsize=12];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10];',
        "  edge [fontname=Helvetica, fontsize=10, arrowsize=0.7];",
    ]
    bands = _bands(graph)
    for group, nodes in bands:
        lines.append(f"  subgraph {_quote('cluster_' + group)} {{")
        lines.append(f"    label={_quote(GROUP_TITLES.get(group, 'Other variables'))}; style=filled; "
                     f'color="{GROUP_COLORS.get(group, "#eeeeee")}66"; rank=same;')  # fmt: skip
        for n in nodes:
            data = graph.nodes[n]
            attrs = [f"label={_quote(data.get('label') or n)}",
                     f'fillcolor="{GROUP_COLORS.get(data.get("group"), "#eeeeee")}"']  # fmt: skip
            if data.get("kind") == "exogenous":
                attrs.append('style="rounded,filled,dashed"')
            if data.get("kind") == "composite":
                attrs.append("penwidth=2")
            if chosen and n in chosen.variables:
                attrs.append("penwidth=3")
            lines.append(f"    {_quote(n)} [{', '.join(attrs)}];")
        lines.append("  }")
    for (_, upper), (_, lower) in itertools.pairwise(bands):
        lines.append(f"  {_quote(upper[0])} -> {_quote(lower[0])} [style=invis];")
    for cause, effect, data in graph.edges(data=True):
        sign = int(data.get("sign", 1))
        alpha = "" if not chosen or (cause, effect) in on_loop else "33"
        if data.get("kind") == "composite":
            attrs = [f'color="#999999{alpha}"', "style=dotted", "arrowhead=empty"]
        else:
            width = 0.6 + 2.4 * abs(float(data.get("weight", 0.5)))
            if (cause, effect) in on_loop:
                width += 1.5
            label = "+" if sign > 0 else "−" if sign < 0 else "0"
            if float(data.get("delay", 0) or 0) > 0:
                label += f" || {float(data['delay']):g}"
            attrs = [
                f'color="{_edge_color(sign)}{alpha}"',
                f"penwidth={width:.1f}",
                f"label={_quote(label)}",
            ]
        lines.append(f"  {_quote(cause)} -> {_quote(effect)} [{', '.join(attrs)}];")
    if chosen:
        lines.append(f"  label={_quote(f'{chosen.id}: {chosen.name}')}; labelloc=t;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graphml_text(graph: nx.DiGraph, *, loop: Loop | None = None) -> str:
    """The causal graph as GraphML text.

    Nodes keep ``label``, ``group``, ``kind`` and get the diagram's ``x``,
    ``y``; links keep ``weight``, ``sign``, ``delay``, ``kind``, ``source`` and
    get ``polarity`` (``+``/``-``). With a loop, ``in_loop`` marks its nodes
    and links.
    """
    chosen = loop
    pos = diagram_layout(graph)
    out = nx.DiGraph(name=str(graph.graph.get("name", "")))
    for n, data in graph.nodes(data=True):
        attrs = {k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}
        attrs.update(x=float(pos[n][0]), y=float(pos[n][1]))
        if chosen is not None:
            attrs["in_loop"] = n in chosen.variables
        out.add_node(n, **attrs)
    for a, b, data in graph.edges(data=True):
        attrs = {k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}
        sign = int(data.get("sign", 1))
        attrs["polarity"] = "+" if sign > 0 else "-" if sign < 0 else "0"
        if chosen is not None:
            attrs["in_loop"] = (a, b) in set(chosen.links)
        out.add_edge(a, b, **attrs)
    return "\n".join(nx.generate_graphml(out)) + "\n"


def diagram_format(path: str | os.PathLike) -> str:
    """The file type ``path`` asks for (one of :data:`FORMATS`); an :class:`OutputError` otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name such as {path / 'diagram.png'}")
    if suffix not in FORMATS:
        raise OutputError(
            f"{path}: cannot write '{suffix or 'no extension'}' files{did_you_mean(suffix, FORMATS)}; "
            f"use one of {', '.join(FORMATS)}"
        )
    return suffix


def write_diagram(graph: nx.DiGraph, path: str | os.PathLike, *, loop: Loop | None = None) -> Path:
    """Write the diagram to ``path``, whole or not at all; its extension picks the format."""
    suffix = diagram_format(path)
    path = Path(path)
    if suffix in (".dot", ".gv"):
        write_file(path, dot_text(graph, loop=loop), example="diagram.dot")
    elif suffix == ".graphml":
        write_file(path, graphml_text(graph, loop=loop), example="diagram.graphml")
    else:
        ax = draw_diagram(graph, loop=loop)
        try:
            write_file(
                path,
                lambda tmp: ax.figure.savefig(tmp, dpi=150, bbox_inches="tight", format=suffix[1:]),
                example="diagram.png",
            )
        finally:
            plt.close(ax.figure)
    return path
