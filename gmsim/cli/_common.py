"""Arguments and checks shared by several commands."""

from __future__ import annotations

import argparse
import math
import os

from gmsim.core.methods import METHODS
from gmsim.errors import SimulationError


def add_model_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """The MODEL positional: a .toml or XMILE file; the default model when left out."""
    parser.add_argument(
        "model",
        nargs=None if required else "?",
        metavar="MODEL",
        help="model file (.toml or .xmile)" + ("" if required else "; default: the paper's model"),
    )


def add_scenarios_argument(parser: argparse.ArgumentParser) -> None:
    """--scenario, repeatable: library names or scenario files, collected in order."""
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="NAME_OR_PATH",
        help="a library name or a scenario file; repeat for several (see `gmsim scenarios`)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--start/--stop/--dt/--method, overriding the model's [simulation] table."""
    parser.add_argument("--start", type=float, help="start month (default: the model's)")
    parser.add_argument("--stop", type=float, help="end month (default: the model's)")
    parser.add_argument("--dt", type=float, help="step / save interval in months")
    parser.add_argument("--method", choices=METHODS, help="integration method")


def run_options(args: argparse.Namespace) -> dict:
    """The run settings chosen on the command line (``None``: the model's own)."""
    for name, value in (("--start", args.start), ("--stop", args.stop), ("--dt", args.dt)):
        if value is not None and not math.isfinite(value):
            raise SimulationError(f"{name} must be a finite number, got {value}")
    if args.dt is not None and args.dt <= 0:
        raise SimulationError(f"--dt must be > 0, got {args.dt:g}")
    return {"start": args.start, "stop": args.stop, "dt": args.dt, "method": args.method}


_NOT_INPUTS = ("out", "command", "func", "title")


def input_paths(args: argparse.Namespace) -> list[str]:
    """The files a command's arguments name (all but ``--out``): what no output may replace."""
    found = []
    for key, value in vars(args).items():
        for v in value if isinstance(value, list | tuple) else [value]:
            if key not in _NOT_INPUTS and isinstance(v, str) and v and os.path.isfile(v):
                found.append(v)
    return found
