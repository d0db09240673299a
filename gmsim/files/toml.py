"""The TOML kit every file of gmsim is read with: model, scenario and uncertainty spec files.

- :func:`read_toml` parses a file; a syntax error names the file and line.
- :func:`check_keys` checks one table against a :data:`Keys` table (type,
  whether required); an unknown key gets a suggestion.
- :func:`locate` finds the line a key path is written on, and :func:`located`
  puts that line on a :class:`~gmsim.errors.Problem`, so every file reports
  ``file:line: key: message`` the same way.
- :class:`Library` finds a file shipped with gmsim (``models/``, installed as
  ``gmsim.models``) by name, or takes a path.

The type predicates (:func:`number`, :func:`string`, ...) tell TOML values apart
as a user reads them: ``true`` is not a number, ``1.0`` is not a whole number.

Examples
--------
>>> text = "[model]\\nname = 'x'\\n[[links]]\\nfrom = 'a'\\n[[links]]\\nweight = 2\\n"
>>> keys = {"from": (string, "string", True), "weight": (number, "number", False)}
>>> [str(located(p, "m.toml", text)) for p in check_keys({"weight": 2}, keys, ("links", 1))]
['m.toml:5: links[2].from: missing required key (string)']
>>> SCENARIOS = Library("gmsim.models.scenarios")
>>> "baseline" in SCENARIOS.names(), SCENARIOS.resolve("baseline").name
(True, 'baseline.toml')
"""

from __future__ import annotations

import math
import os
import re
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from gmsim.core.names import unprintable
from gmsim.errors import GmsimError, ModelError, Problem, did_you_mean
from gmsim.files.nesting import LimitError, check_data, check_text
from gmsim.files.reading import read_text

__all__ = [
    "Keys",
    "Library",
    "array",
    "boolean",
    "check_keys",
    "locate",
    "located",
    "number",
    "numbers",
    "read_toml",
    "string",
    "strings",
    "table",
    "whole",
]

Keys = Mapping[str, tuple[Callable[[Any], bool], str, bool]]
"""What a table may hold: key -> (type check, type name for messages, required)."""


# -- types of values ------------------------------------------------------------------------------
def number(x: Any) -> bool:
    """An integer or a float (``true`` is not a number)."""
    return isinstance(x, int | float) and not isinstance(x, bool)


def whole(x: Any) -> bool:
    """An integer (not a bool)."""
    return isinstance(x, int) and not isinstance(x, bool)


def string(x: Any) -> bool:
    """A string."""
    return isinstance(x, str)


def boolean(x: Any) -> bool:
    """``true`` or ``false``."""
    return isinstance(x, bool)


def table(x: Any) -> bool:
    """A table (``[section]`` or ``{ a = 1 }``)."""
    return isinstance(x, dict)


def array(x: Any) -> bool:
    """An array (of values or of tables ``[[...]]``)."""
    return isinstance(x, list)


def numbers(x: Any) -> bool:
    """An array of numbers."""
    return isinstance(x, list) and all(number(v) for v in x)


def strings(x: Any) -> bool:
    """An array of strings."""
    return isinstance(x, list) and all(isinstance(v, str) for v in x)


# -- reading and checking -------------------------------------------------------------------------
def read_toml(
    path: str | os.PathLike, *, error: type[GmsimError] = ModelError
) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; errors (of class ``error``) name the file and line. Returns ``(data, text)``."""
    path = Path(path)
    try:
        text = read_text(path, what="TOML file", error=error)
    except FileNotFoundError:
        raise error(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, expected a .toml file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        check_text(text, path)  # before the reader, which recurses into brackets
        data = tomllib.loads(text)
        check_data(data, path)  # before anything prints or walks it
        return data, text
    except LimitError as exc:
        raise error(str(exc)) from None
    except RecursionError:  # tomllib reads nested arrays and inline tables recursively
        raise error(
            f"{path}: arrays or inline tables nested deeper than the TOML reader can follow "
            f"(about {sys.getrecursionlimit() // 4} levels inside one another); gmsim files nest "
            "them a few levels at most: check the brackets"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if at:
            message = message[: at.start()].strip() + f" (column {at.group(2)})"
            raise error(
                f"{path}:{at.group(1)}: TOML syntax error: {message}; check quotes, brackets and '='"
            ) from None
        raise error(f"{path}: TOML syntax error: {message}") from None


def check_keys(data: Mapping[str, Any], keys: Keys, key: tuple[str | int, ...]) -> list[Problem]:
    """Unknown keys (with a suggestion), missing required keys, wrong types, of table ``data`` at ``key``."""
    out = []
    for name, value in data.items():
        if name not in keys:
            out.append(
                Problem(
                    (*key, name),
                    f"unknown key{did_you_mean(name, keys)}; expected one of {', '.join(keys)}",
                )
            )
            continue
        check, type_name, _ = keys[name]
        if not check(value):
            out.append(Problem((*key, name), f"expected a {type_name}, got {value!r}"))
        elif number(value) and not math.isfinite(value):
            out.append(Problem((*key, name), f"expected a finite number, got {value}"))
        elif bad := _control(value, "" if name == "name" else "\n\t"):
            out.append(Problem((*key, name), f"holds the control character {bad}; remove it"))
    for name, (_, type_name, required) in keys.items():
        if required and name not in data:
            out.append(Problem((*key, name), f"missing required key ({type_name})"))
    return out


def _control(value: Any, allow: str) -> str | None:
    """The first character of a string (or list of strings) that would act on a terminal."""
    texts = [value] if isinstance(value, str) else value if strings(value) else []
    return next((bad for t in texts if (bad := unprintable(t, allow=allow))), None)


def located(problem: Problem, path: str | os.PathLike | None, text: str | None) -> Problem:
    """``problem`` with the file it is in and the line its key is written on (where found)."""
    line = locate(text, problem.key) if text else None
    return replace(problem, path=str(path) if path else None, line=line)


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


# -- the shipped library --------------------------------------------------------------------------
@dataclass(frozen=True)
class Library:
    """The ``.toml`` files of one package of the shipped library, found by name.

    ``package`` is ``gmsim.models`` (the default model), ``gmsim.models.scenarios``
    or ``gmsim.models.uncertainty``; a name is a file name without ``.toml``.
    """

    package: str

    def folder(self) -> Path:
        """The folder of the package (works after a plain install and in a checkout)."""
        return Path(str(resources.files(self.package)))

    def names(self) -> list[str]:
        """The names of its files, A to Z."""
        folder = self.folder()
        return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []

    def path(self, name: str) -> Path:
        """The file called ``name`` (which may not exist)."""
        return self.folder() / f"{name}.toml"

    @staticmethod
    def is_name(ref: str | os.PathLike) -> bool:
        """Whether ``ref`` names a file of a library rather than giving a path.

        A path is a path-like object, or a string ending in ``.toml``, holding a
        ``/``, or naming a file that exists.
        """
        return (
            isinstance(ref, str)
            and not ref.endswith(".toml")
            and "/" not in ref
            and os.sep not in ref
            and not Path(ref).is_file()
        )

    def resolve(self, ref: str | os.PathLike, *, base: Path | None = None) -> Path | None:
        """The file ``ref`` means: a name of this library, or a path (relative to ``base``).

        ``None`` for a name the library does not have.
        """
        if self.is_name(ref):
            path = self.path(str(ref))
            return path if path.is_file() else None
        path = Path(ref)
        return base / path if base is not None and not path.is_absolute() else path
