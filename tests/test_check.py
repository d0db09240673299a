"""`gmsim.check` and `gmsim check`: the claims of a model file, their exit codes and bad inputs;
the generated extreme-condition tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gmsim
from gmsim.analysis.claims import CheckReport
from gmsim.cli import main as cli
from gmsim.errors import GmsimError

MODEL = """
[model]
name = "tiny"

[simulation]
stop = 24
dt = 0.125

[factors.driver]
group = "external_enabler"
kind = "exogenous"
initial = 0.5

[factors.barrier]
group = "external_barrier"
kind = "exogenous"
initial = 0.3

[factors.mid]
group = "process"
initial = 0.5
tau = 2

[factors.out]
group = "outcome"
initial = 0.5
tau = 4

[[links]]
from = "driver"
to = "mid"
weight = {sign}0.8

[[links]]
from = "barrier"
to = "mid"
weight = -0.5

[[links]]
from = "mid"
to = "out"
weight = 0.8
"""

BOOST = """
[scenario]
name = "boost"

[[interventions]]
kind = "step"
target = "driver"
at = 6
value = 0.9
"""

CLAIMS = """
[[checks]]
name = "boost-raises-out"
scenario = "boost.toml"
variable = "out"
expect = "higher"
by = 0.01
at = 24
source = "1.1"
quote = "More drive, more outcome."

[[checks]]
name = "baseline-rests"
variable = "out"
against = 0.5
expect = "near"
by = 0.001
over = [0, 24]
statistic = "all"

[[checks]]
name = "mid-moves-before-out"
variable = "mid"
expect = "precedes"
then = "out"

[[checks.interventions]]
kind = "pulse"
target = "driver"
at = 6
duration = 3
value = 0.9
"""

FAILING = """
[[checks]]
name = "boost-lowers-out"
scenario = "boost.toml"
variable = "out"
expect = "lower"
at = 24
"""


def write(tmp_path: Path, claims: str = CLAIMS, *, sign: str = "") -> Path:
    (tmp_path / "boost.toml").write_text(BOOST)
    path = tmp_path / "tiny.toml"
    path.write_text(MODEL.format(sign=sign) + claims)
    return path


def test_claims_of_each_kind_pass_and_report_their_numbers(tmp_path):
    report = gmsim.check(write(tmp_path))
    assert isinstance(report, CheckReport) and report.passed
    frame = report.to_frame().set_index("name")
    assert list(frame.index) == ["boost-raises-out", "baseline-rests", "mid-moves-before-out"]
    boost = frame.loc["boost-raises-out"]
    run = gmsim.simulate(gmsim.load_model(write(tmp_path)), scenario=tmp_path / "boost.toml")
    base = gmsim.simulate(gmsim.load_model(write(tmp_path)))
    assert boost["value"] == pytest.approx(run["out"][-1])
    assert boost["comparison"] == pytest.approx(base["out"][-1])
    assert boost["difference"] == pytest.approx(run["out"][-1] - base["out"][-1])
    assert (boost["source"], boost["quote"]) == ("1.1", "More drive, more outcome.")
    lead = frame.loc["mid-moves-before-out"]
    assert 6 <= lead["time_variable"] < lead["time_then"]


def test_gmsim_check_exits_0_when_all_hold_and_1_naming_a_failure(tmp_path, capsys):
    assert cli(["check", str(write(tmp_path))]) == 0
    assert "3 of 3 pass" in capsys.readouterr().out
    out = tmp_path / "out"
    assert cli(["check", str(write(tmp_path, CLAIMS + FAILING)), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "FAIL boost-lowers-out" in printed and "3 of 4 pass" in printed
    assert "boost-lowers-out: out is" in printed  # the failure with its numbers
    table = pd.read_csv(out / "checks.csv")
    assert list(table["passed"]) == [True, True, True, False]


@pytest.mark.parametrize(
    "claim, key, hint",
    [
        ('scenario = "baselin"', "scenario", "did you mean 'baseline'"),
        ('against = "bost.toml"', "against", "bost.toml"),
        ('against = "strt"', "against", "start"),
        ("at = 30", "at", "30"),
        ("over = [12, 40]", "over", "40"),
        ('variable = "outt"', "variable", "did you mean 'out'"),
    ],
)
def test_a_bad_claim_is_named_with_its_file_line_and_key_and_nothing_is_written(
    tmp_path, capsys, claim, key, hint
):
    fields = {"name": '"bad"', "variable": '"out"', "expect": '"higher"', "at": "12"}
    k, _, v = claim.partition(" = ")
    fields[k] = v
    if k == "over":
        fields.pop("at")
    body = "\n".join(f"{a} = {b}" for a, b in fields.items())
    path = write(tmp_path, CLAIMS + f"\n[[checks]]\n{body}\n")
    out = tmp_path / "out"
    assert cli(["check", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and key in err and hint in err
    lines = path.read_text().splitlines()
    line = max(n for n, text in enumerate(lines) if text == "[[checks]]") + 1
    assert any(f":{n}" in err for n in range(line, line + 6))
    assert not out.exists()


def test_extreme_tests_pass_on_a_sound_model_and_catch_an_enabler_with_the_wrong_sign(tmp_path):
    report = gmsim.check(write(tmp_path), extreme=True)
    extreme = report.to_frame().query("kind == 'extreme'")
    assert set(extreme["name"]) >= {
        "extreme-driver-at-0",
        "extreme-driver-at-1",
        "extreme-barrier-at-0",
        "extreme-barrier-at-1",
        "extreme-enablers-worst-out",
    }
    assert report.passed
    wrong = gmsim.check(write(tmp_path, "", sign="-"), extreme=True)
    failed = {r["name"]: r for r in wrong.failures}
    assert list(failed) == ["extreme-enablers-worst-out"]
    assert (
        failed["extreme-enablers-worst-out"]["value"]
        > failed["extreme-enablers-worst-out"]["comparison"]
    )
    assert "wrong sign" in wrong.table()


def test_a_model_without_claims_checks_nothing(tmp_path, capsys):
    assert cli(["check", str(write(tmp_path, ""))]) == 0
    assert "no checks" in capsys.readouterr().out
    with pytest.raises(GmsimError, match="factor model"):
        gmsim.check(object())


WINDOW = """
[scenario]
name = "weaker-drive"

[[links]]
from = "driver"
to = "mid"
weight = 0.2
start = 12
end = 24
"""


def windowed_system(model, scenario):
    """The factor system with parameter windows applied (see gmsim/factor/windows.py)."""
    from gmsim.factor.system import FactorSystem
    from gmsim.factor.windows import apply_windows

    class Windowed(FactorSystem):
        def parameters(self, batch=None):
            params = super().parameters(batch)
            params.windows = self.interventions.windows
            return params

        def during(self, params, start, end):
            return apply_windows(self, super().during(params, start, end), start)

    return Windowed(model, scenario.interventions(model))


def test_a_link_weight_changed_from_month_12_to_24_is_the_baseline_before_12(tmp_path):
    model = gmsim.load_model(write(tmp_path, ""))
    model = model.replace(simulation=model.simulation.__class__(stop=36, dt=0.125))
    (tmp_path / "window.toml").write_text(WINDOW)
    scenario = gmsim.load_scenario(tmp_path / "window.toml")
    assert scenario.describe() == ["set the weight of driver -> mid: 0.2 from month 12 to month 24"]
    iv = scenario.interventions(model)
    assert [(w.parameter, w.value, w.start, w.end) for w in iv.windows] == [
        ("weight:driver->mid", 0.2, 12.0, 24.0)
    ]
    assert iv.overrides == {}
    system = windowed_system(model, scenario)
    assert {12.0, 24.0} <= set(system.breakpoints(system.parameters()))
    run, base = gmsim.simulate(system), gmsim.simulate(model)
    before = run.time < 12
    assert (run["mid"][before] == base["mid"][before]).all()
    assert (run["out"][before] == base["out"][before]).all()
    inside = (run.time > 12) & (run.time <= 24)
    assert (run["mid"][inside] < base["mid"][inside]).all()  # a weaker push from the driver
    k = int(np.searchsorted(run.time, 24.0))
    assert run["mid"][-1] - base["mid"][-1] > run["mid"][k] - base["mid"][k]  # recovers after 24
    if type(model.compile()).during is not gmsim.System.during:  # wired into FactorSystem
        wired = gmsim.simulate(model, scenario=scenario)
        np.testing.assert_allclose(wired["mid"], run["mid"], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "extra, message",
    [
        ("start = 24\nend = 12", "must be after `start`"),
        ("start = 40", "outside the run"),
        ("start = 6\nadd = true", "a new link"),
    ],
)
def test_a_bad_link_window_is_named(tmp_path, extra, message):
    model = gmsim.load_model(write(tmp_path, ""))
    path = tmp_path / "bad.toml"
    from_to = 'from = "barrier"\nto = "out"\n' if "add" in extra else 'from = "driver"\nto = "mid"\n'
    path.write_text(f"[[links]]\n{from_to}weight = 0.2\n{extra}\n")
    with pytest.raises(gmsim.ScenarioError, match=message):
        gmsim.load_scenario(path).interventions(model)
