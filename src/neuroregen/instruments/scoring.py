"""Scoring of responses from score definitions. Pure: plain dicts in, plain dicts out.

Missing-item rule (ATEC and any ``sum`` score): up to ``max_missing_items`` missing items, the
mean of the answered items is scaled to the full item count and rounded half up, and the score is
marked ``prorated``; with more missing the score is not computed (``value`` None, status
``insufficient``). An item with a missing-data code is missing. A ``sum_of_scores`` score needs
every component and is prorated when any component is. ``entered`` scores are taken as entered.

>>> defs = [{"code": "s", "method": "sum", "items": ["a", "b", "c", "d"], "max_missing_items": 1}]
>>> score_response(defs, {"a": "2", "b": "1", "c": "0", "d": "2"})["s"]["value"]
5
>>> score_response(defs, {"a": "2", "b": "1", "c": "2"})["s"]
{'value': 7, 'status': 'prorated', 'answered': 3, 'items': 4}
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

COMPLETE, PRORATED, INSUFFICIENT = "complete", "prorated", "insufficient"


def _number(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, list | dict):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


# Item answers are a handful of codes ("0" … "4") read for every item of every form an import
# scores: each distinct value is converted once (a Decimal is immutable, so sharing it is safe;
# ``typed`` keeps True and 1 apart).
_cached_number = functools.lru_cache(maxsize=1024, typed=True)(_number)


def _item_numbers(
    items: list[str], answers: Mapping[str, Any], missing: Mapping[str, str]
) -> list[Decimal | None]:
    """The items' answers as numbers (None: missing-coded, blank or not a number)."""
    if missing and not missing.keys().isdisjoint(items):
        values = [None if name in missing else answers.get(name) for name in items]
    else:
        values = list(map(answers.get, items))
    try:
        return list(map(_cached_number, values))
    except TypeError:  # a checkbox's list is not hashable
        return list(map(_number, values))


def _as_int_if_whole(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def score_response(
    definitions: Iterable[Mapping[str, Any]],
    answers: Mapping[str, Any],
    missing: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Compute every score. ``definitions`` in dependency order (components first)."""
    missing = missing or {}
    results: dict[str, dict[str, Any]] = {}
    for definition in definitions:
        code, method, items = definition["code"], definition["method"], list(definition["items"])
        if method == "sum":
            present = [v for v in _item_numbers(items, answers, missing) if v is not None]
            n_missing = len(items) - len(present)
            if not present or n_missing > int(definition.get("max_missing_items", 0)):
                results[code] = {
                    "value": None,
                    "status": INSUFFICIENT,
                    "answered": len(present),
                    "items": len(items),
                }
                continue
            total = sum(present, Decimal(0))
            if n_missing:
                total = (total * len(items) / len(present)).quantize(Decimal(1), ROUND_HALF_UP)
            results[code] = {
                "value": _as_int_if_whole(total),
                "status": PRORATED if n_missing else COMPLETE,
                "answered": len(present),
                "items": len(items),
            }
        elif method == "sum_of_scores":
            parts = [results.get(item) for item in items]
            if any(p is None or p["value"] is None for p in parts):
                results[code] = {
                    "value": None,
                    "status": INSUFFICIENT,
                    "answered": sum(p["answered"] for p in parts if p),
                    "items": sum(p["items"] for p in parts if p),
                }
                continue
            total = sum((Decimal(str(p["value"])) for p in parts if p), Decimal(0))
            results[code] = {
                "value": _as_int_if_whole(total),
                "status": PRORATED
                if any(p["status"] == PRORATED for p in parts if p)
                else COMPLETE,
                "answered": sum(p["answered"] for p in parts if p),
                "items": sum(p["items"] for p in parts if p),
            }
        else:  # entered
            name = items[0]
            value = None if name in missing else _number(answers.get(name))
            results[code] = {
                "value": None if value is None else _as_int_if_whole(value),
                "status": COMPLETE if value is not None else INSUFFICIENT,
                "answered": int(value is not None),
                "items": 1,
            }
    return results
