"""The scenario file: what its tables may hold, and its items read with the lines they are on.

:func:`parse` reads the data of one file (what ``tomllib`` gives) into
interventions, link changes and factor changes, each with its
:class:`~gmsim.scenario.types.Origin`; problems of types and keys are
collected, not raised, so that one message can list them all.
:func:`gmsim.scenario.load_scenario` adds the included scenarios.

Examples
--------
>>> parsed = parse({"interventions": [{"kind": "set", "target": "funding", "value": 2}]})
>>> parsed.actions[0].value, parsed.problems
(2.0, [])
>>> [str(p) for p in parse({"links": [{"from": "a", "weight": "x"}]}).problems]
["links[1].weight: expected a number in [-1, 1], got 'x'", 'links[1].to: missing required key (string (a factor id))']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gmsim.errors import Problem, ScenarioError
from gmsim.factor.ranges import interval
from gmsim.files.reading import read_text
from gmsim.files.toml import (
    array,
    boolean,
    check_keys,
    locate,
    located,
    number,
    numbers,
    string,
    strings,
    table,
)
from gmsim.scenario.types import KEYS, FactorChange, Intervention, LinkChange, Origin

__all__ = ["FACTOR", "INTERVENTION", "LINK", "SCENARIO", "TOP", "Parsed", "message", "parse"]

_NUM = (number, "number", False)
TOP = {
    "scenario": (table, "table [scenario]", False),
    "interventions": (array, "array of tables [[interventions]]", False),
    "links": (array, "array of tables [[links]]", False),
    "factors": (table, "table of [factors.<id>] tables", False),
}
SCENARIO = {
    "name": (string, "string", False),
    "description": (string, "string", False),
    "include": (strings, "list of scenario names or paths", False),
}
INTERVENTION = {
    "kind": (string, "string", False),  # missing kind or target: reported by check_scenario
    "target": (string, "string (a factor id)", False),
    **{k: _NUM for k in KEYS if k not in ("times", "values")},
    "times": (numbers, "list of months", False),
    "values": (numbers, "list of levels", False),
    "file": (string, "string (a CSV file, time first)", False),
    "column": (string, "string (a column of `file`)", False),
    "note": (string, "string", False),
}
LINK = {
    "from": (string, "string (a factor id)", True),
    "to": (string, "string (a factor id)", True),
    "weight": (number, f"number in {interval('weight')}", True),
    "add": (boolean, "true or false", False),
    "delay": _NUM,
    "start": _NUM,
    "end": _NUM,
    "note": (string, "string", False),
}
FACTOR = {"initial": _NUM, "tau": _NUM, "note": (string, "string", False)}


@dataclass(frozen=True)
class Parsed:
    """What one scenario file says, before its includes are read: its items and its problems."""

    name: str | None = None
    description: str = ""
    include: tuple[str, ...] = ()
    actions: tuple[Intervention, ...] = ()
    links: tuple[LinkChange, ...] = ()
    factors: tuple[FactorChange, ...] = ()
    problems: list[Problem] = field(default_factory=list)


def parse(data: Mapping[str, Any], *, path: str | None = None, text: str | None = None) -> Parsed:
    """The items of a scenario file's data; problems of types and keys are listed, not raised."""
    problems = check_keys(data, TOP, ())
    meta = data["scenario"] if isinstance(data.get("scenario"), dict) else {}
    problems += check_keys(meta, SCENARIO, ("scenario",))
    parts: dict[str, list] = {"interventions": [], "links": [], "factors": []}
    for section, want, keys in (
        ("interventions", list, INTERVENTION),
        ("links", list, LINK),
        ("factors", dict, FACTOR),
    ):
        for i, t in _tables(data, section, want):
            key = (section, i)
            if not isinstance(t, dict):
                problems.append(Problem(key, f"expected a table, got {t!r}"))
                continue
            found = check_keys(t, keys, key)
            problems += found
            if found:
                continue
            label = f"factors.{i}" if section == "factors" else f"{section}[{i + 1}]"
            origin = _origin(path, text, label, key, t)
            given = {k: _number(v) for k, v in t.items()}
            if section == "interventions" and ("file" in given or "column" in given):
                found = _table_file(given, key, path)
                problems += found
                if found:
                    continue
            if section == "interventions":
                parts[section].append(
                    Intervention(**{"kind": "", "target": "", **given, "origin": origin})
                )
            elif section == "links":
                cause, effect = given.pop("from"), given.pop("to")
                parts[section].append(LinkChange(cause, effect, **given, origin=origin))
            else:
                parts[section].append(FactorChange(i, **given, origin=origin))
    include = meta.get("include", []) if strings(meta.get("include")) else []
    return Parsed(
        name=meta.get("name") or None,
        description=meta.get("description", ""),
        include=tuple(include),
        actions=tuple(parts["interventions"]),
        links=tuple(parts["links"]),
        factors=tuple(parts["factors"]),
        problems=problems,
    )


def message(problem: Problem, path: str | None, text: str | None) -> str:
    """``file:line: key: message`` for a problem of a file; ``scenario data: ...`` for data."""
    return str(located(problem, path, text)) if path else f"scenario data: {problem}"


def _origin(path: str | None, text: str | None, label: str, key: tuple, t: Mapping) -> Origin | None:
    if path is None or text is None:
        return None
    lines = tuple((k, line) for k in t if (line := locate(text, (*key, k))) is not None)
    return Origin(path=path, label=label, line=locate(text, key), lines=lines)


def _tables(data: Mapping, section: str, want: type) -> Iterable[tuple[Any, Any]]:
    """(index or id, table) of a section of the right type; a wrong type is reported by TOP."""
    value = data.get(section)
    if not isinstance(value, want):
        return []
    return enumerate(value) if want is list else value.items()


def _number(v: Any) -> Any:
    return tuple(float(x) for x in v) if isinstance(v, list) else float(v) if number(v) else v


def _table_file(given: dict[str, Any], key: tuple, path: str | None) -> list[Problem]:
    """A ``table`` read from ``file`` (relative to the scenario file; time first) and ``column``."""
    import csv
    import math
    from pathlib import Path

    if "file" not in given or "column" not in given:
        missing = "column" if "file" in given else "file"
        return [Problem((*key, missing), "a table read from a file needs both `file` and `column`")]
    if "times" in given or "values" in given:
        return [
            Problem((*key, "file"), "give either `file` and `column` or `times` and `values`, not both")
        ]
    name, column = given.pop("file"), given.pop("column")
    target = Path(name) if path is None or Path(name).is_absolute() else Path(path).parent / name
    try:
        text = read_text(target, encoding="utf-8-sig", what="CSV file", error=ScenarioError)
        rows = [r for r in csv.reader(text.splitlines()) if r]
    except ScenarioError as exc:
        return [Problem((*key, "file"), str(exc))]
    except (OSError, UnicodeDecodeError):
        return [
            Problem(
                (*key, "file"),
                f"cannot read {str(target)!r}; check the path (relative to the scenario file)",
            )
        ]
    header = [c.strip() for c in rows[0]] if rows else []
    if column not in header[1:]:
        from gmsim.errors import did_you_mean

        return [
            Problem(
                (*key, "column"),
                f"{name} has no column {column!r}{did_you_mean(column, header[1:])}; "
                f"its columns are {', '.join(header[1:]) or 'none'} (the first is the time)",
            )
        ]
    j = header.index(column)
    times, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        cell = row[j].strip() if j < len(row) else ""
        if not cell:
            continue
        try:
            t, v = float(row[0]), float(cell)
        except ValueError:
            return [
                Problem((*key, "file"), f"{name}:{line}: expected numbers, got {row[0]!r} and {cell!r}")
            ]
        if not (math.isfinite(t) and math.isfinite(v)):
            return [Problem((*key, "file"), f"{name}:{line}: expected finite numbers")]
        times.append(t)
        values.append(v)
    given["times"], given["values"] = tuple(times), tuple(values)
    return []
