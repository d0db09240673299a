"""Uncertain scenario parameters: the levels and weights a scenario states, as named parameters.

A scenario's numbers are judgements too ("training at 0.7 from month 6"). Each
becomes a parameter an uncertainty spec can name:

==================================  ===============================================
``scenario:<target>.value``         the level an intervention holds its target at
``scenario:<target>.multiply``      an event's factor (``.set``: an event's level)
``scenario:<cause>-><effect>.weight`` a link weight the scenario sets or adds
``scenario:<factor>.initial``       a factor's initial level / adjustment time
``scenario:<factor>.tau``           as the scenario changes them
==================================  ===============================================

A second intervention on the same target is ``<target>#2``. Sampling re-values
the scenario per chunk of runs with :func:`dataclasses.replace`, one value per
run (the engine takes arrays), and never changes the Scenario given.

Examples
--------
>>> import gmsim
>>> s = gmsim.load_scenario("training-program")
>>> scenario_parameters(s)
{'scenario:training.value': 0.55}
>>> many = revalue(s, {"scenario:training.value": [0.5, 0.9]})
>>> many.actions[0].value.tolist(), s.actions[0].value
([0.5, 0.9], 0.55)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gmsim.errors import ScenarioError, did_you_mean
from gmsim.factor.ranges import RANGES as FACTOR_RANGES

__all__ = ["PREFIX", "RANGES", "revalue", "scenario_parameters"]

PREFIX = "scenario:"

RANGES = {
    "value": FACTOR_RANGES["initial"],
    "set": FACTOR_RANGES["initial"],
    "initial": FACTOR_RANGES["initial"],
    "multiply": (0.0, math.inf),
    "weight": FACTOR_RANGES["weight"],
    "tau": FACTOR_RANGES["tau"],
}
"""Valid values of each field of a scenario parameter: levels (``value``, ``set``), weights,
initial levels and tau as a factor model's (:data:`gmsim.factor.ranges.RANGES`); an event's
``multiply`` any factor >= 0."""


def _items(scenario: Any) -> dict[str, tuple[str, int, str, float]]:
    """Name -> (section, index, field, nominal value) of every number a spec may vary."""
    out: dict[str, tuple[str, int, str, float]] = {}
    seen: dict[str, int] = {}
    for i, a in enumerate(getattr(scenario, "actions", ())):
        seen[a.target] = seen.get(a.target, 0) + 1
        label = a.target if seen[a.target] == 1 else f"{a.target}#{seen[a.target]}"
        for key in ("value", "multiply", "set"):
            value = getattr(a, key, None)
            if value is not None and np.ndim(value) == 0 and a.kind != "table":
                out[f"{PREFIX}{label}.{key}"] = ("actions", i, key, float(value))
    for i, c in enumerate(getattr(scenario, "links", ())):
        if np.ndim(c.weight) == 0:
            out[f"{PREFIX}{c.cause}->{c.effect}.weight"] = ("links", i, "weight", float(c.weight))
    for i, c in enumerate(getattr(scenario, "factors", ())):
        for key in ("initial", "tau"):
            value = getattr(c, key)
            if value is not None and np.ndim(value) == 0:
                out[f"{PREFIX}{c.factor}.{key}"] = ("factors", i, key, float(value))
    return out


def scenario_parameters(scenario: Any) -> dict[str, float]:
    """The scenario's numbers a spec may make uncertain, by name, with their values."""
    return {name: item[3] for name, item in _items(scenario).items()}


def revalue(scenario: Any, values: Mapping[str, Sequence[float] | np.ndarray]) -> Any:
    """A copy of ``scenario`` with the named numbers replaced by arrays (one value per run).

    Names the scenario does not have raise a :class:`ScenarioError`.
    """
    items = _items(scenario)
    sections = {k: list(getattr(scenario, k, ())) for k in ("actions", "links", "factors")}
    for name, column in values.items():
        if name not in items:
            raise ScenarioError(
                f"scenario '{scenario.name}' has no parameter '{name}'{did_you_mean(name, items)}"
            )
        section, i, key, _ = items[name]
        sections[section][i] = dataclasses.replace(
            sections[section][i], **{key: np.asarray(column, dtype=float)}
        )
    return dataclasses.replace(scenario, **{k: tuple(v) for k, v in sections.items()})
