"""Loop dominance (Loops That Matter): known answers, an independent discrete computation, the paper's model."""

from __future__ import annotations

import doctest
import importlib
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

import gmsim
from gmsim.analysis.dominance import loop_dominance
from gmsim.analysis.dominance_result import AT_REST
from gmsim.analysis.loops import find_loops
from gmsim.analysis.shift import dominance_shift
from gmsim.cli import main
from gmsim.core.paths import Constant
from gmsim.core.system import Event, Forcing, Interventions, Params, System
from gmsim.errors import GmsimError, LoopError, SimulationError
from gmsim.factor.model import Dynamics, Factor, Link, Model, Simulation


# -- a one-stock logistic model with births (R) and deaths (B) ---------------------------------------
class Logistic(System):
    """dP/dt = births − deaths, births = r P, deaths = r P² / K."""

    name = "logistic"
    state_names = ("population",)
    variable_names = ("population", "births", "deaths")
    groups: ClassVar = {"population": "outcome", "births": "process", "deaths": "process"}
    labels: ClassVar = {"population": "Population", "births": "Births", "deaths": "Deaths"}
    simulation = Simulation(start=0.0, stop=20.0, dt=0.01, method="rk4")

    def __init__(self, r: float = 0.5, K: float = 100.0, P0: float = 1.0):
        import networkx as nx

        self.r, self.K, self.P0 = r, K, P0
        g = nx.DiGraph(name=self.name)
        for node, kind in (("population", "stock"), ("births", "flow"), ("deaths", "flow")):
            g.add_node(node, kind=kind, label=self.labels[node], group=self.groups[node])
        for a, b, sign in (("population", "births", 1), ("births", "population", 1),
                           ("population", "deaths", 1), ("deaths", "population", -1)):  # fmt: skip
            g.add_edge(a, b, sign=sign, weight=float(sign), delay=0.0)
        self.graph = g

    def parameter_names(self):
        return ()

    def parameters(self, batch=None):
        return Params(batch=1)

    def initial_state(self, params):
        return np.array([[self.P0]])

    def rhs(self, t, y, params):
        return self.r * y - self.r * y**2 / self.K

    def observe(self, t, y, params):
        P = y[:, 0]
        return np.column_stack([P, self.r * P, self.r * P**2 / self.K])

    def link_gains(self, t, y, params):
        P = float(y[0, 0])
        return {
            ("population", "births"): self.r,
            ("births", "population"): 1.0,
            ("population", "deaths"): 2 * self.r * P / self.K,
            ("deaths", "population"): -1.0,
        }


@pytest.fixture(scope="module")
def logistic():
    system = Logistic()
    return system, loop_dominance(system)


def test_logistic_loops_are_births_reinforcing_and_deaths_balancing(logistic):
    _, dom = logistic
    assert [(lp.id, lp.variables) for lp in dom.loops] == [
        ("R1", ("population", "births")),
        ("B1", ("population", "deaths")),
    ]


def test_logistic_relative_scores_have_the_exact_values_and_sum_to_one(logistic):
    system, dom = logistic
    P = dom.levels["population"].to_numpy()
    frame = dom.to_frame()
    # |Δ births| : |Δ deaths| = r : 2rP/K, so R = 1/(1 + 2P/K) and B = −(2P/K)/(1 + 2P/K)
    np.testing.assert_allclose(frame["R1"], 1 / (1 + 2 * P / system.K), rtol=1e-9)
    np.testing.assert_allclose(frame["B1"], -(2 * P / system.K) / (1 + 2 * P / system.K), rtol=1e-9)
    np.testing.assert_allclose(frame.abs().sum(axis=1), 1.0, rtol=1e-12)
    assert (frame["R1"] > 0).all() and (frame["B1"] < 0).all()


def test_logistic_dominance_shifts_at_the_inflection_point(logistic):
    system, dom = logistic
    inflection = np.log(system.K / system.P0 - 1) / system.r  # P(t*) = K/2
    periods = dom.periods()
    assert list(periods["loop"]) == ["R1", "B1"]
    assert list(periods["polarity"]) == ["R", "B"]
    assert periods["alone"].all()  # each holds more than half by itself
    assert abs(periods.loc[1, "start"] - inflection) <= system.simulation.dt
    before = dom.time < inflection - 0.05
    after = dom.time > inflection + 0.05
    assert (dom.to_frame()["R1"][before] > 0.5).all()
    assert (dom.to_frame()["B1"][after] < -0.5).all()


def test_a_system_without_link_gains_is_refused_with_a_clear_message():
    class Opaque(Logistic):
        link_gains = None

    with pytest.raises(SimulationError, match="offers link_gains"):
        loop_dominance(Opaque())


# -- a link carried by a hidden state: the graph shows x -> y, the equations pass it through a stage s --
class Staged(System):
    """ds/dt = r (x - s), dy/dt = s - y, dx/dt = 1 - x/2 - y/2; the stage s hidden from the graph or shown."""

    name = "staged"
    state_names = ("x", "y", "s")
    variable_names = ("x", "y", "s")
    groups: ClassVar = {}
    labels: ClassVar = {}
    simulation = Simulation(start=0.0, stop=10.0, dt=0.01, method="rk4")

    def __init__(self, show_stage: bool, r: float = 2.0):
        import networkx as nx

        self.r = r
        g = nx.DiGraph(name=self.name)
        chain = (("x", "s", 1), ("s", "y", 1)) if show_stage else (("x", "y", 1),)
        for a, b, sign in (*chain, ("y", "x", -1)):
            g.add_edge(a, b, sign=sign, weight=0.5 * sign, delay=0.0)
        self.graph = g

    def parameter_names(self):
        return ()

    def parameters(self, batch=None):
        return Params(batch=1)

    def initial_state(self, params):
        return np.array([[0.1, 0.0, 0.0]])

    def rhs(self, t, y, params):
        x, v, s = y[:, 0], y[:, 1], y[:, 2]
        return np.column_stack([1 - x / 2 - v / 2, s - v, self.r * (x - s)])

    def observe(self, t, y, params):
        return y.copy()

    def link_gains(self, t, y, params):
        return {("x", "s"): self.r, ("s", "y"): 1.0, ("y", "x"): -0.5, ("x", "x"): -0.5,
                ("y", "y"): -1.0, ("s", "s"): -self.r}  # fmt: skip


def test_a_link_through_hidden_states_scores_as_the_chain_it_stands_for():
    hidden, shown = loop_dominance(Staged(False)), loop_dominance(Staged(True))
    assert [lp.variables for lp in hidden.loops] == [("x", "y")]
    assert [lp.variables for lp in shown.loops] == [("x", "s", "y")]
    np.testing.assert_allclose(hidden.scores, shown.scores, rtol=1e-12)
    chain = shown.link_scores["x->s"] * shown.link_scores["s->y"]
    np.testing.assert_allclose(hidden.link_scores["x->y"], chain, rtol=1e-12)


def test_a_graph_link_without_a_gain_or_a_chain_is_named():
    class Missing(Staged):
        def link_gains(self, t, y, params):
            gains = super().link_gains(t, y, params)
            del gains["s", "y"]
            return gains

    with pytest.raises(SimulationError, match="gave no gain for the link 'x' -> 'y'"):
        loop_dominance(Missing(False))


# -- a one-factor model of the factor equations: reinforcing feedback against its own adjustment -----
def bistable(steepness: float = 8.0, weight: float = 1.0) -> Model:
    """x feeds itself through a composite c = x, from 0.9 (the rest is x = 1/2, where u = 0: the
    bias is -weight/2). S_p's slope is at most 1 and a weight at most 1, so the loop's gain stays
    below the adjustment's: x sinks back to the middle."""
    return Model(
        name="self-reinforcing factor",
        factors=(
            Factor("x", group="process", initial=0.9, tau=2.0, bias=-weight / 2),
            Factor("c", group="outcome", kind="composite", of=(("x", 1.0),)),
        ),
        links=(Link("c", "x", weight),),
        simulation=Simulation(stop=24.0, dt=0.01, method="rk4"),
        dynamics=Dynamics(steepness=steepness, equilibrium=False),
    )


def test_factor_reinforcing_loop_against_its_adjustment_has_the_exact_shares():
    p, w = 8.0, 1.0
    dom = loop_dominance(bistable(p, w), adjustment="include")
    assert list(dom.loops.ids) == ["R1", "A1"]
    x = dom.levels["x"].to_numpy()
    u = -w / 2 + w * x
    # S_p(u) = 1/2 + u / (1 + |2u|^p)^(1/p) has the derivative (1 + |2u|^p)^(-(1 + p)/p)
    gain = w * (1 + np.abs(2 * u) ** p) ** (-(1 + p) / p)  # R1's gain relative to the adjustment's 1
    frame = dom.to_frame()
    np.testing.assert_allclose(frame["R1"], gain / (gain + 1), rtol=1e-9)
    np.testing.assert_allclose(frame["A1"], -1 / (gain + 1), rtol=1e-9)
    # the gain never reaches the adjustment's 1: the adjustment leads the whole run
    assert np.all(gain < 1)
    assert list(dom.periods()["loop"]) == ["A1"]


def test_excluding_adjustment_reports_its_share_separately():
    p, w = 8.0, 1.0
    excluded = loop_dominance(bistable(p, w))
    included = loop_dominance(bistable(p, w), adjustment="include")
    assert list(excluded.loops.ids) == ["R1"]
    np.testing.assert_allclose(excluded.to_frame()["R1"], 1.0)  # the only loop of the diagram
    np.testing.assert_allclose(excluded.adjustment_share, -included.to_frame()["A1"], rtol=1e-12)


def moderated_bistable(steepness: float = 8.0) -> Model:
    """As :func:`bistable`, but an exogenous moderator g = 1 of strength 1 doubles the link's
    effective weight (w · max(0, 1 + m·g) = 2): the middle rest x = 1/2 (u = -1 + 2x = 0) is
    unstable, and x, started just above it, climbs toward 1."""
    return Model(
        name="moderated self-reinforcing factor",
        factors=(
            Factor("x", group="process", initial=0.52, tau=2.0, bias=-1.0),
            Factor("c", group="outcome", kind="composite", of=(("x", 1.0),)),
            Factor("g", kind="exogenous", initial=1.0),
        ),
        links=(Link("c", "x", 1.0, moderated_by=(("g", 1.0),)),),
        simulation=Simulation(stop=24.0, dt=0.01, method="rk4"),
        dynamics=Dynamics(steepness=steepness, equilibrium=False),
    )


def test_a_moderated_reinforcing_loop_leads_then_yields_where_the_factor_stops_accelerating():
    p = 8.0
    dom = loop_dominance(moderated_bistable(p), adjustment="include")
    assert list(dom.loops.ids) == ["R1", "A1"]
    x = dom.levels["x"].to_numpy()
    u = -1.0 + 2.0 * x
    gain = 2.0 * (1 + np.abs(2 * u) ** p) ** (-(1 + p) / p)  # R1's gain: 2 S_p'(u), against 1
    frame = dom.to_frame()
    np.testing.assert_allclose(frame["R1"], gain / (gain + 1), rtol=1e-9)
    np.testing.assert_allclose(frame["A1"], -1 / (gain + 1), rtol=1e-9)
    # dx/dt = (S_p(u) - x)/tau, so x'' = (gain - 1) x'/tau: R1 holds the majority exactly while
    # x accelerates; the shift to the adjustment is where x'' changes sign (an independent estimate)
    accel = np.gradient(np.gradient(x, dom.time), dom.time)
    turn = dom.time[np.flatnonzero(np.diff(np.sign(accel[5:-5])))[0] + 6]
    periods = dom.periods()
    assert list(periods["loop"]) == ["R1", "A1"]
    assert abs(periods.loc[1, "start"] - turn) <= 0.03


# -- an independent check: discrete Loops That Matter by ceteris-paribus re-evaluation of rhs --------
def three_factor_model() -> Model:
    return Model(
        name="three factors",
        factors=(
            Factor("a", initial=0.5, tau=1.5),
            Factor("b", initial=0.4, tau=2.0),
            Factor("d", initial=0.6, tau=1.0),
            Factor("e", kind="exogenous", initial=0.5),
            Factor("comp", kind="composite", group="outcome", of=(("b", 1.0), ("d", 2.0))),
        ),
        links=(
            Link("a", "b", 0.8),
            Link("b", "d", -0.6),
            Link("d", "a", 0.7, delay=2.0, order=2),
            Link("comp", "a", 0.5),
            Link("e", "b", 0.4),
        ),
        dynamics=Dynamics(steepness=4.0, equilibrium=False),
    )


def discrete_relative_scores(model: Model, dt: float, steps: int) -> dict:
    """LTM's discrete link scores |Δ_x z / Δz|·sign(Δ_x z / Δx) from an Euler run of the system's own rhs."""
    system = model.compile()
    p = system.parameters()
    Y = [system.initial_state(p)[0]]
    for k in range(steps):
        Y.append(Y[-1] + dt * system.rhs(k * dt, Y[-1][None, :], p)[0])
    Y = np.array(Y)
    prev, now = Y[:-1], Y[1:]
    f_prev = system.rhs(0.0, prev, p)
    f_now = system.rhs(0.0, now, p)
    idx = {n: i for i, n in enumerate(system.state_names)}
    s1, s2 = idx["d~delay2#1"], idx["d~delay2#2"]
    parts = {"comp": ([idx["b"], idx["d"]], np.array([1 / 3, 2 / 3]))}

    def value(Z, cause):
        if cause in parts:
            cols, shares = parts[cause]
            return Z[:, cols] @ shares
        return Z[:, idx[cause]]

    def link(cause, effect):
        moved = prev.copy()
        cols = parts[cause][0] if cause in parts else [idx[cause]]
        moved[:, cols] = now[:, cols]
        j = idx[effect]
        partial = system.rhs(0.0, moved, p)[:, j] - f_prev[:, j]
        total = f_now[:, j] - f_prev[:, j]
        dx = value(now, cause) - value(prev, cause)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 where Δz or Δx is 0, as LTM says
            score = np.abs(partial / total) * np.sign(partial / dx)  # the flow's score to its stock is 1
        return np.where((total == 0) | (dx == 0), 0.0, score)

    def share(part, weight):  # part -> comp, an auxiliary
        dc = value(now, "comp") - value(prev, "comp")
        return np.abs(weight * (now[:, idx[part]] - prev[:, idx[part]]) / dc) * np.sign(weight)

    ab, bd = link("a", "b"), link("b", "d")
    delayed = link("d", "d~delay2#1") * link("d~delay2#1", "d~delay2#2") * link("d~delay2#2", "a")
    assert s1 != s2
    ca = link("comp", "a")
    scores = {
        ("a", "b", "comp"): ab * share("b", 1 / 3) * ca,
        ("a", "b", "d"): ab * bd * delayed,
        ("a", "b", "d", "comp"): ab * bd * share("d", 2 / 3) * ca,
    }
    total = sum(np.abs(v) for v in scores.values())
    with np.errstate(invalid="ignore"):
        return {k: v / total for k, v in scores.items()}


def test_exact_scores_agree_with_the_discrete_method_on_a_model_with_delay_and_composite():
    model = three_factor_model()
    dt, steps = 1e-3, 6000
    expected = discrete_relative_scores(model, dt, steps)
    dom = loop_dominance(model, stop=steps * dt, dt=dt, method="euler")
    loops = {lp.variables: lp for lp in dom.loops}
    assert set(loops) == set(expected)
    assert (loops[("a", "b", "comp")].polarity, loops[("a", "b", "d")].polarity) == ("R", "B")
    frame = dom.to_frame()
    for variables, rel in expected.items():
        exact = frame[loops[variables].id].to_numpy()[1:]
        known = np.isfinite(rel)  # the first steps, before the delay's last stage moves
        assert known.mean() > 0.99
        err = np.abs(exact - rel)[known]
        assert np.median(err) < 2e-3, variables
        assert np.quantile(err, 0.95) < 2e-2, variables


# -- the paper's model ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hacked():
    return loop_dominance(scenario="hacker-attack", stop=24, equilibrium=True)  # from rest


def test_the_resting_baseline_has_no_active_loop():
    dom = loop_dominance(stop=6, equilibrium=True)  # the model at its reference rests
    assert not np.abs(dom.relative).any()
    assert list(dom.periods()["loop"]) == [AT_REST]
    assert np.isnan(dom.adjustment_share).all()


def test_relative_scores_sum_to_one_whenever_the_model_moves(hacked):
    total = np.abs(hacked.relative).sum(axis=1)
    before = hacked.time < 12
    np.testing.assert_allclose(total[before], 0.0)
    np.testing.assert_allclose(total[~before], 1.0, rtol=1e-9)
    assert (np.abs(hacked.relative) <= 1 + 1e-12).all()


def test_a_hacker_attack_first_sets_off_the_audience_loops(hacked):
    # paper 2.3.2: lost trust costs engagement; in v2 trust reaches the account's stocks only
    # through engagement into followers, so the loops that lead first run through followers,
    # and the engagement loop (R1: followers -> citizen engagement) leads within the first periods
    periods = hacked.periods()
    first = periods.iloc[1]
    assert periods.iloc[0]["loop"] == AT_REST and first["start"] == 12.0
    loops = {lp.id: lp for lp in hacked.loops}
    assert "followers" in loops[first["loop"]].variables
    assert first["share"] > 0.5
    assert loops["R1"].variables == ("followers", "citizen_engagement")
    assert "R1" in set(periods.iloc[1:3]["loop"])


def test_loop_scores_are_products_of_their_link_scores(hacked):
    for lp in hacked.loops[:10]:
        product = np.prod([hacked.link_scores[f"{a}->{b}"] for a, b in lp.links], axis=0)
        k = hacked.loops.ids.index(lp.id)
        np.testing.assert_allclose(hacked.scores[:, k], product, rtol=1e-9, atol=0)


def test_a_clamped_factor_switches_off_every_loop_through_it():
    dom = loop_dominance(scenario="attention-shift", stop=24, equilibrium=True)
    through = [k for k, lp in enumerate(dom.loops) if "leadership_attention" in lp.variables]
    others = [k for k, lp in enumerate(dom.loops) if "leadership_attention" not in lp.variables]
    held = dom.time >= 15  # attention-shift holds attention from month 15
    assert not dom.scores[np.ix_(held, through)].any()
    assert np.abs(dom.relative[np.ix_(held[1:] & held[:-1], others)]).sum() > 0
    np.testing.assert_allclose(np.abs(dom.relative[held][1:]).sum(axis=1), 1.0, rtol=1e-9)


def test_adjustment_share_is_what_the_included_adjustment_loops_hold():
    shock = Interventions(events=(Event(time=1.0, variable="workload", set=0.9),))
    excluded = loop_dominance(scenario=shock, stop=8)
    included = loop_dominance(scenario=shock, stop=8, adjustment="include")
    main_part = [
        k
        for k, lp in enumerate(included.loops)
        if lp.kind == "adjustment" and included.partition[k] == 0
    ]
    on_loops = {v for lp in find_loops() for v in lp.variables}
    model = gmsim.load_model()  # endogenous factors and stocks each have an adjustment loop
    adjusting = {f.id for f in (*model.endogenous, *model.stocks)}
    assert {included.loops[k].variables[0] for k in main_part} == on_loops & adjusting
    held = np.abs(included.relative[:, main_part]).sum(axis=1)
    active = ~np.isnan(excluded.adjustment_share)
    np.testing.assert_allclose(excluded.adjustment_share[active], held[active], rtol=1e-9)
    # factors on no feedback loop form partitions of their own, each a single adjustment loop
    lonely = included.partition > 0
    assert all(included.loops[int(k)].kind == "adjustment" for k in np.flatnonzero(lonely))


def test_summary_and_frames_are_consistent(hacked):
    summary = hacked.summary()
    assert summary.iloc[0]["mean_share"] == summary["mean_share"].max()
    r1 = summary.set_index("id").loc["R1"]
    assert r1["runtime_polarity"] == "R" and r1["peak_month"] >= 12
    dom = hacked.dominant()
    assert (dom.loc[dom["top"] != AT_REST, "dominant_share"] >= 0.5 - 1e-12).all()
    np.testing.assert_allclose(
        (dom["reinforcing"] + dom["balancing"])[hacked.time >= 12], 1.0, rtol=1e-9
    )


# -- dominance shift ------------------------------------------------------------------------------------
def test_a_scenario_against_itself_shifts_nothing():
    shift = dominance_shift(scenario="hacker-attack", against="hacker-attack", stop=18)
    assert not shift.change().to_numpy().any()
    assert (shift.table()["change"] == 0).all()
    assert shift.periods().empty
    assert shift.note == ""


def test_shift_against_the_resting_baseline_is_the_scenario_itself(hacked):
    shift = dominance_shift(scenario="hacker-attack", stop=24, equilibrium=True)  # from rest
    assert "reference run (baseline) is at rest" in shift.note
    np.testing.assert_allclose(shift.change().to_numpy(), np.abs(hacked.relative))
    table = shift.table()
    assert (table["share_reference"] == 0).all()
    assert table.iloc[0]["change"] == table["change"].abs().max()


def test_shift_between_two_moving_runs_names_losses_and_when():
    # from the launch (both runs move), cut the link from trust to engagement
    cut = Interventions(overrides={"weight:public_trust->citizen_engagement": 0.0})
    shift = dominance_shift(scenario=cut, equilibrium=False, stop=24)
    assert shift.note == ""
    table = shift.table().set_index("id")
    ref = shift.reference.to_frame().abs()
    link = ("public_trust", "citizen_engagement")
    through = [lp.id for lp in shift.scenario.loops if link in lp.links]
    assert through and "R1" not in through  # R1 (followers <-> engagement) keeps running
    idle = [id for id in through if id not in table.index]  # the table lists active loops only
    assert not ref[idle].to_numpy().any()
    through = [id for id in through if id in table.index]
    assert through and (table.loc[through, "share_reference"] > 0).all()
    for id in through:  # every loop through the cut link loses all its share
        row = table.loc[id]
        assert row["share_scenario"] == 0
        assert row["change"] == pytest.approx(-row["share_reference"], rel=1e-12)
        assert row["loss_month"] == ref[id].idxmax()
        assert row["largest_loss"] == pytest.approx(-ref[id].max(), rel=1e-12)
    others = table.drop(index=through)
    assert others["change"].sum() == pytest.approx(-table.loc[through, "change"].sum(), rel=1e-9)


def test_a_link_added_by_a_scenario_brings_its_loops_with_zero_share_in_the_reference():
    added = Interventions(
        added_links=(Link("public_trust", "leadership_attention", 0.5),),
        events=(Event(time=1.0, variable="public_trust", multiply=0.8),),
    )
    shift = dominance_shift(scenario=added, stop=6)
    new = [
        k
        for k, lp in enumerate(shift.scenario.loops)
        if ("public_trust", "leadership_attention") in lp.links
    ]
    assert new and len(shift.scenario.loops) > len(find_loops())
    assert not shift.reference.relative[:, new].any()
    assert np.abs(shift.scenario.relative[:, new]).sum() > 0


def test_clamping_with_a_forcing_object_works_like_a_scenario_file():
    clamp = Interventions(forcings=(Forcing("funding", Constant(0.6), start=2.0),))
    dom = loop_dominance(scenario=clamp, stop=6)
    through = [k for k, lp in enumerate(dom.loops) if "funding" in lp.variables]
    assert not dom.scores[dom.time >= 2][:, through].any()
    assert np.abs(dom.relative[dom.time > 2]).sum() > 0


# -- bad input and the command line ---------------------------------------------------------------------
def test_bad_arguments_are_refused():
    with pytest.raises(GmsimError, match="`adjustment` must be one of exclude, include"):
        loop_dominance(adjustment="some")
    with pytest.raises(GmsimError, match="needs a `scenario`"):
        dominance_shift()
    model = Model(
        name="chain",
        factors=(Factor("t", kind="exogenous"), Factor("s", initial=0.4)),
        links=(Link("t", "s", 0.5),),
    )
    with pytest.raises(LoopError, match=r"has no feedback loops.*there is no loop dominance"):
        loop_dominance(model)
    with pytest.raises(GmsimError, match="`kind` must be"):
        loop_dominance(bistable()).to_frame("share")


def test_cli_writes_dominance_and_shift(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["loops", "--dominance", "--equilibrium", "--scenario", "hacker-attack", "--stop", "24"]
    assert main([*args, "--out", str(out)]) == 0  # --equilibrium: from rest, as the model is
    text = capsys.readouterr().out
    name = gmsim.load_model().name
    assert f"Loop dominance | {name} | scenario: hacker-attack" in text
    assert "months      0 - 12     at rest" in text and "led by R1" in text
    assert "reference run (baseline) is at rest" in text
    assert "Dominance shift | hacker-attack against baseline" in text
    for name in ("loops.csv", "dominance.csv", "dominance.png", "periods.csv", "link_scores.csv",
                 "loop_summary.csv", "shift.csv", "shift.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    frame = pd.read_csv(out / "dominance.csv")
    assert {"time", "R1", "B1", "top", "dominant", "adjustment_share"} <= set(frame.columns)
    assert (out / "dominance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_printed_summaries_are_public(tmp_path, capsys):
    from gmsim.analysis.summary import dominance_summary, shift_summary

    shift = dominance_shift(scenario="hacker-attack", stop=24)
    assert main(["loops", "--dominance", "--scenario", "hacker-attack", "--stop", "24",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert f"\n\n{dominance_summary(shift.scenario)}\n\n{shift_summary(shift)}\nwrote " in text
    resting = dominance_summary(loop_dominance(stop=3, equilibrium=True))
    assert resting.splitlines()[1].startswith("  the run is at rest")


def test_cli_dominance_at_rest_says_why(tmp_path, capsys):
    args = ["loops", "--dominance", "--stop", "3", "--out", str(tmp_path)]
    assert main([*args, "--equilibrium"]) == 0  # from the reference levels the model rests
    assert "the run is at rest" in capsys.readouterr().out
    for start in ([], ["--no-equilibrium"]):  # the default model's own start is the launch
        assert main([*args, *start]) == 0
        assert "majority by polarity" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([*args, "--equilibrium", "--no-equilibrium"])


def test_the_docstring_examples_run():
    result = doctest.testmod(importlib.import_module("gmsim.analysis.dominance"))
    assert result.attempted > 0 and result.failed == 0


def test_exact_accelerations_match_the_numerical_derivative_of_the_rates_under_a_ramp():
    from gmsim.analysis.dominance import _edge_logscores, _scoring
    from gmsim.core.paths import Ramp
    from gmsim.core.solver import RunSettings, solve

    ramp = Interventions(
        forcings=(Forcing("policy_support", Ramp(start=1, end=10, value=0.9, base=0.6)),)
    )
    system = gmsim.load_model().compile(ramp)
    p = system.parameters()
    run = solve(system, p, RunSettings(start=0, stop=12, dt=0.01, method="rk4"), save="states")
    time, states = run.time, run.values
    sc = _scoring(system, p, time, states[0])
    dynamic = [sc.nodes.index(s) for s in system.state_names[: system.n_dynamic]]
    slope = sc.rates[:, sc.nodes.index("policy_support")]
    assert slope[(time > 1) & (time < 10)] == pytest.approx(0.3 / 9)
    assert not slope[(time < 1) | (time >= 10)].any()
    for k in range(0, len(time), 97):  # the rates are the system's own rhs
        expected = system.rhs(time[k], states[0, k : k + 1], p)[0, : system.n_dynamic]
        np.testing.assert_allclose(sc.rates[k, dynamic], expected, rtol=1e-12, atol=1e-15)
    _edge_logscores(sc, atol=1e-12)  # fills in the composites' rates by the chain rule
    acc = np.zeros_like(sc.rates)
    np.add.at(acc.T, sc.dst, (sc.gains * sc.rates[:, sc.src]).T)
    numeric = np.gradient(sc.rates[:, dynamic], time, axis=0)
    inside = (time > 2) & (time < 9)  # away from the ramp's kinks
    scale = np.abs(numeric[inside]).max()
    assert np.abs(acc[inside][:, dynamic] - numeric[inside]).max() < 1e-4 * scale
