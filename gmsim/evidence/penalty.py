"""The model's claims as residuals of a fit (``gmsim calibrate --keep-checks``).

:class:`ClaimPenalty` judges the claims of a factor model (its ``[[checks]]``,
as :func:`gmsim.check` does) for many candidate parameter sets at once: each
run a claim needs (a scenario, its comparison) is compiled once, and every
candidate of a batch (a point and its finite-difference neighbours) runs in
that one batched solve. A claim that fails by ``d`` (its shortfall, on its
variable's scale) adds a residual ``PENALTY · (d + m)``, and one that holds by
less than ``m`` adds ``PENALTY`` times what is missing of it: with a margin
``m`` the penalised optimum, where the data's pull balances the penalty's,
keeps the claim rather than breaking it by a hair. Each claim's ``m`` is
:data:`MARGIN`, or less when the claim holds by less at the model's own values
(where the penalty is then zero).

Examples
--------
>>> import numpy as np, gmsim
>>> penalty = ClaimPenalty(gmsim.load_model().compile(), ["tau:training"])
>>> penalty.residuals(np.array([[3.0], [6.0]])).shape  # two candidates, one residual per claim
(2, 51)
>>> penalty.failing(np.array([3.0]))  # the model's own value keeps every claim
[]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gmsim.errors import DataError, GmsimError

__all__ = ["MARGIN", "PENALTY", "ClaimPenalty"]

PENALTY = 1000.0
"""Residual per unit of a claim's shortfall (a claim missed by 0.01 of a level costs like 10 sigmas)."""

MARGIN = 1e-3
"""How far inside its margin a penalised fit keeps a claim (on the claim's variable's scale), at most."""

KINDS = ("weight", "tau", "initial")
"""Parameters the penalty may vary: those a factor model file holds as values."""


class ClaimPenalty:
    """The claims of ``system``'s factor model as residuals, for candidate values of ``names``.

    ``reference`` are the values where the penalty is zero (default: the
    model's own): each claim's margin is at most what it holds by there.
    """

    def __init__(self, system, names: Sequence[str], reference: Sequence[float] | None = None):
        from gmsim.analysis.claims import plan_claims
        from gmsim.factor.model import Model

        model = getattr(system, "model", None)
        if not isinstance(model, Model):
            raise DataError("`--keep-checks` needs a factor model (.toml) with [[checks]]")
        self.model, self.names = model, tuple(names)
        for name in self.names:
            if name.partition(":")[0] not in KINDS:
                raise DataError(
                    f"`--keep-checks` can vary weight:, tau: and initial: values, not {name!r}"
                )
        if not getattr(model, "checks", ()):
            raise DataError(
                f"`--keep-checks`: the model {model.name!r} has no [[checks]]; add claims to the model file, "
                "or leave the option out"
            )
        self.claims = plan_claims(model)
        keys = [c.run for c in self.claims] + [c.comparison_run for c in self.claims]
        self.keys = list(dict.fromkeys(k for k in keys if k is not None))
        self._systems: dict[tuple, Any] = {}
        self.runs = 0
        self.batches = 0
        if reference is None:
            own = system.parameter_values()
            reference = [own[n] for n in self.names]
        (rows,) = self.rows(np.asarray(reference, float)[None, :])
        self.margins = np.clip([_slack(r) for r in rows], 0.0, MARGIN)

    def _system(self, key: tuple):
        from gmsim.simulation.simulate import as_system

        if key not in self._systems:
            scenario, equilibrium, stop = key
            self._systems[key] = as_system(
                self.model, scenario=scenario, equilibrium=equilibrium, stop=stop
            )[0]
        return self._systems[key]

    def rows(self, thetas: np.ndarray) -> list[list[dict]]:
        """Each candidate's rows of :func:`gmsim.check` (one per claim), the runs shared in batches."""
        from gmsim.analysis.claims import evaluate
        from gmsim.simulation.simulate import simulate

        thetas = np.atleast_2d(np.asarray(thetas, float))
        batch = {n: thetas[:, i] for i, n in enumerate(self.names)}
        results = {}
        for key in self.keys:
            try:
                results[key] = simulate(self._system(key), stop=key[2], batch=batch)
            except GmsimError as exc:
                raise DataError(f"a run of a claim failed during the fit: {exc}") from None
            self.runs += len(thetas)
            self.batches += 1
        out = []
        for b in range(len(thetas)):
            runs = _Runs({k: _row(r, b) for k, r in results.items()})
            out.append([evaluate(c, runs) for c in self.claims])
        return out

    def residuals(self, thetas: np.ndarray) -> np.ndarray:
        """``(candidates, claims)``: ``PENALTY`` times what each claim misses of its margin."""
        rows = self.rows(thetas)
        slack = np.array([[_slack(r) for r in row] for row in rows]).reshape(len(rows), -1)
        return PENALTY * np.maximum(0.0, self.margins[None, :] - slack)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.residuals(np.asarray(x, float)[None, :])[0]

    def failing(self, x: np.ndarray) -> list[str]:
        """A note for each claim that fails at ``x``."""
        (rows,) = self.rows(np.asarray(x, float)[None, :])
        return [f"claim {r['name']!r} fails at the fit" for r in rows if not r["passed"]]


class _Runs:
    """The runs of one candidate, as :func:`gmsim.analysis.claims.evaluate` asks for them."""

    def __init__(self, results: Mapping[tuple, Any]):
        self.results = results

    def get(self, key: tuple):
        return self.results[key]


def _row(result, b: int):
    """Run ``b`` of a batched result as a result of its own."""
    return dataclasses.replace(result, values=result.values[b : b + 1], batched=False, batch=None)


def _slack(row: Mapping[str, Any]) -> float:
    """How far a claim's difference is inside its margin (negative: failing)."""
    diff, by, expect = row.get("difference"), row.get("margin") or 0.0, row.get("expect")
    if diff is None or not np.isfinite(diff) or expect not in ("lower", "higher", "near"):
        return MARGIN if row.get("passed") else -0.05
    if expect == "lower":
        return -by - diff
    if expect == "higher":
        return diff - by
    return by - abs(diff)
