"""``gmsim compare``: run scenarios side by side; write the table, a plot and end-of-run levels."""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt

from gmsim.analysis.comparison import compare, end_of_horizon, format_end_table, plot_comparison
from gmsim.cli._common import add_model_argument, add_run_options, add_scenarios_argument, run_options
from gmsim.cli.run import add_data_options, data_levels, observed_line
from gmsim.evidence.overlay import comparison_levels, overlay_comparison
from gmsim.files.output import check_writable, output_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="run scenarios side by side; write comparison.csv, comparison.png, end_of_horizon.csv",
        description="Run the baseline and each --scenario on MODEL (default: the paper's model; "
        "no --scenario: the whole library) and write DIR/comparison.csv (scenario, time, variable, "
        "value), DIR/comparison.png (effectiveness and the three outcomes) and "
        "DIR/end_of_horizon.csv (levels at the end and differences from the baseline, also printed). "
        "With --data, the observed points of a data file are drawn on DIR/comparison.png.",
    )
    add_model_argument(p)
    add_run_options(p)
    add_scenarios_argument(p)
    p.add_argument(
        "--baseline",
        default="baseline",
        metavar="NAME_OR_PATH",
        help="the reference the differences are taken from (default: %(default)s)",
    )
    p.add_argument(
        "--variable",
        action="append",
        metavar="FACTOR",
        help="variable to plot and tabulate; repeat for several (default: effectiveness and its outcomes)",
    )
    add_data_options(p)
    p.add_argument(
        "--out", default="gmsim-compare", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_writable(args.out)
    frame = compare(args.model, args.scenario, baseline=args.baseline, **run_options(args))
    table = end_of_horizon(frame, variables=args.variable)
    levels = data_levels(args, lambda path, observe: comparison_levels(frame, path, observe=observe))
    fig = plot_comparison(frame, args.variable)
    drawn = [] if levels is None else overlay_comparison(fig, frame, levels)
    with output_dir(args.out) as stage:
        frame.to_csv(stage / "comparison.csv", index=False)
        table.to_csv(stage / "end_of_horizon.csv", index=False)
        fig.savefig(stage / "comparison.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(
        format_end_table(
            table, time=float(frame["time"].max()), time_unit=frame.attrs.get("time_unit", "month")
        )
    )
    if levels is not None:
        hint = "name every variable to plot with --variable, e.g. --variable {}"
        print(observed_line(args.data, levels, drawn, hint))
    print(f"wrote {args.out}/comparison.csv, comparison.png, end_of_horizon.csv")
    return 0
