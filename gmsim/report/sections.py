"""The sections of the HTML report: the model, its factors, the scenarios, uncertainty, and the frame.

Each function returns :class:`~gmsim.report.html.Html` made from a model and
the numbers of its runs; :func:`gmsim.report.document.write_report` runs the
model and puts the sections on one page.

Examples
--------
>>> import gmsim
>>> html = str(factor_section(gmsim.load_model()))
>>> html.startswith('<h2 id="factors">2. Factors</h2>'), "<table" in html
(True, True)
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from gmsim._version import __version__
from gmsim.analysis.comparison import end_of_horizon, plot_comparison
from gmsim.analysis.diagram import plot_diagram
from gmsim.analysis.loops import LoopList
from gmsim.factor.model import GROUP_TITLES, GROUPS, Model
from gmsim.report.html import Html, details, esc, figure, table, tag
from gmsim.report.narrative import (
    LEVEL,
    NBSP,
    amount,
    count,
    lower_first,
    percent,
    scenario_sentence,
    signed_amount,
    uncertainty_sentence,
    versus_baseline,
)
from gmsim.scenario import Scenario
from gmsim.simulation.load import default_model_path

__all__ = [
    "contents",
    "factor_section",
    "footer",
    "glance",
    "model_section",
    "scenario_section",
    "uncertainty_section",
]

KIND_WORDS = {
    "exogenous": "set from outside",
    "endogenous": "responds to its causes",
    "composite": "weighted mean",
}
STRENGTH = ((0.3, "weak"), (0.5, "moderate"), (0.7, "strong"), (math.inf, "very strong"))

GROUP_NOUNS = {
    "external_enabler": ("external enabler", "external enablers"),
    "internal_enabler": ("internal enabler", "internal enablers"),
    "external_barrier": ("external barrier", "external barriers"),
    "internal_barrier": ("internal barrier", "internal barriers"),
    "process": ("process", "processes"),
    "outcome": ("outcome", "outcomes"),
}

DIAGRAM_SIZE = (11.5, 7.5)
"""Inches of the diagram: the page's width, so that its labels show at their size in points."""
DIAGRAM_BAND = 12
"""Most factors of one group that fit across :data:`DIAGRAM_SIZE`; a larger model keeps its own size."""


def _strength(weight: float) -> str:
    word = next(w for bound, w in STRENGTH if abs(weight) < bound)
    return f"{word} {'+' if weight > 0 else '−' if weight < 0 else '0'}"


def _is_default(model: Model) -> bool:
    return bool(model.path) and Path(model.path).resolve() == default_model_path().resolve()


def _diagram(model: Model):
    """The causal loop diagram; a wide one redrawn at the page's width, where its widest band fits,
    so that its labels show at their size in points."""
    fig = plot_diagram(model).figure
    widest = max(sum(f.group == g for f in model) for g in GROUPS)
    if fig.get_figwidth() <= DIAGRAM_SIZE[0] or widest > DIAGRAM_BAND:
        return fig
    plt.close(fig)
    fig = plt.figure(figsize=DIAGRAM_SIZE)
    plot_diagram(model, ax=fig.add_axes((0.0, 0.0, 1.0, 1.0)))
    return fig


def model_section(model: Model, loops: LoopList) -> Html:
    groups = ", ".join(
        count(n, *GROUP_NOUNS[g]) for g in GROUPS if (n := sum(f.group == g for f in model))
    )
    kinds = [
        (len(model.exogenous), "set from outside the agency"),
        (len(model.endogenous), "driven by other factors"),
        (len(model.composites), "averaging others"),
    ]
    links = model.links
    positive = sum(link.sign > 0 for link in links)
    delayed = sum(link.delay > 0 for link in links)
    feedback = loops.feedback
    reinforcing = sum(lp.polarity == "R" for lp in feedback)
    closing = (
        f"which close {count(len(feedback), 'feedback loop')} ({reinforcing} reinforcing, "
        f"{len(feedback) - reinforcing} balancing)"
        if feedback
        else "which close no feedback loop"
    )
    structure = (
        f"It has {count(len(model.factors), 'factor')} ({groups}): "
        + ", ".join(f"{n} {what}" for n, what in kinds if n)
        + f". They are joined by {count(len(links), 'signed link')} ({positive} positive, "
        f"{len(links) - positive} negative"
        + (f"; {delayed} with a delay" if delayed else "")
        + f"), {closing}."
    )
    if _is_default(model):
        judgement = (
            "The link weights are judgements read from the paper's qualitative findings (weak 0.2, "
            "moderate 0.4, strong 0.6, very strong 0.8), not estimates from data: read the numbers "
            "below as directions and relative sizes, not forecasts."
        )
    else:
        judgement = (
            "The link weights are judgements of each link's strength on a scale from −1 to 1 set by "
            "the model's author (for links taken from the paper, read from its qualitative "
            "findings), not estimates from data: read the numbers below as directions and relative "
            "sizes, not forecasts."
        )
    rest = (
        "From the start the model is at rest: with no intervention nothing changes, so every "
        "movement in a scenario is caused by that scenario."
        if model.dynamics.equilibrium
        else "The model does not start at rest: the baseline moves on its own."
    )
    reading = (
        f"Every factor has a level between 0 (none of it) and 1 (a lot of it); time runs in "
        f"{model.time_unit}s. Each factor moves toward the level its causes set, at its own pace "
        f"(its adjustment time). {rest}"
    )
    diagram = _diagram(model)
    return esc(
        [
            tag("h2", "1. The model", id="model"),
            tag("p", tag("strong", model.name), ". ", model.description),
            tag("p", "Source: ", model.source) if model.source else "",
            tag("p", structure),
            tag("p", judgement, class_="note"),
            tag("p", reading),
            figure(
                diagram,
                alt=f"Causal loop diagram of {model.name}",
                caption="The causal loop diagram. Blue arrows: the effect moves the same way as the "
                "cause (+); red: the opposite way (−). Thicker arrows are stronger links; a double "
                "bar marks a delay; dashed boxes are set from outside the agency; dotted grey arrows "
                "show what a composite such as effectiveness averages.",
                dpi=150,
            ),
        ]
    )


def factor_section(model: Model) -> Html:
    rows: list[Any] = []
    for group in GROUPS:
        members = [f for f in model if f.group == group]
        if not members:
            continue
        rows.append(tag("tr", tag("th", GROUP_TITLES[group], colspan=6), class_="group"))
        for f in members:
            how = KIND_WORDS.get(f.kind, f.kind)
            if f.kind == "composite":
                how += " of " + ", ".join(model.factor(p).label.lower() for p, _ in f.of)
            rows.append(
                [
                    esc([f.label, tag("code", f.id)]),
                    how,
                    "" if f.kind == "composite" else f"{f.initial:.2f}",
                    f"{f.tau:g}" if f.kind == "endogenous" else "",
                    f.source,
                    f.note,
                ]
            )
    link_rows = [
        [
            model.factor(link.cause).label,
            model.factor(link.effect).label,
            _strength(link.weight),
            f"{link.weight:+.2f}",
            f"{link.delay:g}" if link.delay else "",
            link.source,
            link.quote,
        ]
        for link in model.links
    ]
    return esc(
        [
            tag("h2", "2. Factors", id="factors"),
            tag(
                "p",
                "Each factor, grouped as in the paper, with how its level is set, its level at the "
                "start, its adjustment time and the section of the paper it comes from.",
            ),
            table(
                [
                    "Factor (id)",
                    "How it is set",
                    "Initial level",
                    "Adjustment time (months)",
                    "Paper",
                    "Note",
                ],
                rows,
                numeric=[2, 3],
                class_="wide",
            ),
            details(
                f"All {len(link_rows)} links, with the paper's words",
                table(
                    ["From", "To", "Effect", "Weight", "Delay (months)", "Paper", "The paper's words"],
                    link_rows,
                    numeric=[3, 4],
                    class_="wide",
                ),
            ),
        ]
    )


def _difference_chart(ends: pd.DataFrame, variables: list[str], labels: dict[str, str]):
    """Horizontal bars: each scenario's difference from the baseline at the end, per variable."""
    others = [s for s in dict.fromkeys(ends["scenario"]) if s != "baseline"]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(others) * max(1, len(variables)) / 2 + 1.4))
    height = 0.8 / len(variables)
    y = np.arange(len(others))
    for k, v in enumerate(variables):
        part = ends[ends["variable"] == v].set_index("scenario").loc[others, "difference"]
        ax.barh(
            y + (k - (len(variables) - 1) / 2) * height,
            part,
            height=height * 0.92,
            label=labels.get(v, v),
        )
    ax.set_yticks(y, others)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("difference from the baseline at the end of the run (level, 0-1 scale)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def _cell(value: float, difference: float | None) -> Html:
    if difference is None:
        return esc(amount(value))
    kind = "up" if difference >= LEVEL else "down" if difference <= -LEVEL else None
    return esc([amount(value), " ", tag("span", f"({signed_amount(difference)})", class_=kind)])


def scenario_section(
    frame: pd.DataFrame, scenarios: list[Scenario], variables: list[str], labels: dict[str, str]
) -> Html:
    ends = end_of_horizon(frame, baseline="baseline", variables=variables)
    stop = float(frame["time"].max())
    listed = [
        [
            tag("strong", s.name, class_="nowrap"),
            s.description,
            esc([tag("div", line) for line in s.describe()]),
        ]
        for s in scenarios
    ]
    wide = ends.set_index(["scenario", "variable"])
    rows = [
        [
            tag("strong", name, class_="nowrap"),
            *[
                _cell(
                    float(wide.loc[(name, v), "value"]),
                    None if name == "baseline" else float(wide.loc[(name, v), "difference"]),
                )
                for v in variables
            ],
        ]
        for name in dict.fromkeys(ends["scenario"])
    ]
    sentences = [
        tag("li", scenario_sentence(frame, s.name, variables=variables, labels=labels))
        for s in scenarios
    ]
    return esc(
        [
            tag("h2", "3. Scenarios compared", id="scenarios"),
            tag(
                "p",
                "Each scenario is a \u201cwhat if\u201d run against the baseline, the model as it is. ",
                "All runs share the same settings; the scenarios change only what is listed here.",
            ),
            table(["Scenario", "What it represents", "What changes"], listed),
            tag("h3", "What each scenario does"),
            tag("ul", sentences, class_="sentences"),
            figure(
                plot_comparison(frame, variables),
                alt="Effectiveness and its outcomes over time, one line per scenario",
                caption="Levels over time, one line per scenario; the baseline is the black dashed line.",
            ),
            tag("h3", f"Levels at the end of the run (month {stop:g})"),
            table(
                ["Scenario", *[labels.get(v, v) for v in variables]],
                rows,
                numeric=range(1, len(variables) + 1),
                caption="Level on the 0-1 scale, and in brackets the difference from the baseline.",
            ),
            figure(
                _difference_chart(ends, variables, labels),
                alt="Bars of each scenario's difference from the baseline at the end of the run",
                caption=f"Difference from the baseline in month {stop:g}: bars to the right are gains.",
            ),
        ]
    )


def uncertainty_section(mc, variables: list[str], labels: dict[str, str]) -> Html:
    spec = mc.spec
    lead = variables[0]
    entries = [
        [
            e.describe(),
            e.distribution.kind,
            ", ".join(f"{k} {v:g}" for k, v in e.distribution.given().items()),
        ]
        for e in spec.uncertain
    ]
    summary = mc.metric_summary()
    final = summary[summary["metric"] == str(mc.metrics[0])]
    sentences = [
        tag("li", uncertainty_sentence(row, variable=lower_first(labels.get(lead, lead))))
        for _, row in final.iterrows()
        if row["scenario"] != mc.scenarios[0]
    ]
    rows = [
        [
            tag("strong", r["scenario"], class_="nowrap"),
            amount(r["p50"]),
            f"{amount(r['p5'])} – {amount(r['p95'])}",
            "" if pd.isna(r.get("median_difference")) else signed_amount(r["median_difference"]),
            "" if pd.isna(r.get("p_better")) else percent(r["p_better"]),
            "" if pd.isna(r.get("p_worse")) else percent(r["p_worse"]),
        ]
        for _, r in final.iterrows()
    ]
    fig, axes = plt.subplots(
        -(-len(variables) // 2),
        min(2, len(variables)),
        figsize=(12, 3.6 * -(-len(variables) // 2)),
        squeeze=False,
        sharex=True,
    )
    for k, (ax, v) in enumerate(zip(axes.flat, variables, strict=False)):
        mc.plot(v, ax=ax)
        ax.set_title(labels.get(v, v), fontsize=10)
        if k:
            ax.get_legend().remove()
    for ax in list(axes.flat)[len(variables) :]:
        ax.set_visible(False)
    fig.tight_layout()
    failed = len({f.sample for f in mc.failures})
    return esc(
        [
            tag("h2", "5. How sure are these results?", id="uncertainty"),
            tag(
                "p",
                f"The weights are judgements, so the runs above were repeated {mc.runs} times with "
                f"the uncertain parameters drawn at random (spec: {spec.name or 'custom'}",
                f"; {spec.description.rstrip('.')}" if spec.description else "",
                f"; seed {mc.seed}). Each scenario was run on the same draws as the baseline, so "
                "their differences are fair comparisons.",
            ),
            table(["Parameters", "Distribution", "Settings"], entries),
            tag(
                "p",
                f"{failed} runs failed and are left out of the figures and tables.",
                class_="note",
            )
            if failed
            else "",
            tag("ul", sentences, class_="sentences"),
            figure(
                fig,
                alt="Monte Carlo bands of effectiveness and its outcomes per scenario",
                caption=f"Median (line), the middle half of the runs (dark band) and 90{NBSP}% of the runs "
                "(light band) for each scenario.",
            ),
            table(
                [
                    "Scenario",
                    "Median at the end",
                    f"90{NBSP}% of runs",
                    "Median difference",
                    "Runs better than baseline",
                    "Runs worse",
                ],
                rows,
                numeric=[1, 2, 3, 4, 5],
                caption=f"{labels.get(lead, lead)} at the end of the run, over {mc.runs} runs.",
            ),
        ]
    )


def glance(frame: pd.DataFrame, variables: list[str], labels: dict[str, str], mc) -> Html:
    lead = variables[0]
    ends = end_of_horizon(frame, baseline="baseline", variables=[lead])
    ends = ends[ends["scenario"] != "baseline"].sort_values("difference", ascending=False)
    best, worst = ends.iloc[0], ends.iloc[-1]
    label = lower_first(labels.get(lead, lead))
    stop = float(frame["time"].max())
    if len(ends) == 1:
        items = [
            f"By month {stop:g}, {best['scenario']} leaves {label} "
            f"{versus_baseline(float(best['difference']))}."
        ]
    else:
        items = [
            f"Of the {len(ends)} scenarios, {best['scenario']} leaves {label} highest by month "
            f"{stop:g} ({versus_baseline(float(best['difference']))}); {worst['scenario']} leaves it "
            f"lowest ({versus_baseline(float(worst['difference']))})."
        ]
    if mc is not None:
        summary = mc.metric_summary()
        row = summary[
            (summary["scenario"] == best["scenario"]) & (summary["metric"] == str(mc.metrics[0]))
        ]
        if len(row) and not pd.isna(row["p_better"].iloc[0]):
            items.append(
                f"Across {mc.runs} runs with uncertain parameters, {best['scenario']} beats the "
                f"baseline in {percent(row['p_better'].iloc[0])} of them."
            )
    return esc([tag("h2", "At a glance", id="glance"), tag("ul", [tag("li", x) for x in items])])


def contents(with_uncertainty: bool, extra: tuple[tuple[str, str], ...] = ()) -> Html:
    entries = [
        ("glance", "At a glance"),
        ("model", "1. The model"),
        ("factors", "2. Factors"),
        ("scenarios", "3. Scenarios compared"),
        ("loops", "4. Feedback loops"),
    ]
    if with_uncertainty:
        entries.append(("uncertainty", "5. How sure are these results?"))
    entries += extra
    return tag(
        "nav",
        tag("strong", "Contents"),
        tag("ul", [tag("li", tag("a", text, href=f"#{anchor}")) for anchor, text in entries]),
        class_="contents",
    )


def footer(model: Model, scenarios: list[Scenario], settings: dict[str, Any], mc) -> Html:
    where = Path(model.path).name if model.path else "a model built in Python"
    run = (
        f"Runs: months {settings['start']:g} to {settings['stop']:g}, step {settings['dt']:g}, "
        f"method {settings['method']}."
    )
    extra = ""
    if mc is not None:
        extra = f" Uncertainty: spec {mc.spec.name or 'custom'}, {mc.runs} runs, seed {mc.seed}."
    return tag(
        "footer",
        tag(
            "p",
            f"Made with gmsim {__version__} on {datetime.date.today().isoformat()} from {where}, "
            f"with the scenarios {', '.join(s.name for s in scenarios)}. {run}{extra}",
        ),
        tag(
            "p",
            "gmsim is a causal-loop simulator of the effectiveness of government microblogs after "
            "Zheng (2012). Its numbers explore the consequences of the stated judgements; they are "
            "not predictions.",
        ),
    )
