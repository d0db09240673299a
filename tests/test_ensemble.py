"""Monte Carlo ensembles: streamed bands against exact answers, failures kept apart, metrics, CLI."""

from __future__ import annotations

import dataclasses
import doctest
import hashlib
import importlib
import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from uncertainty_systems import Decay

import gmsim
from gmsim.cli import main
from gmsim.errors import GmsimError, SimulationError
from gmsim.uncertainty.metric import Metric, MetricError, parse_metrics
from gmsim.uncertainty.montecarlo import monte_carlo
from gmsim.uncertainty.spec import Distribution, SpecError, Uncertain, UncertaintySpec
from gmsim.uncertainty.streaming import Edges, StreamedStats, summarize

A, B = 0.5, 1.5  # rate of the decay system, uniform on [A, B]
RATE = UncertaintySpec(
    (Uncertain(Distribution("uniform", low=A, high=B), parameters=("rate:x",)),), seed=42
)


def exact_quantile(q: float, t: float) -> float:
    """x(t) = exp(-rate·t) falls with the rate: its q-quantile is at the rate's (1-q)-quantile."""
    return float(np.exp(-(A + (1 - q) * (B - A)) * t))


def exact_mean(t: float) -> float:
    return float((np.exp(-A * t) - np.exp(-B * t)) / ((B - A) * t))


# -- streamed reductions against exact answers ------------------------------------------------------
@pytest.fixture(scope="module")
def decay_runs():
    """30,000 decay runs in chunks of 4096, trajectories kept to check the streamed numbers."""
    return monte_carlo(
        Decay(), RATE, runs=30_000, chunk_size=4096, metrics=["x"], keep_trajectories=True
    )


def test_streamed_percentiles_match_the_exact_distribution(decay_runs):
    band = decay_runs.band("x")
    n = 30_000
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        x = exact_quantile(q, 2.0)
        # a sample quantile's sd is sqrt(q(1-q)/n) / density; x = exp(-2 rate) has density 1/(2x)
        sd = np.sqrt(q * (1 - q) / n) * 2 * x
        assert band[f"p{q * 100:g}"].iloc[-1] == pytest.approx(x, abs=4 * sd + 1e-3)
    sd_mean = np.sqrt(
        (np.exp(-4 * A) - np.exp(-4 * B)) / (4 * (B - A)) - exact_mean(2.0) ** 2
    ) / np.sqrt(n)
    assert band["mean"].iloc[-1] == pytest.approx(exact_mean(2.0), abs=4 * sd_mean)
    assert not decay_runs.settings["exact_percentiles"]


def test_streamed_statistics_agree_with_the_kept_trajectories(decay_runs):
    x = decay_runs.trajectories["baseline"]["x"]  # (runs, time)
    band = decay_runs.band("x")
    assert band["mean"].to_numpy() == pytest.approx(x.mean(axis=0), rel=1e-12, abs=1e-15)
    assert band["sd"].to_numpy() == pytest.approx(x.std(axis=0, ddof=1), rel=1e-9, abs=1e-15)
    assert np.array_equal(band["min"], x.min(axis=0)) and np.array_equal(band["max"], x.max(axis=0))
    width = 1.2 * (x.max(axis=0) - x.min(axis=0)) / 254  # at most one bin, by construction
    for q in (5, 25, 50, 75, 95):
        exact = np.percentile(x, q, axis=0)
        assert (np.abs(band[f"p{q}"].to_numpy() - exact) <= width + 1e-12).all()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 300),
    cuts=st.lists(st.floats(0.0, 1.0), max_size=6),
    scale=st.sampled_from([1e-6, 1.0, 1e3]),
    seed=st.integers(0, 2**16),
)
def test_merging_chunks_gives_the_statistics_of_all_runs_at_once(n, cuts, scale, seed):
    values = np.random.default_rng(seed).normal(0.5, scale, size=(n, 3, 2))
    bounds = sorted({0, n, *(int(c * n) for c in cuts)})
    edges = Edges.from_pilot(values[: bounds[1]])
    stats = StreamedStats(edges)
    for a, b in itertools.pairwise(bounds):
        stats.add(summarize(values[a:b], edges))
    assert stats.n == n
    assert np.allclose(stats.mean, values.mean(axis=0), rtol=1e-12, atol=1e-12 * scale)
    assert np.allclose(stats.sd, values.std(axis=0, ddof=1), rtol=1e-9, atol=1e-12 * scale)
    assert np.array_equal(stats.low, values.min(axis=0)) and np.array_equal(
        stats.high, values.max(axis=0)
    )
    assert (stats.counts.sum(axis=-1) == n).all()
    p = stats.percentiles([5, 50, 95])
    assert (p >= stats.low).all() and (p <= stats.high).all() and (np.diff(p, axis=0) >= 0).all()


def test_one_chunk_gives_exact_percentiles():
    mc = monte_carlo(Decay(), RATE, runs=500, metrics=["x"], keep_trajectories=True)
    x = mc.trajectories["baseline"]["x"]
    assert mc.settings["exact_percentiles"]
    for q in (5, 50, 95):
        assert np.array_equal(mc.band("x")[f"p{q}"].to_numpy(), np.percentile(x, q, axis=0))


def test_each_sample_gives_the_same_run_whatever_the_chunk_size():
    small = monte_carlo(Decay(), RATE, runs=3000, chunk_size=700, metrics=["x", "mean(x)"])
    large = monte_carlo(Decay(), RATE, runs=3000, chunk_size=5000, metrics=["x", "mean(x)"])
    assert np.array_equal(small.metric_values["baseline"], large.metric_values["baseline"])
    rates = small.samples()["rate:x"].to_numpy()
    assert small.metric_values["baseline"][:, 0] == pytest.approx(
        np.exp(-2 * rates), rel=1e-5
    )  # RK4 at dt = 0.05


def test_memory_holds_no_trajectories_unless_asked():
    mc = monte_carlo(Decay(), RATE, runs=5000, chunk_size=1000, metrics=["x"])
    assert mc.trajectories is None
    assert mc.bands["baseline"].shape == (5, len(mc.time), 2)
    assert mc.metric_values["baseline"].shape == (5000, 1)


# -- failures ------------------------------------------------------------------------------------------
FRAGILE = UncertaintySpec(
    (Uncertain(Distribution("uniform", low=0.0, high=1.002), parameters=("rate:x",)),), seed=7
)


@pytest.mark.parametrize("chunk", [512, 2048])  # 2048: the integrator splits it among threads
def test_a_run_that_turns_nan_is_reported_with_its_parameters_and_the_rest_kept(chunk):
    mc = monte_carlo(Decay(fragile=True), FRAGILE, runs=2000, chunk_size=chunk, metrics=["x"])
    rates = mc.samples()["rate:x"].to_numpy()
    bad = np.nonzero(rates > 1)[0]
    assert 1 <= len(bad) <= 10  # a handful of the 2000 samples have sqrt(1 - rate) undefined
    assert [f.sample for f in mc.failures] == bad.tolist()
    for f in mc.failures:
        assert f.parameters == {"rate:x": rates[f.sample]}
        assert "'y' became nan at time 0" in f.message
    good = np.setdiff1d(np.arange(2000), bad)
    x = mc.metric_values["baseline"][:, 0]
    assert np.isnan(x[bad]).all()
    assert x[good] == pytest.approx(np.exp(-2 * rates[good]), rel=1e-5)  # RK4 at dt = 0.05
    assert mc.band("x")["max"].iloc[-1] == pytest.approx(
        np.exp(-2 * rates[good]).max(), rel=1e-5
    )  # RK4 at dt = 0.05
    assert mc.ok_runs == len(good)
    frame = mc.failure_frame()
    assert frame["sample"].tolist() == bad.tolist() and frame["rate:x"].tolist() == rates[bad].tolist()


def test_a_sample_whose_run_raises_is_isolated_and_the_chunk_kept():
    mc = monte_carlo(Decay(strict=True), FRAGILE, runs=2000, chunk_size=512, metrics=["x"])
    rates = mc.samples()["rate:x"].to_numpy()
    bad = np.nonzero(rates > 1)[0]
    assert [f.sample for f in mc.failures] == bad.tolist()
    assert all("is above 1" in f.message for f in mc.failures)
    good = np.setdiff1d(np.arange(2000), bad)
    assert mc.metric_values["baseline"][good, 0] == pytest.approx(
        np.exp(-2 * rates[good]), rel=1e-5
    )  # RK4 at dt = 0.05


# -- the default model and its scenarios -----------------------------------------------------------------
# The default model started at its reference levels (equilibrium = true) instead of its launch:
# every sample's biases are solved so that this state rests, so the baseline must stay flat.
DEFAULT = gmsim.load_model()
REST = DEFAULT.replace(dynamics=dataclasses.replace(DEFAULT.dynamics, equilibrium=True))


@pytest.fixture(scope="module")
def boost():
    spec = UncertaintySpec.every_weight(0.2, seed=3)
    return monte_carlo(
        REST, spec=spec, scenarios=["attention-boost"], runs=48, stop=12, metrics=["effectiveness@12"]
    )


def test_baseline_stays_at_rest_for_every_sample_of_the_weights(boost):
    band = boost.band("effectiveness", "baseline")
    start = band["p50"].iloc[0]
    assert (band[["p5", "p95", "min", "max"]] - start).abs().to_numpy().max() < 1e-12
    assert boost.at_rest() and not boost.at_rest("attention-boost")
    alone = monte_carlo(REST, spec=UncertaintySpec.every_weight(0.2, seed=3), runs=8, stop=12)
    assert "an equilibrium model's baseline is at rest" in alone.summary()
    assert not monte_carlo(Decay(), RATE, runs=8, metrics=["x"]).at_rest()


def test_probability_of_beating_the_baseline_matches_runs_of_each_sample_alone(boost):
    samples = boost.samples()
    base = gmsim.simulate(REST, stop=12, batch=samples)["effectiveness"][:, -1]
    alt = gmsim.simulate(REST, stop=12, scenario="attention-boost", batch=samples)["effectiveness"][
        :, -1
    ]
    assert boost.metric_values["attention-boost"][:, 0] == pytest.approx(alt, abs=1e-12)
    expected = float(np.mean(alt - base > 1e-9))
    # every sign of the model is kept under +-20 % weights, so the boost may help in all samples;
    # what is tested is that the ensemble counts what the runs of each sample show
    assert expected > 0
    assert boost.probability_better("effectiveness@12", "attention-boost") == pytest.approx(expected)
    flipped = monte_carlo(
        REST,
        spec=UncertaintySpec.every_weight(0.2, seed=3),
        scenarios=["attention-boost"],
        runs=48,
        stop=12,
        metrics=["effectiveness@12:lower"],
    )
    assert flipped.probability_better("effectiveness@12", "attention-boost") == pytest.approx(
        float(np.mean(alt - base < -1e-9))
    )
    row = boost.metric_summary().set_index("scenario").loc["attention-boost"]
    assert row["p_better"] == pytest.approx(expected)
    assert row["median_difference"] == pytest.approx(np.median(alt - base), abs=1e-12)


def test_uncertain_scenario_level_holds_each_run_at_its_own_sample():
    spec = UncertaintySpec(
        (
            Uncertain(
                Distribution("uniform", low=0.4, high=0.9), parameters=("scenario:training.value",)
            ),
        ),
        seed=9,
    )
    mc = monte_carlo(spec=spec, scenarios=["training-program"], runs=20, stop=12, keep_trajectories=True)
    levels = mc.samples()["scenario:training.value"].to_numpy()
    assert np.array_equal(mc.trajectories["training-program"]["training"][:, -1], levels)
    assert np.ptp(mc.trajectories["baseline"]["training"][:, -1]) == 0  # the baseline has no scenario


def test_an_imported_stock_and_flow_model_through_the_same_interface():
    """Teacup (XMILE): Euler gives T_n = R + (T0 - R)(1 - dt/tau)^n exactly, run by run."""
    from gmsim.xmile import load_xmile_text
    from gmsim.xmile.examples import TEACUP

    spec = UncertaintySpec(
        (
            Uncertain(Distribution("uniform", relative=0.3), every="constant"),
            Uncertain(Distribution("normal", relative_sd=0.05), every="initial"),
        ),
        seed=4,
    )
    mc = monte_carlo(
        load_xmile_text(TEACUP), spec, runs=600, chunk_size=256, metrics=["Teacup_Temperature@10"]
    )
    p = mc.samples()
    room, tau = p["constant:Room_Temperature"], p["constant:Characteristic_Time"]
    t0 = p["initial:Teacup_Temperature"]
    assert mc.space.marginal("initial:Teacup_Temperature").low == -np.inf  # a stock is not a 0..1 level
    expected = room + (t0 - room) * (1 - 0.125 / tau) ** 80
    assert mc.metric_values["baseline"][:, 0] == pytest.approx(expected.to_numpy(), rel=1e-12)


def test_every_thins_the_band_times():
    mc = monte_carlo(Decay(), RATE, runs=10, every=0.5, metrics=["x"])
    assert mc.time.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]


# -- metrics -----------------------------------------------------------------------------------------------
def test_metrics_by_hand():
    time = np.array([0.0, 1.0, 2.0, 4.0])
    values = np.array([[[1.0], [3.0], [2.0], [0.0]]])
    names = ("v",)
    expected = {
        "v": 0.0,
        "v@3": 1.0,
        "v@end": 0.0,
        "mean(v)": (2.0 + 2.5 + 2.0) / 4,
        "mean(v, 1, 3)": (2.5 + 1.5) / 2,
        "min(v)": 0.0,
        "max(v, 0, 1.5)": 3.0,
        "change(v, 0.5, 2)": 2.0 - 2.0,
        "final(v, 0, 1)": 3.0,
    }
    for text, value in expected.items():
        assert Metric.parse(text).evaluate(time, values, names) == pytest.approx([value]), text
    assert [str(m) for m in parse_metrics(["v", "v@end", "mean(v)"])] == ["v", "mean(v)"]
    lower = Metric.parse("mean(v, 1, 3):lower")
    assert (lower.better, str(lower), lower.key) == ("lower", "mean(v, 1, 3):lower", "mean(v, 1, 3)")
    assert Metric.parse("v@3", better="lower").better == "lower"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("effectiveness@", "cannot read metric"),
        ("median(effectiveness)", r"unknown metric function 'median' \(did you mean 'mean'\?\)"),
        ("efectiveness@12", r"no variable 'efectiveness' \(did you mean 'effectiveness'\?\)"),
        (
            f"effectiveness@{DEFAULT.simulation.stop + 12:g}",
            rf"month {DEFAULT.simulation.stop + 12:g} is outside the run "
            rf"\(months 0 to {DEFAULT.simulation.stop:g}\)",
        ),
        ("mean(effectiveness, 20, 10)", "must end after it starts"),
    ],
)
def test_bad_metrics(text, match):
    with pytest.raises(MetricError, match=match):
        monte_carlo(runs=2, metrics=[text])


def test_bad_ensemble_options():
    with pytest.raises(SimulationError, match="`runs` must be a whole number >= 1"):
        monte_carlo(runs=0)
    with pytest.raises(SimulationError, match="`chunk_size` must be a whole number >= 1"):
        monte_carlo(runs=4, chunk_size=0)
    with pytest.raises(SimulationError, match=r"no variable 'fundng' \(did you mean 'funding'\?\)"):
        monte_carlo(runs=4, variables=["fundng"])
    with pytest.raises(SimulationError, match="two scenarios are called 'training-program'"):
        monte_carlo(runs=4, scenarios=["training-program", "training-program"])
    with pytest.raises(SpecError, match="unknown parameter 'tau:fundin'"):
        monte_carlo(
            spec=UncertaintySpec(
                (Uncertain(Distribution("uniform", relative=0.1), parameters=("tau:fundin",)),)
            ),
            runs=4,
        )
    mc = monte_carlo(Decay(), RATE, runs=4, metrics=["x"])
    with pytest.raises(GmsimError, match=r"no scenario 'boost'"):
        mc.band("x", "boost")


# -- the command line --------------------------------------------------------------------------------------
def test_cli_writes_bands_metrics_fan_chart_and_manifest(tmp_path, capsys):
    out = tmp_path / "mc"
    code = main(
        [
            "uncertainty",
            "--scenario",
            "training-program",
            "--runs",
            "24",
            "--stop",
            "12",
            "--seed",
            "5",
            "--metric",
            "effectiveness",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "bands.csv",
        "metrics.csv",
        "metric_summary.csv",
        "failed_runs.csv",
        "parameters.csv",
        "fan_effectiveness.png",
        "manifest.json",
    } <= names
    bands = pd.read_csv(out / "bands.csv")
    assert list(bands.columns[:8]) == ["scenario", "variable", "time", "p5", "p25", "p50", "p75", "p95"]
    assert set(bands["scenario"]) == {"baseline", "training-program"}
    summary = pd.read_csv(out / "metric_summary.csv").set_index("scenario")
    assert summary.loc["training-program", "p_better"] == 1.0
    manifest = json.loads((out / "manifest.json").read_text())
    model_file = gmsim.default_model_path()
    assert manifest["model"]["sha256"] == hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert manifest["seed"] == 5 and manifest["runs"] == 24
    assert manifest["command"]["command"] == "gmsim uncertainty" and manifest["command"]["stop"] == 12.0
    assert manifest["command"]["scenario"] == ["training-program"]
    assert manifest["scenarios"][0]["name"] == "training-program" and manifest["scenarios"][0]["sha256"]
    assert manifest["spec"]["name"] == "every weight ±20 %" and len(manifest["spec"]["sha256"]) == 64
    assert len(manifest["spec"]["parameters"]) == len(gmsim.load_model().links)
    assert {"gmsim", "numpy", "scipy", "SALib"} <= set(manifest["versions"])
    assert manifest["executor"]["executor"] == "inprocess" and manifest["executor"]["workers"] >= 1
    assert (
        manifest["outputs"]["bands.csv"] == hashlib.sha256((out / "bands.csv").read_bytes()).hexdigest()
    )


def test_cli_bad_spec_exits_2_naming_the_file_and_line(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text(
        '[[uncertain]]\nparameter = "weight:training->staff_capabilty"\ndistribution = "uniform"\nrelative = 0.2\n'
    )
    code = main(["uncertainty", "--spec", str(spec), "--runs", "4", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{spec}:2: uncertain[1].parameter: unknown parameter" in err
    assert "did you mean 'weight:training->staff_capability'" in err
    assert not (tmp_path / "o").exists()


# -- the examples in the docstrings ---------------------------------------------------------------------------
MODULES = [
    "gmsim.uncertainty.spec",
    "gmsim.uncertainty.sampling",
    "gmsim.scenario.uncertain",
    "gmsim.uncertainty.metric",
    "gmsim.uncertainty.streaming",
    "gmsim.uncertainty.runner",
    "gmsim.uncertainty.montecarlo",
    "gmsim.uncertainty.executors",
    "gmsim.uncertainty.sensitivity",
    "gmsim.files.manifest",
    "gmsim.plot.uncertainty",
]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    import matplotlib.pyplot as plt

    result = doctest.testmod(importlib.import_module(module))
    plt.close("all")
    assert result.failed == 0 and result.attempted > 0


def test_monte_carlo_transients_of_a_known_pulse():
    """A pulse of the driver ``a`` from 0.5 to 0.9 over months 2-4, with only an unrelated
    weight uncertain: on the median runs ``a`` ends where the baseline does, its largest gap
    is +0.4 at month 2 and its cumulative gap 0.4 x 2 months (by hand)."""
    from uncertainty_systems import one_weight_model

    from gmsim.scenario import Intervention, Scenario

    pulse = Scenario("pulse", actions=(Intervention("pulse", "a", at=2, duration=2, value=0.9),))
    spec = UncertaintySpec(
        (Uncertain(Distribution("uniform", low=0.1, high=0.5), parameters=("weight:b->y",)),), seed=3
    )
    mc = monte_carlo(one_weight_model(), spec, runs=40, scenarios=[pulse], variables=["a", "x"])
    row = mc.transients("a").iloc[0]
    assert row["scenario"] == "pulse" and row["end_gap"] == pytest.approx(0.0)
    assert row["largest_gap"] == pytest.approx(0.4) and row["largest_gap_time"] == 2.0
    assert row["cumulative_gap"] == pytest.approx(0.8, abs=1e-9)
    effect = mc.transients("x").iloc[0]
    assert effect["largest_gap"] > 0 and 2.0 < effect["largest_gap_time"] <= 4.0 + 1e-9
    assert "largest gap" in mc.summary()
