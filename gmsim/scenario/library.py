"""The scenario library shipped with gmsim, and where a scenario named by a user is.

Examples
--------
>>> names = list_scenarios()
>>> names[0], "rotation-3m" in names
('baseline', True)
>>> scenario_path("rotation-3m").name
'rotation-3m.toml'
"""

from __future__ import annotations

import os
from pathlib import Path

from gmsim.errors import ScenarioError, did_you_mean
from gmsim.files.toml import Library

__all__ = ["LIBRARY", "SCENARIOS", "list_scenarios", "scenario_path"]

LIBRARY = "gmsim.models.scenarios"
"""The package holding the scenario library (``models/scenarios/`` in the source tree)."""

SCENARIOS = Library(LIBRARY)
"""The scenario library's files, found by name."""


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with gmsim: ``baseline`` first, then A to Z.

    Examples
    --------
    >>> import gmsim
    >>> names = gmsim.list_scenarios()
    >>> names[0], "rotation-3m" in names
    ('baseline', True)
    """
    return sorted(SCENARIOS.names(), key=lambda n: (n != "baseline", n))


def scenario_path(ref: str | os.PathLike, *, base: Path | None = None) -> Path:
    """The file of a scenario: a library name, or a path (relative to ``base`` when given).

    A string ending in ``.toml`` or holding a ``/`` is a path; otherwise it
    names a scenario: the file ``<name>.toml`` in ``base`` when there is one
    (a scenario beside the file that includes it), else the library's.

    Raises
    ------
    ScenarioError
        For a name the library does not have; the library's names are listed.
    """
    if base is not None and SCENARIOS.is_name(ref) and (Path(base) / f"{ref}.toml").is_file():
        return Path(base) / f"{ref}.toml"
    path = SCENARIOS.resolve(ref, base=base)
    if path is None:
        raise ScenarioError(
            f"unknown scenario '{ref}'{did_you_mean(str(ref), SCENARIOS.names())}; the library has "
            f"{', '.join(list_scenarios())}; or give the path of a .toml scenario file"
        )
    return path
