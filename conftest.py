"""Test collection: doctests of the package, without running the command-line entry module."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

collect_ignore = ["gmsim/__main__.py"]
# PySD writes its Python translation beside a model it reads: never collect those
collect_ignore_glob = ["tests/stmx/*.py"]


@pytest.fixture(autouse=True)
def _close_figures():
    """Each test (and docstring example) starts with no figure left open by an earlier one."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
