"""Times in words, in the model's own time unit (``month``, ``Minutes``, ``time``), for messages.

Examples
--------
>>> moment("month", 3), moment("Minutes", 2.5), moment("time", 4)
('month 3', 'minute 2.5', 'time 4')
>>> span("Minutes", 1, 2), span("month", 0, 12)
('minutes 1 and 2', 'months 0 and 12')
>>> amount("month", 1), amount("Minutes", 0.5), amount("time", 3)
('1 month', '0.5 minutes', '3')
"""

from __future__ import annotations

__all__ = ["amount", "moment", "plural", "singular", "span"]

_UNITLESS = ("", "time")


def _word(unit: str) -> str:
    """The unit as a word inside a sentence: ``Minutes`` -> ``minutes`` (``GDP-years`` stays)."""
    unit = (unit or "time").strip()
    return unit.lower() if unit[:1].isupper() and unit[1:].islower() else unit


def singular(unit: str) -> str:
    """``minute`` for ``Minutes``, ``month`` for ``month``.

    Examples
    --------
    >>> singular("Days"), singular("month"), singular("")
    ('day', 'month', 'time')
    """
    word = _word(unit)
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 1 else word


def plural(unit: str) -> str:
    """``minutes`` for ``Minutes`` or ``minute``; ``time`` stays ``time``.

    Examples
    --------
    >>> plural("month"), plural("Hours"), plural("time")
    ('months', 'hours', 'time')
    """
    word = singular(unit)
    return word if word in _UNITLESS else word + "s"


def moment(unit: str, t: float) -> str:
    """A point in time: ``month 3``."""
    return f"{singular(unit)} {t:g}"


def span(unit: str, a: float, b: float) -> str:
    """Two points in time, for "between ...": ``months 1 and 2``."""
    return f"{plural(unit)} {a:g} and {b:g}"


def amount(unit: str, x: float) -> str:
    """A length of time: ``1 month``, ``0.5 months``; a bare number when the unit is unknown."""
    word = singular(unit)
    if word in _UNITLESS:
        return f"{x:g}"
    return f"{x:g} {word if x == 1 else plural(unit)}"
