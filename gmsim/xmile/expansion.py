"""Builtins with memory and macros, expanded into hidden stocks, flows and auxiliaries.

A mixin of the resolver (:mod:`gmsim.xmile.flatten`). ``SMTH1(x, 3)`` in the
equation of ``perceived`` becomes a hidden stock ``perceived~SMTH1`` with the
rate ``(x - perceived~SMTH1) / 3``; SMTH3/SMTHN chain stages of ``time / n``;
DELAY1/3/N are material delays (stocks whose outflow is ``stock / stage
time``); TREND and FORCST smooth their input; DELAY and PREVIOUS read the
history of their input; INIT holds a value from the start. Each call gets its
own helpers, named after the variable that calls it. A macro is expanded at
each call: its parameters bound to the arguments, its variables (stocks too)
copied as hidden helpers of the caller (XMILE 1.0, 4.8).
"""

from __future__ import annotations

from dataclasses import replace

from gmsim.limits import LIMITS, LimitError, check, limit
from gmsim.xmile.expr import Binary, Call, Num
from gmsim.xmile.flat import ActiveInitial, Delayed, FlatVariable, Initial, Previous, Ref
from gmsim.xmile.names import canonical, identifier
from gmsim.xmile.scope import Scope

__all__ = ["MACRO_DEPTH", "MACRO_SIZE", "Expansion"]

MACRO_DEPTH = 16
"""Most macros nested in one another (a macro calling a macro ... counts each)."""

MACRO_SIZE = LIMITS["macro_variables"].value
"""Most variables all macro calls of a file may expand into (a macro calling another twice, which
calls another twice, ... grows as a power: the bound stops a small file from filling memory); the
``macro_variables`` limit of :mod:`gmsim.limits`, which ``GMSIM_MAX_MACRO_VARIABLES`` raises."""


class Expansion:
    """Methods of the resolver that create hidden variables."""

    def helper(self, scope: Scope, tag: str) -> str:
        scope.counter[0] += 1
        return f"{scope.owner}~{tag}" + (f"#{scope.counter[0]}" if scope.counter[0] > 1 else "")

    def add_hidden(self, scope: Scope, name: str, kind: str, equation, **extra) -> Ref:
        self.hidden.append(
            FlatVariable(
                name=name,
                kind=kind,
                equation=equation,
                source=scope.source,
                hidden=True,
                line=scope.line,
                **extra,
            )
        )
        return Ref(name)

    def shared(self, node, scope: Scope, name: str) -> Ref | Num:
        """A value used several times: itself when simple, else a hidden auxiliary."""
        if isinstance(node, Ref | Num):
            return node
        return self.add_hidden(scope, name, "aux", node)

    def order(self, node, scope: Scope, fn: str) -> int:
        n = self.fold(node)
        if n is None or n != int(n) or n < 1:
            raise self.fail(scope, f"the order of {fn} must be a whole number >= 1 known before the run")
        try:
            check("delay_order", n, f"the order of {fn}")
        except LimitError as exc:
            raise self.fail(scope, str(exc)) from None
        return int(n)

    def stateful(self, fn: str, args: list, scope: Scope):
        if fn == "INIT":
            return self.add_hidden(scope, self.helper(scope, "INIT"), "aux", Initial(args[0]))
        if fn == "ACTIVE_INITIAL":
            return ActiveInitial(args[0], args[1])
        base = self.helper(scope, fn)
        if fn == "PREVIOUS":
            x = self.shared(args[0], scope, base + ".input")
            if isinstance(x, Num):
                return x
            initial = (
                args[1] if len(args) > 1 else self.add_hidden(scope, base + ".start", "aux", Initial(x))
            )
            return Previous(x, initial)
        if fn == "DELAY":
            x = self.shared(args[0], scope, base + ".input")
            if isinstance(x, Num):
                return x
            initial = (
                args[2] if len(args) > 2 else self.add_hidden(scope, base + ".start", "aux", Initial(x))
            )
            return Delayed(x, args[1], initial)
        x = self.shared(args[0], scope, base + ".input")
        time = self.shared(args[1], scope, base + ".time")
        if fn in ("TREND", "FORCST"):
            trend0 = (
                (args[3] if fn == "FORCST" else args[2])
                if len(args) > (3 if fn == "FORCST" else 2)
                else Num(0.0)
            )
            average = self.stock(
                scope,
                base + ".average",
                Binary("/", Binary("-", x, Ref(base + ".average")), time),
                Binary("/", x, Binary("+", Num(1.0), Binary("*", trend0, time))),
            )
            trend = Call("SAFEDIV", (Binary("-", x, average), Binary("*", average, time)))
            if fn == "TREND":
                return trend
            return Binary("*", x, Binary("+", Num(1.0), Binary("*", trend, args[2])))
        # smooths (SMTH1, SMTH3, SMTHN) and material delays (DELAY1, DELAY3, DELAYN): n stages
        fixed = {"SMTH1": 1, "SMTH3": 3, "DELAY1": 1, "DELAY3": 3}
        n = fixed.get(fn) or self.order(args[2], scope, fn)
        first_optional = 2 if fn in fixed else 3
        initial = args[first_optional] if len(args) > first_optional else x
        stage_time = (
            time
            if n == 1
            else self.shared(Binary("/", time, Num(float(n))), scope, base + ".stage_time")
        )
        names = [base] if n == 1 else [f"{base}.{k}" for k in range(1, n + 1)]
        value = x
        for name in names:
            if fn.startswith("SMTH"):  # each stage smooths the one before
                value = self.stock(
                    scope, name, Binary("/", Binary("-", value, Ref(name)), stage_time), initial
                )
            else:  # each stage passes on stock / stage time
                outflow = Binary("/", Ref(name), stage_time)
                self.stock(scope, name, Binary("-", value, outflow), Binary("*", initial, stage_time))
                value = outflow
        return value

    def stock(self, scope: Scope, name: str, rate, initial) -> Ref:
        self.add_hidden(scope, name + ".rate", "flow", rate)
        return self.add_hidden(scope, name, "stock", initial, inflows=(name + ".rate",))

    def macro(self, key: str, node: Call, scope: Scope):
        candidates = self.macros[key]
        n = len(node.args)
        fits = [
            m for m in candidates if sum(d is None for _, d in m.parameters) <= n <= len(m.parameters)
        ]
        if not fits:
            counts = sorted({len(m.parameters) for m in candidates})
            raise self.fail(scope, f"macro {candidates[0].name} takes {counts} argument(s), got {n}")
        m = fits[0]
        if key in scope.macros:
            raise self.fail(scope, f"macro {m.name} calls itself; recursive macros are not supported")
        if m.has_sim_specs:
            raise self.fail(
                scope, f"macro {m.name} has its own <sim_specs>; such macros are not supported"
            )
        if len(scope.macros) >= MACRO_DEPTH:
            chain = " -> ".join(self.macros[k][0].name for k in (*scope.macros, key))
            raise self.fail(
                scope,
                f"macros nest more than {MACRO_DEPTH} deep ({chain}); flatten the macros into "
                "fewer levels",
            )
        self.macro_size = getattr(self, "macro_size", 0) + len(m.variables) + len(m.parameters) + 1
        if self.macro_size > (most := limit("macro_variables")):
            raise self.fail(
                scope,
                f"macro {m.name}: the file's macro calls expand into more than {most:,} "
                "variables (the limit macro_variables); call macros fewer times, or write the "
                "repeated part as variables, or raise the limit with GMSIM_MAX_MACRO_VARIABLES=N",
            )
        base = self.helper(scope, identifier(m.name).upper())
        inner = Scope(
            None,
            scope.owner,
            m.equation,
            m.line,
            macros=(*scope.macros, key),
            counter=scope.counter,
            what=f"in macro {m.name}",
        )
        for i, (param, default) in enumerate(m.parameters):
            if i < n:
                value = self.scalar(self.resolve(node.args[i], scope), scope)
            else:
                value = self.scalar(self.resolve(self.parse(default, inner), inner), inner)
            inner.locals[canonical(param)] = self.shared(value, scope, f"{base}.{identifier(param)}")
        for v in m.variables:
            inner.local_names[canonical(v.name)] = f"{base}.{identifier(v.name)}"
        for v in m.variables:
            local = replace(
                inner, source=v.equation or "", line=v.line, what=f"{v.name} in macro {m.name}"
            )
            equation = self.resolve_equation(v.equation, local)
            name = inner.local_names[canonical(v.name)]
            if v.kind == "stock":
                flows = [
                    tuple(self.local_flow(f, inner, local) for f in fs) for fs in (v.inflows, v.outflows)
                ]
                self.add_hidden(local, name, "stock", equation, inflows=flows[0], outflows=flows[1])
            elif v.kind in ("flow", "aux"):
                self.add_hidden(local, name, "flow" if v.kind == "flow" else "aux", equation, gf=v.gf)
            else:
                raise self.fail(local, f"<{v.kind}> inside a macro is not supported")
        return self.resolve_equation(m.equation, inner)

    def local_flow(self, name: str, inner: Scope, scope: Scope) -> str:
        if canonical(name) not in inner.local_names:
            raise self.fail(scope, f"flow '{name}' is not a variable of the macro")
        return inner.local_names[canonical(name)]
