"""Ratings sheets: the empty sheet of a model's links, reading a filled one, and writing what it says.

:func:`template` is the sheet an analyst hands round (every link, with its
paper section and quote); :func:`read_ratings` reads a filled sheet and checks
every row against the model; :func:`elicit` aggregates it
(:mod:`gmsim.evidence.elicit`) and :func:`write_elicitation` writes
``model.toml``, ``agreement.csv`` and ``uncertainty.toml``.

Examples
--------
>>> import gmsim, io, csv
>>> sheet = template(gmsim.load_model())
>>> list(csv.reader(io.StringIO(sheet)))[0]
['expert', 'from', 'to', 'rating', 'confidence', 'current', 'section', 'quote']
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gmsim.errors import DataError, did_you_mean
from gmsim.evidence.data import read_table
from gmsim.evidence.edit import set_values
from gmsim.evidence.elicit import COLUMNS, Aggregate, aggregate, fuzzy, term_of
from gmsim.factor.file import default_model_path
from gmsim.factor.model import Model
from gmsim.files.reading import read_text
from gmsim.simulation.load import load_model

__all__ = ["Elicitation", "elicit", "read_ratings", "spec_text", "template", "write_elicitation"]


def _factor_model(model: Model | str | os.PathLike | None) -> Model:
    model = load_model(model) if model is None or isinstance(model, str | os.PathLike) else model
    if not isinstance(model, Model):
        raise DataError("elicitation needs a factor model (.toml); an XMILE model has no rated links")
    return model


def template(model: Model | str | os.PathLike | None = None) -> str:
    """An empty ratings sheet (CSV text): one row per link, with its current weight as a term, section and quote."""
    model = _factor_model(model)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, "confidence", "current", "section", "quote"])
    for link in model.links:
        writer.writerow(
            ["", link.cause, link.effect, "", "", term_of(link.weight), link.source, link.quote]
        )
    return out.getvalue()


def read_ratings(path: str | os.PathLike, model: Model) -> list[dict[str, Any]]:
    """The rated rows of a sheet, each checked: the link exists, the rating is a term or number, one per expert."""
    header, rows, lines = read_table(path, what="ratings sheet")
    header = [h.lower() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DataError(
            f"{path}:1: the ratings sheet has no column `{missing[0]}`"
            f"{did_you_mean(missing[0], header)}; it needs columns {', '.join(COLUMNS)} (and optionally confidence)"
        )
    links = {f"{link.cause}->{link.effect}" for link in model.links}
    seen: dict[tuple[str, str], int] = {}
    out = []
    for row, line in zip(rows, lines, strict=True):
        cells = dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
        if not cells.get("rating"):
            continue
        expert = cells["expert"]
        where = f"{path}:{line}"
        if not expert:
            raise DataError(f"{where}: a rating without an `expert`; name who gave it")
        bad = next((c for c in expert if ord(c) < 32 or ord(c) == 127), None)
        if bad is not None:  # a name is printed and written into files: no terminal escapes
            raise DataError(
                f"{where}: the expert's name holds the control character {repr(bad)[1:-1]}; remove it"
            )
        link = f"{cells['from']}->{cells['to']}"
        if link not in links:
            raise DataError(
                f"{where}: the model has no link {link}{did_you_mean(link, sorted(links))}; "
                "rate the links of the sheet `gmsim elicit --template` writes"
            )
        key = (expert, link)
        if key in seen:
            raise DataError(
                f"{where}: expert {expert!r} rates {link} twice (also on line {seen[key]}); keep one rating"
            )
        seen[key] = line
        try:
            fuzzy(cells["rating"])
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None
        confidence = cells.get("confidence", "") or "1"
        try:
            conf = float(confidence)
        except ValueError:
            conf = float("nan")
        if not 0 < conf <= 1:
            raise DataError(
                f"{where}: `confidence` is {confidence!r}; give a number in (0, 1], or leave it empty (1)"
            )
        out.append(
            {
                "expert": expert,
                "from": cells["from"],
                "to": cells["to"],
                "rating": cells["rating"],
                "confidence": conf,
                "line": line,
            }
        )
    if not out:
        raise DataError(
            f"{path}: no ratings; fill the `rating` column (e.g. +moderate, -weak, none, 0.35)"
        )
    return out


@dataclass
class Elicitation:
    """Aggregated ratings: one :class:`~gmsim.evidence.elicit.Aggregate` per rated link, and where they came from."""

    model: Model
    links: dict[str, Aggregate]
    path: str | None
    experts: tuple[str, ...]

    def agreement(self) -> pd.DataFrame:
        """Columns ``link, weight, spread, experts`` (and the support ``low``, ``high``; the model's ``was``)."""
        was = {f"{lk.cause}->{lk.effect}": lk.weight for lk in self.model.links}
        return pd.DataFrame(
            [
                {
                    "link": a.link,
                    "weight": a.weight,
                    "spread": a.spread,
                    "experts": a.experts,
                    "low": a.low,
                    "high": a.high,
                    "was": was[a.link],
                }
                for a in self.links.values()
            ]
        )


def elicit(ratings: str | os.PathLike, model: Model | str | os.PathLike | None = None) -> Elicitation:
    """Read and aggregate a ratings sheet against ``model`` (default: the paper's model)."""
    model = _factor_model(model)
    rows = read_ratings(ratings, model)
    experts = tuple(dict.fromkeys(r["expert"] for r in rows))
    return Elicitation(model=model, links=aggregate(rows), path=str(ratings), experts=experts)


def spec_text(result: Elicitation, *, seed: int = 2012, runs: int = 1000) -> str:
    """An uncertainty spec (TOML text) whose rated weights follow the experts' aggregated fuzzy sets."""
    name = Path(result.path).name if result.path else "ratings"
    lines = [
        f"# gmsim uncertainty spec elicited from {name} ({len(result.experts)} experts).",
        "# Each rated weight is triangular over the support of the experts' aggregated fuzzy set",
        "# (lowest to highest rating, half a verbal step either side), peaked at the aggregated weight.",
        "",
        "[spec]",
        f'name = "elicited from {name}"',
        f'description = "weights of {len(result.links)} links rated by {len(result.experts)} experts"',
        f"seed = {seed}",
        f"runs = {runs}",
        "",
    ]
    for a in result.links.values():
        low, high = a.low, a.high
        mode = min(max(a.weight, low), high)
        if high - low < 1e-12:
            lines += [
                f"# weight:{a.link}: every expert gave the same crisp number, {a.weight:g}; kept fixed",
                "",
            ]
            continue
        lines += [
            "[[uncertain]]",
            f'parameter = "weight:{a.link}"',
            'distribution = "triangular"',
            f"low = {low:.6g}",
            f"mode = {mode:.6g}",
            f"high = {high:.6g}",
            f"# {a.experts} expert{'s' * (a.experts != 1)}, spread {a.spread:.3g}",
            "",
        ]
    return "\n".join(lines)


def write_elicitation(result: Elicitation, folder: str | os.PathLike) -> list[str]:
    """Write ``model.toml``, ``agreement.csv`` and ``uncertainty.toml`` into ``folder``; return their names."""
    folder = Path(folder)
    model = result.model
    source = Path(model.path) if model.path else default_model_path()
    text = read_text(source, what="model file")
    date = _dt.date.today().isoformat()
    name = Path(result.path).name if result.path else "ratings"
    values = {f"weight:{a.link}": a.weight for a in result.links.values()}
    comments = {
        f"weight:{a.link}": (
            f"elicited: {a.experts} expert{'s' * (a.experts != 1)} in {name}, {date}; "
            f"spread {a.spread:.3g} (was {dict(result.agreement()[['link', 'was']].values)[a.link]:g})"
        )
        for a in result.links.values()
    }
    (folder / "model.toml").write_text(set_values(text, values, comments), encoding="utf-8")
    result.agreement()[["link", "weight", "spread", "experts", "low", "high", "was"]].to_csv(
        folder / "agreement.csv", index=False
    )
    (folder / "uncertainty.toml").write_text(spec_text(result), encoding="utf-8")
    return ["model.toml", "agreement.csv", "uncertainty.toml"]
