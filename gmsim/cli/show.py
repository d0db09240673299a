"""``gmsim show``: a model's factors, groups and links as tables; or a factor's causes or uses tree."""

from __future__ import annotations

import argparse

import pandas as pd

from gmsim.analysis.trees import causes_tree, format_tree, uses_tree
from gmsim.cli._common import add_model_argument
from gmsim.factor.model import GROUPS, Model
from gmsim.simulation.load import load_model


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="list a model's factors (by group) and links",
        description="Print a model's factors grouped as in the paper, and its links; with --causes "
        "or --uses, the tree of what drives a factor or what it drives, to --depth links.",
    )
    add_model_argument(p)
    p.add_argument(
        "--causes",
        action="append",
        metavar="FACTOR",
        help="print FACTOR's causes tree (its causes, their causes, ...); repeat for several",
    )
    p.add_argument(
        "--uses",
        action="append",
        metavar="FACTOR",
        help="print FACTOR's uses tree (what it acts on, and what those act on); repeat for several",
    )
    p.add_argument(
        "--depth",
        type=int,
        default=3,
        metavar="N",
        help="links to follow in a tree (default: %(default)s)",
    )
    p.set_defaults(func=main)


def factor_table(model: Model) -> pd.DataFrame:
    """One row per factor: id, group, kind, initial, tau, paper section."""
    rows = [
        {
            "id": f.id,
            "group": f.group,
            "kind": f.kind,
            "initial": "" if f.kind == "composite" else f.initial,
            "tau": f.tau if f.kind == "endogenous" else "",
            "source": f.source,
        }
        for f in model.factors
    ]
    frame = pd.DataFrame(rows)
    frame["order"] = frame["group"].map(GROUPS.index)
    return frame.sort_values(["order"], kind="stable").drop(columns="order")


def link_table(model: Model) -> pd.DataFrame:
    """One row per link: from, to, weight, sign, delay, paper section."""
    return pd.DataFrame(
        [
            {
                "from": link.cause,
                "to": link.effect,
                "weight": link.weight,
                "sign": "+" if link.sign > 0 else "-" if link.sign < 0 else "0",
                "delay": link.delay or "",
                "source": link.source,
            }
            for link in model.links
        ]
    )


def main(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    if args.causes or args.uses:
        trees = [causes_tree(model, f, args.depth) for f in args.causes or ()]
        trees += [uses_tree(model, f, args.depth) for f in args.uses or ()]
        print("\n\n".join(format_tree(tree) for tree in trees))
        return 0
    if not isinstance(model, Model):  # a stock-and-flow import: show its causal graph
        graph = model.compile().graph
        print(f"{model.name}: {graph.number_of_nodes()} variables, {graph.number_of_edges()} links")
        edges = pd.DataFrame(
            [{"from": a, "to": b, "sign": d.get("sign")} for a, b, d in graph.edges(data=True)]
        )
        print(edges.to_string(index=False))
        return 0
    print(f"{model.name}\n{model.description}\n" if model.description else model.name)
    print(f"Factors ({len(model.factors)}):")
    print(factor_table(model).to_string(index=False))
    print(f"\nLinks ({len(model.links)}):")
    print(link_table(model).to_string(index=False))
    return 0
