"""
Python model 'modules.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np

from pysd.py_backend.statefuls import Integ
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
    "final_time": lambda: 20,
    "time_step": lambda: 0.25,
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
    name="INITIAL TIME", units="Weeks", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    """
    The initial time for the simulation.
    """
    return __data["time"].initial_time()


@component.add(
    name="FINAL TIME", units="Weeks", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="TIME STEP", units="Weeks", comp_type="Constant", comp_subtype="Normal"
)
def time_step():
    """
    The time step for the simulation.
    """
    return __data["time"].time_step()


@component.add(
    name="SAVEPER",
    units="Weeks",
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


@component.add(name="target stock", comp_type="Constant", comp_subtype="Normal")
def target_stock():
    return 100


@component.add(name="orders", comp_type="Constant", comp_subtype="Normal")
def orders():
    return 0


@component.add(name="deliveries", comp_type="Constant", comp_subtype="Normal")
def deliveries():
    return 0


@component.add(name="target", comp_type="Constant", comp_subtype="Normal")
def target():
    return 0


@component.add(
    name="orders placed",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"target": 1, "inventory": 1},
)
def orders_placed():
    return float(np.maximum(0, (target() - inventory()) / 4))


@component.add(
    name="ordering",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"orders": 1},
)
def ordering():
    return orders()


@component.add(
    name="shipments",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"backlog": 1},
)
def shipments():
    return backlog() / 2


@component.add(
    name="receiving",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"deliveries": 1},
)
def receiving():
    return deliveries()


@component.add(
    name="backlog",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_backlog": 1},
    other_deps={
        "_integ_backlog": {"initial": {}, "step": {"ordering": 1, "shipments": 1}}
    },
)
def backlog():
    return _integ_backlog()


_integ_backlog = Integ(lambda: ordering() - shipments(), lambda: 0, "_integ_backlog")


@component.add(
    name="inventory",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_inventory": 1},
    other_deps={"_integ_inventory": {"initial": {}, "step": {"receiving": 1}}},
)
def inventory():
    return _integ_inventory()


_integ_inventory = Integ(lambda: receiving(), lambda: 20, "_integ_inventory")
