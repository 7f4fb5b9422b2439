"""REDCap's branching-logic and calculation language as a grammar: the parse into a small
tree, and the fields and smart variables an expression reads."""

from __future__ import annotations

import re
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError


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
