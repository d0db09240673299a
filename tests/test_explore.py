"""gmsim explore: the session behind the page, its exported scenarios, and the page in a real browser."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

import gmsim
from gmsim.cli import build_parser
from gmsim.cli import main as cli_main
from gmsim.errors import GmsimError, ScenarioError
from gmsim.explore import Hold, Lever, Session, Settings

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def session() -> Session:
    return Session()


SETTINGS = Settings(
    levers=(
        Lever("human_resources", change="pulse", value=0.9, start=4.0, end=10.0),
        Lever("regulation", level=0.55, change="ramp", value=0.8, start=6.0, end=20.0),
    ),
    weights={"leadership_attention->funding": 0.35},
    name="workshop",
)


def test_levers_show_each_library_scenario_and_run_it_unchanged(session):
    for name in ("attention-boost", "collaboration-network", "full-time-posts", "water-army-surge"):
        levers, weights = session.levers_for(name)
        settings = Settings(base=name, levers=tuple(levers.values()), weights=weights)
        assert np.array_equal(session.run(settings).values, gmsim.simulate(scenario=name).values), name


def test_exported_scenario_reproduces_the_run_through_the_command_line(session, tmp_path, capsys):
    path = tmp_path / "workshop.toml"
    path.write_text(session.export(SETTINGS), encoding="utf-8")
    assert cli_main(["run", "--scenario", str(path), "--out", str(tmp_path / "out")]) == 0
    import pandas as pd

    frame = pd.read_csv(tmp_path / "out" / "trajectories.csv")
    mine = session.run(SETTINGS)
    assert np.allclose(frame[list(mine.variables)].to_numpy(), mine.values[0], rtol=0, atol=1e-12)
    assert np.array_equal(gmsim.simulate(scenario=path).values, mine.values)
    assert "workshop" in capsys.readouterr().out


def test_a_moved_lever_moves_the_run_and_the_gaps(session):
    run = session.run(SETTINGS)
    table = session.metrics(run, ["effectiveness"])
    assert abs(table["largest gap"].iloc[0]) > 1e-3
    assert session.metrics(session.baseline, ["effectiveness"])["cumulative gap"].iloc[0] == 0


def test_holding_a_factor_says_which_loops_it_cuts(session):
    cut = session.cut_loops(Settings(holds=(Hold("public_trust", 0.7, 6.0),)))
    assert cut and cut[0]["what"] == "public_trust is held"
    through = {lp.id for lp in session.loops.feedback if "public_trust" in lp}
    assert set(cut[0]["loops"]) == through
    dominance = session.dominance(Settings(holds=(Hold("public_trust", 0.7, 6.0),)))
    assert len(dominance.time) == len(session.baseline.time)


def test_a_malformed_import_gets_the_command_lines_message(session, tmp_path, capsys):
    bad = b'[scenario]\nname = "bad"\n\n[[interventions]]\nkind = "step"\ntarget = "funding"\nat = 3\nvalue = "high"\n'
    (tmp_path / "bad.toml").write_bytes(bad)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert cli_main(["run", "--scenario", "bad.toml", "--out", "out"]) == 2
    finally:
        os.chdir(cwd)
    cli_lines = [line.removeprefix("gmsim: error: ") for line in capsys.readouterr().err.splitlines()]
    with pytest.raises(ScenarioError) as page:
        session.upload("bad.toml", bad)
    assert str(page.value).splitlines() == cli_lines


def test_an_import_reads_no_file_of_the_machine(session):
    text = b'[scenario]\nname = "sneaky"\ninclude = ["/etc/passwd.toml"]\n'
    with pytest.raises(ScenarioError, match="library scenarios only"):
        session.upload("sneaky.toml", text)
    assert (
        session.upload("ok.toml", b'[scenario]\nname = "ok"\ninclude = ["training-program"]\n') == "ok"
    )


def test_observed_data_must_name_variables(tmp_path):
    (tmp_path / "obs.csv").write_text("time,effectivenes\n0,0.4\n")
    with pytest.raises(GmsimError, match="did you mean 'effectiveness'"):
        Session(data=tmp_path / "obs.csv")


def test_the_command_serves_loopback_by_default():
    args = build_parser().parse_args(["explore", "--no-browser"])
    assert (args.host, args.port, args.no_browser) == ("127.0.0.1", 8050, True)


def _browser_or_skip():
    if CHROMIUM is None and not os.environ.get("CI"):
        pytest.skip("no chromium binary (CI installs Debian's chromium)")
    if os.environ.get("CI"):
        import dash  # noqa: F401  (under CI a missing extra is a failure)
        from playwright.sync_api import sync_playwright
    else:
        pytest.importorskip("dash")
        sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    assert CHROMIUM is not None, "CI must have Debian's chromium"
    return sync_playwright


GRAPH_Y = "() => document.querySelector('#graph .js-plotly-plot').data.map(t => t.y)"


@pytest.mark.slow
def test_the_page_in_a_real_browser(tmp_path):
    sync_playwright = _browser_or_skip()
    from gmsim.explore.app import make_app, serve

    app = make_app()
    server = serve(app, "127.0.0.1", 0)
    assert server.host == "127.0.0.1"
    problems: list[str] = []
    timer = threading.Timer(150, server.shutdown)  # the test is bounded in time whatever happens
    timer.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.set_default_timeout(30_000)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"http://127.0.0.1:{server.port}/")
            page.wait_for_function(
                "() => { const g = document.querySelector('#graph .js-plotly-plot');"
                " return g && g.data && g.data.length > 0; }"
            )
            before = page.evaluate(GRAPH_Y)
            # move a lever: a step of human resources, then its level slider with the keyboard
            lever = page.locator('[id*="human_resources"][id*="lever"]')
            lever.locator(".dash-dropdown").click()
            page.get_by_role("option", name="step").click()
            page.wait_for_function(
                f"(b) => JSON.stringify(({GRAPH_Y})()) !== JSON.stringify(b)", arg=before
            )
            after = page.evaluate(GRAPH_Y)
            assert not np.allclose(after[0], before[0])
            # export the settings; the file reproduces the run shown
            page.get_by_text("Pinned runs and export").click()
            page.get_by_role("button", name="Pin this run").click()
            with page.expect_download() as download:
                page.get_by_role("button", name="Export scenario (.toml)").click()
            path = tmp_path / download.value.suggested_filename
            download.value.save_as(path)
            shown = np.array(page.evaluate(GRAPH_Y)[0])
            rerun = gmsim.simulate(scenario=path)
            assert np.allclose(rerun["effectiveness"], shown, rtol=0, atol=1e-12)
            # a causes tree opens, and a factor in it opens its own
            page.get_by_text("Causes and uses").click()
            tree = page.locator("#causes-lines")
            assert "Citizen engagement" in tree.inner_text()
            tree.get_by_role("button", name="Public trust").first.click()
            page.wait_for_function(
                "() => document.querySelector('#causes-tree h2').innerText.includes('Public trust')"
            )
            page.get_by_text("Loops", exact=True).click()
            page.wait_for_selector("#cut-list")
            page.get_by_text("Causes and uses").click()
            page.evaluate("window.scrollTo(0, 0)")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "explore.png"), full_page=True)
            browser.close()
    finally:
        timer.cancel()
        server.shutdown()
    assert problems == []
