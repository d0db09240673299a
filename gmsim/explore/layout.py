"""The explore page's layout: levers on the left, trajectories and the panels on the right.

Every component id is listed here, so the callbacks (:mod:`gmsim.explore.callbacks`)
and the browser test name the same things. Dash is imported inside the
functions: gmsim imports without the ``explore`` extra.
"""

from __future__ import annotations

from typing import Any

from gmsim.explore.session import Session
from gmsim.explore.settings import CHANGES

__all__ = ["CSS", "layout"]

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2933;
       background: #f5f7fa; font-size: 14px; }
header { background: #1f4e79; color: white; padding: 10px 18px; display: flex; gap: 18px; align-items: center;
         flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
header .start { display: flex; gap: 8px; align-items: center; }
header .start .dd { width: 240px; color: #1f2933; }
.upload { border: 1px dashed #cfe0f1; border-radius: 4px; padding: 4px 10px; cursor: pointer; }
main { display: grid; grid-template-columns: 360px 1fr; gap: 12px; padding: 12px; }
.levers { background: white; border-radius: 6px; padding: 10px 12px; max-height: calc(100vh - 90px);
          overflow-y: auto; }
.levers h2, .panel h2 { font-size: 15px; margin: 6px 0 8px; color: #1f4e79; }
.lever { border-bottom: 1px solid #e4e7eb; padding: 6px 0; }
.lever .name { font-weight: 600; display: flex; justify-content: space-between; gap: 6px; }
.lever .row { display: grid; grid-template-columns: 90px 1fr; align-items: center; gap: 4px; }
.lever .small { color: #616e7c; font-size: 12px; }
.panel { background: white; border-radius: 6px; padding: 10px 12px; margin-bottom: 12px; }
.message { padding: 6px 10px; border-radius: 4px; margin: 0 12px; }
.message.error { background: #fde8e8; color: #9b1c1c; white-space: pre-wrap; }
.message.note { background: #e8f1fb; color: #1f4e79; }
table.metrics { border-collapse: collapse; width: 100%; font-size: 13px; }
table.metrics th, table.metrics td { border-bottom: 1px solid #e4e7eb; padding: 3px 6px; text-align: right; }
table.metrics th:first-child, table.metrics td:first-child,
table.metrics th:nth-child(2), table.metrics td:nth-child(2) { text-align: left; }
.tree { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; white-space: pre; line-height: 1.5; }
.tree button { font: inherit; border: none; background: none; color: #1f4e79; cursor: pointer; padding: 0; }
.tree button:hover { text-decoration: underline; }
.quote { color: #52606d; font-style: italic; }
.trees { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
button.act { background: #1f4e79; color: white; border: none; border-radius: 4px; padding: 5px 12px; cursor: pointer; }
button.act.light { background: #e4e7eb; color: #1f2933; }
.inline { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 6px 0; }
"""


def _slider(
    dcc, id_: Any, low: float, high: float, value: float, step: float, marks: dict | None = None
):
    return dcc.Slider(
        id=id_,
        min=low,
        max=high,
        step=step,
        value=value,
        marks=marks or {low: f"{low:g}", high: f"{high:g}"},
        tooltip={"placement": "bottom", "always_visible": False},
        updatemode="mouseup",
    )


def _timing(dcc, id_: Any, start: float, stop: float, value: list[float]):
    step = 0.25 if stop - start <= 60 else (stop - start) / 240
    return dcc.RangeSlider(
        id=id_,
        min=start,
        max=stop,
        step=step,
        value=value,
        marks={start: f"{start:g}", stop: f"{stop:g}"},
        tooltip={"placement": "bottom", "always_visible": False},
        updatemode="mouseup",
        allowCross=False,
    )


def _lever(dcc, html, session: Session, fid: str):
    factor = session.model.factor(fid)
    sim = session.model.simulation
    first = [sim.start + (sim.stop - sim.start) / 6, sim.start + (sim.stop - sim.start) / 3]
    return html.Div(
        className="lever",
        id={"type": "lever", "f": fid},
        children=[
            html.Div(
                className="name",
                children=[
                    html.Span(factor.label, title=f"{fid} ({factor.source}) {factor.note}".strip()),
                    html.Span(f"model: {factor.initial:g}", className="small"),
                ],
            ),
            html.Div(
                className="row",
                children=[
                    html.Span("level", className="small"),
                    _slider(dcc, {"type": "level", "f": fid}, 0.0, 1.0, float(factor.initial), 0.01),
                ],
            ),
            html.Div(
                className="row",
                children=[
                    html.Span("over time", className="small"),
                    dcc.Dropdown(
                        id={"type": "change", "f": fid},
                        options=[{"label": c, "value": c} for c in CHANGES],
                        value="none",
                        clearable=False,
                        searchable=False,
                    ),
                ],
            ),
            html.Div(
                className="row",
                children=[
                    html.Span("to value", className="small"),
                    _slider(dcc, {"type": "value", "f": fid}, 0.0, 1.0, 0.8, 0.01),
                ],
            ),
            html.Div(
                className="row",
                children=[
                    html.Span(f"{session.system.time_unit}s", className="small"),
                    _timing(dcc, {"type": "timing", "f": fid}, sim.start, sim.stop, first),
                ],
            ),
        ],
    )


def layout(session: Session):
    """The page of ``session``."""
    from dash import dcc, html

    model, sim = session.model, session.model.simulation
    links = [
        {
            "label": f"{session.labels[lk.cause]} → {session.labels[lk.effect]} ({lk.weight:g})",
            "value": f"{lk.cause}->{lk.effect}",
        }
        for lk in model.links
    ]
    factors = [{"label": f"{session.labels[f]} ({f})", "value": f} for f in model.factor_ids]
    unit = f"{session.system.time_unit}s"
    levers = [
        html.H2("Levers: exogenous factors"),
        html.Div(
            "A level for the whole run, and a step, ramp or pulse over the months chosen.",
            className="small",
        ),
        *(_lever(dcc, html, session, fid) for fid in session.exogenous),
        html.H2("A link's weight"),
        dcc.Dropdown(
            id="link", options=links, value=links[0]["value"] if links else None, clearable=False
        ),
        _slider(
            dcc,
            "weight",
            -1.0,
            1.0,
            float(model.links[0].weight) if model.links else 0.0,
            0.01,
            {-1: "-1", 0: "0", 1: "1"},
        ),
        html.Div(id="weights-text", className="small"),
        html.Button("Reset weights", id="reset-weights", className="act light", n_clicks=0),
        html.H2("Hold a factor"),
        dcc.Dropdown(
            id="hold-factor",
            options=[{"label": "(none)", "value": ""}]
            + [{"label": f"{session.labels[f]} ({f})", "value": f} for f in session.holdable],
            value="",
            clearable=False,
        ),
        _slider(dcc, "hold-value", 0.0, 1.0, 0.5, 0.01),
        _timing(
            dcc, "hold-timing", sim.start, sim.stop, [sim.start + (sim.stop - sim.start) / 6, sim.stop]
        ),
        html.Div(
            "held over the months chosen; to the end of the run when the range ends there",
            className="small",
        ),
    ]
    graph_panel = html.Div(
        className="panel",
        children=[
            html.Div(
                className="inline",
                children=[
                    html.Span("Variables"),
                    html.Div(
                        dcc.Dropdown(
                            id="variables",
                            options=factors,
                            value=session.default_variables(),
                            multi=True,
                        ),
                        style={"flex": "1"},
                    ),
                ],
            ),
            dcc.Graph(id="graph", config={"displaylogo": False}, style={"height": "430px"}),
            html.Div(id="kept", className="small"),
            html.Div(id="metrics"),
        ],
    )
    factor_tab = html.Div(
        className="panel",
        children=[
            html.Div(
                className="inline",
                children=[
                    html.Span("Factor (or click a line)"),
                    html.Div(
                        dcc.Dropdown(
                            id="factor",
                            options=factors,
                            value=session.default_variables()[0],
                            clearable=False,
                        ),
                        style={"width": "320px"},
                    ),
                    html.Span("depth"),
                    dcc.Input(
                        id="depth", type="number", min=1, max=8, step=1, value=2, style={"width": "60px"}
                    ),
                ],
            ),
            html.Div(className="trees", children=[html.Div(id="causes-tree"), html.Div(id="uses-tree")]),
            html.Div(id="factor-links"),
        ],
    )
    loops_tab = html.Div(className="panel", children=[html.Div(id="cut-loops"), html.Div(id="loops")])
    runs_tab = html.Div(
        className="panel",
        children=[
            html.Div(
                className="inline",
                children=[
                    dcc.Input(id="pin-name", type="text", placeholder="name of the run", debounce=True),
                    html.Button("Pin this run", id="pin", className="act", n_clicks=0),
                    html.Button("Clear pins", id="clear-pins", className="act light", n_clicks=0),
                ],
            ),
            html.Div(id="pins-text", className="small"),
            html.H2("Export the current settings"),
            html.Div(
                className="inline",
                children=[
                    dcc.Input(id="scenario-name", type="text", value="explored", debounce=True),
                    html.Button("Export scenario (.toml)", id="export", className="act", n_clicks=0),
                ],
            ),
            html.Div(
                f"Run the file with: gmsim run --scenario FILE (the run is the one shown here, {unit} "
                f"{sim.start:g}-{sim.stop:g}).",
                className="small",
            ),
            dcc.Download(id="download"),
        ],
    )
    return html.Div(
        [
            html.Header(
                [
                    html.H1(f"gmsim explore | {model.name}"),
                    html.Div(
                        className="start",
                        children=[
                            html.Span("Start from"),
                            html.Div(
                                dcc.Dropdown(
                                    id="base", options=session.bases, value="baseline", clearable=False
                                ),
                                className="dd",
                            ),
                            dcc.Upload(
                                id="upload",
                                children=html.Span("Import a scenario file"),
                                className="upload",
                                accept=".toml",
                                max_size=256 * 1024,
                                multiple=False,
                            ),
                        ],
                    ),
                    html.Span(id="timing-text", className="small"),
                ]
            ),
            html.Div(id="message"),
            html.Div(id="upload-message"),
            html.Main(
                [
                    html.Div(levers, className="levers"),
                    html.Div(
                        [
                            graph_panel,
                            dcc.Tabs(
                                id="tabs",
                                value="factor",
                                children=[
                                    dcc.Tab(
                                        label="Causes and uses", value="factor", children=factor_tab
                                    ),
                                    dcc.Tab(label="Loops", value="loops", children=loops_tab),
                                    dcc.Tab(
                                        label="Pinned runs and export", value="runs", children=runs_tab
                                    ),
                                ],
                            ),
                        ]
                    ),
                ]
            ),
            dcc.Store(id="settings"),
            dcc.Store(id="weights", data={}),
            dcc.Store(id="pins", data=[]),
        ]
    )
