"""Link signs of imported stock-and-flow models, and the polarity of their loops, rule by rule.

Each rule of :mod:`gmsim.xmile.graph` on a small hand-built model whose loops' polarity is
known, with the case where the sign honestly depends on the values left 0; the ranges of
:mod:`gmsim.xmile.bounds` that the signs rest on; the exported default model read back.
"""

from __future__ import annotations

import doctest
import importlib
import re

import pytest
from xmile_models import aux, flow, model, stock

import gmsim
from gmsim.cli import main
from gmsim.xmile.bounds import model_ranges
from gmsim.xmile.expr import Num, Unary
from gmsim.xmile.flat import Ref
from gmsim.xmile.graph import polarity
from gmsim.xmile.intervals import WHOLE


def graph(*variables: str):
    return model(*variables).compile().graph


def signs(*variables: str) -> dict[tuple[str, str], int]:
    return {(a, b): s for a, b, s in graph(*variables).edges(data="sign")}


def loops(*variables: str) -> dict[tuple[str, ...], str]:
    return {lp.variables: lp.polarity for lp in gmsim.find_loops(model(*variables).compile())}


def saturation(u: str) -> str:
    return f"0.5 + {u} / (1 + ABS(2 * {u}) ^ p) ^ (1 / p)"


def test_doctests():
    for name in ("gmsim.xmile.graph", "gmsim.xmile.bounds", "gmsim.xmile.intervals"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0


# -- ranges: a stock is a share only when its own flows keep it one ------------------------------
SHARE = (
    stock("users", "0.1", inflows=("joining",), outflows=("quitting",)),
    flow("joining", "0.3 * staff * (1 - users)"),
    flow("quitting", "0.2 * users"),
    stock("staff", "0.5", inflows=("hiring",)),
    flow("hiring", "(0.2 + 0.6 * users - staff) / 4"),
)


def test_a_stock_its_flows_keep_in_0_1_gets_that_range_and_its_complement_is_non_negative():
    system = model(*SHARE).compile()
    ranges = model_ranges(tuple(system._vars.values()))
    assert ranges["users"] == (0.0, 1.0) and ranges["staff"] == (0.0, 1.0)
    g = system.graph
    assert g.edges["staff", "joining"]["sign"] == 1  # 0.3 * (1 - users) >= 0
    assert g.edges["users", "joining"]["sign"] == -1
    # users -> hiring (+) -> staff -> joining (+) -> users: reinforcing; each stock's own-flow loops
    # are its adjustment
    assert loops(*SHARE) == {("users", "hiring", "staff", "joining"): "R"}


def test_a_complement_of_a_stock_its_flows_do_not_bound_stays_unsigned():
    found = signs(
        stock("users", "0.1", inflows=("joining",)),
        flow("joining", "0.5 * staff"),  # users grows past 1
        stock("staff", "0.5", inflows=("hiring",), outflows=("burnout",)),
        flow("hiring", "0.1 * users"),
        flow("burnout", "0.1 * staff * (1 - users)"),
    )
    assert found["staff", "burnout"] == 0  # 0.1 * (1 - users) changes sign when users passes 1
    assert found["users", "burnout"] == -1


def test_ranges_widen_until_what_is_left_holds():
    system = model(
        stock("grows", "1", inflows=("growth",)),
        flow("growth", "0.1 * grows"),  # at 1 still growing: [0, inf), not [0, 1]
        stock("free", "0", inflows=("push",)),
        flow("push", "0.1 - 0.2 * grows"),  # negative once grows passes 0.5: no range
        stock("kept", "0.5", inflows=("drift",), non_negative=True),
        flow("drift", "-0.1"),  # the stock stops at 0 on its own
    ).compile()
    ranges = model_ranges(tuple(system._vars.values()))
    assert ranges["grows"] == (0.0, float("inf"))
    assert ranges["free"] == WHOLE
    assert ranges["kept"] == (0.0, 1.0)


# -- the saturation curve, constant exponents, ABS, MAX ------------------------------------------
def _levels(target_a: str, target_b: str, weight: str) -> tuple[str, ...]:
    return (
        aux("p", "2.5"),
        aux("w", weight),
        stock("a", "0.5", inflows=("a_adjustment",)),
        flow("a_adjustment", "(a_target - a) / 3"),
        aux("a_input", "0.2 + w * b"),
        aux("a_target", target_a),
        stock("b", "0.5", inflows=("b_adjustment",)),
        flow("b_adjustment", "(b_target - b) / 3"),
        aux("b_input", "0.1 + 0.4 * a"),
        aux("b_target", target_b),
    )


@pytest.mark.parametrize(("weight", "polarity"), [("0.4", "R"), ("-0.4", "B")])
def test_the_saturation_curve_rises_with_its_input(weight, polarity):
    levels = _levels(saturation("a_input"), saturation("b_input"), weight)
    found = signs(*levels)
    assert found["a_input", "a_target"] == found["b_input", "b_target"] == 1
    assert found["a", "a_adjustment"] == -1
    assert list(loops(*levels).values()) == [polarity]


def test_a_curve_that_rises_then_falls_is_not_signed():
    levels = _levels("a_input / (1 + ABS(a_input) ^ 2)", saturation("b_input"), "0.4")
    assert signs(*levels)["a_input", "a_target"] == 0  # q * r = 2: it peaks at |u| = 1
    assert list(loops(*levels).values()) == ["U"]


@pytest.mark.parametrize(
    ("equation", "sign"),
    [("x ^ p", 1), ("x ^ (0 - p)", -1), ("0.5 ^ x", -1), ("3 ^ x", 1), ("x ^ q", 0),
     ("ABS(x)", 1), ("ABS(x - 1)", -1), ("ABS(x - 0.5)", 0), ("w * MAX(0, 1 - 0.5 * z) * x", -1), ("MAX(x, z) / p", 1)],
)  # fmt: skip
def test_constant_exponents_abs_and_max(equation, sign):
    found = signs(
        aux("p", "2"),
        aux("w", "-0.3"),
        aux("q", "x"),  # not a constant: x ^ x
        aux("z", "0.2"),
        stock("x", "0.5", inflows=("rise",)),
        flow("rise", "0.1 * (1 - x)"),
        aux("y", equation),
    )
    assert found["x", "y"] == sign


def test_a_factor_that_is_exactly_zero_adds_no_term():
    # d/dc = 0.4 - w * e * [1 - c > 0]; with e = 0 the second term is 0, not of unknown sign
    found = signs(
        aux("w", "-0.6"),
        aux("e", "0"),
        aux("c", "0.25"),
        aux("y", "0.4 * c + w * MAX(0, 1 - c) * e"),
    )
    assert found["c", "y"] == 1


# -- IF: the asymmetric adjustment ---------------------------------------------------------------
ADJUSTMENT = (
    stock("level", "0.2", inflows=("adjustment",)),
    aux("rise", "2"),
    aux("fall", "8"),
    stock("other", "0.5", inflows=("other_adjustment",)),
    flow("other_adjustment", "(level - other) / 4"),
    aux("target", "0.3 + 0.5 * other"),
)


def test_an_if_whose_branches_meet_where_its_comparison_switches_keeps_their_sign():
    gap = "(target - level)"
    adjustment = flow("adjustment", f"IF target > level THEN {gap} / rise ELSE {gap} / fall")
    found = signs(*ADJUSTMENT, adjustment)
    assert found["target", "adjustment"] == 1 and found["level", "adjustment"] == -1
    assert loops(*ADJUSTMENT, adjustment) == {
        ("level", "other_adjustment", "other", "target", "adjustment"): "R"
    }


def test_an_if_that_jumps_where_its_comparison_switches_is_not_signed():
    adjustment = flow("adjustment", "IF target > level THEN (target - level) / rise ELSE 0.1")
    found = signs(*ADJUSTMENT, adjustment)
    assert found["target", "adjustment"] == 0 and found["level", "adjustment"] == 0
    # a condition on time alone leaves the branches' signs
    timed = flow("adjustment", "IF TIME > 5 THEN (target - level) / rise ELSE 0")
    assert signs(*ADJUSTMENT, timed)["level", "adjustment"] == -1


# -- sums, products, the logistic ----------------------------------------------------------------
def test_a_logistic_flow_is_unsigned_in_its_own_stock_and_signed_in_the_others():
    found = signs(
        stock("f", "0.1", inflows=("adoption",), outflows=("leaving",)),
        flow("adoption", "2 * f * e * (1 - f)"),
        flow("leaving", "0.3 * f * (1 - e)"),
        stock("e", "0.5", inflows=("e_adjustment",)),
        flow("e_adjustment", "(0.2 + 0.6 * f - e) / 2"),
    )
    assert found["f", "adoption"] == 0  # rises below f = 1/2, falls above
    assert found["e", "adoption"] == 1 and found["e", "leaving"] == -1
    assert found["f", "leaving"] == 1


def test_deep_expressions_cost_no_recursion():
    node = Ref("x")
    for _ in range(20_000):
        node = Unary("-", node)
    assert polarity(node, "x", {}) == 1
    assert polarity(Unary("-", node), "x", {}) == -1
    assert polarity(Num(1.0), "x", {}) is None


# -- the exported default model ------------------------------------------------------------------
def test_gmsim_loops_prints_the_same_counts_for_the_exported_default_model(tmp_path, capsys):
    path = tmp_path / "default.xmile"
    assert main(["export", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["loops", "--out", str(tmp_path / "native")]) == 0
    native = capsys.readouterr().out.splitlines()[0]
    assert main(["loops", str(path), "--out", str(tmp_path / "imported")]) == 0
    imported = capsys.readouterr().out.splitlines()[0]
    counts = r"(\d+) feedback loops \((\d+) reinforcing, (\d+) balancing\)"
    assert re.match(counts, native) and "undetermined" not in imported
    assert re.match(counts, imported).groups() == re.match(counts, native).groups()
