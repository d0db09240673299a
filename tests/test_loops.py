"""Feedback loop listing: polarity, ids, bounds, the default model's loops, bad input, `gmsim loops`."""

from __future__ import annotations

import doctest
import importlib
import math

import networkx as nx
import pandas as pd
import pytest
from xmile_models import aux, flow, model, stock

import gmsim
from gmsim.analysis.loops import find_loops, loop_summary
from gmsim.analysis.summary import run_summary
from gmsim.cli import main
from gmsim.errors import LoopError


def graph_of(edges):
    g = nx.DiGraph(name="hand-built")
    for a, b, sign in edges:
        g.add_edge(a, b, sign=sign, weight=0.5 * sign, delay=0.0)
    return g


@pytest.mark.parametrize(
    ("signs", "polarity"),
    [((1, 1), "R"), ((-1, -1), "R"), ((1, -1), "B"), ((1, 1, -1), "B"), ((-1, -1, -1), "B"),
     ((-1, 1, -1, 1), "R"), ((1, 0, 1), "U")],
)  # fmt: skip
def test_polarity_is_the_product_of_link_signs(signs, polarity):
    nodes = [f"v{k}" for k in range(len(signs))]
    g = graph_of([(nodes[k], nodes[(k + 1) % len(nodes)], s) for k, s in enumerate(signs)])
    (loop,) = find_loops(g)
    assert loop.polarity == polarity
    assert loop.id == f"{polarity}1"
    assert loop.length == len(signs)
    assert loop.variables[0] == "v0"  # starts at the variable first in the graph


def test_ids_number_each_polarity_shortest_first():
    # a 2-loop (R), a 3-loop (B) and a 4-loop (R) sharing node a
    g = graph_of(
        [("a", "b", 1), ("b", "a", 1), ("a", "c", 1), ("c", "d", -1), ("d", "a", 1),
         ("a", "e", -1), ("e", "f", -1), ("f", "g", 1), ("g", "a", 1)]
    )  # fmt: skip
    loops = find_loops(g)
    assert [(lp.id, lp.length) for lp in loops] == [("R1", 2), ("B1", 3), ("R2", 4)]
    assert loops["B1"].links == (("a", "c"), ("c", "d"), ("d", "a"))
    assert loops["b1"] is loops["B1"]  # ids in any case
    assert [lp.id for lp in loops.reinforcing] == ["R1", "R2"]
    assert [lp.id for lp in loops.through("e")] == ["R2"]


def complete_digraph_loops(n: int, up_to: int) -> int:
    """Simple cycles of the complete digraph on n nodes with at most `up_to` links: Σ C(n,k)(k−1)!."""
    return sum(math.comb(n, k) * math.factorial(k - 1) for k in range(2, up_to + 1))


def test_length_bound_counts_match_the_complete_digraph():
    g = nx.complete_graph(6, create_using=nx.DiGraph)
    nx.set_edge_attributes(g, 1, "sign")
    assert complete_digraph_loops(6, 6) == 409
    for bound in (2, 3, 4, None):
        loops = find_loops(g, max_length=bound)
        assert len(loops) == complete_digraph_loops(6, bound or 6)
        assert not loops.truncated and loops.note == ""
        assert all(lp.length <= (bound or 6) for lp in loops)


def test_count_bound_keeps_the_shortest_and_says_so():
    g = nx.complete_graph(5, create_using=nx.DiGraph)
    nx.set_edge_attributes(g, 1, "sign")
    loops = find_loops(g, max_loops=25)
    assert len(loops) == 25 and loops.truncated
    lengths = [lp.length for lp in loops]
    assert lengths.count(2) == 10 and lengths.count(3) == 15  # all 2-loops, then 3-loops up to the cap
    assert "every loop of up to 2 links and 15 of those of 3 links" in loops.note
    assert "max_loops" in loops.summary()
    # exactly at the cap is complete
    assert not find_loops(g, max_length=3, max_loops=30).truncated


@pytest.mark.parametrize("bound", [1, 0, -3])
def test_max_length_below_two_is_refused(bound):
    with pytest.raises(LoopError, match="at least 2 links"):
        find_loops(max_length=bound)


def test_bad_max_loops_is_refused():
    with pytest.raises(LoopError, match="max_loops"):
        find_loops(max_loops=0)


def test_unknown_loop_id_suggests_a_near_one():
    loops = find_loops()
    with pytest.raises(LoopError, match=r"no loop 'R999'.*did you mean 'R99'\?.*R1-R\d+, B1-B\d+"):
        loops.get("R999")


def no_loop_model() -> gmsim.Model:
    return gmsim.Model(
        name="chain",
        factors=(
            gmsim.Factor("training", kind="exogenous", initial=0.5),
            gmsim.Factor("staff_capability", initial=0.4),
            gmsim.Factor("responsiveness", initial=0.4),
        ),
        links=(
            gmsim.Link("training", "staff_capability", 0.6),
            gmsim.Link("staff_capability", "responsiveness", 0.5),
        ),
    )


def test_a_model_without_loops_gives_an_empty_list_and_a_clear_message():
    loops = find_loops(no_loop_model())
    assert len(loops) == 0
    assert "model 'chain' has no feedback loops" in loops.summary()
    with pytest.raises(LoopError, match="has no feedback loops"):
        loops.get("R1")


def test_adjustment_loops_are_one_per_endogenous_factor():
    model = gmsim.load_model()
    loops = find_loops(model, adjustment=True)
    adjustment = [lp for lp in loops if lp.kind == "adjustment"]
    # each endogenous factor's -x/tau, and each stock's own-flow loop, in the model's order
    graph = model.graph()
    states = [n for n, kind in graph.nodes(data="kind") if kind in ("endogenous", "stock")]
    assert [lp.variables for lp in adjustment] == [(n,) for n in states]
    endogenous = {f.id for f in model.endogenous}
    assert all(lp.polarity == "B" for lp in adjustment if lp.variables[0] in endogenous)
    assert all(lp.length == 1 and lp.id.startswith("A") for lp in adjustment)
    assert adjustment[0].name == f"Adjustment of {model.endogenous[0].label}"
    assert len(loops.feedback) == len(find_loops(model))
    assert not any(len(lp.variables) == 1 for lp in loops.feedback)


# -- the paper's default model ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def default():
    return gmsim.load_model()


@pytest.fixture(scope="module")
def default_loops(default):
    return find_loops(default)


def sign_of(model, cause, effect) -> int:
    """A link's sign read from the model's own links (composites: their parts count +; a flow:
    + for a factor that raises an inflow or lowers an outflow, - the reverse, 0 both)."""
    for link in model.links:
        if (link.cause, link.effect) == (cause, effect):
            return link.sign
    signs = set()
    for f in model.flows:
        for filled, into in ((f.into, 1), (f.from_, -1)):
            if filled == effect:
                signs |= {into for x in f.times if x == cause} | {-into for x in f.gap if x == cause}
    if signs:
        return signs.pop() if len(signs) == 1 else 0
    assert any(part == cause for part, _ in model.factor(effect).of)
    return 1


def test_every_loop_polarity_agrees_with_the_model_links(default, default_loops):
    assert len(default_loops) > 20
    for lp in default_loops:
        product = math.prod(sign_of(default, a, b) for a, b in lp.links)
        assert lp.polarity == ("R" if product > 0 else "B" if product < 0 else "U")
        assert len(set(lp.variables)) == lp.length  # simple


def test_exogenous_factors_are_never_on_a_loop(default, default_loops):
    exogenous = {f.id for f in default.exogenous}
    assert not any(exogenous & set(lp.variables) for lp in default_loops)


def test_success_loops_through_followers_attention_and_funding_reinforce(default, default_loops):
    """Followers earn attention (2.2.1), attention brings money (2.2.4), money training and
    staff, whose work wins followers: every such loop that avoids the workload and the review
    burden has only positive links."""
    success = default_loops.through("followers", "leadership_attention", "funding")
    assert len(success) >= 5
    plain = [lp for lp in success if {"workload", "review_burden"}.isdisjoint(lp.variables)]
    assert plain
    for lp in plain:
        assert all(sign_of(default, a, b) > 0 for a, b in lp.links), lp
        assert lp.polarity == "R"


def test_workload_loops_balance(default_loops):
    workload = default_loops.through("workload")
    by_vars = {lp.variables: lp for lp in workload}
    # engagement adds work, work slows replies, slow replies cost engagement
    assert by_vars[("workload", "responsiveness", "citizen_engagement")].polarity == "B"
    assert {lp.polarity for lp in workload} >= {"B"}


def test_r1_is_the_shortest_reinforcing_loop(default_loops):
    r1 = default_loops["R1"]
    assert r1.polarity == "R"
    assert r1.length == min(lp.length for lp in default_loops.reinforcing)
    assert r1.name == " → ".join(r1.labels)


def test_frame_has_one_row_per_loop(default_loops):
    frame = default_loops.to_frame()
    assert len(frame) == len(default_loops)
    assert frame.loc[0, "variables"] == " -> ".join(default_loops[0].variables)
    assert set(frame["polarity"]) == {lp.polarity for lp in default_loops} >= {"R", "B"}


# -- gmsim loops ------------------------------------------------------------------------------------
def test_cli_lists_loops_and_writes_the_csv(tmp_path, capsys, default_loops):
    assert main(["loops", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{len(default_loops)} feedback loops")
    r1 = default_loops["R1"]
    assert any(
        line.split()[:3] == ["R1", "R", str(r1.length)] and r1.name in line for line in out.splitlines()
    )
    frame = pd.read_csv(tmp_path / "loops.csv")
    assert list(frame["id"]) == list(default_loops.ids)


def test_cli_shows_one_loop_link_by_link(tmp_path, capsys):
    assert main(["loops", "--loop", "R3", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    r3 = find_loops()["R3"]
    assert f"R3: reinforcing loop of {r3.length} link(s)" in out
    for a, b in r3.links:
        assert f"{a} -> {b}: +" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--max-length", "1"], "must be at least 2 links"),
     (["--loop", "R999"], "did you mean 'R99'"),
     (["--against", "baseline"], "--against needs --scenario"),
     (["--scenario", "hacker-attack", "--against", "baseline"], "--against only matters with --dominance")],
)  # fmt: skip
def test_cli_bad_input_exits_2_with_one_message(tmp_path, capsys, argv, message):
    assert main(["loops", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


CHAIN_TOML = """
[model]
name = "chain"
[factors.training]
group = "internal_barrier"
kind = "exogenous"
initial = 0.5
[factors.staff_capability]
group = "process"
initial = 0.4
tau = 2.0
[[links]]
from = "training"
to = "staff_capability"
weight = 0.6
"""


def test_cli_on_a_model_without_loops(tmp_path, capsys):
    path = tmp_path / "chain.toml"
    path.write_text(CHAIN_TOML)
    assert main(["loops", str(path), "--out", str(tmp_path / "out")]) == 0
    assert "model 'chain' has no feedback loops" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "out" / "loops.csv").empty
    assert main(["loops", str(path), "--dominance", "--out", str(tmp_path / "out2")]) == 2
    assert "no loop dominance to compute" in capsys.readouterr().err


def test_the_docstring_examples_run():
    result = doctest.testmod(importlib.import_module("gmsim.analysis.loops"))
    assert result.attempted > 0 and result.failed == 0


def test_the_summary_reads_well_for_one_loop_and_for_many():
    one = nx.DiGraph()
    one.add_edge("a", "b", sign=1)
    one.add_edge("b", "a", sign=-1)
    assert (
        gmsim.find_loops(one)
        .summary()
        .startswith("1 feedback loop (0 reinforcing, 1 balancing), 2 links long")
    )
    loops = gmsim.find_loops(gmsim.load_model())
    counts = {p: sum(1 for lp in loops if lp.polarity == p) for p in "RBU"}
    lengths = [lp.length for lp in loops]
    head = f"{len(loops)} feedback loops ({counts['R']} reinforcing, {counts['B']} balancing"
    head += f", {counts['U']} undetermined)" if counts["U"] else ")"
    assert loops.summary().startswith(f"{head}, {min(lengths)} to {max(lengths)} links long")


def test_the_printed_listing_is_public(tmp_path, capsys):
    model = gmsim.load_model()
    assert main(["loops", "--loop", "R3", "--out", str(tmp_path)]) == 0
    text = loop_summary(find_loops(model), loop="R3", graph=model.graph())
    assert capsys.readouterr().out.startswith(text + "\n")
    assert main(["loops", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith(loop_summary(find_loops(model)) + "\n")
    with pytest.raises(LoopError, match="`graph` is needed"):
        loop_summary(find_loops(model), loop="R3")


def test_the_run_summary_is_what_gmsim_run_prints(tmp_path, capsys):
    assert main(["run", "--scenario", "hacker-attack", "--stop", "24", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(run_summary(gmsim.simulate(scenario="hacker-attack", stop=24)) + "\n")


# -- stock-and-flow models: polarity from the model's own gains ----------------------------------------
def test_a_negative_constant_gain_makes_a_balancing_loop_of_an_imported_model():
    m = model(
        stock("workload", "1", inflows=("hiring",)),
        stock("service", "1", inflows=("improving",)),
        flow("improving", "weight_w * workload + 0.1"),
        flow("hiring", "0.5 * service"),
        aux("weight_w", "-0.4"),
    )
    loops = gmsim.find_loops(m.compile())
    assert [(tuple(sorted(lp.variables)), lp.polarity) for lp in loops] == [
        (("hiring", "improving", "service", "workload"), "B")
    ]
    g = m.compile().graph
    assert g.edges["workload", "improving"]["sign"] == -1
    assert g.edges["hiring", "workload"]["sign"] == 1 and g.edges["hiring", "workload"]["kind"] == "flow"


def test_an_outflow_enters_its_stock_with_a_minus_and_a_gain_through_constants_keeps_its_sign():
    m = model(
        stock("a", "1", outflows=("drain",)),
        stock("b", "1", inflows=("drain",), outflows=("leak",)),
        flow("drain", "gain * b"),
        flow("leak", "a * 0.1"),
        aux("base", "-2"),
        aux("gain", "base * 3"),
    )
    g = m.compile().graph
    assert g.edges["drain", "a"]["sign"] == -1 and g.edges["leak", "b"]["sign"] == -1
    assert g.edges["b", "drain"]["sign"] == -1  # gain = -6
    loops = {tuple(sorted(lp.variables)): lp.polarity for lp in gmsim.find_loops(m.compile())}
    # a -> leak (+) -> b (-: an outflow of b) -> drain (-: gain -6) -> a (-: an outflow of a): B.
    # With that loop through two stocks, b -> drain -> b is b's adjustment loop, listed on request.
    assert loops == {("a", "b", "drain", "leak"): "B"}
    adjustment = gmsim.find_loops(m.compile(), adjustment=True)
    assert [(lp.id, lp.variables, lp.polarity) for lp in adjustment if lp.kind == "adjustment"] == [
        ("A1", ("b", "drain"), "B")
    ]


def test_one_stock_loops_stay_feedback_loops_when_no_loop_runs_through_two_stocks():
    m = model(
        stock("tea", "180", outflows=("loss",)),
        flow("loss", "(tea - room) / cooling_time"),
        aux("room", "70"),
        aux("cooling_time", "10"),  # not `time`: the built-in TIME would be read in its place
    )
    loops = gmsim.find_loops(m.compile())
    assert [(lp.id, lp.kind) for lp in loops] == [("B1", "feedback")]


def _projected(loops, nodes):
    out = []
    for lp in loops:
        vs = [v for v in lp.variables if v in nodes]
        k = vs.index(min(vs))
        out.append((tuple(vs[k:] + vs[:k]), lp.polarity))
    return sorted(out)


def test_the_default_models_loops_keep_their_polarity_through_an_xmile_round_trip(tmp_path):
    native = gmsim.load_model()
    path = tmp_path / "default.xmile"
    gmsim.export_xmile(native, path)
    imported = gmsim.load_model(path)
    nodes = set(native.graph().nodes)
    before, after = gmsim.find_loops(native), gmsim.find_loops(imported)
    assert len(after) == len(before)
    assert len(after.reinforcing) == len(before.reinforcing)
    assert len(after.balancing) == len(before.balancing)
    assert _projected(after, nodes) == _projected(before, nodes)
    # each endogenous factor keeps an adjustment loop (delay stages add theirs); a decided factor's
    # runs through the stock that holds its last decision (funding -> funding_adjustment ->
    # funding_decision), so it is asked for on the loop, not at its start
    native_adj = [
        lp.variables[0] for lp in gmsim.find_loops(native, adjustment=True) if lp.kind != "feedback"
    ]
    imported_adj = [
        v
        for lp in gmsim.find_loops(imported, adjustment=True)
        if lp.kind != "feedback"
        for v in lp.variables
    ]
    assert set(native_adj) <= set(imported_adj)
