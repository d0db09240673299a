"""``gmsim calibrate``: fit parameters to an agency's data; write the calibrated model and the estimates."""

from __future__ import annotations

import argparse

from gmsim.cli._common import add_model_argument, add_run_options, run_options
from gmsim.evidence.calibrate import calibrate
from gmsim.evidence.outputs import write_calibration
from gmsim.files.output import check_writable, output_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit parameters to observed series; write calibrated.toml, estimates.csv, fit.png",
        description="Fit the --fit parameters of MODEL (default: the paper's model) to the series of "
        "--data by weighted least squares within their valid ranges (multi-start). Writes "
        "DIR/calibrated.toml (the model file with the fitted values marked), DIR/estimates.csv "
        "(parameter, estimate, low, high: a 95 %% interval; std_error, start), DIR/fit.png, "
        "DIR/residuals.png and .csv, DIR/correlations.csv and a manifest. Parameters the data "
        "cannot pin are named.",
    )
    add_model_argument(p)
    add_run_options(p)
    p.add_argument(
        "--data", required=True, metavar="FILE", help="CSV: time first, one column per series"
    )
    p.add_argument(
        "--fit",
        action="append",
        required=True,
        metavar="PARAM",
        help="a parameter to fit, e.g. weight:leadership_attention->funding, tau:training; repeat",
    )
    p.add_argument("--scenario", metavar="NAME_OR_PATH", help="what happened over the data's period")
    p.add_argument(
        "--observe",
        action="append",
        metavar="MAP",
        help="map a column onto a factor: COLUMN=FACTOR[,scale=S|fit][,offset=B|fit][,sigma=S]; repeat",
    )
    p.add_argument(
        "--starts", type=int, default=3, help="starts of the local fit (default: %(default)s)"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the screened starts (default: %(default)s)"
    )
    p.add_argument(
        "--keep-checks",
        action="store_true",
        help="add the model's [[checks]] as penalties, so a fit cannot break the paper's behaviour",
    )
    p.add_argument(
        "--out", default="gmsim-calibrate", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_writable(args.out)
    if args.starts < 1:
        from gmsim.errors import DataError

        raise DataError(f"`--starts` must be a whole number >= 1, got {args.starts}")
    cal = calibrate(
        args.model,
        args.data,
        args.fit,
        scenario=args.scenario,
        observe=args.observe,
        starts=args.starts,
        seed=args.seed,
        keep_checks=args.keep_checks,
        **run_options(args),
    )
    command = {"command": "calibrate", **{k: v for k, v in vars(args).items() if k != "func"}}
    with output_dir(args.out) as stage:
        names = write_calibration(cal, stage, command=command)
    print(cal.summary())
    print(f"wrote {args.out}/" + ", ".join(names))
    model = f"{args.out}/calibrated.toml " if "calibrated.toml" in names else ""
    print(
        f"a report of the calibrated model beside the data: gmsim report {model}--data {args.data} "
        f"--calibration {args.out} --out report.html"
    )
    return 0
