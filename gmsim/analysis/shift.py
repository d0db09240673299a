"""How loop dominance shifts between two runs: which loops gain or lose share, and when.

:func:`dominance_shift` scores the same loops along a scenario run and a
reference run (the baseline by default) and returns a :class:`DominanceShift`
that sets their relative scores side by side.

Examples
--------
>>> import gmsim
>>> shift = gmsim.dominance_shift(scenario="hacker-attack", stop=24, equilibrium=True)
>>> shift.reference.scenario, list(shift.table()["id"].head(2))  # the loops the attack moves most
('baseline', ['R1', 'B6'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx
import numpy as np
import pandas as pd

from gmsim.analysis.dominance import check_adjustment, score_run
from gmsim.analysis.dominance_result import Dominance
from gmsim.analysis.loops import DEFAULT_MAX_LOOPS, find_loops
from gmsim.errors import GmsimError
from gmsim.simulation.simulate import as_system

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["DominanceShift", "dominance_shift"]


@dataclass(frozen=True)
class DominanceShift:
    """How loop dominance in a scenario run differs from a reference run (the baseline by default).

    Both runs score the same loops on the same time grid, so their relative
    scores compare column by column. A loop's *share* is the absolute value
    of its relative score.
    """

    scenario: Dominance
    reference: Dominance

    @property
    def note(self) -> str:
        """A warning when one of the runs is at rest throughout (its shares are all 0)."""
        notes = []
        for run, what in ((self.reference, "reference"), (self.scenario, "scenario")):
            if not np.abs(run.relative).any():
                notes.append(
                    f"the {what} run ({run.scenario}) is at rest throughout: a model started at "
                    "equilibrium does not move without a scenario, so every loop's share in it is 0"
                )
        return "; ".join(notes)

    def change(self) -> pd.DataFrame:
        """Share in the scenario minus share in the reference: index time, one column per loop id."""
        diff = np.abs(self.scenario.relative) - np.abs(self.reference.relative)
        return pd.DataFrame(
            diff, index=pd.Index(self.scenario.time, name="time"), columns=list(self.scenario.loops.ids)
        )

    def table(self) -> pd.DataFrame:
        """One row per loop that is active in either run, largest change of mean share first.

        Columns: ``id``, ``polarity``, ``share_scenario``, ``share_reference``
        (mean shares over the run), ``change``, ``largest_gain`` and
        ``gain_month``, ``largest_loss`` and ``loss_month`` (the extreme
        differences of share and when they happen), ``name``.
        """
        diff = self.change().to_numpy()
        s, r = np.abs(self.scenario.relative), np.abs(self.reference.relative)
        time = self.scenario.time
        rows = []
        for k, lp in enumerate(self.scenario.loops):
            if not (s[:, k].any() or r[:, k].any()):
                continue
            up, down = int(np.argmax(diff[:, k])), int(np.argmin(diff[:, k]))
            rows.append(
                {
                    "id": lp.id,
                    "polarity": lp.polarity,
                    "share_scenario": float(s[:, k].mean()),
                    "share_reference": float(r[:, k].mean()),
                    "change": float(s[:, k].mean() - r[:, k].mean()),
                    "largest_gain": float(max(diff[up, k], 0.0)),
                    "gain_month": float(time[up]) if diff[up, k] > 0 else np.nan,
                    "largest_loss": float(min(diff[down, k], 0.0)),
                    "loss_month": float(time[down]) if diff[down, k] < 0 else np.nan,
                    "name": lp.name,
                }
            )
        columns = ["id", "polarity", "share_scenario", "share_reference", "change", "largest_gain",
                   "gain_month", "largest_loss", "loss_month", "name"]  # fmt: skip
        frame = pd.DataFrame(rows, columns=columns)
        return frame.iloc[np.argsort(-frame["change"].abs().to_numpy(), kind="stable")].reset_index(
            drop=True
        )

    def periods(self) -> pd.DataFrame:
        """Stretches of time in which the leading loop differs between the runs.

        Columns: ``start``, ``end``, ``scenario`` and ``reference`` (the leading
        loop of each run, :data:`~gmsim.analysis.dominance_result.AT_REST` where none is active).
        """
        a = self.scenario.dominant()["top"].to_numpy()
        b = self.reference.dominant()["top"].to_numpy()
        time = self.scenario.time
        differs = a != b
        key = np.where(differs, np.char.add(np.char.add(a.astype(str), "|"), b.astype(str)), "")
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        rows = [
            (float(time[i]), float(time[min(j, len(time) - 1)]), a[i], b[i])
            for i, j in zip(starts, ends, strict=True)
            if differs[i]
        ]
        return pd.DataFrame(rows, columns=["start", "end", "scenario", "reference"])

    def plot(self, *, top: int = 6) -> Figure:
        """Change of share over time of the loops that moved most, above the leading loops of both runs.

        See :func:`gmsim.plot.dominance.plot_shift`.
        """
        from gmsim.plot.dominance import plot_shift

        return plot_shift(self, top=top)


def dominance_shift(
    model: Any = None,
    scenario: Any = None,
    *,
    against: Any = None,
    adjustment: Literal["exclude", "include"] = "exclude",
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    equilibrium: bool | None = None,
    max_length: int | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
    atol: float = 1e-12,
) -> DominanceShift:
    """Which loops gain or lose share in a scenario run against a reference run, and when.

    Parameters
    ----------
    model : Model, path or None
        The model; ``None`` is the paper's default model.
    scenario : str, path, Scenario or Interventions
        The run examined.
    against : same kinds, or None
        The reference run; ``None`` is the baseline (the model as it is).
    adjustment, start, stop, dt, method, equilibrium, max_length, max_loops, atol
        As for :func:`~gmsim.analysis.dominance.loop_dominance`.

    Returns
    -------
    DominanceShift
        Both runs score the loops of the union of their causal graphs (a
        scenario may add links), on the same time grid.
    """
    check_adjustment(adjustment)
    if scenario is None and against is None:
        raise GmsimError("dominance_shift needs a `scenario` to compare with the baseline")
    horizon = {"equilibrium": equilibrium, "start": start, "stop": stop}
    runs = [as_system(model, scenario=s, **horizon) for s in (scenario, against)]
    graph = nx.compose(runs[1][0].graph, runs[0][0].graph)
    graph.graph["name"] = runs[0][0].name
    loops = find_loops(graph, max_length=max_length, max_loops=max_loops)
    scored = [
        score_run(system, name, loops, adjustment, start, stop, dt, method, atol)
        for system, name in runs
    ]
    return DominanceShift(scenario=scored[0], reference=scored[1])
