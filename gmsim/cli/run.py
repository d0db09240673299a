"""``gmsim run``: run a model (default: the paper's), write trajectories and plots."""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt

from gmsim.analysis.summary import run_summary
from gmsim.cli._common import add_model_argument, add_run_options, run_options
from gmsim.core.result import Result
from gmsim.files.output import check_writable, output_dir
from gmsim.plot.results import plot_effectiveness, plot_overview
from gmsim.simulation.simulate import simulate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a model and write trajectories.csv, effectiveness.png, overview.png",
        description="Run a model (the paper's default model when MODEL is left out) and write "
        "DIR/trajectories.csv, DIR/effectiveness.png and DIR/overview.png.",
    )
    add_model_argument(p)
    add_run_options(p)
    p.add_argument("--scenario", metavar="NAME_OR_PATH", help="apply a scenario (see `gmsim scenarios`)")
    p.add_argument(
        "--out", default="gmsim-output", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_writable(args.out)
    options = run_options(args)
    result = simulate(args.model, scenario=args.scenario, **options)
    baseline = None if args.scenario is None else simulate(args.model, **options)
    with output_dir(args.out) as stage:
        write_run(result, stage)
    print(run_summary(result, baseline))
    print(f"wrote {args.out}/trajectories.csv, effectiveness.png, overview.png")
    return 0


def write_run(result: Result, folder) -> None:
    """trajectories.csv (time, then one column per variable) and the two figures."""
    result.to_frame().reset_index().to_csv(folder / "trajectories.csv", index=False)
    ax = plot_effectiveness(result)
    ax.figure.savefig(folder / "effectiveness.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    fig = plot_overview(result)
    fig.savefig(folder / "overview.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
