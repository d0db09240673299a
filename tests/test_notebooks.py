"""The worked notebooks in ``notebooks/``: committed clean, in step with their sources, and each
running top to bottom in a fresh kernel without an error or a warning.

The kernel is ipykernel's ``python3``, installed for the interpreter running the tests into a
temporary prefix (so it is there even where Jupyter has no kernel spec, and it cannot be a spec
of another Python), with ``MPLBACKEND=Agg`` in its environment. Each notebook runs in an empty
temporary folder, which it must leave empty.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import install
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]-*.ipynb"))
CELL_TIMEOUT = 240  # seconds; generous, for a loaded machine

FIGURES = {
    "01-quickstart": 4,
    "02-scenarios": 7,
    "03-feedback-loops": 4,
    "04-uncertainty": 3,
    "05-your-own-model": 1,
    "06-evidence": 2,
}
"""Figures each notebook draws: each must render once (inline, through Agg), none twice."""


def _ids(path: Path) -> str:
    return path.stem


def _builder():
    spec = importlib.util.spec_from_file_location("notebooks_build", FOLDER / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- committed files ---------------------------------------------------------------------------
def test_the_five_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == list(FIGURES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        cell.id
        for cell in nb.cells
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `python notebooks/_build.py`"
    assert nb.metadata.kernelspec.name == "python3"


def test_notebooks_match_their_sources():
    stale = _builder().build(check=True)
    assert not stale, f"out of date with notebooks/src: {stale}; run `python notebooks/_build.py`"


def test_build_reads_the_percent_format():
    build = _builder()
    source = (
        '"""A docstring before the first cell is left out."""\n'
        "# %% [markdown]\n# # Title\n#\n# Some *text*.\n\n"
        "# %%\n# %matplotlib inline\nx = 1  # a comment stays\n\n\n"
        "# %% [markdown]\n# End.\n"
    )
    cells = build.parse(source)
    assert [(c.cell_type, c.source) for c in cells] == [
        ("markdown", "# Title\n\nSome *text*."),
        ("code", "%matplotlib inline\nx = 1  # a comment stays"),
        ("markdown", "End."),
    ]
    with pytest.raises(ValueError, match="does not start with '#'"):
        build.parse("# %% [markdown]\nnot a comment\n")


def test_build_is_reproducible(tmp_path: Path):
    build = _builder()
    source = tmp_path / "src" / "09-example.py"
    source.parent.mkdir()
    source.write_text("# %% [markdown]\n# # Example\n\n# %%\nprint(1)\n", encoding="utf-8")
    first, second = build.render(source), build.render(source)
    assert first == second
    nb = nbformat.reads(first, as_version=4)
    assert [c.id for c in nb.cells] == ["09-01", "09-02"]
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None


# -- execution ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kernels() -> KernelSpecManager:
    with tempfile.TemporaryDirectory(prefix="gmsim-kernel-") as prefix:
        install(prefix=prefix, kernel_name="python3", env={"MPLBACKEND": "Agg"})
        yield KernelSpecManager(kernel_dirs=[str(Path(prefix) / "share" / "jupyter" / "kernels")])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_runs_top_to_bottom(path: Path, kernels: KernelSpecManager, tmp_path: Path):
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="gmsim-ipc-") as sockets:
        manager = AsyncKernelManager(
            kernel_name="python3",
            kernel_spec_manager=kernels,
            transport="ipc",
            ip=str(Path(sockets) / "kernel"),
        )
        client = NotebookClient(
            nb, km=manager, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute(cleanup_kc=True)  # raises CellExecutionError, naming the cell, on any error

    outputs = [(cell.id, out) for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    stderr = [f"{cell}: {out.text}" for cell, out in outputs if out.get("name") == "stderr"]
    assert not stderr, "\n".join(stderr)
    figures = sum("image/png" in out.get("data", {}) for _, out in outputs)
    assert figures == FIGURES[path.stem]
    assert not list(tmp_path.iterdir()), "the notebook left files in the folder it ran in"
