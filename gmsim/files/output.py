"""Write outputs whole or not at all, and never over what the user has.

An output folder is staged beside its target and its files move into place
only when every one of them is written; a single output file is written to a
temporary file and renamed. Neither replaces a folder of the user's, nor a file
the command reads (:func:`guard_inputs`), and a stop by Ctrl-C or SIGTERM
(:func:`stop_cleanly`) removes the staging folder and leaves the target as it
was. Staging folders are named ``.<target>.gmsim-<machine>-<pid>-<random>``,
so that no run takes another's for its own and a later run knows a folder left
by a killed one (SIGKILL) for what it is: it removes it only when the name is
gmsim's, of this machine, and its process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from gmsim.errors import OutputError

__all__ = [
    "Terminated",
    "check_file_target",
    "check_not_input",
    "check_writable",
    "file_names",
    "guard_inputs",
    "note_input",
    "output_dir",
    "safe_stem",
    "stop_cleanly",
    "write_file",
]

_guarded: list[Path] | None = None
"""The files the running command reads (None: no command is guarding its inputs)."""


# -- what a command reads ------------------------------------------------------------------------
@contextlib.contextmanager
def guard_inputs(paths: Iterable[str | os.PathLike] = ()) -> Iterator[None]:
    """While active, no output may replace one of ``paths``, nor a file read with :func:`note_input`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> model = pathlib.Path(tempfile.mkdtemp()) / "m.toml"
    >>> _ = model.write_text("[model]")
    >>> with guard_inputs([model]):
    ...     try:
    ...         write_file(model, "<xmile/>")
    ...     except OutputError as exc:
    ...         print("refused")
    refused
    >>> model.read_text()
    '[model]'
    """
    global _guarded
    before = _guarded
    _guarded = [Path(p) for p in paths if p and Path(p).is_file()] + list(before or ())
    try:
        yield
    finally:
        _guarded = before


def note_input(path: str | os.PathLike) -> None:
    """Record that the running command reads ``path`` (nothing when no command guards its inputs)."""
    if _guarded is not None:
        _guarded.append(Path(path))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # one does not exist yet (``new/../m.toml``): compare the paths
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_not_input(target: str | os.PathLike, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """Refuse ``target`` when it is the same file as one the command reads (``inputs`` and the guarded ones)."""
    target = Path(target)
    for source in (*map(Path, inputs), *(_guarded or ())):
        if _same_file(target, source):
            what = "" if str(source) == str(target) else f" ({source})"
            raise OutputError(
                f"{target}: is an input{what}; writing it would replace it, so choose another "
                "output name"
            )


def _check_target(target: Path, inputs: Iterable[str | os.PathLike]) -> None:
    """A file of an output folder may replace an earlier output, never a folder or an input."""
    if target.is_dir() and not target.is_symlink():
        raise OutputError(
            f"{target}: is a folder, where gmsim would write a file; nothing was written: "
            "move the folder or choose another --out"
        )
    check_not_input(target, inputs)


# -- output folders ------------------------------------------------------------------------------
def check_writable(
    path: str | os.PathLike,
    *,
    names: Iterable[str] = (),
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Fail early, with a clear message, when ``path`` cannot become an output folder.

    ``names``: files the command will write into it, each checked as
    :func:`output_dir` will check it (not a folder, not an input).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; choose another --out")
    for name in names:
        _check_target(path / name, inputs)
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
def output_dir(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = ()) -> Iterator[Path]:
    """Yield a staging folder; on success its files move into ``path``, on error nothing does.

    A file may replace one of an earlier run; one that would replace a folder or
    an input (``inputs``, and those of :func:`guard_inputs`) stops the move
    before any file moves.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with output_dir(target) as stage:
    ...     _ = (stage / "a.csv").write_text("x")
    >>> sorted(p.name for p in target.iterdir())
    ['a.csv']
    >>> (target / "b.csv").mkdir()
    >>> try:
    ...     with output_dir(target) as stage:
    ...         _ = (stage / "b.csv").write_text("x")
    ... except OutputError as exc:
    ...     print(str(exc).split(";")[0].endswith("is a folder, where gmsim would write a file"))
    True
    >>> sorted(p.name for p in target.parent.iterdir())  # no staging folder left
    ['out']
    """
    path = check_writable(path, inputs=inputs)
    anchor = path.parent
    try:
        anchor.mkdir(parents=True, exist_ok=True)
        _remove_stale_stages(anchor, path.name)
        stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.gmsim-{_host()}-{os.getpid()}-", dir=anchor))
    except OSError as exc:
        raise OutputError(f"{path}: cannot be created ({exc.strerror}); choose another --out") from None
    try:
        yield stage
        items = sorted(stage.iterdir())
        path.mkdir(exist_ok=True)
        for item in items:
            _check_target(path / item.name, inputs)
        with _moving():
            for item in items:
                os.replace(item, path / item.name)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror}); choose another --out") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _host() -> str:
    """This machine's name as it stands in a staging folder's name (no ``-``: it ends at one)."""
    return safe_stem(socket.gethostname(), limit=40) or "host"


_STAGE = re.compile(r"(\d+)-[a-z0-9_]+")  # what follows ``gmsim-<machine>-``: pid, mkdtemp's letters


def _remove_stale_stages(anchor: Path, name: str) -> None:
    """Remove the staging folders for ``name`` that a killed gmsim left: named so, of this machine,
    and whose process is gone. Anything else (a run still going, a folder not gmsim's) stays."""
    if os.name == "nt":  # no safe way to ask whether a process lives: leave everything
        return
    prefix = f".{name}.gmsim-{_host()}-"
    try:
        entries = [e for e in os.scandir(anchor) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        m = _STAGE.fullmatch(entry.name[len(prefix) :])
        if not m or not entry.is_dir(follow_symlinks=False) or int(m.group(1)) == os.getpid():
            continue
        if not _alive(int(m.group(1))):
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # another user's process, or a pid that cannot be asked about
        return True
    return True


# -- file names made from names --------------------------------------------------------------------
_UNSAFE = re.compile(r"[\W_]+")


def safe_stem(text: str, *, limit: int = 80) -> str:
    """A file-name-safe form of a name: letters and digits (of any script), runs of others one ``_``.

    Examples
    --------
    >>> safe_stem("mean(effectiveness, 0, 12)"), safe_stem("资金 (funding)")
    ('mean_effectiveness_0_12', '资金_funding')
    """
    return _UNSAFE.sub("_", str(text)).strip("_")[:limit].rstrip("_")


def file_names(labels: Iterable[str], *, prefix: str = "", suffix: str = "") -> dict[str, str]:
    """A distinct, safe file name for each label (in order): ``prefix + safe_stem(label) + suffix``.

    Labels that would give the same name (``a-b`` and ``a+b``), or none (a name of
    punctuation alone: ``unnamed``), get ``_2``, ``_3``, ... in their order; names are told
    apart as a case-insensitive file system would.

    Examples
    --------
    >>> file_names(["a-b", "a+b", "A_B", "?"], prefix="fan_", suffix=".png")
    {'a-b': 'fan_a_b.png', 'a+b': 'fan_a_b_2.png', 'A_B': 'fan_A_B_3.png', '?': 'fan_unnamed.png'}
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for label in labels:
        if label in out:
            continue
        stem = safe_stem(label) or "unnamed"
        name, n = f"{prefix}{stem}{suffix}", 1
        while name.casefold() in taken:
            n += 1
            name = f"{prefix}{stem}_{n}{suffix}"
        taken.add(name.casefold())
        out[label] = name
    return out


# -- single output files -------------------------------------------------------------------------
def check_file_target(
    path: str | os.PathLike,
    *,
    example: str = "output.csv",
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Fail early, with a clear message, when ``path`` cannot become an output *file*.

    The nearest existing folder is probed with a temporary file, so that a
    read-only place is found before minutes of work rather than after.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name such as {path / example}")
    check_not_input(path, inputs)
    _probe_nearest_folder(path)
    return path


def write_file(
    path: str | os.PathLike,
    content: str | bytes | Callable[[Path], None],
    *,
    example: str = "output.csv",
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write a file whole or not at all: a temporary file beside it, then a rename.

    ``content`` is text (written as UTF-8 with ``\\n`` line ends), bytes, or a
    function that writes to the temporary path it is given (e.g. a figure's
    ``savefig``). The file gets the permissions of any new file. A folder or an
    input (``inputs``, and those of :func:`guard_inputs`) is never replaced.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "note.txt"
    >>> write_file(target, "hello").read_text()
    'hello'
    """
    inputs = tuple(inputs)
    path = check_file_target(path, example=example, inputs=inputs)
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
        check_not_input(path, inputs)  # ``new/../m.toml`` is m.toml only once ``new`` exists
        with _moving():
            os.replace(temp, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot be written ({exc.strerror or exc}); choose another --out"
        ) from None
    finally:
        temp.unlink(missing_ok=True)
    return path


# -- stopping: Ctrl-C and SIGTERM ----------------------------------------------------------------
class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: the command stops as on Ctrl-C (staging folders and temporary files removed)."""


_moves = 0  # output files moving into place now
_pending: list[int] = []  # signals that arrived meanwhile
_owner: int | None = None  # the process that installed the handlers of stop_cleanly


@contextlib.contextmanager
def _moving() -> Iterator[None]:
    """Files move into place: a stop asked for now waits until they all have moved."""
    global _moves
    _moves += 1
    try:
        yield
    finally:
        _moves -= 1
        if not _moves and _pending and threading.current_thread() is threading.main_thread():
            _raise(_pending[-1])


def _raise(signum: int):
    _pending.clear()
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _on_signal(signum: int, frame) -> None:
    if _owner != os.getpid():  # a forked child: behave as it would have without gmsim's handler
        if signum == signal.SIGINT:
            signal.default_int_handler(signum, frame)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _moves:
        _pending.append(signum)
        return
    _raise(signum)


@contextlib.contextmanager
def stop_cleanly() -> Iterator[None]:
    """While active, SIGTERM stops the program as Ctrl-C does (raising :class:`Terminated`, a
    :class:`KeyboardInterrupt`), so that staging folders and temporary files are removed; neither
    signal stops the move of an output's files into place halfway. Main thread only (elsewhere a
    no-op); the handlers before are put back on leaving.
    """
    global _owner
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    before = {s: signal.getsignal(s) for s in names}
    owner = _owner
    _owner = os.getpid()
    try:
        for s in names:
            signal.signal(s, _on_signal)
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        _owner = owner
        _pending.clear()
