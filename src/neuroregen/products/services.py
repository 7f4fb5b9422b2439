"""Writes of the products app. Each function is one transaction and leaves an audit record.

Capabilities: lab work (sources, lots, QC, custody in the lab, recall) needs ``lab_write`` at
the holding site; release needs ``release_lot``; bedside work (receipt at the clinic, custody
hand-offs on the ward, administration) needs ``administer_product`` at the participant's site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core import codes
from neuroregen.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from neuroregen.core.models import Site, User
from neuroregen.core.numbers import significant
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.services import signature_create
from neuroregen.core.validation import full_clean_or_fail
from neuroregen.participants import choices as pc
from neuroregen.participants import services as participant_services
from neuroregen.participants.models import Anthropometry, Participant
from neuroregen.products import choices as c
from neuroregen.products import hla, lot_state, qc, validators
from neuroregen.products.errors import (
    CustodyConflict,
    DoseOutOfRange,
    IdentityMismatch,
    InvalidCode,
    ProductRefused,
    QCIncomplete,
)
from neuroregen.products.models import (
    HLA_LOCI,
    Administration,
    AntibodyScreen,
    Container,
    CustodyEvent,
    Deviation,
    Donor,
    HLATyping,
    IPSCLine,
    Lot,
    LotRelease,
    QCResult,
    QCSpecification,
    QCSpecItem,
    SourceMaterial,
)
from neuroregen.products.selectors import lot_qc_verdict
from neuroregen.protocols.choices import ProductType
from neuroregen.protocols.dose import DoseOutOfBounds, compute_dose
from neuroregen.protocols.models import Arm

RELEASE_MEANING = "Released for clinical use"
IPSC_PRODUCTS = frozenset(
    {
        ProductType.IPSC_NEURONS,
        ProductType.IPSC_OLIGODENDROCYTE_PROGENITORS,
        ProductType.IPSC_ASTROCYTES,
        ProductType.IPSC_MIX,
    }
)


def _new_code(model: type[models.Model], prefix: str) -> str:
    return codes.unused_code(
        prefix, taken=lambda code: model._default_manager.filter(code=code).exists()
    )


_fail = ValidationFailed.raise_for


_save = lot_state.save


def _require_any(user: User, capabilities: Sequence[Capability], site: Site) -> None:
    if not any(has_capability(user, cap, site) for cap in capabilities):
        raise NotPermitted(capability=capabilities[0].value)


def _not_future(when: dt.datetime | dt.date, field: str) -> None:
    if isinstance(when, dt.datetime):
        late = when > timezone.now()
    else:
        late = when > timezone.localdate()
    if late:
        raise ValidationFailed(_("This date or time is in the future."), field=field)


# --- donors and source material ------------------------------------------------------------


@transaction.atomic
def donor_register(
    *,
    user: User,
    site: Site,
    eligibility: str = c.DonorEligibility.PENDING,
    determined_on: dt.date | None = None,
    summary: str = "",
) -> Donor:
    require(user, Capability.LAB_WRITE, site)
    if eligibility != c.DonorEligibility.PENDING and determined_on is None:
        raise ValidationFailed(
            _("Give the date of the eligibility determination."), field="eligibility_determined_on"
        )
    if determined_on is not None:
        _not_future(determined_on, "eligibility_determined_on")
    donor = Donor(
        code=_new_code(Donor, c.CodePrefix.DONOR),
        site=site,
        eligibility=eligibility,
        eligibility_determined_on=determined_on,
        eligibility_summary=summary.strip(),
    )
    donor.full_clean(exclude=["code"])
    _save(donor, user=user, reason="donor registered")
    return donor


@transaction.atomic
def donor_eligibility_determine(
    *,
    user: User,
    donor: Donor,
    eligibility: str,
    determined_on: dt.date,
    summary: str,
    reason: str,
) -> Donor:
    require(user, Capability.LAB_WRITE, donor.site)
    if eligibility not in c.DonorEligibility.values:
        raise ValidationFailed(_("Unknown eligibility."), field="eligibility")
    _not_future(determined_on, "eligibility_determined_on")
    donor = Donor.objects.select_for_update(of=("self",)).get(pk=donor.pk)
    donor.eligibility = eligibility
    donor.eligibility_determined_on = determined_on
    donor.eligibility_summary = summary.strip()
    _save(donor, user=user, reason=reason)
    return donor


@transaction.atomic
def source_collect(
    *,
    user: User,
    kind: str,
    collected_at: dt.datetime,
    participant: Participant | None = None,
    donor: Donor | None = None,
    quantity: str = "",
    external_reference: str = "",
    notes: str = "",
) -> SourceMaterial:
    """Register collected starting material. Autologous material is bound to the child now."""
    if (participant is None) == (donor is None):
        raise ValidationFailed(
            _("Source material comes from a participant or a donor."), field="participant"
        )
    site = participant.site if participant is not None else donor.site  # type: ignore[union-attr]
    require(user, Capability.LAB_WRITE, site)
    if kind not in c.SourceKind.values:
        raise ValidationFailed(_("Unknown kind of source material."), field="kind")
    _not_future(collected_at, "collected_at")
    if participant is not None:
        if participant.status not in (
            pc.ParticipantStatus.CONSENTED,
            pc.ParticipantStatus.ENROLLED,
        ):
            raise InvalidTransition(
                _("Material can be collected only from a consented participant.")
            )
        day = timezone.localdate(collected_at)
        participant_services.ensure_data_entry_allowed(
            participant, pc.DataEntryKind.CONTACT, on=day
        )
        consented = (
            participant.consents.filter(document__kind=pc.ConsentKind.GUARDIAN_CONSENT)
            .order_by("signed_on")
            .first()
        )
        # A cord-blood unit banked at birth predates consent; everything else is collected after.
        banked = kind == c.SourceKind.CORD_BLOOD_UNIT
        if consented is None or (day < consented.signed_on and not banked):
            raise ValidationFailed(
                _("Material cannot be collected before guardian consent."), field="collected_at"
            )
    source = SourceMaterial(
        code=_new_code(SourceMaterial, c.CodePrefix.SOURCE),
        site=site,
        kind=kind,
        participant=participant,
        donor=donor,
        collected_at=collected_at,
        quantity=quantity.strip(),
        external_reference=external_reference.strip(),
        notes=notes.strip(),
    )
    source.full_clean(exclude=["code"])
    _save(source, user=user, reason="collected")
    return source


@transaction.atomic
def ipsc_line_derive(
    *,
    user: User,
    source: SourceMaterial,
    reprogramming_method: str,
    clone: str,
    passage: int,
    derived_on: dt.date,
    bank: str = c.CellBank.NONE,
) -> IPSCLine:
    require(user, Capability.LAB_WRITE, source.site)
    _not_future(derived_on, "derived_on")
    if derived_on < timezone.localdate(source.collected_at):
        raise ValidationFailed(
            _("A line cannot be derived before its source was collected."), field="derived_on"
        )
    line = IPSCLine(
        code=_new_code(IPSCLine, c.CodePrefix.IPSC_LINE),
        site=source.site,
        source=source,
        reprogramming_method=reprogramming_method,
        clone=clone.strip(),
        passage=passage,
        bank=bank,
        derived_on=derived_on,
    )
    line.full_clean(exclude=["code"])
    _save(line, user=user, reason="derived")
    return line


# --- QC specifications ---------------------------------------------------------------------


@transaction.atomic
def qc_specification_create(
    *,
    user: User,
    product_type: str,
    version: str,
    items: Sequence[dict[str, Any]],
    notes: str = "",
) -> QCSpecification:
    """A draft specification with its tests. Becomes binding on activation."""
    require(user, Capability.LAB_WRITE)
    if product_type not in ProductType.values:
        raise ValidationFailed(_("Unknown product type."), field="product_type")
    if QCSpecification.objects.filter(product_type=product_type, version=version).exists():
        raise ValidationFailed(_("This version already exists."), field="version")
    if not items:
        raise ValidationFailed(_("A specification needs at least one test."), field="items")
    for item in items:
        _fail(validators.spec_item_errors(item))
    if len({i["test_code"] for i in items}) != len(items):
        raise ValidationFailed(_("Each test appears once."), field="items")
    spec = QCSpecification(product_type=product_type, version=version, notes=notes)
    _save(spec, user=user, reason="specification drafted")
    for position, item in enumerate(items):
        row = QCSpecItem(
            specification=spec,
            position=position,
            test_code=item["test_code"],
            name=item["name"],
            method=item["method"],
            criterion=item["criterion"],
            lower=item.get("lower"),
            upper=item.get("upper"),
            unit=item.get("unit", ""),
            required=item.get("required", True),
        )
        _save(row, user=user, reason="specification drafted")
    return spec


@transaction.atomic
def qc_specification_activate(
    *, user: User, specification: QCSpecification, effective_from: dt.date
) -> QCSpecification:
    """Make a draft binding for new lots; the previous active version is retired, not changed."""
    require(user, Capability.LAB_WRITE)
    spec = QCSpecification.objects.select_for_update(of=("self",)).get(pk=specification.pk)
    if spec.status != c.SpecStatus.DRAFT:
        raise InvalidTransition(_("Only a draft specification can be activated."))
    for previous in QCSpecification.objects.filter(
        product_type=spec.product_type, status=c.SpecStatus.ACTIVE
    ):
        previous.status = c.SpecStatus.RETIRED
        _save(previous, user=user, reason=f"superseded by v{spec.version}")
    spec.status = c.SpecStatus.ACTIVE
    spec.effective_from = effective_from
    _save(spec, user=user, reason="activated")
    return spec


def active_specification(product_type: str) -> QCSpecification | None:
    return QCSpecification.objects.filter(
        product_type=product_type, status=c.SpecStatus.ACTIVE
    ).first()


# --- lots and containers -------------------------------------------------------------------


_transition = lot_state.transition
_locked = lot_state.locked


@transaction.atomic
def lot_create(
    *,
    user: User,
    source: SourceMaterial,
    product_type: str,
    manufacture_started_on: dt.date,
    expires_at: dt.datetime,
    concentration: Decimal,
    concentration_unit: str,
    volume_ml: Decimal,
    storage: str,
    ipsc_line: IPSCLine | None = None,
    arm: Arm | None = None,
    site: Site | None = None,
) -> Lot:
    """Start a lot from source material (and an iPSC line for iPSC-derived products).

    An autologous lot is bound to the source's participant and held at the participant's site;
    an allogeneic lot is held at the manufacturing ``site`` (default: the source's site).
    """
    if product_type not in ProductType.values:
        raise ValidationFailed(_("Unknown product type."), field="product_type")
    autologous = product_type in ProductType.autologous()
    if autologous != source.is_autologous:
        raise IdentityMismatch(
            _(
                "An autologous product is made only from the child's own material, and an "
                "allogeneic one only from donor material."
            )
        )
    holding = source.site if autologous or site is None else site
    require(user, Capability.LAB_WRITE, holding)
    if product_type in IPSC_PRODUCTS and ipsc_line is None:
        raise ValidationFailed(
            _("Name the iPSC line this product is derived from."), field="ipsc_line"
        )
    if ipsc_line is not None and ipsc_line.source_id != source.pk:
        raise IdentityMismatch(_("The iPSC line was not derived from this source material."))
    if arm is not None and (autologous or arm.product_type != product_type):
        raise ValidationFailed(
            _(
                "Only an allogeneic lot is allocated to an arm, and only to an arm of its product "
                "type."
            ),
            field="arm",
        )
    if expires_at <= timezone.make_aware(dt.datetime.combine(manufacture_started_on, dt.time())):
        raise ValidationFailed(
            _("Expiry must follow the start of manufacture."), field="expires_at"
        )
    spec = active_specification(product_type)
    if spec is None:
        raise ValidationFailed(
            _("There is no active QC specification for this product type."), field="product_type"
        )
    lot = Lot(
        code=_new_code(Lot, c.CodePrefix.LOT),
        site=holding,
        participant=source.participant if autologous else None,
        source=source,
        ipsc_line=ipsc_line,
        product_type=product_type,
        arm=arm,
        manufacture_started_on=manufacture_started_on,
        expires_at=expires_at,
        concentration=concentration,
        concentration_unit=concentration_unit,
        volume_ml=volume_ml,
        storage=storage,
        qc_specification=spec,
    )
    lot.full_clean(exclude=["code"])
    _save(lot, user=user, reason="manufacture started")
    return lot


@transaction.atomic
def lot_complete_manufacture(*, user: User, lot: Lot, manufactured_on: dt.date) -> Lot:
    """Manufacture done: the lot enters quarantine until QC and signed release."""
    require(user, Capability.LAB_WRITE, lot.site)
    lot = _locked(lot)
    _not_future(manufactured_on, "manufactured_on")
    if manufactured_on < lot.manufacture_started_on:
        raise ValidationFailed(_("Completion cannot precede the start."), field="manufactured_on")
    lot.manufactured_on = manufactured_on
    return _transition(lot, c.LotStatus.QUARANTINE, user=user, reason="manufacture completed")


@transaction.atomic
def containers_fill(*, user: User, lot: Lot, volumes_ml: Sequence[Decimal]) -> list[Container]:
    """Fill dose containers from a lot (before release), each with its own code."""
    require(user, Capability.LAB_WRITE, lot.site)
    lot = _locked(lot)
    if lot.status not in (c.LotStatus.IN_PROCESS, c.LotStatus.QUARANTINE):
        raise InvalidTransition(_("Containers are filled before QC concludes."))
    if not volumes_ml or any(v <= 0 for v in volumes_ml):
        raise ValidationFailed(_("Each container needs a positive volume."), field="volumes_ml")
    used = lot.containers.aggregate(total=models.Sum("volume_ml"))["total"] or Decimal(0)
    if used + sum(volumes_ml) > lot.volume_ml:
        raise ValidationFailed(
            _("The containers would hold %(total)s mL, more than the lot's %(volume)s mL.")
            % {"total": used + sum(volumes_ml), "volume": lot.volume_ml},
            field="volumes_ml",
        )
    start = lot.containers.count()
    made = []
    for offset, volume in enumerate(volumes_ml, start=1):
        container = Container(
            code=_new_code(Container, c.CodePrefix.CONTAINER),
            lot=lot,
            site=lot.site,
            sequence=start + offset,
            volume_ml=volume,
        )
        _save(container, user=user, reason="filled")
        made.append(container)
    return made


@transaction.atomic
def lot_status_change(*, user: User, lot: Lot, to: str, reason: str) -> Lot:
    """Expire or destroy a lot. Other moves have their own services (QC, release, recall …)."""
    require(user, Capability.LAB_WRITE, lot.site)
    if to not in (c.LotStatus.EXPIRED, c.LotStatus.DESTROYED):
        raise InvalidTransition(_("Use the dedicated step for this change of status."))
    if not reason.strip():
        raise ValidationFailed(_("Give the reason."), field="reason")
    return _transition(_locked(lot), to, user=user, reason=reason)


# --- QC results, deviations, conclusion, release -------------------------------------------


@transaction.atomic
def qc_result_record(
    *,
    user: User,
    lot: Lot,
    test_code: str,
    tested_on: dt.date,
    value: Decimal | None = None,
    passed: bool | None = None,
    comment: str = "",
) -> QCResult:
    """Record a result while in quarantine. Results are never overwritten: a re-test is a new
    result, allowed only after the earlier out-of-specification results were investigated
    (see ``products.qc``)."""
    require(user, Capability.LAB_WRITE, lot.site)
    lot = _locked(lot)
    if lot.status != c.LotStatus.QUARANTINE:
        raise InvalidTransition(_("QC results are recorded while the lot is in quarantine."))
    item = lot.qc_specification.items.filter(test_code=test_code).first()
    if item is None:
        raise ValidationFailed(
            _("This test is not part of the lot's specification."), field="test_code"
        )
    _not_future(tested_on, "tested_on")
    qc.retest_allowed(lot, item)
    if item.criterion == c.CriterionKind.PASS_FAIL:
        if passed is None:
            raise ValidationFailed(_("Say whether the test passed."), field="passed")
        value = None
    else:
        if value is None:
            raise ValidationFailed(_("Give the measured value."), field="value")
        passed = None
    result = QCResult(
        lot=lot,
        site=lot.site,
        item=item,
        value=value,
        passed=passed,
        tested_on=tested_on,
        comment=comment.strip(),
        recorded_by=user,
        in_spec=validators.criterion_met(
            item.criterion, lower=item.lower, upper=item.upper, value=value, passed=passed
        ),
    )
    _save(result, user=user, reason="recorded")
    return result


@transaction.atomic
def deviation_record(
    *,
    user: User,
    lot: Lot,
    classification: str,
    description: str,
    opened_on: dt.date,
    qc_result: QCResult | None = None,
) -> Deviation:
    require(user, Capability.LAB_WRITE, lot.site)
    if qc_result is not None and qc_result.lot_id != lot.pk:
        raise ValidationFailed(_("The result belongs to another lot."), field="qc_result")
    if not description.strip():
        raise ValidationFailed(_("Describe the deviation."), field="description")
    _not_future(opened_on, "opened_on")
    deviation = Deviation(
        lot=lot,
        site=lot.site,
        qc_result=qc_result,
        classification=classification,
        description=description.strip(),
        opened_on=opened_on,
        recorded_by=user,
    )
    deviation.full_clean()
    _save(deviation, user=user, reason="opened")
    return deviation


@transaction.atomic
def deviation_close(
    *, user: User, deviation: Deviation, closed_on: dt.date, disposition: str
) -> Deviation:
    require(user, Capability.LAB_WRITE, deviation.site)
    deviation = Deviation.objects.select_for_update(of=("self",)).get(pk=deviation.pk)
    if deviation.closed_on is not None:
        raise InvalidTransition(_("The deviation is already closed."))
    if not disposition.strip():
        raise ValidationFailed(_("State the disposition."), field="disposition")
    if closed_on < deviation.opened_on:
        raise ValidationFailed(_("Closure cannot precede opening."), field="closed_on")
    deviation.closed_on = closed_on
    deviation.disposition = disposition.strip()
    _save(deviation, user=user, reason="closed")
    return deviation


def _qc_refusal(verdict: validators.QCVerdict) -> QCIncomplete:
    parts = []
    if verdict.missing:
        parts.append(_("missing: %s") % ", ".join(verdict.missing))
    if verdict.out_of_spec:
        parts.append(_("out of specification: %s") % ", ".join(verdict.out_of_spec))
    if verdict.pending_investigation:
        parts.append(
            _("OOS investigation not concluded: %s") % ", ".join(verdict.pending_investigation)
        )
    error = QCIncomplete(_("Release refused — %s.") % "; ".join(parts))
    error.params = {
        "missing": verdict.missing,
        "out_of_spec": verdict.out_of_spec,
        "pending_investigation": verdict.pending_investigation,
    }
    return error


@transaction.atomic
def lot_qc_conclude(*, user: User, lot: Lot) -> Lot:
    """End quarantine: QC passed when every required test is in specification, else failed.

    An out-of-specification result fails the lot unless its investigation invalidated it; while
    an investigation is open, QC cannot be concluded either way.
    """
    require(user, Capability.LAB_WRITE, lot.site)
    lot = _locked(lot)
    if lot.status != c.LotStatus.QUARANTINE:
        raise InvalidTransition(_("QC is concluded for a lot in quarantine."))
    verdict = lot_qc_verdict(lot)
    if verdict.missing:
        raise QCIncomplete(_("QC cannot be concluded — missing: %s.") % ", ".join(verdict.missing))
    if verdict.pending_investigation and not verdict.out_of_spec:
        raise QCIncomplete(
            _("QC cannot be concluded — an OOS investigation is still open: %s.")
            % ", ".join(verdict.pending_investigation)
        )
    if verdict.passed:
        return _transition(lot, c.LotStatus.QC_PASSED, user=user, reason="QC passed")
    return _transition(
        lot, c.LotStatus.QC_FAILED, user=user, reason="QC failed: " + ", ".join(verdict.out_of_spec)
    )


@transaction.atomic
def lot_release(
    *, user: User, lot: Lot, password: str, meaning: str = RELEASE_MEANING
) -> LotRelease:
    """Signed release (21 CFR 1271.265, Part 11 e-signature).

    Refused while any required QC test is missing or out of specification, with an open
    critical deviation, for an ineligible or undetermined donor, after expiry, on a wrong
    password (nothing is written), and for anyone who entered or edited the lot's QC results
    (release is a second person's review).
    """
    require(user, Capability.RELEASE_LOT, lot.site)
    lot = _locked(lot)
    verdict = lot_qc_verdict(lot)
    if not verdict.passed:
        raise _qc_refusal(verdict)
    if lot.status != c.LotStatus.QC_PASSED:
        raise InvalidTransition(
            _("Only a lot whose QC has passed can be released (this one is %(status)s).")
            % {"status": lot.get_status_display().lower()}
        )
    if lot.deviations.filter(
        classification=c.DeviationClass.CRITICAL, closed_on__isnull=True
    ).exists():
        raise QCIncomplete(_("Release refused — a critical deviation is still open."))
    donor = lot.source.donor
    if donor is not None and donor.eligibility != c.DonorEligibility.ELIGIBLE:
        raise QCIncomplete(_("Release refused — the donor has not been determined eligible."))
    if lot.is_expired():
        raise ProductRefused(_("Release refused — the lot has expired."))
    qc.release_independence(user, lot)
    release = LotRelease(
        lot=lot,
        site=lot.site,
        released_by=user,
        meaning=(meaning or "").strip(),
        qc_summary=verdict.summary(),
    )
    _save(release, user=user, reason="released")
    signature_create(user=user, password=password, meaning=meaning, record=release)
    _transition(lot, c.LotStatus.RELEASED, user=user, reason=f"released: {meaning}")
    return release


# --- chain of custody ----------------------------------------------------------------------

CUSTODY_CAPABILITIES = (Capability.LAB_WRITE, Capability.ADMINISTER_PRODUCT)


def _excursion(lot: Lot, temperature_c: Decimal | None) -> bool:
    if temperature_c is None:
        return False
    low, high = lot.storage_range
    return not (Decimal(low) <= temperature_c <= Decimal(high))


@transaction.atomic
def custody_record(
    *,
    user: User,
    lot: Lot,
    kind: str,
    occurred_at: dt.datetime,
    container: Container | None = None,
    from_party: str = "",
    to_party: str = "",
    place: str = "",
    temperature_c: Decimal | None = None,
    notes: str = "",
    password: str | None = None,
    corrects: CustodyEvent | None = None,
) -> CustodyEvent:
    """Append one custody event. A hand-off is signed by the person recording it (password).

    Shipments and excursion assessments have their own services.
    """
    allowed = (
        c.CustodyKind.HANDOFF,
        c.CustodyKind.STORAGE_MOVE,
        c.CustodyKind.TEMPERATURE_READING,
        c.CustodyKind.CORRECTION,
    )
    if kind not in allowed:
        raise ValidationFailed(_("Use the dedicated step for this kind of event."), field="kind")
    if container is not None and container.lot_id != lot.pk:
        raise IdentityMismatch(_("The container does not belong to this lot."))
    site = container.site if container is not None else lot.site
    _require_any(user, CUSTODY_CAPABILITIES, site)
    _not_future(occurred_at, "occurred_at")
    if kind == c.CustodyKind.HANDOFF and not (from_party.strip() and to_party.strip()):
        raise ValidationFailed(_("Say who handed over and who received."), field="to_party")
    if kind == c.CustodyKind.TEMPERATURE_READING and temperature_c is None:
        raise ValidationFailed(_("Give the temperature."), field="temperature_c")
    if kind == c.CustodyKind.CORRECTION:
        if corrects is None or corrects.lot_id != lot.pk:
            raise ValidationFailed(_("Say which event of this lot is corrected."), field="corrects")
        if not notes.strip():
            raise ValidationFailed(_("Explain the correction."), field="notes")
    event = CustodyEvent(
        lot=lot,
        container=container,
        site=site,
        kind=kind,
        occurred_at=occurred_at,
        from_party=from_party.strip(),
        to_party=to_party.strip(),
        place=place.strip(),
        temperature_c=temperature_c,
        is_excursion=_excursion(lot, temperature_c),
        corrects=corrects if kind == c.CustodyKind.CORRECTION else None,
        notes=notes.strip(),
        recorded_by=user,
    )
    _save(event, user=user, reason="recorded")
    if kind == c.CustodyKind.HANDOFF:
        signature_create(
            user=user,
            password=password or "",
            meaning=_("Custody handed from %(a)s to %(b)s")
            % {"a": event.from_party, "b": event.to_party},
            record=event,
        )
    return event


@transaction.atomic
def shipment_dispatch(
    *,
    user: User,
    containers: Sequence[Container],
    to_site: Site,
    occurred_at: dt.datetime,
    courier: str,
    temperature_c: Decimal | None = None,
    place: str = "",
) -> list[CustodyEvent]:
    """Ship released containers of one lot to a site; they are in transit until received."""
    if not containers:
        raise ValidationFailed(_("Choose the containers to ship."), field="containers")
    lot = _locked(containers[0].lot)
    require(user, Capability.LAB_WRITE, lot.site)
    if any(x.lot_id != lot.pk for x in containers):
        raise ValidationFailed(_("A shipment carries containers of one lot."), field="containers")
    if lot.status not in c.USABLE_LOT_STATUSES:
        raise ProductRefused(
            _("Only a released lot can be shipped (this one is %(status)s).")
            % {"status": lot.get_status_display().lower()}
        )
    _not_future(occurred_at, "occurred_at")
    events = []
    for container in containers:
        container = Container.objects.select_for_update(of=("self",)).get(pk=container.pk)
        if container.status != c.ContainerStatus.AVAILABLE:
            raise CustodyConflict(
                _("Container %(code)s is not available to ship.") % {"code": container.code}
            )
        event = CustodyEvent(
            lot=lot,
            container=container,
            site=container.site,
            kind=c.CustodyKind.SHIPMENT_DISPATCH,
            occurred_at=occurred_at,
            from_party=container.site.code,
            to_party=to_site.code,
            place=place or courier,
            temperature_c=temperature_c,
            is_excursion=_excursion(lot, temperature_c),
            notes=_("courier: %s") % courier,
            recorded_by=user,
        )
        _save(event, user=user, reason="dispatched")
        container.status = c.ContainerStatus.IN_TRANSIT
        _save(container, user=user, reason=f"shipped to {to_site.code}")
        events.append(event)
    if lot.status != c.LotStatus.SHIPPED:
        _transition(lot, c.LotStatus.SHIPPED, user=user, reason=f"shipped to {to_site.code}")
    return events


@transaction.atomic
def shipment_receive(
    *,
    user: User,
    container: Container,
    occurred_at: dt.datetime,
    received_by: str,
    temperature_c: Decimal | None = None,
    place: str = "",
) -> CustodyEvent:
    """Receive a shipped container at the site it was sent to; it is held there from now on."""
    container = (
        Container.objects.select_for_update(of=("self",)).select_related("lot").get(pk=container.pk)
    )
    dispatch = container.custody_events.filter(kind=c.CustodyKind.SHIPMENT_DISPATCH).last()
    if container.status != c.ContainerStatus.IN_TRANSIT or dispatch is None:
        raise CustodyConflict(_("Container %(code)s is not in transit.") % {"code": container.code})
    destination = Site.objects.get(code=dispatch.to_party)
    _require_any(user, CUSTODY_CAPABILITIES, destination)
    _not_future(occurred_at, "occurred_at")
    if occurred_at < dispatch.occurred_at:
        raise ValidationFailed(_("Receipt cannot precede dispatch."), field="occurred_at")
    lot = _locked(container.lot)
    event = CustodyEvent(
        lot=lot,
        container=container,
        site=destination,
        kind=c.CustodyKind.SHIPMENT_RECEIPT,
        occurred_at=occurred_at,
        from_party=dispatch.notes,
        to_party=received_by.strip(),
        place=place.strip() or destination.name,
        temperature_c=temperature_c,
        is_excursion=_excursion(lot, temperature_c),
        recorded_by=user,
    )
    _save(event, user=user, reason="received")
    container.site = destination
    container.status = c.ContainerStatus.AVAILABLE
    _save(container, user=user, reason=f"received at {destination.code}")
    if (
        lot.status == c.LotStatus.SHIPPED
        and not lot.containers.filter(status=c.ContainerStatus.IN_TRANSIT).exists()
    ):
        _transition(lot, c.LotStatus.RECEIVED, user=user, reason=f"received at {destination.code}")
    return event


@transaction.atomic
def excursion_assess(
    *,
    user: User,
    excursion: CustodyEvent,
    outcome: str,
    rationale: str,
    password: str,
) -> CustodyEvent:
    """Quality's signed assessment of a temperature excursion; until then the product is blocked."""
    lot = excursion.lot
    require(user, Capability.RELEASE_LOT, lot.site)
    if not excursion.is_excursion:
        raise ValidationFailed(_("This event is not an excursion."), field="excursion")
    if CustodyEvent.objects.filter(assesses=excursion).exists():
        raise InvalidTransition(_("This excursion has already been assessed."))
    if outcome not in c.ExcursionOutcome.values:
        raise ValidationFailed(_("Choose the outcome."), field="outcome")
    if not rationale.strip():
        raise ValidationFailed(_("Give the rationale."), field="rationale")
    event = CustodyEvent(
        lot=lot,
        container=excursion.container,
        site=lot.site,
        kind=c.CustodyKind.EXCURSION_ASSESSMENT,
        occurred_at=timezone.now(),
        assesses=excursion,
        outcome=outcome,
        notes=rationale.strip(),
        recorded_by=user,
    )
    _save(event, user=user, reason="assessed")
    signature_create(
        user=user,
        password=password,
        meaning=_("Excursion assessed: %s") % c.ExcursionOutcome(outcome).label,
        record=event,
    )
    return event


# --- administration ------------------------------------------------------------------------


def _current_arm(participant: Participant) -> Arm | None:
    from neuroregen.protocols.selectors import current_assignment

    assignment = current_assignment(participant)
    return assignment.arm if assignment is not None else None


def excursion_blockers(container: Container) -> list[str]:
    """Unassessed or unacceptable excursions of the lot (lot-level) or of this container."""
    events = (
        CustodyEvent.objects.filter(lot_id=container.lot_id, is_excursion=True)
        .filter(models.Q(container__isnull=True) | models.Q(container=container))
        .select_related("assessment")
    )
    problems = []
    for event in events:
        assessment = getattr(event, "assessment", None)
        if assessment is None:
            problems.append(
                _("Temperature excursion (%(t)s °C on %(when)s) awaits assessment.")
                % {"t": event.temperature_c, "when": f"{event.occurred_at:%Y-%m-%d}"}
            )
        elif assessment.outcome != c.ExcursionOutcome.ACCEPTABLE:
            problems.append(_("A temperature excursion made this product unusable."))
    return problems


def administration_blockers(
    *, container: Container, participant: Participant, at: dt.datetime | None = None
) -> list[str]:
    """Every reason this container may not be given to this participant now (empty: go).

    The identity mismatch of an autologous product is always reported first.
    """
    at = at or timezone.now()
    lot = container.lot
    problems: list[str] = []
    if lot.is_autologous and lot.participant_id != participant.pk:
        return [_("WRONG PARTICIPANT: this autologous product was made for another child.")]
    if container.status != c.ContainerStatus.AVAILABLE:
        problems.append(
            _("The container is %(status)s.") % {"status": container.get_status_display().lower()}
        )
    if lot.status not in c.USABLE_LOT_STATUSES:
        problems.append(
            _("The lot is %(status)s, not released for use.")
            % {"status": lot.get_status_display().lower()}
        )
    elif not hasattr(lot, "release"):
        problems.append(_("The lot has no signed release."))
    if lot.is_expired(at):
        problems.append(
            _("The lot expired at %(when)s.") % {"when": f"{lot.expires_at:%Y-%m-%d %H:%M}"}
        )
    problems.extend(excursion_blockers(container))
    if container.site_id != participant.site_id:
        problems.append(_("The container has not been received at this participant's site."))
    if participant.status != pc.ParticipantStatus.ENROLLED:
        problems.append(_("The participant is not enrolled."))
    arm = _current_arm(participant)
    if arm is None:
        problems.append(_("The participant has no confirmed arm assignment."))
    elif arm.product_type != lot.product_type:
        problems.append(
            _("The participant's arm receives %(theirs)s, not %(this)s.")
            % {"theirs": arm.get_product_type_display(), "this": lot.get_product_type_display()}
        )
    elif not lot.is_autologous and lot.arm_id != arm.pk:
        problems.append(_("This lot is not allocated to the participant's arm."))
    elif participant.administrations.filter(arm=arm).count() >= arm.administrations:
        problems.append(
            _("The arm's %(n)s planned administration(s) have all been given.")
            % {"n": arm.administrations}
        )
    return problems


def _day_weight(participant: Participant, day: dt.date) -> Anthropometry | None:
    return participant.anthropometry.filter(measured_on=day).order_by("-pk").first()


def planned_volume_ml(*, lot: Lot, arm: Arm, weight_kg: Decimal) -> Decimal:
    """Volume delivering the arm's planned dose at this weight and the lot's concentration."""
    calculation = compute_dose(arm.dose_rule(), weight_kg)
    return (calculation.total / lot.concentration).quantize(Decimal("0.01"))


@transaction.atomic
def administration_record(
    *,
    user: User,
    participant: Participant,
    container: Container,
    scanned_participant_code: str,
    scanned_container_code: str,
    started_at: dt.datetime,
    stopped_at: dt.datetime,
    volume_ml: Decimal,
    weight_kg: Decimal | None = None,
    premedication: str = "",
    reaction: str = c.Reaction.NONE,
    reaction_description: str = "",
    notes: str = "",
) -> Administration:
    """Record an administration after the bedside identity check.

    Both scanned codes must be valid and name this participant and this container; the product
    must pass :func:`administration_blockers`; the dose delivered (volume × lot concentration)
    per kg of the day's weight must lie within the arm's dose rule. ``weight_kg``, when given,
    is recorded as the day's weight first. The first administration sets day 0 of the schedule
    (``visits.services.day_zero_record``). An immediate reaction is passed on to the safety app
    (``safety.services.adverse_event_open_from_administration``, when present) in this same
    transaction, so the adverse event and the administration are saved together or not at all.
    """
    require(user, Capability.ADMINISTER_PRODUCT, participant.site)
    try:
        p_code = validators.parse_code(scanned_participant_code, expected={"P"})
        ct_code = validators.parse_code(scanned_container_code, expected={c.CodePrefix.CONTAINER})
    except ValueError as exc:
        raise InvalidCode(str(exc)) from exc
    if p_code != participant.study_code:
        raise IdentityMismatch(
            _("The wristband scanned (%(code)s) is not this participant's.") % {"code": p_code}
        )
    if ct_code != container.code:
        raise IdentityMismatch(
            _("The container scanned (%(code)s) is not the one selected.") % {"code": ct_code}
        )
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    container = (
        Container.objects.select_for_update(of=("self",)).select_related("lot").get(pk=container.pk)
    )
    lot = _locked(container.lot)
    container.lot = lot
    problems = administration_blockers(container=container, participant=participant, at=started_at)
    if problems:
        wrong_child = lot.is_autologous and lot.participant_id != participant.pk
        error = (IdentityMismatch if wrong_child else ProductRefused)(" ".join(problems))
        error.params = {"problems": problems}
        raise error
    participant_services.ensure_data_entry_allowed(
        participant, pc.DataEntryKind.CONTACT, on=started_at.date()
    )
    _not_future(started_at, "started_at")
    if stopped_at < started_at:
        raise ValidationFailed(_("The stop time precedes the start."), field="stopped_at")
    if reaction not in c.Reaction.values:
        raise ValidationFailed(_("Unknown reaction."), field="reaction")
    if reaction != c.Reaction.NONE and not reaction_description.strip():
        raise ValidationFailed(_("Describe the reaction."), field="reaction_description")
    arm = _current_arm(participant)
    assert arm is not None  # noqa: S101 - administration_blockers refuses a missing arm
    if c.CONCENTRATION_FOR_DOSE_UNIT.get(arm.dose_unit) != lot.concentration_unit:
        raise ProductRefused(_("The lot's concentration unit does not match the arm's dose unit."))
    site_day = timezone.localtime(started_at, ZoneInfo(participant.site.time_zone)).date()
    if weight_kg is not None:
        participant_services.anthropometry_record(
            user=user, participant=participant, measured_on=site_day, weight_kg=weight_kg
        )
    weighed = _day_weight(participant, site_day)
    if weighed is None:
        raise ValidationFailed(
            _("Record the participant's weight today before dosing."), field="weight_kg"
        )
    if volume_ml <= 0 or volume_ml > container.volume_ml:
        raise DoseOutOfRange(
            _("The volume must be positive and at most the container's %(v)s mL.")
            % {"v": container.volume_ml},
            field="volume_ml",
        )
    delivered = volume_ml * lot.concentration
    per_kg = delivered / weighed.weight_kg
    try:
        calculation = compute_dose(arm.dose_rule(), weighed.weight_kg, per_kg)
    except DoseOutOfBounds as exc:
        raise DoseOutOfRange(
            _(
                "Dose refused: %(vol)s mL × %(conc)s = %(dose)s %(unit)s per kg "
                "at %(kg)s kg; %(why)s."
            )
            % {
                "vol": volume_ml,
                "conc": significant(lot.concentration),
                "dose": significant(per_kg),
                "unit": arm.dose_unit,
                "kg": weighed.weight_kg,
                "why": exc,
            },
            field="volume_ml",
        ) from exc
    if calculation.capped:
        raise DoseOutOfRange(
            _("Dose refused: %(dose)s exceeds the arm's maximum total dose.")
            % {"dose": significant(delivered)},
            field="volume_ml",
        )
    is_first = not participant.administrations.exists()
    administration = Administration(
        code=_new_code(Administration, c.CodePrefix.ADMINISTRATION),
        participant=participant,
        site=participant.site,
        container=container,
        lot=lot,
        arm=arm,
        administered_by=user,
        scanned_participant_code=p_code,
        scanned_container_code=ct_code,
        route=arm.route,
        started_at=started_at,
        stopped_at=stopped_at,
        volume_ml=volume_ml,
        weight_kg=weighed.weight_kg,
        dose_total=delivered.quantize(Decimal("0.0001")),
        dose_per_kg=per_kg.quantize(Decimal("0.0001")),
        dose_unit=arm.dose_unit,
        premedication=premedication.strip(),
        reaction=reaction,
        reaction_description=reaction_description.strip(),
        is_first=is_first,
        notes=notes.strip(),
    )
    _save(administration, user=user, reason="administered")
    container.status = c.ContainerStatus.ADMINISTERED
    _save(container, user=user, reason=f"administered ({administration.code})")
    if lot.status != c.LotStatus.ADMINISTERED:
        _transition(
            lot, c.LotStatus.ADMINISTERED, user=user, reason=f"administered ({administration.code})"
        )
    if is_first:
        from neuroregen.visits.services import day_zero_record

        day_zero_record(
            user=user, participant=participant, day_zero=started_at, reason="first administration"
        )
    if administration.has_reaction:
        _open_adverse_event(user=user, administration=administration)
    return administration


def _open_adverse_event(*, user: User, administration: Administration) -> None:
    """Hand an immediate reaction to the safety app, if it is installed with its opener."""
    try:
        from neuroregen.safety import services as safety_services
    except ImportError:  # the safety app has no services yet
        return
    opener = getattr(safety_services, "adverse_event_open_from_administration", None)
    if opener is not None:
        opener(user=user, administration=administration)


# --- immunological compatibility -----------------------------------------------------------


def _alleles(alleles: Mapping[str, Sequence[str]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for locus in HLA_LOCI:
        values = [str(a).strip() for a in alleles.get(locus, ()) if str(a).strip()]
        if len(values) > 2:
            raise ValidationFailed(_("At most two alleles per locus."), field=locus)
        values += [""] * (2 - len(values))
        fields[f"{locus}_1"], fields[f"{locus}_2"] = values
    for locus in ("a", "b", "drb1"):
        if not fields[f"{locus}_1"]:
            raise ValidationFailed(_("HLA-A, -B and -DRB1 are required."), field=locus)
    return fields


@transaction.atomic
def hla_typing_record(
    *,
    user: User,
    typed_on: dt.date,
    resolution: str,
    alleles: Mapping[str, Sequence[str]],
    participant: Participant | None = None,
    donor: Donor | None = None,
) -> HLATyping:
    if (participant is None) == (donor is None):
        raise ValidationFailed(_("Type a participant or a donor."), field="participant")
    site = participant.site if participant is not None else donor.site  # type: ignore[union-attr]
    require(user, Capability.LAB_WRITE, site)
    _not_future(typed_on, "typed_on")
    typing = HLATyping(
        site=site,
        participant=participant,
        donor=donor,
        typed_on=typed_on,
        resolution=resolution,
        **_alleles(alleles),
    )
    typing.full_clean()
    _save(typing, user=user, reason="typed")
    return typing


def mismatched_antigens_for(participant: Participant) -> set[str]:
    """Mismatched antigens of every donor whose product this participant received."""
    recipient = participant.hla_typings.first()
    if recipient is None:
        return set()
    donors = Donor.objects.filter(
        source_materials__lots__administrations__participant=participant
    ).distinct()
    mismatched: set[str] = set()
    for donor in donors:
        typing = donor.hla_typings.first()
        if typing is not None:
            mismatched |= hla.mismatched_donor_antigens(typing.typing(), recipient.typing())
    return mismatched


@transaction.atomic
def antibody_screen_record(
    *,
    user: User,
    participant: Participant,
    sampled_on: dt.date,
    result: str,
    specificities: str = "",
    max_mfi: int | None = None,
) -> AntibodyScreen:
    """Record an anti-HLA screen; antibodies against a received donor's mismatched antigens
    that were absent before the first administration are flagged as new DSA for safety review.
    """
    require(user, Capability.LAB_WRITE, participant.site)
    _not_future(sampled_on, "sampled_on")
    if result not in c.AntibodyResult.values:
        raise ValidationFailed(_("Unknown result."), field="result")
    if result == c.AntibodyResult.NEGATIVE:
        specificities = ""
    dsa: set[str] = set()
    new: set[str] = set()
    if result == c.AntibodyResult.POSITIVE:
        dsa = hla.donor_specific(specificities, mismatched_antigens_for(participant))
        first = participant.administrations.order_by("started_at").first()
        if dsa and first is not None and sampled_on >= first.started_at.date():
            before: set[str] = set()
            for screen in participant.antibody_screens.filter(
                sampled_on__lt=first.started_at.date()
            ):
                before |= hla.parse_specificities(screen.specificities)
            new = dsa - before
    screen = AntibodyScreen(
        participant=participant,
        site=participant.site,
        sampled_on=sampled_on,
        result=result,
        specificities=specificities.strip(),
        max_mfi=max_mfi,
        donor_specific=", ".join(sorted(dsa)),
        new_dsa=bool(new),
    )
    full_clean_or_fail(screen)
    _save(screen, user=user, reason="recorded")
    if new:
        _flag_new_dsa(user=user, screen=screen, new=new)
    return screen


def _flag_new_dsa(*, user: User, screen: AntibodyScreen, new: set[str]) -> None:
    """Hand a new donor-specific antibody to the safety app as an investigator review."""
    try:
        from neuroregen.safety.dsa import review_open_for_new_dsa
    except ImportError:  # the safety app is not installed
        return
    review_open_for_new_dsa(user=user, screen=screen, new_specificities=new)


# Recall and OOS investigations live in their own modules; their services are also reachable
# here, the products app's public write path.
from neuroregen.products.qc import (  # noqa: E402, F401
    oos_investigation_conclude,
    oos_investigation_open,
)
from neuroregen.products.recall import (  # noqa: E402, F401
    RECALL_MEANING,
    lot_recall,
    recall_notice_acknowledge,
)
