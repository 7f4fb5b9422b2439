"""Writes of the biomarkers app: record one measurement, import a CSV file, correct a value."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neuroregen.biomarkers import choices as c
from neuroregen.biomarkers import signals
from neuroregen.biomarkers.models import Measurement
from neuroregen.biomarkers.validators import clean_measurement
from neuroregen.core.audit import stamp
from neuroregen.core.errors import DomainError, ValidationFailed
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.validation import full_clean_or_fail
from neuroregen.participants import choices as pc
from neuroregen.participants.models import Participant
from neuroregen.participants.services import ensure_data_entry_allowed

IMPORT_COLUMNS = (
    "study_code",
    "visit_code",
    "analyte",
    "region",
    "value",
    "unit",
    "matrix",
    "collected_at",
    "processed_at",
    "assay",
    "kit",
    "lot",
    "lloq",
    "uloq",
    "cv_percent",
    "provenance",
)
REQUIRED_COLUMNS = ("study_code", "analyte", "value", "unit", "collected_at")


class MeasurementInvalid(ValidationFailed):
    code = "measurement_invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(
            _("The measurement was not saved: ") + "; ".join(f"{k}: {v}" for k, v in errors.items())
        )


class ImportRejected(ValidationFailed):
    """Every bad row of a file, with its line and column. Nothing was imported."""

    code = "biomarker_import_rejected"
    # lazy: a class attribute is made at import, before any request chooses a language
    default_message = gettext_lazy("The file was rejected; nothing was imported.")

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        super().__init__(count=len(problems))


def _check_visit(participant: Any, visit: Any) -> None:
    if visit is not None and visit.participant_id != participant.pk:
        raise ValidationFailed(_("The visit belongs to another participant."), field="visit")


def _create(
    *, user: Any, participant: Any, visit: Any, values: dict[str, Any], source: str
) -> Measurement:
    ensure_data_entry_allowed(
        participant, pc.DataEntryKind.CONTACT, on=values["collected_at"].date()
    )
    measurement = Measurement(
        participant=participant, visit=visit, source=source, entered_by=user, **values
    )
    full_clean_or_fail(measurement)
    stamp(measurement, user=user, reason="recorded" if source != c.Source.IMPORT else "imported")
    measurement.save()
    # Safety signal rules (e.g. IL-6 rising soon after a dose) see every stored value, in the
    # same transaction: an import that fails opens no review.
    signals.measurement_stored.send(sender=Measurement, user=user, measurement=measurement)
    return measurement


@transaction.atomic
def measurement_record(
    *,
    user: Any,
    participant: Participant,
    data: dict[str, Any],
    visit: Any = None,
    source: str = c.Source.MANUAL,
) -> Measurement:
    """Record one value. Units are converted to the canonical unit; limit flags computed."""
    require(user, Capability.LAB_WRITE, participant.site)
    _check_visit(participant, visit)
    values, errors = clean_measurement(data, now=timezone.now())
    if errors:
        raise MeasurementInvalid(errors)
    measurement = _create(
        user=user, participant=participant, visit=visit, values=values, source=source
    )
    signals.measurements_recorded.send(sender=Measurement, measurements=[measurement], user=user)
    return measurement


@transaction.atomic
def measurement_correct(
    *,
    user: Any,
    measurement: Measurement,
    data: dict[str, Any],
    reason: str,
    expected_version: int | None,
) -> Measurement:
    """Correct a recorded value (reason required; stale version refused)."""
    require(user, Capability.LAB_WRITE, measurement.participant.site)
    measurement = Measurement.objects.select_for_update(of=("self",)).get(pk=measurement.pk)
    if expected_version is not None and measurement.row_version != expected_version:
        from neuroregen.core.errors import Conflict

        raise Conflict()
    values, errors = clean_measurement(data, now=timezone.now())
    if errors:
        raise MeasurementInvalid(errors)
    for key, value in values.items():
        setattr(measurement, key, value)
    measurement.full_clean()
    stamp(measurement, user=user, reason=reason)
    measurement.save()
    return measurement


def _aware(raw: str, tz: Any) -> dt.datetime | str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    parsed = parse_datetime(raw.replace("T", " ")) if len(raw) > 10 else None
    if parsed is None:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(0, 0))
        except ValueError:
            return "invalid"
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, tz)
    return parsed


def _unreadable(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return _(
            "a field is longer than %(limit)s characters: check the quoting "
            "(an unclosed quote swallows the rest of the file)"
        ) % {"limit": csv.field_size_limit()}
    return _("the line is not readable CSV (%(error)s)") % {"error": exc}


def _rows(reader: csv.DictReader, problems: list[tuple[int, str, str]]) -> Iterator[dict]:
    """The reader's rows; an unreadable line is a problem and ends the reading.

    After such an error the reader's position inside the file is not trustworthy, so the
    rest of the file is not judged; the file is rejected anyway.
    """
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # line_num counts the lines read completely; the failing one is the next
            problems.append((reader.line_num + 1, "", _unreadable(exc)))
            return
        yield row


@transaction.atomic
def measurements_import(*, user: Any, text: str) -> list[Measurement]:
    """Import a CSV of results. The whole file is checked first; any bad row rejects it all.

    Columns: see ``IMPORT_COLUMNS``; times without a zone are read in the participant's site
    time zone; ``visit_code`` (optional) names the participant's visit.
    """
    import zoneinfo

    from neuroregen.visits.models import Visit

    require(user, Capability.LAB_WRITE)
    problems: list[tuple[int, str, str]] = []
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ImportRejected([(1, "", _unreadable(exc))]) from exc
    missing_columns = [col for col in REQUIRED_COLUMNS if col not in header]
    unknown = [col for col in header if col not in IMPORT_COLUMNS]
    if missing_columns or unknown:
        for col in missing_columns:
            problems.append((1, col, _("required column is missing")))
        for col in unknown:
            problems.append(
                (1, col, _("unknown column (expected: %(c)s)") % {"c": ", ".join(IMPORT_COLUMNS)})
            )
        raise ImportRejected(problems)
    visible = Participant.objects.for_user(user, Capability.LAB_WRITE).select_related("site")
    planned: list[tuple[Any, Any, dict[str, Any]]] = []
    now = timezone.now()
    line = 1
    for raw_row in _rows(reader, problems):
        line = reader.line_num
        row = {k.strip(): (v or "").strip() for k, v in raw_row.items() if k}
        if not any(row.values()):
            continue
        participant = visible.filter(study_code=row.get("study_code", "")).first()
        if participant is None:
            problems.append(
                (
                    line,
                    "study_code",
                    _("no participant '%(code)s' at your sites")
                    % {"code": row.get("study_code", "")},
                )
            )
            continue
        if not has_capability(user, Capability.LAB_WRITE, participant.site):  # pragma: no cover
            problems.append((line, "study_code", _("not permitted at this site")))
            continue
        tz = zoneinfo.ZoneInfo(participant.site.time_zone)
        data: dict[str, Any] = dict(row)
        for name in ("collected_at", "processed_at"):
            value = _aware(row.get(name, ""), tz)
            if value == "invalid":
                problems.append(
                    (
                        line,
                        name,
                        _("'%(v)s' is not a date and time (YYYY-MM-DD HH:MM)")
                        % {"v": row.get(name)},
                    )
                )
                value = None
            data[name] = value
        visit = None
        if row.get("visit_code"):
            visit = Visit.objects.filter(
                participant=participant, code=row["visit_code"], cancelled_on__isnull=True
            ).first()
            if visit is None:
                problems.append(
                    (
                        line,
                        "visit_code",
                        _("no visit '%(v)s' for %(p)s")
                        % {"v": row["visit_code"], "p": participant.study_code},
                    )
                )
        values, errors = clean_measurement(data, now=now)
        if not errors:
            try:
                ensure_data_entry_allowed(
                    participant, pc.DataEntryKind.CONTACT, on=values["collected_at"].date()
                )
            except DomainError as exc:
                errors = {"study_code": exc.message}
        for column, message in errors.items():
            if not (
                column in ("collected_at", "processed_at")
                and data.get(column) is None
                and any(p[0] == line and p[1] == column for p in problems)
            ):
                problems.append((line, column, message))
        if not errors:
            planned.append((participant, visit, values))
    if not planned and not problems:
        problems.append((line + 1, "", _("the file has no rows")))
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: (p[0], p[1])))
    created = [
        _create(user=user, participant=p, visit=v, values=values, source=c.Source.IMPORT)
        for p, v, values in planned
    ]
    signals.measurements_recorded.send(sender=Measurement, measurements=created, user=user)
    return created
