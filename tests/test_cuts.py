"""Loops an intervention cuts: hand-built cases, the paper's model, the CLI text and CSV, the report."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

import gmsim
from gmsim.analysis.cuts import Cut, compact_ids, cut_loops, cuts_frame, cuts_sentence, cuts_text
from gmsim.analysis.dominance import loop_dominance
from gmsim.analysis.loops import Loop, find_loops
from gmsim.analysis.summary import dominance_summary
from gmsim.cli import main
from gmsim.core.paths import Constant
from gmsim.core.system import Event, Forcing, Interventions, Params, Window
from gmsim.scenario.scenario import Scenario
from gmsim.scenario.types import Intervention, LinkChange

LOOPS = [
    Loop("R1", ("a", "b"), (1, 1), (0, 0)),
    Loop("B1", ("b", "c", "d"), (1, 1, -1), (0, 0, 0)),
    Loop("R2", ("c", "d"), (1, 1), (0, 0)),
    Loop("A1", ("a",), (-1,), (0,), kind="adjustment"),
]


def test_doctests():
    module = importlib.import_module("gmsim.analysis.cuts")
    assert doctest.testmod(module).failed == 0


def test_a_clamp_cuts_every_loop_through_the_variable_for_its_window():
    iv = Interventions(forcings=(Forcing("b", Constant(0.5), 6.0, 18.0),))
    cuts = cut_loops(LOOPS, iv, 0.0, 60.0)
    assert cuts == [Cut("R1", "b", 6.0, 18.0, "held"), Cut("B1", "b", 6.0, 18.0, "held")]


def test_a_loop_not_through_the_variable_is_not_cut():
    iv = Interventions(forcings=(Forcing("a", Constant(0.5), 0.0),))
    ids = {c.loop for c in cut_loops(LOOPS, iv, 0.0, 60.0)}
    assert ids == {"R1", "A1"}  # a's own adjustment stops too; B1 and R2 never pass a


def test_windows_are_clipped_to_the_run_and_a_hold_outside_it_cuts_nothing():
    forever = Interventions(forcings=(Forcing("c", Constant(1.0)),))
    assert {(c.start, c.end) for c in cut_loops(LOOPS, forever, 0.0, 24.0)} == {(0.0, 24.0)}
    late = Interventions(forcings=(Forcing("c", Constant(1.0), 30.0, 40.0),))
    assert cut_loops(LOOPS, late, 0.0, 24.0) == []


def test_a_zero_weight_cuts_the_loops_through_that_link():
    whole = Interventions(overrides={"weight:c->d": 0.0, "weight:a->b": 0.3, "tau:c": 0.0})
    assert cut_loops(LOOPS, whole, 0.0, 60.0) == [
        Cut("B1", "c->d", 0.0, 60.0, "weight 0"),
        Cut("R2", "c->d", 0.0, 60.0, "weight 0"),
    ]
    # d -> c closes R2 but is not on B1 (which runs c -> d -> b)
    window = Interventions(windows=(Window("weight:d->c", 0.0, 12.0, 24.0),))
    assert cut_loops(LOOPS, window, 0.0, 60.0) == [Cut("R2", "d->c", 12.0, 24.0, "weight 0")]
    per_run = Interventions(overrides={"weight:a->b": np.array([0.0, 0.2])})
    assert cut_loops(LOOPS, per_run, 0.0, 60.0) == []  # not zero in every run


def test_events_cut_nothing_and_params_are_accepted():
    iv = Params(batch=1, events=(Event(5.0, "a", set=1.0),))
    assert cut_loops(LOOPS, iv, 0.0, 60.0) == []
    assert cut_loops(LOOPS, None, 0.0, 60.0) == []


def test_table_and_text():
    cuts = cut_loops(LOOPS, Interventions(forcings=(Forcing("b", Constant(0.5), 6.0, 18.0),)), 0, 60)
    frame = cuts_frame(cuts)
    assert list(frame.columns) == ["loop", "cut_by", "kind", "start", "end", "months"]
    assert frame["months"].tolist() == [12.0, 12.0]
    assert cuts_frame([]).empty
    text = cuts_text(cuts, LOOPS)
    assert "cut 2 of 3 loops" in text and "b held, months 6-18: R1, B1" in text
    assert cuts_text([], LOOPS) == "" and cuts_sentence([], LOOPS) == ""
    assert "b is held over months 6–18, which cuts 2 of the 3 loops (R1, B1)" in cuts_sentence(
        cuts, LOOPS
    )
    assert compact_ids(["R3", "R1", "R2", "B5", "R9"]) == "R1-R3, R9, B5"


# -- the paper's model ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_loops():
    return find_loops(gmsim.load_model())


def test_a_clamp_of_leadership_attention_cuts_every_loop_through_it(model_loops):
    through = {lp.id for lp in model_loops if "leadership_attention" in lp}
    assert through  # the factor is on loops
    iv = Interventions(forcings=(Forcing("leadership_attention", Constant(0.8), 15.0, 18.0),))
    cuts = cut_loops(model_loops, iv, 0.0, 60.0)
    assert {c.loop for c in cuts} == through
    assert {(c.start, c.end, c.variable) for c in cuts} == {(15.0, 18.0, "leadership_attention")}


def _scenario_hold(start: float, end: float) -> Scenario:
    return Scenario(
        "hold-attention",
        actions=(Intervention("pulse", "leadership_attention", 0.8, at=start, duration=end - start),),
    )


def test_dominance_carries_the_cuts_and_cut_loops_score_zero_while_cut(model_loops):
    dom = loop_dominance(scenario=_scenario_hold(15.0, 18.0), stop=36)
    through = {lp.id for lp in dom.loops if "leadership_attention" in lp}
    assert {c.loop for c in dom.cuts} == through
    assert {(c.start, c.end) for c in dom.cuts} == {(15.0, 18.0)}
    inside = (dom.time > 15.0) & (dom.time < 18.0)
    cols = [k for k, lp in enumerate(dom.loops) if lp.id in through]
    assert np.all(dom.relative[np.ix_(inside, cols)] == 0.0)
    text = dominance_summary(dom)
    assert "leadership_attention held, months 15-18" in text
    assert "among the loops not cut" in text


def test_a_zero_weight_scenario_cuts_the_loops_through_its_link(model_loops):
    link = next(lp.links[0] for lp in model_loops if lp.length > 1)
    scenario = Scenario("no-link", links=(LinkChange(*link, weight=0.0, start=6.0, end=12.0),))
    dom = loop_dominance(scenario=scenario, stop=24)
    expected = {lp.id for lp in dom.loops if lp.kind != "adjustment" and link in lp.links}
    assert {c.loop for c in dom.cuts} == expected
    assert {(c.variable, c.start, c.end, c.kind) for c in dom.cuts} == {
        (f"{link[0]}->{link[1]}", 6.0, 12.0, "weight 0")
    }


def test_a_baseline_cuts_nothing():
    dom = loop_dominance(stop=12)
    assert dom.cuts == ()
    assert "cut" not in dominance_summary(dom).split("\n")[1]


def test_cli_prints_the_cuts_and_writes_them(tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        main(
            ["loops", "--dominance", "--scenario", "attention-lapse", "--stop", "36", "--out", str(out)]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "interventions cut" in text and "leadership_attention held, months 15-18" in text
    cuts = pd.read_csv(out / "cuts.csv")
    assert set(cuts["cut_by"]) == {"leadership_attention"}
    assert set(zip(cuts["start"], cuts["end"], strict=True)) == {(15.0, 18.0)}
    frame = pd.read_csv(out / "dominance.csv")
    during = frame[(frame["time"] >= 15.0) & (frame["time"] < 18.0)]["cut"]
    assert during.notna().all() and during.str.contains("R").all()
    assert frame[(frame["time"] < 15.0) | (frame["time"] >= 18.0)]["cut"].isna().all()


def test_the_report_says_which_loops_are_cut():
    from gmsim.report.loops import analyse_loops, loop_section

    settings = {"start": 0, "stop": 24, "dt": 0.25, "method": "rk4"}
    findings = analyse_loops(gmsim.load_model(), [_scenario_hold(6.0, 12.0)], settings)
    html = str(loop_section(findings))
    assert "Loops are cut" in html and "Leadership attention is held over months 6–12" in html
    # the note comes before the sentence saying which polarity holds the larger share
    note = html.index("Loops are cut")
    run = html.index("Loop dominance in hold-attention")
    assert run < note < html.index("In hold-attention, ", note)
