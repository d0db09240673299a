"""Statistics of many runs gathered chunk by chunk, in memory that does not grow with the runs.

For every (time, variable) cell, :class:`StreamedStats` keeps the count, mean
and sum of squared deviations (merged with Chan's formula, so that the order of
chunks is the only order of sums), the lowest and highest values, and a
histogram from which percentiles are read.

The histogram's bins are fixed per cell by a first chunk of runs (the *pilot*):
its range, widened by a margin, cut into ``bins`` equal bins, plus one bin below
and one above for later values outside it. A percentile is found by linear
interpolation inside its bin, so its error is at most one bin width: about
``1.2 / bins`` of the pilot's spread in that cell (0.5 % with the default 254
bins), and usually far less. An ensemble that fits in one chunk gets exact
percentiles (:func:`numpy.percentile`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> runs = rng.normal(size=(40_000, 1, 1))
>>> edges = Edges.from_pilot(runs[:1000])
>>> stats = StreamedStats(edges)
>>> for chunk in np.split(runs, 40):
...     stats.add(summarize(chunk, edges))
>>> exact = np.percentile(runs, [5, 50, 95], axis=0)
>>> bool(np.abs(stats.percentiles([5, 50, 95]) - exact).max() < 0.02)
True
>>> round(float(stats.mean[0, 0]), 12) == round(float(runs.mean()), 12)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["BINS", "PERCENTILES", "Edges", "Partial", "StreamedStats", "histogram", "summarize"]

PERCENTILES = (5.0, 25.0, 50.0, 75.0, 95.0)
"""The percentiles of a fan chart's bands."""

BINS = 254
"""Histogram bins per cell between the pilot's bounds (plus one below, one above)."""

MARGIN = 0.1
"""The pilot's range is widened by this share of it on each side."""


@dataclass(frozen=True)
class Edges:
    """Histogram bins of every cell: ``bins`` bins of ``width`` from ``low`` (arrays ``(T, V)``)."""

    low: np.ndarray
    width: np.ndarray
    bins: int = BINS

    @classmethod
    def from_pilot(cls, values: np.ndarray, bins: int = BINS) -> Edges:
        """Bins spanning each cell's range in ``values`` ``(runs, T, V)``, widened by :data:`MARGIN`."""
        lo, hi = values.min(axis=0), values.max(axis=0)
        span = hi - lo
        pad = np.where(span > 0, MARGIN * span, 1e-9 * np.maximum(1.0, np.abs(lo)))
        return cls(low=lo - pad, width=(span + 2 * pad) / bins, bins=bins)


@dataclass
class Partial:
    """What one chunk contributes: count, mean, squared deviations, extremes, histogram."""

    n: int
    mean: np.ndarray
    m2: np.ndarray
    low: np.ndarray
    high: np.ndarray
    counts: np.ndarray | None = None


SLICE = 16
"""Time points reduced at once, so that temporaries stay a small share of a chunk."""


def summarize(values: np.ndarray, edges: Edges | None) -> Partial:
    """The :class:`Partial` of one chunk ``(runs, T, V)`` of finite values."""
    n, t, v = values.shape
    mean, m2 = np.empty((t, v)), np.empty((t, v))
    low, high = np.empty((t, v)), np.empty((t, v))
    small = np.uint16 if n <= np.iinfo(np.uint16).max else np.int64  # what travels back from workers
    counts = None if edges is None else np.empty((t, v, edges.bins + 2), dtype=small)
    for a in range(0, t, SLICE):
        part = values[:, a : a + SLICE]
        mean[a : a + SLICE] = part.mean(axis=0)
        d = part - mean[a : a + SLICE]
        m2[a : a + SLICE] = np.einsum("ijk,ijk->jk", d, d)
        low[a : a + SLICE] = part.min(axis=0)
        high[a : a + SLICE] = part.max(axis=0)
        if counts is not None:
            counts[a : a + SLICE] = histogram(part, _cut(edges, a))
    return Partial(n, mean, m2, low, high, counts)


def histogram(values: np.ndarray, edges: Edges) -> np.ndarray:
    """Counts ``(T, V, bins + 2)``: below the range, each bin, above the range."""
    _, t, v = values.shape
    if t > SLICE:
        return np.concatenate(
            [histogram(values[:, a : a + SLICE], _cut(edges, a)) for a in range(0, t, SLICE)]
        )
    scale = 1.0 / edges.width
    k = values * scale  # bin positions, shifted by one so that the bin below the range is 0
    k += 1.0 - edges.low * scale
    np.clip(k, 0.0, edges.bins + 1.0, out=k)
    k += (np.arange(t * v) * (edges.bins + 2.0)).reshape(t, v)  # each cell's own run of bins
    counts = np.bincount(k.astype(np.intp).ravel(), minlength=t * v * (edges.bins + 2))
    return counts.reshape(t, v, edges.bins + 2)


def _cut(edges: Edges, a: int) -> Edges:
    return Edges(edges.low[a : a + SLICE], edges.width[a : a + SLICE], edges.bins)


class StreamedStats:
    """Running statistics over runs of every cell; merge :class:`Partial` objects with :meth:`add`.

    Without ``edges``, partials carry no histogram and percentiles come from
    :meth:`exact` only.
    """

    def __init__(self, edges: Edges | None = None):
        self.edges = edges
        self.n = 0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None
        self.low: np.ndarray | None = None
        self.high: np.ndarray | None = None
        self.counts: np.ndarray | None = None
        self._exact: np.ndarray | None = None

    def add(self, part: Partial) -> None:
        """Merge one chunk's partial (Chan et al.'s pairwise update)."""
        if part.n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2 = part.n, part.mean.copy(), part.m2.copy()
            self.low, self.high = part.low.copy(), part.high.copy()
            if part.counts is not None:
                self.counts = part.counts.astype(np.int64)
            return
        n = self.n + part.n
        delta = part.mean - self.mean
        self.mean = self.mean + delta * (part.n / n)
        self.m2 = self.m2 + part.m2 + delta**2 * (self.n * part.n / n)
        self.n = n
        np.minimum(self.low, part.low, out=self.low)
        np.maximum(self.high, part.high, out=self.high)
        if part.counts is not None:
            self.counts += part.counts

    def exact(self, values: np.ndarray, percentiles: Sequence[float] = PERCENTILES) -> None:
        """Use exact percentiles of ``values`` (all the runs at once)."""
        self._exact = np.percentile(values, percentiles, axis=0) if len(values) else None
        self._exact_q = tuple(percentiles)

    @property
    def sd(self) -> np.ndarray:
        """Sample standard deviation of every cell (NaN with fewer than two runs)."""
        if self.n < 2:
            return np.full_like(self.mean, np.nan)
        return np.sqrt(self.m2 / (self.n - 1))

    def percentiles(self, percentiles: Sequence[float] = PERCENTILES) -> np.ndarray:
        """Percentiles (0-100) of every cell, shape ``(len(percentiles), T, V)``."""
        if self._exact is not None and tuple(percentiles) == self._exact_q:
            return self._exact
        if self.n == 0:
            raise ValueError("no runs were added")
        if self.counts is None:
            raise ValueError("percentiles need histogram edges or exact values")
        e = self.edges
        j = np.arange(e.bins + 2)
        inner = e.low[..., None] + (j[1:-1] - 1) * e.width[..., None]
        left = np.concatenate([self.low[..., None], inner, (e.low + e.bins * e.width)[..., None]], -1)
        right = np.concatenate([e.low[..., None], inner + e.width[..., None], self.high[..., None]], -1)
        cum = np.cumsum(self.counts, axis=-1)
        out = []
        for q in percentiles:
            target = max(q / 100.0 * self.n, 0.5)
            k = np.argmax(cum >= target, axis=-1)[..., None]
            count = np.take_along_axis(self.counts, k, -1)[..., 0]
            before = np.take_along_axis(cum, k, -1)[..., 0] - count
            frac = (target - before) / count
            a, b = np.take_along_axis(left, k, -1)[..., 0], np.take_along_axis(right, k, -1)[..., 0]
            out.append(np.clip(a + frac * (b - a), self.low, self.high))
        return np.stack(out)
