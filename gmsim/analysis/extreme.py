"""Extreme-condition tests generated from a model (in the manner of Vensim's Reality Check).

Two kinds of test, run as batches:

- each lever (every exogenous factor) held at 0 and at 1 for the whole run:
  every variable stays finite and within [0, 1];
- "no outcome better when every enabler is at its worst": with every enabler
  (groups ``external_enabler`` and ``internal_enabler``) held at 0 and every
  exogenous barrier (groups ``external_barrier`` and ``internal_barrier``)
  held at 1, each outcome (group ``outcome``) ends no higher than in the
  baseline, and no higher than with every enabler at its best (enablers at 1,
  those barriers at 0).

Examples
--------
>>> import gmsim
>>> rows = extreme_rows(gmsim.load_model())
>>> all(r["passed"] for r in rows), rows[0]["kind"]
(True, 'extreme')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gmsim.core.result import Result
from gmsim.factor.model import Model
from gmsim.scenario import Intervention, Scenario
from gmsim.simulation.simulate import simulate

__all__ = ["BARRIERS", "ENABLERS", "TOLERANCE", "extreme_rows"]

ENABLERS = ("external_enabler", "internal_enabler")
"""Groups whose factors help."""

BARRIERS = ("external_barrier", "internal_barrier")
"""Groups whose factors hurt."""

TOLERANCE = 1e-9
"""Slack of the comparisons (levels are on 0..1)."""


def _held(model: Model, levels: dict[str, Sequence[float]], runs: int) -> Result:
    """One batch of ``runs`` runs, each factor of ``levels`` held all along at its value in that run."""
    actions = tuple(Intervention("set", x, value=np.asarray(v, dtype=float)) for x, v in levels.items())
    scenario = Scenario("extreme conditions", actions=actions)
    first = next(iter(levels))
    # a batch column that changes nothing sizes the batch: a held factor's own level
    batch = {f"initial:{first}": [model.factor(first).initial] * runs}
    return simulate(model, scenario=scenario, batch=batch, check_finite=False)


def _row(name: str, passed: bool, **numbers) -> dict:
    row = {"name": name, "kind": "extreme", "passed": bool(passed), "margin": 0.0, "note": ""}
    row.update(numbers)
    return row


def _lever_rows(model: Model) -> list[dict]:
    levers = [f.id for f in model.exogenous]
    if not levers:
        return []
    runs = 2 * len(levers)
    levels = {x: [model.factor(x).initial] * runs for x in levers}
    for k, x in enumerate(levers):
        levels[x][2 * k], levels[x][2 * k + 1] = 0.0, 1.0
    result = _held(model, levels, runs)
    rows = []
    for k, x in enumerate(levers):
        for j, level in enumerate((0.0, 1.0)):
            values = result.values[2 * k + j]  # (T, V)
            bad = ~np.isfinite(values) | (values < -TOLERANCE) | (values > 1 + TOLERANCE)
            note = ""
            if bad.any():
                t, v = np.argwhere(bad)[0]
                note = (
                    f"with {x} held at {level:g}, {result.variables[v]} is {values[t, v]:.4g} "
                    f"at month {result.time[t]:g} (must stay finite, in [0, 1])"
                )
            finite = values[np.isfinite(values)]
            rows.append(
                _row(
                    f"extreme-{x}-at-{level:g}",
                    not bad.any(),
                    expect="in [0, 1]",
                    variable="every variable",
                    scenario=f"{x} held at {level:g}",
                    time="run",
                    value=float(finite.min()) if finite.size else float("nan"),
                    comparison=float(finite.max()) if finite.size else float("nan"),
                    note=note,
                )
            )
    return rows


def _worst_rows(model: Model, baseline: Result | None) -> list[dict]:
    enablers = [f.id for f in model.factors if f.group in ENABLERS and f.kind != "composite"]
    barriers = [f.id for f in model.exogenous if f.group in BARRIERS]
    outcomes = [f.id for f in model.factors if f.group == "outcome"]
    if not outcomes or not (enablers or barriers):
        return []
    levels = {**{x: [0.0, 1.0] for x in enablers}, **{x: [1.0, 0.0] for x in barriers}}
    result = _held(model, levels, 2)
    base = baseline if baseline is not None else simulate(model)
    rows = []
    for y in outcomes:
        worst, best = (float(v) for v in result[y][:, -1])
        reference = float(base[y][-1])
        bound = min(reference, best)
        passed = worst <= bound + TOLERANCE
        note = ""
        if not passed:
            beaten = "the baseline" if worst > reference + TOLERANCE else "every enabler at its best"
            note = (
                f"{y} ends at {worst:.4f} with every enabler at its worst, above {beaten} "
                f"(baseline {reference:.4f}, best {best:.4f}): a link has the wrong sign?"
            )
        rows.append(
            _row(
                f"extreme-enablers-worst-{y}",
                passed,
                expect="not higher",
                variable=y,
                scenario="enablers at 0, barriers at 1",
                against="min(baseline, enablers at best)",
                time=f"{result.time[-1]:g}",
                value=worst,
                comparison=bound,
                difference=worst - bound,
                note=note,
            )
        )
    return rows


def extreme_rows(model: Model, *, baseline: Result | None = None) -> list[dict]:
    """The rows of the extreme-condition tests of ``model`` (``kind = "extreme"``).

    ``baseline`` is the model's baseline run, when the caller has it already.
    """
    return [*_lever_rows(model), *_worst_rows(model, baseline)]
