"""Known answers of `gmsim calibrate`: data made from known parameters are recovered within their
intervals, the 95 % intervals cover the truth about 95 % of the time, and the outputs keep the model file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from evidence_material import TRUTH, truth_levels, write_data, write_tiny

from gmsim.cli import main
from gmsim.evidence.calibrate import calibrate
from gmsim.evidence.data import Observation, ObservedData
from gmsim.simulation.simulate import as_system

TIMES = np.arange(0, 25.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    model, scenario = write_tiny(folder)
    return folder, model, scenario, truth_levels(model, scenario, TIMES)


def test_known_parameters_are_recovered_within_their_intervals(tiny):
    folder, model, scenario, levels = tiny
    rng = np.random.default_rng(12)
    a = levels["a"] + rng.normal(0, 0.01, TIMES.size)
    followers = 1000 * levels["b"] + 200 + rng.normal(0, 8, TIMES.size)
    path = write_data(folder / "agency.csv", TIMES, {"a": a, "followers": followers})
    fit = calibrate(
        model, path, list(TRUTH), scenario=scenario, observe=["followers=b,scale=1000,offset=fit"]
    )
    for name, value in TRUTH.items():
        low, high = fit.interval(name)
        assert low <= value <= high, (name, low, high)
        assert abs(fit.estimate(name) - value) < 0.25 * abs(value)
    assert low < fit.estimate(name) < high
    assert abs(fit.estimate("offset:followers") - 200) < 20


def test_the_intervals_cover_the_truth_about_95_percent_of_the_time(tiny):
    _, model, scenario, levels = tiny
    system = as_system(model, scenario=scenario)[0]
    names = ["weight:drive->a", "tau:a"]
    seeds = 40
    hits = np.zeros(len(names))
    for seed in range(seeds):  # each fit runs its finite differences as one batch
        y = levels["a"] + np.random.default_rng(seed).normal(0, 0.01, TIMES.size)
        data = ObservedData(TIMES, y[:, None], ("a",), (Observation("a", "a"),))
        fit = calibrate(system, data, names, starts=1, screen=0, dt=0.5)
        hits += [fit.interval(n)[0] <= TRUTH[n] <= fit.interval(n)[1] for n in names]
    coverage = hits / seeds
    assert ((coverage >= 0.85) & (coverage <= 1.0)).all(), coverage


def test_parameters_the_data_cannot_pin_are_named(tiny):
    folder, model, scenario, levels = tiny
    # only `a` is observed: the link a -> b and tau of b leave no trace in the data
    path = write_data(folder / "only_a.csv", TIMES, {"a": levels["a"] + 0.001 * np.sin(TIMES)})
    fit = calibrate(model, path, ["weight:drive->a", "weight:a->b"], scenario=scenario)
    assert "weight:a->b" in fit.unpinned
    assert "weight:drive->a" not in fit.unpinned
    assert "not pinned by the data: weight:a->b" in fit.summary()


def test_the_command_writes_every_output_and_keeps_the_model_file(tiny, tmp_path, capsys):
    _, model, scenario, levels = tiny
    rng = np.random.default_rng(5)
    values = levels["a"] + rng.normal(0, 0.01, TIMES.size)
    values[[3, 7]] = np.nan  # missing months
    path = write_data(tmp_path / "agency.csv", TIMES, {"a": values})
    out = tmp_path / "out"
    code = main(["calibrate", str(model), "--data", str(path), "--fit", "weight:drive->a", "--fit", "tau:a",
                 "--scenario", str(scenario), "--out", str(out)])  # fmt: skip
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"calibrated.toml", "estimates.csv", "fit.png", "residuals.png", "residuals.csv",
            "manifest.json", "correlations.csv"} <= names  # fmt: skip
    table = pd.read_csv(out / "estimates.csv")
    assert list(table.columns[:4]) == ["parameter", "estimate", "low", "high"]
    assert {"std_error", "start"} <= set(table.columns)
    old = model.read_text().splitlines()
    new = (out / "calibrated.toml").read_text().splitlines()
    kept = [line for line in new if not line.startswith(("# calibrated", "weight =", "tau ="))]
    assert kept == [line for line in old if not line.startswith(("weight =", "tau ="))]
    assert "weight = 0.6" in new and any(line.endswith("# moderate") for line in new if "weight" in line)
    assert sum(line.startswith("# calibrated to agency.csv") for line in new) == 2
    import gmsim

    refit = gmsim.load_model(out / "calibrated.toml")
    est = dict(zip(table["parameter"], table["estimate"], strict=True))
    assert refit.factor("a").tau == pytest.approx(est["tau:a"], rel=1e-5)
    info = json.loads((out / "manifest.json").read_text())
    assert info["data"]["sha256"] and info["fit"] == ["weight:drive->a", "tau:a"]
    assert "calibrated 2 parameters" in capsys.readouterr().out
