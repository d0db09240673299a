"""Observed points for the figures of ``gmsim run`` and ``gmsim compare`` (``--data FILE``).

:func:`observed_levels` reads a data file and puts each series on its factor's
level scale: a fixed map is inverted, a fitted one is fitted (scale and offset,
least squares) to the run the points are drawn beside. :func:`run_levels` and
:func:`comparison_levels` do so for one run or for a comparison (maps fitted to
its baseline); every problem of the file (a column that is no factor, a cell
that is no number, times out of order or outside the run) is raised there, as
one :class:`~gmsim.errors.DataError`, before anything is drawn or written.
:func:`overlay_run` and :func:`overlay_comparison` draw them on the figures.

Examples
--------
>>> import gmsim, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "obs.csv"
>>> _ = path.write_text("month,funding\\n0,0.3\\n6,0.32\\n")
>>> result = gmsim.simulate(stop=6)
>>> observed_levels(path, result.time, {"funding": result["funding"]}, result.variables).shape
(2, 1)
>>> from gmsim.plot.results import plot_overview
>>> fig = plot_overview(result)
>>> overlay_run([fig], result, run_levels(result, path))
['funding']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gmsim.evidence.data import ObservedData, check_horizon, read_data
from gmsim.plot.observed import overlay_observed

__all__ = [
    "comparison_levels",
    "observed_levels",
    "overlay_comparison",
    "overlay_run",
    "run_levels",
]

Levels = pd.DataFrame | str | os.PathLike


def observed_levels(
    path: str | os.PathLike | ObservedData,
    time: np.ndarray,
    series: Mapping[str, np.ndarray],
    variables: Sequence[str],
    *,
    observe: Iterable[str] | None = None,
    unit: str = "month",
) -> pd.DataFrame:
    """The data file's series on their factors' level scale (columns: factor ids; index: time).

    ``time`` and ``series`` are the run the points go beside (a fitted map is
    fitted to it); ``variables`` are the model's variable names, which the
    file's columns (or their maps, ``observe``) must name. ``path`` may also be
    data read already (:func:`~gmsim.evidence.data.read_data`).
    """
    data = path if isinstance(path, ObservedData) else read_data(path, variables, observe=observe)
    check_horizon(data, float(time[0]), float(time[-1]), unit)
    model = {
        f: np.interp(data.time, time, np.asarray(series[f], float).reshape(-1))
        for f in {o.factor for o in data.observations}
        if f in series
    }
    levels = data.levels(model)
    levels.attrs["name"] = data.name
    return levels


def run_levels(result, path: str | os.PathLike, *, observe: Iterable[str] | None = None) -> pd.DataFrame:
    """A data file's points on the level scale of one run (a :class:`~gmsim.core.result.Result`)."""
    series = {v: np.asarray(result[v], float).reshape(-1) for v in result.variables}
    return observed_levels(
        path,
        np.asarray(result.time, float),
        series,
        result.variables,
        observe=observe,
        unit=result.time_unit,
    )


def comparison_levels(
    frame: pd.DataFrame,
    path: str | os.PathLike | ObservedData,
    *,
    baseline: str | None = None,
    observe: Iterable[str] | None = None,
) -> pd.DataFrame:
    """A data file's points on the level scale of a comparison (:func:`gmsim.compare`'s table).

    Fitted maps are fitted to the ``baseline`` run (default: the table's own
    baseline, else its first scenario).
    """
    baseline = baseline or frame.attrs.get("baseline") or "baseline"
    base = frame[frame["scenario"] == baseline]
    if base.empty:
        base = frame[frame["scenario"] == frame["scenario"].iloc[0]]
    wide = base.pivot_table(index="time", columns="variable", values="value", sort=False)
    return observed_levels(
        path,
        wide.index.to_numpy(float),
        {c: wide[c].to_numpy() for c in wide.columns},
        list(wide.columns),
        observe=observe,
        unit=frame.attrs.get("time_unit", "month"),
    )


def _draw(figures: Iterable[Figure], levels: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    """Draw each column on the figures that show it; the columns drawn somewhere, in order."""
    figures = list(figures)
    drawn = []
    for column in levels.columns:
        if sum(overlay_observed(fig.axes, levels[[column]], labels) for fig in figures):
            drawn.append(column)
    return drawn


def overlay_run(figures: Iterable[Figure], result, levels: Levels, **kw) -> list[str]:
    """Draw observed points on the figures of one run; return the variables drawn.

    ``levels`` is a table from :func:`run_levels`, or a data file (read with
    ``kw``, e.g. ``observe``).
    """
    if not isinstance(levels, pd.DataFrame):
        levels = run_levels(result, levels, **kw)
    return _draw(figures, levels, dict(result.labels))


def overlay_comparison(fig: Figure, frame: pd.DataFrame, levels: Levels, **kw) -> list[str]:
    """Draw observed points on a comparison figure; return the variables drawn.

    ``levels`` is a table from :func:`comparison_levels`, or a data file (read
    with ``kw``: ``baseline``, ``observe``). The figure's legend gains the
    observed points.
    """
    if not isinstance(levels, pd.DataFrame):
        levels = comparison_levels(frame, levels, **kw)
    drawn = _draw([fig], levels, {})
    if drawn and fig.legends:
        old = fig.legends[0]
        handles, texts = list(old.legend_handles), [t.get_text() for t in old.get_texts()]
        old.remove()
        point = Line2D([], [], color="black", marker="o", markersize=3.5, linestyle="none")
        fig.legend(
            [*handles, point],
            [*texts, f"observed ({levels.attrs.get('name', 'data')})"],
            loc="center left",
            bbox_to_anchor=(1.0, 0.5),
            fontsize=8,
        )
    return drawn
