"""Calibrate a model's parameters to observed series: weighted least squares with intervals.

:func:`calibrate` fits the parameters named in ``fit`` (the batch names of
:meth:`~gmsim.core.system.System.parameter_names`: ``weight:<cause>-><effect>``,
``tau:<factor>``, ``initial:<factor>``, ...) to a data file, within the
parameters' valid ranges (:meth:`~gmsim.core.system.System.parameter_ranges`),
with :func:`scipy.optimize.least_squares` (trust-region reflective, bounded).

- **Multi-start.** A screen of points spread over the ranges (a Latin
  hypercube, with the model's own values) runs as one batch; the fit starts
  from the model's values and from the best points of the screen.
- **Jacobian.** Forward differences, every column of one point in one batch run.
- **Intervals.** At the optimum, with the full Jacobian ``J`` (fitted scales and
  offsets included) and ``s² = Σr² / (n − p)``, the covariance is
  ``s² (JᵀJ)⁻¹`` and the 95 % interval ``estimate ± t(0.975, n − p) · se``.
- **What the data cannot pin** is named, not hidden: a near-singular ``JᵀJ``
  (the parameters along its weakest direction), an interval wider than the
  parameter's valid range, a correlation ``|r| > 0.95``, an estimate on a bound.

Examples
--------
>>> import numpy as np, gmsim
>>> from gmsim.evidence.data import ObservedData, Observation
>>> truth = gmsim.simulate(scenario="attention-boost", stop=24, dt=0.25,
...                        batch={"tau:training": [6.0]})
>>> t = np.arange(0, 25, 2.0)
>>> y = np.interp(t, truth.time, truth["training"][0])
>>> data = ObservedData(t, y[:, None], ("training",), (Observation("training", "training"),))
>>> fit = calibrate(None, data, ["tau:training"], scenario="attention-boost", stop=24, dt=0.25)
>>> round(fit.estimate("tau:training"), 3)  # the value the data were made with
6.0
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.stats

from gmsim.core.solver import RunSettings
from gmsim.errors import DataError, did_you_mean
from gmsim.evidence.data import Observation, ObservedData, check_horizon, read_data
from gmsim.evidence.objective import Objective
from gmsim.evidence.penalty import PENALTY, ClaimPenalty
from gmsim.simulation.simulate import as_system

__all__ = ["CORRELATED", "PENALTY", "Calibration", "ClaimPenalty", "calibrate", "fit_bounds"]

CORRELATED = 0.95
"""Two estimates correlated beyond this (in absolute value) are named as not told apart."""


@dataclass
class Calibration:
    """The outcome of :func:`calibrate`: estimates, intervals, residuals and what the data cannot pin."""

    names: tuple[str, ...]
    estimates: pd.DataFrame
    covariance: pd.DataFrame
    residuals: pd.DataFrame
    data: ObservedData
    system: Any
    settings: RunSettings
    values: dict[str, float]
    starts: pd.DataFrame
    unpinned: dict[str, str]
    s2: float
    dof: int
    points: int
    cost: float
    runs: int
    batches: int
    model: Any = None
    scenario: str | None = None
    notes: list[str] = field(default_factory=list)

    def estimate(self, name: str) -> float:
        """The fitted value of one parameter (or ``scale:<column>``, ``offset:<column>``)."""
        return float(self.estimates.set_index("parameter").loc[name, "estimate"])

    def interval(self, name: str) -> tuple[float, float]:
        """The 95 % interval of one estimate."""
        row = self.estimates.set_index("parameter").loc[name]
        return float(row["low"]), float(row["high"])

    @property
    def correlation(self) -> pd.DataFrame:
        """Correlations of the estimates."""
        cov = self.covariance.to_numpy()
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
        return pd.DataFrame(corr, index=self.covariance.index, columns=self.covariance.columns)

    def run(self, *, dt: float | None = None):
        """The fitted model's run (a :class:`~gmsim.core.result.Result`)."""
        from gmsim.core.solver import solve

        params = self.system.parameters({n: [self.values[n]] for n in self.names})
        settings = self.settings if dt is None else RunSettings(**{**_settings(self.settings), "dt": dt})
        return solve(self.system, params, settings)

    def summary(self) -> str:
        """The estimates and what the data cannot pin, as lines to print."""
        lines = [
            f"calibrated {len(self.names)} parameter{'s' * (len(self.names) != 1)} to "
            f"{self.points} points of {len(self.data.columns)} series ({self.data.name}); "
            f"residual sd {math.sqrt(self.s2):.3g} (weighted), {self.runs} runs in {self.batches} batches"
        ]
        width = max(len(n) for n in self.estimates["parameter"])
        for row in self.estimates.itertuples():
            lines.append(
                f"  {row.parameter:<{width}}  {row.estimate:10.4g}   95 % [{row.low:.4g}, {row.high:.4g}]"
                f"   start {row.start:.4g}"
            )
        for name, why in self.unpinned.items():
            lines.append(f"  not pinned by the data: {name}: {why}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _settings(s: RunSettings) -> dict:
    return {
        k: getattr(s, k) for k in ("start", "stop", "dt", "method", "rtol", "atol", "workers", "block")
    }


def fit_bounds(system, names: Sequence[str], dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of a fit from the parameters' valid ranges.

    An open low end of 0 (an adjustment time) becomes two steps, so a fit never
    asks the fixed-step methods for an unstable run; the ends of a level's range
    are kept just inside (a level of exactly 0 or 1 has no resting input).
    """
    ranges = system.parameter_ranges()
    low, high = [], []
    for name in names:
        lo, hi = ranges[name]
        if lo == 0 and math.isinf(hi):
            lo = 2.0 * dt
        elif math.isfinite(lo) and math.isfinite(hi):
            pad = 1e-6 * (hi - lo)
            lo, hi = lo + pad, hi - pad
        low.append(lo)
        high.append(hi)
    return np.asarray(low, float), np.asarray(high, float)


def _screen(values: np.ndarray, low: np.ndarray, high: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` points spread over the bounds (a Latin hypercube); an open range spans ×1/4 to ×4 of the value."""
    sampler = scipy.stats.qmc.LatinHypercube(d=len(values), seed=seed)
    u = sampler.random(n)
    out = np.empty_like(u)
    for i, (v, lo, hi) in enumerate(zip(values, low, high, strict=True)):
        if math.isfinite(lo) and math.isfinite(hi):
            out[:, i] = lo + u[:, i] * (hi - lo)
        else:
            base = abs(v) if v else 1.0
            a, b = max(lo, base / 4), min(hi, base * 4)
            out[:, i] = np.exp(np.log(a) + u[:, i] * (np.log(b) - np.log(a)))
    return out


def calibrate(
    model: Any,
    data: ObservedData | str | os.PathLike,
    fit: Sequence[str],
    *,
    scenario: Any = None,
    observe: Iterable[str] | Mapping[str, Observation] | None = None,
    starts: int = 3,
    screen: int | None = None,
    seed: int = 0,
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    keep_checks: bool = False,
) -> Calibration:
    """Fit the parameters ``fit`` of ``model`` (under ``scenario``) to ``data``.

    Parameters
    ----------
    model : Model, path or None
        The model (``None``: the default model).
    data : ObservedData or path
        The observed series (see :mod:`gmsim.evidence.data`).
    fit : sequence of str
        Parameters to fit, by their batch names.
    scenario : str, path, Scenario or None
        What the agency did over the data's period (drivers, events).
    observe : options or mapping
        Maps of columns onto factors (``COLUMN=FACTOR,scale=fit,...``).
    starts : int
        Starts of the local fit: the model's values and the best ``starts - 1`` screened points.
    screen : int or None
        Screened points (default ``max(16, 4 × len(fit))``), run as one batch.
    seed : int
        Seed of the screen.
    start, stop, dt, method
        Run settings (default: the model's).
    keep_checks : bool
        Add the model's claims (its ``[[checks]]``, judged by :func:`gmsim.check`)
        as penalties: a claim that fails by ``d`` adds a residual
        ``PENALTY · (d + MARGIN)`` (:mod:`gmsim.evidence.penalty`), so a fit does
        not buy its residuals by breaking the paper's behaviour. The intervals
        are those of the data alone.

    Returns
    -------
    Calibration

    Raises
    ------
    DataError
        A parameter the model lacks, more parameters than observed points, data outside the run.
    """
    system, scenario_name = as_system(model, scenario=scenario, start=start, stop=stop)
    settings = RunSettings.for_system(system, start=start, stop=stop, dt=dt, method=method)
    names = tuple(fit)
    if not names:
        raise DataError("nothing to fit; name parameters with --fit (see `gmsim show` for their names)")
    known = system.parameter_names()
    for name in names:
        if name not in known:
            raise DataError(
                f"`--fit {name}`: the model has no parameter {name!r}{did_you_mean(name, known)}; "
                "parameters are named weight:<cause>-><effect>, tau:<factor>, initial:<factor>"
            )
        if names.count(name) > 1:
            raise DataError(f"`--fit {name}` is given twice; give each parameter once")
    if not isinstance(data, ObservedData):
        data = read_data(data, system.variable_names, observe=observe)
    else:
        for obs in data.observations:
            if obs.factor not in system.variable_names:
                raise DataError(
                    f"{data.name}: `{obs.column}` maps to {obs.factor!r}, no variable of the model"
                    f"{did_you_mean(obs.factor, system.variable_names)}"
                )
    check_horizon(data, settings.start, settings.stop, system.time_unit)
    objective = Objective(system, settings, data, names)
    maps = sum(len(o.fitted) for o in data.observations)
    p, n = len(names) + maps, objective.points
    if p >= n:
        raise DataError(
            f"{len(names)} parameters to fit (plus {maps} fitted scales and offsets) from {n} observed points; "
            "a fit needs more points than parameters: fit fewer parameters, or give more data"
        )
    values = system.parameter_values()
    x0 = np.asarray([values.get(nm, np.nan) for nm in names], float)
    low, high = fit_bounds(system, names, settings.dt)
    with np.errstate(invalid="ignore"):
        middle = np.where(np.isfinite(low + high), (low + high) / 2, np.maximum(1.0, 2 * low))
        x0 = np.where(np.isfinite(x0), x0, middle)
        x0 = np.clip(
            x0, low + 1e-9 * (1 + abs(low)), high - 1e-9 * np.where(np.isfinite(high), 1 + abs(high), 1)
        )

    # one batch: the model's values and the screen
    count = screen if screen is not None else max(16, 4 * len(names))
    points = np.vstack([x0, _screen(x0, low, high, count, seed)]) if count else x0[None, :]
    claims = ClaimPenalty(system, names, reference=x0) if keep_checks else None
    cost = 0.5 * (objective.evaluate(points).residuals ** 2).sum(axis=1)
    if claims and starts > 1:  # the starts are the best screened points, claims counted
        cost += 0.5 * (claims.residuals(points) ** 2).sum(axis=1)
    order = [0, *[i for i in np.argsort(cost) if i != 0][: max(starts - 1, 0)]]

    cache: dict[bytes, np.ndarray] = {}

    def fun(x: np.ndarray) -> np.ndarray:
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            r = objective.evaluate(x[None, :]).residuals[0]
            cache[key] = np.concatenate([r, claims(x)]) if claims else r
        return cache[key]

    def jac(x: np.ndarray, *, data_only: bool = False) -> np.ndarray:
        h = 1e-6 * np.maximum(1.0, np.abs(x))
        step = np.where(x + h <= high, h, -h)
        rows = x[None, :] + np.diag(step)
        r = objective.evaluate(rows).residuals
        if claims and not data_only:
            r = np.hstack([r, claims.residuals(rows)])  # every neighbour's claims in one batch per run
        base = fun(x)[: r.shape[1]]
        return ((r - base[None, :]) / step[:, None]).T

    results = []
    for i in order:
        sol = scipy.optimize.least_squares(
            fun, points[i], jac=jac, bounds=(low, high), x_scale="jac", method="trf", max_nfev=200
        )
        results.append((float(sol.cost), i, sol))
    best_cost, _, best = min(results, key=lambda r: r[0])
    starts_frame = pd.DataFrame(
        [
            {"start": k, "screen_row": i, "cost": c, **{nm: points[i][j] for j, nm in enumerate(names)}}
            for k, (c, i, _) in enumerate(results)
        ]
    )
    x = best.x
    ev = objective.evaluate(x[None, :])
    level = ev.levels[0]
    J_theta = jac(x, data_only=True)
    J_maps, map_names = objective.map_columns(level)
    J = np.hstack([J_theta, J_maps])
    all_names = [*names, *map_names]
    dof = n - len(all_names)
    r = ev.residuals[0]
    s2 = float(r @ r) / dof
    cov, pinned = _covariance(J, s2, all_names)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    tq = float(scipy.stats.t.ppf(0.975, dof))
    fitted_maps = []
    for j, obs in enumerate(data.observations):
        for key in obs.fitted:
            fitted_maps.append(float((ev.scales if key == "scale" else ev.offsets)[0, j]))
    est = np.concatenate([x, fitted_maps])
    start_values = np.concatenate([x0, [np.nan] * len(map_names)])
    lo_all = np.concatenate([low, [-np.inf] * len(map_names)])
    hi_all = np.concatenate([high, [np.inf] * len(map_names)])
    frame = pd.DataFrame(
        {
            "parameter": all_names,
            "estimate": est,
            "low": est - tq * se,
            "high": est + tq * se,
            "std_error": se,
            "start": start_values,
            "bound_low": lo_all,
            "bound_high": hi_all,
        }
    )
    unpinned = _unpinned(frame, cov, pinned, system.parameter_ranges())
    frame["pinned"] = [nm not in unpinned for nm in all_names]
    frame["note"] = [unpinned.get(nm, "") for nm in all_names]
    residuals = _residual_frame(data, objective, ev)
    notes = []
    if not best.success:
        notes.append(f"the optimiser stopped before converging: {best.message}")
    if claims:
        notes += claims.failing(x)
    return Calibration(
        names=names,
        estimates=frame,
        covariance=pd.DataFrame(cov, index=all_names, columns=all_names),
        residuals=residuals,
        data=data,
        system=system,
        settings=settings,
        values={nm: float(v) for nm, v in zip(names, x, strict=True)},
        starts=starts_frame,
        unpinned=unpinned,
        s2=s2,
        dof=dof,
        points=n,
        cost=best_cost,
        runs=objective.runs,
        batches=objective.batches,
        model=model,
        scenario=scenario_name,
        notes=notes,
    )


def _covariance(J: np.ndarray, s2: float, names: Sequence[str]) -> tuple[np.ndarray, dict[str, str]]:
    """``s² (JᵀJ)⁻¹`` through the SVD of the column-scaled Jacobian, and the parameters along null directions."""
    norms = np.linalg.norm(J, axis=0)
    scale = np.where(norms > 0, norms, 1.0)
    _, sv, vt = np.linalg.svd(J / scale, full_matrices=False)
    weak: dict[str, str] = {}
    tol = 1e-7 * (sv[0] if sv.size and sv[0] > 0 else 1.0)
    for k, value in enumerate(sv):
        if value <= tol:
            vec = vt[k]
            involved = [names[i] for i in np.argsort(-abs(vec)) if abs(vec[i]) > 0.3]
            for nm in involved:
                others = [o for o in involved if o != nm]
                with_ = f" (moves with {', '.join(others)})" if others else ""
                weak.setdefault(nm, f"the data do not move the fit along this parameter{with_}")
    for i, norm in enumerate(norms):
        if norm == 0:
            weak[names[i]] = "the fit does not depend on it at the data's times"
    inv = np.where(sv > tol, 1.0 / np.where(sv > tol, sv, 1.0) ** 2, np.inf)
    with np.errstate(invalid="ignore"):
        cov_scaled = (vt.T * inv) @ vt if np.isfinite(inv).all() else _inf_cov(vt, inv)
    cov = s2 * cov_scaled / np.outer(scale, scale)
    return cov, weak


def _inf_cov(vt: np.ndarray, inv: np.ndarray) -> np.ndarray:
    finite = np.where(np.isfinite(inv), inv, 0.0)
    cov = (vt.T * finite) @ vt
    for k in np.flatnonzero(~np.isfinite(inv)):
        touched = np.abs(vt[k]) > 1e-8
        cov[np.ix_(touched, touched)] = np.inf
    return cov


def _unpinned(frame: pd.DataFrame, cov: np.ndarray, weak: dict[str, str], ranges) -> dict[str, str]:
    out = dict(weak)
    names = list(frame["parameter"])
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    for _, row in frame.iterrows():
        nm = row["parameter"]
        if nm in out:
            continue
        width = row["high"] - row["low"]
        lo, hi = ranges.get(nm, (-np.inf, np.inf))
        if not np.isfinite(width):
            out[nm] = "its interval is unbounded"
        elif np.isfinite(hi - lo) and width > hi - lo:
            out[nm] = (
                f"its 95 % interval ({width:.3g} wide) is wider than its valid range [{lo:g}, {hi:g}]"
            )
        elif not np.isfinite(hi - lo) and abs(row["estimate"]) > 0 and width > 4 * abs(row["estimate"]):
            out[nm] = (
                f"its 95 % interval [{row['low']:.3g}, {row['high']:.3g}] spans more than twice its estimate either side"
            )
        elif np.isclose(row["estimate"], row["bound_low"], atol=1e-6) or np.isclose(
            row["estimate"], row["bound_high"], atol=1e-6
        ):
            out[nm] = "the estimate sits on a bound of its valid range; its interval is not reliable"
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if j > i and np.isfinite(corr[i, j]) and abs(corr[i, j]) > CORRELATED:
                why = f"correlated with {{}} (r = {corr[i, j]:+.2f}): the data tell only a combination apart"
                out.setdefault(a, why.format(b))
                out.setdefault(b, why.format(a))
    return out


def _residual_frame(data: ObservedData, objective: Objective, ev) -> pd.DataFrame:
    rows = []
    k = 0
    for j, obs in enumerate(data.observations):
        ok = objective.mask[:, j]
        a, b = ev.scales[0, j], ev.offsets[0, j]
        for t, y, lv in zip(data.time[ok], data.values[ok, j], ev.levels[0, j, ok], strict=True):
            fitted = a * lv + b
            rows.append(
                {
                    "series": obs.column,
                    "factor": obs.factor,
                    "time": t,
                    "observed": y,
                    "fitted": fitted,
                    "residual": y - fitted,
                    "weighted": ev.residuals[0, k],
                }
            )
            k += 1
    return pd.DataFrame(rows)
