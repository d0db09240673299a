"""Flows of a factor model: what fills and drains its stocks.

A flow's value is ``rate · Π times · Π (1 − gap)`` per time unit; a stock
changes by its inflows minus its outflows::

    dS/dt = Σ_in flow − Σ_out flow

Examples
--------
>>> f = Flow("adoption", into="followers", rate=0.3, times=("content",), gap=("followers",))
>>> f.stocks
('followers',)
>>> sorted(flow_edges([f]))
[('content', 'followers', 1), ('followers', 'followers', -1)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Flow", "flow_edges"]


@dataclass(frozen=True)
class Flow:
    """One flow between stocks (``[[flows]]`` in a model file).

    Parameters
    ----------
    name : str
        Identifier, unique in the model (batch name ``rate:<name>``).
    into, from_ : str or None
        The stock filled and the stock drained (``into`` and ``from`` in a file);
        at least one.
    rate : float
        Per time unit, >= 0.
    times, gap : tuple of str
        Factors whose level (``times``) or ``1 − level`` (``gap``) multiply the rate.
    balance : bool
        Solve ``rate`` so that the stock (``into``, else ``from``) rests at its
        reference level (before a scenario's overrides).
    source, quote : str
        The paper section and its words.
    """

    name: str
    into: str | None = None
    from_: str | None = None
    rate: float = 0.0
    times: tuple[str, ...] = ()
    gap: tuple[str, ...] = ()
    balance: bool = False
    source: str = ""
    quote: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "times", tuple(self.times))
        object.__setattr__(self, "gap", tuple(self.gap))

    @property
    def stocks(self) -> tuple[str, ...]:
        """The stocks the flow changes: ``into`` then ``from``."""
        return tuple(s for s in (self.into, self.from_) if s is not None)

    @property
    def balanced_stock(self) -> str | None:
        """The stock a balanced flow keeps at rest (``into``, else ``from``); ``None`` if not balanced."""
        if not self.balance:
            return None
        return self.into if self.into is not None else self.from_


def flow_edges(flows: Iterable[Flow]) -> list[tuple[str, str, int]]:
    """The causal edges ``(factor, stock, sign)`` of flows, one per factor, stock and flow.

    A ``times`` factor raises an inflow (+) and an outflow (−); a ``gap``
    factor the reverse.
    """
    out = []
    for f in flows:
        for stock, direction in ((f.into, 1), (f.from_, -1)):
            if stock is None:
                continue
            for cause in f.times:
                out.append((cause, stock, direction))
            for cause in f.gap:
                out.append((cause, stock, -direction))
    return out
