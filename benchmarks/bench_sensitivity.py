"""Sensitivity speed: Sobol on every link weight of the default model, as issue 5 asks.

    python benchmarks/bench_sensitivity.py [--samples N] [--repeat N] [--executor NAME]

1. Sobol first- and total-order indices of effectiveness at month 36 under the
   training-program scenario (the baseline of an equilibrium model is at rest),
   every link weight ±20 %, N = 1024 base samples: N × (D + 2) runs.
   Target on a 2-core machine: <= 3 min.
2. The same analysis without the runs: SALib's bootstrap of the indices alone.
3. Morris screening, 100 trajectories (N × (D + 1) runs).

Timings on a shared machine are noisy: compare medians from the same session.
"""

from __future__ import annotations

import argparse
import statistics
import time

import gmsim
from gmsim.uncertainty.sensitivity import _analyse
from gmsim.uncertainty.spec import UncertaintySpec

SPEC = UncertaintySpec.every_weight(0.2, seed=2012)
OPTIONS = {"scenario": "training-program", "metrics": ["effectiveness"], "progress": False}


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--executor", default="inprocess")
    args = parser.parse_args()
    gmsim.monte_carlo(spec=SPEC, runs=64, progress=False)  # imports and caches warm
    seconds, sa = timed(
        lambda: gmsim.sensitivity(
            spec=SPEC, method="sobol", samples=args.samples, executor=args.executor, **OPTIONS
        ),
        args.repeat,
    )
    d = len(sa.space.names)
    print(
        f"1. Sobol, {d} link weights, N = {args.samples}: {sa.runs} runs in {seconds:.1f} s "
        f"({sa.runs / seconds:.0f} runs/s, executor {args.executor})"
    )
    top = sa.ranking().head(3)
    for _, row in top.iterrows():
        print(f"     {row['rank']}. {row['parameter']:<50} ST {row['ST']:.3f} ± {row['ST_conf']:.3f}")
    problem = {"num_vars": d, "names": list(sa.space.names), "bounds": [[0.0, 1.0]] * d}
    analysis, _ = timed(
        lambda: _analyse(
            "sobol",
            problem,
            None,
            sa.outputs[:, 0],
            second_order=False,
            levels=4,
            resamples=100,
            confidence=0.95,
            seed=1,
        ),
        args.repeat,
    )
    print(f"2. SALib's indices and bootstrap alone: {analysis:.2f} s")
    seconds, mo = timed(
        lambda: gmsim.sensitivity(
            spec=SPEC, method="morris", samples=100, executor=args.executor, **OPTIONS
        ),
        args.repeat,
    )
    print(
        f"3. Morris, 100 trajectories: {mo.runs} runs in {seconds:.1f} s ({mo.runs / seconds:.0f} runs/s)"
    )
    print("(medians; a shared machine makes these noisy)")


if __name__ == "__main__":
    main()
