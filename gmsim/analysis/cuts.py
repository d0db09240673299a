"""Loops an intervention cuts: through a held (clamped or forced) variable, or a link of weight 0.

A scenario that holds a variable to a value or a path (a clamp, a ramp: a
:class:`~gmsim.core.system.Forcing`) takes that variable out of the feedback
around it while the hold lasts: its causes no longer move it, so every loop
through it scores 0 there. A link whose weight is set to 0 (for the whole run,
or for a window) does the same to the loops that run along it. Events (a jump
at one instant) cut nothing.

:func:`cut_loops` lists each cut loop with what cuts it and for how long,
clipped to the run; :func:`cuts_frame` gives the list as a table (one row per
loop and cause) and :func:`cuts_text` as the lines the command line prints.

Examples
--------
>>> from gmsim.analysis.loops import Loop
>>> from gmsim.core.paths import Constant
>>> from gmsim.core.system import Forcing, Interventions
>>> loops = [Loop("R1", ("a", "b"), (1, 1), (0, 0)), Loop("B1", ("b", "c"), (1, -1), (0, 0))]
>>> iv = Interventions(forcings=(Forcing("a", Constant(0.8), 6.0),))
>>> cut_loops(loops, iv, 0, 60)
[Cut(loop='R1', variable='a', start=6.0, end=60.0, kind='held')]
>>> print(cuts_text(cut_loops(loops, iv, 0, 60), loops))
  interventions cut 1 of 2 loops (their scores are 0 while cut):
    a held, months 6-60: R1
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = ["Cut", "by_cause", "compact_ids", "cut_loops", "cuts_frame", "cuts_sentence", "cuts_text"]


class Cut(NamedTuple):
    """One loop cut by one intervention over ``[start, end)`` (months of the run).

    ``variable`` is the held variable (``kind == "held"``) or the link
    ``cause->effect`` set to weight 0 (``kind == "weight 0"``).
    """

    loop: str
    variable: str
    start: float
    end: float
    kind: str


def _is_zero(value: Any) -> bool:
    """A weight of 0 in every run (a per-run array counts only when all its values are 0)."""
    try:
        return bool(np.all(np.asarray(value, dtype=float) == 0.0))
    except (TypeError, ValueError):
        return False


def _clip(start: float, end: float, lo: float, hi: float) -> tuple[float, float] | None:
    a, b = max(float(start), float(lo)), min(float(end), float(hi))
    return (a, b) if b > a else None


def _holds(interventions: Any) -> list[tuple[str, str, float, float]]:
    """``(kind, what, start, end)`` for every hold and zero weight of ``interventions``."""
    found = []
    for f in getattr(interventions, "forcings", ()) or ():
        found.append(("held", f.variable, f.start, f.end))
    for name, value in dict(getattr(interventions, "overrides", {}) or {}).items():
        if name.startswith("weight:") and _is_zero(value):
            found.append(("weight 0", name[len("weight:") :], -math.inf, math.inf))
    for w in getattr(interventions, "windows", ()) or ():
        if w.parameter.startswith("weight:") and _is_zero(w.value):
            found.append(("weight 0", w.parameter[len("weight:") :], w.start, w.end))
    return found


def cut_loops(loops: Iterable[Any], interventions: Any, start: float, stop: float) -> list[Cut]:
    """The loops ``interventions`` cut during the run ``[start, stop]``, and for how long.

    Parameters
    ----------
    loops : iterable of Loop
        The loops (a :class:`~gmsim.analysis.loops.LoopList` or any sequence of
        :class:`~gmsim.analysis.loops.Loop`); adjustment loops are cut too when
        their variable is held.
    interventions : Interventions or Params
        What the scenario asks: its ``forcings`` (holds), and zero link weights
        among its ``overrides`` (``weight:<cause>-><effect>``) and ``windows``.
        A :class:`~gmsim.core.system.Params` has no overrides: pass the
        system's ``interventions`` to see whole-run zero weights.
    start, stop : float
        The run; each cut's window is clipped to it, and a hold wholly outside
        it cuts nothing.

    Returns
    -------
    list of Cut
        In the order of the interventions, then of the loops.

    Examples
    --------
    >>> from gmsim.analysis.loops import Loop
    >>> from gmsim.core.system import Interventions, Window
    >>> loops = [Loop("R1", ("a", "b"), (1, 1), (0, 0)), Loop("R2", ("b", "c"), (1, 1), (0, 0))]
    >>> cut_loops(loops, Interventions(windows=(Window("weight:b->c", 0.0, 12, 24),)), 0, 60)
    [Cut(loop='R2', variable='b->c', start=12.0, end=24.0, kind='weight 0')]
    """
    loops = list(loops)
    cuts: list[Cut] = []
    for kind, what, a, b in _holds(interventions):
        window = _clip(a, b, start, stop)
        if window is None:
            continue
        if kind == "held":
            hit = [lp for lp in loops if what in lp.variables]
        else:
            cause, _, effect = what.partition("->")
            hit = [lp for lp in loops if lp.kind != "adjustment" and (cause, effect) in lp.links]
        cuts += [Cut(lp.id, what, *window, kind) for lp in hit]
    return list(dict.fromkeys(cuts))


def cuts_frame(cuts: Sequence[Cut]) -> pd.DataFrame:
    """The cuts as a table: ``loop, cut_by, kind, start, end, months`` (one row per cut)."""
    return pd.DataFrame(
        [
            {
                "loop": c.loop,
                "cut_by": c.variable,
                "kind": c.kind,
                "start": c.start,
                "end": c.end,
                "months": c.end - c.start,
            }
            for c in cuts
        ],
        columns=["loop", "cut_by", "kind", "start", "end", "months"],
    )


def compact_ids(ids: Iterable[str]) -> str:
    """Loop ids with runs of numbers joined: ``R1-R3, R7, B2``.

    >>> compact_ids(["R1", "R2", "R3", "R7", "B2", "B3"])
    'R1-R3, R7, B2-B3'
    """
    groups: dict[str, list[int]] = {}
    other: list[str] = []
    for i in dict.fromkeys(ids):
        if i[1:].isdigit():
            groups.setdefault(i[0], []).append(int(i[1:]))
        else:
            other.append(i)
    parts = []
    for prefix, numbers in groups.items():
        numbers.sort()
        first = last = numbers[0]
        for n in [*numbers[1:], None]:
            if n is not None and n == last + 1:
                last = n
                continue
            parts.append(f"{prefix}{first}" if first == last else f"{prefix}{first}-{prefix}{last}")
            if n is not None:
                first = last = n
    return ", ".join(parts + other)


def _when(start: float, end: float, unit: str) -> str:
    return f"{unit} {start:g}-{end:g}"


def by_cause(cuts: Sequence[Cut]) -> list[tuple[str, str, float, float, list[str]]]:
    """``(kind, cause, start, end, loop ids)`` for each intervention that cuts loops."""
    grouped: dict[tuple[str, str, float, float], list[str]] = {}
    for c in cuts:
        grouped.setdefault((c.kind, c.variable, c.start, c.end), []).append(c.loop)
    return [(*key, ids) for key, ids in grouped.items()]


def cuts_text(cuts: Sequence[Cut], loops: Sequence[Any], *, unit: str = "months") -> str:
    """What the command line prints about cut loops (empty when nothing is cut).

    One line per intervention: what it holds or zeroes, when, and the loops it
    cuts (``R1-R3, B2``; with their count when there are more than three).
    """
    if not cuts:
        return ""
    feedback = [lp for lp in loops if lp.kind != "adjustment"]
    cut_ids = {c.loop for c in cuts}
    total = len(feedback) or len(list(loops))
    lines = [
        f"  interventions cut {len(cut_ids & {lp.id for lp in feedback}) or len(cut_ids)} of {total} "
        "loops (their scores are 0 while cut):"
    ]
    for kind, what, a, b, ids in by_cause(cuts):
        how = "held" if kind == "held" else "set to weight 0"
        many = f" ({len(ids)} loops)" if len(ids) > 3 else ""
        lines.append(f"    {what} {how}, {_when(a, b, unit)}: {compact_ids(ids)}{many}")
    return "\n".join(lines)


def _label(variable: str, loops: Sequence[Any]) -> str:
    """The readable label of ``variable`` as the loops give it (the name itself otherwise)."""
    for lp in loops:
        for v, label in zip(lp.variables, lp.labels, strict=False):
            if v == variable:
                return label
    return variable


def cuts_sentence(cuts: Sequence[Cut], loops: Sequence[Any], *, unit: str = "months") -> str:
    """The cuts in a sentence, for a report (empty when nothing is cut).

    >>> from gmsim.analysis.loops import Loop
    >>> loops = [Loop("R1", ("a", "b"), (1, 1), (0, 0)), Loop("B1", ("b", "c"), (1, -1), (0, 0))]
    >>> cuts_sentence([Cut("R1", "a", 6.0, 60.0, "held")], loops)
    'Loops are cut: a is held over months 6–60, which cuts 1 of the 2 loops (R1). A cut loop scores 0 while it is cut, so the shares below are among the loops left.'
    """
    if not cuts:
        return ""
    total = len([lp for lp in loops if lp.kind != "adjustment"]) or len(list(loops))
    parts = []
    for kind, what, a, b, ids in by_cause(cuts):
        if kind == "held":
            how = f"{_label(what, loops)} is held"
        else:
            cause, _, effect = what.partition("->")
            how = f"the link {_label(cause, loops)} → {_label(effect, loops)} has weight 0"
        parts.append(
            f"{how} over {unit} {a:g}–{b:g}, which cuts {len(ids)} of the {total} loops "
            f"({compact_ids(ids)})"
        )
    return (
        "Loops are cut: "
        + "; ".join(parts)
        + ". A cut loop scores 0 while it is cut, so the shares below are among the loops left."
    )
