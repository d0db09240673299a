"""Metrics: one number per run, read from its trajectories, for ensembles and sensitivity.

A metric is written the way an analyst says it:

=============================  ==============================================
``effectiveness``              the level at the end of the run
``effectiveness@24``           the level at month 24 (linear between saves)
``mean(effectiveness)``        the time mean over the run
``mean(effectiveness, 12, 36)`` the time mean over months 12 to 36
``min(x)``, ``max(x)``         the lowest / highest level (optionally in a window)
``change(x)``                  end minus start (optionally of a window)
``workload@36:lower``          any of these, where lower is better
=============================  ==============================================

Text is parsed by a regular expression, never evaluated.

Examples
--------
>>> import numpy as np
>>> m = Metric.parse("mean(effectiveness, 0, 2)")
>>> time = np.array([0.0, 1.0, 2.0])
>>> values = np.array([[[0.0], [1.0], [2.0]]])  # one run, three times, one variable
>>> m.evaluate(time, values, ("effectiveness",)).tolist()
[1.0]
>>> Metric.parse("effectiveness@1.5").evaluate(time, values, ("effectiveness",)).tolist()
[1.5]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmsim.errors import MetricError, did_you_mean

__all__ = ["FUNCTIONS", "Metric", "MetricError", "parse_metrics"]

FUNCTIONS = ("final", "mean", "min", "max", "change")
"""Reductions over time a metric may use; ``at`` is written ``variable@month``."""

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NAME = r"[A-Za-z_][\w.]*"
_PATTERN = re.compile(
    rf"^\s*(?:(?P<func>\w+)\(\s*(?P<var>{_NAME})\s*(?:,\s*(?P<a>{_NUM})\s*,\s*(?P<b>{_NUM})\s*)?\)"
    rf"|(?P<plain>{_NAME})(?:\s*@\s*(?P<at>{_NUM}|end))?)\s*(?::\s*(?P<better>higher|lower)\s*)?$"
)


@dataclass(frozen=True)
class Metric:
    """One number per run: ``how`` applied to ``variable``.

    Parameters
    ----------
    variable : str
        The variable read.
    how : str
        ``"at"`` (``at`` month), or one of :data:`FUNCTIONS`.
    at : float or None
        Month for ``how = "at"``.
    start, stop : float or None
        Window of a reduction (default: the whole run).
    better : str
        ``"higher"`` or ``"lower"``: which direction counts as better.
    """

    variable: str
    how: str = "final"
    at: float | None = None
    start: float | None = None
    stop: float | None = None
    better: str = "higher"

    def __post_init__(self) -> None:
        if self.how not in (*FUNCTIONS, "at"):
            raise MetricError(
                f"unknown metric function '{self.how}'{did_you_mean(self.how, FUNCTIONS)}; "
                f"expected one of {', '.join(FUNCTIONS)}, or variable@month"
            )
        if self.better not in ("higher", "lower"):
            raise MetricError(f"`better` must be 'higher' or 'lower', got {self.better!r}")
        if self.how == "at" and self.at is None:
            raise MetricError("a metric 'at' needs the month, e.g. effectiveness@24")
        if self.start is not None and self.stop is not None and not self.start < self.stop:
            raise MetricError(f"{self}: the window must end after it starts")

    @classmethod
    def parse(cls, text: str | Metric, *, better: str = "higher") -> Metric:
        """Read a metric from its text form (see the module docstring).

        Examples
        --------
        >>> Metric.parse("change(funding, 0, 12)")
        Metric(variable='funding', how='change', at=None, start=0.0, stop=12.0, better='higher')
        >>> Metric.parse("effectiveness@")
        Traceback (most recent call last):
        ...
        gmsim.errors.MetricError: cannot read metric 'effectiveness@'; write e.g. effectiveness, effectiveness@24, mean(effectiveness) or mean(effectiveness, 12, 36), with :lower if lower is better
        """
        if isinstance(text, Metric):
            return text
        m = _PATTERN.match(str(text))
        if m and m["better"]:
            better = m["better"]
        if not m:
            raise MetricError(
                f"cannot read metric '{text}'; write e.g. effectiveness, effectiveness@24, "
                "mean(effectiveness) or mean(effectiveness, 12, 36), with :lower if lower is better"
            )
        if m["plain"]:
            at = m["at"]
            if at is None or at == "end":
                return cls(m["plain"], "final", better=better)
            return cls(m["plain"], "at", at=float(at), better=better)
        a, b = (float(m["a"]), float(m["b"])) if m["a"] is not None else (None, None)
        return cls(m["var"], m["func"], start=a, stop=b, better=better)

    @property
    def key(self) -> str:
        """The metric's text without its direction: what it measures."""
        return str(self).removesuffix(":lower")

    def __str__(self) -> str:
        suffix = ":lower" if self.better == "lower" else ""
        if self.how == "at":
            return f"{self.variable}@{self.at:g}{suffix}"
        if self.how == "final" and self.start is None:
            return self.variable + suffix
        window = f", {self.start:g}, {self.stop:g}" if self.start is not None else ""
        return f"{self.how}({self.variable}{window}){suffix}"

    def check(self, time: np.ndarray, variables: Sequence[str]) -> None:
        """Raise a :class:`MetricError` if the run has no such variable or month."""
        if self.variable not in variables:
            raise MetricError(
                f"metric '{self}': no variable '{self.variable}'{did_you_mean(self.variable, variables)}"
            )
        lo, hi = float(time[0]), float(time[-1])
        for name, t in (("month", self.at), ("window start", self.start), ("window end", self.stop)):
            if t is not None and not lo <= t <= hi:
                raise MetricError(
                    f"metric '{self}': {name} {t:g} is outside the run (months {lo:g} to {hi:g})"
                )

    def evaluate(self, time: np.ndarray, values: np.ndarray, variables: Sequence[str]) -> np.ndarray:
        """The metric of each run; ``values`` has shape ``(runs, time, variable)``."""
        self.check(time, variables)
        series = values[:, :, list(variables).index(self.variable)]
        if self.how == "at":
            return _at(time, series, self.at)
        a = float(time[0]) if self.start is None else self.start
        b = float(time[-1]) if self.stop is None else self.stop
        t, x = _window(time, series, a, b)
        if self.how == "final":
            return x[:, -1]
        if self.how == "change":
            return x[:, -1] - x[:, 0]
        if self.how == "min":
            return x.min(axis=1)
        if self.how == "max":
            return x.max(axis=1)
        return np.trapezoid(x, t, axis=1) / (t[-1] - t[0])


def _at(time: np.ndarray, series: np.ndarray, t: float) -> np.ndarray:
    """Linear interpolation of every run's series at month ``t``."""
    k = int(np.clip(np.searchsorted(time, t, side="right") - 1, 0, len(time) - 2))
    for j in (k, k + 1):
        if time[j] == t:
            return series[:, j].copy()
    f = (t - time[k]) / (time[k + 1] - time[k])
    return series[:, k] + f * (series[:, k + 1] - series[:, k])


def _window(time: np.ndarray, series: np.ndarray, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Times and values on ``[a, b]``: the saves inside, with the ends interpolated."""
    inside = (time > a) & (time < b)
    t = np.concatenate([[a], time[inside], [b]])
    x = np.concatenate(
        [_at(time, series, a)[:, None], series[:, inside], _at(time, series, b)[:, None]], axis=1
    )
    return t, x


def parse_metrics(
    texts: Sequence[str | Metric] | str | Metric, *, better: str = "higher"
) -> tuple[Metric, ...]:
    """Metrics from text (one, or several); duplicates are dropped, order kept."""
    if isinstance(texts, str | Metric):
        texts = [texts]
    out: dict[str, Metric] = {}
    for text in texts:
        metric = Metric.parse(text, better=better)
        out.setdefault(metric.key, metric)
    if not out:
        raise MetricError("no metric given; e.g. effectiveness@36 or mean(effectiveness)")
    return tuple(out.values())
