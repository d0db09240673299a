"""Plots of ensembles and sensitivity indices; each returns matplotlib objects (``ax=None`` convention).

:func:`plot_fan` draws a Monte Carlo fan chart (median line, 25-75 % and
5-95 % bands per scenario); :func:`plot_indices` a ranked horizontal bar chart
(tornado) of sensitivity indices with their confidence intervals. Nothing here
computes model quantities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

if TYPE_CHECKING:
    from gmsim.uncertainty.montecarlo import MonteCarloResult
    from gmsim.uncertainty.sensitivity import SensitivityResult

__all__ = ["plot_fan", "plot_indices"]


def plot_fan(
    result: MonteCarloResult,
    variable: str = "effectiveness",
    *,
    ax: Axes | None = None,
    scenarios: Sequence[str] | None = None,
) -> Axes:
    """Fan chart of ``variable``: each scenario's median, 25-75 % and 5-95 % bands over time.

    Examples
    --------
    >>> import gmsim
    >>> mc = gmsim.monte_carlo(runs=16, stop=12, seed=1, scenarios=["attention-boost"])
    >>> ax = plot_fan(mc, "effectiveness")
    >>> [line.get_label() for line in ax.lines]
    ['baseline (median)', 'attention-boost (median)']
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for s in scenarios or result.scenarios:
        band = result.band(variable, s)
        (line,) = ax.plot(band.index, band["p50"], label=f"{s} (median)", linewidth=2)
        color = line.get_color()
        ax.fill_between(band.index, band["p5"], band["p95"], color=color, alpha=0.15, linewidth=0)
        ax.fill_between(band.index, band["p25"], band["p75"], color=color, alpha=0.3, linewidth=0)
    ax.set_xlabel("month")
    ax.set_ylabel(f"{variable} (level 0-1)")
    ax.set_title(
        f"{variable}: median, 50 % and 90 % bands of {result.runs} runs\n"
        f"{result.model} - spec: {result.spec.name or 'custom'}",
        fontsize=9,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_indices(
    result: SensitivityResult,
    metric: str | None = None,
    *,
    top: int = 20,
    ax: Axes | None = None,
) -> Axes:
    """Ranked bars of sensitivity indices (Sobol ST and S1, or Morris mu*), with confidence intervals."""
    table = result.ranking(metric).head(top).iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.32 * len(table) + 1.6))
    y = np.arange(len(table))
    labels = [p.replace("weight:", "").replace("->", " → ") for p in table["parameter"]]
    if result.method == "sobol":
        ax.barh(
            y + 0.2, table["ST"], height=0.4, xerr=table["ST_conf"], label="total order ST", capsize=2
        )
        ax.barh(
            y - 0.2, table["S1"], height=0.4, xerr=table["S1_conf"], label="first order S1", capsize=2
        )
        ax.set_xlabel("share of the metric's variance")
    else:
        ax.barh(y, table["mu_star"], height=0.6, xerr=table["mu_star_conf"], label="mu*", capsize=2)
        ax.set_xlabel("mu*: mean absolute elementary effect (metric units over a parameter's range)")
    ax.set_yticks(y, labels, fontsize=7)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_title(
        f"{result.method.capitalize()} sensitivity of {result.metric_name(metric)} - "
        f"{result.runs} runs, {result.scenario}",
        fontsize=9,
    )
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return ax
