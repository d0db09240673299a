"""What a calibration writes: the calibrated model file, the estimates, the fit's figures, a manifest.

:func:`write_calibration` fills a folder (use it inside
:func:`gmsim.files.output.output_dir`, so that nothing is half-written):

- ``calibrated.toml``: the model file with each fitted value on its own line,
  marked with the data file, the date and the interval; every other line kept;
- ``estimates.csv``: ``parameter, estimate, low, high`` (95 %), ``std_error``,
  ``start``, ``pinned`` and a note naming what the data cannot pin;
- ``correlations.csv``, ``residuals.csv`` and ``starts.csv`` (the multi-start);
- ``fit.png`` (data and model, one panel per series), ``residuals.png``;
- ``manifest.json``: model, data and their SHA-256, the fit's settings, versions.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from gmsim.evidence.calibrate import Calibration
from gmsim.evidence.edit import set_values
from gmsim.files.manifest import file_sha256, versions
from gmsim.files.reading import read_text
from gmsim.plot.observed import plot_fit, plot_residuals

__all__ = ["calibrated_text", "fit_panels", "write_calibration"]

WRITABLE = ("weight", "tau", "initial")
"""Kinds of parameters a model file holds as plain values."""


def model_path(cal: Calibration) -> Path | None:
    """The model file of a calibration's system (the default model's file when none was given)."""
    model = getattr(cal.system, "model", None)
    path = getattr(model, "path", None)
    if path:
        return Path(path)
    if cal.model is None:
        from gmsim.factor.file import default_model_path

        return Path(default_model_path())
    return None


def calibrated_text(cal: Calibration, text: str) -> str:
    """The model file's ``text`` with the fitted values set and marked."""
    date = _dt.date.today().isoformat()
    rows = cal.estimates.set_index("parameter")
    values, comments = {}, {}
    for name in cal.names:
        if name.partition(":")[0] not in WRITABLE:
            continue
        row = rows.loc[name]
        values[name] = float(row["estimate"])
        note = "" if row["pinned"] else "; NOT PINNED by the data: " + str(row["note"])
        comments[name] = (
            f"calibrated to {cal.data.name}, {date}: 95 % [{row['low']:.4g}, {row['high']:.4g}] "
            f"(was {row['start']:.4g}){note}"
        )
    return set_values(text, values, comments)


def fit_panels(cal: Calibration, dt: float | None = None) -> list[dict[str, Any]]:
    """The panels of ``fit.png``: each series' data, and the fitted run on the series' scale."""
    run = cal.run()
    rows = cal.estimates.set_index("parameter")["estimate"]
    panels = []
    for j, obs in enumerate(cal.data.observations):
        scale = rows.get(f"scale:{obs.column}", obs.scale)
        offset = rows.get(f"offset:{obs.column}", obs.offset)
        level = np.asarray(run[obs.factor], float).reshape(-1)
        ok = np.isfinite(cal.data.values[:, j])
        title = obs.column if obs.column == obs.factor else f"{obs.column} ({obs.describe()})"
        panels.append(
            {
                "title": title,
                "time": cal.data.time[ok],
                "observed": cal.data.values[ok, j],
                "model_time": np.asarray(run.time, float),
                "model": scale * level + offset,
                "ylabel": "level (0-1)" if obs.column == obs.factor and obs.scale == 1 else obs.column,
                "xlabel": cal.system.time_unit,
            }
        )
    return panels


def write_calibration(
    cal: Calibration, folder: str | os.PathLike, *, command: dict[str, Any] | None = None
) -> list[str]:
    """Write every output of a calibration into ``folder``; return the names written."""
    folder = Path(folder)
    written = []
    source = model_path(cal)
    if (
        source is not None
        and source.suffix.lower() == ".toml"
        and any(n.partition(":")[0] in WRITABLE for n in cal.names)
    ):
        text = read_text(source, what="model file")
        (folder / "calibrated.toml").write_text(calibrated_text(cal, text), encoding="utf-8")
        written.append("calibrated.toml")
    columns = ["parameter", "estimate", "low", "high", "std_error", "start", "pinned", "note"]
    cal.estimates[columns].to_csv(folder / "estimates.csv", index=False)
    cal.correlation.to_csv(folder / "correlations.csv", index_label="parameter")
    cal.residuals.to_csv(folder / "residuals.csv", index=False)
    cal.starts.to_csv(folder / "starts.csv", index=False)
    written += ["estimates.csv", "correlations.csv", "residuals.csv", "starts.csv"]
    fig = plot_fit(fit_panels(cal), title=f"{cal.system.name}: fit to {cal.data.name}")
    fig.savefig(folder / "fit.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig = plot_residuals(cal.residuals, time_unit=cal.system.time_unit)
    fig.savefig(folder / "residuals.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    written += ["fit.png", "residuals.png"]
    info = {
        "analysis": "calibration",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "model": {"name": cal.system.name, **_file(source)},
        "scenario": cal.scenario,
        "data": {**_file(cal.data.path), "observations": [o.describe() for o in cal.data.observations]},
        "fit": list(cal.names),
        "points": cal.points,
        "degrees_of_freedom": cal.dof,
        "residual_variance": cal.s2,
        "cost": cal.cost,
        "runs": cal.runs,
        "batches": cal.batches,
        "not_pinned": cal.unpinned,
        "run": {k: getattr(cal.settings, k) for k in ("start", "stop", "dt", "method")},
        "method": "scipy.optimize.least_squares (trf, bounded), multi-start; covariance s^2 (J'J)^-1",
        "versions": versions(),
    }
    info["outputs"] = {name: file_sha256(folder / name) for name in written}
    (folder / "manifest.json").write_text(
        json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return [*written, "manifest.json"]


def _file(path) -> dict[str, Any]:
    if path and Path(path).is_file():
        return {"file": str(path), "sha256": file_sha256(path)}
    return {"file": None}
