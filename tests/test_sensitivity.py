"""Global sensitivity: known answers for Sobol and Morris, bad input, the command line."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from uncertainty_systems import Decay, Linear, one_weight_model, push_a

import gmsim
from gmsim.cli import main
from gmsim.errors import SimulationError
from gmsim.uncertainty.sensitivity import SensitivityError, sensitivity
from gmsim.uncertainty.spec import Distribution, Uncertain, UncertaintySpec

pytest.importorskip("SALib")  # the sensitivity extra: pip install ".[sensitivity]"

WIDE = UncertaintySpec(
    (
        Uncertain(Distribution("uniform", low=0.1, high=0.9), every="weight"),
        Uncertain(Distribution("uniform", low=1.0, high=6.0), parameters=("tau:y",)),
    ),
    seed=17,
)
ONLY = "weight:a->x"


@pytest.fixture(scope="module")
def sobol_one():
    return sensitivity(
        one_weight_model(), WIDE, scenario=push_a(), method="sobol", samples=256, metrics="x@12"
    )


def test_sobol_gives_the_only_influential_weight_all_the_variance(sobol_one):
    table = sobol_one.ranking().set_index("parameter")
    assert sobol_one.ranking()["parameter"].iloc[0] == ONLY
    assert table.loc[ONLY, "S1"] == pytest.approx(1.0, abs=0.05)
    assert table.loc[ONLY, "ST"] == pytest.approx(1.0, abs=0.05)
    others = table.drop(index=ONLY)
    assert set(others.index) == {"weight:b->y", "tau:y"}
    # a parameter that cannot reach x leaves every run of the design unchanged: exactly zero
    assert (others[["S1", "ST", "S1_conf", "ST_conf"]].abs() < 1e-12).all().all()
    assert sobol_one.runs == 256 * (3 + 2)


def test_morris_ranks_the_only_influential_weight_first():
    sa = sensitivity(
        one_weight_model(), WIDE, scenario=push_a(), method="morris", samples=20, metrics="x@12"
    )
    table = sa.ranking()
    assert table["parameter"].iloc[0] == ONLY and table["rank"].iloc[0] == 1
    assert table["mu_star"].iloc[0] > 0.01
    assert (table["mu_star"].iloc[1:] == 0).all() and (table["sigma"].iloc[1:] == 0).all()
    assert sa.runs == 20 * (3 + 1)


LEVELS = UncertaintySpec((Uncertain(Distribution("uniform", low=0.0, high=1.0), every="level"),), seed=3)


def test_sobol_of_a_linear_sum_matches_the_squared_coefficients():
    c = np.array([1.0, 2.0, 3.0])
    sa = sensitivity(Linear(c), LEVELS, method="sobol", samples=1024, metrics="y")
    table = sa.indices["y"].set_index("parameter")
    exact = c**2 / (c**2).sum()  # uniform inputs of equal width: S1 = ST = c_i² / Σ c²
    assert table["S1"].to_numpy() == pytest.approx(exact, abs=0.05)
    assert table["ST"].to_numpy() == pytest.approx(exact, abs=0.05)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.2).all()


def test_morris_of_a_linear_sum_gives_each_coefficient_exactly():
    c = np.array([1.0, -2.0, 3.0])
    sa = sensitivity(Linear(c), LEVELS, method="morris", samples=12, metrics="y")
    table = sa.indices["y"]
    assert table["mu_star"].to_numpy() == pytest.approx(np.abs(c), abs=1e-12)
    assert table["mu"].to_numpy() == pytest.approx(c, abs=1e-12)
    assert table["sigma"].to_numpy() == pytest.approx(0.0, abs=1e-12)


def test_same_seed_same_indices_to_the_last_bit(sobol_one):
    again = sensitivity(
        one_weight_model(), WIDE, scenario=push_a(), method="sobol", samples=256, metrics="x@12"
    )
    assert np.array_equal(sobol_one.inputs, again.inputs)
    pd.testing.assert_frame_equal(sobol_one.indices["x@12"], again.indices["x@12"], check_exact=True)
    other = sensitivity(
        one_weight_model(),
        WIDE.with_seed(18),
        scenario=push_a(),
        method="sobol",
        samples=256,
        metrics="x@12",
    )
    assert not np.array_equal(sobol_one.inputs, other.inputs)


def test_second_order_pairs_of_an_additive_model_are_near_zero():
    sa = sensitivity(
        Linear([1.0, 2.0]), LEVELS, method="sobol", samples=512, metrics="y", second_order=True
    )
    pairs = sa.second_order["y"]
    assert len(pairs) == 1 and abs(pairs["S2"].iloc[0]) < 0.05
    assert sa.runs == 512 * (2 * 2 + 2)


# -- bad input ---------------------------------------------------------------------------------------
def test_sobol_sample_count_must_be_a_power_of_two_and_says_which():
    with pytest.raises(
        SensitivityError, match=r"power of 2 .* 1000 is not: use 512 or 1024 \(with 3 parameters"
    ):
        sensitivity(Linear([1, 2, 3]), LEVELS, method="sobol", samples=1000, metrics="y")
    with pytest.raises(SensitivityError, match="at least 2 trajectories"):
        sensitivity(Linear([1, 2]), LEVELS, method="morris", samples=1, metrics="y")
    with pytest.raises(SensitivityError, match="even number of levels"):
        sensitivity(Linear([1, 2]), LEVELS, method="morris", samples=4, levels=3, metrics="y")
    with pytest.raises(SensitivityError, match=r"unknown method 'sobel' \(did you mean 'sobol'\?\)"):
        sensitivity(Linear([1, 2]), LEVELS, method="sobel", metrics="y")


@pytest.mark.parametrize("seed", range(8))
def test_morris_needs_every_range_to_end(seed):
    """Refused before any run, whatever the seed: the design may or may not visit an end."""
    spec = UncertaintySpec(
        (Uncertain(Distribution("normal", relative_sd=0.2), parameters=("tau:y",)),), seed=seed
    )
    with pytest.raises(
        SensitivityError, match=r"'tau:y' has no end on one side .* give it `low` and `high`"
    ):
        sensitivity(
            one_weight_model(), spec, scenario=push_a(), method="morris", samples=4, metrics="x@12"
        )


def test_a_metric_that_never_moves_is_explained():
    # the default model started at its reference levels: every sample's baseline rests there
    default = gmsim.load_model()
    at_rest = default.replace(dynamics=dataclasses.replace(default.dynamics, equilibrium=True))
    with pytest.raises(SensitivityError, match=r"in every run.*baseline is at rest.*--scenario"):
        sensitivity(
            at_rest, spec=UncertaintySpec.every_weight(0.2, seed=1), method="morris", samples=2, stop=12
        )


def test_failed_runs_stop_a_sensitivity_analysis_with_their_parameters():
    spec = UncertaintySpec(
        (Uncertain(Distribution("uniform", low=0.5, high=1.5), parameters=("rate:x",)),), seed=1
    )
    with pytest.raises(
        SimulationError,
        match=r"runs failed, and morris needs every run; first: sample \d+ .*rate:x = 1\.",
    ):
        sensitivity(Decay(strict=True), spec, method="morris", samples=10, metrics="x")


# -- the command line --------------------------------------------------------------------------------------
MODEL = """
[model]
name = "one weight"

[simulation]
stop = 12

[factors.a]
group = "external_enabler"
kind = "exogenous"
initial = 0.5

[factors.b]
group = "external_enabler"
kind = "exogenous"
initial = 0.5

[factors.x]
group = "outcome"
initial = 0.5
tau = 2

[factors.y]
group = "outcome"
initial = 0.5
tau = 3

[[links]]
from = "a"
to = "x"
weight = 0.5

[[links]]
from = "b"
to = "y"
weight = 0.5
"""

SCENARIO = """
[scenario]
name = "push-a"

[[interventions]]
kind = "step"
target = "a"
at = 1
value = 0.9
"""


def test_cli_ranks_indices_and_writes_plot_and_manifest(tmp_path, capsys):
    (tmp_path / "m.toml").write_text(MODEL)
    (tmp_path / "push.toml").write_text(SCENARIO)
    out = tmp_path / "sa"
    code = main(
        [
            "sensitivity",
            str(tmp_path / "m.toml"),
            "--scenario",
            str(tmp_path / "push.toml"),
            "--method",
            "morris",
            "--samples",
            "8",
            "--metric",
            "x@12",
            "--seed",
            "4",
            "--save-samples",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "1. weight:a->x" in printed
    indices = pd.read_csv(out / "indices.csv")
    assert indices["parameter"].iloc[0] == "weight:a->x" and indices["rank"].iloc[0] == 1
    assert (out / "sensitivity_x_12.png").stat().st_size > 0
    samples = pd.read_csv(out / "samples.csv")
    assert len(samples) == 8 * 3 and list(samples.columns[-1:]) == ["x@12"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["analysis"] == "sensitivity (morris)"
        and manifest["samples"] == 8
        and manifest["runs"] == 24
    )
    assert manifest["model"]["file"].endswith("m.toml") and manifest["scenarios"][0]["name"] == "push-a"


def test_cli_refuses_a_sobol_count_it_cannot_use(tmp_path, capsys):
    code = main(
        [
            "sensitivity",
            "--samples",
            "100",
            "--scenario",
            "training-program",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert (
        "Sobol needs --samples to be a power of 2 (at least 4); 100 is not: use 64 or 128"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "o").exists()


def test_gmsim_sensitivity_stays_the_function_after_its_module_is_imported():
    import gmsim.uncertainty.sensitivity  # importing a submodule binds its name on the package

    assert gmsim.sensitivity is gmsim.uncertainty.sensitivity.sensitivity
