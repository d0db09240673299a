"""Figures of loop dominance: relative loop scores over time, and how they shift between runs.

Both functions take the result objects of :mod:`gmsim.analysis` (they are what
:meth:`Dominance.plot <gmsim.analysis.dominance_result.Dominance.plot>` and
:meth:`DominanceShift.plot <gmsim.analysis.shift.DominanceShift.plot>` draw)
and return a matplotlib Figure; nothing here computes a score.

Examples
--------
>>> import gmsim
>>> dom = gmsim.loop_dominance(scenario="hacker-attack", stop=24)
>>> fig = plot_dominance(dom, top=4)
>>> fig.axes[-1].get_ylabel()
'relative loop score'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from gmsim.analysis.dominance_result import Dominance
    from gmsim.analysis.loops import Loop
    from gmsim.analysis.shift import DominanceShift

__all__ = ["plot_dominance", "plot_shift"]


def plot_dominance(
    dominance: Dominance, *, top: int = 8, variable: str | None = "effectiveness", partition: int = 0
) -> Figure:
    """Relative loop scores over time, stacked (reinforcing above 0, balancing below).

    The ``top`` loops that lead longest (then by mean share) get their own
    colour, the others are summed by polarity; a strip above names the
    dominant loop(s) of each period, and, when ``variable`` is a factor of the
    run, a panel on top shows its level.
    """
    periods = dominance.periods(partition)  # checks the partition
    show_level = variable is not None and variable in dominance.levels.columns
    heights = [1.2, 0.35, 3.2] if show_level else [0.35, 3.2]
    fig, axes = plt.subplots(
        len(heights), 1, figsize=(9, 6.5 if show_level else 5), sharex=True,
        gridspec_kw={"height_ratios": heights, "hspace": 0.08},
    )  # fmt: skip
    if show_level:
        axes[0].plot(dominance.time, dominance.levels[variable], color="black", linewidth=1.6)
        axes[0].set_ylabel(variable.replace("_", " "), fontsize=8)
        axes[0].grid(alpha=0.3)
    strip, ax = axes[-2], axes[-1]
    cols = np.flatnonzero(dominance.partition == partition)
    loops = [dominance.loops[int(i)] for i in cols]
    _stack(ax, dominance.time, dominance.relative[:, cols], loops, top)
    _strip(strip, periods, dominance.time)
    ax.set_xlabel("month")
    ax.set_ylabel("relative loop score")
    ax.set_ylim(-1.05, 1.05)
    fig.suptitle(f"Loop dominance - {dominance.model} - {dominance.scenario}", fontsize=10)
    return fig


def plot_shift(shift: DominanceShift, *, top: int = 6) -> Figure:
    """Change of share over time of the loops that moved most, above the leading loops of both runs."""
    table = shift.table()
    fig, axes = plt.subplots(
        3,
        1,
        figsize=(9, 5.5),
        sharex=True,
        gridspec_kw={"height_ratios": [0.3, 0.3, 3], "hspace": 0.1},
    )
    _strip(axes[0], shift.scenario.periods(), shift.scenario.time)
    axes[0].set_ylabel(shift.scenario.scenario, fontsize=7, rotation=0, ha="right", va="center")
    _strip(axes[1], shift.reference.periods(), shift.reference.time)
    axes[1].set_ylabel(shift.reference.scenario, fontsize=7, rotation=0, ha="right", va="center")
    ax = axes[2]
    change = shift.change()
    for row in table.head(top).itertuples():
        style = "-" if row.polarity == "R" else "--"
        ax.plot(change.index, change[row.id], style, label=f"{row.id}: {_short(row.name)}")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("month")
    ax.set_ylabel("share in scenario − share in reference")
    ax.grid(alpha=0.3)
    if len(table):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.suptitle(
        f"Dominance shift - {shift.scenario.scenario} against {shift.reference.scenario}", fontsize=10
    )
    return fig


def _stack(ax, time, rel, loops: list[Loop], top: int) -> None:
    """Stacked relative scores; the loops that lead longest (then by mean share) get a colour each,
    taken in turn from the reinforcing and the balancing side."""
    share = np.abs(rel).mean(axis=0)
    leading = np.argmax(np.abs(rel), axis=1)[np.abs(rel).sum(axis=1) > 0]
    months_top = np.bincount(leading, minlength=rel.shape[1])
    ranked = [int(i) for i in np.lexsort((-share, -months_top)) if share[i] > 0]
    # alternate polarities so that neither the reinforcing nor the balancing side is all "other"
    sides = [[i for i in ranked if loops[i].polarity == p] for p in ("R", "B")]
    sides.append([i for i in ranked if loops[i].polarity not in ("R", "B")])
    chosen: list[int] = []
    while len(chosen) < top and any(sides):
        for side in sides:
            if side and len(chosen) < top:
                chosen.append(side.pop(0))
    colors = plt.get_cmap("tab10").colors
    pos_base, neg_base = np.zeros(len(time)), np.zeros(len(time))
    series = [
        (rel[:, i], f"{loops[i].id}: {_short(loops[i].name)}", colors[n % 10])
        for n, i in enumerate(chosen)
    ]
    rest = np.delete(rel, chosen, axis=1)
    series.append((np.where(rest > 0, rest, 0).sum(axis=1), "other reinforcing", "#c8d8e8"))
    series.append((np.where(rest < 0, rest, 0).sum(axis=1), "other balancing", "#f0c8c0"))
    for values, label, color in series:
        up, down = np.clip(values, 0, None), np.clip(values, None, 0)
        if not (up.any() or down.any()):
            continue
        ax.fill_between(time, pos_base, pos_base + up, color=color, linewidth=0, label=label)
        ax.fill_between(time, neg_base, neg_base + down, color=color, linewidth=0)
        pos_base, neg_base = pos_base + up, neg_base + down
    ax.axhline(0, color="black", linewidth=0.8)
    ax.grid(alpha=0.3)
    ax.text(0.005, 0.98, "reinforcing", transform=ax.transAxes, va="top", fontsize=7, color="#555")
    ax.text(0.005, 0.02, "balancing", transform=ax.transAxes, va="bottom", fontsize=7, color="#555")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _strip(ax, periods: pd.DataFrame, time: np.ndarray) -> None:
    """A band naming the dominant loop(s) of each period (a period at rest has no polarity)."""
    palette = {"R": "#4c78a8", "B": "#e45756"}
    for row in periods.itertuples():
        color = palette.get(row.polarity, "#dddddd")
        ax.axvspan(row.start, row.end, color=color, alpha=0.35, linewidth=0)
        if row.end - row.start >= 0.05 * (time[-1] - time[0]) and row.polarity:
            ax.text((row.start + row.end) / 2, 0.5, row.loop, ha="center", va="center", fontsize=7)
    ax.set_yticks([])
    ax.set_ylabel("leading", fontsize=7, rotation=0, ha="right", va="center")
    ax.set_xlim(time[0], time[-1])


def _short(name: str, width: int = 60) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"
