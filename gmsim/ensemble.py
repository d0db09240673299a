"""Ensembles: many samples of a model run in chunks, reduced as the chunks come in.

:func:`monte_carlo` draws samples from an :class:`~gmsim.spec.UncertaintySpec`,
runs the baseline and each scenario on the same samples, and keeps, for each
scenario, percentile bands of every variable over time, means and spreads,
and the chosen metrics of every run (for the probability that a scenario beats
the baseline). Memory does not grow with the number of runs (see
:mod:`gmsim.streaming`) unless ``keep_trajectories=True``.

The same machinery, :func:`run_ensemble`, evaluates the designs of
:mod:`gmsim.sensitivity`. A chunk is one batched integration
(:func:`gmsim.integrate.integrate`) of the samples' parameter columns, through
the generic :meth:`System.parameters` interface, so imported models work too.
A sample whose run fails or is not finite is reported with its parameters
(:class:`Failure`) and left out; the rest of the ensemble is kept.

Examples
--------
>>> import gmsim
>>> from gmsim.spec import UncertaintySpec
>>> mc = gmsim.monte_carlo(
...     spec=UncertaintySpec.every_weight(0.2, seed=7),
...     scenarios=["training-program"], runs=64, metrics=["effectiveness@36"],
... )
>>> mc.band("effectiveness", "training-program").columns[:5].tolist()
['p5', 'p25', 'p50', 'p75', 'p95']
>>> mc.probability_better("effectiveness@36", "training-program")
1.0
"""

from __future__ import annotations

import dataclasses
import math
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from gmsim.errors import GmsimError, SimulationError
from gmsim.executors import Executor, borrowed, progress_bar
from gmsim.integrate import integrate, time_grid
from gmsim.metric import Metric, MetricError, parse_metrics
from gmsim.result import Result
from gmsim.scenario_uncertainty import PREFIX, revalue, scenario_parameters
from gmsim.simulate import ModelLike, as_system
from gmsim.spec import ParameterSpace, UncertaintySpec, load_spec, nominal_values
from gmsim.streaming import PERCENTILES, Edges, Partial, StreamedStats, histogram, summarize
from gmsim.system import System

__all__ = [
    "CHUNK_SIZE",
    "EnsembleOutcome",
    "Failure",
    "Job",
    "MonteCarloResult",
    "Task",
    "monte_carlo",
    "run_chunk",
    "run_ensemble",
]

CHUNK_SIZE = 512
"""Runs per chunk: one batched integration (about 40 MB of trajectories for the default model).

Measured (``benchmarks/bench_ensemble.py``): CPU time per run is the same from
512 to 4096, memory grows with the chunk, and smaller chunks share out more
evenly among threads, the first (pilot) chunk running alone."""

DEFAULT_RUNS = 1000


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
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            _, out = integrate(
                system,
                params,
                start=job.start,
                stop=job.stop,
                dt=job.dt,
                method=job.method,
                rtol=job.rtol,
                atol=job.atol,
                workers=1,
            )
        return out, []
    except GmsimError as exc:
        if len(rows) == 1:
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
        f"'{system.variable_names[v]}' became {values[k, v]} at month {time[k]:g}; "
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
    trajectories: list[np.ndarray] | None
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
    histogram bins of the rest (:class:`~gmsim.streaming.Edges`). If it is the
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
        trajectories = [np.concatenate([k[s] for k in kept]) for s in range(len(job.systems))]
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


# -- Monte Carlo -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MonteCarloResult:
    """Bands, metrics and failures of a Monte Carlo ensemble (see :func:`monte_carlo`).

    ``bands[scenario]`` has shape ``(len(percentiles), time, variable)``;
    ``mean``, ``sd``, ``low`` and ``high`` ``(time, variable)``;
    ``metric_values[scenario]`` ``(runs, metric)``, NaN where a run failed.
    """

    time: np.ndarray
    variables: tuple[str, ...]
    scenarios: tuple[str, ...]
    percentiles: tuple[float, ...]
    bands: Mapping[str, np.ndarray]
    mean: Mapping[str, np.ndarray]
    sd: Mapping[str, np.ndarray]
    low: Mapping[str, np.ndarray]
    high: Mapping[str, np.ndarray]
    metrics: tuple[Metric, ...]
    metric_values: Mapping[str, np.ndarray]
    failures: tuple[Failure, ...]
    runs: int
    seed: int
    spec: UncertaintySpec
    space: ParameterSpace
    model: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    trajectories: Mapping[str, Result] | None = None

    # -- lookups ------------------------------------------------------------------------------------
    def _scenario(self, scenario: str | None) -> str:
        if scenario is None:
            return self.scenarios[-1]
        if scenario not in self.scenarios:
            from gmsim.errors import did_you_mean

            raise GmsimError(
                f"no scenario '{scenario}' in this ensemble{did_you_mean(scenario, self.scenarios)}; "
                f"it has {', '.join(self.scenarios)}"
            )
        return scenario

    def _variable(self, variable: str) -> int:
        if variable not in self.variables:
            from gmsim.errors import did_you_mean

            raise GmsimError(
                f"no bands for '{variable}'{did_you_mean(variable, self.variables)}; "
                "pass it in `variables` to keep them"
            )
        return self.variables.index(variable)

    def _metric(self, metric: str | Metric | None) -> int:
        if metric is None:
            return 0
        key = str(Metric.parse(metric))
        names = [str(m) for m in self.metrics]
        if key not in names:
            from gmsim.errors import did_you_mean

            raise MetricError(
                f"metric '{key}' was not computed{did_you_mean(key, names)}; this ensemble has "
                f"{', '.join(names)}"
            )
        return names.index(key)

    @property
    def ok_runs(self) -> int:
        """Runs that finished with finite values in every scenario."""
        stacked = np.stack([self.metric_values[s] for s in self.scenarios])
        if stacked.shape[-1] == 0:
            return self.runs - len({f.sample for f in self.failures})
        return int(np.isfinite(stacked).all(axis=(0, 2)).sum())

    # -- tables -------------------------------------------------------------------------------------
    def band(self, variable: str, scenario: str | None = None) -> pd.DataFrame:
        """Percentiles, mean, sd, min and max of ``variable`` over time (index: month)."""
        s, v = self._scenario(scenario), self._variable(variable)
        frame = pd.DataFrame(
            {f"p{q:g}": self.bands[s][i, :, v] for i, q in enumerate(self.percentiles)},
            index=pd.Index(self.time, name="time"),
        )
        frame["mean"] = self.mean[s][:, v]
        frame["sd"] = self.sd[s][:, v]
        frame["min"] = self.low[s][:, v]
        frame["max"] = self.high[s][:, v]
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Every band in one tidy table: scenario, variable, time, p5 … p95, mean, sd, min, max."""
        parts = []
        for s in self.scenarios:
            for v in self.variables:
                frame = self.band(v, s).reset_index()
                frame.insert(0, "variable", v)
                frame.insert(0, "scenario", s)
                parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def metric_frame(self) -> pd.DataFrame:
        """One row per sample: ``sample``, then ``<scenario>:<metric>`` columns."""
        frame = pd.DataFrame({"sample": np.arange(self.runs)})
        for s in self.scenarios:
            for j, m in enumerate(self.metrics):
                frame[f"{s}:{m}"] = self.metric_values[s][:, j]
        return frame

    def probability_better(
        self, metric: str | Metric | None = None, scenario: str | None = None
    ) -> float:
        """Share of samples in which ``scenario`` does better than the baseline on ``metric``.

        "Better" follows the metric's ``better`` direction; samples that failed in
        either run are left out. The two runs of a sample share its parameters.
        """
        s, j = self._scenario(scenario), self._metric(metric)
        base, alt = self.metric_values[self.scenarios[0]][:, j], self.metric_values[s][:, j]
        ok = np.isfinite(base) & np.isfinite(alt)
        if not ok.any():
            return math.nan
        diff = _signed(self.metrics[j], alt[ok] - base[ok], base[ok])
        return float((diff > 0).mean())

    def metric_summary(self) -> pd.DataFrame:
        """Per scenario and metric: mean, sd, percentiles; against the baseline, the median
        difference and the probability of doing better (and worse)."""
        rows = []
        base = self.metric_values[self.scenarios[0]]
        for s in self.scenarios:
            for j, m in enumerate(self.metrics):
                x = self.metric_values[s][:, j]
                ok = np.isfinite(x)
                row: dict[str, Any] = {"scenario": s, "metric": str(m), "runs": int(ok.sum())}
                row["mean"] = float(x[ok].mean()) if ok.any() else math.nan
                row["sd"] = float(x[ok].std(ddof=1)) if ok.sum() > 1 else math.nan
                qs = (
                    np.percentile(x[ok], self.percentiles)
                    if ok.any()
                    else [math.nan] * len(self.percentiles)
                )
                row.update({f"p{q:g}": float(v) for q, v in zip(self.percentiles, qs, strict=True)})
                if s != self.scenarios[0]:
                    both = ok & np.isfinite(base[:, j])
                    diff = x[both] - base[both, j]
                    signed = _signed(m, diff, base[both, j])
                    row["median_difference"] = float(np.median(diff)) if both.any() else math.nan
                    row["p_better"] = float((signed > 0).mean()) if both.any() else math.nan
                    row["p_worse"] = float((signed < 0).mean()) if both.any() else math.nan
                rows.append(row)
        return pd.DataFrame(rows)

    def failure_frame(self) -> pd.DataFrame:
        """One row per failed run: sample, scenario, message, then its parameters."""
        columns = ["sample", "scenario", "message", *self.space.names]
        return pd.DataFrame(
            [
                {"sample": f.sample, "scenario": f.scenario, "message": f.message, **f.parameters}
                for f in self.failures
            ],
            columns=columns,
        )

    def samples(self, first: int = 0, count: int | None = None) -> pd.DataFrame:
        """The parameter values of samples ``first ..`` (drawn again from the seed)."""
        count = self.runs - first if count is None else count
        values = self.space.sample(first, count, seed=self.seed)
        frame = pd.DataFrame(values, columns=list(self.space.names))
        frame.index = pd.RangeIndex(first, first + count, name="sample")
        return frame

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [
            f"{self.model} | {self.runs} runs | spec: {self.spec.name or 'custom'} | seed {self.seed}",
            f"  {len(self.space.names)} uncertain parameters; scenarios: {', '.join(self.scenarios)}",
        ]
        if self.failures:
            samples = sorted({f.sample for f in self.failures})
            lines.append(f"  {len(samples)} run(s) failed and were left out (first: {self.failures[0]})")
        table = self.metric_summary()
        for _, row in table.iterrows():
            text = f"  {row['scenario']:<24}{row['metric']:<28} median {row['p50']:.4f}  90 % in [{row['p5']:.4f}, {row['p95']:.4f}]"
            if (
                "p_better" in row
                and isinstance(row.get("p_better"), float)
                and not math.isnan(row["p_better"])
            ):
                text += f"  P(better than baseline) = {row['p_better']:.3f}"
            lines.append(text)
        return "\n".join(lines)

    def plot(self, variable: str = "effectiveness", *, ax=None, scenarios: Sequence[str] | None = None):
        """Fan chart of ``variable``: median and bands of each scenario (see :func:`plot_fan`)."""
        from gmsim.uncertainty_plots import plot_fan

        return plot_fan(self, variable, ax=ax, scenarios=scenarios)


TIE = 1e-9
"""Differences from the baseline within ``TIE × max(1, |baseline|)`` count as ties (rounding)."""


def _signed(metric: Metric, diff: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Differences with "better" positive, and ties (rounding noise) set to 0."""
    diff = -diff if metric.better == "lower" else diff
    return np.where(np.abs(diff) <= TIE * np.maximum(1.0, np.abs(base)), 0.0, diff)


ScenarioLike = Any


def monte_carlo(
    model: ModelLike = None,
    spec: UncertaintySpec | str | os.PathLike | None = None,
    *,
    runs: int | None = None,
    scenarios: Iterable[ScenarioLike] | Mapping[str, ScenarioLike] = (),
    metrics: Sequence[str | Metric] | str | None = None,
    better: str = "higher",
    seed: int | None = None,
    variables: Sequence[str] | None = None,
    every: float | None = None,
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    executor: str | Executor | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    keep_trajectories: bool = False,
    progress: bool | None = None,
) -> MonteCarloResult:
    """Run a Monte Carlo ensemble of ``model`` under ``spec``, for the baseline and each scenario.

    Parameters
    ----------
    model : Model, System, path or None
        What to run (``None``: the paper's model).
    spec : UncertaintySpec, path, shipped spec name or None
        What is uncertain (``None``: every weight ±20 %).
    runs : int, optional
        Number of samples (default: the spec's ``runs``, else 1000).
    scenarios : iterable or mapping
        Scenarios (library names, paths, Scenario or Interventions objects; a
        mapping gives them names) run on the same samples as the baseline.
    metrics : str or sequence of str, optional
        One number per run (see :mod:`gmsim.metric`); default: the spec's, else
        the final level of effectiveness (or of the first variable).
    better : str
        ``"higher"`` or ``"lower"``: which way a metric is better.
    seed : int, optional
        Overrides the spec's seed; with neither, a fresh seed (reported).
    variables : sequence of str, optional
        Variables whose bands are kept (default: all).
    every : float, optional
        Keep bands every ``every`` months (default: every saved step).
    start, stop, dt, method
        Run settings (default: the model's).
    executor, workers, scheduler
        Where chunks run (:func:`gmsim.executors.get_executor`).
    chunk_size : int
        Runs per batched integration.
    keep_trajectories : bool
        Also keep every run's trajectories (memory grows with ``runs``).
    progress : bool or None
        Progress bar; ``None``: only on a terminal.

    Returns
    -------
    MonteCarloResult
    """
    spec = _as_spec(spec)
    runs = _positive("runs", runs if runs is not None else spec.runs or DEFAULT_RUNS)
    chunk_size = _positive("chunk_size", chunk_size)
    seed = _seed(seed if seed is not None else spec.seed)
    model, systems, loaded, sources = _systems(model, scenarios, start=start, stop=stop)
    base = systems[0][1]
    space, recipes = _scenario_space(spec, base, loaded, model, systems, start=start, stop=stop)
    start, stop, dt, method = _settings(base, start, stop, dt, method)
    time = _grid_of(start, stop, dt)
    metric_list = _metrics(metrics if metrics is not None else spec.metrics, base, better)
    for m in metric_list:
        m.check(time, base.variable_names)
    var_idx = _variables(variables, base)
    times = _times(time, every)
    job = Job(
        systems=tuple(systems),
        names=space.names,
        metrics=metric_list,
        start=start,
        stop=stop,
        dt=dt,
        method=method,
        variables=var_idx,
        times=times,
        keep=keep_trajectories,
        recipes=recipes,
    )
    tasks = (
        Task(i, first, space.sample(first, min(chunk_size, runs - first), seed=seed))
        for i, first in enumerate(range(0, runs, chunk_size))
    )
    with borrowed(executor, workers=workers, scheduler=scheduler) as ex:
        outcome = run_ensemble(job, tasks, runs=runs, executor=ex, progress=progress)
        described = ex.describe()
    names = [n for n, _ in systems]
    stats = outcome.stats
    trajectories = None
    if outcome.trajectories is not None:
        trajectories = {
            n: Result(
                time=outcome.time,
                values=outcome.trajectories[s],
                variables=tuple(sys_.variable_names),
                batched=True,
                model=sys_.name,
                scenario=n,
                method=method,
                groups=dict(sys_.groups),
                labels=dict(sys_.labels),
            )
            for s, (n, sys_) in enumerate(systems)
        }
    return MonteCarloResult(
        time=time[list(times)],
        variables=tuple(base.variable_names[i] for i in var_idx),
        scenarios=tuple(names),
        percentiles=PERCENTILES,
        bands={n: st.percentiles() for n, st in zip(names, stats, strict=True)},
        mean={n: st.mean for n, st in zip(names, stats, strict=True)},
        sd={n: st.sd for n, st in zip(names, stats, strict=True)},
        low={n: st.low for n, st in zip(names, stats, strict=True)},
        high={n: st.high for n, st in zip(names, stats, strict=True)},
        metrics=metric_list,
        metric_values={n: outcome.metrics[s] for s, n in enumerate(names)},
        failures=tuple(outcome.failures),
        runs=runs,
        seed=seed,
        spec=spec,
        space=space,
        model=base.name,
        settings={
            "start": start,
            "stop": stop,
            "dt": dt,
            "method": method,
            "chunk_size": chunk_size,
            "exact_percentiles": outcome.exact,
            "sources": sources,
            **described,
        },
        trajectories=trajectories,
    )


# -- helpers shared with sensitivity ---------------------------------------------------------------
def _as_spec(spec: UncertaintySpec | str | os.PathLike | None) -> UncertaintySpec:
    return spec if isinstance(spec, UncertaintySpec) else load_spec(spec)


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise SimulationError(f"`{name}` must be a whole number >= 1, got {value!r}")
    return int(value)


def _seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SimulationError(f"`seed` must be a whole number >= 0, got {seed!r}")
    return int(seed)


def _systems(model: ModelLike, scenarios, *, start=None, stop=None):
    """The baseline, then each scenario, compiled; the scenarios as given (loaded); and where
    each came from (for manifests)."""
    model = _load_model(model)
    base, _ = as_system(model)
    out: list[tuple[str, System]] = [("baseline", base)]
    loaded: list[Any] = [None]
    files: dict[str, str | None] = {}
    items = scenarios.items() if isinstance(scenarios, Mapping) else [(None, s) for s in scenarios]
    for name, scenario in items:
        scenario = _load_scenario(scenario)
        system, found = as_system(model, scenario=scenario, start=start, stop=stop)
        name = name or found
        if name == "baseline" and found == "baseline":
            continue
        if name in [n for n, _ in out]:
            raise SimulationError(f"two scenarios are called '{name}'; give them different names")
        out.append((name, system))
        loaded.append(scenario)
        files[name] = getattr(scenario, "path", None)
    return model, out, loaded, _sources(base, files)


def _load_model(model: ModelLike):
    """A model named by path (or None: the default) loaded once, so that scenarios reuse it."""
    if model is None or isinstance(model, str | os.PathLike):
        from gmsim.modelfile import load_model

        return load_model(model)
    return model


def _scenario_space(spec, base: System, loaded, model, systems, *, start, stop):
    """Resolve the spec (scenario numbers included) and say which scenarios to rebuild per chunk."""
    extra: dict[str, float] = {}
    for scenario in loaded[1:]:
        extra.update(scenario_parameters(scenario) if scenario is not None else {})
    space = spec.resolve(base, extra=extra)
    recipes: list[Recipe | None] = [None]
    for scenario in loaded[1:]:
        own = scenario_parameters(scenario) if scenario is not None else {}
        uncertain = any(n in own for n in space.names)
        recipes.append(Recipe(model, scenario, start, stop) if uncertain else None)
    for name, system in systems[1:]:
        missing = [
            n for n in space.names if not n.startswith(PREFIX) and n not in system.parameter_names()
        ]
        if missing:
            raise SimulationError(f"scenario '{name}' has no parameter {missing[0]}")
    return space, tuple(recipes)


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


def _settings(system: System, start, stop, dt, method) -> tuple[float, float, float, str]:
    sim = system.simulation
    return (
        float(sim.start if start is None else start),
        float(sim.stop if stop is None else stop),
        float(sim.dt if dt is None else dt),
        method or sim.method,
    )


def _grid_of(start: float, stop: float, dt: float) -> np.ndarray:
    if not stop > start:
        raise SimulationError(f"`stop` (month {stop:g}) must be after `start` (month {start:g})")
    if not dt > 0:
        raise SimulationError(f"`dt` must be > 0, got {dt}")
    return time_grid(start, stop, dt)


def _metrics(metrics, system: System, better: str) -> tuple[Metric, ...]:
    if not metrics:
        names = system.variable_names
        metrics = ["effectiveness" if "effectiveness" in names else names[0]]
    return parse_metrics(metrics, better=better)


def _variables(variables: Sequence[str] | None, system: System) -> tuple[int, ...]:
    names = list(system.variable_names)
    if variables is None:
        return tuple(range(len(names)))
    out = []
    for v in variables:
        if v not in names:
            from gmsim.errors import did_you_mean

            raise SimulationError(f"no variable '{v}'{did_you_mean(v, names)} in model '{system.name}'")
        out.append(names.index(v))
    return tuple(out)


def _times(time: np.ndarray, every: float | None) -> tuple[int, ...]:
    if every is None:
        return tuple(range(len(time)))
    if not every > 0:
        raise SimulationError(f"`every` must be > 0 months, got {every}")
    wanted = np.arange(time[0], time[-1] + every * 1e-9, every)
    idx = np.unique(np.searchsorted(time, wanted - 1e-9 * every))
    idx = idx[idx < len(time)]
    return tuple(int(i) for i in np.union1d(idx, [len(time) - 1]))
