"""Plain words made from numbers: what a scenario does, which loops drive a run, how sure it is.

Each sentence is built from the numbers of a comparison, a loop dominance
analysis or a Monte Carlo summary, so the words of a report always say what
its tables say. Levels and differences are on the 0-1 scale of the factors:
two decimals, three below 0.01, and "level with the baseline" below
:data:`LEVEL`.

Examples
--------
>>> versus_baseline(0.061)
'0.06 higher than the baseline'
>>> versus_baseline(-0.0003)
'level with the baseline'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gmsim.analysis.dominance_result import AT_REST, Dominance
from gmsim.analysis.words import POLARITY, count

__all__ = [
    "LEVEL",
    "POLARITY",
    "amount",
    "count",
    "dominance_sentence",
    "lower_first",
    "percent",
    "relative_change",
    "scenario_sentence",
    "signed_amount",
    "uncertainty_sentence",
    "versus_baseline",
]

LEVEL = 0.0005
"""Differences smaller than this (on the 0-1 scale) are told as "level with the baseline"."""

NBSP = "\u00a0"
"""Between a number and its unit, so that a line never breaks inside ``12 %``."""


# ---------------------------------------------------------------------------------------------
def amount(x: float) -> str:
    """A level or difference on the 0-1 scale: two decimals, three when it is smaller than 0.01."""
    return f"{x:.2f}" if abs(x) >= 0.01 else f"{x:.3f}"


def signed_amount(x: float) -> str:
    """A difference with its sign: ``+0.06``, ``−0.004`` (a true minus sign)."""
    return ("+" if x >= 0 else "−") + amount(abs(x))


def lower_first(label: str) -> str:
    """``Citizen engagement`` -> ``citizen engagement``; ``ICT infrastructure`` stays."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def relative_change(difference: float, reference: float) -> str:
    """``difference`` as a share of ``reference``: ``+12 %``, ``−0.4 %`` (one decimal below 1 %)."""
    pct = difference / reference * 100
    size = f"{abs(pct):.0f}" if abs(pct) >= 0.95 else f"{abs(pct):.1f}"
    return ("+" if pct >= 0 else "−") + size + NBSP + "%"


def percent(share: float) -> str:
    """A share in [0, 1] as a whole percentage: ``97 %`` (with a no-break space)."""
    return f"{share * 100:.0f}{NBSP}%"


def versus_baseline(d: float) -> str:
    """A difference from the baseline in words."""
    if abs(d) < LEVEL:
        return "level with the baseline"
    return f"{amount(abs(d))} {'higher' if d > 0 else 'lower'} than the baseline"


def scenario_sentence(
    frame: pd.DataFrame,
    scenario: str,
    *,
    variables: Sequence[str],
    baseline: str = "baseline",
    labels: dict[str, str] | None = None,
) -> str:
    """What a scenario does to the headline variables, in plain words made from the numbers.

    The first of ``variables`` leads: its level at the end of the run against
    the baseline's, and, when the gap between the runs was clearly wider
    earlier, when it was widest. The others follow: which moves most and which
    least.

    Parameters
    ----------
    frame : DataFrame
        A table from :func:`gmsim.compare` (scenario, time, variable, value).
    scenario, baseline : str
        The run described and its reference.
    variables : sequence of str
        The lead variable, then the others (e.g. effectiveness and its outcomes).
    labels : dict, optional
        Readable names of the variables.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "scenario": ["baseline"] * 2 + ["more"] * 2,
    ...     "time": [0.0, 12.0] * 2,
    ...     "variable": ["effectiveness"] * 4,
    ...     "value": [0.5, 0.5, 0.5, 0.56],
    ... })
    >>> scenario_sentence(frame, "more", variables=["effectiveness"]).replace(NBSP, " ")
    'Under more, effectiveness ends at 0.56 in month 12, 0.06 higher than the baseline (0.50; +12 %).'
    """
    labels = labels or {}
    name = {v: lower_first(labels.get(v, v.replace("_", " "))) for v in variables}
    wide = frame[frame["scenario"].isin([scenario, baseline])].pivot_table(
        index="time", columns=["scenario", "variable"], values="value"
    )
    gap = {v: (wide[scenario, v] - wide[baseline, v]).to_numpy() for v in variables}
    time = wide.index.to_numpy()
    lead = variables[0]
    end, base = float(wide[scenario, lead].iloc[-1]), float(wide[baseline, lead].iloc[-1])
    d = end - base
    share = f"; {relative_change(d, base)}" if base > 0 and abs(d) >= LEVEL else ""
    words = [
        f"Under {scenario}, {name[lead]} ends at {amount(end)} in month {time[-1]:g}, "
        f"{versus_baseline(d)} ({amount(base)}{share})."
    ]
    k = int(np.argmax(np.abs(gap[lead])))
    widest = float(gap[lead][k])
    if abs(widest) >= 0.005 and abs(widest) >= max(1.5 * abs(d), abs(d) + 0.01):
        if abs(d) < LEVEL:
            words.append(
                f"The gap reaches {signed_amount(widest)} in month {time[k]:g} and closes by the end."
            )
        else:
            words.append(
                f"The gap is widest in month {time[k]:g} ({signed_amount(widest)}) and narrows to "
                f"{signed_amount(d)} by the end."
            )
    others = {v: float(gap[v][-1]) for v in variables[1:]}
    if others:
        if all(abs(x) < LEVEL for x in others.values()):
            listed = ", ".join(name[v] for v in others)
            words.append(f"Its {listed} end level with the baseline.")
        elif len(others) == 1:
            ((v, x),) = others.items()
            words.append(f"{name[v].capitalize()} ends {versus_baseline(x)}.")
        else:
            ranked = sorted(others, key=lambda v: -abs(others[v]))
            most, least = ranked[0], ranked[-1]
            words.append(
                f"Of the others, {name[most]} changes most ({signed_amount(others[most])}) and "
                f"{name[least]} least ({signed_amount(others[least])})."
            )
    return " ".join(words)


def dominance_sentence(dominance: Dominance, *, partition: int = 0) -> str:
    """Which loop leads a run longest, and how long reinforcing and balancing loops lead.

    Examples
    --------
    >>> import gmsim
    >>> import dataclasses
    >>> model = gmsim.load_model()  # from its reference levels, where the baseline rests
    >>> rest = model.replace(dynamics=dataclasses.replace(model.dynamics, equilibrium=True))
    >>> dom = gmsim.loop_dominance(rest, scenario="attention-boost", stop=24)
    >>> dominance_sentence(dom).startswith("In attention-boost, no loop is active until month 6")
    True
    """
    periods = dominance.periods(partition, by="polarity")
    span = periods["end"] - periods["start"]
    total = float(dominance.time[-1] - dominance.time[0])
    active = periods["loop"] != AT_REST
    if not active.any():
        return f"In {dominance.scenario}, no loop is active: the run stays at rest."
    words = [f"In {dominance.scenario}, "]
    first = float(periods.loc[active, "start"].iloc[0])
    if first > dominance.time[0]:
        words.append(f"no loop is active until month {round(first, 2):g}; then ")
    summary = dominance.summary()
    summary = summary[summary["partition"] == partition].sort_values(
        ["months_top", "mean_share"], ascending=False, kind="stable"
    )
    top = summary.iloc[0]
    words.append(
        f"{top['id']} ({POLARITY[top['polarity']]}: {top['name']}) leads longest, "
        f"for {top['months_top']:.1f} of {total:g} months."
    )
    by = {p: float(span[periods["polarity"] == p].sum()) for p in ("R", "B")}
    if min(by.values()) > 0:
        words.append(
            f" Reinforcing loops together hold the larger share for {by['R']:.1f} months, "
            f"balancing loops for {by['B']:.1f}."
        )
    else:
        side = "Reinforcing" if by["R"] > 0 else "Balancing"
        words.append(f" {side} loops together hold the larger share whenever a loop is active.")
    return "".join(words)


def uncertainty_sentence(row: pd.Series, *, variable: str) -> str:
    """One scenario of a Monte Carlo summary (a row of ``metric_summary()``) in words.

    The shares are of the ``runs`` that finished in both the scenario and the
    baseline. A change is said to *hold* only when 95 % or more of the runs go one way
    and the median difference is larger than the spread of the outcome (its standard
    deviation across runs, ``sd``, when the row has it): a consistent but small
    difference is reported as smaller than the spread.

    Examples
    --------
    >>> row = pd.Series({"scenario": "more", "runs": 200, "p5": 0.55, "p95": 0.61,
    ...                  "median_difference": 0.04, "p_better": 0.97, "p_worse": 0.03})
    >>> uncertainty_sentence(row, variable="effectiveness").replace(NBSP, " ")  # doctest: +NORMALIZE_WHITESPACE
    'Under more, effectiveness ends higher than in the baseline in 97 % of the 200 runs (lower in
    3 %); the median difference is +0.04, and 90 % of runs end between 0.55 and 0.61. The direction of
    the change holds across the uncertainty.'
    >>> small = row.copy(); small["sd"] = 0.1
    >>> uncertainty_sentence(small, variable="effectiveness").split("; ")[-1].replace(NBSP, " ")  # doctest: +NORMALIZE_WHITESPACE
    'the median difference is +0.04, and 90 % of runs end between 0.55 and 0.61. The direction is
    the same in nearly every run, but the difference is smaller than the spread of outcomes (sd
    0.10), so it does not hold as a size.'
    """
    better, worse = float(row["p_better"]), float(row["p_worse"])
    ways = (("higher", better), ("lower", worse))
    (most, p_most), (other, p_other) = ways if better >= worse else ways[::-1]
    words = (
        f"Under {row['scenario']}, {variable} ends {most} than in the baseline in {percent(p_most)} "
        f"of the {int(row['runs'])} runs ({other} in {percent(p_other)}); the median difference is "
        f"{signed_amount(float(row['median_difference']))}, and 90{NBSP}% of runs end between "
        f"{amount(float(row['p5']))} and {amount(float(row['p95']))}."
    )
    difference, spread = abs(float(row["median_difference"])), float(row.get("sd", 0.0) or 0.0)
    if max(better, worse) >= 0.95 and not difference > spread:
        return words + (
            f" The direction is the same in nearly every run, but the difference is smaller than "
            f"the spread of outcomes (sd {amount(spread)}), so it does not hold as a size."
        )
    if max(better, worse) >= 0.95:
        return words + " The direction of the change holds across the uncertainty."
    return words + " Whether it ends higher or lower depends on the uncertain parameters."
