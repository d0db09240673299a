"""Input that nests deep or runs long: it works, or gets one message and exit code 2, in seconds.

Nothing a file holds may drive Python past its stack. Long flat input (a sum of
thousands of terms, a chain of thousands of composites) works and gives the
right numbers; what really nests (parentheses, IF, signs, TOML brackets,
includes, modules) is refused past a limit of :mod:`gmsim.limits`, whose name
the message gives.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from small_model import SMALL_MODEL as BASE_MODEL
from xmile_models import aux, document, flow, stock, value

import gmsim
import gmsim.xmile.graph as graph
from gmsim.cli import main
from gmsim.errors import DataError, GmsimError
from gmsim.xmile.compiler import Compiler
from gmsim.xmile.expr import Binary, Chain, Num, Unary, parse
from gmsim.xmile.flat import Ref
from gmsim.xmile.graph import polarity, value_sign
from gmsim.xmile.model import XmileWarning

SECONDS = 30.0
"""Each command's bound; a quiet machine needs a few seconds at most."""

SMALL_MODEL = BASE_MODEL.replace("stop = 12", "stop = 2").replace("delay = 2\n", "")


def gmsim_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``gmsim args``; return the exit code, stdout and stderr, checking the time it took."""
    start = time.perf_counter()
    code = main(list(args))
    took = time.perf_counter() - start
    out, err = capsys.readouterr()
    assert took < SECONDS, f"gmsim {' '.join(args[:1])} took {took:.0f} s"
    assert "Traceback" not in out + err
    return code, out, err


def refused(capsys, *args: str) -> str:
    """``gmsim args`` exits 2 with one error line; return it."""
    code, _, err = gmsim_cli(capsys, *args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("gmsim: error: "), err
    return lines[0]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def xmile(tmp_path: Path, equation: str, *others: str, **options) -> str:
    return write(tmp_path / "m.xmile", document(aux("x", equation), *others, **options))


# -- long flat equations work -------------------------------------------------------------------
def test_a_sum_of_2000_constants_runs_and_gives_their_sum(tmp_path, capsys):
    terms = [aux(f"c{i}", str(i)) for i in range(1, 2001)]
    path = xmile(tmp_path, "+".join(f"c{i}" for i in range(1, 2001)), *terms, stop=1)
    code, out, _ = gmsim_cli(capsys, "validate", path)
    assert code == 0 and "2001 variables, 2000 causal links" in out
    code, _, _ = gmsim_cli(capsys, "run", path, "--out", str(tmp_path / "out"))
    assert code == 0
    frame = pd.read_csv(tmp_path / "out" / "trajectories.csv")
    assert (frame["x"] == 2000 * 2001 / 2).all()


def test_a_sum_of_10000_variables_validates(tmp_path, capsys):
    terms = [aux(f"c{i}", "1") for i in range(10_000)]
    path = xmile(tmp_path, "+".join(f"c{i}" for i in range(10_000)), *terms)
    code, out, _ = gmsim_cli(capsys, "validate", path)
    assert code == 0 and "10001 variables, 10000 causal links" in out


def test_long_flat_chains_compute_left_to_right():
    assert value("+".join(["1"] * 10_000)) == 10_000
    assert value("1000" + "-1" * 999) == 1
    assert value(" AND ".join(["1"] * 10_000)) == 1
    assert value(" OR ".join(["0"] * 9_999 + ["2"])) == 1
    factors = [1.0 + (k % 5) / 10 for k in range(3000)]
    expected = factors[0]
    for f in factors[1:]:
        expected = expected * f / 1.2
    assert value("*".join(f"{f!r}/1.2" for f in factors).replace("/1.2", "", 1)) == expected
    total = 0.0
    for _ in range(5000):
        total += 0.1
    assert value("+".join(["y"] * 5000), aux("y", "0.1")) == total  # the order of a loop


def test_a_sum_of_terms_with_time_runs_in_one_loop(tmp_path, capsys):
    path = xmile(tmp_path, "+".join(["TIME"] * 5000), stop=2, dt=1)
    code, _, _ = gmsim_cli(capsys, "run", path, "--out", str(tmp_path / "out"))
    assert code == 0
    frame = pd.read_csv(tmp_path / "out" / "trajectories.csv")
    assert list(frame["x"]) == [0.0, 5000.0, 10000.0]


def test_a_long_flat_sum_parses_into_one_node():
    tree = parse("+".join(f"v{i}" for i in range(10_000)))
    assert isinstance(tree, Chain) and len(tree.args) == 10_000 and set(tree.ops) == {"+"}
    assert parse("a - b + c") == Chain(("-", "+"), (parse("a"), parse("b"), parse("c")))
    assert isinstance(parse("a + b"), Binary)  # two operands stay a Binary


# -- what truly nests is refused with the limit's name ------------------------------------------
@pytest.mark.parametrize(
    "equation",
    [
        pytest.param("(" * 600 + "1" + ")" * 600, id="600 parentheses"),
        pytest.param("IF 1 THEN " * 2000 + "1" + " ELSE 0" * 2000, id="2000 nested IFs"),
        pytest.param("IF TIME < 0 THEN 1 ELSE " * 2000 + "2", id="2000 else-ifs"),
        pytest.param("-" * 10_000 + "1", id="10^4 unary minus"),
        pytest.param("NOT " * 3000 + "1", id="3000 NOTs"),
        pytest.param("^".join(["1"] * 10_000), id="10^4 powers"),
        pytest.param("MAX(" * 600 + "1" + ",1)" * 600, id="600 nested calls"),
    ],
)
def test_deeply_nested_equations_are_refused_naming_the_limit(tmp_path, capsys, equation):
    path = xmile(tmp_path, equation)
    line = refused(capsys, "validate", path)
    assert f"{path}:" in line and "variable 'x'" in line and "(expression_depth)" in line
    assert "GMSIM_MAX_EXPRESSION_DEPTH" in line and "characters)'" in line  # equation cut short
    assert len(line) < 1000


def test_nesting_below_the_limit_works():
    assert value("(" * 150 + "2" + ")" * 150) == 2
    assert value("-" * 150 + "2") == 2
    assert value("IF 1 THEN " * 80 + "3" + " ELSE 0" * 80) == 3
    assert value("ABS(" * 80 + "-4" + ")" * 80) == 4


def test_the_limit_can_be_raised_and_a_recursion_error_is_still_one_message(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("GMSIM_MAX_EXPRESSION_DEPTH", "1000000")
    path = xmile(tmp_path, "(" * 3000 + "1" + ")" * 3000)
    line = refused(capsys, "validate", path)
    assert "RecursionError" in line and "smaller" in line


def test_a_memory_error_is_one_message(tmp_path, capsys, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("gmsim.cli.validate.load_model", exhausted)
    line = refused(capsys, "validate", xmile(tmp_path, "1"))
    assert "MemoryError" in line and "smaller" in line


# -- TOML nested deep, in every kind of file ----------------------------------------------------
DEEP = {
    "arrays": lambda d: "x = " + "[" * d + "]" * d,
    "inline tables": lambda d: "x = " + "{a = " * d + "1" + "}" * d,
    "a dotted key": lambda d: "x" + ".a" * d + " = 1",
}


@pytest.mark.parametrize("depth", [300, 5000])
@pytest.mark.parametrize("kind", list(DEEP))
def test_deeply_nested_toml_is_refused_in_every_kind_of_file(tmp_path, capsys, kind, depth):
    deep = DEEP[kind](depth)
    model = write(tmp_path / "model.toml", SMALL_MODEL + "\n[extra]\n" + deep + "\n")
    line = refused(capsys, "validate", model)
    assert line.startswith(f"gmsim: error: {model}:") and "(toml_depth)" in line
    scenario = write(tmp_path / "s.toml", '[scenario]\nname = "s"\n' + deep + "\n")
    line = refused(capsys, "run", "--scenario", scenario, "--stop", "1", "--out", str(tmp_path / "o"))
    assert scenario in line and "(toml_depth)" in line
    spec = write(tmp_path / "spec.toml", '[spec]\nname = "s"\n' + deep + "\n")
    line = refused(
        capsys, "uncertainty", "--spec", spec, "--runs", "2", "--stop", "1", "--out", str(tmp_path / "u")
    )
    assert spec in line and "(toml_depth)" in line
    assert not (tmp_path / "o").exists() and not (tmp_path / "u").exists()


def test_brackets_and_dots_in_strings_and_comments_do_not_count(tmp_path):
    text = "[" * 300 + "a." * 300 + "{" * 300
    model = SMALL_MODEL.replace(
        'name = "small"', f'name = "small"\ndescription = """{text}\n"""  # {text}'
    ).replace("tau = 1\n", f"tau = 1\nnote = '{text}'\n")
    assert gmsim.load_model(write(tmp_path / "m.toml", model)).description.startswith("[[[")


def test_toml_nested_within_the_limit_is_an_ordinary_mistake(tmp_path):
    brackets = "[" * 90 + "]" * 90
    text = SMALL_MODEL.replace("initial = 0.5", f"initial = {brackets}", 1)
    with pytest.raises(GmsimError, match="expected a number"):
        gmsim.load_model(write(tmp_path / "m.toml", text))


def test_a_deep_manifest_of_a_calibration_folder_is_one_message(tmp_path):
    from gmsim.report.evidence import read_calibration

    (tmp_path / "estimates.csv").write_text("parameter,estimate,low,high,start,pinned,note\n")
    (tmp_path / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match="nested too deeply"):
        read_calibration(tmp_path)


# -- chains of composites, includes, modules, delay stages, unclosed variables ------------------
def composite_chain(n: int, *, forward: bool) -> str:
    """``comp0`` made of ``comp1`` made of ... made of ``responsiveness`` (or the other way round)."""
    out = SMALL_MODEL
    for i in range(n):
        if forward:
            part = f"comp{i - 1}" if i else "responsiveness"
        else:
            part = f"comp{i + 1}" if i < n - 1 else "responsiveness"
        out += f'\n[factors.comp{i}]\ngroup = "outcome"\nkind = "composite"\nof = {{ {part} = 1 }}\n'
    return out


@pytest.mark.parametrize("forward", [True, False], ids=["defined after", "defined before"])
def test_a_chain_of_3000_composites_works(tmp_path, capsys, forward):
    path = write(tmp_path / "m.toml", composite_chain(3000, forward=forward))
    code, out, _ = gmsim_cli(capsys, "validate", path)
    assert code == 0 and "3004 factors" in out
    frame = gmsim.simulate(gmsim.load_model(path)).to_frame()
    assert (frame["comp0"] == frame["responsiveness"]).all()
    assert (frame["comp2999"] == frame["responsiveness"]).all()


def test_a_chain_of_1000_includes_is_refused_naming_the_limit(tmp_path, capsys):
    for i in range(1000):
        include = f'include = ["s{i + 1}.toml"]\n' if i < 999 else ""
        write(tmp_path / f"s{i}.toml", f'[scenario]\nname = "s{i}"\n{include}')
    line = refused(capsys, "run", "--scenario", str(tmp_path / "s0.toml"), "--out", str(tmp_path / "o"))
    assert "s100.toml" in line and "(include_depth)" in line


def test_a_chain_of_3000_modules_is_refused_naming_the_limit(tmp_path, capsys):
    n = 3000
    models = "".join(
        f'<model name="m{i}"><variables><aux name="a"><eqn>1</eqn></aux>'
        + (f'<module name="m{i + 1}"/>' if i < n - 1 else "")
        + "</variables></model>"
        for i in range(n)
    )
    text = document(aux("x", "1"), '<module name="m0"/>', extra=models)
    line = refused(capsys, "validate", write(tmp_path / "m.xmile", text))
    assert "module 'm100'" in line and "(module_depth)" in line


def test_modules_that_double_at_each_level_are_refused_naming_the_limit(tmp_path, capsys):
    def model(name: str, level: int) -> str:
        inner = f'<module name="m{level + 1}"/><module name="n{level + 1}"/>' if level < 29 else ""
        return f'<model name="{name}"><variables><aux name="a"><eqn>1</eqn></aux>{inner}</variables></model>'

    models = "".join(model(f"{c}{i}", i) for i in range(30) for c in "mn")
    text = document(aux("x", "1"), '<module name="m0"/>', extra=models)  # 2**30 instances
    line = refused(capsys, "validate", write(tmp_path / "m.xmile", text))
    assert "(module_instances)" in line


def test_variables_nested_5000_deep_in_unclosed_variables_are_read_as_siblings(tmp_path, capsys):
    n = 5000
    inner = "".join(f'<aux name="a{i}"><eqn>{i}</eqn>' for i in range(n)) + "</aux>" * n
    with pytest.warns(XmileWarning, match="read them as siblings; and 4989 more$"):
        code, out, _ = gmsim_cli(
            capsys, "validate", write(tmp_path / "m.xmile", document(aux("x", "1"), inner))
        )
    assert code == 0 and "5001 variables" in out


def test_loop_dominance_through_a_delay_of_1000_stages(tmp_path, capsys):
    text = SMALL_MODEL.replace("stop = 2\ndt = 0.25", "stop = 0.02\ndt = 0.002")
    text += 'delay = 2\norder = 1000\n\n[[links]]\nfrom = "responsiveness"\nto = "staff_capability"\nweight = 0.3\n'
    path = write(tmp_path / "m.toml", text)
    code, _, _ = gmsim_cli(capsys, "loops", path, "--dominance", "--out", str(tmp_path / "o"))
    assert code == 0 and (tmp_path / "o" / "dominance.csv").is_file()


# -- a Chain means what the nested Binary nodes it stands for mean ------------------------------
def nested(node):
    """``node`` with every Chain written out as the left-nested Binary nodes it stands for."""
    match node:
        case Chain(ops=ops, args=args):
            out = nested(args[0])
            for op, x in zip(ops, args[1:], strict=True):
                out = Binary(op, out, nested(x))
            return out
        case Binary(op=op, left=a, right=b):
            return Binary(op, nested(a), nested(b))
        case Unary(op=op, operand=x):
            return Unary(op, nested(x))
    return node


LEAVES = st.one_of(
    st.sampled_from(["a", "b", "c"]).map(Ref),
    st.sampled_from([0.0, -0.0, 1.0, -2.5, 3.0, 1e300, 0.1]).map(Num),
)
OPS = st.sampled_from(["+", "-", "*", "/", "<", "=", "AND", "OR", "MOD"])


def trees(leaves):
    def grow(children):
        chain = st.lists(children, min_size=3, max_size=12).flatmap(
            lambda args: st.lists(OPS, min_size=len(args) - 1, max_size=len(args) - 1).map(
                lambda ops: Chain(tuple(ops), tuple(args))
            )
        )
        binary = st.tuples(OPS, children, children).map(lambda t: Binary(*t))
        return st.one_of(chain, binary, children.map(lambda x: Unary("-", x)))

    return st.recursive(leaves, grow, max_leaves=30)


def same(x, y) -> bool:
    return (x == y and math.copysign(1, x) == math.copysign(1, y)) or (x != x and y != y)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=trees(LEAVES),
    values=st.lists(st.sampled_from([0.0, 2.0, -3.0, 0.5, 1e-300]), min_size=3, max_size=3),
)
def test_a_chain_computes_and_signs_as_nested_binary_nodes(tree, values):
    compiler = Compiler({"a": 0, "b": 1, "c": 2}, dt=1.0, start=0.0, stop=1.0)
    with np.errstate(all="ignore"):
        f, g = compiler.compile(tree), compiler.compile(nested(tree))
        x = f if isinstance(f, float) else f(values, 0.0)
        y = g if isinstance(g, float) else g(values, 0.0)
    assert same(float(x), float(y))
    for cause in ("a", "b", "c"):
        assert polarity(tree, cause, {}) == polarity(nested(tree), cause, {})
    assert value_sign(tree, {"a": -1}) == value_sign(nested(tree), {"a": -1})


WRAPPED = st.tuples(
    st.lists(
        st.sampled_from(["a", "b", "k", "-k", "SMTH1(a, 2)", "a*b", "s", "MAX(a, k)", "TIME"]),
        min_size=3,
        max_size=6,
    ),
    st.lists(st.sampled_from(["+", "-"]), min_size=5, max_size=5),
    st.lists(
        st.sampled_from(["({}) / 3", "-({})", "2 * ({})", "({}) * -0.5", "({}) ^ 2", "0 * ({})"]),
        max_size=3,
    ),
)


@pytest.fixture(scope="module")
def sums_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sums") / "m.xmile"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=WRAPPED)
def test_a_sum_signed_term_by_term_gets_the_signs_of_the_whole_equation(parts, sums_file):
    terms, ops, wrappers = parts
    equation = terms[0] + "".join(f" {op} {t}" for op, t in zip(ops, terms[1:], strict=False))
    for wrapper in wrappers:
        equation = wrapper.format(equation)
    others = (aux("a", "0.5"), aux("b", "TIME"), aux("k", "-2"))
    text = document(aux("x", equation), *others, stock("s", "1", inflows=("r",)), flow("r", "x"))
    by_terms = gmsim.load_model(write(sums_file, text)).compile().graph
    split = graph._sum_signs
    try:
        graph._sum_signs = lambda *args: None  # every cause read through the whole equation
        reference = gmsim.load_model(write(sums_file, text)).compile().graph
    finally:
        graph._sum_signs = split
    assert sorted(by_terms.edges(data="sign")) == sorted(reference.edges(data="sign"))
