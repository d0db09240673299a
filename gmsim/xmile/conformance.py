"""Compare a run with a reference output, by the rule of the SD community's test suite.

A reference is a ``.csv`` or ``.tab`` file with a ``Time`` column and one
column per variable (blank cells are not compared). Columns are matched to a
run's variables by name, case-insensitively with ``_`` read as a space;
reference times are matched to the nearest saved step. A value passes when
``|a - b| <= rtol * |b| + atol`` (by default ``1e-3`` and ``1e-5``).

Examples
--------
>>> import numpy as np
>>> ref = Reference(np.array([0.0, 1.0]), {"Stock A": np.array([1.0, 2.0])})
>>> check(np.array([0.0, 0.5, 1.0]), {"stock_a": np.array([1.0, 9.0, 2.0005])}, ref).passed
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gmsim.errors import GmsimError
from gmsim.files.reading import read_text
from gmsim.xmile.names import label

__all__ = [
    "Comparison",
    "Reference",
    "check",
    "column_key",
    "locate_suite",
    "read_reference",
    "reference_of",
]

SUITE_VARIABLE = "GMSIM_SD_TEST_MODELS"
"""Environment variable naming the folder of the SD test models, when it is not found by walking up."""


def locate_suite(start: str | os.PathLike) -> Path | None:
    """The SD test-model suite: ``$GMSIM_SD_TEST_MODELS``, else ``shared/sd-test-models`` in a parent of ``start``."""
    if os.environ.get(SUITE_VARIABLE):
        return Path(os.environ[SUITE_VARIABLE])
    for parent in Path(start).resolve().parents:
        if (parent / "shared" / "sd-test-models").is_dir():
            return parent / "shared" / "sd-test-models"
    return None


def reference_of(model_path: str | os.PathLike) -> Reference:
    """The expected output beside a suite model (``output.csv`` or ``output.tab``)."""
    folder = Path(model_path).parent
    for name in ("output.csv", "output.tab"):
        if (folder / name).exists():
            return read_reference(folder / name)
    raise GmsimError(f"{folder}: no output.csv or output.tab beside the model")


def column_key(name: str) -> str:
    """How names are matched: lower case, ``_`` and runs of whitespace as one space.

    >>> column_key("Stock_with \\\\n Newline__Character") == column_key("stock with   newline character")
    True
    """
    return " ".join(label(name).lower().split())


@dataclass(frozen=True)
class Reference:
    """Expected output: times and a series per column (NaN where the reference is blank)."""

    time: np.ndarray
    columns: Mapping[str, np.ndarray]


def read_reference(path: str | os.PathLike) -> Reference:
    """Read ``output.csv`` (commas) or ``output.tab`` (tabs); any line endings."""
    path = Path(path)
    text = read_text(path, encoding="utf-8-sig", errors="replace", what="table of expected values")
    lines = [line for line in text.splitlines() if line.strip()]
    sep = "\t" if path.suffix == ".tab" or "\t" in lines[0] else ","
    header = [h.strip().strip('"') for h in lines[0].split(sep)]
    rows = [line.split(sep) for line in lines[1:]]
    width = len(header)
    data = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row[:width]):
            cell = cell.strip()
            if cell:
                try:
                    data[i, j] = float(cell)
                except ValueError:
                    raise GmsimError(
                        f"{path}:{i + 2}: '{cell}' in column '{header[j]}' is not a number"
                    ) from None
    keys = [column_key(h) for h in header]
    if "time" not in keys:
        raise GmsimError(f"{path}: no 'Time' column")
    t = keys.index("time")
    columns = {header[j]: data[:, j] for j in range(width) if j != t}
    return Reference(time=data[:, t], columns=columns)


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`check`."""

    compared: tuple[str, ...]
    missing: tuple[str, ...]
    failures: tuple[tuple[str, float, float, float], ...] = field(
        default=()
    )  # column, time, expected, got

    @property
    def passed(self) -> bool:
        """Every shared value within tolerance (and at least one column shared)."""
        return bool(self.compared) and not self.failures

    def summary(self, limit: int = 3) -> str:
        """A few lines saying what failed."""
        if self.passed:
            n = len(self.compared)
            return f"{n} column{'s match' if n != 1 else ' matches'}"
        if not self.compared:
            return "no column of the reference is among the model's variables"
        worst = {}
        for col, t, want, got in self.failures:
            worst.setdefault(col, (t, want, got))
        shown = [
            f"{c} at t={t:g}: expected {w:g}, got {g:g}" for c, (t, w, g) in list(worst.items())[:limit]
        ]
        more = len(worst) - len(shown)
        return "; ".join(shown) + (f" (and {more} more columns)" if more > 0 else "")


def check(
    time: np.ndarray,
    series: Mapping[str, np.ndarray],
    reference: Reference,
    *,
    rtol: float = 1e-3,
    atol: float = 1e-5,
) -> Comparison:
    """Compare a run (``series``: variable name -> values at ``time``) with a reference."""
    ours = {column_key(k): np.asarray(v, dtype=float) for k, v in series.items()}
    nearest = np.abs(np.asarray(time)[None, :] - reference.time[:, None]).argmin(axis=1)
    compared, missing, failures = [], [], []
    for name, expected in reference.columns.items():
        key = column_key(name)
        if key not in ours:
            missing.append(name)
            continue
        compared.append(name)
        got = ours[key][nearest]
        shown = ~np.isnan(expected)
        bad = shown & ~(np.abs(got - expected) <= rtol * np.abs(expected) + atol)
        failures += [
            (name, float(reference.time[k]), float(expected[k]), float(got[k]))
            for k in np.nonzero(bad)[0]
        ]
    return Comparison(tuple(compared), tuple(missing), tuple(failures))
