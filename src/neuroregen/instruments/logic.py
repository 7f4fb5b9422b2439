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

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

from neuroregen.instruments.logic_grammar import (  # noqa: F401 - the public face
    FUNCTIONS,
    GRAMMAR,
    LogicError,
    NotEvaluated,
    fields_used,
    parse,
    smart_variables_used,
)
from neuroregen.instruments.logic_values import (
    Value,
    _call,
    _compare,
    _fmt,
    _number,
    _text,
    _truthy,
)


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
