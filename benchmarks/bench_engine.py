"""Engine speed: the figures the foundation issue asks for, as medians.

    python benchmarks/bench_engine.py [--repeat N]

1. One run of the default model over 36 months (rk4, dt 0.125), after loading.
2. A batch of 10,000 parameter sets (every link weight and every tau varied) in one call.
3. One run of a synthetic sparse graph: 1,000 factors, 5,000 links, 120 months.

Targets on a 2-core machine: 1. <= 20 ms, 2. <= 5 s, 3. <= 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import gmsim
from gmsim import Dynamics, Factor, Link, Model, Simulation
from gmsim.core.solver import RunSettings, solve


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic_model(n_factors: int = 1000, n_links: int = 5000, seed: int = 0) -> Model:
    """A random sparse factor graph (weights small enough to stay stable)."""
    rng = np.random.default_rng(seed)
    factors = tuple(
        Factor(f"f{i}", initial=float(rng.uniform(0.2, 0.8)), tau=float(rng.uniform(1.0, 12.0)))
        for i in range(n_factors)
    )
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < n_links:
        a, b = rng.integers(0, n_factors, 2)
        if a != b:
            pairs.add((int(a), int(b)))
    links = tuple(Link(f"f{a}", f"f{b}", float(rng.uniform(-0.4, 0.4))) for a, b in sorted(pairs))
    return Model(
        name="synthetic",
        factors=factors,
        links=links,
        simulation=Simulation(stop=120.0, dt=0.125),
        dynamics=Dynamics(steepness=4.0, equilibrium=False),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    model = gmsim.load_model()
    system = model.compile()
    params = system.parameters()
    settings = RunSettings(start=0, stop=36, dt=0.125, method="rk4")
    one = median_time(lambda: solve(system, params, settings), args.repeat)
    whole = median_time(lambda: gmsim.simulate(model, stop=36, method="rk4", dt=0.125), args.repeat)
    print(
        f"default model, one run, 36 months, rk4 dt 0.125:   {1e3 * one:8.1f} ms (engine)"
        f"  {1e3 * whole:8.1f} ms (simulate(), incl. compile)"
    )

    rng = np.random.default_rng(0)
    runs = 10_000
    batch = {
        f"weight:{name}": np.clip(link.weight * rng.uniform(0.8, 1.2, runs), -1, 1)
        for name, link in zip(system.link_names, system.links, strict=True)
    }
    batch.update(
        {
            name: rng.uniform(1.0, 12.0, runs)
            for name in system.parameter_names()
            if name.startswith("tau:")
        }
    )
    many = median_time(lambda: gmsim.simulate(model, batch=batch, stop=36, method="rk4", dt=0.125), 3)
    print(
        f"default model, batch of {runs:,} parameter sets:      {many:8.2f} s"
        f"  ({runs / many:,.0f} runs/s)"
    )

    big = synthetic_model()
    big_system = big.compile()
    big_params = big_system.parameters()
    long_run = RunSettings(start=0, stop=120, dt=0.125, method="rk4")
    large = median_time(lambda: solve(big_system, big_params, long_run), 3)
    print(
        f"synthetic 1,000 factors / 5,000 links, 120 months: {large:8.2f} s"
        f"  (sparse: {big_system._sparse})"
    )


if __name__ == "__main__":
    main()
