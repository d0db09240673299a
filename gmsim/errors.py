"""The exceptions gmsim raises, and the :class:`Problem` every stage reports.

Every error a user can cause derives from :class:`GmsimError`; the command line
prints its message on one line and exits with code 2. Messages name the file and
the line or key, say what was expected, and suggest a fix where one is known.

One class per stage of the flow, bottom layer first:

- :class:`OutputError`: an output path cannot be written (``files``);
- :class:`ModelError`: a model file or Model object is invalid (``factor``), and
  its :class:`EquationError`: an XMILE equation cannot be read (``xmile``);
- :class:`ScenarioError`: a scenario is invalid for its model (``scenario``);
- :class:`SimulationError`: a run cannot start, or is not finite (``simulation``);
- :class:`LoopError`: a loop asked for does not exist (``analysis``);
- :class:`SpecError`, :class:`MetricError`, :class:`ExecutorError` and
  :class:`SensitivityError`: an uncertainty spec, a metric, an executor or a
  sensitivity analysis cannot be used as asked (``uncertainty``);
- :class:`DataError`: a data file, an observation map, a fit or a ratings sheet
  cannot be used as asked (``evidence``).

Problems found in files are :class:`Problem` objects: a key path, a message,
and where known the file and line, all rendered the same way.

Examples
--------
>>> from gmsim.errors import GmsimError, Problem, SpecError
>>> issubclass(SpecError, GmsimError)
True
>>> str(Problem(("links", 3, "weight"), "must be in [-1, 1], got 2", path="m.toml", line=40))
'm.toml:40: links[4].weight: must be in [-1, 1], got 2'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "DataError",
    "EquationError",
    "ExecutorError",
    "GmsimError",
    "LoopError",
    "MetricError",
    "ModelError",
    "OutputError",
    "Problem",
    "ScenarioError",
    "SensitivityError",
    "SimulationError",
    "SpecError",
    "did_you_mean",
    "format_key",
]


# -- where a problem is -----------------------------------------------------------------------
def format_key(key: tuple[str | int, ...]) -> str:
    """Render a key path the way a TOML user reads it: ``links[3].weight``.

    Indexes are 0-based in the path and 1-based as written.

    Examples
    --------
    >>> format_key(("links", 2, "weight")), format_key(("factors", "funding", "tau"))
    ('links[3].weight', 'factors.funding.tau')
    """
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass(frozen=True)
class Problem:
    """One problem of a file or object: a key path like ``("links", 3, "weight")`` and a message.

    ``path`` and ``line`` say where it is written, when it comes from a file
    (:func:`gmsim.files.toml.located` fills them in). ``str(problem)`` reads
    ``file:line: key: message``, leaving out what is not known.
    """

    key: tuple[str | int, ...]
    message: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        at = f"{self.path}:{self.line}" if self.path and self.line else (self.path or "")
        return ": ".join(part for part in (at, format_key(self.key), self.message) if part)


# -- the exceptions ---------------------------------------------------------------------------
class GmsimError(Exception):
    """Base class of every error caused by user input."""


class OutputError(GmsimError):
    """An output path cannot be written."""


class ModelError(GmsimError):
    """A model file or Model object is invalid.

    Parameters
    ----------
    problems : list of str
        One message per problem found; ``str(error)`` joins them by newlines.
    found : list of Problem, optional
        The same problems as :class:`Problem` objects (key paths), so that a
        file loader can point at their lines.
    """

    def __init__(self, problems: str | list[str], *, found: list[Problem] | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.problems_found = list(found or [])
        super().__init__("\n".join(self.problems))


class EquationError(ModelError):
    """An equation that cannot be read; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, *, equation: str = "", position: int | None = None):
        self.message = message
        self.equation = equation
        self.position = position
        super().__init__(message)


class ScenarioError(GmsimError):
    """A scenario file or Scenario object is invalid for the model it is run on."""


class SimulationError(GmsimError):
    """A run cannot start, or it produced values that are not finite."""


class LoopError(GmsimError):
    """A loop asked for does not exist, or a loop listing cannot be made as asked."""


class SpecError(GmsimError):
    """An uncertainty spec is invalid, or does not fit the model it is used with."""


class MetricError(GmsimError):
    """A metric is written wrongly, or names a variable or month the run does not have."""


class ExecutorError(GmsimError):
    """An executor cannot be set up: a missing extra, an unreachable scheduler, bad options."""


class SensitivityError(GmsimError):
    """A sensitivity analysis cannot be run as asked (sample counts, method, a metric that never moves)."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    Examples
    --------
    >>> did_you_mean("fundng", ["funding", "training"])
    " (did you mean 'funding'?)"
    >>> did_you_mean("zzz", ["funding"])
    ''
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class DataError(GmsimError):
    """A data file, an observation map, a calibration or a ratings sheet cannot be used as asked."""
