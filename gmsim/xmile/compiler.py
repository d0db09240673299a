"""Turn resolved equations into small Python closures over numpy values; no source is generated.

A compiled equation is either a float (it folded to a constant) or a function
``f(v, t)`` of the list of current values ``v`` (one entry per variable slot;
floats for a single run, arrays with one entry per run for a batch) and the
time ``t``. Every operator and builtin works on both, so one closure tree
serves one run or a thousand.

Examples
--------
>>> from gmsim.xmile.expr import Binary, Call, If, Num
>>> from gmsim.xmile.flat import Ref
>>> c = Compiler({"x": 0}, dt=0.25, start=0.0, stop=10.0)
>>> f = c.compile(If(Binary(">", Call("TIME", ()), Num(1)), Binary("*", Ref("x"), Call("DT", ())), Num(-1)))
>>> f([4.0], 0.5), f([4.0], 2.0)
(-1.0, 1.0)
>>> c.compile(Binary("+", Call("SAFEDIV", (Num(1), Num(0), Num(7))), Binary("^", Num(2), Num(3))))
15.0
"""

from __future__ import annotations

import functools
import math
import operator
from bisect import bisect_right
from collections.abc import Callable, Mapping

import numpy as np

import gmsim.xmile.builtins as bi
from gmsim.xmile.expr import Binary, Call, Chain, If, Num, Unary
from gmsim.xmile.flat import ActiveInitial, Delayed, Initial, Items, Lookup, Previous, Ref, Select

__all__ = ["Compiled", "Compiler", "History"]

Compiled = float | Callable


def _div(a, b):
    if isinstance(b, float) and b != 0.0:
        return a / b
    with np.errstate(all="ignore"):
        return np.true_divide(a, b)


def _pow(a, b):
    if isinstance(a, float) and isinstance(b, float) and (a > 0.0 or (a == 0.0 and b >= 0.0)):
        try:
            return a**b
        except OverflowError:
            return math.inf
    with np.errstate(all="ignore"):
        return np.power(np.float64(a) if isinstance(a, float) else a, b)


def _flag(x):
    return x + 0.0


_OPS: dict[str, Callable] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _div,
    "^": _pow,
    "=": lambda a, b: _flag(a == b),
    "<>": lambda a, b: _flag(a != b),
    "<": lambda a, b: _flag(a < b),
    "<=": lambda a, b: _flag(a <= b),
    ">": lambda a, b: _flag(a > b),
    ">=": lambda a, b: _flag(a >= b),
    "AND": lambda a, b: _flag((a != 0) & (b != 0)),
    "OR": lambda a, b: _flag((a != 0) | (b != 0)),
}


_NESTED = 8
"""Longest chain compiled into nested closures; a longer one is one loop."""


class History:
    """Past values of the inputs of DELAY and PREVIOUS, one row per evaluation time.

    Recording a time at or before the last one forgets everything from that
    time on first (a rejected or repeated step), so the history always follows
    the accepted trajectory. Reading between recorded times interpolates.
    """

    def __init__(self, n_inputs: int, batch: int, start: float, eps: float):
        self.times = np.empty(64)
        self.values = np.empty((64, n_inputs, batch))
        self.n = 0
        self.start = start
        self.eps = eps

    def record(self, t: float, values) -> None:
        n = self.n
        if n and t <= self.times[n - 1] + self.eps:
            n = int(np.searchsorted(self.times[:n], t - self.eps, side="left"))
        if n == len(self.times):
            self.times = np.concatenate([self.times, np.empty(n)])
            self.values = np.concatenate([self.values, np.empty_like(self.values)])
        self.times[n] = t
        for j, v in enumerate(values):
            self.values[n, j] = v
        self.n = n + 1

    def read(self, j: int, when, initial):
        """Input ``j`` at time ``when`` (a float, or one per run); ``initial`` before the start."""
        n = self.n
        if n == 0:
            return initial
        times = self.times[:n]
        if np.ndim(when) == 0:
            if when < self.start - self.eps:
                return initial
            i = bisect_right(times, when + self.eps) - 1  # times are few per lookup window
            if i < 0:
                return initial
            row = self.values[i, j]
            if i + 1 < n and when > times[i] + self.eps:
                w = (when - times[i]) / (times[i + 1] - times[i])
                row = row + w * (self.values[i + 1, j] - row)
            return row[0] if row.shape[0] == 1 else row
        i = np.clip(np.searchsorted(times, when + self.eps, side="right") - 1, 0, n - 1)
        nxt = np.minimum(i + 1, n - 1)
        cols = np.arange(self.values.shape[2])
        lo, hi = self.values[i, j, cols], self.values[nxt, j, cols]
        span = np.where(nxt > i, times[nxt] - times[i], 1.0)
        w = np.clip((when - times[i]) / span, 0.0, 1.0)
        return np.where(when < self.start - self.eps, initial, lo + w * (hi - lo))


class Compiler:
    """Compile resolved nodes for one mode: ``"run"`` (during the run) or ``"init"`` (at the start).

    Parameters
    ----------
    slots : mapping
        Variable name -> index in the value list ``v``.
    dt, start, stop : float
        The model's DT, STARTTIME and STOPTIME.
    pure : mapping
        The pure functions (:data:`~gmsim.xmile.builtins.PURE` or the Vensim variant).
    history : mapping, optional
        Variable name -> column of the :class:`History` kept at ``v[history_slot]``.
    """

    def __init__(
        self,
        slots: Mapping[str, int],
        *,
        dt: float,
        start: float,
        stop: float,
        pure: Mapping = bi.PURE,
        mode: str = "run",
        history: Mapping[str, int] | None = None,
        history_slot: int = -1,
    ):
        self.slots = slots
        self.dt, self.start, self.stop = dt, start, stop
        self.eps = 1e-9 * dt
        self.pure = pure
        self.mode = mode
        self.history = history or {}
        self.history_slot = history_slot

    def compile(self, node) -> Compiled:
        """A float when ``node`` is constant, else ``f(v, t)``."""
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    # -- leaves ------------------------------------------------------------------------------------
    def _num(self, node: Num) -> Compiled:
        return float(node.value)

    def _ref(self, node: Ref) -> Compiled:
        s = self.slots[node.name]
        return lambda v, t: v[s]

    # -- operators ---------------------------------------------------------------------------------------
    def _unary(self, node: Unary) -> Compiled:
        x = self.compile(node.operand)
        if node.op == "+":
            return x
        fn = operator.neg if node.op == "-" else (lambda a: _flag(a == 0))
        if isinstance(x, float):
            return float(fn(x))
        return lambda v, t: fn(x(v, t))

    def _binary(self, node: Binary) -> Compiled:
        return self._combine(node.op, self.compile(node.left), self.compile(node.right))

    def _operator(self, name: str) -> Callable:
        """The function of the binary operator ``name`` (MOD is the model's own, as a call)."""
        return self.pure["MOD"][2] if name == "MOD" else _OPS[name]

    def _combine(self, name: str, a: Compiled, b: Compiled) -> Compiled:
        """``a name b`` of two compiled operands."""
        op = self._operator(name)
        if isinstance(a, float) and isinstance(b, float):
            with np.errstate(all="ignore"):
                return float(op(a, b))
        if isinstance(a, float):
            return lambda v, t: op(a, b(v, t))
        if isinstance(b, float):
            if name == "*":
                return lambda v, t: a(v, t) * b
            if name == "/" and b != 0:
                return lambda v, t: a(v, t) / b
            return lambda v, t: op(a(v, t), b)
        if name == "+":
            return lambda v, t: a(v, t) + b(v, t)
        if name == "*":
            return lambda v, t: a(v, t) * b(v, t)
        if name == "-":
            return lambda v, t: a(v, t) - b(v, t)
        return lambda v, t: op(a(v, t), b(v, t))

    def _chain(self, node: Chain) -> Compiled:
        """Left to right, as nested :class:`Binary` nodes would be (same numbers).

        A short chain becomes those nested closures (the quickest to call); a
        long one, one loop, so that calling it does not recurse once per term.
        """
        parts = [self.compile(x) for x in node.args]
        if len(parts) <= _NESTED:
            acc = parts[0]
            for name, x in zip(node.ops, parts[1:], strict=True):
                acc = self._combine(name, acc, x)
            return acc
        ops = [self._operator(op) for op in node.ops]
        acc, k = parts[0], 1
        while k < len(parts) and isinstance(acc, float) and isinstance(parts[k], float):
            with np.errstate(all="ignore"):
                acc = float(ops[k - 1](acc, parts[k]))
            k += 1
        if k == len(parts):
            return acc
        first = self._fn(acc)
        steps = tuple((ops[j - 1], parts[j], isinstance(parts[j], float)) for j in range(k, len(parts)))

        def chain(v, t):
            value = first(v, t)
            for op, x, constant in steps:
                value = op(value, x if constant else x(v, t))
            return value

        return chain

    def _if(self, node: If) -> Compiled:
        c, a, b = (self._fn(self.compile(x)) for x in (node.cond, node.then, node.otherwise))

        def choose(v, t):
            cond = c(v, t)
            if isinstance(cond, np.ndarray) and cond.ndim:
                return np.where(cond != 0, a(v, t), b(v, t))
            return a(v, t) if cond != 0 else b(v, t)

        return choose

    @staticmethod
    def _fn(x: Compiled) -> Callable:
        return (lambda v, t: x) if isinstance(x, float) else x

    # -- calls ---------------------------------------------------------------------------------------------
    def _call(self, node: Call) -> Compiled:
        name = node.name
        if name == "TIME":
            return lambda v, t: t
        fixed = {
            "DT": self.dt,
            "STARTTIME": self.start,
            "STOPTIME": self.stop,
            "PI": math.pi,
            "INF": math.inf,
        }
        if name in fixed:
            return float(fixed[name])
        if node.args and isinstance(node.args[0], Items):
            return self._array(name, node.args[0])
        args = [self.compile(a) for a in node.args]
        if name in bi.INPUTS:
            return self._input(name, args)
        fn = self.pure[name][2]
        if all(isinstance(a, float) for a in args):
            with np.errstate(all="ignore"):
                return float(fn(*args))
        fns = [self._fn(a) for a in args]
        if len(fns) == 1:
            (f,) = fns
            return lambda v, t: fn(f(v, t))
        if len(fns) == 2:
            f, g = fns
            return lambda v, t: fn(f(v, t), g(v, t))
        return lambda v, t: fn(*[f(v, t) for f in fns])

    def _input(self, name: str, args: list[Compiled]) -> Compiled:
        dt, eps = self.dt, self.eps
        if all(isinstance(a, float) for a in args):
            if name == "STEP":
                height, at = args
                return lambda v, t: height if t >= at - eps else 0.0
            if name == "RAMP":
                slope, begin, end = (*args, math.inf)[:3]
                return lambda v, t: slope * min(max(t - begin, 0.0), max(end - begin, 0.0))
            return lambda v, t: bi.pulse(t, dt, *args)[()]
        fns = [self._fn(a) for a in args]
        if name == "STEP":
            return lambda v, t: bi.step(t, fns[0](v, t), fns[1](v, t), eps)
        if name == "RAMP":
            return lambda v, t: bi.ramp(t, *[f(v, t) for f in fns])
        return lambda v, t: bi.pulse(t, dt, *[f(v, t) for f in fns])

    def _array(self, name: str, items: Items) -> Compiled:
        n = len(items.items)
        if name == "SIZE":
            return float(n)
        fns = [self._fn(self.compile(x)) for x in items.items]
        reduce: Callable = {
            "SUM": sum,
            "MEAN": lambda xs: sum(xs) / n,
            "PROD": math.prod,
            "MIN": lambda xs: functools.reduce(np.minimum, xs),
            "MAX": lambda xs: functools.reduce(np.maximum, xs),
            "STDDEV": lambda xs: np.std(np.broadcast_arrays(*xs), axis=0)[()],
        }[name]
        return lambda v, t: reduce([f(v, t) for f in fns])

    # -- the rest ---------------------------------------------------------------------------------------
    def _lookup(self, node: Lookup) -> Compiled:
        table = bi.lookup(node.gf)
        x = self.compile(node.x)
        if isinstance(x, float):
            return float(table(x))
        return lambda v, t: table(x(v, t))

    def _select(self, node: Select) -> Compiled:
        fns = [self._fn(self.compile(x)) for x in node.items]
        index = self._fn(self.compile(node.index))
        n = len(fns)

        def select(v, t):
            i = index(v, t)
            if np.ndim(i) == 0:
                k = round(float(i)) - 1
                return fns[k](v, t) if 0 <= k < n else 0.0
            values = np.stack(np.broadcast_arrays(*[f(v, t) for f in fns]))
            k = np.rint(i).astype(int) - 1
            inside = (k >= 0) & (k < n)
            return np.where(inside, values[np.clip(k, 0, n - 1), np.arange(values.shape[1])], 0.0)

        return select

    def _delayed(self, node: Delayed) -> Compiled:
        initial = self._fn(self.compile(node.initial))
        if self.mode == "init":
            return initial
        j, h = self.history[node.input.name], self.history_slot
        delay = self._fn(self.compile(node.delay))
        return lambda v, t: v[h].read(j, t - delay(v, t), initial(v, t))

    def _previous(self, node: Previous) -> Compiled:
        initial = self._fn(self.compile(node.initial))
        if self.mode == "init":
            return initial
        j, h, dt = self.history[node.input.name], self.history_slot, self.dt
        return lambda v, t: v[h].read(j, t - dt, initial(v, t))

    def _initial(self, node: Initial) -> Compiled:
        if self.mode != "init":
            raise AssertionError("INIT values are computed once, at the start")
        return self.compile(node.input)

    def _activeinitial(self, node: ActiveInitial) -> Compiled:
        return self.compile(node.initial if self.mode == "init" else node.active)
