"""A report for readers who do not run code: one self-contained HTML file.

:func:`write_report` runs the baseline and a few scenarios on a model and
writes a page with

1. the model in a paragraph and its causal loop diagram;
2. the factor table with the paper's sections (and every link with the
   paper's words, folded);
3. the scenarios compared: a figure of effectiveness and its three outcomes,
   the levels at the end of the run with their differences from the baseline,
   and a sentence per scenario in plain words made from those numbers;
4. the feedback loops and which of them drive each run (Loops That Matter),
   and how a scenario shifts that dominance;
5. with an uncertainty spec, Monte Carlo bands and the share of runs in
   which each scenario beats the baseline;
6. with an agency's data file, its observed points beside the runs; with a
   calibration folder (``gmsim calibrate --out DIR``), the fit, the estimates
   with their intervals and the parameters the data cannot pin
   (:mod:`gmsim.report.evidence`).

Figures are embedded PNGs and the style sheet is inline, so the file opens
anywhere with no network; it holds no script. Text from model, scenario and
spec files is escaped (:mod:`gmsim.report.html`). The file is written whole or not
at all.

Examples
--------
>>> import gmsim, tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
>>> path = gmsim.write_report(scenarios=["attention-boost"], stop=12, dt=0.25, out=out)
>>> text = path.read_text(encoding="utf-8")
>>> "attention-boost" in text and "<script" not in text
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gmsim.analysis.comparison import compare
from gmsim.errors import DataError, GmsimError, OutputError, ScenarioError
from gmsim.factor.model import Model
from gmsim.files.output import check_file_target, write_file
from gmsim.plot.results import OUTCOMES
from gmsim.report.evidence import evidence_section, read_calibration, read_observed
from gmsim.report.html import page, tag
from gmsim.report.loops import analyse_loops, loop_section
from gmsim.report.sections import (
    contents,
    factor_section,
    footer,
    glance,
    model_section,
    scenario_section,
    uncertainty_section,
)
from gmsim.scenario import Scenario, load_scenario
from gmsim.simulation.load import load_model

__all__ = ["DEFAULT_SCENARIOS", "write_report"]

DEFAULT_SCENARIOS = ("attention-boost", "attention-shift", "professional-team", "rotation-3m")
"""Scenarios a report compares when none are named: the paper's main levers, one per claim."""

SUFFIXES = (".html", ".htm")

ScenarioLike = str | os.PathLike | Scenario


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
def _check_out(out: str | os.PathLike) -> Path:
    """Fail before any run when the report cannot be written at ``out``.

    The nearest folder that exists is probed with a temporary file, so that a
    read-only or special file system is found before minutes of work.
    """
    path = Path(out)
    if path.suffix.lower() not in SUFFIXES and not path.is_dir():
        raise OutputError(f"{path}: the report is an HTML file; give a name ending in .html")
    check_file_target(path, example="report.html")
    return path


def _as_model(model: Model | str | os.PathLike | None) -> Model:
    loaded = model if isinstance(model, Model) else load_model(model)
    if not isinstance(loaded, Model):
        raise GmsimError(
            f"{model}: the report describes factor models (a .toml model file); "
            "use `gmsim compare` for this model"
        )
    return loaded


def _headline(model: Model) -> list[str]:
    """Effectiveness and its outcomes, else the model's outcomes, else its first factors."""
    ids = model.factor_ids
    return (
        [v for v in OUTCOMES if v in ids]
        or [f.id for f in model if f.group == "outcome"]
        or list(ids[:4])
    )


def _scenarios(scenarios: Iterable[ScenarioLike] | None) -> list[Scenario]:
    chosen = [load_scenario(s) for s in (DEFAULT_SCENARIOS if scenarios is None else scenarios)]
    chosen = [s for s in chosen if s.name != "baseline"]
    if not chosen:
        raise ScenarioError(
            "no scenario to report on; name at least one besides the baseline (see `gmsim scenarios`)"
        )
    return chosen


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------
def write_report(
    model: Model | str | os.PathLike | None = None,
    *,
    scenarios: Iterable[ScenarioLike] | None = None,
    spec: Any = None,
    runs: int | None = None,
    seed: int | None = None,
    out: str | os.PathLike = "report.html",
    title: str | None = None,
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    data: str | os.PathLike | None = None,
    observe: Iterable[str] | None = None,
    calibration: str | os.PathLike | None = None,
) -> Path:
    """Run the baseline and ``scenarios`` on ``model`` and write one self-contained HTML report.

    Parameters
    ----------
    model : Model, path or None
        A factor model or its .toml file; ``None`` is the paper's default model.
    scenarios : iterable of str, path or Scenario, optional
        Library names, scenario files or Scenario objects, compared with the
        baseline (the model as it is); default :data:`DEFAULT_SCENARIOS`.
    spec : UncertaintySpec, path, shipped spec name or None
        With a spec, the report adds Monte Carlo bands (:func:`gmsim.monte_carlo`).
    runs, seed : int, optional
        Monte Carlo runs and seed (default: the spec's; 1000 runs).
    out : path
        The report file, ending in ``.html``; written whole or not at all.
    title : str, optional
        The page's title (default: the model's name).
    start, stop, dt, method
        Run settings shared by every run (default: the model's).
    data : path, optional
        An agency's data file (:mod:`gmsim.evidence.data`): its observed points
        are drawn beside the runs, in a section of their own.
    observe : iterable of str, optional
        Maps of the data file's columns onto factors (``COLUMN=FACTOR,scale=fit,...``).
    calibration : path, optional
        A folder written by ``gmsim calibrate``: the section shows its fit, its
        estimates with their 95 % intervals and what the data cannot pin.

    Returns
    -------
    Path
        Where the report was written.

    Raises
    ------
    OutputError
        Before anything runs, when ``out`` cannot be written.
    ScenarioError, SpecError, ModelError
        For an unknown scenario, spec or model, or one that does not fit, with
        the file and line and a suggestion.
    DataError
        Before anything runs, for a bad data file or calibration folder.
    """
    path = _check_out(out)
    model = _as_model(model)
    chosen = _scenarios(scenarios)
    for name, value in (("runs", runs), ("seed", seed)):
        if value is not None and spec is None:
            raise GmsimError(
                f"`{name}` is for the Monte Carlo runs of an uncertainty `spec`; give a spec too"
            )
    if spec is not None:
        from gmsim.uncertainty.spec import UncertaintySpec, load_spec

        spec = spec if isinstance(spec, UncertaintySpec) else load_spec(spec)
    sim = model.simulation
    settings = {
        "start": sim.start if start is None else start,
        "stop": sim.stop if stop is None else stop,
        "dt": sim.dt if dt is None else dt,
        "method": method or sim.method,
    }
    if observe and data is None:
        raise DataError("`observe` maps the columns of a data file; give the file as `data` (--data)")
    observed = (
        None
        if data is None
        else read_observed(
            data,
            model.factor_ids,
            settings["start"],
            settings["stop"],
            observe=observe,
            unit=model.time_unit,
        )
    )
    fitted = None if calibration is None else read_calibration(calibration)
    variables = _headline(model)
    labels = {f.id: f.label for f in model}
    frame = compare(model, chosen, baseline="baseline", **settings)
    analysis = analyse_loops(model, chosen, settings)
    mc = None
    if spec is not None:
        from gmsim.uncertainty.montecarlo import monte_carlo

        mc = monte_carlo(
            model,
            spec,
            runs=runs,
            seed=seed,
            scenarios={s.name: s for s in chosen},
            metrics=[f"{variables[0]}@end", f"mean({variables[0]})"],
            variables=variables,
            progress=False,
            **settings,
        )
    heading = title or model.name
    number = 6 if mc is not None else 5
    extra = (
        (("evidence", f"{number}. Observed data and the fit"),)
        if observed is not None or fitted is not None
        else ()
    )
    body = [
        tag(
            "header",
            tag("h1", heading),
            tag(
                "p",
                f"Scenario report: {len(chosen)} scenario{'s' if len(chosen) > 1 else ''} "
                f"against the baseline over {settings['stop'] - settings['start']:g} "
                f"{model.time_unit}s",
                class_="subtitle",
            ),
            class_="title",
        ),
        contents(mc is not None, extra),
        glance(frame, variables, labels, mc),
        model_section(model, analysis.loops),
        factor_section(model),
        scenario_section(frame, chosen, variables, labels),
        loop_section(analysis, variable=variables[0], label=labels[variables[0]]),
        uncertainty_section(mc, variables, labels) if mc is not None else "",
        evidence_section(frame, data=observed, calibration=fitted, number=number) if extra else "",
        footer(model, chosen, settings, mc),
    ]
    write_file(path, page(heading, *body), example="report.html")
    return path
