"""``gmsim explore``: a local web page to try policies on a model and see every trajectory change."""

from __future__ import annotations

import argparse

from gmsim.cli._common import add_model_argument, add_scenarios_argument
from gmsim.explore.app import LOOPBACK, explore


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explore",
        help="open a local web page to move levers, see trajectories, trace causes, export scenarios",
        description="Serve a page on this machine (http://127.0.0.1:PORT/) with levers for every "
        "exogenous factor, link weights and held factors, the library's scenarios as starting points, "
        "trajectories against the baseline, causes and uses trees, loop dominance, pinned runs, and "
        "export of the settings as a scenario file for `gmsim run --scenario`. Needs the explore extra: "
        'pip install "gmsim[explore]".',
    )
    add_model_argument(p)
    add_scenarios_argument(p)
    p.add_argument(
        "--data", metavar="CSV", help="observed data to overlay (time, then one column per variable)"
    )
    p.add_argument(
        "--host",
        default=LOOPBACK,
        help="address to serve on (default: %(default)s, this machine only; another address lets "
        "others on the network use the page)",
    )
    p.add_argument(
        "--port", type=int, default=8050, help="port (default: %(default)s; 0: any free port)"
    )
    p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    explore(
        args.model,
        scenarios=args.scenario or (),
        data=args.data,
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
    )
    return 0
