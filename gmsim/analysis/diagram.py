"""The causal loop diagram of a model, with a loop highlighted by its id.

These functions take what the rest of gmsim takes (a Model, a compiled
System, a model file, a networkx DiGraph, or ``None`` for the paper's model),
find the loop named by ``loop`` with :func:`~gmsim.analysis.loops.find_loops`
(under the same ``max_length`` / ``max_loops``, adjustment loops ``A<n>``
included), and hand both to :mod:`gmsim.plot.diagram`, which describes the
drawing.

Examples
--------
>>> import gmsim
>>> ax = gmsim.plot_diagram(loop="R1")
>>> ax.get_title(loc="left").startswith("R1")
True
>>> "digraph" in to_dot(gmsim.load_model())
True
"""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx
from matplotlib.axes import Axes

from gmsim.analysis.loops import DEFAULT_MAX_LOOPS, Loop, causal_graph, find_loops
from gmsim.files.output import write_file
from gmsim.plot.diagram import diagram_format, dot_text, draw_diagram, graphml_text, write_diagram

__all__ = ["plot_diagram", "save_diagram", "to_dot", "to_graphml"]


def _resolve(model, loop, max_length, max_loops) -> tuple[nx.DiGraph, Loop | None]:
    """The model's causal graph, and the loop asked for (by id, or as it is)."""
    graph = causal_graph(model)
    if loop is None or isinstance(loop, Loop):
        return graph, loop
    found = find_loops(graph, max_length=max_length, max_loops=max_loops, adjustment=True)
    return graph, found.get(loop)


def plot_diagram(
    model=None,
    *,
    loop: str | Loop | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    max_length: int | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
) -> Axes:
    """Draw the causal loop diagram of a model, optionally highlighting one loop.

    Parameters
    ----------
    model : Model, System, DiGraph, path or None
        What to draw; ``None`` is the paper's default model.
    loop : str or Loop, optional
        A loop id from :func:`~gmsim.analysis.loops.find_loops` (found with the same
        ``max_length`` / ``max_loops``), or a Loop. Its links are drawn on top
        and the rest faded.
    ax : Axes, optional
        Where to draw; a new figure sized to the model otherwise.
    title : str, optional
        Defaults to the model's name, or the loop's id and name.

    Returns
    -------
    Axes

    Raises
    ------
    LoopError
        When the model has no loop ``loop`` (the message suggests the nearest id).
    """
    graph, chosen = _resolve(model, loop, max_length, max_loops)
    return draw_diagram(graph, loop=chosen, ax=ax, title=title)


def to_dot(
    model=None,
    *,
    loop: str | Loop | None = None,
    max_length: int | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
) -> str:
    """The diagram in Graphviz DOT: one cluster per group, links coloured by sign.

    Link labels carry the sign and ``||`` for a delay; a chosen loop is drawn
    bold and the rest faded (see :func:`gmsim.plot.diagram.dot_text`). Render
    with ``dot -Tsvg model.dot -o model.svg``.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph(name="two")
    >>> g.add_edge("a", "b", sign=1, weight=0.5, delay=2.0)
    >>> g.add_edge("b", "a", sign=-1, weight=0.4, delay=0.0)
    >>> to_dot(g, loop="B1").splitlines()[-2]
    '  label="B1: a →|| b"; labelloc=t;'
    """
    graph, chosen = _resolve(model, loop, max_length, max_loops)
    return dot_text(graph, loop=chosen)


def to_graphml(
    model=None,
    path: str | os.PathLike | None = None,
    *,
    loop: str | Loop | None = None,
    max_length: int | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
) -> str:
    """The causal graph as GraphML text (and written to ``path`` if given).

    Nodes keep ``label``, ``group``, ``kind`` and get the diagram's ``x``,
    ``y``; links keep ``weight``, ``sign``, ``delay``, ``kind``, ``source`` and
    get ``polarity`` (``+``/``-``). With a loop, ``in_loop`` marks its nodes
    and links.
    """
    graph, chosen = _resolve(model, loop, max_length, max_loops)
    text = graphml_text(graph, loop=chosen)
    if path is not None:
        write_file(path, text, example="diagram.graphml")
    return text


def save_diagram(
    model=None,
    path: str | os.PathLike = "diagram.png",
    *,
    loop: str | Loop | None = None,
    max_length: int | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
) -> Path:
    """Write the diagram to ``path``; its extension picks the format (see :data:`~gmsim.plot.diagram.FORMATS`)."""
    diagram_format(path)  # a bad path fails before any work
    graph, chosen = _resolve(model, loop, max_length, max_loops)
    return write_diagram(graph, path, loop=chosen)
