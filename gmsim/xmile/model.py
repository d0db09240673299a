"""An imported XMILE model as plain data, and how to load one.

:func:`load_xmile` reads a file (:mod:`gmsim.xmile.reader`), resolves every
equation (:mod:`gmsim.xmile.flatten`) and checks that it compiles, so a broken
file fails at load time with one message naming the file, the variable and
the equation. The :class:`XmileModel` it returns compiles into an
:class:`~gmsim.xmile.system.XmileSystem`, which :func:`gmsim.simulate` runs
with the model's own sim_specs.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx

import gmsim.xmile.builtins as bi
from gmsim.core.system import Interventions
from gmsim.factor.model import Simulation
from gmsim.xmile.flat import FlatVariable
from gmsim.xmile.flatten import flatten, is_vensim
from gmsim.xmile.reader import Document, read_xmile, read_xmile_text

__all__ = ["XmileModel", "XmileWarning", "load_xmile", "load_xmile_text"]


class XmileWarning(UserWarning):
    """A file was read leniently (an unclosed tag closed, RK2 run as RK4); the message says where."""


@dataclass(frozen=True)
class XmileModel:
    """A stock-and-flow model imported from XMILE.

    Parameters
    ----------
    name : str
        The model's name (the file's ``<header><name>``, else its file name).
    path : str or None
        Where it was read from.
    simulation : Simulation
        Start, stop, dt and method ("euler" or "rk4") from ``<sim_specs>``.
    variables : tuple of FlatVariable
        Every scalar variable, resolved; hidden helpers of builtins last.
    dialect : str
        ``"vensim"`` for files written by Vensim or xmutil (their INT and MOD
        truncate), else ``"xmile"``.
    time_unit, description : str
        From the file.
    notes : tuple of str
        What was read leniently (also issued as :class:`XmileWarning`).

    Examples
    --------
    >>> from gmsim.xmile.examples import TEACUP
    >>> model = load_xmile_text(TEACUP)
    >>> model.name, model.simulation.stop, model.stocks
    ('teacup', 30.0, ('Teacup_Temperature',))
    """

    name: str
    path: str | None
    simulation: Simulation
    variables: tuple[FlatVariable, ...]
    dialect: str = "xmile"
    time_unit: str = ""
    description: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def stocks(self) -> tuple[str, ...]:
        """Names of the model's stocks (hidden ones of builtins left out)."""
        return tuple(v.name for v in self.variables if v.kind == "stock" and not v.hidden)

    @property
    def variable_names(self) -> tuple[str, ...]:
        """Names of every reported variable, in file order."""
        return tuple(v.name for v in self.variables if not v.hidden)

    @property
    def pure_functions(self) -> Mapping:
        """The pure builtins of this model's dialect."""
        return bi.VENSIM_PURE if self.dialect == "vensim" else bi.PURE

    def variable(self, name: str) -> FlatVariable:
        """The variable called ``name`` (case-insensitive, ``_`` or space alike)."""
        from gmsim.errors import ModelError, did_you_mean
        from gmsim.xmile.names import canonical

        for v in self.variables:
            if canonical(v.name) == canonical(name):
                return v
        raise ModelError(
            f"no variable '{name}' in model '{self.name}'{did_you_mean(name, self.variable_names)}"
        )

    def compile(self, interventions: Interventions | None = None):
        """Compile for the engine, with a scenario's interventions applied.

        Returns
        -------
        XmileSystem
        """
        from gmsim.xmile.system import XmileSystem

        system = XmileSystem(self, interventions)
        system.time_unit = self.time_unit or "time"
        return system

    def graph(self) -> nx.DiGraph:
        """The causal graph of the reported variables (edges carry ``sign`` and ``kind``)."""
        from gmsim.xmile.graph import causal_graph

        return causal_graph(self.variables)

    def with_simulation(self, **changes) -> XmileModel:
        """A copy with other run settings, e.g. ``model.with_simulation(dt=0.0625)``.

        DT, STARTTIME and STOPTIME in the equations follow the new settings.
        """
        return dataclasses.replace(self, simulation=dataclasses.replace(self.simulation, **changes))


def _model(doc: Document) -> XmileModel:
    specs = doc.sim_specs
    model = XmileModel(
        name=doc.name,
        path=doc.path if doc.path != "<string>" else None,
        simulation=Simulation(start=specs.start, stop=specs.stop, dt=specs.dt, method=specs.method),
        variables=flatten(doc),
        dialect="vensim" if is_vensim(doc) else "xmile",
        time_unit=specs.time_units,
        description=doc.description,
        notes=doc.notes,
    )
    model.compile()  # dependency cycles and the like fail here, at load time
    if doc.notes:
        shown = "; ".join(doc.notes[:10]) + (
            f"; and {len(doc.notes) - 10} more" if len(doc.notes) > 10 else ""
        )
        warnings.warn(XmileWarning(f"{doc.path}: read leniently: {shown}"), stacklevel=3)
    return model


def load_xmile(path: str | os.PathLike) -> XmileModel:
    """Load an XMILE model (``.xmile``, ``.stmx``, ``.itmx`` or ``.xml``).

    Nothing in the file is executed: equations are parsed into syntax trees and
    compiled into numpy closures, XML goes through :mod:`defusedxml`, and no
    other file is opened.

    Raises
    ------
    ModelError
        Naming the file and line, the variable and its equation.
    """
    return _model(read_xmile(path))


def load_xmile_text(text: str | bytes, path: str = "<string>") -> XmileModel:
    """Load an XMILE model from a string (``path`` names it in messages)."""
    return _model(read_xmile_text(text, path))
