"""Chain of custody: hand-offs, storage moves and temperature readings, shipments between sites,
and quality's assessment of a temperature excursion (which blocks the product until then).
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
from neuroregen.core.services import signature_create
from neuroregen.products import choices as c
from neuroregen.products.errors import CustodyConflict, IdentityMismatch, ProductRefused
from neuroregen.products.models import Container, CustodyEvent, Lot
from neuroregen.products.write_helpers import locked, not_future, require_any, save, transition

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
    require_any(user, CUSTODY_CAPABILITIES, site)
    not_future(occurred_at, "occurred_at", site)
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
    save(event, user=user, reason="recorded")
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
    lot = locked(containers[0].lot)
    require(user, Capability.LAB_WRITE, lot.site)
    if any(x.lot_id != lot.pk for x in containers):
        raise ValidationFailed(_("A shipment carries containers of one lot."), field="containers")
    if lot.status not in c.USABLE_LOT_STATUSES:
        raise ProductRefused(
            _("Only a released lot can be shipped (this one is %(status)s).")
            % {"status": lot.get_status_display().lower()}
        )
    not_future(occurred_at, "occurred_at", lot)
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
        save(event, user=user, reason="dispatched")
        container.status = c.ContainerStatus.IN_TRANSIT
        save(container, user=user, reason=f"shipped to {to_site.code}")
        events.append(event)
    if lot.status != c.LotStatus.SHIPPED:
        transition(lot, c.LotStatus.SHIPPED, user=user, reason=f"shipped to {to_site.code}")
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
    require_any(user, CUSTODY_CAPABILITIES, destination)
    not_future(occurred_at, "occurred_at", destination)
    if occurred_at < dispatch.occurred_at:
        raise ValidationFailed(_("Receipt cannot precede dispatch."), field="occurred_at")
    lot = locked(container.lot)
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
    save(event, user=user, reason="received")
    container.site = destination
    container.status = c.ContainerStatus.AVAILABLE
    save(container, user=user, reason=f"received at {destination.code}")
    if (
        lot.status == c.LotStatus.SHIPPED
        and not lot.containers.filter(status=c.ContainerStatus.IN_TRANSIT).exists()
    ):
        transition(lot, c.LotStatus.RECEIVED, user=user, reason=f"received at {destination.code}")
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
    save(event, user=user, reason="assessed")
    signature_create(
        user=user,
        password=password,
        meaning=_("Excursion assessed: %s") % c.ExcursionOutcome(outcome).label,
        record=event,
    )
    return event


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
