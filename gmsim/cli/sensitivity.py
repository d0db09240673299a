"""``gmsim sensitivity``: Morris or Sobol indices of a metric with respect to a spec's parameters."""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt
import pandas as pd

from gmsim.cli._common import add_model_argument, run_options
from gmsim.cli._ensemble import (
    add_executor_options,
    add_metric_options,
    add_spec_options,
    executor_options,
    write_outputs,
)
from gmsim.core.methods import METHODS as INTEGRATORS
from gmsim.files.output import check_writable, file_names
from gmsim.uncertainty.sensitivity import METHODS, SensitivityResult, sensitivity


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sensitivity",
        help="global sensitivity (Morris screening or Sobol indices) of a metric, via SALib",
        description="Rank the uncertain parameters of a spec by their influence on a metric: Morris "
        "screening (mu*, sigma) or Sobol first- and total-order indices, with bootstrap confidence "
        "intervals. Writes DIR/indices.csv (ranked), DIR/sensitivity_<metric>.png (ranked bars), "
        "DIR/parameters.csv and DIR/manifest.json.",
    )
    add_model_argument(p)
    add_spec_options(p)
    p.add_argument(
        "--method", choices=METHODS, default="sobol", help="morris or sobol (default: %(default)s)"
    )
    p.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="Sobol: base samples, a power of 2 (default 512; runs N × (D + 2)); "
        "Morris: trajectories (default 100; runs N × (D + 1))",
    )
    p.add_argument(
        "--scenario",
        metavar="NAME_OR_PATH",
        help="run under this scenario (an equilibrium model's baseline is at rest)",
    )
    add_metric_options(p)
    p.add_argument(
        "--second-order", action="store_true", help="Sobol: also S2 of every pair (second_order.csv)"
    )
    p.add_argument(
        "--levels", type=int, default=4, help="Morris: grid levels, even (default: %(default)s)"
    )
    p.add_argument(
        "--resamples",
        type=int,
        default=100,
        help="bootstrap resamples of the intervals (default: %(default)s)",
    )
    p.add_argument(
        "--top", type=int, default=20, help="parameters shown in the plot (default: %(default)s)"
    )
    p.add_argument(
        "--save-samples",
        action="store_true",
        help="also write the design and its metric values (samples.csv)",
    )
    p.add_argument("--start", type=float, help="start month (default: the model's)")
    p.add_argument("--stop", type=float, help="end month (default: the model's)")
    p.add_argument("--dt", type=float, help="step / save interval in months")
    p.add_argument("--integrator", choices=INTEGRATORS, help="integration method (default: the model's)")
    add_executor_options(p)
    p.add_argument(
        "--out", default="gmsim-sensitivity", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_writable(args.out)
    run = run_options(
        argparse.Namespace(start=args.start, stop=args.stop, dt=args.dt, method=args.integrator)
    )
    run["integrator"] = run.pop("method")
    result = sensitivity(
        args.model,
        args.spec,
        method=args.method,
        samples=args.samples,
        metrics=args.metric,
        scenario=args.scenario,
        seed=args.seed,
        second_order=args.second_order,
        levels=args.levels,
        resamples=args.resamples,
        **run,
        **executor_options(args),
    )
    return write_outputs(
        args,
        result,
        lambda r, folder: write_sensitivity(r, folder, top=args.top, samples=args.save_samples),
    )


def write_sensitivity(
    result: SensitivityResult, folder, *, top: int = 20, samples: bool = False
) -> list[str]:
    """Write the indices, plots and parameter table of a sensitivity result; return the file names."""
    result.to_frame().to_csv(folder / "indices.csv", index=False)
    result.space.table().to_csv(folder / "parameters.csv", index=False)
    names = ["indices.csv", "parameters.csv"]
    if result.second_order is not None:
        pairs = []
        for metric, frame in result.second_order.items():
            frame = frame.copy()
            frame.insert(0, "metric", metric)
            pairs.append(frame)
        pd.concat(pairs, ignore_index=True).to_csv(folder / "second_order.csv", index=False)
        names.append("second_order.csv")
    if samples:
        frame = pd.DataFrame(result.inputs, columns=list(result.space.names))
        for j, m in enumerate(result.metrics):
            frame[str(m)] = result.outputs[:, j]
        frame.to_csv(folder / "samples.csv", index_label="run")
        names.append("samples.csv")
    metrics = {str(m): m for m in result.metrics}
    for label, name in file_names(metrics, prefix="sensitivity_", suffix=".png").items():
        ax = result.plot(metrics[label], top=top)
        ax.figure.savefig(folder / name, dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        names.append(name)
    return names
