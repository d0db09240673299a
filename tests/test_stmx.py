"""Stella-native files (.stmx, .itmx, older XMILE dialects): our own cases, checked against
outputs computed independently (closed forms, hand-written Euler loops, PySD where it runs them),
and every shared or own model file ending in a result or a GmsimError, never a Python exception.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shared_material import find
from xmile_models import aux, document, load_xmile_text

import gmsim
from gmsim.errors import GmsimError, ModelError
from gmsim.xmile.expansion import MACRO_DEPTH, MACRO_SIZE

CASES = Path(__file__).parent / "stmx"


def frame(name: str):
    return gmsim.simulate(gmsim.load_model(CASES / name)).to_frame()


@pytest.mark.parametrize("name", ["stella10_population.stmx", "older_dialect.itmx"])
def test_a_stella_10_population_grows_as_euler_says(name):
    f = frame(name)  # dP/dt = P (0.1 - 1/20), dt = 1/4 (given as a reciprocal), non-negative flows
    t = f.index.to_numpy()
    np.testing.assert_allclose(f["Population"], 100 * (1 + 0.05 * 0.25) ** (t / 0.25), rtol=1e-12)
    np.testing.assert_allclose(f["deaths"], f["Population"] / 20, rtol=1e-12)


@pytest.mark.filterwarnings("ignore")  # PySD's own deprecation warnings
def test_the_stella_population_agrees_with_pysd(tmp_path):
    pysd = pytest.importorskip("pysd")
    ours = frame("stella10_population.stmx")
    copy = tmp_path / "stella10_population.stmx"  # PySD writes its translation beside the file
    copy.write_text((CASES / "stella10_population.stmx").read_text())
    theirs = pysd.read_xmile(str(copy)).run()
    np.testing.assert_allclose(
        ours["Population"].to_numpy(), theirs["Population"].to_numpy(), rtol=1e-10
    )


def test_lookup_and_not():
    f = frame("lookup_not.stmx")
    t = f.index.to_numpy()
    effect = np.minimum(2 * t, 8)  # the table rises 0..8 over 0..4 and holds at its end
    np.testing.assert_allclose(f["effect"], effect)
    np.testing.assert_allclose(f["capped"], np.minimum(effect, 4))
    np.testing.assert_allclose(f["off_after_four"], (t <= 4).astype(float))
    np.testing.assert_allclose(f["negated"], (t > 4).astype(float))
    adding = effect * (t <= 4) + 2  # LOOKUP(capped, 2) = 2
    np.testing.assert_allclose(f["total"], np.concatenate([[0], np.cumsum(adding)[:-1]]))


def test_lookup_of_something_that_is_no_table_names_the_variable():
    text = document(aux("x", "LOOKUP(y, TIME)"), aux("y", "2"))
    with pytest.raises(
        ModelError, match=r"variable 'x'.*LOOKUP's first argument.*equation: 'LOOKUP\(y, TIME\)'"
    ):
        load_xmile_text(text)


def test_macros_nest_and_keep_their_own_stocks():
    f = frame("macros.stmx")
    assert (f["doubled"] == 6).all() and (f["quadrupled"] == 3 * 4 + 2).all()
    level, dt, expected = 0.0, 0.5, []
    for k in range(len(f)):
        expected.append(level)
        level += dt * (3 * k * dt - level) / 2
    np.testing.assert_allclose(f["smoothed"], expected, rtol=1e-12)


def _macro_file(macros: str, equation: str) -> str:
    return document(aux("x", equation), extra=macros)


def test_macros_nested_too_deep_are_refused_with_the_chain():
    macros = "".join(
        f'<macro name="M{k}"><parm>a</parm><eqn>M{k + 1}(a)</eqn></macro>'
        for k in range(MACRO_DEPTH + 2)
    )
    macros += f'<macro name="M{MACRO_DEPTH + 2}"><parm>a</parm><eqn>a</eqn></macro>'
    with pytest.raises(ModelError, match=rf"variable 'x'.*nest more than {MACRO_DEPTH} deep \(M0 -> M1"):
        load_xmile_text(_macro_file(macros, "M0(1)"))


def test_macros_that_expand_beyond_the_size_bound_are_refused():
    # each level calls the next twice: 2^20 expansions from a file of a few lines
    macros = "".join(
        f'<macro name="W{k}"><parm>a</parm><eqn>W{k + 1}(a) + W{k + 1}(a)</eqn></macro>'
        for k in range(14)
    )
    macros += '<macro name="W14"><parm>a</parm><eqn>a</eqn></macro>'
    with pytest.raises(
        ModelError,
        match=rf"variable 'x' \(in macro W\d+\): .*more than {MACRO_SIZE:,} variables.*equation: 'W",
    ):
        load_xmile_text(_macro_file(macros, "W0(1)"))


def test_a_recursive_macro_is_refused():
    macros = '<macro name="R"><parm>a</parm><eqn>R(a)</eqn></macro>'
    with pytest.raises(ModelError, match="calls itself"):
        load_xmile_text(_macro_file(macros, "R(1)"))


def test_modules_connect_across_modules():
    f = frame("modules.stmx")
    dt, backlog, inventory = 0.25, 0.0, 20.0
    rows = []
    for _ in range(len(f)):
        orders = max(0.0, (100 - inventory) / 4)
        shipments = backlog / 2
        rows.append((backlog, inventory, orders, shipments))
        backlog, inventory = backlog + dt * (orders - shipments), inventory + dt * shipments
    rows = np.array(rows)
    np.testing.assert_allclose(f["factory.backlog"], rows[:, 0], rtol=1e-12)
    np.testing.assert_allclose(f["shop.inventory"], rows[:, 1], rtol=1e-12)
    np.testing.assert_allclose(f["shop.orders_placed"], rows[:, 2], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(f["shop.deliveries"], rows[:, 3], rtol=1e-12)
    loops = gmsim.find_loops(gmsim.load_model(CASES / "modules.stmx"))
    assert [lp.polarity for lp in loops] == ["B"]  # more inventory, fewer orders


def _model_files():
    own = sorted(CASES.glob("*.*mx"))
    root = find("sd-test-models")
    shared = sorted(root.rglob("*.xmile")) + sorted(root.rglob("*.stmx")) if root else []
    return own + shared


@pytest.mark.filterwarnings("ignore::gmsim.xmile.model.XmileWarning")  # lenient reads warn
@pytest.mark.parametrize("path", _model_files(), ids=lambda p: p.name)
def test_no_model_file_ends_in_a_python_exception(path):
    try:
        model = gmsim.load_model(path)
        gmsim.simulate(model)
        gmsim.find_loops(model.compile(), max_loops=2000)
    except GmsimError:
        pass
