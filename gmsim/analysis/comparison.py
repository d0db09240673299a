"""Run several scenarios on one model and set them side by side.

:func:`compare` gives a tidy table (scenario, time, variable, value) that
pandas, seaborn or a spreadsheet read directly; :func:`end_of_horizon` the
levels at the end of the run and their differences from the baseline;
:func:`plot_comparison` one panel per variable with a line per scenario.

Examples
--------
>>> import gmsim
>>> from gmsim.analysis.comparison import end_of_horizon
>>> frame = gmsim.compare(scenarios=["attention-boost"], stop=24)
>>> sorted(frame["scenario"].unique())
['attention-boost', 'baseline']
>>> table = end_of_horizon(frame, variables=["effectiveness"])
>>> bool(table.loc[table["scenario"] == "attention-boost", "difference"].iloc[0] > 0)
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gmsim.errors import GmsimError, ScenarioError, did_you_mean
from gmsim.plot.results import OUTCOMES
from gmsim.scenario import Scenario, list_scenarios, load_scenario
from gmsim.simulation.load import load_model
from gmsim.simulation.simulate import ModelLike, as_system, simulate

__all__ = ["compare", "end_of_horizon", "format_end_table", "plot_comparison", "transient_gap"]

ScenarioLike = str | os.PathLike | Scenario


def compare(
    model: ModelLike = None,
    scenarios: Iterable[ScenarioLike] | None = None,
    *,
    baseline: ScenarioLike | None = "baseline",
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    variables: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Run each scenario on ``model`` and stack the trajectories in one tidy table.

    Parameters
    ----------
    model : Model, path or None
        What to run; ``None`` runs the default model of the paper.
    scenarios : iterable of str, path or Scenario, optional
        Library names, scenario files or Scenario objects; ``None`` runs the
        whole library.
    baseline : str, path, Scenario or None
        Run first, as the reference of :func:`end_of_horizon`, unless it is
        among ``scenarios`` already; ``None`` adds nothing.
    start, stop, dt, method
        Run settings shared by every scenario (default: the model's).
    variables : sequence of str, optional
        Keep only these variables (default: all).

    Returns
    -------
    DataFrame
        Columns ``scenario``, ``time``, ``variable``, ``value``; scenarios in the
        order run, baseline first.

    Raises
    ------
    ScenarioError
        Before anything runs, if a scenario cannot be loaded or does not fit the
        model, or two scenarios share a name.
    """
    if model is None or isinstance(model, str | os.PathLike):
        model = load_model(model)
    chosen = [load_scenario(s) for s in (list_scenarios() if scenarios is None else scenarios)]
    if baseline is not None:
        reference = load_scenario(baseline)
        if reference.name not in [s.name for s in chosen]:
            chosen.insert(0, reference)
    names = [s.name for s in chosen]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ScenarioError(f"scenarios given twice (or two sharing a name): {', '.join(twice)}")
    if not chosen:
        raise ScenarioError("no scenarios to compare; name at least one (see `gmsim scenarios`)")
    # compile (and so check) every scenario before running any: a mistake in the last fails fast
    systems = [as_system(model, scenario=s, start=start, stop=stop)[0] for s in chosen]
    results = [simulate(system, start=start, stop=stop, dt=dt, method=method) for system in systems]
    keep = list(results[0].variables) if variables is None else variables
    keep = _check_variables(keep, results[0].variables)
    columns = [results[0].variables.index(v) for v in keep]
    n_time = len(results[0].time)
    # variable-major blocks, as DataFrame.melt lays them out, built without pandas reshaping
    frame = pd.DataFrame(
        {
            "scenario": np.repeat([s.name for s in chosen], n_time * len(keep)),
            "time": np.tile(results[0].time, len(chosen) * len(keep)),
            "variable": np.tile(np.repeat(keep, n_time), len(chosen)),
            "value": np.concatenate([r.values[0][:, columns].T.ravel() for r in results]),
        }
    )
    frame.attrs.update(
        model=results[0].model,
        baseline=chosen[0].name if baseline is not None else None,
        time_unit=results[0].time_unit,
        value_label=results[0].value_label,
    )
    return frame


def _check_variables(wanted: Sequence[str], known: Sequence[str]) -> list[str]:
    unknown = [v for v in wanted if v not in known]
    if unknown:
        v = unknown[0]
        raise GmsimError(f"no variable '{v}' in the model{did_you_mean(v, known)}; see `gmsim show`")
    return list(wanted)


def end_of_horizon(
    frame: pd.DataFrame,
    *,
    baseline: str | None = None,
    variables: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each scenario's levels at the last time, and their difference from the baseline.

    Parameters
    ----------
    frame : DataFrame
        A table from :func:`compare`.
    baseline : str, optional
        The reference scenario (default: the one :func:`compare` ran first).
    variables : sequence of str, optional
        Default: effectiveness and its three outcomes where present, else all.

    Returns
    -------
    DataFrame
        Columns ``scenario``, ``variable``, ``value``, ``baseline``, ``difference``
        (at the end), then ``largest_gap`` (the signed difference from the
        baseline largest in size over the run), ``largest_gap_time`` (when) and
        ``cumulative_gap`` (the area between the two trajectories, trapezoid
        rule over the saved times): see :func:`transient_gap`.
    """
    baseline = baseline or frame.attrs.get("baseline") or "baseline"
    scenarios = list(dict.fromkeys(frame["scenario"]))
    if baseline not in scenarios:
        raise ScenarioError(
            f"the baseline '{baseline}' is not among the scenarios compared ({', '.join(scenarios)})"
        )
    present = list(dict.fromkeys(frame["variable"]))
    if variables is None:
        variables = [v for v in OUTCOMES if v in present] or present
    variables = _check_variables(variables, present)
    last = frame[frame["time"] == frame["time"].max()]
    wide = last.pivot(index="scenario", columns="variable", values="value").loc[scenarios, variables]
    table = wide.stack().rename("value").reset_index()
    table["baseline"] = table["variable"].map(wide.loc[baseline])
    table["difference"] = table["value"] - table["baseline"]
    gaps = {
        (name, variable): transient_gap(run["time"].to_numpy(), run["value"].to_numpy(), base)
        for variable in variables
        for base in [_trajectory(frame, baseline, variable)]
        for name, run in frame[frame["variable"] == variable].groupby("scenario", sort=False)
    }
    keys = list(zip(table["scenario"], table["variable"], strict=True))
    table["largest_gap"] = [gaps[k][0] for k in keys]
    table["largest_gap_time"] = [gaps[k][1] for k in keys]
    table["cumulative_gap"] = [gaps[k][2] for k in keys]
    return table


def _trajectory(frame: pd.DataFrame, scenario: str, variable: str) -> tuple[np.ndarray, np.ndarray]:
    run = frame[(frame["scenario"] == scenario) & (frame["variable"] == variable)]
    return run["time"].to_numpy(), run["value"].to_numpy()


def transient_gap(
    time: np.ndarray, values: np.ndarray, baseline: tuple[np.ndarray, np.ndarray]
) -> tuple[float, float, float]:
    """The largest gap from a baseline trajectory (signed), its time, and the cumulative gap.

    The gap is ``values - baseline`` at the saved times (the baseline read at
    ``time``); the cumulative gap is its area by the trapezoid rule, in
    level x time units. An end value alone hides a transient that has faded
    by the end of the run; these two numbers do not.

    Examples
    --------
    >>> t = np.array([0.0, 1.0, 2.0, 3.0])
    >>> gap, when, area = transient_gap(t, np.array([0.5, 0.7, 0.6, 0.5]), (t, np.full(4, 0.5)))
    >>> round(gap, 9), when, round(area, 9)
    (0.2, 1.0, 0.3)
    """
    time = np.asarray(time, dtype=float)
    gap = np.asarray(values, dtype=float) - np.interp(time, *baseline)
    if not gap.size:
        return (float("nan"), float("nan"), float("nan"))
    k = int(np.argmax(np.abs(gap)))
    area = float(np.sum((gap[1:] + gap[:-1]) * np.diff(time)) / 2.0)
    return (float(gap[k]), float(time[k]), area)


def format_end_table(table: pd.DataFrame, *, time: float | None = None, time_unit: str = "month") -> str:
    """:func:`end_of_horizon` as text: a row per scenario, ``level (difference)`` per variable;
    then, when the table has them, the largest gap with its time and the cumulative gap."""
    cells = table.assign(
        cell=[f"{v:.3f} ({d:+.3f})" for v, d in zip(table["value"], table["difference"], strict=True)]
    )
    wide = cells.pivot(index="scenario", columns="variable", values="cell")
    wide = wide.loc[list(dict.fromkeys(table["scenario"])), list(dict.fromkeys(table["variable"]))]
    head = "Levels at the end of the run" + (f" ({time_unit} {time:g})" if time is not None else "")
    text = f"{head}, and (difference from the baseline):\n{wide.to_string()}"
    if "largest_gap" not in table.columns:
        return text
    gaps = table.assign(
        cell=[
            f"{g:+.3f} @{t:g} | {a:+.2f}"
            for g, t, a in zip(
                table["largest_gap"], table["largest_gap_time"], table["cumulative_gap"], strict=True
            )
        ]
    ).pivot(index="scenario", columns="variable", values="cell")
    gaps = gaps.loc[wide.index, wide.columns]
    return (
        f"{text}\nLargest gap from the baseline @{time_unit} | cumulative gap "
        f"(area, level x {time_unit}s):\n{gaps.to_string()}"
    )


def plot_comparison(
    frame: pd.DataFrame, variables: Sequence[str] | None = None, *, baseline: str | None = None
) -> Figure:
    """One panel per variable, a line per scenario; the baseline drawn black and dashed.

    Examples
    --------
    >>> import gmsim
    >>> fig = plot_comparison(gmsim.compare(scenarios=["full-review"], stop=12))
    >>> len(fig.axes), len(fig.axes[0].lines)
    (4, 2)
    """
    baseline = baseline or frame.attrs.get("baseline")
    present = list(dict.fromkeys(frame["variable"]))
    variables = _check_variables(
        variables or [v for v in OUTCOMES if v in present] or present[:4], present
    )
    cols = 2 if len(variables) > 1 else 1
    rows = -(-len(variables) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 3.6 * rows), squeeze=False, sharex=True)
    for ax, variable in zip(axes.flat, variables, strict=False):
        part = frame[frame["variable"] == variable]
        for name, run in part.groupby("scenario", sort=False):
            style = {"color": "black", "linestyle": "--", "linewidth": 1.8} if name == baseline else {}
            ax.plot(run["time"], run["value"], label=name, **style)
        ax.set_title(variable.replace("_", " ").capitalize(), fontsize=10)
        ax.set_ylabel(frame.attrs.get("value_label", "level (0-1)"))
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel(frame.attrs.get("time_unit", "month"))
    for ax in list(axes.flat)[len(variables) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle(f"{frame.attrs.get('model', '')} - scenarios compared", fontsize=11)
    fig.tight_layout()
    return fig
