"""`gmsim report --data FILE --calibration DIR`: the observed points beside the runs, and the fit."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest
from evidence_material import truth_levels, write_data, write_tiny

import gmsim
from gmsim.cli import main
from gmsim.evidence.overlay import comparison_levels
from gmsim.report.evidence import observed_figure, read_calibration

TIMES = np.arange(0, 25.0)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The tiny model, its step scenario, a data file of `a` alone and the calibration made from it."""
    folder = tmp_path_factory.mktemp("report-evidence")
    model, scenario = write_tiny(folder)
    levels = truth_levels(model, scenario, TIMES)
    rng = np.random.default_rng(3)
    data = write_data(folder / "agency.csv", TIMES, {"a": levels["a"] + rng.normal(0, 0.01, TIMES.size)})
    fit = folder / "fit"
    # only `a` is observed: the weight a -> b leaves no trace in the data
    argv = ["calibrate", str(model), "--data", str(data), "--fit", "weight:drive->a",
            "--fit", "weight:a->b", "--scenario", str(scenario), "--out", str(fit)]  # fmt: skip
    assert main(argv) == 0
    out = folder / "report.html"
    argv = ["report", str(model), "--scenario", str(scenario), "--data", str(data),
            "--calibration", str(fit), "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    return folder, model, scenario, data, fit, out.read_text(encoding="utf-8")


def _section(text: str) -> str:
    start = text.index('<h2 id="evidence">')
    return text[start : text.index("<footer", start)]


def test_the_report_has_a_section_with_the_data_and_the_fit(made):
    *_, fit, text = made
    section = _section(text)
    assert '<a href="#evidence">5. Observed data and the fit</a>' in text
    assert "agency.csv" in section and "25 observed values" in section
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', section)
    assert [alt for _, alt in images] == [
        "Observed points of agency.csv beside the model&#x27;s runs",
        "The calibrated model against agency.csv, one panel per series",
    ]
    assert base64.b64decode(images[1][0]) == (fit / "fit.png").read_bytes()  # fit.png, embedded as it is


def test_the_estimates_table_has_the_intervals_and_names_what_the_data_cannot_pin(made):
    _, _, _, _, fit, text = made
    section = _section(text)
    estimates = pd.read_csv(fit / "estimates.csv").set_index("parameter")
    low, high = estimates.loc["weight:drive->a", ["low", "high"]]
    assert f"{low:.4g} – {high:.4g}" in section
    assert not estimates.loc["weight:a->b", "pinned"]
    named = re.search(r"What the data cannot pin.*?</ul>", section, re.S).group(0)
    assert "<code>weight:a-&gt;b</code>" in named and "weight:drive-&gt;a" not in named
    assert read_calibration(fit).unpinned.keys() == {"weight:a->b"}


def test_the_points_are_drawn_in_the_panel_of_their_factor(made):
    _, model, scenario, data, _, _ = made
    frame = gmsim.compare(model, [scenario], baseline="baseline")
    fig, drawn = observed_figure(frame, comparison_levels(frame, data))
    assert drawn == ["a"]
    (ax,) = [ax for ax in fig.axes if ax.get_visible()]
    assert ax.get_title() == "A"
    (points,) = [line for line in ax.get_lines() if line.get_label() == "observed"]
    observed = pd.read_csv(data)
    assert list(points.get_xdata()) == list(observed["month"])
    assert np.allclose(points.get_ydata(), observed["a"])


BAD = {
    "a column that is no factor": (
        "month,aa\n0,0.4\n1,0.5\n",
        [],
        ["`aa` is no variable", "did you mean 'a'"],
    ),
    "a non-numeric cell": ("month,a\n0,0.4\n1,high\n", [], [":3:", "'high'", "not a number"]),
    "no overlap with the run": ("month,a\n100,0.4\n130,0.5\n", [], ["do not overlap"]),
    "times out of order": ("month,a\n0,0.4\n2,0.5\n1,0.5\n", [], [":4:", "sort the rows"]),
    "a mapped column the file lacks": (
        "month,a\n0,0.4\n",
        ["--observe", "fans=a"],
        ["no column `fans`"],
    ),
    "a folder that is no calibration": (
        "month,a\n0,0.4\n",
        ["--calibration", "."],
        ["no estimates.csv"],
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_data_or_calibration(made, tmp_path, monkeypatch, capsys, case):
    _, model, scenario, *_ = made
    text, extra, words = BAD[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.csv").write_text(text)
    out = tmp_path / "report.html"
    argv = ["report", str(model), "--scenario", str(scenario), "--data", "bad.csv", *extra]
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    for word in words:
        assert word in err[0], err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no report, not even a part


def test_observe_needs_a_data_file(made, tmp_path, capsys):
    _, model, scenario, *_ = made
    argv = ["report", str(model), "--scenario", str(scenario), "--observe", "fans=a"]
    assert main([*argv, "--out", str(tmp_path / "r.html")]) == 2
    assert "give the file as `data` (--data)" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
