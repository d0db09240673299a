"""Every bad input of `gmsim calibrate` and `gmsim elicit`: one clear line, exit 2, nothing written."""

from __future__ import annotations

import numpy as np
import pytest
from evidence_material import truth_levels, write_tiny

from gmsim.cli import main

GOOD = "month,a\n0,0.40\n1,0.41\n2,0.43\n3,0.47\n4,0.50\n5,0.52\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    model, scenario = write_tiny(folder)
    return folder, model, scenario


def _fails(capsys, argv, *words):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    for word in words:
        assert word in err[0], err[0]
    return err[0]


CASES = {
    "column no factor": ("month,aa\n0,0.4\n1,0.5\n", [], ["`aa` is no variable", "did you mean 'a'"]),
    "non-numeric cell": ("month,a\n0,0.4\n1,high\n", [], [":3:", "'high'", "not a number"]),
    "times outside the horizon": (
        "month,a\n0,0.4\n30,0.5\n",
        [],
        ["30 is outside the run", "--stop 30"],
    ),
    "no overlap": ("month,a\n100,0.4\n130,0.5\n", [], ["do not overlap"]),
    "time out of order": ("month,a\n0,0.4\n2,0.5\n1,0.5\n", [], [":4:", "sort the rows"]),
    "time repeated": ("month,a\n0,0.4\n1,0.5\n1,0.6\n", [], [":4:", "repeated"]),
    "parameter that does not exist": (GOOD, ["--fit", "tau:aa"], ["tau:aa", "did you mean 'tau:a'"]),
    "more parameters than observations": (
        "month,a\n0,0.4\n1,0.5\n",
        ["--fit", "tau:a", "--fit", "tau:b"],
        ["2 observed points", "more points than parameters"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_data_and_fits(tiny, tmp_path, capsys, case):
    _folder, model, scenario = tiny
    text, extra, words = CASES[case]
    data = tmp_path / "agency.csv"
    data.write_text(text)
    out = tmp_path / "out"
    fit = extra or ["--fit", "weight:drive->a"]
    _fails(capsys, ["calibrate", str(model), "--data", str(data), *fit, "--scenario", str(scenario),
                    "--out", str(out)], *words)  # fmt: skip
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.csv"]


def test_a_missing_data_file(tiny, tmp_path, capsys):
    _, model, _ = tiny
    _fails(capsys, ["calibrate", str(model), "--data", str(tmp_path / "no.csv"), "--fit", "tau:a",
                    "--out", str(tmp_path / "out")], "no such data file")  # fmt: skip
    assert not (tmp_path / "out").exists()


RATINGS = {
    "unknown verbal term": ("ann,drive,a,+stong\n", ["'+stong'", "did you mean '+strong'"]),
    "a link the model lacks": ("ann,drive,b,+weak\n", ["no link drive->b"]),
    "an expert who rates one link twice": ("ann,drive,a,+weak\nann,drive,a,+strong\n", [":3:", "twice"]),
    "a number outside [-1, 1]": ("ann,drive,a,1.5\n", ["outside [-1, 1]"]),
}


@pytest.mark.parametrize("case", RATINGS)
def test_bad_ratings(tiny, tmp_path, capsys, case):
    _, model, _ = tiny
    rows, words = RATINGS[case]
    sheet = tmp_path / "ratings.csv"
    sheet.write_text("expert,from,to,rating\n" + rows)
    out = tmp_path / "out"
    _fails(capsys, ["elicit", str(sheet), "--model", str(model), "--out", str(out)], *words)
    assert not out.exists()


def test_a_table_driver_whose_file_or_column_does_not_exist(tiny, tmp_path, capsys):
    _folder, model, _ = tiny
    (tmp_path / "drive.csv").write_text("month,level\n0,0.4\n12,0.8\n")
    for file, column, word in (("none.csv", "level", "none.csv"), ("drive.csv", "levl", "levl")):
        scenario = tmp_path / "table.toml"
        scenario.write_text(
            f'[scenario]\nname = "t"\n[[interventions]]\nkind = "table"\ntarget = "drive"\n'
            f'file = "{file}"\ncolumn = "{column}"\n'
        )
        _fails(
            capsys,
            ["run", str(model), "--scenario", str(scenario), "--out", str(tmp_path / "out")],
            word,
        )
        assert not (tmp_path / "out").exists()


def test_a_table_driver_reads_its_file(tiny, tmp_path):
    import gmsim

    _, model, _ = tiny
    (tmp_path / "drive.csv").write_text("month,level\n0,0.4\n12,0.8\n24,0.8\n")
    scenario = tmp_path / "table.toml"
    scenario.write_text(
        '[scenario]\nname = "t"\n[[interventions]]\nkind = "table"\ntarget = "drive"\n'
        'file = "drive.csv"\ncolumn = "level"\n'
    )
    run = gmsim.simulate(model, scenario=scenario)
    assert float(run.at(6)["drive"]) == pytest.approx(0.6)
    assert np.isfinite(truth_levels(model, scenario, np.arange(3.0))["a"]).all()
