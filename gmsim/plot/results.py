"""Plots of results. Each function takes Results and returns matplotlib objects.

Functions follow the ``ax=None`` convention: pass an Axes to draw into it,
or get a new figure. Nothing here computes model quantities.

A factor model's overview has one panel per group of the paper. A
stock-and-flow model (an imported XMILE file) may have hundreds of variables,
most of them constants and helpers: its overview shows the stocks (or the
variables asked for) as small multiples, at most :data:`LINES_PER_PANEL` lines
a panel and :data:`MAX_PANELS` panels, and leaves constants out.
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
    "LINES_PER_PANEL",
    "MAX_PANELS",
    "OUTCOMES",
    "headline_variables",
    "overview_variables",
    "plot_effectiveness",
    "plot_overview",
    "plot_panels",
    "plot_variables",
]

OUTCOMES = ("effectiveness", "information_disclosure", "public_service", "citizen_engagement")
"""The composite outcome and its three dimensions (paper, abstract)."""

LINES_PER_PANEL = 6
"""Most lines in one panel of a stock-and-flow overview."""

MAX_PANELS = 24
"""Most panels in a stock-and-flow overview (the figure's size stays bounded)."""

HEADLINE = 4
"""How many stocks a stock-and-flow model's headline figure and summary show."""

LEGEND_MOST = 40
"""Most lines a panel names in its legend (a legend of thousands took minutes to draw)."""


def _is_factor_result(result: Result) -> bool:
    return any(result.groups.get(v) in GROUPS for v in result.variables)


def _constant(result: Result, v: str) -> bool:
    """A variable that never moves, in any run (a stock is never left out as a constant)."""
    if result.groups.get(v) == "stock":
        return False
    series = result.values[:, :, result.variables.index(v)]
    return bool(np.all(series == series[:, :1]))


def headline_variables(result: Result) -> list[str]:
    """The variables a summary leads with: effectiveness and its outcomes, else the first few.

    A model without the paper's outcomes leads with its ``outcome`` group, else
    its first :data:`HEADLINE` stocks, else its first variables that move.
    """
    chosen = [v for v in OUTCOMES if v in result.variables]
    if chosen:
        return chosen
    outcomes = [v for v in result.variables if result.groups.get(v) == "outcome"]
    if outcomes:
        return outcomes
    stocks = [v for v in result.variables if result.groups.get(v) == "stock"]
    if stocks:
        return stocks[:HEADLINE]
    moving = [v for v in result.variables if not _constant(result, v)]
    return (moving or list(result.variables))[:HEADLINE]


def overview_variables(result: Result, variables: Sequence[str] | None = None) -> list[str]:
    """What a stock-and-flow overview shows: ``variables`` if given, else the stocks, else every
    variable that moves; constants (variables that never change) are always left out.

    Examples
    --------
    >>> import gmsim
    >>> from gmsim.xmile import load_xmile_text
    >>> from gmsim.xmile.examples import TEACUP
    >>> overview_variables(gmsim.simulate(load_xmile_text(TEACUP)))
    ['Teacup_Temperature']
    """
    if variables:
        chosen = list(dict.fromkeys(variables))
    else:
        chosen = [v for v in result.variables if result.groups.get(v) == "stock"] or list(
            result.variables
        )
    kept = [v for v in chosen if not _constant(result, v)]
    return kept or chosen[:LINES_PER_PANEL]


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
    colours = len(plt.rcParams["axes.prop_cycle"].by_key().get("color", ())) or 1
    for k, v in enumerate(variables):
        label = label_prefix + result.labels.get(v, v)
        series = result.values[:, :, result.variables.index(v)]
        # past the colour cycle a colour comes round again: dash the second round, so no two
        # lines of a legend look alike
        line_style = (
            style if k < colours or {"linestyle", "ls"} & style.keys() else {**style, "ls": "--"}
        )
        if series.shape[0] > 1:
            lo, mid, hi = np.percentile(series, [5, 50, 95], axis=0)
            (line,) = ax.plot(result.time, mid, label=label, **line_style)
            ax.fill_between(result.time, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        else:
            ax.plot(result.time, series[0], label=label, **line_style)
    ax.set_xlabel(result.time_unit)
    ax.set_ylabel(result.value_label)
    ax.set_title(title or f"{result.model} - {result.scenario}", fontsize=10)
    ax.grid(alpha=0.3)
    if len(ax.lines) <= LEGEND_MOST:
        ax.legend(fontsize=8, loc="best")
    return ax


def plot_effectiveness(result: Result, *, ax: Axes | None = None) -> Axes:
    """Effectiveness and the three outcome dimensions over time.

    A model without them shows its :func:`headline_variables` (for a
    stock-and-flow model, its first few stocks).
    """
    variables = headline_variables(result)
    title = (
        "Effectiveness"
        if "effectiveness" in variables
        else "Stocks"
        if all(result.groups.get(v) == "stock" for v in variables)
        else "Headline variables"
    )
    ax = plot_variables(result, variables, ax=ax, title=f"{title} - {result.scenario}")
    if "effectiveness" in variables:
        ax.lines[variables.index("effectiveness")].set_linewidth(2.5)
    return ax


def plot_overview(
    result: Result,
    *,
    groups: Mapping[str, str] | None = None,
    variables: Sequence[str] | None = None,
) -> Figure:
    """Every variable, one panel per group of the paper (enablers, barriers, processes, outcomes).

    A result without the paper's groups (a stock-and-flow model) gets small
    multiples instead (:func:`plot_panels` of :func:`overview_variables`): its
    stocks, or ``variables``, constants left out.

    Examples
    --------
    >>> import gmsim
    >>> from gmsim.xmile import load_xmile_text
    >>> from gmsim.xmile.examples import TEACUP
    >>> fig = plot_overview(gmsim.simulate(load_xmile_text(TEACUP)))
    >>> [len(ax.lines) for ax in fig.axes if ax.get_visible()]
    [1]
    """
    if not _is_factor_result(result) and groups is None:
        return plot_panels(result, overview_variables(result, variables))
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
        if len(variables) <= LEGEND_MOST:
            ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
        else:
            ax.set_title(f"{title} ({len(variables)} factors: too many to name)", fontsize=10)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(f"{result.model} - {result.scenario}", fontsize=11)
    fig.tight_layout()
    return fig


def _panels(result: Result, variables: Sequence[str]) -> list[list[str]]:
    """Variables cut into panels of at most :data:`LINES_PER_PANEL`, lines of like size together.

    Up to 12 variables get a panel each; more are sorted by their largest
    absolute value, so that a panel's lines share a scale.
    """
    if len(variables) <= 12:
        return [[v] for v in variables]
    size = {
        v: float(np.nanmax(np.abs(result.values[:, :, result.variables.index(v)]))) for v in variables
    }
    ordered = sorted(variables, key=lambda v: (size[v], variables.index(v)))
    n = math.ceil(len(ordered) / LINES_PER_PANEL)
    per = math.ceil(len(ordered) / n)
    return [ordered[k : k + per] for k in range(0, len(ordered), per)]


def _short(text: str, width: int = 34) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_panels(result: Result, variables: Sequence[str]) -> Figure:
    """Small multiples: ``variables`` in a grid of panels, each with its own scale.

    At most :data:`LINES_PER_PANEL` lines a panel and :data:`MAX_PANELS` panels
    (up to four a row); variables beyond them are left out and the title says
    how many are shown.

    Examples
    --------
    >>> import gmsim
    >>> result = gmsim.simulate(stop=6)
    >>> fig = plot_panels(result, result.variables[:14])
    >>> max(len(ax.lines) for ax in fig.axes) <= LINES_PER_PANEL
    True
    """
    variables = list(dict.fromkeys(variables))
    panels = _panels(result, variables)[:MAX_PANELS]
    shown = sum(len(p) for p in panels)
    cols = min(4, len(panels)) or 1
    rows = math.ceil(len(panels) / cols) or 1
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.6 * cols + 0.6, 2.7 * rows + 0.8), squeeze=False, sharex=True
    )
    for ax, names in zip(axes.flat, panels, strict=False):
        single = len(names) == 1
        title = _short(result.labels.get(names[0], names[0]), 40) if single else ""
        plot_variables(result, names, ax=ax)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(result.time_unit)
        ax.set_ylabel(result.value_label if single else "")
        ax.tick_params(labelsize=7)
        ax.xaxis.label.set_size(8)
        ax.yaxis.label.set_size(8)
        ax.xaxis.set_tick_params(labelbottom=True)
        legend = ax.get_legend()
        if single and legend is not None:
            legend.remove()
        elif not single:
            for line in ax.lines:
                line.set_label(_short(str(line.get_label())))
            ax.legend(fontsize=6, loc="best", framealpha=0.7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    kinds = "stocks" if all(result.groups.get(v) == "stock" for v in variables) else "variables"
    note = f"{shown} {kinds}" if shown == len(variables) else f"{shown} of {len(variables)} {kinds}"
    fig.suptitle(f"{result.model} - {result.scenario} ({note})", fontsize=10)
    fig.tight_layout()
    return fig
