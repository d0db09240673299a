"""Distributions of uncertain parameters, and the samples drawn from them.

A :class:`Marginal` is one parameter's concrete distribution (uniform,
triangular, or normal truncated to a range); a :class:`ParameterSpace` is the
set of them an :class:`~gmsim.uncertainty.spec.UncertaintySpec` resolves to on a model.
Points of the unit cube map to parameter values column by column through each
marginal's inverse distribution function, so Monte Carlo samples and SALib's
designs read a spec the same way.

Monte Carlo samples come in blocks of :data:`SAMPLE_BLOCK`, each block from its
own random stream (``SeedSequence(seed, spawn_key=(block,))``): sample ``i`` is
the same whatever the chunk it is drawn in, the chunk size or the executor.

Examples
--------
>>> space = ParameterSpace((Marginal("tau:funding", "uniform", 2.0, 6.0),))
>>> space.transform([[0.0], [0.25], [1.0]]).ravel().tolist()
[2.0, 3.0, 6.0]
>>> bool((space.sample(0, 2000, seed=1)[1500:] == space.sample(1500, 500, seed=1)).all())
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gmsim.errors import GmsimError, did_you_mean

__all__ = ["SAMPLE_BLOCK", "SAMPLINGS", "Marginal", "ParameterSpace"]

SAMPLINGS = ("random", "latin")
"""Monte Carlo sampling: plain random, or Latin hypercube within each block of samples."""

SAMPLE_BLOCK = 1024
"""Monte Carlo samples are drawn in blocks of this many, each from its own random stream,
so that sample ``i`` has the same values whatever the chunk size or executor."""


@dataclass(frozen=True)
class Marginal:
    """The concrete distribution of one parameter: ``kind`` on ``[low, high]``.

    ``mode`` is the triangle's peak; ``mean`` and ``sd`` are those of the normal
    before truncation to ``[low, high]``. A marginal with ``low == high`` is a
    fixed value.

    Examples
    --------
    >>> Marginal("tau:funding", "triangular", 2.0, 8.0, mode=4.0).ppf([0.0, 1.0]).tolist()
    [2.0, 8.0]
    """

    name: str
    kind: str
    low: float
    high: float
    mode: float = math.nan
    mean: float = math.nan
    sd: float = math.nan

    @property
    def fixed(self) -> bool:
        """True when the distribution is a single value."""
        return self.low == self.high

    def ppf(self, u: np.ndarray | Sequence[float]) -> np.ndarray:
        """The values at probabilities ``u`` in [0, 1] (inverse of the distribution function)."""
        u = np.asarray(u, dtype=float)
        if self.fixed:
            return np.full(u.shape, self.low)
        width = self.high - self.low
        if self.kind == "uniform":
            return self.low + u * width
        from scipy import stats  # imported here: heavy, and only some specs need it

        if self.kind == "triangular":
            c = (self.mode - self.low) / width
            return stats.triang.ppf(u, c, loc=self.low, scale=width)
        a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
        return stats.truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd)

    def describe(self) -> str:
        """A short phrase such as ``uniform on [0.64, 0.96]``."""
        if self.fixed:
            return f"fixed at {self.low:g}"
        if self.kind == "uniform":
            return f"uniform on [{self.low:g}, {self.high:g}]"
        if self.kind == "triangular":
            return f"triangular on [{self.low:g}, {self.high:g}], mode {self.mode:g}"
        return f"normal(mean {self.mean:g}, sd {self.sd:g}) truncated to [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class ParameterSpace:
    """Uncertain parameters of one system, each with its concrete :class:`Marginal`.

    Points of the unit cube ``[0, 1]^D`` map to parameter values column by
    column through each marginal's inverse distribution function, for Monte
    Carlo samples and for SALib's designs alike.
    """

    marginals: tuple[Marginal, ...]
    sampling: str = "random"

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, one per column of a sample."""
        return tuple(m.name for m in self.marginals)

    @property
    def varying(self) -> ParameterSpace:
        """The same space without the parameters that are fixed."""
        return replace(self, marginals=tuple(m for m in self.marginals if not m.fixed))

    def marginal(self, name: str) -> Marginal:
        """The marginal of parameter ``name``."""
        for m in self.marginals:
            if m.name == name:
                return m
        raise GmsimError(f"'{name}' is not uncertain in this spec{did_you_mean(name, self.names)}")

    def transform(self, unit: np.ndarray) -> np.ndarray:
        """Map unit-cube points ``(B, D)`` to parameter values ``(B, D)``."""
        unit = np.asarray(unit, dtype=float)
        if unit.ndim != 2 or unit.shape[1] != len(self.marginals):
            raise GmsimError(f"expected points of shape (runs, {len(self.marginals)}), got {unit.shape}")
        out = np.empty_like(unit)
        for j, m in enumerate(self.marginals):
            out[:, j] = m.ppf(unit[:, j])
        return out

    def unit_block(self, block: int, seed: int) -> np.ndarray:
        """Unit-cube points of block ``block`` (``SAMPLE_BLOCK`` rows), from its own stream."""
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
        if self.sampling == "latin":
            from scipy.stats import qmc

            return qmc.LatinHypercube(d=len(self.marginals), rng=rng).random(SAMPLE_BLOCK)
        return rng.random((SAMPLE_BLOCK, len(self.marginals)))

    def sample(self, first: int, count: int, *, seed: int) -> np.ndarray:
        """Samples ``first .. first + count - 1`` of the Monte Carlo stream ``seed``, shape ``(count, D)``.

        Sample ``i`` is the same whichever range it is drawn in.

        Examples
        --------
        >>> space = ParameterSpace((Marginal("weight:a->b", "uniform", 0.2, 0.4),))
        >>> space.sample(0, 3, seed=3).shape
        (3, 1)
        """
        if count <= 0:
            return np.empty((0, len(self.marginals)))
        b0, b1 = first // SAMPLE_BLOCK, (first + count - 1) // SAMPLE_BLOCK
        unit = np.concatenate([self.unit_block(b, seed) for b in range(b0, b1 + 1)])
        offset = first - b0 * SAMPLE_BLOCK
        return self.transform(unit[offset : offset + count])

    def batch(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """Columns of ``values`` by parameter name, as :meth:`System.parameters` takes them."""
        return {name: values[:, j] for j, name in enumerate(self.names)}

    def table(self) -> pd.DataFrame:
        """One row per parameter: name, distribution, bounds, mode, mean, sd, and in words."""
        return pd.DataFrame(
            [
                {
                    "parameter": m.name,
                    "distribution": "fixed" if m.fixed else m.kind,
                    "low": m.low,
                    "high": m.high,
                    "mode": m.mode,
                    "mean": m.mean,
                    "sd": m.sd,
                    "description": m.describe(),
                }
                for m in self.marginals
            ]
        )
