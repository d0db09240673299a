"""The report's evidence section: an agency's observed data beside the model, and a calibration's fit.

:func:`read_observed` and :func:`read_calibration` read and check their inputs
before anything runs (a bad data file or folder is one
:class:`~gmsim.errors.DataError`); :func:`evidence_section` draws the section
from the report's comparison runs:

- with a data file, one panel per observed factor: the scenarios' lines and the
  observed points (a fitted scale and offset fitted to the baseline), and a
  table of each series with how far the baseline runs from its points;
- with a calibration folder (what ``gmsim calibrate`` wrote), its ``fit.png``,
  the estimates with their 95 % intervals and the parameters the data cannot
  pin, each named with the reason.

Examples
--------
>>> import gmsim, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "agency.csv"
>>> _ = path.write_text("month,effectiveness\\n0,0.2\\n6,0.3\\n12,0.35\\n")
>>> frame = gmsim.compare(scenarios=["attention-boost"], stop=12, dt=0.25)
>>> fig, drawn = observed_figure(frame, comparison_levels(frame, path))
>>> drawn, [line.get_label() for line in fig.axes[0].get_lines()]
(['effectiveness'], ['baseline', 'attention-boost', 'observed'])
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gmsim.analysis.comparison import plot_comparison
from gmsim.errors import DataError
from gmsim.evidence.data import ObservedData, check_horizon, read_data
from gmsim.evidence.overlay import comparison_levels, overlay_comparison
from gmsim.files.reading import read_bytes, read_text
from gmsim.report.html import Html, esc, figure, table, tag
from gmsim.report.narrative import NBSP, amount, count

__all__ = [
    "CalibrationFolder",
    "evidence_section",
    "observed_figure",
    "read_calibration",
    "read_observed",
]

ESTIMATES = ("parameter", "estimate", "low", "high")
"""The columns an ``estimates.csv`` must have (``gmsim calibrate`` writes them first)."""


@dataclass(frozen=True)
class CalibrationFolder:
    """What ``gmsim calibrate`` wrote into a folder: the estimates, the fit's figure, the manifest."""

    path: Path
    estimates: pd.DataFrame
    fit_png: bytes | None = None
    manifest: Mapping[str, Any] = field(default_factory=dict)

    @property
    def data_name(self) -> str:
        """The name of the data file the parameters were fitted to."""
        file = (self.manifest.get("data") or {}).get("file")
        return Path(file).name if file else "the data"

    @property
    def unpinned(self) -> dict[str, str]:
        """The parameters the data cannot pin, with the reason."""
        frame = self.estimates
        if "pinned" not in frame.columns:
            return {}
        notes = frame["note"] if "note" in frame.columns else pd.Series([""] * len(frame))
        return {
            str(p): ("" if pd.isna(n) else str(n))
            for p, ok, n in zip(frame["parameter"], frame["pinned"], notes, strict=True)
            if not _true(ok)
        }


def _true(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def read_observed(
    path: str | os.PathLike,
    variables: Iterable[str],
    start: float,
    stop: float,
    *,
    observe: Iterable[str] | None = None,
    unit: str = "month",
) -> ObservedData:
    """Read a data file and check it against the model's variables and the report's horizon."""
    data = read_data(path, list(variables), observe=observe)
    check_horizon(data, start, stop, unit)
    return data


def read_calibration(folder: str | os.PathLike) -> CalibrationFolder:
    """Read a folder written by ``gmsim calibrate`` (``estimates.csv``; ``fit.png``, ``manifest.json``)."""
    path = Path(folder)
    hint = "give the folder `gmsim calibrate --out DIR` wrote"
    if not path.is_dir():
        raise DataError(f"`--calibration {folder}`: no such folder; {hint}")
    file = path / "estimates.csv"
    if not file.is_file():
        raise DataError(f"`--calibration {folder}`: the folder has no estimates.csv; {hint}")
    try:
        estimates = pd.read_csv(io.BytesIO(read_bytes(file, what="CSV file", error=DataError)))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: not a table of estimates ({exc}); {hint}") from None
    missing = [c for c in ESTIMATES if c not in estimates.columns]
    if missing:
        raise DataError(
            f"{file}: no column `{missing[0]}`; an estimates file has the columns "
            f"{', '.join(ESTIMATES)} (as `gmsim calibrate` writes it)"
        )
    for column in ESTIMATES[1:]:
        values = pd.to_numeric(estimates[column], errors="coerce")
        bad = values.isna() & estimates[column].notna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise DataError(
                f"{file}:{row + 2}: `{column}` holds {estimates[column].iloc[row]!r}, not a number"
            )
        estimates[column] = values
    manifest: dict[str, Any] = {}
    if (path / "manifest.json").is_file():
        try:
            manifest = json.loads(read_text(path / "manifest.json", what="JSON file", error=DataError))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path / 'manifest.json'}: not JSON ({exc}); {hint}") from None
        except RecursionError:  # the JSON reader recurses into nested arrays and objects
            raise DataError(
                f"{path / 'manifest.json'}: arrays or objects nested too deeply to read; {hint}"
            ) from None
        if not isinstance(manifest, dict):
            raise DataError(f"{path / 'manifest.json'}: expected a JSON object; {hint}")
    png = path / "fit.png"
    image = read_bytes(png, what="PNG file", error=DataError) if png.is_file() else None
    return CalibrationFolder(path, estimates, image, manifest)


# -- the section ---------------------------------------------------------------------------------
def observed_figure(frame: pd.DataFrame, levels: pd.DataFrame) -> tuple[Figure, list[str]]:
    """One panel per observed factor, a line per scenario and the observed points; and what was drawn."""
    variables = [c for c in levels.columns if c in set(frame["variable"])]
    fig = plot_comparison(frame, variables)
    return fig, overlay_comparison(fig, frame, levels)


def _series_rows(data: ObservedData, levels: pd.DataFrame, frame: pd.DataFrame) -> list[list[Any]]:
    baseline = frame.attrs.get("baseline") or "baseline"
    base = frame[frame["scenario"] == baseline]
    rows = []
    for j, obs in enumerate(data.observations):
        ok = np.isfinite(data.values[:, j])
        times = data.time[ok]
        gap = ""
        key = obs.factor if obs.factor in levels.columns else obs.column
        if key in levels.columns:
            part = base[base["variable"] == obs.factor]
            model = np.interp(times, part["time"].to_numpy(float), part["value"].to_numpy(float))
            observed = levels[key].to_numpy(float)[ok]
            gap = amount(float(np.sqrt(np.mean((observed - model) ** 2)))) if len(times) else ""
        span = f"{times[0]:g}–{times[-1]:g}" if len(times) else ""
        rows.append([tag("code", obs.column), obs.factor, _map(obs), int(ok.sum()), span, gap])
    return rows


def _png(data: bytes, *, alt: str, caption: object, dpi: int = 110) -> Html:
    """An embedded PNG file, shown at its size in inches (``dpi``: the dots per inch it was saved at)."""
    width = int.from_bytes(data[16:20], "big") if data[:8] == b"\x89PNG\r\n\x1a\n" else 0
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    img = tag("img", src=src, alt=alt, width=round(width * 96 / dpi) if width else None)
    return tag("figure", img, tag("figcaption", caption))


def _digits(low: float, high: float) -> int:
    """Significant digits that tell an interval's ends apart (4 at least, 8 at most)."""
    digits = 4
    while digits < 8 and f"{low:.{digits}g}" == f"{high:.{digits}g}":
        digits += 1
    return digits


def _interval(low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "unbounded"
    d = _digits(low, high)
    return f"{low:.{d}g} – {high:.{d}g}"


def _map(obs) -> str:
    return (
        "its level (0-1)"
        if obs.column == obs.factor and (obs.scale, obs.offset) == (1, 0)
        else obs.describe()
    )


def _calibration_part(cal: CalibrationFolder, number: str) -> list[Any]:
    info = cal.manifest
    fitted = cal.estimates
    unpinned = cal.unpinned
    points = info.get("points")
    scenario = info.get("scenario")
    lead = (
        f"The folder {cal.path.name} holds a calibration: {count(len(fitted), 'parameter')} fitted to "
        f"{cal.data_name}"
        + (f" ({points} observed points)" if points else "")
        + (f" under the scenario {scenario}" if scenario and scenario != "baseline" else "")
        + " by weighted least squares within the parameters' valid ranges. Each interval holds the "
        f"true value with 95{NBSP}% probability if the model is right and the noise is normal; an "
        "estimate the data cannot pin is named below, and its interval means little."
    )
    model = (info.get("model") or {}).get("name")
    rows = []
    for r in fitted.to_dict("records"):
        start = r.get("start")
        se = r.get("std_error")
        rows.append(
            [
                tag("code", r["parameter"]),
                f"{r['estimate']:.{_digits(float(r['low']), float(r['high']))}g}",
                _interval(float(r["low"]), float(r["high"])),
                "" if se is None or pd.isna(se) else f"{se:.3g}",
                "" if start is None or pd.isna(start) else f"{start:.4g}",
                "no" if r["parameter"] in unpinned else "yes",
            ]
        )
    part: list[Any] = [
        tag("h3", f"{number} The calibration"),
        tag("p", lead),
        tag("p", f"It was made for the model {model}.", class_="small") if model else "",
        table(
            ["Parameter", "Estimate", f"95{NBSP}% interval", "Std. error", "Before the fit", "Pinned"],
            rows,
            numeric=[1, 2, 3, 4],
            caption="The estimates of the calibration (estimates.csv).",
        ),
    ]
    if unpinned:
        part += [
            tag("p", tag("strong", "What the data cannot pin."), " ", "These estimates are not "
                "told by the data; read them as the optimiser's choice, not as findings:"),
            tag("ul", [tag("li", tag("code", name), ": ", why) for name, why in unpinned.items()]),
        ]  # fmt: skip
    else:
        part.append(tag("p", "The data pin every fitted parameter."))
    if cal.fit_png:
        part.append(
            _png(
                cal.fit_png,
                alt=f"The calibrated model against {cal.data_name}, one panel per series",
                caption=f"The fit (fit.png): the points are {cal.data_name}, the line the model with "
                "the fitted values, on each series' own scale.",
            )
        )
    return part


def evidence_section(
    frame: pd.DataFrame,
    *,
    data: ObservedData | None = None,
    calibration: CalibrationFolder | None = None,
    number: int = 5,
) -> Html:
    """The section "Observed data and the fit" (``number``: its place in the report)."""
    parts: list[Any] = [tag("h2", f"{number}. Observed data and the fit", id="evidence")]
    if data is not None:
        levels = comparison_levels(frame, data)
        fig, drawn = observed_figure(frame, levels)
        unit = frame.attrs.get("time_unit", "month")
        parts += [
            tag("h3", f"{number}.1 The data beside the model"),
            tag(
                "p",
                f"The points are the data file {data.name}: {count(len(data.columns), 'series', 'series')}, "
                f"{count(data.count(), 'observed value')}, {unit}s {data.time[0]:g} to {data.time[-1]:g}. "
                "The lines are the runs above (the baseline black and dashed). A series on another "
                "scale is drawn on its factor's 0-1 scale through its map; a fitted scale and offset "
                "are fitted to the baseline. Where the points leave the baseline, the model as it "
                "stands does not describe this agency: ",
                tag("code", "gmsim calibrate"),
                " fits its parameters to the data.",
            ),
            table(
                ["Column", "Factor", "Map", "Points", f"{unit.capitalize()}s", "Gap from the baseline"],
                _series_rows(data, levels, frame),
                numeric=[3, 5],
                caption="Each observed series; the gap is the root mean square difference of its "
                "points from the baseline, on the 0-1 scale.",
            ),
        ]
        if drawn:
            parts.append(
                figure(
                    fig,
                    alt=f"Observed points of {data.name} beside the model's runs",
                    caption=f"Points: {data.name}. Lines: the baseline (black, dashed) and each scenario.",
                )
            )
        else:
            plt.close(fig)
            parts.append(
                tag("p", "No series of the data file is a factor the runs show.", class_="note")
            )
    if calibration is not None:
        parts += _calibration_part(calibration, f"{number}.{2 if data is not None else 1}")
    return esc(parts)
