"""`gmsim run`, `show` and `validate` end to end, and their bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest

import gmsim
from gmsim.cli import main


def test_run_writes_trajectories_and_plots(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--stop", "12", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "effectiveness.png",
        "overview.png",
        "trajectories.csv",
    ]
    frame = pd.read_csv(out / "trajectories.csv")
    model = gmsim.load_model()
    assert list(frame.columns) == ["time", *model.factor_ids]
    assert frame["time"].iloc[0] == 0 and frame["time"].iloc[-1] == 12 and len(frame) == 97
    expected = gmsim.simulate(model, stop=12).to_frame()
    assert (frame.set_index("time") - expected).abs().to_numpy().max() < 1e-12
    for png in ("effectiveness.png", "overview.png"):
        image = mpimg.imread(out / png)
        assert image.shape[0] > 200 and image.shape[1] > 300 and image.std() > 0.01
    printed = capsys.readouterr().out
    assert "effectiveness" in printed and "scenario: baseline" in printed and "months 0-12" in printed


@pytest.mark.parametrize("method", ["euler", "rk4", "rk45", "lsoda"])
def test_run_accepts_each_method(tmp_path, method):
    assert (
        main(["run", "--stop", "3", "--method", method, "--dt", "0.25", "--out", str(tmp_path / method)])
        == 0
    )


def test_run_on_a_model_file(tmp_path):
    source = gmsim.default_model_path().read_text(encoding="utf-8")
    path = tmp_path / "mine.toml"
    path.write_text(source.replace("equilibrium = true", "equilibrium = false"), encoding="utf-8")
    assert main(["run", str(path), "--stop", "6", "--out", str(tmp_path / "o")]) == 0
    frame = pd.read_csv(tmp_path / "o" / "trajectories.csv")
    assert (frame.iloc[-1, 1:] - frame.iloc[0, 1:]).abs().max() > 0.01  # not at rest without equilibrium


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stop", "0"], "`stop` (month 0) must be after `start` (month 0)"),
        (["--stop", "-5"], "`stop` (month -5) must be after `start` (month 0)"),
        (["--dt", "0"], "--dt must be > 0"),
        (["--stop", "nan"], "--stop must be a finite number"),
        (["--dt", "10"], "`dt` = 10 is too long"),
    ],
)
def test_run_bad_options_exit_2_and_write_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert main(["run", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder left behind either


def test_run_to_an_unwritable_place_exits_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["run", "--stop", "1", "--out", str(blocker)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["run", "--stop", "1", "--out", str(blocker / "sub")]) == 2
    assert "a-file is a file, not a folder" in capsys.readouterr().err
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_run_into_a_read_only_folder_exits_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["run", "--stop", "1", "--out", str(locked / "out")]) == 2
        assert "permission denied" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_a_failing_run_leaves_an_existing_output_folder_untouched(tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--stop", "2", "--out", str(out)]) == 0
    before = (out / "trajectories.csv").read_bytes()
    assert main(["run", "--stop", "-1", "--out", str(out)]) == 2
    assert (out / "trajectories.csv").read_bytes() == before


def test_show_lists_factors_by_group_and_links(capsys):
    assert main(["show"]) == 0
    printed = capsys.readouterr().out
    model = gmsim.load_model()
    for fid in model.factor_ids:
        assert fid in printed
    assert f"Factors ({len(model.factors)})" in printed and f"Links ({len(model.links)})" in printed
    assert (
        printed.index("external_enabler") < printed.index("internal_barrier") < printed.index("outcome")
    )


def test_console_script_runs_the_default_model(tmp_path):
    """The default model's baseline is the launch: the command names the factors that moved
    most, the same ones the function's run shows; a copy started at the reference rests."""
    proc = subprocess.run(
        [sys.executable, "-m", "gmsim", "run", "--stop", "2", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    run = gmsim.simulate(gmsim.load_model(), stop=2).to_frame()
    moved = (run.iloc[-1] - run.iloc[0]).abs().sort_values(ascending=False)
    assert f"largest changes: {moved.index[0]} " in proc.stdout

    text = Path(gmsim.load_model().path).read_text(encoding="utf-8")
    assert text.count("\nequilibrium = false") == 1
    rest = tmp_path / "at_rest.toml"
    rest.write_text(text.replace("\nequilibrium = false", "\nequilibrium = true"), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "gmsim", "run", str(rest), "--stop", "2", "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "largest changes: none (the run is at rest)" in proc.stdout


def test_version_and_help():
    proc = subprocess.run([sys.executable, "-m", "gmsim", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for command in ("run", "validate", "show"):
        assert command in proc.stdout
