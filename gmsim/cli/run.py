"""``gmsim run``: run a model (default: the paper's), write trajectories and plots."""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt

from gmsim.cli._common import add_model_argument, add_run_options, run_options
from gmsim.core.result import Result
from gmsim.files.output import check_writable, output_dir
from gmsim.plot.results import headline_variables, plot_effectiveness, plot_overview
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
    result = simulate(args.model, scenario=args.scenario, **run_options(args))
    with output_dir(args.out) as stage:
        write_run(result, stage)
    print(summary(result))
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


def summary(result: Result) -> str:
    """A few lines: what ran, the headline variables at start and end, the biggest movers."""
    first, last = result.values[0, 0], result.values[0, -1]
    lines = [
        f"{result.model} | scenario: {result.scenario} | {result.time_label} | {result.method}",
        f"  {'variable':<28}{'start':>8}{'end':>8}{'change':>9}",
    ]
    for v in headline_variables(result):
        i = result.variables.index(v)
        lines.append(f"  {v:<28}{first[i]:>8.3f}{last[i]:>8.3f}{last[i] - first[i]:>+9.3f}")
    moves = sorted(range(len(result.variables)), key=lambda i: -abs(last[i] - first[i]))[:3]
    moved = [
        f"{result.variables[i]} {last[i] - first[i]:+.3f}"
        for i in moves
        if abs(last[i] - first[i]) > 1e-6
    ]
    lines.append("  largest changes: " + (", ".join(moved) if moved else "none (the run is at rest)"))
    return "\n".join(lines)
