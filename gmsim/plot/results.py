"""Plots of results. Each function takes Results and returns matplotlib objects.

Functions follow the ``ax=None`` convention: pass an Axes to draw into it,
or get a new figure. Nothing here computes model quantities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gmsim.core.result import Result
from gmsim.factor.model import GROUP_TITLES, GROUPS

__all__ = [
    "GROUP_TITLES",
    "OUTCOMES",
    "headline_variables",
    "plot_effectiveness",
    "plot_overview",
    "plot_variables",
]

OUTCOMES = ("effectiveness", "information_disclosure", "public_service", "citizen_engagement")
"""The composite outcome and its three dimensions (paper, abstract)."""


def headline_variables(result: Result) -> list[str]:
    """The variables a summary leads with: effectiveness and its outcomes, else the first few."""
    chosen = [v for v in OUTCOMES if v in result.variables]
    if chosen:
        return chosen
    outcomes = [v for v in result.variables if result.groups.get(v) == "outcome"]
    return outcomes or list(result.variables[:4])


def plot_variables(
    result: Result,
    variables: Sequence[str],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    label_prefix: str = "",
    **style,
) -> Axes:
    """Trajectories of chosen variables on one Axes (a batch: the median and a 5-95 % band).

    Examples
    --------
    >>> import gmsim
    >>> ax = plot_variables(gmsim.simulate(stop=6), ["funding", "effectiveness"])
    >>> len(ax.lines)
    2
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for v in variables:
        label = label_prefix + result.labels.get(v, v)
        series = result.values[:, :, result.variables.index(v)]
        if series.shape[0] > 1:
            lo, mid, hi = np.percentile(series, [5, 50, 95], axis=0)
            (line,) = ax.plot(result.time, mid, label=label, **style)
            ax.fill_between(result.time, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        else:
            ax.plot(result.time, series[0], label=label, **style)
    ax.set_xlabel(result.time_unit)
    ax.set_ylabel(result.value_label)
    ax.set_title(title or f"{result.model} - {result.scenario}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_effectiveness(result: Result, *, ax: Axes | None = None) -> Axes:
    """Effectiveness and the three outcome dimensions over time."""
    variables = headline_variables(result)
    ax = plot_variables(result, variables, ax=ax, title=f"Effectiveness - {result.scenario}")
    if "effectiveness" in variables:
        ax.lines[variables.index("effectiveness")].set_linewidth(2.5)
    return ax


def plot_overview(result: Result, *, groups: Mapping[str, str] | None = None) -> Figure:
    """Every variable, one panel per group of the paper (enablers, barriers, processes, outcomes)."""
    groups = groups or result.groups
    order = [g for g in GROUPS if any(groups.get(v) == g for v in result.variables)]
    others = [v for v in result.variables if groups.get(v) not in GROUPS]
    panels = [(GROUP_TITLES[g], [v for v in result.variables if groups.get(v) == g]) for g in order]
    if others:
        panels.append(("Variables", others))
    cols = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.6 * rows), squeeze=False)
    for ax, (title, variables) in zip(axes.flat, panels, strict=False):
        plot_variables(result, variables, ax=ax, title=title)
        ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(f"{result.model} - {result.scenario}", fontsize=11)
    fig.tight_layout()
    return fig
