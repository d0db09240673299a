"""Options shared by ``gmsim uncertainty`` and ``gmsim sensitivity``: spec, metrics, executors."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gmsim.files.manifest import write_manifest
from gmsim.files.output import output_dir
from gmsim.uncertainty.executors import EXECUTORS
from gmsim.uncertainty.runner import CHUNK_SIZE


def add_spec_options(parser: argparse.ArgumentParser) -> None:
    """--spec, --seed, --scenario."""
    parser.add_argument(
        "--spec",
        metavar="FILE_OR_NAME",
        help="uncertainty spec (TOML), or a shipped one by name (default: every_weight_20, "
        "every link weight ±20 %%)",
    )
    parser.add_argument("--seed", type=int, help="random seed (default: the spec's; else a fresh one)")


def add_metric_options(parser: argparse.ArgumentParser) -> None:
    """--metric (repeatable) and --better."""
    parser.add_argument(
        "--metric",
        action="append",
        metavar="METRIC",
        help="one number per run: effectiveness (at the end), effectiveness@24, mean(effectiveness), "
        "mean(effectiveness, 12, 36), min(x), max(x), change(x); add :lower where lower is better "
        "(workload@36:lower); repeat for several (default: the spec's, else effectiveness)",
    )


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """--executor, --workers, --scheduler, --chunk-size, --quiet."""
    group = parser.add_argument_group("where the runs go")
    group.add_argument(
        "--executor",
        choices=EXECUTORS,
        help="inprocess (default), processes (a local pool), dask (a cluster; see --scheduler)",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="threads, processes or local dask workers (default: one per core)",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask)",
    )
    group.add_argument(
        "--chunk-size",
        type=int,
        default=CHUNK_SIZE,
        metavar="N",
        help="runs per batched integration (default: %(default)s)",
    )
    group.add_argument("--quiet", action="store_true", help="no progress bar and no summary")


def executor_options(args: argparse.Namespace) -> dict:
    """Keyword arguments of :func:`gmsim.monte_carlo` / :func:`gmsim.sensitivity` from the options."""
    return {
        "executor": args.executor,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "chunk_size": args.chunk_size,
        "progress": False if args.quiet else None,
    }


def write_outputs(args: argparse.Namespace, result: Any, write: Callable[[Any, Path], list[str]]) -> int:
    """Write ``result`` into ``--out`` all-or-nothing (``write`` gives the file names), with its
    manifest; print the summary unless ``--quiet``."""
    with output_dir(args.out) as stage:
        written = write(result, stage)
        options = {k: v for k, v in vars(args).items() if k not in ("func", "command")}
        write_manifest(stage, result, command={"command": f"gmsim {args.command}", **options})
    if not args.quiet:
        print(result.summary())
    print(f"wrote {args.out}/{', '.join([*written, 'manifest.json'])}")
    return 0
