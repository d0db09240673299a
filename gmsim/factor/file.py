"""Read model files (TOML, or XMILE by extension) into :class:`~gmsim.factor.model.Model` objects.

Every problem of a file is collected, each with the file name and the line it
is on, and raised together as one :class:`~gmsim.errors.ModelError`. The
format is documented in the README ("Model file reference") and in
``models/gov_microblog.toml``, which is commented throughout.

Examples
--------
>>> import gmsim
>>> model = gmsim.load_model()
>>> model.name
'Government microblog effectiveness (Zheng 2012)'
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from gmsim.errors import ModelError, did_you_mean
from gmsim.factor.model import Dynamics, Factor, Link, Model, Problem, Simulation, format_key

__all__ = ["DEFAULT_MODEL", "default_model_path", "load_model", "locate", "read_toml"]

DEFAULT_MODEL = "gov_microblog.toml"
XMILE_SUFFIXES = (".xmile", ".stmx", ".itmx", ".xml")

# key -> (type check, type name, required)
_Spec = dict[str, tuple[Callable[[Any], bool], str, bool]]


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _str(x: Any) -> bool:
    return isinstance(x, str)


def _bool(x: Any) -> bool:
    return isinstance(x, bool)


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _table(x: Any) -> bool:
    return isinstance(x, dict)


TOP: _Spec = {
    "model": (_table, "table", True),
    "simulation": (_table, "table", False),
    "dynamics": (_table, "table", False),
    "factors": (_table, "table", True),
    "links": (lambda x: isinstance(x, list), "array of tables [[links]]", False),
}
MODEL: _Spec = {
    "name": (_str, "string", True),
    "time_unit": (_str, "string", False),
    "source": (_str, "string", False),
    "description": (_str, "string", False),
}
SIMULATION: _Spec = {
    "start": (_num, "number", False),
    "stop": (_num, "number", False),
    "dt": (_num, "number", False),
    "method": (_str, "string", False),
}
DYNAMICS: _Spec = {
    "steepness": (_num, "number", False),
    "equilibrium": (_bool, "true or false", False),
}
FACTOR: _Spec = {
    "label": (_str, "string", False),
    "group": (_str, "string", True),
    "kind": (_str, "string", False),
    "initial": (_num, "number", False),
    "tau": (_num, "number", False),
    "of": (_table, "table such as { a = 1, b = 1 }", False),
    "bias": (_num, "number", False),
    "source": (_str, "string", False),
    "note": (_str, "string", False),
}
LINK: _Spec = {
    "from": (_str, "string", True),
    "to": (_str, "string", True),
    "weight": (_num, "number", True),
    "delay": (_num, "number", False),
    "order": (_int, "whole number", False),
    "source": (_str, "string", False),
    "quote": (_str, "string", False),
}
REQUIRED_BY_KIND = {"endogenous": ("initial", "tau"), "exogenous": ("initial",), "composite": ("of",)}
NOT_FOR_KIND = {
    "exogenous": ("tau", "of", "bias"),
    "composite": ("initial", "tau", "bias"),
    "endogenous": ("of",),
}


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def default_model_path() -> Path:
    """Path of the default model shipped with gmsim (works after a plain install)."""
    return Path(str(resources.files("gmsim.models").joinpath(DEFAULT_MODEL)))


def read_toml(path: str | os.PathLike) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; errors name the file and line. Returns ``(data, text)``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a folder, expected a .toml file") from None
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if at:
            message = message[: at.start()].strip() + f" (column {at.group(2)})"
            raise ModelError(
                f"{path}:{at.group(1)}: TOML syntax error: {message}; check quotes, brackets and '='"
            ) from None
        raise ModelError(f"{path}: TOML syntax error: {message}") from None


def load_model(path: str | os.PathLike | None = None) -> Model:
    """Load a model file; ``None`` loads the default model of the paper.

    Files ending in ``.xmile``, ``.stmx``, ``.itmx`` or ``.xml`` are read as XMILE.

    Raises
    ------
    ModelError
        Listing every problem of the file, each with its line.

    Examples
    --------
    >>> import gmsim
    >>> len(gmsim.load_model().factors) >= 34
    True
    """
    path = default_model_path() if path is None else Path(path)
    if path.suffix.lower() in XMILE_SUFFIXES:
        from gmsim.xmile import load_xmile

        return load_xmile(path)
    data, text = read_toml(path)
    problems = check_structure(data)
    if problems:
        problems += _semantic_problems_of_the_rest(data, problems)
        raise ModelError([_where(path, text, p) for p in problems])
    try:
        return build_model(data, path=str(path))
    except ModelError as exc:
        raise ModelError([_where(path, text, p) for p in exc.problems_found]) from None


def _semantic_problems_of_the_rest(data: dict[str, Any], found: list[Problem]) -> list[Problem]:
    """Semantic problems of the parts of a file that are structurally sound.

    So that one `gmsim validate` lists a range error next to a typo. Factors and
    links with structural problems are left out, and so is anything that would
    only repeat them (a link to a left-out factor).
    """
    if any(len(p.key) < 2 or p.key[0] not in ("factors", "links") for p in found):
        return []  # [model], [simulation] or the top level are broken: nothing sound to check
    bad_factors = {p.key[1] for p in found if p.key[0] == "factors"}
    bad_links = {p.key[1] for p in found if p.key[0] == "links"}
    all_links = data.get("links", [])
    kept = [i for i in range(len(all_links)) if i not in bad_links]
    rest = {
        **data,
        "factors": {k: v for k, v in data["factors"].items() if k not in bad_factors},
        "links": [all_links[i] for i in kept],
    }
    try:
        build_model(rest)
    except ModelError as exc:
        out = []
        for p in exc.problems_found:
            if p.key[:1] == ("links",) and len(p.key) > 1 and isinstance(p.key[1], int):
                p = Problem(("links", kept[p.key[1]], *p.key[2:]), p.message)
            if not any(f"'{fid}'" in p.message for fid in bad_factors):
                out.append(p)
        return out
    return []


def check_keys(table: dict[str, Any], spec: _Spec, key: tuple[str | int, ...]) -> list[Problem]:
    """Unknown keys (with a suggestion), missing required keys, wrong types."""
    out = []
    for name, value in table.items():
        if name not in spec:
            out.append(
                Problem(
                    (*key, name),
                    f"unknown key{did_you_mean(name, spec)}; expected one of {', '.join(spec)}",
                )
            )
            continue
        check, type_name, _ = spec[name]
        if not check(value):
            out.append(Problem((*key, name), f"expected a {type_name}, got {value!r}"))
        elif _num(value) and not math.isfinite(value):
            out.append(Problem((*key, name), f"expected a finite number, got {value}"))
    for name, (_, type_name, required) in spec.items():
        if required and name not in table:
            out.append(Problem((*key, name) if key else (name,), f"missing required key ({type_name})"))
    return out


def check_structure(data: dict[str, Any]) -> list[Problem]:
    """Problems of a parsed model file that stop a Model being built."""
    problems = check_keys(data, TOP, ())
    for section, spec in (("model", MODEL), ("simulation", SIMULATION), ("dynamics", DYNAMICS)):
        if isinstance(data.get(section), dict):
            problems += check_keys(data[section], spec, (section,))
    factors = data.get("factors")
    if isinstance(factors, dict):
        if not factors:
            problems.append(Problem(("factors",), "the model has no factors; add [factors.<id>] tables"))
        for fid, table in factors.items():
            key = ("factors", fid)
            if not isinstance(table, dict):
                problems.append(Problem(key, f"expected a table [factors.{fid}], got {table!r}"))
                continue
            problems += check_keys(table, FACTOR, key)
            kind = table.get("kind", "endogenous")
            for name in REQUIRED_BY_KIND.get(kind, ()):
                if name not in table:
                    problems.append(
                        Problem((*key, name), f"missing required key for {_article(kind)} {kind} factor")
                    )
            for name in NOT_FOR_KIND.get(kind, ()):
                if name in table:
                    problems.append(
                        Problem(
                            (*key, name), f"has no meaning for {_article(kind)} {kind} factor; remove it"
                        )
                    )
            if isinstance(table.get("of"), dict):
                for part, w in table["of"].items():
                    if not _num(w):
                        problems.append(Problem((*key, "of", part), f"expected a number, got {w!r}"))
    links = data.get("links", [])
    if isinstance(links, list):
        for i, table in enumerate(links):
            if not isinstance(table, dict):
                problems.append(Problem(("links", i), "expected a [[links]] table"))
                continue
            problems += check_keys(table, LINK, ("links", i))
    return problems


def build_model(data: dict[str, Any], *, path: str | None = None) -> Model:
    """Build a Model from parsed, structurally valid file data (semantic checks run here)."""
    meta = data["model"]
    factors = tuple(
        Factor(
            id=fid,
            label=t.get("label", ""),
            group=t["group"],
            kind=t.get("kind", "endogenous"),
            initial=float(t.get("initial", 0.5)),
            tau=float(t.get("tau", 1.0)),
            of=tuple(t.get("of", {}).items()),
            bias=t.get("bias"),
            source=t.get("source", ""),
            note=t.get("note", ""),
        )
        for fid, t in data["factors"].items()
    )
    links = tuple(
        Link(
            cause=t["from"],
            effect=t["to"],
            weight=float(t["weight"]),
            delay=float(t.get("delay", 0.0)),
            order=t.get("order", 1),
            source=t.get("source", ""),
            quote=t.get("quote", ""),
        )
        for t in data.get("links", [])
    )
    sim = {k: data.get("simulation", {}).get(k) for k in SIMULATION}
    dyn = {k: data.get("dynamics", {}).get(k) for k in DYNAMICS}
    return Model(
        name=meta["name"],
        factors=factors,
        links=links,
        simulation=Simulation(**{k: v for k, v in sim.items() if v is not None}),
        dynamics=Dynamics(**{k: v for k, v in dyn.items() if v is not None}),
        time_unit=meta.get("time_unit", "month"),
        source=meta.get("source", ""),
        description=meta.get("description", ""),
        path=path,
    )


def _where(path: Path, text: str, problem: Problem) -> str:
    line = locate(text, problem.key)
    at = f"{path}:{line}" if line else str(path)
    return (
        f"{at}: {format_key(problem.key)}: {problem.message}"
        if problem.key
        else f"{at}: {problem.message}"
    )


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def locate(text: str, key: tuple[str | int, ...]) -> int | None:
    """Line number (1-based) where a key path is written in a TOML text, or None.

    Examples
    --------
    >>> text = "[model]\\nname = 'x'\\n[[links]]\\nfrom = 'a'\\n[[links]]\\nweight = 2\\n"
    >>> locate(text, ("links", 1, "weight"))
    6
    >>> locate(text, ("model", "name"))
    2
    """
    if not key:
        return None
    lines = text.splitlines()
    headers = []  # (line index, dotted name, is array)
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m:
            name = ".".join(part.strip().strip("\"'") for part in m.group(1).split("."))
            headers.append((i, name, line.strip().startswith("[[")))
    headers.append((len(lines), "", False))

    def body(start: int) -> range:
        end = next(i for i, _, _ in headers if i > start)
        return range(start + 1, end)

    def find_key(rows: range, name: str) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(str(name))}[\"']?\s*=")
        for i in rows:
            if pattern.match(lines[i]):
                return i + 1
        return None

    first = key[0]
    if len(key) > 1 and isinstance(key[1], int):  # an array of tables: [[links]], [[interventions]]
        starts = [i for i, name, arr in headers if arr and name == first]
        if key[1] >= len(starts):
            return None
        start = starts[key[1]]
        return (find_key(body(start), key[2]) if len(key) > 2 else None) or start + 1
    if first == "factors" and len(key) > 1:
        for i, name, _ in headers:
            if name == f"factors.{key[1]}":
                return (find_key(body(i), key[2]) if len(key) > 2 else None) or i + 1
        return next((i + 1 for i, name, _ in headers if name == "factors"), None)
    for i, name, _ in headers:
        if name == first:
            return (find_key(body(i), key[1]) if len(key) > 1 else None) or i + 1
    return find_key(range(headers[0][0] if headers else len(lines)), first)
