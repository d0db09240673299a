"""gmsim explore speed: the time from a lever change to new data, as medians.

    python benchmarks/bench_explore.py [--repeat N]

1. The session alone: a new lever setting -> scenario -> compiled system -> solved run.
2. The page's callback over HTTP (Flask's test client, Dash's own request): the lever change as the
   browser sends it -> the new figure and table, serialised. Needs the explore extra (Dash).

Each repeat moves the lever to a value not seen before, so no cached run is reused.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from gmsim.explore import Lever, Session, Settings


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31)
    repeat = parser.parse_args().repeat
    session = Session()
    samples = []
    for k in range(repeat):
        settings = Settings(
            levers=(Lever("human_resources", change="step", value=0.5 + k / (3 * repeat), start=6),)
        )
        began = time.perf_counter()
        session.run(settings)
        samples.append(time.perf_counter() - began)
    print(f"median of {repeat} (shared 2-core machine: expect noise)")
    print(f"  {'lever change -> new run (session)':<48} {median_ms(samples):8.1f} ms")
    try:
        from gmsim.explore.app import make_app
    except ImportError:
        return
    app = make_app(session)
    client = app.server.test_client()
    client.get("/")
    n = len(session.exogenous)
    sim = session.model.simulation
    inputs = {
        "level": [float(session.model.factor(f).initial) for f in session.exogenous],
        "change": ["none"] * n,
        "value": [0.8] * n,
        "timing": [[6.0, 12.0]] * n,
    }

    def pattern(kind: str, prop: str) -> list[dict]:
        return [
            {"id": {"type": kind, "f": f}, "property": prop, "value": v}
            for f, v in zip(session.exogenous, inputs[kind], strict=True)
        ]

    outputs = "..graph.figure...metrics.children...settings.data...message.children...kept.children...timing-text.children.."
    http = []
    target = session.exogenous.index("human_resources") if "human_resources" in session.exogenous else 0
    for k in range(repeat):
        inputs["level"][target] = round(0.2 + 0.6 * k / repeat, 4)
        body = {
            "output": outputs,
            "outputs": [
                {"id": i, "property": p}
                for i, p in (
                    ("graph", "figure"),
                    ("metrics", "children"),
                    ("settings", "data"),
                    ("message", "children"),
                    ("kept", "children"),
                    ("timing-text", "children"),
                )
            ],
            "inputs": [
                pattern("level", "value"),
                pattern("change", "value"),
                pattern("value", "value"),
                pattern("timing", "value"),
                {"id": "weights", "property": "data", "value": {}},
                {"id": "hold-factor", "property": "value", "value": ""},
                {"id": "hold-value", "property": "value", "value": 0.5},
                {"id": "hold-timing", "property": "value", "value": [sim.start, sim.stop]},
                {"id": "base", "property": "value", "value": "baseline"},
                {"id": "scenario-name", "property": "value", "value": "explored"},
                {"id": "variables", "property": "value", "value": session.default_variables()},
                {"id": "pins", "property": "data", "value": []},
            ],
            "changedPropIds": [
                json.dumps({"f": session.exogenous[target], "type": "level"}, separators=(",", ":"))
                + ".value"
            ],
            "state": [],
        }
        began = time.perf_counter()
        response = client.post("/_dash-update-component", json=body)
        http.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(
                f"the page's callback answered {response.status_code}: {response.data[:300]!r}"
            )
    print(f"  {'lever change -> new figure (page callback, HTTP)':<48} {median_ms(http):8.1f} ms")


if __name__ == "__main__":
    main()
