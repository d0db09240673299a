"""Write output folders all-or-nothing: stage beside the target, then move into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gmsim.errors import OutputError

__all__ = ["check_writable", "output_dir"]


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early, with a clear message, when ``path`` cannot become an output folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; choose another --out")
    parent = path if path.exists() else path.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"{path}: cannot write into {parent} (permission denied); choose another --out"
        )
    return path


@contextlib.contextmanager
def output_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging folder; on success its files move into ``path``, on error nothing does.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with output_dir(target) as stage:
    ...     _ = (stage / "a.csv").write_text("x")
    >>> sorted(p.name for p in target.iterdir())
    ['a.csv']
    """
    path = check_writable(path)
    anchor = path.parent
    try:
        anchor.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=anchor))
    except OSError as exc:
        raise OutputError(f"{path}: cannot be created ({exc.strerror}); choose another --out") from None
    try:
        yield stage
        path.mkdir(exist_ok=True)
        for item in stage.iterdir():
            target = path / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror}); choose another --out") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
