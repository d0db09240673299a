"""``gmsim diagram``: draw a model's causal loop diagram, or export it to DOT / GraphML."""

from __future__ import annotations

import argparse

from gmsim.analysis.diagram import save_diagram
from gmsim.analysis.loops import DEFAULT_MAX_LOOPS
from gmsim.cli._common import add_model_argument
from gmsim.plot.diagram import FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diagram",
        help="draw the causal loop diagram (PNG, SVG, PDF) or export it (DOT, GraphML)",
        description="Draw the causal loop diagram of a model (the paper's default model when MODEL is "
        "left out): factors in bands by the paper's groups, links coloured by sign, width by |weight|, "
        "delays marked ||. --loop highlights one loop (ids from `gmsim loops`). The extension of "
        f"--out picks the format: {', '.join(FORMATS)}.",
    )
    add_model_argument(p)
    p.add_argument("--loop", metavar="ID", help="highlight this loop (e.g. R1, B3)")
    p.add_argument(
        "--out", default="diagram.png", metavar="FILE", help="file to write (default: %(default)s)"
    )
    p.add_argument(
        "--max-length", type=int, metavar="N", help="as for `gmsim loops` (loop ids depend on it)"
    )
    p.add_argument(
        "--max-loops", type=int, default=DEFAULT_MAX_LOOPS, metavar="N", help="as for `gmsim loops`"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    path = save_diagram(
        args.model, args.out, loop=args.loop, max_length=args.max_length, max_loops=args.max_loops
    )
    print(f"wrote {path}")
    return 0
