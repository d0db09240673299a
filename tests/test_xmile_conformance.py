"""The SD community's XMILE test suite: every model run and compared with its expected output.

The suite (``shared/sd-test-models``, or ``$GMSIM_SD_TEST_MODELS``) holds 67
``.xmile`` files with reference outputs. The pass rule is the suite's own:
``|a - b| <= 1e-3 * |b| + 1e-5`` on every shared column and time, names
compared case-insensitively with ``_`` read as a space, times matched to the
nearest saved step. Files broken in themselves must fail with a
:class:`~gmsim.errors.ModelError` naming the file, the variable and the
equation; each expected failure below says why.
"""

from __future__ import annotations

import re
import warnings

import pytest
from shared_material import require

import gmsim
from gmsim.errors import ModelError
from gmsim.xmile import XmileWarning, load_xmile, load_xmile_text
from gmsim.xmile.conformance import check, locate_suite, reference_of

SUITE = locate_suite(__file__)
FILES = sorted(p.relative_to(SUITE).as_posix() for p in SUITE.rglob("*.xmile")) if SUITE else []

# file -> (variable named in the error, text of its equation): broken in themselves (suite README)
BROKEN = {
    "tests/subscript_1d_arrays/test_subscript_1d_arrays.xmile": ("Rate A[Entry 1]", "???"),
    "tests/subscript_constant_call/test_subscript_constant_call.xmile": (
        "Subscripted Constant[A]",
        "???",
    ),
    "tests/subscript_mixed_assembly/test_subscript_mixed_assembly.xmile": ("mixed assembly[A,E]", "???"),
    "tests/subscript_multiples/test_multiple_subscripts.xmile": ("Rate A[Entry 1]", "???"),
    "tests/subscript_subranges/test_subscript_subrange.xmile": ("Rate A[Entry 1]", "???"),
    "tests/subscript_subranges_equal/test_subscript_subrange_equal.xmile": ("Rate A[Entry 1]", "???"),
    "tests/subscript_updimensioning/test_subscript_updimensioning.xmile": ("One Dim[A]", "???"),
    "tests/subscripted_flows/test_subscripted_flows.xmile": ("Rate B[Entry 1]", "???"),
    "tests/macro_expression/test_macro_expression.xmile": (
        "macro output",
        "EXPRESSION MACRO(macro_input",
    ),
    "tests/macro_multi_expression/test_macro_multi_expression.xmile": (
        "macro output",
        "EXPRESSION MACRO(",
    ),
    "tests/macro_multi_macros/test_macro_multi_macros.xmile": ("second macro output", "SECOND MACRO("),
    "tests/macro_stock/test_macro_stock.xmile": ("macro output", "EXPRESSION MACRO(macro_input"),
}
REASONS = {
    "???": "an array equation is '???', left where the converter could not translate the original",
    "MACRO": "calls a macro the file never defines",
}
# runs, but the expected output says something the file does not
WRONG_REFERENCE = {
    "tests/active_initial/test_active_initial.xmile": (
        "the reference starts 'Stock A' at 45 from Vensim's ACTIVE INITIAL(Time, 45), which the "
        "conversion dropped: the file's 'Value A' is just Time, so the stock starts at 0"
    ),
}
# files with a tag left open: read as lenient XML readers do, with an XmileWarning saying so
MENDED = {
    "tests/non_negative_flows/test_non_negative_flows.xmile",
    "tests/non_negative_flows/test_non_negative_flows_behavior.xmile",
}


def _case(name: str):
    if name in BROKEN:
        reason = REASONS["???" if BROKEN[name][1] == "???" else "MACRO"]
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, raises=ModelError, reason=reason))
    if name in WRONG_REFERENCE:
        return pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=WRONG_REFERENCE[name]),
        )
    return name


@pytest.mark.parametrize("name", [_case(f) for f in FILES])
def test_model_matches_its_expected_output(name):
    path = require(SUITE, "shared/sd-test-models") / name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load_xmile(path)
        result = gmsim.simulate(model)
    mended = [str(w.message) for w in caught if issubclass(w.category, XmileWarning)]
    assert bool(mended) == (name in MENDED), mended
    comparison = check(result.time, {v: result[v] for v in result.variables}, reference_of(path))
    assert comparison.passed, comparison.summary()


def test_the_suite_is_complete():
    require(SUITE, "shared/sd-test-models (or $GMSIM_SD_TEST_MODELS)")
    assert len(FILES) == 67
    assert set(BROKEN) | set(WRONG_REFERENCE) | MENDED <= set(FILES)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_name_the_file_the_variable_and_the_equation(name):
    variable, equation = BROKEN[name]
    with pytest.raises(ModelError) as err:
        load_xmile(require(SUITE, "shared/sd-test-models") / name)
    message = str(err.value)
    assert message.startswith(str(SUITE / name) + ":")
    assert re.search(r"\.xmile:\d+: ", message)
    assert f"variable '{variable}'" in message
    assert f"equation: '{equation}" in message
    assert "\n" not in message


def test_a_placeholder_equation_fails_once_its_module_input_is_unconnected():
    name = "samples/bpowers-hares_and_lynxes_modules/model.xmile"
    text = (require(SUITE, "shared/sd-test-models") / name).read_text()
    connected = load_xmile_text(text, name).variable("hares.area")
    assert connected.source == "area"  # the input is an alias of the outer variable
    cut = text.replace('<connect to="area" from=".area"></connect>', "")
    assert cut != text
    with pytest.raises(ModelError) as err:
        load_xmile_text(cut, name)
    message = str(err.value)
    assert "variable 'hares.area'" in message
    assert "only a comment" in message
    assert "equation: '{Enter equation for use when not hooked up to other models}'" in message
