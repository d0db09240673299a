"""A tiny factor model, a scenario that moves it, and synthetic data from known parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import gmsim

TINY = """\
# a tiny model for the evidence tests
[model]
name = "tiny"
time_unit = "month"

[simulation]
start = 0
stop = 24
dt = 0.25
method = "rk4"

[dynamics]
steepness = 4.0
equilibrium = true

[factors.drive]
group = "external_enabler"
kind = "exogenous"
initial = 0.4

[factors.a]
group = "process"
initial = 0.4
tau = 3.0   # months

[factors.b]
group = "outcome"
initial = 0.5
tau = 5.0

[[links]]
from = "drive"
to = "a"
weight = 0.5   # moderate
source = "1"
quote = "drive, then a"

[[links]]
from = "a"
to = "b"
weight = 0.6
source = "2"
quote = "a lifts b"
"""

STEP = """\
[scenario]
name = "step"
[[interventions]]
kind = "step"
target = "drive"
at = 2
value = 0.9
"""

TRUTH = {"weight:drive->a": 0.45, "tau:a": 4.0, "weight:a->b": 0.7, "tau:b": 6.0}


def write_tiny(folder: Path) -> tuple[Path, Path]:
    """The tiny model and its step scenario, written into ``folder``."""
    model, scenario = folder / "tiny.toml", folder / "step.toml"
    model.write_text(TINY, encoding="utf-8")
    scenario.write_text(STEP, encoding="utf-8")
    return model, scenario


def truth_levels(model: Path, scenario: Path, times: np.ndarray, truth=TRUTH) -> dict[str, np.ndarray]:
    """Levels of ``a`` and ``b`` at ``times`` under the true parameters."""
    run = gmsim.simulate(model, scenario=scenario, batch={k: [v] for k, v in truth.items()})
    return {f: np.interp(times, run.time, run[f][0]) for f in ("a", "b")}


def write_data(path: Path, times, columns: dict[str, np.ndarray], *, time_name: str = "month") -> Path:
    """A data file: the time, then the columns (NaN: an empty cell)."""
    lines = [",".join([time_name, *columns])]
    for i, t in enumerate(times):
        cells = ["" if np.isnan(v[i]) else f"{v[i]:.6g}" for v in columns.values()]
        lines.append(",".join([f"{t:g}", *cells]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
