"""The causal loop diagram: layout by the paper's groups, link styles, a highlighted loop, exports."""

from __future__ import annotations

import doctest
import importlib

import defusedxml.ElementTree as ET
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pytest
from matplotlib.patches import FancyArrowPatch

import gmsim
from gmsim.analysis.diagram import plot_diagram, save_diagram, to_dot, to_graphml
from gmsim.analysis.loops import find_loops
from gmsim.cli import main
from gmsim.errors import LoopError, OutputError
from gmsim.plot.diagram import BANDS, NEGATIVE, POSITIVE, diagram_layout, draw_diagram

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


@pytest.fixture(scope="module")
def model():
    return gmsim.load_model()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_factors_sit_in_bands_of_their_group_in_the_paper_order(model):
    pos = diagram_layout(model.graph())
    ys = {}
    for f in model.factors:
        ys.setdefault(f.group, set()).add(pos[f.id][1])
    assert all(len(v) == 1 for v in ys.values())  # one band per group
    band_y = [ys[g].pop() for g in BANDS]
    assert band_y == sorted(band_y, reverse=True)  # enablers on top, barriers at the bottom
    xs = sorted(round(pos[f.id][0], 9) for f in model.factors if f.group == "internal_barrier")
    assert len(set(xs)) == len(xs)  # no two factors on one spot


def test_ordering_within_bands_shortens_links(model):
    graph = model.graph()
    placed = diagram_layout(graph)
    unsorted = diagram_layout(graph, sweeps=0)

    def length(pos):
        return sum(abs(pos[a][0] - pos[b][0]) for a, b in graph.edges)

    assert length(placed) < 0.9 * length(unsorted)


def arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def test_links_are_coloured_by_sign_and_sized_by_weight(model):
    ax = plot_diagram(model)
    drawn = arrows(ax)
    graph = model.graph()
    # every edge gets an arrow but a stock's own flows (a stock draining itself: no arrow)
    assert len(drawn) == graph.number_of_edges() - nx.number_of_selfloops(graph)
    colours = {tuple(np.round(a.get_edgecolor()[:3], 3)) for a in drawn}
    to_rgb = plt.matplotlib.colors.to_rgb
    assert (
        tuple(np.round(to_rgb(POSITIVE), 3)) in colours
        and tuple(np.round(to_rgb(NEGATIVE), 3)) in colours
    )
    widths = sorted({round(a.get_linewidth(), 3) for a in drawn if a.get_linestyle() == "-"})
    sizes = [abs(w) for a, b, w in graph.edges(data="weight") if a != b]
    # a flow's arrow has weight 1 (it adds to or drains the stock one for one)
    assert widths[0] == pytest.approx(0.5 + 2.5 * min(sizes))
    assert widths[-1] == pytest.approx(0.5 + 2.5 * max(sizes)) == pytest.approx(3.0)
    texts = [t.get_text() for t in ax.texts]
    assert "Leadership\nattention" in texts
    # a minus on every negative arrow: links, a moderator that weakens, flows that drain
    assert texts.count("−") == sum(1 for a, b, sign in graph.edges(data="sign") if sign < 0 and a != b)
    # two delayed links, each with a double bar of two strokes
    delays = sum(1 for link in model.links if link.delay > 0)
    assert len([ln for ln in ax.lines if ln.get_linewidth() == 1.4]) == 2 * delays


def test_a_highlighted_loop_stands_out_and_is_named(model):
    loop = find_loops(model)["B2"]
    ax = plot_diagram(model, loop="B2")
    assert ax.get_title(loc="left") == "B2 (balancing): Workload → Responsiveness → Citizen engagement"
    bold = [a for a in arrows(ax) if a.get_alpha() == 1.0]
    assert len(bold) == loop.length
    assert all(a.get_alpha() < 0.2 for a in arrows(ax) if a not in bold)
    assert any(t.get_text() == "B2\n↻" for t in ax.texts)


def test_unknown_loop_is_refused_with_a_suggestion(model):
    with pytest.raises(LoopError, match="did you mean 'R1'"):
        plot_diagram(model, loop="R1x")


def test_png_and_svg_are_written(tmp_path, model):
    png = save_diagram(model, tmp_path / "cld.png", loop="R3")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_diagram(model, tmp_path / "cld.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cld.png", "cld.svg"]  # no temporary left


def test_bad_output_paths_fail_whole(tmp_path, model):
    with pytest.raises(OutputError, match=r"'.jpg' files \(did you mean '.png'\?\)"):
        save_diagram(model, tmp_path / "cld.jpg")
    with pytest.raises(OutputError, match="is a folder"):
        save_diagram(model, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_dot_has_clusters_signs_delays_and_quoting():
    g = nx.DiGraph(name='say "hi"')
    g.add_node("a", label='A "quoted" label', group="process", kind="endogenous")
    g.add_node("b", label="B", group="outcome", kind="endogenous")
    g.add_node("x", label="X", group="external_enabler", kind="exogenous")
    g.add_edge("a", "b", sign=1, weight=0.5, delay=2.0)
    g.add_edge("b", "a", sign=-1, weight=0.8, delay=0.0)
    g.add_edge("x", "a", sign=1, weight=0.2, delay=0.0)
    text = to_dot(g, loop="B1")
    assert text.startswith('digraph "say \\"hi\\"" {') and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    assert '"a" [label="A \\"quoted\\" label"' in text
    assert 'subgraph "cluster_process"' in text and 'subgraph "cluster_external_enabler"' in text
    assert '"a" -> "b" [color="#1f5fa8", penwidth=3.3, label="+ || 2"];' in text  # 1.8, +1.5 on the loop
    assert '"b" -> "a" [color="#c0392b", penwidth=4.0, label="−"];' in text
    assert '"x" -> "a" [color="#1f5fa833", penwidth=1.1, label="+"];' in text  # faded
    assert 'style="rounded,filled,dashed"' in text  # exogenous


def test_dot_of_the_default_model_has_every_link(model):
    text = to_dot(model)
    graph = model.graph()
    links = [line for line in text.splitlines() if " -> " in line and "style=invis" not in line]
    assert len(links) == graph.number_of_edges()
    for a, b in graph.edges:
        assert sum(line.startswith(f'  "{a}" -> "{b}" [') for line in links) == 1
    assert text.count("style=dotted") == sum(len(f.of) for f in model.composites)


def test_graphml_round_trips_through_a_safe_parser(tmp_path, model):
    path = tmp_path / "cld.graphml"
    to_graphml(model, path, loop="R1")
    root = ET.parse(path).getroot()
    keys = {k.get("id"): k.get("attr.name") for k in root.iter(f"{GRAPHML}key")}
    nodes = list(root.iter(f"{GRAPHML}node"))
    edges = list(root.iter(f"{GRAPHML}edge"))
    graph = model.graph()
    assert len(nodes) == graph.number_of_nodes() and len(edges) == graph.number_of_edges()
    assert {"label", "group", "x", "y", "weight", "sign", "delay", "polarity", "in_loop"} <= set(
        keys.values()
    )

    def attrs(element):
        return {keys[d.get("key")]: d.text for d in element.iter(f"{GRAPHML}data")}

    link = next(
        attrs(e)
        for e in edges
        if (e.get("source"), e.get("target")) == ("leadership_attention", "funding")
    )
    written = model.link("leadership_attention", "funding")
    r1 = gmsim.find_loops(model)["R1"]
    assert (link["weight"], link["delay"], link["polarity"], link["in_loop"].lower()) == (
        str(written.weight),
        str(written.delay),
        "+" if written.weight > 0 else "-",
        str(("leadership_attention", "funding") in r1.links).lower(),
    )
    for node in nodes:
        assert attrs(node)["in_loop"].lower() == str(node.get("id") in r1).lower()
    trust = next(attrs(n) for n in nodes if n.get("id") == "public_trust")
    assert trust["group"] == "external_barrier"


def test_cli_draws_and_exports(tmp_path, capsys):
    for name in ("cld.png", "cld.svg", "cld.dot", "cld.graphml"):
        assert main(["diagram", "--loop", "R1", "--out", str(tmp_path / name)]) == 0
        assert (tmp_path / name).stat().st_size > 0
    assert main(["diagram", "--loop", "Z9", "--out", str(tmp_path / "bad.png")]) == 2
    assert "no loop 'Z9'" in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists()


@pytest.mark.parametrize("module", ["gmsim.plot.diagram", "gmsim.analysis.diagram"])
def test_the_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_the_plot_layer_draws_a_given_graph_and_loop_object(model):
    graph = model.graph()
    loop = find_loops(graph)["B3"]
    ax = draw_diagram(graph, loop=loop, title="given")
    assert ax.get_title(loc="left") == "given"
    by_id = plot_diagram(model, loop="B3").get_title(loc="left")
    assert plot_diagram(model, loop=loop).get_title(loc="left") == by_id
