"""The feedback-loop section of a report: the loops, which of them drive each run, and shifts.

:func:`analyse_loops` finds the loops of every run's causal graph (a scenario
may add links) and scores them along the baseline and each scenario with
:func:`gmsim.loop_dominance`; runs that move are set against the baseline, or,
when the baseline stays at rest (a model started at equilibrium), against the
first scenario that moves. :func:`loop_section` tells it as HTML.

Examples
--------
>>> import gmsim
>>> model = gmsim.load_model()
>>> settings = {"start": 0, "stop": 12, "dt": 0.25, "method": "rk4"}
>>> findings = analyse_loops(model, [gmsim.load_scenario("attention-boost")], settings)
>>> findings.reference, sorted(findings.runs)  # the launch baseline moves: shifts are set against it
('baseline', ['attention-boost', 'baseline'])
"""

from __future__ import annotations

import dataclasses
from typing import Any

import networkx as nx
import numpy as np

from gmsim.analysis.cuts import cuts_sentence
from gmsim.analysis.dominance import loop_dominance
from gmsim.analysis.dominance_result import AT_REST, Dominance
from gmsim.analysis.loops import LoopList, find_loops
from gmsim.analysis.shift import DominanceShift
from gmsim.analysis.words import POLARITY, count
from gmsim.errors import LoopError, SimulationError
from gmsim.factor.model import Model
from gmsim.report.html import Html, details, esc, figure, table, tag
from gmsim.report.narrative import dominance_sentence, percent
from gmsim.scenario import Scenario
from gmsim.simulation.simulate import as_system

__all__ = ["LoopFindings", "analyse_loops", "loop_section"]

SHORT = 0.03
"""Periods of dominance shorter than this share of the run are left out of the periods table."""


@dataclasses.dataclass(frozen=True)
class LoopFindings:
    """The loops of every run's graph, each run's dominance, and the shifts between runs.

    ``runs`` maps each run's name (baseline first) to its :class:`Dominance`;
    ``shifts`` maps each moving run but the reference to its shift against
    ``reference``; ``problem`` says why dominance could not be computed.
    """

    loops: LoopList
    runs: dict[str, Dominance]
    reference: str | None
    shifts: dict[str, DominanceShift]
    problem: str = ""


def _moves(dom: Dominance) -> bool:
    return bool(np.abs(dom.relative).any())


def analyse_loops(model: Model, scenarios: list[Scenario], settings: dict[str, Any]) -> LoopFindings:
    """Loops of the baseline's and every scenario's graph, scored along each run.

    ``settings`` are the run settings ``start``, ``stop``, ``dt`` and ``method``.
    """
    horizon = {"start": settings["start"], "stop": settings["stop"]}
    named: list[tuple[str, Scenario | None]] = [("baseline", None), *((s.name, s) for s in scenarios)]
    graph = nx.compose_all([as_system(model, scenario=s, **horizon)[0].graph for _, s in named])
    graph.graph["name"] = model.name
    loops = find_loops(graph)
    if not loops:
        return LoopFindings(loops, {}, None, {})
    try:
        runs = {name: loop_dominance(model, scenario=s, loops=loops, **settings) for name, s in named}
    except (LoopError, SimulationError) as exc:
        return LoopFindings(loops, {}, None, {}, problem=str(exc))
    moving = [name for name in runs if _moves(runs[name])]
    if not moving:
        return LoopFindings(loops, runs, None, {})
    reference = "baseline" if "baseline" in moving else moving[0]
    shifts = {
        name: DominanceShift(scenario=runs[name], reference=runs[reference])
        for name in moving
        if name != reference
    }
    return LoopFindings(loops, runs, reference, shifts)


def _loop_row(lp) -> list[Any]:
    return [
        tag("strong", lp.id),
        POLARITY.get(lp.polarity, lp.polarity),
        str(lp.length),
        f"{lp.delay:g}" if lp.delay else "",
        lp.name,
    ]


LOOP_HEADER = ["Loop", "Polarity", "Links", "Delay (months)", "Factors around the loop"]


def _months(start: float, end: float) -> str:
    return f"{round(start, 1):g}–{round(end, 1):g}"


def _points(change: float) -> str:
    """A change of share, in percentage points with a true minus sign."""
    return f"{change * 100:+.0f}".replace("-", "−") + " points"


def _periods_table(dom: Dominance) -> Html:
    periods = dom.periods()
    total = float(dom.time[-1] - dom.time[0])
    span = periods["end"] - periods["start"]
    shown = periods[span >= SHORT * total]
    rows = [
        [
            _months(r.start, r.end),
            "no loop is active" if r.loop == AT_REST else esc([tag("strong", r.loop), " ", r.name]),
            POLARITY.get(r.polarity, ""),
            "" if r.loop == AT_REST else percent(r.share),
            "" if r.loop == AT_REST else ("yes" if r.alone else "no"),
        ]
        for r in shown.itertuples()
    ]
    hidden = len(periods) - len(shown)
    note = (
        f" {hidden} shorter stretches ({float(span[span < SHORT * total].sum()):.1f} months in all), "
        "where the lead changed hands quickly, are left out of the table; the figure shows them."
        if hidden
        else ""
    )
    return table(
        ["Months", "Leading loop", "Polarity", "Mean share", "Holds half alone"],
        rows,
        numeric=[0, 3],
        caption="Periods of at least "
        f"{SHORT * total:.2g} months in which one loop leads (has the largest share of the change)."
        + note,
    )


def _share_table(runs: dict[str, Dominance], top: int = 3) -> Html:
    """Mean share of each run's ``top`` loops, in every run: how dominance moves between scenarios."""
    shares = {name: np.abs(dom.relative).mean(axis=0) for name, dom in runs.items()}
    loops = next(iter(runs.values())).loops
    chosen = sorted({int(k) for s in shares.values() for k in np.argsort(-s, kind="stable")[:top]})
    rows = [
        [
            tag("strong", loops[k].id),
            POLARITY.get(loops[k].polarity, loops[k].polarity),
            *[percent(float(s[k])) for s in shares.values()],
            loops[k].name,
        ]
        for k in chosen
    ]
    return table(
        ["Loop", "Polarity", *runs, "Factors around the loop"],
        rows,
        numeric=range(2, 2 + len(runs)),
        caption="Mean share of the change over the run.",
    )


def _shift_block(name: str, shift: DominanceShift) -> Html:
    moved = shift.table().head(5)
    rows = [
        [
            tag("strong", r.id),
            POLARITY.get(r.polarity, r.polarity),
            percent(r.share_scenario),
            percent(r.share_reference),
            _points(r.change),
            r.name,
        ]
        for r in moved.itertuples()
    ]
    reference = shift.reference.scenario
    gain = moved[moved["change"] > 0].head(1)
    loss = moved[moved["change"] < 0].head(1)
    words = [f"Against {reference}, {name}"]
    if len(gain):
        g = gain.iloc[0]
        words.append(f" gives most weight to {g['id']} ({g['name']}; {_points(g['change'])})")
    if len(loss):
        x = loss.iloc[0]
        words.append(
            (" and" if len(gain) else "") + f" takes most from {x['id']} ({x['name']}; "
            f"{_points(x['change'])})"
        )
    if not len(gain) and not len(loss):
        words.append(" leaves the loops' shares as they are")
    return esc(
        [
            tag("h3", f"{name} against {reference}"),
            tag("p", "".join(words) + " of mean share over the run."),
            table(
                [
                    "Loop",
                    "Polarity",
                    f"Share in {name}",
                    f"Share in {reference}",
                    "Change",
                    "Factors around the loop",
                ],
                rows,
                numeric=[2, 3, 4],
            ),
            figure(
                shift.plot(),
                alt=f"Change of loop shares in {name} against {reference}",
                caption="Top: the leading loop of each run over time. Below: how much share each loop "
                f"gains (above 0) or loses in {name} compared with {reference}.",
            ),
        ]
    )


def _cut_note(dom: Dominance) -> list[Html]:
    """A paragraph naming the loops the run's scenario cuts, and when (nothing when none is cut)."""
    text = cuts_sentence(dom.cuts, dom.loops)
    return [tag("p", text, class_="note")] if text else []


def _loop_count(loops: LoopList) -> str:
    """``96 feedback loops (54 reinforcing, 42 balancing), 3 to 11 links long``."""
    by = {p: sum(lp.polarity == p for lp in loops) for p in POLARITY}
    kinds = ", ".join(f"{n} {POLARITY[p]}" for p, n in by.items() if n or p != "U")
    lengths = sorted({lp.length for lp in loops})
    span = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]} to {lengths[-1]}"
    return f"{count(len(loops), 'feedback loop')} ({kinds}), {span} links long"


def loop_section(analysis: LoopFindings, *, variable: str | None = None, label: str = "") -> Html:
    loops = analysis.loops.feedback
    head = [tag("h2", "4. Feedback loops and what drives each run", id="loops")]
    if not loops:
        return esc([*head, tag("p", analysis.loops.summary())])
    leaders = {i for dom in analysis.runs.values() for i in dom.summary().query("months_top > 0")["id"]}
    main = [lp for lp in loops if lp.id in leaders] if len(loops) > 25 and leaders else list(loops)
    intro = (
        f"Following the links around gives {_loop_count(loops)}. A reinforcing loop "
        "amplifies a change (more leads to more); a balancing loop counteracts it; →|| marks a "
        "link that acts with a delay. "
    )
    if analysis.loops.truncated:
        intro += analysis.loops.note + " "
    if len(main) < len(loops):
        intro += (
            f"The table lists the {len(main)} loops that lead at some time in one of the runs below; "
            "all of them follow, folded."
        )
    parts: list[Any] = [
        *head,
        tag("p", intro),
        table(LOOP_HEADER, [_loop_row(lp) for lp in main], numeric=[2, 3]),
    ]
    if len(main) < len(loops):
        parts.append(
            details(
                f"All {len(loops)} feedback loops",
                table(LOOP_HEADER, map(_loop_row, loops), numeric=[2, 3]),
            )
        )
    if analysis.problem:
        parts.append(
            tag("p", f"Loop dominance could not be computed: {analysis.problem}", class_="note")
        )
        return esc(parts)
    parts += [
        tag("h3", "Which loops drive each run"),
        tag(
            "p",
            "At every moment each loop gets a share of the change it causes (the Loops That Matter "
            "method of Schoenberg, Davidsen and Eberlein, 2020). The loop with the largest share "
            "leads; shares are among the loops of the diagram, leaving out each factor's own "
            "adjustment toward its target.",
        ),
    ]
    resting = [name for name, dom in analysis.runs.items() if not _moves(dom)]
    if resting:
        parts.append(
            tag("p", f"No loop is active in {', '.join(resting)}: the run stays at rest throughout.")
        )
    for name, dom in analysis.runs.items():
        if name in resting:
            continue
        parts += [
            tag("h3", f"Loop dominance in {name}"),
            *_cut_note(dom),
            tag("p", dominance_sentence(dom)),
            figure(
                dom.plot(variable=variable),
                alt=f"Relative loop scores over time in {name}",
                caption=(f"Top: {label or variable}. " if variable else "")
                + "Middle: the leading loop of each period (blue "
                "reinforcing, red balancing). Bottom: each loop's share of the change, "
                "reinforcing loops above 0 and balancing loops below.",
            ),
            _periods_table(dom),
        ]
    moving = {name: dom for name, dom in analysis.runs.items() if name not in resting}
    if len(moving) > 1:
        why = (
            ""
            if analysis.reference == "baseline"
            else f" The baseline is at rest, so the other scenarios are set against {analysis.reference}."
        )
        parts += [
            tag("h3", "How the scenarios shift dominance"),
            tag("p", "The loops that hold most of the change in any run, and their mean share in each:"),
            _share_table(moving),
            tag(
                "p",
                "Below, which loops gain or lose share of the change when one run is set against "
                "another; the share of a loop is averaged over the run." + why,
            ),
        ]
        parts += [_shift_block(name, shift) for name, shift in analysis.shifts.items()]
    return esc(parts)
