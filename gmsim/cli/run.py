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
        "DIR/trajectories.csv, DIR/effectiveness.png and DIR/overview.png; with --variable, also "
        "DIR/variables.png with the variables named.",
    )
    add_model_argument(p)
    add_run_options(p)
    p.add_argument("--scenario", metavar="NAME_OR_PATH", help="apply a scenario (see `gmsim scenarios`)")
    p.add_argument(
        "--variable",
        action="append",
        metavar="FACTOR",
        help="also plot FACTOR into DIR/variables.png and print its start and end; repeat for several",
    )
    p.add_argument(
        "--out", default="gmsim-output", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_writable(args.out)
    options = run_options(args)
    result = simulate(args.model, scenario=args.scenario, **options)
    baseline = None if args.scenario is None else simulate(args.model, **options)
    chosen = list(dict.fromkeys(getattr(args, "variable", None) or ()))
    for name in chosen:
        result[name]  # an unknown variable is named (with a suggestion) before anything is written
    with output_dir(args.out) as stage:
        write_run(result, stage, chosen)
        if chosen:
            ax = result.plot(chosen)
            ax.figure.savefig(stage / "variables.png", dpi=120, bbox_inches="tight")
            plt.close(ax.figure)
    print(run_summary(result, baseline))
    for name in chosen:
        series = result[name]
        print(f"  {name:<28}{series[0]:>8.3f}{series[-1]:>8.3f}{series[-1] - series[0]:>+9.3f}")
    extra = ", variables.png" if chosen else ""
    print(f"wrote {args.out}/trajectories.csv, effectiveness.png, overview.png{extra}")
    return 0


def write_run(result: Result, folder, variables=None) -> None:
    """trajectories.csv (time, then one column per variable) and the two figures (the overview of
    a stock-and-flow model shows ``variables`` when given, else its stocks)."""
    result.to_frame().reset_index().to_csv(folder / "trajectories.csv", index=False)
    ax = plot_effectiveness(result)
    ax.figure.savefig(folder / "effectiveness.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    fig = plot_overview(result, variables=variables)
    fig.savefig(folder / "overview.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
