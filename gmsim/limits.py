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

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

from gmsim.errors import GmsimError

__all__ = ["LIMITS", "RESOLUTION", "Limit", "LimitError", "check", "check_grid", "limit", "limits_table"]


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
    "saved_values": Limit(
        250_000_000,
        "values one solve holds (runs x saved times x variables: 2 GB of numbers)",
        "save less often (a larger `dt`), run a shorter horizon, or fewer runs at once (`--chunk-size`)",
    ),
    "events": Limit(
        100_000,
        "jumps in one run: scenario events and periodic decisions",
        "space the events or decisions further apart (`every`, `decide_every`), or give them a "
        "shorter window (`start`, `end`)",
    ),
    "delay_order": Limit(
        1_000,
        "stages of one delay (a link's `order`, the order of SMTHN and DELAYN)",
        "use a lower order (an order of 10 or more is already close to a fixed delay)",
    ),
    "array_elements": Limit(
        100_000,
        "elements of an XMILE dimension, of one arrayed variable, and of all arrays of a model",
        "use fewer or smaller dimensions",
    ),
    "macro_variables": Limit(
        20_000,
        "variables all macro calls of one XMILE file expand into",
        "call macros fewer times, or write the repeated part as variables",
    ),
    "table_points": Limit(
        10_000,
        "points of one `table` intervention",
        "give the table fewer points (linear interpolation joins them)",
    ),
    "includes": Limit(
        1_000,
        "scenario files read through `include` for one scenario (each file once)",
        "include fewer scenario files, or combine them into one",
    ),
    "include_depth": Limit(
        100,
        "scenario files included inside one another (a includes b, which includes c, ...)",
        "include the files side by side from one scenario instead of in a chain",
    ),
    "module_depth": Limit(
        100,
        "XMILE modules inside one another (a module whose model holds a module ...)",
        "put the inner models side by side instead of in a chain",
    ),
    "module_instances": Limit(
        10_000,
        "XMILE module instances one file expands into (a model holding two modules of a model "
        "holding two ... doubles at each level)",
        "use each module fewer times, or write the repeated part once",
    ),
    "runs": Limit(
        4_000_000,
        "model runs of one ensemble (Monte Carlo samples x systems, Sobol or Morris design)",
        "ask for fewer runs (`--runs`, `--samples`)",
    ),
    "bootstrap_draws": Limit(
        100_000_000,
        "bootstrap draws of a sensitivity analysis (resamples x base samples)",
        "use fewer `--resamples` (100 to 1,000 are usual) or `--samples`",
    ),
    "file_bytes": Limit(
        64 * 1024**2,
        "bytes of a model, scenario, spec, data or ratings file read as input",
        "give a smaller file",
    ),
    "xmile_bytes": Limit(
        256 * 1024**2,
        "bytes of an XMILE file",
        "give a smaller file",
    ),
    "expression_depth": Limit(
        200,
        "levels an XMILE equation nests (parentheses, IF, calls, signs, operators inside one another)",
        "split the equation into helper variables, each a part of it",
    ),
    "toml_depth": Limit(
        100,
        "levels a TOML file nests arrays, inline tables and dotted keys inside one another",
        "gmsim files nest them a few levels deep: check the brackets and the dots of the keys",
    ),
}
"""Every limit by name. Each is documented in ``docs/how-gmsim-computes.md`` (Limits), a
table the tests compare with this one (:func:`limits_table`)."""

RESOLUTION = 1e-6
"""A run's times must be exact to this fraction of ``dt``: a ``dt`` below ``1e6`` times the
float resolution at the horizon (``start = 1e16``, ``dt = 1``) would give times that repeat."""


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


def check(name: str, value: float, what: str, *, error: Callable[[str], Exception] = LimitError) -> None:
    """Refuse ``value`` when it is above the limit ``name``; ``what`` says which input asked for it.

    Raises
    ------
    LimitError
        Naming ``what``, the value, the limit, its way round and its variable; or the exception
        ``error`` makes of that message (one naming the file and line, say).
    """
    most = limit(name)
    if not value <= most:  # NaN is refused too
        shown = f"{int(value)}" if value == value and abs(value) < 1e18 else f"{value:g}"
        entry = LIMITS[name]
        raise error(
            f"{what} is {shown}, more than the limit of {most} ({name}); {entry.hint}, "
            f"or raise the limit with GMSIM_MAX_{name.upper()}=N"
        )


def check_grid(
    start: float, stop: float, dt: float, *, error: Callable[[str], Exception] = LimitError
) -> None:
    """Refuse a run grid of more than ``steps`` steps, or one whose ``dt`` is lost in rounding.

    The one check of a run's size, made before anything is allocated: by
    :class:`~gmsim.core.solver.RunSettings`, by the model checks (so
    ``gmsim validate`` says it too) and by the XMILE reader. Values that are
    not finite, or a ``stop`` not after ``start`` or a ``dt`` not above 0, are
    left to the caller's own messages.

    Raises
    ------
    LimitError
        Naming ``start``, ``stop`` and ``dt`` and what to change.

    Examples
    --------
    >>> check_grid(0, 120, 0.001)
    >>> try:
    ...     check_grid(0, 12, 1e-12)
    ... except LimitError as exc:
    ...     print(str(exc).split(";")[0])
    the number of steps of the run ((`stop` 12 - `start` 0) / `dt` 1e-12) is 12000000000000, more than the limit of 10000000 (steps)
    >>> try:
    ...     check_grid(1e16, 1e16 + 100, 1)
    ... except LimitError as exc:
    ...     print(str(exc).split(";")[0])
    `dt` 1 is below the resolution of the run's times (near 1e+16 a float is exact only to 2: start + k dt would round to repeated or uneven times)
    """
    values = (start, stop, dt)
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
        return
    if not (stop > start and dt > 0):
        return
    steps = (stop - start) / dt  # inf when the span overflows: refused too
    check(
        "steps",
        steps,
        f"the number of steps of the run ((`stop` {stop:g} - `start` {start:g}) / `dt` {dt:g})",
        error=error,
    )
    ulp = math.ulp(max(abs(start), abs(stop)))
    if dt * RESOLUTION < ulp:
        raise error(
            f"`dt` {dt:g} is below the resolution of the run's times (near {max(abs(start), abs(stop)):g} "
            f"a float is exact only to {ulp:g}: start + k dt would round to repeated or uneven times); "
            f"give a `dt` of at least {ulp / RESOLUTION:.3g}, or count time from a `start` nearer 0"
        )


def limits_table() -> str:
    """The table of every limit, in Markdown (the one in ``docs/how-gmsim-computes.md``).

    Examples
    --------
    >>> print(limits_table().splitlines()[2])
    | `steps` | 10,000,000 | solver steps in one run (horizon / dt) | `GMSIM_MAX_STEPS` |
    """
    rows = ["| limit | value | what it counts | raise it with |", "|---|---:|---|---|"]
    for name, entry in LIMITS.items():
        rows.append(f"| `{name}` | {entry.value:,} | {entry.counts} | `GMSIM_MAX_{name.upper()}` |")
    return "\n".join(rows)
