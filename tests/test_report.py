"""`gmsim report`: a self-contained HTML report, its words checked against the numbers, in a real browser."""

from __future__ import annotations

import base64
import doctest
import importlib
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gmsim
from gmsim.cli import main as cli
from gmsim.errors import GmsimError, OutputError, ScenarioError
from gmsim.factor.model import Dynamics, Factor, Link, Model
from gmsim.report.loops import analyse_loops
from gmsim.report.narrative import POLARITY, dominance_sentence, scenario_sentence, uncertainty_sentence
from gmsim.scenario import Intervention, Scenario
from gmsim.uncertainty.spec import UncertaintySpec

MODEL = gmsim.load_model()
# the default model started at its reference levels: its baseline rests (v2's baseline is the launch)
REST = MODEL.replace(dynamics=Dynamics(steepness=MODEL.dynamics.steepness, equilibrium=True))
CHOSEN = ["attention-boost", "hacker-attack"]
SETTINGS = {"start": 0.0, "stop": 24.0, "dt": 0.25, "method": "rk4"}
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    spec = UncertaintySpec.every_weight(0.2, seed=3)
    path = gmsim.write_report(
        MODEL, scenarios=CHOSEN, spec=spec, runs=32, out=out, stop=24, dt=0.25, title="Test report"
    )
    return path, path.read_text(encoding="utf-8")


class Page(HTMLParser):
    """Tags in order, their balance, images and links of an HTML page."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input"})

    def __init__(self, text: str):
        super().__init__()
        self.open: list[str] = []
        self.unbalanced: list[str] = []
        self.images: list[dict] = []
        self.references: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.policy = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        self.references += [attrs[k] for k in ("src", "href") if k in attrs]
        if tag == "img":
            self.images.append(attrs)
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.policy = attrs["content"]
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.unbalanced.append(tag)


def _cells(text: str, scenario: str) -> list[str]:
    """The cells of the end-of-run table's row for ``scenario`` (text only)."""
    table = text[text.index("Levels at the end of the run") :]
    row = re.search(
        rf"<tr><td><strong class=\"nowrap\">{re.escape(scenario)}</strong></td>(.*?)</tr>", table
    )
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))]


# -- the file ------------------------------------------------------------------------------------
def test_the_report_is_one_self_contained_file_with_no_script_and_no_request(report):
    path, text = report
    page = Page(text)
    assert page.unbalanced == [] and page.open == []
    assert "script" not in page.tags and "<script" not in text.lower()
    assert page.policy.startswith("default-src 'none'; img-src data:")  # nothing else may load
    assert all(ref.startswith(("data:image/png;base64,", "#")) for ref in page.references)
    assert len(page.images) >= 7  # diagram, comparison, differences, dominance x2, shift, bands
    for img in page.images:
        png = base64.b64decode(img["src"].split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and int(img["width"]) > 0 and img["alt"]
    assert {"glance", "model", "factors", "scenarios", "loops", "uncertainty"} <= set(page.ids)
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_model_section_says_what_the_model_is_and_that_weights_are_judgements(report):
    _, text = report
    assert MODEL.name in text and "Zheng, L. (2012)" in text
    assert "judgements read from the paper" in text and "not estimates from data" in text
    assert f"It has {len(MODEL.factors)} factors" in text
    assert f"joined by {len(MODEL.links)} signed links" in text
    assert f"close {len(gmsim.find_loops(MODEL))} feedback loops" in text
    for factor in MODEL:  # every factor with its id and the section of the paper it comes from
        assert f"<code>{factor.id}</code>" in text
    factors = text[text.index('id="factors"') : text.index("<details>")]
    assert factors.count("<td>2.4.1</td>") == sum(f.source == "2.4.1" for f in MODEL)


def test_the_end_of_run_table_and_sentences_match_runs_of_the_engine(report):
    _, text = report
    base = gmsim.simulate(MODEL, stop=24, dt=0.25).final()
    for name in CHOSEN:
        end = gmsim.simulate(MODEL, scenario=name, stop=24, dt=0.25).final()
        cells = _cells(text, name)
        for cell, v in zip(cells, ["effectiveness", *gmsim.plot.results.OUTCOMES[1:]], strict=True):
            diff = end[v] - base[v]
            shown = f"{diff:+.2f}" if abs(diff) >= 0.01 else f"{diff:+.3f}"
            assert cell == f"{end[v]:.2f} ({shown.replace('-', '−')})"
    # the paper's claim 1: attention raises effectiveness; a hijacked account hurts it for a while
    d = gmsim.simulate(MODEL, scenario="attention-boost", stop=24, dt=0.25).final()["effectiveness"]
    assert f"{d - base['effectiveness']:.2f} higher than the baseline" in text
    hacked = gmsim.simulate(MODEL, scenario="hacker-attack", stop=24, dt=0.25)
    runs_base = gmsim.simulate(MODEL, stop=24, dt=0.25)
    gap = hacked["effectiveness"] - runs_base["effectiveness"]
    k = int(np.argmax(np.abs(gap)))
    assert gap[k] < 0  # the attack hurts effectiveness for a while (2.3.1)
    widest = f"{gap[k]:+.2f}".replace("-", "−")
    assert re.search(
        rf"Under hacker-attack, .*?(The gap is widest in month {hacked.time[k]:g} \({widest}\)"
        rf"|The gap reaches {widest} in month {hacked.time[k]:g})",
        text,
    ) or abs(gap[k]) < max(1.5 * abs(gap[-1]), abs(gap[-1]) + 0.01)
    ends = {
        s: gmsim.simulate(MODEL, scenario=s, stop=24, dt=0.25).final()["effectiveness"] for s in CHOSEN
    }
    best, worst = sorted(CHOSEN, key=ends.get, reverse=True)
    assert f"Of the 2 scenarios, {best} leaves effectiveness highest by month 24" in text
    assert f"; {worst} leaves it lowest" in text


def test_the_uncertainty_section_reports_the_shares_of_runs_that_beat_the_baseline(report):
    _, text = report
    mc = gmsim.monte_carlo(
        MODEL, UncertaintySpec.every_weight(0.2, seed=3), runs=32, scenarios=CHOSEN, stop=24,
        dt=0.25, metrics=["effectiveness@end"], variables=["effectiveness"], progress=False,
    )  # fmt: skip
    p = mc.probability_better("effectiveness", "attention-boost")
    assert p == 1.0  # claim 1 holds under every draw of ±20 % weights
    assert (
        "Under attention-boost, effectiveness ends higher than in the baseline in 100\u00a0% of the 32 runs"
        in text
    )
    assert "The direction of the change holds across the uncertainty." in text
    assert "seed 3" in text


def test_the_loop_section_shows_how_the_shares_of_loops_move_between_scenarios(report):
    _, text = report
    section = text[text.index("How the scenarios shift dominance") :]
    columns = ["baseline", *CHOSEN]  # the launch baseline moves: it has loops of its own
    runs = {
        s: gmsim.loop_dominance(MODEL, scenario=None if s == "baseline" else s, stop=24, dt=0.25)
        for s in columns
    }
    shares = {s: np.abs(d.relative).mean(axis=0) for s, d in runs.items()}
    loops = runs[CHOSEN[0]].loops
    for s in columns:  # each run's leading loop, with its mean share in every run
        k = int(np.argmax(shares[s]))
        cells = "".join(f'<td class="num">{shares[r][k] * 100:.0f}\u00a0%</td>' for r in columns)
        assert (
            f"<td><strong>{loops[k].id}</strong></td><td>{POLARITY[loops[k].polarity]}</td>{cells}"
            in section
        )
    # the launch baseline moves: every scenario is set against it
    for s in CHOSEN:
        assert f"{s} against baseline" in section


# -- words from numbers --------------------------------------------------------------------------
def _frame(series: dict[str, dict[str, list[float]]], time: list[float]) -> pd.DataFrame:
    rows = [
        (s, t, v, x)
        for s, variables in series.items()
        for v, values in variables.items()
        for t, x in zip(time, values, strict=True)
    ]
    return pd.DataFrame(rows, columns=["scenario", "time", "variable", "value"])


def test_scenario_sentences_state_hand_computed_differences():
    time = [0.0, 6.0, 12.0]
    flat = {
        "effectiveness": [0.5, 0.5, 0.5],
        "public_service": [0.4] * 3,
        "citizen_engagement": [0.3] * 3,
    }
    frame = _frame(
        {
            "baseline": flat,
            "up": {"effectiveness": [0.5, 0.52, 0.56], "public_service": [0.4, 0.41, 0.43],
                   "citizen_engagement": [0.3, 0.3, 0.299]},
            "down": {"effectiveness": [0.5, 0.47, 0.45], "public_service": [0.4] * 3,
                     "citizen_engagement": [0.3] * 3},
            "shock": {"effectiveness": [0.5, 0.45, 0.5001], "public_service": [0.4, 0.3, 0.4],
                      "citizen_engagement": [0.3] * 3},
        },
        time,
    )  # fmt: skip
    labels = {"effectiveness": "Effectiveness", "public_service": "Public service",
              "citizen_engagement": "Citizen engagement"}  # fmt: skip
    say = lambda s: scenario_sentence(frame, s, variables=list(flat), labels=labels)  # noqa: E731
    assert say("up") == (
        "Under up, effectiveness ends at 0.56 in month 12, 0.06 higher than the baseline (0.50; +12\u00a0%)."
        " Of the others, public service changes most (+0.03) and citizen engagement least (−0.001)."
    )
    assert say("down") == (
        "Under down, effectiveness ends at 0.45 in month 12, 0.05 lower than the baseline (0.50; −10\u00a0%)."
        " Its public service, citizen engagement end level with the baseline."
    )
    assert say("shock") == (
        "Under shock, effectiveness ends at 0.50 in month 12, level with the baseline (0.50)."
        " The gap reaches −0.05 in month 6 and closes by the end."
        " Its public service, citizen engagement end level with the baseline."
    )


def test_uncertainty_sentences_lead_with_the_likelier_direction():
    row = pd.Series({"scenario": "cut", "runs": 50, "p5": 0.3, "p95": 0.36,
                     "median_difference": -0.012, "p_better": 0.3, "p_worse": 0.7})  # fmt: skip
    assert uncertainty_sentence(row, variable="effectiveness") == (
        "Under cut, effectiveness ends lower than in the baseline in 70\u00a0% of the 50 runs (higher in "
        "30\u00a0%); the median difference is −0.01, and 90\u00a0% of runs end between 0.30 and 0.36. Whether it "
        "ends higher or lower depends on the uncertain parameters."
    )


def test_the_dominance_sentence_accounts_for_every_month_of_the_run():
    dom = gmsim.loop_dominance(MODEL, scenario="rotation-3m", stop=24, dt=0.25)
    sentence = dominance_sentence(dom)
    found = re.search(r"for ([\d.]+) months, balancing loops for ([\d.]+)\.$", sentence)
    rest = dom.periods(by="polarity").query("polarity == ''")
    months = float(found[1]) + float(found[2]) + float((rest["end"] - rest["start"]).sum())
    assert months == pytest.approx(24.0, abs=0.1)
    top = dom.summary().sort_values("months_top", ascending=False, kind="stable").iloc[0]
    assert f"{top['id']} (" in sentence and f"for {top['months_top']:.1f} of 24 months" in sentence
    # attention rises from month 6: until then the model is at rest and no loop is active
    dom = gmsim.loop_dominance(REST, scenario="attention-boost", stop=12, dt=0.25)
    assert dominance_sentence(dom).startswith("In attention-boost, no loop is active until month 6.25;")


# -- loops: which run is the reference of the shifts ---------------------------------------------
def test_shifts_are_set_against_the_baseline_when_it_moves_and_else_against_the_first_scenario():
    scenarios = [gmsim.load_scenario(s) for s in ("attention-boost", "rotation-3m")]
    at_rest = analyse_loops(REST, scenarios, SETTINGS)
    assert at_rest.reference == "attention-boost" and list(at_rest.shifts) == ["rotation-3m"]
    assert not np.abs(at_rest.runs["baseline"].relative).any()
    moving = MODEL.replace(dynamics=Dynamics(steepness=4.0, equilibrium=False))
    drifting = analyse_loops(moving, scenarios, SETTINGS)
    assert drifting.reference == "baseline" and list(drifting.shifts) == [
        "attention-boost",
        "rotation-3m",
    ]
    shift = drifting.shifts["rotation-3m"]
    expected = np.abs(shift.scenario.relative) - np.abs(shift.reference.relative)
    np.testing.assert_allclose(shift.change().to_numpy(), expected)


def test_a_small_model_of_the_users_own_is_told_in_its_own_terms(tmp_path):
    factors = (
        Factor("training", group="internal_enabler", kind="exogenous", initial=0.5),
        Factor("skill", group="process", initial=0.4, tau=3.0),
        Factor("morale", group="outcome", initial=0.5, tau=2.0),
    )
    links = (Link("training", "skill", 0.6), Link("skill", "morale", 0.5))
    more = Scenario("more-training", actions=(Intervention("step", "training", at=1, value=0.9),))
    for closing, loops in ((Link("morale", "skill", 0.4), "1 feedback loop (1 reinforcing, 0 balancing)"),
                           (None, "no feedback loops")):  # fmt: skip
        model = Model("small", factors, links + ((closing,) if closing else ()))
        text = gmsim.write_report(
            model, scenarios=[more], stop=6, dt=0.5, out=tmp_path / "r.html"
        ).read_text()
        assert "It has 3 factors (1 internal enabler, 1 process, 1 outcome)" in text and loops in text
        assert "set by the model&#x27;s author" in text  # not the paper's weights
        end = gmsim.simulate(model, scenario=more, stop=6, dt=0.5).final()["morale"]
        assert f"Under more-training, morale ends at {end:.2f} in month 6" in text


# -- bad input ----------------------------------------------------------------------------------
def test_text_from_files_is_escaped_and_cannot_become_markup(tmp_path):
    sneaky = Scenario(
        "sneaky&co",
        description='<script>alert("x")</script> <img src="http://example.org/t.png">',
        actions=(Intervention("step", "training", at=2, value=0.8),),
    )
    out = gmsim.write_report(scenarios=[sneaky], stop=12, dt=0.5, out=tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text and "sneaky&amp;co" in text
    assert "<script" not in text and 'src="http' not in text


def test_bad_requests_fail_before_anything_runs_and_leave_no_file(tmp_path):
    out = tmp_path / "report.html"
    out.write_text("the previous report")
    with pytest.raises(ScenarioError, match="did you mean 'attention-boost'"):
        gmsim.write_report(scenarios=["atention-boost"], out=out)
    with pytest.raises(OutputError, match="is a folder"):
        gmsim.write_report(out=tmp_path)
    with pytest.raises(OutputError, match=r"ending in \.html"):
        gmsim.write_report(out=tmp_path / "report.pdf")
    (tmp_path / "plain-file").write_text("")
    with pytest.raises(OutputError, match="plain-file is a file, not a folder"):
        gmsim.write_report(out=tmp_path / "plain-file" / "report.html")
    with pytest.raises(GmsimError, match="give a spec too"):
        gmsim.write_report(runs=10, out=out)
    with pytest.raises(ScenarioError, match="besides the baseline"):
        gmsim.write_report(scenarios=["baseline"], out=out)
    assert out.read_text() == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain-file", "report.html"]


def test_gmsim_report_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "sub" / "report.html"
    code = cli(
        ["report", "--scenario", "training-program", "--stop", "12", "--dt", "0.5", "--out", str(out)]
    )
    assert code == 0 and "wrote" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "Under training-program, effectiveness ends at" in text and 'id="uncertainty"' not in text
    for argv, message in (
        (["--scenario", "nope"], "unknown scenario 'nope'"),
        (["--runs", "5"], "--runs is for the Monte Carlo runs"),
        (["--spec", "no_such_spec"], "no spec file 'no_such_spec'"),
        (["--out", str(tmp_path)], "is a folder"),
        (["--out", str(out / "report.html")], "is a file, not a folder"),
    ):
        assert (
            cli(["report", *argv, "--stop", "6"] + ([] if "--out" in argv else ["--out", str(out)])) == 2
        )
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_docstring_examples_run():
    for module in (
        "gmsim.report.html",
        "gmsim.report.narrative",
        "gmsim.report.loops",
        "gmsim.report.document",
    ):
        result = doctest.testmod(
            importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE
        )
        assert result.attempted > 0 and result.failed == 0, module


# -- in a real browser ----------------------------------------------------------------------------
CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
)


class Browser:
    """Headless Chromium driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``).

    Messages are JSON separated by NUL bytes on file descriptors 3 (to the
    browser) and 4 (from it): no websocket and no download needed.
    """

    def __init__(self, width: int = 1280):
        self.profile = tempfile.mkdtemp(prefix="gmsim-chromium-")
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        def descriptors():  # in the child: its ends of the pipes become fds 3 and 4
            a, b = os.dup(to_browser), os.dup(from_browser)
            os.dup2(a, 3)
            os.dup2(b, 4)

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"]  # fmt: skip
        self.process = subprocess.Popen(
            [CHROMIUM, *flags], preexec_fn=descriptors, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._next, self.events = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=900,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("the browser did not answer in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise EOFError("the browser closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, *, session: bool = False, timeout: float = 60, **params) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def open(self, path: Path) -> dict:
        """Load a file; return its console errors, its images' natural widths and its overflow."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=path.resolve().as_uri())
        deadline = time.monotonic() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._receive(deadline))
        probe = """JSON.stringify({
            images: Array.from(document.images, i => i.complete ? i.naturalWidth : -1),
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth})"""
        found = json.loads(self.evaluate(probe))
        found["errors"] = [
            e["params"]
            for e in self.events
            if e.get("method") == "Runtime.exceptionThrown"
            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
            or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
        ]
        return found

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)[
            "result"
        ]["value"]

    def screenshot(self, path: Path) -> None:
        size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True,
                         clip=clip)  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (EOFError, TimeoutError, RuntimeError, OSError):
            pass
        finally:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            os.close(self._write)
            os.close(self._read)
            shutil.rmtree(self.profile, ignore_errors=True)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (CI installs Debian's chromium)")
def test_the_report_opens_in_a_real_browser_with_every_figure_and_no_console_error(report, tmp_path):
    path, text = report
    broken = tmp_path / "broken.html"  # a control: the checks must see what is wrong here
    broken.write_text('<!DOCTYPE html><img src="missing.png"><script>console.error("bad")</script>')
    browser = Browser(width=1280)
    try:
        control = browser.open(broken)
        assert control["images"] == [0] and len(control["errors"]) == 2
        seen = browser.open(path)
        browser.screenshot(ARTIFACTS / "report.png")
    finally:
        browser.close()
    assert seen["errors"] == []
    assert len(seen["images"]) == len(Page(text).images) and min(seen["images"]) > 0
    assert seen["overflow"] <= 0  # nothing wider than the window at 1280 px
    assert (ARTIFACTS / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
