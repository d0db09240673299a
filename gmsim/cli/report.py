"""``gmsim report``: one self-contained HTML report of a model and scenarios, for readers who do not code."""

from __future__ import annotations

import argparse

from gmsim.cli._common import add_model_argument, add_run_options, add_scenarios_argument, run_options
from gmsim.errors import GmsimError
from gmsim.report import DEFAULT_SCENARIOS, write_report


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write one self-contained HTML report: model, factors, scenarios, loops, uncertainty",
        description="Run the baseline and each --scenario on MODEL (default: the paper's model) and "
        "write one HTML file that opens anywhere with no network: the model in a paragraph and its "
        "causal loop diagram, the factor table with the paper's sections, the scenarios compared "
        "(figures, end-of-run levels and differences, a sentence per scenario), the feedback loops "
        "and which of them drive each run, and, with --spec, Monte Carlo bands; with --data, an "
        "agency's observed points beside the runs, and with --calibration, a calibration's fit, "
        "its estimates with their intervals and the parameters the data cannot pin. Without "
        f"--scenario: {', '.join(DEFAULT_SCENARIOS)}.",
    )
    add_model_argument(p)
    add_scenarios_argument(p)
    p.add_argument(
        "--spec",
        metavar="NAME_OR_PATH",
        help="an uncertainty spec file or shipped spec name: adds Monte Carlo bands",
    )
    p.add_argument("--runs", type=int, metavar="N", help="Monte Carlo runs (default: the spec's)")
    p.add_argument("--seed", type=int, metavar="N", help="Monte Carlo seed (default: the spec's)")
    p.add_argument(
        "--data",
        metavar="FILE",
        help="an agency's observed series (CSV: time first, one column per factor id), drawn beside the runs",
    )
    p.add_argument(
        "--observe",
        action="append",
        metavar="MAP",
        help="map a column of --data onto a factor: COLUMN=FACTOR[,scale=S|fit][,offset=B|fit]; repeat",
    )
    p.add_argument(
        "--calibration",
        metavar="DIR",
        help="a folder written by `gmsim calibrate`: its fit, estimates and what the data cannot pin",
    )
    p.add_argument("--title", help="the report's title (default: the model's name)")
    add_run_options(p)
    p.add_argument(
        "--out", default="report.html", metavar="FILE", help="the report file (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    for flag in ("runs", "seed"):
        if getattr(args, flag) is not None and args.spec is None:
            raise GmsimError(f"--{flag} is for the Monte Carlo runs of an uncertainty spec; add --spec")
    path = write_report(
        args.model,
        scenarios=args.scenario,
        spec=args.spec,
        runs=args.runs,
        seed=args.seed,
        out=args.out,
        title=args.title,
        data=args.data,
        observe=args.observe,
        calibration=args.calibration,
        **run_options(args),
    )
    size = path.stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB); open it in a web browser")
    return 0
