"""XMILE variables of the v2 equation primitives of a factor model.

The saturation curve ``0.5 + u / (1 + ABS(2 * u) ^ p) ^ (1 / p)`` scaled by the
product of necessary conditions ``(1 - w + w * z)``; moderated links
``w * MAX(0, 1 + m * z) * cause``; asymmetric adjustment with ``IF``; stocks
with one net flow, the sum of their flows written out (each ``rate × levels ×
(1 − levels)``, its rate a named constant); and periodic decisions as a stock
``<x>_decision`` holding the last decision and the decided level ``x`` an aux
``IF <TIME is a decision time> THEN target ELSE held``, the stock's flow at a
decision step being ``(x − held) / DT``. Under Euler with the decision times on
the dt grid this is gmsim's exact jump.

Each link of the factor model is one chain of links in the file, so the
file's feedback loops are the model's, one for one: a cause that acts on a
stock through two of its flows (attractive content brings followers in and
keeps them from leaving) reaches the stock through its one net flow, and the
target reaches a decided level only through the level itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gmsim.factor.model import Factor, Link

__all__ = [
    "cause_term",
    "decided_variables",
    "decision_times",
    "necessary_factor",
    "saturation",
    "stock_variables",
]


def number(x: float) -> str:
    return repr(float(x))


def saturation(u: str, p: str) -> str:
    """``S_p(u)`` in XMILE."""
    return f"(0.5 + {u} / (1 + ABS(2 * {u}) ^ {p}) ^ (1 / {p}))"


def necessary_factor(w: str, z: str) -> str:
    """One necessary condition ``1 − w + w·z``."""
    return f"(1 - {w} + {w} * {z})"


def cause_term(link: Link, w: str, z: str, r) -> str:
    """An additive link's term ``w · [MAX(0, 1 + Σ m·moderator)] · z`` (``r``: the XMILE reference of a name)."""
    if not link.moderated_by:
        return f"{w} * {z}"
    mods = " + ".join(f"{number(m)} * {r(f)}" for f, m in link.moderated_by)
    return f"{w} * MAX(0, 1 + {mods}) * {z}"


def decision_times(f: Factor, start: float, stop: float) -> list[float]:
    """The decision times of ``f`` strictly inside ``(start, stop)``."""
    out, k = [], 0
    while (t := start + f.decide_offset + k * f.decide_every) < stop:
        if t > start:
            out.append(t)
        k += 1
    return out


def decision_test(times: list[float]) -> str:
    """``TIME = t1 OR TIME = t2 ...`` (``0 = 1`` when there is none)."""
    return " OR ".join(f"TIME = {number(t)}" for t in times) if times else "0 = 1"


def decided_variables(builder, f: Factor, acts, names, Variable, r) -> list:
    """A decided factor: the stock of its last decision, the decision flow, and its level (aux).

    ``acts`` are the scenario's holds and jumps of the factor, applied to the held
    stock; while a hold is on, the level is the held stock's, decisions or not.
    """
    level, flow, target, table_name = names
    g = f.group
    test = decision_test(decision_times(f, builder.model.simulation.start, builder.sim.stop))
    natural = f"IF {test} THEN ({r(f.id)} - {r(level)}) / DT ELSE 0"
    acts.fid = level  # the scenario acts on the held stock
    start = acts.stock_start(builder.initial(f.id))
    eqn = acts.stock_flow(natural, table_name)
    decided = f"IF {test} THEN {r(target)} ELSE {r(level)}"
    windows = [acts._window(fc, "TIME") for fc in acts.holds]
    if windows:
        held = " OR ".join(f"({w})" for w in windows) if all(windows) else "1 = 1"
        decided = f"IF {held} THEN {r(level)} ELSE ({decided})"
    doc = f"{f.label} as last decided; it changes only at the decision times."
    return [
        Variable("stock", level, number(start), doc, g, inflow=flow),
        Variable(
            "flow",
            flow,
            eqn,
            "The decision: at a decision time the held level becomes the decided level (the target).",
            g,
            builder.per_unit,
        ),
        Variable(
            "aux", f.id, decided, builder._about(f, "A level decided periodically, held in between."), g
        ),
    ]


def stock_variables(builder, f: Factor, Variable, r, acts, table) -> list:
    """A stock of the model: its level, one net flow with each of its flows written out, their rates."""
    fresh, g = builder.names.fresh, f.group
    system = builder.system
    net = fresh(f"{f.id}_net_flow")
    terms, lines, out = [], [], []
    for fi, flow in enumerate(system.model.flows):
        if f.id not in flow.stocks:
            continue
        rate = builder.flow_names.get(flow.name)
        if rate is None:  # a flow between two stocks has one rate
            rate = builder.flow_names[flow.name] = fresh(f"{flow.name}_rate")
            how = (
                "solved so the stock rests at its reference (balance)"
                if flow.balance
                else "from the model file"
            )
            value = float(builder.params.flow_rates[0, fi])
            doc = f"Rate of flow {flow.name}, {how}."
            out.append(Variable("aux", rate, number(value), doc, g, builder.per_unit))
        factors = [r(rate), *(r(x) for x in flow.times), *(f"(1 - {r(x)})" for x in flow.gap)]
        sign = "+" if flow.into == f.id else "-"
        terms.append(f"{sign} {' * '.join(factors)}")
        line = f"{sign} {flow.name}: rate × levels of {', '.join(flow.times) or 'nothing'}"
        line += f" × (1 − levels of {', '.join(flow.gap)})" if flow.gap else ""
        lines.append(line + (f" (paper section {flow.source})" if flow.source else ""))
    eqn = " ".join(terms).lstrip("+ ").strip()
    if eqn.startswith("- "):
        eqn = "-" + eqn[2:]
    role = "A stock in [0, 1], changed only by its flows."
    table, table_name = table
    start = acts.stock_start(builder.initial(f.id))
    eqn = acts.stock_flow(f"({eqn})" if acts else eqn, table_name)
    out.insert(0, Variable("stock", f.id, number(start), builder._about(f, role), g, inflow=net))
    doc = "\n".join([f"Inflows minus outflows of {f.label}, one term each:", *lines])
    out.insert(1, Variable("flow", net, eqn, doc, g, builder.per_unit))
    if table is not None:
        doc = f"The scenario's table of {f.label}, read one step ahead (flat beyond its ends)."
        out.append(Variable("aux", table_name, "TIME + DT", doc, g, table=table))
    return out
