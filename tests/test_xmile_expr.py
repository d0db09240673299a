"""The XMILE expression compiler: parsing, operators, builtins, graphical functions, arrays, macros.

Every expected value is worked out by hand or from a closed form: exact
recurrences of Euler steps, numpy's own functions at chosen points, or the
stated semantics of XMILE 1.0 (section numbers in the comments).
"""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xmile_models import aux, flow, gf, model, run, stock, value

from gmsim.errors import ModelError
from gmsim.xmile.expr import Binary, Call, EquationError, Num, Unary, Var, parse, tokenize


# -- parsing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-2^2", -4.0),  # ^ binds tighter than unary minus (3.3.1)
        ("2^3^2", 512.0),  # ^ is right-associative
        ("30^-1", 1 / 30),
        ("(-2)^2", 4.0),
        ("4 - 5 + 6", 5.0),  # left to right
        ("12 / 3 / 2", 2.0),
        ("2 + 3 * 4", 14.0),
        ("-(2 + 3) * 4", -20.0),
        ("7 MOD 4 + 1", 4.0),  # MOD with * and /
        ("1 + 2 = 3", 1.0),  # comparison below arithmetic
        ("1 < 2 AND 2 < 1", 0.0),
        ("1 < 2 OR 2 < 1", 1.0),
        ("NOT 0", 1.0),
        ("NOT 3 = 0", 1.0),  # (NOT 3) = 0
        ("0 OR 1 AND 0", 0.0),  # AND binds tighter than OR
        ("3 <> 4", 1.0),
        ("IF 1 > 2 THEN 5 ELSE IF 2 > 1 THEN 6 ELSE 7", 6.0),
        ("IF_THEN_ELSE(0, 1, 2)", 2.0),
        ("2 * {a comment} 3", 6.0),
        (".5 + 5. + 1e1 + 2.5E-1", 15.75),
        ("+.72", 0.72),
    ],
)
def test_operators_follow_xmile_precedence(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-15)


def test_names_are_case_insensitive_and_spaces_are_underscores():
    others = (aux("Room Temperature", "70"), aux("my\\nvalue", "2"))
    assert value('room_TEMPERATURE + "Room Temperature" + My_Value', *others) == 142.0


def test_quoted_names_keep_special_characters_and_escapes():
    assert parse(r'"a \"b\" c\\d"') == Var('a "b" c\\d')
    assert value('"Aux with $peC!@| characters" * 2', aux("Aux with $peC!@| characters", "21")) == 42.0


def test_vensim_style_spaced_names_join_into_one():
    assert parse("SECOND MACRO(a, b)") == Call("SECOND MACRO", (Var("a"), Var("b")))


def test_the_tree_is_plain_data():
    assert parse("-x * 2") == Binary("*", Unary("-", Var("x")), Num(2.0))
    assert [t.kind for t in tokenize('a "b" 1 + IF')] == ["name", "qname", "num", "op", "keyword", "end"]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("(a + b", "expected ')'", 6),
        ("a +", "found 'the end of the equation'", 3),
        ("a b c +", "the end of the equation", 7),
        ("a == b", "single '='", 2),
        ("a ? b", "unexpected character '?'", 2),
        ("{never closed", "never closed", 0),
        ('"never closed', "never closed", 0),
        ("IF a THEN b", "expected 'ELSE'", 11),
        ("x'", "transposition", 1),
        ("", "empty", 0),
    ],
)
def test_bad_equations_say_what_and_where(text, message, position):
    with pytest.raises(EquationError) as err:
        parse(text)
    assert message in str(err.value)
    assert err.value.position == position


# -- a property: random arithmetic, printed and parsed back ---------------------------------------------
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}


@st.composite
def expressions(draw, depth=0):
    """(text, value) of a random arithmetic expression, with only the parentheses it needs (some extra)."""
    if depth > 3 or draw(st.booleans()):
        n = draw(st.integers(-9, 9))
        return (str(n) if n >= 0 else f"({n})"), float(n), 9
    kind = draw(st.sampled_from(["+", "-", "*", "/", "^", "neg"]))
    if kind == "neg":
        text, x, prec = draw(expressions(depth + 1))
        inner = text if prec >= 4 and draw(st.booleans()) else f"({text})"
        return f"-{inner}", -x, 3
    a_text, a, a_prec = draw(expressions(depth + 1))
    if kind == "^":
        n = draw(st.integers(0, 3))
        left = a_text if a_prec > 4 and draw(st.booleans()) else f"({a_text})"
        return f"{left}^{n}", a**n, 4
    b_text, b, b_prec = draw(expressions(depth + 1))
    if kind == "/" and b == 0:
        b_text, b, b_prec = "7", 7.0, 9
    p = _PREC[kind]
    left = a_text if a_prec >= p and draw(st.booleans()) else f"({a_text})"
    right = b_text if b_prec > p and draw(st.booleans()) else f"({b_text})"
    result = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else 0.0}[kind]
    return f"{left} {kind} {right}", result, p


@settings(max_examples=60, deadline=None)
@given(expressions())
def test_random_arithmetic_evaluates_like_its_tree(case):
    text, expected, _ = case
    assert value(text) == pytest.approx(expected, rel=1e-12, abs=1e-12)


# -- functions ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ABS(-3.5)", 3.5),
        ("EXP(1.5)", math.exp(1.5)),
        ("LN(7)", math.log(7)),
        ("LOG10(1000)", 3.0),
        ("LOG(8, 2)", 3.0),
        ("SQRT(2)", math.sqrt(2)),
        ("SIN(0.3)", math.sin(0.3)),
        ("COS(0.3)", math.cos(0.3)),
        ("TAN(0.3)", math.tan(0.3)),
        ("ARCSIN(0.3)", math.asin(0.3)),
        ("ARCCOS(0.3)", math.acos(0.3)),
        ("ARCTAN(0.3)", math.atan(0.3)),
        ("TANH(0.3) + SINH(0.3) + COSH(0.3)", math.tanh(0.3) + math.sinh(0.3) + math.cosh(0.3)),
        ("SIN(PI)", math.sin(math.pi)),
        ("PI()", math.pi),
        ("INT(2.7) + INT(-2.3)", 2 - 3),  # XMILE: next integer below (3.5.1)
        ("-9.9 MOD 3", 2.1),  # floored modulus, sign of the divisor
        ("MOD(9.9, -3)", -2.1),
        ("ROUND(2.5) + ROUND(-2.5)", 3 - 2),
        ("MIN(3, -4) + MAX(3, -4)", -1.0),
        ("SAFEDIV(11, 0)", 0.0),
        ("SAFEDIV(11, 0, 4)", 4.0),
        ("SAFEDIV(12, 4, 99)", 3.0),
        ("XIDZ(1, 0, 5) + ZIDZ(1, 0)", 5.0),
        ("std.ABS(-1)", 1.0),
        ("STARTTIME + STOPTIME + DT", 0 + 1 + 1),
    ],
)
def test_math_builtins_match_their_definitions(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_files_from_vensim_keep_vensim_int_and_mod():
    vensim = {"vendor": "Ventana Systems, xmutil"}
    assert value("INT(-2.3)", **vensim) == -2.0  # truncation
    assert value("-9.9 MOD 3", **vensim) == pytest.approx(-0.9)  # sign of the dividend
    assert value("INT(-2.3)") == -3.0


def test_division_by_zero_gives_infinity_not_an_exception():
    assert value("1 / 0") == math.inf
    assert value("IF 1 THEN 1 ELSE 1 / 0") == 1.0


def test_time_and_test_inputs():
    r = run(
        aux("t", "TIME"),
        aux("s", "STEP(2, 3)"),
        aux("r", "RAMP(2, 3)"),
        aux("r_end", "RAMP(2, 3, 5)"),
        aux("p", "PULSE(4, 2)"),
        aux("every", "PULSE(4, 2, 3)"),
        stop=10,
        dt=0.5,
    )
    t = r["t"]
    np.testing.assert_array_equal(t, np.arange(0, 10.5, 0.5))
    np.testing.assert_array_equal(r["s"], np.where(t >= 3, 2.0, 0.0))
    np.testing.assert_array_equal(r["r"], 2 * np.clip(t - 3, 0, None))
    np.testing.assert_array_equal(r["r_end"], 2 * np.clip(np.minimum(t, 5) - 3, 0, None))
    np.testing.assert_array_equal(r["p"], np.where(t == 2, 4 / 0.5, 0.0))  # volume / DT, one DT wide
    np.testing.assert_array_equal(r["every"], np.where(np.isin(t, [2, 5, 8]), 8.0, 0.0))


def test_a_pulse_into_a_stock_delivers_its_volume():
    r = run(stock("tank", "0", inflows=("fill",)), flow("fill", "PULSE(5, 2)"), stop=6, dt=0.25)
    assert r["tank"][-1] == pytest.approx(5.0)


# -- builtins with memory: exact Euler recurrences ------------------------------------------------------
def _smooth(x, initial, time, dt, steps, order=1):
    """Euler steps of an order-n exponential smooth of a constant input x."""
    stages = [initial] * order
    out = [stages[-1]]
    for _ in range(steps):
        prev = [x, *stages[:-1]]
        stages = [s + dt * (p - s) / (time / order) for s, p in zip(stages, prev, strict=True)]
        out.append(stages[-1])
    return np.array(out)


@pytest.mark.parametrize(
    ("equation", "order", "initial"),
    [
        ("SMTH1(10, 4)", 1, 10.0),
        ("SMTH1(10, 4, 2)", 1, 2.0),
        ("SMTH3(10, 4, 2)", 3, 2.0),
        ("SMTHN(10, 4, 5, 2)", 5, 2.0),
        ("DELAY1(10, 4, 2)", 1, 2.0),  # a material delay's outflow follows the same recurrence
        ("DELAY3(10, 4, 2)", 3, 2.0),
        ("DELAYN(10, 4, 2, 2)", 2, 2.0),
    ],
)
def test_smooths_and_material_delays_follow_their_euler_recurrence(equation, order, initial):
    r = run(aux("x", equation), stop=12, dt=0.5)
    np.testing.assert_allclose(r["x"], _smooth(10.0, initial, 4.0, 0.5, 24, order), rtol=1e-12)


def test_a_material_delay_conserves_what_goes_through_it():
    r = run(
        stock("sent", "0", inflows=("send",)),
        flow("send", "PULSE(12, 1)"),
        stock("arrived", "0", inflows=("arrive",)),
        flow("arrive", "DELAY3(send, 3, 0)"),
        stop=60,
        dt=0.25,
    )
    assert r["sent"][-1] == pytest.approx(12.0)
    assert r["arrived"][-1] == pytest.approx(12.0, rel=1e-6)
    shipped = np.diff(r["arrived"]) / 0.25
    assert r.time[np.argmax(shipped)] < 4  # the bulk arrives around the delay time


def test_trend_of_exponential_growth_is_its_growth_rate():
    r = run(
        stock("sales", "100", inflows=("growth",)),
        flow("growth", "0.05 * sales"),
        aux("trend", "TREND(sales, 4, 0.05)"),
        aux("forecast", "FORCST(sales, 4, 10, 0.05)"),
        stop=20,
        dt=0.03125,
        method="RK4",
    )
    np.testing.assert_allclose(r["trend"], 0.05, rtol=1e-6)
    np.testing.assert_allclose(r["forecast"], r["sales"] * 1.5, rtol=1e-6)


def test_pipeline_delay_init_and_previous():
    r = run(
        aux("t", "TIME"),
        aux("late", "DELAY(TIME, 3)"),
        aux("late_from", "DELAY(TIME, 3, -1)"),
        aux("before", "PREVIOUS(TIME, -5)"),
        aux("before_self", "PREVIOUS(before, 0)"),
        aux("first", "INIT(TIME + 2)"),
        start=1,
        stop=8,
        dt=0.5,
    )
    t = r["t"]
    # before the delay has passed: the input at the start
    np.testing.assert_allclose(r["late"], np.where(t >= 4, t - 3, 1.0))
    np.testing.assert_allclose(r["late_from"], np.where(t >= 4, t - 3, -1.0))
    np.testing.assert_allclose(r["before"], np.where(t > 1, t - 0.5, -5.0))
    np.testing.assert_allclose(r["before_self"][1:], r["before"][:-1])
    np.testing.assert_allclose(r["first"], 3.0)


def test_pipeline_delay_of_a_stock_under_rk4():
    r = run(
        stock("level", "1", inflows=("rise",)),
        flow("rise", "1"),
        aux("echo", "DELAY(level, 2)"),
        stop=6,
        dt=0.25,
        method="RK4",
    )
    t = r.time
    np.testing.assert_allclose(r["echo"], np.where(t >= 2, t - 1, 1.0), atol=1e-12)


def test_previous_of_self_accumulates():
    r = run(aux("count", "PREVIOUS(SELF, 0) + 1"), stop=5)
    np.testing.assert_array_equal(r["count"], [1, 2, 3, 4, 5, 6])


def test_init_holds_the_starting_value_of_a_flow():
    r = run(stock("a", "10", inflows=("f",)), flow("f", "a"), aux("a0", "INIT(f)"), stop=4)
    np.testing.assert_array_equal(r["a"], 10 * 2.0 ** np.arange(5))
    np.testing.assert_array_equal(r["a0"], 10.0)


def test_active_initial_uses_its_initial_value_to_start_stocks():
    r = run(
        aux("v", "ACTIVE_INITIAL(TIME, 45)"), stock("s", "v", inflows=("f",)), flow("f", "1"), stop=3
    )
    np.testing.assert_array_equal(r["s"], [45, 46, 47, 48])
    np.testing.assert_array_equal(r["v"], [0, 1, 2, 3])


def test_smooth_orders_must_be_known_whole_numbers():
    with pytest.raises(ModelError, match="order of SMTHN must be a whole number"):
        model(aux("x", "SMTHN(1, 2, TIME)"))


# -- graphical functions ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("continuous", [0.0, 0.0, 0.5, 1.0, 0.5, 0.0, 0.0]),
        ("extrapolate", [-0.5, 0.0, 0.5, 1.0, 0.5, 0.0, -0.5]),
        ("discrete", [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]),
    ],
)
def test_graphical_function_kinds(kind, expected):
    points = gf([0, 1, 0], xpts=[0, 2, 4], kind=kind)
    r = run(aux("x", "TIME - 1"), aux("y", "x", gf=points), stop=6)
    np.testing.assert_allclose(r["y"], expected)


def test_xscale_spreads_points_evenly_and_named_functions_are_called():
    table = '<gf name="shape"><xscale min="0" max="10"/><ypts>0;5;20</ypts></gf>'.replace(
        "<ypts>", '<ypts sep=";">'
    )
    r = run(table, aux("y", "shape(TIME)"), aux("z", "shape(2.5) + 1"), stop=10, dt=2.5)
    np.testing.assert_allclose(r["y"], [0, 2.5, 5, 12.5, 20])
    np.testing.assert_allclose(r["z"], 3.5)


def test_a_graphical_function_is_not_a_value():
    table = '<gf name="shape"><xpts>0,1</xpts><ypts>0,1</ypts></gf>'
    with pytest.raises(ModelError, match="'shape' is a graphical function; call it"):
        model(table, aux("y", "shape * 2"))


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("<xpts>0,1</xpts><ypts>0,1,2</ypts>", "they must pair up"),
        ("<xpts>0,2,1</xpts><ypts>0,1,2</ypts>", "increasing order"),
        ("<ypts>0,1</ypts>", "needs <xpts> or <xscale"),
        ("<xpts>0,1</xpts><ypts>0,x</ypts>", "'x' is not a number"),
    ],
)
def test_broken_graphical_functions_are_named(points, message):
    with pytest.raises(ModelError, match=message) as err:
        model(aux("y", "TIME", gf=f"<gf>{points}</gf>"))
    assert ":1" not in str(err.value).split(":")[0]
    assert "graphical function of 'y'" in str(err.value)


# -- non-negative stocks and flows --------------------------------------------------------------------------
def test_non_negative_flow_is_clipped_and_stock_stops_at_zero():
    r = run(
        stock("tank", "2.5", outflows=("drain",), non_negative=True),
        flow("drain", "1"),
        stock("plain", "2.5", outflows=("drain",)),
        flow("uniflow", "TIME - 3", non_negative=True),
        stop=5,
    )
    np.testing.assert_allclose(r["tank"], [2.5, 1.5, 0.5, 0.0, 0.0, 0.0])  # never below zero
    np.testing.assert_allclose(r["plain"], [2.5, 1.5, 0.5, -0.5, -1.5, -2.5])
    np.testing.assert_allclose(r["uniflow"], [0, 0, 0, 0, 1, 2])
    np.testing.assert_allclose(r["drain"], 1.0)  # the flow reports its own value


def test_behavior_makes_every_stock_non_negative_unless_it_says_false():
    from xmile_models import document

    from gmsim.xmile import load_xmile_text

    text = document(
        stock("a", "1", outflows=("out",)),
        stock("b", "1", outflows=("out",), non_negative=False),
        flow("out", "1"),
        stop=3,
    ).replace("<model>", "<behavior><stock><non_negative/></stock></behavior><model>")
    import gmsim

    r = gmsim.simulate(load_xmile_text(text))
    np.testing.assert_allclose(r["a"], [1, 0, 0, 0])
    np.testing.assert_allclose(r["b"], [1, 0, -1, -2])


# -- arrays ------------------------------------------------------------------------------------------------
DIMS = {"region": ("north", "south", "east"), "product": ("tea", "cup")}


def test_apply_to_all_and_element_equations():
    r = run(
        aux("price", "1, 2, 3", dims=("region",)),
        aux("demand", "10 * price", dims=("region",)),
        aux("offset", "price[region] + price[east] + region.south", dims=("region",)),
        '<aux name="special"><dimensions><dim name="region"/></dimensions>'
        '<element subscript="north"><eqn>7</eqn></element><element subscript="south"><eqn>8</eqn></element>'
        '<element subscript="east"><eqn>TIME</eqn></element></aux>',
        stop=1,
        dimensions=DIMS,
    )
    assert [r[f"demand[{e}]"][0] for e in DIMS["region"]] == [10, 20, 30]
    assert [r[f"offset[{e}]"][0] for e in DIMS["region"]] == [1 + 3 + 2, 2 + 3 + 2, 3 + 3 + 2]
    np.testing.assert_array_equal(r["special[east]"], [0, 1])
    assert r["special[north]"][0] == 7


def test_two_dimensions_lists_and_reductions():
    r = run(
        aux("sales", "1, 2; 3, 4; 5, 6", dims=("region", "product")),
        aux("by_region", "SUM(sales[region, *])", dims=("region",)),
        aux("total", "SUM(sales)"),
        aux("mean", "MEAN(sales[*, cup])"),
        aux("low", "MIN(sales)"),
        aux("high", "MAX(sales[north, *], 1.5)"),
        aux("prod", "PROD(sales[1:2, tea])"),
        aux("size", "SIZE(sales)"),
        aux("spread", "STDDEV(sales[*, tea])"),
        aux("flipped", "sales[@2, @1]", dims=("product", "region")),
        stop=1,
        dimensions=DIMS,
    )
    assert [r[f"by_region[{e}]"][0] for e in DIMS["region"]] == [3, 7, 11]
    assert (r["total"][0], r["mean"][0], r["low"][0], r["high"][0]) == (21, 4, 1, 2)
    assert (r["prod"][0], r["size"][0]) == (3, 6)
    assert r["spread"][0] == pytest.approx(np.std([1, 3, 5]))
    assert r["flipped[cup,east]"][0] == 6


def test_arrayed_stocks_flows_and_a_subscript_computed_while_running():
    r = run(
        stock("stock", "0", inflows=("inflow",), dims=("region",)),
        flow("inflow", "rate", dims=("region",)),
        aux("rate", "0.5, 1, 2", dims=("region",)),
        aux("pick", "rate[1 + MOD(TIME, 3)]"),
        aux("outside", "rate[TIME + 10]"),
        stop=4,
        dimensions=DIMS,
    )
    np.testing.assert_allclose(r["stock[south]"], np.arange(5) * 1.0)
    np.testing.assert_allclose(r["pick"], [0.5, 1, 2, 0.5, 1])
    np.testing.assert_allclose(r["outside"], 0.0)  # out of range gives 0 (3.7.1)


def test_a_subrange_picks_its_elements_of_the_full_dimension():
    dims = {"region": ("north", "south", "east"), "coast": ("north", "east")}
    r = run(
        aux("price", "1, 2, 3", dims=("region",)),
        aux("coastal", "price[coast] * 10", dims=("coast",)),
        aux("implicit", "price", dims=("coast",)),
        aux("coast_total", "SUM(price[coast])"),
        aux("total", "SUM(price)"),
        stop=1,
        dimensions=dims,
    )
    assert (r["coastal[north]"][0], r["coastal[east]"][0]) == (10, 30)
    assert (r["implicit[north]"][0], r["implicit[east]"][0]) == (1, 3)
    assert (r["coast_total"][0], r["total"][0]) == (4, 6)


@pytest.mark.parametrize(
    ("equation", "message"),
    [
        ("rate[north, tea]", "has 1 dimension(s) (region) but 2 subscript(s)"),
        ("rate[west]", "unknown name 'west'"),
        ("rate[4]", "subscript 4 is outside 1..3"),
        ("rate", "array slice of 3 values stands where one value is needed"),
        ("SUM(TIME[1])", "'TIME' is not an array"),
    ],
)
def test_array_mistakes_are_explained(equation, message):
    with pytest.raises(ModelError) as err:
        model(aux("rate", "1, 2, 3", dims=("region",)), aux("x", equation), dimensions=DIMS)
    assert message in str(err.value)
    assert "variable 'x'" in str(err.value)


# -- macros ----------------------------------------------------------------------------------------------
MACROS = """
<macro name="LOG2"><parm>x</parm><parm default="2">base</parm><eqn>LN(x) / LN(base)</eqn></macro>
<macro name="SMOOTH1">
  <parm>input</parm><parm>averaging_time</parm><parm default="input">initial</parm>
  <eqn>Smooth_of_Input</eqn>
  <variables>
    <stock name="Smooth_of_Input"><eqn>initial</eqn><inflow>change_in_smooth</inflow></stock>
    <flow name="change_in_smooth"><eqn>(input - Smooth_of_Input) / averaging_time</eqn></flow>
  </variables>
</macro>
<macro name="FACT"><parm>x</parm><eqn>IF x &lt;= 1 THEN 1 ELSE x * FACT(x - 1)</eqn></macro>
"""


def test_expression_macros_with_default_parameters():
    r = run(aux("a", "LOG2(8)"), aux("b", "LOG2(100, 10)"), stop=1, extra=MACROS)
    assert (r["a"][0], r["b"][0]) == pytest.approx((3.0, 2.0))


def test_a_macro_with_a_stock_matches_the_builtin_and_has_one_stock_per_use():
    r = run(
        aux("x", "10 * STEP(1, 2)"),
        aux("mine", "SMOOTH1(x, 3)"),
        aux("again", "SMOOTH1(x, 1.5, 4)"),
        aux("builtin", "SMTH1(x, 3)"),
        aux("builtin_again", "SMTH1(x, 1.5, 4)"),
        stop=10,
        dt=0.25,
        extra=MACROS,
    )
    np.testing.assert_allclose(r["mine"], r["builtin"], rtol=1e-14)
    np.testing.assert_allclose(r["again"], r["builtin_again"], rtol=1e-14)


def test_recursive_macros_are_refused_by_name():
    with pytest.raises(ModelError, match="macro FACT calls itself"):
        model(aux("x", "FACT(4)"), extra=MACROS)


def test_unknown_functions_and_names_are_errors_with_suggestions():
    with pytest.raises(ModelError) as err:
        model(aux("x", "SMTH(1, 2)"))
    assert "unknown function 'SMTH'" in str(err.value)
    assert "did you mean" in str(err.value)
    with pytest.raises(ModelError) as err:
        model(aux("room temperature", "70"), aux("x", "room_temprature + 1"))
    assert "unknown name 'room_temprature' (did you mean 'room temperature'?)" in str(err.value)
    assert "equation: 'room_temprature + 1'" in str(err.value)


def test_wrong_argument_counts_are_named():
    with pytest.raises(ModelError, match="SMTH1 takes 2 to 3 argument"):
        model(aux("x", "SMTH1(1)"))
    with pytest.raises(ModelError, match="ZIDZ takes 2 arguments"):
        model(aux("x", "ZIDZ(1, 2, 3)"))


def test_random_functions_are_refused_not_zeroed():
    with pytest.raises(ModelError, match="NORMAL draws random numbers"):
        model(aux("x", "NORMAL(0, 1)"))


def test_file_structure_problems_are_named():
    from xmile_models import document

    from gmsim.xmile import XmileWarning, load_xmile_text

    conveyor = stock("belt", "1").replace("</stock>", "<conveyor><len>2</len></conveyor></stock>")
    with pytest.raises(
        ModelError, match="stock 'belt' is a conveyor; conveyors and queues are not supported"
    ):
        model(conveyor)
    with pytest.raises(ModelError, match="<sim_specs> has no <stop>"):
        load_xmile_text(document(aux("x", "1")).replace("<stop>10</stop>", ""))
    with pytest.raises(ModelError, match="integration method 'Gear' is not supported"):
        model(aux("x", "1"), method="Gear")
    with pytest.warns(XmileWarning, match="method RK2 runs as RK4"):
        assert model(aux("x", "1"), method="RK2").simulation.method == "rk4"
    with pytest.raises(ModelError, match=r"'X' is defined twice \(also on line 6\)"):
        model(aux("x", "1"), aux("X", "2"))
    with pytest.raises(
        ModelError, match="uses the dimension 'nowhere', which <dimensions> does not define"
    ):
        model(aux("x", "1", dims=("nowhere",)))


def test_simultaneous_equations_are_refused():
    with pytest.raises(ModelError, match="circular equations: a -> b -> a"):
        model(aux("a", "b + 1"), aux("b", "a * 2"))


_MODULES = (
    "names",
    "expr",
    "reader",
    "builtins",
    "arrays",
    "flatten",
    "compiler",
    "graph",
    "system",
    "model",
)


@pytest.mark.parametrize(
    "module", ["gmsim.xmile", *(f"gmsim.xmile.{m}" for m in (*_MODULES, "examples", "conformance"))]
)
def test_the_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
