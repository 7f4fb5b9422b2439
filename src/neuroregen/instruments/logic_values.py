"""What REDCap logic values mean: numbers, text, truth, comparisons, dates, and the special
functions applied to evaluated arguments."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections.abc import Callable
from typing import Any, TypeVar

from neuroregen.instruments.logic_grammar import FUNCTIONS, LogicError

Value = Any  # float | str | bool | None
# numbers compare as numbers, anything else as text; never one with the other
_Comparable = TypeVar("_Comparable", float, str)


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
