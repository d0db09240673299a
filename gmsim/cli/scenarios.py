"""``gmsim scenarios``: list the scenario library, or show and check one scenario."""

from __future__ import annotations

import argparse
import textwrap

from gmsim.scenario import list_scenarios, load_scenario
from gmsim.simulation.load import load_model


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scenarios",
        help="list the scenario library, or show and check one scenario",
        description="Without SCENARIO: list the scenarios shipped with gmsim and what each "
        "represents. With SCENARIO (a library name or a .toml file): print what it does and "
        "check it against MODEL (exit 2 on any problem).",
    )
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="a library name or a scenario file")
    p.add_argument(
        "--model", metavar="MODEL", help="model to check SCENARIO against (default: the paper's)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.scenario is None:
        names = list_scenarios()
        width = max(map(len, names)) + 2
        print(f"{len(names)} scenarios (run one with `gmsim run --scenario NAME`):")
        for name in names:
            text = load_scenario(name).description
            lines = textwrap.wrap(text, width=100 - width) or [""]
            print(f"  {name:<{width}}{lines[0]}")
            for line in lines[1:]:
                print(" " * (width + 2) + line)
        return 0
    scenario = load_scenario(args.scenario)
    model = load_model(args.model)
    scenario.interventions(model)  # raises with every problem found
    print(f"{scenario.name}: {scenario.description}" if scenario.description else scenario.name)
    for line in scenario.describe() or ["no interventions (a baseline run)"]:
        print(f"  - {line}")
    sim = model.simulation
    print(f"ok on '{model.name}' (months {sim.start:g} to {sim.stop:g})")
    return 0
