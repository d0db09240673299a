"""The weighted residuals of a model against observed series, for many parameter sets in one run.

:class:`Objective` turns rows of parameter values into weighted residuals
``(observed - (scale * level + offset)) / sigma`` at every observed point. All
rows run through the batch engine together (:func:`gmsim.core.solver.solve`):
the starts of a multi-start fit, or a point and its finite-difference
neighbours. Fitted scales and offsets are linear, so for each row they are
solved exactly (least squares) rather than searched for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmsim.core.solver import RunSettings, solve
from gmsim.core.system import System
from gmsim.errors import DataError, SimulationError
from gmsim.evidence.data import ObservedData

__all__ = ["Evaluation", "Objective"]


@dataclass(frozen=True)
class Evaluation:
    """Residuals of a batch of parameter rows: ``residuals`` (rows, points), the maps fitted per row."""

    residuals: np.ndarray
    scales: np.ndarray  # (rows, columns)
    offsets: np.ndarray  # (rows, columns)
    levels: np.ndarray  # (rows, columns, times): the model's level of each column's factor


class Objective:
    """Weighted residuals of ``system`` against ``data`` as a function of the ``names`` parameters.

    Each series is weighted by ``1 / sigma``: its map's ``sigma``, or by default
    its own standard deviation, so series on different scales count alike.
    """

    def __init__(self, system: System, settings: RunSettings, data: ObservedData, names: Sequence[str]):
        self.system, self.settings, self.data = system, settings, data
        self.names = tuple(names)
        self.factors = tuple(o.factor for o in data.observations)
        self.mask = np.isfinite(data.values)  # (times, columns)
        sigma = []
        for j, obs in enumerate(data.observations):
            y = data.values[self.mask[:, j], j]
            if obs.sigma is not None:
                sigma.append(obs.sigma)
                continue
            sd = float(np.std(y, ddof=1)) if len(y) > 1 else 0.0
            sigma.append(sd if sd > 0 else max(abs(float(np.mean(y))) if len(y) else 1.0, 1.0))
        self.sigma = np.asarray(sigma)
        # where each data time falls on the saved grid (linear interpolation)
        self.runs = 0
        self.batches = 0

    @property
    def points(self) -> int:
        """Number of observed values."""
        return int(self.mask.sum())

    def levels(self, thetas: np.ndarray) -> np.ndarray:
        """The model's level of each column's factor at the data's times: ``(rows, columns, times)``."""
        thetas = np.atleast_2d(np.asarray(thetas, float))
        params = self.system.parameters({n: thetas[:, i] for i, n in enumerate(self.names)})
        try:
            result = solve(self.system, params, self.settings, batched=True)
        except SimulationError as exc:
            raise DataError(f"a run of the fit failed: {exc}") from None
        self.runs += len(thetas)
        self.batches += 1
        out = np.empty((len(thetas), len(self.factors), len(self.data.time)))
        time = np.asarray(result.time, float)
        for j, factor in enumerate(self.factors):
            series = np.asarray(result[factor], float).reshape(len(thetas), -1)
            for b in range(len(thetas)):
                out[b, j] = np.interp(self.data.time, time, series[b])
        return out

    def evaluate(self, thetas: np.ndarray) -> Evaluation:
        """Residuals of each row of ``thetas`` (maps fitted exactly where they are fitted)."""
        level = self.levels(thetas)
        rows = level.shape[0]
        scales = np.empty((rows, len(self.factors)))
        offsets = np.empty_like(scales)
        res = np.empty((rows, self.points))
        y_all = self.data.values
        k = 0
        for j, obs in enumerate(self.data.observations):
            ok = self.mask[:, j]
            y = y_all[ok, j]
            x = level[:, j, ok]  # (rows, n)
            a, b = _maps(x, y, obs.scale, obs.offset)
            scales[:, j], offsets[:, j] = a, b
            n = len(y)
            res[:, k : k + n] = (y[None, :] - (a[:, None] * x + b[:, None])) / self.sigma[j]
            k += n
        return Evaluation(res, scales, offsets, level)

    def map_columns(self, level: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Jacobian columns of the residuals for the fitted scales and offsets, at one row's ``level``."""
        cols, names = [], []
        for j, obs in enumerate(self.data.observations):
            for key in obs.fitted:
                col = np.zeros(self.points)
                k = int(self.mask[:, :j].sum())
                ok = self.mask[:, j]
                n = int(ok.sum())
                col[k : k + n] = -(level[j, ok] if key == "scale" else 1.0) / self.sigma[j]
                cols.append(col)
                names.append(f"{key}:{obs.column}")
        return (np.column_stack(cols) if cols else np.zeros((self.points, 0))), names


def _maps(x: np.ndarray, y: np.ndarray, scale, offset) -> tuple[np.ndarray, np.ndarray]:
    """Per-row least-squares scale and offset of ``y ~ a * x + b`` (those given are kept)."""
    rows = x.shape[0]
    if scale is not None and offset is not None:
        return np.full(rows, scale), np.full(rows, offset)
    if scale is None and offset is None:
        xm = x.mean(axis=1, keepdims=True)
        dx = x - xm
        var = (dx * dx).sum(axis=1)
        a = np.where(var > 0, (dx * (y - y.mean())).sum(axis=1) / np.where(var > 0, var, 1), 0.0)
        return a, y.mean() - a * xm[:, 0]
    if scale is None:
        xx = (x * x).sum(axis=1)
        a = np.where(xx > 0, (x * (y - offset)).sum(axis=1) / np.where(xx > 0, xx, 1), 1.0)
        return a, np.full(rows, offset)
    return np.full(rows, scale), (y[None, :] - scale * x).mean(axis=1)
