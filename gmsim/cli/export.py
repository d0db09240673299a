"""``gmsim export``: write a model (optionally with a scenario built in) for other SD tools."""

from __future__ import annotations

import argparse
import sys

from gmsim.cli._common import add_model_argument, add_run_options, run_options
from gmsim.errors import GmsimError, did_you_mean
from gmsim.simulation.export import export_xmile

FORMATS = ("xmile",)
"""Formats ``gmsim export --to`` writes."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a model as XMILE for Stella, Vensim and other SD tools",
        description="Write a model (the paper's default model when MODEL is left out) as a "
        "standard XMILE 1.0 file that Stella, Vensim and other system-dynamics tools open and "
        "run. An XMILE engine running it with Euler at the same dt reproduces gmsim's Euler run.",
    )
    add_model_argument(p)
    p.add_argument("--to", default="xmile", metavar="FORMAT", help="file format: xmile (default)")
    p.add_argument(
        "--out",
        metavar="FILE",
        help="file to write, e.g. microblogs.xmile (left out or '-': standard output)",
    )
    p.add_argument(
        "--scenario",
        metavar="NAME_OR_PATH",
        help="build a scenario into the file: its changed parameters, added links, holds and "
        "events (holds and events of endogenous factors make it an Euler file)",
    )
    add_run_options(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    fmt = args.to.strip().lower()
    if fmt not in FORMATS:
        raise GmsimError(
            f"--to: unknown format '{args.to}'{did_you_mean(fmt, FORMATS)}; "
            f"gmsim exports to {', '.join(FORMATS)}"
        )
    to_file = args.out not in (None, "-")
    text = export_xmile(
        args.model, args.out if to_file else None, scenario=args.scenario, **run_options(args)
    )
    if not to_file:
        sys.stdout.write(text)
        return 0
    # Only the model's variables: the diagram in <views> names every stock, flow and aux again.
    variables = text.partition("<variables>")[2].partition("</variables>")[0]
    counts = {tag: variables.count(f"<{tag} name=") for tag in ("stock", "flow", "aux")}
    print(
        f"wrote {args.out}: XMILE 1.0, {counts['stock']} stocks, {counts['flow']} flows, "
        f"{counts['aux']} auxiliaries"
    )
    return 0
