"""The items of a scenario: interventions, link changes, factor changes, and where each was written.

A :class:`~gmsim.scenario.scenario.Scenario` is made of these frozen records;
:data:`KINDS` says which keys each kind of intervention takes.

Examples
--------
>>> from gmsim.scenario.types import Intervention
>>> a = Intervention("pulse", "funding", at=6, duration=3, value=0.9)
>>> a.given(), a.window()
(['value', 'at', 'duration'], (6, 9))
>>> a.describe()
'hold funding at 0.9 from month 6 to month 9'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["INF", "KEYS", "KINDS", "FactorChange", "Intervention", "LinkChange", "Origin", "span"]

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
"""Open ends of a window (``-INF`` to ``INF``: the whole run)."""


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
        return f"hold {x} at {v} {span(start, end)}"


@dataclass(frozen=True)
class LinkChange:
    """One ``[[links]]`` table: a new weight for ``cause -> effect``, or a new link (``add``).

    ``start`` and ``end`` (months, optional) limit a changed weight to
    ``[start, end)``; outside it the link keeps the model's weight.

    Examples
    --------
    >>> LinkChange("funding", "training", 0.2, start=12, end=24).describe()
    'set the weight of funding -> training: 0.2 from month 12 to month 24'
    """

    cause: str
    effect: str
    weight: Any
    add: bool = False
    delay: float = 0.0
    start: float | None = None
    end: float | None = None
    note: str = ""
    origin: Origin | None = field(default=None, compare=False, repr=False)

    def window(self) -> tuple[float, float] | None:
        """``[start, end)`` months over which the weight is changed; ``None`` for the whole run."""
        if self.start is None and self.end is None:
            return None
        return (-INF if self.start is None else self.start, INF if self.end is None else self.end)

    def describe(self) -> str:
        verb = "add the link" if self.add else "set the weight of"
        delay = f" (delay {self.delay:g} months)" if self.delay else ""
        window = self.window()
        when = f" {span(*window)}" if window else ""
        return f"{verb} {self.cause} -> {self.effect}: {_show(self.weight)}{delay}{when}"


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


def _show(x: Any) -> str:
    return f"{x:g}" if isinstance(x, int | float) else "per-run values"


def span(start: float, end: float) -> str:
    """A window of months in words: ``from month 3 to month 9``, ``for the whole run``."""
    if start == -INF:
        return "for the whole run" if end == INF else f"until month {end:g}"
    return f"from month {start:g}" + ("" if end == INF else f" to month {end:g}")
