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
>>> eff = result.to_frame()["effectiveness"]
>>> bool(eff.iloc[-1] > eff.iloc[0])  # the launch: the account opens at month 0 and grows
True
>>> rest = gmsim.simulate(model, stop=36, equilibrium=True).to_frame()["effectiveness"]
>>> round(float(rest.iloc[-1] - rest.iloc[0]), 9)  # started at its reference, it stays there
0.0
"""

from gmsim import _source_layout  # noqa: F401  (first: makes gmsim.models findable)
from gmsim._version import __version__
from gmsim.core.result import Result
from gmsim.core.system import Event, Forcing, Interventions, System
from gmsim.errors import (
    EquationError,
    ExecutorError,
    GmsimError,
    LoopError,
    MetricError,
    ModelError,
    OutputError,
    ScenarioError,
    SensitivityError,
    SimulationError,
    SpecError,
)
from gmsim.factor.model import Dynamics, Factor, Link, Model, Simulation
from gmsim.factor.system import FactorSystem, compile_model
from gmsim.simulation.load import default_model_path, load_model
from gmsim.simulation.simulate import simulate

# Analyses load on first use, so `import gmsim` stays quick and optional extras stay optional.
_LAZY = {
    "Scenario": "gmsim.scenario",
    "Intervention": "gmsim.scenario",
    "combine": "gmsim.scenario",
    "load_scenario": "gmsim.scenario",
    "list_scenarios": "gmsim.scenario",
    "compare": "gmsim.analysis.comparison",
    "check": "gmsim.analysis.claims",
    "CheckReport": "gmsim.analysis.claims",
    "Loop": "gmsim.analysis.loops",
    "find_loops": "gmsim.analysis.loops",
    "loop_dominance": "gmsim.analysis.dominance",
    "dominance_shift": "gmsim.analysis.shift",
    "plot_diagram": "gmsim.analysis.diagram",
    "UncertaintySpec": "gmsim.uncertainty.spec",
    "load_spec": "gmsim.uncertainty.spec",
    "monte_carlo": "gmsim.uncertainty.montecarlo",
    "sensitivity": "gmsim.uncertainty.sensitivity",
    "load_xmile": "gmsim.xmile",
    "export_xmile": "gmsim.simulation.export",
    "write_report": "gmsim.report.document",
    "solve": "gmsim.core.solver",
    "RunSettings": "gmsim.core.solver",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gmsim' has no attribute '{name}'")


def __dir__() -> list[str]:
    """The module's names, the ones loaded on first use included."""
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Dynamics",
    "EquationError",
    "Event",
    "ExecutorError",
    "Factor",
    "FactorSystem",
    "Forcing",
    "GmsimError",
    "Interventions",
    "Link",
    "LoopError",
    "MetricError",
    "Model",
    "ModelError",
    "OutputError",
    "Result",
    "RunSettings",
    "ScenarioError",
    "SensitivityError",
    "Simulation",
    "SimulationError",
    "SpecError",
    "System",
    "__version__",
    "compile_model",
    "default_model_path",
    "load_model",
    "simulate",
    "solve",
]
