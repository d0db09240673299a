"""``gmsim loops``: list a model's feedback loops; with --dominance, which of them drive a run."""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from gmsim.analysis.cuts import compact_ids, cuts_frame
from gmsim.analysis.dominance import loop_dominance
from gmsim.analysis.dominance_result import Dominance
from gmsim.analysis.loops import DEFAULT_MAX_LOOPS, find_loops, loop_summary
from gmsim.analysis.shift import DominanceShift, dominance_shift
from gmsim.analysis.summary import dominance_summary, shift_summary
from gmsim.cli._common import add_model_argument, add_run_options, run_options
from gmsim.errors import GmsimError
from gmsim.files.output import check_writable, output_dir
from gmsim.simulation.simulate import as_system


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "loops",
        help="list feedback loops (R/B) and, with --dominance, which loops drive a run",
        description="List the feedback loops of a model (the paper's default model when MODEL is "
        "left out): id, polarity (R reinforcing, B balancing), length, delays and the factors in "
        "order; write DIR/loops.csv. With --dominance, run the model and score every loop at every "
        "time by the Loops That Matter method: write DIR/dominance.csv (relative loop scores), "
        "DIR/dominance.png, DIR/periods.csv, DIR/link_scores.csv and DIR/loop_summary.csv; with a "
        "--scenario also DIR/shift.csv and DIR/shift.png, the loops that gained or lost share "
        "against the baseline (or --against), and DIR/cuts.csv, the loops the scenario cuts (through "
        "a held factor or a link set to weight 0) and when; dominance.csv's column `cut` names "
        "the loops cut at each time.",
    )
    add_model_argument(p)
    p.add_argument(
        "--max-length",
        type=int,
        metavar="N",
        help="longest loop listed, in links (>= 2; default: no bound)",
    )
    p.add_argument(
        "--max-loops",
        type=int,
        default=DEFAULT_MAX_LOOPS,
        metavar="N",
        help="most loops listed; the shortest are kept (default: %(default)s)",
    )
    p.add_argument(
        "--adjustment",
        action="store_true",
        help="also list each factor's one-link adjustment loop (A1, A2, ...) and, with --dominance, "
        "compare them with the other loops as Stella does",
    )
    p.add_argument("--loop", metavar="ID", help="show the links of one loop (e.g. R1)")
    p.add_argument("--dominance", action="store_true", help="score the loops along a run")
    p.add_argument(
        "--scenario", metavar="NAME_OR_PATH", help="run this scenario (see `gmsim scenarios`)"
    )
    p.add_argument(
        "--against",
        metavar="NAME_OR_PATH",
        help="with --dominance and --scenario: the reference run of the shift (default: baseline)",
    )
    start = p.add_mutually_exclusive_group()
    start.add_argument(
        "--equilibrium",
        action="store_true",
        help="start at rest at the model's reference levels (as simulate(..., equilibrium=True)), "
        "so the baseline is at rest and a scenario's loops are its own; default: the model's own "
        "start (the default model's is the launch, which moves)",
    )
    start.add_argument(
        "--no-equilibrium",
        action="store_true",
        help="start at the factors' `initial` levels, away from rest (as simulate(..., "
        "equilibrium=False)), whatever the model's setting; the default model already starts so",
    )
    add_run_options(p)
    p.add_argument(
        "--out", default="gmsim-output", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_writable(args.out)
    if args.against and not args.scenario:
        raise GmsimError("--against needs --scenario: the shift compares a scenario run with it")
    if args.against and not args.dominance:
        raise GmsimError("--against only matters with --dominance; add --dominance")
    options = run_options(args)
    equilibrium = True if args.equilibrium else False if args.no_equilibrium else None
    system, _ = as_system(
        args.model,
        scenario=args.scenario,
        equilibrium=equilibrium,
        start=options["start"],
        stop=options["stop"],
    )
    loops = find_loops(
        system, max_length=args.max_length, max_loops=args.max_loops, adjustment=args.adjustment
    )
    print(loop_summary(loops, loop=args.loop, graph=system.graph))
    dominance = shift = None
    if args.dominance:
        mode = "include" if args.adjustment else "exclude"
        common = dict(
            adjustment=mode,
            equilibrium=equilibrium,
            max_length=args.max_length,
            max_loops=args.max_loops,
        )
        if args.scenario:
            shift = dominance_shift(args.model, args.scenario, against=args.against, **common, **options)
            dominance = shift.scenario
        else:
            dominance = loop_dominance(args.model, **common, **options)
    with output_dir(args.out) as stage:
        loops.to_frame().to_csv(stage / "loops.csv", index=False)
        if dominance is not None:
            write_dominance(dominance, stage)
        if shift is not None:
            write_shift(shift, stage)
    if dominance is not None:
        print("\n" + dominance_summary(dominance))
    if shift is not None:
        print("\n" + shift_summary(shift))
    written = ["loops.csv"]
    if dominance is not None:
        written += [
            "dominance.csv",
            "dominance.png",
            "periods.csv",
            "link_scores.csv",
            "loop_summary.csv",
            "cuts.csv",
        ]
    if shift is not None:
        written += ["shift.csv", "shift.png"]
    print(f"wrote {args.out}/{', '.join(written)}")
    return 0


def write_dominance(dominance: Dominance, folder: Path) -> None:
    """dominance.csv (relative scores, leading loops, loops cut at each time), dominance.png,
    periods.csv, link_scores.csv, loop_summary.csv and cuts.csv (one row per cut loop and cause)."""
    frame = dominance.to_frame()
    frame = pd.concat([frame, dominance.dominant()], axis=1)
    frame["adjustment_share"] = dominance.adjustment_share
    frame["cut"] = _cut_at(dominance)
    frame.reset_index().to_csv(folder / "dominance.csv", index=False)
    cuts_frame(dominance.cuts).to_csv(folder / "cuts.csv", index=False)
    dominance.periods().to_csv(folder / "periods.csv", index=False)
    dominance.link_scores.reset_index().to_csv(folder / "link_scores.csv", index=False)
    dominance.summary().to_csv(folder / "loop_summary.csv", index=False)
    fig = dominance.plot()
    fig.savefig(folder / "dominance.png", dpi=120, bbox_inches="tight")
    plt.close(fig)


def _cut_at(dominance: Dominance) -> list[str]:
    """The ids of the loops cut at each saved time (a cut to the run's end includes its last time)."""
    last = float(dominance.time[-1])
    out = []
    for t in dominance.time:
        ids = [c.loop for c in dominance.cuts if c.start <= t < c.end or t == c.end == last]
        out.append(compact_ids(ids))
    return out


def write_shift(shift: DominanceShift, folder: Path) -> None:
    """shift.csv (one row per loop) and shift.png."""
    shift.table().to_csv(folder / "shift.csv", index=False)
    fig = shift.plot()
    fig.savefig(folder / "shift.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
