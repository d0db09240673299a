"""The explore page's engine, without the page: one model, compiled once, run again for each change.

A :class:`Session` holds the model, its baseline run, its feedback loops and
the starting scenarios a person may pick. :meth:`Session.run` turns the page's
:class:`~gmsim.explore.settings.Settings` into a scenario and runs it exactly as
``gmsim run --scenario`` would (the scenario compiled onto the model, then
:func:`gmsim.core.solver.solve` with the system's own parameters and run
settings), so an exported scenario file reproduces the page's run.

Examples
--------
>>> from gmsim.explore.settings import Lever, Settings
>>> session = Session()
>>> run = session.run(Settings(levers=(Lever("training", change="step", value=0.9, start=3),)))
>>> round(float(run["training"][-1]), 3)
0.9
>>> table = session.metrics(run, ["training"])
>>> list(table.columns)
['run', 'variable', 'end', 'end vs baseline', 'largest gap', 'at', 'cumulative gap']
"""

from __future__ import annotations

import io
import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gmsim.analysis.dominance import score_run
from gmsim.analysis.dominance_result import Dominance
from gmsim.analysis.loops import LoopList, find_loops
from gmsim.core.result import Result
from gmsim.core.solver import RunSettings, solve
from gmsim.errors import GmsimError, LoopError, did_you_mean
from gmsim.explore.export import read_uploaded, scenario_toml
from gmsim.explore.settings import Lever, Settings, levers_of, scenario_of
from gmsim.factor.model import Model
from gmsim.files.reading import read_bytes
from gmsim.plot.results import headline_variables
from gmsim.scenario import Scenario, list_scenarios, load_scenario
from gmsim.simulation.load import load_model

__all__ = ["Session", "read_observed", "replace_lever"]

CACHE = 32
"""Runs kept, by settings, so that redrawing or pinning does not run again."""


class Session:
    """One model explored: its baseline, loops and starting scenarios, and runs by settings.

    Parameters
    ----------
    model : Model, path or None
        A factor model (``None``: the paper's default model).
    scenarios : paths or Scenarios
        Starting scenarios besides the library (files named on the command line).
    data : path or DataFrame, optional
        Observed data to overlay: a ``time`` column and one column per variable
        (as ``gmsim run`` writes trajectories.csv), or columns time, variable, value.
    """

    def __init__(
        self,
        model: Model | str | os.PathLike | None = None,
        *,
        scenarios: Iterable[str | os.PathLike | Scenario] = (),
        data: str | os.PathLike | pd.DataFrame | None = None,
    ):
        model = model if isinstance(model, Model) else load_model(model)
        if not isinstance(model, Model):
            raise GmsimError(
                f"`gmsim explore` needs a factor model (.toml); '{getattr(model, 'name', model)}' is an "
                "imported stock-and-flow model: run it with `gmsim run` and `gmsim compare`"
            )
        self.model = model
        self.system = model.compile()
        self.exogenous = tuple(f.id for f in model.factors if f.kind == "exogenous")
        self.holdable = tuple(f.id for f in model.factors if f.kind == "endogenous")
        self.labels = {f.id: f.label for f in model.factors}
        self._bases: dict[str, Scenario | None] = dict.fromkeys(list_scenarios())
        for item in scenarios:
            self.add_base(load_scenario(item))
        self._runs: OrderedDict[str, tuple[Scenario, Any, Result]] = OrderedDict()
        self.baseline = self.run(Settings())
        try:
            self.loops: LoopList | None = find_loops(self.system)
        except LoopError:
            self.loops = None
        self.observed = None if data is None else read_observed(data, self.baseline.variables)

    # -- starting scenarios ---------------------------------------------------------------
    @property
    def bases(self) -> list[str]:
        """Names of the starting scenarios: the library's, then those given or imported."""
        return list(self._bases)

    def base(self, name: str) -> Scenario:
        """A starting scenario by name."""
        if name not in self._bases:
            raise GmsimError(f"no starting scenario '{name}'{did_you_mean(name, self.bases)}")
        if self._bases[name] is None:
            self._bases[name] = load_scenario(name)
        return self._bases[name]

    def add_base(self, scenario: Scenario) -> str:
        """Offer ``scenario`` as a starting point (checked against the model); returns its name."""
        scenario.interventions(self.model)
        name, k = scenario.name, 1
        while name in self._bases and self._bases[name] != scenario:
            k += 1
            name = f"{scenario.name} ({k})"
        self._bases[name] = scenario
        return name

    def upload(self, filename: str, content: bytes) -> str:
        """Read a scenario file given to the page; returns its name as a starting point.

        Raises :class:`~gmsim.errors.ScenarioError` with the command line's message.
        """
        return self.add_base(read_uploaded(filename, content, self.model))

    def levers_for(self, base: str) -> tuple[dict[str, Lever], dict[str, float]]:
        """The levers and weights that show a starting scenario (see :func:`levers_of`)."""
        return levers_of(self.base(base), set(self.exogenous))

    def kept(self, settings: Settings) -> list[str]:
        """The starting scenario's items that no lever shows, in words."""
        taken = settings.taken()
        shown, _ = self.levers_for(settings.base)
        scenario = self.base(settings.base)
        return (
            [a.describe() for a in scenario.actions if a.target not in taken and a.target not in shown]
            + [c.describe() for c in scenario.links if c.add]
            + [c.describe() for c in scenario.factors if c.factor not in self.exogenous]
        )

    # -- runs -------------------------------------------------------------------------------
    def scenario(self, settings: Settings) -> Scenario:
        """The scenario ``settings`` make."""
        return scenario_of(settings, self.base(settings.base))

    def _entry(self, settings: Settings) -> tuple[Scenario, Any, Result]:
        key = repr(settings.to_dict())
        if key in self._runs:
            self._runs.move_to_end(key)
            return self._runs[key]
        scenario = self.scenario(settings)
        system = self.model.compile(scenario.interventions(self.model))
        result = solve(
            system, system.parameters(), RunSettings.for_system(system), scenario=scenario.name
        )
        self._runs[key] = (scenario, system, result)
        while len(self._runs) > CACHE:
            self._runs.popitem(last=False)
        return self._runs[key]

    def run(self, settings: Settings) -> Result:
        """The run of ``settings``: what ``gmsim run --scenario`` gives for :meth:`export`."""
        return self._entry(settings)[2]

    def export(self, settings: Settings) -> str:
        """The scenario file of ``settings``, for ``gmsim run --scenario FILE``."""
        scenario = self.scenario(settings)
        model = self.model.path or "the default model"
        return scenario_toml(
            scenario,
            comment=f"Exported by gmsim explore from {Path(str(model)).name}.\n"
            f"Run it with: gmsim run --scenario {scenario.name}.toml",
        )

    def default_variables(self) -> list[str]:
        """What the page plots first: effectiveness and its outcomes."""
        return headline_variables(self.baseline)

    # -- numbers against the baseline ----------------------------------------------------------
    def metrics(
        self, result: Result, variables: Sequence[str], *, name: str = "current"
    ) -> pd.DataFrame:
        """End value, and against the baseline: end gap, largest gap with its time, cumulative gap."""
        time = result.time
        rows = []
        for v in variables:
            now, base = result[v], self.baseline[v]
            gap = now - base
            k = int(np.argmax(np.abs(gap)))
            rows.append(
                {
                    "run": name,
                    "variable": v,
                    "end": float(now[-1]),
                    "end vs baseline": float(gap[-1]),
                    "largest gap": float(gap[k]),
                    "at": float(time[k]),
                    "cumulative gap": float(np.trapezoid(gap, time)),
                }
            )
        return pd.DataFrame(rows)

    # -- loops ------------------------------------------------------------------------------------
    def cut_loops(self, settings: Settings) -> list[dict[str, Any]]:
        """Loops cut by the current settings: through a held factor, or a link set to weight 0.

        Each entry: ``what`` (in words), ``when`` and ``loops`` (ids).
        """
        if self.loops is None:
            return []
        scenario = self.scenario(settings)
        found = []
        for a in scenario.actions:
            if a.kind == "event":
                continue
            ids = [lp.id for lp in self.loops.feedback if a.target in lp]
            if ids:
                found.append({"what": f"{a.target} is held", "when": a.describe(), "loops": ids})
        for c in scenario.links:
            if float(c.weight) == 0.0:
                ids = [lp.id for lp in self.loops.feedback if (c.cause, c.effect) in lp.links]
                if ids:
                    found.append(
                        {"what": f"{c.cause} -> {c.effect} has weight 0", "when": "", "loops": ids}
                    )
        return found

    def dominance(self, settings: Settings) -> Dominance | None:
        """Loop dominance of the run of ``settings`` (``None`` for a model without loops)."""
        if self.loops is None:
            return None
        scenario, system, _ = self._entry(settings)
        loops = find_loops(system) if system.interventions.added_links else self.loops
        return score_run(system, scenario.name, loops, "exclude", None, None, None, None, 1e-12)


def read_observed(data: str | os.PathLike | pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Observed data as a frame indexed by time, one column per variable of the model.

    Raises
    ------
    GmsimError
        For a file that cannot be read, no ``time`` column, or a column that is
        no variable of the model (with a suggestion).
    """
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    else:
        try:
            frame = pd.read_csv(io.BytesIO(read_bytes(data, what="CSV data file")))
        except (OSError, ValueError) as exc:
            raise GmsimError(f"`--data` {data}: cannot be read as CSV ({exc}); check the path") from None
    if "time" not in frame.columns:
        raise GmsimError(
            f"`--data` has no 'time' column (columns: {', '.join(map(str, frame.columns))}); "
            "give time and one column per variable, or time, variable, value"
        )
    if {"variable", "value"} <= set(frame.columns):
        frame = frame.pivot_table(index="time", columns="variable", values="value")
    else:
        frame = frame.set_index("time")
    unknown = [c for c in frame.columns if c not in variables]
    if unknown:
        raise GmsimError(
            f"`--data` column '{unknown[0]}' is no variable of the model"
            f"{did_you_mean(str(unknown[0]), variables)}"
        )
    return frame.apply(pd.to_numeric, errors="coerce").sort_index()


def replace_lever(levers: Sequence[Lever], lever: Lever) -> tuple[Lever, ...]:
    """``levers`` with ``lever`` in place of the one on its factor (added if none)."""
    rest = [lv for lv in levers if lv.factor != lever.factor]
    return (*rest, lever) if lever.moved else tuple(rest)
