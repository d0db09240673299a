"""gmsim: a causal-loop / system-dynamics simulator of government microblog effectiveness.

The factors and links of the default model come from Zheng (2012), *Managing
Chinese Government Microblogs: Enablers and Barriers*. A model file becomes a
:class:`Model`, compiles to a :class:`System`, and :func:`simulate` integrates
it into a :class:`Result`.

Examples
--------
>>> import gmsim
>>> model = gmsim.load_model()
>>> result = gmsim.simulate(model, stop=36, method="rk4", dt=0.125)
>>> df = result.to_frame()
>>> round(float(df["effectiveness"].iloc[-1] - df["effectiveness"].iloc[0]), 9)
0.0
"""

from gmsim import _source_layout  # noqa: F401  (first: makes gmsim.models findable)
from gmsim.errors import GmsimError, ModelError, OutputError, ScenarioError, SimulationError
from gmsim.factor_system import FactorSystem, compile_model
from gmsim.model import Dynamics, Factor, Link, Model, Simulation
from gmsim.modelfile import default_model_path, load_model
from gmsim.result import Result
from gmsim.simulate import simulate
from gmsim.system import Event, Forcing, Interventions, System

__version__ = "0.1.0"

# Analyses load on first use, so `import gmsim` stays quick and optional extras stay optional.
_LAZY = {
    "Scenario": "gmsim.scenario",
    "Intervention": "gmsim.scenario",
    "combine": "gmsim.scenario",
    "load_scenario": "gmsim.scenario",
    "list_scenarios": "gmsim.scenario",
    "compare": "gmsim.comparison",
    "Loop": "gmsim.loops",
    "find_loops": "gmsim.loops",
    "loop_dominance": "gmsim.dominance",
    "dominance_shift": "gmsim.dominance",
    "plot_diagram": "gmsim.diagram",
    "UncertaintySpec": "gmsim.spec",
    "load_spec": "gmsim.spec",
    "monte_carlo": "gmsim.ensemble",
    "sensitivity": "gmsim.global_sensitivity",
    "load_xmile": "gmsim.xmile",
    "export_xmile": "gmsim.export",
    "write_report": "gmsim.report",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gmsim' has no attribute '{name}'")


__all__ = [
    "Dynamics",
    "Event",
    "Factor",
    "FactorSystem",
    "Forcing",
    "GmsimError",
    "Interventions",
    "Link",
    "Model",
    "ModelError",
    "OutputError",
    "Result",
    "ScenarioError",
    "Simulation",
    "SimulationError",
    "System",
    "__version__",
    "compile_model",
    "default_model_path",
    "load_model",
    "simulate",
]
