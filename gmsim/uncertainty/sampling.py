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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from gmsim.core.system import System
from gmsim.errors import GmsimError, SpecError, did_you_mean
from gmsim.factor.ranges import RANGES as FACTOR_RANGES
from gmsim.scenario.uncertain import PREFIX
from gmsim.scenario.uncertain import RANGES as SCENARIO_RANGES

__all__ = [
    "DISTRIBUTIONS",
    "DISTRIBUTION_KEYS",
    "SAMPLE_BLOCK",
    "SAMPLINGS",
    "Distribution",
    "Marginal",
    "ParameterSpace",
    "distribution_problems",
    "valid_range",
]

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


DISTRIBUTIONS = ("uniform", "triangular", "normal")
"""Distributions a spec may give a parameter."""

UNBOUNDED = (-math.inf, math.inf)


# -- distributions -------------------------------------------------------------------------------
DISTRIBUTION_KEYS = ("low", "high", "mode", "mean", "sd", "relative", "relative_sd", "plus_minus")
_ALLOWED = {
    "uniform": ("low", "high", "relative", "plus_minus"),
    "triangular": ("low", "high", "mode", "relative", "plus_minus"),
    "normal": ("mean", "sd", "relative_sd", "low", "high"),
}


@dataclass(frozen=True)
class Distribution:
    """A distribution as a spec states it, possibly relative to each parameter's nominal value.

    Parameters
    ----------
    kind : str
        ``"uniform"``, ``"triangular"`` or ``"normal"``.
    low, high : float, optional
        Absolute bounds (the normal's truncation when given).
    mode : float, optional
        Peak of a triangle; the nominal value when left out.
    mean, sd : float, optional
        The normal's mean (default: nominal) and standard deviation.
    relative : float, optional
        Uniform or triangular on ``nominal × (1 ± relative)``.
    relative_sd : float, optional
        The normal's sd as a share of ``|nominal|``.
    plus_minus : float, optional
        Uniform or triangular on ``nominal ± plus_minus``.

    Examples
    --------
    >>> Distribution("uniform", relative=0.2).marginal("weight:a->b", 0.5).describe()
    'uniform on [0.4, 0.6]'
    >>> Distribution("uniform", low=0.3, high=0.1)
    Traceback (most recent call last):
    ...
    gmsim.errors.SpecError: uniform: `low` (0.3) must be below `high` (0.1)
    """

    kind: str
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    relative: float | None = None
    relative_sd: float | None = None
    plus_minus: float | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise SpecError("; ".join(f"{self.kind}: {p}" for _, p in problems))

    def given(self) -> dict[str, float]:
        """The numbers the spec gives (name -> value)."""
        return {k: getattr(self, k) for k in DISTRIBUTION_KEYS if getattr(self, k) is not None}

    def problems(self) -> list[tuple[str, str]]:
        """``(key, message)`` for every inconsistency; empty when the distribution is valid."""
        return distribution_problems(self.kind, self.given())

    def marginal(
        self, name: str, nominal: float | None, valid: tuple[float, float] | None = None
    ) -> Marginal:
        """The concrete distribution of parameter ``name`` whose nominal value is ``nominal``.

        Relative ranges are clipped to the valid range; absolute ones must lie in it.
        """
        low_ok, high_ok = valid or valid_range(name)
        given = self.given()
        needs_nominal = (
            any(k in given for k in ("relative", "relative_sd", "plus_minus"))
            or (self.kind == "triangular" and "mode" not in given)
            or (self.kind == "normal" and "mean" not in given)
        )
        if needs_nominal and nominal is None:
            raise SpecError(
                f"'{name}': this model type does not report nominal values, so a range relative "
                "to it cannot be made; give absolute `low` and `high` (and `mode` or `mean`)"
            )
        for key in ("low", "high", "mode", "mean"):
            if key in given and not low_ok <= given[key] <= high_ok:
                raise SpecError(
                    f"'{name}': `{key}` = {given[key]:g} is outside the valid range "
                    f"[{low_ok:g}, {high_ok:g}] of this parameter"
                )
        if self.kind == "normal":
            mean = given.get("mean", nominal)
            sd = given["sd"] if "sd" in given else given["relative_sd"] * abs(nominal)
            low, high = (
                max(given.get("low", -math.inf), low_ok),
                min(given.get("high", math.inf), high_ok),
            )
            if sd == 0:
                return Marginal(name, "normal", mean, mean, mean=mean, sd=0.0)
            return Marginal(name, "normal", low, high, mean=float(mean), sd=float(sd))
        if "relative" in given:
            a, b = sorted((nominal * (1 - given["relative"]), nominal * (1 + given["relative"])))
        elif "plus_minus" in given:
            a, b = nominal - given["plus_minus"], nominal + given["plus_minus"]
        else:
            a, b = given["low"], given["high"]
        a, b = max(a, low_ok), min(b, high_ok)
        if low_ok == 0.0 and a == 0.0 and name.startswith("tau:"):
            raise SpecError(f"'{name}': the range reaches tau = 0; a time constant must be > 0")
        mode = float(min(max(given.get("mode", nominal if nominal is not None else a), a), b))
        if self.kind == "uniform":
            return Marginal(name, "uniform", float(a), float(b))
        return Marginal(name, "triangular", float(a), float(b), mode=mode)


def distribution_problems(kind: str, given: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(key, message)`` for every problem of a distribution ``kind`` with the numbers ``given``.

    Examples
    --------
    >>> distribution_problems("uniform", {"low": 0.5, "high": 0.2})
    [('low', '`low` (0.5) must be below `high` (0.2)')]
    """
    if kind not in DISTRIBUTIONS:
        return [
            (
                "distribution",
                f"unknown distribution '{kind}'{did_you_mean(kind, DISTRIBUTIONS)}; "
                f"expected one of {', '.join(DISTRIBUTIONS)}",
            )
        ]
    out: list[tuple[str, str]] = []
    for key, value in given.items():
        if key not in _ALLOWED[kind]:
            out.append((key, f"has no meaning for a {kind} distribution; use {_usage(kind)}"))
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            out.append((key, f"expected a finite number, got {value!r}"))
    if out:
        return out
    for key in ("relative", "plus_minus", "sd", "relative_sd"):
        if key in given and given[key] < 0:
            out.append((key, f"must be >= 0, got {given[key]:g}"))
    if kind == "normal":
        if ("sd" in given) == ("relative_sd" in given):
            out.append(("sd", "give exactly one of `sd` or `relative_sd`"))
        elif given.get("sd") == 0:
            out.append(("sd", "must be > 0 (leave the parameter out of the spec to keep it fixed)"))
    else:
        ways = [k for k in ("relative", "plus_minus") if k in given]
        absolute = "low" in given or "high" in given
        if len(ways) + absolute != 1:
            out.append(
                (
                    "distribution",
                    f"give one of: `low` and `high`, `relative`, or `plus_minus` ({_usage(kind)})",
                )
            )
        elif absolute and ("low" not in given or "high" not in given):
            out.append(("low" if "low" not in given else "high", "give both `low` and `high`"))
    if "low" in given and "high" in given and not given["low"] < given["high"]:
        out.append(("low", f"`low` ({given['low']:g}) must be below `high` ({given['high']:g})"))
    elif (
        "mode" in given
        and "low" in given
        and "high" in given
        and not given["low"] <= given["mode"] <= given["high"]
    ):
        out.append(
            (
                "mode",
                f"must lie in [low, high] = [{given['low']:g}, {given['high']:g}], got {given['mode']:g}",
            )
        )
    return out


def _usage(kind: str) -> str:
    return {
        "uniform": "`low` and `high`, `relative` or `plus_minus`",
        "triangular": "`low`, `mode`, `high`, or `relative` / `plus_minus` around the nominal value",
        "normal": "`sd` or `relative_sd`, optional `mean`, `low`, `high`",
    }[kind]


def valid_range(name: str, system: System | None = None) -> tuple[float, float]:
    """The values parameter ``name`` may take: a scenario's number by its field
    (:data:`gmsim.scenario.uncertain.RANGES`), a system's own parameter by its
    :meth:`~gmsim.core.system.System.parameter_ranges`; with no system, as a
    factor model's parameter of its kind (:data:`gmsim.factor.ranges.RANGES`);
    else any number."""
    if name.startswith(PREFIX):
        return SCENARIO_RANGES.get(name.rpartition(".")[2], UNBOUNDED)
    if system is None:
        return FACTOR_RANGES.get(name.partition(":")[0], UNBOUNDED)
    return tuple(system.parameter_ranges().get(name, UNBOUNDED))
