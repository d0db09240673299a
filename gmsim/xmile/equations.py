"""The variables of an exported XMILE file: names, text, and the equations of each factor.

:class:`Builder` turns a compiled factor system and the numbers of one run
into :class:`Variable` records (stocks, flows and auxiliaries, each with its
``<doc>``); :class:`Acts` states a scenario's holds and jumps the way SD tools
do. :mod:`gmsim.xmile.writer` lays them out as an XMILE document.

Examples
--------
>>> import gmsim
>>> system = gmsim.load_model().compile()
>>> variables = Builder(system, system.parameters(), system.simulation).variables()
>>> next(v.eqn for v in variables if v.name == "training_adjustment")
'(training_target - training) / training_adjustment_time'

A decided factor (funding, revised at each yearly budget) jumps to its target
at the decision times and holds in between:

>>> next(v.eqn for v in variables if v.name == "funding")
'IF TIME = 12.0 OR TIME = 24.0 OR TIME = 36.0 OR TIME = 48.0 THEN funding_target ELSE funding_decision'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmsim.core.paths import Constant, Pulse, Ramp, Step, Table, Within
from gmsim.errors import ModelError, ScenarioError
from gmsim.factor.model import GROUP_TITLES, Factor, Link, Simulation
from gmsim.factor.system import FactorParams, FactorSystem
from gmsim.xmile.names import canonical
from gmsim.xmile.writer_primitives import (
    cause_term,
    decided_variables,
    necessary_factor,
    saturation,
    stock_variables,
)

__all__ = [
    "DIMENSIONLESS",
    "XMILE_RESERVED",
    "Acts",
    "Builder",
    "Names",
    "Variable",
    "acted_on_stocks",
    "group_title",
    "number",
    "xmile_reference",
    "xmile_text",
]

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

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


# -- names and text -----------------------------------------------------------------------------
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


def number(x: float) -> str:
    """A number in the shortest form that reads back exactly."""
    return repr(float(x))


class Names:
    """The names of one model's variables: factor ids kept, other names made unique."""

    def __init__(self) -> None:
        self._taken: dict[str, str] = {}

    def keep(self, ids: Sequence[str]) -> list[str]:
        """Claim ``ids`` as they are; return the problems of those XMILE cannot hold."""
        problems = []
        for fid in ids:
            key = canonical(fid)
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
        while canonical(name) in self._taken or canonical(name) in XMILE_RESERVED:
            k += 1
            name = f"{base}_{k}"
        self._taken[canonical(name)] = name
        return name


# -- the variables of the file ------------------------------------------------------------------
@dataclass(frozen=True)
class Variable:
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


def group_title(group: str) -> str:
    return GROUP_TITLES.get(group, group.replace("_", " "))


class Builder:
    """Turns a compiled factor system and the numbers of one run into XMILE variables."""

    def __init__(self, system: FactorSystem, params: FactorParams, sim: Simulation):
        self.system, self.model, self.sim, self.params = system, system.model, sim, params
        unit = self.model.time_unit
        self.unit = xmile_reference(unit) if unit else ""
        self.per_unit = f"1/{self.unit}" if unit else ""
        self.names = Names()
        problems = self.names.keep(self.model.factor_ids)
        if problems:
            where = f"{self.model.path}: " if self.model.path else ""
            raise ModelError([f"{where}{p} (XMILE export)" for p in problems])
        self.steepness = self.names.fresh("steepness")
        self.chains = _chains(system.links)
        self.delayed: dict[int, str] = {}  # link index -> the stock its effect reads
        self.stages = [self._name_stages(chain) for chain in self.chains]
        self.flow_names: dict[str, str] = {}  # flow -> the name of its rate

    def _name_stages(self, chain: _Chain) -> list[str]:
        last = self.names.fresh(f"{chain.cause}_perceived")
        stages = [self.names.fresh(f"{last}_stage_{k}") for k in range(1, chain.order)]
        self.delayed.update((i, last) for i in chain.links)
        return [*stages, last]

    def initial(self, fid: str) -> float:
        """A factor's level at the start, as gmsim's run starts it."""
        return float(self.params.x0[0, self.system.state_index(fid)])

    def variables(self) -> list[Variable]:
        out = [
            Variable(
                "aux",
                self.steepness,
                number(self.model.dynamics.steepness),
                "Steepness p of the saturation curve 0.5 + u / (1 + ABS(2u)^p)^(1/p) that "
                "turns each factor's input u into the level it settles at.",
            )
        ]
        for f in self.model.factors:
            if f.kind == "stock":
                acts = Acts(f.id, self.params, self.sim)
                out += stock_variables(self, f, Variable, xmile_reference, acts, self._table(f))
            elif f.kind == "endogenous":
                out += self._endogenous(f)
            elif f.kind == "exogenous":
                out += self._exogenous(f)
            else:
                out.append(self._composite(f))
        for chain, stages in zip(self.chains, self.stages, strict=True):
            out += self._chain(chain, stages)
        return out

    def _about(self, f: Factor, role: str) -> str:
        lines = [f.label, f"Group: {group_title(f.group)}."]
        lines += [f"Paper section: {f.source}."] if f.source else []
        lines += [f"Note: {f.note}"] if f.note else []
        return "\n".join([*lines, role])

    def _endogenous(self, f: Factor) -> list[Variable]:
        r, fresh, x, g = xmile_reference, self.names.fresh, f.id, f.group
        flow, target, u = fresh(f"{x}_adjustment"), fresh(f"{x}_target"), fresh(f"{x}_input")
        bias, tau = fresh(f"{x}_bias"), fresh(f"{x}_adjustment_time")
        i = self.system.state_names.index(x)
        terms, weights, needs = [r(bias)], [], []
        for li, link in enumerate(self.system.links):
            if link.effect == x:
                w = fresh(f"weight_{link.cause}_to_{x}")
                z = r(self.delayed.get(li, link.cause))
                if link.kind == "necessary":
                    needs.append(necessary_factor(r(w), z))
                else:
                    terms.append(cause_term(link, r(w), z, r))
                weights.append(self._weight(li, link, w, g))
        origin = (
            "solved so that the initial levels are at rest (equilibrium = true)"
            if self.system.equilibrium
            else "from the model file (equilibrium = false)"
        )
        table, table_name = self._table(f)
        acts = Acts(x, self.params, self.sim)
        level = fresh(f"{x}_decision") if f.decided else x
        natural = f"({r(target)} - {r(level)}) / {r(tau)}"
        fall = fresh(f"{x}_fall_time") if f.tau_rise is not None else None
        if fall is not None:
            gap = f"({r(target)} - {r(x)})"
            natural = f"(IF {r(target)} > {r(x)} THEN {gap} / {r(tau)} ELSE {gap} / {r(fall)})"
        flow_doc = f"Adjustment of {f.label} toward the level it settles at."
        if acts:
            flow_doc += (
                f"\nWritten for Euler integration: where the scenario holds {f.label}, this flow "
                "puts the stock on the held level at each step; where it makes it jump, the flow "
                "moves it there in one step (DT)."
            )
        role = f"A level in [0, 1]; it moves toward {target} over {tau}."
        start = acts.stock_start(self.initial(x))
        held = [
            Variable("stock", x, number(start), self._about(f, role), g, inflow=flow),
            Variable("flow", flow, acts.stock_flow(natural, table_name), flow_doc, g, self.per_unit),
            Variable(
                "aux",
                tau,
                number(self.params.tau[0, i]),
                f"Adjustment time τ of {f.label}" + (" toward a higher target." if fall else "."),
                g,
                self.unit,
            ),
        ]
        if fall is not None:
            doc = f"Adjustment time of {f.label} toward a lower target."
            held.append(Variable("aux", fall, number(self.params.tau_fall[0, i]), doc, g, self.unit))
        if f.decided:
            held = decided_variables(self, f, acts, (level, flow, target, table_name), Variable, r)
        scale = " * ".join(needs)
        out = [
            *held,
            Variable(
                "aux",
                target,
                (f"{scale} * " if scale else "") + saturation(r(u), r(self.steepness)),
                f"The level {f.label} settles at, given its causes now.",
                g,
            ),
            Variable(
                "aux",
                u,
                " + ".join(terms),
                f"Input u of {f.label}: its bias plus the weighted levels of its causes.",
                g,
            ),
            Variable("aux", bias, number(self.params.bias[0, i]), f"Bias of {f.label}: {origin}.", g),
            *weights,
        ]
        if table is not None:
            doc = f"The scenario's table of {f.label}, read one step ahead (flat beyond its ends)."
            out.append(Variable("aux", table_name, "TIME + DT", doc, g, table=table))
        return out

    def _weight(self, li: int, link: Link, name: str, group: str) -> Variable:
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
        return Variable("aux", name, number(w), "\n".join(lines), group)

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

    def _exogenous(self, f: Factor) -> list[Variable]:
        table, table_name = self._table(f)
        acts = Acts(f.id, self.params, self.sim)
        eqn = acts.driver(self.initial(f.id), table_name)
        by = "set by the scenario" if acts else "set from outside"
        out = [Variable("aux", f.id, eqn, self._about(f, f"A driver, {by}."), f.group)]
        if table is not None:
            doc = f"The scenario's table of {f.label} over time (flat beyond its ends)."
            out.append(Variable("aux", table_name, "TIME", doc, f.group, table=table))
        return out

    def _composite(self, f: Factor) -> Variable:
        ref = xmile_reference
        if all(w == 1.0 for _, w in f.of):
            parts = " + ".join(ref(p) for p, _ in f.of)
        else:
            parts = " + ".join(f"{number(w)} * {ref(p)}" for p, w in f.of)
        total = number(sum(w for _, w in f.of))
        mean = ", ".join(f"{p} (weight {w:g})" for p, w in f.of)
        return Variable(
            "aux", f.id, f"({parts}) / {total}", self._about(f, f"The weighted mean of {mean}."), f.group
        )

    def _chain(self, chain: _Chain, stages: list[str]) -> list[Variable]:
        r, n = xmile_reference, chain.order
        cause = self.model.factor(chain.cause)
        delay = self.names.fresh(f"{stages[-1]}_delay_time")
        effects = ", ".join(self.system.links[i].effect for i in chain.links)
        stage_time = r(delay) if n == 1 else f"({r(delay)} / {n})"
        at_rest = number(self.params.x0[0] @ self.system.value_vector(chain.cause))
        out = [
            Variable(
                "aux",
                delay,
                number(chain.delay),
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
            out.append(Variable("stock", stage, at_rest, doc, cause.group, inflow=flow))
            doc = f"First-order adjustment of {stage} toward the stage before it."
            eqn = f"({source} - {r(stage)}) / {stage_time}"
            out.append(Variable("flow", flow, eqn, doc, cause.group, self.per_unit))
            source = r(stage)
        return out


# -- scenario drivers -----------------------------------------------------------------------------
def _path_equation(path, fid: str, table_name: str, time: str = "TIME") -> str:
    """A driver path as an expression of ``time``; a table is the graphical function ``table_name``."""
    if isinstance(path, Constant):
        return number(_scalar(path.value_, fid))
    if isinstance(path, Step):
        value, base = _scalar(path.value_, fid), _scalar(path.base, fid)
        return f"IF {time} >= {number(path.at)} THEN {number(value)} ELSE {number(base)}"
    if isinstance(path, Pulse):
        value, base = _scalar(path.value_, fid), _scalar(path.base, fid)
        window = f"{time} >= {number(path.at)} AND {time} < {number(path.at + path.duration)}"
        return f"IF {window} THEN {number(value)} ELSE {number(base)}"
    if isinstance(path, Ramp):
        value, base = _scalar(path.value_, fid), _scalar(path.base, fid)
        slope = (value - base) / (path.end - path.start)
        line = f"{number(base)} + {number(slope)} * ({time} - {number(path.start)})"
        return (
            f"IF {time} <= {number(path.start)} THEN {number(base)} "
            f"ELSE (IF {time} >= {number(path.end)} THEN {number(value)} ELSE {line})"
        )
    if isinstance(path, Table):
        return xmile_reference(table_name)
    raise ScenarioError(
        f"the scenario drives '{fid}' along a {type(path).__name__} path, which has no XMILE "
        "form; use a constant, step, ramp, pulse or table"
    )


class Acts:
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
        parts = [f"{time} >= {number(fc.start)}"] if np.isfinite(fc.start) else []
        parts += [f"{time} < {number(fc.end)}"] if fc.end < self.sim.stop else []
        return " AND ".join(parts)

    def driver(self, level: float, table_name: str) -> str:
        """An exogenous factor's level: constant between jumps, the path's while held."""
        eqn = number(level)
        for t, m, c in self.jumps:
            new = min(max(m * level + c, 0.0), 1.0)
            if new != level:
                eqn = f"IF TIME >= {number(t)} THEN {number(new)} ELSE {_parens(eqn)}"
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
                new = number(min(max(c, 0.0), 1.0))
            else:  # c is 0: no set or hold came before the multiplications
                new = f"{number(m)} * ({x} + DT * {natural})"
                new = new if 0.0 <= m <= 1.0 else f"MIN(MAX({new}, 0), 1)"
            when = " OR ".join(f"TIME + DT = {number(t)}" for t in times)
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


def acted_on_stocks(system: FactorSystem, params: FactorParams) -> list[str]:
    """Endogenous factors the scenario holds or makes jump; refuse other targets."""
    out = []
    for variable in [fc.variable for fc in params.forcings] + [e.variable for e in params.events]:
        kind = system.kinds.get(variable, "a delay stage")
        if kind not in ("exogenous", "endogenous", "stock"):
            raise ScenarioError(
                f"the scenario acts on '{variable}' ({kind}); only factors with a level of "
                "their own (endogenous or exogenous) can be held or made to jump"
            )
        if kind in ("endogenous", "stock") and variable not in out:
            out.append(variable)
    return out
