"""The XMILE builtins gmsim knows: names, arities, and their numpy implementations.

Every function here works element-wise on floats and on arrays with one entry
per run, so one evaluation serves a whole batch. The function *names* are the
vocabulary of the resolver; an equation that calls anything else is an error
naming the variable, never a silent zero.

Files written by Vensim (or its converter xmutil) keep Vensim's meaning of
``INT`` (truncation toward zero) and ``MOD`` (remainder with the sign of the
dividend); other files get XMILE's (floor, and the floored modulus).

Examples
--------
>>> import numpy as np
>>> PURE["MOD"][2](np.array([-9.9, 7.0]), 3.0).round(6).tolist()
[2.1, 1.0]
>>> VENSIM_PURE["MOD"][2](-9.9, 3.0).round(6)
np.float64(-0.9)
>>> float(lookup(GraphicalFunction((0, 10), (0, 1), "extrapolate"))(20))
2.0
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gmsim.xmile.reader import GraphicalFunction

__all__ = [
    "ALIASES",
    "ARRAY_FUNCTIONS",
    "CONSTANTS",
    "INPUTS",
    "NAMESPACES",
    "PURE",
    "RANDOM",
    "STATEFUL",
    "VENSIM_PURE",
    "all_names",
    "lookup",
    "pulse",
    "quiet",
    "ramp",
    "safediv",
    "step",
]


def safediv(a, b, alternative=0.0):
    """``a / b``, or ``alternative`` where ``b`` is 0 (XMILE SAFEDIV, Vensim XIDZ/ZIDZ)."""
    zero = b == 0
    return np.where(zero, alternative, a / np.where(zero, 1.0, b))


def _min(a, b):
    return np.minimum(a, b)


def _max(a, b):
    return np.maximum(a, b)


def _log(x, base):
    return np.log(x) / np.log(base)


def quiet(fn: Callable) -> Callable:
    """``fn`` with numpy's floating-point warnings off (log of 0 is -inf, as in SD tools)."""

    def quietly(*args):
        with np.errstate(all="ignore"):
            return fn(*args)

    return quietly


def _float_first(exact: Callable, vectorized: Callable) -> Callable:
    """``exact`` (from :mod:`math`) for a plain float, else the quiet numpy ``vectorized``."""
    slow = quiet(vectorized)

    def either(x):
        if type(x) is float:
            try:
                return exact(x)
            except (ValueError, OverflowError):
                pass
        return slow(x)

    return either


# name -> (fewest args, most args, function of evaluated args)
PURE: dict[str, tuple[int, int, Callable]] = {
    "ABS": (1, 1, np.abs),
    "EXP": (1, 1, _float_first(math.exp, np.exp)),
    "LN": (1, 1, _float_first(math.log, np.log)),
    "LOG10": (1, 1, _float_first(math.log10, np.log10)),
    "LOG": (2, 2, quiet(_log)),
    "SQRT": (1, 1, _float_first(math.sqrt, np.sqrt)),
    "SIN": (1, 1, _float_first(math.sin, np.sin)),
    "COS": (1, 1, _float_first(math.cos, np.cos)),
    "TAN": (1, 1, _float_first(math.tan, np.tan)),
    "ARCSIN": (1, 1, _float_first(math.asin, np.arcsin)),
    "ARCCOS": (1, 1, _float_first(math.acos, np.arccos)),
    "ARCTAN": (1, 1, _float_first(math.atan, np.arctan)),
    "SINH": (1, 1, _float_first(math.sinh, np.sinh)),
    "COSH": (1, 1, _float_first(math.cosh, np.cosh)),
    "TANH": (1, 1, _float_first(math.tanh, np.tanh)),
    "INT": (1, 1, np.floor),
    "MOD": (2, 2, quiet(np.mod)),
    "ROUND": (1, 1, lambda x: np.floor(np.asarray(x) + 0.5)),
    "SIGN": (1, 1, np.sign),
    "MIN": (2, 2, _min),
    "MAX": (2, 2, _max),
    "SAFEDIV": (2, 3, safediv),
    "POWER": (2, 2, quiet(np.power)),
}
"""Functions of their arguments alone (XMILE 3.5.1 and a few common extras)."""

VENSIM_PURE = {**PURE, "INT": (1, 1, np.trunc), "MOD": (2, 2, quiet(np.fmod))}
"""The same, with Vensim's INT and MOD, for files that come from Vensim."""

CONSTANTS = ("TIME", "DT", "STARTTIME", "STOPTIME", "PI", "INF")
"""Names with a value and no arguments (``PI`` and ``PI()`` both work)."""

INPUTS: dict[str, tuple[int, int]] = {"STEP": (2, 2), "RAMP": (2, 3), "PULSE": (2, 3)}
"""Test inputs of time (XMILE 3.5.4)."""

STATEFUL: dict[str, tuple[int, int]] = {
    "SMTH1": (2, 3),
    "SMTH3": (2, 3),
    "SMTHN": (3, 4),
    "DELAY1": (2, 3),
    "DELAY3": (2, 3),
    "DELAYN": (3, 4),
    "DELAY": (2, 3),
    "TREND": (2, 3),
    "FORCST": (3, 4),
    "INIT": (1, 1),
    "PREVIOUS": (1, 2),
    "ACTIVE_INITIAL": (2, 2),
}
"""Functions with memory: smooths, delays, trends, INIT and PREVIOUS (XMILE 3.5.3, 3.5.6)."""

ARRAY_FUNCTIONS = ("SUM", "MEAN", "PROD", "STDDEV", "SIZE")
"""Functions of a whole array or slice (XMILE 3.7.1.3; MIN and MAX with one argument too)."""

RANDOM = ("NORMAL", "RANDOM", "EXPRND", "LOGNORMAL", "POISSON", "UNIFORM", "RANDOM_NORMAL")
"""Random draws: not supported (a fixed-step noise model would be needed); named in the error."""

ALIASES = {
    "IF_THEN_ELSE": "IF",
    "XIDZ": "SAFEDIV",
    "ZIDZ": "SAFEDIV",
    "INTEGER": "INT",
    "MODULO": "MOD",
    "SMOOTH": "SMTH1",
    "SMOOTHI": "SMTH1",
    "SMOOTH3": "SMTH3",
    "SMOOTH3I": "SMTH3",
    "DELAY_FIXED": "DELAY",
    "DELAY3I": "DELAY3",
    "DELAY1I": "DELAY1",
    "INITIAL": "INIT",
}
"""Other spellings (mostly Vensim's, as xmutil writes them) and the builtin they mean."""

NAMESPACES = ("std.", "isee.", "vensim.", "user.")
"""Namespace prefixes stripped from function names (``std.ABS`` is ``ABS``)."""


def all_names() -> list[str]:
    """Every function name the resolver accepts (for suggestions)."""
    return sorted({*PURE, *CONSTANTS, *INPUTS, *STATEFUL, *ARRAY_FUNCTIONS, *ALIASES, "IF"})


# -- test inputs ----------------------------------------------------------------------------------
def step(t: float, height, start, eps: float):
    """``height`` from ``start`` on, 0 before."""
    return np.where(t >= start - eps, height, 0.0)


def ramp(t: float, slope, start, end=math.inf):
    """0 until ``start``, then rising by ``slope`` per time unit until ``end``."""
    return slope * np.clip(np.minimum(t, end) - start, 0.0, None)


def pulse(t: float, dt: float, volume, first, interval=0.0):
    """``volume / DT`` during one DT at ``first`` (and every ``interval`` after, when > 0)."""
    eps = 1e-9 * dt
    since = t - first
    interval = np.asarray(interval, dtype=float)
    repeats = interval > 0
    phase = np.where(repeats, np.mod(since + eps, np.where(repeats, interval, 1.0)) - eps, since)
    return np.where((since >= -eps) & (phase < dt - eps), volume / dt, 0.0)


# -- graphical functions ------------------------------------------------------------------------------
def lookup(gf: GraphicalFunction) -> Callable:
    """A vectorized function reading ``gf`` at any x, as its ``kind`` says.

    ``continuous`` interpolates linearly and holds the end values beyond the
    ends; ``extrapolate`` extends the end segments; ``discrete`` takes the y of
    the nearest x point at or below (a staircase).
    """
    xs = np.asarray(gf.x, dtype=float)
    ys = np.asarray(gf.y, dtype=float)
    if len(xs) == 1:
        only = float(ys[0])
        return lambda x: np.full_like(np.asarray(x, dtype=float), only)[()]
    if gf.kind == "discrete":

        def staircase(x):
            i = np.searchsorted(xs, x, side="right") - 1
            return ys[np.clip(i, 0, len(ys) - 1)]

        return staircase
    if gf.kind == "extrapolate":
        lo = (ys[1] - ys[0]) / (xs[1] - xs[0]) if xs[1] > xs[0] else 0.0
        hi = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2]) if xs[-1] > xs[-2] else 0.0

        def extended(x):
            x = np.asarray(x, dtype=float)
            y = np.interp(x, xs, ys)
            y = np.where(x < xs[0], ys[0] + lo * (x - xs[0]), y)
            return np.where(x > xs[-1], ys[-1] + hi * (x - xs[-1]), y)[()]

        return extended
    return lambda x: np.interp(x, xs, ys)
