"""XMILE equations as data: a tokenizer, a Pratt parser and the syntax tree it builds.

Nothing here evaluates anything: :func:`parse` turns equation text into small
frozen nodes (:class:`Num`, :class:`Var`, :class:`Call`, :class:`Unary`,
:class:`Binary`, :class:`Chain`, :class:`If`) that later stages resolve and
compile into numpy code. Operator precedence follows XMILE 1.0, section 3.3.1, from loosest to
tightest: ``OR``, ``AND``, ``= <>``, ``< <= > >=``, ``+ -``, ``* / MOD``,
unary ``+ - NOT``, and ``^`` (right-associative, so ``-2^2`` is ``-4`` and
``2^3^2`` is ``2^9``). ``{...}`` is a comment.

Three or more operands of one precedence (``a + b - c + d``, common in
generated models, thousands long) make one flat :class:`Chain`, not a tree
thousands deep, so no stage recurses once per term. What does nest
(parentheses, IF, calls, signs, ``^``) is refused beyond the limit
``expression_depth`` of :mod:`gmsim.limits`, with a message, before any
stage could run out of stack.

Examples
--------
>>> parse("-2^2")
Unary(op='-', operand=Binary(op='^', left=Num(value=2.0), right=Num(value=2.0)))
>>> parse('IF Time > 5 THEN "Room Temperature" ELSE 0 {comment}').cond
Binary(op='>', left=Var(name='Time', subscripts=None), right=Num(value=5.0))
>>> parse("SMTH1(x[A, *], 2)").args[0].subscripts
(Var(name='A', subscripts=None), Star())
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from gmsim.errors import EquationError
from gmsim.limits import LimitError, check, limit

__all__ = [
    "Binary",
    "Call",
    "Chain",
    "DimPosition",
    "EquationError",
    "If",
    "Node",
    "Num",
    "Range",
    "Star",
    "Token",
    "Unary",
    "Var",
    "names_in",
    "parse",
    "tokenize",
    "walk",
]


# -- the syntax tree ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    """A number."""

    value: float


@dataclass(frozen=True)
class Var:
    """A name, as written (quotes removed), with its subscripts when it has ``[...]``."""

    name: str
    subscripts: tuple[Node, ...] | None = None


@dataclass(frozen=True)
class Call:
    """A function call ``name(args)``; ``name`` as written."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary:
    """``-x``, ``+x`` or ``NOT x``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    """``left op right``; ``op`` is one of ``+ - * / ^ MOD = <> < <= > >= AND OR``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Chain:
    """``args[0] ops[0] args[1] ops[1] args[2] ...``, worked out left to right.

    Three or more operands joined by left-associative operators of one
    precedence (``a + b - c`` is ``(a + b) - c``); ``len(ops) == len(args) - 1``.
    Two operands make a :class:`Binary`.

    Examples
    --------
    >>> parse("a - b + 2").ops
    ('-', '+')
    """

    ops: tuple[str, ...]
    args: tuple[Node, ...]

    def steps(self) -> Iterator[tuple[str, Node]]:
        """Each operator with its right operand, in order (the first operand is ``args[0]``)."""
        return zip(self.ops, self.args[1:], strict=True)


@dataclass(frozen=True)
class If:
    """``IF cond THEN then ELSE otherwise``."""

    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Star:
    """``*`` in a subscript: every element of that dimension."""


@dataclass(frozen=True)
class Range:
    """``start:stop`` in a subscript (1-based, inclusive)."""

    start: Node
    stop: Node


@dataclass(frozen=True)
class DimPosition:
    """``@n`` in a subscript: the element of the n-th dimension of the variable being defined."""

    position: int


Node = Num | Var | Call | Unary | Binary | Chain | If | Star | Range | DimPosition


def _parts(node: Node) -> tuple[Node, ...]:
    match node:
        case Var(subscripts=subs) if subs:
            return subs
        case Call(args=args) | Chain(args=args):
            return args
        case Unary(operand=x):
            return (x,)
        case Binary(left=a, right=b) | Range(start=a, stop=b):
            return (a, b)
        case If(cond=c, then=a, otherwise=b):
            return (c, a, b)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents before children (depth first, left to right; no recursion).

    Examples
    --------
    >>> [type(n).__name__ for n in walk(parse("a + f(b)"))]
    ['Binary', 'Var', 'Call', 'Var']
    """
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(_parts(n)))


def names_in(node: Node) -> set[str]:
    """Names referred to in a tree (as written).

    >>> sorted(names_in(parse("a * SMTH1(b, c[d])")))
    ['a', 'b', 'c', 'd']
    """
    return {n.name for n in walk(node) if isinstance(n, Var)}


# -- tokens ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ``num``, ``name``, ``qname`` (quoted), ``op``, ``keyword`` or ``end``."""

    kind: str
    text: str
    position: int


KEYWORDS = frozenset({"IF", "THEN", "ELSE", "AND", "OR", "NOT", "MOD"})
_IDENT = r"[^\W\d]|\$"
_NAME = re.compile(rf"\.?(?:{_IDENT})(?:[\w$]*)(?:\.(?:{_IDENT})[\w$]*)*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATORS = (
    "<>",
    "<=",
    ">=",
    "==",
    "+",
    "-",
    "*",
    "/",
    "^",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "<",
    ">",
    ":",
)
_OPERATORS += ("@", "'", "!")


def tokenize(text: str) -> list[Token]:
    """Split an equation into tokens; comments ``{...}`` and whitespace are dropped.

    Examples
    --------
    >>> [(t.kind, t.text) for t in tokenize('"a b"*.5e1 {x} <> c.d')][::2]
    [('qname', 'a b'), ('num', '.5e1'), ('name', 'c.d')]
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "{":
            end = text.find("}", i)
            if end < 0:
                raise EquationError("a comment '{' is never closed with '}'", equation=text, position=i)
            i = end + 1
        elif c == '"':
            i = _quoted(text, i, tokens)
        elif m := _NUMBER.match(text, i):
            tokens.append(Token("num", m.group(), i))
            i = m.end()
        elif m := _NAME.match(text, i):
            word = m.group()
            kind = "keyword" if word.upper() in KEYWORDS else "name"
            tokens.append(Token(kind, word.upper() if kind == "keyword" else word, i))
            i = m.end()
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise EquationError(f"unexpected character {c!r}", equation=text, position=i)
            tokens.append(Token("op", op, i))
            i += len(op)
    tokens.append(Token("end", "", n))
    return tokens


def _quoted(text: str, start: int, tokens: list[Token]) -> int:
    out, i = [], start + 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
        elif c == '"':
            tokens.append(Token("qname", "".join(out), start))
            return i + 1
        else:
            out.append(c)
            i += 1
    raise EquationError("a quoted name is never closed with '\"'", equation=text, position=start)


# -- the parser ---------------------------------------------------------------------------------------
_BINARY = {
    "OR": 10,
    "AND": 20,
    "=": 30,
    "<>": 30,
    "<": 40,
    "<=": 40,
    ">": 40,
    ">=": 40,
    "+": 50,
    "-": 50,
    "*": 60,
    "/": 60,
    "MOD": 60,
    "^": 80,
}
_UNARY = 70
_WEIGHT = {"IF": 1, "(": 1, "[": 2}
"""Levels of ``expression_depth`` an IF, a call's arguments and a subscript count beyond the one of
each expression inside them: the later stages recurse a little deeper for them."""
_MISTAKES = {
    "==": "XMILE compares with a single '='",
    "!": "XMILE negates with NOT",
    "'": "array transposition (') is not supported; name the dimensions instead, e.g. A[DimB, DimA]",
}


def _joined(ops: list[str], args: list[Node]) -> Node:
    """The operands of one precedence parsed so far, as one node."""
    if not ops:
        return args[0]
    if len(ops) == 1:
        return Binary(ops[0], args[0], args[1])
    return Chain(tuple(ops), tuple(args))


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.deepest = limit("expression_depth")

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def fail(self, message: str, token: Token | None = None):
        token = token or self.token
        raise EquationError(message, equation=self.text, position=token.position)

    def take(self) -> Token:
        token = self.token
        self.i += 1
        return token

    def expect(self, text: str) -> Token:
        if self.token.text != text or self.token.kind not in ("op", "keyword"):
            found = self.token.text or "the end of the equation"
            self.fail(f"expected '{text}' but found '{found}'")
        return self.take()

    def expression(self, rbp: int = 0) -> Node:
        """The expression of operators binding tighter than ``rbp`` that starts here.

        Operands of one precedence are collected into one list (a :class:`Chain`);
        each nested sub-expression is one level of ``expression_depth``.
        """
        self.depth += 1
        if self.depth > self.deepest:
            try:
                check(
                    "expression_depth",
                    self.depth,
                    "the nesting of this equation (parentheses, IF, calls, signs and operators "
                    "inside one another)",
                )
            except LimitError as exc:
                raise EquationError(str(exc), equation=self.text, position=self.token.position) from None
        ops: list[str] = []
        args = [self.prefix()]
        level = 0
        while True:
            token = self.token
            if token.kind == "op" and token.text in _MISTAKES:
                self.fail(_MISTAKES[token.text])
            op = token.text if token.kind in ("op", "keyword") else None
            lbp = _BINARY.get(op, 0) if op else 0
            if lbp <= rbp:
                self.depth -= 1
                return _joined(ops, args)
            self.take()
            right = self.expression(lbp - 1 if op == "^" else lbp)
            if op == "^" or lbp != level:  # right-associative, or a looser operator: a new chain
                args, ops = [_joined(ops, args)], []
            if op == "^":
                args, level = [Binary(op, args[0], right)], 0
            else:
                ops.append(op)
                args.append(right)
                level = lbp

    def prefix(self) -> Node:
        token = self.take()
        if token.kind == "num":
            return Num(float(token.text))
        if token.kind == "qname":
            return self.name(token)
        if token.kind == "name":
            words = [token.text]
            while self.token.kind == "name":  # Vensim-style names with spaces: `EXPRESSION MACRO(x)`
                words.append(self.take().text)
            return self.name(Token("name", " ".join(words), token.position))
        if token.kind == "keyword" and token.text == "MOD" and self.token.text == "(":
            return self.name(Token("name", "MOD", token.position))  # the function form MOD(a, b)
        if token.kind == "keyword" and token.text == "IF":
            self.depth += _WEIGHT["IF"]
            cond = self.expression()
            self.expect("THEN")
            then = self.expression()
            self.expect("ELSE")
            otherwise = self.expression()
            self.depth -= _WEIGHT["IF"]
            return If(cond, then, otherwise)
        if (token.text in ("-", "+") and token.kind == "op") or token.text == "NOT":
            return Unary(token.text, self.expression(_UNARY))
        if token.text == "(" and token.kind == "op":
            inner = self.expression()
            self.expect(")")
            return inner
        if token.kind == "op" and token.text in _MISTAKES:
            self.fail(_MISTAKES[token.text], token)
        found = token.text or "the end of the equation"
        self.fail(f"expected a number, a name or '(' but found '{found}'", token)

    def name(self, token: Token) -> Node:
        if self.token.text == "(" and self.token.kind == "op":
            self.take()
            args: list[Node] = []
            self.depth += _WEIGHT["("]
            if self.token.text != ")":
                args.append(self.expression())
                while self.token.text == ",":
                    self.take()
                    args.append(self.expression())
            self.expect(")")
            self.depth -= _WEIGHT["("]
            return Call(token.text, tuple(args))
        if self.token.text == "[" and self.token.kind == "op":
            self.take()
            self.depth += _WEIGHT["["]
            subs = [self.subscript()]
            while self.token.text == ",":
                self.take()
                subs.append(self.subscript())
            self.expect("]")
            self.depth -= _WEIGHT["["]
            return Var(token.text, tuple(subs))
        return Var(token.text)

    def subscript(self) -> Node:
        if self.token.text == "*" and self.tokens[self.i + 1].text in (",", "]"):
            self.take()
            return Star()
        if self.token.text == "@":
            self.take()
            number = self.take()
            if number.kind != "num" or not number.text.isdigit() or int(number.text) < 1:
                self.fail("expected a dimension position such as @1 after '@'", number)
            return DimPosition(int(number.text))
        start = self.expression()
        if self.token.text == ":":
            self.take()
            return Range(start, self.expression())
        return start


def parse(text: str) -> Node:
    """Parse one XMILE equation into a syntax tree.

    Raises
    ------
    EquationError
        With the position of the first problem, e.g. an unclosed parenthesis.

    Examples
    --------
    >>> parse("a + b * c")
    Binary(op='+', left=Var(name='a', subscripts=None), right=Binary(op='*', left=Var(name='b', subscripts=None), right=Var(name='c', subscripts=None)))
    >>> parse("(a + ")
    Traceback (most recent call last):
    ...
    gmsim.errors.EquationError: expected a number, a name or '(' but found 'the end of the equation'
    """
    parser = _Parser(text)
    if parser.token.kind == "end":
        raise EquationError("the equation is empty", equation=text, position=0)
    node = parser.expression()
    if parser.token.kind != "end":
        parser.fail(f"unexpected '{parser.token.text}' after a complete expression")
    return node
