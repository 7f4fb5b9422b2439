"""Writes of the participants app. Each function is one transaction and leaves an audit record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from neuroregen.core import codes, crypto
from neuroregen.core.audit import stamp
from neuroregen.core.errors import (
    Conflict,
    DataEntryBlocked,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from neuroregen.core.models import Site, User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import site_today
from neuroregen.core.validation import full_clean_or_fail
from neuroregen.participants import choices as c
from neuroregen.participants import validators
from neuroregen.participants.models import (
    Anthropometry,
    Consent,
    ConsentDocument,
    FamilyLink,
    Participant,
    ParticipantComorbidity,
    ParticipantIdentity,
    Withdrawal,
)
from neuroregen.participants.nda_guid import normalise_nda_guid, validate_nda_guid

RESEARCH_FIELDS = (
    "sex",
    "country",
    "preferred_language",
    "asd_diagnosis_date",
    "dsm5_severity",
    "diagnostic_instrument",
    "genetic_finding",
    "syndrome",
    "genetic_details",
    "therapy_hours_per_week",
)
IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "guardian_name",
    "guardian_relationship",
    "guardian_phone",
    "guardian_email",
)


_fail = ValidationFailed.raise_for


def _new_study_code() -> str:
    return codes.unused_code(
        "P", taken=lambda code: Participant.objects.filter(study_code=code).exists()
    )


def identity_blind_index(given_name: str, family_name: str, date_of_birth: dt.date) -> str:
    return crypto.blind_index(given_name, family_name, date_of_birth.isoformat())


@transaction.atomic
def participant_screen(
    *,
    user: User,
    site: Site | int,
    identity: dict[str, Any],
    research: dict[str, Any],
    screened_on: dt.date | None = None,
) -> Participant:
    """Register a child at screening: research record + encrypted identity, status screening."""
    if isinstance(site, int):
        site_obj = Site.objects.filter(pk=site).first()
        if site_obj is None:
            raise ValidationFailed(_("Unknown site."), field="site")
        site = site_obj
    today = site_today(site)
    require(user, Capability.MANAGE_PARTICIPANT, site)
    screened_on = screened_on or today
    birth = identity.get("date_of_birth")
    research = _normalised(research)
    # Every rule of every group is checked before anything is refused, so one submit shows
    # all that is wrong.
    errors = validators.identity_errors({**identity, "screened_on": screened_on}, today=today)
    errors |= validators.research_errors(
        {**research, "screened_on": screened_on}, today=today, birth=birth
    )
    participant = Participant(
        site=site,
        screened_on=screened_on,
        age_months_at_screening=(
            validators.age_in_months(birth, screened_on)
            if birth is not None and "date_of_birth" not in errors
            else 0
        ),
        **{k: v for k, v in research.items() if k in RESEARCH_FIELDS},
    )
    full_clean_or_fail(participant, exclude=["study_code"], errors=errors)
    assert birth is not None  # noqa: S101 - guaranteed by identity_errors
    index = identity_blind_index(identity["given_name"], identity["family_name"], birth)
    if ParticipantIdentity.objects.filter(site=site, blind_index=index).exists():
        raise ValidationFailed(
            _("A child with this name and date of birth is already registered at this site."),
            field="given_name",
        )
    participant.study_code = _new_study_code()
    stamp(participant, user=user, reason="screening registration")
    participant.save()
    record = ParticipantIdentity(
        participant=participant,
        site=site,
        date_of_birth=birth.isoformat(),
        blind_index=index,
        **{k: (identity.get(k) or "").strip() for k in IDENTITY_FIELDS},
    )
    stamp(record, user=user, reason="screening registration")
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:  # a concurrent registration of the same child won the race
        raise ValidationFailed(
            _("A child with this name and date of birth is already registered at this site."),
            field="given_name",
        ) from exc
    return participant


def _normalised(research: dict[str, Any]) -> dict[str, Any]:
    """Research values as stored: the country code in upper case without spaces."""
    if isinstance(research.get("country"), str):
        return {**research, "country": research["country"].strip().upper()}
    return research


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and obj.row_version != expected_version:
        raise Conflict(
            _(
                "%(what)s was changed by someone else since you opened it (version %(theirs)s, "
                "yours %(yours)s). Reload to see their change."
            )
            % {"what": str(obj), "theirs": obj.row_version, "yours": expected_version}
        )


@transaction.atomic
def participant_update(
    *,
    user: User,
    participant: Participant,
    changes: dict[str, Any],
    reason: str,
    expected_version: int | None,
) -> Participant:
    """Edit research data. A reason is required; a stale ``expected_version`` is refused."""
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    _check_version(participant, expected_version)
    ensure_data_entry_allowed(participant, c.DataEntryKind.RECORD)
    unknown = set(changes) - set(RESEARCH_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be edited here: %s") % ", ".join(sorted(unknown))
        )
    changes = _normalised(changes)
    birth = participant.identity.birth_date if hasattr(participant, "identity") else None
    merged = {f: getattr(participant, f) for f in RESEARCH_FIELDS} | changes
    errors = validators.research_errors(merged, today=site_today(participant), birth=birth)
    for field, value in changes.items():
        setattr(participant, field, value)
    full_clean_or_fail(participant, errors=errors)
    stamp(participant, user=user, reason=reason)
    participant.save()
    return participant


@transaction.atomic
def identity_update(
    *,
    user: User,
    participant: Participant,
    changes: dict[str, Any],
    reason: str,
    expected_version: int | None,
) -> ParticipantIdentity:
    require(user, Capability.VIEW_IDENTITY, participant.site)
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    record = ParticipantIdentity.objects.select_for_update(of=("self",)).get(
        participant=participant
    )
    _check_version(record, expected_version)
    merged: dict[str, Any] = {f: getattr(record, f) for f in IDENTITY_FIELDS}
    merged["date_of_birth"] = record.birth_date
    merged |= changes
    _fail(
        validators.identity_errors(
            {**merged, "screened_on": participant.screened_on}, today=site_today(participant)
        )
    )
    for field in IDENTITY_FIELDS:
        if field in changes:
            setattr(record, field, (changes[field] or "").strip())
    record.date_of_birth = merged["date_of_birth"].isoformat()
    record.blind_index = identity_blind_index(
        merged["given_name"], merged["family_name"], merged["date_of_birth"]
    )
    clash = ParticipantIdentity.objects.filter(site=record.site, blind_index=record.blind_index)
    if clash.exclude(pk=record.pk).exists():
        raise ValidationFailed(
            _("A child with this name and date of birth is already registered at this site."),
            field="given_name",
        )
    stamp(record, user=user, reason=reason)
    record.save()
    if "date_of_birth" in changes:
        participant.age_months_at_screening = validators.age_in_months(
            merged["date_of_birth"], participant.screened_on
        )
        stamp(participant, user=user, reason=f"age recomputed after identity correction: {reason}")
        participant.save()
    return record


@transaction.atomic
def nda_guid_set(*, user: User, participant: Participant, guid: str, reason: str) -> Participant:
    """Record (or correct, or clear) the child's NDA GUID, with the reason in the audit trail.

    Identity-level (see :mod:`neuroregen.participants.nda_guid`): only staff who manage the
    child and may see its identity at its site.
    """
    require(user, Capability.VIEW_IDENTITY, participant.site)
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    participant.nda_guid = normalise_nda_guid(guid)
    try:
        validate_nda_guid(participant.nda_guid)
    except DjangoValidationError as error:
        raise ValidationFailed(error.messages[0], field="nda_guid") from error
    clash = Participant.objects.filter(site=participant.site, nda_guid=participant.nda_guid)
    if participant.nda_guid and clash.exclude(pk=participant.pk).exists():
        raise ValidationFailed(
            _("This NDA GUID is already recorded for another child at this site."),
            field="nda_guid",
        )
    stamp(participant, user=user, reason=reason)
    participant.save()
    return participant


@transaction.atomic
def comorbidity_record(
    *,
    user: User,
    participant: Participant,
    condition: str,
    seizure_control: str = "",
    notes: str = "",
) -> ParticipantComorbidity:
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    ensure_data_entry_allowed(participant, c.DataEntryKind.RECORD)
    if condition != c.Comorbidity.EPILEPSY and seizure_control:
        raise ValidationFailed(
            _("Seizure control applies to epilepsy only."), field="seizure_control"
        )
    if ParticipantComorbidity.objects.filter(participant=participant, condition=condition).exists():
        raise ValidationFailed(_("This comorbidity is already recorded."), field="condition")
    item = ParticipantComorbidity(
        participant=participant, condition=condition, seizure_control=seizure_control, notes=notes
    )
    full_clean_or_fail(item)
    stamp(item, user=user, reason="recorded")
    item.save()
    return item


@transaction.atomic
def anthropometry_record(
    *,
    user: User,
    participant: Participant,
    measured_on: dt.date,
    weight_kg: Decimal,
    height_cm: Decimal | None = None,
) -> Anthropometry:
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    ensure_data_entry_allowed(participant, c.DataEntryKind.CONTACT, on=measured_on)
    errors = validators.measurement_date_errors(
        measured_on=measured_on,
        birth=participant.identity.birth_date,
        today=site_today(participant),
    )
    item = Anthropometry(
        participant=participant, measured_on=measured_on, weight_kg=weight_kg, height_cm=height_cm
    )
    full_clean_or_fail(item, errors=errors)
    stamp(item, user=user, reason="recorded")
    item.save()
    return item


def _active_document(document: ConsentDocument | int) -> ConsentDocument:
    if isinstance(document, int):
        found = ConsentDocument.objects.filter(pk=document).first()
        if found is None:
            raise NotFound(_("Unknown consent document."))
        return found
    return document


@transaction.atomic
def consent_record(
    *,
    user: User,
    participant: Participant,
    document: ConsentDocument | int,
    signed_on: dt.date,
    signed_by_relationship: str,
) -> Consent:
    """Record a signed guardian consent or child assent; guardian consent moves screening on."""
    require(user, Capability.RECORD_CONSENT, participant.site)
    document = _active_document(document)
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    if participant.status in (c.ParticipantStatus.WITHDRAWN, c.ParticipantStatus.SCREEN_FAILED):
        raise InvalidTransition(
            _("Consent cannot be recorded for a participant who is %(status)s.")
            % {"status": participant.get_status_display().lower()}
        )
    if not (signed_by_relationship or "").strip():
        raise ValidationFailed(_("Say who signed."), field="signed_by_relationship")
    _fail(
        validators.consent_date_errors(
            signed_on=signed_on,
            birth=participant.identity.birth_date,
            today=site_today(participant),
            effective_from=document.effective_from,
            retired_on=document.retired_on,
        )
    )
    _refuse_repeated_consent(participant, document, signed_by_relationship)
    consent = Consent(
        participant=participant,
        document=document,
        signed_on=signed_on,
        signed_by_relationship=signed_by_relationship.strip(),
        recorded_by=user,
    )
    stamp(consent, user=user, reason="recorded")
    consent.save()
    if (
        document.kind == c.ConsentKind.GUARDIAN_CONSENT
        and participant.status == c.ParticipantStatus.SCREENING
    ):
        participant.status = c.ParticipantStatus.CONSENTED
        stamp(participant, user=user, reason=f"guardian consent {document} recorded")
        participant.save()
    return consent


def _refuse_repeated_consent(
    participant: Participant, document: ConsentDocument, signed_by: str
) -> None:
    """One signature per document version and signer role, unless withdrawn since.

    The version is the document's kind and version in any language: a guardian who signed the
    Russian v2.0 has signed v2.0. The caller holds the participant's row lock, so two
    concurrent submissions of the same signature cannot both pass.
    """
    role = signed_by.strip().casefold()
    earlier = [
        consent
        for consent in participant.consents.select_related("document").filter(
            document__kind=document.kind, document__version=document.version
        )
        if consent.signed_by_relationship.strip().casefold() == role
    ]
    if not earlier:
        return
    last_signed = max(consent.signed_on for consent in earlier)
    if participant.withdrawals.filter(effective_on__gte=last_signed).exists():
        return
    raise ValidationFailed(
        _(
            "This consent is already recorded: %(document)s signed by %(signer)s on %(day)s. "
            "A version is signed once per signer unless consent was withdrawn since."
        )
        % {"document": document, "signer": signed_by.strip(), "day": last_signed},
        field="signed_by_relationship",
    )


def assent_required(participant: Participant, on: dt.date) -> bool:
    age = validators.age_in_months(participant.identity.birth_date, on)
    return age >= settings.NEUROREGEN_ASSENT_MIN_AGE_YEARS * 12


@transaction.atomic
def participant_enrol(
    *, user: User, participant: Participant, enrolled_on: dt.date | None = None
) -> Participant:
    """Enrol a consented child. Child assent is required from the configured age."""
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    enrolled_on = enrolled_on or site_today(participant)
    if participant.status != c.ParticipantStatus.CONSENTED:
        raise InvalidTransition(
            _("Only a consented participant can be enrolled (this one is %(status)s).")
            % {"status": participant.get_status_display().lower()}
        )
    consents = list(participant.consents.select_related("document"))
    if not any(x.document.kind == c.ConsentKind.GUARDIAN_CONSENT for x in consents):
        raise ValidationFailed(_("Guardian consent is missing."))
    if assent_required(participant, enrolled_on) and not any(
        x.document.kind == c.ConsentKind.CHILD_ASSENT for x in consents
    ):
        raise ValidationFailed(
            _("Child assent is required from age %(age)s and has not been recorded.")
            % {"age": settings.NEUROREGEN_ASSENT_MIN_AGE_YEARS}
        )
    if enrolled_on < max(x.signed_on for x in consents):
        raise ValidationFailed(_("Enrolment cannot precede consent."), field="enrolled_on")
    participant.status = c.ParticipantStatus.ENROLLED
    participant.enrolled_on = enrolled_on
    stamp(participant, user=user, reason="enrolled")
    participant.save()
    return participant


@transaction.atomic
def participant_screen_fail(*, user: User, participant: Participant, reason: str) -> Participant:
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    if participant.status not in (c.ParticipantStatus.SCREENING, c.ParticipantStatus.CONSENTED):
        raise InvalidTransition()
    if not reason.strip():
        raise ValidationFailed(_("Give the screen-fail reason."), field="reason")
    participant.status = c.ParticipantStatus.SCREEN_FAILED
    participant.screen_fail_reason = reason.strip()
    stamp(participant, user=user, reason=f"screen failed: {reason.strip()}")
    participant.save()
    return participant


@transaction.atomic
def consent_withdraw(
    *,
    user: User,
    participant: Participant,
    scope: str,
    effective_on: dt.date,
    reason: str = "",
) -> Withdrawal:
    """Record a withdrawal. From ``effective_on`` the matching data entry is refused."""
    require(user, Capability.RECORD_CONSENT, participant.site)
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    if scope not in c.WithdrawalScope.values:
        raise ValidationFailed(_("Unknown withdrawal scope."), field="scope")
    if effective_on > site_today(participant):
        raise ValidationFailed(_("The withdrawal date is in the future."), field="effective_on")
    if effective_on < participant.screened_on:
        raise ValidationFailed(_("The withdrawal date is before screening."), field="effective_on")
    withdrawal = Withdrawal(
        participant=participant,
        scope=scope,
        effective_on=effective_on,
        reason=reason.strip(),
        recorded_by=user,
    )
    stamp(withdrawal, user=user, reason="recorded")
    withdrawal.save()
    if participant.status != c.ParticipantStatus.WITHDRAWN:
        participant.status = c.ParticipantStatus.WITHDRAWN
        stamp(participant, user=user, reason=f"consent withdrawn ({scope})")
        participant.save()
    return withdrawal


_BLOCKS = {
    c.WithdrawalScope.NO_FURTHER_CONTACT: {c.DataEntryKind.CONTACT},
    c.WithdrawalScope.NO_FURTHER_DATA: {c.DataEntryKind.CONTACT, c.DataEntryKind.RECORD},
    c.WithdrawalScope.WITHDRAW_DATA: {c.DataEntryKind.CONTACT, c.DataEntryKind.RECORD},
}


def data_entry_blocker(
    participant: Participant, kind: str, on: dt.date | None = None
) -> Withdrawal | None:
    """The withdrawal that forbids entering data of ``kind`` dated ``on`` (today), if any."""
    on = on or site_today(participant)
    for withdrawal in participant.withdrawals.all():
        if kind not in _BLOCKS[c.WithdrawalScope(withdrawal.scope)]:
            continue
        # Data gathered before a withdrawal may still be entered, unless the data itself is
        # withdrawn: then nothing more is recorded, whatever its date.
        if withdrawal.scope == c.WithdrawalScope.WITHDRAW_DATA or withdrawal.effective_on <= on:
            return withdrawal
    return None


def ensure_data_entry_allowed(
    participant: Participant, kind: str, on: dt.date | None = None
) -> None:
    """Raise :class:`DataEntryBlocked` if a withdrawal forbids this data entry."""
    blocker = data_entry_blocker(participant, kind, on)
    if blocker is not None:
        raise DataEntryBlocked(
            _("Consent was withdrawn on %(day)s (%(scope)s): this data can no longer be recorded.")
            % {"day": blocker.effective_on, "scope": blocker.get_scope_display()}
        )


def data_excluded_from_analysis(participant: Participant) -> bool:
    return participant.withdrawals.filter(scope=c.WithdrawalScope.WITHDRAW_DATA).exists()


@transaction.atomic
def family_link_create(*, user: User, family_user: User, participant: Participant) -> FamilyLink:
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    from neuroregen.core.services import membership_grant

    membership_grant(user=family_user, role="family", site=participant.site)
    link, _created = FamilyLink.objects.get_or_create(user=family_user, participant=participant)
    return link
