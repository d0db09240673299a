"""The shape of the package: subpackages are the stages of the flow, and imports only point down.

Every ``import`` of a gmsim module counts, at module level or inside a function (a lazy
import is still a dependency); only imports under ``if TYPE_CHECKING:`` are exempt, since
they never run. Two rules follow from the README's architecture section:

- no import circle between modules;
- a module imports only from its own subpackage and from the layers below it.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(importlib.util.find_spec("gmsim").origin).parent  # read, not imported

# bottom first; a module may import from its own layer and every layer before it
LAYERS = [
    ("errors", "_version", "_source_layout", "limits"),
    ("core",),
    ("files",),
    ("factor",),
    ("xmile",),
    ("scenario",),
    ("simulation",),
    ("plot",),
    ("analysis",),
    ("uncertainty",),
    ("evidence",),
    ("report",),
    ("",),  # gmsim/__init__.py: the public API
    ("explore",),
    ("cli", "__main__"),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
    )


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The gmsim modules ``name`` imports, lazily or not, outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # `from gmsim.core import system` imports the module gmsim.core.system
            found.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known)
        stack.extend(ast.iter_child_nodes(node))
    resolved = set()
    for target in found:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            resolved.add(target)
    return resolved


def layer_of(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    found = modules()
    known = set(found)
    g = nx.DiGraph()
    g.add_nodes_from(known)
    for name, path in found.items():
        g.add_edges_from((name, target) for target in imports_of(name, path, known))
    return g


def test_every_module_has_a_layer():
    unplaced = sorted(name for name in modules() if layer_of(name) not in RANK)
    assert unplaced == [], "add these to LAYERS (and the README's tree): " + ", ".join(unplaced)


def test_no_import_circles(graph):
    circles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert circles == []


def test_layers_only_point_down(graph):
    upward = [
        f"{a} -> {b}"
        for a, b in graph.edges
        if layer_of(a) != layer_of(b) and RANK[layer_of(b)] > RANK[layer_of(a)]
    ]
    assert upward == []


def test_core_depends_on_nothing_above_it(graph):
    for name in (n for n in graph if layer_of(n) == "core"):
        outside = {
            b
            for b in graph.successors(name)
            if layer_of(b) not in ("core", "errors", "_version", "limits")
        }
        assert outside == set(), name


def test_no_module_is_over_the_size_limit():
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()
    }
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_the_checker_sees_lazy_imports_and_skips_type_checking(tmp_path):
    """The rules above could pass by not looking: show that a lazy import is an edge."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from gmsim.report import write_report\n"
        "def f():\n    from gmsim.analysis import loops\n    import gmsim.cli\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source)
    known = set(modules())
    found = imports_of("gmsim.core.probe", path, known)
    assert found == {"gmsim.analysis", "gmsim.analysis.loops", "gmsim.cli"}
