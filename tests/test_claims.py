"""The paper's claims (../shared/paper/FACTORS.md, claims 1-7), shown by the scenario library.

Each test runs library scenarios on the default model and checks the direction,
order or timing the paper states; sizes are judgements of the model's weights,
so the checks ask for a clear effect (a margin), not a particular number.
"""

from __future__ import annotations

import numpy as np
import pytest

import gmsim
from gmsim.scenario import combine

MODEL = gmsim.load_model()


@pytest.fixture(scope="module")
def runs():
    cache: dict[str, gmsim.Result] = {}

    def get(scenario) -> gmsim.Result:
        key = scenario if isinstance(scenario, str) else scenario.name
        if key not in cache:
            cache[key] = gmsim.simulate(MODEL, scenario=scenario)
        return cache[key]

    return get


def final(result: gmsim.Result, variable: str) -> float:
    return float(result[variable][-1])


def half_time(result: gmsim.Result, base: gmsim.Result, variable: str) -> float:
    """First month the variable has moved half of its final distance from the baseline."""
    gap = result[variable] - base[variable]
    k = int(np.argmax(np.abs(gap) >= 0.5 * abs(gap[-1])))
    return float(result.time[k])


# 1. leadership attention -----------------------------------------------------------------------
def test_effectiveness_rises_with_leadership_attention(runs):
    boost, base, shift = (
        final(runs(s), "effectiveness") for s in ("attention-boost", "baseline", "attention-shift")
    )
    assert boost > base + 0.03
    assert shift < base - 0.015


def test_withdrawn_attention_lowers_funding_then_effectiveness_with_a_lag(runs):
    shift, base = runs("attention-shift"), runs("baseline")
    t = shift.time
    funding_gap = shift["funding"] - base["funding"]
    assert np.all(np.abs(funding_gap[t <= 12]) < 1e-12)  # nothing moves before the shift
    assert abs(funding_gap[t == 13][0]) < 0.1 * abs(funding_gap[-1])  # funds still there a month later
    assert funding_gap[-1] < -0.1
    assert final(shift, "effectiveness") < final(base, "effectiveness") - 0.015
    t_funding, t_effect = half_time(shift, base, "funding"), half_time(shift, base, "effectiveness")
    assert 12 + 3 <= t_funding < t_effect  # funds follow through the budget delay; effectiveness later


# 2. rotation -----------------------------------------------------------------------------------
def test_rotation_every_three_months_ends_lowest_and_full_time_posts_highest(runs):
    at_36 = {
        s: final(runs(s), "effectiveness") for s in ("full-time-posts", "rotation-6m", "rotation-3m")
    }
    assert at_36["full-time-posts"] > at_36["rotation-6m"] + 0.02 > at_36["rotation-3m"] + 0.02
    experience = {s: runs(s)["staff_experience"].mean() for s in at_36}
    assert experience["full-time-posts"] > experience["rotation-6m"] > experience["rotation-3m"]


@pytest.mark.parametrize(("scenario", "every"), [("rotation-3m", 3), ("rotation-6m", 6)])
def test_each_handover_loses_experience(runs, scenario, every):
    r = runs(scenario)
    for month in range(every, 36, every):
        k = int(np.searchsorted(r.time, month))
        kept = r["staff_experience"][k] / r["staff_experience"][k - 1]
        assert kept == pytest.approx(0.4, abs=0.02), month  # the value saved at a handover is after it


# 3. review -------------------------------------------------------------------------------------
def test_full_review_lowers_responsiveness_and_public_service(runs):
    full, base, lean = runs("full-review"), runs("baseline"), runs("streamlined-review")
    for variable in ("responsiveness", "public_service", "content_attractiveness"):
        assert final(full, variable) < final(base, variable) - 0.02 < final(lean, variable) - 0.04, (
            variable
        )


# 4. training and workload ----------------------------------------------------------------------
def test_training_raises_capability_and_effectiveness(runs):
    trained, base = runs("training-program"), runs("baseline")
    assert final(trained, "staff_capability") > final(base, "staff_capability") + 0.1
    assert final(trained, "effectiveness") > final(base, "effectiveness") + 0.03


def test_heavy_workload_erodes_capability_which_recovers_after(runs):
    loaded, base = runs("workload-overload"), runs("baseline")
    gap = loaded["staff_capability"] - base["staff_capability"]
    t = loaded.time
    assert np.all(np.diff(gap[(t >= 6) & (t <= 18)]) <= 1e-12)  # eroding while the load lasts
    assert gap[t == 18][0] < -0.08
    assert gap[t == 18][0] < gap[-1] < 0  # partly recovered once it ends
    assert final(loaded, "effectiveness") < final(base, "effectiveness")


# 5. attacks on trust ---------------------------------------------------------------------------
def test_a_hacker_attack_dips_trust_which_then_partly_recovers(runs):
    attacked, base = runs("hacker-attack"), runs("baseline")
    trust, t = attacked["public_trust"], attacked.time
    assert np.all(trust[t < 12] == base["public_trust"][t < 12])
    low = int(np.argmin(trust))
    assert 12 <= t[low] <= 18 and trust[low] < base["public_trust"][low] - 0.1
    assert trust[low] < trust[-1] - 0.05  # recovers ...
    assert trust[-1] < base["public_trust"][-1] - 0.005  # ... partly
    assert attacked["citizen_engagement"].min() < base["citizen_engagement"][0] - 0.03


def test_a_water_army_surge_damages_trust_and_engagement(runs):
    surge, base = runs("water-army-surge"), runs("baseline")
    for variable in ("public_trust", "citizen_engagement"):
        gap = surge[variable] - base[variable]
        assert gap.min() < -0.08, variable
        assert surge.time[np.argmin(gap)] > 14, variable  # after the surge has built up


# 6. collaboration ------------------------------------------------------------------------------
def test_collaboration_improves_public_service(runs):
    shared, base = runs("collaboration-network"), runs("baseline")
    gap = shared["public_service"] - base["public_service"]
    t = shared.time
    assert np.all(gap[t <= 6] == 0) and gap[-1] > 0.1
    assert np.all(np.diff(gap[(t > 6) & (t <= 18)]) > 0)  # grows while the network is built


def test_collaboration_improves_public_service_in_an_emergency(runs):
    both = combine(
        gmsim.load_scenario("hacker-attack"),
        gmsim.load_scenario("collaboration-network"),
        name="attack+network",
    )
    attacked, helped = runs("hacker-attack"), runs(both)
    window = (attacked.time >= 12) & (attacked.time <= 18)
    assert np.all(helped["public_service"][window] > attacked["public_service"][window] + 0.05)


# 7. feedback -----------------------------------------------------------------------------------
def without(*links: tuple[str, str]) -> gmsim.Model:
    """The default model with some links removed; its biases are solved again, so it rests too."""
    return MODEL.replace(links=tuple(k for k in MODEL.links if (k.cause, k.effect) not in links))


def gain(model: gmsim.Model, scenario: str) -> float:
    """The scenario's effect on effectiveness at month 36 (the model's own run is flat)."""
    result = gmsim.simulate(model, scenario=scenario)
    return float(result["effectiveness"][-1] - result["effectiveness"][0])


def test_success_earns_leaders_attention_and_citizens_trust(runs):
    trained, base = runs("training-program"), runs("baseline")  # touches neither directly
    assert final(trained, "leadership_attention") > final(base, "leadership_attention") + 0.02
    assert final(trained, "public_trust") > final(base, "public_trust") + 0.02


def test_the_success_loops_reinforce_and_workload_and_review_balance(runs):
    full = gain(MODEL, "training-program")
    no_success = without(("effectiveness", "leadership_attention"), ("effectiveness", "public_trust"))
    no_control = without(("citizen_engagement", "workload"), ("citizen_engagement", "review_burden"))
    assert np.ptp(gmsim.simulate(no_success)["effectiveness"]) < 1e-12  # a cut model still rests
    assert gain(no_success, "training-program") < 0.97 * full  # reinforcing: success amplifies
    assert gain(no_control, "training-program") > 1.2 * full  # balancing: load and review hold back
    trained, base = runs("training-program"), runs("baseline")
    assert final(trained, "workload") > final(base, "workload")  # the balancing response
    assert final(trained, "review_burden") > final(base, "review_burden")
