"""The equation primitives of factor models against exact solutions, and their bad input."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

import gmsim
from gmsim import Dynamics, Factor, Link, Model, Simulation
from gmsim.errors import ModelError
from gmsim.factor.model import Flow

V2 = "/work/scratch/model_v2/gov_microblog.toml"


def s_p(u, p):
    """The saturation curve written out independently: 1/2 + u / (1 + |2u|^p)^(1/p)."""
    return 0.5 + u / (1.0 + abs(2.0 * u) ** p) ** (1.0 / p)


def run(model, **kw):
    return gmsim.simulate(model, **kw)


# -- exact solutions ------------------------------------------------------------------------------
def test_a_stock_with_a_constant_inflow_is_linear():
    model = Model(
        "stock",
        factors=(Factor("s", kind="stock", initial=0.1), Factor("c", kind="exogenous", initial=0.5)),
        flows=(Flow("fill", into="s", rate=0.02, times=("c",)),),
        simulation=Simulation(stop=20.0, dt=0.25, method="euler"),
        dynamics=Dynamics(equilibrium=False),
    )
    r = run(model)
    np.testing.assert_allclose(r["s"], 0.1 + 0.02 * 0.5 * r.time, atol=1e-12)


def test_rise_and_fall_each_follow_their_own_time():
    def model(start):
        return Model(
            "asym",
            factors=(Factor("x", initial=start, tau_rise=6.0, tau_fall=2.0, bias=0.0),),
            simulation=Simulation(stop=15.0, dt=0.25),
            dynamics=Dynamics(equilibrium=False),
        )

    up = run(model(0.1), method="rk45", rtol=1e-10, atol=1e-12)
    down = run(model(0.9), method="rk45", rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(up["x"], 0.5 + (0.1 - 0.5) * np.exp(-up.time / 6.0), atol=1e-8)
    np.testing.assert_allclose(down["x"], 0.5 + (0.9 - 0.5) * np.exp(-down.time / 2.0), atol=1e-8)


def decision_model(**factor) -> Model:
    return Model(
        "decision",
        factors=(
            Factor("c", kind="exogenous", initial=0.2),
            Factor("d", initial=0.3, decide_every=4.0, decide_offset=1.0, **factor),
        ),
        links=(Link("c", "d", 0.5),),
        simulation=Simulation(stop=12.0, dt=0.125),
    )


def test_a_periodic_decision_is_a_step_function():
    from gmsim.core.paths import Ramp
    from gmsim.core.system import Forcing, Interventions

    model = decision_model()
    ramp = Interventions(forcings=(Forcing("c", Ramp(start=0.0, end=12.0, value=0.8, base=0.2)),))
    r = run(model, scenario=ramp, method="rk4")
    d, t = r["d"], r.time
    # b solved for rest at d = 0.3 with c = 0.2; a decision at t sets d = S_p(b + 0.5 c(t))
    b = None
    for guess in np.linspace(-1, 1, 200001):
        if abs(s_p(guess, 2.5) - 0.3) < 1e-5:
            b = guess - 0.5 * 0.2
            break
    assert b is not None
    pieces = [(0.0, 1.0), (1.0, 5.0), (5.0, 9.0), (9.0, 12.0)]
    levels = [0.3] + [s_p(b + 0.5 * (0.2 + 0.05 * a), 2.5) for a, _ in pieces[1:]]
    for (a, e), level in zip(pieces, levels, strict=True):
        inside = (t >= a) & (t < e)
        np.testing.assert_allclose(d[inside], level, atol=1e-4)
        assert np.ptp(d[inside]) == 0.0


def test_a_zero_necessary_condition_gives_a_zero_level():
    model = Model(
        "necessary",
        factors=(
            Factor("attention", kind="exogenous", initial=0.5),
            Factor("support", kind="exogenous", initial=0.8),
            Factor("funding", initial=0.3, tau=1.0),
        ),
        links=(
            Link("attention", "funding", 1.0, kind="necessary"),
            Link("support", "funding", 0.9),
        ),
        simulation=Simulation(stop=40.0, dt=0.125),
    )
    from gmsim.core.system import Event, Interventions

    r = run(model, scenario=Interventions(events=(Event(1.0, "attention", set=0.0),)))
    assert r["funding"][-1] == pytest.approx(0.0, abs=1e-12)
    assert r["funding"][0] == pytest.approx(0.3)


def test_a_moderator_at_its_level_halves_a_links_effect():
    def model(m):
        return Model(
            "moderated",
            factors=(
                Factor("cause", kind="exogenous", initial=0.0),
                Factor("shield", kind="exogenous", initial=1.0),
                Factor("x", initial=0.5, tau=1.0),
            ),
            links=(Link("cause", "x", 0.2, moderated_by=(("shield", m),)),),
            simulation=Simulation(stop=40.0, dt=0.125),
        )

    from gmsim.core.system import Event, Interventions

    step = Interventions(events=(Event(1.0, "cause", set=0.01),))
    plain = run(model(0.0), scenario=step)["x"][-1] - 0.5
    halved = run(model(-0.5), scenario=step)["x"][-1] - 0.5
    assert halved / plain == pytest.approx(0.5, rel=1e-3)


@pytest.mark.parametrize("size, same", [(0.001, True), (0.4, False)])
def test_the_steepness_changes_a_large_step_not_a_small_one(size, same):
    def model(p):
        return Model(
            "steep",
            factors=(Factor("c", kind="exogenous", initial=0.5), Factor("x", initial=0.5, tau=1.0)),
            links=(Link("c", "x", 1.0),),
            simulation=Simulation(stop=40.0, dt=0.125),
            dynamics=Dynamics(steepness=p),
        )

    from gmsim.core.system import Event, Interventions

    step = Interventions(events=(Event(1.0, "c", set=0.5 + size),))
    moves = [run(model(p), scenario=step)["x"][-1] - 0.5 for p in (1.5, 8.0)]
    if same:
        assert moves[0] == pytest.approx(size, rel=1e-3) and moves[1] == pytest.approx(size, rel=1e-3)
    else:
        assert moves[0] == pytest.approx(s_p(size, 1.5) - 0.5, rel=1e-6)
        assert moves[1] == pytest.approx(s_p(size, 8.0) - 0.5, rel=1e-6)
        assert abs(moves[0] - moves[1]) > 0.02


def test_steepness_is_a_batch_parameter():
    model = decision_model()
    system = model.compile()
    assert system.parameter_ranges()["steepness"] == (1.0, 20.0)
    r = gmsim.simulate(model, batch={"steepness": [1.0, 2.5, 10.0]})
    assert r.values.shape[0] == 3


def test_reference_rests_and_the_launch_starts_at_initial():
    f = (Factor("c", kind="exogenous", initial=0.6), Factor("x", initial=0.1, reference=0.4, tau=2.0))
    model = Model("ref", factors=f, links=(Link("c", "x", 0.3),), dynamics=Dynamics(equilibrium=False))
    launch = run(model, stop=60)
    assert launch["x"][0] == pytest.approx(0.1) and launch["x"][-1] == pytest.approx(0.4, abs=1e-6)
    rest = run(model, stop=60, equilibrium=True)
    np.testing.assert_allclose(rest["x"], 0.4, atol=1e-12)


def test_an_old_launch_model_keeps_its_biases():
    model = Model(
        "old",
        factors=(Factor("x", initial=0.1, tau=1.0, bias=0.3),),
        dynamics=Dynamics(equilibrium=False),
    )
    assert run(model, stop=40)["x"][-1] == pytest.approx(s_p(0.3, 2.5), abs=1e-9)


def test_a_balanced_flow_keeps_its_stock_at_reference():
    model = Model(
        "balance",
        factors=(
            Factor("s", kind="stock", initial=0.1, reference=0.6),
            Factor("pull", kind="exogenous", initial=0.5),
        ),
        flows=(
            Flow("in", into="s", rate=1.0, times=("pull",), gap=("s",), balance=True),
            Flow("out", from_="s", rate=0.1, times=("s",)),
        ),
    )
    system = model.compile()
    p = system.parameters()
    assert p.flow_rates[0, 0] == pytest.approx(0.1 * 0.6 / (0.5 * 0.4))
    np.testing.assert_allclose(run(model, stop=30)["s"], 0.6, atol=1e-12)
    assert run(model, stop=200, equilibrium=False)["s"][-1] == pytest.approx(0.6, abs=1e-4)
    assert "rate:in" in system.parameter_names()
    g = model.graph()
    assert g.edges["pull", "s"]["sign"] == 1 and g.edges["s", "s"]["sign"] == -1
    assert g.edges["s", "s"]["kind"] == "flow"


# -- link gains are the derivatives of rhs ----------------------------------------------------
def test_link_gains_equal_finite_differences_of_rhs():
    model = gmsim.load_model(V2)
    system = model.compile()
    p = system.parameters()
    r = gmsim.simulate(model, stop=30, save="states") if False else None
    y = system.initial_state(p)
    # a state away from rest, so every slope matters
    rng = np.random.default_rng(3)
    y = np.clip(y + rng.uniform(-0.1, 0.1, y.shape), 0.02, 0.98)
    y[:, system.structure.ne + system.structure.ns : system.structure.nd] = (
        y @ system.structure.source
    )[:, :]  # delay stages near their causes
    y[:, system.structure.ne + system.structure.ns : system.structure.nd] += 0.01
    gains = system.link_gains(5.0, y, p)
    values = system.observe(5.0, y, p)[0]
    names = system.variable_names
    h = 1e-6
    base = system.rhs(5.0, y, p)[0]
    index = {n: i for i, n in enumerate(system.state_names)}
    checked = 0
    for (cause, effect), gain in gains.items():
        if effect not in index or cause not in index:
            continue  # composites are checked through their parts
        # the total derivative of effect's rate with respect to cause's state
        if cause in names and system.kinds.get(cause) == "composite":
            continue
        bumped = y.copy()
        bumped[0, index[cause]] += h
        numeric = (system.rhs(5.0, bumped, p)[0] - base)[index[effect]] / h
        # a cause also acts through the composites it is part of
        through = 0.0
        for (c2, e2), g2 in gains.items():
            if e2 == effect and system.kinds.get(c2) == "composite":
                share = system.value_vector(c2)[index[cause]]
                through += g2[0] * share
        assert numeric == pytest.approx(gain[0] + through, rel=1e-4, abs=1e-7), (cause, effect)
        checked += 1
    assert checked > 60
    del r, values


# -- the v2 draft model -----------------------------------------------------------------------
def test_the_v2_draft_loads_and_runs():
    model = gmsim.load_model(V2)
    assert len(model.flows) == 6 and len(model.checks) == 51
    r = gmsim.simulate(model)
    assert np.isfinite(r.values).all() and (r.values >= 0).all() and (r.values <= 1).all()
    flat = gmsim.simulate(model, equilibrium=True)
    np.testing.assert_allclose(flat.values[0], flat.values[0][:1].repeat(len(flat.time), 0), atol=1e-10)
    funding = r["funding"]
    held = (r.time > 12) & (r.time < 24)
    assert np.ptp(funding[held]) == 0.0
    check = model.checks[0]
    assert (check.name, check.against, check.at, check.line) == ("launch-starts-slowly", 0.2, 3.0, 1051)


# -- bad input -----------------------------------------------------------------------------------
BASE = """
[model]
name = "m"

[simulation]
stop = 24

[factors.a]
group = "process"
kind = "exogenous"
initial = 0.5

[factors.b]
group = "process"
initial = 0.4
{b}

[factors.s]
group = "outcome"
kind = "stock"
initial = 0.2

[[links]]
from = "a"
to = "b"
weight = 0.5
{link}

[[flows]]
name = "fill"
into = "s"
rate = 0.1
times = ["a"]
{flow}
{extra}
"""


def load(tmp_path, b="tau = 2", link="", flow="", extra=""):
    path = tmp_path / "model.toml"
    path.write_text(BASE.format(b=b, link=link, flow=flow, extra=extra))
    return gmsim.load_model(path), path


BAD = [
    ({"b": "tau = 2\ntua_rise = 3"}, r"factors\.b\.tua_rise: unknown key \(did you mean 'tau_rise'\?\)"),
    ({"extra": "[[flow]]\nname = 'x'"}, r"flow: unknown key \(did you mean 'flows'\?\)"),
    (
        {"extra": "[[links]]\nfrom = 'nobody'\nto = 'b'\nweight = 0.5\nkind = 'necessary'"},
        r"links\[2\]\.from: unknown factor 'nobody'",
    ),
    (
        {"link": "moderated_by = { shield = -0.5 }"},
        r"links\[1\]\.moderated_by\.shield: unknown factor 'shield'",
    ),
    (
        {"extra": "[[links]]\nfrom = 'ghost'\nto = 'b'\nweight = 0.2\nmoderated_by = { a = -0.5 }"},
        r"links\[2\]\.from: unknown factor 'ghost'",
    ),
    ({"b": "tau_rise = 0\ntau_fall = 2"}, r"factors\.b\.tau_rise: must be > 0 months, got 0"),
    ({"b": "tau_rise = 3\ntau_fall = -1"}, r"factors\.b\.tau_fall: must be > 0 months, got -1"),
    ({"b": "tau = 2\ntau_rise = 3\ntau_fall = 1"}, r"factors\.b\.tau_rise: `tau` and `tau_rise` both"),
    ({"b": "decide_every = 0"}, r"factors\.b\.decide_every: must be a number > 0, got 0"),
    ({"b": "decide_every = 36"}, r"factors\.b\.decide_every: 36 is beyond the horizon \(24\)"),
    ({"b": "decide_every = 12\ntau = 2"}, r"factors\.b\.decide_every: `tau` and `decide_every` both"),
    (
        {"extra": "[[links]]\nfrom = 'b'\nto = 'b'\nweight = 0.5", "b": "decide_every = 6"},
        r"links\[2\]\.from: 'b' is decided periodically and cannot be its own cause",
    ),
    (
        {"extra": "[factors.t]\ngroup = 'outcome'\nkind = 'stock'\ninitial = 0.1"},
        r"factors\.t\.kind: a stock without flows",
    ),
    ({"flow": "from = 'b'"}, r"flows\[1\]\.from: 'b' is endogenous, not a stock"),
    ({"link": "kind = 'necessary'\n", "extra": ""}, None),  # valid: 0.5 is in (0, 1]
    (
        {"extra": "[[links]]\nfrom = 's'\nto = 'b'\nweight = 1.5\nkind = 'necessary'"},
        r"links\[2\]\.weight: a necessary link's weight must be in \(0, 1\], got 1.5",
    ),
    (
        {"extra": "[[links]]\nfrom = 's'\nto = 'b'\nweight = -0.5\nkind = 'necessary'"},
        r"links\[2\]\.weight: a necessary link's weight must be in \(0, 1\], got -0.5",
    ),
    ({"b": "tau = 2\nreference = 1.0"}, r"factors\.b\.reference: 1 cannot be a resting level"),
    (
        {
            "b": "tau = 2\nreference = 0.7",
            "extra": "[[links]]\nfrom = 's'\nto = 'b'\nweight = 0.8\nkind = 'necessary'",
        },
        r"factors\.b\.reference: 0.7 cannot be reached: its necessary conditions allow at most 0.36",
    ),
    (
        {"extra": "[[checks]]\nname = 'c'\nvariable = 'bb'\nexpect = 'lower'\nat = 3"},
        r"checks\[1\]\.variable: unknown factor 'bb' \(did you mean 'b'\?\)",
    ),
    (
        {"extra": "[[checks]]\nname = 'c'\nvariable = 'b'\nexpect = 'lowr'\nat = 3"},
        r"checks\[1\]\.expect: unknown expectation 'lowr' \(did you mean 'lower'\?\)",
    ),
    (
        {"extra": "[[checks]]\nname = 'c'\nvariable = 'b'\nexpect = 'near'\nover = [3, 40]"},
        r"checks\[1\]\.over: must be \[a, b\] with 0 <= a < b <= 24",
    ),
    (
        {"extra": "[[checks]]\nname = 'c'\nvariable = 'b'\nexpect = 'near'\nat = 3\nby = -1"},
        r"checks\[1\]\.by: must be a number >= 0",
    ),
    (
        {"extra": "[[checks]]\nname = 'c'\nvariable = 'b'\nexpect = 'near'\nat = 3\nstatistc = 'min'"},
        r"checks\[1\]\.statistc: unknown key \(did you mean 'statistic'\?\)",
    ),
    (
        {
            "extra": "[[checks]]\nname = 'c'\nvariable = 'b'\nexpect = 'near'\nover = [1, 3]\nstatistic = 'median'"
        },
        r"checks\[1\]\.statistic: unknown statistic 'median'",
    ),
    (
        {"extra": "[[checks]]\nname = 'c'\nvariable = 'b'\nexpect = 'near'\nat = 3\nagainst = true"},
        r"checks\[1\]\.against: expected a scenario name or number",
    ),
]


@pytest.mark.parametrize("keys, message", BAD)
def test_bad_input_names_the_line_and_the_key(tmp_path, keys, message):
    if message is None:
        load(tmp_path, **keys)
        return
    with pytest.raises(ModelError, match=r"model\.toml:\d+: " + message):
        load(tmp_path, **keys)


def test_gmsim_validate_exits_2_on_bad_primitives(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text(BASE.format(b="decide_every = 0", link="", flow="", extra=""))
    done = subprocess.run(
        [sys.executable, "-m", "gmsim", "validate", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "model.toml:" in done.stderr + done.stdout and "decide_every" in done.stderr + done.stdout


def test_checks_keep_their_interventions_and_stop(tmp_path):
    extra = (
        "[[checks]]\nname = 'c'\nscenario = 'x'\nvariable = 'b'\nexpect = 'precedes'\nthen = 'a'\nstop = 20\n"
        "[[checks.interventions]]\nkind = 'pulse'\ntarget = 'a'\nat = 2\nduration = 1\nvalue = 0.9\n"
    )
    model, _ = load(tmp_path, extra=extra)
    (c,) = model.checks
    assert c.stop == 20.0 and c.then == "a" and c.interventions[0]["target"] == "a"
    assert math.isfinite(c.line)


def test_a_run_shorter_than_a_decision_period_is_not_an_error():
    """The period is checked against the file's own horizon when it loads; a run made shorter on
    purpose (``--stop 6`` with a scenario) ends before the first yearly decision and holds."""
    result = gmsim.simulate(scenario="rotation-3m", stop=6)
    funding = result["funding"]
    assert result.time[-1] == 6.0 and (funding == funding[0]).all()


def test_a_stock_overshooting_its_bound_in_a_step_is_kept_in_bounds():
    """Found by the random-scenario property test: engagement held at 1 drives followers to 1,
    and a Runge-Kutta step's stages carried a stock past its bound; every level stays in [0, 1]
    after each step, on the compiled kernel and on the numpy path alike."""
    from gmsim.scenario import FactorChange, Intervention, LinkChange, Scenario

    scenario = Scenario(
        "overshoot",
        actions=(Intervention("set", "citizen_engagement", value=1.0),),
        links=(
            LinkChange("workload", "staff_rotation", 0.0),
            LinkChange("conservative_culture", "content_attractiveness", 0.0),
        ),
        factors=(
            FactorChange("platform_risk", initial=0.0, tau=1.0),
            FactorChange("digital_divide", initial=0.0, tau=15.0),
        ),
    )
    for kernel in ("1", "0"):
        os.environ["GMSIM_KERNEL"] = kernel
        try:
            result = gmsim.simulate(scenario=scenario, stop=12, dt=0.25)
        finally:
            os.environ.pop("GMSIM_KERNEL")
        assert result.values.min() >= 0.0 and result.values.max() <= 1.0
