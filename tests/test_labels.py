"""Results carry their model's time unit and kind of value into plots and summaries."""

from __future__ import annotations

import gmsim
from gmsim.analysis.comparison import plot_comparison
from gmsim.cli import main
from gmsim.plot.results import plot_effectiveness, plot_overview
from gmsim.xmile import load_xmile_text
from gmsim.xmile.examples import TEACUP


def test_a_factor_model_counts_months_and_levels_from_0_to_1():
    result = gmsim.simulate(stop=12)
    assert (result.time_unit, result.value_label, result.time_label) == (
        "month",
        "level (0-1)",
        "months 0-12",
    )
    ax = plot_effectiveness(result)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("month", "level (0-1)")


def test_an_imported_model_keeps_its_own_time_unit_and_values():
    result = gmsim.simulate(load_xmile_text(TEACUP))
    assert (result.time_unit, result.value_label) == ("Minutes", "value")
    assert result.time_label == f"Minutes {result.time[0]:g}-{result.time[-1]:g}"
    fig = plot_overview(result)
    assert {ax.get_xlabel() for ax in fig.axes if ax.get_visible()} == {"Minutes"}
    assert {ax.get_ylabel() for ax in fig.axes if ax.get_visible()} == {"value"}
    frame = gmsim.compare(load_xmile_text(TEACUP), [], variables=[result.variables[0]])
    assert {ax.get_xlabel() for ax in plot_comparison(frame).axes if ax.get_xlabel()} == {"Minutes"}


def test_the_run_summary_names_the_time_unit(tmp_path, capsys):
    path = tmp_path / "teacup.xmile"
    path.write_text(TEACUP, encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    assert "| Minutes 0-30 |" in capsys.readouterr().out


def test_lines_past_the_colour_cycle_are_dashed_so_no_two_look_alike():
    from gmsim.plot.results import plot_variables

    result = gmsim.simulate(stop=6)
    ax = plot_variables(result, list(result.variables[:12]))
    looks = [(line.get_color(), line.get_linestyle()) for line in ax.lines]
    assert len(set(looks)) == len(looks) == 12
    assert [line.get_linestyle() for line in ax.lines[10:]] == ["--", "--"]
