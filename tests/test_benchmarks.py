"""Benchmark scripts stay in step with the code: each one imports (its names all exist)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("script", sorted(FOLDER.glob("*.py")), ids=lambda p: p.name)
def test_benchmark_script_imports_and_has_a_main(script, monkeypatch):
    monkeypatch.syspath_prepend(str(FOLDER))  # scripts import their neighbours, as when run
    spec = importlib.util.spec_from_file_location(f"benchmark_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)  # runs nothing heavy: each script works under __main__ only
    assert callable(getattr(module, "main", None)), f"{script.name} has no main()"
