"""``gmsim elicit``: turn experts' ratings of the links into weights, spreads and an uncertainty spec."""

from __future__ import annotations

import argparse
from pathlib import Path

from gmsim.errors import DataError
from gmsim.evidence.ratings import elicit, template, write_elicitation
from gmsim.files.output import check_writable, output_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "elicit",
        help="aggregate experts' ratings of links; write model.toml, agreement.csv, uncertainty.toml",
        description="Aggregate the ratings of RATINGS.csv (columns expert, from, to, rating, optional "
        "confidence; a rating is a signed verbal term such as +moderate or -weak, none, or a number in "
        "[-1, 1]) as triangular fuzzy numbers weighted by confidence, defuzzified by their centroid. "
        "Writes DIR/model.toml (the model with the aggregated weights), DIR/agreement.csv (link, "
        "weight, spread, experts) and DIR/uncertainty.toml (a spec for `gmsim uncertainty`). "
        "With --template, writes DIR/ratings.csv: an empty sheet with every link, its section and quote.",
    )
    p.add_argument("ratings", nargs="?", metavar="RATINGS.csv", help="the filled ratings sheet")
    p.add_argument(
        "--model", metavar="MODEL", help="the model the links belong to (default: the paper's)"
    )
    p.add_argument(
        "--template",
        nargs="?",
        const="",
        metavar="MODEL",
        help="write an empty ratings sheet for MODEL (default: the paper's model) instead",
    )
    p.add_argument(
        "--out", default="gmsim-elicit", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    check_writable(args.out)
    if args.template is not None:
        if args.ratings:
            raise DataError("give either RATINGS.csv or --template, not both")
        sheet = template(args.template or args.model or None)
        existing = Path(args.out) / "ratings.csv"
        wanted = sheet.encode("utf-8")
        if existing.is_file() and (  # compared by size first: a large file is not read
            existing.stat().st_size != len(wanted) or existing.read_bytes() != wanted
        ):
            raise DataError(
                f"{existing}: exists and is not the empty sheet (it may hold ratings), so it is "
                "not replaced; move it, or give another --out"
            )
        with output_dir(args.out) as stage:
            (stage / "ratings.csv").write_text(sheet, encoding="utf-8")
        print(
            f"wrote {args.out}/ratings.csv ({sheet.count(chr(10)) - 1} links); fill `expert` and `rating`"
        )
        return 0
    if not args.ratings:
        raise DataError("give the ratings sheet RATINGS.csv, or --template to write an empty one")
    result = elicit(args.ratings, args.model)
    with output_dir(args.out) as stage:
        names = write_elicitation(result, stage)
    table = result.agreement()
    print(f"{len(table)} links rated by {len(result.experts)} experts ({', '.join(result.experts)})")
    for row in table.itertuples():
        print(
            f"  {row.link}: {row.weight:+.3f} (spread {row.spread:.3f}, {row.experts} experts; was {row.was:+g})"
        )
    print(f"wrote {args.out}/" + ", ".join(names))
    return 0
