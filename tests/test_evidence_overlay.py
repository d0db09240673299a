"""`gmsim run --data` and `gmsim compare --data`: observed points on the figures, and bad data files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import gmsim
from gmsim.cli import main

DATA = "month,effectiveness,funding,followers\n0,0.21,0.30,0.06\n6,0.30,,0.20\n12,0.36,0.31,0.33\n"
RUN = ["--stop", "12", "--dt", "0.25"]


@pytest.fixture
def saved(monkeypatch):
    """Each figure the command saves: file name -> {(axes title, line label): (x, y)} of the observed points."""
    drawn: dict[str, dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]] = {}
    original = Figure.savefig

    def savefig(fig, fname, *args, **kwargs):
        points = {}
        for ax in fig.axes:
            for line in ax.get_lines():
                if "observed" in line.get_label():
                    points[ax.get_title(), line.get_label()] = (
                        np.asarray(line.get_xdata(), float),
                        np.asarray(line.get_ydata(), float),
                    )
        drawn[Path(str(fname)).name] = points
        return original(fig, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return drawn


def test_run_draws_the_observed_points_on_its_figures(tmp_path, capsys, saved):
    data = tmp_path / "agency.csv"
    data.write_text(DATA)
    out = tmp_path / "out"
    assert main(["run", *RUN, "--data", str(data), "--variable", "funding", "--out", str(out)]) == 0
    assert {"effectiveness.png", "overview.png", "variables.png"} <= {p.name for p in out.iterdir()}
    x, y = saved["effectiveness.png"]["Effectiveness - baseline", "Effectiveness (observed)"]
    assert list(x) == [0, 6, 12] and list(y) == [0.21, 0.30, 0.36]
    (x, y), *others = saved["variables.png"].values()
    assert list(x) == [0, 12] and list(y) == [0.30, 0.31] and not others  # the empty cell is left out
    overview = saved["overview.png"]
    assert list(overview[("Outcomes", "Followers (observed)")][1]) == [0.06, 0.20, 0.33]
    assert ("Outcomes", "Effectiveness (observed)") in overview
    assert any(label == "Secured funding (observed)" for _, label in overview)
    printed = capsys.readouterr().out
    assert f"observed: {data}, 3 series drawn (effectiveness, funding, followers)" in printed


def test_a_mapped_series_is_drawn_on_its_factors_scale(tmp_path, saved):
    data = tmp_path / "agency.csv"
    data.write_text("month,fans\n0,1600\n6,3000\n12,4300\n")
    out = tmp_path / "out"
    argv = ["run", *RUN, "--data", str(data), "--observe", "fans=followers,scale=10000,offset=1000"]
    assert main([*argv, "--out", str(out)]) == 0
    _, y = saved["overview.png"]["Outcomes", "Followers (observed)"]
    assert y == pytest.approx([0.06, 0.2, 0.33])


def test_compare_draws_the_points_in_the_panel_of_their_variable(tmp_path, capsys, saved):
    data = tmp_path / "agency.csv"
    data.write_text(DATA)
    out = tmp_path / "out"
    argv = ["compare", *RUN, "--scenario", "attention-boost", "--data", str(data), "--out", str(out)]
    assert main(argv) == 0
    panels = saved["comparison.png"]
    assert list(panels) == [("Effectiveness", "observed")]
    assert list(panels["Effectiveness", "observed"][1]) == [0.21, 0.30, 0.36]
    printed = capsys.readouterr().out
    assert "1 series drawn (effectiveness); not on the figures: funding, followers" in printed
    assert "--variable" in printed


def test_the_api_draws_on_any_figure_of_a_run(tmp_path):
    from gmsim.evidence.overlay import overlay_run, run_levels
    from gmsim.plot.results import plot_effectiveness

    data = tmp_path / "agency.csv"
    data.write_text("month,effectiveness\n0,0.2\n12,0.4\n")
    result = gmsim.simulate(stop=12, dt=0.25)
    ax = plot_effectiveness(result)
    assert overlay_run([ax.figure], result, run_levels(result, data)) == ["effectiveness"]
    assert "Effectiveness (observed)" in [line.get_label() for line in ax.get_lines()]


BAD = {
    "a column that is no factor": (
        "month,fundng\n0,0.3\n6,0.31\n",
        ["`fundng` is no variable", "did you mean 'funding'"],
    ),
    "a non-numeric cell": ("month,funding\n0,0.3\n6,n/a\n", [":3:", "'n/a'", "not a number"]),
    "no overlap with the run": ("month,funding\n100,0.3\n106,0.31\n", ["do not overlap"]),
    "times outside the run": ("month,funding\n0,0.3\n30,0.31\n", ["outside the run", "--stop 30"]),
    "times out of order": ("month,funding\n0,0.3\n6,0.31\n3,0.3\n", [":4:", "sort the rows"]),
    "a repeated time": ("month,funding\n0,0.3\n6,0.31\n6,0.32\n", [":4:", "repeated"]),
}


@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize("case", BAD)
def test_bad_data_files(tmp_path, capsys, command, case):
    text, words = BAD[case]
    data = tmp_path / "agency.csv"
    data.write_text(text)
    out = tmp_path / "out"
    extra = ["--scenario", "attention-boost"] if command == "compare" else []
    code = main([command, *RUN, *extra, "--data", str(data), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    for word in words:
        assert word in err[0], err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.csv"]  # nothing half-written


def test_observe_needs_a_data_file(tmp_path, capsys):
    code = main(["run", *RUN, "--observe", "fans=followers", "--out", str(tmp_path / "out")])
    assert code == 2
    assert "give the file with --data" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
