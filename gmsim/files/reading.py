"""Reading the user's files: regular files only, up to a size limit; a device or a FIFO is refused.

Every model, scenario, spec, data, ratings and include file gmsim reads goes
through :func:`read_bytes` or :func:`read_text`. The file is looked at with
:func:`os.stat` before it is opened, so ``/dev/zero`` (which never ends) and a
FIFO (whose open waits for a writer) are refused with a message instead of
filling memory or hanging; a regular file larger than the ``file_bytes`` limit
(``xmile_bytes`` for XMILE) is refused before it is read. Any other failure is
the :class:`OSError` or :class:`UnicodeDecodeError` that :meth:`pathlib.Path.read_text`
would raise, so each caller keeps its own messages for a missing file or bad text;
and a regular file reads exactly as :meth:`~pathlib.Path.read_text` reads it
(universal newlines).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "a.toml"
...     _ = path.write_bytes(b"x = 1\\r\\ny = 2\\n")
...     read_text(path)
'x = 1\\ny = 2\\n'
>>> read_text("/dev/zero")
Traceback (most recent call last):
...
gmsim.errors.GmsimError: /dev/zero: is a character device, not a regular file; give the path of a file
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from gmsim.errors import GmsimError
from gmsim.files.output import note_input
from gmsim.limits import check, limit

__all__ = ["read_bytes", "read_text"]

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse(path: Path, mode: int, what: str, error: type[GmsimError]) -> GmsimError:
    kind = _kind(mode)
    article = "an" if what[:1].lower() in "aeiou" or what.startswith("XMILE") else "a"
    return error(f"{path}: is {kind}, not a regular file; give the path of {article} {what}")


def read_bytes(
    path: str | os.PathLike,
    *,
    what: str = "file",
    error: type[GmsimError] = GmsimError,
    limit_name: str = "file_bytes",
    report: bool = False,
) -> bytes:
    """The bytes of the regular file ``path``, refused (as ``error``) when it is not one or too big.

    Parameters
    ----------
    path : path
        The file.
    what : str
        What the file should be, for the message ("model file", "data file").
    error : GmsimError subclass
        The class of the error raised for a device, a FIFO or a file above the limit.
    limit_name : str
        The limit of :mod:`gmsim.limits` on its size in bytes.
    report : bool
        Turn an :class:`OSError` into ``error`` too: ``<path>: no such file``, or
        ``<path>: cannot be read (<reason>)``.

    Raises
    ------
    OSError
        As :meth:`pathlib.Path.read_bytes` would: ``FileNotFoundError``,
        ``IsADirectoryError``, ``PermissionError``, ... (unless ``report``).
    GmsimError
        Of class ``error``, for anything but a regular file or a file above the limit.
    """
    path = Path(path)
    if report:
        try:
            return read_bytes(path, what=what, error=error, limit_name=limit_name)
        except FileNotFoundError:
            raise error(f"{path}: no such file") from None
        except OSError as exc:
            raise error(f"{path}: cannot be read ({exc.strerror})") from None
    note_input(path)  # no output of the running command may replace it
    mode = os.stat(path).st_mode  # before any open: opening a FIFO waits for a writer
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not stat.S_ISREG(mode):
        raise _refuse(path, mode, what, error)
    most = limit(limit_name)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb", closefd=True) as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):  # replaced between the stat and the open
            raise _refuse(path, info.st_mode, what, error)
        _check_size(path, info.st_size, limit_name, error)
        data = f.read(most + 1)
    _check_size(path, len(data), limit_name, error)  # grew while it was read
    return data


def _check_size(path: Path, size: int, limit_name: str, error: type[GmsimError]) -> None:
    check(limit_name, size, "its size in bytes", error=lambda message: error(f"{path}: {message}"))


def read_text(
    path: str | os.PathLike,
    *,
    encoding: str = "utf-8",
    errors: str = "strict",
    what: str = "file",
    error: type[GmsimError] = GmsimError,
    limit_name: str = "file_bytes",
) -> str:
    """The text of the regular file ``path``, as :meth:`pathlib.Path.read_text` gives it.

    Newlines are read as universal newlines (``\\r\\n`` and ``\\r`` become ``\\n``);
    ``encoding`` and ``errors`` are those of :meth:`bytes.decode`. Refusals as
    for :func:`read_bytes`; bad text raises :class:`UnicodeDecodeError`.
    """
    data = read_bytes(path, what=what, error=error, limit_name=limit_name)
    text = data.decode(encoding, errors)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
