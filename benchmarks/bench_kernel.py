"""The compiled kernel against the numpy path and PySD, side by side in one process (issue 14).

    python benchmarks/bench_kernel.py [--repeat N] [--skip-graphs] [--skip-sobol]

1. One run of the default model (euler, dt 0.125, 36 months): kernel, numpy path,
   and PySD running gmsim's own XMILE export of the same model.
2. Per run inside a 10,000-run batch with every link weight varied: kernel and numpy.
3. Random graphs of 1,000 / 10,000 / 100,000 factors with 5 links each, 120 months
   (rk4, dt 0.125): time and peak memory (each size in a child process, so the peak
   is its own).
4. Sobol on every weight of the default model at N = 1024 (gmsim.sensitivity).

Targets (ratios on this 2-core machine): one run >= 100x faster than PySD, per run
in a batch >= 1,000x, 100,000 factors within 8 GB. The machine's load is printed
beside the figures: other work on it slows every number here.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from bench_engine import median_time  # this folder is on the path when a script runs

import gmsim
from gmsim import Dynamics, Factor, Link, Model, Simulation
from gmsim.core.solver import RunSettings, solve
from gmsim.factor import kernel
from gmsim.factor.system import FactorSystem


def load() -> str:
    return (
        "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
    )


def numpy_path():
    """A context in which factor systems step in numpy."""

    class Off:
        def __enter__(self):
            FactorSystem.use_kernel = False

        def __exit__(self, *exc):
            FactorSystem.use_kernel = True

    return Off()


def pysd_seconds(model, repeat: int) -> float | None:
    """One PySD run of gmsim's XMILE export of ``model`` (euler), or None without PySD."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pysd
    except ImportError:
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench_kernel_"))
    path = folder / "model.xmile"
    text = gmsim.export_xmile(model, path, method="euler", stop=36, dt=0.125)
    if re.search(r"<eqn>[^<]*\bDT\b", text):  # PySD 3.14 lacks XMILE's DT built-in
        text = re.sub(r"<eqn>[^<]*</eqn>", lambda m: re.sub(r"\bDT\b", "0.125", m.group()), text)
        path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        translated = pysd.read_xmile(str(path))
        translated.run()
        return median_time(lambda: translated.run(), repeat)


def random_model(n: int, links_per_factor: int = 5, seed: int = 0) -> Model:
    rng = np.random.default_rng(seed)
    factors = tuple(
        Factor(f"f{i}", initial=float(rng.uniform(0.2, 0.8)), tau=float(rng.uniform(1.0, 12.0)))
        for i in range(n)
    )
    cause = rng.integers(0, n, n * links_per_factor)
    effect = (cause + rng.integers(1, n, cause.size)) % n
    pairs = sorted(set(zip(cause.tolist(), effect.tolist(), strict=True)))
    links = tuple(Link(f"f{a}", f"f{b}", float(rng.uniform(-0.4, 0.4))) for a, b in pairs)
    return Model(
        "random",
        factors=factors,
        links=links,
        simulation=Simulation(stop=120.0, dt=0.125),
        dynamics=Dynamics(steepness=4.0, equilibrium=False),
    )


def graph_child(n: int, numpy: bool) -> None:
    """Build, compile and run one random graph; print seconds and peak memory (child process)."""
    start = time.perf_counter()
    model = random_model(n)
    system = model.compile()
    params = system.parameters()
    built = time.perf_counter() - start
    settings = RunSettings(start=0, stop=120, dt=0.125, method="rk4")
    if numpy:
        FactorSystem.use_kernel = False
    else:
        kernel.ONE_RUN_MAX_LINKS = 10**12  # the kernel itself (the engine gives one large run to numpy)
        solve(system, params, RunSettings(start=0, stop=0.25, dt=0.125, method="rk4"))  # warm
    start = time.perf_counter()
    result = solve(system, params, settings)
    ran = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    status = Path("/proc/self/status")
    if status.exists():  # ru_maxrss survives exec (the parent's peak); VmHWM is this process's
        found = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
        peak = int(found.group(1)) / 2**20 if found else peak
    print(f"{len(model.links)} {built:.2f} {ran:.3f} {peak:.2f} {result.stats.steps}")


def graphs(sizes, numpy_up_to: int) -> None:
    print("3. random graphs, 5 links per factor, 120 months, rk4 dt 0.125 (build = model + compile)")
    for n in sizes:
        for path in ("kernel", "numpy"):
            if path == "numpy" and n > numpy_up_to:
                continue
            if path == "kernel" and not kernel.available():
                continue
            args = [sys.executable, __file__, "--graph-child", str(n)] + (
                ["--numpy"] if path == "numpy" else []
            )
            out = subprocess.run(args, capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"   {n:>7,} factors ({path}): failed\n{out.stderr[-2000:]}")
                continue
            links, built, ran, peak, steps = out.stdout.split()[-5:]
            print(
                f"   {n:>7,} factors / {int(links):>7,} links ({path:>6}): run {float(ran):8.2f} s"
                f"  ({int(steps)} steps), build {float(built):6.1f} s, peak memory {float(peak):5.2f} GiB"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--skip-graphs", action="store_true")
    parser.add_argument("--skip-sobol", action="store_true")
    parser.add_argument("--graph-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--numpy", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.graph_child:
        graph_child(args.graph_child, args.numpy)
        return
    print(f"machine: {load()}; kernel available: {kernel.available()}")
    model = gmsim.load_model()
    system = model.compile()
    params = system.parameters()
    settings = RunSettings(start=0, stop=36, dt=0.125, method="euler")
    solve(system, params, settings)  # compiles the kernel once (or loads it from the cache)
    fast = median_time(lambda: solve(system, params, settings), args.repeat)
    options = {"method": "euler", "stop": 36, "dt": 0.125}
    public = median_time(lambda: gmsim.simulate(system, **options), args.repeat)  # + its parameters
    with numpy_path():
        slow = median_time(lambda: solve(system, params, settings), max(3, args.repeat // 2))
    pysd = pysd_seconds(model, 3)
    print("1. default model, one run, euler dt 0.125, 36 months")
    print(f"   kernel {1e3 * fast:8.2f} ms   numpy path {1e3 * slow:8.1f} ms ({slow / fast:.0f}x)")
    print(f"   simulate(system), which also solves the run's parameters: {1e3 * public:.2f} ms")
    if pysd is not None:
        print(
            f"   PySD   {1e3 * pysd:8.1f} ms   -> kernel {pysd / fast:.0f}x, numpy path {pysd / slow:.1f}x, "
            f"simulate() {pysd / public:.0f}x faster"
        )

    rng = np.random.default_rng(0)
    runs = args.runs
    batch = {
        f"weight:{name}": np.clip(link.weight * rng.uniform(0.8, 1.2, runs), -1, 1)
        for name, link in zip(system.link_names, system.links, strict=True)
    }
    many = system.parameters(batch)
    fast = median_time(lambda: solve(system, many, settings), 3)
    with numpy_path():
        slow = median_time(lambda: solve(system, many, settings), 1)
    print(f"2. {runs:,}-run batch, every link weight varied (per-run weights), per run")
    print(
        f"   kernel {1e6 * fast / runs:8.1f} µs   numpy path {1e6 * slow / runs:8.1f} µs "
        f"({slow / fast:.1f}x); whole batch {fast:.2f} s vs {slow:.1f} s"
    )
    if pysd is not None:
        print(
            f"   one PySD run / kernel per run: {pysd * runs / fast:,.0f}x (numpy {pysd * runs / slow:,.0f}x)"
        )
    print(f"   ({load()})")

    if not args.skip_graphs:
        graphs((1_000, 10_000, 100_000), numpy_up_to=100_000)
        print(f"   (the engine steps one run of more than {kernel.ONE_RUN_MAX_LINKS:,} links in numpy)")
        print(f"   ({load()})")

    if not args.skip_sobol:
        from gmsim.uncertainty.spec import UncertaintySpec

        spec = UncertaintySpec.every_weight(0.2, seed=2012)
        options = {"scenario": "training-program", "metrics": ["effectiveness"], "progress": False}
        timings = {}
        for path in ("kernel", "numpy"):
            if path == "kernel" and not kernel.available():
                continue
            start = time.perf_counter()
            if path == "numpy":
                with numpy_path():
                    sa = gmsim.sensitivity(spec=spec, method="sobol", samples=1024, **options)
            else:
                sa = gmsim.sensitivity(spec=spec, method="sobol", samples=1024, **options)
            timings[path] = (time.perf_counter() - start, sa.runs, len(sa.space.names))
        print("4. Sobol, every weight of the default model, N = 1024 (training-program, effectiveness)")
        for path, (seconds, n_runs, d) in timings.items():
            print(
                f"   {path:>6}: {d} weights, {n_runs:,} runs in {seconds:6.1f} s ({n_runs / seconds:,.0f} runs/s)"
            )
        print(f"   ({load()})")


if __name__ == "__main__":
    main()
