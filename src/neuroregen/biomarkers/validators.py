"""Checks of one measurement over plain values, shared by the entry form and the CSV importer.

``clean_measurement`` returns the values to store (canonical units, limit flag) and a dict of
problems by field; the caller refuses the whole entry or file if any problem is found.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.biomarkers import choices as c
from neuroregen.biomarkers.catalogue import ANALYTES, LAB, UnitError, normalise_unit, to_canonical

MAX_PROCESSING_DELAY = dt.timedelta(days=3)


def _decimal(raw: Any) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(str(raw)) from exc
    if not value.is_finite():
        raise ValueError(str(raw))
    return value


def limit_flag(
    value: Decimal | None, lloq: Decimal | None, uloq: Decimal | None, censor: str = ""
) -> str:
    """Where ``value`` lies relative to the limits; a reported '<x'/'>x' decides by itself."""
    if censor == "<":
        return c.LimitFlag.BELOW_LLOQ
    if censor == ">":
        return c.LimitFlag.ABOVE_ULOQ
    if lloq is None and uloq is None:
        return c.LimitFlag.NO_LIMITS
    if value is not None and lloq is not None and value < lloq:
        return c.LimitFlag.BELOW_LLOQ
    if value is not None and uloq is not None and value > uloq:
        return c.LimitFlag.ABOVE_ULOQ
    return c.LimitFlag.WITHIN


# Longest text each column may hold (the stored fields' lengths; "value" is kept as reported).
TEXT_LIMITS = {
    "value": 40,
    "unit": 12,
    "region": 30,
    "assay": 200,
    "kit": 200,
    "lot": 60,
    "provenance": 300,
}


def text_length_errors(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        length = len(str(data.get(name) or "").strip())
        if length > limit:
            errors[name] = _(
                "Ensure this value has at most %(limit)d characters (it has %(length)d)."
            ) % {"limit": limit, "length": length}
    return errors


def clean_measurement(
    data: dict[str, Any], *, now: dt.datetime
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate and convert one measurement. Returns (values to store, problems by field)."""
    errors: dict[str, str] = text_length_errors(data)
    out: dict[str, Any] = {}
    code = (data.get("analyte") or "").strip()
    analyte = ANALYTES.get(code)
    if analyte is None:
        errors["analyte"] = _("Unknown analyte '%(code)s'.") % {"code": code}
        return out, errors
    out["analyte"] = code
    unit = normalise_unit(data.get("unit") or "")
    if unit not in analyte.factors:
        errors["unit"] = _("'%(unit)s' cannot be converted for %(name)s; use one of %(units)s.") % {
            "unit": data.get("unit") or "",
            "name": analyte.name,
            "units": ", ".join(analyte.factors),
        }
    raw_value = str(data.get("value") or "").strip()
    censor = raw_value[:1] if raw_value[:1] in ("<", ">") else ""
    number: Decimal | None = None
    try:
        number = _decimal(raw_value[1:] if censor else raw_value)
        if number is None:
            errors["value"] = _("A value is required.")
        elif number < 0:
            errors["value"] = _("A negative value is not possible.")
        elif analyte.code == "mri_fa" and number > 1:
            errors["value"] = _("Fractional anisotropy lies between 0 and 1.")
    except ValueError:
        errors["value"] = _("'%(v)s' is not a number.") % {"v": raw_value}
    limits: dict[str, Decimal | None] = {}
    for name in ("lloq", "uloq"):
        try:
            limits[name] = _decimal(data.get(name))
        except ValueError:
            errors[name] = _("'%(v)s' is not a number.") % {"v": data.get(name)}
            limits[name] = None
    lloq, uloq = limits.get("lloq"), limits.get("uloq")
    if lloq is not None and uloq is not None and lloq > uloq:
        errors["uloq"] = _("The ULOQ is below the LLOQ.")
    try:
        cv = _decimal(data.get("cv_percent"))
        if cv is not None and not (0 <= cv <= 100):
            errors["cv_percent"] = _("CV must lie between 0 and 100 %.")
        out["cv_percent"] = cv
    except ValueError:
        errors["cv_percent"] = _("'%(v)s' is not a number.") % {"v": data.get("cv_percent")}
    matrix = (data.get("matrix") or "").strip().lower()
    region = (data.get("region") or "").strip()
    if analyte.kind == LAB:
        if matrix not in analyte.matrices:
            errors["matrix"] = _("Give the specimen matrix: one of %(m)s.") % {
                "m": ", ".join(analyte.matrices)
            }
        if region:
            errors["region"] = _("A lab analyte has no region.")
        if not (data.get("assay") or "").strip():
            errors["assay"] = _("Name the assay or kit.")
    else:
        if matrix:
            errors["matrix"] = _("EEG and imaging measures have no specimen matrix.")
        if region not in analyte.regions:
            errors["region"] = _("Give the region: one of %(r)s.") % {
                "r": ", ".join(analyte.regions)
            }
        if not (data.get("assay") or "").strip():
            errors["assay"] = _(
                "Describe the method (e.g. Welch PSD, eyes-open rest; DTI tractography)."
            )
        if not (data.get("provenance") or "").strip():
            errors["provenance"] = _("Say where the value comes from (file, pipeline and version).")
    collected, processed = data.get("collected_at"), data.get("processed_at")
    if not isinstance(collected, dt.datetime):
        errors["collected_at"] = _("Give the collection date and time.")
    elif collected > now:
        errors["collected_at"] = _("The collection time is in the future.")
    if processed is not None and not isinstance(processed, dt.datetime):
        errors["processed_at"] = _("Not a date and time.")
    elif isinstance(processed, dt.datetime) and isinstance(collected, dt.datetime):
        if processed < collected:
            errors["processed_at"] = _("Processing cannot precede collection.")
        elif processed - collected > MAX_PROCESSING_DELAY:
            errors["processed_at"] = _(
                "Processed more than 3 days after collection: check the date."
            )
    if errors:
        return out, errors
    try:
        value, canonical = to_canonical(code, number, unit)  # type: ignore[arg-type]
        lloq = to_canonical(code, limits["lloq"], unit)[0] if limits["lloq"] is not None else None
        uloq = to_canonical(code, limits["uloq"], unit)[0] if limits["uloq"] is not None else None
    except UnitError as exc:  # pragma: no cover - unit checked above
        return out, {"unit": str(exc)}
    out.update(
        value=value,
        unit=canonical,
        reported_value=raw_value,
        reported_unit=unit,
        lloq=lloq,
        uloq=uloq,
        limit_flag=limit_flag(value, lloq, uloq, censor),
        matrix=matrix,
        region=region,
        collected_at=collected,
        processed_at=processed,
        assay=(data.get("assay") or "").strip(),
        kit=(data.get("kit") or "").strip(),
        lot=(data.get("lot") or "").strip(),
        provenance=(data.get("provenance") or "").strip(),
    )
    return out, {}
