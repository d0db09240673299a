"""Observed series: a CSV data file and how each of its columns maps onto a model variable.

A data file is CSV: the first column is the time in the model's unit (any
header), then one column per observed series; an empty cell is a missing
value. A column named by a factor id is that factor's level (scale 1, offset
0). A series on another scale (a follower count, replies a month) maps to a
factor through an :class:`Observation`::

    observed = scale * level + offset        (scale and offset fixed, or fitted)

written in a small TOML file beside the data (``agency.csv`` -> ``agency.toml``)::

    [observe.followers]
    factor = "citizen_engagement"
    scale = "fit"        # a number, or "fit" (the default)
    offset = "fit"       # a number, or "fit" (the default)
    sigma = 250          # optional: the series' noise, in its own units

or given as options, ``followers=citizen_engagement,scale=fit,offset=0``
(:func:`parse_observe`). Every problem of a file is reported with its line and
column, in one :class:`~gmsim.errors.DataError`.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "agency.csv").write_text("month,funding,followers\\n0,0.3,1200\\n1,,1260\\n2,0.35,1330\\n")
>>> data = read_data(folder / "agency.csv", ["funding", "citizen_engagement"],
...                  observe=["followers=citizen_engagement"])
>>> data.columns, data.count()
(('funding', 'followers'), 5)
>>> data.observation("followers").fitted
('scale', 'offset')
>>> read_data(folder / "agency.csv", ["fundng"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
gmsim.errors.DataError: ...agency.csv:1: column 2 `funding` is no variable of the model (did you mean 'fundng'?); rename the column to a factor id, or map it with an [observe.funding] entry
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gmsim.errors import DataError, did_you_mean
from gmsim.files.reading import read_text
from gmsim.files.toml import locate, number, read_toml

__all__ = [
    "FIT",
    "Observation",
    "ObservedData",
    "check_horizon",
    "parse_observe",
    "read_data",
    "read_table",
]

FIT = "fit"
"""The word that asks for a scale or offset to be fitted."""


@dataclass(frozen=True)
class Observation:
    """How one column of a data file maps onto a model variable: ``scale * level + offset``.

    ``scale`` or ``offset`` ``None`` means fitted; ``sigma`` is the series' noise in its
    own units (``None``: the series' own standard deviation weights it).
    """

    column: str
    factor: str
    scale: float | None = 1.0
    offset: float | None = 0.0
    sigma: float | None = None

    @property
    def fitted(self) -> tuple[str, ...]:
        """Which of ``scale`` and ``offset`` are fitted."""
        return tuple(k for k in ("scale", "offset") if getattr(self, k) is None)

    def describe(self) -> str:
        """The map in words, e.g. ``followers = fitted scale x citizen_engagement + 0``."""
        scale = "fitted scale" if self.scale is None else f"{self.scale:g}"
        offset = "fitted offset" if self.offset is None else f"{self.offset:g}"
        return f"{self.column} = {scale} x {self.factor} + {offset}"


@dataclass(frozen=True)
class ObservedData:
    """The series of a data file: times, values (NaN where missing) and each column's map."""

    time: np.ndarray
    values: np.ndarray  # (n_times, n_columns)
    columns: tuple[str, ...]
    observations: tuple[Observation, ...]
    time_name: str = "time"
    path: str | None = None
    lines: tuple[int, ...] = field(default=(), repr=False)  # file line of each row

    def observation(self, column: str) -> Observation:
        """The map of one column."""
        return self.observations[self.columns.index(column)]

    def count(self) -> int:
        """Number of observed (non-missing) values."""
        return int(np.isfinite(self.values).sum())

    def frame(self) -> pd.DataFrame:
        """The values as a table: time index, one column per series."""
        return pd.DataFrame(
            self.values, index=pd.Index(self.time, name=self.time_name), columns=self.columns
        )

    @property
    def name(self) -> str:
        """The file's name (``data`` for data made in Python)."""
        return Path(self.path).name if self.path else "data"

    def levels(self, model: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
        """Each series on its factor's level scale, columns named by factor.

        A fixed map is inverted: ``(observed - offset) / scale``. A fitted one
        needs the model's levels at the data's times (``model``: factor ->
        array); its scale and offset are fitted to them by least squares.
        Without ``model``, fitted series are left out.
        """
        out = {}
        for j, obs in enumerate(self.observations):
            y = self.values[:, j]
            scale, offset = obs.scale, obs.offset
            if obs.fitted:
                if model is None or obs.factor not in model:
                    continue
                scale, offset = linear_map(np.asarray(model[obs.factor], float), y, scale, offset)
            if scale == 0:
                continue
            out[obs.factor if obs.factor not in out else obs.column] = (y - offset) / scale
        return pd.DataFrame(out, index=pd.Index(self.time, name=self.time_name))


def linear_map(
    level: np.ndarray, y: np.ndarray, scale: float | None, offset: float | None
) -> tuple[float, float]:
    """Least-squares ``scale`` and ``offset`` (those given as ``None``) of ``y ~ scale * level + offset``."""
    ok = np.isfinite(y) & np.isfinite(level)
    x, y = level[ok], y[ok]
    if scale is None and offset is None:
        if len(x) < 2 or np.ptp(x) == 0:
            return (1.0 if len(x) < 2 else 0.0), float(np.mean(y)) if len(y) else 0.0
        a, b = np.polyfit(x, y, 1)
        return float(a), float(b)
    if scale is None:
        denom = float(x @ x)
        return (float(x @ (y - offset)) / denom if denom else 1.0), float(offset)
    if offset is None:
        return float(scale), float(np.mean(y - scale * x)) if len(x) else 0.0
    return float(scale), float(offset)


# -- reading ------------------------------------------------------------------------------------
def read_table(
    path: str | os.PathLike, *, what: str = "data file"
) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows (as strings) and the file line of each row of a CSV file."""
    path = Path(path)
    try:
        text = read_text(path, encoding="utf-8-sig", what=f"CSV {what}", error=DataError)
    except FileNotFoundError:
        raise DataError(f"{path}: no such {what}; check the path") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a CSV {what}") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not a UTF-8 text file ({exc.reason}); save it as CSV (UTF-8)"
        ) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    reader = csv.reader(io.StringIO(text))
    rows, lines = [], []
    header: list[str] | None = None
    for row in reader:
        if not row or all(not c.strip() for c in row):
            continue
        if header is None:
            header = [c.strip() for c in row]
            continue
        rows.append([c.strip() for c in row])
        lines.append(reader.line_num)
    if header is None:
        raise DataError(f"{path}: the {what} is empty; give a header row and at least one row of values")
    return header, rows, lines


def _cell(text: str) -> float | None:
    """A cell as a number; ``nan`` for an empty cell; ``None`` when it is not a number."""
    if text == "":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_data(
    path: str | os.PathLike,
    variables: Sequence[str] | None = None,
    *,
    observe: Iterable[str] | Mapping[str, Observation] | None = None,
    observe_file: str | os.PathLike | None = None,
) -> ObservedData:
    """Read a data file and the maps of its columns (see the module docstring).

    ``variables`` are the model's variable names (the columns are checked
    against them); ``observe`` are maps given as options (they replace the
    file's for the same column); ``observe_file`` is the TOML of maps (default:
    the data file with ``.toml`` for ``.csv``, when it exists).
    """
    path = Path(path)
    header, rows, lines = read_table(path)
    if len(header) < 2:
        raise DataError(
            f"{path}:1: the data file has one column; give the time first, then one column per observed series"
        )
    names = header[1:]
    for j, name in enumerate(names):
        if not name:
            raise DataError(f"{path}:1: column {j + 2} has no name; name it by a factor id")
        if names.index(name) != j:
            raise DataError(f"{path}:1: column `{name}` appears twice; keep one")
    if not rows:
        raise DataError(f"{path}: the data file has a header but no rows of values")
    time, values = np.empty(len(rows)), np.full((len(rows), len(names)), np.nan)
    for i, (row, line) in enumerate(zip(rows, lines, strict=True)):
        if len(row) > len(header):
            raise DataError(
                f"{path}:{line}: {len(row)} cells for {len(header)} columns; remove the extra cells"
            )
        row = row + [""] * (len(header) - len(row))
        t = _cell(row[0])
        if t is None or math.isnan(t):
            raise DataError(
                f"{path}:{line}: the time `{header[0]}` is {row[0]!r}; every row needs a finite number there"
            )
        time[i] = t
        for j, text in enumerate(row[1:]):
            value = _cell(text)
            if value is None:
                raise DataError(
                    f"{path}:{line}: column `{names[j]}` holds {text!r}, not a number; "
                    "write a number, or leave the cell empty for a missing value"
                )
            values[i, j] = value
    for i in range(1, len(time)):
        if time[i] == time[i - 1]:
            raise DataError(
                f"{path}:{lines[i]}: time {time[i]:g} is repeated (also on line {lines[i - 1]}); "
                "give each time one row"
            )
        if time[i] < time[i - 1]:
            raise DataError(
                f"{path}:{lines[i]}: time {time[i]:g} comes after {time[i - 1]:g}; sort the rows by time"
            )
    maps = _observations(path, names, variables, observe, observe_file)
    return ObservedData(
        time=time,
        values=values,
        columns=tuple(names),
        observations=tuple(maps[name] for name in names),
        time_name=header[0] or "time",
        path=str(path),
        lines=tuple(lines),
    )


def parse_observe(option: str) -> Observation:
    """An observation map from an option: ``COLUMN=FACTOR[,scale=S|fit][,offset=B|fit][,sigma=S]``.

    Examples
    --------
    >>> parse_observe("followers=citizen_engagement,scale=fit,offset=0")
    Observation(column='followers', factor='citizen_engagement', scale=None, offset=0.0, sigma=None)
    """
    head, *rest = [p.strip() for p in option.split(",")]
    column, eq, factor = (p.strip() for p in head.partition("="))
    if not eq or not column or not factor:
        raise DataError(
            f"`--observe {option}`: expected COLUMN=FACTOR[,scale=S|fit][,offset=B|fit][,sigma=S], "
            "e.g. followers=citizen_engagement,offset=0"
        )
    given: dict[str, str] = {}
    for part in rest:
        key, eq, value = (p.strip() for p in part.partition("="))
        if key not in ("scale", "offset", "sigma") or not eq:
            raise DataError(
                f"`--observe {option}`: unknown part {part!r}{did_you_mean(key, ('scale', 'offset', 'sigma'))}; "
                "use scale=, offset= or sigma="
            )
        given[key] = value
    table: dict[str, object] = {"factor": factor}
    for key, value in given.items():
        if value == FIT and key != "sigma":
            table[key] = FIT
            continue
        number_ = _cell(value)
        if number_ is None or math.isnan(number_):
            raise DataError(f"`--observe {option}`: `{key}` must be a number or 'fit', got {value!r}")
        table[key] = number_
    return _observation(column, table, f"`--observe {option}`")


def _observation(column: str, table: Mapping[str, object], where: str) -> Observation:
    values: dict[str, float | None] = {}
    for key in ("scale", "offset"):
        value = table.get(key, FIT)
        if value == FIT:
            values[key] = None
        elif number(value) and math.isfinite(value):
            values[key] = float(value)
        else:
            raise DataError(f'{where}: `{key}` must be a number or "fit", got {value!r}')
    if values["scale"] == 0:
        raise DataError(
            f'{where}: `scale` is 0, so the series would not see the model; give a scale or "fit"'
        )
    sigma = table.get("sigma")
    if sigma is not None and not (number(sigma) and math.isfinite(sigma) and sigma > 0):
        raise DataError(f"{where}: `sigma` must be a number > 0 (the series' noise), got {sigma!r}")
    factor = table.get("factor")
    if not isinstance(factor, str) or not factor:
        raise DataError(f"{where}: `factor` must name the model variable the series observes")
    return Observation(
        column, factor, values["scale"], values["offset"], None if sigma is None else float(sigma)
    )


def _observations(path, names, variables, observe, observe_file) -> dict[str, Observation]:
    maps: dict[str, Observation] = {}
    lines: dict[str, str] = {}
    source = Path(observe_file) if observe_file is not None else path.with_suffix(".toml")
    if observe_file is not None or source.is_file():
        data, text = read_toml(source, error=DataError)
        unknown = [k for k in data if k != "observe"]
        if unknown:
            raise DataError(
                f"{source}:{locate(text, (unknown[0],)) or 1}: unknown table `{unknown[0]}`; an observation file holds [observe.<column>] tables"
            )
        for column, table in (data.get("observe") or {}).items():
            where = f"{source}:{locate(text, ('observe', column)) or 1}: observe.{column}"
            if not isinstance(table, dict):
                raise DataError(f"{where}: expected a table with `factor`, `scale`, `offset`")
            extra = [k for k in table if k not in ("factor", "scale", "offset", "sigma", "note")]
            if extra:
                raise DataError(
                    f"{where}: unknown key `{extra[0]}`{did_you_mean(extra[0], ('factor', 'scale', 'offset', 'sigma'))}"
                )
            maps[column] = _observation(column, table, where)
            lines[column] = where
    if isinstance(observe, Mapping):
        maps.update(observe)
    else:
        for option in observe or ():
            obs = option if isinstance(option, Observation) else parse_observe(option)
            maps[obs.column] = obs
            lines[obs.column] = f"`--observe {option}`"
    for column in maps:
        if column not in names:
            raise DataError(
                f"{lines.get(column, column)}: the data file {path.name} has no column `{column}`"
                f"{did_you_mean(column, names)}; its columns are {', '.join(names)}"
            )
    out = {}
    known = list(variables) if variables is not None else None
    for j, name in enumerate(names):
        obs = maps.get(name) or Observation(name, name)
        if known is not None and obs.factor not in known:
            if name in maps:
                raise DataError(
                    f"{lines[name]}: `factor` {obs.factor!r} is no variable of the model{did_you_mean(obs.factor, known)}"
                )
            raise DataError(
                f"{path}:1: column {j + 2} `{name}` is no variable of the model{did_you_mean(name, known)}; "
                f"rename the column to a factor id, or map it with an [observe.{name}] entry"
            )
        out[name] = obs
    return out


def check_horizon(data: ObservedData, start: float, stop: float, unit: str = "month") -> None:
    """Every time of ``data`` within ``[start, stop]``; otherwise a message that says what to change."""
    where = data.path or "data"
    first, last = float(data.time[0]), float(data.time[-1])
    if last < start or first > stop:
        raise DataError(
            f"{where}: the data ({unit} {first:g} to {last:g}) do not overlap the run ({unit} {start:g} to {stop:g}); "
            "check the time column's unit, or give --start/--stop"
        )
    outside = (data.time < start - 1e-9) | (data.time > stop + 1e-9)
    if outside.any():
        i = int(np.argmax(outside))
        line = f":{data.lines[i]}" if data.lines else ""
        raise DataError(
            f"{where}{line}: time {data.time[i]:g} is outside the run ({unit} {start:g} to {stop:g}); "
            f"give --stop {last:g} (or --start {first:g}), or drop the rows outside"
        )
