"""REDCap branching logic and calculations: parsed with a grammar, evaluated without ``eval``.

The language is REDCap's:

- ``[field]`` (the stored value), ``[field(code)]`` (a checkbox option: "1" ticked, "0" not),
  ``[field:value]``, ``[field:label]``, ``[field:checked]`` / ``[field:unchecked]``;
  ``[event_name][field]`` and ``[field][instance]`` (a field of another event or instance);
- smart variables (``[event-name]``, ``[record-name]``, ``[user-name]``, ``[arm-number]`` …),
  alone or as an event prefix (``[previous-event-name][weight]``);
- numbers, quoted strings, ``true``/``false``; ``+ - * / ^``; ``= <> != < <= > >=``;
  ``and or not``; parentheses;
- every function of REDCap's special-functions list (:data:`FUNCTIONS`).

Blank semantics follow REDCap: arithmetic on a blank gives a blank; comparisons compare numbers
when both sides are numbers, otherwise text (so ``[x] = ''`` is true for a blank); aggregate
functions ignore blanks. A field with a missing-data code is blank here.

What depends on something a form alone does not know (the record's name, the user, another
event or instance) is read from the ``context`` the caller gives, keyed by the text inside the
brackets (``{"event-name": "baseline", "user-name": "alice"}``); without it, evaluation raises
:class:`NotEvaluated`, a :class:`LogicError` ("not evaluated here").

>>> evaluate(parse("[a] + [b] * 2"), {"a": "1", "b": "3"})
7.0
>>> evaluate(parse("[sex] = '1' and [age] >= 3"), {"sex": "1", "age": "4"})
True
>>> evaluate(parse("sum([a], [b], [c])"), {"a": "2", "b": "", "c": "1"})
3.0
>>> evaluate(parse("[baseline_arm_1][age] > 3"), {"age": "4"}, {"event-name": "baseline_arm_1"})
True
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import statistics
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

Value = Any  # float | str | bool | None
# numbers compare as numbers, anything else as text; never one with the other
_Comparable = TypeVar("_Comparable", float, str)


class LogicError(ValueError):
    """The expression cannot be parsed, or uses something this evaluator does not support."""


class NotEvaluated(LogicError):
    """The expression is valid REDCap but refers to something not known here (another event,
    the user, another project …)."""


GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr
        | or_expr _OR and_expr                   -> or_
?and_expr: not_expr
         | and_expr _AND not_expr                -> and_
?not_expr: comparison
         | _NOT not_expr                         -> not_
?comparison: sum
           | sum compare_op sum                  -> compare
?sum: product
    | sum add_op product                         -> arith
?product: unary
        | product mul_op unary                   -> arith
?unary: power
      | "-" unary                                -> neg
      | "+" unary
?power: atom
      | atom "^" unary                           -> power
?atom: NUMBER                                    -> number
     | STRING                                    -> string
     | _TRUE                                     -> true
     | _FALSE                                    -> false
     | REFERENCE+                                -> reference
     | NAME "(" [or_expr ("," or_expr)*] ")"     -> call
     | "(" or_expr ")"

!compare_op: "<>" | "!=" | "<=" | ">=" | "==" | "=" | "<" | ">"
!add_op: "+" | "-"
!mul_op: "*" | "/"

REFERENCE: /\[[^\[\]]*\]/
NUMBER: /\d+(\.\d+)?|\.\d+/
STRING: /'[^']*'|"[^"]*"/
_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
_TRUE.2: /true\b/i
_FALSE.2: /false\b/i
NAME: /[A-Za-z_][A-Za-z0-9_]*/

%ignore /\s+/
"""

# REDCap's special functions, with how many arguments each takes (None: any number).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "if": (3, 3),
    "datediff": (2, 5),
    "round": (1, 2),
    "roundup": (1, 2),
    "rounddown": (1, 2),
    "sqrt": (1, 1),
    "abs": (1, 1),
    "exponential": (1, 1),
    "log": (1, 2),
    "min": (1, None),
    "max": (1, None),
    "mean": (1, None),
    "median": (1, None),
    "sum": (1, None),
    "stdev": (1, None),
    "mod": (2, 2),
    "isnumber": (1, 1),
    "isinteger": (1, 1),
    "isblankormissingcode": (1, 1),
    "contains": (2, 2),
    "not_contain": (2, 2),
    "starts_with": (2, 2),
    "ends_with": (2, 2),
    "left": (2, 2),
    "right": (2, 2),
    "mid": (3, 3),
    "length": (1, 1),
    "find": (2, 2),
    "concat": (1, None),
    "concat_ws": (2, None),
    "upper": (1, 1),
    "lower": (1, 1),
    "trim": (1, 1),
    "replace_text": (3, 3),
    "year": (1, 1),
    "month": (1, 1),
    "day": (1, 1),
}

_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9_]*)(?:\(([A-Za-z0-9_.\-]+)\))?((?::[A-Za-z0-9_\-]+)*)")
# Smart variables have a dash (field names cannot): [event-name], [survey-link:consent:Go]
_SMART = re.compile(r"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)(:.*)?", re.IGNORECASE)
_INSTANCES = frozenset(
    {"current-instance", "previous-instance", "next-instance", "first-instance", "last-instance"}
)
_MODIFIERS = frozenset({"value", "label", "checked", "unchecked", "hideunderscore"})


def _reference(parts: list[str]) -> tuple:
    """The node for adjacent brackets, e.g. ``[event][field(code)][2]``."""
    # (kind, payload, instance keyword): payload is the text, or the match of a name
    kinds: list[tuple[str, Any, str]] = []
    for part in parts:
        text = part[1:-1].strip()
        if text.isdigit():
            kinds.append(("n", text, ""))
        elif (smart := _SMART.fullmatch(text)) is not None:
            kinds.append(("smart", text.lower(), smart.group(1).lower()))
        elif (match := _FIELD.fullmatch(text)) is not None:
            kinds.append(("name", match, ""))
        else:
            raise LogicError(f"'{part}' is neither a field, an event nor a smart variable")
    names = [i for i, k in enumerate(kinds) if k[0] == "name"]
    if not names:
        if len(kinds) == 1 and kinds[0][0] == "smart":
            return ("smart", kinds[0][1])
        raise LogicError(f"'{''.join(parts)}' names no field")
    at = names[-1]
    before, after = kinds[:at], kinds[at + 1 :]
    if len(before) > 1 or len(after) > 1:
        raise LogicError(f"'{''.join(parts)}' is not [event][field][instance]")
    field: re.Match[str] = kinds[at][1]
    name, code, modifiers = field.group(1).lower(), field.group(2), field.group(3)
    if before and before[0][0] == "name":
        event_match: re.Match[str] = before[0][1]
        if event_match.group(2) or event_match.group(3):
            raise LogicError(f"'{parts[0]}' is not an event name")
        event: tuple | None = ("event", event_match.group(0).lower())
    elif before and before[0][0] == "smart":
        event = ("smart", before[0][1])
    elif before:
        raise LogicError(f"'{parts[0]}' is not an event name")
    else:
        event = None
    instance: tuple | None = None
    if after:
        if after[0][0] == "n" or (after[0][0] == "smart" and after[0][2] in _INSTANCES):
            instance = after[0][:2]
        else:
            raise LogicError(f"'{parts[at + 1]}' is not an instance number")
    mods = tuple(m.lower() for m in modifiers.split(":")[1:])
    for mod in mods:
        if mod not in _MODIFIERS:
            raise LogicError(f"':{mod}' is not a field modifier REDCap logic reads")
    if mods:
        inner: tuple = ("piped", name, code or "", mods)
    elif code is not None:
        inner = ("checkbox", name, code)
    else:
        inner = ("field", name)
    return inner if event is None and instance is None else ("at", event, instance, inner)


@v_args(inline=True)
class _ToNodes(Transformer):
    """Lark's tree → the small tuple trees the evaluator compiles (hashable, so cached)."""

    def or_(self, left: tuple, right: tuple) -> tuple:
        return ("bin", "or", left, right)

    def and_(self, left: tuple, right: tuple) -> tuple:
        return ("bin", "and", left, right)

    def not_(self, item: tuple) -> tuple:
        return ("not", item)

    def compare(self, left: tuple, op: Any, right: tuple) -> tuple:
        symbol = str(op.children[0])
        return ("bin", "=" if symbol == "==" else symbol, left, right)

    def arith(self, left: tuple, op: Any, right: tuple) -> tuple:
        return ("bin", str(op.children[0]), left, right)

    def neg(self, item: tuple) -> tuple:
        return ("neg", item)

    def power(self, base: tuple, exponent: tuple) -> tuple:
        return ("bin", "^", base, exponent)

    def number(self, token: Token) -> tuple:
        return ("num", float(token))

    def string(self, token: Token) -> tuple:
        return ("str", str(token)[1:-1])

    def true(self) -> tuple:
        return ("num", 1.0)

    def false(self) -> tuple:
        return ("num", 0.0)

    def reference(self, *tokens: Token) -> tuple:
        return _reference([str(t) for t in tokens])

    def call(self, name: Token, *args: tuple | None) -> tuple:
        function = str(name).lower()
        if function not in FUNCTIONS:
            raise LogicError(f"unknown function '{name}'")
        return ("call", function, tuple(a for a in args if a is not None))


_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True)
_TO_NODES = _ToNodes()


def parse(text: str) -> tuple:
    """Parse an expression into a small tree; raise :class:`LogicError` when it is not valid."""
    if not text or not text.strip():
        raise LogicError("the expression is empty")
    try:
        tree = _PARSER.parse(text)
    except UnexpectedCharacters as exc:
        at = exc.pos_in_stream or 0  # the lexer always sets it; typed optional upstream
        raise LogicError(f"cannot read '{text[at : at + 12]}' at character {at + 1}") from None
    except UnexpectedEOF:
        raise LogicError("the expression ends too early") from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is not None and token.type == "$END":
            raise LogicError("the expression ends too early") from None
        position = exc.pos_in_stream + 1 if exc.pos_in_stream is not None else exc.column
        raise LogicError(f"unexpected '{token}' at character {position}") from None
    try:
        return _TO_NODES.transform(tree)
    except VisitError as exc:  # a LogicError raised inside the transformer, wrapped by Lark
        raise LogicError(str(exc.orig_exc)) from None


def fields_used(node: tuple) -> set[str]:
    """Names of the fields an expression reads (not events, not smart variables)."""
    kind = node[0]
    if kind in ("field", "checkbox", "piped"):
        return {node[1]}
    if kind == "at":
        return fields_used(node[3])
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


def smart_variables_used(node: tuple) -> set[str]:
    """The smart variables an expression reads (alone or as an event or instance)."""
    kind = node[0]
    if kind == "smart":
        return {node[1]}
    if kind == "at":
        found = {part[1] for part in node[1:3] if part is not None and part[0] == "smart"}
        return found | smart_variables_used(node[3])
    if kind == "bin":
        return smart_variables_used(node[2]) | smart_variables_used(node[3])
    if kind in ("neg", "not"):
        return smart_variables_used(node[1])
    if kind == "call":
        return set().union(*(smart_variables_used(a) for a in node[2]))
    return set()


# --- evaluation ----------------------------------------------------------------------------


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


def _text(value: Value) -> str:
    """A value as text functions and text comparisons see it (a blank is '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return _fmt(value)
    return str(value)


def _compare(op: str, left: Value, right: Value) -> bool:
    a, b = _number(left), _number(right)
    if a is None or b is None:  # text comparison; a blank is the empty string
        a_text, b_text = _text(left), _text(right)
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


_DATE_ORDERS = {
    "ymd": re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    "mdy": re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"),
    "dmy": re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"),
}


def _moment(value: Value, order: str = "ymd") -> dt.datetime | None:
    """A date or datetime value ('today', 'now', or text in ``order``, time optional)."""
    if value is None or value == "":
        return None
    text = _text(value).strip()
    lowered = text.lower()
    if lowered == "today":
        return dt.datetime.combine(dt.date.today(), dt.time())  # noqa: DTZ011 - local date
    if lowered == "now":
        return dt.datetime.now().replace(microsecond=0)  # noqa: DTZ005 - REDCap's local time
    date_part, _sep, time_part = text.replace("/", "-").partition(" ")
    match = _DATE_ORDERS.get(order, _DATE_ORDERS["ymd"]).fullmatch(date_part)
    if match is None and order != "ymd":
        match, order = _DATE_ORDERS["ymd"].fullmatch(date_part), "ymd"
    if match is None:
        return None
    first, second, third = (int(g) for g in match.groups())
    year, month, day = {
        "ymd": (first, second, third),
        "mdy": (third, first, second),
        "dmy": (third, second, first),
    }[order]
    try:
        moment = dt.datetime(year, month, day)  # noqa: DTZ001 - REDCap dates are naive
        if time_part:
            clock = dt.time.fromisoformat(time_part.strip())
            moment = moment.replace(hour=clock.hour, minute=clock.minute, second=clock.second)
    except ValueError:
        return None
    return moment


def evaluate(
    node: tuple, values: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> Value:
    """Evaluate a parsed expression over field values (str, or list of codes for checkboxes).

    ``context`` gives what the form does not hold, keyed by the bracket's text
    (``"event-name"``, ``"record-name"``, ``"user-name"``, ``"current-instance"`` …), and
    ``"choices"``: ``{field: [(code, label), …]}`` for ``:label``/``:checked``/``:unchecked``.
    """
    return compile_node(node)(values, context)


Compiled = Callable[..., Value]  # (values, context=None) -> Value
_COMPARISONS = frozenset({"=", "<>", "!=", "<", "<=", ">", ">="})
_NO_CONTEXT: Mapping[str, Any] = {}


@functools.lru_cache(maxsize=4096)
def compile_node(node: tuple) -> Compiled:
    """A parsed expression as a function of the field values (and the context).

    This is the evaluator: each node becomes a closure once, so an expression used for
    thousands of forms (an import) is not walked as a tree again for each of them. Errors that
    depend on the values (a bad ``if`` or ``datediff`` in a branch not taken) are raised when
    that branch is evaluated, as REDCap would.
    """
    kind = node[0]
    if kind in ("num", "str"):
        constant = node[1]
        return lambda values, context=None: constant
    if kind == "field":
        return _field_value(node[1])
    if kind == "checkbox":
        name, code = node[1], node[2]
        return lambda values, context=None: "1" if code in (values.get(name) or []) else "0"
    if kind == "piped":
        return _piped(node[1], node[2], node[3])
    if kind == "at":
        return _elsewhere(node[1], node[2], compile_node(node[3]))
    if kind == "smart":
        return _smart(node[1])
    if kind == "neg":
        inner = compile_node(node[1])

        def neg(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Value:
            number = _number(inner(values, context))
            return None if number is None else -number

        return neg
    if kind == "not":
        operand = compile_node(node[1])
        return lambda values, context=None: not _truthy(operand(values, context))
    if kind == "bin":
        return _binary(node[1], compile_node(node[2]), compile_node(node[3]))
    if kind == "call":
        return _function(node[1], node[2], tuple(compile_node(a) for a in node[2]))
    raise LogicError(f"unknown node {kind}")  # pragma: no cover


def _field_value(name: str) -> Compiled:
    return lambda values, context=None: _read_field(values.get(name))


def _read_field(value: Any) -> Value:
    """A field's stored value as ``[field]`` reads it (a checkbox: its codes, comma-joined)."""
    if isinstance(value, list | tuple | set):
        return ",".join(sorted(value))
    return "" if value is None else value


def _smart(name: str) -> Compiled:
    def read(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Value:
        context = context or _NO_CONTEXT
        if name not in context:
            raise NotEvaluated(f"[{name}] is not evaluated here")
        return context[name]

    return read


def _elsewhere(event: tuple | None, instance: tuple | None, inner: Compiled) -> Compiled:
    """``[event][field][instance]``: evaluated only when it names the form being evaluated."""

    def read(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Value:
        context = context or _NO_CONTEXT
        if event is not None and not (
            (event[0] == "event" and context.get("event-name") == event[1])
            or event[1] == "event-name"
        ):
            raise NotEvaluated(f"[{event[1]}] (another event) is not evaluated here")
        if instance is not None and not (
            instance[1] == "current-instance"
            or (instance[0] == "n" and str(context.get("current-instance", "")) == instance[1])
        ):
            raise NotEvaluated(f"instance [{instance[1]}] is not evaluated here")
        return inner(values, context)

    return read


def _piped(name: str, code: str, modifiers: tuple[str, ...]) -> Compiled:
    wants_label = "label" in modifiers or (
        ("checked" in modifiers or "unchecked" in modifiers) and "value" not in modifiers
    )

    def read(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Value:
        stored = values.get(name)
        if code:
            stored = "1" if code in (stored or []) else "0"
            return stored
        if "checked" not in modifiers and "unchecked" not in modifiers and not wants_label:
            return _read_field(stored)  # :value, :hideunderscore
        choices = ((context or _NO_CONTEXT).get("choices") or {}).get(name)
        if choices is None:
            if not wants_label and "checked" in modifiers:
                return _read_field(stored)
            raise NotEvaluated(f"[{name}:{':'.join(modifiers)}] needs the field's choices")
        ticked = set(stored) if isinstance(stored, list | tuple | set) else {_text(stored)}
        if "unchecked" in modifiers:
            picked = [(c, label) for c, label in choices if c not in ticked]
        else:
            picked = [(c, label) for c, label in choices if c in ticked]
        return ", ".join(label if wants_label else c for c, label in picked)

    return read


def _binary(op: str, left: Compiled, right: Compiled) -> Compiled:
    if op == "and":
        return lambda values, context=None: (
            _truthy(left(values, context)) and _truthy(right(values, context))
        )
    if op == "or":
        return lambda values, context=None: (
            _truthy(left(values, context)) or _truthy(right(values, context))
        )
    if op in _COMPARISONS:
        return lambda values, context=None: _compare(
            op, left(values, context), right(values, context)
        )

    def arithmetic(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Value:
        a, b = _number(left(values, context)), _number(right(values, context))
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
        try:
            return a**b
        except (OverflowError, ZeroDivisionError):
            return None

    return arithmetic


def _function(name: str, nodes: tuple[tuple, ...], args: tuple[Compiled, ...]) -> Compiled:
    if name == "if":

        def choose(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Value:
            if len(args) != 3:
                raise LogicError("if() takes three arguments")
            chosen = args[1] if _truthy(args[0](values, context)) else args[2]
            return chosen(values, context)

        return choose

    def general(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Value:
        evaluated = [a(values, context) for a in args]
        if name == "isblankormissingcode":
            codes = (context or _NO_CONTEXT).get("missing-codes", ())
            return _text(evaluated[0]) in ("", *codes) if evaluated else True
        return _call(name, evaluated)

    if name == "sum" and nodes and all(n[0] == "field" for n in nodes):
        # A total over fields is what calculated scores are made of, evaluated for every form
        # an import brings: read the fields in one pass and convert each distinct text to a
        # number once. Same result as the general path, which a checkbox's list (not
        # hashable) still takes.
        names = [n[1] for n in nodes]

        def total(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Value:
            try:
                numbers = list(map(_field_number, map(values.get, names)))
            except TypeError:
                return general(values, context)
            present = [n for n in numbers if n is not None]
            return float(sum(present)) if present else None

        return total
    return general


@functools.lru_cache(maxsize=4096, typed=True)
def _field_number(value: Any) -> float | None:
    """``_number`` of a field's value as ``[field]`` reads it."""
    return _number(_read_field(value))


_INTEGER = re.compile(r"[-+]?\d+")
_DECIMAL = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_DAYS_PER = {"y": 365.2425, "M": 30.44, "d": 1.0, "h": 1 / 24, "m": 1 / 1440, "s": 1 / 86400}


def _call(name: str, evaluated: list[Value]) -> Value:
    low, high = FUNCTIONS[name]
    if len(evaluated) < low or (high is not None and len(evaluated) > high):
        raise LogicError(f"{name}() cannot take {len(evaluated)} argument(s)")
    if name in _TEXT_FUNCTIONS:
        return _TEXT_FUNCTIONS[name](*map(_text, evaluated))
    if name == "datediff":
        return _datediff(evaluated)
    if name in ("year", "month", "day"):
        moment = _moment(evaluated[0])
        return None if moment is None else float(getattr(moment, name))
    if name == "isnumber":
        return bool(_DECIMAL.fullmatch(_text(evaluated[0]).strip()))
    if name == "isinteger":
        return bool(_INTEGER.fullmatch(_text(evaluated[0]).strip()))
    numbers = [_number(v) for v in evaluated]
    present = [n for n in numbers if n is not None]
    if name in ("sum", "mean", "min", "max", "median", "stdev"):
        if not present:
            return None
        if name == "sum":
            return float(sum(present))
        if name == "mean":
            return sum(present) / len(present)
        if name == "median":
            return float(statistics.median(present))
        if name == "stdev":  # the sample standard deviation: one value has none
            return statistics.stdev(present) if len(present) > 1 else None
        return float(min(present) if name == "min" else max(present))
    if numbers[0] is None:
        return None
    x = numbers[0]
    second = numbers[1] if len(numbers) > 1 else None
    if name == "mod":
        return None if not second else math.fmod(x, second)
    if name == "log":
        if x <= 0 or (second is not None and (second <= 0 or second == 1)):
            return None
        return math.log(x) if second is None else math.log(x, second)
    places = int(second) if second is not None else 0
    if name == "round":
        return float(round(x + (1e-9 if x >= 0 else -1e-9), places))
    # the tolerance keeps 1.1 * 10 (11.000000000000002) from rounding up to 12
    if name == "roundup":
        return math.ceil(x * 10**places - 1e-9) / 10**places
    if name == "rounddown":
        return math.floor(x * 10**places + 1e-9) / 10**places
    if name == "abs":
        return abs(x)
    if name == "sqrt":
        return None if x < 0 else math.sqrt(x)
    if name == "exponential":
        try:
            return math.exp(x)
        except OverflowError:
            return None
    raise LogicError(f"unknown function '{name}'")  # pragma: no cover


def _datediff(evaluated: list[Value]) -> Value:
    """``datediff(date1, date2, units[, dateformat][, returnSignedValue])``: date2 − date1 in
    ``y M d h m s``; unsigned unless asked (REDCap's default), 'today'/'now' allowed."""
    if len(evaluated) < 3:
        raise LogicError("datediff() takes two dates and a unit")
    unit = _text(evaluated[2])
    if unit not in _DAYS_PER:
        raise LogicError(f"'{unit}' is not a datediff unit (y, M, d, h, m, s)")
    order, signed = "ymd", False
    for extra in evaluated[3:]:
        text = _text(extra).lower()
        if text in _DATE_ORDERS:
            order = text
        else:
            signed = _truthy(extra) and text not in ("false", "")
    first, second = _moment(evaluated[0], order), _moment(evaluated[1], order)
    if first is None or second is None:
        return None
    days = (second - first).total_seconds() / 86400
    result = days / _DAYS_PER[unit]
    return result if signed else abs(result)


def _find(needle: str, haystack: str) -> float:
    return float(haystack.lower().find(needle.lower()) + 1)


def _mid(text: str, start: str, count: str) -> str:
    begin, length = _number(start), _number(count)
    if begin is None or length is None or begin < 1 or length < 0:
        return ""
    return text[int(begin) - 1 : int(begin) - 1 + int(length)]


def _side(text: str, count: str, *, right: bool) -> str:
    n = _number(count)
    if n is None or n < 0:
        return ""
    n = int(n)
    return (text[-n:] if n else "") if right else text[:n]


_TEXT_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "contains": lambda haystack, needle: needle.lower() in haystack.lower(),
    "not_contain": lambda haystack, needle: needle.lower() not in haystack.lower(),
    "starts_with": lambda haystack, needle: haystack.lower().startswith(needle.lower()),
    "ends_with": lambda haystack, needle: haystack.lower().endswith(needle.lower()),
    "left": lambda text, count: _side(text, count, right=False),
    "right": lambda text, count: _side(text, count, right=True),
    "mid": _mid,
    "length": lambda text: float(len(text)),
    "find": _find,
    "concat": lambda *texts: "".join(texts),
    "concat_ws": lambda separator, *texts: separator.join(texts),
    "upper": str.upper,
    "lower": str.lower,
    "trim": str.strip,
    "replace_text": lambda haystack, search, replacement: (
        haystack.replace(search, replacement) if search else haystack
    ),
}


@functools.lru_cache(maxsize=4096)
def _compiled(text: str) -> Compiled:
    # The same few expressions are evaluated for every form of an instrument (imports run
    # them for thousands): parse and compile each once. Errors are not cached, so they are
    # raised again.
    return compile_node(parse(text))


def shown(
    branching: str, values: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> bool:
    """True when a field with this branching logic is shown (no logic: always shown)."""
    if not branching or not branching.strip():
        return True
    return _truthy(_compiled(branching)(values, context))


def calculate(
    expression: str, values: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> str:
    """A calc field's value as REDCap would store it: blank, or a number without trailing .0."""
    return _stored(_compiled(expression)(values, context))


def calculator(expression: str) -> Callable[..., str]:
    """:func:`calculate` of one expression, compiled once for many forms; an expression that
    cannot be read raises :class:`LogicError` each time it is used, as ``calculate`` does."""
    try:
        compiled = _compiled(expression)
    except LogicError as error:
        message = str(error)

        def unreadable(values: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> str:
            raise LogicError(message)

        return unreadable
    return lambda values, context=None: _stored(compiled(values, context))


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
