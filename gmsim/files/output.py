"""Write output folders all-or-nothing: stage beside the target, then move into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from gmsim.errors import OutputError

__all__ = ["check_file_target", "check_writable", "output_dir", "write_file"]


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early, with a clear message, when ``path`` cannot become an output folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; choose another --out")
    _probe_nearest_folder(path)
    return path


def _probe_nearest_folder(path: Path) -> None:
    """Write and remove a temporary file in the nearest folder of ``path`` that exists.

    A real write, not a permission check: it also finds read-only file systems,
    and it tells a file where a folder should be from a folder that is locked.
    """
    above = path if path.is_dir() else next((p for p in path.parents if p.exists()), Path("."))
    if not above.is_dir():
        raise OutputError(f"{path}: {above} is a file, not a folder; choose another --out")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=above)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write into {above} ({str(exc.strerror).lower()}); choose another --out"
        ) from None


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


def check_file_target(path: str | os.PathLike, *, example: str = "output.csv") -> Path:
    """Fail early, with a clear message, when ``path`` cannot become an output *file*.

    The nearest existing folder is probed with a temporary file, so that a
    read-only place is found before minutes of work rather than after.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name such as {path / example}")
    _probe_nearest_folder(path)
    return path


def write_file(
    path: str | os.PathLike,
    content: str | bytes | Callable[[Path], None],
    *,
    example: str = "output.csv",
) -> Path:
    """Write a file whole or not at all: a temporary file beside it, then a rename.

    ``content`` is text (written as UTF-8 with ``\\n`` line ends), bytes, or a
    function that writes to the temporary path it is given (e.g. a figure's
    ``savefig``). The file gets the permissions of any new file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "note.txt"
    >>> write_file(target, "hello").read_text()
    'hello'
    """
    path = check_file_target(path, example=example)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror}); choose another --out") from None
    temp = Path(name)
    try:
        if isinstance(content, str):
            with open(temp, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(content)
        elif isinstance(content, bytes):
            temp.write_bytes(content)
        else:
            content(temp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)
        os.replace(temp, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot be written ({exc.strerror or exc}); choose another --out"
        ) from None
    finally:
        temp.unlink(missing_ok=True)
    return path
