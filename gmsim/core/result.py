"""The outcome of a run: levels of every variable over time, for one run or a batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gmsim.errors import GmsimError, did_you_mean

__all__ = ["Result", "SolverStats"]


@dataclass(frozen=True)
class SolverStats:
    """What the integrator did for a run (or a batch of runs).

    Counts are totals over the blocks a large batch is split into (each block
    is integrated on its own, see :class:`~gmsim.core.solver.RunSettings`).

    Parameters
    ----------
    steps : int
        Integration steps taken: fixed steps (partial ones to reach a
        breakpoint included), or the steps an adaptive method accepted.
    rhs_evaluations : int
        Calls of the system's right-hand side (each on a whole block of runs).
    segments : int
        Smooth pieces of the horizon between breakpoints (events, the edges of
        forcing windows, the kinks of driver paths); the same for every block.
    rejected : int or None
        Steps an adaptive method tried and refused (0 for fixed-step methods;
        ``None`` where the solver does not report them, as ``lsoda``).
    blocks : int
        Blocks the batch was integrated in.

    Examples
    --------
    >>> import gmsim
    >>> gmsim.simulate(stop=12, method="rk4", dt=0.125).stats
    SolverStats(steps=96, rhs_evaluations=384, segments=1, rejected=0, blocks=1)
    """

    steps: int
    rhs_evaluations: int
    segments: int
    rejected: int | None = None
    blocks: int = 1


@dataclass(frozen=True)
class Result:
    """Trajectories of a run (or of a batch of runs).

    Parameters
    ----------
    time : ndarray, shape (T,)
        Times, in the model's ``time_unit``.
    values : ndarray, shape (B, T, V)
        Level of each variable at each time, for each of ``B`` runs.
    variables : tuple of str
        Variable (factor) ids, the columns of :meth:`to_frame`.
    batched : bool
        ``True`` when the run was asked for as a batch (even of one).
    model, scenario, method : str
        Provenance of the run.
    time_unit, value_label : str
        What time is counted in (``"month"``) and what the values are, for labels.
    groups, labels : mapping
        Each variable's group (for plots) and readable label.
    batch : DataFrame or None
        The parameters of each run of a batch, one row per run.
    stats : SolverStats or None
        What the integrator did (``None`` for a result not made by
        :func:`~gmsim.core.solver.solve`, e.g. one assembled from chunks).

    Examples
    --------
    >>> import gmsim
    >>> result = gmsim.simulate(gmsim.load_model(), stop=12)
    >>> df = result.to_frame()
    >>> df.index.name, float(df.index[-1]), "effectiveness" in df.columns
    ('time', 12.0, True)
    """

    time: np.ndarray
    values: np.ndarray
    variables: tuple[str, ...]
    batched: bool = False
    model: str = ""
    scenario: str = "baseline"
    method: str = ""
    groups: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    batch: pd.DataFrame | None = None
    time_unit: str = "month"
    value_label: str = "level (0-1)"
    stats: SolverStats | None = None

    @property
    def time_label(self) -> str:
        """The time axis in words: ``months 0-36``, ``days 0-100``.

        Examples
        --------
        >>> import gmsim
        >>> gmsim.simulate(stop=12).time_label
        'months 0-12'
        """
        unit = self.time_unit or "time"
        plural = unit if unit.lower() in ("time", "") or unit.endswith("s") else unit + "s"
        return f"{plural} {self.time[0]:g}-{self.time[-1]:g}"

    @property
    def runs(self) -> int:
        """Number of runs in the result."""
        return self.values.shape[0]

    def _column(self, variable: str) -> int:
        try:
            return self.variables.index(variable)
        except ValueError:
            raise GmsimError(
                f"no variable '{variable}' in the result{did_you_mean(variable, self.variables)}"
            ) from None

    def __getitem__(self, variable: str) -> np.ndarray:
        """Trajectory of one variable: shape (T,) for a single run, (B, T) for a batch."""
        series = self.values[:, :, self._column(variable)]
        return series if self.batched else series[0]

    def to_frame(self, run: int | None = None) -> pd.DataFrame:
        """A DataFrame indexed by time (in ``time_unit``), one column per variable.

        A batch gives rows indexed by ``(run, time)`` unless ``run`` picks one.
        """
        if not self.batched or run is not None:
            frame = pd.DataFrame(
                self.values[run or 0],
                index=pd.Index(self.time, name="time"),
                columns=list(self.variables),
            )
            return frame
        index = pd.MultiIndex.from_product([range(self.runs), self.time], names=["run", "time"])
        return pd.DataFrame(
            self.values.reshape(-1, len(self.variables)), index=index, columns=list(self.variables)
        )

    def to_tidy(self) -> pd.DataFrame:
        """Long format: columns ``run`` (batches only), ``time``, ``variable``, ``value``."""
        frame = self.to_frame().stack().rename("value").reset_index()
        return frame.rename(columns={frame.columns[-2]: "variable"})

    def to_xarray(self):
        """An ``xarray.DataArray`` with dims (run, time, variable); needs xarray."""
        import xarray as xr

        return xr.DataArray(
            self.values,
            dims=("run", "time", "variable"),
            coords={"run": np.arange(self.runs), "time": self.time, "variable": list(self.variables)},
            name=self.scenario,
        )

    def at(self, time: float) -> pd.Series | pd.DataFrame:
        """Levels at the saved time nearest to ``time`` (a row per run for a batch)."""
        k = int(np.argmin(np.abs(self.time - time)))
        frame = pd.DataFrame(self.values[:, k, :], columns=list(self.variables))
        return frame if self.batched else frame.iloc[0].rename(float(self.time[k]))

    def final(self) -> pd.Series | pd.DataFrame:
        """Levels at the end of the horizon."""
        return self.at(self.time[-1])

    def plot(self, variables: str | Sequence[str] | None = None, ax=None):
        """Draw the trajectories of ``variables`` (default: every variable) on a matplotlib Axes.

        A batch draws one thin line per run. Returns the Axes (a new figure's
        when ``ax`` is ``None``).

        Examples
        --------
        >>> import gmsim
        >>> ax = gmsim.simulate(stop=12).plot(["funding", "effectiveness"])
        >>> [line.get_label() for line in ax.get_lines()]
        ['Secured funding', 'Effectiveness']
        >>> ax.get_xlabel()
        'time (months)'
        """
        import matplotlib.pyplot as plt

        names = (
            list(self.variables)
            if variables is None
            else [variables]
            if isinstance(variables, str)
            else list(variables)
        )
        columns = [self._column(name) for name in names]
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        for name, col in zip(names, columns, strict=True):
            label = self.labels.get(name, name)
            if self.batched and self.runs > 1:
                lines = ax.plot(self.time, self.values[:, :, col].T, linewidth=0.8, alpha=0.5)
                lines[0].set_label(label)
                for line in lines[1:]:
                    line.set_color(lines[0].get_color())
            else:
                ax.plot(self.time, self.values[0, :, col], label=label)
        unit = self.time_unit or "time"
        plural = unit if unit.lower() in ("time", "") or unit.endswith("s") else unit + "s"
        ax.set_xlabel(f"time ({plural})")
        ax.set_ylabel(self.value_label)
        ax.set_title(f"{self.model} | {self.scenario}" if self.model else self.scenario)
        ax.legend(loc="best", fontsize="small")
        ax.grid(alpha=0.3)
        return ax
