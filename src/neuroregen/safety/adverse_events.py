"""Recording adverse events: the initial report with its context (last administration, study day,
phase), updates and follow-ups, the investigator's sign-off, and the event opened from an
immediate reaction at administration. Each write re-syncs the reporting clocks
(``safety.reporting``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core import codes
from neuroregen.core.audit import stamp
from neuroregen.core.errors import Conflict, InvalidTransition, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.services import signature_create
from neuroregen.core.time import format_at
from neuroregen.participants.models import Participant
from neuroregen.protocols import timeline
from neuroregen.safety import choices as c
from neuroregen.safety import validators
from neuroregen.safety.aesi import aesi_match
from neuroregen.safety.models import AdverseEvent, AdverseEventFollowUp, InvestigatorSignOff
from neuroregen.safety.reporting import clocks_sync
from neuroregen.safety.write_helpers import follow_up, site_zone

SIGN_OFF_MEANING = "I confirm the seriousness, grade and relatedness of this adverse event"


EDITABLE_FIELDS = (
    "term",
    "coded_term",
    "coded_term_code",
    "coding_dictionary",
    "soc",
    "description",
    "onset_date",
    "resolution_date",
    "grade",
    *c.CRITERION_FIELDS.values(),
    "relatedness_product",
    "relatedness_procedure",
    "expectedness",
    "action_taken",
    "outcome",
    "aware_at",
    "aesi_category",
)


REQUIRED_FIELDS = (
    "term",
    "onset_date",
    "grade",
    "relatedness_product",
    "relatedness_procedure",
    "expectedness",
    "outcome",
)


CHOICE_FIELDS = {
    "soc": c.SystemOrganClass,
    "relatedness_product": c.Relatedness,
    "relatedness_procedure": c.Relatedness,
    "expectedness": c.Expectedness,
    "action_taken": c.ActionTaken,
    "outcome": c.Outcome,
}


_fail = ValidationFailed.raise_for


def _new_code() -> str:
    return codes.unused_code(
        "AE", taken=lambda code: AdverseEvent.objects.filter(code=code).exists()
    )


def _site_today(participant: Participant) -> dt.date:
    return timeline.today_at(site_zone(participant))


def _birth(participant: Participant) -> dt.date | None:
    identity = getattr(participant, "identity", None)
    return identity.birth_date if identity is not None else None


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and obj.row_version != expected_version:
        raise Conflict(
            _(
                "%(what)s was changed by someone else since you opened it (version %(theirs)s, "
                "yours %(yours)s). Reload to see their change."
            )
            % {"what": str(obj), "theirs": obj.row_version, "yours": expected_version}
        )


def _choice_errors(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field in REQUIRED_FIELDS:
        if data.get(field) in (None, ""):
            errors.setdefault(field, _("This field is required."))
    for field, vocabulary in CHOICE_FIELDS.items():
        value = data.get(field)
        if value not in (None, "") and value not in vocabulary.values:
            errors.setdefault(field, _("Unknown value “%(value)s”.") % {"value": value})
    category = data.get("aesi_category")
    if category and category not in c.AesiCategory.values:
        errors["aesi_category"] = _("Unknown event of special interest.")
    return errors


def _aware_on(aware_at: Any, participant: Participant) -> dt.date | None:
    if aware_at is None:
        return None
    if not isinstance(aware_at, dt.datetime) or timezone.is_naive(aware_at):
        raise ValidationFailed(
            _("The awareness time must include its time zone."), field="aware_at"
        )
    return timeline.local_date(aware_at, site_zone(participant))


def _awareness_errors(aware_at: Any, participant: Participant) -> dict[str, str]:
    """An awareness moment after now is refused: compared as moments, not as site dates."""
    now = timezone.now()
    if not isinstance(aware_at, dt.datetime) or timezone.is_naive(aware_at) or aware_at <= now:
        return {}
    tz = site_zone(participant)
    return {
        "aware_at": _(
            "The awareness time %(aware)s is in the future (it is now %(now)s at the site)."
        )
        % {"aware": format_at(aware_at, tz), "now": format_at(now, tz)}
    }


def onset_context(participant: Participant, onset_date: dt.date) -> dict[str, Any]:
    """The context of an onset date: most recent administration, its lot, product, route and
    dose, days since it, study day and phase (``visits.timeline``), protocol and arm.

    Read by participant, after the caller has checked access to the participant.
    """
    from neuroregen.products.models import Administration
    from neuroregen.protocols.selectors import current_assignment

    tz = site_zone(participant)
    context: dict[str, Any] = {
        "administration_code": "",
        "administered_at": None,
        "lot_code": "",
        "product_type": "",
        "route": "",
        "dose_per_kg": None,
        "dose_unit": "",
        "days_since_administration": None,
        "study_day": None,
        "phase": "",
        "protocol_label": "",
        "arm_code": "",
    }
    administrations = list(
        Administration.objects.filter(participant=participant)
        .select_related("lot", "arm__protocol")
        .order_by("started_at", "pk")
    )
    before = [a for a in administrations if timeline.local_date(a.started_at, tz) <= onset_date]
    assignment = current_assignment(participant)
    protocol = None
    if before:
        latest = before[-1]
        context.update(
            administration_code=latest.code,
            administered_at=latest.started_at,
            lot_code=latest.lot.code,
            product_type=latest.lot.product_type,
            route=latest.route,
            dose_per_kg=latest.dose_per_kg,
            dose_unit=latest.dose_unit,
            days_since_administration=timeline.study_day(latest.started_at, onset_date, tz),
            arm_code=latest.arm.code,
        )
        protocol = latest.arm.protocol
    elif assignment is not None and assignment.arm is not None and assignment.day_zero:
        # Day 0 is recorded but no administration row (e.g. given before the products module
        # was in use): the assignment says what was given and when.
        arm = assignment.arm
        if assignment.day_zero <= onset_date:
            context.update(
                product_type=arm.product_type,
                route=arm.route,
                dose_per_kg=assignment.dose_per_kg,
                dose_unit=assignment.dose_unit or arm.dose_unit,
                days_since_administration=timeline.study_day(assignment.day_zero, onset_date),
            )
        context["arm_code"] = arm.code
    elif assignment is not None and assignment.arm is not None:
        context["arm_code"] = assignment.arm.code
    if protocol is None and assignment is not None:
        protocol = assignment.protocol
    day_zero = assignment.day_zero if assignment is not None else None
    if day_zero is None and administrations:
        day_zero = timeline.local_date(administrations[0].started_at, tz)
    if day_zero is not None:
        day = timeline.study_day(day_zero, onset_date)
        boundaries = protocol.boundaries() if protocol is not None else timeline.DEFAULT_BOUNDARIES
        context["study_day"] = day
        context["phase"] = timeline.phase_of(day, boundaries).value
    if protocol is not None:
        context["protocol_label"] = str(protocol)
    return context


def _apply_aesi(event: AdverseEvent, explicit: str | None) -> None:
    """Set the special-interest category: the investigator's choice wins over the catalogue."""
    if explicit is not None:
        event.aesi_category = explicit
        # An empty choice by the investigator means "not of special interest" and sticks.
        event.aesi_source = c.AesiSource.INVESTIGATOR
        return
    if event.aesi_source == c.AesiSource.INVESTIGATOR:
        return
    match = aesi_match(
        event.term,
        event.coded_term,
        route=event.route,
        days_since_administration=event.days_since_administration,
    )
    event.aesi_category = match.value if match else ""
    event.aesi_source = c.AesiSource.CATALOGUE if match else c.AesiSource.NONE


@transaction.atomic
def adverse_event_record(
    *,
    user: User,
    participant: Participant,
    data: dict[str, Any],
    serious: bool | None = None,
    aware_at: dt.datetime | None = None,
) -> AdverseEvent:
    """Record a new adverse event, compute its context and flags, start its clocks.

    ``data`` holds the values of :data:`EDITABLE_FIELDS` (criteria as booleans). ``serious``
    is what the reporter says; it must agree with the criteria ticked. ``aware_at`` (aware
    datetime, default now) starts the reporting clocks. Nothing is saved if any rule fails.
    """
    require(user, Capability.REPORT_SAFETY, participant.site)
    participant = Participant.objects.select_related("site").get(pk=participant.pk)
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be set here: %s") % ", ".join(sorted(unknown))
        )
    aware_at = aware_at or data.get("aware_at") or timezone.now()
    values = {**data, "aware_at": aware_at, "serious": serious}
    _fail(_choice_errors(values))
    _fail(
        validators.adverse_event_errors(
            values,
            today=_site_today(participant),
            aware_on=_aware_on(aware_at, participant),
            birth=_birth(participant),
        )
        | _awareness_errors(aware_at, participant)
    )
    fields = {k: v for k, v in data.items() if k in EDITABLE_FIELDS and k != "aesi_category"}
    event = AdverseEvent(code=_new_code(), participant=participant, reported_by=user, **fields)
    event.aware_at = aware_at
    event.is_serious = bool(event.criteria)
    for key, value in onset_context(participant, event.onset_date).items():
        setattr(event, key, value)
    _apply_aesi(event, data.get("aesi_category") or None)
    event.full_clean(exclude=["code"])
    stamp(event, user=user, reason="initial report")
    event.save()
    follow_up(
        event,
        user=user,
        kind=c.FollowUpKind.INITIAL,
        note=event.description,
        changes={"term": event.term, "grade": event.grade},
    )
    clocks_sync(user=user, event=event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return value


@transaction.atomic
def adverse_event_update(
    *,
    user: User,
    event: AdverseEvent,
    changes: dict[str, Any],
    reason: str,
    expected_version: int | None,
    serious: bool | None = None,
) -> AdverseEvent:
    """Change recorded values of an event (a reason is required) and append an update entry.

    Re-computes the context when the onset moves, the special-interest flag (unless the
    investigator set it), and the reporting clocks (an edited awareness time moves them; the
    edit is in the event's audit trail with its reason). A stale ``expected_version`` is
    refused. Nothing changes if any rule fails.
    """
    require(user, Capability.REPORT_SAFETY, event.participant.site)
    if not (reason or "").strip():
        raise ValidationFailed(
            _("A reason for change is required when editing recorded data."), field="reason"
        )
    event = (
        AdverseEvent.objects.select_for_update(of=("self",))
        .select_related("participant__site")
        .get(pk=event.pk)
    )
    _check_version(event, expected_version)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be edited here: %s") % ", ".join(sorted(unknown))
        )
    changed = {k: v for k, v in changes.items() if getattr(event, k) != v}
    if "aesi_category" in changed and changed["aesi_category"] is None:
        changed["aesi_category"] = ""
    merged = {f: getattr(event, f) for f in EDITABLE_FIELDS} | changed
    merged["serious"] = serious
    _fail(_choice_errors(merged))
    _fail(
        validators.adverse_event_errors(
            merged,
            today=_site_today(event.participant),
            aware_on=_aware_on(merged["aware_at"], event.participant),
            birth=_birth(event.participant),
        )
        | _awareness_errors(merged["aware_at"], event.participant)
    )
    if not changed:
        return event
    before = {k: _jsonable(getattr(event, k)) for k in changed}
    for field, value in changed.items():
        if field != "aesi_category":
            setattr(event, field, value)
    event.is_serious = bool(event.criteria)
    if "onset_date" in changed:
        for key, value in onset_context(event.participant, event.onset_date).items():
            setattr(event, key, value)
    _apply_aesi(event, changed.get("aesi_category"))
    event.full_clean(exclude=["code"])
    stamp(event, user=user, reason=reason)
    event.save()
    follow_up(
        event,
        user=user,
        kind=c.FollowUpKind.UPDATE,
        note=reason.strip(),
        changes={k: {"from": before[k], "to": _jsonable(getattr(event, k))} for k in changed},
    )
    clocks_sync(user=user, event=event)
    return event


@transaction.atomic
def adverse_event_follow_up(*, user: User, event: AdverseEvent, note: str) -> AdverseEventFollowUp:
    """Append a follow-up note to the event's timeline."""
    require(user, Capability.REPORT_SAFETY, event.participant.site)
    if not (note or "").strip():
        raise ValidationFailed(_("Write the follow-up note."), field="note")
    _fail(validators.text_length_errors({"note": note.strip()}, ("note",)))
    return follow_up(event, user=user, kind=c.FollowUpKind.NOTE, note=note.strip())


def sign_off_current(event: AdverseEvent) -> InvestigatorSignOff | None:
    """The sign-off that still stands (its values match the event's), if any."""
    latest = event.sign_offs.first()
    if latest is not None and latest.assessment() == event.assessment():
        return latest
    return None


@transaction.atomic
def adverse_event_sign_off(
    *, user: User, event: AdverseEvent, password: str, meaning: str = SIGN_OFF_MEANING
) -> InvestigatorSignOff:
    """The investigator signs (password re-entered) the event's seriousness, grade and
    relatedness as they stand. Refused when the same values are already signed."""
    require(user, Capability.SIGN_CLINICAL, event.participant.site)
    event = AdverseEvent.objects.select_for_update(of=("self",)).get(pk=event.pk)
    if sign_off_current(event) is not None:
        raise InvalidTransition(_("This assessment is already signed off."))
    assessment = event.assessment()
    sign_off = InvestigatorSignOff(
        event=event,
        grade=assessment["grade"],
        criteria=assessment["criteria"],
        relatedness_product=assessment["relatedness_product"],
        relatedness_procedure=assessment["relatedness_procedure"],
        signed_by=user,
    )
    stamp(sign_off, user=user, reason="investigator sign-off")
    sign_off.save()
    # The signature verifies the password; a wrong one rolls the sign-off back with it.
    signature_create(user=user, password=password, meaning=meaning, record=sign_off)
    follow_up(event, user=user, kind=c.FollowUpKind.SIGN_OFF, note=meaning, changes=assessment)
    return sign_off


_REACTION_TERMS = {
    "infusion": ("Infusion reaction", 2, c.SystemOrganClass.GENERAL),
    "allergic": ("Allergic reaction", 2, c.SystemOrganClass.IMMUNE),
    "anaphylaxis": ("Anaphylaxis", 3, c.SystemOrganClass.IMMUNE),
    "vasovagal": ("Vasovagal reaction", 1, c.SystemOrganClass.NERVOUS),
    "other": ("Immediate reaction to administration", 1, c.SystemOrganClass.GENERAL),
}


@transaction.atomic
def adverse_event_open_from_administration(*, user: User, administration: Any) -> AdverseEvent:
    """Open an adverse event from an immediate reaction recorded with an administration.

    Grade, seriousness and relatedness are provisional (anaphylaxis is opened as an important
    medical event); the investigator reviews and signs them off. Runs inside the caller's
    transaction, so the administration and its event are saved together or not at all.
    """
    term, grade, soc = _REACTION_TERMS.get(administration.reaction, _REACTION_TERMS["other"])
    participant = administration.participant
    onset = timeline.local_date(administration.started_at, site_zone(participant))
    anaphylaxis = administration.reaction == "anaphylaxis"
    return adverse_event_record(
        user=user,
        participant=participant,
        serious=anaphylaxis,
        aware_at=min(administration.stopped_at, timezone.now()),
        data={
            "term": term,
            "soc": soc,
            "description": administration.reaction_description,
            "onset_date": onset,
            "grade": grade,
            "serious_important_medical_event": anaphylaxis,
            "relatedness_product": c.Relatedness.PROBABLE,
            "relatedness_procedure": c.Relatedness.POSSIBLE,
            "expectedness": c.Expectedness.UNEXPECTED if anaphylaxis else c.Expectedness.EXPECTED,
            "action_taken": c.ActionTaken.NONE,
            "outcome": c.Outcome.RECOVERING,
            "aesi_category": c.AesiCategory.INFUSION_REACTION,
        },
    )
