"""A model as plain, immutable data: factors, links, simulation settings.

A :class:`Model` holds what a model file says and nothing computed from it.
Building one checks it (:func:`check_model`); compiling it for the engine is
:func:`gmsim.compile.compile_model`'s job.

Examples
--------
>>> from gmsim.factor.model import Factor, Link, Model
>>> m = Model(
...     name="two factors",
...     factors=(
...         Factor("training", group="internal_enabler", kind="exogenous", initial=0.5),
...         Factor("staff_capability", group="process", initial=0.4, tau=6.0),
...     ),
...     links=(Link("training", "staff_capability", weight=0.6),),
... )
>>> m.factor("staff_capability").tau
6.0
>>> [f.id for f in m.endogenous]
['staff_capability']
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

import networkx as nx

from gmsim.core.methods import METHODS as CORE_METHODS
from gmsim.core.names import reserved, reserved_message
from gmsim.errors import ModelError, Problem, did_you_mean
from gmsim.factor.checks import Check
from gmsim.factor.flows import Flow, flow_edges
from gmsim.factor.ranges import RANGES, interval, within
from gmsim.factor.saturation import DEFAULT_STEEPNESS
from gmsim.factor.validate import check_primitives

__all__ = [
    "GROUPS",
    "GROUP_TITLES",
    "KINDS",
    "METHODS",
    "Check",
    "Dynamics",
    "Factor",
    "Flow",
    "Link",
    "Model",
    "Problem",
    "Simulation",
    "check_model",
]

GROUPS = (
    "external_enabler",
    "internal_enabler",
    "external_barrier",
    "internal_barrier",
    "process",
    "outcome",
)
"""The paper's groups of factors (sections 2.1-2.4), plus processes and outcomes."""

GROUP_TITLES = {
    "external_enabler": "External enablers (2.1)",
    "internal_enabler": "Internal enablers (2.2)",
    "external_barrier": "External barriers (2.3)",
    "internal_barrier": "Internal barriers (2.4)",
    "process": "Processes",
    "outcome": "Outcomes",
}
"""Each group's title, with the paper's section, for tables, plots and exported files."""

KINDS = ("endogenous", "exogenous", "composite", "stock")
"""How a factor's level is set: by its causes, by a time path, as a weighted mean, or by flows."""

LINK_KINDS = ("link", "necessary")
"""An additive link (part of the input ``u``) or a necessary condition (a factor of ``N``)."""

METHODS = CORE_METHODS
"""Integration methods (from the engine's table, :mod:`gmsim.core.methods`)."""

Group = Literal[
    "external_enabler",
    "internal_enabler",
    "external_barrier",
    "internal_barrier",
    "process",
    "outcome",
]
Kind = Literal["endogenous", "exogenous", "composite", "stock"]


@dataclass(frozen=True)
class Factor:
    """One factor of the causal graph.

    Parameters
    ----------
    id : str
        Identifier used in links, scenarios and results, e.g. ``"funding"``.
    label : str
        Human-readable name; defaults to the id with spaces.
    group : str
        One of :data:`GROUPS`.
    kind : str
        ``"endogenous"`` (a level driven by its causes), ``"exogenous"`` (a level
        set from outside: constant, or a scenario's time path) or ``"composite"``
        (a weighted mean of other factors, e.g. effectiveness) or ``"stock"``
        (changed only by :class:`Flow` objects).
    initial : float
        Level at the start of a launch run, in [0, 1]. Unused for composites.
    tau : float
        Adjustment time in months (endogenous factors only).
    reference : float or None
        The resting level of an established system; biases are solved so that
        the reference state rests. ``None``: the ``initial`` level.
    tau_rise, tau_fall : float or None
        Asymmetric adjustment times (instead of ``tau``): the level climbs
        toward a higher target in ``tau_rise`` and falls in ``tau_fall``.
    decide_every, decide_offset : float or None, float
        A periodic decision: the level jumps to its target at
        ``start + offset + k·every`` (``t > start``) and is held in between.
    of : tuple of (str, float)
        Composite only: the factors averaged and their weights (> 0).
    bias : float or None
        Endogenous only: the constant input ``b`` used when equilibrium
        initialisation is off. ``None`` means 0.
    source, note : str
        The paper section the factor comes from, and a free note.
    """

    id: str
    group: Group = "process"
    kind: Kind = "endogenous"
    initial: float = 0.5
    tau: float = 1.0
    label: str = ""
    of: tuple[tuple[str, float], ...] = ()
    bias: float | None = None
    source: str = ""
    note: str = ""
    reference: float | None = None
    tau_rise: float | None = None
    tau_fall: float | None = None
    decide_every: float | None = None
    decide_offset: float = 0.0

    @property
    def reference_level(self) -> float:
        """The level at which the factor rests by construction (``reference``, else ``initial``)."""
        return self.initial if self.reference is None else self.reference

    @property
    def rise(self) -> float:
        """The adjustment time toward a higher target (``tau_rise``, else ``tau``)."""
        return self.tau if self.tau_rise is None else self.tau_rise

    @property
    def fall(self) -> float:
        """The adjustment time toward a lower target (``tau_fall``, else ``tau``)."""
        return self.tau if self.tau_fall is None else self.tau_fall

    @property
    def decided(self) -> bool:
        """Whether the level changes only at periodic decisions (``decide_every``)."""
        return self.decide_every is not None

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.id.replace("_", " ").capitalize())
        object.__setattr__(self, "of", tuple((str(k), float(v)) for k, v in self.of))


@dataclass(frozen=True)
class Link:
    """A signed, weighted causal link ``cause -> effect``.

    Parameters
    ----------
    cause, effect : str
        Factor ids (``from`` and ``to`` in a model file).
    weight : float
        Strength in [-1, 1]; the sign is the link's polarity.
    delay : float
        Information delay in months (0: none). The effect sees the cause through
        ``order`` first-order smoothings of total time ``delay``.
    order : int
        Order of the delay (1 = SMOOTH, 3 = SMOOTH3).
    kind : str
        ``"link"`` (additive: ``w·z`` joins the effect's input) or
        ``"necessary"`` (the effect's attainable level is scaled by
        ``1 − w + w·z``, ``w`` in (0, 1]).
    moderated_by : tuple of (str, float)
        Moderators ``(factor, m)``, ``m`` in [−1, 1]: the effective weight is
        ``w · max(0, 1 + Σ m·z)``.
    source, quote : str
        The paper section and the words that justify the link.
    """

    cause: str
    effect: str
    weight: float
    delay: float = 0.0
    order: int = 1
    source: str = ""
    quote: str = ""
    kind: str = "link"
    moderated_by: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "moderated_by", tuple((str(k), float(v)) for k, v in dict(self.moderated_by).items())
        )

    @property
    def sign(self) -> int:
        """Polarity: +1, -1, or 0 for a zero weight."""
        return (self.weight > 0) - (self.weight < 0)


@dataclass(frozen=True)
class Simulation:
    """Default run settings: horizon ``[start, stop]`` in months, step and method."""

    start: float = 0.0
    stop: float = 36.0
    dt: float = 0.125
    method: str = "rk4"


@dataclass(frozen=True)
class Dynamics:
    """Settings of the factor equations.

    ``steepness`` is the ``p`` of the saturation curve
    (:func:`~gmsim.factor.saturation.saturate`, >= 1); ``equilibrium`` starts
    each run at the reference levels, which rest by construction (a flat
    baseline), instead of the ``initial`` (launch) levels.
    """

    steepness: float = DEFAULT_STEEPNESS
    equilibrium: bool = True


@dataclass(frozen=True)
class Model:
    """A causal-loop model: factors, signed links, and run settings.

    Building a Model checks it and raises :class:`~gmsim.errors.ModelError`
    listing every problem found.
    """

    name: str
    factors: tuple[Factor, ...]
    links: tuple[Link, ...] = ()
    flows: tuple[Flow, ...] = ()
    checks: tuple[Check, ...] = ()
    simulation: Simulation = field(default_factory=Simulation)
    dynamics: Dynamics = field(default_factory=Dynamics)
    time_unit: str = "month"
    source: str = ""
    description: str = ""
    path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "factors", tuple(self.factors))
        object.__setattr__(self, "links", tuple(self.links))
        object.__setattr__(self, "flows", tuple(self.flows))
        object.__setattr__(self, "checks", tuple(self.checks))
        problems = check_model(self)
        if problems:
            raise ModelError([str(replace(p, path=self.path)) for p in problems], found=problems)

    # -- lookups -----------------------------------------------------------------
    @property
    def factor_ids(self) -> tuple[str, ...]:
        """Factor ids in file order."""
        return tuple(f.id for f in self.factors)

    def factor(self, id: str) -> Factor:
        """The factor called ``id``; a :class:`ModelError` with a suggestion otherwise."""
        for f in self.factors:
            if f.id == id:
                return f
        raise ModelError(f"no factor '{id}'{did_you_mean(id, self.factor_ids)}")

    def link(self, cause: str, effect: str) -> Link:
        """The link ``cause -> effect``; a :class:`ModelError` otherwise."""
        for link in self.links:
            if link.cause == cause and link.effect == effect:
                return link
        raise ModelError(f"no link '{cause}' -> '{effect}'")

    def _of_kind(self, kind: str) -> tuple[Factor, ...]:
        return tuple(f for f in self.factors if f.kind == kind)

    @property
    def endogenous(self) -> tuple[Factor, ...]:
        """Factors whose level is driven by their causes (the model's stocks)."""
        return self._of_kind("endogenous")

    @property
    def exogenous(self) -> tuple[Factor, ...]:
        """Factors set from outside (constant, or a scenario's path)."""
        return self._of_kind("exogenous")

    @property
    def stocks(self) -> tuple[Factor, ...]:
        """Factors changed only by flows (``kind = "stock"``)."""
        return self._of_kind("stock")

    @property
    def solves_bias(self) -> bool:
        """Whether biases are solved so that the reference state rests.

        Always, except for a launch model (``equilibrium = false``) that states no
        reference and no stock: it keeps the biases of its file.
        """
        return (
            self.dynamics.equilibrium
            or any(f.reference is not None for f in self.factors)
            or bool(self.stocks)
        )

    @property
    def composites(self) -> tuple[Factor, ...]:
        """Weighted means of other factors, such as effectiveness."""
        return self._of_kind("composite")

    def __iter__(self) -> Iterator[Factor]:
        return iter(self.factors)

    def graph(self) -> nx.DiGraph:
        """The causal graph: factor nodes (with their attributes) and link edges.

        Composite factors get edges from their parts (``kind="composite"``,
        weight = the normalised share), so feedback through effectiveness is
        visible to loop analysis.

        Examples
        --------
        >>> import gmsim
        >>> g = gmsim.load_model().graph()
        >>> g.edges["leadership_attention", "funding"]["sign"]
        1
        """
        g = nx.DiGraph(name=self.name)
        for f in self.factors:
            g.add_node(f.id, label=f.label, group=f.group, kind=f.kind, source=f.source)
        for link in self.links:
            g.add_edge(
                link.cause,
                link.effect,
                weight=link.weight,
                sign=link.sign,
                delay=link.delay,
                kind=link.kind,
                source=link.source,
            )
        for link in self.links:
            for m, strength in link.moderated_by:
                if not g.has_edge(m, link.effect):
                    sign = (link.weight * strength > 0) - (link.weight * strength < 0)
                    g.add_edge(
                        m, link.effect, weight=link.weight * strength, sign=sign, delay=0.0,
                        kind="moderator", source=link.source,
                    )  # fmt: skip
        for cause, stock, sign in flow_edges(self.flows):
            if g.has_edge(cause, stock) and g.edges[cause, stock]["kind"] == "flow":
                if g.edges[cause, stock]["sign"] != sign:
                    g.edges[cause, stock]["sign"] = 0
                continue
            if not g.has_edge(cause, stock):
                g.add_edge(
                    cause, stock, weight=float(sign), sign=sign, delay=0.0, kind="flow", source=""
                )
        for f in self.composites:
            total = sum(w for _, w in f.of)
            for part, w in f.of:
                g.add_edge(part, f.id, weight=w / total, sign=1, delay=0.0, kind="composite")
        return g

    def compile(self, interventions=None):
        """Compile for the engine (:func:`gmsim.factor.system.compile_model`)."""
        from gmsim.factor.system import compile_model

        return compile_model(self, interventions)

    def replace(self, **changes) -> Model:
        """A copy with fields replaced (checked again)."""
        return replace(self, **changes)


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def check_model(model: Model) -> list[Problem]:
    """Every problem of a model, as :class:`Problem` objects (empty when valid)."""
    p: list[Problem] = []
    ids = [f.id for f in model.factors]
    known = set(ids)
    if not model.factors:
        p.append(Problem(("factors",), "the model has no factors; add at least one [factors.<id>]"))
    kinds = {f.id: f.kind for f in model.factors}
    solves_bias = model.solves_bias  # once: it scans every factor
    seen: set[str] = set()
    for f in model.factors:
        key: tuple[str | int, ...] = ("factors", f.id)
        if f.id in seen:
            p.append(Problem(key, "duplicate factor id"))
        seen.add(f.id)
        if not f.id.isidentifier():
            p.append(
                Problem(key, "factor ids must be letters, digits and '_' (e.g. 'staff_capability')")
            )
        elif reserved(f.id):
            p.append(Problem(key, reserved_message(f.id)))
        if f.group not in GROUPS:
            p.append(
                Problem(
                    (*key, "group"),
                    f"unknown group '{f.group}'{did_you_mean(f.group, GROUPS)}; "
                    f"expected one of {', '.join(GROUPS)}",
                )
            )
        if f.kind not in KINDS:
            p.append(
                Problem(
                    (*key, "kind"),
                    f"unknown kind '{f.kind}'{did_you_mean(f.kind, KINDS)}; "
                    f"expected one of {', '.join(KINDS)}",
                )
            )
        if f.kind != "composite":
            if not _finite(f.initial):
                p.append(Problem((*key, "initial"), f"expected a finite number, got {f.initial!r}"))
            elif not within(f.initial, "initial"):
                p.append(
                    Problem((*key, "initial"), f"must be in {interval('initial')}, got {f.initial}")
                )
            elif (
                f.kind == "endogenous"
                and solves_bias
                and f.reference is None
                and f.initial in (0.0, 1.0)
            ):
                p.append(
                    Problem(
                        (*key, "initial"),
                        f"{f.initial:g} cannot be a resting level of the saturation curve; use a "
                        "value strictly between 0 and 1, or set [dynamics] equilibrium = false",
                    )
                )
        if f.kind == "endogenous" and f.tau_rise is None and f.tau_fall is None and not f.decided:
            if not _finite(f.tau):
                p.append(Problem((*key, "tau"), f"expected a finite number, got {f.tau!r}"))
            elif not within(f.tau, "tau"):
                p.append(Problem((*key, "tau"), f"must be > {RANGES['tau'][0]:g} months, got {f.tau}"))
            if f.bias is not None and not _finite(f.bias):
                p.append(Problem((*key, "bias"), f"expected a finite number, got {f.bias!r}"))
        if f.kind == "composite":
            if not f.of:
                p.append(Problem((*key, "of"), "a composite needs `of = { factor = weight, ... }`"))
            for part, w in f.of:
                if part == f.id:
                    p.append(Problem((*key, "of", part), "a composite cannot refer to itself"))
                elif part not in known:
                    p.append(
                        Problem((*key, "of", part), f"unknown factor '{part}'{did_you_mean(part, ids)}")
                    )
                if not _finite(w) or w <= 0:
                    p.append(
                        Problem((*key, "of", part), f"weight must be a finite number > 0, got {w!r}")
                    )
    p.extend(_composite_cycles(model, known))

    pairs: dict[tuple[str, str], int] = {}
    for i, link in enumerate(model.links):
        key = ("links", i)
        for end, fid in (("from", link.cause), ("to", link.effect)):
            if fid not in known:
                p.append(Problem((*key, end), f"unknown factor '{fid}'{did_you_mean(fid, ids)}"))
        if link.effect in known and kinds.get(link.effect) != "endogenous":
            p.append(
                Problem(
                    (*key, "to"),
                    f"'{link.effect}' is {kinds[link.effect]} and cannot be caused by a link; "
                    "make it endogenous or drop the link",
                )
            )
        if link.cause == link.effect:
            if kinds.get(link.effect) == "endogenous" and model.factor(link.effect).decided:
                p.append(
                    Problem(
                        (*key, "from"),
                        f"'{link.cause}' is decided periodically and cannot be its own cause; "
                        "drop the link",
                    )
                )
            else:
                p.append(
                    Problem(key, f"a link from '{link.cause}' to itself; use the factor's tau instead")
                )
        if not _finite(link.weight):
            p.append(Problem((*key, "weight"), f"expected a finite number, got {link.weight!r}"))
        elif not within(link.weight, "weight"):
            p.append(Problem((*key, "weight"), f"must be in {interval('weight')}, got {link.weight}"))
        if not _finite(link.delay) or link.delay < 0:
            p.append(Problem((*key, "delay"), f"must be a number >= 0 months, got {link.delay!r}"))
        if isinstance(link.order, bool) or not isinstance(link.order, int) or link.order < 1:
            p.append(Problem((*key, "order"), f"must be a whole number >= 1, got {link.order!r}"))
        pair = (link.cause, link.effect)
        if pair in pairs:
            p.append(
                Problem(
                    key,
                    f"duplicate link '{link.cause}' -> '{link.effect}' (also link {pairs[pair] + 1}); "
                    "merge them into one weight",
                )
            )
        else:
            pairs[pair] = i

    sim = model.simulation
    for name in ("start", "stop", "dt"):
        if not _finite(getattr(sim, name)):
            p.append(
                Problem(("simulation", name), f"expected a finite number, got {getattr(sim, name)!r}")
            )
    if _finite(sim.start) and _finite(sim.stop) and sim.stop <= sim.start:
        p.append(Problem(("simulation", "stop"), f"must be after start ({sim.start}), got {sim.stop}"))
    if _finite(sim.dt) and sim.dt <= 0:
        p.append(Problem(("simulation", "dt"), f"must be > 0, got {sim.dt}"))
    if sim.method not in METHODS:
        p.append(
            Problem(
                ("simulation", "method"),
                f"unknown method '{sim.method}'{did_you_mean(sim.method, METHODS)}; "
                f"expected one of {', '.join(METHODS)}",
            )
        )
    if not _finite(model.dynamics.steepness) or model.dynamics.steepness < 1:
        p.append(
            Problem(
                ("dynamics", "steepness"), f"must be a number >= 1, got {model.dynamics.steepness!r}"
            )
        )
    p.extend(check_primitives(model, sound=not p))
    return p


def _composite_cycles(model: Model, known: set[str]) -> list[Problem]:
    """Composites that depend on themselves through other composites."""
    g = nx.DiGraph()
    for f in model.composites:
        for part, _ in f.of:
            if part in known and part != f.id:
                g.add_edge(part, f.id)
    comps = {f.id for f in model.composites}
    out = []
    for cycle in nx.simple_cycles(g.subgraph(comps)):
        out.append(
            Problem(
                ("factors", cycle[0], "of"),
                "composites refer to each other in a circle: " + " -> ".join([*cycle, cycle[0]]),
            )
        )
    return out
