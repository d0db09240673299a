"""Figures of stock-and-flow (imported XMILE) models: readable overviews and two-dimensional diagrams."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from PIL import Image

import gmsim
from gmsim.analysis.diagram import plot_diagram, save_diagram
from gmsim.cli import main
from gmsim.plot.diagram import diagram_layout, draw_diagram, flow_layout, is_stock_flow
from gmsim.plot.results import (
    LINES_PER_PANEL,
    headline_variables,
    overview_variables,
    plot_effectiveness,
    plot_overview,
)
from gmsim.xmile import load_xmile_text
from tests.xmile_models import aux, document, flow, model, stock

matplotlib.use("Agg")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "sd-test-models"
LINES = 8
"""Most lines an axis of a readable figure may carry."""


def _many_stocks(n: int = 30) -> str:
    """``n`` stocks draining toward constants of different sizes, plus constants and helpers."""
    parts = []
    for i in range(n):
        parts += [
            stock(f"S{i}", f"{10 ** (i % 4)}", outflows=(f"out{i}",)),
            flow(f"out{i}", f"S{i} * rate{i}"),
            aux(f"rate{i}", f"0.{i % 9 + 1}"),
            aux(f"report{i}", f"S{i} * 2"),
        ]
    return document(*parts, stop=10, dt=0.25)


@pytest.fixture(scope="module")
def many():
    return gmsim.simulate(load_xmile_text(_many_stocks()))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The default model, exported to XMILE and read back (236 variables, 25 stocks)."""
    path = tmp_path_factory.mktemp("export") / "default.xmile"
    assert main(["export", "--out", str(path)]) == 0
    return path


def test_doctests():
    for name in ("gmsim.plot.results", "gmsim.plot.diagram"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0


def test_the_overview_of_many_stocks_is_small_multiples_without_constants(many):
    chosen = overview_variables(many)
    assert chosen == [f"S{i}" for i in range(30)]  # stocks only: no flow, constant or helper
    fig = plot_overview(many)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert max(len(ax.lines) for ax in visible) <= LINES_PER_PANEL
    assert sum(len(ax.lines) for ax in visible) == 30
    plotted = {line.get_label() for ax in visible for line in ax.lines}
    assert not any(label.startswith(("rate", "out", "report")) for label in plotted)
    width, height = fig.get_size_inches()
    assert width <= 16 and height <= 30
    plt.close(fig)


def test_chosen_variables_replace_the_stocks_and_constants_are_left_out(many):
    assert overview_variables(many, ["report1", "rate1", "S2"]) == ["report1", "S2"]
    fig = plot_overview(many, variables=["report1", "rate1", "S2"])
    assert sum(len(ax.lines) for ax in fig.axes if ax.get_visible()) == 2
    plt.close(fig)


def test_the_headline_of_a_model_without_outcomes_is_its_first_stocks(many):
    assert headline_variables(many) == ["S0", "S1", "S2", "S3"]
    ax = plot_effectiveness(many)
    assert len(ax.lines) == 4 and ax.get_title().startswith("Stocks")
    plt.close(ax.figure)


def test_a_factor_models_overview_is_unchanged():
    fig = plot_overview(gmsim.simulate(stop=6))
    titles = {ax.get_title() for ax in fig.axes if ax.get_visible()}
    assert "Outcomes" in titles and "Processes" in titles
    plt.close(fig)


def test_the_exported_default_model_runs_into_readable_figures(exported, tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(exported), "--out", str(out)]) == 0
    for name, most in (("overview.png", 2600), ("effectiveness.png", 1200)):
        with Image.open(out / name) as image:
            width, height = image.size
        assert width <= most and height <= most, name
    result = gmsim.simulate(exported)
    fig = plot_overview(result)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert max(len(ax.lines) for ax in visible) <= LINES
    stocks = {result.labels.get(v, v) for v in result.variables if result.groups[v] == "stock"}
    plotted = {line.get_label().rstrip("…") for ax in visible for line in ax.lines}
    assert all(any(s.startswith(p) for s in stocks) for p in plotted)  # stocks only
    assert "steepness" not in plotted
    plt.close(fig)


def test_run_with_variable_puts_the_chosen_variables_in_the_overview(exported, tmp_path):
    out = tmp_path / "chosen"
    argv = ["run", str(exported), "--variable", "workload", "--variable", "followers"]
    assert main([*argv, "--out", str(out)]) == 0
    assert (out / "overview.png").exists() and (out / "variables.png").exists()


@pytest.mark.parametrize(
    "relative",
    [
        "samples/bpowers-hares_and_lynxes_modules/model.xmile",
        "tests/chained_initialization/test_chained_initialization.xmile",
        "tests/trig/test_trig.xmile",
    ],
)
def test_conformance_models_give_readable_overviews(relative):
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is not here")
    result = gmsim.simulate(path)
    fig = plot_overview(result)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert visible and max(len(ax.lines) for ax in visible) <= LINES
    width, height = fig.get_size_inches()
    assert width <= 16 and height <= 30
    plt.close(fig)


# -- diagrams ----------------------------------------------------------------------------------
def test_a_stock_and_flow_graph_is_laid_out_in_two_dimensions(exported):
    graph = gmsim.load_model(exported).graph()
    assert is_stock_flow(graph)
    pos = diagram_layout(graph)
    xs = {round(x, 6) for x, _ in pos.values()}
    ys = {round(y, 6) for _, y in pos.values()}
    assert len(xs) > 3 and len(ys) > 3
    assert len(set(pos.values())) == graph.number_of_nodes()  # no two variables on one spot
    width = max(xs) - min(xs)
    height = max(ys) - min(ys)
    assert 0.25 < width / height < 4


def test_the_diagram_image_of_a_model_with_many_variables_has_a_bounded_aspect(exported, tmp_path):
    path = save_diagram(exported, tmp_path / "d.png")
    with Image.open(path) as image:
        width, height = image.size
    assert width / height < 4 and height / width < 4
    assert width <= 5000 and height <= 5000


def test_a_small_stock_and_flow_diagram_places_flows_after_their_causes():
    xm = model(
        stock("tea", "90", outflows=("cooling",)),
        flow("cooling", "(tea - room) / tau"),
        aux("room", "20"),
        aux("tau", "10"),
    )
    graph = xm.graph()
    pos = flow_layout(graph)
    assert pos["cooling"][0] > pos["tea"][0] and pos["cooling"][0] >= pos["room"][0]
    ax = plot_diagram(xm)
    width, height = ax.figure.get_size_inches()
    assert width / height < 4
    plt.close(ax.figure)


def test_a_factor_models_diagram_keeps_its_bands():
    graph = gmsim.load_model().graph()
    assert not is_stock_flow(graph)
    ax = draw_diagram(graph)
    assert any("Outcomes" in t.get_text() for t in ax.texts)
    plt.close(ax.figure)
