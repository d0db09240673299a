"""Text summaries of a run and of a loop dominance analysis, as ``gmsim run`` and ``gmsim loops`` print them.

Each function returns plain text (lines joined by newlines), so that a script
prints the same summary as the command line.

Examples
--------
>>> import gmsim
>>> run = gmsim.simulate(stop=12, equilibrium=True)  # started at the reference levels
>>> print(run_summary(run))  # doctest: +NORMALIZE_WHITESPACE
Government microblog effectiveness (Zheng 2012), v2: launch and abandonment | scenario: baseline | months 0-12 | rk4
  variable                       start     end   change
  effectiveness                  0.417   0.417   +0.000
  information_disclosure         0.500   0.500   +0.000
  public_service                 0.400   0.400   +0.000
  citizen_engagement             0.350   0.350   +0.000
  largest changes: none (the run is at rest)
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gmsim.analysis.cuts import cuts_text
from gmsim.analysis.dominance_result import AT_REST
from gmsim.plot.results import headline_variables

if TYPE_CHECKING:
    from gmsim.analysis.dominance_result import Dominance
    from gmsim.analysis.shift import DominanceShift
    from gmsim.core.result import Result

__all__ = ["dominance_summary", "run_summary", "shift_summary"]


def run_summary(result: Result, baseline: Result | None = None) -> str:
    """What ran, the headline variables at start and end, and the three biggest movers.

    With ``baseline`` (the model's run without the scenario), each headline
    variable also gets its end difference from the baseline, its largest gap
    and when, and the cumulative gap (area between the runs, trapezoid rule),
    so that a transient that has faded by the end still shows.

    Examples
    --------
    >>> import gmsim
    >>> run = gmsim.simulate(scenario="hacker-attack", stop=24)
    >>> text = run_summary(run, baseline=gmsim.simulate(stop=24))
    >>> print(text.splitlines()[-5])
      against the baseline          end gap  largest gap @ month    cumulative gap
    """
    first, last = result.values[0, 0], result.values[0, -1]
    lines = [
        f"{result.model} | scenario: {result.scenario} | {result.time_label} | {result.method}",
        f"  {'variable':<28}{'start':>8}{'end':>8}{'change':>9}",
    ]
    for v in headline_variables(result):
        i = result.variables.index(v)
        lines.append(f"  {v:<28}{first[i]:>8.3f}{last[i]:>8.3f}{last[i] - first[i]:>+9.3f}")
    moves = sorted(range(len(result.variables)), key=lambda i: -abs(last[i] - first[i]))[:3]
    moved = [
        f"{result.variables[i]} {last[i] - first[i]:+.3f}"
        for i in moves
        if abs(last[i] - first[i]) > 1e-6
    ]
    lines.append("  largest changes: " + (", ".join(moved) if moved else "none (the run is at rest)"))
    if baseline is not None:
        lines += _against_baseline(result, baseline)
    return "\n".join(lines)


def _against_baseline(result: Result, baseline: Result) -> list[str]:
    """Each headline variable's end gap, largest gap (and its time) and cumulative gap."""
    from gmsim.analysis.comparison import transient_gap

    unit = result.time_unit or "time"
    lines = [
        f"  {'against the baseline':<28}{'end gap':>9}{'largest gap':>13} @ {unit:<8}{'cumulative gap':>15}"
    ]
    for v in headline_variables(result):
        mine, base = result.values[0, :, result.variables.index(v)], baseline[v]
        base = base[0] if base.ndim > 1 else base
        largest, when, area = transient_gap(result.time, mine, (baseline.time, base))
        end = float(mine[-1] - np.interp(result.time[-1], baseline.time, base))
        lines.append(f"  {v:<28}{end:>+9.3f}{largest:>+13.3f} @ {when:<8g}{area:>+15.3f}")
    return lines


def dominance_summary(dominance: Dominance) -> str:
    """Who leads when: the loops the scenario cuts, the periods by polarity, then by loop.

    Loops cut by a hold or a zero weight (:attr:`Dominance.cuts`) come first,
    each with what cuts it and when: they score 0 then, so the shares below
    are among the loops left.

    Examples
    --------
    >>> import gmsim
    >>> text = dominance_summary(gmsim.loop_dominance(scenario="hacker-attack", stop=24))
    >>> print(text.splitlines()[0])
    Loop dominance | Government microblog effectiveness (Zheng 2012), v2: launch and abandonment | scenario: hacker-attack
    """
    lines = [f"Loop dominance | {dominance.model} | scenario: {dominance.scenario}"]
    cut = cuts_text(dominance.cuts, dominance.loops)
    if cut:
        lines.append(cut)
    if not abs(dominance.relative).any():
        lines.append(
            "  the run is at rest: no loop is active (a model started at equilibrium moves only under a "
            "scenario; use --scenario, or --no-equilibrium)"
        )
        return "\n".join(lines)
    among = " among the loops not cut" if cut else ""
    lines.append(f"  majority by polarity{among} (R: reinforcing loops together, B: balancing):")
    for row in dominance.periods(by="polarity").itertuples():
        if row.loop == AT_REST:
            lines.append(f"    months {row.start:>6g} - {row.end:<6g} at rest")
        else:
            lines.append(
                f"    months {row.start:>6g} - {row.end:<6g} {row.polarity} {row.share:4.0%}, led by {row.loop}"
            )
    lines.append("  leading loop (dominant by itself when marked *):")
    for row in dominance.periods().itertuples():
        if row.loop == AT_REST:
            continue
        mark = "*" if row.alone else " "
        lines.append(
            f"    months {row.start:>6g} - {row.end:<6g} {row.loop:<5}{mark}{row.share:4.0%}  "
            f"{textwrap.shorten(row.name, 70, placeholder=' …')}"
        )
    adj = dominance.adjustment_share
    if dominance.adjustment == "exclude" and (adj == adj).any():
        lines.append(
            f"  factors' own adjustment loops (left out above) hold {float(pd.Series(adj).mean()):.0%} of all "
            "loop activity on average; --adjustment compares them too"
        )
    return "\n".join(lines)


def shift_summary(shift: DominanceShift) -> str:
    """The loops that gained and lost most share against the reference run."""
    lines = [f"Dominance shift | {shift.scenario.scenario} against {shift.reference.scenario}"]
    if shift.note:
        lines.append(f"  note: {shift.note}")
    table = shift.table()
    if table.empty:
        lines.append("  no loop is active in either run")
        return "\n".join(lines)
    lines.append(
        f"  {'loop':<6}{'scenario':>9}{'reference':>10}{'change':>8}  largest gain / loss (month)"
    )
    for row in table.head(8).itertuples():
        gain = f"{row.largest_gain:+.2f} ({row.gain_month:g})" if row.largest_gain > 0 else "-"
        loss = f"{row.largest_loss:+.2f} ({row.loss_month:g})" if row.largest_loss < 0 else "-"
        lines.append(
            f"  {row.id:<6}{row.share_scenario:>9.1%}{row.share_reference:>10.1%}{row.change:>+8.1%}  {gain} / {loss}"
        )
    return "\n".join(lines)
