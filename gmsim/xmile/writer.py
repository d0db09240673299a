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
``<group>`` sectors. The file has no diagram (``<views>``); SD tools run it and
list its variables.

Examples
--------
>>> import gmsim
>>> text = gmsim.export_xmile(gmsim.load_model())
>>> text.startswith('<?xml version="1.0" encoding="utf-8"?>')
True
>>> "<eqn>(funding_target - funding) / funding_adjustment_time</eqn>" in text
True
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET  # building and writing only; gmsim parses XML with defusedxml
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmsim.core.paths import Constant, Pulse, Ramp, Step, Table, Within
from gmsim.errors import ModelError, ScenarioError, SimulationError
from gmsim.factor.model import Factor, Link, Simulation
from gmsim.factor.system import FactorParams, FactorSystem
from gmsim.files.output import write_file
from gmsim.plot.results import GROUP_TITLES
from gmsim.simulation.simulate import ModelLike, as_system

__all__ = [
    "XMILE_METHODS",
    "XMILE_NAMESPACE",
    "XMILE_RESERVED",
    "export_xmile",
    "xmile_reference",
    "xmile_text",
]

XMILE_NAMESPACE = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
"""The XML namespace of XMILE 1.0 (OASIS)."""

XMILE_METHODS = {"euler": "euler", "rk4": "rk4", "rk45": "rk45, rk4", "lsoda": "gear, rk4"}
"""gmsim's methods as XMILE ``sim_specs`` methods; the optional ones name rk4 as the fallback."""

XMILE_RESERVED = frozenset(
    """
    and or not if then else mod std
    abs arccos arcsin arctan cos exp inf int ln log log10 max min pi sin sqrt tan
    exprnd lognormal normal poisson random
    delay delay1 delay3 delayn forcst smth1 smth3 smthn trend
    pulse ramp step dt starttime stoptime time init previous self
    size sum mean stddev rank prod safediv lookup
    """.split()
)
"""Names (lower case) no XMILE variable may take: operators, keywords and built-in functions."""

DIMENSIONLESS = "dmnl"
OPERATORS = ("and", "or", "not", "mod", "if", "then", "else")

_WHITESPACE = re.compile(r"[\s_\u00a0]+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


# -- names and text -----------------------------------------------------------------------------
def _name_key(name: str) -> str:
    """What XMILE tells names apart by: case ignored, runs of spaces and ``_`` read as one."""
    return _WHITESPACE.sub("_", name).strip("_").casefold()


def xmile_reference(name: str) -> str:
    """``name`` as an XMILE equation writes it: bare where the standard allows, else quoted.

    Examples
    --------
    >>> xmile_reference("staff_capability"), xmile_reference("_draft_"), xmile_reference("资金")
    ('staff_capability', '"_draft_"', '资金')
    """
    bare = (
        bool(name)
        and not name[0].isdigit()
        and name[0] not in "_$"
        and not name.endswith("_")
        and all((c.isascii() and (c.isalnum() or c in "_$")) or ord(c) > 127 for c in name)
    )
    if bare:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def xmile_text(text: str) -> str:
    """Text as XMILE plain-text documentation: ``\\n``, ``\\t`` and ``\\\\`` escapes.

    XML escaping (``<``, ``&``) is the XML writer's job. Control characters,
    which XML 1.0 cannot hold, become spaces (as the standard lets readers
    treat them); lone surrogates become U+FFFD.

    Examples
    --------
    >>> print(xmile_text('a <b> & "c"\\nnext\\tC:\\\\dir'))
    a <b> & "c"\\nnext\\tC:\\\\dir
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    return _UNENCODABLE.sub("\ufffd", _CONTROL.sub(" ", text))


def _num(x: float) -> str:
    """A number in the shortest form that reads back exactly."""
    return repr(float(x))


class _Names:
    """The names of one model's variables: factor ids kept, other names made unique."""

    def __init__(self) -> None:
        self._taken: dict[str, str] = {}

    def keep(self, ids: Sequence[str]) -> list[str]:
        """Claim ``ids`` as they are; return the problems of those XMILE cannot hold."""
        problems = []
        for fid in ids:
            key = _name_key(fid)
            if key in XMILE_RESERVED:
                what = "operator" if key in OPERATORS else "built-in"
                problems.append(
                    f"factors.{fid}: '{fid}' is reserved in XMILE (the {what} {key.upper()}); "
                    f"rename the factor, e.g. to '{fid}_level', to export the model"
                )
            elif key in self._taken:
                problems.append(
                    f"factors.{fid}: '{fid}' and '{self._taken[key]}' are one name in XMILE, "
                    "which ignores case and reads runs of '_' as one space; rename one of them"
                )
            else:
                self._taken[key] = fid
        return problems

    def fresh(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3``, ... whichever is free."""
        name, k = base, 1
        while _name_key(name) in self._taken or _name_key(name) in XMILE_RESERVED:
            k += 1
            name = f"{base}_{k}"
        self._taken[_name_key(name)] = name
        return name


# -- the variables of the file ------------------------------------------------------------------
@dataclass(frozen=True)
class _Variable:
    """One XMILE variable; ``doc`` is plain text, escaped when written."""

    tag: str  # "stock", "flow" or "aux"
    name: str
    eqn: str
    doc: str
    group: str | None = None
    units: str = DIMENSIONLESS
    inflow: str | None = None
    table: tuple[tuple[float, ...], tuple[float, ...]] | None = None


@dataclass(frozen=True)
class _Chain:
    """The delay chain of the links with one cause, delay and order (gmsim shares it)."""

    cause: str
    delay: float
    order: int
    links: tuple[int, ...]


def _chains(links: Sequence[Link]) -> list[_Chain]:
    found: dict[tuple[str, float, int], list[int]] = {}
    for i, link in enumerate(links):
        if link.delay > 0:
            found.setdefault((link.cause, float(link.delay), int(link.order)), []).append(i)
    return [_Chain(c, d, n, tuple(idx)) for (c, d, n), idx in found.items()]


def _group_title(group: str) -> str:
    return GROUP_TITLES.get(group, group.replace("_", " "))


class _Builder:
    """Turns a compiled factor system and the numbers of one run into XMILE variables."""

    def __init__(self, system: FactorSystem, params: FactorParams, sim: Simulation):
        self.system, self.model, self.sim, self.params = system, system.model, sim, params
        unit = self.model.time_unit
        self.unit = xmile_reference(unit) if unit else ""
        self.per_unit = f"1/{self.unit}" if unit else ""
        self.names = _Names()
        problems = self.names.keep(self.model.factor_ids)
        if problems:
            where = f"{self.model.path}: " if self.model.path else ""
            raise ModelError([f"{where}{p} (XMILE export)" for p in problems])
        self.steepness = self.names.fresh("steepness")
        self.chains = _chains(system.links)
        self.delayed: dict[int, str] = {}  # link index -> the stock its effect reads
        self.stages = [self._name_stages(chain) for chain in self.chains]

    def _name_stages(self, chain: _Chain) -> list[str]:
        last = self.names.fresh(f"{chain.cause}_perceived")
        stages = [self.names.fresh(f"{last}_stage_{k}") for k in range(1, chain.order)]
        self.delayed.update((i, last) for i in chain.links)
        return [*stages, last]

    def initial(self, fid: str) -> float:
        """A factor's level at the start, as gmsim's run starts it."""
        return float(self.params.x0[0, self.system.state_index(fid)])

    def variables(self) -> list[_Variable]:
        out = [
            _Variable(
                "aux",
                self.steepness,
                _num(self.model.dynamics.steepness),
                "Steepness λ of the sigmoid 1 / (1 + EXP(-λ·u)) that turns each factor's "
                "input u into the level it settles at.",
            )
        ]
        for f in self.model.factors:
            if f.kind == "endogenous":
                out += self._endogenous(f)
            elif f.kind == "exogenous":
                out += self._exogenous(f)
            else:
                out.append(self._composite(f))
        for chain, stages in zip(self.chains, self.stages, strict=True):
            out += self._chain(chain, stages)
        return out

    def _about(self, f: Factor, role: str) -> str:
        lines = [f.label, f"Group: {_group_title(f.group)}."]
        lines += [f"Paper section: {f.source}."] if f.source else []
        lines += [f"Note: {f.note}"] if f.note else []
        return "\n".join([*lines, role])

    def _endogenous(self, f: Factor) -> list[_Variable]:
        r, fresh, x, g = xmile_reference, self.names.fresh, f.id, f.group
        flow, target, u = fresh(f"{x}_adjustment"), fresh(f"{x}_target"), fresh(f"{x}_input")
        bias, tau = fresh(f"{x}_bias"), fresh(f"{x}_adjustment_time")
        i = self.system.state_names.index(x)
        terms, weights = [r(bias)], []
        for li, link in enumerate(self.system.links):
            if link.effect == x:
                w = fresh(f"weight_{link.cause}_to_{x}")
                terms.append(f"{r(w)} * {r(self.delayed.get(li, link.cause))}")
                weights.append(self._weight(li, link, w, g))
        origin = (
            "solved so that the initial levels are at rest (equilibrium = true)"
            if self.system.equilibrium
            else "from the model file (equilibrium = false)"
        )
        table, table_name = self._table(f)
        acts = _Acts(x, self.params, self.sim)
        natural = f"({r(target)} - {r(x)}) / {r(tau)}"
        flow_doc = f"Adjustment of {f.label} toward the level it settles at."
        if acts:
            flow_doc += (
                f"\nWritten for Euler integration: where the scenario holds {f.label}, this flow "
                "puts the stock on the held level at each step; where it makes it jump, the flow "
                "moves it there in one step (DT)."
            )
        role = f"A level in [0, 1]; it moves toward {target} over {tau}."
        start = acts.stock_start(self.initial(x))
        out = [
            _Variable("stock", x, _num(start), self._about(f, role), g, inflow=flow),
            _Variable("flow", flow, acts.stock_flow(natural, table_name), flow_doc, g, self.per_unit),
            _Variable(
                "aux", tau, _num(self.params.tau[0, i]), f"Adjustment time τ of {f.label}.", g, self.unit
            ),
            _Variable(
                "aux",
                target,
                f"1 / (1 + EXP(-{r(self.steepness)} * {r(u)}))",
                f"The level {f.label} settles at, given its causes now.",
                g,
            ),
            _Variable(
                "aux",
                u,
                " + ".join(terms),
                f"Input u of {f.label}: its bias plus the weighted levels of its causes.",
                g,
            ),
            _Variable("aux", bias, _num(self.params.bias[0, i]), f"Bias of {f.label}: {origin}.", g),
            *weights,
        ]
        if table is not None:
            doc = f"The scenario's table of {f.label}, read one step ahead (flat beyond its ends)."
            out.append(_Variable("aux", table_name, "TIME + DT", doc, g, table=table))
        return out

    def _weight(self, li: int, link: Link, name: str, group: str) -> _Variable:
        cause, effect = self.model.factor(link.cause), self.model.factor(link.effect)
        w = float(self.params.weights[0, li])
        sign = "positive" if w > 0 else "negative" if w < 0 else "zero"
        lines = [f"Link from {cause.label} to {effect.label}: {sign}, weight {w:g}."]
        if f"{link.cause}->{link.effect}" in self.system.added_weights:
            lines.append("Added by the scenario.")
        lines += [f"Paper section: {link.source}."] if link.source else []
        lines += [f"Quote: “{link.quote}”"] if link.quote else []
        if link.delay > 0:
            lines.append(
                f"{effect.label} sees {cause.label} through {self.delayed[li]}: a delay of "
                f"{link.delay:g} {self.model.time_unit}(s), order {link.order}."
            )
        return _Variable("aux", name, _num(w), "\n".join(lines), group)

    def _table(self, f: Factor) -> tuple[tuple | None, str]:
        """The scenario's table path of ``f`` (XMILE holds it in a graphical function), if any."""
        tables: list[Table] = []
        for fc in self.params.forcings:
            if fc.variable == f.id and isinstance(fc.path, Table) and fc.path not in tables:
                tables.append(fc.path)
        if len(tables) > 1:
            raise ScenarioError(
                f"the scenario drives '{f.id}' along {len(tables)} different tables; the XMILE "
                "export writes one table per factor"
            )
        if not tables:
            return None, ""
        return (tables[0].times, tables[0].values), self.names.fresh(f"{f.id}_scenario_table")

    def _exogenous(self, f: Factor) -> list[_Variable]:
        table, table_name = self._table(f)
        acts = _Acts(f.id, self.params, self.sim)
        eqn = acts.driver(self.initial(f.id), table_name)
        by = "set by the scenario" if acts else "set from outside"
        out = [_Variable("aux", f.id, eqn, self._about(f, f"A driver, {by}."), f.group)]
        if table is not None:
            doc = f"The scenario's table of {f.label} over time (flat beyond its ends)."
            out.append(_Variable("aux", table_name, "TIME", doc, f.group, table=table))
        return out

    def _composite(self, f: Factor) -> _Variable:
        ref = xmile_reference
        if all(w == 1.0 for _, w in f.of):
            parts = " + ".join(ref(p) for p, _ in f.of)
        else:
            parts = " + ".join(f"{_num(w)} * {ref(p)}" for p, w in f.of)
        total = _num(sum(w for _, w in f.of))
        mean = ", ".join(f"{p} (weight {w:g})" for p, w in f.of)
        return _Variable(
            "aux", f.id, f"({parts}) / {total}", self._about(f, f"The weighted mean of {mean}."), f.group
        )

    def _chain(self, chain: _Chain, stages: list[str]) -> list[_Variable]:
        r, n = xmile_reference, chain.order
        cause = self.model.factor(chain.cause)
        delay = self.names.fresh(f"{stages[-1]}_delay_time")
        effects = ", ".join(self.system.links[i].effect for i in chain.links)
        stage_time = r(delay) if n == 1 else f"({r(delay)} / {n})"
        at_rest = _num(self.params.x0[0] @ self.system.value_vector(chain.cause))
        out = [
            _Variable(
                "aux",
                delay,
                _num(chain.delay),
                f"The information delay through which {effects} see(s) {cause.label}: "
                f"{n} first-order stage(s), each taking this time / {n}.",
                cause.group,
                self.unit,
            )
        ]
        source = r(chain.cause)
        for k, stage in enumerate(stages, start=1):
            flow = self.names.fresh(f"{stage}_adjustment")
            what = (
                f"{cause.label} as perceived after the delay"
                if k == n
                else f"Stage {k} of {n} of the delay of {cause.label}"
            )
            doc = f"{what}; it starts at rest, at the initial level of {cause.label}."
            out.append(_Variable("stock", stage, at_rest, doc, cause.group, inflow=flow))
            doc = f"First-order adjustment of {stage} toward the stage before it."
            eqn = f"({source} - {r(stage)}) / {stage_time}"
            out.append(_Variable("flow", flow, eqn, doc, cause.group, self.per_unit))
            source = r(stage)
        return out


# -- scenario drivers -----------------------------------------------------------------------------
def _path_equation(path, fid: str, table_name: str, time: str = "TIME") -> str:
    """A driver path as an expression of ``time``; a table is the graphical function ``table_name``."""
    if isinstance(path, Constant):
        return _num(_scalar(path.value_, fid))
    if isinstance(path, Step):
        value, base = _scalar(path.value_, fid), _scalar(path.base, fid)
        return f"IF {time} >= {_num(path.at)} THEN {_num(value)} ELSE {_num(base)}"
    if isinstance(path, Pulse):
        value, base = _scalar(path.value_, fid), _scalar(path.base, fid)
        window = f"{time} >= {_num(path.at)} AND {time} < {_num(path.at + path.duration)}"
        return f"IF {window} THEN {_num(value)} ELSE {_num(base)}"
    if isinstance(path, Ramp):
        value, base = _scalar(path.value_, fid), _scalar(path.base, fid)
        slope = (value - base) / (path.end - path.start)
        line = f"{_num(base)} + {_num(slope)} * ({time} - {_num(path.start)})"
        return (
            f"IF {time} <= {_num(path.start)} THEN {_num(base)} "
            f"ELSE (IF {time} >= {_num(path.end)} THEN {_num(value)} ELSE {line})"
        )
    if isinstance(path, Table):
        return xmile_reference(table_name)
    raise ScenarioError(
        f"the scenario drives '{fid}' along a {type(path).__name__} path, which has no XMILE "
        "form; use a constant, step, ramp, pulse or table"
    )


class _Acts:
    """What a scenario does to one factor: holds along paths (forcings) and jumps (events).

    Mirrors :meth:`gmsim.core.system.System.jump` and ``held``. A jump happens where a
    hold ends (the level is set to the path's value just before), where one
    starts (to the path's value there) and at each event (multiply or set), in
    that order, then the level is kept in [0, 1]; so each jump maps the level
    before it to ``clip(m * level + c)``. While held, the level is the path's,
    the last listed hold winning.
    """

    def __init__(self, fid: str, params: FactorParams, sim: Simulation):
        self.fid, self.sim = fid, sim
        self.holds = [fc for fc in params.forcings if fc.variable == fid]
        events = [e for e in params.events if e.variable == fid]
        times = {t for fc in self.holds for t in (fc.start, fc.end)} | {e.time for e in events}
        self.jumps: list[tuple[float, float, float]] = []
        for t in sorted(t for t in times if sim.start <= t < sim.stop):
            m, c = 1.0, 0.0
            for fc in self.holds:  # a hold lets go at its path's value just before its end
                if fc.end == t:
                    m, c = 0.0, _scalar(Within(fc.path, t).value(t), fid)
            for fc in self.holds:
                if fc.start == t:
                    m, c = 0.0, _scalar(fc.path.value(t), fid)
            for e in (e for e in events if e.time == t):
                if e.multiply is not None:
                    k = _scalar(e.multiply, fid)
                    m, c = m * k, c * k
                else:
                    m, c = 0.0, _scalar(e.set, fid)
            self.jumps.append((t, m, c))

    def __bool__(self) -> bool:
        return bool(self.holds or self.jumps)

    def _held(self, t: float) -> bool:
        return any(fc.active(t) for fc in self.holds)

    def _window(self, fc, time: str) -> str:
        """When ``fc`` holds; one that lets go at the end of the run holds at its last time."""
        parts = [f"{time} >= {_num(fc.start)}"] if np.isfinite(fc.start) else []
        parts += [f"{time} < {_num(fc.end)}"] if fc.end < self.sim.stop else []
        return " AND ".join(parts)

    def driver(self, level: float, table_name: str) -> str:
        """An exogenous factor's level: constant between jumps, the path's while held."""
        eqn = _num(level)
        for t, m, c in self.jumps:
            new = min(max(m * level + c, 0.0), 1.0)
            if new != level:
                eqn = f"IF TIME >= {_num(t)} THEN {_num(new)} ELSE {_parens(eqn)}"
            level = new
        for fc in self.holds:
            path = _path_equation(fc.path, self.fid, table_name)
            window = self._window(fc, "TIME")
            eqn = f"IF {window} THEN {_parens(path)} ELSE {_parens(eqn)}" if window else path
        return eqn

    def stock_start(self, level: float) -> float:
        """A stock's level at the start: after the jumps there, or the path's if held there."""
        for t, m, c in self.jumps:
            if t == self.sim.start:
                level = min(max(m * level + c, 0.0), 1.0)
        held = [fc for fc in self.holds if fc.active(self.sim.start)]
        return _scalar(held[-1].path.value(self.sim.start), self.fid) if held else level

    def stock_flow(self, natural: str, table_name: str) -> str:
        """A stock's flow: ``natural``, except one step before a jump and while held (Euler).

        One Euler step takes the stock from ``x`` to ``x + DT * flow``; a flow of
        ``(v - x) / DT`` puts it on ``v``: the level after a jump (of ``x`` moved
        on by the natural flow), or the held path's value at the next step.
        """
        x = xmile_reference(self.fid)
        by_jump: dict[tuple[float, float], list[float]] = {}
        for t, m, c in self.jumps:
            if t > self.sim.start and not self._held(t):
                by_jump.setdefault((m, c), []).append(t)
        eqn = natural
        for (m, c), times in by_jump.items():
            if m == 0.0:
                new = _num(min(max(c, 0.0), 1.0))
            else:  # c is 0: no set or hold came before the multiplications
                new = f"{_num(m)} * ({x} + DT * {natural})"
                new = new if 0.0 <= m <= 1.0 else f"MIN(MAX({new}, 0), 1)"
            when = " OR ".join(f"TIME + DT = {_num(t)}" for t in times)
            eqn = f"IF {when} THEN ({new} - {x}) / DT ELSE {_parens(eqn)}"
        for fc in self.holds:
            path = _path_equation(fc.path, self.fid, table_name, time="(TIME + DT)")
            move = f"({_parens(path)} - {x}) / DT"
            window = self._window(fc, "TIME + DT")
            eqn = f"IF {window} THEN {move} ELSE {_parens(eqn)}" if window else move
        return eqn


def _parens(eqn: str) -> str:
    return f"({eqn})" if " " in eqn else eqn


def _scalar(value, fid: str) -> float:
    if np.ndim(value) > 0:
        raise ScenarioError(
            f"the scenario gives '{fid}' one value per run; an XMILE file holds one run, so "
            "export a scenario without batch values"
        )
    return float(value)


def _acted_on_stocks(system: FactorSystem, params: FactorParams) -> list[str]:
    """Endogenous factors the scenario holds or makes jump; refuse other targets."""
    out = []
    for variable in [fc.variable for fc in params.forcings] + [e.variable for e in params.events]:
        kind = system.kinds.get(variable, "a delay stage")
        if kind not in ("exogenous", "endogenous"):
            raise ScenarioError(
                f"the scenario acts on '{variable}' ({kind}); only factors with a level of "
                "their own (endogenous or exogenous) can be held or made to jump"
            )
        if kind == "endogenous" and variable not in out:
            out.append(variable)
    return out


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


def _document(system: FactorSystem, scenario: str, variables: list[_Variable], sim: Simulation) -> str:
    from gmsim import __version__

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
        _add(sim_specs, tag, _num(getattr(sim, tag)))
    body = _add(_add(root, "model"), "variables")
    for v in variables:
        el = _add(body, v.tag, name=v.name)
        _add(el, "doc", xmile_text(v.doc))
        _add(el, "eqn", v.eqn)
        if v.table is not None:
            gf = _add(el, "gf")
            _add(gf, "xpts", ",".join(map(_num, v.table[0])))
            _add(gf, "ypts", ",".join(map(_num, v.table[1])))
        if v.inflow is not None:
            _add(el, "inflow", xmile_reference(v.inflow))
        if v.units:
            _add(el, "units", v.units)
    names = _Names()
    names.keep([v.name for v in variables])
    for group in dict.fromkeys(g for g in (*GROUP_TITLES, *(v.group for v in variables)) if g):
        members = [v.name for v in variables if v.group == group]
        if not members:
            continue
        el = _add(body, "group", name=names.fresh(_group_title(group).split(" (")[0].replace(" ", "_")))
        _add(el, "doc", xmile_text(f"{_group_title(group)}: the factors of gmsim's group '{group}'."))
        for name in members:
            _add(el, "entity", name=name)
    ET.indent(root, space="    ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- the public function --------------------------------------------------------------------------
def export_xmile(
    model: ModelLike = None,
    path: str | os.PathLike | None = None,
    *,
    scenario=None,
    equilibrium: bool | None = None,
    start: float | None = None,
    stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
) -> str:
    """Write a factor model, optionally with a scenario built in, as standard XMILE 1.0.

    Parameters
    ----------
    model : Model, FactorSystem, path or None
        What to export; ``None`` is the default model of the paper.
    path : str or path-like, optional
        The file to write, through a temporary file beside it so that it is
        never half-written. The text is returned either way.
    scenario : str, path, Scenario, Interventions or None
        A "what if" to build into the file (see the module docstring for what
        XMILE can hold).
    equilibrium : bool or None
        Override the model's equilibrium initialisation of biases.
    start, stop, dt, method
        The file's ``sim_specs``; the model's ``[simulation]`` settings by default.

    Returns
    -------
    str
        The XMILE document.

    Raises
    ------
    ModelError
        A factor id that XMILE reserves or cannot tell from another, or a model
        that is not a factor model.
    ScenarioError
        A scenario XMILE cannot state (holds of composites, per-run values, paths
        of unknown form), or holds or jumps of stocks with a method other than Euler.
    SimulationError
        Settings that make no run (``stop`` not after ``start``, ``dt`` <= 0).
    OutputError
        ``path`` cannot be written.

    Examples
    --------
    >>> import gmsim, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "microblogs.xmile"
    >>> text = gmsim.export_xmile(gmsim.load_model(), target, method="euler")
    >>> target.read_text(encoding="utf-8") == text, '<sim_specs method="euler"' in text
    (True, True)
    """
    system, scenario_name = as_system(
        model, scenario=scenario, equilibrium=equilibrium, start=start, stop=stop
    )
    if not isinstance(system, FactorSystem):
        raise ModelError(
            f"'{system.name}' is not a gmsim factor model; XMILE export writes factor models "
            "(an imported stock-and-flow model is XMILE already)"
        )
    params = system.parameters()
    stocks = _acted_on_stocks(system, params)
    if stocks and method not in (None, "euler"):
        raise ScenarioError(
            f"the scenario holds or makes jump {', '.join(map(repr, stocks))}; the file states "
            "that for Euler integration, so export with method 'euler' (--method euler) or "
            "leave the method out"
        )
    method = "euler" if stocks else method
    sim = _settings(system.simulation, start=start, stop=stop, dt=dt, method=method)
    text = _document(system, scenario_name, _Builder(system, params, sim).variables(), sim)
    if path is not None:
        write_file(path, text, example="model.xmile")
    return text


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
