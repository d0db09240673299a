"""Causes and uses trees: depth-bounded, loops marked and not expanded, iterative on deep graphs."""

from __future__ import annotations

import networkx as nx
import pytest

import gmsim
from gmsim.analysis.trees import causes_tree, format_tree, tree_rows, uses_tree
from gmsim.cli import main
from gmsim.errors import GmsimError


def test_depth_bounds_the_tree_and_marks_what_goes_on():
    g = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d")])
    tree = causes_tree(g, "d", depth=2)
    assert [node.factor for _, node in tree_rows(tree)] == ["d", "c", "b"]
    assert tree_rows(tree)[-1][1].cut


def test_a_loop_is_shown_once_and_not_expanded():
    g = nx.DiGraph([("a", "b"), ("b", "a")])
    tree = uses_tree(g, "a", depth=5)
    assert [(n.factor, n.loop) for _, n in tree_rows(tree)] == [("a", False), ("b", False), ("a", True)]


def test_a_deep_chain_needs_no_recursion():
    g = nx.DiGraph([(i + 1, i) for i in range(5000)])
    tree = causes_tree(g, 0, depth=4000, max_nodes=10_000)
    assert tree.size() == 4001


def test_max_nodes_bounds_a_wide_tree():
    g = nx.DiGraph([(i, "root") for i in range(2000)])
    tree = causes_tree(g, "root", depth=1, max_nodes=100)
    assert tree.size() == 100 and tree.cut


def test_unknown_factor_and_bad_depth_are_named():
    with pytest.raises(GmsimError, match="did you mean 'funding'"):
        causes_tree(gmsim.load_model(), "fundin")
    with pytest.raises(GmsimError, match="`depth`"):
        uses_tree(gmsim.load_model(), "funding", depth=0)


def test_show_prints_causes_and_uses(capsys):
    assert main(["show", "--causes", "funding", "--uses", "funding", "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "Causes of funding" in out and "Uses of funding" in out
    assert format_tree(causes_tree(None, "funding", 1)).splitlines()[0] in out


def test_run_plots_the_variables_asked_for(tmp_path, capsys):
    assert main(["run", "--stop", "6", "--variable", "funding", "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "variables.png").exists()
    assert main(["run", "--stop", "6", "--variable", "fundin", "--out", str(tmp_path / "p")]) == 2
    assert not (tmp_path / "p").exists()
