"""The exceptions gmsim raises.

Every error a user can cause derives from :class:`GmsimError`; the command line
prints its message on one line and exits with code 2. Messages name the file and
the line or key, say what was expected, and suggest a fix where one is known.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "GmsimError",
    "ModelError",
    "OutputError",
    "ScenarioError",
    "SimulationError",
    "did_you_mean",
]


class GmsimError(Exception):
    """Base class of every error caused by user input."""


class ModelError(GmsimError):
    """A model file or Model object is invalid.

    Parameters
    ----------
    problems : list of str
        One message per problem found; ``str(error)`` joins them by newlines.
    found : list, optional
        The same problems as :class:`~gmsim.factor.model.Problem` objects (key paths),
        so that a file loader can point at their lines.
    """

    def __init__(self, problems: str | list[str], *, found: list | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.problems_found = list(found or [])
        super().__init__("\n".join(self.problems))


class ScenarioError(GmsimError):
    """A scenario file or Scenario object is invalid for the model it is run on."""


class SimulationError(GmsimError):
    """A run cannot start, or it produced values that are not finite."""


class OutputError(GmsimError):
    """An output path cannot be written."""


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
