"""The compiled kernel against the numpy path: same numbers (1e-12), same solver statistics.

The kernel side is skipped when numba is not installed; the sparse memory bound is not.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import gmsim
from gmsim import Dynamics, Factor, Link, Model, Simulation
from gmsim.core.paths import Ramp, Step
from gmsim.core.solver import RunSettings, solve
from gmsim.core.system import Event, Forcing, Interventions, Window
from gmsim.factor.model import Flow
from gmsim.factor.structure import Structure
from gmsim.factor.system import FactorSystem

TOL = 1e-12


@pytest.fixture
def kernel():
    pytest.importorskip("numba")
    from gmsim.factor import kernel

    if not kernel.available():
        pytest.skip("the kernel is switched off (GMSIM_KERNEL=0)")
    return kernel


def both(monkeypatch, run):
    """``run()`` through the kernel (which never calls ``rhs``) and through the numpy path."""

    def no_rhs(*args):
        raise AssertionError("a fixed step went through rhs, not the kernel")

    with monkeypatch.context() as m:
        m.setattr(FactorSystem, "rhs", no_rhs)
        fast = run()
    with monkeypatch.context() as m:
        m.setattr(FactorSystem, "use_kernel", False)
        slow = run()
    return fast, slow


def assert_same(fast, slow):
    assert fast.values.shape == slow.values.shape
    np.testing.assert_allclose(fast.values, slow.values, rtol=0, atol=TOL)
    assert fast.stats == slow.stats


@pytest.mark.parametrize("method", ["rk4", "euler"])
@pytest.mark.parametrize("scenario", gmsim.list_scenarios())
def test_every_library_scenario_agrees(kernel, monkeypatch, scenario, method):
    model = gmsim.load_model()
    assert_same(*both(monkeypatch, lambda: gmsim.simulate(model, scenario=scenario, method=method)))


@pytest.mark.parametrize("save", ["variables", "states"])
def test_a_batch_with_every_kind_of_per_run_number_agrees(kernel, monkeypatch, save):
    model = gmsim.load_model()
    system = model.compile()
    rng = np.random.default_rng(1)
    runs = 700  # more than one block: blocks share the cores
    names = system.parameter_names()
    values = system.parameter_values()
    ranges = system.parameter_ranges()
    batch = {}
    for name in names:
        low, high = ranges[name]
        base = values[name]
        batch[name] = np.clip(base * rng.uniform(0.8, 1.2, runs), low, high)
    batch["steepness"] = rng.uniform(1.0, 6.0, runs)
    params = system.parameters(batch)
    settings = RunSettings.for_system(system, method="rk4")
    fast, slow = both(monkeypatch, lambda: solve(system, params, settings, save=save))
    assert fast.stats.blocks == 2
    assert_same(fast, slow)


def small_model(**kw) -> Model:
    """Every primitive in a few factors: delays, a composite, necessary and moderated links,
    asymmetric rates, a decided factor, a stock with two flows."""
    factors = (
        Factor("c", kind="exogenous", initial=0.4),
        Factor("g", kind="exogenous", initial=0.6),
        Factor("a", initial=0.3, tau=2.0),
        Factor("b", initial=0.5, tau_rise=3.0, tau_fall=1.5),
        Factor("d", initial=0.4, decide_every=3.0, decide_offset=0.5),
        Factor("s", kind="stock", initial=0.2),
        Factor("mix", kind="composite", of=(("a", 2.0), ("b", 1.0))),
    )
    links = (
        Link("c", "a", 0.6, delay=2.0, order=3),
        Link("mix", "b", -0.4),
        Link("g", "b", 0.8, kind="necessary"),
        Link("s", "a", 0.3, moderated_by=(("g", -0.5),)),
        Link("a", "d", 0.5, delay=1.0),
        Link("b", "a", 0.2),
    )
    flows = (
        Flow("fill", into="s", rate=0.3, times=("a",), gap=("s",)),
        Flow("drain", from_="s", rate=0.1, times=("s", "mix")),
    )
    return Model(
        "small",
        factors=factors,
        links=links,
        flows=flows,
        simulation=Simulation(stop=20.0, dt=0.25),
        dynamics=Dynamics(equilibrium=kw.get("equilibrium", False)),
    )


SCENARIOS = {
    "none": Interventions(),
    "events": Interventions(events=(Event(2.3, "c", set=0.9), Event(7.0, "a", multiply=0.5))),
    "ramp": Interventions(forcings=(Forcing("g", Ramp(start=1.0, end=9.0, value=0.1, base=0.6)),)),
    "clamp": Interventions(forcings=(Forcing("b", Step(at=0.0, value=0.7), start=4.0, end=11.5),)),
    "per-run": Interventions(
        forcings=(Forcing("c", Ramp(start=0.0, end=15.0, value=np.array([0.1, 0.5, 0.9]))),)
    ),
    "window": Interventions(windows=(Window("weight:b->a", 0.7, start=3.0, end=8.0),)),
    "override": Interventions(overrides={"weight:mix->b": 0.3, "steepness": 1.5}),
}


@pytest.mark.parametrize("equilibrium", [False, True])
@pytest.mark.parametrize("method", ["rk4", "euler"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_primitive_with_events_forcings_and_windows_agrees(
    kernel, monkeypatch, name, method, equilibrium
):
    system = FactorSystem(small_model(equilibrium=equilibrium), SCENARIOS[name])
    batch = {
        "weight:c->a": [0.6, 0.2, -0.3],
        "tau_rise:b": [3.0, 1.0, 6.0],
        "rate:fill": [0.3, 0.5, 0.1],
    }
    params = system.parameters(batch)
    settings = RunSettings(start=0, stop=20, dt=0.25, method=method)
    for save in ("variables", "states"):
        fast, slow = both(monkeypatch, lambda s=save: solve(system, params, settings, save=s))
        assert_same(fast, slow)
    assert np.ptp(fast.values[:, -1], axis=0).max() > 0  # the runs differ


def test_a_grid_that_does_not_divide_the_horizon_agrees(kernel, monkeypatch):
    system = FactorSystem(small_model(), SCENARIOS["events"])
    params = system.parameters()
    settings = RunSettings(start=0, stop=19.9, dt=0.3, method="rk4")
    assert_same(*both(monkeypatch, lambda: solve(system, params, settings)))


def random_model(n: int, links_per_factor: int = 5, seed: int = 0, stop: float = 12.0) -> Model:
    rng = np.random.default_rng(seed)
    factors = tuple(
        Factor(f"f{i}", initial=float(rng.uniform(0.2, 0.8)), tau=float(rng.uniform(1.0, 12.0)))
        for i in range(n)
    )
    cause = rng.integers(0, n, n * links_per_factor)
    effect = (cause + rng.integers(1, n, cause.size)) % n
    pairs = sorted(set(zip(cause.tolist(), effect.tolist(), strict=True)))
    links = tuple(Link(f"f{a}", f"f{b}", float(rng.uniform(-0.4, 0.4))) for a, b in pairs)
    return Model(
        "random",
        factors=factors,
        links=links,
        simulation=Simulation(stop=stop, dt=0.125),
        dynamics=Dynamics(steepness=4.0, equilibrium=False),
    )


def test_a_sparse_model_agrees_with_shared_and_per_run_weights(kernel, monkeypatch):
    model = random_model(400)
    system = model.compile()
    assert system.structure.sparse
    settings = RunSettings.for_system(system, method="rk4")
    shared = system.parameters()
    per_run = system.parameters({system.parameter_names()[0]: [0.1, -0.2]})
    for params in (shared, per_run):
        assert_same(*both(monkeypatch, lambda p=params: solve(system, p, settings)))


def test_one_run_of_a_large_graph_steps_in_numpy_and_a_batch_of_it_in_the_kernel(kernel, monkeypatch):
    system = random_model(400).compile()
    monkeypatch.setattr(kernel, "ONE_RUN_MAX_LINKS", len(system.links) - 1)
    settings = RunSettings(start=0, stop=2, dt=0.25, method="rk4")
    calls = []
    monkeypatch.setattr(FactorSystem, "rhs", lambda self, *a: calls.append(1) or rhs(self, *a))
    solve(system, system.parameters(), settings)
    assert calls  # the numpy path
    calls.clear()
    solve(system, system.parameters({system.parameter_names()[0]: [0.1, -0.2]}), settings)
    assert not calls  # the kernel


rhs = FactorSystem.rhs


def test_without_the_kernel_the_engine_steps_in_numpy(monkeypatch):
    from gmsim.factor import kernel

    monkeypatch.setenv("GMSIM_KERNEL", "0")
    assert not kernel.available()
    system = gmsim.load_model().compile()
    params = system.parameters()
    grid = np.array([0.0, 1.0])
    saved = np.empty((2, 1, len(system.variable_names)))
    y = system.initial_state(params)
    assert system.integrate_fixed("rk4", 0.0, 1.0, grid, np.arange(2), y, params, saved) is None
    result = gmsim.simulate(system.model, stop=2)
    assert result.stats.steps == 16


def test_a_large_graph_builds_no_dense_matrix():
    n = 100_000
    model = random_model(n, stop=1.0)
    tracemalloc.start()
    try:
        st = Structure(model, model.links)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert st.sparse and len(model.links) > 450_000
    # an n x n or n x L float array alone would be 80 GB and more; the sparse build is links-sized
    assert peak < 400 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    for name, value in vars(st).items():
        if isinstance(value, np.ndarray):
            assert value.size <= 4 * len(model.links), name
    for dense in ("S", "T", "D", "O", "M", "Z", "S_add", "source"):
        assert dense not in vars(st), dense  # never built: the sparse path does not ask for it


def test_the_kernels_own_exp_and_log_agree_with_the_library_to_an_ulp_or_two(kernel):
    from gmsim.factor import kernel_numba as kn

    rng = np.random.default_rng(3)
    xs = np.concatenate([rng.uniform(-700, 700, 2000), rng.uniform(-1, 1, 2040), [0.0, -708.0, 709.0]])
    out = np.empty_like(xs)
    kn._exp_row(xs, out)  # a row of any length: a tile's runs, or one run's factors
    assert np.max(np.abs(out / np.exp(xs) - 1)) < 5e-16
    ys = np.concatenate([np.exp(rng.uniform(-700, 700, 2000)), rng.uniform(0.5, 2.0, 2046), [1.0, 2.0]])
    out = np.empty_like(ys)
    kn._log_row(ys, out)
    assert np.max(np.abs(out - np.log(ys)) / np.maximum(np.abs(np.log(ys)), 1)) < 5e-16
    # S_p of a row in SIMD against the library's power, over the steepness range of the model file
    for p in (1.0, 2.5, 8.0, 20.0):
        us = np.concatenate([rng.uniform(-3, 3, 2 * kn.TILE - 4), [0.0, 1e-300, -2e3, 5e4]])
        exact = np.array([kn._saturate(u, p, True) for u in us])
        fast = np.empty_like(us)
        kn._saturate_row(us, np.full(us.size, p), fast, np.empty(us.size), np.empty(us.size))
        np.testing.assert_allclose(fast, exact, rtol=0, atol=1e-14)


def test_a_runs_numbers_do_not_depend_on_the_runs_beside_it(kernel):
    """Runs are stepped in tiles (runs innermost): in a partial tile or in blocks of any size a run
    gives the same bits; alone, its S_p is a row of its factors instead of a tile's lane, and its
    parameters come through a matrix product of another shape (the resting inputs' solve): the same
    to rounding."""
    system = gmsim.load_model().compile()
    rng = np.random.default_rng(5)
    runs = 2 * kernel_tile() + 9  # blocks of 5 leave a last block of 4 (a single run takes another path)
    batch = {
        f"weight:{name}": np.clip(link.weight * rng.uniform(0.8, 1.2, runs), -1, 1)
        for name, link in zip(system.link_names, system.links, strict=True)
    }
    params = system.parameters(batch)
    whole = solve(system, params, RunSettings(start=0, stop=24, dt=0.25, method="rk4"))
    blocks = solve(system, params, RunSettings(start=0, stop=24, dt=0.25, method="rk4", block=5))
    assert np.array_equal(whole.values, blocks.values)
    alone = solve(
        system,
        system.parameters({k: v[runs - 1 : runs] for k, v in batch.items()}),
        RunSettings(start=0, stop=24, dt=0.25, method="rk4"),
    )
    np.testing.assert_allclose(alone.values[0], whole.values[runs - 1], rtol=0, atol=1e-14)


def kernel_tile() -> int:
    from gmsim.factor.kernel_numba import TILE

    return TILE


def test_a_run_without_forcings_or_windows_is_one_call_with_its_jumps_inside(kernel, monkeypatch):
    """Events and decisions happen inside the kernel's loop; forcings and windows split the run."""
    segments = []
    each = FactorSystem.integrate_fixed
    monkeypatch.setattr(
        FactorSystem, "integrate_fixed", lambda self, *a, **k: segments.append(1) or each(self, *a, **k)
    )
    settings = RunSettings(start=0, stop=20, dt=0.25, method="rk4")
    for name, split in (("none", False), ("events", False), ("clamp", True), ("window", True)):
        segments.clear()
        system = FactorSystem(small_model(), SCENARIOS[name])
        result = solve(system, system.parameters(), settings)
        assert bool(segments) == split, name
        inside = [t for t in system.breakpoints(system.parameters()) if 0 < t < 20]
        assert result.stats.segments == len(inside) + 1


def test_events_at_a_decision_come_before_it_and_per_run_events_agree(kernel, monkeypatch):
    """At month 12 funding is decided from leadership attention: the event that halves attention
    there must be seen by the decision (as in the engine's jump); another event sets funding itself,
    which the decision then replaces. An event off the grid (month 4.3) has one value per run."""
    runs = 2 * kernel_tile() + 5
    events = (
        Event(12.0, "leadership_attention", multiply=0.5),
        Event(12.0, "funding", set=0.95),
        Event(4.3, "human_resources", multiply=np.linspace(0.2, 1.4, runs)),
    )
    model = gmsim.load_model()
    system = FactorSystem(model, Interventions(events=events))
    batch = {"tau:training": np.linspace(2.0, 8.0, runs)}
    params = system.parameters(batch)
    settings = RunSettings(start=0, stop=24, dt=0.125, method="rk4", block=kernel_tile())
    fast, slow = both(monkeypatch, lambda: solve(system, params, settings))
    assert_same(fast, slow)
    assert fast.stats.blocks == 3
    funding = fast.variables.index("funding")
    month = np.searchsorted(fast.time, 12.0)
    assert not np.isclose(fast.values[0, month, funding], 0.95)  # decided after the event set it
    alone = FactorSystem(model)
    plain = solve(alone, alone.parameters(batch), settings)
    assert np.all(fast.values[:, month, funding] < plain.values[:, month, funding])  # halved attention


@pytest.mark.parametrize("method", ["rk4", "euler"])
def test_small_batches_go_run_by_run_and_larger_ones_in_tiles_with_the_same_numbers(
    kernel, monkeypatch, method
):
    """A batch of up to ONE_BY_ONE runs steps each run in the loop compiled for one run; a larger
    one in tiles. Both agree with the numpy path, with forcings, events and held values per run."""
    one, tiles = kernel._kernel()
    calls = []
    monkeypatch.setattr(
        kernel,
        "_compiled",
        (lambda *a: calls.append("one") or one(*a), lambda *a: calls.append("tiles") or tiles(*a)),
    )
    for runs in (kernel.ONE_BY_ONE, kernel.ONE_BY_ONE + 9):
        iv = Interventions(
            forcings=(
                Forcing("c", Ramp(start=0.0, end=15.0, value=np.linspace(0.1, 0.9, runs))),
                Forcing("b", Step(at=0.0, value=0.7), start=4.0, end=11.5),
            ),
            events=(Event(2.3, "a", multiply=np.linspace(0.5, 1.5, runs)), Event(7.0, "g", set=0.2)),
        )
        system = FactorSystem(small_model(), iv)
        params = system.parameters({"weight:c->a": np.linspace(-0.5, 0.8, runs)})
        settings = RunSettings(start=0, stop=20, dt=0.25, method=method)
        for save in ("variables", "states"):
            calls.clear()
            run = lambda s=save, sy=system, p=params, st=settings: solve(sy, p, st, save=s)  # noqa: E731
            fast, slow = both(monkeypatch, run)
            assert_same(fast, slow)
            segments = fast.stats.segments  # forcings: the engine goes segment by segment
            expected = ["one"] * runs * segments if runs <= kernel.ONE_BY_ONE else ["tiles"] * segments
            assert calls == expected
        assert np.ptp(fast.values[:, -1], axis=0).max() > 0


def test_a_new_process_loads_the_kernel_from_the_disk_cache(kernel):
    """Compiled once per machine: a new process finds both widths in the cache and compiles none
    (functions made in a factory, capturing compiled ones, got a new cache key in every process)."""
    gmsim.simulate(stop=2)
    gmsim.simulate(stop=2, batch={"tau:training": np.linspace(2.0, 6.0, 20)})  # both are cached now
    code = (
        "import numpy as np, gmsim\n"
        "from gmsim.factor import kernel_numba as kn\n"
        "gmsim.simulate(stop=2)\n"
        "gmsim.simulate(stop=2, batch={'tau:training': np.linspace(2.0, 6.0, 20)})\n"
        "for f in (kn.integrate_run, kn.integrate_segment):\n"
        "    print(sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "0", "1", "0"], done.stdout + done.stderr
