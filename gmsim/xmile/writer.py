"""Write a gmsim factor model as standard XMILE 1.0, for Stella, Vensim and other SD tools.

The file states gmsim's equations exactly, in plain stock-and-flow form, so an
XMILE engine that runs it with Euler at gmsim's ``dt`` gets gmsim's Euler
numbers. For an endogenous factor ``x`` with causes ``a`` (direct) and ``b``
(through a delay):

==========================  ==================================================================
variable                    equation
==========================  ==================================================================
stock ``x``                 its initial level; one inflow (a biflow) ``x_adjustment``
flow ``x_adjustment``       ``(x_target - x) / x_adjustment_time``
aux ``x_target``            ``1 / (1 + EXP(-steepness * x_input))``: the level x settles at
aux ``x_input``             ``x_bias + weight_a_to_x * a + weight_b_to_x * b_perceived``
aux ``x_bias``              the bias as a number: solved for rest at the initial levels
                            (``equilibrium = true``) or the model file's
aux ``x_adjustment_time``   τ, in the model's time unit
aux ``weight_a_to_x``       the link's weight; its ``<doc>`` gives the paper section and quote
aux ``steepness``           λ of the sigmoid
==========================  ==================================================================

A link with delay ``d`` and order ``n`` reads its cause through ``n``
first-order stage stocks of time ``d/n`` each, exactly gmsim's chain (links
with the same cause, delay and order share one): ``b_perceived_stage_1`` ...
``b_perceived_stage_<n-1>``, then ``b_perceived``, each with a flow
``<stage>_adjustment``, and one constant ``b_perceived_delay_time``. A
composite is an aux holding its weighted mean.

Exogenous factors are constant auxiliaries, as a modeller writes a driver in
Stella or Vensim. A scenario can be built into the file: its changed weights,
adjustment times and initial levels and its added links become numbers and
weights; its holds (step, ramp, pulse, table, clamp) and events (jumps) follow
gmsim's rules (:meth:`gmsim.core.system.System.jump`). On a driver they become an
``IF TIME ...`` expression (a table: a graphical function of ``TIME``). On an
endogenous factor they go into its flow, the way SD tools state a jump: one
step before a jump the flow is ``(level after - x) / DT``, and while held it is
``(held level at TIME + DT - x) / DT``, so the stock is on the path at every
step. That is exact under Euler only, so such a file's method is ``euler``.
Everything agrees with gmsim's Euler run when the scenario's times fall on the
``dt`` grid (gmsim splits its steps at other times; an XMILE engine does not)
and ``dt`` is a power of two (1/8, 1/16, ...), so that ``TIME`` adds up exactly. Holds of
composites, per-run values and paths other than gmsim's are refused with a
:class:`~gmsim.errors.ScenarioError`.

Every variable has a ``<doc>``: factors carry their label, group, paper section
and note; weights carry their link's paper section and quote. Text is written
as XMILE plain-text documentation (``\\n``, ``\\t``, ``\\\\`` escapes) by an
XML writer, so no user text can break the file. Factor ids stay the variable
names; an id that XMILE reserves (``time``, ``min``, ...) or cannot tell from
another (XMILE ignores case and reads runs of ``_`` as one space) is a
:class:`~gmsim.errors.ModelError`. The groups of the paper become XMILE
``<group>`` sectors. Its ``<views>`` hold a stock-and-flow diagram
(:mod:`gmsim.xmile.views`); SD tools run it and list its variables.

Examples
--------
>>> import gmsim
>>> text = gmsim.export_xmile(gmsim.load_model())
>>> text.startswith('<?xml version="1.0" encoding="utf-8"?>')
True
>>> "<eqn>(training_target - training) / training_adjustment_time</eqn>" in text
True
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building and writing only; gmsim parses XML with defusedxml

import numpy as np

from gmsim.core.methods import METHOD_TABLE
from gmsim.core.system import System
from gmsim.errors import ModelError, ScenarioError, SimulationError
from gmsim.factor.model import GROUP_TITLES, Simulation
from gmsim.factor.system import FactorSystem
from gmsim.xmile.equations import (
    XMILE_RESERVED,
    Builder,
    Names,
    Variable,
    acted_on_stocks,
    group_title,
    number,
    xmile_reference,
    xmile_text,
)
from gmsim.xmile.views import views_element

__all__ = [
    "XMILE_METHODS",
    "XMILE_NAMESPACE",
    "XMILE_RESERVED",
    "xmile_document",
    "xmile_reference",
    "xmile_text",
]

XMILE_NAMESPACE = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
"""The XML namespace of XMILE 1.0 (OASIS)."""

XMILE_METHODS = {name: method.xmile for name, method in METHOD_TABLE.items()}
"""gmsim's methods as XMILE ``sim_specs`` methods; the optional ones name rk4 as the fallback."""


# -- the XML document -----------------------------------------------------------------------------
_COMMENT = (
    " Exported by gmsim. Each endogenous factor x is a stock with one flow "
    "x_adjustment = (x_target - x) / x_adjustment_time, where "
    "x_target = 1 / (1 + EXP(-steepness * x_input)) and x_input is x_bias plus the "
    "weighted levels of its causes. Each variable's doc says what it is. "
)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    el.text = text
    return el


def _document(system: FactorSystem, scenario: str, variables: list[Variable], sim: Simulation) -> str:
    from gmsim._version import __version__

    model = system.model
    root = ET.Element("xmile", {"version": "1.0", "xmlns": XMILE_NAMESPACE})
    root.append(ET.Comment(_COMMENT))
    header = _add(root, "header")
    _add(header, "vendor", "gmsim")
    _add(header, "product", "gmsim", version=__version__, lang="en")
    _add(header, "options", namespace="std")
    title = model.name if scenario == "baseline" else f"{model.name} (scenario: {scenario})"
    _add(header, "name", xmile_text(title))
    caption = [model.description] if model.description else []
    caption += [f"Source: {model.source}"] if model.source else []
    if caption:
        _add(header, "caption", xmile_text("\n".join(caption)))
    specs = {"method": XMILE_METHODS[sim.method]}
    if model.time_unit:
        specs["time_units"] = xmile_text(model.time_unit)
    sim_specs = _add(root, "sim_specs", **specs)
    for tag in ("start", "stop", "dt"):
        _add(sim_specs, tag, number(getattr(sim, tag)))
    body = _add(_add(root, "model"), "variables")
    for v in variables:
        el = _add(body, v.tag, name=v.name)
        _add(el, "doc", xmile_text(v.doc))
        _add(el, "eqn", v.eqn)
        if v.table is not None:
            gf = _add(el, "gf")
            _add(gf, "xpts", ",".join(map(number, v.table[0])))
            _add(gf, "ypts", ",".join(map(number, v.table[1])))
        if v.inflow is not None:
            _add(el, "inflow", xmile_reference(v.inflow))
        if v.units:
            _add(el, "units", v.units)
    names = Names()
    names.keep([v.name for v in variables])
    for group in dict.fromkeys(g for g in (*GROUP_TITLES, *(v.group for v in variables)) if g):
        members = [v.name for v in variables if v.group == group]
        if not members:
            continue
        el = _add(body, "group", name=names.fresh(group_title(group).split(" (")[0].replace(" ", "_")))
        _add(el, "doc", xmile_text(f"{group_title(group)}: the factors of gmsim's group '{group}'."))
        for name in members:
            _add(el, "entity", name=name)
    root.find("model").append(views_element(variables))
    ET.indent(root, space="    ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- the document of one run -------------------------------------------------------------------
def xmile_document(
    system: System,
    scenario: str = "baseline",
    *,
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
) -> str:
    """The XMILE 1.0 document of a compiled factor model (a scenario compiled in), as text.

    ``scenario`` names the scenario built into ``system`` (for the file's
    title); ``start``, ``stop``, ``dt`` and ``method`` are the file's
    ``sim_specs`` (the model's ``[simulation]`` settings by default).
    :func:`gmsim.export_xmile` compiles a model with a scenario and writes the file.

    Raises
    ------
    ModelError
        A factor id that XMILE reserves or cannot tell from another, or a
        system that is not a compiled factor model.
    ScenarioError
        A scenario XMILE cannot state, or holds or jumps of stocks with a method
        other than Euler.
    SimulationError
        Settings that make no run.

    Examples
    --------
    >>> import gmsim
    >>> text = xmile_document(gmsim.load_model().compile(), method="euler")
    >>> '<sim_specs method="euler"' in text
    True
    """
    if not isinstance(system, FactorSystem):
        raise ModelError(
            f"'{system.name}' is not a gmsim factor model; XMILE export writes factor models "
            "(an imported stock-and-flow model is XMILE already)"
        )
    params = system.parameters()
    stocks = acted_on_stocks(system, params)
    if stocks and method not in (None, "euler"):
        raise ScenarioError(
            f"the scenario holds or makes jump {', '.join(map(repr, stocks))}; the file states "
            "that for Euler integration, so export with method 'euler' (--method euler) or "
            "leave the method out"
        )
    method = "euler" if stocks else method
    sim = _settings(system.simulation, start=start, stop=stop, dt=dt, method=method)
    return _document(system, scenario, Builder(system, params, sim).variables(), sim)


def _settings(defaults: Simulation, **given: float | str | None) -> Simulation:
    """The model's run settings with those given replaced, checked."""
    chosen = {k: (getattr(defaults, k) if v is None else v) for k, v in given.items()}
    for key in ("start", "stop", "dt"):
        value = chosen[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise SimulationError(f"`{key}` must be a finite number, got {value!r}")
    if chosen["method"] not in XMILE_METHODS:
        raise SimulationError(
            f"unknown `method` {chosen['method']!r}; use one of {', '.join(XMILE_METHODS)}"
        )
    if not chosen["stop"] > chosen["start"]:
        raise SimulationError(f"`stop` ({chosen['stop']:g}) must be after `start` ({chosen['start']:g})")
    if not chosen["dt"] > 0:
        raise SimulationError(f"`dt` must be > 0, got {chosen['dt']:g}")
    return Simulation(**{k: (v if k == "method" else float(v)) for k, v in chosen.items()})
