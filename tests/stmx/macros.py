"""
Python model 'macros.py'
Translated using PySD
"""

from pathlib import Path

from pysd.py_backend.functions import not_implemented_function
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
    "time_step": lambda: 0.5,
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
    name="INITIAL TIME", units="Months", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    """
    The initial time for the simulation.
    """
    return __data["time"].initial_time()


@component.add(
    name="FINAL TIME", units="Months", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="TIME STEP", units="Months", comp_type="Constant", comp_subtype="Normal"
)
def time_step():
    """
    The time step for the simulation.
    """
    return __data["time"].time_step()


@component.add(
    name="SAVEPER",
    units="Months",
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


@component.add(name="input", comp_type="Constant", comp_subtype="Normal")
def input_1():
    return 3


@component.add(
    name="doubled",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"input_1": 1},
)
def doubled():
    return not_implemented_function("double", input_1())


@component.add(
    name="quadrupled",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"input_1": 1},
)
def quadrupled():
    return not_implemented_function("quad", input_1()) + not_implemented_function(
        "double", 1
    )


@component.add(
    name="smoothed",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"input_1": 1, "time": 1},
)
def smoothed():
    return not_implemented_function("first_order", input_1() * time(), 2)
