"""From starting material to filled lots: donors, source material, iPSC lines, lots and their
containers (the lab's writes before QC; ``lab_write`` at the holding site).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.models import Site, User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import to_site
from neuroregen.participants import choices as pc
from neuroregen.participants import services as participant_services
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products.errors import IdentityMismatch
from neuroregen.products.models import Container, Donor, IPSCLine, Lot, SourceMaterial
from neuroregen.products.qc_release import active_specification
from neuroregen.products.write_helpers import locked, new_code, not_future, save, transition
from neuroregen.protocols.choices import ProductType
from neuroregen.protocols.models import Arm

IPSC_PRODUCTS = frozenset(
    {
        ProductType.IPSC_NEURONS,
        ProductType.IPSC_OLIGODENDROCYTE_PROGENITORS,
        ProductType.IPSC_ASTROCYTES,
        ProductType.IPSC_MIX,
    }
)


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
        not_future(determined_on, "eligibility_determined_on", site)
    donor = Donor(
        code=new_code(Donor, c.CodePrefix.DONOR),
        site=site,
        eligibility=eligibility,
        eligibility_determined_on=determined_on,
        eligibility_summary=summary.strip(),
    )
    donor.full_clean(exclude=["code"])
    save(donor, user=user, reason="donor registered")
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
    not_future(determined_on, "eligibility_determined_on", donor)
    donor = Donor.objects.select_for_update(of=("self",)).get(pk=donor.pk)
    donor.eligibility = eligibility
    donor.eligibility_determined_on = determined_on
    donor.eligibility_summary = summary.strip()
    save(donor, user=user, reason=reason)
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
    not_future(collected_at, "collected_at", site)
    if participant is not None:
        if participant.status not in (
            pc.ParticipantStatus.CONSENTED,
            pc.ParticipantStatus.ENROLLED,
        ):
            raise InvalidTransition(
                _("Material can be collected only from a consented participant.")
            )
        day = to_site(collected_at, site).date()
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
        code=new_code(SourceMaterial, c.CodePrefix.SOURCE),
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
    save(source, user=user, reason="collected")
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
    not_future(derived_on, "derived_on", source)
    if derived_on < to_site(source.collected_at, source).date():
        raise ValidationFailed(
            _("A line cannot be derived before its source was collected."), field="derived_on"
        )
    line = IPSCLine(
        code=new_code(IPSCLine, c.CodePrefix.IPSC_LINE),
        site=source.site,
        source=source,
        reprogramming_method=reprogramming_method,
        clone=clone.strip(),
        passage=passage,
        bank=bank,
        derived_on=derived_on,
    )
    line.full_clean(exclude=["code"])
    save(line, user=user, reason="derived")
    return line


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
        code=new_code(Lot, c.CodePrefix.LOT),
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
    save(lot, user=user, reason="manufacture started")
    return lot


@transaction.atomic
def lot_complete_manufacture(*, user: User, lot: Lot, manufactured_on: dt.date) -> Lot:
    """Manufacture done: the lot enters quarantine until QC and signed release."""
    require(user, Capability.LAB_WRITE, lot.site)
    lot = locked(lot)
    not_future(manufactured_on, "manufactured_on", lot)
    if manufactured_on < lot.manufacture_started_on:
        raise ValidationFailed(_("Completion cannot precede the start."), field="manufactured_on")
    lot.manufactured_on = manufactured_on
    return transition(lot, c.LotStatus.QUARANTINE, user=user, reason="manufacture completed")


@transaction.atomic
def containers_fill(*, user: User, lot: Lot, volumes_ml: Sequence[Decimal]) -> list[Container]:
    """Fill dose containers from a lot (before release), each with its own code."""
    require(user, Capability.LAB_WRITE, lot.site)
    lot = locked(lot)
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
            code=new_code(Container, c.CodePrefix.CONTAINER),
            lot=lot,
            site=lot.site,
            sequence=start + offset,
            volume_ml=volume,
        )
        save(container, user=user, reason="filled")
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
    return transition(locked(lot), to, user=user, reason=reason)
