"""Change a few values of a model file in its own text: every other line and comment is kept.

:func:`set_values` puts new values of ``weight:<cause>-><effect>``,
``tau:<factor>`` and ``initial:<factor>`` parameters on the lines they are
written on (found with :func:`gmsim.files.toml.locate`), keeps the line's own
comment, and writes a comment line above each changed key saying where the
new value comes from. A key the file leaves out is added under its table.

Examples
--------
>>> text = "[[links]]\\nfrom = 'a'\\nto = 'b'\\nweight = 0.4   # moderate\\n"
>>> print(set_values(text, {"weight:a->b": 0.55}, {"weight:a->b": "calibrated"}))
[[links]]
from = 'a'
to = 'b'
# calibrated
weight = 0.55   # moderate
<BLANKLINE>
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

from gmsim.errors import DataError
from gmsim.files.toml import locate

__all__ = ["key_path", "set_values"]


def key_path(data: Mapping, name: str) -> tuple[str | int, ...]:
    """The key path of a parameter in a model file's data: ``("links", 3, "weight")``, ``("factors", f, "tau")``."""
    kind, _, target = name.partition(":")
    if kind == "weight":
        cause, _, effect = target.partition("->")
        for i, link in enumerate(data.get("links", [])):
            if link.get("from") == cause and link.get("to") == effect:
                return ("links", i, "weight")
        raise DataError(f"the model file has no [[links]] table from {cause!r} to {effect!r}")
    if kind in ("tau", "initial") and target in data.get("factors", {}):
        return ("factors", target, kind)
    raise DataError(
        f"{name!r} cannot be written into a model file; only weight:, tau: and initial: values can"
    )


def _format(value: float) -> str:
    text = f"{value:.6g}"
    return text if any(c in text for c in ".en") else text + ".0"


def set_values(text: str, values: Mapping[str, float], comments: Mapping[str, str]) -> str:
    """``text`` with each parameter of ``values`` set, a comment line (``comments``) above each."""
    data = tomllib.loads(text)
    lines = text.splitlines(keepends=True)
    edits = []  # (line index, key, new value, comment, replace?)
    for name, value in values.items():
        path = key_path(data, name)
        line = locate(text, path)
        if line is None:
            raise DataError(f"cannot find where {name!r} is written in the model file")
        i = line - 1
        pattern = re.compile(rf"^(\s*{re.escape(str(path[-1]))}\s*=\s*)([^#\r\n]*?)(\s*(#.*)?)(\r?\n?)$")
        replace = bool(pattern.match(lines[i])) and not lines[i].lstrip().startswith("[")
        edits.append((i, path[-1], value, comments.get(name, ""), replace, pattern))
    for i, key, value, comment, replace, pattern in sorted(edits, key=lambda e: -e[0]):
        indent = re.match(r"^\s*", lines[i]).group(0) if replace else ""
        note = [f"{indent}# {comment}\n"] if comment else []
        if replace:
            m = pattern.match(lines[i])
            newline = m.group(5) or ""
            lines[i] = f"{m.group(1)}{_format(value)}{m.group(3)}{newline}"
            lines[i:i] = note
        else:  # the key is not written: add it under the table's header
            end = "" if lines[i].endswith("\n") else "\n"
            lines[i + 1 : i + 1] = (
                [end, *note, f"{key} = {_format(value)}\n"]
                if end
                else [*note, f"{key} = {_format(value)}\n"]
            )
    out = "".join(lines)
    tomllib.loads(out)  # still a TOML file
    return out
