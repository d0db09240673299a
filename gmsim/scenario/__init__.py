"""Scenarios: a "what if" stated as data and run against a model without editing it.

A scenario file (TOML) holds interventions on factors, changes of link weights,
and changes of factors' initial levels or adjustment times::

    [scenario]
    name = "attention-shift"
    description = "Superiors' attention moves elsewhere at month 12 (paper 2.4.2)"

    [[interventions]]
    kind = "clamp"                # hold a factor's level
    target = "leadership_attention"
    value = 0.2
    start = 12

    [[links]]                     # change a weight; `add = true` adds a new link
    from = "review_burden"
    to = "responsiveness"
    weight = -0.3

    [factors.staff_experience]    # initial level and/or adjustment time (months)
    tau = 9

Kinds of intervention (times in months, levels in [0, 1]):

======  ==========================  =================================================
kind    keys                        what happens to ``target``
======  ==========================  =================================================
set     value                       held at ``value`` for the whole run
step    at, value                   held at ``value`` from ``at`` on
ramp    start, end, value           held on a line from its level in the model at
                                    ``start`` to ``value`` at ``end``, then at ``value``
pulse   at, duration, value         held at ``value`` for ``duration`` months
table   times, values               held on the line through the points, from the
                                    first time on
clamp   value; start, end optional  held at ``value`` from ``start`` (default: all
                                    along) until ``end`` (default: the end of the run)
event   at, or every with optional  a jump: ``multiply`` (x <- x * multiply) or ``set``
        start/end; multiply or set  (x <- set); ``every`` jumps at ``start`` (default:
                                    one period into the run), then every ``every``
                                    months before ``end``
======  ==========================  =================================================

Windows and release. An intervention holds its factor only while it acts;
outside that window the factor follows the model. When a ``pulse`` or a
``clamp`` with an ``end`` lets go, an *endogenous* factor carries on from the
held level under its own dynamics (the intervention's effect fades as the model
says), while an *exogenous* factor, which has no dynamics, returns to its level
in the model (the ``initial`` of ``[factors.<id>]`` if the scenario changes it).
``step``, ``ramp`` and ``table`` never let go. Two interventions may not hold
one factor at the same time, and an event may not fall where its factor is held
(it would have no effect): both are reported as errors.

Weights, initial levels and tau changed by a scenario are applied *after* the
model's resting biases are solved, so they move the system away from its flat
baseline. ``include = ["a", "b"]`` in ``[scenario]`` builds a policy package
from other scenarios (library names, or paths relative to the file).

On a model that is not a factor graph (an imported stock-and-flow model),
targets are the variables of its compiled system, events move its stocks,
levels are in the model's own units, and ``[[links]]`` and ``tau`` are refused.

Examples
--------
>>> import gmsim
>>> s = gmsim.load_scenario("attention-shift")
>>> s.name, s.describe()[0]
('attention-shift', 'hold leadership_attention at 0.2 from month 12')
>>> iv = s.interventions(gmsim.load_model())
>>> iv.forcings[0].variable, iv.forcings[0].start
('leadership_attention', 12.0)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gmsim.core.paths import Constant, Ramp, Table
from gmsim.core.system import Event, Forcing, Interventions, System
from gmsim.errors import ModelError, ScenarioError, did_you_mean
from gmsim.factor.file import check_keys, locate, read_toml
from gmsim.factor.model import Link, Model, Problem

__all__ = [
    "KEYS",
    "KINDS",
    "LIBRARY",
    "FactorChange",
    "Intervention",
    "LinkChange",
    "Origin",
    "Scenario",
    "check_against",
    "check_scenario",
    "combine",
    "list_scenarios",
    "load_scenario",
]

LIBRARY = "gmsim.models.scenarios"
"""The package holding the scenario library (``models/scenarios/`` in the source tree)."""

KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "set": (("value",), ()),
    "step": (("at", "value"), ()),
    "ramp": (("start", "end", "value"), ()),
    "pulse": (("at", "duration", "value"), ()),
    "table": (("times", "values"), ()),
    "clamp": (("value",), ("start", "end")),
    "event": ((), ("at", "every", "start", "end", "multiply", "set")),
}
"""Each kind of intervention: its required keys and its optional keys (besides kind, target, note)."""

KEYS = ("value", "at", "start", "end", "duration", "every", "times", "values", "multiply", "set")
"""Every key an intervention may take besides kind, target and note."""

INF = math.inf


# -- data -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Origin:
    """Where an item of a scenario was written: its file, label and the lines of its keys."""

    path: str
    label: str
    line: int | None = None
    lines: tuple[tuple[str, int], ...] = ()

    def at(self, key: str | None = None) -> str:
        """``file:line: label.key``, pointing at the key's own line where it is written."""
        line = dict(self.lines).get(key, self.line) if key else self.line
        where = f"{self.path}:{line}" if line else self.path
        return f"{where}: {self.label}" + (f".{key}" if key else "")


@dataclass(frozen=True)
class Intervention:
    """One ``[[interventions]]`` table: a driver path, a clamp or an event on ``target``.

    Only the keys of its ``kind`` are given (see :data:`KINDS`); the others stay
    ``None``. Levels (``value``, ``set``) and ``multiply`` may be arrays with one
    entry per run of a batch.
    """

    kind: str
    target: str
    value: Any = None
    at: float | None = None
    start: float | None = None
    end: float | None = None
    duration: float | None = None
    every: float | None = None
    times: tuple[float, ...] | None = None
    values: tuple[float, ...] | None = None
    multiply: Any = None
    set: Any = None
    note: str = ""
    origin: Origin | None = field(default=None, compare=False, repr=False)

    def given(self) -> list[str]:
        """The keys this intervention gives besides kind, target and note."""
        return [key for key in KEYS if getattr(self, key) is not None]

    def window(self) -> tuple[float, float] | None:
        """``[start, end)`` months over which the target is held; ``None`` for an event."""
        k = self.kind
        if k == "set":
            return (-INF, INF)
        if k in ("step", "pulse"):
            return (self.at, self.at + self.duration if k == "pulse" else INF)
        if k == "ramp":
            return (self.start, INF)
        if k == "table":
            return (self.times[0], INF)
        if k == "clamp":
            return (-INF if self.start is None else self.start, INF if self.end is None else self.end)
        return None

    def describe(self) -> str:
        """One line in words, e.g. ``hold funding at 0.6 from month 12``."""
        x, v = self.target, _show(self.value)
        if self.kind == "event":
            change = (
                f"multiply {x} by {_show(self.multiply)}"
                if self.set is None
                else f"set {x} to {_show(self.set)}"
            )
            if self.every is None:
                return f"{change} at month {self.at:g}"
            first = f" from month {self.start:g}" if self.start is not None else ""
            until = f" until month {self.end:g}" if self.end is not None else ""
            return f"{change} every {self.every:g} months{first}{until}"
        start, end = self.window()
        if self.kind == "ramp":
            return (
                f"move {x} in a line to {v} from month {self.start:g} to month {self.end:g}, then hold"
            )
        if self.kind == "table":
            points = ", ".join(f"{t:g}: {y:g}" for t, y in zip(self.times, self.values, strict=True))
            return f"hold {x} on the table (month: level) {points}"
        return f"hold {x} at {v} {_span(start, end)}"


@dataclass(frozen=True)
class LinkChange:
    """One ``[[links]]`` table: a new weight for ``cause -> effect``, or a new link (``add``)."""

    cause: str
    effect: str
    weight: Any
    add: bool = False
    delay: float = 0.0
    note: str = ""
    origin: Origin | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        verb = "add the link" if self.add else "set the weight of"
        delay = f" (delay {self.delay:g} months)" if self.delay else ""
        return f"{verb} {self.cause} -> {self.effect}: {_show(self.weight)}{delay}"


@dataclass(frozen=True)
class FactorChange:
    """One ``[factors.<id>]`` table: a new initial level and/or adjustment time ``tau``."""

    factor: str
    initial: Any = None
    tau: Any = None
    note: str = ""
    origin: Origin | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        parts = [
            f"{k} {_show(getattr(self, k))}" for k in ("initial", "tau") if getattr(self, k) is not None
        ]
        return f"start {self.factor} with " + ", ".join(parts)


@dataclass(frozen=True)
class Scenario:
    """A named "what if": interventions, link changes and factor changes.

    Building one checks everything that does not depend on a model and raises
    :class:`~gmsim.errors.ScenarioError` listing every problem;
    :meth:`interventions` checks the rest against a model and its horizon.

    Parameters
    ----------
    name, description : str
        The scenario's name and what it represents (cite the paper's section).
    actions : tuple of Intervention
        The ``[[interventions]]`` of the file.
    links : tuple of LinkChange
    factors : tuple of FactorChange
    path : str or None
        The file it was read from.

    Examples
    --------
    >>> import gmsim
    >>> from gmsim.scenario import Intervention, Scenario
    >>> s = Scenario("early-training", actions=(Intervention("step", "training", at=3, value=0.7),))
    >>> result = gmsim.simulate(gmsim.load_model(), scenario=s, stop=12)
    >>> float(result.at(6)["training"])
    0.7
    """

    name: str
    description: str = ""
    actions: tuple[Intervention, ...] = ()
    links: tuple[LinkChange, ...] = ()
    factors: tuple[FactorChange, ...] = ()
    path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("actions", "links", "factors"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _raise(check_scenario(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str | None = None) -> Scenario:
        """A scenario from data laid out as a scenario file (what ``tomllib`` gives).

        Examples
        --------
        >>> s = Scenario.from_dict({
        ...     "scenario": {"name": "hire"},
        ...     "interventions": [{"kind": "set", "target": "human_resources", "value": 0.8}],
        ... })
        >>> s.actions[0].describe()
        'hold human_resources at 0.8 for the whole run'
        """
        return _build(dict(data), name=name, path=None, text=None, stack=())

    def interventions(self, model: Model) -> Interventions:
        """The scenario in the engine's terms, checked against ``model`` and its horizon.

        Raises
        ------
        ScenarioError
            Listing every problem: unknown factors or links (with a suggestion),
            times outside ``model.simulation``'s horizon, a composite as target.
        """
        sim = model.simulation
        scenario = self if isinstance(model, Model) else _in_system_spelling(self, model)
        _raise(check_against(scenario, model, sim.start, sim.stop))
        return _compile(scenario, model, sim.start, sim.stop)

    def describe(self) -> list[str]:
        """Each intervention and change, one line each in words."""
        return [item.describe() for item in (*self.actions, *self.links, *self.factors)]


def combine(*scenarios: Scenario, name: str, description: str = "") -> Scenario:
    """One scenario doing what all of ``scenarios`` do (a policy package).

    Examples
    --------
    >>> import gmsim
    >>> from gmsim.scenario import combine
    >>> package = combine(*map(gmsim.load_scenario, ["full-time-posts", "training-program"]), name="team")
    >>> len(package.actions)
    2
    """
    return Scenario(
        name=name,
        description=description,
        actions=tuple(a for s in scenarios for a in s.actions),
        links=tuple(c for s in scenarios for c in s.links),
        factors=tuple(c for s in scenarios for c in s.factors),
    )


# -- checks that need no model ----------------------------------------------------------------
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


def _level(x: Any) -> bool:
    return _finite(x) and bool(
        np.all((np.asarray(x, dtype=float) >= 0) & (np.asarray(x, dtype=float) <= 1))
    )


def _time(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _show(x: Any) -> str:
    return f"{x:g}" if isinstance(x, int | float) else "per-run values"


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
        if not _finite(c.weight) or not np.all(np.abs(np.asarray(c.weight, dtype=float)) <= 1):
            out.append(
                f"{_where(scenario, c, 'links', i, 'weight')}: must be in [-1, 1], got {c.weight!r}"
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
        if c.tau is not None and not (_finite(c.tau) and np.all(np.asarray(c.tau, dtype=float) > 0)):
            out.append(f"{_where(scenario, c, 'factors', i, 'tau')}: must be > 0 months, got {c.tau!r}")
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
                    f"{_span(*window)}, while interventions[{j + 1}] ({scenario.actions[j].kind}) holds it "
                    f"{_span(start, end)}; one factor can be held by one intervention at a time "
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
                    f"{_span(start, end)}, so it would have no effect; move it outside that window"
                )
    return out


def _span(start: float, end: float) -> str:
    if start == -INF:
        return "for the whole run" if end == INF else f"until month {end:g}"
    return f"from month {start:g}" + ("" if end == INF else f" to month {end:g}")


# -- checks against a model -------------------------------------------------------------------
def check_against(scenario: Scenario, model: Any, start: float, stop: float) -> list[str]:
    """Problems of a scenario on ``model`` over the horizon ``[start, stop]``, one message each.

    On a factor model (:class:`~gmsim.factor.model.Model`) targets are factors and
    levels lie in [0, 1]; on any other model (an imported stock-and-flow model)
    targets are the variables of its compiled system, events move its stocks,
    and ``[[links]]`` and ``tau`` have no meaning.
    """
    check = _check_on_factors if isinstance(model, Model) else _check_on_system
    return check(scenario, model, start, stop)


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
                out.append(f"{where}: must be {what} in [0, 1], got {_listed(levels)}")

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
            out.append(f"{where}: must be a level in [0, 1], got {_listed(c.initial)}")
    return out


def _listed(x: Any) -> str:
    return repr(list(x)) if isinstance(x, tuple) else repr(x)


_SEPARATORS = re.compile(r"[\s_]+")


def _same_name(name: str) -> str:
    """XMILE's identity of a name: case-insensitive, runs of spaces and ``_`` alike."""
    return _SEPARATORS.sub("_", name).strip("_").casefold()


def _in_system_spelling(scenario: Scenario, model: Any) -> Scenario:
    """Targets written as ``Stock A`` or ``stock_a`` name the system's ``Stock_A``: XMILE names
    are case-insensitive and read spaces as underscores, so a scenario may spell them either way."""
    system = model.compile()
    spelling = {_same_name(n): n for n in (*system.variable_names, *system.state_names)}

    def own(name: str) -> str:
        return spelling.get(_same_name(name), name)

    actions = tuple(dataclasses.replace(a, target=own(a.target)) for a in scenario.actions)
    factors = tuple(dataclasses.replace(c, factor=own(c.factor)) for c in scenario.factors)
    return dataclasses.replace(scenario, actions=actions, factors=factors)


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


# -- in the engine's terms --------------------------------------------------------------------
def _compile(scenario: Scenario, model: Any, start: float, stop: float) -> Interventions:
    overrides: dict[str, Any] = {}
    added = []
    for c in scenario.links:
        if c.add:
            link = Link(
                c.cause, c.effect, weight=c.weight, delay=c.delay, source=f"scenario {scenario.name}"
            )
            added.append(link)
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
    first = a.start if a.start is not None else start + a.every
    last = min(stop, a.end if a.end is not None else INF)
    n = max(0, math.ceil((last - first) / a.every - 1e-9))
    return [float(first + k * a.every) for k in range(n)]


def _raise(problems: list[str]) -> None:
    if problems:
        raise ScenarioError("\n".join(problems))


# -- files and the library --------------------------------------------------------------------
def _is_num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _num_list(x: Any) -> bool:
    return isinstance(x, list) and all(_is_num(v) for v in x)


def _str_list(x: Any) -> bool:
    return isinstance(x, list) and all(isinstance(v, str) for v in x)


def _is(kind: type):
    return lambda x: isinstance(x, kind) and not (kind is not bool and isinstance(x, bool))


_NUM = (_is_num, "number", False)
TOP = {
    "scenario": (_is(dict), "table [scenario]", False),
    "interventions": (_is(list), "array of tables [[interventions]]", False),
    "links": (_is(list), "array of tables [[links]]", False),
    "factors": (_is(dict), "table of [factors.<id>] tables", False),
}
SCENARIO = {
    "name": (_is(str), "string", False),
    "description": (_is(str), "string", False),
    "include": (_str_list, "list of scenario names or paths", False),
}
INTERVENTION = {
    "kind": (_is(str), "string", False),  # missing kind or target: reported by check_scenario
    "target": (_is(str), "string (a factor id)", False),
    **{k: _NUM for k in KEYS if k not in ("times", "values")},
    "times": (_num_list, "list of months", False),
    "values": (_num_list, "list of levels", False),
    "note": (_is(str), "string", False),
}
LINK = {
    "from": (_is(str), "string (a factor id)", True),
    "to": (_is(str), "string (a factor id)", True),
    "weight": (_is_num, "number in [-1, 1]", True),
    "add": (_is(bool), "true or false", False),
    "delay": _NUM,
    "note": (_is(str), "string", False),
}
FACTOR = {"initial": _NUM, "tau": _NUM, "note": (_is(str), "string", False)}


def _origin(path: str | None, text: str | None, label: str, key: tuple, table: Mapping) -> Origin | None:
    if path is None or text is None:
        return None
    lines = tuple((k, line) for k in table if (line := locate(text, (*key, k))) is not None)
    return Origin(path=path, label=label, line=locate(text, key), lines=lines)


def _tables(data: dict, section: str, want: type) -> Iterable[tuple[Any, Any]]:
    """(index or id, table) of a section of the right type; a wrong type is reported by TOP."""
    value = data.get(section)
    if not isinstance(value, want):
        return []
    return enumerate(value) if want is list else value.items()


def _number(v: Any) -> Any:
    return tuple(float(x) for x in v) if isinstance(v, list) else float(v) if _is_num(v) else v


def _build(
    data: dict, *, name: str | None, path: str | None, text: str | None, stack: tuple
) -> Scenario:
    """A Scenario from parsed file data; problems of types and names are reported with their lines."""
    problems = check_keys(data, TOP, ())
    meta = data["scenario"] if isinstance(data.get("scenario"), dict) else {}
    problems += check_keys(meta, SCENARIO, ("scenario",))
    parts: dict[str, list] = {"interventions": [], "links": [], "factors": []}
    for section, want, spec in (
        ("interventions", list, INTERVENTION),
        ("links", list, LINK),
        ("factors", dict, FACTOR),
    ):
        for i, t in _tables(data, section, want):
            key = (section, i)
            if not isinstance(t, dict):
                problems.append(Problem(key, f"expected a table, got {t!r}"))
                continue
            found = check_keys(t, spec, key)
            problems += found
            if found:
                continue
            label = f"factors.{i}" if section == "factors" else f"{section}[{i + 1}]"
            origin = _origin(path, text, label, key, t)
            given = {k: _number(v) for k, v in t.items()}
            if section == "interventions":
                parts[section].append(
                    Intervention(**{"kind": "", "target": "", **given, "origin": origin})
                )
            elif section == "links":
                cause, effect = given.pop("from"), given.pop("to")
                parts[section].append(LinkChange(cause, effect, **given, origin=origin))
            else:
                parts[section].append(FactorChange(i, **given, origin=origin))
    included = []
    for i, ref in enumerate(meta.get("include", []) if _str_list(meta.get("include")) else []):
        try:
            included.append(_load(ref, base=Path(path).parent if path else None, stack=stack))
        except ScenarioError as exc:
            problems.append(Problem(("scenario", "include"), f"include[{i + 1}] '{ref}': {exc}"))
    if problems:
        raise ScenarioError("\n".join(_at(path, text, p) for p in problems))
    return Scenario(
        name=meta.get("name") or name or "scenario",
        description=meta.get("description", ""),
        actions=(*(a for s in included for a in s.actions), *parts["interventions"]),
        links=(*(c for s in included for c in s.links), *parts["links"]),
        factors=(*(c for s in included for c in s.factors), *parts["factors"]),
        path=path,
    )


def _at(path: str | None, text: str | None, problem: Problem) -> str:
    line = locate(text, problem.key) if text is not None else None
    where = f"{path}:{line}" if path and line else (path or "scenario data")
    return f"{where}: {problem}"


def _library() -> dict[str, Any]:
    """Library scenarios by name (their file names without ``.toml``)."""
    files = resources.files(LIBRARY).iterdir()
    return {f.name[: -len(".toml")]: f for f in files if f.name.endswith(".toml")}


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with gmsim: ``baseline`` first, then A to Z.

    Examples
    --------
    >>> import gmsim
    >>> names = gmsim.list_scenarios()
    >>> names[0], "rotation-3m" in names
    ('baseline', True)
    """
    return sorted(_library(), key=lambda n: (n != "baseline", n))


def _looks_like_path(ref: str) -> bool:
    return ref.endswith(".toml") or os.sep in ref or "/" in ref or Path(ref).is_file()


def _load(ref: str | os.PathLike, *, base: Path | None, stack: tuple) -> Scenario:
    if isinstance(ref, str) and not _looks_like_path(ref):
        library = _library()
        if ref not in library:
            raise ScenarioError(
                f"unknown scenario '{ref}'{did_you_mean(ref, library)}; the library has "
                f"{', '.join(list_scenarios())}; or give the path of a .toml scenario file"
            )
        path = Path(str(library[ref]))
    else:
        path = Path(ref)
        if base is not None and not path.is_absolute():
            path = base / path
    key = str(path.resolve())
    if key in stack:
        raise ScenarioError(
            f"{path}: includes itself (through {' -> '.join(Path(s).stem for s in (*stack, key))})"
        )
    try:
        data, text = read_toml(path)
    except ModelError as exc:
        raise ScenarioError(f"{exc}; or name a scenario of the library (`gmsim scenarios`)") from None
    return _build(data, name=path.stem, path=str(path), text=text, stack=(*stack, key))


def load_scenario(name_or_path: str | os.PathLike | Scenario) -> Scenario:
    """A scenario of the library by name, or a scenario file by path.

    A string ending in ``.toml`` or holding a ``/`` is a path; otherwise it
    names a scenario of the library (:func:`list_scenarios`).

    Raises
    ------
    ScenarioError
        For an unknown name (the library's names are listed), a missing file,
        or every problem of the file with its line.

    Examples
    --------
    >>> import gmsim
    >>> gmsim.load_scenario("rotation-3m").actions[1].every
    3.0
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    return _load(name_or_path, base=None, stack=())
