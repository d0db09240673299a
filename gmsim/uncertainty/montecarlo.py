"""Ensembles: many samples of a model run in chunks, reduced as the chunks come in.

:func:`monte_carlo` draws samples from an :class:`~gmsim.uncertainty.spec.UncertaintySpec`,
runs the baseline and each scenario on the same samples, and keeps, for each
scenario, percentile bands of every variable over time, means and spreads,
and the chosen metrics of every run (for the probability that a scenario beats
the baseline). Memory does not grow with the number of runs (see
:mod:`gmsim.uncertainty.streaming`) unless ``keep_trajectories=True``.

Samples are drawn in blocks from the seed (:meth:`~gmsim.uncertainty.spec.ParameterSpace.sample`),
so sample ``i`` is the same whatever the chunk size or executor; chunks run
through :mod:`gmsim.uncertainty.runner`. A sample whose run fails or is not finite is
reported with its parameters (:class:`~gmsim.uncertainty.runner.Failure`) and left out; the
rest of the ensemble is kept.

**What depends on the chunk size.** The samples never do. A run's results depend on
its chunk only through rounding or step control:

- Fixed-step methods (``rk4``, the default, and ``euler``): the compiled kernel steps
  each run in its own lane, so its steps do not depend on the runs beside it. What
  numpy computes for a whole chunk at once (the numpy path's steps; with the kernel,
  the resting inputs, and the jumps of a run with forcings or windows, done between its
  segments) goes through matrix products whose rounding can depend on the number of
  rows: the same sample in chunks of 1 and of 512 agrees to about 3e-15
  (``tests/test_determinism.py`` allows 1e-13).
- Adaptive methods (``rk45``, ``lsoda``) choose one step size for a whole chunk from
  its worst run, so results agree within the solver's tolerance, not to rounding: on
  the default model, chunks of 1 and of 512 differ by up to 6e-5 in a level over 36
  months. For results the same to rounding whatever the chunk size, use a fixed-step
  method.

Examples
--------
>>> import gmsim
>>> from gmsim.uncertainty.spec import UncertaintySpec
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

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gmsim.analysis.comparison import transient_gap
from gmsim.core.result import Result
from gmsim.core.system import System
from gmsim.errors import GmsimError, MetricError, SimulationError, did_you_mean
from gmsim.limits import check
from gmsim.simulation.simulate import ModelLike
from gmsim.uncertainty.executors import Executor, borrowed
from gmsim.uncertainty.metric import Metric
from gmsim.uncertainty.runner import (
    CHUNK_SIZE,
    Failure,
    Job,
    Task,
    as_spec,
    checked_grid,
    chosen_metrics,
    prepare,
    run_ensemble,
    run_settings,
    seed_or_fresh,
    whole_number,
)
from gmsim.uncertainty.sampling import ParameterSpace
from gmsim.uncertainty.spec import UncertaintySpec
from gmsim.uncertainty.streaming import PERCENTILES

__all__ = ["DEFAULT_RUNS", "TIE", "MonteCarloResult", "monte_carlo"]

DEFAULT_RUNS = 1000
"""Runs of a Monte Carlo when neither the call nor the spec says."""


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
            raise GmsimError(
                f"no scenario '{scenario}' in this ensemble{did_you_mean(scenario, self.scenarios)}; "
                f"it has {', '.join(self.scenarios)}"
            )
        return scenario

    def _variable(self, variable: str) -> int:
        if variable not in self.variables:
            raise GmsimError(
                f"no bands for '{variable}'{did_you_mean(variable, self.variables)}; "
                "pass it in `variables` to keep them"
            )
        return self.variables.index(variable)

    def _metric(self, metric: str | Metric | None) -> int:
        if metric is None:
            return 0
        key = Metric.parse(metric).key
        keys = [m.key for m in self.metrics]
        if key not in keys:
            raise MetricError(
                f"metric '{key}' was not computed{did_you_mean(key, keys)}; this ensemble has "
                f"{', '.join(map(str, self.metrics))}"
            )
        return keys.index(key)

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

    def transients(self, variable: str = "effectiveness") -> pd.DataFrame:
        """Each scenario against the baseline on their median trajectories: the end value,
        the end gap, the largest gap with its time, and the cumulative gap (area).

        An end value alone hides a transient that has faded by the end of the run. The
        trajectories compared are the streamed medians (the mean where no median was
        kept), so the numbers describe the typical run, not a pairing of runs.
        """
        v = self._variable(variable)
        centre = (
            (lambda s: self.bands[s][self.percentiles.index(50), :, v])
            if 50 in self.percentiles
            else (lambda s: self.mean[s][:, v])
        )
        base = centre(self.scenarios[0])
        rows = []
        for s in self.scenarios[1:]:
            line = centre(s)
            gap, when, area = transient_gap(self.time, line, (self.time, base))
            rows.append(
                {
                    "scenario": s,
                    "variable": variable,
                    "end": float(line[-1]),
                    "end_gap": float(line[-1] - base[-1]),
                    "largest_gap": gap,
                    "largest_gap_time": when,
                    "cumulative_gap": area,
                }
            )
        columns = [
            "scenario",
            "variable",
            "end",
            "end_gap",
            "largest_gap",
            "largest_gap_time",
            "cumulative_gap",
        ]
        return pd.DataFrame(rows, columns=columns)

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
        if len(self.scenarios) > 1 and self.variables:
            variable = "effectiveness" if "effectiveness" in self.variables else self.variables[0]
            lines.append(f"  {variable} on the median runs, against the baseline:")
            for _, row in self.transients(variable).iterrows():
                lines.append(
                    f"  {row['scenario']:<24}end {row['end']:.4f} ({row['end_gap']:+.4f})  largest gap "
                    f"{row['largest_gap']:+.4f} at {row['largest_gap_time']:g}  cumulative "
                    f"{row['cumulative_gap']:+.3f}"
                )
        if len(self.scenarios) == 1 and self.at_rest():
            lines.append(
                "  note: every sample stays at its starting levels (an equilibrium model's baseline is "
                "at rest); run a scenario (--scenario) to see how uncertain its effect is"
            )
        return "\n".join(lines)

    def at_rest(self, scenario: str | None = None) -> bool:
        """True when no variable of ``scenario`` (default: the baseline) moves in any sample."""
        s = self._scenario(scenario or self.scenarios[0])
        moved = np.abs(self.high[s] - self.high[s][0]) + np.abs(self.low[s] - self.low[s][0])
        return bool((moved <= 1e-9 * np.maximum(1.0, np.abs(self.high[s][0]))).all())

    def plot(self, variable: str = "effectiveness", *, ax=None, scenarios: Sequence[str] | None = None):
        """Fan chart of ``variable``: median and bands of each scenario (see :func:`plot_fan`)."""
        from gmsim.plot.uncertainty import plot_fan

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
        One number per run (see :mod:`gmsim.uncertainty.metric`); default: the spec's, else
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
        Where chunks run (:func:`gmsim.uncertainty.executors.get_executor`).
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
    spec = as_spec(spec)
    runs = whole_number("runs", runs if runs is not None else spec.runs or DEFAULT_RUNS)
    chunk_size = whole_number("chunk_size", chunk_size)
    seed = seed_or_fresh(seed if seed is not None else spec.seed)
    setup = prepare(model, spec, scenarios, start=start, stop=stop)
    base, systems, space = setup.base, setup.systems, setup.space
    n = len(systems)
    what = f"the number of runs (`runs` {runs} x {n} system{'s' * (n > 1)}: baseline and scenarios)"
    check("runs", runs * len(systems), what)
    start, stop, dt, method = run_settings(base, start, stop, dt, method)
    time = checked_grid(start, stop, dt)
    metric_list = chosen_metrics(metrics if metrics is not None else spec.metrics, base, better)
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
        recipes=setup.recipes,
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
    trajectories = outcome.trajectories  # Results labelled by the runner, as solve() labels them
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
            "sources": setup.sources,
            **described,
        },
        trajectories=trajectories,
    )


# -- helpers -----------------------------------------------------------------------------------------
def _variables(variables: Sequence[str] | None, system: System) -> tuple[int, ...]:
    names = list(system.variable_names)
    if variables is None:
        return tuple(range(len(names)))
    out = []
    for v in variables:
        if v not in names:
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
