"""The limits gmsim checks before it allocates or loops: one table, each limit named in its message.

A file or an option that asks for more than a limit allows is refused up front
with a :class:`LimitError` naming the limit, the value asked for and a way
round, instead of running out of memory or time. The limits are generous for
real work; each can be raised for one process with an environment variable
``GMSIM_MAX_<NAME>`` (for example ``GMSIM_MAX_STEPS=100000000``).

Examples
--------
>>> limit("steps") >= 1_000_000
True
>>> check("steps", 10, "steps per run")
>>> try:
...     check("steps", 10**12, "steps per run (`stop` 1e11 / `dt` 0.1)")
... except LimitError as exc:
...     print(str(exc).split(";")[0])
steps per run (`stop` 1e11 / `dt` 0.1) is 1000000000000, more than the limit of 10000000 (steps)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gmsim.errors import GmsimError

__all__ = ["LIMITS", "Limit", "LimitError", "check", "limit"]


class LimitError(GmsimError):
    """An input asks for more than one of gmsim's limits allows (exit code 2)."""


@dataclass(frozen=True)
class Limit:
    """One limit: its default value, what it counts, and the way round it."""

    value: int
    counts: str
    hint: str


LIMITS: dict[str, Limit] = {
    "steps": Limit(
        10_000_000,
        "solver steps in one run (horizon / dt)",
        "use a larger `dt` or a shorter horizon",
    ),
    "expression_depth": Limit(
        200,
        "levels an XMILE equation nests (parentheses, IF, calls, signs, operators inside one another)",
        "split the equation into helper variables, each a part of it",
    ),
}


def limit(name: str) -> int:
    """The limit ``name``: its default, or ``GMSIM_MAX_<NAME>`` from the environment when set.

    Examples
    --------
    >>> limit("steps") == LIMITS["steps"].value or "GMSIM_MAX_STEPS" in os.environ
    True
    """
    entry = LIMITS[name]
    raw = os.environ.get(f"GMSIM_MAX_{name.upper()}", "").strip()
    if not raw:
        return entry.value
    try:
        value = int(float(raw))
    except ValueError:
        raise LimitError(
            f"`GMSIM_MAX_{name.upper()}` is {raw!r}, not a number; unset it or give a whole number"
        ) from None
    if value < 1:
        raise LimitError(f"`GMSIM_MAX_{name.upper()}` is {value}; give a whole number of at least 1")
    return value


def check(name: str, value: float, what: str) -> None:
    """Refuse ``value`` when it is above the limit ``name``; ``what`` says which input asked for it.

    Raises
    ------
    LimitError
        Naming ``what``, the value, the limit, its way round and its variable.
    """
    most = limit(name)
    if not value <= most:  # NaN is refused too
        shown = f"{int(value)}" if value == value and abs(value) < 1e18 else f"{value:g}"
        entry = LIMITS[name]
        raise LimitError(
            f"{what} is {shown}, more than the limit of {most} ({name}); {entry.hint}, "
            f"or raise the limit with GMSIM_MAX_{name.upper()}=N"
        )
