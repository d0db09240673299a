"""Random input for every loader: it loads, or it raises a GmsimError (never another exception).

The TOML documents are built from the keys each file format knows (and a few it
does not), with values of every TOML type in plausible and implausible sizes,
written out as TOML and then sometimes mangled character by character. The
XMILE equations come from a small grammar of the language and from random
characters. Each loaded model, scenario and spec is also put to use (compiled,
applied to the default model, resolved against it), as a command would.
"""

from __future__ import annotations

import atexit
import copy
import functools
import math
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from xmile_models import aux, document, flow, stock

import gmsim
from gmsim.errors import GmsimError
from gmsim.factor import file as model_file
from gmsim.factor.checks import CHECK_KEYS
from gmsim.scenario import file as scenario_file
from gmsim.uncertainty import spec as spec_file
from gmsim.xmile import XmileWarning, load_xmile_text
from gmsim.xmile.expr import parse, walk

FUZZ = settings(
    max_examples=150,
    deadline=10_000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""Small enough that the file runs in well under a minute on a busy machine."""

FOLDER = Path(tempfile.mkdtemp(prefix="gmsim-fuzz-"))
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)

FACTORS = ("funding", "training", "staff_capability", "effectiveness", "a", "b", "x")
"""Ids the documents use: real ones of the default model, and others."""


# -- TOML values and documents ------------------------------------------------------------------
class Raw(str):
    """TOML written as it is (dates and times, which Python values would not round-trip)."""


SCALARS = st.one_of(
    st.integers(min_value=-5, max_value=50),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 1e-300, 1e300, 0.25, -1.0, 12.0, 0.001]),
    st.booleans(),
    st.sampled_from(FACTORS),
    st.sampled_from(
        ["uniform", "normal", "triangular", "set", "pulse", "step", "rk4", "euler", "rises"]
    ),
    st.text(max_size=12),
    st.sampled_from(["1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "1979-05-27T00:32:00.999"]).map(
        Raw
    ),
)


def values(depth: int = 2):
    if depth == 0:
        return SCALARS
    inner = values(depth - 1)
    return st.one_of(
        SCALARS,
        SCALARS,
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from([*FACTORS, "value", "weight"]), inner, max_size=3),
    )


VALUES = values()


MODEL = {
    "model": {"name": "fuzz", "time_unit": "month"},
    "simulation": {"stop": 4, "dt": 0.5, "method": "rk4"},
    "dynamics": {"steepness": 4, "equilibrium": False},
    "factors": {
        "training": {"group": "internal_enabler", "kind": "exogenous", "initial": 0.5},
        "funding": {"group": "internal_enabler", "initial": 0.4, "decide_every": 2},
        "staff_capability": {"group": "process", "initial": 0.4, "tau": 4, "reference": 0.3},
        "followers": {"group": "outcome", "kind": "stock", "initial": 0.1},
        "effectiveness": {
            "group": "outcome",
            "kind": "composite",
            "of": {"staff_capability": 1, "followers": 2},
        },
    },
    "links": [
        {"from": "training", "to": "staff_capability", "weight": 0.6, "delay": 1, "order": 2},
        {"from": "staff_capability", "to": "funding", "weight": 0.5, "moderated_by": {"training": -0.5}},
        {"from": "funding", "to": "staff_capability", "weight": 0.9, "kind": "necessary"},
    ],
    "flows": [
        {
            "name": "adoption",
            "into": "followers",
            "rate": 0.2,
            "times": ["staff_capability"],
            "gap": ["followers"],
        },
        {"name": "leaving", "from": "followers", "rate": 0.1, "times": ["followers"]},
    ],
    "checks": [
        {"name": "grows", "variable": "followers", "expect": "higher", "against": "start", "at": 4},
    ],
}
"""A valid model touching every part of the format; the documents are mutations of it."""

SCENARIO = {
    "scenario": {"name": "fuzz", "description": "d"},
    "interventions": [
        {"kind": "set", "target": "funding", "value": 0.8},
        {"kind": "pulse", "target": "emergency", "at": 2, "duration": 1, "value": 1.0},
        {"kind": "table", "target": "training", "times": [0, 6], "values": [0.2, 0.8]},
        {"kind": "event", "target": "public_trust", "at": 3, "multiply": 0.5},
    ],
    "links": [
        {"from": "training", "to": "funding", "weight": 0.3, "add": True},
        {"from": "funding", "to": "staff_capacity", "weight": 0.1, "start": 1},
    ],
    "factors": {"funding": {"tau": 3}},
}

SPEC = {
    "spec": {"name": "fuzz", "seed": 1, "runs": 8, "metrics": ["effectiveness"]},
    "uncertain": [
        {"every": "weight", "distribution": "uniform", "relative": 0.2},
        {
            "parameter": "tau:staff_capacity",
            "distribution": "triangular",
            "low": 1,
            "mode": 2,
            "high": 4,
        },
        {"every": "initial", "distribution": "normal", "sd": 0.05},
    ],
}

PLAUSIBLE = st.one_of(
    st.sampled_from([0, 1, 2, -1, 0.0, -0.0, 0.5, 1.5, -0.5, 1e-9, 1e9, 1e300, 36, 10**6, 2**63 - 1]),
    st.floats(min_value=-2, max_value=40),
    st.sampled_from([math.inf, -math.inf, math.nan]),
    st.sampled_from(FACTORS),
    st.sampled_from(["set", "step", "ramp", "pulse", "table", "clamp", "event", "necessary", "stock"]),
    st.sampled_from(
        ["composite", "exogenous", "uniform", "normal", "triangular", "weight", "tau", "initial"]
    ),
    st.sampled_from(
        ["weight:training->staff_capability", "tau:staff_capacity", "higher", "lower", "rk45", "euler"]
    ),
    st.lists(st.sampled_from([0, 1, 6, 0.5, -1, "funding"]), max_size=4),
    st.booleans(),
)

KEYS = {
    (): (model_file.TOP | scenario_file.TOP | spec_file.TOP),
    ("model",): model_file.MODEL,
    ("simulation",): model_file.SIMULATION,
    ("dynamics",): model_file.DYNAMICS,
    ("factors", "*"): model_file.FACTOR | scenario_file.FACTOR,
    ("links", "*"): model_file.LINK | scenario_file.LINK,
    ("flows", "*"): model_file.FLOW,
    ("checks", "*"): CHECK_KEYS,
    ("scenario",): scenario_file.SCENARIO,
    ("interventions", "*"): scenario_file.INTERVENTION,
    ("spec",): spec_file.SPEC,
    ("uncertain", "*"): spec_file.ENTRY,
}
"""The keys a table may hold, by where it is (``*``: any factor or item)."""


def _containers(data, path=()):
    """Every table and array of ``data`` with its path, the document itself first."""
    out = [(path, data)]
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for k, v in items:
        if isinstance(v, dict | list):
            out += _containers(v, (*path, k))
    return out


NUMBER = st.one_of(st.floats(min_value=-1, max_value=40), st.sampled_from([0, 1, 0.5, 1e9, math.inf]))
IDS = st.sampled_from(FACTORS)
BY_TYPE = {
    "number": NUMBER,
    "whole": st.integers(min_value=-2, max_value=60),
    "string": st.one_of(IDS, st.sampled_from(["set", "pulse", "stock", "uniform", "weight", "", "x y"])),
    "true": st.booleans(),
    "table": st.dictionaries(IDS, NUMBER, max_size=3),
    "array": st.lists(st.one_of(IDS, NUMBER), max_size=4),
    "list": st.lists(st.one_of(IDS, NUMBER), max_size=4),
}


def typed(keys, name: str):
    """A value of the type the format wants for ``name`` (often in range), or of any type."""
    wanted = keys.get(name, (None, "", False))[1].split(" ")[0]
    return st.one_of(BY_TYPE.get(wanted, PLAUSIBLE), BY_TYPE.get(wanted, PLAUSIBLE), PLAUSIBLE, VALUES)


@st.composite
def mutated(draw, base):
    """``base`` with a few keys set to other values, removed, or added (known keys and unknown ones)."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3, 5]))):
        path, box = draw(st.sampled_from(_containers(data)))
        if isinstance(box, list):
            if box and draw(st.booleans()):
                i = draw(st.integers(min_value=0, max_value=len(box) - 1))
                box.pop(i) if draw(st.booleans()) else box.__setitem__(i, draw(VALUES))
            else:
                box.append(copy.deepcopy(box[0]) if box and draw(st.booleans()) else draw(VALUES))
            continue
        where = tuple(
            "*" if isinstance(p, int) or (path[:1] == ("factors",) and len(path) == 2) else p
            for p in path
        )
        keys = KEYS.get(where, {})
        known = sorted(keys) or ["x"]
        name = draw(
            st.one_of(
                st.sampled_from(known),
                st.sampled_from(sorted(box) or known),
                st.sampled_from(["unknown", "", "a.b"]),
            )
        )
        if box and name in box and draw(st.integers(min_value=0, max_value=3)) == 0:
            del box[name]
        else:
            box[name] = draw(typed(keys, name))
    return data


def model_documents():
    return mutated(MODEL)


def scenario_documents():
    return mutated(SCENARIO)


def spec_documents():
    return mutated(SPEC)


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    return name if _BARE.fullmatch(name) else string(name)


def string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def inline(value) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    return "{" + ", ".join(f"{key(k)} = {inline(v)}" for k, v in value.items()) + "}"


def to_toml(data: dict) -> str:
    """``data`` as TOML: tables as [headers], lists of tables as [[headers]], the rest inline."""
    lines = [f"{key(k)} = {inline(v)}" for k, v in data.items() if not _sectioned(v)]
    for k, v in data.items():
        if isinstance(v, dict) and v:
            plain = {kk: vv for kk, vv in v.items() if not (isinstance(vv, dict) and vv)}
            lines.append(f"\n[{key(k)}]")
            lines += [f"{key(kk)} = {inline(vv)}" for kk, vv in plain.items()]
            for kk, vv in v.items():
                if isinstance(vv, dict) and vv:
                    lines.append(f"\n[{key(k)}.{key(kk)}]")
                    lines += [f"{key(a)} = {inline(b)}" for a, b in vv.items()]
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for item in v:
                lines.append(f"\n[[{key(k)}]]")
                lines += [f"{key(a)} = {inline(b)}" for a, b in item.items()]
    return "\n".join(lines) + "\n"


def _sectioned(v) -> bool:
    return (isinstance(v, dict) and bool(v)) or (
        isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)
    )


SNIPPETS = st.one_of(
    st.text(max_size=3),
    st.sampled_from(['"', "'", "[", "]", "{", "}", "=", "\n", "#", ".", ",", '"""', "[[", "\\", "\x00"]),
)


@st.composite
def toml_texts(draw, documents):
    """A document written as TOML, sometimes mangled: characters inserted, deleted or replaced."""
    text = to_toml(draw(documents))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        cut = draw(st.integers(min_value=0, max_value=3))
        text = text[:at] + draw(SNIPPETS) + text[at + cut :]
    return text


def write(name: str, text: str) -> Path:
    path = FOLDER / name
    path.write_text(text, encoding="utf-8")
    return path


def loads_or_refuses(use) -> None:
    """``use()`` returns, or raises a GmsimError; a warning other than XmileWarning fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", XmileWarning)
        with np.errstate(all="ignore"):
            try:
                use()
                event("loaded")
            except GmsimError as exc:
                assert str(exc).strip(), "an empty message"
                event(f"refused: {type(exc).__name__}")


@functools.cache
def default_model():
    """The paper's model (loaded once; not a fixture, whose repr hypothesis would print)."""
    return gmsim.load_model()


# -- the three TOML loaders ---------------------------------------------------------------------
def test_the_writer_writes_toml():
    import tomllib

    data = {"a": [1, {"b": "x\n\x7f"}], "t": {"u": 1.5, "v": {"w": True}}, "l": [{"q": -0.0}]}
    assert tomllib.loads(to_toml(data)) == data


@FUZZ
@given(text=toml_texts(model_documents()))
def test_a_random_model_file_loads_or_is_refused(text):
    def use():
        model = gmsim.load_model(write("model.toml", text))
        model.compile()

    loads_or_refuses(use)


@FUZZ
@given(text=toml_texts(scenario_documents()))
def test_a_random_scenario_file_loads_or_is_refused(text):
    def use():
        scenario = gmsim.load_scenario(write("scenario.toml", text))
        default_model().compile(scenario.interventions(default_model()))

    loads_or_refuses(use)


@FUZZ
@given(text=toml_texts(spec_documents()))
def test_a_random_uncertainty_spec_loads_or_is_refused(text):
    def use():
        spec = gmsim.load_spec(write("spec.toml", text))
        spec.resolve(default_model().compile())

    loads_or_refuses(use)


@FUZZ
@given(text=st.text(max_size=200))
def test_random_text_as_any_toml_file_is_refused_cleanly(text):
    path = write("random.toml", text)
    loads_or_refuses(lambda: gmsim.load_model(path))
    loads_or_refuses(lambda: gmsim.load_scenario(path))
    loads_or_refuses(lambda: gmsim.load_spec(path))


# -- XMILE equations ----------------------------------------------------------------------------
NAMES = st.sampled_from(["x", "y", "s", "r", "a[e1]", "a[*]", "a", "TIME", "DT", '"y"', "Y", "pi", "q"])
CALLS = st.sampled_from(
    [
        *("MAX", "MIN", "ABS", "EXP", "LN", "SQRT", "SMTH1", "SMTH3", "DELAY", "DELAY1", "DELAYN"),
        *("PULSE", "STEP", "RAMP", "SUM", "MEAN", "INIT", "PREVIOUS", "SAFEDIV", "MOD", "INT"),
        *("TREND", "XIDZ", "IF_THEN_ELSE", "LOOKUP", "NOPE", "SIZE", "ACTIVE_INITIAL", "g"),
    ]
)
NUMBERS = st.one_of(
    st.sampled_from(["0", "1", "2.5", ".5", "1e3", "1e400", "0.0", "3E-2"]),
    st.integers(min_value=0, max_value=60).map(str),  # DELAYN orders: big ones are slow, not wrong
    st.just("100000"),
)
OPERATORS = st.sampled_from(
    ["+", "-", "*", "/", "^", "=", "<>", "<", "<=", ">", ">=", " AND ", " OR ", " MOD "]
)


def equations():
    leaves = st.one_of(NUMBERS, NAMES)

    def grow(inner):
        return st.one_of(
            st.tuples(inner, OPERATORS, inner).map("".join),
            st.lists(inner, min_size=3, max_size=8).flatmap(
                lambda terms: st.sampled_from(["+", "-", "*", " AND "]).map(lambda op: op.join(terms))
            ),
            inner.map(lambda x: f"({x})"),
            st.tuples(st.sampled_from(["-", "+", "NOT "]), inner).map("".join),
            st.tuples(inner, inner, inner).map(lambda t: f"IF {t[0]} THEN {t[1]} ELSE {t[2]}"),
            st.tuples(CALLS, st.lists(inner, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            inner.map(lambda x: f"{x} {{a comment}}"),
        )

    return st.recursive(leaves, grow, max_leaves=25)


EQUATION_CHARS = st.text(
    alphabet="()[]{}+-*/^<>=,:@'!\"$. abcxyTIMEIFTHNLS0123456789eE_\n\t", max_size=40
)
EQUATIONS = st.one_of(equations(), equations(), EQUATION_CHARS, st.text(max_size=20))


@settings(FUZZ, max_examples=500)
@given(text=EQUATIONS)
def test_a_random_equation_parses_or_is_refused(text):
    def use():
        for node in walk(parse(text)):
            assert node is not None

    loads_or_refuses(use)


@FUZZ
@given(equation=EQUATIONS)
def test_a_random_equation_in_a_model_loads_runs_or_is_refused(equation):
    text = document(
        aux("x", equation),
        aux("y", "0.5"),
        aux("a", "1", dims=("D",)),
        aux("g", "y", gf="<gf><xscale min='0' max='1'/><ypts>0,1</ypts></gf>"),
        stock("s", "1", inflows=("r",)),
        flow("r", "x - s"),
        dimensions={"D": ("e1", "e2")},
        stop=2,
        dt=0.5,
    )

    def use():
        model = load_xmile_text(text)
        gmsim.simulate(model)
        assert model.compile().graph is not None  # the link signs

    loads_or_refuses(use)


# -- what the fuzzer found ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", [[], {"a": 1}, 3])
def test_a_factor_kind_that_is_not_a_string_is_one_problem(kind):
    data = copy.deepcopy(MODEL)
    data["factors"]["training"]["kind"] = kind  # was: TypeError (unhashable type: 'list')
    with pytest.raises(GmsimError, match=r"factors\.training\.kind: expected a string"):
        gmsim.load_model(write("kind.toml", to_toml(data)))


def test_a_triangular_distribution_without_high_is_one_problem():
    data = copy.deepcopy(SPEC)
    del data["uncertain"][1]["high"]  # was: KeyError 'high'
    with pytest.raises(GmsimError, match=r"uncertain\[2\]\.high: give both `low` and `high`"):
        gmsim.load_spec(write("triangular.toml", to_toml(data)))
