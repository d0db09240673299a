"""The engine against exact solutions, independent integrators and itself."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.stats import gamma

import gmsim
from gmsim import Dynamics, Event, Factor, Forcing, Interventions, Link, Model, Simulation
from gmsim.core.paths import Constant, Step
from gmsim.core.solver import RunSettings, solve, time_grid
from gmsim.core.system import Params, System
from gmsim.errors import ModelError, SimulationError
from gmsim.factor.system import FactorSystem

LAMBDA, BIAS, X0, TAU = 2.0, 0.7, 0.1, 3.0


def saturation(u, p):
    """S_p(u) = 1/2 + u / (1 + |2u|^p)^(1/p), written out here independently of gmsim."""
    return 0.5 + u / (1.0 + abs(2.0 * u) ** p) ** (1.0 / p)


def relaxing_model(**dynamics) -> Model:
    """One factor with no causes: dx/dt = (S_p(b) − x)/τ, so x(t) = S + (x0 − S)e^(−t/τ)."""
    return Model(
        name="relaxation",
        factors=(Factor("x", initial=X0, tau=TAU, bias=BIAS),),
        simulation=Simulation(stop=20.0, dt=0.25),
        dynamics=Dynamics(steepness=LAMBDA, equilibrium=False, **dynamics),
    )


def exact(t, x0=X0, t0=0.0):
    rest = saturation(BIAS, LAMBDA)
    return rest + (x0 - rest) * np.exp(-(np.asarray(t) - t0) / TAU)


@pytest.mark.parametrize("method", ["rk45", "lsoda"])
@pytest.mark.parametrize("rtol", [1e-4, 1e-6, 1e-8])
def test_adaptive_methods_meet_their_tolerance(method, rtol):
    atol = rtol * 1e-3
    result = gmsim.simulate(relaxing_model(), method=method, rtol=rtol, atol=atol)
    err = np.abs(result["x"] - exact(result.time)) / (atol + rtol * np.abs(exact(result.time)))
    # scipy's own ivp tests allow a small multiple of the tolerance
    assert err.max() < 5


@pytest.mark.parametrize(("method", "order"), [("euler", 1), ("rk4", 4)])
def test_fixed_step_methods_converge_at_their_order(method, order):
    errors = []
    for dt in (0.5, 0.25, 0.125):
        r = gmsim.simulate(relaxing_model(), method=method, dt=dt)
        errors.append(np.abs(r["x"] - exact(r.time)).max())
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert rates == pytest.approx([order, order], abs=0.15)


def test_rk4_is_accurate_at_the_default_step():
    r = gmsim.simulate(relaxing_model(), method="rk4", dt=0.125)
    assert np.abs(r["x"] - exact(r.time)).max() < 1e-8


def test_default_model_baseline_is_flat_under_equilibrium_initialisation():
    result = gmsim.simulate(gmsim.load_model(), stop=36, method="rk4", dt=0.125, equilibrium=True)
    values = result.to_frame()
    assert np.abs(values - values.iloc[0]).to_numpy().max() < 1e-9


def test_without_equilibrium_the_default_model_moves():
    result = gmsim.simulate(gmsim.load_model(), stop=12, equilibrium=False)
    frame = result.to_frame()
    assert np.abs(frame - frame.iloc[0]).to_numpy().max() > 1e-2


@pytest.fixture(scope="module")
def perturbed():
    """The default model pushed off its rest: attention clamped low from month 6."""
    return Interventions(forcings=(Forcing("leadership_attention", Constant(0.2), 6.0),))


def test_rk4_and_rk45_agree_on_a_moving_run(perturbed):
    model = gmsim.load_model()
    a = gmsim.simulate(model, scenario=perturbed, method="rk4", dt=0.125)
    b = gmsim.simulate(model, scenario=perturbed, method="rk45", dt=0.125, rtol=1e-8, atol=1e-10)
    assert np.abs(a.values - b.values).max() < 1e-4
    assert np.abs(a["funding"][-1] - a["funding"][0]) > 0.05  # it did move


def test_lsoda_agrees_with_rk4(perturbed):
    model = gmsim.load_model()
    a = gmsim.simulate(model, scenario=perturbed, method="rk4", dt=0.125)
    b = gmsim.simulate(model, scenario=perturbed, method="lsoda", rtol=1e-8, atol=1e-10)
    assert np.abs(a.values - b.values).max() < 1e-4


def test_a_batch_of_three_equals_three_single_runs():
    model = gmsim.load_model()
    batch = {
        "weight:leadership_attention->training": [0.8, 0.4, -0.2],
        "tau:training": [4.0, 2.0, 8.0],
        "initial:public_trust": [0.35, 0.6, 0.2],
    }
    scenario = Interventions(forcings=(Forcing("review_burden", Constant(0.9), 3.0),))
    runs = gmsim.simulate(model, scenario=scenario, batch=batch, stop=24)
    assert runs.batched and runs.values.shape[0] == 3
    for i in range(3):
        changed = model.replace(
            links=tuple(
                link.__class__(
                    **{**link.__dict__, "weight": batch["weight:leadership_attention->training"][i]}
                )
                if (link.cause, link.effect) == ("leadership_attention", "training")
                else link
                for link in model.links
            ),
            factors=tuple(
                f.__class__(**{**f.__dict__, "tau": batch["tau:training"][i]})
                if f.id == "training"
                else f.__class__(**{**f.__dict__, "initial": batch["initial:public_trust"][i]})
                if f.id == "public_trust"
                else f
                for f in model.factors
            ),
        )
        single = gmsim.simulate(changed, scenario=scenario, stop=24)
        np.testing.assert_allclose(runs.values[i], single.values[0], rtol=0, atol=1e-12)


def test_large_batches_in_blocks_and_threads_give_identical_numbers():
    system = gmsim.load_model().compile()
    rng = np.random.default_rng(1)
    batch = {f"weight:{name}": rng.uniform(-1, 1, 300) for name in system.link_names[:10]}
    params = system.parameters(batch)
    whole = solve(system, params, RunSettings(start=0, stop=6, dt=0.25, block=10_000, workers=1))
    split = solve(system, params, RunSettings(start=0, stop=6, dt=0.25, block=64, workers=2))
    assert np.array_equal(whole.values, split.values)


def test_an_event_off_the_grid_happens_exactly_at_its_time():
    """Set x to 0.9 at month 4.3 with dt 0.25: afterwards x follows the exact solution from 4.3."""
    scenario = Interventions(events=(Event(4.3, "x", set=0.9),))
    # snapping the event to the grid (4.25) would err by ~2e-3; rk4 truncation at dt 0.25 is ~1e-7
    for method, tol in (("rk4", 1e-6), ("euler", 5e-2), ("rk45", 1e-5)):
        r = gmsim.simulate(relaxing_model(), scenario=scenario, method=method, dt=0.25)
        after = r.time > 4.3
        expected = exact(r.time[after], x0=0.9, t0=4.3)
        assert np.abs(r["x"][after] - expected).max() < tol, method
        before = r.time < 4.3
        assert np.abs(r["x"][before] - exact(r.time[before])).max() < tol, method


def test_an_event_on_the_grid_is_saved_after_the_jump():
    scenario = Interventions(events=(Event(5.0, "x", multiply=0.5),))
    r = gmsim.simulate(relaxing_model(), scenario=scenario, method="rk4", dt=0.25)
    k = int(np.searchsorted(r.time, 5.0))
    assert r["x"][k] == pytest.approx(0.5 * exact(5.0), abs=1e-6)
    assert r["x"][k - 1] == pytest.approx(exact(4.75), abs=1e-6)


def test_a_clamp_holds_the_level_and_releases_it():
    scenario = Interventions(forcings=(Forcing("x", Constant(0.8), start=2.0, end=6.0),))
    r = gmsim.simulate(relaxing_model(), scenario=scenario, method="rk4", dt=0.25)
    inside = (r.time >= 2.0) & (r.time < 6.0)
    assert np.all(r["x"][inside] == 0.8)
    later = r.time >= 6.0
    np.testing.assert_allclose(r["x"][later], exact(r.time[later], x0=0.8, t0=6.0), atol=1e-7)


def test_a_driver_step_on_an_exogenous_factor_reaches_the_effect():
    model = Model(
        name="driver",
        factors=(
            Factor("cause", kind="exogenous", initial=0.2),
            Factor("effect", initial=0.5, tau=1.0),
        ),
        links=(Link("cause", "effect", 0.8),),
        dynamics=Dynamics(steepness=4.0),
    )
    scenario = Interventions(forcings=(Forcing("cause", Step(at=3.0, value=0.9, base=0.2)),))
    r = gmsim.simulate(model, scenario=scenario, stop=20, dt=0.125)
    assert np.all(r["effect"][r.time <= 3.0] == pytest.approx(0.5, abs=1e-12))
    # at rest again: S_p(b + w·0.9) with b solved for rest at 0.5 (S_p(0) = 0.5) with cause 0.2
    b = 0.0 - 0.8 * 0.2
    assert r["effect"][-1] == pytest.approx(saturation(b + 0.8 * 0.9, 4.0), abs=1e-6)


@pytest.mark.parametrize("order", [1, 3])
def test_delayed_link_stages_follow_the_erlang_response(order):
    """A unit step through an order-n delay of total time d: the last stage is the Erlang CDF."""
    d = 4.0
    model = Model(
        name="delay",
        factors=(Factor("cause", kind="exogenous", initial=0.0), Factor("effect", initial=0.5, tau=1.0)),
        links=(Link("cause", "effect", 0.5, delay=d, order=order),),
        dynamics=Dynamics(equilibrium=False),
    )
    system = FactorSystem(model)
    params = system.parameters()
    y0 = system.initial_state(params)
    y0[0, system.state_index("cause")] = 1.0  # the step, at t = 0
    sol = solve_ivp(
        lambda t, y: system.rhs(t, y[None, :], params)[0],
        (0, 20),
        y0[0],
        rtol=1e-10,
        atol=1e-12,
        t_eval=np.linspace(0, 20, 41),
    )
    last = system.n_endo + order - 1
    expected = gamma.cdf(sol.t, a=order, scale=d / order)
    np.testing.assert_allclose(sol.y[last], expected, atol=1e-7)


def test_sparse_and_dense_paths_agree(monkeypatch):
    rng = np.random.default_rng(7)
    n = 60
    factors = tuple(
        Factor(f"f{i}", initial=float(rng.uniform(0.2, 0.8)), tau=float(rng.uniform(1, 5)))
        for i in range(n)
    )
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n, (240, 2)) if a != b}
    links = tuple(
        Link(f"f{a}", f"f{b}", float(rng.uniform(-0.5, 0.5)), delay=2.0 if a % 7 == 0 else 0.0)
        for a, b in sorted(pairs)
    )
    model = Model(name="random", factors=factors, links=links, dynamics=Dynamics(equilibrium=False))
    batch = {f"weight:f{a}->f{b}": rng.uniform(-0.5, 0.5, 4) for a, b in sorted(pairs)[:5]}
    dense_shared = gmsim.simulate(model, stop=10)
    dense_batch = gmsim.simulate(model, stop=10, batch=batch)
    monkeypatch.setattr("gmsim.factor.system.SPARSE_ABOVE", 10)
    assert FactorSystem(model)._sparse
    np.testing.assert_allclose(gmsim.simulate(model, stop=10).values, dense_shared.values, atol=1e-12)
    np.testing.assert_allclose(
        gmsim.simulate(model, stop=10, batch=batch).values, dense_batch.values, atol=1e-12
    )


def test_levels_stay_in_the_unit_interval_under_any_weights():
    system = gmsim.load_model().compile()
    rng = np.random.default_rng(3)
    batch = {f"weight:{name}": rng.uniform(-1, 1, 200) for name in system.link_names}
    r = gmsim.simulate(system, batch=batch, stop=36, equilibrium=None)
    assert np.isfinite(r.values).all()
    assert r.values.min() >= 0.0 and r.values.max() <= 1.0


class Explosive(System):
    """dx/dt = x², x(0) = 1: x = 1/(1 − t) blows up at t = 1."""

    name = "explosive"
    state_names = variable_names = ("x",)
    groups = labels = MappingProxyType({})
    graph = None
    simulation = Simulation(stop=2.0, dt=0.01, method="euler")

    def parameter_names(self):
        return ()

    def parameters(self, batch=None):
        return Params(batch=1)

    def initial_state(self, params):
        return np.ones((1, 1))

    def rhs(self, t, y, params):
        return y**2

    def observe(self, t, y, params):
        return y


def test_non_finite_values_stop_the_run_naming_the_variable_and_time():
    # a system that does not say what its time is counted in: "at time ..."
    with pytest.raises(SimulationError, match=r"'x' became inf at time 1\.\d+"):
        gmsim.simulate(Explosive())


def test_a_non_finite_batch_value_is_refused_naming_column_and_run():
    with pytest.raises(ModelError, match=r"'tau:training' is nan in run 1"):
        gmsim.simulate(gmsim.load_model(), batch={"tau:training": [3.0, float("nan")]}, stop=2)


def test_a_step_too_long_for_the_fastest_factor_is_refused():
    with pytest.raises(SimulationError, match=r"`dt` = 3.*'x'.*time constant is 1"):
        gmsim.simulate(relaxing_model().replace(factors=(Factor("x", initial=0.2, tau=1.0),)), dt=3.0)


def test_stop_before_start_is_refused():
    with pytest.raises(SimulationError, match=r"`stop` \(month 0\) must be after `start` \(month 0\)"):
        gmsim.simulate(relaxing_model(), stop=0)


def test_time_grid_ends_exactly_at_stop():
    grid = time_grid(0, 36, 0.125)
    assert len(grid) == 289 and grid[-1] == 36.0
    assert time_grid(0, 1, 0.3)[-1] == 1.0


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("tau:training", 0.0, "tau must be > 0"),
        ("weight:leadership_attention->funding", 1.5, r"weights must be in \[-1, 1\]"),
        ("initial:funding", -0.1, r"initial levels must be in \[0, 1\]"),
    ],
)
def test_batch_values_out_of_range_are_refused(column, value, message):
    with pytest.raises(ModelError, match=rf"'{column}' is {value:g} in run 0; {message}"):
        gmsim.simulate(gmsim.load_model(), batch={column: [value]}, stop=1)


def test_unknown_batch_column_is_refused_with_a_suggestion():
    with pytest.raises(
        ModelError, match=r"unknown parameter 'tau:trainng' \(did you mean 'tau:training'\?\)"
    ):
        gmsim.simulate(gmsim.load_model(), batch={"tau:trainng": [1.0]}, stop=1)


def test_the_adjustment_time_of_a_decided_factor_is_refused_with_what_to_vary_instead():
    with pytest.raises(
        ModelError,
        match=r"'tau:funding': 'funding' has no adjustment time, it is decided every 12 months "
        r"\(`decide_every`\) and jumps to its target then; vary the weights of its links or "
        r"'initial:funding' instead",
    ):
        gmsim.simulate(gmsim.load_model(), batch={"tau:funding": [3.0]}, stop=1)
