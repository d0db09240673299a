"""Observed data on the figures: points over the model's lines, a fit's panels and its residuals.

The functions take plain tables (a time index and one column per variable),
so they draw data from any source; :mod:`gmsim.evidence` reads the data files.

Examples
--------
>>> import gmsim, pandas as pd
>>> from gmsim.plot.results import plot_effectiveness
>>> ax = plot_effectiveness(gmsim.simulate(stop=6))
>>> data = pd.DataFrame({"effectiveness": [0.4, 0.42]}, index=[0.0, 6.0])
>>> overlay_observed([ax], data, {"effectiveness": "Effectiveness"})
1
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["overlay_observed", "plot_fit", "plot_residuals"]

_POINTS = {"marker": "o", "markersize": 3.5, "linestyle": "none", "alpha": 0.85}


def overlay_observed(axes: Iterable[Axes], data: pd.DataFrame, labels: Mapping[str, str]) -> int:
    """Draw each column of ``data`` (named by variable) on the axes that show that variable.

    A line labelled with the variable's label (``labels``: variable -> label)
    gets the points in its own colour; an axes whose title names the variable
    (one panel per variable, as :func:`gmsim.analysis.comparison.plot_comparison`
    draws) gets them in black. Returns how many series were drawn.
    """
    drawn = 0
    for ax in axes:
        titles = {ax.get_title().strip().lower()}
        lines = {line.get_label(): line for line in ax.get_lines()}
        placed = False
        for variable in data.columns:
            series = data[variable].dropna()
            if series.empty:
                continue
            label = labels.get(variable, variable)
            if label in lines:
                ax.plot(
                    series.index,
                    series.to_numpy(),
                    color=lines[label].get_color(),
                    label=f"{label} (observed)",
                    **_POINTS,
                )
            elif {variable.lower(), variable.replace("_", " ").lower(), label.lower()} & titles:
                ax.plot(series.index, series.to_numpy(), color="black", label="observed", **_POINTS)
            else:
                continue
            drawn += 1
            placed = True
        if placed and ax.get_legend() is not None:
            legend = ax.get_legend()
            ax.legend(fontsize=legend.prop.get_size(), loc=getattr(legend, "_loc", "best"))
    return drawn


def plot_fit(panels: Sequence[Mapping[str, object]], *, title: str = "") -> Figure:
    """One panel per observed series: the data as points, the fitted model as a line.

    Each panel is a mapping with ``title``, ``time``/``observed`` (the data),
    ``model_time``/``model`` (the fitted run, on the data's scale) and ``ylabel``.

    Examples
    --------
    >>> fig = plot_fit([{"title": "funding", "time": [0, 1], "observed": [0.3, 0.4],
    ...                  "model_time": [0, 0.5, 1], "model": [0.3, 0.35, 0.41], "ylabel": "level"}])
    >>> len(fig.axes)
    1
    """
    cols = 1 if len(panels) == 1 else 2
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 3.4 * rows), squeeze=False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        ax.plot(panel["model_time"], panel["model"], color="tab:blue", label="fitted model")
        ax.plot(panel["time"], panel["observed"], color="black", label="observed", **_POINTS)
        ax.set_title(str(panel["title"]), fontsize=10)
        ax.set_ylabel(str(panel.get("ylabel", "")))
        ax.set_xlabel(str(panel.get("xlabel", "month")))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_residuals(residuals: pd.DataFrame, *, time_unit: str = "month") -> Figure:
    """Diagnostics of a fit: weighted residuals over time (one colour per series) and a normal Q-Q plot.

    ``residuals`` has columns ``series``, ``time`` and ``weighted``.

    Examples
    --------
    >>> frame = pd.DataFrame({"series": ["a"] * 3, "time": [0, 1, 2], "weighted": [0.1, -0.2, 0.1]})
    >>> len(plot_residuals(frame).axes)
    2
    """
    from scipy import stats

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    for name, part in residuals.groupby("series", sort=False):
        left.plot(
            part["time"], part["weighted"], marker="o", markersize=3, linewidth=0.8, label=str(name)
        )
    left.axhline(0, color="grey", linewidth=0.8)
    left.set_xlabel(time_unit)
    left.set_ylabel("weighted residual")
    left.set_title("Residuals over time (a pattern means the model misses something)", fontsize=9)
    left.legend(fontsize=7)
    left.grid(alpha=0.3)
    values = np.sort(residuals["weighted"].to_numpy(float))
    if len(values) > 1:
        q = stats.norm.ppf((np.arange(1, len(values) + 1) - 0.5) / len(values))
        sd = values.std(ddof=1) or 1.0
        right.plot(q, values, "o", markersize=3, color="black")
        right.plot(q, q * sd + values.mean(), color="tab:red", linewidth=1)
    right.set_xlabel("normal quantile")
    right.set_ylabel("weighted residual")
    right.set_title("Normal Q-Q (the intervals assume normal noise)", fontsize=9)
    right.grid(alpha=0.3)
    fig.tight_layout()
    return fig
