"""A user's files are never lost, and names that would collide or act on the terminal are refused.

Each case runs the command line as a user does (a real ``python -m gmsim``
process) and checks the exit code 2, a one-line message, no traceback, and
that every file and folder the user had is byte for byte as it was. A few
checks of the same rules run in this process, where a subprocess would only
be slower.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import gmsim
from gmsim.cli import main
from gmsim.errors import OutputError
from gmsim.files.output import (
    Terminated,
    file_names,
    guard_inputs,
    output_dir,
    safe_stem,
    stop_cleanly,
    write_file,
)

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
ESCAPES = ("\x1b", "\x9b", "\u202e")


def gmsim_cli(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gmsim", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=timeout,
    )


def here(capsys, *args: str) -> SimpleNamespace:
    """The same command run in this process (faster), from the current folder."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``, hidden ones too."""
    out: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        out[key] = None if path.is_dir() and not path.is_symlink() else path.read_bytes()
    return out


def refused(proc: subprocess.CompletedProcess, *words: str) -> str:
    """The one message of a refused command (exit 2, no traceback), holding ``words``."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gmsim: error: "), proc.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not any(ch in proc.stderr for ch in ESCAPES), repr(proc.stderr)
    return lines[0]


MODEL = """# a commented model: every word of it is the user's
[model]
name = "{name}"

[factors.{id}]
group = "internal_enabler"
kind = "exogenous"
initial = 0.5

[factors.b]
group = "internal_enabler"
initial = 0.2
tau = 3

[[links]]
from = "{id}"
to = "b"
weight = 0.4
"""


def model_file(folder: Path, id: str = "a", name: str = "tiny", file: str = "m.toml") -> Path:
    path = folder / file
    path.write_text(MODEL.format(id=id, name=name), encoding="utf-8")
    return path


def xmile(name: str, eqn: str = "1") -> str:
    """A small XMILE file with an auxiliary called ``name`` (XML-escaped by the caller)."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>t</name><vendor>x</vendor><product>x</product></header>
  <sim_specs method="Euler" time_units="Months"><start>0</start><stop>4</stop><dt>1</dt></sim_specs>
  <model><variables>
    <stock name="S"><eqn>1</eqn><inflow>f</inflow></stock>
    <flow name="f"><eqn>{eqn}</eqn></flow>
    <aux name="{name}"><eqn>5</eqn></aux>
  </variables></model>
</xmile>
"""


# -- names that collide with a column of the tables -------------------------------------------------
@pytest.mark.parametrize("id", ["time", "Time", "run", "scenario"])
def test_a_factor_named_like_a_column_is_refused_with_its_line(tmp_path, id, capsys, monkeypatch):
    path = model_file(tmp_path, id=id)
    before = snapshot(tmp_path)
    start = time.monotonic()
    args = ("run", path.name, "--stop", "1", "--out", "o")
    monkeypatch.chdir(tmp_path)
    proc = gmsim_cli(*args, cwd=tmp_path) if id == "time" else here(capsys, *args)
    message = refused(proc, "m.toml:5:", f"factors.{id}", "trajectories.csv", "rename it")
    assert f"'{id}_level'" in message
    assert time.monotonic() - start < 60
    assert snapshot(tmp_path) == before


def test_time_inside_a_longer_id_is_fine():
    model = gmsim.Model(
        name="m",
        factors=(gmsim.Factor("time_pressure", kind="exogenous", initial=0.5), gmsim.Factor("b", tau=2)),
        links=(gmsim.Link("time_pressure", "b", 0.3),),
    )
    assert "time_pressure" in gmsim.simulate(model, stop=1).to_frame().reset_index().columns


# -- XMILE names the built-ins would shadow ---------------------------------------------------------
@pytest.mark.parametrize("name", ["time", "TIME", "DT", "dt", "STARTTIME", "StopTime", "PI"])
def test_an_xmile_variable_named_like_a_builtin_is_refused(tmp_path, name, capsys, monkeypatch):
    (tmp_path / "x.xmile").write_text(xmile(name, eqn=name), encoding="utf-8")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ("run", "x.xmile", "--out", "o")
    proc = gmsim_cli(*args, cwd=tmp_path) if name == "TIME" else here(capsys, *args)
    refused(proc, "x.xmile:8:", f"variable '{name}'", f"built-in {name.upper()}", "rename it")
    assert snapshot(tmp_path) == before


def test_an_xmile_variable_named_run_is_refused_at_the_top_only(tmp_path, capsys, monkeypatch):
    (tmp_path / "x.xmile").write_text(xmile("Run"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    proc = here(capsys, "validate", "x.xmile")
    refused(proc, "x.xmile:8:", "'Run'", "`run` column")


def test_names_near_the_builtins_are_fine(tmp_path):
    from gmsim.xmile import load_xmile_text

    model = load_xmile_text(
        xmile("start time", eqn='"start time" + time_left').replace(
            "</variables>", '<aux name="time left"><eqn>DT</eqn></aux></variables>'
        )
    )
    assert gmsim.simulate(model)["f"][0] == 6.0  # "start time" is 5, DT is 1: no name shadowed


# -- control and escape characters ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\\u001b[2J", "'\\x1b'"),
        ("\\u009b31m", "'\\x9b'"),
        ("evil\\u202eftp.exe", "'\\u202e'"),
        ("bell\\u0007", "'\\x07'"),
    ],
)
def test_control_characters_in_names_are_refused_with_their_line(
    tmp_path, text, shown, capsys, monkeypatch
):
    model_file(tmp_path, name=text)
    (tmp_path / "s.toml").write_text(f'[scenario]\nname = "{text}"\n', encoding="utf-8")
    (tmp_path / "spec.toml").write_text(
        f'[spec]\nname = "{text}"\n[[uncertain]]\nevery = "weight"\ndistribution = "uniform"\n'
        "relative = 0.1\n",
        encoding="utf-8",
    )
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)

    def cli(*args):  # the terminal's own process once, the others here
        return gmsim_cli(*args, cwd=tmp_path) if "1b" in text else here(capsys, *args)

    refused(cli("validate", "m.toml"), "m.toml:3:", "model.name", shown)
    refused(cli("scenarios", "s.toml"), "s.toml:2:", "scenario.name", shown)
    refused(
        cli("uncertainty", "--spec", "spec.toml", "--out", "o"),
        "spec.toml:2:",
        "spec.name",
        shown,
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("entity", ["&#x9b;", "&#x202e;", "&#x7f;", "&#x85;"])
def test_control_characters_in_xmile_names_are_refused(tmp_path, entity, capsys, monkeypatch):
    (tmp_path / "x.xmile").write_text(xmile(f"a{entity}b"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ("validate", "x.xmile")
    proc = gmsim_cli(*args, cwd=tmp_path) if entity == "&#x9b;" else here(capsys, *args)
    refused(proc, "x.xmile:8:", "variable name 'a\\", "control character")


def test_an_escape_in_a_key_is_shown_escaped_not_sent_to_the_terminal(tmp_path):
    path = model_file(tmp_path)
    text = path.read_text(encoding="utf-8").replace("[factors.b]", '[factors."b\\u001b[2J"]')
    path.write_text(text.replace('to = "b"', 'to = "b\\u001b[2J"'), encoding="utf-8")
    proc = gmsim_cli("validate", "m.toml", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "\x1b" not in proc.stderr and "b\\x1b[2J" in proc.stderr


# -- file names made from names ----------------------------------------------------------------------
def test_plot_names_that_would_collide_get_distinct_files(tmp_path):
    (tmp_path / "x.xmile").write_text(
        xmile("a-b", eqn='"a-b" * "a+b"').replace(
            "</variables>", '<aux name="a+b"><eqn>2</eqn></aux></variables>'
        ),
        encoding="utf-8",
    )
    (tmp_path / "spec.toml").write_text(
        '[spec]\nname = "c"\nseed = 1\nruns = 4\n[[uncertain]]\nevery = "constant"\n'
        'distribution = "uniform"\nrelative = 0.1\n',
        encoding="utf-8",
    )
    proc = gmsim_cli(
        "uncertainty", "x.xmile", "--spec", "spec.toml", "--plot", "a-b", "--plot", "a+b",
        "--out", "o", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    fans = sorted(p.name for p in (tmp_path / "o").glob("fan_*"))
    assert fans == ["fan_a_b.png", "fan_a_b_2.png"]
    assert "fan_a_b.png, fan_a_b_2.png" in proc.stdout
    assert (tmp_path / "o" / "fan_a_b.png").read_bytes() != (
        tmp_path / "o" / "fan_a_b_2.png"
    ).read_bytes()


def test_file_names_are_safe_and_distinct():
    names = file_names(
        ["a-b", "a+b", "A B", "../../etc/passwd", "资金", "x" * 300, "", "a-b"], prefix="fan_"
    )
    assert len(set(n.casefold() for n in names.values())) == len(names) == 7
    assert names["../../etc/passwd"] == "fan_etc_passwd" and names["资金"] == "fan_资金"
    assert all("/" not in n and "\\" not in n and len(n) < 100 for n in names.values())
    assert names[""] == "fan_unnamed"


# -- a folder of the user's where an output file goes ----------------------------------------------
def user_folder(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "keep.txt").write_text("the user's notes\n", encoding="utf-8")
    (folder / "deeper").mkdir()
    (folder / "deeper" / "data.csv").write_bytes(b"month,x\n0,1\n")


def test_run_never_deletes_a_folder_where_trajectories_go(tmp_path):
    user_folder(tmp_path / "u" / "trajectories.csv")
    (tmp_path / "u" / "overview.png").write_bytes(b"an earlier overview")
    before = snapshot(tmp_path)
    proc = gmsim_cli("run", "--stop", "1", "--out", "u", cwd=tmp_path)
    refused(proc, "u/trajectories.csv", "is a folder", "nothing was written")
    assert snapshot(tmp_path) == before  # nothing of the run moved in, no staging folder left


@pytest.mark.parametrize(
    ("args", "folder"),
    [
        (["compare", "--scenario", "rotation-3m", "--stop", "1"], "o/comparison.csv"),
        (["loops"], "o/loops.csv"),
        (["check"], "o/checks.csv"),
        (["uncertainty", "--runs", "2", "--stop", "1", "--quiet"], "o/bands.csv"),
        (
            ["sensitivity", "--method", "morris", "--samples", "2", "--stop", "1", "--quiet"],
            "o/indices.csv",
        ),
        (["elicit", "--template"], "o/ratings.csv"),
        (["export"], "o.xmile"),
        (["diagram"], "o.png"),
        (["report", "--scenario", "baseline", "--stop", "1"], "o.html"),
    ],
)
def test_no_command_replaces_a_folder_with_a_file(tmp_path, capsys, args, folder):
    user_folder(tmp_path / folder)
    out = "o" if folder.startswith("o/") else folder
    before = snapshot(tmp_path)
    assert main([*args, "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and len(err.strip().splitlines()) == 1, err
    assert snapshot(tmp_path) == before


# -- an output that is one of the inputs --------------------------------------------------------------
def test_export_never_replaces_the_model_it_reads(tmp_path, capsys, monkeypatch):
    path = model_file(tmp_path)
    os.link(path, tmp_path / "hard.xmile")
    (tmp_path / "soft.xmile").symlink_to("m.toml")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    for out in ("m.toml", "./m.toml", str(path), "new/../m.toml", "hard.xmile", "soft.xmile"):
        args = ("export", "m.toml", "--out", out)
        proc = gmsim_cli(*args, cwd=tmp_path) if out == "m.toml" else here(capsys, *args)
        refused(proc, "is an input", "choose another output name")
        assert snapshot(tmp_path) == before, out
    assert not (tmp_path / "new").exists()


def test_an_included_scenario_is_an_input_too(tmp_path, capsys):
    (tmp_path / "inner.toml").write_text(
        '[scenario]\nname = "inner"\n[[interventions]]\nkind = "set"\ntarget = "funding"\nvalue = 0.9\n',
        encoding="utf-8",
    )
    (tmp_path / "outer.toml").write_text(
        '[scenario]\nname = "outer"\ninclude = ["inner.toml"]\n', encoding="utf-8"
    )
    before = snapshot(tmp_path)
    out = str(tmp_path / "inner.toml")
    assert main(["export", "--scenario", str(tmp_path / "outer.toml"), "--out", out]) == 2
    assert "is an input" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_a_table_read_by_a_scenario_is_an_input_too(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", "--stop", "2", "--out", str(out)]) == 0  # an earlier run
    scenario = tmp_path / "replay.toml"
    scenario.write_text(
        '[scenario]\nname = "replay"\n[[interventions]]\nkind = "table"\ntarget = "funding"\n'
        'file = "o/trajectories.csv"\ncolumn = "funding"\n',
        encoding="utf-8",
    )
    capsys.readouterr()
    before = snapshot(tmp_path)
    assert main(["run", "--stop", "2", "--scenario", str(scenario), "--out", str(out)]) == 2
    assert "trajectories.csv: is an input" in capsys.readouterr().err
    assert snapshot(tmp_path) == before
    assert main(["run", "--stop", "2", "--scenario", str(scenario), "--out", str(tmp_path / "p")]) == 0


def test_a_folder_command_never_replaces_an_input_inside_its_folder(tmp_path, capsys):
    out = tmp_path / "work"
    assert main(["elicit", "--template", "--out", str(out)]) == 0
    sheet = (out / "ratings.csv").read_text(encoding="utf-8").splitlines()
    rows = [sheet[0], "ann" + sheet[1].replace(",,,", ",+strong,,", 1)]
    (out / "ratings.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    model_copy = out / "model.toml"
    model_copy.write_bytes(gmsim.default_model_path().read_bytes() + b"# mine\n")
    capsys.readouterr()
    before = snapshot(tmp_path)
    args = ["elicit", str(out / "ratings.csv"), "--model", str(model_copy), "--out", str(out)]
    assert main(args) == 2  # model.toml of the output is the model it reads
    err = capsys.readouterr().err
    assert "model.toml: is an input" in err, err
    assert snapshot(tmp_path) == before
    assert main([*args[:-1], str(tmp_path / "elsewhere")]) == 0  # another --out: fine


def test_the_guard_is_for_the_command_line_and_explicit_inputs(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="is an input"):
        write_file(path, "other", inputs=[path])
    with guard_inputs([path]), pytest.raises(OutputError, match="is an input"):
        with output_dir(tmp_path) as stage:
            (stage / "a.txt").write_text("other", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    write_file(path, "replaced")  # outside a command, a file is the caller's to replace
    assert path.read_text(encoding="utf-8") == "replaced"


def test_export_xmile_in_python_never_writes_over_the_model_file(tmp_path):
    path = model_file(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="is an input"):
        gmsim.export_xmile(path, tmp_path / "new" / ".." / "m.toml")
    assert snapshot(tmp_path) == before


# -- stopping: SIGTERM as Ctrl-C, and what SIGKILL leaves --------------------------------------------
def host() -> str:
    return safe_stem(socket.gethostname(), limit=40) or "host"


def staging(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


LONG_RUN = ("uncertainty", "--runs", "300", "--keep-trajectories", "--quiet", "--out", "ot")


def start_long_run(tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gmsim", *LONG_RUN],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_staging(proc: subprocess.Popen, tmp_path: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if any(".gmsim-" in n for n in staging(tmp_path, "ot")):
            return
        time.sleep(0.01)
    proc.kill()
    proc.communicate()
    pytest.fail("the run ended before its staging folder was seen")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_a_stop_while_writing_leaves_no_staging_folder(tmp_path, sig, code, word):
    (tmp_path / "mine.txt").write_text("mine", encoding="utf-8")
    before = snapshot(tmp_path)
    proc = start_long_run(tmp_path)
    wait_for_staging(proc, tmp_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert f"gmsim: {word}" in err and "Traceback" not in err, err
    assert staging(tmp_path, "ot") == [] and not (tmp_path / "ot").exists()
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_later_run_removes_what_a_killed_run_left_and_nothing_else(tmp_path):
    proc = start_long_run(tmp_path)
    wait_for_staging(proc, tmp_path)
    proc.kill()  # SIGKILL: nothing can clean up
    proc.communicate(timeout=60)
    left = staging(tmp_path, "ot")
    assert len(left) == 1 and left[0].startswith(f".ot.gmsim-{host()}-{proc.pid}-")
    keep = [
        f".ot.gmsim-{host()}-1-live",  # pid 1 lives: perhaps a run of another user
        f".ot.gmsim-{host()}x-{proc.pid}-other",  # another machine's (a shared folder)
        ".ot.mine",  # not gmsim's
    ]
    for name in keep:
        (tmp_path / name).mkdir()
    again = gmsim_cli(
        "uncertainty", "--runs", "2", "--stop", "1", "--quiet", "--out", "ot", cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert staging(tmp_path, "ot") == sorted(keep)
    assert (tmp_path / "ot" / "bands.csv").is_file()


def test_a_stop_during_the_move_waits_for_every_file(tmp_path, monkeypatch):
    handler = signal.getsignal(signal.SIGTERM)
    real = os.replace
    calls = []

    def replace(a, b):
        if not calls:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives while the first file moves
        calls.append(b)
        real(a, b)

    with stop_cleanly(), pytest.raises(Terminated):
        with output_dir(tmp_path / "o") as stage:
            for name in ("a.csv", "b.csv", "c.csv"):
                (stage / name).write_text(name, encoding="utf-8")
            monkeypatch.setattr(os, "replace", replace)
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.csv", "b.csv", "c.csv"]
    assert staging(tmp_path, "o") == []
    assert signal.getsignal(signal.SIGTERM) == handler  # put back on leaving
