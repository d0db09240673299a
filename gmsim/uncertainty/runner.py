"""Run samples of a model in chunks on an executor, and reduce each chunk as it comes in.

The engine under :func:`gmsim.monte_carlo` and :func:`gmsim.sensitivity`. A
:class:`Task` is one chunk of samples (their parameter values); a :class:`Job`
is what every chunk shares (the compiled systems, metrics, run settings), sent
to each worker once. :func:`run_chunk` integrates a chunk on each system in one
batched call through the generic :meth:`System.parameters` interface (so
imported models work too), evaluates the metrics and summarises the band cells
(:mod:`gmsim.uncertainty.streaming`); :func:`run_ensemble` runs the first chunk here (the
*pilot*, which fixes the histogram bins), the rest on an executor, and merges
the results in task order, so every executor gives the same numbers.

A sample whose run raises or turns non-finite is isolated (a failing batch is
split in halves until the failing samples are alone), reported as a
:class:`Failure` with its parameters, and left out; the rest is kept.

:func:`prepare` compiles the baseline and the scenarios and resolves a spec
against them, scenario numbers included.

Examples
--------
>>> import gmsim
>>> from gmsim.uncertainty.executors import InProcess
>>> from gmsim.uncertainty.spec import UncertaintySpec
>>> setup = prepare(None, UncertaintySpec.every_weight(0.2), ["training-program"], stop=12)
>>> [name for name, _ in setup.systems]
['baseline', 'training-program']
>>> job = Job(setup.systems, setup.space.names, chosen_metrics(["effectiveness"], setup.base),
...           start=0.0, stop=12.0, dt=0.125, method="rk4")
>>> tasks = [Task(0, 0, setup.space.sample(0, 8, seed=1)), Task(1, 8, setup.space.sample(8, 8, seed=1))]
>>> outcome = run_ensemble(job, tasks, runs=16, executor=InProcess(1))
>>> outcome.metrics.shape  # (systems, runs, metrics)
(2, 16, 1)
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from gmsim.core.result import Result
from gmsim.core.solver import RunSettings, result_of, solve, time_grid
from gmsim.core.system import System
from gmsim.core.units import moment
from gmsim.errors import GmsimError, SimulationError
from gmsim.limits import LimitError
from gmsim.scenario.uncertain import PREFIX, revalue, scenario_parameters
from gmsim.simulation.simulate import ModelLike, as_system
from gmsim.uncertainty.executors import Executor, progress_bar
from gmsim.uncertainty.metric import Metric, parse_metrics
from gmsim.uncertainty.sampling import ParameterSpace
from gmsim.uncertainty.spec import UncertaintySpec, load_spec, nominal_values
from gmsim.uncertainty.streaming import Edges, Partial, StreamedStats, histogram, summarize

__all__ = [
    "CHUNK_SIZE",
    "ChunkResult",
    "EnsembleOutcome",
    "Failure",
    "Job",
    "Recipe",
    "Setup",
    "Task",
    "as_spec",
    "checked_grid",
    "chosen_metrics",
    "prepare",
    "run_chunk",
    "run_ensemble",
    "run_settings",
    "seed_or_fresh",
    "whole_number",
]

CHUNK_SIZE = 512
"""Runs per chunk: one batched integration (about 40 MB of trajectories for the default model).

Measured (``benchmarks/bench_ensemble.py``): CPU time per run is the same from
512 to 4096, memory grows with the chunk, and smaller chunks share out more
evenly among threads, the first (pilot) chunk running alone."""


# -- what travels to workers -----------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One chunk: samples ``first .. first + len(values) - 1``, their parameter values ``(B, D)``."""

    index: int
    first: int
    values: np.ndarray


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to run chunks; sent to each worker once.

    ``systems`` are ``(scenario name, compiled system)`` pairs run on the same
    samples; ``names`` are the parameter columns of a task's values.
    ``variables`` and ``times`` pick the cells whose bands are kept (indices
    into the system's variables and the save grid; empty: no bands).
    """

    systems: tuple[tuple[str, System], ...]
    names: tuple[str, ...]
    metrics: tuple[Metric, ...]
    start: float
    stop: float
    dt: float
    method: str
    rtol: float = 1e-6
    atol: float = 1e-9
    variables: tuple[int, ...] = ()
    times: tuple[int, ...] = ()
    edges: tuple[Edges, ...] | None = None
    keep: bool = False
    recipes: tuple[Recipe | None, ...] = ()

    def recipe(self, s: int) -> Recipe | None:
        """How to rebuild system ``s`` per chunk, when its scenario's numbers are uncertain."""
        return self.recipes[s] if self.recipes else None

    @property
    def grid(self) -> np.ndarray:
        """The save times of every run."""
        return time_grid(self.start, self.stop, self.dt)

    @property
    def settings(self) -> RunSettings:
        """How each chunk is run: on the worker's one thread, non-finite runs left to the caller."""
        return RunSettings(
            start=self.start,
            stop=self.stop,
            dt=self.dt,
            method=self.method,
            rtol=self.rtol,
            atol=self.atol,
            workers=1,
            check_finite=False,
        )


@dataclass(frozen=True)
class Recipe:
    """A scenario whose numbers are uncertain: re-valued and compiled for each chunk of runs."""

    model: Any
    scenario: Any
    start: float | None = None
    stop: float | None = None

    def build(self, columns: Mapping[str, np.ndarray]) -> System:
        """The system with the scenario's named numbers set to ``columns`` (one value per run)."""
        scenario = revalue(self.scenario, columns)
        return as_system(self.model, scenario=scenario, start=self.start, stop=self.stop)[0]


@dataclass(frozen=True)
class Failure:
    """A sample whose run failed or was not finite, with its parameters."""

    sample: int
    scenario: str
    message: str
    parameters: Mapping[str, float]

    def __str__(self) -> str:
        values = ", ".join(f"{k} = {v:.6g}" for k, v in self.parameters.items())
        return f"sample {self.sample} ({self.scenario}): {self.message}; parameters: {values}"


@dataclass
class ChunkResult:
    """What a worker sends back for one chunk."""

    index: int
    first: int
    count: int
    metrics: np.ndarray  # (S, B, M), NaN where a run failed
    partials: list[Partial | None]
    raw: list[np.ndarray | None]  # band cells of the good runs, when no edges were given
    trajectories: list[np.ndarray | None]
    failures: list[Failure]


# -- one chunk ---------------------------------------------------------------------------------------
def run_chunk(job: Job, task: Task) -> ChunkResult:
    """Run one chunk of samples on every system of ``job`` and reduce it (on one thread)."""
    B = len(task.values)
    metrics = np.full((len(job.systems), B, len(job.metrics)), np.nan)
    partials: list[Partial | None] = []
    raw: list[np.ndarray | None] = []
    kept: list[np.ndarray | None] = []
    failures: list[Failure] = []
    time = job.grid
    for s, (scenario, system) in enumerate(job.systems):
        values, failed = _integrate_rows(job, s, task, np.arange(B))
        failures += failed
        ok = np.isfinite(values).all(axis=(1, 2))
        for row in np.nonzero(~ok)[0]:
            if not any(f.sample == task.first + row and f.scenario == scenario for f in failed):
                failures.append(_not_finite(job, system, scenario, task, int(row), time, values[row]))
        good = values if ok.all() else values[ok]
        if ok.any():
            metrics[s, ok] = (
                np.column_stack([m.evaluate(time, good, system.variable_names) for m in job.metrics])
                if job.metrics
                else np.empty((int(ok.sum()), 0))
            )
        cells = _cells(job, good) if job.variables else None
        if cells is None:
            partials.append(None)
            raw.append(None)
        else:
            edges = job.edges[s] if job.edges is not None else None
            partials.append(summarize(cells, edges))
            raw.append(cells if edges is None else None)
        kept.append(values if job.keep else None)
        del values, good, cells  # before the next system's integration allocates its own
    return ChunkResult(task.index, task.first, B, metrics, partials, raw, kept, failures)


def _cells(job: Job, values: np.ndarray) -> np.ndarray:
    """The band cells of ``values`` (runs, T, V): the job's times and variables."""
    if len(job.times) != values.shape[1]:
        values = values[:, list(job.times)]
    if len(job.variables) != values.shape[2]:
        values = values[:, :, list(job.variables)]
    return values


def _integrate_rows(job: Job, s: int, task: Task, rows: np.ndarray):
    """Integrate ``rows`` of the task on system ``s``; a failing batch is split until the failing
    samples are alone. Returns ``(values, failures)``; a failed sample's values are NaN.
    """
    scenario, system = job.systems[s]
    values = task.values[rows]
    try:
        recipe = job.recipe(s)
        own = set(system.parameter_names())
        if recipe is not None:
            columns = {n: values[:, j] for j, n in enumerate(job.names) if n.startswith(PREFIX)}
            system = recipe.build(columns) if columns else system
        batch = {n: values[:, j] for j, n in enumerate(job.names) if n in own}
        params = system.parameters(batch or _nominal_batch(system, len(rows)))
        with np.errstate(divide="ignore"):
            result = solve(system, params, job.settings, scenario=scenario, batched=True)
        return result.values, []
    except GmsimError as exc:
        if len(rows) == 1 and isinstance(exc, LimitError):
            raise  # too big even for one run: a refusal, not a failed sample
        if len(rows) == 1:  # a batch above a limit (saved_values) is split like a failing one
            parameters = dict(zip(job.names, map(float, values[0]), strict=True))
            failure = Failure(task.first + int(rows[0]), scenario, str(exc).splitlines()[0], parameters)
            return np.full((1, len(job.grid), len(system.variable_names)), np.nan), [failure]
        half = len(rows) // 2
        a, fa = _integrate_rows(job, s, task, rows[:half])
        b, fb = _integrate_rows(job, s, task, rows[half:])
        return np.concatenate([a, b]), fa + fb


def _nominal_batch(system: System, runs: int) -> dict[str, np.ndarray]:
    """A batch of ``runs`` identical runs, for a system none of whose own parameters vary."""
    nominal = nominal_values(system)
    if not nominal:
        raise SimulationError(
            f"model '{system.name}' does not report its parameters' values, so a spec must make at "
            "least one of its own parameters uncertain"
        )
    name, value = next(iter(nominal.items()))
    return {name: np.full(runs, value)}


def _not_finite(job, system, scenario, task, row, time, values) -> Failure:
    bad = np.argwhere(~np.isfinite(values))
    k, v = bad[np.argmin(bad[:, 0])]
    message = (
        f"'{system.variable_names[v]}' became {values[k, v]} at {moment(system.time_unit, time[k])}; "
        "the rest of the ensemble is kept"
    )
    parameters = dict(zip(job.names, map(float, task.values[row]), strict=True))
    return Failure(task.first + row, scenario, message, parameters)


# -- many chunks -------------------------------------------------------------------------------------
@dataclass
class EnsembleOutcome:
    """Merged output of :func:`run_ensemble`."""

    time: np.ndarray
    metrics: np.ndarray  # (S, runs, M)
    stats: list[StreamedStats | None]
    failures: list[Failure]
    trajectories: dict[str, Result] | None  # every run of each system, by scenario name
    exact: bool


def run_ensemble(
    job: Job,
    tasks: Iterable[Task],
    *,
    runs: int,
    executor: Executor,
    progress: bool | None = None,
) -> EnsembleOutcome:
    """Run every task on ``executor`` and merge the results in task order.

    The first task runs here first (the *pilot*); its band cells fix the
    histogram bins of the rest (:class:`~gmsim.uncertainty.streaming.Edges`). If it is the
    only task, its percentiles are exact.
    """
    tasks = iter(tasks)
    pilot_task = next(tasks, None)
    if pilot_task is None:
        raise SimulationError("an ensemble needs at least one run")
    bar = progress_bar(runs, enabled=progress)
    # one BLAS thread: the products are small, and BLAS's threads would fight the workers'
    with threadpool_limits(limits=1, user_api="blas"):
        try:
            return _run_all(job, pilot_task, tasks, executor, bar)
        finally:
            if bar is not None:
                bar.close()


def _run_all(
    job: Job, pilot_task: Task, tasks: Iterator[Task], executor: Executor, bar
) -> EnsembleOutcome:
    """The pilot here, then the rest on the executor, merged in order."""
    pilot = run_chunk(job, pilot_task)
    if bar is not None:
        bar.update(pilot.count)
    rest = _peek(tasks)
    exact = rest is None
    stats, edges = _pilot_stats(job, pilot, exact=exact)
    job = dataclasses.replace(job, edges=edges)
    pilot.raw = []  # the pilot's cells are binned now: let them go
    metrics = [pilot.metrics]
    failures = list(pilot.failures)
    kept = [pilot.trajectories] if job.keep else None
    if rest is not None:
        for result in executor.map(run_chunk, job, rest):
            metrics.append(result.metrics)
            failures += result.failures
            for st, part in zip(stats, result.partials, strict=True):
                if st is not None and part is not None:
                    st.add(part)
            if kept is not None:
                kept.append(result.trajectories)
            if bar is not None:
                bar.update(result.count)
    trajectories = None
    if kept is not None:
        trajectories = {
            name: result_of(
                system,
                job.grid,
                np.concatenate([k[s] for k in kept]),
                method=job.method,
                scenario=name,
                batched=True,
            )
            for s, (name, system) in enumerate(job.systems)
        }
    return EnsembleOutcome(
        time=job.grid,
        metrics=np.concatenate(metrics, axis=1),
        stats=stats,
        failures=failures,
        trajectories=trajectories,
        exact=exact,
    )


def _pilot_stats(job: Job, pilot: ChunkResult, *, exact: bool):
    """Statistics started from the pilot chunk, and the histogram bins its cells fix."""
    if not job.variables:
        return [None] * len(job.systems), None
    edges = tuple(
        Edges.from_pilot(r) if r is not None and len(r) else _empty_edges(job) for r in pilot.raw
    )
    stats: list[StreamedStats | None] = []
    for s, cells in enumerate(pilot.raw):
        st = StreamedStats(None if exact else edges[s])
        part = pilot.partials[s]
        if cells is not None and len(cells):
            if exact:
                st.exact(cells)
            else:
                part.counts = histogram(cells, edges[s])
        st.add(part)
        stats.append(st)
    return stats, edges


def _empty_edges(job: Job) -> Edges:
    shape = (len(job.times), len(job.variables))
    return Edges(np.zeros(shape), np.ones(shape))


def _peek(it: Iterator[Task]) -> Iterator[Task] | None:
    """``None`` if the iterator is exhausted, else an iterator over all its items."""
    first = next(it, None)
    if first is None:
        return None

    def chain() -> Iterator[Task]:
        yield first
        yield from it

    return chain()


# -- setting up ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setup:
    """The compiled baseline and scenarios of an analysis, and the spec resolved against them.

    ``systems`` are ``(name, system)``, the baseline first; ``recipes`` say
    which scenarios are rebuilt per chunk (their numbers are uncertain);
    ``sources`` are the model's and scenarios' files, for the manifest.
    """

    model: Any
    systems: tuple[tuple[str, System], ...]
    space: ParameterSpace
    recipes: tuple[Recipe | None, ...]
    sources: Mapping[str, Any]

    @property
    def base(self) -> System:
        """The baseline system."""
        return self.systems[0][1]


def prepare(
    model: ModelLike,
    spec: UncertaintySpec,
    scenarios=(),
    *,
    start: float | None = None,
    stop: float | None = None,
) -> Setup:
    """Compile the baseline and each scenario (checked against the horizon) and resolve ``spec``.

    ``scenarios`` is an iterable of library names, paths, Scenario or
    Interventions objects, or a mapping that names them.
    """
    model = _load_model(model)
    base, _ = as_system(model)
    systems: list[tuple[str, System]] = [("baseline", base)]
    loaded: list[Any] = [None]
    files: dict[str, str | None] = {}
    items = scenarios.items() if isinstance(scenarios, Mapping) else [(None, s) for s in scenarios]
    for name, scenario in items:
        scenario = _load_scenario(scenario)
        system, found = as_system(model, scenario=scenario, start=start, stop=stop)
        name = name or found
        if name == "baseline" and found == "baseline":
            continue
        if name in [n for n, _ in systems]:
            raise SimulationError(f"two scenarios are called '{name}'; give them different names")
        systems.append((name, system))
        loaded.append(scenario)
        files[name] = getattr(scenario, "path", None)
    extra: dict[str, float] = {}
    for scenario in loaded[1:]:
        extra.update(scenario_parameters(scenario))
    space = spec.resolve(base, extra=extra)
    recipes: list[Recipe | None] = [None]
    for scenario in loaded[1:]:
        uncertain = any(n in scenario_parameters(scenario) for n in space.names)
        recipes.append(Recipe(model, scenario, start, stop) if uncertain else None)
    for name, system in systems[1:]:
        own = system.parameter_names()
        missing = [n for n in space.names if not n.startswith(PREFIX) and n not in own]
        if missing:
            raise SimulationError(f"scenario '{name}' has no parameter {missing[0]}")
    return Setup(model, tuple(systems), space, tuple(recipes), _sources(base, files))


def _load_model(model: ModelLike):
    """A model named by path (or None: the default) loaded once, so that scenarios reuse it."""
    if model is None or isinstance(model, str | os.PathLike):
        from gmsim.simulation.load import load_model

        return load_model(model)
    return model


def _load_scenario(scenario):
    """A scenario named by library name or path, loaded (so that its file is known)."""
    if isinstance(scenario, str | os.PathLike):
        from gmsim.scenario import load_scenario

        return load_scenario(scenario)
    return scenario


def _sources(system: System, scenario_files: Mapping[str, str | None]) -> dict[str, Any]:
    """The model's file (or definition) and the scenarios' files, for the manifest."""
    model = getattr(system, "model", None)
    path = getattr(model, "path", None) or getattr(system, "path", None)
    return {"model": path, "model_definition": model, "scenarios": dict(scenario_files)}


def as_spec(spec: UncertaintySpec | str | os.PathLike | None) -> UncertaintySpec:
    """A spec as given, or loaded from a file or the shipped library (``None``: every weight ±20 %)."""
    return spec if isinstance(spec, UncertaintySpec) else load_spec(spec)


def whole_number(name: str, value: Any) -> int:
    """``value`` as an int >= 1, or a :class:`SimulationError` naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise SimulationError(f"`{name}` must be a whole number >= 1, got {value!r}")
    return int(value)


def seed_or_fresh(seed: int | None) -> int:
    """``seed`` checked, or a fresh 63-bit seed (recorded in the manifest)."""
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SimulationError(f"`seed` must be a whole number >= 0, got {seed!r}")
    return int(seed)


def run_settings(system: System, start, stop, dt, method) -> tuple[float, float, float, str]:
    """Start, stop, dt and method: those given, else the model's; checked, in the model's unit."""
    s = RunSettings.for_system(system, start=start, stop=stop, dt=dt, method=method)
    return s.start, s.stop, s.dt, s.method


def checked_grid(start: float, stop: float, dt: float) -> np.ndarray:
    """The save times, after checking the horizon and step (see :class:`RunSettings`)."""
    settings = RunSettings(start=start, stop=stop, dt=dt)
    return time_grid(settings.start, settings.stop, settings.dt)


def chosen_metrics(metrics, system: System, better: str = "higher") -> tuple[Metric, ...]:
    """The metrics asked for; none: effectiveness at the end (or the first variable's)."""
    if not metrics:
        names = system.variable_names
        metrics = ["effectiveness" if "effectiveness" in names else names[0]]
    return parse_metrics(metrics, better=better)
