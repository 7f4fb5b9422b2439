"""Answers against a definition: branching, calculated fields and validation.

Works on anything shaped like a ``Field`` (``field_name``, ``field_type``, ``validation``, …) and on
plain dicts of answers, so the form, the parent link, the importer and the tests share one path.
Hard problems (wrong type, unknown choice, both a value and a missing code) refuse the save;
values outside a field's min/max are stored and raise a data-quality query instead, as in REDCap.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from neuroregen.core.wording import render, wording
from neuroregen.instruments import logic
from neuroregen.instruments.choices import MissingCode
from neuroregen.instruments.redcap import (
    DATE_VALIDATIONS,
    DATETIME_VALIDATIONS,
    INTEGER_VALIDATIONS,
    NUMBER_VALIDATIONS,
    PATTERN_VALIDATIONS,
    TIME_VALIDATIONS,
    bound_value,
    parse_choices,
)

NO_INPUT = frozenset({"calc", "descriptive", "file", "sql"})
_PLACES = re.compile(r"number_(\d)dp")
_CLOCKS = {
    "time": re.compile(r"([01]?\d|2[0-3]):[0-5]\d"),
    "time_hh_mm_ss": re.compile(r"([01]?\d|2[0-3])(:[0-5]\d){2}"),
    "time_mm_ss": re.compile(r"[0-5]\d:[0-5]\d"),
}


def evaluation_values(answers: Mapping[str, Any], missing: Mapping[str, str]) -> dict[str, Any]:
    """Values as logic sees them: a missing-coded field is blank."""
    values = dict(answers)
    for name in missing:  # a form has a few codes and many answers
        if name in values:
            values[name] = ""
    return values


def compute_calcs(
    fields: Iterable[Any], answers: Mapping[str, Any], missing: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Answers with every calc field (re)computed in field order (a calc may use earlier ones)."""
    return calcs_of(fields)(answers, missing or {})


def calcs_of(fields: Iterable[Any]) -> Any:
    """:func:`compute_calcs` for one form definition, prepared once for many forms."""
    calcs = [(f.field_name, logic.calculator(f.choices)) for f in fields if f.field_type == "calc"]

    def compute(answers: Mapping[str, Any], missing: Mapping[str, str]) -> dict[str, Any]:
        result = dict(answers)
        if not calcs:
            return result
        # the values logic sees, kept up to date as each calc is stored (not rebuilt per calc)
        values = evaluation_values(result, missing)
        for name, calculate in calcs:
            try:
                value = calculate(values)
            except logic.LogicError:
                value = ""
            result[name] = value
            values[name] = "" if name in missing else value
        return result

    return compute


def is_shown(field: Any, values: Mapping[str, Any]) -> bool:
    try:
        return logic.shown(field.branching_logic, values)
    except logic.LogicError:
        return True  # an unreadable rule never hides a question


def shown_fields(
    fields: Iterable[Any], answers: Mapping[str, Any], missing: Mapping[str, str] | None = None
) -> list[Any]:
    values = evaluation_values(answers, missing or {})
    return [f for f in fields if is_shown(f, values)]


def _check_text(field: Any, raw: str) -> str | None:
    kind = field.validation
    if not kind:
        return None
    if kind in INTEGER_VALIDATIONS and not re.fullmatch(r"-?\d+", raw):
        return _("Enter a whole number.")
    if kind in NUMBER_VALIDATIONS:
        comma = "comma" in kind
        try:
            float(raw.replace(",", ".") if comma else raw)
        except ValueError:
            return _("Enter a number.")
        places = _PLACES.match(kind)
        point = "," if comma else "."
        if places and not re.fullmatch(rf"-?\d+{re.escape(point)}\d{{{places.group(1)}}}", raw):
            count = int(places.group(1))
            return ngettext(
                "Enter a number with %(count)d decimal place.",
                "Enter a number with %(count)d decimal places.",
                count,
            ) % {"count": count}
    if kind in DATE_VALIDATIONS:
        try:
            dt.date.fromisoformat(raw)
        except ValueError:
            return _("Enter a date as YYYY-MM-DD.")
    if kind in DATETIME_VALIDATIONS:
        try:
            dt.datetime.fromisoformat(raw)
        except ValueError:
            return _("Enter a date and time as YYYY-MM-DD HH:MM.")
    if kind == "email" and not PATTERN_VALIDATIONS["email"].fullmatch(raw):
        return _("Enter an e-mail address.")
    if kind == "time" and not _CLOCKS["time"].fullmatch(raw):
        return _("Enter a time as HH:MM.")
    if kind == "time_hh_mm_ss" and not _CLOCKS[kind].fullmatch(raw):
        return _("Enter a time as HH:MM:SS.")
    if kind == "time_mm_ss" and not _CLOCKS[kind].fullmatch(raw):
        return _("Enter minutes and seconds as MM:SS.")
    if kind in PATTERN_VALIDATIONS and not PATTERN_VALIDATIONS[kind].fullmatch(raw):
        return _("'%(value)s' is not in the %(validation)s format.") % {
            "value": raw,
            "validation": kind,
        }
    return None


def out_of_range_wording(field: Any, raw: Any) -> dict[str, Any] | None:
    """The finding when a value lies outside the field's min/max (a soft check), else None."""
    if field.field_type != "text" or not field.validation or raw in (None, ""):
        return None
    kind = field.validation
    comparable = (
        kind if kind in (*DATE_VALIDATIONS, *DATETIME_VALIDATIONS, *TIME_VALIDATIONS) else "number"
    )
    value = bound_value(comparable, str(raw))
    if value is None:
        return None
    low = bound_value(comparable, field.validation_min) if field.validation_min else None
    high = bound_value(comparable, field.validation_max) if field.validation_max else None
    if (low is not None and value < low) or (high is not None and value > high):
        return wording(
            gettext_noop("%(value)s is outside the expected range %(low)s–%(high)s."),
            value=raw,
            low=field.validation_min or "…",
            high=field.validation_max or "…",
        )
    return None


def out_of_range(field: Any, raw: Any) -> str | None:
    """:func:`out_of_range_wording` in the active language."""
    kept = out_of_range_wording(field, raw)
    return render(kept) if kept else None


def clean_answers(
    fields: Iterable[Any], answers: Mapping[str, Any], missing: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Return (answers to store, missing codes to store, errors by field)."""
    return FormCleaner(fields).clean(answers, missing)


_BLANK: tuple[Any, ...] = (None, "", [], ())
_SLIDER = re.compile(r"\d+")


class FormCleaner:
    """:func:`clean_answers` for one form definition, prepared once for many forms.

    The data-entry form, the parent link and the importer all clean through this class. An
    importer cleans thousands of forms of one instrument, whose answers repeat ("0", "1",
    "2" …): an answer that passed a field's checks once is remembered for that field and not
    checked again (the checks depend on the text and the field alone). Rejected answers are
    never remembered, so every error is worded afresh in the active language.
    """

    REMEMBERED = 1000  # distinct accepted answers kept per field (free text is not repetitive)

    def __init__(self, fields: Iterable[Any]) -> None:
        self.fields = list(fields)
        self.by_name = {f.field_name: f for f in self.fields}
        self.inputs = [
            (f.field_name, f.field_type == "checkbox", f)
            for f in self.fields
            if f.field_type not in NO_INPUT
        ]
        self.accepted: dict[str, set[str]] = {name: set() for name, _c, _f in self.inputs}
        # The same, as (field, answer) pairs, and every (field, missing-data code) pair a form
        # of only plain fields may carry: a form made of such pairs alone is clean as it is.
        self.plain = [name for name, checkbox, _f in self.inputs if not checkbox]
        self.position = {name: i for i, name in enumerate(self.plain)}
        self.plain_only = len(self.plain) == len(self.inputs)
        self.accepted_pairs: set[tuple[str, str]] = set()
        self.coded_pairs = frozenset((n, code) for n in self.plain for code in MissingCode.values)

    def clean(
        self, answers: Mapping[str, Any], missing: Mapping[str, str]
    ) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
        if self.plain_only and self._known(answers, missing):
            # what the checks below would return: the answers in field order, the codes
            order = list(map(self.position.__getitem__, answers))
            if order == sorted(order):  # given in field order already (an importer's are)
                return dict(answers), dict(missing), {}
            return {n: answers[n] for n in self.plain if n in answers}, dict(missing), {}
        return self._clean(answers, missing)

    def _known(self, answers: Mapping[str, Any], missing: Mapping[str, str]) -> bool:
        """Whether every answer passed before and every missing-data code is one a plain
        field may take, none for an answered field."""
        try:
            return (
                answers.items() <= self.accepted_pairs
                and missing.items() <= self.coded_pairs
                and answers.keys().isdisjoint(missing)
            )
        except TypeError:  # a value that cannot be hashed (a list): checked in full
            return False

    def _clean(
        self, answers: Mapping[str, Any], missing: Mapping[str, str]
    ) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
        by_name = self.by_name
        errors: dict[str, str] = {}
        stored: dict[str, Any] = {}
        codes: dict[str, str] = {}
        for name in set(answers) | set(missing):
            if name not in by_name:
                errors[name] = _("'%(name)s' is not a field of this form.") % {"name": name}
        for name, code in missing.items():
            if not code:
                continue
            if code not in MissingCode.values:
                errors[name] = _("'%(code)s' is not a missing-data code.") % {"code": code}
            elif name in by_name and by_name[name].field_type in NO_INPUT:
                errors[name] = _("A calculated or descriptive field takes no missing-data code.")
            else:
                codes[name] = code
        for name, is_checkbox, field in self.inputs:
            raw = answers.get(name)
            if raw is None or raw in _BLANK:  # "is None" tells the type checker
                continue
            if name in codes:
                errors[name] = _("Give either an answer or a missing-data code, not both.")
                continue
            if is_checkbox:
                ticked = [raw] if isinstance(raw, str) else list(raw)
                allowed = {code for code, _label in parse_choices(field.choices)}
                unknown = [t for t in ticked if t not in allowed]
                if unknown:
                    errors[name] = _("Unknown choice %(code)s.") % {"code": ", ".join(unknown)}
                else:
                    stored[name] = sorted(set(ticked))
                continue
            text = str(raw).strip()
            accepted = self.accepted[name]
            if text not in accepted:
                problem = answer_problem(field, text)
                if problem:
                    errors[name] = problem
                    continue
                if len(accepted) < self.REMEMBERED:
                    accepted.add(text)
                    self.accepted_pairs.add((name, text))
            stored[name] = text
        return stored, codes, errors


def answer_problem(field: Any, text: str) -> str | None:
    """Why ``text`` (stripped) cannot be stored as the answer to a non-checkbox field, or None."""
    kind = field.field_type
    if kind in ("radio", "dropdown", "yesno", "truefalse"):
        allowed = (
            {"1", "0"}
            if kind in ("yesno", "truefalse")
            else {code for code, _label in parse_choices(field.choices)}
        )
        if text not in allowed:
            return _("'%(value)s' is not one of the choices.") % {"value": text}
    elif kind == "slider":
        if not _SLIDER.fullmatch(text) or not 0 <= int(text) <= 100:
            return _("A slider value lies between 0 and 100.")
    elif kind == "text":
        return _check_text(field, text)
    return None
