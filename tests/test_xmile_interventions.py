"""Imported models behave like any gmsim model: own sim_specs, overrides, batches, clamps, events, graph, CLI.

The reference throughout is the teacup, whose Euler steps are written out by
hand (``T <- T - dt * (T - room) / time``) and whose exact solution is
``room + (T0 - room) * exp(-t / time)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from xmile_models import aux, flow, model, stock

import gmsim
from gmsim.cli import main
from gmsim.core.paths import Constant, Step
from gmsim.core.system import Event, Forcing, Interventions
from gmsim.errors import ModelError, ScenarioError, SimulationError
from gmsim.scenario import Intervention, Scenario
from gmsim.xmile import XmileSystem, load_xmile_text
from gmsim.xmile.examples import TEACUP


@pytest.fixture(scope="module")
def teacup():
    return load_xmile_text(TEACUP)


def euler(t0, room, time, times, *, holds=()):
    """Hand-written Euler steps of the teacup; ``holds`` = (start, end, room) windows of a forced room."""
    out = [t0]
    for k in range(len(times) - 1):
        r = room
        for start, end, value in holds:
            if start <= times[k] < end:
                r = value
        out.append(out[-1] - (times[k + 1] - times[k]) * (out[-1] - r) / time)
    return np.array(out)


def test_runs_with_its_own_sim_specs(teacup):
    r = gmsim.simulate(teacup)
    np.testing.assert_allclose(r.time, np.arange(0, 30.0001, 0.125))
    assert r.method == "euler" and r.model == "teacup"
    np.testing.assert_allclose(r["Teacup_Temperature"], euler(180, 70, 10, r.time), rtol=1e-13)
    np.testing.assert_allclose(r["Heat_Loss_to_Room"], (r["Teacup_Temperature"] - 70) / 10, rtol=1e-13)
    assert r.groups == {
        "Heat_Loss_to_Room": "flow",
        "Room_Temperature": "aux",
        "Teacup_Temperature": "stock",
        "Characteristic_Time": "aux",
    }
    assert r.labels["Teacup_Temperature"] == "Teacup Temperature"


def test_rk4_from_sim_specs_is_fourth_order_accurate(teacup):
    r = gmsim.simulate(teacup.with_simulation(method="rk4"))
    exact = 70 + 110 * np.exp(-r.time / 10)
    np.testing.assert_allclose(r["Teacup_Temperature"], exact, rtol=2e-9)
    assert np.abs(gmsim.simulate(teacup)["Teacup_Temperature"] - exact).max() > 0.1  # Euler is not


def test_overrides_name_constants_and_initial_values_in_any_case(teacup):
    iv = Interventions(overrides={"constant:characteristic time": 5, "INITIAL:teacup_temperature": 100})
    r = gmsim.simulate(teacup, scenario=iv)
    np.testing.assert_allclose(r["Teacup_Temperature"], euler(100, 70, 5, r.time), rtol=1e-13)
    assert r["Characteristic_Time"][0] == 5
    assert teacup.compile().parameter_names() == (
        "constant:Room_Temperature",
        "constant:Characteristic_Time",
        "initial:Teacup_Temperature",
    )


def test_a_batch_runs_each_parameter_set_at_once(teacup):
    r = gmsim.simulate(
        teacup,
        batch={
            "constant:Characteristic_Time": [5, 10, 20],
            "initial:Teacup_Temperature": [180, 90, 180],
        },
    )
    assert r["Teacup_Temperature"].shape == (3, len(r.time))
    for run, (time, t0) in enumerate([(5, 180), (10, 90), (20, 180)]):
        np.testing.assert_allclose(r["Teacup_Temperature"][run], euler(t0, 70, time, r.time), rtol=1e-13)


def test_a_batch_reaches_delays_and_smooths_too():
    m = model(
        aux("delay time", "2"),
        aux("x", "STEP(10, 1)"),
        aux("late", "DELAY(x, delay_time)"),
        aux("smooth", "SMTH3(x, delay_time)"),
        stop=8,
        dt=0.5,
    )
    batch = gmsim.simulate(m, batch={"constant:delay_time": [1.0, 2.0, 3.0]})
    for run, d in enumerate([1.0, 2.0, 3.0]):
        single = gmsim.simulate(m, scenario=Interventions(overrides={"constant:delay_time": d}))
        np.testing.assert_allclose(batch["late"][run], single["late"], rtol=1e-14)
        np.testing.assert_allclose(batch["smooth"][run], single["smooth"], rtol=1e-14)
        np.testing.assert_allclose(single["late"], np.where(single.time >= 1 + d, 10.0, 0.0))


def test_forcing_an_auxiliary_replaces_its_value_while_active(teacup):
    iv = Interventions(forcings=(Forcing("room_temperature", Constant(20.0), 10, 20),))
    r = gmsim.simulate(teacup, scenario=iv)
    np.testing.assert_allclose(
        r["Teacup_Temperature"], euler(180, 70, 10, r.time, holds=[(10, 20, 20.0)]), rtol=1e-13
    )
    room = r["Room_Temperature"]
    assert room[r.time < 10].max() == room[r.time >= 20].min() == 70
    np.testing.assert_array_equal(room[(r.time >= 10) & (r.time < 20)], 20.0)


def test_a_driver_path_on_an_auxiliary(teacup):
    iv = Interventions(forcings=(Forcing("Room_Temperature", Step(at=15, value=0.0, base=70.0)),))
    r = gmsim.simulate(teacup, scenario=iv)
    np.testing.assert_allclose(
        r["Teacup_Temperature"], euler(180, 70, 10, r.time, holds=[(15, 99, 0.0)]), rtol=1e-13
    )


def test_clamping_a_stock_holds_it_then_lets_it_go(teacup):
    iv = Interventions(forcings=(Forcing("Teacup_Temperature", Constant(150.0), 5, 10),))
    r = gmsim.simulate(teacup, scenario=iv)
    t, temp = r.time, r["Teacup_Temperature"]
    np.testing.assert_allclose(temp[t < 5], euler(180, 70, 10, t[t < 5]), rtol=1e-13)
    np.testing.assert_array_equal(temp[(t >= 5) & (t <= 10)], 150.0)
    np.testing.assert_allclose(temp[t >= 10], euler(150, 70, 10, t[t >= 10]), rtol=1e-13)


def test_events_jump_stocks(teacup):
    iv = Interventions(
        events=(
            Event(12, "teacup temperature", set=200.0),
            Event(20, "Teacup_Temperature", multiply=0.5),
        )
    )
    r = gmsim.simulate(teacup, scenario=iv)
    t, temp = r.time, r["Teacup_Temperature"]
    before = euler(180, 70, 10, t[t <= 12])
    middle = euler(200, 70, 10, t[(t >= 12) & (t <= 20)])
    np.testing.assert_allclose(temp[t < 12], before[:-1], rtol=1e-13)
    np.testing.assert_allclose(temp[(t >= 12) & (t < 20)], middle[:-1], rtol=1e-13)
    np.testing.assert_allclose(temp[t >= 20], euler(middle[-1] * 0.5, 70, 10, t[t >= 20]), rtol=1e-12)


def test_a_scenario_runs_on_an_imported_model(teacup):
    s = Scenario(
        "cold room",
        actions=(
            Intervention("step", "Room_Temperature", at=10, value=20.0),
            Intervention("event", "Teacup_Temperature", at=5, set=200.0),
        ),
    )
    r = gmsim.simulate(teacup, scenario=s)
    assert r.scenario == "cold room"
    assert float(r.at(5)["Teacup_Temperature"]) == 200.0
    assert float(r.at(12)["Room_Temperature"]) == 20.0


@pytest.mark.parametrize(
    ("interventions", "error", "message"),
    [
        (
            Interventions(forcings=(Forcing("room_temprature", Constant(1.0)),)),
            ScenarioError,
            "did you mean 'Room_Temperature'",
        ),
        (
            Interventions(events=(Event(1, "Room_Temperature", set=1.0),)),
            ScenarioError,
            "is not a stock",
        ),
        (
            Interventions(overrides={"constant:Teacup_Temperature": 1}),
            ModelError,
            "constant:<auxiliary> and initial:<stock>",
        ),
        (
            Interventions(overrides={"tau:Teacup_Temperature": 1}),
            ModelError,
            "unknown parameter 'tau:Teacup_Temperature'",
        ),
    ],
)
def test_wrong_names_in_interventions_are_explained(teacup, interventions, error, message):
    with pytest.raises(error, match=message):
        teacup.compile(interventions)


def test_added_links_belong_to_factor_models(teacup):
    link = gmsim.Link("Room_Temperature", "Teacup_Temperature", weight=0.5)
    with pytest.raises(ScenarioError, match="stock-and-flow model"):
        teacup.compile(Interventions(added_links=(link,)))


def test_dt_in_the_equations_follows_with_simulation_not_a_bare_dt():
    m = model(stock("tank", "0", inflows=("fill",)), flow("fill", "PULSE(4, 2)"), stop=4, dt=0.5)
    with pytest.raises(SimulationError, match="uses DT in its equations"):
        gmsim.simulate(m, dt=1.0)
    r = gmsim.simulate(m.with_simulation(dt=0.25))
    assert r["fill"].max() == 16.0 and r["tank"][-1] == pytest.approx(4.0)


def test_a_model_without_dt_in_its_equations_runs_at_any_step(teacup):
    r = gmsim.simulate(teacup, dt=0.5, method="rk45")
    np.testing.assert_allclose(r["Teacup_Temperature"], 70 + 110 * np.exp(-r.time / 10), rtol=1e-5)


def test_start_time_in_initial_values_needs_with_simulation():
    m = model(stock("s", "TIME", inflows=("f",)), flow("f", "1"), start=2, stop=5)
    with pytest.raises(SimulationError, match="initial values depend on TIME"):
        gmsim.simulate(m, start=0)
    assert gmsim.simulate(m.with_simulation(start=0))["s"][0] == 0.0


def test_the_causal_graph_carries_link_polarity():
    sir = model(
        stock("susceptible", "990", outflows=("infection",)),
        stock("infected", "10", inflows=("infection",), outflows=("recovery",)),
        flow("infection", "susceptible * infected * contact / total"),
        flow("recovery", "infected / duration"),
        aux("total", "1000"),
        aux("contact", "0.3"),
        aux("duration", "5"),
    )
    g = sir.compile().graph
    signs = {(a, b): d["sign"] for a, b, d in g.edges(data=True)}
    assert signs[("infected", "infection")] == 1 and signs[("susceptible", "infection")] == 1
    assert signs[("total", "infection")] == -1 and signs[("duration", "recovery")] == -1
    assert signs[("infection", "infected")] == 1 and signs[("infection", "susceptible")] == -1
    assert signs[("recovery", "infected")] == -1
    assert g.edges["infection", "infected"]["kind"] == "flow"
    assert g.edges["contact", "infection"]["kind"] == "info"
    loops = {tuple(sorted(loop.variables)): loop.polarity for loop in gmsim.find_loops(sir.compile())}
    assert loops[("infected", "infection")] == "R"  # contagion reinforces
    assert loops[("infected", "recovery")] == "B"  # recovery balances
    assert loops[("infection", "susceptible")] == "B"  # depletion balances


def test_signs_through_smooths_and_graphical_functions():
    falling = "<gf><xpts>0,1</xpts><ypts>1,0</ypts></gf>"
    m = model(
        aux("x", "TIME"),
        aux("smoothed", "SMTH1(x, 2)"),
        aux("effect", "x", gf=falling),
        aux("wavy", "SIN(x)"),
        aux("ratio", "1 / x"),
    )
    g = m.graph()
    assert g.edges["x", "smoothed"]["sign"] == 1
    assert g.edges["x", "effect"]["sign"] == -1
    assert g.edges["x", "wavy"]["sign"] == 0
    assert g.edges["x", "ratio"]["sign"] == -1


def test_gmsim_run_writes_an_imported_models_trajectories(tmp_path, capsys):
    path = tmp_path / "teacup.xmile"
    path.write_text(TEACUP)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 0
    frame = pd.read_csv(out / "trajectories.csv")
    assert list(frame.columns) == [
        "time",
        "Heat_Loss_to_Room",
        "Room_Temperature",
        "Teacup_Temperature",
        "Characteristic_Time",
    ]
    np.testing.assert_allclose(
        frame["Teacup_Temperature"], euler(180, 70, 10, frame["time"].to_numpy()), rtol=1e-12
    )
    assert (out / "overview.png").stat().st_size > 1000
    assert "teacup" in capsys.readouterr().out


def test_gmsim_run_reports_a_broken_file_in_one_line(tmp_path, capsys):
    path = tmp_path / "broken.xmile"
    path.write_text(TEACUP.replace("<eqn>70</eqn>", "<eqn>7O + </eqn>"))
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "broken.xmile:12: variable 'Room Temperature'" in err and "7O +" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_compiled_system_is_an_engine_system(teacup):
    system = teacup.compile()
    assert isinstance(system, XmileSystem) and isinstance(system, gmsim.System)
    params = system.parameters({"constant:Room_Temperature": [70.0, 20.0]})
    y = system.initial_state(params)
    np.testing.assert_allclose(system.rhs(0.0, y, params), [[-11.0], [-16.0]])
    assert system.observe(0.0, y, params).shape == (2, 4)


def test_sensitivity_and_monte_carlo_vary_an_imported_models_constants(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[spec]\nname = "teacup"\nseed = 3\nmetrics = ["Teacup_Temperature"]\n\n'
        '[[uncertain]]\nparameter = ["constant:Characteristic_Time"]\n'
        'distribution = "uniform"\nrelative = 0.2\n'
    )
    system = load_xmile_text(TEACUP).compile()
    assert system.parameter_values() == {
        "constant:Room_Temperature": 70.0,
        "constant:Characteristic_Time": 10.0,
        "initial:Teacup_Temperature": 180.0,
    }
    mc = gmsim.monte_carlo(load_xmile_text(TEACUP), str(spec), runs=16, progress=False)
    frame = mc.metric_frame()
    finals = frame[next(c for c in frame.columns if c != "sample")].to_numpy()
    grid = np.arange(0, 30.0001, 0.125)
    fastest, slowest = euler(180, 70, 8, grid)[-1], euler(180, 70, 12, grid)[-1]  # time uniform on 8..12
    assert mc.ok_runs == 16 and len(finals) == 16
    assert fastest <= finals.min() < finals.max() <= slowest


def test_loop_dominance_of_an_epidemic_shifts_from_contagion_to_depletion_to_recovery():
    sir = model(
        stock("susceptible", "1000", outflows=("succumbing",)),
        stock("infectious", "5", inflows=("succumbing",), outflows=("recovering",)),
        stock("recovered", "0", inflows=("recovering",)),
        flow("succumbing", "susceptible * infectious / total_population * contact_infectivity"),
        flow("recovering", "infectious / duration"),
        aux("total_population", "1000"),
        aux("duration", "5"),
        aux("contact_infectivity", "0.3"),
        stop=60,
        dt=0.03125,
    )
    system = sir.compile()
    params = system.parameters()
    gains = system.link_gains(0.0, system.initial_state(params), params)
    assert gains[("infectious", "succumbing")] == pytest.approx(1000 * 0.3 / 1000, rel=1e-8)
    assert gains[("infectious", "recovering")] == pytest.approx(1 / 5, rel=1e-8)
    assert gains[("recovering", "infectious")] == pytest.approx(-1.0, rel=1e-8)
    d = gmsim.loop_dominance(sir)
    share = d.to_frame()
    ids = {tuple(sorted(loop.variables)): loop.id for loop in d.loops}
    contagion = ids[("infectious", "succumbing")]
    depletion = ids[("succumbing", "susceptible")]
    recovery = ids[("infectious", "recovering")]
    assert share.loc[0.0, contagion] > 0.5  # early on, infection feeds itself
    assert share.loc[40.0, depletion] < -0.5  # at the peak, running out of susceptibles rules
    assert share.loc[60.0, recovery] < -0.5  # afterwards, recovery drains the infected


def test_loop_dominance_refuses_links_through_hidden_builtin_stocks():
    m = model(
        stock("level", "1", inflows=("growth",)),
        flow("growth", "0.1 * perceived"),
        aux("perceived", "SMTH1(level, 2)"),
    )
    system = m.compile()
    params = system.parameters()
    with pytest.raises(SimulationError, match="passes through the stock of a smooth or delay builtin"):
        system.link_gains(0.0, system.initial_state(params), params)
    with pytest.raises(SimulationError, match=r"'level' -> 'perceived' .* smooth or delay builtin"):
        gmsim.loop_dominance(m)
