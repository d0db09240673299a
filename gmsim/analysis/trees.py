"""Causes trees and uses trees: what drives a factor, and what it drives, to a depth.

As Vensim's *Causes Tree* and *Uses Tree* do, :func:`causes_tree` follows the
causal graph backwards from a factor (its causes, their causes, ...) and
:func:`uses_tree` forwards (the factors it acts on, and theirs). Each branch
stops at ``depth`` links, or where it reaches a factor already on the way
there (a feedback loop closes: the factor is shown, marked, and not expanded
again). The tree is built with an explicit stack, so a deep or large graph
cannot exhaust Python's recursion, and ``max_nodes`` bounds its size.

Examples
--------
>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_edge("training", "skills", weight=0.6, sign=1)
>>> g.add_edge("skills", "service", weight=0.5, sign=1)
>>> g.add_edge("service", "skills", weight=0.2, sign=1)
>>> print(format_tree(causes_tree(g, "service", depth=3)))
Causes of service, to depth 3
service
└─ + skills  (weight 0.5)
   ├─ + service  (weight 0.2)  [loop]
   └─ + training  (weight 0.6)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx

from gmsim.analysis.loops import causal_graph
from gmsim.errors import GmsimError, did_you_mean

__all__ = ["TreeNode", "causes_tree", "format_tree", "tree_rows", "uses_tree"]

MAX_NODES = 500
"""At most this many factors in one tree (beyond it, branches are cut and marked)."""


@dataclass(frozen=True)
class TreeNode:
    """One factor of a causes or uses tree.

    Attributes
    ----------
    factor, label : str
        The factor's id and readable label.
    sign : int
        Polarity of the link joining it to its parent (0 for the root).
    weight : float or None
        Weight of that link (``None`` for the root or where the graph has none).
    delay : float
        Delay of that link (0: none).
    source, quote : str
        The paper section and words behind that link, where the model gives them.
    loop : bool
        The factor is already on the path from the root: a feedback loop closes
        here, and the branch is not expanded again.
    cut : bool
        The branch goes on beyond ``depth`` (or ``max_nodes``) but is not shown.
    children : tuple of TreeNode
    direction : str
        ``"causes"`` or ``"uses"``: which way the tree follows the links.
    depth : int
        Links from the root to this node.
    limit : int
        The depth the tree was asked for (set on the root).
    """

    factor: str
    label: str
    sign: int = 0
    weight: float | None = None
    delay: float = 0.0
    source: str = ""
    quote: str = ""
    loop: bool = False
    cut: bool = False
    children: tuple[TreeNode, ...] = ()
    direction: str = "causes"
    depth: int = 0
    limit: int = 0

    def size(self) -> int:
        """Number of nodes in the tree, this one included."""
        count, stack = 0, [self]
        while stack:
            node = stack.pop()
            count += 1
            stack.extend(node.children)
        return count


def causes_tree(model: Any, factor: str, depth: int = 3, *, max_nodes: int = MAX_NODES) -> TreeNode:
    """The causes of ``factor``, their causes, and so on, ``depth`` links back.

    Parameters
    ----------
    model : Model, System, networkx.DiGraph, path or None
        Whose causal graph (``None``: the default model).
    factor : str
        The factor (variable) at the root.
    depth : int
        Links to follow from the root (>= 1).
    max_nodes : int
        Bound on the tree's size.

    Raises
    ------
    GmsimError
        For an unknown factor (with a suggestion) or a depth below 1.

    Examples
    --------
    >>> import gmsim
    >>> tree = causes_tree(gmsim.load_model(), "funding", depth=1)
    >>> tree.factor, "leadership_attention" in [c.factor for c in tree.children]
    ('funding', True)
    """
    return _tree(causal_graph(model), factor, depth, max_nodes, "causes")


def uses_tree(model: Any, factor: str, depth: int = 3, *, max_nodes: int = MAX_NODES) -> TreeNode:
    """The factors ``factor`` acts on, the factors those act on, and so on, ``depth`` links on.

    Parameters are those of :func:`causes_tree`.

    Examples
    --------
    >>> import gmsim
    >>> tree = uses_tree(gmsim.load_model(), "leadership_attention", depth=1)
    >>> "funding" in [c.factor for c in tree.children]
    True
    """
    return _tree(causal_graph(model), factor, depth, max_nodes, "uses")


def _tree(
    graph: nx.DiGraph, root: str, depth: int, max_nodes: int, direction: Literal["causes", "uses"]
) -> TreeNode:
    if root not in graph:
        raise GmsimError(
            f"no factor '{root}' in the model{did_you_mean(root, [str(n) for n in graph.nodes])}; "
            "`gmsim show` lists the factors"
        )
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise GmsimError(f"`depth` must be a whole number >= 1, got {depth!r}")
    label = _label(graph, root)
    # nodes as mutable records: [fields, children]; built depth-first with an explicit stack
    records: list[dict] = [{"factor": root, "label": label, "depth": 0, "limit": depth, "children": []}]
    stack = [(0, (root,))]
    while stack:
        index, path = stack.pop()
        record = records[index]
        node = path[-1]
        if record.get("loop"):
            continue
        neighbours = list(graph.predecessors(node) if direction == "causes" else graph.successors(node))
        if not neighbours:
            continue
        if record["depth"] >= depth or len(records) >= max_nodes:
            record["cut"] = True
            continue
        added = []
        for other in sorted(neighbours, key=str):
            if len(records) >= max_nodes:
                record["cut"] = True
                break
            edge = graph.edges[other, node] if direction == "causes" else graph.edges[node, other]
            weight = edge.get("weight")
            records.append(
                {
                    "factor": other,
                    "label": _label(graph, other),
                    "sign": int(edge.get("sign", 0) or 0),
                    "weight": None if weight is None else float(weight),
                    "delay": float(edge.get("delay") or 0.0),
                    "source": str(edge.get("source") or ""),
                    "quote": str(edge.get("quote") or ""),
                    "loop": other in path,
                    "depth": record["depth"] + 1,
                    "children": [],
                }
            )
            record["children"].append(len(records) - 1)
            added.append((len(records) - 1, (*path, other)))
        stack.extend(reversed(added))
    # freeze bottom-up: children always come after their parent in `records`
    frozen: list[TreeNode | None] = [None] * len(records)
    for i in range(len(records) - 1, -1, -1):
        fields = dict(records[i])
        children = tuple(frozen[c] for c in fields.pop("children"))
        frozen[i] = TreeNode(**fields, children=children, direction=direction)
    return frozen[0]


def _label(graph: nx.DiGraph, node: Any) -> str:
    return str(graph.nodes[node].get("label") or node)


def tree_rows(tree: TreeNode) -> list[tuple[str, TreeNode]]:
    """The tree as lines: ``(prefix, node)`` in reading order, the prefix drawing the branches.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph([("a", "b"), ("c", "b")])
    >>> [prefix + node.factor for prefix, node in tree_rows(causes_tree(g, "b", depth=1))]
    ['b', '├─ a', '└─ c']
    """
    rows: list[tuple[str, TreeNode]] = [("", tree)]
    stack = [
        (child, "", k == len(tree.children) - 1) for k, child in reversed(list(enumerate(tree.children)))
    ]
    while stack:
        node, indent, last = stack.pop()
        rows.append((indent + ("└─ " if last else "├─ "), node))
        inner = indent + ("   " if last else "│  ")
        n = len(node.children)
        stack.extend((child, inner, k == n - 1) for k, child in reversed(list(enumerate(node.children))))
    return rows


def _describe(node: TreeNode) -> str:
    sign = {1: "+ ", -1: "- "}.get(node.sign, "")
    facts = []
    if node.weight is not None:
        facts.append(f"weight {node.weight:.3g}")
    if node.delay:
        facts.append(f"delay {node.delay:g}")
    if node.source:
        facts.append(node.source)
    text = sign + node.factor + (f"  ({', '.join(facts)})" if facts else "")
    if node.loop:
        text += "  [loop]"
    if node.cut:
        text += "  [...]"
    return text


def format_tree(tree: TreeNode) -> str:
    """The tree as text, one factor a line, as ``gmsim show --causes`` prints it.

    ``[loop]`` marks a factor already on the way from the root (a feedback loop
    closes there); ``[...]`` a branch that goes on beyond the depth shown.
    """
    title = "Causes" if tree.direction == "causes" else "Uses"
    head = f"{title} of {tree.factor}" + (f" ({tree.label})" if tree.label != tree.factor else "")
    lines = [f"{head}, to depth {tree.limit}"]
    for prefix, node in tree_rows(tree):
        lines.append(prefix + (node.factor if node is tree else _describe(node)))
    return "\n".join(lines)
