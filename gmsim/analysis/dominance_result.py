"""The result of a loop dominance analysis: which loops drive a run, and when.

:func:`gmsim.loop_dominance` returns a :class:`Dominance`; its tables say which
loop leads at each time (:meth:`Dominance.dominant`), in which periods
(:meth:`Dominance.periods`) and how much each loop holds over the run
(:meth:`Dominance.summary`). The method behind the numbers is described in
:mod:`gmsim.analysis.dominance`.

Examples
--------
>>> import gmsim
>>> dom = gmsim.loop_dominance(scenario="hacker-attack", stop=24, equilibrium=True)
>>> top = dom.dominant()["top"]
>>> moving = top[top != AT_REST]
>>> top.iloc[0] == AT_REST, float(moving.index[0]), moving.iloc[0]  # at rest until the attack
(True, 12.0, 'R1')

``R1`` is followers and citizen engagement: the attack sets it off in reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from gmsim.analysis.loops import LoopList
from gmsim.errors import GmsimError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from gmsim.analysis.cuts import Cut

__all__ = ["AT_REST", "Dominance"]

AT_REST = "(at rest)"
"""What :meth:`Dominance.periods` says where no loop is active."""


@dataclass(frozen=True)
class Dominance:
    """Loop scores of one run: which loops drive it, and when.

    Attributes
    ----------
    time : ndarray, shape (T,)
        Months.
    loops : LoopList
        The loops scored (adjustment loops among them when included).
    scores : ndarray, shape (T, L)
        Loop scores (may be very large near an inflection point).
    relative : ndarray, shape (T, L)
        Relative loop scores in [−1, 1], compared within each loop's partition.
    partition : ndarray, shape (L,)
        Cycle partition of each loop; 0 is the one with the most feedback loops.
    adjustment_share : ndarray, shape (T,)
        Fraction of partition 0's total absolute score held by adjustment
        loops (NaN at rest): how much of the motion is plain goal seeking.
    link_scores : DataFrame
        Score of every link on a loop (columns ``cause->effect``; a delayed link
        scores its whole chain of stages; ``x->x`` is x's adjustment).
    levels : DataFrame
        The factors' levels over the run.
    cuts : tuple of Cut
        Loops the scenario cuts (through a held variable or a link of weight 0),
        with what cuts them and when (see :mod:`gmsim.analysis.cuts`); their
        scores are 0 while cut.
    """

    model: str
    scenario: str
    time: np.ndarray
    loops: LoopList
    scores: np.ndarray
    relative: np.ndarray
    partition: np.ndarray
    adjustment_share: np.ndarray
    link_scores: pd.DataFrame
    levels: pd.DataFrame
    adjustment: str = "exclude"
    cuts: tuple[Cut, ...] = ()

    def to_frame(self, kind: Literal["relative", "score"] = "relative") -> pd.DataFrame:
        """Relative loop scores (or raw scores) over time: index time, one column per loop id."""
        if kind not in ("relative", "score"):
            raise GmsimError(f"`kind` must be 'relative' or 'score', got {kind!r}")
        data = self.relative if kind == "relative" else self.scores
        return pd.DataFrame(data, index=pd.Index(self.time, name="time"), columns=list(self.loops.ids))

    def _in(self, partition: int) -> np.ndarray:
        if not (self.partition == partition).any():
            raise GmsimError(f"no partition {partition}; partitions are 0-{self.partition.max()}")
        return np.flatnonzero(self.partition == partition)

    def dominant(self, partition: int = 0) -> pd.DataFrame:
        """Which loops lead at each time.

        Columns: ``top`` (the loop with the largest share; :data:`AT_REST` where
        no loop is active), ``top_share``, ``polarity`` (of the top loop),
        ``dominant`` (the smallest set of loops holding at least half of the
        total, the method's definition of dominance, ids joined by ``+``),
        ``dominant_share``, and ``reinforcing`` / ``balancing`` (the shares of
        all reinforcing and all balancing loops together).
        """
        cols = self._in(partition)
        ids = np.array(self.loops.ids)[cols]
        pol = np.array([lp.polarity for lp in self.loops])[cols]
        rel = self.relative[:, cols]
        share = np.abs(rel)
        order = np.argsort(-share, axis=1, kind="stable")
        cum = np.cumsum(np.take_along_axis(share, order, axis=1), axis=1)
        count = np.minimum((cum < 0.5 - 1e-12).sum(axis=1) + 1, cum.shape[1])
        rest = cum[:, -1] == 0
        top = order[:, 0]
        frame = pd.DataFrame(
            {
                "top": np.where(rest, AT_REST, ids[top]),
                "top_share": share[np.arange(len(top)), top],
                "polarity": np.where(rest, "", pol[top]),
                "dominant": [
                    AT_REST if rest[k] else "+".join(ids[order[k, : count[k]]]) for k in range(len(rest))
                ],
                "dominant_share": np.where(rest, 0.0, cum[np.arange(len(top)), count - 1]),
                "reinforcing": np.clip(rel, 0, None).sum(axis=1),
                "balancing": -np.clip(rel, None, 0).sum(axis=1),
            },
            index=pd.Index(self.time, name="time"),
        )
        return frame

    def periods(self, partition: int = 0, *, by: Literal["loop", "polarity"] = "loop") -> pd.DataFrame:
        """Stretches of time with the same leading loop (or the same dominant polarity).

        ``by="loop"``: one row each time the top loop changes, with its mean
        share and whether it held half of the total by itself (``alone``).
        ``by="polarity"``: one row each time the reinforcing or the balancing
        loops together take over the majority; ``loop`` is the loop of that
        polarity with the largest mean share in the stretch.

        Columns: ``start``, ``end`` (months), ``polarity``, ``share``, ``loop``,
        ``alone`` and ``name``.
        """
        if by not in ("loop", "polarity"):
            raise GmsimError(f"`by` must be 'loop' or 'polarity', got {by!r}")
        dom = self.dominant(partition)
        rest = dom["top"].to_numpy() == AT_REST
        if by == "loop":
            key = dom["top"].to_numpy()
        else:
            key = np.where(rest, AT_REST, np.where(dom["reinforcing"] > dom["balancing"], "R", "B"))
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        cols = self._in(partition)
        rows = []
        for a, b in zip(starts, ends, strict=True):
            end = float(self.time[min(b, len(self.time) - 1)])
            if rest[a]:
                rows.append((float(self.time[a]), end, "", 0.0, AT_REST, False, "no loop is active"))
                continue
            if by == "loop":
                loop = self.loops[str(key[a])]
                share = float(dom["top_share"].iloc[a:b].mean())
                alone = bool((dom["top_share"].iloc[a:b] >= 0.5).all())
                polarity = loop.polarity
            else:
                polarity = str(key[a])
                share = float(dom["reinforcing" if polarity == "R" else "balancing"].iloc[a:b].mean())
                signed = self.relative[a:b, cols].mean(axis=0) * (1 if polarity == "R" else -1)
                loop = self.loops[int(cols[int(np.argmax(signed))])]
                alone = bool(signed.max() >= 0.5)
            rows.append((float(self.time[a]), end, polarity, share, loop.id, alone, loop.name))
        return pd.DataFrame(rows, columns=["start", "end", "polarity", "share", "loop", "alone", "name"])

    def summary(self) -> pd.DataFrame:
        """One row per loop, largest mean share first.

        Columns: ``id``, ``polarity``, ``runtime_polarity`` (the sign the scores
        actually had: ``R``, ``B``, ``U`` when it changed, ``-`` when never
        active; it differs from the structural polarity only when a scenario
        flips a link's sign), ``partition``, ``mean_share``, ``peak_share``,
        ``peak_month``, ``months_top`` (time as the leading loop) and ``name``.
        """
        share = np.abs(self.relative)
        tops = {p: self.dominant(p)["top"].to_numpy() for p in np.unique(self.partition)}
        steps = np.diff(self.time, append=self.time[-1])
        rows = []
        for k, lp in enumerate(self.loops):
            s = self.scores[:, k]
            runtime = (
                "-" if not (s != 0).any() else "R" if (s >= 0).all() else "B" if (s <= 0).all() else "U"
            )
            peak = int(np.argmax(share[:, k]))
            rows.append(
                {
                    "id": lp.id,
                    "polarity": lp.polarity,
                    "runtime_polarity": runtime,
                    "partition": int(self.partition[k]),
                    "mean_share": float(share[:, k].mean()),
                    "peak_share": float(share[peak, k]),
                    "peak_month": float(self.time[peak]),
                    "months_top": float(steps[tops[self.partition[k]] == lp.id].sum()),
                    "name": lp.name,
                }
            )
        return pd.DataFrame(rows).sort_values("mean_share", ascending=False, kind="stable")

    def plot(
        self, *, top: int = 8, variable: str | None = "effectiveness", partition: int = 0
    ) -> Figure:
        """Relative loop scores over time, stacked (reinforcing above 0, balancing below).

        The ``top`` loops that lead longest (then by mean share) get their own
        colour, the others are summed by polarity; a strip above names the dominant loop(s) of each
        period, and, when ``variable`` is a factor of the run, a panel on top
        shows its level (see :func:`gmsim.plot.dominance.plot_dominance`).
        """
        from gmsim.plot.dominance import plot_dominance

        return plot_dominance(self, top=top, variable=variable, partition=partition)
