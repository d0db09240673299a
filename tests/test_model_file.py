"""Model files: loading, and one clear message for every kind of bad input."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from small_model import SMALL_MODEL

import gmsim
from gmsim.cli import main
from gmsim.errors import ModelError
from gmsim.factor.file import default_model_path
from gmsim.files.toml import locate

GOOD = SMALL_MODEL


def write(tmp_path: Path, text: str, name: str = "model.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_good_file_loads_into_the_model_it_describes(tmp_path):
    model = gmsim.load_model(write(tmp_path, GOOD))
    assert model.name == "small" and model.simulation.stop == 12 and model.simulation.dt == 0.25
    assert model.factor_ids == ("training", "staff_capability", "responsiveness", "effectiveness")
    assert model.factor("training").kind == "exogenous"
    assert model.link("staff_capability", "responsiveness").delay == 2
    assert dict(model.factor("effectiveness").of) == {"staff_capability": 1.0, "responsiveness": 2.0}


def test_a_composite_is_the_weighted_mean_of_its_parts(tmp_path):
    result = gmsim.simulate(write(tmp_path, GOOD), equilibrium=False)
    frame = result.to_frame()
    expected = (frame["staff_capability"] + 2 * frame["responsiveness"]) / 3
    assert (frame["effectiveness"] - expected).abs().max() < 1e-12


def test_the_default_model_ships_inside_the_package():
    path = default_model_path()
    assert path.is_file() and path.parent.name in ("models", "gmsim")
    assert gmsim.load_model().name.startswith("Government microblog effectiveness")


# (replace this, by that) in GOOD; the message must name the line and say what is wrong
BAD = {
    "syntax error": ('name = "small"', 'name = "small', r":2:.*TOML syntax error"),
    "unknown key": (
        "tau = 4",
        "tua = 4",
        r":16: factors\.staff_capability\.tua: unknown key \(did you mean 'tau'\?\)",
    ),
    "missing key": (
        'name = "small"',
        'title = "small"',
        r":2: model\.title: unknown key.*\n.*model\.name: missing required key",
    ),
    "missing initial": (
        "initial = 0.4\n",
        "",
        r"factors\.staff_capability\.initial: missing required key",
    ),
    "wrong type": (
        "weight = 0.6",
        'weight = "strong"',
        r":31: links\[1\].weight: expected a number, got 'strong'",
    ),
    "unknown factor": (
        'to = "staff_capability"',
        'to = "staff_capabilty"',
        r":30: links\[1\].to: unknown factor 'staff_capabilty' \(did you mean 'staff_capability'\?\)",
    ),
    "weight range": (
        "weight = 0.6",
        "weight = 1.6",
        r":31: links\[1\].weight: must be in \[-1, 1\], got 1\.6",
    ),
    "initial range": (
        "initial = 0.4",
        "initial = 1.4",
        r":15: factors\.staff_capability\.initial: must be in \[0, 1\], got 1\.4",
    ),
    "tau zero": (
        "tau = 4",
        "tau = 0",
        r":16: factors\.staff_capability\.tau: must be > 0 months, got 0",
    ),
    "non-finite": (
        "weight = 0.6",
        "weight = nan",
        r":31: links\[1\].weight: expected a finite number, got nan",
    ),
    "infinite tau": (
        "tau = 4",
        "tau = inf",
        r":16: factors\.staff_capability\.tau: expected a finite number, got inf",
    ),
    "self composite": (
        "of = { staff_capability = 1, responsiveness = 2 }",
        "of = { effectiveness = 1 }",
        r":26: factors\.effectiveness\.of\.effectiveness: a composite cannot refer to itself",
    ),
    "unknown group": (
        'group = "process"\ninitial = 0.4',
        'group = "proces"\ninitial = 0.4',
        r":14: factors\.staff_capability\.group: unknown group 'proces' \(did you mean 'process'\?\)",
    ),
    "link into exogenous": (
        'to = "staff_capability"',
        'to = "training"',
        r"'training' is exogenous and cannot be caused by a link",
    ),
    "stop before start": (
        "stop = 12",
        "stop = -1",
        r":5: simulation\.stop: must be after start \(0\.0\), got -1",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_model_files_get_one_clear_message_with_the_line(tmp_path, case, capsys):
    old, new, pattern = BAD[case]
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ModelError, match=pattern) as info:
        gmsim.load_model(path)
    assert str(path) in str(info.value)
    # the same through the command line: exit 2, the message, no traceback
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gmsim: error: ") and "Traceback" not in err
    assert str(path) in err


def test_duplicate_link_is_reported_at_the_second_one(tmp_path):
    text = GOOD + '\n[[links]]\nfrom = "training"\nto = "staff_capability"\nweight = 0.2\n'
    with pytest.raises(
        ModelError,
        match=r":39: links\[3\]: duplicate link 'training' -> 'staff_capability' \(also link 1\)",
    ):
        gmsim.load_model(write(tmp_path, text))


def test_composites_referring_to_each_other_in_a_circle(tmp_path):
    text = (
        GOOD.replace("of = { staff_capability = 1, responsiveness = 2 }", "of = { overall = 1 }")
        + '\n[factors.overall]\ngroup = "outcome"\nkind = "composite"\nof = { effectiveness = 1 }\n'
    )
    with pytest.raises(ModelError, match=r"composites refer to each other in a circle"):
        gmsim.load_model(write(tmp_path, text))


def test_an_empty_model_is_refused(tmp_path):
    with pytest.raises(ModelError, match=r"model\.toml:3: factors: the model has no factors"):
        gmsim.load_model(write(tmp_path, '[model]\nname = "empty"\n[factors]\n'))
    with pytest.raises(ModelError, match=r"factors: missing required key"):
        gmsim.load_model(write(tmp_path, '[model]\nname = "empty"\n'))


def test_every_problem_of_a_file_is_listed_at_once(tmp_path):
    text = (
        GOOD.replace("tau = 4", "tau = -1")
        .replace("weight = 0.6", "weight = 3")
        .replace("tau = 1\n", "tua = 1\n")
    )
    with pytest.raises(ModelError) as info:
        gmsim.load_model(write(tmp_path, text))
    found = "\n".join(info.value.problems)
    assert len(info.value.problems) == 4, found
    for expected in (
        "factors.responsiveness.tua: unknown key (did you mean 'tau'?)",
        "factors.responsiveness.tau: missing required key",
        "factors.staff_capability.tau: must be > 0 months, got -1",
        "links[1].weight: must be in [-1, 1], got 3",
    ):
        assert expected in found


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelError, match=r"no such file"):
        gmsim.load_model(tmp_path / "nope.toml")
    with pytest.raises(ModelError, match=r"is a folder"):
        gmsim.load_model(tmp_path)


def test_validate_prints_ok_for_a_good_file(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, GOOD))]) == 0
    assert "ok (4 factors, 2 links)" in capsys.readouterr().out


def test_the_command_line_never_shows_a_traceback(tmp_path):
    path = write(tmp_path, GOOD.replace("weight = 0.6", "weight = 9"))
    proc = subprocess.run(
        [sys.executable, "-m", "gmsim", "validate", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "links[1].weight: must be in [-1, 1], got 9" in proc.stderr


def test_locate_finds_keys_in_tables_and_arrays_of_tables():
    text = '[model]\nname = "x"\n\n[factors.a]\ngroup = "process"\ntau = 2\n[[links]]\nfrom = "a"\n[[links]]\nweight = 2\n'
    assert locate(text, ("factors", "a", "tau")) == 6
    assert locate(text, ("links", 1, "weight")) == 10
    assert locate(text, ("links", 0)) == 7
    assert locate(text, ("factors", "a")) == 4
