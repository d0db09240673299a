"""The one entry point of the engine: settings, solver statistics, saved states, messages in units."""

from __future__ import annotations

import ast
import pathlib
from types import MappingProxyType

import numpy as np
import pytest
from xmile_models import document, flow, stock

import gmsim
from gmsim import Dynamics, Event, Factor, Forcing, Interventions, Model, Simulation
from gmsim.core import METHOD_TABLE, METHODS, Method, RunSettings, SolverStats, solve
from gmsim.core.paths import Constant
from gmsim.core.system import Params, System
from gmsim.errors import SimulationError
from gmsim.uncertainty.spec import Distribution, Uncertain, UncertaintySpec
from gmsim.xmile import load_xmile_text
from gmsim.xmile.examples import TEACUP

CORE = pathlib.Path(gmsim.__file__).parent / "core"


def relaxing_model(**changes) -> Model:
    """One factor with no causes, relaxing to its rest with time constant 3."""
    model = Model(
        name="relaxation",
        factors=(Factor("x", initial=0.1, tau=3.0, bias=0.7),),
        simulation=Simulation(stop=20.0, dt=0.25),
        dynamics=Dynamics(steepness=2.0, equilibrium=False),
    )
    return model.replace(**changes) if changes else model


def in_minutes(*variables: str, **options):
    """An XMILE model of ``variables`` whose time is counted in minutes."""
    text = document(*variables, **options)
    return load_xmile_text(text.replace("<sim_specs ", '<sim_specs time_units="Minutes" ', 1))


class Burst(System):
    """An oscillator that speeds up near t = 5 (adaptive methods reject steps there).

    It counts its own right-hand-side calls, to check the solver's statistics independently.
    """

    name = "burst"
    state_names = variable_names = ("x", "v")
    groups = labels = MappingProxyType({})
    graph = None
    time_unit = "Minutes"
    simulation = Simulation(stop=10.0, dt=0.5)

    def __init__(self):
        self.calls = 0

    def parameter_names(self):
        return ()

    def parameters(self, batch=None):
        return Params(batch=1)

    def initial_state(self, params):
        return np.array([[1.0, 0.0]])

    def rhs(self, t, y, params):
        self.calls += 1
        w = 1 + 20 * np.exp(-((t - 5) ** 2))
        return np.column_stack([y[:, 1], -(w**2) * y[:, 0]])

    def observe(self, t, y, params):
        return y


# -- the method table --------------------------------------------------------------------------------
def test_one_method_table_feeds_every_list_of_methods():
    from gmsim.cli._common import METHODS as CLI_METHODS
    from gmsim.factor.model import METHODS as MODEL_METHODS
    from gmsim.xmile.writer import XMILE_METHODS

    assert METHODS == ("euler", "rk4", "rk45", "lsoda") == tuple(METHOD_TABLE)
    assert MODEL_METHODS is METHODS and CLI_METHODS is METHODS
    assert XMILE_METHODS == {n: m.xmile for n, m in METHOD_TABLE.items()}
    assert XMILE_METHODS["lsoda"] == "gear, rk4" and XMILE_METHODS["rk45"] == "rk45, rk4"
    assert {n: m.stability for n, m in METHOD_TABLE.items()} == {
        "euler": 1.0,
        "rk4": 2.0,
        "rk45": None,
        "lsoda": None,
    }
    for m in METHOD_TABLE.values():
        assert isinstance(m, Method)
        assert (m.stepper is not None) == m.fixed == (m.kind == "fixed") == (m.scipy is None)
        assert (m.stages is not None) == m.fixed
        with pytest.raises(AttributeError):
            m.name = "other"  # frozen


def test_core_imports_nothing_of_gmsim_but_errors_and_limits():
    for path in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name == "gmsim" or name.startswith("gmsim."):
                    bottom = name in ("gmsim.errors", "gmsim.limits")
                    assert bottom or name.startswith("gmsim.core"), (path.name, name)


def test_the_new_names_are_public_and_listed():
    for name in ("RunSettings", "solve"):
        assert name in gmsim.__all__ and name in dir(gmsim)
        assert getattr(gmsim, name) is getattr(gmsim.core, name)
    assert "monte_carlo" in dir(gmsim)  # every lazy name is listed
    for name in ("RunSettings", "SolverStats", "solve", "METHODS", "Method"):
        assert name in gmsim.core.__all__


# -- settings ----------------------------------------------------------------------------------------
def test_run_settings_are_keyword_only_and_frozen():
    with pytest.raises(TypeError):
        RunSettings(0, 12, 0.5)  # type: ignore[misc]
    settings = RunSettings(start=0, stop=12, dt=0.5)
    with pytest.raises(AttributeError):
        settings.dt = 1.0  # type: ignore[misc]
    assert (settings.start, settings.stop, settings.dt) == (0.0, 12.0, 0.5)
    assert isinstance(settings.start, float)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": "0"}, r"`start` must be a finite number, got '0'"),
        ({"stop": float("inf")}, r"`stop` must be a finite number, got inf"),
        ({"dt": True}, r"`dt` must be a finite number, got True"),
        ({"stop": -1}, r"`stop` \(-1\) must be after `start` \(0\)"),
        ({"dt": -0.5}, r"`dt` must be > 0, got -0.5"),
        ({"method": "RK4"}, r"unknown `method` 'RK4' \(did you mean 'rk4'\?\)"),
        ({"rtol": 0}, r"`rtol` must be > 0, got 0"),
        ({"atol": -1e-9}, r"`atol` must be >= 0"),
        ({"workers": 0}, r"`workers` must be a whole number >= 1, got 0"),
        ({"block": 2.5}, r"`block` must be a whole number >= 1, got 2.5"),
        ({"check_finite": "yes"}, r"`check_finite` must be True or False"),
    ],
)
def test_run_settings_refuse_bad_values_naming_the_argument(changes, message):
    with pytest.raises(SimulationError, match=message):
        RunSettings(**{"start": 0, "stop": 12, "dt": 0.5, **changes})


def test_settings_for_a_system_take_its_own_defaults():
    system = relaxing_model().compile()
    settings = RunSettings.for_system(system, dt=0.5, rtol=1e-8)
    assert (settings.start, settings.stop, settings.dt, settings.method) == (0.0, 20.0, 0.5, "rk4")
    assert settings.rtol == 1e-8


def test_solve_refuses_other_arguments_clearly():
    system = relaxing_model().compile()
    settings = RunSettings(start=0, stop=1, dt=0.5)
    with pytest.raises(SimulationError, match="`save` must be 'variables' or 'states'"):
        solve(system, system.parameters(), settings, save="levels")
    with pytest.raises(SimulationError, match="`settings` must be a RunSettings"):
        solve(system, system.parameters(), {"start": 0, "stop": 1, "dt": 0.5})


# -- solver statistics: exact counts and caps ----------------------------------------------------------
def test_rk4_on_the_default_model_takes_four_evaluations_per_step():
    """288 steps of 0.125 over 36 months; each breakpoint inside the horizon starts a segment,
    and one off the grid splits a step in two."""
    model = gmsim.load_model()
    system = model.compile()
    inside = [b for b in system.breakpoints(system.parameters()) if 0 < b < 36]
    off_grid = sum(b / 0.125 != round(b / 0.125) for b in inside)
    steps = 288 + off_grid
    result = gmsim.simulate(model, stop=36, method="rk4", dt=0.125)
    assert result.stats == SolverStats(
        steps=steps, rhs_evaluations=4 * steps, segments=1 + len(inside), rejected=0, blocks=1
    )
    euler = gmsim.simulate(model, stop=36, method="euler", dt=0.125)
    assert (euler.stats.steps, euler.stats.rhs_evaluations) == (steps, steps)


def test_an_off_grid_event_adds_one_partial_step_and_a_segment():
    """Event at 4.3 with dt 0.25 over 20: 80 grid steps, one of them split in two at 4.3."""
    scenario = Interventions(events=(Event(4.3, "x", set=0.9),))
    result = gmsim.simulate(relaxing_model(), scenario=scenario, method="rk4", dt=0.25)
    assert result.stats == SolverStats(steps=81, rhs_evaluations=4 * 81, segments=2, rejected=0)


def test_breakpoints_on_the_grid_add_segments_but_no_steps():
    scenario = Interventions(forcings=(Forcing("x", Constant(0.8), start=2.0, end=6.0),))
    result = gmsim.simulate(relaxing_model(), scenario=scenario, method="rk4", dt=0.25)
    assert result.stats == SolverStats(steps=80, rhs_evaluations=320, segments=3, rejected=0)


@pytest.mark.parametrize("method", METHODS)
def test_the_evaluations_counted_are_the_calls_the_system_saw(method):
    system = Burst()
    result = solve(system, system.parameters(), RunSettings(start=0, stop=10, dt=0.5, method=method))
    assert result.stats.rhs_evaluations == system.calls > 0
    assert result.time_unit == "Minutes" and result.method == method


@pytest.mark.parametrize("method", [m for m in METHODS if METHOD_TABLE[m].fixed])
def test_a_fixed_step_makes_exactly_its_stages_evaluations(method):
    calls = []
    step = METHOD_TABLE[method]

    def f(t, y, p):
        calls.append(t)
        return -y

    step.stepper(f, 0.0, np.ones((3, 2)), 0.1, None)
    assert len(calls) == step.stages


def test_rk45_reports_its_rejected_steps():
    """Every Runge-Kutta try costs six evaluations, plus two to start: the counts add up."""
    system = Burst()
    stats = solve(
        system, system.parameters(), RunSettings(start=0, stop=10, dt=0.5, method="rk45")
    ).stats
    assert stats.rejected > 0
    assert stats.rhs_evaluations == 2 * stats.segments + 6 * (stats.steps + stats.rejected)
    lsoda = solve(system, system.parameters(), RunSettings(start=0, stop=10, dt=0.5, method="lsoda"))
    assert lsoda.stats.rejected is None and lsoda.stats.steps > 0


@pytest.mark.parametrize(("rtol", "cap"), [(1e-4, 80), (1e-6, 160), (1e-8, 330)])
def test_rk45_stays_under_an_evaluation_cap_on_a_smooth_exact_problem(rtol, cap):
    """Caps about 25 % above today's counts (62, 128, 272): a slower engine fails here."""
    result = gmsim.simulate(relaxing_model(), method="rk45", rtol=rtol, atol=rtol * 1e-3)
    assert result.stats.rhs_evaluations <= cap
    assert result.stats.rejected == 0


def test_lsoda_stays_under_an_evaluation_cap():
    result = gmsim.simulate(relaxing_model(), method="lsoda")
    assert result.stats.rhs_evaluations <= 120  # 95 today


def test_blocks_add_up_their_work_and_give_the_same_numbers():
    system = gmsim.load_model().compile()
    rng = np.random.default_rng(1)
    params = system.parameters({f"weight:{n}": rng.uniform(-1, 1, 300) for n in system.link_names[:10]})
    whole = solve(system, params, RunSettings(start=0, stop=6, dt=0.25, block=10_000, workers=1))
    split = solve(system, params, RunSettings(start=0, stop=6, dt=0.25, block=64, workers=2))
    assert np.array_equal(whole.values, split.values)
    assert whole.stats == SolverStats(steps=24, rhs_evaluations=96, segments=1, rejected=0, blocks=1)
    assert split.stats == SolverStats(
        steps=5 * 24, rhs_evaluations=5 * 96, segments=1, rejected=0, blocks=5
    )
    assert whole.batched


# -- what a run reports ------------------------------------------------------------------------------
def test_states_are_saved_raw_with_held_states_at_their_held_values():
    scenario = Interventions(forcings=(Forcing("funding", Constant(0.2), start=6.0),))
    system = gmsim.load_model().compile(scenario)
    params = system.parameters()
    settings = RunSettings(start=0, stop=12, dt=0.25)
    states = solve(system, params, settings, save="states", scenario="clamp")
    assert states.variables == tuple(system.state_names) and states.scenario == "clamp"
    held = states["funding"][states.time >= 6.0]
    assert np.all(held == 0.2)
    variables = solve(system, params, settings)
    assert variables.variables == tuple(system.variable_names)
    y = states.values[0, -1:]
    np.testing.assert_allclose(  # to rounding: the compiled kernel sums in its own order
        system.observe(12.0, y, system.during(params, 6.0, 12.0)), variables.values[0, -1:],
        rtol=0, atol=1e-12,
    )  # fmt: skip


def test_a_result_carries_its_model_and_provenance():
    teacup = load_xmile_text(TEACUP)
    result = gmsim.simulate(teacup, method="rk45")
    assert (result.model, result.scenario, result.method) == ("teacup", "baseline", "rk45")
    assert (result.time_unit, result.value_label) == ("Minutes", "value")
    assert result.stats.segments == 1 and not result.batched


# -- messages in the model's own time unit --------------------------------------------------------------
EXPLODING = (stock("S", "1", inflows=("growth",)), flow("growth", "S * S"))


def test_a_non_finite_value_is_reported_in_the_models_minutes():
    model = in_minutes(*EXPLODING, stop=2, dt=0.01)
    with pytest.raises(SimulationError, match=r"'growth' became inf at minute 1\.\d+;"):
        gmsim.simulate(model, method="euler")


def test_an_adaptive_failure_is_reported_in_the_models_minutes():
    model = in_minutes(*EXPLODING, stop=2, dt=0.01)
    with pytest.raises(SimulationError, match=r"rk45 failed between minutes 0 and 2: "):
        gmsim.simulate(model, method="rk45")


def test_a_horizon_that_ends_before_it_starts_is_reported_in_minutes():
    with pytest.raises(SimulationError, match=r"`stop` \(minute 5\) must be after `start` \(minute 5\)"):
        gmsim.simulate(load_xmile_text(TEACUP), start=5, stop=5)


def test_a_step_too_long_is_reported_in_the_models_minutes():
    model = relaxing_model(factors=(Factor("x", initial=0.2, tau=1.0),), time_unit="minute")
    with pytest.raises(
        SimulationError,
        match=r"`dt` = 3 is too long for 'x', whose time constant is 1 minute; "
        r"rk4 needs dt <= 2 minutes",
    ):
        gmsim.simulate(model, dt=3.0)


def test_monte_carlo_trajectories_carry_the_models_time_unit_and_value_label():
    teacup = load_xmile_text(TEACUP)
    spec = UncertaintySpec((Uncertain(Distribution("uniform", relative=0.3), every="constant"),), seed=4)
    mc = gmsim.monte_carlo(teacup, spec, runs=40, chunk_size=16, keep_trajectories=True, progress=False)
    runs = mc.trajectories["baseline"]
    system = teacup.compile()
    assert (runs.time_unit, runs.value_label) == ("Minutes", system.value_label) == ("Minutes", "value")
    assert runs.time_label == "Minutes 0-30"
    assert runs.batched and runs.values.shape == (40, 241, len(system.variable_names))
    assert (runs.model, runs.scenario, runs.method) == ("teacup", "baseline", "euler")
