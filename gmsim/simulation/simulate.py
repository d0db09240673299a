"""The one function that runs a model: :func:`simulate`."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from gmsim.core.result import Result
from gmsim.core.solver import RunSettings, solve
from gmsim.core.system import Interventions, System
from gmsim.errors import SimulationError
from gmsim.factor.model import Model

__all__ = ["as_system", "simulate"]

ModelLike = Model | System | str | os.PathLike | None


def as_system(
    model: ModelLike = None,
    *,
    scenario: Any = None,
    equilibrium: bool | None = None,
    start: float | None = None,
    stop: float | None = None,
) -> tuple[System, str]:
    """Compile ``model`` with ``scenario`` applied; return the system and the scenario's name.

    ``model`` may be a Model, an already compiled System, a path, or ``None``
    for the default model. ``scenario`` may be a library name, a path, a
    :class:`~gmsim.scenario.Scenario` or :class:`~gmsim.core.system.Interventions`.
    ``start`` and ``stop`` replace the model's horizon, against which a
    scenario's times are checked.
    """
    if isinstance(model, System):
        if scenario is not None:
            raise SimulationError("`scenario` needs a model, not an already compiled System")
        return model, "baseline"
    if model is None or isinstance(model, str | os.PathLike):
        from gmsim.simulation.load import load_model

        model = load_model(model)
    if equilibrium is not None and isinstance(model, Model):
        model = model.replace(dynamics=dataclasses.replace(model.dynamics, equilibrium=equilibrium))
    if scenario is None:
        return model.compile(), "baseline"
    if isinstance(scenario, Interventions):
        return model.compile(scenario), "custom"
    from gmsim.scenario import load_scenario

    scenario = load_scenario(scenario) if isinstance(scenario, str | os.PathLike) else scenario
    horizon = {k: float(v) for k, v in (("start", start), ("stop", stop)) if v is not None}
    if horizon:
        model = dataclasses.replace(model, simulation=dataclasses.replace(model.simulation, **horizon))
    return model.compile(scenario.interventions(model)), scenario.name


def simulate(
    model: ModelLike = None,
    *,
    scenario: Any = None,
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    batch: Mapping[str, Sequence[float]] | pd.DataFrame | None = None,
    equilibrium: bool | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    check_finite: bool = True,
) -> Result:
    """Run a model and return its trajectories.

    Parameters
    ----------
    model : Model, System, path or None
        What to run; ``None`` runs the default model of the paper.
    scenario : str, path, Scenario, Interventions or None
        A "what if" applied to the model (see :mod:`gmsim.scenario`).
    start, stop, dt, method
        Override the model's ``[simulation]`` settings (in the model's time
        unit; a method of :data:`~gmsim.core.methods.METHODS`: ``"euler"``,
        ``"rk4"``, ``"rk45"`` or ``"lsoda"``).
    batch : mapping or DataFrame
        Many parameter sets in one vectorized call: columns named like
        ``weight:leadership_attention->funding``, ``tau:training`` or
        ``initial:funding``, one row per run. The Result is then batched.
    equilibrium : bool or None
        Override the model's equilibrium initialisation of biases.
    rtol, atol : float
        Tolerances of the adaptive methods.
    check_finite : bool
        Raise :class:`~gmsim.errors.SimulationError` naming the variable and
        time where a value first stops being finite.

    Returns
    -------
    Result

    Examples
    --------
    >>> import gmsim
    >>> model = gmsim.load_model()
    >>> result = gmsim.simulate(model, stop=36, method="rk4", dt=0.125)
    >>> result.to_frame().shape[0]
    289
    >>> runs = gmsim.simulate(model, stop=12, batch={"tau:training": [3, 6, 12]})
    >>> runs["training"].shape
    (3, 97)
    """
    system, scenario_name = as_system(
        model, scenario=scenario, equilibrium=equilibrium, start=start, stop=stop
    )
    frame = None
    if batch is not None:
        frame = pd.DataFrame(batch).reset_index(drop=True)
        params = system.parameters({c: frame[c].to_numpy(float) for c in frame.columns})
    else:
        params = system.parameters()
    settings = RunSettings.for_system(
        system,
        start=start,
        stop=stop,
        dt=dt,
        method=method,
        rtol=rtol,
        atol=atol,
        check_finite=check_finite,
    )
    return solve(
        system, params, settings, scenario=scenario_name, batch=frame, batched=batch is not None
    )
