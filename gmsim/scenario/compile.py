"""A scenario in the engine's terms: :class:`~gmsim.core.system.Interventions` for one model.

Link and factor changes become parameter overrides and added links (a link
change with ``start``/``end`` a :class:`~gmsim.core.system.Window`); holds
become :class:`~gmsim.core.system.Forcing` paths; events, and the return of an
exogenous factor to its level when a hold lets go, become
:class:`~gmsim.core.system.Event` jumps.

Examples
--------
>>> import gmsim
>>> from gmsim.scenario import Intervention, Scenario
>>> hire = Intervention("pulse", "human_resources", at=6, duration=3, value=0.9)
>>> iv = compile_scenario(Scenario("hire", actions=(hire,)), gmsim.load_model(), 0.0, 36.0)
>>> [(f.variable, f.start, f.end) for f in iv.forcings]
[('human_resources', 6, 9)]
>>> [(e.time, e.variable, e.set) for e in iv.events]  # an exogenous factor returns to its level
[(9, 'human_resources', 0.6)]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gmsim.core.paths import Constant, Ramp, Table
from gmsim.core.system import Event, Forcing, Interventions, Window
from gmsim.factor.model import Link, Model
from gmsim.limits import check
from gmsim.scenario.types import INF, Intervention
from gmsim.xmile.names import canonical

if TYPE_CHECKING:
    from gmsim.scenario.scenario import Scenario

__all__ = ["compile_scenario", "every_span", "in_system_spelling"]


def in_system_spelling(scenario: Scenario, model: Any) -> Scenario:
    """Targets written as ``Stock A`` or ``stock_a`` name the system's ``Stock_A``: XMILE names
    are case-insensitive and read spaces and underscores alike (:func:`gmsim.xmile.names.canonical`),
    so a scenario may spell them either way."""
    system = model.compile()
    spelling = {canonical(n): n for n in (*system.variable_names, *system.state_names)}

    def own(name: str) -> str:
        return spelling.get(canonical(name), name)

    actions = tuple(dataclasses.replace(a, target=own(a.target)) for a in scenario.actions)
    factors = tuple(dataclasses.replace(c, factor=own(c.factor)) for c in scenario.factors)
    return dataclasses.replace(scenario, actions=actions, factors=factors)


def compile_scenario(scenario: Scenario, model: Any, start: float, stop: float) -> Interventions:
    """``scenario`` as the engine runs it on ``model`` over ``[start, stop]`` (checked already)."""
    overrides: dict[str, Any] = {}
    added = []
    windows: list[Window] = []
    for c in scenario.links:
        if c.add:
            link = Link(
                c.cause, c.effect, weight=c.weight, delay=c.delay, source=f"scenario {scenario.name}"
            )
            added.append(link)
        elif c.window() is not None:
            windows.append(Window(f"weight:{c.cause}->{c.effect}", c.weight, *c.window()))
        else:
            overrides[f"weight:{c.cause}->{c.effect}"] = c.weight
    for c in scenario.factors:
        for key in ("initial", "tau"):
            if getattr(c, key) is not None:
                overrides[f"{key}:{c.factor}"] = getattr(c, key)
    base = _levels_at_start(scenario, model, overrides)
    forcings, restores, events = [], [], []
    for a in scenario.actions:
        if a.kind == "event":
            events += [
                Event(t, a.target, multiply=a.multiply, set=a.set) for t in _event_times(a, start, stop)
            ]
            continue
        window = a.window()
        forcings.append(Forcing(a.target, _path(a, base.get(a.target)), *window))
        if _exogenous(model, a.target) and window[1] < stop:
            restores.append(Event(window[1], a.target, set=base[a.target]))
    return Interventions(
        overrides=overrides,
        added_links=tuple(added),
        forcings=tuple(forcings),
        events=(*restores, *events),
        windows=tuple(windows),
    )


def _exogenous(model: Any, name: str) -> bool:
    return isinstance(model, Model) and model.factor(name).kind == "exogenous"


def _levels_at_start(scenario: Scenario, model: Any, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The level each held target starts from: a ramp's base, and where an exogenous factor returns."""
    targets = {a.target for a in scenario.actions if a.kind != "event"}
    if isinstance(model, Model):
        return {x: overrides.get(f"initial:{x}", model.factor(x).initial) for x in targets}
    if not any(a.kind == "ramp" for a in scenario.actions):
        return {}
    system = model.compile(Interventions(overrides=dict(overrides)))
    params = system.parameters()
    first = system.observe(model.simulation.start, system.initial_state(params), params)[0]
    return {x: float(first[system.variable_names.index(x)]) for x in targets}


def _path(a: Intervention, base: Any):
    """The path a held target follows inside its window (a pulse or clamp: a constant)."""
    if a.kind == "ramp":
        return Ramp(start=a.start, end=a.end, value=a.value, base=base)
    if a.kind == "table":
        return Table(times=a.times, values=a.values)
    return Constant(a.value)


def _event_times(a: Intervention, start: float, stop: float) -> list[float]:
    """Times of an event: ``at``, or ``first + k * every`` before ``end`` and the end of the run."""
    if a.every is None:
        return [float(a.at)]
    first, _, count = every_span(a, start, stop)
    check("events", count, f"the number of jumps of the event on '{a.target}' every {a.every:g} months")
    return [float(first + k * a.every) for k in range(max(0, math.ceil(count - 1e-9)))]


def every_span(a: Intervention, start: float, stop: float) -> tuple[float, float, float]:
    """A repeated event's first time, the end of its window in ``[start, stop]`` and how many
    jumps it makes (a float, counted before any list is made: it may be huge)."""
    first = a.start if a.start is not None else start + a.every
    last = min(stop, a.end if a.end is not None else INF)
    return first, last, max(0.0, (last - first) / a.every)
