"""``gmsim run``: run a model (default: the paper's), write trajectories and plots."""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt

from gmsim.analysis.summary import run_summary
from gmsim.cli._common import add_model_argument, add_run_options, run_options
from gmsim.core.result import Result
from gmsim.errors import DataError
from gmsim.evidence.overlay import overlay_run, run_levels
from gmsim.files.output import check_writable, output_dir
from gmsim.plot.results import plot_effectiveness, plot_overview
from gmsim.simulation.simulate import simulate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a model and write trajectories.csv, effectiveness.png, overview.png",
        description="Run a model (the paper's default model when MODEL is left out) and write "
        "DIR/trajectories.csv, DIR/effectiveness.png and DIR/overview.png; with --variable, also "
        "DIR/variables.png with the variables named. With --data, the observed points of a data file "
        "are drawn on the figures beside the model.",
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
    add_data_options(p)
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
    # the data file is read and checked against the run before anything is written
    levels = data_levels(args, lambda path, observe: run_levels(result, path, observe=observe))
    drawn: list[str] = []
    with output_dir(args.out) as stage:
        drawn = write_run(result, stage, chosen, observed=levels)
    print(run_summary(result, baseline))
    for name in chosen:
        series = result[name]
        print(f"  {name:<28}{series[0]:>8.3f}{series[-1]:>8.3f}{series[-1] - series[0]:>+9.3f}")
    if levels is not None:
        print(observed_line(args.data, levels, drawn))
    extra = ", variables.png" if chosen else ""
    print(f"wrote {args.out}/trajectories.csv, effectiveness.png, overview.png{extra}")
    return 0


def add_data_options(p: argparse.ArgumentParser) -> None:
    """--data and --observe: observed points drawn on the figures."""
    p.add_argument(
        "--data",
        metavar="FILE",
        help="observed series to draw on the figures: CSV, time first, one column per factor id "
        "(or mapped by --observe or FILE's .toml)",
    )
    p.add_argument(
        "--observe",
        action="append",
        metavar="MAP",
        help="map a column of --data onto a factor: COLUMN=FACTOR[,scale=S|fit][,offset=B|fit]; repeat",
    )


def data_levels(args: argparse.Namespace, read):
    """The --data points on the level scale (``read(path, observe)``), or ``None`` without --data."""
    if args.data is None:
        if args.observe:
            raise DataError("`--observe` maps the columns of a data file; give the file with --data")
        return None
    return read(args.data, args.observe)


def observed_line(path, levels, drawn: list[str], hint: str = "add --variable {}") -> str:
    """What was drawn: ``observed: agency.csv, 3 series drawn (...)``, and what no figure shows
    (with ``hint``, formatted with the first such variable)."""
    line = f"observed: {path}, {len(drawn)} series drawn" + (f" ({', '.join(drawn)})" if drawn else "")
    missing = [c for c in levels.columns if c not in drawn]
    if missing:
        line += f"; not on the figures: {', '.join(missing)} ({hint.format(missing[0])})"
    return line


def write_run(result: Result, folder, variables=None, *, observed=None) -> list[str]:
    """trajectories.csv (time, then one column per variable) and the two figures (the overview of
    a stock-and-flow model shows ``variables`` when given, else its stocks); with ``variables``,
    variables.png. ``observed`` (a table of :func:`gmsim.evidence.overlay.run_levels`) is drawn on
    the figures; returns the variables drawn."""
    result.to_frame().reset_index().to_csv(folder / "trajectories.csv", index=False)
    figures = {
        "effectiveness.png": (plot_effectiveness(result).figure, 120),
        "overview.png": (plot_overview(result, variables=variables), 110),
    }
    if variables:
        figures["variables.png"] = (result.plot(variables).figure, 120)
    drawn: list[str] = []
    if observed is not None:
        drawn = overlay_run([fig for fig, _ in figures.values()], result, observed)
    for name, (fig, dpi) in figures.items():
        fig.savefig(folder / name, dpi=dpi, bbox_inches="tight")
        plt.close(fig)
    return drawn
