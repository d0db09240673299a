"""``gmsim check``: run the claims of a model file (its ``[[checks]]``) and print which hold."""

from __future__ import annotations

import argparse

from gmsim.analysis.claims import check
from gmsim.cli._common import add_model_argument
from gmsim.files.output import check_writable, output_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="run the model's claims ([[checks]]) and print which hold; exit 1 if any fails",
        description="Run every [[checks]] claim of MODEL (default: the paper's model) and print a "
        "pass/fail table, each failure with its numbers. Exit code 0 when every claim holds, 1 when "
        "one fails, 2 on a bad claim (an unknown scenario, variable or comparison, a time outside "
        "the horizon). --extreme adds generated extreme-condition tests: each exogenous factor held "
        "at 0 and at 1 keeps every variable finite and in [0, 1], and no outcome ends higher with "
        "every enabler at its worst than in the baseline or with every enabler at its best.",
    )
    add_model_argument(p)
    p.add_argument("--extreme", action="store_true", help="add the generated extreme-condition tests")
    p.add_argument("--out", metavar="DIR", help="also write DIR/checks.csv (one row per claim)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.out:
        check_writable(args.out)
    report = check(args.model, extreme=args.extreme)
    if args.out:
        with output_dir(args.out) as stage:
            report.to_frame().to_csv(stage / "checks.csv", index=False)
    print(report.table())
    if args.out:
        print(f"wrote {args.out}/checks.csv")
    return 0 if report.passed else 1
