"""What the explore page draws, as plain data: the trajectories figure, the tables, the trees.

The figure is a plotly figure as a dict (no plotly objects are built, which keeps
a redraw quick); tables and trees are Dash components, made by functions that
import Dash when they are called.

Examples
--------
>>> from gmsim.explore import Session, Settings
>>> session = Session()
>>> fig = trajectories(session, session.run(Settings()), ["effectiveness"])
>>> [trace["name"] for trace in fig["data"]]
['Effectiveness', 'Effectiveness (baseline)']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from gmsim.analysis.trees import TreeNode, tree_rows
from gmsim.core.result import Result
from gmsim.explore.session import Session

__all__ = ["COLORS", "links_view", "loops_panel", "metrics_table", "trajectories", "tree_view"]

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
"""One colour per variable; the baseline dashes it, pinned runs dot it."""


def trajectories(
    session: Session,
    result: Result,
    variables: Sequence[str],
    pins: Sequence[tuple[str, Result]] = (),
) -> dict[str, Any]:
    """The chosen variables now (solid), in the baseline (dashed), in pinned runs (dotted), observed (dots)."""
    base, time = session.baseline, result.time.tolist()
    data: list[dict[str, Any]] = []
    observed = session.observed
    for k, v in enumerate(variables):
        color, label = COLORS[k % len(COLORS)], result.labels.get(v, v)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": time,
                "y": result[v].tolist(),
                "name": label,
                "line": {"color": color, "width": 2.5},
                "customdata": [v] * len(time),
                "legendgroup": v,
                "hovertemplate": f"{label}: %{{y:.3f}}<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": base.time.tolist(),
                "y": base[v].tolist(),
                "name": f"{label} (baseline)",
                "line": {"color": color, "width": 1.5, "dash": "dash"},
                "opacity": 0.6,
                "customdata": [v] * len(base.time),
                "legendgroup": v,
                "hovertemplate": f"{label}, baseline: %{{y:.3f}}<extra></extra>",
            }
        )
        for name, pinned in pins:
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": pinned.time.tolist(),
                    "y": pinned[v].tolist(),
                    "name": f"{label} ({name})",
                    "line": {"color": color, "width": 1.5, "dash": "dot"},
                    "customdata": [v] * len(pinned.time),
                    "legendgroup": v,
                    "hovertemplate": f"{label}, {name}: %{{y:.3f}}<extra></extra>",
                }
            )
        if observed is not None and v in observed.columns:
            series = observed[v].dropna()
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": series.index.tolist(),
                    "y": series.tolist(),
                    "name": f"{label} (observed)",
                    "marker": {"color": color, "size": 7, "symbol": "circle-open"},
                    "customdata": [v] * len(series),
                    "legendgroup": v,
                }
            )
    unit = (
        f"{result.time_unit}s"
        if result.time_unit and not result.time_unit.endswith("s")
        else result.time_unit
    )
    return {
        "data": data,
        "layout": {
            "margin": {"l": 55, "r": 10, "t": 30, "b": 45},
            "xaxis": {"title": {"text": f"time ({unit})"}, "zeroline": False},
            "yaxis": {"title": {"text": result.value_label}, "zeroline": False},
            "legend": {"orientation": "h", "y": -0.18},
            "title": {"text": f"scenario: {result.scenario}", "font": {"size": 13}, "x": 0.01},
            "hovermode": "x unified",
            "uirevision": "keep",
            "template": "plotly_white",
        },
    }


def metrics_table(frame: pd.DataFrame, time_unit: str):
    """The transient metrics against the baseline, one row per run and variable."""
    from dash import html

    head = [
        "run",
        "variable",
        "end",
        "end vs baseline",
        "largest gap",
        f"at ({time_unit})",
        f"cumulative gap ({time_unit}s)",
    ]
    rows = []
    for r in frame.itertuples(index=False):
        rows.append(
            html.Tr(
                [
                    html.Td(r.run),
                    html.Td(r.variable),
                    html.Td(f"{r.end:.3f}"),
                    html.Td(f"{r[3]:+.3f}"),
                    html.Td(f"{r[4]:+.3f}"),
                    html.Td(f"{r.at:g}"),
                    html.Td(f"{r[6]:+.2f}"),
                ]
            )
        )
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        className="metrics",
        id="metrics-table",
    )


def tree_view(tree: TreeNode, kind: str):
    """A causes or uses tree, each factor a button that opens its own trees."""
    from dash import html

    title = "Causes" if tree.direction == "causes" else "Uses"
    lines = []
    for i, (prefix, node) in enumerate(tree_rows(tree)):
        sign = {1: "+ ", -1: "− "}.get(node.sign, "")
        extra = []
        if node.weight is not None and node is not tree:
            extra.append(f"{node.weight:.2g}")
        if node.delay:
            extra.append(f"delay {node.delay:g}")
        note = f"  ({', '.join(extra)})" if extra else ""
        mark = "  ↺ loop" if node.loop else "  …" if node.cut else ""
        lines.append(
            html.Div(
                [
                    prefix + sign,
                    html.Button(
                        node.label,
                        id={"type": "node", "tree": kind, "i": i, "f": node.factor},
                        title=(node.quote or node.factor),
                        n_clicks=0,
                    ),
                    note + mark,
                ]
            )
        )
    return html.Div(
        [
            html.H2(f"{title} of {tree.label}, to depth {tree.limit}"),
            html.Div(lines, className="tree", id=f"{kind}-lines"),
        ]
    )


def links_view(session: Session, factor: str):
    """The links into and out of ``factor``, with the paper's section and words."""
    from dash import html

    items = []
    for link in session.model.links:
        if factor not in (link.cause, link.effect):
            continue
        words = f" “{link.quote}”" if link.quote else ""
        items.append(
            html.Li(
                [
                    html.B(f"{session.labels[link.cause]} → {session.labels[link.effect]}"),
                    f" weight {link.weight:g}"
                    + (f", delay {link.delay:g}" if link.delay else "")
                    + (f", paper {link.source}" if link.source else ""),
                    html.Span(words, className="quote"),
                ]
            )
        )
    f = session.model.factor(factor)
    head = f"{f.label} ({f.id}): {f.kind}, group {f.group}" + (f", paper {f.source}" if f.source else "")
    return html.Div(
        [
            html.H2("Links"),
            html.Div(head + (f". {f.note}" if f.note else ""), className="small"),
            html.Ul(items or [html.Li("no links")]),
        ]
    )


def loops_panel(session: Session, settings, unit: str):
    """Which loops lead the current run and when, and the loops the settings cut."""
    from dash import html

    cut = session.cut_loops(settings)
    cut_items = [
        html.Li(
            f"{c['what']} ({c['when']}): cuts {len(c['loops'])} loops while held: "
            + ", ".join(c["loops"][:12])
            + (" …" if len(c["loops"]) > 12 else "")
        )
        for c in cut
    ]
    cut_div = html.Div(
        [
            html.H2("Loops cut by the settings"),
            html.Ul(cut_items) if cut_items else html.Div("none: every loop can act", className="small"),
        ],
        id="cut-list",
    )
    dom = session.dominance(settings)
    if dom is None:
        return cut_div, html.Div("The model has no feedback loops.")
    periods = dom.periods()
    if periods["loop"].nunique() == 1 and not abs(dom.relative).any():
        body = html.Div(
            "The run is at rest: no loop is active. Move a lever to set the model in motion."
        )
    else:
        rows = [
            html.Tr(
                [
                    html.Td(f"{r.start:g}–{r.end:g}"),
                    html.Td(r.loop),
                    html.Td(r.polarity),
                    html.Td(f"{r.share:.0%}"),
                    html.Td(r.name, style={"textAlign": "left"}),
                ]
            )
            for r in periods.itertuples()
        ]
        top = dom.summary().head(5)
        lead = "; ".join(
            f"{r.id} {r.mean_share:.0%} on average (top for {r.months_top:g} {unit}s)"
            for r in top.itertuples()
        )
        body = html.Div(
            [
                html.Div(f"Largest shares over the run: {lead}.", className="small"),
                html.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th(h)
                                    for h in (unit + "s", "leading loop", "R/B", "share", "loop")
                                ]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    className="metrics",
                ),
            ]
        )
    return cut_div, html.Div([html.H2("Which loops dominate the run, and when"), body])
