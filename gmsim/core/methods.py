"""The integration methods: one table, read by the engine, the model checks and the XMILE writer.

Each entry of :data:`METHOD_TABLE` is a :class:`Method`: fixed-step ``euler``
and ``rk4`` (as SD tools do) carry their stepper and their stability limit;
adaptive ``rk45`` and ``lsoda`` name the :func:`scipy.integrate.solve_ivp`
method that runs them. :data:`METHODS` lists the names, in the table's order.

Examples
--------
>>> METHODS
('euler', 'rk4', 'rk45', 'lsoda')
>>> rk4 = get_method("rk4")
>>> rk4.kind, rk4.stability, rk4.xmile
('fixed', 2.0, 'rk4')
>>> get_method("lsoda").scipy, get_method("lsoda").xmile
('LSODA', 'gear, rk4')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from gmsim.errors import SimulationError, did_you_mean

__all__ = ["METHODS", "METHOD_TABLE", "Method", "Rhs", "Stepper", "get_method"]

Rhs = Callable[[float, np.ndarray, Any], np.ndarray]
"""A right-hand side ``f(t, y, params)``: the time derivative of the states ``y`` (batch, states)."""

Stepper = Callable[[Rhs, float, np.ndarray, float, Any], np.ndarray]
"""One fixed step ``step(f, t, y, h, params)``: the states at ``t + h``."""


def euler(f: Rhs, t: float, y: np.ndarray, h: float, p: Any) -> np.ndarray:
    """One explicit Euler step: one evaluation of ``f``.

    Examples
    --------
    >>> float(euler(lambda t, y, p: -y, 0.0, np.ones((1, 1)), 0.5, None)[0, 0])
    0.5
    """
    return y + h * f(t, y, p)


def rk4(f: Rhs, t: float, y: np.ndarray, h: float, p: Any) -> np.ndarray:
    """One classical Runge-Kutta step: four evaluations of ``f``.

    The stage sums are formed in place (fewer passes over big batches).

    Examples
    --------
    >>> round(float(rk4(lambda t, y, p: -y, 0.0, np.ones((1, 1)), 0.5, None)[0, 0]), 6)
    0.606771
    """
    k = f(t, y, p)
    acc = k.copy()
    stage = y + (h / 2) * k
    k = f(t + h / 2, stage, p)
    acc += 2 * k
    np.multiply(k, h / 2, out=stage)
    stage += y
    k = f(t + h / 2, stage, p)
    acc += 2 * k
    np.multiply(k, h, out=stage)
    stage += y
    acc += f(t + h, stage, p)
    acc *= h / 6
    acc += y
    return acc


@dataclass(frozen=True)
class Method:
    """One integration method.

    Parameters
    ----------
    name : str
        The name runs and model files use (``"rk4"``).
    kind : {"fixed", "adaptive"}
        Fixed-step methods step by ``dt``; adaptive ones choose their steps
        to meet ``rtol`` and ``atol`` and only save every ``dt``.
    xmile : str
        The XMILE ``sim_specs`` method it is exported as (an optional
        method names ``rk4`` as the fallback).
    stepper : callable or None
        One fixed step (:data:`Stepper`); ``None`` for adaptive methods.
    stages : int or None
        Evaluations of the right-hand side in one fixed step (the stepper
        makes exactly these); ``None`` for adaptive methods, whose solver
        counts its own.
    scipy : str or None
        The :func:`scipy.integrate.solve_ivp` method of an adaptive one.
    stability : float or None
        A fixed step longer than ``stability`` times the fastest time
        constant is refused (the run would blow up); ``None``: no limit.
    """

    name: str
    kind: Literal["fixed", "adaptive"]
    xmile: str
    stepper: Stepper | None = None
    stages: int | None = None
    scipy: str | None = None
    stability: float | None = None

    @property
    def fixed(self) -> bool:
        """``True`` for a fixed-step method."""
        return self.kind == "fixed"


METHOD_TABLE: Mapping[str, Method] = MappingProxyType(
    {
        m.name: m
        for m in (
            Method("euler", "fixed", "euler", stepper=euler, stages=1, stability=1.0),
            Method("rk4", "fixed", "rk4", stepper=rk4, stages=4, stability=2.0),
            Method("rk45", "adaptive", "rk45, rk4", scipy="RK45"),
            Method("lsoda", "adaptive", "gear, rk4", scipy="LSODA"),
        )
    }
)
"""Every integration method by name; the one place methods are defined."""

METHODS: tuple[str, ...] = tuple(METHOD_TABLE)
"""Names of the integration methods: fixed-step ``euler`` and ``rk4``; adaptive ``rk45`` and ``lsoda``."""


def get_method(name: str) -> Method:
    """The method called ``name``, or a :class:`SimulationError` that suggests one.

    Examples
    --------
    >>> get_method("euler").stability
    1.0
    >>> get_method("rk5")
    Traceback (most recent call last):
    ...
    gmsim.errors.SimulationError: unknown `method` 'rk5' (did you mean 'rk45'?); use one of euler, rk4, rk45, lsoda
    """
    try:
        return METHOD_TABLE[name]
    except (KeyError, TypeError):
        raise SimulationError(
            f"unknown `method` {name!r}{did_you_mean(str(name).lower(), METHODS)}; use one of {', '.join(METHODS)}"
        ) from None
