"""The scenario format: each kind of intervention against exact solutions, and every bad input.

Exact solutions come from a two-factor model: an exogenous driver ``d`` and an
endogenous ``x`` (tau 2, at rest at 0.5). While ``d`` is constant, ``x`` relaxes
exponentially to ``σ(λ(b + w·d))``, so every trajectory here has a closed form.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gmsim
from gmsim.cli import main as cli
from gmsim.errors import ScenarioError
from gmsim.factor.model import Dynamics, Factor, Link, Model, Simulation
from gmsim.scenario import FactorChange, Intervention, LinkChange, Scenario, combine, load_scenario

STOP = int(gmsim.load_model().simulation.stop)  # the default model's horizon, in months

TAU, W, D0, X0, LAM = 2.0, 0.5, 0.3, 0.5, 4.0
BIAS = -W * D0  # the resting bias of x: S_p(b + w·d0) = 0.5
TOL = 2e-6  # rk4 with dt = 0.25 on tau = 2: about 3e-7 from the exact solution; a misplaced jump is 1e-3 or more


def small_model(stop: float = 12.0, dt: float = 0.25) -> Model:
    return Model(
        name="driver and follower",
        factors=(
            Factor("d", group="external_enabler", kind="exogenous", initial=D0),
            Factor("y", group="external_enabler", kind="exogenous", initial=0.6),
            Factor("x", group="process", initial=X0, tau=TAU),
            Factor("mean", group="outcome", kind="composite", of=(("x", 1.0), ("d", 1.0))),
        ),
        links=(Link("d", "x", weight=W),),
        simulation=Simulation(stop=stop, dt=dt, method="rk4"),
        dynamics=Dynamics(steepness=LAM),
    )


def target(d: float, w: float = W, extra: float = 0.0) -> float:
    """Resting level of x when d is held at ``d``."""
    u = BIAS + w * d + extra  # S_p(u) = 1/2 + u / (1 + |2u|^p)^(1/p), p = LAM
    return 0.5 + u / (1.0 + abs(2.0 * u) ** LAM) ** (1.0 / LAM)


def relax(x_from: float, goal: float, dt: np.ndarray, tau: float = TAU) -> np.ndarray:
    return goal + (x_from - goal) * np.exp(-dt / tau)


def run(*actions: Intervention, links=(), factors=(), **options) -> gmsim.Result:
    scenario = Scenario("test", actions=actions, links=links, factors=factors)
    return gmsim.simulate(small_model(), scenario=scenario, **options)


# -- each kind against its exact solution -------------------------------------------------------
def test_event_lands_exactly_at_its_time_off_the_grid():
    r = run(Intervention("event", "x", at=4.3, set=0.9))
    t = r.time
    before, after = t < 4.3, t > 4.3
    assert np.all(r["x"][before] == X0)
    np.testing.assert_allclose(r["x"][after], relax(0.9, X0, t[after] - 4.3), atol=TOL)
    # snapped to the grid (4.25 or 4.5) the first value after it would be off by more than 5e-3
    assert abs(r.at(4.5)["x"] - relax(0.9, X0, 0.25)) > 5e-3


@pytest.mark.parametrize("method", ["rk4", "rk45", "euler"])
def test_repeated_events_land_exactly(method):
    """every = 2.7 from month 1.1: jumps at 1.1, 3.8, 6.5, 9.2 and 11.9, none on the 0.25 grid."""
    r = run(
        Intervention("event", "x", every=2.7, start=1.1, multiply=0.5),
        method=method,
        dt=0.05 if method == "euler" else 0.25,
    )
    times = [1.1, 3.8, 6.5, 9.2, 11.9]
    expected, level, last = [], X0, 0.0
    for t in r.time:
        while times and times[0] <= t:
            level = relax(level, X0, times[0] - last) * 0.5
            last = times.pop(0)
        expected.append(relax(level, X0, t - last))
    tolerance = {"rk4": TOL, "rk45": 1e-5, "euler": 5e-3}[method]
    np.testing.assert_allclose(r["x"], expected, atol=tolerance)


def test_every_without_start_begins_one_period_in_and_stops_before_end():
    s = Scenario("handovers", actions=(Intervention("event", "x", every=3, end=10, multiply=0.5),))
    events = s.interventions(small_model()).events
    assert [e.time for e in events] == [3.0, 6.0, 9.0]
    s = Scenario("handovers", actions=(Intervention("event", "x", every=4, multiply=0.5),))
    assert [e.time for e in s.interventions(small_model()).events] == [4.0, 8.0]  # 12 is the end


def test_pulse_on_an_exogenous_driver_returns_to_its_level():
    r = run(Intervention("pulse", "d", at=3, duration=2, value=0.9))
    t, x, d = r.time, r["x"], r["d"]
    assert np.all(d[t < 3] == D0) and np.all(d[(t >= 3) & (t < 5)] == 0.9) and np.all(d[t >= 5] == D0)
    during = (t >= 3) & (t <= 5)
    np.testing.assert_allclose(x[during], relax(X0, target(0.9), t[during] - 3), atol=TOL)
    x5 = relax(X0, target(0.9), 2.0)
    np.testing.assert_allclose(x[t > 5], relax(x5, X0, t[t > 5] - 5), atol=TOL)


def test_pulse_on_an_endogenous_factor_is_released_at_its_value():
    r = run(Intervention("pulse", "x", at=3, duration=2, value=0.8))
    t, x = r.time, r["x"]
    assert np.all(x[t < 3] == X0) and np.all(x[(t >= 3) & (t < 5)] == 0.8)
    np.testing.assert_allclose(x[t >= 5], relax(0.8, X0, t[t >= 5] - 5), atol=TOL)


def test_clamps_hold_then_release_each_kind_of_factor():
    r = run(
        Intervention("clamp", "d", value=0.1, start=2, end=6),
        Intervention("clamp", "x", value=0.7, start=8),
    )
    t, x, d = r.time, r["x"], r["d"]
    assert np.all(d[(t >= 2) & (t < 6)] == 0.1) and np.all(d[t >= 6] == D0)
    x6 = relax(X0, target(0.1), 4.0)
    window = (t >= 6) & (t < 8)
    np.testing.assert_allclose(x[window], relax(x6, X0, t[window] - 6), atol=TOL)
    assert np.all(x[t >= 8] == 0.7)


def test_clamp_without_start_holds_from_the_first_month():
    r = run(Intervention("clamp", "x", value=0.2))
    assert np.all(r["x"] == 0.2)


def test_set_step_ramp_and_table_drive_an_exogenous_factor():
    r = run(Intervention("set", "y", value=0.1), Intervention("ramp", "d", start=2, end=6, value=0.7))
    t = r.time
    assert np.all(r["y"] == 0.1)
    np.testing.assert_allclose(r["d"], np.interp(t, [2, 6], [D0, 0.7]), atol=1e-12)
    r = run(
        Intervention("step", "d", at=2.6, value=0.9),
        Intervention("table", "y", times=(1, 3, 7), values=(0.2, 1.0, 0.0)),
    )
    np.testing.assert_array_equal(r["d"], np.where(t >= 2.6, 0.9, D0))
    np.testing.assert_allclose(
        r["y"][t >= 1], np.interp(t[t >= 1], [1, 3, 7], [0.2, 1.0, 0.0]), atol=1e-12
    )
    assert np.all(r["y"][t < 1] == 0.6)  # before the table starts: the model's level
    x = r["x"][t > 2.6]
    np.testing.assert_allclose(x, relax(X0, target(0.9), t[t > 2.6] - 2.6), atol=TOL)


def test_a_changed_weight_moves_the_system_off_its_rest():
    r = run(links=(LinkChange("d", "x", 0.9),))
    np.testing.assert_allclose(r["x"], relax(X0, target(D0, w=0.9), r.time), atol=TOL)


def test_an_added_link_acts_with_its_weight_from_the_start():
    r = run(links=(LinkChange("y", "x", 0.5, add=True),))
    np.testing.assert_allclose(r["x"], relax(X0, target(D0, extra=0.5 * 0.6), r.time), atol=TOL)


def test_factor_changes_set_the_start_and_the_speed():
    r = run(factors=(FactorChange("x", initial=0.2, tau=4.0),))
    np.testing.assert_allclose(r["x"], relax(0.2, X0, r.time, tau=4.0), atol=TOL)


def test_an_exogenous_initial_change_is_the_level_a_pulse_returns_to():
    r = run(
        Intervention("pulse", "d", at=3, duration=2, value=0.9),
        factors=(FactorChange("d", initial=0.5),),
    )
    assert r["d"][0] == 0.5 and r["d"][-1] == 0.5


def test_the_engine_terms_of_a_file(tmp_path):
    path = write(
        tmp_path,
        """
        [[interventions]]
        kind = "event"
        target = "x"
        at = 5
        multiply = 0.5
        [[links]]
        from = "d"
        to = "x"
        weight = 0.2
        [[links]]
        from = "y"
        to = "x"
        weight = -0.4
        add = true
        delay = 2
        [factors.x]
        tau = 3
        """,
    )
    iv = load_scenario(path).interventions(small_model())
    assert iv.overrides == {"weight:d->x": 0.2, "tau:x": 3.0}
    assert [(a.cause, a.effect, a.weight, a.delay) for a in iv.added_links] == [("y", "x", -0.4, 2.0)]
    assert iv.events[0].time == 5.0 and iv.events[0].multiply == 0.5
    assert load_scenario(path).name == "case"  # a file without [scenario] is named after itself


def test_the_horizon_checked_is_the_one_run():
    s = Scenario("late", actions=(Intervention("event", "x", at=20, set=0.9),))
    r = gmsim.simulate(small_model(), scenario=s, stop=24)
    assert r.at(20)["x"] == pytest.approx(0.9)
    with pytest.raises(ScenarioError, match="month 20 is outside the run"):
        gmsim.simulate(small_model(), scenario=s)  # the model's horizon ends at 12


def test_from_dict_and_combine_build_the_same_as_a_file(tmp_path):
    data = {"interventions": [{"kind": "clamp", "target": "x", "value": 0.3, "start": 2}]}
    a = Scenario.from_dict(data, name="a")
    b = Scenario("b", actions=(Intervention("event", "x", at=1, set=0.9),))
    both = combine(a, b, name="ab")
    assert both.actions == (*a.actions, *b.actions)
    assert a.actions[0] == Intervention("clamp", "x", value=0.3, start=2.0)


def test_include_builds_a_package_and_refuses_a_circle(tmp_path):
    write(
        tmp_path,
        '[scenario]\nname = "one"\n[[interventions]]\nkind = "set"\ntarget = "y"\nvalue = 0.2\n',
        "one",
    )
    pkg = write(tmp_path, '[scenario]\nname = "pkg"\ninclude = ["one.toml", "full-review"]\n', "pkg")
    s = load_scenario(pkg)
    assert [a.target for a in s.actions] == ["y", "review_burden"]
    write(tmp_path, '[scenario]\ninclude = ["loop-b.toml"]\n', "loop-a")
    loop = write(tmp_path, '[scenario]\ninclude = ["loop-a.toml"]\n', "loop-b")
    with pytest.raises(ScenarioError, match="includes itself"):
        load_scenario(loop)


def test_levels_may_hold_one_value_per_run_of_a_batch():
    """Re-valued scenarios (uncertainty): run k of a batch equals a single run with the k-th values."""
    values, keeps = np.array([0.2, 0.5, 0.8]), np.array([0.4, 0.6, 0.9])
    many = Scenario(
        "batch",
        actions=(
            Intervention("clamp", "d", value=values, start=2),
            Intervention("event", "x", every=3, multiply=keeps),
        ),
    )
    runs = gmsim.simulate(small_model(), scenario=many, batch={"tau:x": [TAU] * 3})
    for k in range(3):
        one = Scenario(
            "one",
            actions=(
                Intervention("clamp", "d", value=values[k], start=2),
                Intervention("event", "x", every=3, multiply=keeps[k]),
            ),
        )
        np.testing.assert_allclose(runs["x"][k], run(*one.actions)["x"], rtol=0, atol=1e-12)
    assert many.describe()[0] == "hold d at per-run values from month 2"


@dataclass(frozen=True)
class Imported:
    """A model that is not a factor graph, as an imported stock-and-flow model is: it only compiles."""

    inner: Model
    simulation: Simulation

    @property
    def name(self) -> str:
        return "imported"

    def compile(self, interventions=None):
        return self.inner.compile(interventions)


def test_on_a_model_that_is_not_a_factor_graph_targets_are_its_variables():
    imported = Imported(small_model(), small_model().simulation)
    s = Scenario(
        "levels",
        actions=(
            Intervention("ramp", "d", start=2, end=6, value=5.0),
            Intervention("event", "x", at=3, set=2.0),
        ),
    )
    iv = s.interventions(imported)  # levels of a stock-and-flow model need not lie in [0, 1]
    assert (
        iv.forcings[0].path.value(2) == D0 and iv.forcings[0].path.value(6) == 5.0
    )  # from its first value
    assert iv.events == (gmsim.Event(3.0, "x", set=2.0),)  # no return of d: nothing is exogenous there
    r = gmsim.simulate(imported, scenario=s, stop=24)
    assert r.at(10)["d"] == 5.0 and r.time[-1] == 24
    bad = Scenario(
        "bad",
        actions=(Intervention("event", "mean", at=3, set=0.2), Intervention("set", "z", value=0.1)),
        links=(LinkChange("d", "x", 0.9),),
        factors=(FactorChange("x", tau=3.0), FactorChange("mean", initial=0.3)),
    )
    with pytest.raises(ScenarioError) as err:
        bad.interventions(imported)
    assert str(err.value).splitlines() == [
        "scenario 'bad': interventions[1].target: 'mean' is not a stock, and an event moves a stock; hold it with a clamp",
        "scenario 'bad': interventions[2].target: unknown variable 'z'; see `gmsim show` for the model's variables",
        "scenario 'bad': links[1]: 'driver and follower' is a stock-and-flow model; [[links]] change the weights of factor models only",
        "scenario 'bad': factors.x.tau: 'driver and follower' is a stock-and-flow model; tau belongs to factor models",
        "scenario 'bad': factors.mean: unknown stock 'mean'; see `gmsim show` for the model's stocks",
    ]


# -- bad input: the API and the command line ----------------------------------------------------
def write(folder, body: str, name: str = "case"):
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


CLAMP = 'kind = "clamp"\ntarget = "funding"\n'
BAD = {
    # name: (body of [[interventions]] etc., fragments of the message, line of the problem)
    "unknown target": (
        '[[interventions]]\nkind = "clamp"\ntarget = "leadership_atention"\nvalue = 0.2\n',
        ["unknown factor 'leadership_atention'", "did you mean 'leadership_attention'"],
        3,
    ),
    "unknown kind": (
        '[[interventions]]\nkind = "clmap"\ntarget = "funding"\nvalue = 0.2\n',
        ["unknown kind 'clmap'", "did you mean 'clamp'", "expected one of set, step"],
        2,
    ),
    "missing key": (
        '[[interventions]]\nkind = "pulse"\ntarget = "hacker_threat"\nat = 3\nvalue = 0.9\n',
        ["a pulse needs `duration`", "a pulse takes target, at, duration, value"],
        1,
    ),
    "extra key": (
        f"[[interventions]]\n{CLAMP}value = 0.2\nevery = 3\n",
        ["interventions[1].every: has no meaning for a clamp"],
        5,
    ),
    "misspelt key": (
        f"[[interventions]]\n{CLAMP}valeu = 0.2\n",
        ["interventions[1].valeu: unknown key", "did you mean 'value'"],
        4,
    ),
    "event with at and every": (
        '[[interventions]]\nkind = "event"\ntarget = "funding"\nat = 3\nevery = 3\nset = 0.1\n',
        ["exactly one of `at` (one jump) or `every`"],
        1,
    ),
    "value above 1": (
        f"[[interventions]]\n{CLAMP}value = 1.2\n",
        ["value: must be a level in [0, 1], got 1.2"],
        4,
    ),
    "event set below 0": (
        '[[interventions]]\nkind = "event"\ntarget = "funding"\nat = 3\nset = -0.1\n',
        ["set: must be a level in [0, 1], got -0.1"],
        5,
    ),
    "table value above 1": (
        '[[interventions]]\nkind = "table"\ntarget = "water_army"\ntimes = [0, 6]\nvalues = [0.3, 1.5]\n',
        ["values: must be levels in [0, 1]"],
        5,
    ),
    "not a number": (
        f"[[interventions]]\n{CLAMP}value = 'high'\n",
        ["value: expected a number, got 'high'"],
        4,
    ),
    "time after the horizon": (
        f'[[interventions]]\nkind = "step"\ntarget = "guidelines"\nat = {STOP + 4}\nvalue = 0.7\n',
        [f"month {STOP + 4} is outside the run", f"months 0 to {STOP}"],
        4,
    ),
    "end after the horizon": (
        f"[[interventions]]\n{CLAMP}value = 0.2\nstart = 6\nend = {STOP + 12}\n",
        [f"end: month {STOP + 12} is outside the run"],
        6,
    ),
    "negative time": (
        '[[interventions]]\nkind = "pulse"\ntarget = "hacker_threat"\nat = -2\nduration = 1\nvalue = 0.9\n',
        ["month -2 is outside the run"],
        4,
    ),
    "every zero": (
        '[[interventions]]\nkind = "event"\ntarget = "staff_experience"\nevery = 0\nmultiply = 0.4\n',
        ["every: must be > 0 months, got 0"],
        4,
    ),
    "every negative": (
        '[[interventions]]\nkind = "event"\ntarget = "staff_experience"\nevery = -3\nmultiply = 0.4\n',
        ["every: must be > 0 months, got -3"],
        4,
    ),
    "end before start": (
        f"[[interventions]]\n{CLAMP}value = 0.2\nstart = 12\nend = 6\n",
        ["end: must be after start (month 12), got month 6"],
        6,
    ),
    "overlapping clamps": (
        f"[[interventions]]\n{CLAMP}value = 0.5\nstart = 6\n[[interventions]]\n{CLAMP}value = 0.2\nstart = 10\nend = 20\n",
        [
            "interventions[2]: this clamp holds 'funding' from month 10 to month 20",
            "interventions[1] (clamp)",
        ],
        6,
    ),
    "event inside a clamp": (
        f"[[interventions]]\n{CLAMP}value = 0.5\n[[interventions]]\n"
        'kind = "event"\ntarget = "funding"\nat = 9\nset = 0.1\n',
        ["event at month 9 falls while interventions[1] (clamp) holds 'funding'", "no effect"],
        8,
    ),
    "link missing without add": (
        '[[links]]\nfrom = "training"\nto = "responsiveness"\nweight = 0.3\n',
        ["no link training -> responsiveness", "add = true"],
        1,
    ),
    "link added twice": (
        '[[links]]\nfrom = "training"\nto = "staff_capability"\nweight = 0.3\nadd = true\n',
        ["already has the link training -> staff_capability", "drop `add = true`"],
        1,
    ),
    "link weight outside [-1, 1]": (
        '[[links]]\nfrom = "training"\nto = "staff_capability"\nweight = 1.4\n',
        ["weight: must be in [-1, 1], got 1.4"],
        4,
    ),
    "composite target": (
        '[[interventions]]\nkind = "clamp"\ntarget = "effectiveness"\nvalue = 0.9\n',
        ["'effectiveness' is a composite", "intervene on its parts"],
        3,
    ),
    "unknown factor change": (
        "[factors.fundng]\ntau = 3\n",
        ["unknown factor 'fundng'", "did you mean 'funding'"],
        1,
    ),
    "tau of an exogenous factor": (
        "[factors.ict_infrastructure]\ntau = 3\n",
        ["'ict_infrastructure' is exogenous and has no tau"],
        2,
    ),
    "unknown section": (
        '[scenaro]\nname = "x"\n',
        ["scenaro: unknown key", "did you mean 'scenario'"],
        1,
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_through_the_api(tmp_path, case):
    body, fragments, line = BAD[case]
    path = write(tmp_path, body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path).interventions(gmsim.load_model())
    message = str(err.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{path}:{line}: "), message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize("case", BAD)
def test_bad_input_through_the_command_line(tmp_path, capsys, case, command):
    body, fragments, line = BAD[case]
    path = write(tmp_path, body)
    out = tmp_path / "out"
    assert cli([command, "--scenario", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"gmsim: error: {path}:{line}: ")
    assert all(fragment in err[0] for fragment in fragments)
    assert not out.exists()


def test_a_name_not_in_the_library_lists_the_names(capsys, tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_scenario("atention-shift")
    message = str(err.value)
    assert "did you mean 'attention-shift'" in message
    assert all(name in message for name in gmsim.list_scenarios())
    assert cli(["run", "--scenario", "atention-shift", "--out", str(tmp_path / "o")]) == 2
    assert "unknown scenario 'atention-shift'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.toml: no such file"):
        load_scenario(tmp_path / "nope.toml")


def test_every_problem_of_a_file_is_listed(tmp_path):
    path = write(
        tmp_path,
        '[[interventions]]\nkind = "clamp"\ntarget = "fundng"\nvalue = 0.2\n'
        f'[[interventions]]\nkind = "step"\ntarget = "guidelines"\nat = {STOP + 14}\nvalue = 0.7\n',
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path).interventions(gmsim.load_model())
    lines = str(err.value).splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{path}:3", f"{path}:8"]


def test_problems_of_a_scenario_built_in_python_name_the_scenario():
    with pytest.raises(
        ScenarioError, match=r"scenario 'mine': interventions\[1\]\.value: must be a level"
    ):
        Scenario("mine", actions=(Intervention("clamp", "funding", value=2.0),)).interventions(MODEL)
    with pytest.raises(ScenarioError, match=r"scenario 'mine': interventions\[1\]\.every: must be > 0"):
        Scenario("mine", actions=(Intervention("event", "funding", every=-1.0, set=0.2),))


# -- levels stay in [0, 1] and finite under any scenario ----------------------------------------
MODEL = gmsim.load_model()
STATES = [f.id for f in MODEL.factors if f.kind != "composite"]
# factors a scenario may give a tau (a yearly decision such as funding has none)
ENDOGENOUS = [f.id for f in MODEL.endogenous if f.decide_every is None]
ADDITIVE = [link for link in MODEL.links if link.kind != "necessary"]  # weight in [-1, 1]
HORIZON = 12.0

times = st.floats(0, HORIZON - 0.5, allow_nan=False).map(lambda t: round(t, 3))
levels = st.floats(0, 1, allow_nan=False)


@st.composite
def interventions(draw, target: str) -> Intervention:
    kind = draw(st.sampled_from(["set", "step", "ramp", "pulse", "table", "clamp", "event"]))
    if kind == "set":
        return Intervention(kind, target, value=draw(levels))
    if kind == "step":
        return Intervention(kind, target, at=draw(times), value=draw(levels))
    if kind in ("ramp", "clamp"):
        a, b = sorted(draw(st.lists(times, min_size=2, max_size=2, unique=True)))
        if kind == "ramp":
            return Intervention(kind, target, start=a, end=b, value=draw(levels))
        return Intervention(
            kind, target, value=draw(levels), start=a, end=draw(st.sampled_from([b, None]))
        )
    if kind == "pulse":
        return Intervention(
            kind, target, at=draw(times), duration=draw(st.floats(0.1, 6)), value=draw(levels)
        )
    if kind == "table":
        ts = sorted(draw(st.lists(times, min_size=2, max_size=5, unique=True)))
        return Intervention(kind, target, times=tuple(ts), values=tuple(draw(levels) for _ in ts))
    jump = {"multiply": draw(st.floats(0, 3))} if draw(st.booleans()) else {"set": draw(levels)}
    if draw(st.booleans()):
        return Intervention(kind, target, at=draw(times), **jump)
    return Intervention(kind, target, every=draw(st.floats(0.3, 6)), **jump)


@st.composite
def scenarios(draw) -> Scenario:
    targets = draw(st.lists(st.sampled_from(STATES), max_size=6, unique=True))
    actions = tuple(draw(interventions(t)) for t in targets)
    links = tuple(
        LinkChange(link.cause, link.effect, draw(st.floats(-1, 1)))
        for link in draw(st.lists(st.sampled_from(ADDITIVE), max_size=4, unique=True))
    )
    factors = tuple(
        FactorChange(fid, initial=draw(levels), tau=draw(st.floats(0.5, 24)))
        for fid in draw(st.lists(st.sampled_from(ENDOGENOUS), max_size=3, unique=True))
    )
    return Scenario("random", actions=actions, links=links, factors=factors)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_levels_stay_in_bounds_under_any_scenario(scenario):
    result = gmsim.simulate(MODEL, scenario=scenario, stop=HORIZON, dt=0.25)
    assert np.all(np.isfinite(result.values))
    assert result.values.min() >= 0.0 and result.values.max() <= 1.0
