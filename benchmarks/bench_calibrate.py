"""Calibration speed: 10 parameters of the default model fitted to 36 monthly points of 4 series.

    python benchmarks/bench_calibrate.py [--repeat N]

The data are made from the model itself: the first 10 link weights moved by up to
±0.1 from their values, a library scenario run for 36 months, four of its
variables read monthly with a little noise. The fit starts from the model's own
values (and two screened starts). The parameters are picked from the model as it
is (its first 10 weights), so the benchmark survives changes of the model.
Target: <= 30 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import gmsim
from gmsim.evidence.calibrate import calibrate
from gmsim.evidence.data import Observation, ObservedData


def problem(seed: int = 1):
    system = gmsim.load_model().compile()
    names = [n for n in system.parameter_names() if n.startswith("weight:")][:10]
    values = system.parameter_values()
    rng = np.random.default_rng(seed)
    truth = {n: float(np.clip(values[n] + rng.uniform(-0.1, 0.1), -0.95, 0.95)) for n in names}
    scenario = "attention-boost" if "attention-boost" in gmsim.list_scenarios() else None
    run = gmsim.simulate(scenario=scenario, batch={n: [v] for n, v in truth.items()})
    preferred = ["effectiveness", "funding", "leadership_attention", "citizen_engagement"]
    series = [v for v in preferred if v in run.variables]
    series += [v for v in run.variables if v not in series][: 4 - len(series)]
    t = np.arange(1, 37.0)
    y = np.column_stack([np.interp(t, run.time, run[v][0]) for v in series])
    y += rng.normal(0, 0.005, y.shape)
    data = ObservedData(t, y, tuple(series), tuple(Observation(v, v) for v in series))
    return data, names, scenario, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    repeat = parser.parse_args().repeat
    data, names, scenario, truth = problem()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fit = calibrate(None, data, names, scenario=scenario)
        times.append(time.perf_counter() - start)
    print(fit.summary())
    err = (
        max(abs(fit.estimate(n) - truth[n]) for n in names if n not in fit.unpinned)
        if len(fit.unpinned) < len(names)
        else float("nan")
    )
    print(f"\ncalibrating {len(names)} parameters to {data.count()} points of {len(data.columns)} series: "
          f"median {np.median(times):.2f} s over {repeat} (target <= 30 s); "
          f"{fit.runs} runs in {fit.batches} batches; {len(fit.unpinned)} not pinned; "
          f"largest error of a pinned estimate {err:.3g}")  # fmt: skip


if __name__ == "__main__":
    main()
