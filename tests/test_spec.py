"""Uncertainty specs: files, selectors, distributions and their numbers, and every bad input."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
from scipy import stats

import gmsim
from gmsim.scenario import load_scenario
from gmsim.scenario.uncertain import revalue, scenario_parameters
from gmsim.uncertainty.sampling import SAMPLE_BLOCK, Marginal
from gmsim.uncertainty.spec import (
    Distribution,
    SpecError,
    Uncertain,
    UncertaintySpec,
    list_specs,
    load_spec,
    nominal_values,
)


@pytest.fixture(scope="module")
def model():
    return gmsim.load_model()


@pytest.fixture(scope="module")
def system(model):
    return model.compile()


def write(tmp_path, text: str, name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


# -- the shipped specs and the selectors -----------------------------------------------------------
def test_every_weight_20_gives_each_link_80_to_120_percent_of_its_weight(model, system):
    space = load_spec("every_weight_20").resolve(system)
    assert space.names == tuple(f"weight:{link.cause}->{link.effect}" for link in model.links)
    for link in model.links:
        m = space.marginal(f"weight:{link.cause}->{link.effect}")
        low, high = sorted((0.8 * link.weight, 1.2 * link.weight))
        assert m.kind == "uniform"
        assert (m.low, m.high) == (pytest.approx(max(low, -1)), pytest.approx(min(high, 1)))


def test_shipped_specs_all_resolve_on_the_default_model(system):
    assert {"every_weight_20", "verbal_scale_step", "timing_and_levels"} <= set(list_specs())
    for name in list_specs():
        space = load_spec(name).resolve(system)
        assert space.names and all(m.low <= m.high for m in space.marginals)


def test_into_and_from_pick_exactly_the_links_of_a_factor(model, system):
    into = Uncertain(Distribution("uniform", relative=0.1), every="weight", into="funding")
    out_of = Uncertain(Distribution("uniform", relative=0.1), every="link", out_of="funding")
    names = system.parameter_names()
    assert into.select(names) == [
        f"weight:{x.cause}->funding" for x in model.links if x.effect == "funding"
    ]
    assert out_of.select(names) == [
        f"weight:funding->{x.effect}" for x in model.links if x.cause == "funding"
    ]
    assert len(into.select(names)) >= 2


def test_later_entries_replace_earlier_ones_for_the_parameters_they_pick(system):
    spec = UncertaintySpec(
        (
            Uncertain(Distribution("uniform", relative=0.2), every="weight"),
            Uncertain(
                Distribution("triangular", low=0.5, mode=0.8, high=1.0),
                parameters=("weight:leadership_attention->funding",),
            ),
        )
    )
    space = spec.resolve(system)
    m = space.marginal("weight:leadership_attention->funding")
    assert (m.kind, m.low, m.mode, m.high) == ("triangular", 0.5, 0.8, 1.0)
    assert space.marginal("weight:funding->training").kind == "uniform"
    assert len(space.names) == len(set(space.names))


def test_group_of_taus_and_initial_levels(model, system):
    space = load_spec("timing_and_levels").resolve(system)
    nominal = system.parameter_values()
    taus = [n for n in system.parameter_names() if n.startswith("tau:")]
    assert "tau:training" in taus and "tau:funding" not in taus  # funding is decided yearly
    for name in taus:
        m = space.marginal(name)
        tau = nominal[name]
        assert (m.kind, m.low, m.mode, m.high) == ("triangular", 0.5 * tau, tau, 1.5 * tau)
    m = space.marginal("initial:funding")
    start = model.factor("funding").initial
    assert (m.kind, m.mean, m.sd, m.low, m.high) == ("normal", start, 0.05, 0.0, 1.0)


# -- distributions: numbers against scipy and hand computation ------------------------------------------
def test_relative_ranges_are_clipped_to_the_valid_range_and_mode_defaults_to_nominal():
    m = Distribution("uniform", relative=0.2).marginal("weight:a->b", 0.9)
    assert (m.low, m.high) == (pytest.approx(0.72), 1.0)
    m = Distribution("triangular", plus_minus=0.2).marginal("weight:a->b", -0.9)
    assert (m.low, m.mode, m.high) == (-1.0, -0.9, pytest.approx(-0.7))
    assert Distribution("uniform", relative=0.2).marginal("weight:a->b", 0.0).fixed


def test_inverse_distribution_functions_match_their_definitions():
    u = np.linspace(0, 1, 11)
    assert Marginal("x", "uniform", 2.0, 4.0).ppf(u) == pytest.approx(2 + 2 * u)
    tri = Marginal("x", "triangular", 0.0, 2.0, mode=0.5)
    # inverse of the triangle's CDF by hand: F(x) = x²/(2·0.5) below the mode, 1 - (2-x)²/(2·1.5) above
    expected = np.where(u < 0.25, np.sqrt(u * 2 * 0.5), 2 - np.sqrt((1 - u) * 2 * 1.5))
    assert tri.ppf(u) == pytest.approx(expected)
    norm = Marginal("x", "normal", -1.0, 1.0, mean=0.8, sd=0.5)
    values = norm.ppf(np.random.default_rng(0).random(200_000))
    assert values.min() >= -1 and values.max() <= 1
    assert values.mean() == pytest.approx(stats.truncnorm.mean(-3.6, 0.4, loc=0.8, scale=0.5), abs=0.005)


def test_normal_is_truncated_to_the_valid_range():
    m = Distribution("normal", sd=2.0).marginal("weight:a->b", 0.5)
    assert (m.low, m.high, m.mean) == (-1.0, 1.0, 0.5)
    m = Distribution("normal", relative_sd=0.5, low=2.0).marginal("tau:x", 4.0)
    assert (m.low, m.high, m.sd) == (2.0, math.inf, 2.0)


def test_samples_do_not_depend_on_the_range_they_are_drawn_in(system):
    space = UncertaintySpec.every_weight().resolve(system)
    whole = space.sample(0, 3000, seed=11)
    assert np.array_equal(whole[1000:2600], space.sample(1000, 1600, seed=11))
    assert not np.array_equal(whole, space.sample(0, 3000, seed=12))
    for j, m in enumerate(space.marginals):
        assert m.low <= whole[:, j].min() and whole[:, j].max() <= m.high


def test_latin_hypercube_puts_one_point_in_each_stratum_of_each_block(system):
    spec = UncertaintySpec(
        (Uncertain(Distribution("uniform", low=0.0, high=1.0), every="initial"),), sampling="latin"
    )
    space = spec.resolve(system)
    block = space.sample(0, SAMPLE_BLOCK, seed=5)
    for j in range(block.shape[1]):
        assert sorted(np.floor(block[:, j] * SAMPLE_BLOCK).astype(int)) == list(range(SAMPLE_BLOCK))


# -- scenario parameters ---------------------------------------------------------------------------
def test_scenario_numbers_are_parameters_and_revaluing_leaves_the_scenario_untouched(system):
    s = load_scenario("training-program")
    held = s.actions[0].value  # the level training is held at
    assert scenario_parameters(s) == {"scenario:training.value": held}
    many = revalue(s, {"scenario:training.value": np.array([0.4, 0.5])})
    assert many.actions[0].value.tolist() == [0.4, 0.5] and s.actions[0].value == held
    spec = UncertaintySpec((Uncertain(Distribution("uniform", relative=0.1), every="scenario"),))
    m = spec.resolve(system, extra=scenario_parameters(s)).marginal("scenario:training.value")
    assert (m.low, m.high) == (pytest.approx(0.9 * held), pytest.approx(1.1 * held))
    named = UncertaintySpec(
        (Uncertain(Distribution("uniform", relative=0.1), parameters=("scenario:training.value",)),)
    )
    with pytest.raises(
        SpecError, match=r"no scenario run has it; run the scenario that states it \(--scenario\)"
    ):
        named.resolve(system)
    boost = scenario_parameters(load_scenario("attention-boost"))
    with pytest.raises(SpecError, match=r"the scenarios run have scenario:leadership_attention\.value$"):
        named.resolve(system, extra=boost)


# -- bad input ---------------------------------------------------------------------------------------
def test_unknown_parameter_names_file_line_and_suggestion(tmp_path, system):
    path = write(
        tmp_path,
        """
        [spec]
        seed = 1

        [[uncertain]]
        parameter = "weight:leadership_attention->fundng"
        distribution = "uniform"
        relative = 0.2
        """,
    )
    spec = load_spec(path)
    with pytest.raises(SpecError) as err:
        spec.resolve(system)
    message = str(err.value)
    assert f"{path}:5: uncertain[1].parameter" in message
    assert "did you mean 'weight:leadership_attention->funding'" in message


def test_unknown_factor_in_into_and_unknown_kind_in_every(tmp_path, system):
    path = write(
        tmp_path,
        """
        [[uncertain]]
        every = "weight"
        into = "fundin"
        distribution = "uniform"
        relative = 0.2
        """,
    )
    with pytest.raises(
        SpecError,
        match=r"spec.toml:3: uncertain\[1\]\.into: no link into 'fundin' \(did you mean 'funding'\?\)",
    ):
        load_spec(path).resolve(system)
    spec = UncertaintySpec((Uncertain(Distribution("uniform", relative=0.2), every="weights"),))
    with pytest.raises(SpecError, match=r"no parameters of kind 'weights' \(did you mean 'weight'\?\)"):
        spec.resolve(system)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'distribution = "uniform"\nlow = 0.5\nhigh = 0.2',
            r":4: uncertain\[1\]\.low: `low` \(0.5\) must be below `high` \(0.2\)",
        ),
        (
            'distribution = "triangular"\nlow = 0\nmode = 2\nhigh = 1',
            r"uncertain\[1\]\.mode: must lie in \[low, high\]",
        ),
        ('distribution = "normal"\nsd = -1', r"uncertain\[1\]\.sd: must be >= 0"),
        (
            'distribution = "normal"\nsd = 0.1\nrelative_sd = 0.1',
            r"give exactly one of `sd` or `relative_sd`",
        ),
        (
            'distribution = "uniform"\nrelative = 0.2\nlow = 0.1\nhigh = 0.3',
            r"give one of: `low` and `high`, `relative`",
        ),
        ('distribution = "uniform"\nlow = 0.1', r"uncertain\[1\]\.high: give both `low` and `high`"),
        (
            'distribution = "uniforn"\nrelative = 0.2',
            r"unknown distribution 'uniforn' \(did you mean 'uniform'\?\)",
        ),
        (
            'distribution = "uniform"\nrelativ = 0.2',
            r"uncertain\[1\]\.relativ: unknown key \(did you mean 'relative'\?\)",
        ),
        ('distribution = "uniform"\nrelative = "much"', r"uncertain\[1\]\.relative: expected a number"),
        (
            'distribution = "normal"\nsd = 0.1\nmode = 3',
            r"uncertain\[1\]\.mode: has no meaning for a normal distribution",
        ),
    ],
)
def test_invalid_distributions_name_line_key_and_fix(tmp_path, body, expected):
    path = write(tmp_path, '[[uncertain]]\nparameter = "tau:funding"\n' + body + "\n")
    with pytest.raises(SpecError, match=expected):
        load_spec(path)


def test_absolute_bounds_outside_the_valid_range(system):
    spec = UncertaintySpec(
        (
            Uncertain(
                Distribution("uniform", low=-2, high=0.5),
                parameters=("weight:workload->responsiveness",),
            ),
        )
    )
    with pytest.raises(SpecError, match=r"`low` = -2 is outside the valid range \[-1, 1\]"):
        spec.resolve(system)
    spec = UncertaintySpec(  # a necessary link's weight lies in [0, 1]
        (Uncertain(Distribution("uniform", low=-2, high=0.5), parameters=("weight:funding->training",)),)
    )
    with pytest.raises(SpecError, match=r"`low` = -2 is outside the valid range \[0, 1\]"):
        spec.resolve(system)
    spec = UncertaintySpec(
        (Uncertain(Distribution("uniform", plus_minus=5), parameters=("tau:training",)),)
    )
    with pytest.raises(SpecError, match="reaches tau = 0"):
        spec.resolve(system)


def test_spec_level_problems(tmp_path):
    with pytest.raises(SpecError, match=r"spec.toml:2: spec\.seed: must be a whole number >= 0"):
        load_spec(
            write(
                tmp_path,
                '[spec]\nseed = -3\n[[uncertain]]\nevery = "weight"\ndistribution = "uniform"\nrelative = 0.1\n',
            )
        )
    with pytest.raises(
        SpecError, match=r"spec\.sampling: unknown sampling 'latn' \(did you mean 'latin'\?\)"
    ):
        load_spec(
            write(
                tmp_path,
                '[spec]\nsampling = "latn"\n[[uncertain]]\nevery = "weight"\ndistribution = "uniform"\nrelative = 0.1\n',
            )
        )
    with pytest.raises(SpecError, match="missing required key"):
        load_spec(write(tmp_path, '[spec]\nname = "nothing"\n'))
    with pytest.raises(SpecError, match="exactly one of `parameter` or `every`"):
        load_spec(write(tmp_path, '[[uncertain]]\ndistribution = "uniform"\nrelative = 0.1\n'))
    with pytest.raises(SpecError, match=r"spec.toml:2.*TOML syntax error|TOML syntax error"):
        load_spec(write(tmp_path, "[[uncertain]]\nevery = \n"))
    with pytest.raises(SpecError, match=r"no such file"):
        load_spec(tmp_path / "missing.toml")
    with pytest.raises(
        SpecError, match=r"no shipped spec of that name \(did you mean 'every_weight_20'\?\)"
    ):
        load_spec("every_weight_2")


def test_relative_ranges_need_a_nominal_value():
    with pytest.raises(SpecError, match="does not report nominal values"):
        Distribution("uniform", relative=0.2).marginal("level:x", None)
    assert nominal_values(object()) == {}
