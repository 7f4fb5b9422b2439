"""Whether a form's item set is complete, and whether entered numbers keep to their ranges.

Pure over field-like objects and plain dicts, so the entry page, the API, the parent link and
the importers judge a form the same way. A required item counts as done when it is answered or
carries a missing-data code (NASK, DECL, UNK, NA); an item hidden by branching logic is not
asked, so it is not required. Calculated, descriptive, file and SQL fields take no answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.instruments import entry

_BLANK: tuple[Any, ...] = (None, "", [], ())


def missing_required(
    fields: Iterable[Any], answers: Mapping[str, Any], missing: Mapping[str, str]
) -> list[Any]:
    """The required items still to answer (or code), in form order. ``answers`` are the stored
    answers (calculated fields included, since branching may read them)."""
    values = entry.evaluation_values(answers, missing)
    return [
        f
        for f in fields
        if f.is_required
        and f.field_type not in entry.NO_INPUT
        and f.field_name not in missing
        and answers.get(f.field_name) in _BLANK
        and entry.is_shown(f, values)
    ]


def missing_messages(items: Iterable[Any], *, codes_allowed: bool) -> dict[str, str]:
    """A message for each unanswered required item: staff may give a missing-data code,
    families are asked for an answer."""
    text = (
        _("Required: answer this question or give a missing-data code.")
        if codes_allowed
        else _("Please answer this question.")
    )
    return {f.field_name: text for f in items}


def range_errors(
    fields: Iterable[Any], answers: Mapping[str, Any], score_defs: Iterable[Any] = ()
) -> dict[str, str]:
    """Entered values outside their field's min/max, and entered scores outside the score's
    range, each with a message naming the range. Values that are not numbers or dates are
    left to the type checks."""
    errors: dict[str, str] = {}
    by_name = {}
    for field in fields:
        by_name[field.field_name] = field
        raw = answers.get(field.field_name)
        if raw in _BLANK or field.field_type != "text" or not field.validation:
            continue
        if not (field.validation_min or field.validation_max):
            continue
        message = entry.out_of_range(field, raw)
        if message:
            errors[field.field_name] = message
    for definition in score_defs:
        if definition.method != "entered" or not definition.items:
            continue
        name = definition.items[0]
        if name in errors or name not in by_name:
            continue
        value = _decimal(answers.get(name))
        if value is None:
            continue
        low, high = Decimal(definition.minimum), Decimal(definition.maximum)
        if not low <= value <= high:
            errors[name] = _("%(value)s is outside the score's range %(low)s–%(high)s.") % {
                "value": answers.get(name),
                "low": _plain(low),
                "high": _plain(high),
            }
    return errors


def _decimal(value: Any) -> Decimal | None:
    if value in _BLANK or isinstance(value, list | dict):
        return None
    try:
        return Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        return None


def _plain(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())


def answered_count(
    fields: Iterable[Any], answers: Mapping[str, Any], missing: Mapping[str, str]
) -> tuple[int, int]:
    """(answered, asked): questions shown and taking an answer, and how many of those carry an
    answer or a missing-data code. Calculated fields are never counted."""
    values = entry.evaluation_values(answers, missing)
    asked = [f for f in fields if f.field_type not in entry.NO_INPUT and entry.is_shown(f, values)]
    answered = sum(
        1 for f in asked if f.field_name in missing or answers.get(f.field_name) not in _BLANK
    )
    return answered, len(asked)
