"""``gmsim uncertainty``: Monte Carlo bands of a model under an uncertainty spec, per scenario."""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt

from gmsim.cli._common import add_model_argument, add_run_options, run_options
from gmsim.cli._ensemble import (
    add_executor_options,
    add_metric_options,
    add_spec_options,
    executor_options,
    write_outputs,
)
from gmsim.files.output import check_writable, file_names
from gmsim.uncertainty.montecarlo import MonteCarloResult, monte_carlo


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "uncertainty",
        help="Monte Carlo: percentile bands, metrics and P(scenario beats baseline) under a spec",
        description="Sample the uncertain parameters of a spec, run the baseline and each --scenario "
        "on the same samples, and write DIR/bands.csv (5/25/50/75/95 %% bands, mean, sd, min, max of "
        "every variable over time), DIR/metrics.csv (each run's metrics), DIR/metric_summary.csv "
        "(percentiles and the probability that each scenario beats the baseline), "
        "DIR/failed_runs.csv, DIR/parameters.csv, fan charts DIR/fan_<variable>.png and "
        "DIR/manifest.json.",
    )
    add_model_argument(p)
    add_spec_options(p)
    p.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME_OR_PATH",
        help="run this scenario on the same samples; repeat for several (see `gmsim scenarios`)",
    )
    p.add_argument(
        "--runs", type=int, metavar="N", help="number of samples (default: the spec's, else 1000)"
    )
    add_metric_options(p)
    p.add_argument(
        "--lower-is-better",
        action="store_true",
        help="the metrics are better when lower (default: higher)",
    )
    p.add_argument(
        "--plot",
        action="append",
        metavar="VARIABLE",
        help="draw a fan chart of this variable; repeat for several (default: effectiveness)",
    )
    p.add_argument(
        "--every",
        type=float,
        metavar="MONTHS",
        help="keep bands every MONTHS (default: every saved step)",
    )
    p.add_argument(
        "--keep-trajectories",
        action="store_true",
        help="also write every run's trajectories to trajectories.csv (large; memory grows with --runs)",
    )
    add_run_options(p)
    add_executor_options(p)
    p.add_argument(
        "--out", default="gmsim-uncertainty", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_writable(args.out)
    result = monte_carlo(
        args.model,
        args.spec,
        runs=args.runs,
        scenarios=args.scenario,
        metrics=args.metric,
        better="lower" if args.lower_is_better else "higher",
        seed=args.seed,
        every=args.every,
        keep_trajectories=args.keep_trajectories,
        **run_options(args),
        **executor_options(args),
    )
    plots = args.plot or [
        "effectiveness" if "effectiveness" in result.variables else result.variables[0]
    ]
    for v in plots:
        result._variable(v)  # a clear error before anything is written
    return write_outputs(args, result, lambda r, folder: write_uncertainty(r, folder, plots=plots))


def write_uncertainty(result: MonteCarloResult, folder, *, plots) -> list[str]:
    """Write the tables and fan charts of a Monte Carlo result; return the file names."""
    result.to_frame().to_csv(folder / "bands.csv", index=False)
    result.metric_frame().to_csv(folder / "metrics.csv", index=False)
    result.metric_summary().to_csv(folder / "metric_summary.csv", index=False)
    result.failure_frame().to_csv(folder / "failed_runs.csv", index=False)
    result.space.table().to_csv(folder / "parameters.csv", index=False)
    names = ["bands.csv", "metrics.csv", "metric_summary.csv", "failed_runs.csv", "parameters.csv"]
    if result.trajectories is not None:
        frames = []
        for name, runs in result.trajectories.items():
            frame = runs.to_frame().reset_index()
            frame.insert(0, "scenario", name)
            frames.append(frame)
        import pandas as pd

        pd.concat(frames, ignore_index=True).to_csv(folder / "trajectories.csv", index=False)
        names.append("trajectories.csv")
    for v, name in file_names(plots, prefix="fan_", suffix=".png").items():
        ax = result.plot(v)
        ax.figure.savefig(folder / name, dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        names.append(name)
    return names
