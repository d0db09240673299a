"""Small words for the texts of analyses: counts of things, loop polarities.

Examples
--------
>>> count(1, "feedback loop"), count(96, "feedback loop")
('1 feedback loop', '96 feedback loops')
>>> POLARITY["B"]
'balancing'
"""

from __future__ import annotations

__all__ = ["POLARITY", "count"]

POLARITY = {"R": "reinforcing", "B": "balancing", "U": "undetermined"}
"""Loop polarity letters in words."""


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 feedback loop``, ``2 feedback loops``.

    Examples
    --------
    >>> count(1, "process", "processes"), count(3, "process", "processes")
    ('1 process', '3 processes')
    """
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
