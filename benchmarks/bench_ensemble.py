"""Monte Carlo speed and memory: the figures issue 5 asks for, as medians.

    python benchmarks/bench_ensemble.py [--repeat N] [--runs N] [--skip-executors]

1. A 10,000-run Monte Carlo of the default model over 36 months (rk4, dt
   0.125; every link weight ±20 %), bands of every variable at every step and
   two metrics streamed: wall time and the peak memory of the process
   (target on a 2-core machine: <= 5 s and <= 1 GB).
2. The same with one scenario beside the baseline (20,000 integrations).
3. Runs per second by chunk size, in-process.
4. Runs per second by executor: in-process, a 2-process pool, a local dask
   cluster of 2 worker processes (start-up included, and timed alone).

Each case runs in a fresh process, so that its peak resident memory is its own.
Timings on a shared machine are noisy: compare medians from the same session.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

RUNS = 10_000
METRICS = ["effectiveness", "mean(effectiveness)"]


def one(case: dict) -> dict:
    """Run one case here and return its wall time and this process's peak memory (MB)."""
    import gmsim
    from gmsim.uncertainty.executors import get_executor
    from gmsim.uncertainty.runner import CHUNK_SIZE
    from gmsim.uncertainty.spec import UncertaintySpec

    spec = UncertaintySpec.every_weight(0.2, seed=2012)
    options = {"runs": case["runs"], "metrics": METRICS, "progress": False}
    gmsim.monte_carlo(spec=spec, runs=64, metrics=METRICS, progress=False)  # imports and caches warm
    cpu = _cpu()
    started = time.perf_counter()
    executor = get_executor(case.get("executor"), workers=case.get("workers"))
    ready = time.perf_counter()
    with executor:
        gmsim.monte_carlo(
            spec=spec,
            scenarios=case.get("scenarios", []),
            chunk_size=case.get("chunk", CHUNK_SIZE),
            executor=executor,
            **options,
        )
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": done - started, "startup": ready - started, "peak_mb": peak, "cpu": _cpu() - cpu}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (less sensitive to other load)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(case: dict, repeat: int) -> dict:
    """Median of ``repeat`` fresh-process runs of a case."""
    results = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--case", json.dumps(case)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def _line(r: dict, runs: int) -> str:
    return (
        f"{r['seconds']:6.2f} s  {runs / r['seconds']:6.0f} runs/s  cpu {r['cpu']:6.2f} s"
        f"  peak {r['peak_mb']:5.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--skip-executors", action="store_true")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(one(json.loads(args.case))))
        return
    n = args.runs
    print(f"Monte Carlo of the default model, 36 months, rk4 dt 0.125, every weight ±20 %, {n} runs")
    print(f"(medians of {args.repeat} fresh processes; a shared machine makes these noisy)\n")
    r = measure({"runs": n}, args.repeat)
    print(f"1. baseline:              {_line(r, n)}")
    r = measure({"runs": n, "scenarios": ["training-program"]}, args.repeat)
    print(f"2. + training-program:    {_line(r, 2 * n)} (runs: integrations)")
    print("3. chunk size (in-process):")
    for chunk in (512, 1024, 2048, 4096):
        r = measure({"runs": n, "chunk": chunk}, args.repeat)
        print(f"   {chunk:>5}:                {_line(r, n)}")
    if args.skip_executors:
        return
    print("4. executors (start-up included):")
    for label, case in (
        ("inprocess", {"executor": "inprocess"}),
        ("processes x2", {"executor": "processes", "workers": 2}),
        ("dask local x2", {"executor": "dask", "workers": 2}),
    ):
        r = measure({"runs": n, **case}, args.repeat)
        print(f"   {label:<22} {_line(r, n)}; start-up {r['startup']:.2f} s, peak of the driver")


if __name__ == "__main__":
    main()
