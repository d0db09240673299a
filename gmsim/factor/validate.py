"""Checks of the equation primitives of a factor model (see ``docs/model-file.md``).

Asymmetric adjustment, periodic decisions, reference levels, necessary and
moderated links, stocks and flows, and the model's ``[[checks]]``. Called by
:func:`gmsim.factor.model.check_model`; each problem names its key.

Examples
--------
>>> from gmsim.factor.model import Factor, Link, Model
>>> Model(  # doctest: +IGNORE_EXCEPTION_DETAIL
...     name="m",
...     factors=(Factor("a", kind="exogenous"), Factor("b", tau=2.0)),
...     links=(Link("a", "b", 1.5, kind="necessary"),),
... )
Traceback (most recent call last):
ModelError: links[0].weight: a necessary link's weight must be in (0, 1], got 1.5
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from gmsim.errors import Problem, did_you_mean
from gmsim.factor.checks import check_checks
from gmsim.limits import LimitError, check, check_grid

if TYPE_CHECKING:
    from gmsim.factor.model import Model

__all__ = ["check_primitives", "check_sizes", "reference_levels"]


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def reference_levels(model: Model) -> dict[str, float]:
    """Each factor's reference level (composites: the weighted mean of their parts')."""
    out: dict[str, float] = {}
    on_path: dict[str, int] = {}  # the composites being summed, below the one on top
    for root in model.factors:
        # one frame per composite being summed: [id, parts still to add, terms, part awaited]
        stack: list[list] = [[root.id, None, [], None]]
        while stack:
            frame = stack[-1]
            fid, parts, terms, awaited = frame
            if parts is None:
                if fid in out:
                    stack.pop()
                    continue
                f = model.factor(fid)
                if f.kind != "composite":
                    out[fid] = float(f.reference_level)
                    stack.pop()
                    continue
                total = sum(w for _, w in f.of) or 1.0  # a part already being summed is left out
                frame[1] = parts = iter([(p, w / total) for p, w in f.of if not on_path.get(p)])
                on_path[fid] = on_path.get(fid, 0) + 1
            if awaited is not None:
                terms.append(awaited[1] * out[awaited[0]])
                frame[3] = None
            for p, share in parts:
                if p in out:
                    terms.append(share * out[p])
                    continue
                frame[3] = (p, share)
                stack.append([p, None, [], None])
                break
            else:
                out[fid] = sum(terms)
                on_path[fid] -= 1
                stack.pop()
    return out


def check_sizes(model: Model) -> list[Problem]:
    """Problems of size (:mod:`gmsim.limits`) and of numbers too big to add up: the run grid, each
    delay's order, and the weights of each composite (an overflow would make each part count 0).
    """
    p: list[Problem] = []
    sim = model.simulation
    if all(_number(getattr(sim, name)) for name in ("start", "stop", "dt")):
        try:
            check_grid(sim.start, sim.stop, sim.dt)
        except LimitError as exc:
            p.append(Problem(("simulation", "dt"), str(exc)))
    for i, link in enumerate(model.links):
        if isinstance(link.order, int) and not isinstance(link.order, bool) and link.order >= 1:
            try:
                check("delay_order", link.order, "the delay's `order`")
            except LimitError as exc:
                p.append(Problem(("links", i, "order"), str(exc)))
    for f in model.composites:
        weights = [w for _, w in f.of]
        if weights and all(_number(w) and w > 0 for w in weights) and not _number(sum(weights)):
            parts = ", ".join(part for part, _ in f.of)
            p.append(
                Problem(
                    ("factors", f.id, "of"),
                    f"the weights of {parts} add up to more than a number can hold (each part "
                    "would count 0); scale them down: only their ratios matter",
                )
            )
    return p


def check_primitives(model: Model, *, sound: bool = True) -> list[Problem]:
    """Problems of the primitives of ``model`` (empty when valid).

    ``sound``: the rest of the model is valid, so reference levels can be
    computed (to check what necessary conditions and balanced flows allow).
    """
    p: list[Problem] = []
    ids = model.factor_ids
    kinds = {f.id: f.kind for f in model.factors}
    sim = model.simulation
    for f in model.factors:
        key: tuple[str | int, ...] = ("factors", f.id)
        if f.reference is not None:
            if not _number(f.reference) or not 0.0 <= f.reference <= 1.0:
                p.append(Problem((*key, "reference"), f"must be in [0, 1], got {f.reference!r}"))
            elif f.kind == "endogenous" and model.solves_bias and f.reference in (0.0, 1.0):
                p.append(
                    Problem(
                        (*key, "reference"),
                        f"{f.reference:g} cannot be a resting level of the saturation curve; "
                        "use a value strictly between 0 and 1",
                    )
                )
        timed = (f.tau_rise, f.tau_fall)
        if f.kind != "endogenous":
            for name in ("tau_rise", "tau_fall", "decide_every"):
                if getattr(f, name) is not None:
                    p.append(Problem((*key, name), f"belongs to endogenous factors, not {f.kind} ones"))
            continue
        if f.decided:
            if any(t is not None for t in timed):
                p.append(
                    Problem((*key, "tau_rise"), "a decided factor has no adjustment time; remove it")
                )
            if not _number(f.decide_every) or f.decide_every <= 0:
                p.append(
                    Problem((*key, "decide_every"), f"must be a number > 0, got {f.decide_every!r}")
                )
            elif _number(sim.start) and _number(sim.stop) and sim.stop > sim.start:
                try:
                    n = (sim.stop - sim.start) / f.decide_every
                    what = f"the number of decisions of '{f.id}' in the run (`decide_every` {f.decide_every:g})"
                    check("events", n, what)
                except LimitError as exc:
                    p.append(Problem((*key, "decide_every"), str(exc)))
            if not _number(f.decide_offset) or f.decide_offset < 0:
                p.append(
                    Problem((*key, "decide_offset"), f"must be a number >= 0, got {f.decide_offset!r}")
                )
        elif any(t is not None for t in timed):
            for name, t in zip(("tau_rise", "tau_fall"), timed, strict=True):
                if t is None:
                    other = "tau_fall" if name == "tau_rise" else "tau_rise"
                    p.append(Problem((*key, name), f"missing: `{other}` needs `{name}` too"))
                elif not _number(t) or t <= 0:
                    p.append(Problem((*key, name), f"must be > 0 months, got {t!r}"))
    for i, link in enumerate(model.links):
        key = ("links", i)
        if link.kind not in ("link", "necessary"):
            p.append(
                Problem(
                    (*key, "kind"),
                    f"unknown link kind '{link.kind}'{did_you_mean(link.kind, ('link', 'necessary'))}; "
                    "expected link or necessary",
                )
            )
        elif link.kind == "necessary":
            if _number(link.weight) and not 0.0 < link.weight <= 1.0:
                p.append(
                    Problem(
                        (*key, "weight"),
                        f"a necessary link's weight must be in (0, 1], got {link.weight:g}",
                    )
                )
            if link.moderated_by:
                p.append(
                    Problem((*key, "moderated_by"), "a necessary link cannot be moderated; remove it")
                )
        for m, strength in link.moderated_by:
            if m not in kinds:
                p.append(
                    Problem((*key, "moderated_by", m), f"unknown factor '{m}'{did_you_mean(m, ids)}")
                )
            elif m == link.effect and kinds[m] == "endogenous" and model.factor(m).decided:
                p.append(
                    Problem(
                        (*key, "moderated_by", m),
                        f"'{m}' is decided periodically and cannot be its own cause; drop the moderator",
                    )
                )
            if not _number(strength) or not -1.0 <= strength <= 1.0:
                p.append(Problem((*key, "moderated_by", m), f"must be in [-1, 1], got {strength!r}"))
    p += _flow_problems(model, ids, kinds)
    p += check_sizes(model)
    p += check_checks(model.checks, ids, sim.start, math.inf)  # the horizon: checked at load
    if sound and not p and model.solves_bias:
        p += _reachable(model)
    return p


def _flow_problems(model: Model, ids, kinds) -> list[Problem]:
    p: list[Problem] = []
    names: set[str] = set()
    balanced: dict[str, str] = {}
    fed: set[str] = set()
    for i, f in enumerate(model.flows):
        key: tuple[str | int, ...] = ("flows", i)
        if f.name in names:
            p.append(Problem((*key, "name"), f"duplicate flow name '{f.name}'"))
        elif not f.name.isidentifier():
            p.append(Problem((*key, "name"), "flow names must be letters, digits and '_'"))
        names.add(f.name)
        if not f.stocks:
            p.append(
                Problem(
                    key, "a flow needs `into` (the stock it fills), `from` (the one it drains) or both"
                )
            )
        for end, stock in (("into", f.into), ("from", f.from_)):
            if stock is None:
                continue
            if stock not in kinds:
                p.append(Problem((*key, end), f"unknown factor '{stock}'{did_you_mean(stock, ids)}"))
            elif kinds[stock] != "stock":
                p.append(
                    Problem(
                        (*key, end),
                        f"'{stock}' is {kinds[stock]}, not a stock; flows fill and drain "
                        f'stocks: give it `kind = "stock"`',
                    )
                )
            else:
                fed.add(stock)
        if f.into is not None and f.into == f.from_:
            p.append(Problem((*key, "from"), "a flow cannot drain the stock it fills"))
        if not _number(f.rate) or f.rate < 0:
            p.append(Problem((*key, "rate"), f"must be a number >= 0 per time unit, got {f.rate!r}"))
        for field in ("times", "gap"):
            for fid in getattr(f, field):
                if fid not in kinds:
                    p.append(Problem((*key, field), f"unknown factor '{fid}'{did_you_mean(fid, ids)}"))
        stock = f.balanced_stock
        if stock is not None:
            if stock in balanced:
                p.append(
                    Problem(
                        (*key, "balance"),
                        f"'{stock}' is already balanced by flow '{balanced[stock]}'; at most one per stock",
                    )
                )
            balanced[stock] = f.name
    for s in model.stocks:
        if s.id not in fed:
            p.append(
                Problem(
                    ("factors", s.id, "kind"),
                    "a stock without flows never changes; add [[flows]] into or from it",
                )
            )
    return p


def _reachable(model: Model) -> list[Problem]:
    """A reference level a necessary condition cannot reach, and balances that cannot hold."""
    p: list[Problem] = []
    ref = reference_levels(model)
    attainable: dict[str, float] = {}
    for link in model.links:
        if link.kind == "necessary":
            n = attainable.get(link.effect, 1.0)
            attainable[link.effect] = n * (1.0 - link.weight + link.weight * ref[link.cause])
    for fid, n in attainable.items():
        if ref[fid] >= n:
            p.append(
                Problem(
                    (
                        "factors",
                        fid,
                        "reference" if model.factor(fid).reference is not None else "initial",
                    ),
                    f"{ref[fid]:g} cannot be reached: its necessary conditions allow at most {n:.4g} "
                    "at the reference levels; lower it or weaken the necessary links",
                )
            )
    for i, f in enumerate(model.flows):
        stock = f.balanced_stock
        if stock is None:
            continue
        direction = 1.0 if f.into == stock else -1.0
        rest = 0.0
        for g in model.flows:
            if g is f or stock not in g.stocks:
                continue
            value = g.rate * math.prod(ref[x] for x in g.times) * math.prod(1 - ref[x] for x in g.gap)
            rest += value if g.into == stock else -value
        unit = math.prod(ref[x] for x in f.times) * math.prod(1 - ref[x] for x in f.gap)
        if unit == 0.0 or -rest / (direction * unit) < 0:
            p.append(
                Problem(
                    ("flows", i, "balance"),
                    f"no rate >= 0 of '{f.name}' keeps '{stock}' at rest at its reference "
                    f"({ref[stock]:g}); check the other flows' rates or the references",
                )
            )
    return p
