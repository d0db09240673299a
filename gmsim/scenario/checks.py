"""Checks of a scenario: those that need no model, and those against a model and its horizon.

Each check returns one message per problem, pointing at the file and line of
the key at fault when the scenario was read from a file.

Examples
--------
>>> import gmsim
>>> from gmsim.scenario import Intervention, Scenario
>>> s = Scenario("late", actions=(Intervention("step", "training", at=40, value=0.7),))
>>> check_against(s, gmsim.load_model(), 0.0, 36.0)[0]
"scenario 'late': interventions[1].at: month 40 is outside the run; the run covers months 0 to 36, so use 0 <= at < 36"
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from gmsim.core.system import System
from gmsim.errors import ScenarioError, did_you_mean
from gmsim.factor.model import Model
from gmsim.factor.ranges import RANGES, interval, within
from gmsim.limits import LimitError, check, limit
from gmsim.scenario.compile import every_span
from gmsim.scenario.types import KINDS, Intervention, span

if TYPE_CHECKING:
    from gmsim.scenario.scenario import Scenario

__all__ = ["check_against", "check_scenario", "raise_problems"]


def _where(scenario: Scenario, item: Any, section: str, index: int, key: str | None = None) -> str:
    if item.origin is not None:
        return item.origin.at(key)
    label = f"factors.{item.factor}" if section == "factors" else f"{section}[{index + 1}]"
    return f"scenario '{scenario.name}': {label}" + (f".{key}" if key else "")


def _finite(x: Any) -> bool:
    try:
        return bool(np.all(np.isfinite(np.asarray(x, dtype=float))))
    except (TypeError, ValueError):
        return False


def _valid(x: Any, kind: str) -> bool:
    """Finite, and (every value of ``x``) in the range of a ``kind`` of factor parameter."""
    return _finite(x) and bool(np.all(within(np.asarray(x, dtype=float), kind)))


def _level(x: Any) -> bool:
    return _valid(x, "initial")  # a factor's level: the range of its initial level


def _time(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def check_scenario(scenario: Scenario) -> list[str]:
    """Problems of a scenario that do not depend on a model, one message each."""
    out: list[str] = []
    if not isinstance(scenario.name, str) or not scenario.name.strip():
        out.append(f"scenario {scenario.name!r}: `name` must be a non-empty string")
    for i, a in enumerate(scenario.actions):
        out += [
            f"{_where(scenario, a, 'interventions', i, key)}: {msg}" for key, msg in _check_action(a)
        ]
    out += _check_overlaps(scenario)
    seen: dict[tuple[str, str], int] = {}
    for i, c in enumerate(scenario.links):
        at = _where(scenario, c, "links", i)
        if not _valid(c.weight, "weight"):
            out.append(
                f"{_where(scenario, c, 'links', i, 'weight')}: must be in {interval('weight')}, "
                f"got {c.weight!r}"
            )
        if not _time(c.delay) or c.delay < 0:
            out.append(
                f"{_where(scenario, c, 'links', i, 'delay')}: must be a number >= 0 months, got {c.delay!r}"
            )
        elif c.delay and not c.add:
            out.append(
                f"{_where(scenario, c, 'links', i, 'delay')}: only a new link (add = true) takes a delay; "
                "a scenario changes the weight of an existing link, not its delay"
            )
        out += _check_link_window(scenario, i, c)
        pair = (c.cause, c.effect)
        if pair in seen:
            out.append(
                f"{at}: the link {c.cause} -> {c.effect} is changed twice (also links[{seen[pair] + 1}]); keep one"
            )
        seen.setdefault(pair, i)
    named: dict[tuple[str, str], int] = {}
    for i, c in enumerate(scenario.factors):
        if c.initial is None and c.tau is None:
            out.append(f"{_where(scenario, c, 'factors', i)}: give `initial` and/or `tau`")
        if c.initial is not None and not _finite(c.initial):
            out.append(
                f"{_where(scenario, c, 'factors', i, 'initial')}: expected a finite number, got {c.initial!r}"
            )
        if c.tau is not None and not _valid(c.tau, "tau"):
            low = RANGES["tau"][0]
            out.append(
                f"{_where(scenario, c, 'factors', i, 'tau')}: must be > {low:g} months, got {c.tau!r}"
            )
        for key in ("initial", "tau"):
            if getattr(c, key) is not None:
                if (c.factor, key) in named:
                    out.append(
                        f"{_where(scenario, c, 'factors', i, key)}: {c.factor}'s {key} is set twice; keep one"
                    )
                named[(c.factor, key)] = i
    return out


def _check_action(a: Intervention) -> list[tuple[str | None, str]]:
    """(key, message) for each problem of one intervention."""
    if not a.kind:
        return [("kind", f"missing required key; expected one of {', '.join(KINDS)}")]
    if a.kind not in KINDS:
        return [
            (
                "kind",
                f"unknown kind '{a.kind}'{did_you_mean(a.kind, KINDS)}; expected one of {', '.join(KINDS)}",
            )
        ]
    out: list[tuple[str | None, str]] = []
    if not isinstance(a.target, str) or not a.target:
        out.append(("target", "missing required key (the id of a factor)"))
    required, optional = KINDS[a.kind]
    takes = ", ".join(("target", *required, *optional))
    given = a.given()
    for key in given:
        if key not in required and key not in optional:
            out.append((key, f"has no meaning for a {a.kind}; remove it (a {a.kind} takes {takes})"))
    for key in required:
        if key not in given:
            out.append((None, f"a {a.kind} needs `{key}` (a {a.kind} takes {takes})"))
    if a.kind == "event":
        if ("at" in given) == ("every" in given):
            out.append(
                (None, "an event needs exactly one of `at` (one jump) or `every` (repeated jumps)")
            )
        if ("multiply" in given) == ("set" in given):
            out.append((None, "an event needs exactly one of `multiply` or `set`"))
        for key in ("start", "end"):
            if key in given and "at" in given:
                out.append(
                    (
                        key,
                        "only repeated events (`every`) take a start and end; remove it or use `every`",
                    )
                )
    if out:
        return out
    for key in ("at", "start", "end", "duration", "every"):
        value = getattr(a, key)
        if value is not None and not _time(value):
            out.append((key, f"expected a finite number of months, got {value!r}"))
    for key in ("value", "set"):
        value = getattr(a, key)
        if value is not None and not _finite(value):
            out.append((key, f"expected a finite number, got {value!r}"))
    if a.multiply is not None and not (
        _finite(a.multiply) and np.all(np.asarray(a.multiply, dtype=float) >= 0)
    ):
        out.append(
            ("multiply", f"must be a finite number >= 0 (e.g. 0.4 keeps 40 %), got {a.multiply!r}")
        )
    if a.every is not None and _time(a.every) and a.every <= 0:
        out.append(("every", f"must be > 0 months, got {a.every:g}"))
    if a.duration is not None and _time(a.duration) and a.duration <= 0:
        out.append(("duration", f"must be > 0 months, got {a.duration:g}"))
    if _time(a.start) and _time(a.end) and a.end <= a.start:
        out.append(("end", f"must be after start (month {a.start:g}), got month {a.end:g}"))
    if a.kind == "table":
        out += _check_table(a)
    return out


def _check_table(a: Intervention) -> list[tuple[str | None, str]]:
    times, values = a.times, a.values
    try:
        check("table_points", len(times), "the number of points of this table")
    except LimitError as exc:
        return [("times", str(exc))]
    if not all(_time(t) for t in times):
        return [("times", f"expected a list of finite months, got {list(times)!r}")]
    out: list[tuple[str | None, str]] = []
    if len(times) < 2:
        out.append(("times", "a table needs at least two points; use `step` or `clamp` for one level"))
    if len(times) != len(values):
        out.append(
            ("values", f"has {len(values)} levels for {len(times)} times; give one level per time")
        )
    if any(b <= t for t, b in itertools.pairwise(times)):
        out.append(("times", f"must increase strictly, got {list(times)!r}"))
    if not all(_finite(v) for v in values):
        out.append(("values", f"expected finite numbers, got {list(values)!r}"))
    return out


def _check_overlaps(scenario: Scenario) -> list[str]:
    """Two interventions holding one factor at once, and events that fall inside a hold."""
    out: list[str] = []
    if any(_check_action(a) for a in scenario.actions):
        return out
    held: dict[str, list[tuple[int, float, float]]] = {}
    for i, a in enumerate(scenario.actions):
        window = a.window()
        if window is None:
            continue
        for j, start, end in held.get(a.target, []):
            if window[0] < end and start < window[1]:
                out.append(
                    f"{_where(scenario, a, 'interventions', i)}: this {a.kind} holds '{a.target}' "
                    f"{span(*window)}, while interventions[{j + 1}] ({scenario.actions[j].kind}) holds it "
                    f"{span(start, end)}; one factor can be held by one intervention at a time "
                    "(let them follow each other, or combine them into one `table`)"
                )
        held.setdefault(a.target, []).append((i, *window))
    for i, a in enumerate(scenario.actions):
        if a.kind != "event" or a.every is not None:
            continue
        for j, start, end in held.get(a.target, []):
            if start <= a.at < end:
                out.append(
                    f"{_where(scenario, a, 'interventions', i, 'at')}: the event at month {a.at:g} falls "
                    f"while interventions[{j + 1}] ({scenario.actions[j].kind}) holds '{a.target}' "
                    f"{span(start, end)}, so it would have no effect; move it outside that window"
                )
    return out


# -- checks against a model -------------------------------------------------------------------
def _check_link_window(scenario: Scenario, i: int, c: Any) -> list[str]:
    """A changed weight's ``start``/``end``: numbers, in order, and not on a new link."""
    out = []
    for key in ("start", "end"):
        value = getattr(c, key)
        if value is not None and not _time(value):
            out.append(f"{_where(scenario, c, 'links', i, key)}: must be a finite month, got {value!r}")
    window = c.window()
    if window is None or out:
        return out
    if window[0] >= window[1]:
        out.append(
            f"{_where(scenario, c, 'links', i, 'end')}: must be after `start` ({window[0]:g}), "
            f"got {window[1]:g}"
        )
    if c.add:
        out.append(
            f"{_where(scenario, c, 'links', i, 'start')}: a new link (add = true) holds for the whole "
            "run; give `start`/`end` to a changed weight of an existing link"
        )
    return out


def _check_link_times(scenario: Scenario, start: float, stop: float) -> list[str]:
    out = []
    for i, c in enumerate(scenario.links):
        for key in ("start", "end"):
            t = getattr(c, key)
            if t is not None and _time(t) and not start <= t <= stop:
                out.append(
                    f"{_where(scenario, c, 'links', i, key)}: month {t:g} is outside the run "
                    f"[{start:g}, {stop:g}]; move it inside, or change the horizon"
                )
    return out


def check_against(scenario: Scenario, model: Any, start: float, stop: float) -> list[str]:
    """Problems of a scenario on ``model`` over the horizon ``[start, stop]``, one message each.

    On a factor model (:class:`~gmsim.factor.model.Model`) targets are factors and
    levels lie in [0, 1]; on any other model (an imported stock-and-flow model)
    targets are the variables of its compiled system, events move its stocks,
    and ``[[links]]`` and ``tau`` have no meaning.
    """
    check_on = _check_on_factors if isinstance(model, Model) else _check_on_system
    out = check_on(scenario, model, start, stop) + _check_link_times(scenario, start, stop)
    return out + _check_events(scenario, start, stop)


def _check_events(scenario: Scenario, start: float, stop: float) -> list[str]:
    """Repeated events: not more jumps than the ``events`` limit, and none where a hold of
    their target makes them do nothing (as for an event ``at`` one time)."""
    out: list[str] = []
    total = 0.0
    for i, a in enumerate(scenario.actions):
        if a.kind != "event" or a.every is None:
            total += a.kind == "event"
            continue
        first, _, count = every_span(a, start, stop)
        total += count
        try:
            check("events", count, f"the number of jumps of this event (every {a.every:g} months)")
        except LimitError as exc:
            out.append(f"{_where(scenario, a, 'interventions', i, 'every')}: {exc}")
            continue
        jumps = max(0, math.ceil(count - 1e-9))
        for j, h in enumerate(scenario.actions):
            window = h.window() if h.target == a.target and h.kind != "event" else None
            if window is None or window[1] <= first:
                continue
            k = math.ceil((max(window[0], first) - first) / a.every - 1e-9)
            t = first + k * a.every
            if k < jumps and t < window[1]:
                out.append(
                    f"{_where(scenario, a, 'interventions', i, 'every')}: the event every "
                    f"{a.every:g} months jumps at month {t:g}, while interventions[{j + 1}] "
                    f"({h.kind}) holds '{a.target}' {span(*window)}, so it would have no effect; "
                    "give the event a `start` and `end` outside that window"
                )
                break
    if not out and total > limit("events"):
        try:
            check("events", total, f"scenario '{scenario.name}': the number of jumps of all its events")
        except LimitError as exc:
            out.append(str(exc))
    return out


def _check_times(scenario: Scenario, i: int, a: Intervention, start: float, stop: float) -> list[str]:
    """An intervention's times against the horizon of the run."""
    out = []
    horizon = f"the run covers months {start:g} to {stop:g}"
    for key in ("at", "start"):
        t = getattr(a, key)
        if t is not None and not start <= t < stop:
            where = _where(scenario, a, "interventions", i, key)
            out.append(
                f"{where}: month {t:g} is outside the run; {horizon}, so use {start:g} <= {key} < {stop:g}"
            )
    if a.end is not None and not start < a.end <= stop:
        out.append(
            f"{_where(scenario, a, 'interventions', i, 'end')}: month {a.end:g} is outside the run; {horizon}"
        )
    if a.times is not None and any(not start <= t <= stop for t in a.times):
        where = _where(scenario, a, "interventions", i, "times")
        out.append(f"{where}: {list(a.times)!r} reach outside the run; {horizon}")
    return out


def _unknown(name: str, known: Iterable[str], what: str = "factor") -> str:
    return (
        f"unknown {what} '{name}'{did_you_mean(name, known)}; see `gmsim show` for the model's {what}s"
    )


def _check_on_factors(scenario: Scenario, model: Model, start: float, stop: float) -> list[str]:
    out: list[str] = []
    ids = model.factor_ids
    kinds = {f.id: f.kind for f in model.factors}
    for i, a in enumerate(scenario.actions):
        if a.target not in kinds:
            out.append(f"{_where(scenario, a, 'interventions', i, 'target')}: {_unknown(a.target, ids)}")
        elif kinds[a.target] == "composite":
            parts = ", ".join(p for p, _ in model.factor(a.target).of)
            out.append(
                f"{_where(scenario, a, 'interventions', i, 'target')}: '{a.target}' is a composite (the "
                f"mean of {parts}) and has no level of its own to hold or move; intervene on its parts"
            )
        out += _check_times(scenario, i, a, start, stop)
        for key in ("value", "set", "values"):
            levels = getattr(a, key)
            if levels is not None and not all(_level(v) for v in np.atleast_1d(levels)):
                where = _where(scenario, a, "interventions", i, key)
                what = "levels" if key == "values" else "a level"
                out.append(f"{where}: must be {what} in {interval('initial')}, got {_listed(levels)}")

    for i, c in enumerate(scenario.links):
        where = _where(scenario, c, "links", i)
        bad = [(k, fid) for k, fid in (("from", c.cause), ("to", c.effect)) if fid not in kinds]
        out += [f"{_where(scenario, c, 'links', i, k)}: {_unknown(fid, ids)}" for k, fid in bad]
        if bad:
            continue
        exists = any(link.cause == c.cause and link.effect == c.effect for link in model.links)
        if c.add and exists:
            out.append(
                f"{where}: the model already has the link {c.cause} -> {c.effect}; "
                "drop `add = true` to change its weight"
            )
        elif not c.add and not exists:
            causes = [link.cause for link in model.links if link.effect == c.effect]
            out.append(
                f"{where}: the model has no link {c.cause} -> {c.effect}"
                f"{did_you_mean(c.cause, causes) if causes else ''}; to add it, say so with `add = true`"
            )
        elif c.add and kinds[c.effect] != "endogenous":
            out.append(
                f"{_where(scenario, c, 'links', i, 'to')}: '{c.effect}' is {kinds[c.effect]}; "
                "a link can only cause an endogenous factor"
            )
        elif c.add and c.cause == c.effect:
            out.append(f"{where}: a link from '{c.cause}' to itself; change its tau instead")

    for i, c in enumerate(scenario.factors):
        if c.factor not in kinds:
            out.append(f"{_where(scenario, c, 'factors', i)}: {_unknown(c.factor, ids)}")
        elif kinds[c.factor] == "composite":
            out.append(
                f"{_where(scenario, c, 'factors', i)}: '{c.factor}' is a composite; "
                "it has no initial level or tau"
            )
        elif c.tau is not None and kinds[c.factor] != "endogenous":
            out.append(
                f"{_where(scenario, c, 'factors', i, 'tau')}: '{c.factor}' is {kinds[c.factor]} and has no tau"
            )
        if c.initial is not None and not _level(c.initial):
            where = _where(scenario, c, "factors", i, "initial")
            out.append(f"{where}: must be a level in {interval('initial')}, got {_listed(c.initial)}")
    return out


def _listed(x: Any) -> str:
    return repr(list(x)) if isinstance(x, tuple) else repr(x)


def _check_on_system(scenario: Scenario, model: Any, start: float, stop: float) -> list[str]:
    """Problems on a model that is not a factor graph: names are its compiled system's."""
    out: list[str] = []
    system: System = model.compile()
    variables, stocks = system.variable_names, system.state_names
    for i, a in enumerate(scenario.actions):
        known, what = (stocks, "stock") if a.kind == "event" else (variables, "variable")
        where = _where(scenario, a, "interventions", i, "target")
        if a.kind == "event" and a.target in variables and a.target not in stocks:
            out.append(
                f"{where}: '{a.target}' is not a stock, and an event moves a stock; hold it with a clamp"
            )
        elif a.target not in known:
            out.append(f"{where}: {_unknown(a.target, known, what)}")
        out += _check_times(scenario, i, a, start, stop)
    for i, c in enumerate(scenario.links):
        out.append(
            f"{_where(scenario, c, 'links', i)}: '{system.name}' is a stock-and-flow model; "
            "[[links]] change the weights of factor models only"
        )
    for i, c in enumerate(scenario.factors):
        if c.tau is not None:
            where = _where(scenario, c, "factors", i, "tau")
            out.append(
                f"{where}: '{system.name}' is a stock-and-flow model; tau belongs to factor models"
            )
        if c.initial is not None and f"initial:{c.factor}" not in system.parameter_names():
            where = _where(scenario, c, "factors", i)
            out.append(f"{where}: {_unknown(c.factor, stocks, 'stock')}")
    return out


def raise_problems(problems: list[str]) -> None:
    """Raise one :class:`~gmsim.errors.ScenarioError` listing ``problems``, if there are any."""
    if problems:
        raise ScenarioError("\n".join(problems))
