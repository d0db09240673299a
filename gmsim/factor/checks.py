"""Checks: the claims that travel with a model (``[[checks]]`` in its file).

A :class:`Check` is plain data: which run (a scenario, inline interventions or
both), against what (another scenario, the run's own start, or a fixed level),
which variable, what is expected and where in time. Scenario names are resolved
and checks are evaluated by the scenario layer; here they are parsed and checked
against the model (factor ids, times inside the horizon).

Examples
--------
>>> c = Check("grows", variable="effectiveness", expect="higher", against="start", at=36.0)
>>> c.against, c.statistic, c.interventions
('start', 'all', ())
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gmsim.errors import Problem, did_you_mean
from gmsim.files import toml
from gmsim.files.toml import Keys, check_keys

__all__ = ["CHECK_KEYS", "EXPECTS", "STATISTICS", "Check", "build_checks", "check_checks"]

EXPECTS = ("lower", "higher", "near", "precedes")
"""What a check may expect of its variable against its reference run."""

STATISTICS = ("all", "min", "max", "mean", "final")
"""How a check reads its variable over a window ``over = [a, b]``."""

CHECK_KEYS: Keys = {
    "name": (toml.string, "string", True),
    "scenario": (toml.string, "string", False),
    "interventions": (toml.array, "array of tables [[checks.interventions]]", False),
    "against": (lambda x: toml.string(x) or toml.number(x), "scenario name or number", False),
    "variable": (toml.string, "string", True),
    "expect": (toml.string, "string", True),
    "by": (toml.number, "number", False),
    "at": (toml.number, "number", False),
    "over": (lambda x: toml.numbers(x) and len(x) == 2, "array of two numbers [a, b]", False),
    "statistic": (toml.string, "string", False),
    "then": (toml.string, "string", False),
    "equilibrium": (toml.boolean, "true or false", False),
    "stop": (toml.number, "number", False),
    "tuned": (toml.boolean, "true or false", False),
    "source": (toml.string, "string", False),
    "quote": (toml.string, "string", False),
}
"""The keys of a ``[[checks]]`` table: key -> (type check, type name, required)."""


@dataclass(frozen=True)
class Check:
    """One claim about the model's behaviour (the keys of a ``[[checks]]`` table).

    ``against`` is a scenario name (default ``"baseline"``), ``"start"`` (the
    same run's value at its start) or a number (a fixed level). ``at`` is one
    time; ``over = (a, b)`` a window read with ``statistic``. ``stop`` is the
    horizon of the check's runs (``None``: the model's); ``interventions`` are
    the raw ``[[checks.interventions]]`` tables (with a ``scenario`` too, they
    are combined). ``tuned`` marks a claim the model's free constants were set
    to meet: it is a regression test of the tuning, not a validation of the
    model. ``line`` is the line of the table in its file.
    """

    name: str
    variable: str
    expect: str
    scenario: str | None = None
    interventions: tuple[Mapping[str, Any], ...] = ()
    against: str | float = "baseline"
    by: float = 0.0
    at: float | None = None
    over: tuple[float, float] | None = None
    statistic: str = "all"
    then: str | None = None
    equilibrium: bool | None = None
    stop: float | None = None
    tuned: bool = False
    source: str = ""
    quote: str = ""
    line: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "interventions", tuple(dict(t) for t in self.interventions))
        if self.over is not None:
            object.__setattr__(self, "over", tuple(float(v) for v in self.over))


def structure_problems(tables: Any) -> list[Problem]:
    """Unknown keys, missing keys and wrong types of the ``[[checks]]`` tables."""
    if not isinstance(tables, list):
        return []
    out = []
    for i, t in enumerate(tables):
        if not isinstance(t, dict):
            out.append(Problem(("checks", i), "expected a [[checks]] table"))
            continue
        out += check_keys(t, CHECK_KEYS, ("checks", i))
        for k, iv in enumerate(
            t.get("interventions", []) if isinstance(t.get("interventions"), list) else []
        ):
            if not isinstance(iv, dict):
                out.append(
                    Problem(
                        ("checks", i, "interventions", k), "expected a [[checks.interventions]] table"
                    )
                )
    return out


def build_checks(
    tables: Sequence[Mapping[str, Any]], lines: Sequence[int | None] = ()
) -> tuple[Check, ...]:
    """Checks from structurally valid ``[[checks]]`` tables (``lines``: each table's line)."""
    out = []
    for i, t in enumerate(tables):
        over = t.get("over")
        out.append(
            Check(
                name=t["name"],
                variable=t["variable"],
                expect=t["expect"],
                scenario=t.get("scenario"),
                interventions=tuple(t.get("interventions", ())),
                against=t.get("against", "baseline"),
                by=float(t.get("by", 0.0)),
                at=None if t.get("at") is None else float(t["at"]),
                over=None if over is None else (float(over[0]), float(over[1])),
                statistic=t.get("statistic", "all"),
                then=t.get("then"),
                equilibrium=t.get("equilibrium"),
                stop=None if t.get("stop") is None else float(t["stop"]),
                tuned=bool(t.get("tuned", False)),
                source=t.get("source", ""),
                quote=t.get("quote", ""),
                line=lines[i] if i < len(lines) else None,
            )
        )
    return tuple(out)


def check_checks(
    checks: Sequence[Check], factor_ids: Sequence[str], start: float, stop: float
) -> list[Problem]:
    """Problems of a model's checks: factor ids, expectations, statistics, times, margins."""
    p: list[Problem] = []
    names: set[str] = set()
    for i, c in enumerate(checks):
        key: tuple[str | int, ...] = ("checks", i)
        if c.name in names:
            p.append(
                Problem((*key, "name"), f"duplicate check name '{c.name}'; give each check its own")
            )
        names.add(c.name)
        for field in ("variable", "then"):
            fid = getattr(c, field)
            if fid is not None and fid not in factor_ids:
                p.append(
                    Problem((*key, field), f"unknown factor '{fid}'{did_you_mean(fid, factor_ids)}")
                )
        if c.expect not in EXPECTS:
            p.append(
                Problem(
                    (*key, "expect"),
                    f"unknown expectation '{c.expect}'{did_you_mean(c.expect, EXPECTS)}; "
                    f"expected one of {', '.join(EXPECTS)}",
                )
            )
        elif c.expect == "precedes" and c.then is None:
            p.append(Problem((*key, "then"), '`expect = "precedes"` needs `then = "<factor>"`'))
        elif c.expect != "precedes" and c.then is not None:
            p.append(Problem((*key, "then"), '`then` belongs to `expect = "precedes"`; remove it'))
        if c.statistic not in STATISTICS:
            p.append(
                Problem(
                    (*key, "statistic"),
                    f"unknown statistic '{c.statistic}'{did_you_mean(c.statistic, STATISTICS)}; "
                    f"expected one of {', '.join(STATISTICS)}",
                )
            )
        if not math.isfinite(c.by) or c.by < 0:
            p.append(Problem((*key, "by"), f"must be a number >= 0, got {c.by!r}"))
        if isinstance(c.against, bool) or not isinstance(c.against, str | int | float):
            p.append(
                Problem((*key, "against"), f"expected a scenario name or a number, got {c.against!r}")
            )
        end = stop if c.stop is None else c.stop
        if c.stop is not None and not start < c.stop:
            p.append(Problem((*key, "stop"), f"must be after the start ({start:g}), got {c.stop:g}"))
        if c.at is not None and c.over is not None:
            p.append(Problem((*key, "over"), "give either `at` or `over`, not both"))
        if c.at is not None and not start <= c.at <= end:
            p.append(Problem((*key, "at"), f"must be inside [{start:g}, {end:g}], got {c.at:g}"))
        if c.over is not None:
            a, b = c.over
            if not start <= a < b <= end:
                p.append(
                    Problem(
                        (*key, "over"),
                        f"must be [a, b] with {start:g} <= a < b <= {end:g}, got [{a:g}, {b:g}]",
                    )
                )
    return p
