"""Test collection: doctests of the package, without running the command-line entry module."""

import os

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

collect_ignore = ["gmsim/__main__.py"]
# PySD writes its Python translation beside a model it reads: never collect those
collect_ignore_glob = ["tests/stmx/*.py"]
