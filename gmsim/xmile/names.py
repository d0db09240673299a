"""XMILE identifiers: when two names are the same, and how to show them.

XMILE names are case-insensitive, and space, underscore, non-breaking space
and newline (also written ``\\n`` inside a name) are one and the same
whitespace character; runs of whitespace count as one (XMILE 1.0, 3.2.2.2).

Examples
--------
>>> canonical("Teacup Temperature") == canonical("teacup_temperature")
True
>>> canonical("size_of_one\\\\ntime__lynx harvest")
'size_of_one_time_lynx_harvest'
>>> identifier("Room  Temperature"), label("size_of_one\\\\ntime")
('Room_Temperature', 'size of one time')
"""

from __future__ import annotations

import re

__all__ = ["canonical", "identifier", "label"]

_WHITESPACE = re.compile(r"(?:\\n|[\s_\u00a0])+")


def canonical(name: str) -> str:
    """The identity of a name: lower case, each run of whitespace one ``_``."""
    return _WHITESPACE.sub("_", name).strip("_").casefold()


def identifier(name: str) -> str:
    """The name as gmsim reports it: its own case, each run of whitespace one ``_``."""
    return _WHITESPACE.sub("_", name).strip("_")


def label(name: str) -> str:
    """The name for people: whitespace as single spaces."""
    return _WHITESPACE.sub(" ", name).strip()
