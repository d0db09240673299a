"""Scenario speed, as medians.

    python benchmarks/bench_compare.py [--repeat N]

1. Loading and checking every scenario of the library (files read, checked against the model).
2. One scenario run: the hacker attack (a pulse, a restoring jump and an event) over 36 months.
3. `compare` of the whole library (18 scenarios, 36 months, rk4, dt 0.125) into its tidy table.
"""

from __future__ import annotations

import argparse

from bench_engine import median_time  # this folder is on the path when a script runs

import gmsim
from gmsim.scenario import list_scenarios, load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    model = gmsim.load_model()
    names = list_scenarios()

    def load_all() -> None:
        for name in names:
            load_scenario(name).interventions(model)

    rows = [
        (f"load and check {len(names)} library scenarios", median_time(load_all, repeat)),
        (
            "one run without a scenario, for reference",
            median_time(lambda: gmsim.simulate(model), repeat),
        ),
        (
            "one scenario run (hacker-attack)",
            median_time(lambda: gmsim.simulate(model, scenario="hacker-attack"), repeat),
        ),
        (
            f"compare the whole library ({len(names)} runs)",
            median_time(lambda: gmsim.compare(model), repeat),
        ),
    ]
    print(f"median of {repeat} (shared 2-core machine: expect noise)")
    for label, seconds in rows:
        print(f"  {label:<45} {seconds * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
