"""What an export may contain, read once through the restricted querysets.

Every exporter (REDCap, tidy, ODM, SDTM, FHIR, NDA) starts from :func:`collect`, so the rules
live in one place:

- rows come from ``Model.objects.for_user(user, EXPORT_PSEUDONYMOUS)``: roles and sites as in
  the pages;
- children whose data were withdrawn (``withdraw_data``) are left out;
- identity (names, birth date) is read only when ``include_identity`` is asked for *and* the
  user holds ``EXPORT_IDENTITY`` (administrators); otherwise nothing identifying is loaded;
- administrations (EX, FHIR Procedure) are those given on an arm of the protocol; adverse
  events (AE, FHIR AdverseEvent) are every event of an exported child. Both are read in one
  query each, whatever the number of children;
- with ``shift_dates`` every calendar date of a child moves by the same number of days (a
  keyed hash of the study code, ±1–182 days), so intervals and study days are kept while
  dates no longer point at real days. Study days never move.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from neuroregen.biomarkers.models import Measurement
from neuroregen.core.errors import NotFound, NotPermitted
from neuroregen.core.models import ElectronicSignature
from neuroregen.core.permissions import has_capability
from neuroregen.core.roles import Capability
from neuroregen.instruments.models import Instrument, Response
from neuroregen.participants.choices import WithdrawalScope
from neuroregen.participants.models import Participant, ParticipantIdentity, Withdrawal
from neuroregen.products.models import Administration
from neuroregen.protocols import timeline
from neuroregen.protocols.models import Arm, Assignment, Protocol
from neuroregen.safety.models import AdverseEvent
from neuroregen.visits.models import Visit, VisitDefinition

MAX_SHIFT_DAYS = 182


def date_shift_days(study_code: str) -> int:
    """The participant's date offset: the same every export, never 0, within ±182 days."""
    key = f"neuroregen.interop.date-shift:{settings.SECRET_KEY}".encode()
    digest = hmac.new(key, study_code.encode(), hashlib.sha256).digest()
    magnitude = int.from_bytes(digest[:4], "big") % MAX_SHIFT_DAYS + 1
    return magnitude if digest[4] & 1 else -magnitude


FHIR_VERSIONS = ("r4", "r4b", "r5")


@dataclass(frozen=True)
class ExportOptions:
    shift_dates: bool = False
    include_identity: bool = False
    fhir_version: str = "r4"  # see neuroregen.interop.fhir_versions
    allow_missing_guid: bool = False  # NDA: a marked pre-submission file instead of a refusal


@dataclass
class Dataset:
    """A snapshot of one protocol's data that ``user`` may export."""

    protocol: Protocol
    options: ExportOptions
    participants: list[Participant]
    assignments: dict[int, Assignment]  # participant pk → assignment in this protocol
    visits: dict[int, list[Visit]]  # participant pk → visits by target day
    definitions: list[VisitDefinition]  # the schedule (latest version), by target day
    arms: list[Arm]
    instruments: list[Instrument]  # forms of the schedule, in schedule order
    responses: dict[int, list[Response]]  # visit pk → responses
    measurements: dict[int, list[Measurement]]  # participant pk → measurements
    identities: dict[int, ParticipantIdentity] = field(default_factory=dict)
    signatures: dict[int, list[ElectronicSignature]] = field(default_factory=dict)
    withdrawals: dict[int, list[Withdrawal]] = field(default_factory=dict)
    administrations: dict[int, list[Administration]] = field(default_factory=dict)
    adverse_events: dict[int, list[AdverseEvent]] = field(default_factory=dict)
    nda_guids: dict[int, str] = field(default_factory=dict)  # only where the user sees identity

    def shift(self, participant: Participant, value: dt.date | dt.datetime | None) -> Any:
        """``value`` moved by the participant's offset when dates are shifted."""
        if value is None or not self.options.shift_dates:
            return value
        return value + dt.timedelta(days=date_shift_days(participant.study_code))

    def day_zero(self, participant: Participant) -> dt.date | None:
        assignment = self.assignments.get(participant.pk)
        if assignment is None:
            return None
        return assignment.day_zero

    def study_day(self, participant: Participant, on: dt.date | None) -> int | None:
        """Our study day (day 0 = first administration); None before day 0 is known."""
        zero = self.day_zero(participant)
        if zero is None or on is None:
            return None
        return timeline.study_day(zero, on)

    def arm_number(self, arm_code: str) -> int:
        """REDCap arm number: position of the arm among the protocol's arms by code, from 1."""
        return [a.code for a in self.arms].index(arm_code) + 1

    def visit_ordinal(self, participant: Participant, visit: Visit) -> int:
        """Position of the visit in the child's schedule, from 1 (a REDCap repeat instance)."""
        return [v.pk for v in self.visits[participant.pk]].index(visit.pk) + 1


def protocol_by_code(code: str) -> Protocol:
    """The newest version of a protocol by code (assignments to every version are exported)."""
    found = Protocol.objects.filter(code=code).order_by("-pk").first()
    if found is None:
        raise NotFound(_("Unknown protocol '%(code)s'.") % {"code": code})
    return found


def _nda_guids(user: Any, participants: list[Participant]) -> dict[int, str]:
    """GUIDs are identity-level (neuroregen.participants.nda_guid): per site, ``view_identity``."""
    sees: dict[int, bool] = {}
    found = {}
    for p in participants:
        if p.site_id not in sees:
            sees[p.site_id] = has_capability(user, Capability.VIEW_IDENTITY, p.site)
        if p.nda_guid and sees[p.site_id]:
            found[p.pk] = p.nda_guid
    return found


def collect(*, user: Any, protocol: str, options: ExportOptions | None = None) -> Dataset:
    """Everything of ``protocol`` (a code) that ``user`` may export, loaded in a few queries."""
    options = options or ExportOptions()
    if not has_capability(user, Capability.EXPORT_PSEUDONYMOUS):
        raise NotPermitted(capability=Capability.EXPORT_PSEUDONYMOUS.value)
    if options.include_identity and not has_capability(user, Capability.EXPORT_IDENTITY):
        raise NotPermitted(
            _("Only an administrator can include identity in an export."),
            capability=Capability.EXPORT_IDENTITY.value,
        )
    latest = protocol_by_code(protocol)
    cap = Capability.EXPORT_PSEUDONYMOUS
    withdrawn = Withdrawal.objects.filter(scope=WithdrawalScope.WITHDRAW_DATA).values(
        "participant_id"
    )
    assignments = {
        a.participant_id: a
        for a in Assignment.objects.for_user(user, cap)
        .filter(protocol__code=protocol)
        .exclude(participant_id__in=withdrawn)
        .select_related("arm", "protocol")
        .order_by("participant_id", "pk")
    }
    participants = list(
        Participant.objects.for_user(user, cap)
        .filter(pk__in=assignments)
        .select_related("site")
        .order_by("study_code")
    )
    visits: dict[int, list[Visit]] = defaultdict(list)
    visit_rows = (
        Visit.objects.for_user(user, cap)
        .filter(assignment__in=[a.pk for a in assignments.values()], cancelled_on__isnull=True)
        .select_related("definition")
        .order_by("participant_id", "target_day", "code")
    )
    for visit in visit_rows:
        visits[visit.participant_id].append(visit)
    definitions = list(latest.visit_definitions.order_by("target_day", "code"))
    codes: list[str] = []
    for definition in definitions:
        codes.extend(c for c in definition.instruments if c not in codes)
    by_code = {i.code: i for i in Instrument.objects.prefetch_related("fields", "scores")}
    responses: dict[int, list[Response]] = defaultdict(list)
    for response in (
        Response.objects.for_user(user, cap)
        .filter(visit__in=[v.pk for vs in visits.values() for v in vs])
        .select_related("instrument")
        .order_by("visit_id", "instrument__code")
    ):
        responses[response.visit_id].append(response)
        if response.instrument.code not in codes:
            codes.append(response.instrument.code)
    measurements: dict[int, list[Measurement]] = defaultdict(list)
    for measurement in (
        Measurement.objects.for_user(user, cap)
        .filter(participant__in=participants)
        .order_by("participant_id", "collected_at", "analyte", "pk")
    ):
        measurements[measurement.participant_id].append(measurement)
    administrations: dict[int, list[Administration]] = defaultdict(list)
    for administration in (
        Administration.objects.for_user(user, cap)
        .filter(participant__in=participants, arm__protocol__code=protocol)
        .select_related("lot", "container", "arm", "site")
        .order_by("participant_id", "started_at", "pk")
    ):
        administrations[administration.participant_id].append(administration)
    adverse_events: dict[int, list[AdverseEvent]] = defaultdict(list)
    for event in (
        AdverseEvent.objects.for_user(user, cap)
        .filter(participant__in=participants)
        .order_by("participant_id", "onset_date", "pk")
    ):
        adverse_events[event.participant_id].append(event)
    withdrawals: dict[int, list[Withdrawal]] = defaultdict(list)
    for withdrawal in Withdrawal.objects.filter(participant__in=participants).order_by("pk"):
        withdrawals[withdrawal.participant_id].append(withdrawal)
    signatures: dict[int, list[ElectronicSignature]] = defaultdict(list)
    from django.contrib.contenttypes.models import ContentType

    by_assignment = {str(a.pk): a.participant_id for a in assignments.values()}
    for signature in ElectronicSignature.objects.filter(
        content_type=ContentType.objects.get_for_model(Assignment),
        object_id__in=list(by_assignment),
    ).select_related("signer"):
        signatures[by_assignment[signature.object_id]].append(signature)
    identities: dict[int, ParticipantIdentity] = {}
    if options.include_identity:
        identities = {
            i.participant_id: i
            for i in ParticipantIdentity.objects.for_user(user, Capability.VIEW_IDENTITY).filter(
                participant__in=participants
            )
        }
    return Dataset(
        nda_guids=_nda_guids(user, participants),
        protocol=latest,
        options=options,
        participants=participants,
        assignments=assignments,
        visits=dict(visits),
        definitions=definitions,
        arms=sorted(latest.arms.all(), key=lambda a: a.code),
        instruments=[by_code[c] for c in codes if c in by_code],
        responses=dict(responses),
        measurements=dict(measurements),
        identities=identities,
        signatures=dict(signatures),
        withdrawals=dict(withdrawals),
        administrations=dict(administrations),
        adverse_events=dict(adverse_events),
    )
