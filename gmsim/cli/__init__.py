"""The ``gmsim`` command line: a thin shell over the Python API.

Each command lives in its own module of this package and offers
``register(subparsers)``, which adds its parser and sets ``func`` to a function
taking the parsed arguments and returning an exit code. Commands are found by
module name, so adding one is adding a file. A user error (any
:class:`~gmsim.errors.GmsimError`) prints one message and exits with code 2.
No output replaces a file the command reads; Ctrl-C (exit 130) and SIGTERM
(exit 143) stop it with nothing half-written.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from gmsim._version import __version__
from gmsim.cli._common import input_paths
from gmsim.core.names import printable
from gmsim.errors import GmsimError
from gmsim.files.output import Terminated, guard_inputs, stop_cleanly

__all__ = ["build_parser", "main"]

ORDER = (
    "run",
    "validate",
    "check",
    "show",
    "scenarios",
    "compare",
    "loops",
    "diagram",
    "uncertainty",
    "sensitivity",
    "export",
    "report",
)


def _commands() -> list[str]:
    found = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    return sorted(found, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gmsim",
        description="Simulate the effectiveness of government microblogs (Zheng 2012).",
    )
    parser.add_argument("--version", action="version", version=f"gmsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _commands():
        importlib.import_module(f"gmsim.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gmsim`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with stop_cleanly(), guard_inputs(input_paths(args)):
            return int(args.func(args) or 0)
    except GmsimError as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        for line in lines:  # a name read from a file is shown, never acted on by the terminal
            print(f"gmsim: error: {printable(line)}", file=sys.stderr)
        return 2
    except RecursionError:  # a limit should have stopped the input before: still one message
        print(
            f"gmsim: error: `gmsim {args.command}` ran out of stack (RecursionError): its input nests "
            "too deeply; give a smaller or flatter input (split a long equation or a nested table)",
            file=sys.stderr,
        )
        return 2
    except MemoryError:
        print(
            f"gmsim: error: `gmsim {args.command}` ran out of memory (MemoryError); give a smaller "
            "input: fewer runs or variables, a shorter horizon or a larger `dt`, a smaller file",
            file=sys.stderr,
        )
        return 2
    except Terminated:
        print("gmsim: terminated (SIGTERM)", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("gmsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
