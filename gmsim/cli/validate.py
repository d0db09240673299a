"""``gmsim validate``: report every problem of a model file (exit 0 when none, else 2)."""

from __future__ import annotations

import argparse

from gmsim.cli._common import add_model_argument
from gmsim.factor.model import Model
from gmsim.simulation.load import load_model


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check a model file and list all its problems",
        description="Check a model file. Prints every problem with its line, then exits 0 "
        "(valid) or 2 (problems found).",
    )
    add_model_argument(p, required=True)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    system = model.compile()
    if isinstance(model, Model):
        what = f"{len(model.factors)} factors, {len(model.links)} links"
    else:
        what = f"{len(system.variable_names)} variables, {system.graph.number_of_edges()} causal links"
    print(f"{args.model}: ok ({what})")
    return 0
