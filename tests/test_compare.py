"""`gmsim.compare`, its end-of-horizon table and plot, and `gmsim compare` end to end."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import gmsim
from gmsim.analysis.comparison import end_of_horizon, format_end_table, plot_comparison
from gmsim.cli import main as cli
from gmsim.errors import GmsimError, ScenarioError
from gmsim.scenario import Intervention, Scenario

MODEL = gmsim.load_model()
CHOSEN = ["rotation-3m", "full-time-posts"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return gmsim.compare(MODEL, CHOSEN, stop=24)


def test_compare_stacks_each_scenarios_run_in_a_tidy_table(frame):
    assert list(frame.columns) == ["scenario", "time", "variable", "value"]
    assert list(dict.fromkeys(frame["scenario"])) == ["baseline", *CHOSEN]  # baseline added, first
    for name in ["baseline", *CHOSEN]:
        alone = gmsim.simulate(MODEL, scenario=name, stop=24).to_frame()
        mine = frame[frame["scenario"] == name].pivot(index="time", columns="variable", values="value")
        pd.testing.assert_frame_equal(mine[alone.columns], alone, check_names=False, rtol=0, atol=0)
    assert len(frame) == 3 * len(alone) * len(MODEL.factors)


def test_compare_accepts_scenario_objects_and_files_and_keeps_chosen_variables(tmp_path):
    path = tmp_path / "file.toml"
    path.write_text(
        '[scenario]\nname = "from-file"\n[[interventions]]\nkind = "set"\ntarget = "guidelines"\nvalue = 0.9\n'
    )
    mine = Scenario("in-python", actions=(Intervention("step", "funding", at=2, value=0.8),))
    frame = gmsim.compare(
        None, [mine, path, "baseline"], stop=12, variables=["funding", "effectiveness"]
    )
    assert list(dict.fromkeys(frame["scenario"])) == ["in-python", "from-file", "baseline"]
    assert set(frame["variable"]) == {"funding", "effectiveness"}
    # funding is a yearly budget decision: held at its launch level until month 12
    launch = gmsim.load_model().factor("funding").initial
    at_6 = frame[frame["time"] == 6].set_index(["scenario", "variable"])["value"]
    assert at_6["in-python", "funding"] == 0.8 and at_6["baseline", "funding"] == launch


def test_compare_runs_the_whole_library_when_no_scenario_is_named():
    frame = gmsim.compare(dt=0.5, variables=["effectiveness"])
    assert list(dict.fromkeys(frame["scenario"])) == gmsim.list_scenarios()


def test_compare_refuses_bad_requests_before_running_any():
    with pytest.raises(ScenarioError, match="given twice"):
        gmsim.compare(MODEL, ["full-review", "full-review"])
    with pytest.raises(ScenarioError, match="unknown scenario 'ful-review'"):
        gmsim.compare(MODEL, ["full-review", "ful-review"])
    with pytest.raises(GmsimError, match="did you mean 'funding'"):
        gmsim.compare(MODEL, ["full-review"], variables=["fundng"])


def test_end_of_horizon_differences_are_from_the_baseline(frame):
    table = end_of_horizon(frame)
    assert list(table.columns) == [
        "scenario",
        "variable",
        "value",
        "baseline",
        "difference",
        "largest_gap",
        "largest_gap_time",
        "cumulative_gap",
    ]
    assert list(dict.fromkeys(table["variable"])) == list(gmsim.plot.results.OUTCOMES)
    ends = {s: gmsim.simulate(MODEL, scenario=s, stop=24).final() for s in ["baseline", *CHOSEN]}
    for row in table.itertuples():
        assert row.value == ends[row.scenario][row.variable]
        assert row.difference == pytest.approx(
            ends[row.scenario][row.variable] - ends["baseline"][row.variable]
        )
    assert (table.loc[table["scenario"] == "baseline", "difference"] == 0).all()
    other = end_of_horizon(frame, baseline="rotation-3m", variables=["staff_experience"])
    assert other.set_index("scenario")["difference"]["full-time-posts"] > 0.3
    with pytest.raises(ScenarioError, match="not among the scenarios compared"):
        end_of_horizon(frame, baseline="full-review")


def test_the_printed_table_shows_levels_and_differences(frame):
    text = format_end_table(end_of_horizon(frame), time=24)
    assert "month 24" in text
    row = next(line for line in text.splitlines() if line.startswith("rotation-3m"))
    table = end_of_horizon(frame).set_index(["scenario", "variable"])
    value, diff = table.loc[("rotation-3m", "effectiveness"), ["value", "difference"]]
    assert f"{value:.3f} ({diff:+.3f})" in row


def test_the_plot_has_a_panel_per_outcome_and_a_line_per_scenario(frame):
    fig = plot_comparison(frame)
    try:
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title() for ax in panels] == [
            "Effectiveness",
            "Information disclosure",
            "Public service",
            "Citizen engagement",
        ]
        for ax in panels:
            assert [line.get_label() for line in ax.lines] == ["baseline", *CHOSEN]
            assert ax.lines[0].get_linestyle() == "--"
        series = frame[(frame["scenario"] == "full-time-posts") & (frame["variable"] == "effectiveness")]
        np.testing.assert_array_equal(panels[0].lines[2].get_ydata(), series["value"])
    finally:
        plt.close(fig)


def test_gmsim_compare_writes_the_table_the_plot_and_the_end_of_horizon_values(tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", "--scenario", "rotation-3m", "--scenario", "full-time-posts", "--stop", "24"]
    assert cli([*args, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "comparison.csv",
        "comparison.png",
        "end_of_horizon.csv",
    ]
    expected = gmsim.compare(MODEL, CHOSEN, stop=24)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "comparison.csv"), expected, check_exact=False, rtol=1e-12
    )
    table = pd.read_csv(out / "end_of_horizon.csv")
    pd.testing.assert_frame_equal(table, end_of_horizon(expected), check_exact=False, rtol=1e-12)
    printed = capsys.readouterr().out
    assert format_end_table(end_of_horizon(expected), time=24) in printed
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"


def test_gmsim_compare_with_chosen_variables_and_another_baseline(tmp_path, capsys):
    out = tmp_path / "cmp"
    args = [
        "compare",
        "--scenario",
        "rotation-6m",
        "--baseline",
        "rotation-3m",
        "--variable",
        "staff_experience",
    ]
    assert cli([*args, "--stop", "12", "--out", str(out)]) == 0
    table = pd.read_csv(out / "end_of_horizon.csv")
    assert list(table["scenario"]) == ["rotation-3m", "rotation-6m"]
    assert list(table["variable"]) == ["staff_experience"] * 2
    assert table["difference"].iloc[1] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "ful-review"], "did you mean 'full-review'"),
        (["--scenario", "full-review", "--variable", "fundng"], "did you mean 'funding'"),
        (["--scenario", "attention-shift", "--stop", "14"], "month 15 is outside the run"),
        (["--scenario", "full-review", "--dt", "0"], "--dt must be > 0"),
    ],
)
def test_gmsim_compare_bad_input_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "cmp"
    assert cli(["compare", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_gmsim_compare_stays_the_function_after_its_module_is_imported():
    import gmsim.analysis.comparison  # importing a submodule binds its name on the package

    assert callable(gmsim.compare) and gmsim.compare.__name__ == "compare"
    assert gmsim.compare is gmsim.analysis.comparison.compare


def test_the_end_table_gives_the_largest_gap_its_time_and_the_area_of_a_known_pulse():
    """An exogenous factor held 0.4 above its level for months 2-4 of a 6-month run: the end
    difference is 0, the largest gap +0.4 at month 2, the area 0.4 x 2 months (by hand)."""
    from gmsim import Factor, Link, Model, Simulation

    tiny = Model(
        name="pulse",
        factors=(
            Factor("driver", group="external_enabler", kind="exogenous", initial=0.5),
            Factor("effect", group="outcome", initial=0.5, tau=2.0),
        ),
        links=(Link("driver", "effect", weight=0.5),),
        simulation=Simulation(stop=6.0, dt=0.125),
    )
    pulse = Scenario("pulse", actions=(Intervention("pulse", "driver", at=2, duration=2, value=0.9),))
    table = end_of_horizon(gmsim.compare(tiny, [pulse]), variables=["driver", "effect"])
    row = table.set_index(["scenario", "variable"]).loc[("pulse", "driver")]
    assert row["difference"] == pytest.approx(0.0, abs=1e-12)
    assert row["largest_gap"] == pytest.approx(0.4)
    assert row["largest_gap_time"] == 2.0
    assert row["cumulative_gap"] == pytest.approx(0.8)
    effect = table.set_index(["scenario", "variable"]).loc[("pulse", "effect")]
    assert effect["largest_gap"] > 0 and 2.0 < effect["largest_gap_time"] <= 4.0
    assert effect["cumulative_gap"] > abs(effect["difference"])  # the transient outlasts its trace
    text = format_end_table(table, time=6)
    assert "+0.400 @2 | +0.80" in text
