"""Cross-field rules over plain values, shared by forms, services, the API and importers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.participants import choices as c

MAX_AGE_YEARS_AT_SCREENING = 18
# Longest accepted identity values (the forms use the same limits); see identity_errors.
IDENTITY_MAX_LENGTHS = {
    "given_name": 100,
    "family_name": 100,
    "guardian_name": 200,
    "guardian_relationship": 40,
    "guardian_phone": 40,
    "guardian_email": 254,
}


def age_in_months(birth: dt.date, on: dt.date) -> int:
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    if on.day < birth.day:
        months -= 1
    return months


def identity_errors(data: dict[str, Any], *, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    birth = data.get("date_of_birth")
    screened = data.get("screened_on") or today
    if birth is None:
        errors["date_of_birth"] = _("Date of birth is required.")
    elif birth > today:
        errors["date_of_birth"] = _("Date of birth %(birth)s is in the future.") % {"birth": birth}
    elif birth > screened:
        errors["date_of_birth"] = _("Date of birth is after the screening date.")
    elif age_in_months(birth, screened) >= MAX_AGE_YEARS_AT_SCREENING * 12:
        errors["date_of_birth"] = _("The programme enrols children under %(age)s years.") % {
            "age": MAX_AGE_YEARS_AT_SCREENING
        }
    for field in ("given_name", "family_name", "guardian_name"):
        if not (data.get(field) or "").strip():
            errors[field] = _("This field is required.")
    for field, limit in IDENTITY_MAX_LENGTHS.items():
        length = len(str(data.get(field) or "").strip())
        if length > limit:
            errors[field] = _(
                "Ensure this value has at most %(limit)d characters (it has %(length)d)."
            ) % {"limit": limit, "length": length}
    return errors


def research_errors(
    data: dict[str, Any], *, today: dt.date, birth: dt.date | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.get("screened_on") and data["screened_on"] > today:
        errors["screened_on"] = _("Screening date is in the future.")
    diagnosis = data.get("asd_diagnosis_date")
    if diagnosis:
        if diagnosis > today:
            errors["asd_diagnosis_date"] = _("Diagnosis date is in the future.")
        elif birth and diagnosis < birth:
            errors["asd_diagnosis_date"] = _("Diagnosis date is before the date of birth.")
    finding = data.get("genetic_finding")
    if finding == c.GeneticFinding.SYNDROMIC and not data.get("syndrome"):
        errors["syndrome"] = _("Name the syndrome when the genetic finding is syndromic.")
    if finding != c.GeneticFinding.SYNDROMIC and data.get("syndrome"):
        errors["syndrome"] = _("A syndrome is named only when the genetic finding is syndromic.")
    if data.get("syndrome") == c.Syndrome.OTHER and not (data.get("genetic_details") or "").strip():
        errors["genetic_details"] = _("Describe the other syndrome.")
    if finding == c.GeneticFinding.CNV and not (data.get("genetic_details") or "").strip():
        errors["genetic_details"] = _("Describe the copy-number variant.")
    return errors


def measurement_date_errors(
    *, measured_on: dt.date, birth: dt.date, today: dt.date
) -> dict[str, str]:
    if measured_on > today:
        return {"measured_on": _("The measurement date is in the future.")}
    if measured_on < birth:
        return {
            "measured_on": _("The measurement date %(day)s is before the child's birth.")
            % {"day": measured_on}
        }
    return {}


def consent_date_errors(
    *,
    signed_on: dt.date,
    birth: dt.date,
    today: dt.date,
    effective_from: dt.date,
    retired_on: dt.date | None,
) -> dict[str, str]:
    if signed_on > today:
        return {"signed_on": _("The consent date is in the future.")}
    if signed_on < birth:
        return {
            "signed_on": _("The consent date %(day)s is before the child's birth.")
            % {"day": signed_on}
        }
    if signed_on < effective_from or (retired_on is not None and signed_on >= retired_on):
        return {"signed_on": _("This document version was not approved for use on that date.")}
    return {}
