"""The project's shared material (the paper, the XMILE conformance suite), found beside the checkout.

Tests that need it call :func:`require`: in a developer's clone without the material they
skip, but under CI (the ``CI`` environment variable set) a missing file is a failure, so
the paper's quotes and the conformance suite can never pass by not running.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def find(*parts: str) -> Path | None:
    """``shared/<parts>`` in the nearest folder above the tests that has it, or ``None``."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder.joinpath("shared", *parts)
        if candidate.exists():
            return candidate
    return None


def require(path: Path | None, what: str) -> Path:
    """Return ``path``; when it is ``None``, fail under CI and skip elsewhere."""
    if path is not None:
        return path
    message = f"{what} is not beside this checkout"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI must run the tests that need it")
    pytest.skip(message)
