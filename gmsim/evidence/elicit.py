"""Turn several experts' ratings of the model's links into weights, spreads and an uncertainty spec.

A ratings sheet (CSV) has columns ``expert, from, to, rating`` and optionally
``confidence`` (a number in (0, 1], default 1); other columns (``section``,
``quote``, ``note``: the sheet :func:`template` writes) are ignored, as are rows
with no rating. A rating is a signed verbal term of the model's scale or a
number in [-1, 1].

**Method** (fuzzy cognitive map practice: Kosko 1986, *Fuzzy cognitive maps*,
Int. J. Man-Machine Studies 24; Stylios & Groumpos 2004, *Modeling complex
systems using fuzzy cognitive maps*, IEEE SMC-A 34; Papageorgiou 2011,
*Learning algorithms for fuzzy cognitive maps*, IEEE SMC-C 42). Each verbal term
is a triangular fuzzy number ``(a, b, c)`` on [-1, 1] (:data:`TERMS`: peak at the
term's weight on the model's scale, half a verbal step, 0.1, either side); a
number is a crisp one. The experts' fuzzy numbers are aggregated by the
confidence-weighted sum of their memberships (each normalised to unit mass)
and defuzzified by the centre of gravity (centroid), which for triangles is the
confidence-weighted mean of ``(a + b + c) / 3``. The ``spread`` is the
confidence-weighted standard deviation of the experts' own centroids: zero
when they agree, in weight units. The uncertainty spec gives each rated
weight a triangular distribution over the support of the aggregated fuzzy set
(the lowest ``a`` to the highest ``c``), peaked at the aggregated weight, so
its range follows the experts' disagreement.

Examples
--------
>>> rows = [{"expert": e, "from": "a", "to": "b", "rating": "+strong"} for e in "xyz"]
>>> agg = aggregate(rows)
>>> agg["a->b"].weight, agg["a->b"].spread, agg["a->b"].experts
(0.6, 0.0, 3)
>>> fuzzy("-weak")
(-0.3, -0.2, -0.1)
>>> fuzzy("+stong")
Traceback (most recent call last):
...
gmsim.errors.DataError: unknown rating '+stong' (did you mean '+strong'?); use a signed term (+weak, -strong, none, ...) or a number in [-1, 1]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gmsim.errors import DataError, did_you_mean

__all__ = ["COLUMNS", "HALF_WIDTH", "MAGNITUDES", "TERMS", "Aggregate", "aggregate", "fuzzy", "term_of"]

MAGNITUDES = {
    "very weak": 0.1,
    "weak": 0.2,
    "moderate": 0.4,
    "strong": 0.6,
    "very strong": 0.8,
}
"""The model's verbal scale (README: weak 0.2, moderate 0.4, strong 0.6, very strong 0.8), and very weak 0.1."""

HALF_WIDTH = 0.1
"""Half the base of each term's triangle: half a step of the verbal scale."""


def _terms() -> dict[str, tuple[float, float, float]]:
    out = {"none": (-HALF_WIDTH, 0.0, HALF_WIDTH)}
    for word, m in MAGNITUDES.items():
        for sign, s in (("+", 1), ("-", -1)):
            peak = s * m
            out[f"{sign}{word}"] = tuple(
                round(v, 10) for v in sorted((peak - HALF_WIDTH, peak, peak + HALF_WIDTH))
            )
    return out


TERMS: dict[str, tuple[float, float, float]] = _terms()
"""Each signed verbal term as a triangular fuzzy number ``(a, b, c)``."""

COLUMNS = ("expert", "from", "to", "rating")
"""The columns a ratings sheet must have (``confidence`` is optional)."""


def fuzzy(rating: str | float) -> tuple[float, float, float]:
    """The triangular fuzzy number of a rating: a verbal term, or a number in [-1, 1] (crisp)."""
    if isinstance(rating, int | float):
        value = float(rating)
    else:
        text = " ".join(str(rating).strip().lower().split())
        if text in ("0", "none", "+none", "-none"):
            return TERMS["none"]
        if text in TERMS:
            return TERMS[text]
        if text in MAGNITUDES:
            return TERMS[f"+{text}"]
        try:
            value = float(text)
        except ValueError:
            raise DataError(
                f"unknown rating {rating!r}{did_you_mean(text, TERMS)}; "
                "use a signed term (+weak, -strong, none, ...) or a number in [-1, 1]"
            ) from None
    if not (math.isfinite(value) and -1 <= value <= 1):
        raise DataError(f"rating {rating!r} is outside [-1, 1]; a weight lies between -1 and 1")
    return (value, value, value)


def term_of(weight: float) -> str:
    """The verbal term nearest a weight (for the template and messages).

    Examples
    --------
    >>> term_of(0.6), term_of(-0.35), term_of(0.02)
    ('+strong', '-moderate', 'none')
    """
    return min(TERMS, key=lambda t: abs(TERMS[t][1] - weight))


@dataclass(frozen=True)
class Aggregate:
    """The experts' view of one link: aggregated ``weight``, ``spread``, support ``low``-``high``."""

    link: str
    weight: float
    spread: float
    experts: int
    low: float
    high: float


def aggregate(rows: Iterable[Mapping[str, object]]) -> dict[str, Aggregate]:
    """Aggregate rated rows (``expert, from, to, rating`` and ``confidence``) link by link (see the module)."""
    by_link: dict[str, list[tuple[float, tuple[float, float, float]]]] = {}
    for row in rows:
        link = f"{row['from']}->{row['to']}"
        confidence = float(row.get("confidence", 1.0) or 1.0)
        by_link.setdefault(link, []).append((confidence, fuzzy(row["rating"])))
    out = {}
    for link, rated in by_link.items():
        total = sum(w for w, _ in rated)
        centroids = [(w, sum(tri) / 3) for w, tri in rated]
        weight = sum(w * c for w, c in centroids) / total
        var = sum(w * (c - weight) ** 2 for w, c in centroids) / total
        spread = math.sqrt(var) if var > 1e-24 else 0.0
        out[link] = Aggregate(
            link=link,
            weight=round(weight, 12),
            spread=round(spread, 12),
            experts=len(rated),
            low=max(-1.0, min(tri[0] for _, tri in rated)),
            high=min(1.0, max(tri[2] for _, tri in rated)),
        )
    return out
