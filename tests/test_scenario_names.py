"""On an imported XMILE model, scenario targets follow XMILE's rule for names."""

from __future__ import annotations

import numpy as np
import pytest

import gmsim
from gmsim.errors import ScenarioError
from gmsim.scenario import Scenario
from gmsim.xmile import load_xmile_text
from gmsim.xmile.examples import TEACUP


def scenario(target: str, kind: str = "clamp", **keys) -> Scenario:
    return Scenario.from_dict(
        {"scenario": {"name": "hold"}, "interventions": [{"kind": kind, "target": target, **keys}]}
    )


@pytest.mark.parametrize("spelling", ["Room_Temperature", "room temperature", "ROOM  TEMPERATURE"])
def test_any_spelling_xmile_calls_the_same_names_the_same_variable(spelling):
    model = load_xmile_text(TEACUP)
    exact = gmsim.simulate(model, scenario=scenario("Room_Temperature", value=30.0, start=5))
    other = gmsim.simulate(model, scenario=scenario(spelling, value=30.0, start=5))
    assert np.array_equal(exact.values, other.values)
    assert not np.array_equal(exact.values, gmsim.simulate(model).values)  # the clamp did act


def test_events_and_initial_levels_too():
    model = load_xmile_text(TEACUP)
    jump = gmsim.simulate(
        model, scenario=scenario("teacup temperature", kind="event", at=10.0, set=20.0)
    )
    k = int(np.searchsorted(jump.time, 10.0))
    assert jump["Teacup_Temperature"][k] == pytest.approx(20.0)


def test_an_unknown_name_is_still_refused_with_a_suggestion():
    with pytest.raises(ScenarioError, match=r"did you mean 'Room_Temperature'"):
        gmsim.simulate(load_xmile_text(TEACUP), scenario=scenario("Room_Temperatur", value=30.0))


def test_factor_model_ids_stay_exact():
    with pytest.raises(ScenarioError, match=r"did you mean 'funding'"):
        gmsim.simulate(scenario=scenario("Funding", value=0.5))
