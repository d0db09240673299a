"""`<views>` of exported XMILE: every variable placed once in two dimensions, links drawn, still runnable."""

from __future__ import annotations

import defusedxml.ElementTree as DET
import numpy as np
import pytest

import gmsim

NS = {"x": "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"}


@pytest.fixture(scope="module")
def exported():
    return gmsim.export_xmile(gmsim.load_model())


def test_every_variable_is_placed_once_on_a_two_dimensional_canvas(exported):
    root = DET.fromstring(exported)
    names = {
        el.get("name") for el in root.find("x:model/x:variables", NS) if el.tag.split("}")[1] != "group"
    }
    view = root.find("x:model/x:views/x:view", NS)
    placed = [el for el in view if el.get("x") is not None]
    assert sorted(el.get("name") for el in placed) == sorted(names)
    spots = {(el.get("x"), el.get("y")) for el in placed}
    assert len(spots) == len(placed)  # nothing on top of anything
    xs = np.array([float(el.get("x")) for el in placed])
    ys = np.array([float(el.get("y")) for el in placed])
    assert np.ptp(ys) > 300 and np.ptp(xs) > 300 and np.ptp(xs) / np.ptp(ys) < 10  # not a strip
    kinds = {el.get("name"): el.tag.split("}")[1] for el in placed}
    for el in root.find("x:model/x:variables", NS):
        if el.tag.split("}")[1] in ("stock", "flow", "aux"):
            assert kinds[el.get("name")] == el.tag.split("}")[1]


def test_connectors_draw_the_links_and_flows_pipe_into_their_stocks(exported):
    root = DET.fromstring(exported)
    view = root.find("x:model/x:views/x:view", NS)
    names = {el.get("name") for el in view if el.get("x") is not None}
    links = {
        (c.find("x:from", NS).text, c.find("x:to", NS).text) for c in view.findall("x:connector", NS)
    }
    assert links and all(a in names and b in names for a, b in links)
    # each weighted cause reaches the input of its effect
    assert ("weight_workload_to_responsiveness", "responsiveness_input") in links or not any(
        "workload_to_responsiveness" in n for n in names
    )
    for flow in view.findall("x:flow", NS):
        assert len(flow.findall("x:pts/x:pt", NS)) == 2


def test_the_file_with_its_view_still_reads_back_with_the_same_loops(exported, tmp_path):
    path = tmp_path / "default.xmile"
    path.write_text(exported)
    head, _, rest = exported.partition("<views>")
    bare = tmp_path / "bare.xmile"  # the same file without its diagram
    bare.write_text(head + rest.partition("</views>")[2])
    with_view = gmsim.find_loops(gmsim.load_model(path))
    assert len(with_view) > 0
    assert [str(lp) for lp in with_view] == [str(lp) for lp in gmsim.find_loops(gmsim.load_model(bare))]


@pytest.mark.filterwarnings("ignore")  # PySD's own deprecation warnings
def test_pysd_still_runs_the_file_with_its_view(exported, tmp_path):
    """PySD runs the file with its diagram (through the export tests' harness, which stands the
    file's own DT number in for XMILE's DT built-in, missing from PySD 3.14)."""
    from test_export import pysd_run

    path = tmp_path / "default.xmile"
    path.write_text(exported)
    out = pysd_run(path)
    assert len(out) > 1 and np.isfinite(out.select_dtypes("number").to_numpy()).all()
