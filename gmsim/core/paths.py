"""Time paths that drive or hold a variable: constant, step, ramp, pulse, table.

A path is a small immutable object with ``value(t)`` and ``breakpoints``: the
times where it jumps or bends, at which the integrator splits so that the jump
is exact. Values may be floats or arrays with one entry per run of a batch.

Examples
--------
>>> from gmsim.core.paths import Step, Pulse, Ramp, Table
>>> Step(at=12, value=0.2, base=0.6).value(11.9), Step(at=12, value=0.2, base=0.6).value(12)
(0.6, 0.2)
>>> Pulse(at=5, duration=1, value=0.9, base=0.1).value(5.5)
0.9
>>> Ramp(start=0, end=10, value=1.0, base=0.0).value(2.5)
0.25
>>> float(Table(times=(0, 10), values=(0.0, 1.0)).value(4))
0.4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["Constant", "Path", "Pulse", "Ramp", "Step", "Table", "Within"]

Value = float | np.ndarray


class Path(Protocol):
    """What a driver path offers the engine."""

    @property
    def breakpoints(self) -> tuple[float, ...]: ...

    def value(self, t: float) -> Value: ...


@dataclass(frozen=True)
class Constant:
    """The same value at every time."""

    value_: Value

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return ()

    def value(self, t: float) -> Value:
        return self.value_


@dataclass(frozen=True)
class Step:
    """``base`` before ``at``, ``value`` from ``at`` on."""

    at: float
    value_: Value = 0.0
    base: Value = 0.0

    def __init__(self, at: float, value: Value, base: Value = 0.0):
        object.__setattr__(self, "at", float(at))
        object.__setattr__(self, "value_", value)
        object.__setattr__(self, "base", base)

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (self.at,)

    def value(self, t: float) -> Value:
        return self.value_ if t >= self.at else self.base


@dataclass(frozen=True)
class Pulse:
    """``value`` on ``[at, at + duration)``, ``base`` elsewhere."""

    at: float
    duration: float
    value_: Value = 0.0
    base: Value = 0.0

    def __init__(self, at: float, duration: float, value: Value, base: Value = 0.0):
        object.__setattr__(self, "at", float(at))
        object.__setattr__(self, "duration", float(duration))
        object.__setattr__(self, "value_", value)
        object.__setattr__(self, "base", base)

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (self.at, self.at + self.duration)

    def value(self, t: float) -> Value:
        return self.value_ if self.at <= t < self.at + self.duration else self.base


@dataclass(frozen=True)
class Ramp:
    """``base`` until ``start``, linear to ``value`` at ``end``, then ``value``."""

    start: float
    end: float
    value_: Value = 0.0
    base: Value = 0.0

    def __init__(self, start: float, end: float, value: Value, base: Value = 0.0):
        object.__setattr__(self, "start", float(start))
        object.__setattr__(self, "end", float(end))
        object.__setattr__(self, "value_", value)
        object.__setattr__(self, "base", base)

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (self.start, self.end)

    def value(self, t: float) -> Value:
        if t <= self.start:
            return self.base
        if t >= self.end:
            return self.value_
        frac = (t - self.start) / (self.end - self.start)
        return self.base + (self.value_ - self.base) * frac


@dataclass(frozen=True)
class Table:
    """Linear interpolation through ``(times, values)``, flat beyond the ends."""

    times: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "times", tuple(float(t) for t in self.times))
        object.__setattr__(self, "values", tuple(float(v) for v in self.values))
        # arrays made once: np.interp on the tuples would convert them at every call, which
        # made a run through a table of n points cost O(n^2)
        object.__setattr__(self, "_xs", np.array(self.times))
        object.__setattr__(self, "_ys", np.array(self.values))

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return self.times

    def value(self, t: float) -> Value:
        return float(np.interp(t, self._xs, self._ys))


@dataclass(frozen=True)
class Within:
    """A path seen from inside one integration segment ``[start, end)``.

    At ``end`` it gives the path's value just before ``end`` (its left limit), so
    that a step of an integrator that ends on a breakpoint does not see the jump
    that happens there.
    """

    path: Path
    end: float

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return ()

    def value(self, t: float) -> Value:
        return self.path.value(t if t < self.end else float(np.nextafter(self.end, -np.inf)))
