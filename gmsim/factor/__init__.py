"""Factor-graph models: the :class:`Model` data, its TOML file, and its compiled System."""

from gmsim.factor.file import default_model_path, load_factor_model
from gmsim.factor.model import Dynamics, Factor, Link, Model, Simulation
from gmsim.factor.system import FactorParams, FactorSystem, compile_model

__all__ = [
    "Dynamics",
    "Factor",
    "FactorParams",
    "FactorSystem",
    "Link",
    "Model",
    "Simulation",
    "compile_model",
    "default_model_path",
    "load_factor_model",
]
