"""Claims that travel with the model: the ``[[checks]]`` of a model file, run and judged.

A claim states the paper's words as behaviour: in a run (a scenario, inline
interventions, or both), a ``variable`` is ``lower``, ``higher`` or ``near`` its
value in a comparison run (``against``: a scenario, default the baseline;
``"start"``: the same run at its start; or a fixed level), at one time ``at`` or
over a window ``over`` reduced by a ``statistic``; or the largest gap of
``variable`` from the comparison run ``precedes`` that of ``then``.

:func:`check` runs every claim (runs shared between claims that need the same
one) and returns a :class:`CheckReport`; with ``extreme=True`` it adds the
generated extreme-condition tests of :mod:`gmsim.analysis.extreme`.

How a window is judged. With ``statistic = "all"`` the claim must hold at
every saved time of the window (the row reports the time closest to failing);
``min``, ``max``, ``mean`` and ``final`` reduce the run and the comparison
each to one number over the window first. Margins: ``lower`` needs
``value <= comparison - by``, ``higher`` needs ``value >= comparison + by``,
``near`` needs ``|value - comparison| <= by``, ``precedes`` needs the month of
``then``'s largest gap to come strictly after that of ``variable`` (and at
least ``by`` months after, when ``by`` is given).

A bare scenario name is looked up first in the ``scenarios/`` folder beside
the model file, then in the library; a name ending in ``.toml`` or holding a
``/`` is a file relative to the model file.

Examples
--------
>>> import gmsim
>>> report = gmsim.check(gmsim.load_model())
>>> isinstance(report, CheckReport)
True
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gmsim.core.result import Result
from gmsim.errors import GmsimError, ModelError, did_you_mean
from gmsim.factor.model import Model
from gmsim.scenario import Scenario, combine, list_scenarios, load_scenario
from gmsim.simulation.load import load_model
from gmsim.simulation.simulate import simulate

__all__ = ["COLUMNS", "EXPECTS", "STATISTICS", "CheckReport", "Claim", "check", "plan_claims"]

EXPECTS = ("lower", "higher", "near", "precedes")
"""What a claim may expect of its variable."""

STATISTICS = ("all", "min", "max", "mean", "final")
"""How a window ``over = [a, b]`` is reduced."""

COLUMNS = (
    "name",
    "kind",
    "passed",
    "expect",
    "variable",
    "scenario",
    "against",
    "time",
    "value",
    "comparison",
    "difference",
    "margin",
    "time_variable",
    "time_then",
    "source",
    "quote",
    "note",
)
"""The columns of :meth:`CheckReport.to_frame`, in order."""


@dataclass(frozen=True)
class Claim:
    """One claim ready to run: its run, its comparison and what it expects (built by :func:`plan_claims`).

    ``run`` and ``comparison_run`` are ``(scenario or None, equilibrium, stop)``
    keys of the runs (``None``: the baseline); ``against`` is ``"run"``,
    ``"start"`` or ``"level"`` with ``level`` the fixed number.
    """

    name: str
    expect: str
    variable: str
    run: tuple
    scenario: str
    against: str
    against_label: str
    comparison_run: tuple | None = None
    level: float | None = None
    by: float = 0.0
    at: float | None = None
    over: tuple[float, float] | None = None
    statistic: str = "final"
    then: str | None = None
    start: float = 0.0
    source: str = ""
    quote: str = ""
    tuned: bool = False


# -- planning: every claim resolved and checked before anything runs ----------------------------
def _where(model: Model, check: Any, index: int, key: str) -> str:
    """``file:line: checks[i] (name) `key``` for a message about a claim."""
    lines = getattr(check, "lines", None) or {}
    line = dict(lines).get(key) if lines else None
    line = line or getattr(check, "line", None)
    path = model.path or "model"
    where = f"{path}:{line}" if line else path
    name = getattr(check, "name", "") or f"#{index + 1}"
    return f"{where}: checks[{index + 1}] ({name}) `{key}`"


def _scenario_names(base: Path | None) -> list[str]:
    own = sorted(p.stem for p in (base / "scenarios").glob("*.toml")) if base else []
    return sorted({*own, *list_scenarios()})


def _resolve(ref: str, base: Path | None) -> Scenario:
    """A scenario named by a claim: a file relative to the model, the model's own folder, the library."""
    text = str(ref)
    if base is not None:
        if text.endswith(".toml") or "/" in text:
            return load_scenario(base / text if not os.path.isabs(text) else text)
        own = base / "scenarios" / f"{text}.toml"
        if own.is_file():
            return load_scenario(own)
    if text not in list_scenarios():
        raise GmsimError(
            f"unknown scenario '{text}'{did_you_mean(text, _scenario_names(base))}; name a scenario "
            "of the library (`gmsim scenarios`), of the folder scenarios/ beside the model, or a "
            ".toml file relative to the model"
        )
    return load_scenario(text)


def _run_key(scenario: Scenario | None, equilibrium: bool | None, stop: float | None) -> tuple:
    if scenario is not None and not (scenario.actions or scenario.links or scenario.factors):
        scenario = None  # an empty scenario is the baseline: one run for both
    return (scenario, equilibrium, stop)


def _horizon(model: Model, stop: float | None) -> tuple[float, float]:
    sim = model.simulation
    return float(sim.start), float(sim.stop if stop is None else stop)


def _fits(scenario: Scenario | None, model: Model, equilibrium, stop) -> None:
    """Check a scenario against the model and the claim's horizon (raises ScenarioError)."""
    if scenario is None:
        return
    sim = dataclasses.replace(model.simulation, stop=_horizon(model, stop)[1])
    scenario.interventions(dataclasses.replace(model, simulation=sim))


def plan_claims(model: Model) -> list[Claim]:
    """Every claim of ``model`` resolved into a :class:`Claim`, checked before anything runs.

    Raises
    ------
    ModelError
        Listing every bad claim, each as ``file:line: checks[i] (name) `key`: ...``
        with a suggestion: an unknown scenario, variable or comparison, a window
        outside the horizon.
    """
    checks = tuple(getattr(model, "checks", ()) or ())
    base = Path(model.path).parent if model.path else None
    ids = model.factor_ids
    problems: list[str] = []
    claims: list[Claim] = []
    for i, c in enumerate(checks):

        def bad(key: str, message: str, c=c, i=i) -> None:
            problems.append(f"{_where(model, c, i, key)}: {message}")

        n = len(problems)
        name = getattr(c, "name", "") or f"check-{i + 1}"
        expect = getattr(c, "expect", None)
        if expect not in EXPECTS:
            bad(
                "expect",
                f"expected one of {', '.join(EXPECTS)}, got {expect!r}"
                f"{did_you_mean(str(expect), EXPECTS)}",
            )
        variable = getattr(c, "variable", None)
        if variable not in ids:
            bad("variable", f"no factor '{variable}' in the model{did_you_mean(str(variable), ids)}")
        then = getattr(c, "then", None)
        if expect == "precedes" and then is None:
            bad("then", 'a `precedes` claim needs `then = "<factor>"`, the factor whose gap comes later')
        elif then is not None and then not in ids:
            bad("then", f"no factor '{then}' in the model{did_you_mean(str(then), ids)}")
        equilibrium = getattr(c, "equilibrium", None)
        stop = getattr(c, "stop", None)
        start, end = _horizon(model, stop)
        if stop is not None and not stop > start:
            bad("stop", f"must be after the start of the run ({start:g}), got {stop!r}")
        # the run: a scenario, inline interventions, or both combined
        scenario = None
        ref = getattr(c, "scenario", None)
        try:
            if ref is not None:
                scenario = _resolve(ref, base)
            raw = tuple(getattr(c, "interventions", ()) or ())
            if raw:
                inline = Scenario.from_dict({"interventions": [dict(t) for t in raw]}, name=name)
                scenario = combine(scenario, inline, name=name) if scenario is not None else inline
            _fits(scenario, model, equilibrium, stop)
        except GmsimError as exc:
            bad("interventions" if ref is None else "scenario", str(exc).replace("\n", "; "))
        label = ref if ref is not None else ("interventions" if scenario is not None else "baseline")
        if ref is not None and getattr(c, "interventions", ()):
            label = f"{ref} + interventions"
        # the comparison
        against = getattr(c, "against", None)
        against = "baseline" if against is None else against
        kind, level, comparison = "run", None, None
        if isinstance(against, bool):
            bad("against", 'expected a scenario name, "start" or a number, got a boolean')
        elif isinstance(against, int | float):
            kind, level = "level", float(against)
        elif against == "start":
            kind = "start"
        else:
            try:
                other = None if against == "baseline" else _resolve(against, base)
                _fits(other, model, equilibrium, stop)
                comparison = _run_key(other, equilibrium, stop)
            except GmsimError as exc:
                msg = str(exc).replace("\n", "; ")
                if "unknown scenario" in msg and did_you_mean(str(against), ["start"]):
                    msg += ' (or did you mean "start"?)'
                bad("against", msg + '; `against` may also be "start" or a number')
        # when
        at, over = getattr(c, "at", None), getattr(c, "over", None)
        statistic = getattr(c, "statistic", None)
        if at is not None and over is not None:
            bad("over", "give `at` (one time) or `over` (a window), not both")
        if at is not None and not start <= at <= end:
            bad(
                "at",
                f"month {at:g} is outside the run's horizon [{start:g}, {end:g}]; "
                "use a time inside it, or set `stop`",
            )
        if over is not None:
            over = tuple(over)
            if len(over) != 2 or not over[0] < over[1]:
                bad("over", f"expected [start, end] with start < end, got {list(over)}")
            elif not (start <= over[0] and over[1] <= end):
                bad(
                    "over",
                    f"the window [{over[0]:g}, {over[1]:g}] is not inside the run's horizon "
                    f"[{start:g}, {end:g}]; shorten it, or set `stop`",
                )
        if statistic is not None and statistic not in STATISTICS:
            bad(
                "statistic",
                f"expected one of {', '.join(STATISTICS)}, got {statistic!r}"
                f"{did_you_mean(str(statistic), STATISTICS)}",
            )
        by = getattr(c, "by", None)
        by = 0.0 if by is None else by
        if expect == "near" and getattr(c, "by", None) is None:
            bad("by", "a `near` claim needs `by`, the largest difference it allows")
        if len(problems) > n:
            continue
        claims.append(
            Claim(
                name=name,
                expect=expect,
                variable=variable,
                run=_run_key(scenario, equilibrium, stop),
                scenario=label,
                against=kind,
                against_label=str(against),
                comparison_run=comparison,
                level=level,
                by=float(by),
                at=None if at is None else float(at),
                over=None if over is None else (float(over[0]), float(over[1])),
                statistic=statistic or ("all" if over is not None else "final"),
                then=then,
                start=start,
                source=str(getattr(c, "source", "") or ""),
                quote=str(getattr(c, "quote", "") or ""),
                tuned=bool(getattr(c, "tuned", False)),
            )
        )
    if problems:
        raise ModelError(problems)
    return claims


# -- running and judging ---------------------------------------------------------------------
class _Runs:
    """Runs shared between claims: one per (scenario, equilibrium, stop)."""

    def __init__(self, model: Model):
        self.model = model
        self.cache: dict[tuple, Result] = {}

    def get(self, key: tuple) -> Result:
        if key not in self.cache:
            scenario, equilibrium, stop = key
            self.cache[key] = simulate(self.model, scenario=scenario, equilibrium=equilibrium, stop=stop)
        return self.cache[key]


def _series(result: Result, variable: str) -> np.ndarray:
    return np.asarray(result[variable], dtype=float)


def _value_at(time: np.ndarray, y: np.ndarray, t: float) -> float:
    return float(np.interp(t, time, y))


def _window(time: np.ndarray, over: tuple[float, float]) -> np.ndarray:
    keep = (time >= over[0] - 1e-9) & (time <= over[1] + 1e-9)
    return keep


def _reduce(y: np.ndarray, statistic: str) -> float:
    return float({"min": np.min, "max": np.max, "mean": np.mean, "final": lambda a: a[-1]}[statistic](y))


def _holds(expect: str, diff: float, by: float) -> bool:
    if expect == "lower":
        return diff <= -by + 1e-12
    if expect == "higher":
        return diff >= by - 1e-12
    return abs(diff) <= by + 1e-12


def _slack(expect: str, diff: np.ndarray, by: float) -> np.ndarray:
    """How far each difference is inside the claim's margin (negative: failing)."""
    if expect == "lower":
        return -by - diff
    if expect == "higher":
        return diff - by
    return by - np.abs(diff)


def _comparison(claim: Claim, runs: _Runs, time: np.ndarray, y: np.ndarray, variable: str):
    if claim.against == "level":
        return np.full_like(y, claim.level)
    if claim.against == "start":
        return np.full_like(y, _value_at(time, y, claim.start))
    other = runs.get(claim.comparison_run)
    return np.interp(time, other.time, _series(other, variable))


def _row(claim: Claim, **numbers) -> dict:
    row = dict.fromkeys(COLUMNS)
    row.update(
        name=claim.name,
        kind="tuned" if claim.tuned else "claim",
        expect=claim.expect,
        variable=claim.variable,
        scenario=claim.scenario,
        against=claim.against_label,
        margin=claim.by,
        source=claim.source,
        quote=claim.quote,
        note="",
    )
    row.update(numbers)
    return row


def _fmt(x: float) -> str:
    return f"{x:g}"


def evaluate(claim: Claim, runs: _Runs) -> dict:
    """One row of the report: the claim's numbers and whether it holds."""
    result = runs.get(claim.run)
    time = result.time
    y = _series(result, claim.variable)
    ref = _comparison(claim, runs, time, y, claim.variable)
    if claim.expect == "precedes":
        keep = _window(time, claim.over) if claim.over else np.ones(len(time), bool)
        gap = np.abs(y - ref)[keep]
        y2 = _series(result, claim.then)
        gap2 = np.abs(y2 - _comparison(claim, runs, time, y2, claim.then))[keep]
        t1, t2 = float(time[keep][np.argmax(gap)]), float(time[keep][np.argmax(gap2)])
        lead = t2 - t1
        passed = bool(lead > 0 and lead >= claim.by and gap.max() > 1e-12)
        note = (
            ""
            if passed
            else (
                f"the largest gap of {claim.variable} ({gap.max():.3g}) is at month {_fmt(t1)}, "
                f"that of {claim.then} ({gap2.max():.3g}) at month {_fmt(t2)}"
                + ("; neither run moves" if gap.max() <= 1e-12 else "")
            )
        )
        when = f"{_fmt(t1)}, {claim.then} @ {_fmt(t2)}"
        if claim.over is not None:
            when += f" (in {_fmt(claim.over[0])}-{_fmt(claim.over[1])})"
        return _row(
            claim,
            passed=passed,
            time=when,
            value=float(gap.max()),
            comparison=float(gap2.max()),
            difference=lead,
            time_variable=t1,
            time_then=t2,
            note=note,
        )
    if claim.at is not None or claim.over is None:
        t = claim.at if claim.at is not None else float(time[-1])
        value, comp = _value_at(time, y, t), _value_at(time, ref, t)
        when = _fmt(t)
    elif claim.statistic == "all":
        keep = _window(time, claim.over)
        slack = _slack(claim.expect, y[keep] - ref[keep], claim.by)
        k = int(np.argmin(slack))
        t = float(time[keep][k])
        value, comp = float(y[keep][k]), float(ref[keep][k])
        when = f"{_fmt(claim.over[0])}-{_fmt(claim.over[1])} (worst at {_fmt(t)})"
    else:
        keep = _window(time, claim.over)
        value, comp = _reduce(y[keep], claim.statistic), _reduce(ref[keep], claim.statistic)
        when = f"{claim.statistic} {_fmt(claim.over[0])}-{_fmt(claim.over[1])}"
    diff = value - comp
    passed = _holds(claim.expect, diff, claim.by)
    note = "" if passed else _miss(claim, value, comp, diff)
    return _row(
        claim, passed=passed, time=when, value=value, comparison=comp, difference=diff, note=note
    )


def _miss(claim: Claim, value: float, comp: float, diff: float) -> str:
    want = {
        "lower": f"at least {claim.by:g} below",
        "higher": f"at least {claim.by:g} above",
        "near": f"within {claim.by:g} of",
    }[claim.expect]
    return (
        f"{claim.variable} is {value:.4f} against {comp:.4f} ({claim.against_label}): "
        f"a difference of {diff:+.4f}, expected {want}"
    )


# -- the report ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check`: one row per claim (and per extreme test).

    Examples
    --------
    >>> report = CheckReport("m", rows=({"name": "a", "kind": "claim", "passed": True},))
    >>> report.passed, len(report.to_frame())
    (True, 1)
    """

    model: str
    rows: tuple[Mapping[str, Any], ...] = ()
    path: str | None = field(default=None, compare=False)

    @property
    def passed(self) -> bool:
        """Whether every claim and test holds."""
        return all(bool(r["passed"]) for r in self.rows)

    @property
    def failures(self) -> list[Mapping[str, Any]]:
        """The rows that fail."""
        return [r for r in self.rows if not r["passed"]]

    def to_frame(self) -> pd.DataFrame:
        """A row per claim, columns :data:`COLUMNS`."""
        return pd.DataFrame([{k: r.get(k) for k in COLUMNS} for r in self.rows], columns=list(COLUMNS))

    def table(self) -> str:
        """The pass/fail table as text, then each failure with its numbers."""
        if not self.rows:
            return f"{self.model}: no checks (add [[checks]] tables to the model file, or use --extreme)"
        width = min(48, max(len(str(r["name"])) for r in self.rows))
        lines = [
            f"Checks of {self.model}",
            f"  {'':4} {'check':<{width}} {'kind':<8}{'expect':<9}{'value':>9}{'against':>9}"
            f"{'diff':>9}  where",
        ]
        for r in self.rows:
            mark = "PASS" if r["passed"] else "FAIL"
            nums = "".join(
                f"{x:>9.4f}" if isinstance(x, int | float) and math.isfinite(x) else f"{'':>9}"
                for x in (r.get("value"), r.get("comparison"), r.get("difference"))
            )
            where = f"{r.get('variable') or ''} @ {r.get('time') or ''}"
            if r.get("source"):
                where += f" [{r['source']}]"
            lines.append(
                f"  {mark} {str(r['name'])[:width]:<{width}} {r.get('kind') or '':<8}"
                f"{r.get('expect') or '':<9}{nums}  {where}"
            )
        failed = self.failures
        lines.append(f"  {len(self.rows) - len(failed)} of {len(self.rows)} pass")
        if failed:
            lines.append("Failures:")
            for r in failed:
                lines.append(f"  {r['name']}: {r.get('note') or 'fails'}")
        return "\n".join(lines)


def check(model: Model | str | os.PathLike | None = None, *, extreme: bool = False) -> CheckReport:
    """Run every claim of ``model`` (its ``[[checks]]``) and report which hold.

    Parameters
    ----------
    model : Model, path or None
        The model; ``None``: the default model.
    extreme : bool
        Add the generated extreme-condition tests (:func:`gmsim.analysis.extreme.extreme_rows`).

    Returns
    -------
    CheckReport

    Raises
    ------
    ModelError
        Before anything runs, listing every bad claim with its line and key.

    Examples
    --------
    >>> import gmsim
    >>> gmsim.check(extreme=True).passed
    True
    """
    if model is None or isinstance(model, str | os.PathLike):
        model = load_model(model)
    if not isinstance(model, Model):
        raise GmsimError("`gmsim check` needs a factor model (.toml); an XMILE model has no [[checks]]")
    claims = plan_claims(model)
    runs = _Runs(model)
    rows: list[dict] = [evaluate(c, runs) for c in claims]
    if extreme:
        from gmsim.analysis.extreme import extreme_rows

        rows += extreme_rows(model, baseline=runs.get(_run_key(None, None, None)))
    return CheckReport(model=model.name, rows=tuple(rows), path=model.path)
