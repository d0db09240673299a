"""Report speed and size, as medians.

    python benchmarks/bench_report.py [--repeat N] [--runs N]

1. The parts of a report: the scenario comparison, the loop analysis (dominance of every run) and
   the figures turned into embedded PNGs.
2. The whole report of the default scenarios (4 scenarios, 36 months, rk4, dt 0.125), without
   and with an uncertainty spec (every weight ±20 %, ``--runs`` Monte Carlo runs).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_engine import median_time  # this folder is on the path when a script runs

import gmsim
from gmsim.analysis.comparison import plot_comparison
from gmsim.report import DEFAULT_SCENARIOS, write_report
from gmsim.report.html import figure
from gmsim.report.loops import analyse_loops
from gmsim.scenario import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=200)
    options = parser.parse_args()
    repeat = options.repeat
    model = gmsim.load_model()
    scenarios = [load_scenario(s) for s in DEFAULT_SCENARIOS]
    sim = model.simulation
    settings = {"start": sim.start, "stop": sim.stop, "dt": sim.dt, "method": sim.method}
    frame = gmsim.compare(model, scenarios)
    out = Path(tempfile.mkdtemp()) / "report.html"
    rows = [
        (f"compare {len(scenarios)} scenarios and the baseline", median_time(lambda: gmsim.compare(model, scenarios), repeat)),
        ("loops and dominance of every run", median_time(lambda: analyse_loops(model, scenarios, settings), repeat)),
        ("one figure to an embedded PNG (comparison)", median_time(lambda: figure(plot_comparison(frame), alt=""), repeat)),
        ("whole report, no spec", median_time(lambda: write_report(model, out=out), repeat)),
    ]  # fmt: skip
    plain = out.stat().st_size
    rows.append(
        (
            f"whole report, spec every_weight_20, {options.runs} runs",
            median_time(
                lambda: write_report(model, out=out, spec="every_weight_20", runs=options.runs), repeat
            ),
        )
    )
    print(f"median of {repeat} (shared 2-core machine: expect noise)")
    for label, seconds in rows:
        print(f"  {label:<55} {seconds:8.2f} s")
    print(
        f"  report size: {plain / 1e6:.1f} MB without a spec, {out.stat().st_size / 1e6:.1f} MB with one"
    )


if __name__ == "__main__":
    main()
