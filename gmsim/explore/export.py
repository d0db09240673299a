"""A scenario written out as a scenario file, and a scenario file read in from the page.

:func:`scenario_toml` writes what ``gmsim run --scenario FILE`` reads back
unchanged: every number with all its digits, so the run of the file is the run
on the page. :func:`read_uploaded` reads a file a person gives the page: only
its text is used (no path of the server is read), it may include library
scenarios only, and its problems are reported in the words of the command line.

Examples
--------
>>> from gmsim.scenario import Intervention, Scenario
>>> s = Scenario("early", "Training from month 3.", actions=(Intervention("step", "training", at=3, value=0.7),))
>>> print(scenario_toml(s))
[scenario]
name = "early"
description = "Training from month 3."
<BLANKLINE>
[[interventions]]
kind = "step"
target = "training"
value = 0.7
at = 3.0
<BLANKLINE>
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tempfile
from pathlib import Path
from typing import Any

from gmsim.errors import GmsimError, ScenarioError
from gmsim.files.toml import read_toml
from gmsim.scenario import KEYS, Scenario, load_scenario

__all__ = ["MAX_UPLOAD", "read_uploaded", "scenario_toml"]

MAX_UPLOAD = 256 * 1024
"""The largest scenario file the page accepts, in bytes."""


def _string(text: str) -> str:
    return json.dumps(str(text), ensure_ascii=False)  # a JSON string is a TOML basic string


def _number(x: Any) -> str:
    x = float(x)
    if not math.isfinite(x):
        raise ScenarioError(f"cannot write {x} into a scenario file; give a finite number")
    return repr(x)


def scenario_toml(scenario: Scenario, *, comment: str = "") -> str:
    """``scenario`` as the text of a scenario file (no includes: every item is written out).

    Parameters
    ----------
    scenario : Scenario
    comment : str
        Lines written as ``#`` comments at the top.
    """
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += ["[scenario]", f"name = {_string(scenario.name)}"]
    if scenario.description:
        lines.append(f"description = {_string(scenario.description)}")
    for a in scenario.actions:
        lines += ["", "[[interventions]]", f"kind = {_string(a.kind)}", f"target = {_string(a.target)}"]
        for key in KEYS:
            value = getattr(a, key)
            if value is None:
                continue
            if key in ("times", "values"):
                lines.append(f"{key} = [{', '.join(_number(v) for v in value)}]")
            else:
                lines.append(f"{key} = {_number(value)}")
        if a.note:
            lines.append(f"note = {_string(a.note)}")
    for c in scenario.links:
        lines += [
            "",
            "[[links]]",
            f"from = {_string(c.cause)}",
            f"to = {_string(c.effect)}",
            f"weight = {_number(c.weight)}",
        ]
        if c.add:
            lines.append("add = true")
            if c.delay:
                lines.append(f"delay = {_number(c.delay)}")
        if c.note:
            lines.append(f"note = {_string(c.note)}")
    for c in scenario.factors:
        key = c.factor if re.fullmatch(r"[A-Za-z0-9_-]+", c.factor) else _string(c.factor)
        lines += ["", f"[factors.{key}]"]
        for name in ("initial", "tau"):
            if getattr(c, name) is not None:
                lines.append(f"{name} = {_number(getattr(c, name))}")
        if c.note:
            lines.append(f"note = {_string(c.note)}")
    return "\n".join(lines) + "\n"


def read_uploaded(filename: str, content: bytes, model: Any = None) -> Scenario:
    """A scenario from a file given to the page: its name and bytes, checked against ``model``.

    The message of a problem is the one ``gmsim run --scenario FILE`` prints
    for the same file (with ``FILE`` its name as given). Includes may name
    library scenarios only: the page reads no file of the machine it runs on.

    Raises
    ------
    ScenarioError
    """
    name = Path(str(filename or "scenario.toml").replace("\\", "/")).name or "scenario.toml"
    if not name.endswith(".toml"):
        name += ".toml"
    if len(content) > MAX_UPLOAD:
        raise ScenarioError(
            f"{name}: {len(content)} bytes, more than the {MAX_UPLOAD // 1024} KiB a scenario file may have "
            "here; name a larger file on the command line (gmsim explore --scenario FILE)"
        )
    with tempfile.TemporaryDirectory(prefix="gmsim-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            data, _ = read_toml(path, error=ScenarioError)
            include = (
                data.get("scenario", {}).get("include", [])
                if isinstance(data.get("scenario"), dict)
                else []
            )
            for ref in include if isinstance(include, list) else []:
                if isinstance(ref, str) and ("/" in ref or "\\" in ref or ref.endswith(".toml")):
                    raise ScenarioError(
                        f"{path}: `include` '{ref}' is a file; a scenario given to the page may include "
                        "library scenarios only (name files on the command line: gmsim explore --scenario FILE)"
                    )
            scenario = load_scenario(path)
            if model is not None:
                scenario.interventions(model)
        except GmsimError as exc:
            raise type(exc)(str(exc).replace(str(path), name)) from None
    return dataclasses.replace(scenario, path=None)
