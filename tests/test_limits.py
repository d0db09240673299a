"""Inputs too big for gmsim are refused up front: one line naming the limit, exit code 2, quickly.

Each case goes through the command line (:func:`gmsim.cli.main`): no traceback,
no hang, no runaway memory, nothing written and no input touched. The table of
limits in ``docs/how-gmsim-computes.md`` is compared with :data:`gmsim.limits.LIMITS`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import time
from pathlib import Path

import pytest
from small_model import SMALL_MODEL
from xmile_models import aux, document, flow, stock

import gmsim
from gmsim.cli import main
from gmsim.core.solver import RunSettings
from gmsim.core.system import Event, System
from gmsim.errors import GmsimError, ScenarioError
from gmsim.files.reading import read_bytes, read_text
from gmsim.limits import LIMITS, LimitError, check, check_grid, limit, limits_table

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 20  # a refusal is quick; a loaded machine gets some slack
HANG = 90  # a case that hangs fails here instead of holding up the suite

SMALL = SMALL_MODEL


# -- harness -----------------------------------------------------------------------------------------
class Hung(Exception):
    pass


def _alarm(signum, frame):
    raise Hung(f"still running after {HANG} s")


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")
    }


def refused(capsys, folder: Path, argv: list[str], *phrases: str, command_out: bool = True) -> str:
    """Run ``gmsim argv`` (with ``--out`` into ``folder`` unless told not to): exit 2, one line
    holding every phrase, no traceback, in a few seconds, nothing of ``folder`` touched."""
    out = folder / "out"
    argv = [*argv, "--out", str(out)] if command_out else argv
    before = _snapshot(folder)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG)
    began = time.monotonic()
    try:
        code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    took = time.monotonic() - began
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, (code, err, captured.out[-500:])
    assert err.count("\n") == 1 and err.startswith("gmsim: error: "), err
    assert "Traceback" not in err and "MemoryError" not in err and "RecursionError" not in err
    for phrase in phrases:
        assert phrase in err, (phrase, err)
    assert took < SECONDS, f"took {took:.1f} s: {err}"
    assert not out.exists()
    assert _snapshot(folder) == before  # no input changed, nothing staged or left behind
    return err


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def small(folder: Path) -> Path:
    return write(folder, "model.toml", SMALL)


def model_with(folder: Path, old: str, new: str, name: str = "model.toml") -> Path:
    assert old in SMALL, old
    return write(folder, name, SMALL.replace(old, new))


def scenario(folder: Path, name: str, body: str) -> Path:
    return write(folder, name, f'[scenario]\nname = "{Path(name).stem}"\n\n{body}')


# -- the table itself -----------------------------------------------------------------------------------
def test_every_limit_is_a_whole_number_with_words_and_a_way_round():
    for name, entry in LIMITS.items():
        assert re.fullmatch(r"[a-z][a-z_]*", name), name
        assert isinstance(entry.value, int) and entry.value >= 1, name
        assert entry.counts and entry.hint, name


def test_the_limits_allow_real_work():
    check_grid(0, 120, 0.001)  # a ten-year monthly model at dt 0.001: 120,000 steps
    check_grid(0, 1200, 0.01)
    check("delay_order", 100, "a delay of order 100")
    check("table_points", 5_000, "a table of a few thousand points")
    check("runs", 1_000_000, "a batch of 10^6 runs")
    check("events", 10_000, "monthly events over 800 years")


def test_a_limit_is_raised_for_one_process_by_its_variable(monkeypatch):
    monkeypatch.setenv("GMSIM_MAX_STEPS", "2e8")
    assert limit("steps") == 200_000_000
    check_grid(0, 12, 1e-7)
    monkeypatch.setenv("GMSIM_MAX_STEPS", "many")
    with pytest.raises(LimitError, match="`GMSIM_MAX_STEPS` is 'many', not a number"):
        limit("steps")


def test_the_limits_table_of_the_docs_is_the_table_of_the_code():
    page = (ROOT / "docs" / "how-gmsim-computes.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- limits -->\n(.*?)\n<!-- /limits -->", page, re.S)
    assert found, "docs/how-gmsim-computes.md has no <!-- limits --> ... <!-- /limits --> table"
    assert found.group(1).strip() == limits_table(), (
        "the Limits table of docs/how-gmsim-computes.md differs from gmsim.limits.LIMITS; paste the "
        "output of: python -c 'from gmsim.limits import limits_table; print(limits_table())'"
    )
    rows = [line for line in found.group(1).splitlines() if line.startswith("| `")]
    assert [re.match(r"\| `([a-z_]+)`", row).group(1) for row in rows] == list(LIMITS)
    for name in LIMITS:
        assert f"`GMSIM_MAX_{name.upper()}`" in found.group(1)


# -- 1. run size ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "phrases"),
    [
        (["--dt", "1e-12"], ("is 60000000000000", "limit of 10000000 (steps)", "GMSIM_MAX_STEPS")),
        (["--stop", "1e308"], ("is inf, more than the limit", "(steps)")),
        (["--dt", "nan"], ("--dt must be a finite number",)),
        (["--dt", "inf"], ("--dt must be a finite number",)),
        (["--stop", "inf"], ("--stop must be a finite number",)),
        (["--start", "1e16", "--stop", "1.00000000000001e16", "--dt", "1"], ("resolution",)),
    ],
)
def test_run_options_that_ask_too_much_are_refused(tmp_path, capsys, options, phrases):
    refused(capsys, tmp_path, ["run", *options], *phrases)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_model_file_with_a_huge_horizon_is_refused_by_validate_and_run(tmp_path, capsys, command):
    path = model_with(tmp_path, "stop = 12", "stop = 1e9")
    out = command == "run"
    err = refused(
        capsys, tmp_path, [command, str(path)], "model.toml:6: simulation.dt", "(steps)", command_out=out
    )
    assert "is 4000000000," in err


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_dt_below_the_float_resolution_of_the_horizon_is_an_error(tmp_path, capsys, command):
    path = model_with(
        tmp_path, "stop = 12\ndt = 0.25", "start = 1e16\nstop = 1.00000000000001e16\ndt = 1"
    )
    err = refused(
        capsys, tmp_path, [command, str(path)], "below the resolution", command_out=command == "run"
    )
    assert "exact only to 2" in err and "give a `dt` of at least 2e+06" in err
    with pytest.raises(LimitError, match="resolution"):
        RunSettings(start=1e16, stop=1.00000000000001e16, dt=1)


@pytest.mark.parametrize(("old", "new"), [("dt = 0.25", "dt = nan"), ("stop = 12", "stop = inf")])
def test_a_model_file_with_no_finite_horizon_is_refused(tmp_path, capsys, old, new):
    path = model_with(tmp_path, old, new)
    refused(capsys, tmp_path, ["validate", str(path)], "expected a finite number", command_out=False)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_an_xmile_file_with_a_tiny_dt_is_refused_by_validate_and_run(tmp_path, capsys, command):
    path = write(tmp_path, "m.xmile", document(aux("x", "1"), dt="1e-9"))
    refused(
        capsys,
        tmp_path,
        [command, str(path)],
        "m.xmile:4:",
        "is 10000000000,",
        "(steps)",
        command_out=command == "run",
    )


@pytest.mark.parametrize("horizon", [{"dt": "NaN"}, {"stop": "INF"}])
def test_an_xmile_horizon_that_is_not_finite_is_refused(tmp_path, capsys, horizon):
    path = write(tmp_path, "m.xmile", document(aux("x", "1"), **horizon))
    refused(capsys, tmp_path, ["validate", str(path)], "must be finite", command_out=False)


def test_a_run_that_would_save_gigabytes_is_refused(tmp_path, capsys):
    refused(
        capsys,
        tmp_path,
        ["run", "--stop", "10", "--dt", "1e-6"],
        "the number of values to save (1 runs x 10000001 times x 39 variables)",
        "(saved_values)",
    )


def test_an_ensemble_whose_chunk_holds_too_much_runs_in_smaller_chunks(monkeypatch):
    spec = ROOT / "models" / "uncertainty" / "every_weight_20.toml"
    options = {"runs": 16, "seed": 3, "stop": 6, "executor": "inprocess", "metrics": ["effectiveness"]}
    whole = gmsim.monte_carlo(None, spec, **options)
    monkeypatch.setenv("GMSIM_MAX_SAVED_VALUES", str(3 * 49 * 39))  # three runs of 49 times at once
    split = gmsim.monte_carlo(None, spec, **options)
    assert not split.failures and not whole.failures
    assert (split.metric_frame() == whole.metric_frame()).all().all()


def test_decisions_past_the_limit_in_a_longer_run_are_refused(tmp_path, capsys):
    path = model_with(tmp_path, "tau = 4\n", "decide_every = 0.001\n")
    assert main(["validate", str(path)]) == 0  # 12,000 decisions in its own 12 months
    capsys.readouterr()
    refused(
        capsys,
        tmp_path,
        ["run", str(path), "--stop", "200"],
        "the number of breakpoints in the run (events, decisions, table points) is 100001",
        "(events)",
    )


# -- 2. counts ---------------------------------------------------------------------------------------------
def test_a_delay_of_a_million_stages_is_refused_by_validate(tmp_path, capsys):
    path = model_with(tmp_path, "delay = 2\n", "delay = 2\norder = 1000000\n")
    refused(
        capsys,
        tmp_path,
        ["validate", str(path)],
        "model.toml:38: links[2].order: the delay's `order` is 1000000",
        "(delay_order)",
        command_out=False,
    )


def test_a_delay_of_order_100_is_fine(tmp_path, capsys):
    path = model_with(tmp_path, "delay = 2\n", "delay = 2\norder = 100\n")
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize(
    ("equation", "phrase"),
    [
        ("SMTHN(y, 2, 1e7)", "the order of SMTHN is 10000000"),
        ("DELAYN(y, 2, 1e9)", "DELAYN is 1000000000"),
    ],
)
def test_xmile_smooths_and_delays_of_huge_order_are_refused(tmp_path, capsys, equation, phrase):
    path = write(tmp_path, "m.xmile", document(aux("y", "TIME"), aux("x", equation)))
    refused(capsys, tmp_path, ["validate", str(path)], phrase, "(delay_order)", command_out=False)


def _dims(text: str, dims: str) -> str:
    return text.replace("<model>", f"<dimensions>{dims}</dimensions><model>", 1)


def test_an_xmile_dimension_of_a_trillion_elements_is_refused(tmp_path, capsys):
    text = _dims(document(aux("x", "1", dims=("D",))), '<dim name="D" size="1000000000000"/>')
    path = write(tmp_path, "m.xmile", text)
    refused(
        capsys,
        tmp_path,
        ["validate", str(path)],
        "the size of dimension 'D' is 1000000000000",
        "(array_elements)",
        command_out=False,
    )


def test_xmile_arrays_whose_elements_multiply_past_the_limit_are_refused(tmp_path, capsys):
    dims = '<dim name="D" size="1000"/><dim name="E" size="1000"/>'
    text = _dims(document(aux("x", "1", dims=("D", "E"))), dims)
    path = write(tmp_path, "m.xmile", text)
    refused(
        capsys,
        tmp_path,
        ["validate", str(path)],
        "variable 'x': the number of elements of 'x' is 1000000",
        command_out=False,
    )


def test_xmile_arrays_are_counted_together(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GMSIM_MAX_ARRAY_ELEMENTS", "150")
    text = _dims(
        document(aux("a", "1", dims=("D",)), aux("b", "2", dims=("D",))), '<dim name="D" size="100"/>'
    )
    path = write(tmp_path, "m.xmile", text)
    refused(
        capsys,
        tmp_path,
        ["validate", str(path)],
        "the number of array elements of the model is 200",
        command_out=False,
    )


def test_an_arrayed_model_loads_in_time_linear_in_its_elements(tmp_path):
    # an element was found by a pass over its dimension at every reference: O(n^2)
    text = _dims(
        document(stock("s", "1", inflows=("f",), dims=("D",)), flow("f", "-s/5", dims=("D",))),
        '<dim name="D" size="1500"/>',
    )
    began = time.monotonic()
    model = gmsim.load_model(write(tmp_path, "m.xmile", text))
    assert len(model.compile().state_names) == 1500
    assert time.monotonic() - began < 60


def test_a_macro_that_doubles_itself_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GMSIM_MAX_MACRO_VARIABLES", "500")
    macros = "".join(
        f'<macro name="W{k}"><parm>a</parm><eqn>W{k + 1}(a) + W{k + 1}(a)</eqn></macro>'
        for k in range(12)
    )
    macros += '<macro name="W12"><parm>a</parm><eqn>a</eqn></macro>'
    path = write(tmp_path, "m.xmile", document(aux("x", "W0(TIME)"), extra=macros))
    refused(
        capsys,
        tmp_path,
        ["validate", str(path)],
        "expand into more than 500 variables (the limit macro_variables)",
        "GMSIM_MAX_MACRO_VARIABLES",
        command_out=False,
    )


@pytest.mark.parametrize(("every", "count"), [("1e-9", "11999999999"), ("1e-6", "11999999")])
def test_events_every_instant_are_refused(tmp_path, capsys, every, count):
    path = scenario(
        tmp_path,
        "s.toml",
        f'[[interventions]]\nkind = "event"\ntarget = "training"\nevery = {every}\nmultiply = 1.0\n',
    )
    refused(
        capsys,
        tmp_path,
        ["run", str(small(tmp_path)), "--scenario", str(path)],
        "s.toml:7: interventions[1].every: the number of jumps of this event",
        f"is {count},",
        "(events)",
    )


def test_decisions_every_instant_are_refused_by_validate(tmp_path, capsys):
    path = model_with(tmp_path, "tau = 4\n", "decide_every = 1e-7\n")
    refused(
        capsys,
        tmp_path,
        ["validate", str(path)],
        "factors.staff_capability.decide_every: the number of decisions of 'staff_capability'",
        "(events)",
        command_out=False,
    )


def test_events_cost_time_linear_in_their_number():
    # System.jump looked at every event of the run at each event time: O(E^2)
    system = gmsim.load_model(ROOT / "models" / "gov_microblog.toml").compile()
    events = tuple(Event(0.001 * k, "training", multiply=1.0) for k in range(1, 20_001))
    params = dataclasses.replace(system.parameters(), events=events)
    y = system.initial_state(params)
    began = time.monotonic()
    for e in events:
        y = System.jump(system, e.time, y, params)
    assert time.monotonic() - began < 10


def test_events_at_one_time_apply_in_their_order():
    system = gmsim.load_model(ROOT / "models" / "gov_microblog.toml").compile()
    events = (
        Event(2.0, "training", set=0.5),
        Event(2.0, "training", multiply=0.5),
        Event(3.0, "training", set=0.9),
    )
    params = dataclasses.replace(system.parameters(), events=events)
    i = system.state_index("training")
    y = System.jump(system, 2.0, system.initial_state(params), params)
    assert y[0, i] == pytest.approx(0.25)


def test_a_table_of_a_hundred_thousand_points_is_refused(tmp_path, capsys):
    n = 100_000
    times = ", ".join(f"{12 * k / n:.6f}" for k in range(n))
    values = ", ".join("0.5" for _ in range(n))
    body = f'[[interventions]]\nkind = "table"\ntarget = "training"\ntimes = [{times}]\nvalues = [{values}]\n'
    path = scenario(tmp_path, "s.toml", body)
    refused(
        capsys,
        tmp_path,
        ["run", str(small(tmp_path)), "--scenario", str(path)],
        "interventions[1].times: the number of points of this table is 100000",
        "(table_points)",
    )


def test_a_table_of_a_few_thousand_points_runs(tmp_path):
    n = 3_000
    times = [12 * k / n for k in range(n)]
    body = (
        f'[[interventions]]\nkind = "table"\ntarget = "training"\ntimes = {times!r}\n'
        f"values = {[0.5 + 0.4 * (k % 2) for k in range(n)]!r}\n"
    )
    path = scenario(tmp_path, "s.toml", body)
    began = time.monotonic()
    result = gmsim.simulate(small(tmp_path), scenario=path)
    assert result.stats.segments >= n - 1
    assert time.monotonic() - began < 60  # a table was O(n^2): 8,000 points took 25 s


def _fan_out(folder: Path, width: int = 10, depth: int = 7) -> Path:
    for level in range(depth + 1):
        for j in range(width):
            include = [f"L{level + 1}_{k}.toml" for k in range(width)] if level < depth else []
            body = (
                ""
                if level < depth or j
                else '[[interventions]]\nkind = "set"\ntarget = "training"\nvalue = 0.7\n'
            )
            head = f'[scenario]\nname = "L{level}_{j}"\n'
            head += f"include = {include!r}\n".replace("'", '"') if include else ""
            write(folder, f"L{level}_{j}.toml", head + "\n" + body)
    return folder / "L0_0.toml"


def test_includes_that_fan_out_read_each_file_once(tmp_path):
    top = _fan_out(tmp_path)
    began = time.monotonic()
    s = gmsim.load_scenario(top)
    assert time.monotonic() - began < 30  # 10^7 reads before
    assert [(a.kind, a.target, a.value) for a in s.actions] == [("set", "training", 0.7)]


def test_include_loads_are_limited(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GMSIM_MAX_INCLUDES", "20")
    top = _fan_out(tmp_path, width=5, depth=5)
    refused(
        capsys,
        tmp_path,
        ["run", str(small(tmp_path)), "--scenario", str(top)],
        "the number of scenario files read through `include` is 21",
        "(includes)",
    )


def test_uncertainty_with_a_trillion_runs_is_refused(tmp_path, capsys):
    refused(
        capsys,
        tmp_path,
        ["uncertainty", "--runs", "1000000000000"],
        "the number of runs (`runs` 1000000000000 x 1 system",
        "limit of 4000000 (runs)",
    )


@pytest.mark.parametrize(
    ("options", "phrases"),
    [
        (["--samples", "1073741824"], ("the number of runs of the sobol design", "(runs)")),
        (["--resamples", "100000000"], ("bootstrap draws (`resamples` 100000000 x `samples` 512)",)),
        (["--resamples", "0"], ("`resamples` must be a whole number >= 1, got 0",)),
        (["--resamples", "-1"], ("`resamples` must be a whole number >= 1, got -1",)),
    ],
)
def test_sensitivity_designs_too_big_or_empty_are_refused(tmp_path, capsys, options, phrases):
    refused(capsys, tmp_path, ["sensitivity", *options], *phrases)


# -- 3. only regular files, up to a size --------------------------------------------------------------------
DEVICES = ["/dev/zero", "/dev/urandom"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("suffix", [".toml", ".xmile"])
def test_a_device_is_never_read_as_a_model(tmp_path, capsys, device, suffix):
    link = tmp_path / f"m{suffix}"
    link.symlink_to(device)
    refused(
        capsys,
        tmp_path,
        ["validate", str(link)],
        "is a character device, not a regular file",
        command_out=False,
    )
    refused(capsys, tmp_path, ["validate", device], "is a character device", command_out=False)


def _fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["validate", "{}"], "m.toml"),
        (["validate", "{}"], "m.xmile"),
        (["run", "--scenario", "{}"], "s.toml"),
        (["uncertainty", "--spec", "{}", "--runs", "4"], "spec.toml"),
        (["calibrate", "--data", "{}", "--fit", "tau:training"], "data.csv"),
        (["elicit", "{}"], "ratings.csv"),
    ],
)
def test_a_fifo_is_never_opened(tmp_path, capsys, argv, name):
    fifo = _fifo(tmp_path, name)
    argv = [str(fifo) if a == "{}" else a for a in argv]
    refused(
        capsys,
        tmp_path,
        argv,
        "is a FIFO (named pipe), not a regular file",
        command_out=argv[0] != "validate",
    )


def test_an_included_fifo_is_refused_with_the_include_named(tmp_path, capsys):
    _fifo(tmp_path, "inner.toml")
    path = write(tmp_path, "s.toml", '[scenario]\nname = "s"\ninclude = ["inner.toml"]\n')
    refused(capsys, tmp_path, ["run", "--scenario", str(path)], "include[1] 'inner.toml'", "is a FIFO")


def test_a_table_file_that_is_a_device_is_refused(tmp_path, capsys):
    (tmp_path / "t.csv").symlink_to("/dev/zero")
    body = '[[interventions]]\nkind = "table"\ntarget = "training"\nfile = "t.csv"\ncolumn = "x"\n'
    path = scenario(tmp_path, "s.toml", body)
    refused(
        capsys, tmp_path, ["run", str(small(tmp_path)), "--scenario", str(path)], "is a character device"
    )


@pytest.mark.parametrize(
    ("name", "limit_name"), [("big.toml", "file_bytes"), ("big.xmile", "xmile_bytes")]
)
def test_a_file_above_the_size_limit_is_refused_before_it_is_read(tmp_path, capsys, name, limit_name):
    path = tmp_path / name
    with open(path, "wb") as f:
        f.truncate(LIMITS[limit_name].value + 1)  # sparse: no disk used
    refused(
        capsys,
        tmp_path,
        ["validate", str(path)],
        f"its size in bytes is {LIMITS[limit_name].value + 1},",
        f"({limit_name})",
        command_out=False,
    )


def test_a_regular_file_reads_as_path_read_text_reads_it(tmp_path):
    path = tmp_path / "a.csv"
    data = "\ufefftime,x\r\n0,1\r2,3\n".encode()
    path.write_bytes(data)
    for encoding in ("utf-8", "utf-8-sig"):
        assert read_text(path, encoding=encoding) == path.read_text(encoding=encoding)
    assert read_bytes(path) == data
    with pytest.raises(FileNotFoundError):
        read_text(tmp_path / "missing.csv")
    with pytest.raises(IsADirectoryError):
        read_text(tmp_path)
    with pytest.raises(ScenarioError, match="FIFO"):
        read_text(_fifo(tmp_path, "p"), error=ScenarioError)


# -- 4. silent wrong answers ----------------------------------------------------------------------------------
def test_composite_weights_that_overflow_are_refused(tmp_path, capsys):
    path = model_with(
        tmp_path,
        "of = { staff_capability = 1, responsiveness = 2 }",
        "of = { staff_capability = 1e308, responsiveness = 1e308 }",
    )
    refused(
        capsys,
        tmp_path,
        ["validate", str(path)],
        "factors.effectiveness.of: the weights of staff_capability, responsiveness add up to more",
        command_out=False,
    )


def test_a_repeated_event_inside_a_hold_is_an_error(tmp_path, capsys):
    body = (
        '[[interventions]]\nkind = "clamp"\ntarget = "training"\nvalue = 0.5\n\n'
        '[[interventions]]\nkind = "event"\ntarget = "training"\nevery = 3\nmultiply = 0.5\n'
    )
    path = scenario(tmp_path, "s.toml", body)
    refused(
        capsys,
        tmp_path,
        ["run", str(small(tmp_path)), "--scenario", str(path)],
        "interventions[2].every: the event every 3 months jumps at month 3",
        "interventions[1] (clamp) holds 'training' for the whole run, so it would have no effect",
    )


def test_a_repeated_event_outside_its_targets_holds_is_fine(tmp_path):
    body = (
        '[[interventions]]\nkind = "clamp"\ntarget = "training"\nvalue = 0.5\nend = 6\n\n'
        '[[interventions]]\nkind = "event"\ntarget = "training"\nevery = 3\nstart = 6\nmultiply = 0.5\n'
    )
    result = gmsim.simulate(small(tmp_path), scenario=scenario(tmp_path, "s.toml", body))
    training = result["training"]
    assert training[-1] == pytest.approx(0.5 * 0.5**2)  # jumps at 6 and 9 (12 is the end)


def test_limit_errors_are_gmsim_errors():
    assert issubclass(LimitError, GmsimError)
