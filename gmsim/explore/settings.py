"""What the explore page's levers say, as plain data, and the scenario they make.

A :class:`Settings` is everything a person has set on the page: the starting
scenario, a :class:`Lever` per exogenous factor they moved, changed link
weights and held factors. :func:`scenario_of` turns it into an ordinary
:class:`~gmsim.scenario.Scenario`, so a run on the page is exactly the run of
``gmsim run --scenario`` on the exported file.

The rule that joins levers and a starting scenario: a lever that is moved
takes over its factor (or link), so the starting scenario's own items on that
factor are left out; every other item of the starting scenario is kept.

Examples
--------
>>> from gmsim.scenario import load_scenario
>>> s = Settings(levers=(Lever("training", change="step", value=0.7, start=6),))
>>> scenario_of(s, load_scenario("baseline")).describe()
['hold training at 0.7 from month 6']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gmsim.errors import GmsimError
from gmsim.scenario import FactorChange, Intervention, LinkChange, Scenario

__all__ = ["CHANGES", "Hold", "Lever", "Settings", "levers_of", "scenario_of"]

CHANGES = ("none", "step", "ramp", "pulse")
"""What a lever can do to its factor over time, besides changing its level."""


@dataclass(frozen=True)
class Lever:
    """One exogenous factor's lever: its level, and a change over time.

    Parameters
    ----------
    factor : str
    level : float or None
        Its level for the whole run (``None``: the model's).
    change : str
        One of :data:`CHANGES`: ``"step"`` to ``value`` at ``start``, ``"ramp"``
        to ``value`` from ``start`` to ``end``, ``"pulse"`` of ``value`` from
        ``start`` to ``end``.
    value, start, end : float
    """

    factor: str
    level: float | None = None
    change: str = "none"
    value: float = 0.5
    start: float = 6.0
    end: float = 12.0

    def __post_init__(self) -> None:
        if self.change not in CHANGES:
            raise GmsimError(f"`change` must be one of {', '.join(CHANGES)}, got {self.change!r}")

    @property
    def moved(self) -> bool:
        """Whether the lever differs from the model (its level, or a change over time)."""
        return self.level is not None or self.change != "none"

    def items(self) -> tuple[list[Intervention], list[FactorChange]]:
        """The scenario items this lever makes."""
        actions, factors = [], []
        if self.level is not None:
            factors.append(FactorChange(self.factor, initial=float(self.level)))
        v, a, b = float(self.value), float(self.start), float(self.end)
        if self.change == "step":
            actions.append(Intervention("step", self.factor, at=a, value=v))
        elif self.change == "ramp":
            actions.append(Intervention("ramp", self.factor, start=a, end=b, value=v))
        elif self.change == "pulse":
            actions.append(Intervention("pulse", self.factor, at=a, duration=b - a, value=v))
        return actions, factors


@dataclass(frozen=True)
class Hold:
    """A factor held at ``value`` from ``start`` (to ``end``; ``None``: the end of the run)."""

    factor: str
    value: float
    start: float | None = None
    end: float | None = None

    def item(self) -> Intervention:
        start = None if self.start is None else float(self.start)
        end = None if self.end is None else float(self.end)
        return Intervention("clamp", self.factor, value=float(self.value), start=start, end=end)


@dataclass(frozen=True)
class Settings:
    """Everything set on the page.

    Parameters
    ----------
    base : str
        The starting scenario's name (``"baseline"``: none).
    levers : tuple of Lever
        Exogenous factors' levers (only moved ones matter).
    weights : mapping of str to float
        New weights by ``"cause->effect"``.
    holds : tuple of Hold
        Factors held by a clamp.
    name : str
        The name the exported scenario gets.
    """

    base: str = "baseline"
    levers: tuple[Lever, ...] = ()
    weights: Mapping[str, float] = field(default_factory=dict)
    holds: tuple[Hold, ...] = ()
    name: str = "explored"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready), as the page keeps it."""
        return dataclasses.asdict(self) | {"weights": dict(self.weights)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """The inverse of :meth:`to_dict`."""
        return cls(
            base=str(data.get("base", "baseline")),
            levers=tuple(Lever(**lever) for lever in data.get("levers", ())),
            weights={str(k): float(v) for k, v in dict(data.get("weights", {})).items()},
            holds=tuple(Hold(**hold) for hold in data.get("holds", ())),
            name=str(data.get("name") or "explored"),
        )

    def taken(self) -> set[str]:
        """Factors whose items the levers and holds take over from the starting scenario."""
        return {lv.factor for lv in self.levers if lv.moved} | {h.factor for h in self.holds}


def scenario_of(settings: Settings, base: Scenario, description: str = "") -> Scenario:
    """The scenario the page runs: ``base`` with the levers' items in place of its own on their factors.

    Raises
    ------
    ScenarioError
        Where the items conflict (the page shows the message).
    """
    taken = settings.taken()
    actions = [a for a in base.actions if a.target not in taken]
    levered = {lv.factor for lv in settings.levers if lv.moved}
    factors = [c for c in base.factors if c.factor not in levered]
    links = [c for c in base.links if c.add or f"{c.cause}->{c.effect}" not in settings.weights]
    for lever in settings.levers:
        extra_actions, extra_factors = lever.items()
        actions += extra_actions
        factors += extra_factors
    actions += [hold.item() for hold in settings.holds]
    for name, weight in settings.weights.items():
        cause, _, effect = name.partition("->")
        added = next((c for c in base.links if c.add and (c.cause, c.effect) == (cause, effect)), None)
        if added is not None:  # an added link of the starting scenario: its weight changes
            links = [c for c in links if c is not added]
            links.append(dataclasses.replace(added, weight=float(weight), origin=None))
        else:
            links.append(LinkChange(cause, effect, float(weight)))
    text = description or _description(settings, base)
    return Scenario(
        name=settings.name or "explored",
        description=text,
        actions=tuple(dataclasses.replace(a, origin=None) for a in actions),
        links=tuple(dataclasses.replace(c, origin=None) for c in links),
        factors=tuple(dataclasses.replace(c, origin=None) for c in factors),
    )


def _description(settings: Settings, base: Scenario) -> str:
    start = f"starting from '{base.name}'" if base.name != "baseline" else "starting from the baseline"
    return f"Set on the gmsim explore page, {start}."


def levers_of(base: Scenario, exogenous: set[str]) -> tuple[dict[str, Lever], dict[str, float]]:
    """The levers that show a starting scenario's own items on exogenous factors, and its weights.

    An exogenous factor's ``set``, ``step``, ``ramp``, ``pulse`` (or a clamp of
    that shape) and new level become its lever; other items (events, tables,
    holds of endogenous factors, added links) stay the scenario's and are kept.

    Examples
    --------
    >>> from gmsim.scenario import load_scenario
    >>> levers, weights = levers_of(load_scenario("collaboration-network"), {"collaboration"})
    >>> levers["collaboration"].change, levers["collaboration"].end
    ('ramp', 18.0)
    """
    levers: dict[str, Lever] = {}
    counts: dict[str, int] = {}
    for a in base.actions:
        counts[a.target] = counts.get(a.target, 0) + 1
    for a in base.actions:
        if a.target not in exogenous or counts[a.target] > 1:
            continue
        lever = _lever_of(a)
        if lever is not None:
            levers[a.target] = lever
    for c in base.factors:
        if c.factor not in exogenous or c.initial is None or c.tau is not None:
            continue
        if counts.get(c.factor) and c.factor not in levers:
            continue  # its hold stays the scenario's, and so does its level
        old = levers.get(c.factor, Lever(c.factor))
        if old.level is None:
            levers[c.factor] = dataclasses.replace(old, level=float(c.initial))
    weights = {f"{c.cause}->{c.effect}": float(c.weight) for c in base.links if not c.add}
    return levers, weights


def _lever_of(a: Intervention) -> Lever | None:
    if not isinstance(a.value, int | float):
        return None
    v = float(a.value)
    if a.kind == "set" or (a.kind == "clamp" and a.start is None and a.end is None):
        return Lever(a.target, level=v)
    if a.kind == "step" or (a.kind == "clamp" and a.start is not None and a.end is None):
        return Lever(
            a.target, change="step", value=v, start=float(a.at if a.kind == "step" else a.start)
        )
    if a.kind == "ramp":
        return Lever(a.target, change="ramp", value=v, start=float(a.start), end=float(a.end))
    if a.kind == "pulse":
        return Lever(a.target, change="pulse", value=v, start=float(a.at), end=float(a.at + a.duration))
    if a.kind == "clamp" and a.start is not None and a.end is not None:
        return Lever(a.target, change="pulse", value=v, start=float(a.start), end=float(a.end))
    return None
