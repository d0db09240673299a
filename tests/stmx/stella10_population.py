"""
Python model 'stella10_population.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np

from pysd.py_backend.statefuls import NonNegativeInteg
from pysd import Component

__pysd_version__ = "3.14.3"

__data = {"scope": None, "time": lambda: 0}

_root = Path(__file__).parent


component = Component()

#######################################################################
#                          CONTROL VARIABLES                          #
#######################################################################

_control_vars = {
    "initial_time": lambda: 0,
    "final_time": lambda: 10,
    "time_step": lambda: 1 / 4,
    "saveper": lambda: time_step(),
}


def _init_outer_references(data):
    for key in data:
        __data[key] = data[key]


@component.add(name="Time")
def time():
    """
    Current time of the model.
    """
    return __data["time"]()


@component.add(
    name="INITIAL TIME", units="Years", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    """
    The initial time for the simulation.
    """
    return __data["time"].initial_time()


@component.add(
    name="FINAL TIME", units="Years", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="TIME STEP", units="Years", comp_type="Constant", comp_subtype="Normal"
)
def time_step():
    """
    The time step for the simulation.
    """
    return __data["time"].time_step()


@component.add(
    name="SAVEPER",
    units="Years",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"time_step": 1},
)
def saveper():
    """
    The save time step for the simulation.
    """
    return __data["time"].saveper()


#######################################################################
#                           MODEL VARIABLES                           #
#######################################################################


@component.add(name="birth rate", comp_type="Constant", comp_subtype="Normal")
def birth_rate():
    return 0.1


@component.add(name="lifetime", comp_type="Constant", comp_subtype="Normal")
def lifetime():
    return 20


@component.add(
    name="births",
    units="People/Years",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"population": 1, "birth_rate": 1},
)
def births():
    return float(np.maximum(population() * birth_rate(), 0))


@component.add(
    name="deaths",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"population": 1, "lifetime": 1},
)
def deaths():
    return float(np.maximum(population() / lifetime(), 0))


@component.add(
    name="Population",
    units="People",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_population": 1},
    other_deps={
        "_integ_population": {"initial": {}, "step": {"births": 1, "deaths": 1}}
    },
)
def population():
    return _integ_population()


_integ_population = NonNegativeInteg(
    lambda: births() - deaths(), lambda: 100, "_integ_population"
)
