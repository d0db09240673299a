"""The user guide: generated pages match the code, every CLI example runs, links resolve."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
from pathlib import Path

import pytest

from gmsim.cli import _commands, main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def load_build():
    spec = importlib.util.spec_from_file_location("docs_build", DOCS / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = load_build()


def test_generated_pages_match_the_code(capsys):
    assert BUILD.main(["--check"]) == 0, capsys.readouterr().err


def test_every_command_has_an_example():
    assert set(BUILD.EXAMPLES) == set(_commands())


EXAMPLES = [(name, line) for name, items in BUILD.EXAMPLES.items() for _, line in items]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "line"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)]
)
def test_every_example_of_the_cli_reference_runs(tmp_path, monkeypatch, command, line):
    shutil.copytree(ROOT / "models", tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(line)
    assert argv[:2] == ["gmsim", command]
    if command == "explore":
        pytest.skip("gmsim explore serves a page until stopped")
    assert main(argv[1:]) == 0
    out = argv[argv.index("--out") + 1] if "--out" in argv else None
    if out:
        assert (tmp_path / out).exists()


def test_links_of_the_guide_resolve():
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    for page in pages:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://")):
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_readme_links_to_the_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/index.md" in readme
