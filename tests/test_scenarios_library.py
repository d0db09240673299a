"""The scenario library shipped with gmsim, `gmsim scenarios`, `gmsim run --scenario`, the example script."""

from __future__ import annotations

import doctest
import importlib
import re
import subprocess
import sys
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import gmsim
from gmsim.cli import main as cli
from gmsim.scenario import load_scenario

MODEL = gmsim.load_model()
ASKED_FOR = [
    "baseline",
    "attention-shift",
    "attention-boost",
    "rotation-3m",
    "rotation-6m",
    "full-time-posts",
    "streamlined-review",
    "full-review",
    "training-program",
    "funding-secured",
    "collaboration-network",
    "hacker-attack",
    "water-army-surge",
    "platform-substitution",
]
PACKAGES = ["professional-team", "open-government", "emergency-ready"]
SECTION = re.compile(r"\b2\.[1-4](\.\d)?\b")


def test_the_library_has_every_scenario_asked_for_and_packages():
    names = gmsim.list_scenarios()
    assert names[0] == "baseline"
    assert set(ASKED_FOR + PACKAGES) <= set(names)
    files = sorted(
        f.name for f in resources.files("gmsim.models.scenarios").iterdir() if f.name.endswith(".toml")
    )
    assert sorted(f"{n}.toml" for n in names) == files


@pytest.mark.parametrize("name", gmsim.list_scenarios())
def test_each_library_scenario_is_named_described_and_runs_in_bounds(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert SECTION.search(scenario.description), "the description cites a section of the paper"
    result = gmsim.simulate(MODEL, scenario=name)
    assert result.scenario == name
    assert np.all(np.isfinite(result.values)) and 0 <= result.values.min() <= result.values.max() <= 1
    # the baseline is the launch: a scenario's lever shows against it, not against the start
    base = gmsim.simulate(MODEL)["effectiveness"]
    moved = np.abs(result["effectiveness"] - base).max()
    assert (moved < 1e-12) if name == "baseline" else (moved > 1e-3)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_includes_its_levers_and_does_more_than_each(package):
    scenario = load_scenario(package)
    assert scenario.description.startswith("Package")
    parts = [p for p in gmsim.list_scenarios() if p not in PACKAGES and p != "baseline"]
    included = [
        p
        for p in parts
        if set(load_scenario(p).actions) <= set(scenario.actions) and load_scenario(p).actions
    ]
    assert included, "a package combines library levers"
    end = gmsim.simulate(MODEL, scenario=scenario)["effectiveness"][-1]
    for part in included:
        assert end > gmsim.simulate(MODEL, scenario=part)["effectiveness"][-1] + 0.01, part


def test_interventions_of_the_library_in_the_engines_terms():
    iv = load_scenario("rotation-3m").interventions(MODEL)
    # rotation is handovers per month (a 3-month shift: 1/3); the model's own handover flow
    # drains experience, so the scenario adds no events
    assert iv.events == () or list(iv.events) == []
    assert [(f.variable, f.path.value(0)) for f in iv.forcings] == [("staff_rotation", 0.33)]
    iv = load_scenario("emergency-ready").interventions(MODEL)
    assert [(k.cause, k.effect, k.weight) for k in iv.added_links] == [
        ("collaboration", "responsiveness", 0.3)
    ]
    assert iv.overrides == {"tau:responsiveness": 0.5}


def test_gmsim_scenarios_lists_the_library(capsys):
    assert cli(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in gmsim.list_scenarios():
        assert re.search(rf"^  {re.escape(name)} +\S", out, re.MULTILINE), name
    assert load_scenario("attention-shift").description[:60] in " ".join(out.split())


def test_gmsim_scenarios_shows_and_checks_one(capsys, tmp_path):
    assert cli(["scenarios", "hacker-attack"]) == 0
    out = capsys.readouterr().out
    assert "multiply public_trust by 0.8 at month 12" in out
    assert "hold hacker_threat at 0.9 from month 12 to month 15" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[[interventions]]\nkind = "set"\ntarget = "fundng"\nvalue = 0.5\n')
    assert cli(["scenarios", str(bad)]) == 2
    assert "did you mean 'funding'" in capsys.readouterr().err


def test_gmsim_run_with_a_scenario_writes_its_trajectories(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["run", "--scenario", "attention-shift", "--out", str(out)]) == 0
    assert "scenario: attention-shift" in capsys.readouterr().out
    written = pd.read_csv(out / "trajectories.csv")
    expected = gmsim.simulate(MODEL, scenario="attention-shift").to_frame()
    np.testing.assert_allclose(written["funding"], expected["funding"], rtol=1e-12)
    assert (out / "effectiveness.png").stat().st_size > 0


def test_gmsim_run_takes_a_scenario_file(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text(
        '[scenario]\nname = "mine"\n[[interventions]]\nkind = "step"\ntarget = "guidelines"\nat = 2\nvalue = 0.9\n'
    )
    out = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gmsim",
            "run",
            "--scenario",
            str(path),
            "--stop",
            "12",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(out / "trajectories.csv").set_index("time")
    assert written.loc[1.875, "guidelines"] == 0.3 and written.loc[2.0, "guidelines"] == 0.9


def test_the_example_script_runs_and_a_shorter_programme_does_less(capsys):
    from gmsim.models.scenarios import example

    table = example.main(stop=36).set_index(["scenario", "variable"])["difference"]
    assert "training-year" in capsys.readouterr().out
    year, always = table["training-year", "effectiveness"], table["training-program", "effectiveness"]
    assert 0 < year < always
    assert table["posts-and-training-year", "effectiveness"] > year


@pytest.mark.parametrize("module", ["gmsim.scenario", "gmsim.analysis.comparison"])
def test_the_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
