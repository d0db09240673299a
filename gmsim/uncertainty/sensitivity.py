"""Global sensitivity of a metric to a model's uncertain parameters, through SALib.

Two methods, with SALib doing the statistics (designs and indices):

- ``"morris"`` screening (:mod:`SALib.sample.morris`, :mod:`SALib.analyze.morris`):
  ``samples`` trajectories of ``D + 1`` runs; ranks parameters by mu*, the
  mean absolute change of the metric when a parameter moves across a share of
  its range, with bootstrap confidence intervals; sigma flags interactions.
- ``"sobol"`` variance decomposition (:mod:`SALib.sample.sobol`,
  :mod:`SALib.analyze.sobol`): ``N = samples`` (a power of 2) base points,
  ``N × (D + 2)`` runs (``N × (2D + 2)`` with second order); first-order S1
  (the share of the metric's variance a parameter explains alone) and total
  order ST (alone and through interactions), with bootstrap confidence intervals.

SALib designs points of the unit cube; each parameter's distribution from the
:class:`~gmsim.uncertainty.spec.UncertaintySpec` maps them to values
(:meth:`~gmsim.uncertainty.spec.ParameterSpace.transform`), so Monte Carlo and sensitivity
read a spec the same way. Runs go through :func:`gmsim.uncertainty.montecarlo.run_ensemble`
on any executor.

Examples
--------
>>> import gmsim
>>> from gmsim.uncertainty.spec import UncertaintySpec, Uncertain, Distribution
>>> spec = UncertaintySpec(
...     (Uncertain(Distribution("uniform", relative=0.3), every="weight", into="funding"),), seed=5
... )
>>> sa = gmsim.sensitivity(
...     spec=spec, scenario="attention-boost", method="morris", samples=10,
...     metrics="funding@24", stop=24,
... )
>>> sa.ranking()["parameter"].iloc[0]
'weight:leadership_attention->funding'
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gmsim.errors import MetricError, SensitivityError, SimulationError, did_you_mean
from gmsim.limits import check
from gmsim.simulation.simulate import ModelLike
from gmsim.uncertainty.executors import Executor, borrowed
from gmsim.uncertainty.metric import Metric
from gmsim.uncertainty.runner import (
    CHUNK_SIZE,
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

__all__ = ["METHODS", "SensitivityError", "SensitivityResult", "sensitivity", "sobol_sizes"]

METHODS = ("morris", "sobol")
"""Sensitivity methods."""

DEFAULT_SAMPLES = {"morris": 100, "sobol": 512}


@dataclass(frozen=True)
class SensitivityResult:
    """Indices of every uncertain parameter for each metric (see :func:`sensitivity`).

    ``indices[metric]`` is a DataFrame with one row per parameter: ``S1``,
    ``S1_conf``, ``ST``, ``ST_conf`` (Sobol) or ``mu``, ``mu_star``, ``sigma``,
    ``mu_star_conf`` (Morris). ``inputs`` and ``outputs`` are the design's
    parameter values ``(runs, D)`` and metric values ``(runs, metrics)``.
    """

    method: str
    metrics: tuple[Metric, ...]
    indices: Mapping[str, pd.DataFrame]
    samples: int
    runs: int
    seed: int
    space: ParameterSpace
    spec: UncertaintySpec
    scenario: str
    model: str
    inputs: np.ndarray
    outputs: np.ndarray
    second_order: Mapping[str, pd.DataFrame] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The column that ranks parameters: ``ST`` (Sobol) or ``mu_star`` (Morris)."""
        return "ST" if self.method == "sobol" else "mu_star"

    def metric_name(self, metric: str | Metric | None = None) -> str:
        """The text of ``metric`` (default: the first), checked against those computed."""
        names = [str(m) for m in self.metrics]
        if metric is None:
            return names[0]
        key = Metric.parse(metric).key
        keys = [m.key for m in self.metrics]
        if key not in keys:
            raise MetricError(
                f"metric '{key}' was not analysed{did_you_mean(key, keys)}; have {', '.join(names)}"
            )
        return names[keys.index(key)]

    def ranking(self, metric: str | Metric | None = None) -> pd.DataFrame:
        """The indices of ``metric``, most influential parameter first, with a ``rank`` column."""
        table = self.indices[self.metric_name(metric)]
        table = table.sort_values(self.key, ascending=False, kind="stable").reset_index(drop=True)
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        return table

    def to_frame(self) -> pd.DataFrame:
        """Every metric's ranked indices in one table with a ``metric`` column."""
        parts = []
        for m in self.metrics:
            frame = self.ranking(m)
            frame.insert(0, "metric", str(m))
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def summary(self, top: int = 8) -> str:
        """The most influential parameters of each metric, for the terminal."""
        lines = [
            f"{self.model} | {self.method} | scenario: {self.scenario} | {self.runs} runs "
            f"({self.samples} {'base samples' if self.method == 'sobol' else 'trajectories'}) | seed {self.seed}"
        ]
        for m in self.metrics:
            lines.append(f"  {m}:")
            table = self.ranking(m).head(top)
            for _, row in table.iterrows():
                if self.method == "sobol":
                    lines.append(
                        f"    {row['rank']:>3}. {row['parameter']:<58} ST {row['ST']:.3f} ± {row['ST_conf']:.3f}"
                        f"   S1 {row['S1']:.3f} ± {row['S1_conf']:.3f}"
                    )
                else:
                    lines.append(
                        f"    {row['rank']:>3}. {row['parameter']:<58} mu* {row['mu_star']:.4g} "
                        f"± {row['mu_star_conf']:.2g}   sigma {row['sigma']:.3g}"
                    )
        return "\n".join(lines)

    def plot(self, metric: str | Metric | None = None, *, top: int = 20, ax=None):
        """Ranked bars of the indices (see :func:`gmsim.plot.uncertainty.plot_indices`)."""
        from gmsim.plot.uncertainty import plot_indices

        return plot_indices(self, metric, top=top, ax=ax)


def sobol_sizes(n: int) -> tuple[int, int]:
    """The powers of 2 just below and above ``n`` (for messages).

    Examples
    --------
    >>> sobol_sizes(1000)
    (512, 1024)
    """
    low = 2 ** max(2, math.floor(math.log2(max(n, 1))))
    return low, 2 * low


def _check_extremes(method: str, space, inputs: np.ndarray) -> None:
    """Refuse, before any run, a range the design can take to infinity.

    Morris's grid can reach both ends of every range whatever the seed, so for it
    the ends of the unit interval are checked (checking only the points one
    random design happened to visit let an unbounded range through by chance);
    for Sobol, the design's own points.
    """
    if method == "morris":
        points = space.transform(np.vstack([np.zeros(len(space.names)), np.ones(len(space.names))]))
    else:
        points = inputs
    finite = np.isfinite(points).all(axis=0)
    if not finite.all():
        name = space.names[int(np.argmin(finite))]
        raise SensitivityError(
            f"{method}'s design reaches the ends of every range, and '{name}' has no end on one "
            "side (a normal distribution truncated only by its valid range); give it `low` and `high`"
        )


def _check_samples(method: str, samples: int, dims: int, second_order: bool, levels: int) -> int:
    if method == "sobol":
        if samples < 4 or samples & (samples - 1):
            low, high = sobol_sizes(samples)
            raise SensitivityError(
                f"Sobol needs --samples to be a power of 2 (at least 4); {samples} is not: use "
                f"{low} or {high} (with {dims} parameters that is "
                f"{low * (2 * dims + 2 if second_order else dims + 2)} or "
                f"{high * (2 * dims + 2 if second_order else dims + 2)} runs)"
            )
        return samples * ((2 * dims + 2) if second_order else (dims + 2))
    if samples < 2:
        raise SensitivityError(f"Morris needs at least 2 trajectories (--samples), got {samples}")
    if levels < 2 or levels % 2:
        raise SensitivityError(f"Morris needs an even number of levels >= 2 (usually 4), got {levels}")
    return samples * (dims + 1)


def sensitivity(
    model: ModelLike = None,
    spec: UncertaintySpec | str | os.PathLike | None = None,
    *,
    method: str = "sobol",
    samples: int | None = None,
    metrics: Sequence[str | Metric] | str | None = None,
    scenario: Any = None,
    seed: int | None = None,
    second_order: bool = False,
    levels: int = 4,
    resamples: int = 100,
    confidence: float = 0.95,
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    integrator: str | None = None,
    executor: str | Executor | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: bool | None = None,
) -> SensitivityResult:
    """Morris or Sobol indices of ``metrics`` with respect to the spec's uncertain parameters.

    Parameters
    ----------
    model : Model, System, path or None
        What to run (``None``: the paper's model).
    spec : UncertaintySpec, path, shipped spec name or None
        The uncertain parameters (``None``: every weight ±20 %); fixed ones are left out.
    method : str
        ``"sobol"`` or ``"morris"``.
    samples : int, optional
        Sobol: base samples N, a power of 2 (default 512); Morris: trajectories (default 100).
    metrics : str or sequence of str, optional
        What to explain (see :mod:`gmsim.uncertainty.metric`); default: the spec's, else final effectiveness.
    scenario : str, path, Scenario or None
        Run under this scenario. An equilibrium model's baseline is at rest, so
        its metrics do not move unless a scenario (or uncertain initial levels) moves them.
    seed : int, optional
        Seed of SALib's design and bootstrap (default: the spec's, else fresh).
    second_order : bool
        Sobol only: also S2 of every pair (``N × (2D + 2)`` runs).
    levels : int
        Morris grid levels (even).
    resamples, confidence : int, float
        Bootstrap resamples and confidence level of the intervals.
    start, stop, dt, integrator
        Run settings (default: the model's); ``integrator`` is the integration method.
    executor, workers, scheduler, chunk_size, progress
        As for :func:`gmsim.monte_carlo`.
    """
    if method not in METHODS:
        raise SensitivityError(
            f"unknown method '{method}'{did_you_mean(method, METHODS)}; expected one of {', '.join(METHODS)}"
        )
    spec = as_spec(spec)
    seed = seed_or_fresh(seed if seed is not None else spec.seed)
    samples = whole_number("samples", samples if samples is not None else DEFAULT_SAMPLES[method])
    chunk_size = whole_number("chunk_size", chunk_size)
    resamples = whole_number("resamples", resamples)
    setup = prepare(model, spec, [scenario] if scenario is not None else [], start=start, stop=stop)
    scenario_name, system = setup.systems[-1]
    full = setup.space
    space = full.varying
    if not space.names:
        raise SensitivityError(
            "every parameter of the spec is fixed; give them ranges that are not empty"
        )
    runs = _check_samples(method, samples, len(space.names), second_order, levels)
    check("runs", runs, f"the number of runs of the {method} design (`samples` {samples})")
    what = f"the number of bootstrap draws (`resamples` {resamples} x `samples` {samples})"
    check("bootstrap_draws", resamples * samples, what)
    start, stop, dt, integrator = run_settings(system, start, stop, dt, integrator)
    time = checked_grid(start, stop, dt)
    metric_list = chosen_metrics(metrics if metrics is not None else spec.metrics, system)
    for m in metric_list:
        m.check(time, system.variable_names)
    problem = {
        "num_vars": len(space.names),
        "names": list(space.names),
        "bounds": [[0.0, 1.0]] * len(space.names),
    }
    unit = _design(method, problem, samples, second_order=second_order, levels=levels, seed=seed)
    inputs = space.transform(unit)
    _check_extremes(method, space, inputs)
    job = Job(
        systems=((scenario_name, system),),
        recipes=setup.recipes[-1:],
        names=space.names,
        metrics=metric_list,
        start=start,
        stop=stop,
        dt=dt,
        method=integrator,
    )
    tasks = (
        Task(i, first, inputs[first : first + chunk_size])
        for i, first in enumerate(range(0, len(inputs), chunk_size))
    )
    with borrowed(executor, workers=workers, scheduler=scheduler) as ex:
        outcome = run_ensemble(job, tasks, runs=len(inputs), executor=ex, progress=progress)
        described = ex.describe()
    if outcome.failures:
        first = outcome.failures[0]
        raise SimulationError(
            f"{len(outcome.failures)} of {len(inputs)} runs failed, and {method} needs every run; "
            f"first: {first}. Narrow the ranges of the spec or use a smaller dt"
        )
    outputs = outcome.metrics[0]
    indices, pairs = {}, {}
    for j, m in enumerate(metric_list):
        y = outputs[:, j]
        if np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
            raise SensitivityError(
                f"metric '{m}' is {y[0]:.6g} in every run, so no parameter explains any of its variance. "
                "An equilibrium model's baseline is at rest: run a scenario (--scenario), choose a metric "
                "that moves, or make initial levels uncertain"
            )
        indices[str(m)], pairs[str(m)] = _analyse(
            method,
            problem,
            unit,
            y,
            second_order=second_order,
            levels=levels,
            resamples=resamples,
            confidence=confidence,
            seed=seed,
        )
    return SensitivityResult(
        method=method,
        metrics=metric_list,
        indices=indices,
        samples=samples,
        runs=len(inputs),
        seed=seed,
        space=space,
        spec=spec,
        scenario=scenario_name,
        model=system.name,
        inputs=inputs,
        outputs=outputs,
        second_order=pairs if second_order else None,
        settings={
            "start": start,
            "stop": stop,
            "dt": dt,
            "method": integrator,
            "levels": levels if method == "morris" else None,
            "resamples": resamples,
            "confidence": confidence,
            "fixed": [n for n in full.names if n not in space.names],
            "chunk_size": chunk_size,
            "sources": setup.sources,
            **described,
        },
    )


def _design(
    method: str, problem: dict, samples: int, *, second_order: bool, levels: int, seed: int
) -> np.ndarray:
    """SALib's design on the unit cube."""
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        return sobol_sample.sample(problem, samples, calc_second_order=second_order, seed=seed)
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(problem, samples, num_levels=levels, seed=seed)


def _analyse(method, problem, unit, y, *, second_order, levels, resamples, confidence, seed):
    """SALib's indices as a DataFrame (one row per parameter), and S2 pairs if asked."""
    if method == "morris":
        from SALib.analyze import morris as morris_analyze

        si = morris_analyze.analyze(
            problem,
            unit,
            y,
            num_resamples=resamples,
            conf_level=confidence,
            num_levels=levels,
            seed=seed,
        )
        return _table(problem, si, ("mu", "mu_star", "sigma", "mu_star_conf")), None
    from SALib.analyze import sobol as sobol_analyze

    si = sobol_analyze.analyze(
        problem,
        y,
        calc_second_order=second_order,
        num_resamples=resamples,
        conf_level=confidence,
        seed=seed,
    )
    table = _table(problem, si, ("S1", "S1_conf", "ST", "ST_conf"))
    if not second_order:
        return table, None
    names = problem["names"]
    pairs = [
        {
            "parameter_1": names[i],
            "parameter_2": names[k],
            "S2": si["S2"][i, k],
            "S2_conf": si["S2_conf"][i, k],
        }
        for i in range(len(names))
        for k in range(i + 1, len(names))
    ]
    return table, pd.DataFrame(pairs)


def _table(problem: dict, si: Mapping[str, Any], keys: Sequence[str]) -> pd.DataFrame:
    """One row per parameter: its name, then SALib's ``keys``."""
    return pd.DataFrame(
        {"parameter": problem["names"], **{k: np.asarray(si[k], dtype=float) for k in keys}}
    )
