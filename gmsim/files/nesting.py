"""How deep a TOML file nests, measured before and after it is parsed.

Python's TOML reader follows nested arrays and inline tables recursively (a
few hundred levels exhaust its stack) and reads a long dotted key
``a.b.c...`` in time growing with the square of its length; the data it
returns may nest deeper still (dotted keys inside nested inline tables), and
every later step that prints or walks it would recurse as deep. The limit
``toml_depth`` of :mod:`gmsim.limits` bounds all three: :func:`check_text`
looks at the text (brackets and dotted keys outside strings and comments)
before the reader runs, :func:`check_data` at what it returned. Real gmsim
files nest three or four levels.

Examples
--------
>>> check_text('[factors.funding]\\nnote = "[[[ not counted ]]]"\\nof = { a = [1.5, 2.5] }\\n')
(2, 1)
>>> check_data({"factors": {"funding": {"of": {"a": 1}}}})
4
>>> try:
...     check_text("x = " + "[" * 500 + "]" * 500, "deep.toml")
... except LimitError as exc:
...     print(str(exc).split(";")[0])
deep.toml:1: the nesting of arrays and inline tables is 101, more than the limit of 100 (toml_depth)
"""

from __future__ import annotations

import re
from typing import Any

from gmsim.limits import LimitError, check, limit

__all__ = ["LimitError", "check_data", "check_text"]

_TOKEN = re.compile(
    r'"""|\'\'\''  # a multi-line string opens: its end is found with str.find
    r'|"(?:[^"\\\n]|\\.)*"?'  # basic string (an unclosed one ends at the line: the reader reports it)
    r"|'[^'\n]*'?"  # literal string
    r"|#[^\n]*"  # comment
    r"|\n"
    r"|[ \t\r]+"
    r"|[\[\]{}.,=]"
    r"|[^\s\"'#\[\]{}.,=]+",
    re.S,
)


def check_text(text: str, path: object = "<text>") -> tuple[int, int]:
    """The deepest bracket nesting and the longest dotted key of a TOML text, checked against the limit.

    Brackets and dots inside strings and comments do not count; ``1.5`` is one
    dot between two words, like a key ``a.b``, but floats are never joined
    into a longer run. Returns ``(brackets, dots)``.

    Raises
    ------
    LimitError
        Naming the file and line, the depth and the limit ``toml_depth``.
    """
    most = limit("toml_depth")
    depth = deepest = run = longest = 0
    line, pos, n = 1, 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        token = m.group() if m else text[pos]
        pos += len(token)
        if token in ('"""', "'''"):  # one scan to its end (quotes of an escape \" do not end it)
            end = _close(text, pos, token)
            token, pos = text[pos - 3 : end], end
        first = token[0]
        if first == ".":
            run += 1
            if run > longest:
                longest = run
                if run + 1 > most:
                    _refuse(path, line, "the number of parts of one dotted key (a.b.c...)", run + 1)
        elif first in "[{":
            depth, run = depth + 1, 0
            if depth > deepest:
                deepest = depth
                if depth > most:
                    _refuse(path, line, "the nesting of arrays and inline tables", depth)
        elif first in "]}":
            depth, run = max(depth - 1, 0), 0
        elif first in "\n#,=":
            run = 0
        # else a key part (bare or quoted), a word of a value or a space: a dotted run goes on
        if first in "\n\"'":
            line += token.count("\n")
    return deepest, longest


def check_data(data: Any, path: object = "<text>") -> int:
    """How deep parsed TOML data nests (tables and arrays), checked against the limit; no recursion.

    Raises
    ------
    LimitError
        Naming the file, the key where the limit is passed, the depth and the limit.
    """
    most = limit("toml_depth")
    deepest = 0
    stack: list[tuple[Any, int, tuple]] = [(data, 1, ())]
    while stack:
        value, depth, key = stack.pop()
        if not isinstance(value, dict | list):
            continue
        if depth > deepest:
            deepest = depth
            if depth > most:
                shown = ".".join(str(k) for k in key[:6]) + (".…" if len(key) > 6 else "")
                _refuse(path, None, f"the nesting of tables and arrays (at {shown})", depth)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend((v, depth + 1, (*key, k)) for k, v in items if isinstance(v, dict | list))
    return deepest


def _close(text: str, start: int, quote: str) -> int:
    """The position after the end of a multi-line string opened before ``start`` (the end of the text when
    it is never closed: the reader reports that)."""
    at = start
    while True:
        at = text.find(quote, at)
        if at < 0:
            return len(text)
        if quote == "'''" or not _escaped(text, at):
            end = at + 3
            while end < len(text) and text[end] == quote[0] and end - at < 5:  # up to 2 quotes more
                end += 1
            return end
        at += 1


def _escaped(text: str, at: int) -> bool:
    """Whether the character at ``at`` follows an odd number of backslashes."""
    k = at
    while k > 0 and text[k - 1] == "\\":
        k -= 1
    return (at - k) % 2 == 1


def _refuse(path: object, line: int | None, what: str, depth: int) -> None:
    where = f"{path}:{line}" if line else f"{path}"
    check("toml_depth", depth, f"{where}: {what}")
