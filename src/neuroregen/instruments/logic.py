"""REDCap branching logic and calculations, parsed and evaluated without ``eval``.

Supported (the subset our instruments and imported dictionaries use):

- ``[field]`` (the stored value), ``[field(code)]`` (a checkbox option: "1" ticked, "0" not);
- numbers and quoted strings; ``+ - * / ^``; ``= <> != < <= > >=``; ``and or not``; parentheses;
- functions ``sum mean min max`` (ignore blanks), ``round roundup rounddown abs sqrt``,
  ``if(cond, a, b)``, ``datediff(d1, d2, unit)`` with unit ``y M d``,
  ``isblankormissingcode(x)``.

Blank semantics follow REDCap: arithmetic on a blank gives a blank; comparisons compare numbers
when both sides are numbers, otherwise text (so ``[x] = ''`` is true for a blank). A field with a
missing-data code is blank here.

>>> evaluate(parse("[a] + [b] * 2"), {"a": "1", "b": "3"})
7.0
>>> evaluate(parse("[sex] = '1' and [age] >= 3"), {"sex": "1", "age": "4"})
True
>>> evaluate(parse("sum([a], [b], [c])"), {"a": "2", "b": "", "c": "1"})
3.0
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

Value = Any  # float | str | bool | None
# numbers compare as numbers, anything else as text; never one with the other
_Comparable = TypeVar("_Comparable", float, str)


class LogicError(ValueError):
    """The expression cannot be parsed, or uses something this evaluator does not support."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+(?:\.\d+)?|\.\d+)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<field>\[[A-Za-z][A-Za-z0-9_]*(?:\([A-Za-z0-9_\-]+\))?\])
    | (?P<op><>|!=|<=|>=|=|<|>|\+|-|\*|/|\^|\(|\)|,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)

FUNCTIONS = {
    "sum",
    "mean",
    "min",
    "max",
    "round",
    "roundup",
    "rounddown",
    "abs",
    "sqrt",
    "if",
    "datediff",
    "isblankormissingcode",
}


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise LogicError(f"cannot read '{text[pos : pos + 12]}' at character {pos + 1}")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word":
            lowered = value.lower()
            if lowered in ("and", "or", "not"):
                kind, value = "op", lowered
            elif lowered in ("true", "false"):
                kind, value = "num", "1" if lowered == "true" else "0"
            else:
                value = lowered
        tokens.append((kind, value))
        # skip trailing whitespace so the loop ends cleanly
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


_BINARY = {
    "or": 1,
    "and": 2,
    "=": 3,
    "<>": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "^": 7,
}


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise LogicError("the expression ends too early")
        self.i += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token != ("op", value):
            raise LogicError(f"expected '{value}' but found '{token[1]}'")

    def expression(self, min_power: int = 0) -> tuple:
        left = self.prefix()
        while True:
            token = self.peek()
            if token is None or token[0] != "op" or token[1] not in _BINARY:
                return left
            power = _BINARY[token[1]]
            if power < min_power:
                return left
            self.take()
            right = self.expression(power + (0 if token[1] == "^" else 1))
            left = ("bin", token[1], left, right)

    def prefix(self) -> tuple:
        kind, value = self.take()
        if kind == "num":
            return ("num", float(value))
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "field":
            inner = value[1:-1]
            if "(" in inner:
                name, code = inner[:-1].split("(", 1)
                return ("checkbox", name.lower(), code)
            return ("field", inner.lower())
        if kind == "op" and value == "(":
            node = self.expression()
            self.expect(")")
            return node
        if kind == "op" and value == "-":
            return ("neg", self.expression(6))
        if kind == "op" and value == "not":
            return ("not", self.expression(3))
        if kind == "word":
            if value not in FUNCTIONS:
                raise LogicError(f"unknown function '{value}'")
            self.expect("(")
            args: list[tuple] = []
            if self.peek() != ("op", ")"):
                args.append(self.expression())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.expression())
            self.expect(")")
            return ("call", value, tuple(args))
        raise LogicError(f"unexpected '{value}'")


def parse(text: str) -> tuple:
    """Parse an expression into a small tree; raise :class:`LogicError` when it is not valid."""
    if not text or not text.strip():
        raise LogicError("the expression is empty")
    if re.search(r"\]\s*\[", text):
        raise LogicError("event-prefixed references ([event][field]) are not supported")
    parser = _Parser(tokenize(text))
    node = parser.expression()
    if parser.peek() is not None:
        raise LogicError(f"unexpected '{parser.peek()[1]}' after the end of the expression")  # type: ignore[index]
    return node


def fields_used(node: tuple) -> set[str]:
    """Names of the fields an expression reads."""
    kind = node[0]
    if kind in ("field", "checkbox"):
        return {node[1]}
    if kind == "bin":
        return fields_used(node[2]) | fields_used(node[3])
    if kind in ("neg", "not"):
        return fields_used(node[1])
    if kind == "call":
        found: set[str] = set()
        for arg in node[2]:
            found |= fields_used(arg)
        return found
    return set()


def _number(value: Value) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _truthy(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    number = _number(value)
    if number is not None:
        return number != 0
    return bool(value)


def _compare(op: str, left: Value, right: Value) -> bool:
    a, b = _number(left), _number(right)
    if a is None or b is None:  # text comparison; a blank is the empty string
        a_text = "" if left is None else str(left if not isinstance(left, float) else _fmt(left))
        b_text = (
            "" if right is None else str(right if not isinstance(right, float) else _fmt(right))
        )
        pairs = {"=": a_text == b_text, "<>": a_text != b_text, "!=": a_text != b_text}
        if op in pairs:
            return pairs[op]
        if a_text == "" or b_text == "":
            return False
        return _ordered(op, a_text, b_text)
    return _ordered(op, a, b)


def _ordered(op: str, a: _Comparable, b: _Comparable) -> bool:
    return {
        "=": a == b,
        "<>": a != b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


def _date(value: Value) -> dt.date | None:
    if not value:
        return None
    text = str(value)
    if text.lower() == "today":
        return dt.date.today()  # noqa: DTZ011 - REDCap's 'today' is the local calendar date
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def evaluate(node: tuple, values: Mapping[str, Any]) -> Value:
    """Evaluate a parsed expression over field values (str, or list of codes for checkboxes)."""
    return compile_node(node)(values)


Compiled = Callable[[Mapping[str, Any]], Value]
_COMPARISONS = frozenset({"=", "<>", "!=", "<", "<=", ">", ">="})


@functools.lru_cache(maxsize=4096)
def compile_node(node: tuple) -> Compiled:
    """A parsed expression as a function of the field values.

    This is the evaluator: each node becomes a closure once, so an expression used for
    thousands of forms (an import) is not walked as a tree again for each of them. Errors that
    depend on the values (a bad ``if`` or ``datediff`` in a branch not taken) are raised when
    that branch is evaluated, as REDCap would.
    """
    kind = node[0]
    if kind in ("num", "str"):
        constant = node[1]
        return lambda values: constant
    if kind == "field":
        return _field_value(node[1])
    if kind == "checkbox":
        name, code = node[1], node[2]
        return lambda values: "1" if code in (values.get(name) or []) else "0"
    if kind == "neg":
        inner = compile_node(node[1])

        def neg(values: Mapping[str, Any]) -> Value:
            number = _number(inner(values))
            return None if number is None else -number

        return neg
    if kind == "not":
        operand = compile_node(node[1])
        return lambda values: not _truthy(operand(values))
    if kind == "bin":
        return _binary(node[1], compile_node(node[2]), compile_node(node[3]))
    if kind == "call":
        return _function(node[1], node[2], tuple(compile_node(a) for a in node[2]))
    raise LogicError(f"unknown node {kind}")  # pragma: no cover


def _field_value(name: str) -> Compiled:
    return lambda values: _read_field(values.get(name))


def _read_field(value: Any) -> Value:
    """A field's stored value as ``[field]`` reads it (a checkbox: its codes, comma-joined)."""
    if isinstance(value, list | tuple | set):
        return ",".join(sorted(value))
    return "" if value is None else value


def _binary(op: str, left: Compiled, right: Compiled) -> Compiled:
    if op == "and":
        return lambda values: _truthy(left(values)) and _truthy(right(values))
    if op == "or":
        return lambda values: _truthy(left(values)) or _truthy(right(values))
    if op in _COMPARISONS:
        return lambda values: _compare(op, left(values), right(values))

    def arithmetic(values: Mapping[str, Any]) -> Value:
        a, b = _number(left(values)), _number(right(values))
        if a is None or b is None:
            return None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return None if b == 0 else a / b
        return a**b

    return arithmetic


def _function(name: str, nodes: tuple[tuple, ...], args: tuple[Compiled, ...]) -> Compiled:
    if name == "if":

        def choose(values: Mapping[str, Any]) -> Value:
            if len(args) != 3:
                raise LogicError("if() takes three arguments")
            return (args[1] if _truthy(args[0](values)) else args[2])(values)

        return choose
    general = lambda values: _call(name, [a(values) for a in args])  # noqa: E731
    if name == "sum" and nodes and all(n[0] == "field" for n in nodes):
        # A total over fields is what calculated scores are made of, evaluated for every form
        # an import brings: read the fields in one pass and convert each distinct text to a
        # number once. Same result as the general path, which a checkbox's list (not
        # hashable) still takes.
        names = [n[1] for n in nodes]

        def total(values: Mapping[str, Any]) -> Value:
            try:
                numbers = list(map(_field_number, map(values.get, names)))
            except TypeError:
                return general(values)
            present = [n for n in numbers if n is not None]
            return float(sum(present)) if present else None

        return total
    return general


@functools.lru_cache(maxsize=4096, typed=True)
def _field_number(value: Any) -> float | None:
    """``_number`` of a field's value as ``[field]`` reads it."""
    return _number(_read_field(value))


def _call(name: str, evaluated: list[Value]) -> Value:
    if name == "isblankormissingcode":
        return evaluated[0] in (None, "")
    if name == "datediff":
        if len(evaluated) < 3:
            raise LogicError("datediff() takes two dates and a unit")
        first, second = _date(evaluated[0]), _date(evaluated[1])
        if first is None or second is None:
            return None
        days = (second - first).days
        unit = str(evaluated[2])
        return {"d": days, "M": days / 30.44, "y": days / 365.2425}.get(unit, None)
    numbers = [_number(v) for v in evaluated]
    present = [n for n in numbers if n is not None]
    if name in ("sum", "mean", "min", "max"):
        if not present:
            return None
        if name == "sum":
            return float(sum(present))
        if name == "mean":
            return sum(present) / len(present)
        return float(min(present) if name == "min" else max(present))
    if not numbers or numbers[0] is None:
        return None
    x = numbers[0]
    places = int(numbers[1]) if len(numbers) > 1 and numbers[1] is not None else 0
    if name == "round":
        return float(round(x + (1e-9 if x >= 0 else -1e-9), places))
    if name == "roundup":
        return math.ceil(x * 10**places) / 10**places
    if name == "rounddown":
        return math.floor(x * 10**places) / 10**places
    if name == "abs":
        return abs(x)
    if name == "sqrt":
        return None if x < 0 else math.sqrt(x)
    raise LogicError(f"unknown function '{name}'")  # pragma: no cover


@functools.lru_cache(maxsize=4096)
def _compiled(text: str) -> Compiled:
    # The same few expressions are evaluated for every form of an instrument (imports run
    # them for thousands): parse and compile each once. Errors are not cached, so they are
    # raised again.
    return compile_node(parse(text))


def shown(branching: str, values: Mapping[str, Any]) -> bool:
    """True when a field with this branching logic is shown (no logic: always shown)."""
    if not branching or not branching.strip():
        return True
    return _truthy(_compiled(branching)(values))


def calculate(expression: str, values: Mapping[str, Any]) -> str:
    """A calc field's value as REDCap would store it: blank, or a number without trailing .0."""
    return _stored(_compiled(expression)(values))


def calculator(expression: str) -> Callable[[Mapping[str, Any]], str]:
    """:func:`calculate` of one expression, compiled once for many forms; an expression that
    cannot be read raises :class:`LogicError` each time it is used, as ``calculate`` does."""
    try:
        compiled = _compiled(expression)
    except LogicError as error:
        message = str(error)

        def unreadable(values: Mapping[str, Any]) -> str:
            raise LogicError(message)

        return unreadable
    return lambda values: _stored(compiled(values))


def _stored(result: Value) -> str:
    try:
        return _stored_text(result)
    except TypeError:  # not hashable (a value of an unexpected kind): converted afresh
        return _stored_text.__wrapped__(result)


@functools.lru_cache(maxsize=4096, typed=True)
def _stored_text(result: Value) -> str:
    # calculated totals repeat from form to form: each is formatted once
    if isinstance(result, bool):
        return "1" if result else "0"
    number = _number(result)
    if number is None or math.isnan(number) or math.isinf(number):
        return ""
    return _fmt(round(number, 6))
