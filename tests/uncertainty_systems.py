"""Small systems with exact answers, for the ensemble, sensitivity and executor tests.

They implement only the generic :class:`~gmsim.core.system.System` interface, as an
imported model would, so the tests also show that the analyses need nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from gmsim.core.system import Params, System
from gmsim.errors import SimulationError
from gmsim.factor.model import Factor, Link, Model, Simulation


@dataclass
class DecayParams(Params):
    rate: np.ndarray | None = None
    x0: np.ndarray | None = None


class Decay(System):
    """``dx/dt = -rate·x``, so ``x(t) = x0·exp(-rate·t)``; ``y = 2x``.

    ``fragile``: ``y = x·sqrt(1 - rate)`` instead, NaN for a rate above 1.
    ``strict``: :meth:`parameters` refuses a rate above 1 (an error, not a NaN).
    """

    name = "decay"
    state_names = ("x",)
    variable_names = ("x", "y")
    simulation = Simulation(start=0.0, stop=2.0, dt=0.05, method="rk4")

    def __init__(self, *, fragile: bool = False, strict: bool = False):
        self.fragile, self.strict = fragile, strict
        self.groups = {"x": "process", "y": "outcome"}
        self.labels = {"x": "x", "y": "y"}
        self.graph = nx.DiGraph()

    def parameter_names(self):
        return ("rate:x", "initial:x")

    def parameter_values(self):
        return {"rate:x": 1.0, "initial:x": 1.0}

    def parameters(self, batch=None):
        batch = {k: np.asarray(v, dtype=float) for k, v in dict(batch or {}).items()}
        runs = len(next(iter(batch.values()))) if batch else 1
        rate = np.broadcast_to(batch.get("rate:x", 1.0), (runs,)).copy()
        if self.strict and (rate > 1).any():
            raise SimulationError(f"rate {rate.max():g} is above 1")
        x0 = np.broadcast_to(batch.get("initial:x", 1.0), (runs,)).copy()
        return DecayParams(batch=runs, rate=rate, x0=x0)

    def initial_state(self, params):
        return params.x0[:, None].copy()

    def rhs(self, t, y, params):
        return -params.rate[:, None] * y

    def observe(self, t, y, params):
        if self.fragile:
            return np.column_stack([y[:, 0], y[:, 0] * np.sqrt(1.0 - params.rate)])
        return np.column_stack([y[:, 0], 2.0 * y[:, 0]])


@dataclass
class LinearParams(Params):
    p: np.ndarray | None = None


class Linear(System):
    """Constant states equal to the parameters; the variable ``y = Σ c_i p_i``.

    With independent uniform parameters of equal width, the Sobol first-order
    and total indices of ``y`` are both ``c_i² / Σ c_j²``.
    """

    name = "linear"
    simulation = Simulation(start=0.0, stop=1.0, dt=0.5, method="euler")

    def __init__(self, coefficients):
        self.c = np.asarray(coefficients, dtype=float)
        self.state_names = tuple(f"p{i}" for i in range(len(self.c)))
        self.variable_names = (*self.state_names, "y")
        self.groups = {v: "process" for v in self.variable_names}
        self.labels = {v: v for v in self.variable_names}
        self.graph = nx.DiGraph()

    def parameter_names(self):
        return tuple(f"level:{s}" for s in self.state_names)

    def parameters(self, batch=None):
        batch = dict(batch or {})
        runs = len(next(iter(batch.values()))) if batch else 1
        p = np.column_stack(
            [
                np.broadcast_to(np.asarray(batch.get(n, 0.0), float), (runs,))
                for n in self.parameter_names()
            ]
        )
        return LinearParams(batch=runs, p=p)

    def initial_state(self, params):
        return params.p.copy()

    def rhs(self, t, y, params):
        return np.zeros_like(y)

    def observe(self, t, y, params):
        return np.column_stack([y, y @ self.c])


def one_weight_model() -> Model:
    """Two separate chains driven by two drivers: ``x`` depends on ``weight:a->x`` only.

    ``b -> y`` and the adjustment time of ``y`` cannot reach ``x``; a step of
    the driver ``a`` at month 1 (see :func:`push_a`) moves ``x`` by an amount
    set by the weight of ``a -> x`` alone.
    """
    return Model(
        name="one weight",
        factors=(
            Factor("a", group="external_enabler", kind="exogenous", initial=0.5),
            Factor("b", group="external_enabler", kind="exogenous", initial=0.5),
            Factor("x", group="outcome", initial=0.5, tau=2.0),
            Factor("y", group="outcome", initial=0.5, tau=3.0),
        ),
        links=(Link("a", "x", weight=0.5), Link("b", "y", weight=0.5)),
        simulation=Simulation(start=0.0, stop=12.0, dt=0.125, method="rk4"),
    )


def push_a():
    """A scenario that raises the driver ``a`` from 0.5 to 0.9 at month 1."""
    from gmsim.scenario import Intervention, Scenario

    return Scenario("push-a", actions=(Intervention("step", "a", at=1.0, value=0.9),))
