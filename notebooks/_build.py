"""Write the worked notebooks from their Python sources.

Each notebook's text lives in ``notebooks/src/<name>.py`` in the "percent"
format that editors and jupytext read: a line ``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell whose lines are comments, and an IPython
magic is written commented out (``# %matplotlib inline``), so that every
source is plain Python that ruff checks. This script turns
each source into ``notebooks/<name>.ipynb`` with no outputs, no execution
counts and fixed cell ids, so that the committed notebooks are reproducible
byte for byte and review as plain Python.

Run it after editing a source::

    python notebooks/_build.py            # rewrite every notebook
    python notebooks/_build.py --check    # exit 1 if a notebook is out of date

Examples
--------
>>> cells = parse("# %% [markdown]\\n# # Title\\n\\n# %%\\n# %matplotlib inline\\nx = 1\\n")
>>> [(c.cell_type, c.source) for c in cells]
[('markdown', '# Title'), ('code', '%matplotlib inline\\nx = 1')]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

__all__ = ["HERE", "SOURCES", "build", "notebook", "parse", "render"]

HERE = Path(__file__).resolve().parent
"""The ``notebooks/`` folder."""

SOURCES = HERE / "src"
"""Where the percent-format sources are."""

_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
_MAGIC = re.compile(r"^# (?P<magic>%[A-Za-z].*)$")

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def parse(text: str) -> list[NotebookNode]:
    """The cells of a percent-format source, in order.

    A ``# %% [markdown]`` cell's lines lose their leading ``# `` (a bare ``#``
    is an empty line); in a code cell, a commented magic (``# %matplotlib
    inline``) is uncommented. Blank lines at the start and end of a cell are dropped;
    text before the first marker is ignored (the source's own docstring).
    """
    cells: list[NotebookNode] = []
    kind: str | None = None
    lines: list[str] = []

    def close() -> None:
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(body))
        else:
            cells.append(nbformat.v4.new_code_cell(body))

    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            close()
            kind = "markdown" if "[markdown]" in match["rest"] else "code"
            lines = []
        elif kind == "markdown":
            if line.strip() and not line.startswith("#"):
                raise ValueError(f"markdown cell line does not start with '#': {line!r}")
            lines.append(line[2:] if line.startswith("# ") else line[1:])
        elif kind == "code":
            magic = _MAGIC.match(line)
            lines.append(magic["magic"] if magic else line)
    close()
    return cells


def notebook(source: Path) -> NotebookNode:
    """The notebook of one source file, validated, with fixed cell ids ``<name>-<n>``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = parse(source.read_text(encoding="utf-8"))
    for k, cell in enumerate(nb.cells, start=1):
        cell.id = f"{source.stem[:2]}-{k:02d}"
    nb.metadata = NotebookNode(
        {
            "kernelspec": NotebookNode(KERNELSPEC),
            "language_info": NotebookNode({"name": "python"}),
        }
    )
    nbformat.validate(nb)
    return nb


def render(source: Path) -> str:
    """The text of the ``.ipynb`` file of ``source``."""
    return nbformat.writes(notebook(source)) + "\n"


def build(out: Path = HERE, *, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, compare) every notebook; return those that changed."""
    changed = []
    for source in sorted(SOURCES.glob("[0-9][0-9]-*.py")):
        target = out / f"{source.stem}.ipynb"
        text = render(source)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(target)
            if not check:
                target.write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks out of date")
    args = parser.parse_args(argv)
    changed = build(check=args.check)
    for path in changed:
        print(f"{'out of date' if args.check else 'wrote'}: {path.relative_to(HERE.parent)}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
