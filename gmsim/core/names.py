"""Names a model may not use, and text that may not reach a terminal as it is.

Every table gmsim writes of a run has a column ``time`` (and a batch's also
``run`` and ``scenario``) beside one column per variable, so a variable with
one of those names would collide with it; spreadsheets and many CSV readers
match column names regardless of case, so ``Time`` collides too.

Names and ids are also printed: a control character in one (an escape
sequence, a carriage return, a bidirectional override) would act on the
terminal or hide part of a message instead of showing. Such names are refused
where they are read; :func:`printable` shows any that still reach a message.

Examples
--------
>>> reserved("Time")
'time'
>>> reserved("timer") is None
True
>>> unprintable("ok name"), unprintable("red\\x1b[31m")
(None, "'\\\\x1b'")
>>> printable("a\\x1b[2Jb")
'a\\\\x1b[2Jb'
"""

from __future__ import annotations

import unicodedata

__all__ = ["RESERVED", "printable", "reserved", "reserved_message", "unprintable"]

RESERVED = ("time", "run", "scenario")
"""Column names of the tables of runs (trajectories.csv): no variable may be called so."""

# Bidirectional controls reorder what a terminal shows (the "Trojan source" characters).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def reserved(name: str) -> str | None:
    """The column ``name`` would collide with (case-insensitively), or ``None``."""
    low = str(name).strip().casefold()
    return low if low in RESERVED else None


def reserved_message(name: str) -> str:
    """Why ``name`` cannot be a variable, with another name to use."""
    column = reserved(name) or str(name)
    return (
        f"'{name}' is the name of the `{column}` column of the tables gmsim writes "
        f"(trajectories.csv); rename it, e.g. '{name}_level'"
    )


def _bad(ch: str, allow: str) -> bool:
    if ch in allow:
        return False
    return ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") or ch in "\u2028\u2029"


def unprintable(text: str, *, allow: str = "") -> str | None:
    """The first character of ``text`` that would act on a terminal, as ``repr`` shows it; else ``None``.

    Control characters (C0, DEL, C1), line and paragraph separators, surrogates,
    private-use and unassigned code points, and bidirectional controls count;
    ``allow`` lists characters that may appear anyway (e.g. ``"\\n\\t"`` in a
    description). Letters of every script are fine.
    """
    for ch in str(text):
        if _bad(ch, allow):
            return repr(ch)
    return None


def printable(text: str) -> str:
    """``text`` with every such character written as its escape (``\\x1b``), the rest as it is."""
    return "".join(repr(ch)[1:-1] if _bad(ch, "\t") else ch for ch in str(text))
