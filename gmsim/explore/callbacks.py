"""What the explore page does when a person moves something: each Dash callback of the page.

:func:`settings_from` reads the levers' values into
:class:`~gmsim.explore.settings.Settings`; :func:`register` wires the
callbacks of :mod:`gmsim.explore.layout` to a :class:`~gmsim.explore.session.Session`.
A :class:`~gmsim.errors.GmsimError` becomes the page's message, in the words
the command line would print.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Sequence
from typing import Any

import pandas as pd

from gmsim.analysis.trees import causes_tree, uses_tree
from gmsim.errors import GmsimError
from gmsim.explore.figures import links_view, loops_panel, metrics_table, trajectories, tree_view
from gmsim.explore.session import Session
from gmsim.explore.settings import Hold, Lever, Settings

__all__ = ["MAX_PINS", "register", "settings_from"]

MAX_PINS = 5
"""Pinned runs kept for comparison (the oldest goes first)."""


def _error(exc: Exception):
    from dash import html

    lines = str(exc).splitlines() or [type(exc).__name__]
    return html.Div(
        [html.Div(f"error: {line}") for line in lines], className="message error", id="error"
    )


def settings_from(
    session: Session,
    levels: Sequence[float],
    changes: Sequence[str],
    values: Sequence[float],
    timings: Sequence[Sequence[float]],
    weights: dict[str, float] | None,
    hold: tuple[str, float, Sequence[float]] | None,
    base: str,
    name: str,
) -> Settings:
    """The settings the page's controls show (in the order of ``session.exogenous``)."""
    levers = []
    for fid, level, change, value, timing in zip(
        session.exogenous, levels, changes, values, timings, strict=True
    ):
        initial = float(session.model.factor(fid).initial)
        lever = Lever(
            fid,
            level=None if level is None or float(level) == initial else float(level),
            change=change or "none",
            value=float(value),
            start=float(timing[0]),
            end=float(timing[1]),
        )
        if lever.moved:
            levers.append(lever)
    holds = ()
    if hold and hold[0]:
        stop = session.model.simulation.stop
        a, b = (float(x) for x in hold[2])
        holds = (Hold(hold[0], float(hold[1]), a, None if b >= stop else b),)
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", (name or "").strip()).strip("-.") or "explored"
    return Settings(
        base=base or "baseline",
        levers=tuple(levers),
        weights=dict(weights or {}),
        holds=holds,
        name=clean,
    )


def register(app, session: Session) -> None:
    """Wire the page's callbacks to ``session``."""
    from dash import ALL, Input, Output, State, ctx, html, no_update

    unit = session.system.time_unit
    lever = {k: {"type": k, "f": ALL} for k in ("level", "change", "value", "timing")}

    @app.callback(
        Output(lever["level"], "value"),
        Output(lever["change"], "value"),
        Output(lever["value"], "value"),
        Output(lever["timing"], "value"),
        Output("hold-factor", "value"),
        Input("base", "value"),
        State(lever["timing"], "value"),
        prevent_initial_call=True,
    )
    def show_base(base, timings):
        shown, _ = session.levers_for(base)
        out: list[list[Any]] = [[], [], [], []]
        for fid, timing in zip(session.exogenous, timings, strict=True):
            lv = shown.get(fid)
            out[0].append(
                float(session.model.factor(fid).initial) if lv is None or lv.level is None else lv.level
            )
            out[1].append("none" if lv is None else lv.change)
            out[2].append(0.8 if lv is None or lv.change == "none" else lv.value)
            out[3].append(
                timing
                if lv is None or lv.change == "none"
                else [lv.start, lv.end if lv.change != "step" else max(lv.end, lv.start)]
            )
        return (*out, "")

    @app.callback(
        Output("weights", "data"),
        Output("weight", "value"),
        Output("weights-text", "children"),
        Input("base", "value"),
        Input("link", "value"),
        Input("weight", "value"),
        Input("reset-weights", "n_clicks"),
        State("weights", "data"),
    )
    def weights(base, link, weight, _reset, data):
        data = dict(data or {})
        trigger = ctx.triggered_id
        if trigger == "base":
            data = session.levers_for(base)[1]
        elif trigger == "reset-weights":
            data = {}
        elif trigger == "weight" and link:
            data[link] = float(weight)
        model_weight = {f"{lk.cause}->{lk.effect}": lk.weight for lk in session.model.links}
        shown = data.get(link, model_weight.get(link, 0.0)) if link else 0.0
        text = (
            ", ".join(f"{k.replace('->', ' → ')}: {v:g}" for k, v in data.items()) or "as in the model"
        )
        return data, (no_update if trigger == "weight" else shown), f"changed weights: {text}"

    @app.callback(
        Output("graph", "figure"),
        Output("metrics", "children"),
        Output("settings", "data"),
        Output("message", "children"),
        Output("kept", "children"),
        Output("timing-text", "children"),
        Input(lever["level"], "value"),
        Input(lever["change"], "value"),
        Input(lever["value"], "value"),
        Input(lever["timing"], "value"),
        Input("weights", "data"),
        Input("hold-factor", "value"),
        Input("hold-value", "value"),
        Input("hold-timing", "value"),
        Input("base", "value"),
        Input("scenario-name", "value"),
        Input("variables", "value"),
        Input("pins", "data"),
    )
    def redraw(
        levels, changes, values, timings, weights, hold_f, hold_v, hold_t, base, name, variables, pins
    ):
        began = time.perf_counter()
        try:
            settings = settings_from(
                session, levels, changes, values, timings, weights, (hold_f, hold_v, hold_t), base, name
            )
            result = session.run(settings)
        except GmsimError as exc:
            return no_update, no_update, no_update, _error(exc), no_update, ""
        chosen = [v for v in (variables or []) if v in result.variables] or session.default_variables()
        pinned = [(p["name"], session.run(Settings.from_dict(p["settings"]))) for p in pins or []]
        figure = trajectories(session, result, chosen, pinned)
        frame = pd.concat(
            [session.metrics(result, chosen), *(session.metrics(r, chosen, name=n) for n, r in pinned)],
            ignore_index=True,
        )
        kept = session.kept(settings)
        kept_div = (f"Also from '{settings.base}': " + "; ".join(kept)) if kept else ""
        took = (time.perf_counter() - began) * 1000
        return (
            figure,
            metrics_table(frame, unit),
            settings.to_dict(),
            None,
            kept_div,
            f"run and drawn in {took:.0f} ms",
        )

    @app.callback(
        Output("factor", "value"),
        Input({"type": "node", "tree": ALL, "i": ALL, "f": ALL}, "n_clicks"),
        Input("graph", "clickData"),
        prevent_initial_call=True,
    )
    def pick_factor(_clicks, click):
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and ctx.triggered and ctx.triggered[0].get("value"):
            return trigger["f"]
        if trigger == "graph" and click and click.get("points"):
            point = click["points"][0]
            factor = point.get("customdata")
            if isinstance(factor, str) and factor in session.labels:
                return factor
        return no_update

    @app.callback(
        Output("causes-tree", "children"),
        Output("uses-tree", "children"),
        Output("factor-links", "children"),
        Input("factor", "value"),
        Input("depth", "value"),
    )
    def trees(factor, depth):
        depth = max(1, min(8, int(depth or 2)))
        try:
            causes = causes_tree(session.system, factor, depth)
            uses = uses_tree(session.system, factor, depth)
        except GmsimError as exc:
            return _error(exc), None, None
        return tree_view(causes, "causes"), tree_view(uses, "uses"), links_view(session, factor)

    @app.callback(
        Output("cut-loops", "children"),
        Output("loops", "children"),
        Input("settings", "data"),
        Input("tabs", "value"),
    )
    def loops(data, tab):
        if tab != "loops" or not data:
            return no_update, no_update
        try:
            return loops_panel(session, Settings.from_dict(data), unit)
        except GmsimError as exc:
            return _error(exc), None

    @app.callback(
        Output("pins", "data"),
        Output("pins-text", "children"),
        Input("pin", "n_clicks"),
        Input("clear-pins", "n_clicks"),
        State("pins", "data"),
        State("settings", "data"),
        State("pin-name", "value"),
        prevent_initial_call=True,
    )
    def pin(_pin, _clear, pins, data, name):
        pins = list(pins or [])
        if ctx.triggered_id == "clear-pins":
            pins = []
        elif data:
            label = (name or "").strip() or f"run {len(pins) + 1}"
            pins = [*pins, {"name": label, "settings": data}][-MAX_PINS:]
        text = "pinned: " + ", ".join(p["name"] for p in pins) if pins else "no pinned runs"
        return pins, f"{text} (up to {MAX_PINS}; dotted lines)"

    @app.callback(
        Output("download", "data"),
        Input("export", "n_clicks"),
        State("settings", "data"),
        prevent_initial_call=True,
    )
    def export(_clicks, data):
        if not data:
            return no_update
        settings = Settings.from_dict(data)
        return {"content": session.export(settings), "filename": f"{settings.name}.toml"}

    @app.callback(
        Output("base", "options"),
        Output("base", "value"),
        Output("upload-message", "children"),
        Input("upload", "contents"),
        State("upload", "filename"),
        prevent_initial_call=True,
    )
    def upload(contents, filename):
        if not contents:
            return no_update, no_update, None
        try:
            raw = base64.b64decode(contents.partition(",")[2], validate=False)
            name = session.upload(filename or "scenario.toml", raw)
        except GmsimError as exc:
            return no_update, no_update, _error(exc)
        except ValueError:
            return (
                no_update,
                no_update,
                _error(GmsimError(f"{filename}: cannot be read; give a .toml file")),
            )
        note = html.Div(
            f"imported '{name}' from {filename}: now the starting scenario", className="message note"
        )
        return session.bases, name, note
