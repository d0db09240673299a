"""Observed points for the figures of ``gmsim run`` and ``gmsim compare`` (``--data FILE``).

:func:`observed_levels` reads a data file and puts each series on its factor's
level scale: a fixed map is inverted, a fitted one is fitted (scale and offset,
least squares) to the run the points are drawn beside.
:func:`overlay_run` and :func:`overlay_comparison` draw them on the figures.

Examples
--------
>>> import gmsim, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "obs.csv"
>>> _ = path.write_text("month,funding\\n0,0.3\\n6,0.32\\n")
>>> result = gmsim.simulate(stop=6)
>>> observed_levels(path, result.time, {"funding": result["funding"]}, result.variables).shape
(2, 1)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gmsim.evidence.data import check_horizon, read_data
from gmsim.plot.observed import overlay_observed

__all__ = ["observed_levels", "overlay_comparison", "overlay_run"]


def observed_levels(
    path: str | os.PathLike,
    time: np.ndarray,
    series: Mapping[str, np.ndarray],
    variables: Sequence[str],
    *,
    observe: Iterable[str] | None = None,
    unit: str = "month",
) -> pd.DataFrame:
    """The data file's series on their factors' level scale (columns: factor ids; index: time)."""
    data = read_data(path, variables, observe=observe)
    check_horizon(data, float(time[0]), float(time[-1]), unit)
    model = {
        f: np.interp(data.time, time, np.asarray(series[f], float).reshape(-1))
        for f in {o.factor for o in data.observations}
        if f in series
    }
    return data.levels(model)


def overlay_run(figures: Iterable[Figure], result, path: str | os.PathLike, **kw) -> int:
    """Draw a data file's points on the figures of one run; return how many series were drawn."""
    series = {v: np.asarray(result[v], float).reshape(-1) for v in result.variables}
    levels = observed_levels(
        path, np.asarray(result.time, float), series, result.variables, unit=result.time_unit, **kw
    )
    return sum(overlay_observed(fig.axes, levels, dict(result.labels)) for fig in figures)


def overlay_comparison(
    fig: Figure, frame: pd.DataFrame, path: str | os.PathLike, *, baseline: str = "baseline", **kw
) -> int:
    """Draw a data file's points on a comparison figure (maps fitted to the ``baseline`` run)."""
    base = frame[frame["scenario"] == baseline]
    if base.empty:
        base = frame[frame["scenario"] == frame["scenario"].iloc[0]]
    wide = base.pivot_table(index="time", columns="variable", values="value")
    levels = observed_levels(
        path,
        wide.index.to_numpy(float),
        {c: wide[c].to_numpy() for c in wide.columns},
        list(wide.columns),
        unit=frame.attrs.get("time_unit", "month"),
        **kw,
    )
    return overlay_observed(fig.axes, levels, {})
