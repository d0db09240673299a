"""An imported stock-and-flow model compiled for the engine: :class:`XmileSystem`.

The states are the model's stocks and the hidden stocks of its smooths and
delays. Auxiliaries and flows are evaluated in one dependency order fixed at
compile time; those that cannot change during a run (constants and what
depends on constants alone, INIT values) are computed once per run when the
run starts. The derivative of a stock is the sum of its inflows minus its
outflows; a non-negative stock never loses more than it holds in one DT.

Everything works over a batch of runs at once: per-run numbers (a
``constant:<name>`` or ``initial:<stock>`` column of a batch) make every value
an array with one entry per run.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

import gmsim.xmile.builtins as bi
from gmsim.core.system import Forcing, Interventions, Params, System
from gmsim.errors import ModelError, ScenarioError, SimulationError, did_you_mean
from gmsim.xmile.compiler import Compiler, History
from gmsim.xmile.expr import Call
from gmsim.xmile.flat import Delayed, FlatVariable, Initial, Previous, Ref, children, refs
from gmsim.xmile.graph import causal_graph
from gmsim.xmile.names import canonical

__all__ = ["XmileParams", "XmileSystem"]

_TIME_CALLS = frozenset({"TIME", "STEP", "RAMP", "PULSE"})


@dataclass
class XmileParams(Params):
    """Numbers of a batch of runs of an imported model (rows = runs).

    ``constants`` holds the value of each ``constant:<name>`` parameter;
    ``initials`` an initial value per stock, NaN where the stock's own
    equation decides. ``run`` is filled when a run starts (values fixed for
    the run, and the history that DELAY and PREVIOUS read).
    """

    constants: np.ndarray | None = None
    initials: np.ndarray | None = None
    run: object = None


@dataclass
class _Run:
    values: list
    history: History | None
    observed: int = 0
    last: float = math.nan


class XmileSystem(System):
    """An imported XMILE model, compiled (see the module docstring).

    Examples
    --------
    >>> import gmsim
    >>> from gmsim.xmile import load_xmile_text
    >>> from gmsim.xmile.examples import TEACUP
    >>> system = load_xmile_text(TEACUP).compile()
    >>> system.state_names, system.parameter_names()[:2]
    (('Teacup_Temperature',), ('constant:Room_Temperature', 'constant:Characteristic_Time'))
    """

    bounds = None

    def __init__(self, model, interventions: Interventions | None = None):
        iv = interventions or Interventions()
        if iv.added_links:
            raise ScenarioError(
                f"model '{model.name}' is a stock-and-flow model: added links apply to factor models only"
            )
        self.model = model
        self.name = model.name
        self.simulation = model.simulation
        flat = model.variables
        self._vars = {v.name: v for v in flat}
        stocks = [v for v in flat if v.kind == "stock"]
        others = [v for v in flat if v.kind != "stock"]
        # stocks take the first slots, so a row of states fills them in one slice
        self._slots = {v.name: i for i, v in enumerate([*stocks, *others])}
        self._keys = {canonical(v.name): v.name for v in flat}
        self.state_names = tuple(v.name for v in stocks)
        self._stock_slots = list(range(len(stocks)))
        visible = [v for v in flat if not v.hidden]
        self.variable_names = tuple(v.name for v in visible)
        self._report = [self._slots[v.name] for v in visible]
        self._report_values = operator.itemgetter(*self._report, 0)  # a tuple even for one variable
        self.groups = {v.name: v.kind for v in visible}
        self.labels = {v.name: v.label or v.name for v in visible}
        self.units = {v.name: v.units for v in visible}
        dt, start = model.simulation.dt, model.simulation.start
        self.dt = dt
        self._hold_time = model.dialect == "vensim"

        self._constants = [v.name for v in visible if self._is_constant(v)]
        self._visible_stocks = [v.name for v in stocks if not v.hidden]
        self.interventions = self._rename(iv)
        forced = {f.variable for f in self.interventions.forcings} - set(self.state_names)

        # what DELAY and PREVIOUS read from the past
        tracked = sorted(
            {n.input.name for v in flat for n in _nodes(v.equation) if isinstance(n, Delayed | Previous)}
        )
        self._history = {name: j for j, name in enumerate(tracked)}
        self._tracked = [self._slots[name] for name in tracked]
        self._h = len(flat)
        options = {"dt": dt, "start": start, "stop": model.simulation.stop, "pure": model.pure_functions}
        options.update(history=self._history, history_slot=self._h)
        run = Compiler(self._slots, mode="run", **options)
        init = Compiler(self._slots, mode="init", **options)

        # values fixed for a run live after the variables: the history, then each constant and
        # each stock's initial value (None when its equation decides), so closures read them by index
        n, nc = len(flat), len(self._constants)
        self._shadow = {name: n + 1 + j for j, name in enumerate(self._constants)}
        self._shadow.update({name: n + 1 + nc + k for k, name in enumerate(self._visible_stocks)})
        self._size = n + 1 + nc + len(self._visible_stocks)
        self._const_values = [self._constant_value(self._vars[name], init) for name in self._constants]
        self.graph = causal_graph(flat, dict(zip(self._constants, self._const_values, strict=True)))
        dynamic = self._dynamic(flat, forced)
        run_order = [x for x in self._order(flat, "run") if x in dynamic and x not in self.state_names]
        self._init_fns = [
            (self._slots[x], self._closure(self._vars[x], init, forced))
            for x in self._order(flat, "init")
        ]
        self._run_fns = [(self._slots[x], self._closure(self._vars[x], run, forced)) for x in run_order]
        self._run_compiler, self._forced, self._dynamic_names = run, forced, set(run_order)
        self._gains: dict | None = None
        self._rates = [
            _rate(
                [self._slots[f] for f in v.inflows],
                [self._slots[f] for f in v.outflows],
                v.non_negative,
                i,
                dt,
            )
            for i, v in enumerate(stocks)
        ]
        self.uses_dt = any(v.non_negative for v in stocks) or any(
            isinstance(n, Previous) or (isinstance(n, Call) and n.name in ("DT", "PULSE"))
            for v in flat
            for n in _nodes(v.equation)
        )

    # -- names -----------------------------------------------------------------------------------------
    def _name(self, name: str, choices: Sequence[str], what: str) -> str:
        found = self._keys.get(canonical(name))
        if found is None or found not in choices:
            raise ScenarioError(
                f"'{name}' is not {what} of model '{self.name}'{did_you_mean(name, choices)}"
            )
        return found

    def _rename(self, iv: Interventions) -> Interventions:
        """Interventions with every name spelled as the model spells it (names are case-insensitive)."""
        forcings = tuple(
            dataclasses.replace(f, variable=self._name(f.variable, self.variable_names, "a variable"))
            for f in iv.forcings
        )
        events = tuple(
            dataclasses.replace(e, variable=self._name(e.variable, self._visible_stocks, "a stock"))
            for e in iv.events
        )
        overrides = {self._parameter(k): v for k, v in iv.overrides.items()}
        return Interventions(overrides=overrides, forcings=forcings, events=events)

    def _parameter(self, name: str) -> str:
        kind, _, target = name.partition(":")
        kind = kind.strip().lower()
        table = {"constant": self._constants, "initial": self._visible_stocks}
        found = self._keys.get(canonical(target))
        if kind not in table or found not in table[kind]:
            raise ModelError(
                f"unknown parameter '{name}'{did_you_mean(name, self.parameter_names())}; parameters of "
                "an imported model are named constant:<auxiliary> and initial:<stock>"
            )
        return f"{kind}:{found}"

    # -- compile -----------------------------------------------------------------------------------------
    def _is_constant(self, v: FlatVariable) -> bool:
        if v.kind == "stock" or v.gf is not None:
            return False
        return all(
            not isinstance(n, Ref | Delayed | Previous | Initial)
            and not (isinstance(n, Call) and (n.name in _TIME_CALLS or n.name in bi.STATEFUL))
            for n in _nodes(v.equation)
        )

    def _constant_value(self, v: FlatVariable, compiler: Compiler) -> float:
        value = compiler.compile(v.equation)
        value = value if isinstance(value, float) else float(value([], self.simulation.start))
        return max(value, 0.0) if v.non_negative else value

    def _deps(self, v: FlatVariable, mode: str) -> set[str]:
        if mode == "run" and v.kind == "stock":
            return set()
        return refs(v.equation, mode=mode)

    def _order(self, flat, mode: str) -> list[str]:
        g = nx.DiGraph()
        g.add_nodes_from(v.name for v in flat)
        for v in flat:
            for r in self._deps(v, mode):
                if not (mode == "run" and self._vars[r].kind == "stock"):
                    g.add_edge(r, v.name)
        try:
            return list(nx.lexicographical_topological_sort(g, key=self._slots.__getitem__))
        except nx.NetworkXUnfeasible:
            cycle = [a for a, _ in nx.find_cycle(g)]
            shown = " -> ".join(
                self._vars[c].label or c for c in [*cycle, cycle[0]] if not self._vars[c].hidden
            )
            what = "initial values" if mode == "init" else "equations"
            raise ModelError(
                f"{self.model.path or self.name}: circular {what}: {shown or ' -> '.join(cycle)}; a loop "
                "needs a stock (or a delay) somewhere to be computable"
            ) from None

    def _dynamic(self, flat, forced: set[str]) -> set[str]:
        """Variables whose value can change during a run."""
        dynamic = set(self.state_names) | forced
        for name in self._order(flat, "run"):
            v = self._vars[name]
            if name in dynamic or any(
                isinstance(n, Delayed | Previous) or (isinstance(n, Call) and n.name in _TIME_CALLS)
                for n in _nodes(v.equation, skip_initial=True)
            ):
                dynamic.add(name)
            elif v.kind != "stock" and any(r in dynamic for r in refs(v.equation, mode="run")):
                dynamic.add(name)
        return dynamic

    def _closure(self, v: FlatVariable, compiler: Compiler, forced: set[str]):
        if v.name in self._shadow and v.kind != "stock":  # a constant: its value for this run
            s = self._shadow[v.name]
            fn = lambda vals, t: vals[s]  # noqa: E731
        else:
            fn = compiler._fn(compiler.compile(v.equation))
        if v.name in self._shadow and v.kind == "stock":  # an initial value the run may override
            fn = _overridable(self._shadow[v.name], fn)
        if v.gf is not None:
            table, inner = bi.lookup(v.gf), fn
            fn = lambda vals, t: table(inner(vals, t))  # noqa: E731
        if v.non_negative and v.kind != "stock":
            fn = _at_least_zero(fn)
        if v.name in forced:
            for f in self.interventions.forcings:
                if f.variable == v.name:
                    fn = _forced(f, fn)
        return fn

    # -- parameters ---------------------------------------------------------------------------------------
    def parameter_names(self) -> tuple[str, ...]:
        """``constant:<auxiliary>`` for constant auxiliaries and flows, ``initial:<stock>`` for stocks."""
        return (
            *(f"constant:{n}" for n in self._constants),
            *(f"initial:{n}" for n in self._visible_stocks),
        )

    def parameter_values(self) -> dict[str, float]:
        """Each parameter's value in this model (overrides applied); a stock's initial value as computed.

        Examples
        --------
        >>> from gmsim.xmile import load_xmile_text
        >>> from gmsim.xmile.examples import TEACUP
        >>> load_xmile_text(TEACUP).compile().parameter_values()["initial:Teacup_Temperature"]
        180.0
        """
        params = self.parameters()
        run = self._start(params)
        out = {f"constant:{n}": float(params.constants[0, j]) for j, n in enumerate(self._constants)}
        for name in self._visible_stocks:
            out[f"initial:{name}"] = float(np.asarray(run.values[self._slots[name]]).reshape(-1)[0])
        return out

    def parameters(self, batch: Mapping[str, Sequence[float] | np.ndarray] | None = None) -> XmileParams:
        """Numbers for one run, or one run per row of ``batch`` (parameter name -> values).

        Examples
        --------
        >>> from gmsim.xmile import load_xmile_text
        >>> from gmsim.xmile.examples import TEACUP
        >>> p = load_xmile_text(TEACUP).compile().parameters({"constant:characteristic time": [5, 10, 20]})
        >>> p.batch, p.constants[:, 1].tolist()
        (3, [5.0, 10.0, 20.0])
        """
        batch = dict(batch or {})
        sizes = {len(np.atleast_1d(v)) for v in batch.values()}
        if len(sizes) > 1:
            raise ModelError(f"batch columns differ in length: {sorted(sizes)}")
        B = sizes.pop() if sizes else 1
        constants = np.tile(np.asarray(self._const_values, dtype=float), (B, 1))
        initials = np.full((B, len(self._visible_stocks)), np.nan)
        for source in (batch, self.interventions.overrides):
            for name, values in source.items():
                kind, _, target = self._parameter(name).partition(":")
                values = np.asarray(values, dtype=float)
                if kind == "constant":
                    constants[:, self._constants.index(target)] = values
                else:
                    initials[:, self._visible_stocks.index(target)] = values
        return XmileParams(
            batch=B,
            forcings=self.interventions.forcings,
            events=self.interventions.events,
            constants=constants,
            initials=initials,
        )

    # -- the run -------------------------------------------------------------------------------------------
    def _start(self, params: XmileParams) -> _Run:
        """Initialise: every variable at the start, in initial-value order."""
        B = params.batch
        t0 = self.simulation.start
        v: list = [0.0] * self._size
        for j, name in enumerate(self._constants):
            v[self._shadow[name]] = float(params.constants[0, j]) if B == 1 else params.constants[:, j]
        for k, name in enumerate(self._visible_stocks):
            column = params.initials[:, k]
            v[self._shadow[name]] = (
                None if np.isnan(column).all() else float(column[0]) if B == 1 else column
            )
        with np.errstate(all="ignore"):
            for slot, fn in self._init_fns:
                v[slot] = fn(v, t0)
        history = None
        if self._tracked:
            history = History(len(self._tracked), B, t0, 1e-9 * self.dt)
            history.record(t0, [v[s] for s in self._tracked])
        v[self._h] = history
        run = _Run(values=v, history=history)
        params.run = run
        return run

    def _run(self, params: XmileParams) -> _Run:
        return params.run if isinstance(params.run, _Run) else self._start(params)

    def _evaluate(self, t: float, y: np.ndarray, params: XmileParams, run: _Run) -> list:
        v = run.values.copy()
        n = len(self._stock_slots)
        if params.batch == 1:
            v[:n] = y[0].tolist()
        else:
            for i in range(n):
                v[i] = y[:, i]
        if params.forcings:
            for i, value in self.held(t, params):
                v[i] = value
        now = t
        if self._hold_time and run.last <= t <= run.last + self.dt * (1 + 1e-9):
            now = run.last  # Vensim holds TIME and test inputs over a Runge-Kutta step
        if params.batch == 1:  # floats: the operators themselves keep quiet where numpy would warn
            for s, fn in self._run_fns:
                v[s] = fn(v, now)
        else:
            with np.errstate(all="ignore"):
                for s, fn in self._run_fns:
                    v[s] = fn(v, now)
        if run.history is not None and now == t:
            run.history.record(t, [v[s] for s in self._tracked])
        return v

    def initial_state(self, params: XmileParams) -> np.ndarray:
        """Stocks at the start, shape ``(batch, n_states)``; also starts the run's history."""
        run = self._start(params)
        return _rows(run.values[: len(self._stock_slots)], params.batch)

    def rhs(self, t: float, y: np.ndarray, params: XmileParams) -> np.ndarray:
        """Inflows minus outflows of every stock, for every run at once."""
        v = self._evaluate(t, y, params, self._run(params))
        dy = _rows([rate(v) for rate in self._rates], params.batch)
        if params.forcings:
            for i, _ in self.held(t, params):
                dy[:, i] = 0.0
        return dy

    def observe(self, t: float, y: np.ndarray, params: XmileParams) -> np.ndarray:
        """Every reported variable (stocks, flows, auxiliaries), shape ``(batch, n_variables)``."""
        run = self._run(params)
        self._check_step(t, run)
        v = self._evaluate(t, y, params, run)
        return _rows(self._report_values(v)[:-1], params.batch)

    def link_gains(self, t: float, y: np.ndarray, params: XmileParams) -> dict[tuple[str, str], float]:
        """``∂effect/∂cause`` of every edge of :attr:`graph` at state ``y`` (for loop dominance).

        For an auxiliary or flow, the change of its value when only the cause
        moves (hidden helpers recomputed, other variables held); for a stock,
        the change of its net flow. Central differences of the compiled
        equations, so graphical functions and non-negative limits count.

        Raises
        ------
        SimulationError
            If a link passes through the hidden stock of a smooth or delay builtin
            (its effect arrives only through that stock; score such models in Stella).
        """
        if self._gains is None:
            self._gains = self._gain_plans()
        v = self._evaluate(t, y, params, self._run(params))
        out = {}
        for (cause, effect), (steps, result) in self._gains.items():
            x = v[self._slots[cause]]
            h = 1e-6 * max(1.0, float(np.max(np.abs(x))))
            sides = []
            for sign in (1.0, -1.0):
                w = list(v)
                w[self._slots[cause]] = x + sign * h
                for s, fn in steps:
                    w[s] = fn(w, t)
                sides.append(result(w))
            out[(cause, effect)] = (sides[0] - sides[1]) / (2 * h)
        return out

    def _gain_plans(self) -> dict:
        """For each edge: what to recompute after nudging the cause (hidden helpers, then the effect)."""
        hidden_flow = {v.name for v in self.model.variables if v.hidden and v.kind != "stock"}
        plans = {}
        for cause, effect in self.graph.edges:
            v = self._vars[effect]
            if v.kind == "stock":
                plans[(cause, effect)] = ([], self._rates[self.state_names.index(effect)])
                continue
            between, stack = set(), list(refs(v.equation, mode="run"))
            while stack:
                name = stack.pop()
                if name in between or name == cause:
                    continue
                helper = self._vars[name]
                if helper.hidden and helper.kind == "stock" and cause in _upstream(helper, self._vars):
                    raise SimulationError(
                        f"the link '{cause}' -> '{effect}' of '{self.name}' passes through the stock of "
                        "a smooth or delay builtin, which loop dominance cannot score yet"
                    )
                if name in hidden_flow and name in self._dynamic_names:
                    between.add(name)
                    stack.extend(refs(helper.equation, mode="run"))
            order = [n for n in self._order(self.model.variables, "run") if n in between]
            steps = [
                (self._slots[n], self._closure(self._vars[n], self._run_compiler, self._forced))
                for n in order
            ]
            steps.append((self._slots[effect], self._closure(v, self._run_compiler, self._forced)))
            plans[(cause, effect)] = (steps, operator.itemgetter(self._slots[effect]))
        return plans

    def _check_step(self, t: float, run: _Run) -> None:
        """The model's DT is part of its equations: refuse runs that step otherwise."""
        run.observed += 1
        first = run.observed == 1
        if first and abs(t - self.simulation.start) > 1e-9 * self.dt and self._start_matters():
            raise SimulationError(
                f"'{self.name}' starts at {self.simulation.start:g} and its initial values depend on "
                f"TIME; run it from there, or load it with another start (model.with_simulation(start=...))"
            )
        step = t - run.last
        run.last = t
        if run.observed == 2 and self.uses_dt and step > self.dt * (1 + 1e-6):
            raise SimulationError(
                f"'{self.name}' uses DT in its equations (PULSE, PREVIOUS, DT or non-negative stocks) and "
                f"its DT is {self.dt:g}; a run saving every {step:g} would change what they mean. Run it "
                "at its own dt, or use model.with_simulation(dt=...)"
            )

    def _start_matters(self) -> bool:
        return any(
            isinstance(n, Call) and n.name in ("TIME", "STEP", "RAMP", "PULSE")
            for v in self.model.variables
            for n in _nodes(v.equation)
        )


def _rows(values, batch: int) -> np.ndarray:
    """Values (floats, or arrays with one entry per run) as an array of shape ``(batch, len(values))``."""
    if batch == 1:
        try:
            return np.array(values, dtype=float).reshape(1, -1)
        except (ValueError, TypeError):  # per-run arrays of length 1 among floats
            pass
    out = np.empty((batch, len(values)))
    for j, value in enumerate(values):
        out[:, j] = value
    return out


def _rate(ins: list[int], outs: list[int], non_negative: bool, i: int, dt: float):
    """The net flow into stock ``i`` (slot ``i``) from the values ``v``; a non-negative stock keeps >= 0."""
    if len(ins) == 1 and not outs:
        (a,) = ins
        net = lambda v: v[a]  # noqa: E731
    elif len(ins) == 1 and len(outs) == 1:
        a, b = ins[0], outs[0]
        net = lambda v: v[a] - v[b]  # noqa: E731
    elif not ins and len(outs) == 1:
        (b,) = outs
        net = lambda v: -v[b]  # noqa: E731
    else:
        net = lambda v: sum([v[s] for s in ins]) - sum([v[s] for s in outs])  # noqa: E731
    if not non_negative:
        return net

    def floored(v):
        change, level = net(v), v[i]
        if isinstance(change, float) and isinstance(level, float):
            return max(change, -max(level, 0.0) / dt)
        return np.maximum(change, -np.maximum(level, 0.0) / dt)

    return floored


def _upstream(v: FlatVariable, variables: Mapping[str, FlatVariable]) -> set[str]:
    """Every variable a hidden stock's inflows and outflows depend on (through hidden helpers)."""
    seen: set[str] = set()
    stack = [*v.inflows, *v.outflows]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if variables[name].hidden:
            stack.extend(refs(variables[name].equation, mode="run"))
    return seen


def _at_least_zero(fn):
    def uniflow(vals, t):
        x = fn(vals, t)
        if isinstance(x, float):
            return 0.0 if x < 0.0 else x
        return np.maximum(x, 0.0)

    return uniflow


def _overridable(shadow: int, fn):
    def initial(vals, t):
        value = vals[shadow]
        if value is None:
            return fn(vals, t)
        if isinstance(value, np.ndarray) and np.isnan(value).any():
            return np.where(np.isnan(value), fn(vals, t), value)
        return value

    return initial


def _forced(forcing: Forcing, fn):
    path = forcing.path
    return lambda vals, t: path.value(t) if forcing.active(t) else fn(vals, t)


def _nodes(node, *, skip_initial: bool = False):
    """Every node of a resolved tree (``skip_initial``: not inside INIT)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if skip_initial and isinstance(n, Initial):
            continue
        yield n
        stack.extend(children(n))
