"""The front door: load any model, apply a scenario, run it (:func:`simulate`)."""

from gmsim.simulation.simulate import as_system, simulate

__all__ = ["as_system", "simulate"]
