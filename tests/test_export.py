"""XMILE export: an independent engine (PySD) runs the file and must reproduce gmsim's Euler run.

Also: the file's structure against the standard, names XMILE cannot hold, text that
could break XML, scenarios built into the file, writing all-or-nothing, and the CLI.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import defusedxml.ElementTree as DET
import numpy as np
import pytest

import gmsim
from gmsim import Dynamics, Event, Factor, Forcing, Interventions, Link, Model, Simulation
from gmsim.cli import main
from gmsim.core.paths import Constant, Pulse, Ramp, Step, Table
from gmsim.errors import ModelError, OutputError, ScenarioError, SimulationError
from gmsim.simulation.export import export_xmile
from gmsim.xmile.writer import XMILE_NAMESPACE, XMILE_RESERVED, xmile_reference, xmile_text

NS = {"x": XMILE_NAMESPACE}

MODEL_TOML = """
[model]
name = "Delays & a composite"

[simulation]
stop = 20
dt = 0.0625
method = "rk4"

[dynamics]
steepness = 3.0
equilibrium = false

[factors.driver]
group = "external_enabler"
kind = "exogenous"
initial = 0.3

[factors.b]
group = "process"
initial = 0.2
tau = 2.0
bias = 0.4

[factors.c]
group = "process"
initial = 0.7
tau = 0.5
bias = -0.3

[factors.mix]
group = "outcome"
kind = "composite"
of = { b = 2, c = 1 }

[[links]]
from = "driver"
to = "b"
weight = 0.8
delay = 2
order = 3

[[links]]
from = "driver"
to = "c"
weight = -0.5
delay = 2
order = 3

[[links]]
from = "mix"
to = "b"
weight = 0.6
delay = 1.5

[[links]]
from = "mix"
to = "c"
weight = 0.7
delay = 4
order = 2

[[links]]
from = "b"
to = "c"
weight = -0.4

[[links]]
from = "c"
to = "b"
weight = 0.3
delay = 1
"""


# -- helpers -------------------------------------------------------------------------------------
def pysd_run(path: Path):
    """Run an XMILE file with PySD (it writes its translation beside the file).

    PySD 3.14 lacks XMILE's ``DT`` built-in, so equations that use it (holds and
    jumps of stocks) are run from a copy with the file's own DT number in its place.
    """
    text = path.read_text(encoding="utf-8")
    if re.search(r"<eqn>[^<]*\bDT\b", text):
        dt = parse(text).find("x:sim_specs/x:dt", NS).text
        text = re.sub(r"<eqn>[^<]*</eqn>", lambda m: re.sub(r"\bDT\b", dt, m.group()), text)
        path = path.with_name(f"{path.stem}_dt{path.suffix}")
        path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PySD's (and its dependencies') own warnings
        pysd = pytest.importorskip("pysd")

        return pysd.read_xmile(str(path)).run()


def assert_same_run(frame, result, *, rtol=1e-6):
    """Every factor at every saved time within ``rtol`` relative of gmsim's run."""
    np.testing.assert_allclose(frame.index.to_numpy(), result.time, rtol=0, atol=1e-12)
    for factor in result.variables:
        np.testing.assert_allclose(
            frame[factor].to_numpy(), result[factor], rtol=rtol, atol=1e-300, err_msg=factor
        )


def delay_stages(model: Model) -> int:
    """Stage stocks gmsim builds: one chain per (cause, delay, order), ``order`` stages each."""
    chains = {(link.cause, link.delay, link.order) for link in model.links if link.delay > 0}
    return sum(order for _, _, order in chains)


def name_key(name: str) -> str:
    """What XMILE tells names apart by (standard 3.2.2.2): case and runs of '_' do not count."""
    return re.sub(r"[\s_]+", "_", name).strip("_").casefold()


def parse(text: str):
    return DET.fromstring(text.encode("utf-8"))


def variables(root) -> dict[str, object]:
    found = root.find("x:model/x:variables", NS)
    return {el.get("name"): el for el in found if el.tag.split("}")[1] in ("stock", "flow", "aux")}


def unescape(text: str) -> str:
    """Read XMILE plain-text documentation back: the inverse of its \\n, \\t, \\\\ escapes."""
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "\\": "\\"}[m.group(1)], text)


TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\d*\.?\d+(?:[eE][+-]?\d+)?|[^\W\d]\w*|\S')
WORDS = {"IF", "THEN", "ELSE", "AND", "OR", "NOT", "TIME", "DT"}


def references(eqn: str) -> set[str]:
    """Names an equation refers to (quoted names unquoted), not its functions or keywords."""
    out = set()
    tokens = [m.group() for m in TOKEN.finditer(eqn)]
    for tok, after in zip(tokens, [*tokens[1:], ""], strict=True):
        if tok.startswith('"'):
            out.add(re.sub(r"\\(.)", r"\1", tok[1:-1]))
        elif (tok[0].isalpha() or tok[0] == "_") and tok.upper() not in WORDS and after != "(":
            out.add(tok)
    return out


def check_structure(text: str) -> dict[str, object]:
    """The file is XMILE 1.0 as the standard lays it out, and every name it uses is defined."""
    root = parse(text)
    assert root.tag == f"{{{XMILE_NAMESPACE}}}xmile" and root.get("version") == "1.0"
    header = root.find("x:header", NS)
    assert header.find("x:vendor", NS).text == "gmsim"
    assert header.find("x:product", NS).get("version") == gmsim.__version__
    specs = root.find("x:sim_specs", NS)
    assert {c.tag.split("}")[1] for c in specs} == {"start", "stop", "dt"}
    found = variables(root)
    keys = [name_key(n) for n in found]
    assert len(set(keys)) == len(keys), "names XMILE would read as one"
    assert not {k for k in keys if k in XMILE_RESERVED}
    for name, el in found.items():
        kind = el.tag.split("}")[1]
        eqn = el.find("x:eqn", NS).text
        unknown = references(eqn) - set(found)
        assert not unknown, f"{name}: {eqn} uses undefined {unknown}"
        assert el.find("x:doc", NS).text
        if kind == "stock":
            inflows = [i.text for i in el.findall("x:inflow", NS)]
            assert len(inflows) == 1 and found[inflows[0].strip('"')].tag.endswith("flow")
            float(eqn)  # stocks start at a number
    groups = root.findall("x:model/x:variables/x:group", NS)
    entities = [e.get("name") for g in groups for e in g.findall("x:entity", NS)]
    assert len(entities) == len(set(entities)) and set(entities) <= set(found)
    return found


@pytest.fixture
def small_model(tmp_path) -> Model:
    path = tmp_path / "small.toml"
    path.write_text(MODEL_TOML, encoding="utf-8")
    return gmsim.load_model(path)


# -- an independent engine reproduces gmsim ----------------------------------------------------------
def test_default_model_runs_the_same_in_pysd(tmp_path):
    model = gmsim.load_model()
    path = tmp_path / "microblogs.xmile"
    text = export_xmile(model, path, method="euler")
    found = check_structure(text)
    stocks = sum(el.tag.endswith("stock") for el in found.values())
    assert stocks == len(model.endogenous) + len(model.stocks) + delay_stages(model)
    result = gmsim.simulate(model, method="euler")
    frame = pysd_run(path)
    assert_same_run(frame, result)
    # from the reference levels the model rests: the solved biases and balanced rates are right,
    # not merely shared by both engines
    rest = tmp_path / "rest.xmile"
    export_xmile(model, rest, method="euler", equilibrium=True, stop=24)
    frame = pysd_run(rest)
    assert np.ptp(frame[list(model.factor_ids)].to_numpy(), axis=0).max() < 1e-12


def test_non_equilibrium_default_model_moves_and_agrees(tmp_path):
    model = gmsim.load_model()
    path = tmp_path / "history.xmile"
    export_xmile(model, path, method="euler", equilibrium=False, stop=24)
    result = gmsim.simulate(model, method="euler", equilibrium=False, stop=24)
    assert np.ptp(result.values[0], axis=0).max() > 0.3
    assert_same_run(pysd_run(path), result)


def test_delayed_links_composite_and_file_biases_agree(tmp_path, small_model):
    path = tmp_path / "small.xmile"
    text = export_xmile(small_model, path, method="euler")
    found = check_structure(text)
    # chains as gmsim builds them: order 3 shared by two links, a composite cause of order 1 and 2
    stocks = [n for n, el in found.items() if el.tag.endswith("stock")]
    assert stocks == [
        "b",
        "c",
        "driver_perceived_stage_1",
        "driver_perceived_stage_2",
        "driver_perceived",
        "mix_perceived",
        "mix_perceived_2_stage_1",
        "mix_perceived_2",
        "c_perceived",
    ]
    assert found["b_bias"].find("x:eqn", NS).text == "0.4"
    assert found["mix"].find("x:eqn", NS).text == "(2.0 * b + 1.0 * c) / 3.0"
    assert found["driver_perceived_stage_2_adjustment"].find("x:eqn", NS).text == (
        "(driver_perceived_stage_1 - driver_perceived_stage_2) / (driver_perceived_delay_time / 3)"
    )
    result = gmsim.simulate(small_model, method="euler")
    assert np.ptp(result.values[0], axis=0).max() > 0.3
    assert_same_run(pysd_run(path), result)


def test_scenario_built_into_the_file_agrees(tmp_path):
    model = gmsim.load_model()
    scenario = Interventions(
        overrides={"weight:funding->training": 0.9, "tau:training": 2.0, "initial:training": 0.5},
        added_links=(Link("collaboration", "training", 0.4, delay=2.0, order=2, source="test"),),
        forcings=(
            Forcing("policy_support", Step(at=6, value=0.9, base=0.6)),
            Forcing("human_resources", Ramp(start=3, end=15, value=0.9, base=0.6), start=2, end=20),
            Forcing("living_standards", Pulse(at=4, duration=2.5, value=0.2, base=0.6), start=0),
            Forcing("platform_maturity", Table(times=(0, 10, 20), values=(0.7, 0.2, 0.9)), 1, 25),
            Forcing("international_influence", Constant(0.1), start=8, end=16),
        ),
        events=(
            Event(12.0, "collaboration", set=0.8),
            Event(30.0, "collaboration", multiply=0.5),
            Event(10.0, "human_resources", multiply=1.2),
            Event(16.0, "international_influence", multiply=3.0),
        ),
    )
    path = tmp_path / "scenario.xmile"
    text = export_xmile(model, path, scenario=scenario, method="euler")
    found = check_structure(text)
    assert found["policy_support"].find("x:eqn", NS).text == "IF TIME >= 6.0 THEN 0.9 ELSE 0.6"
    table = found["platform_maturity_scenario_table"].find("x:gf", NS)
    assert table.find("x:xpts", NS).text == "0.0,10.0,20.0"
    assert "Added by the scenario" in found["weight_collaboration_to_training"].find("x:doc", NS).text
    assert parse(text).find("x:header/x:name", NS).text.endswith("(scenario: custom)")
    result = gmsim.simulate(model, scenario=scenario, method="euler")
    assert np.ptp(result["international_influence"]) > 0.3  # the jump after the hold counts
    assert_same_run(pysd_run(path), result)


def test_holds_and_jumps_of_stocks_agree_under_euler(tmp_path):
    model = gmsim.load_model()
    scenario = Interventions(
        forcings=(
            Forcing("training", Constant(0.7)),  # held all along, from before the start
            Forcing("funding", Pulse(at=4, duration=6, value=0.9, base=0.3), start=4, end=10),
            Forcing("review_burden", Table((0, 8, 16), (0.6, 0.2, 0.4)), start=5, end=20),
            Forcing("workload", Ramp(start=2, end=12, value=0.9, base=0.6), start=2),
            Forcing("confidentiality_concern", Constant(0.9), start=30, end=36),  # to the end
        ),
        events=(
            Event(0.0, "staff_experience", set=0.8),  # at the start
            Event(3.0, "staff_experience", multiply=0.4),
            Event(6.0, "staff_experience", multiply=0.4),
            Event(9.0, "public_trust", multiply=5.0),  # kept in [0, 1]
            Event(10.0, "funding", multiply=0.5),  # where a hold lets go
            Event(12.0, "training", set=0.1),  # while held: no effect
        ),
    )
    path = tmp_path / "holds.xmile"
    text = export_xmile(model, path, scenario=scenario)
    found = check_structure(text)
    assert parse(text).find("x:sim_specs", NS).get("method") == "euler"
    assert found["training"].find("x:eqn", NS).text == "0.7"
    assert found["staff_experience"].find("x:eqn", NS).text == "0.8"
    assert found["training_adjustment"].find("x:eqn", NS).text == "(0.7 - training) / DT"
    assert "TIME + DT = 3.0 OR TIME + DT = 6.0 THEN (0.4 * (staff_experience + DT * " in (
        found["staff_experience_net_flow"].find("x:eqn", NS).text
    )
    result = gmsim.simulate(model, scenario=scenario, method="euler")
    assert result["public_trust"].max() == 1.0 and result["funding"][80] == 0.9 * 0.5
    assert result["confidentiality_concern"][-1] == 0.9
    assert_same_run(pysd_run(path), result)


def test_holds_of_stocks_need_euler():
    scenario = Interventions(forcings=(Forcing("training", Constant(0.7), start=6),))
    with pytest.raises(ScenarioError, match=r"holds or makes jump 'training'.*--method euler"):
        export_xmile(None, scenario=scenario, method="rk4")


@pytest.mark.slow
@pytest.mark.parametrize("name", gmsim.list_scenarios())
def test_every_library_scenario_agrees_in_pysd(tmp_path, name):
    model = gmsim.load_model()
    path = tmp_path / f"{name}.xmile"
    check_structure(export_xmile(model, path, scenario=name, method="euler"))
    assert_same_run(pysd_run(path), gmsim.simulate(model, scenario=name, method="euler"))


class Wave:
    """A driver path of the user's own, with no XMILE form."""

    breakpoints = ()

    def value(self, t):
        return 0.5 + 0.1 * np.sin(t)


@pytest.mark.parametrize(
    ("scenario", "words"),
    [
        (
            Interventions(forcings=(Forcing("policy_support", Step(2, np.array([0.1, 0.9]), 0.6)),)),
            "one value per run",
        ),
        (
            Interventions(
                forcings=(
                    Forcing("policy_support", Table((0, 5), (0.1, 0.9)), end=10),
                    Forcing("policy_support", Table((10, 20), (0.9, 0.1)), start=10),
                )
            ),
            "along 2 different tables",
        ),
        (
            Interventions(forcings=(Forcing("policy_support", Wave()),)),
            "along a Wave path, which has no XMILE form",
        ),
        (
            Interventions(forcings=(Forcing("effectiveness", Constant(0.9)),)),
            "acts on 'effectiveness' (composite)",
        ),
    ],
)
def test_scenarios_xmile_cannot_state_are_refused(tmp_path, scenario, words):
    path = tmp_path / "s.xmile"
    with pytest.raises(ScenarioError, match=re.escape(words)):
        export_xmile(None, path, scenario=scenario)
    assert list(tmp_path.iterdir()) == []


# -- back through gmsim's own XMILE import ----------------------------------------------------------
@pytest.mark.parametrize(
    ("which", "scenario", "method"),
    [
        ("default", None, "euler"),
        ("moving", None, "rk4"),
        ("small", None, "euler"),
        ("small", None, "rk4"),
        ("quoted", None, "rk4"),
        ("nasty", None, "euler"),
        ("default", "training-program", "euler"),
        ("default", "rotation-3m", "euler"),
    ],
)
def test_round_trip_through_gmsim_import(tmp_path, small_model, which, scenario, method):
    model = {
        "small": small_model,
        "quoted": two_factor_model("_draft_", "资金"),
        "nasty": nasty_model(),
    }.get(which) or gmsim.load_model()
    equilibrium = {"moving": False, "default": True}.get(which)  # the default model: from rest
    if any(f.decided for f in model.endogenous) and equilibrium is False:
        method = "euler"  # an exported decision is gmsim's exact jump under Euler only
    path = tmp_path / "round.xmile"
    export_xmile(model, path, scenario=scenario, method=method, equilibrium=equilibrium)
    imported = gmsim.load_model(path)
    # the same name as XMILE reads names: case, and '_' at the ends and in runs, do not count
    named = {name_key(v.name): v.name for v in imported.variables}
    back = gmsim.simulate(imported, method=method)
    original = gmsim.simulate(model, scenario=scenario, method=method, equilibrium=equilibrium)
    moves = np.ptp(original.values[0], axis=0).max()
    assert moves < 1e-12 if which in ("default", "nasty") and scenario is None else moves > 0.2
    for factor in model.factor_ids:
        np.testing.assert_allclose(
            back[named[name_key(factor)]], original[factor], rtol=1e-9, atol=0, err_msg=factor
        )


# -- names ------------------------------------------------------------------------------------------
def two_factor_model(*ids: str, name: str = "names") -> Model:
    driver, effect = ids
    return Model(
        name=name,
        factors=(
            Factor(driver, kind="exogenous", initial=0.8, group="external_enabler"),
            Factor(effect, initial=0.3, tau=2.0, bias=-0.2),
        ),
        links=(Link(driver, effect, 0.7),),
        dynamics=Dynamics(equilibrium=False),
        simulation=Simulation(stop=10, dt=0.25),
    )


@pytest.mark.parametrize(
    ("ids", "words"),
    [
        (("Dt", "effect"), "'Dt' is reserved in XMILE (the built-in DT)"),
        (("driver", "Min"), "'Min' is reserved in XMILE (the built-in MIN)"),
        (("If", "effect"), "(the operator IF)"),
        (("Funding", "funding"), "'funding' and 'Funding' are one name in XMILE"),
        (("a_b", "a__b"), "'a__b' and 'a_b' are one name in XMILE"),
    ],
)
def test_ids_xmile_cannot_hold_are_reported(ids, words):
    with pytest.raises(ModelError, match=re.escape(words)) as info:
        export_xmile(two_factor_model(*ids))
    assert "rename" in str(info.value)


def test_helper_names_step_aside_for_factor_ids(tmp_path):
    # a factor already called like b's flow, and one called "steepness"
    model = Model(
        name="crowded",
        factors=(
            Factor("steepness", kind="exogenous", initial=0.6),
            Factor("b", initial=0.2, tau=1.5, bias=0.3),
            Factor("b_adjustment", initial=0.6, tau=3.0, bias=-0.1),
        ),
        links=(Link("steepness", "b", 0.5), Link("b", "b_adjustment", 0.9, delay=2.0)),
        dynamics=Dynamics(steepness=2.0, equilibrium=False),
        simulation=Simulation(stop=10, dt=0.125),
    )
    path = tmp_path / "crowded.xmile"
    found = check_structure(export_xmile(model, path, method="euler"))
    assert found["b"].find("x:inflow", NS).text == "b_adjustment_2"
    assert found["steepness"].find("x:eqn", NS).text == "0.6"
    assert found["steepness_2"].find("x:eqn", NS).text == "2.0"
    assert_same_run(pysd_run(path), gmsim.simulate(model, method="euler"))


def test_names_outside_the_bare_form_are_quoted_and_still_run(tmp_path):
    model = two_factor_model("_draft_", "资金")
    path = tmp_path / "quoted.xmile"
    found = check_structure(export_xmile(model, path, method="euler"))
    assert set(found) >= {"_draft_", "资金", "资金_adjustment"}
    assert found["资金_input"].find("x:eqn", NS).text == '资金_bias + weight__draft__to_资金 * "_draft_"'
    assert_same_run(pysd_run(path), gmsim.simulate(model, method="euler"))


def test_xmile_reference_follows_the_identifier_rules():
    assert xmile_reference("cash_balance") == "cash_balance"
    assert xmile_reference("$cash") == '"$cash"'
    assert xmile_reference("a$b") == "a$b"
    assert xmile_reference("2nd") == '"2nd"'
    assert xmile_reference('say "x"\\y') == '"say \\"x\\"\\\\y"'


# -- text that could break the file ------------------------------------------------------------------
NASTY = "a < b && c > d; \"quoted\" 'single' ]]> <!-- x --> &amp; \\ back\tslash\nline 2"
PYTHON = '"""\nimport os; os.system("echo pwned")\n"""'


def nasty_model() -> Model:
    """A model whose every text field holds XML specials, escapes and Python."""
    return Model(
        name=f"Name {NASTY}",
        description=f"Described {PYTHON}",
        source="Zheng & Co. <2012>",
        factors=(
            Factor(
                "driver",
                kind="exogenous",
                initial=0.5,
                label=f"Label {NASTY}",
                note=PYTHON,
                source="2.1",
            ),
            Factor("effect", initial=0.4, tau=2.0, label="Effect", source='"2.2" & <2.3>'),
        ),
        links=(Link("driver", "effect", 0.5, source="<2.4>", quote=f"Quote {NASTY}{PYTHON}"),),
    )


def test_xml_special_characters_round_trip_through_the_docs():
    model = nasty_model()
    text = export_xmile(model)
    root = parse(text)
    found = check_structure(text)
    header = root.find("x:header", NS)
    assert unescape(header.find("x:name", NS).text) == model.name
    assert unescape(header.find("x:caption", NS).text) == f"{model.description}\nSource: {model.source}"
    driver = unescape(found["driver"].find("x:doc", NS).text)
    assert driver.startswith(f"Label {NASTY}\n") and f"\nNote: {PYTHON}\n" in driver
    effect = unescape(found["effect"].find("x:doc", NS).text)
    assert '\nPaper section: "2.2" & <2.3>.\n' in effect
    weight = unescape(found["weight_driver_to_effect"].find("x:doc", NS).text)
    assert f"Quote: “Quote {NASTY}{PYTHON}”" in weight and "Paper section: <2.4>." in weight
    # the doc stays one line in the file: newlines are written as the \n escape
    assert all("\n" not in el.find("x:doc", NS).text for el in found.values())


def test_characters_xml_cannot_hold_are_replaced():
    model = two_factor_model("driver", "effect", name="bell\x07 and \ud800 and \r\nnext")
    root = parse(export_xmile(model))
    assert unescape(root.find("x:header/x:name", NS).text) == "bell  and \ufffd and \nnext"
    assert xmile_text("tab\there") == "tab\\there"


def test_ids_with_xml_special_characters_never_reach_the_file():
    for bad in ("a<b", "a&b", 'a"b', "a b"):
        with pytest.raises(ModelError, match="letters, digits and '_'"):
            Model(name="m", factors=(Factor(bad, initial=0.5),))


# -- settings, other inputs ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "written"),
    [("euler", "euler"), ("rk4", "rk4"), ("rk45", "rk45, rk4"), ("lsoda", "gear, rk4")],
)
def test_sim_specs_carry_horizon_step_and_method(method, written):
    specs = parse(export_xmile(None, start=2, stop=14, dt=0.25, method=method)).find("x:sim_specs", NS)
    assert specs.get("method") == written and specs.get("time_units") == "month"
    assert [specs.find(f"x:{k}", NS).text for k in ("start", "stop", "dt")] == ["2.0", "14.0", "0.25"]


def test_defaults_come_from_the_model(small_model):
    specs = parse(export_xmile(small_model)).find("x:sim_specs", NS)
    assert specs.get("method") == "rk4" and specs.find("x:dt", NS).text == "0.0625"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"stop": -1}, "`stop` (-1) must be after `start` (0)"),
        ({"dt": 0}, "`dt` must be > 0"),
        ({"dt": float("nan")}, "`dt` must be a finite number"),
        ({"method": "gear"}, "unknown `method` 'gear'"),
    ],
)
def test_bad_settings_are_refused(options, words):
    with pytest.raises(SimulationError, match=re.escape(words)):
        export_xmile(None, **options)


def test_a_model_file_path_is_accepted(tmp_path, small_model):
    assert export_xmile(tmp_path / "small.toml") == export_xmile(small_model)


def test_only_factor_models_are_exported(tmp_path):
    path = tmp_path / "imported.xmile"
    export_xmile(None, path)
    with pytest.raises(ModelError, match=r"is not a gmsim factor model.*XMILE already"):
        export_xmile(path)


# -- writing all or nothing ------------------------------------------------------------------------
def test_writes_parent_folders_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "new" / "folder" / "m.xmile"
    text = export_xmile(None, target)
    assert target.read_text(encoding="utf-8") == text
    assert [p.name for p in target.parent.iterdir()] == ["m.xmile"]


@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test_unwritable_paths_raise_output_error(tmp_path, where):
    (tmp_path / "plain.txt").write_text("keep", encoding="utf-8")
    target = tmp_path if where == "folder" else tmp_path / "plain.txt" / "m.xmile"
    with pytest.raises(OutputError, match=r"choose another --out|is a folder"):
        export_xmile(None, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "m.xmile"
    target.write_text("old", encoding="utf-8")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("gmsim.simulation.export.os.replace", refuse)
    with pytest.raises(OutputError, match=r"m\.xmile: cannot be written \(Permission denied\)"):
        export_xmile(None, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.xmile"]


# -- the command line ---------------------------------------------------------------------------
def test_cli_writes_the_default_model(tmp_path, capsys):
    out = tmp_path / "f.xmile"
    assert main(["export", "--to", "xmile", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == export_xmile(None)
    model = gmsim.load_model()
    stocks = len(model.endogenous) + len(model.stocks) + delay_stages(model)
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {out}: XMILE 1.0, {stocks} stocks, {stocks} flows, ")


def test_cli_model_file_options_and_standard_output(tmp_path, capsys, small_model):
    args = ["export", str(tmp_path / "small.toml"), "--method", "euler", "--stop", "8", "--dt", "0.5"]
    assert main(args) == 0
    assert capsys.readouterr().out == export_xmile(small_model, method="euler", stop=8, dt=0.5)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--to", "xml"], "--to: unknown format 'xml' (did you mean 'xmile'?)"),
        (["--out", "{tmp}/plain.txt/f.xmile"], "plain.txt is a file, not a folder"),
        (["--out", "{tmp}"], "is a folder; give a file name"),
        (["--dt", "0"], "--dt must be > 0"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, args, words):
    (tmp_path / "plain.txt").write_text("keep", encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "f.xmile")]
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gmsim: error: ") and words in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]


def test_cli_builds_a_library_scenario_in(tmp_path, capsys):
    out = tmp_path / "training.xmile"
    assert main(["export", "--scenario", "training-program", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text == export_xmile(None, scenario="training-program")
    assert parse(text).find("x:sim_specs", NS).get("method") == "euler"
    assert "(scenario: training-program)" in parse(text).find("x:header/x:name", NS).text
    args = ["export", "--scenario", "training-program", "--method", "rk4", "--out", str(out)]
    assert main(args) == 2
    assert "export with method 'euler' (--method euler)" in capsys.readouterr().err
