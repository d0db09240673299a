"""The shared pieces of the file layer: one TOML kit, one name rule for XMILE, one range table."""

from __future__ import annotations

import doctest
import importlib

import pytest

import gmsim
from gmsim.errors import ModelError, Problem, ScenarioError, SpecError
from gmsim.files.toml import Library, check_keys, located, number, read_toml, string
from gmsim.scenario import Intervention, Scenario
from gmsim.xmile import load_xmile_text
from gmsim.xmile.examples import TEACUP
from gmsim.xmile.names import canonical


# -- XMILE names -----------------------------------------------------------------------------------
def test_a_newline_escape_is_whitespace_in_a_name_as_the_standard_says():
    # XMILE 1.0, 3.2.2.2: wom_multiplier, "wom multiplier" and "wom\nmultiplier" are one name
    assert canonical("wom\\nmultiplier") == canonical("wom_multiplier") == canonical("WOM multiplier")
    assert canonical("wom\nmultiplier") == canonical("wom______multiplier")
    assert canonical("wom\\nmultiplier") != canonical("wommultiplier")


def test_a_scenario_names_an_imported_variable_with_the_newline_escape():
    scenario = Scenario("cold", actions=(Intervention("set", "room\\ntemperature", value=10.0),))
    result = gmsim.simulate(load_xmile_text(TEACUP), scenario=scenario)
    assert float(result["Room_Temperature"][-1]) == 10.0


# -- the TOML kit ----------------------------------------------------------------------------------
def test_read_errors_are_of_the_stage_that_reads(tmp_path):
    missing = tmp_path / "none.toml"
    for error in (ModelError, ScenarioError, SpecError):
        with pytest.raises(error, match="no such file; check the path"):
            read_toml(missing, error=error)
    (tmp_path / "bad.toml").write_text("[model\nname = 1\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad.toml:1: TOML syntax error"):
        read_toml(tmp_path / "bad.toml", error=SpecError)


def test_problems_are_rendered_with_file_line_and_key_path():
    text = "[spec]\nname = 'x'\n\n[[uncertain]]\nevery = 'weight'\nlow = true\n"
    keys = {"every": (string, "string", True), "low": (number, "number", False)}
    (problem,) = check_keys({"every": "weight", "low": True}, keys, ("uncertain", 0))
    assert (
        str(located(problem, "s.toml", text))
        == "s.toml:6: uncertain[1].low: expected a number, got True"
    )
    assert str(Problem(("uncertain", 0), "no entry")) == "uncertain[1]: no entry"


def test_the_library_tells_names_from_paths(tmp_path):
    scenarios = Library("gmsim.models.scenarios")
    assert scenarios.resolve("baseline") == scenarios.path("baseline")
    assert scenarios.resolve("no-such-scenario") is None
    assert scenarios.resolve("my.toml", base=tmp_path) == tmp_path / "my.toml"
    assert scenarios.resolve(tmp_path / "baseline") == tmp_path / "baseline"  # a Path is a path
    from gmsim.uncertainty.spec import list_specs

    assert Library("gmsim.models.uncertainty").names() == list_specs()


# -- one range table -------------------------------------------------------------------------------
def test_every_stage_reads_the_one_range_table():
    from gmsim.factor.ranges import RANGES
    from gmsim.scenario.uncertain import RANGES as SCENARIO
    from gmsim.uncertainty.spec import UncertaintySpec

    system = gmsim.load_model().compile()
    ranges = system.parameter_ranges()
    assert set(ranges) == set(system.parameter_names())
    necessary = {f"weight:{lk.cause}->{lk.effect}" for lk in system.links if lk.kind == "necessary"}
    assert necessary  # v2: attention is a necessary condition of staff and money
    weights = {n: ranges[n] for n in ranges if n.startswith("weight:")}
    assert {weights[n] for n in weights if n not in necessary} == {RANGES["weight"]}
    assert {weights[n] for n in necessary} == {(0.0, 1.0)}
    assert SCENARIO["value"] == SCENARIO["initial"] == RANGES["initial"]
    space = UncertaintySpec.every_weight(5.0).resolve(system)  # ±500 %: clipped to the table
    low, high = RANGES["weight"]
    assert all(low <= m.low and m.high <= high for m in space.marginals)
    assert any((m.low, m.high) == (low, high) for m in space.marginals)


def test_an_imported_model_has_no_ranges_of_its_own():
    system = load_xmile_text(TEACUP).compile()
    assert set(system.parameter_ranges().values()) == {(-float("inf"), float("inf"))}


# -- the docstrings --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "module",
    [
        "gmsim.errors",
        "gmsim.files.toml",
        "gmsim.factor.file",
        "gmsim.factor.model",
        "gmsim.factor.ranges",
        "gmsim.simulation.load",
        "gmsim.scenario.types",
        "gmsim.scenario.checks",
        "gmsim.scenario.compile",
        "gmsim.scenario.file",
        "gmsim.scenario.library",
        "gmsim.scenario.scenario",
        "gmsim.xmile.equations",
        "gmsim.xmile.writer",
        "gmsim.report.sections",
    ],
)
def test_the_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
