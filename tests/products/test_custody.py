"""Chain of custody: append-only, signed hand-offs, shipments, excursions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from neuroregen.core.errors import AppendOnlyError, NotPermitted, SignatureRejected
from neuroregen.core.services import signatures_for
from neuroregen.products import selectors
from neuroregen.products import services as s
from neuroregen.products.errors import CustodyConflict, ProductRefused
from neuroregen.products.models import CustodyEvent
from tests.helpers import PASSWORD
from tests.products import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_a(site_a):
    return b.lab(site_a, "lab-a")


@pytest.fixture
def released(lab_a, site_a, coordinator_a):
    return b.autologous_lot(lab_a, b.participant(site_a, coordinator_a), status="released")


def _reading(lab, lot, temperature, container=None):
    return s.custody_record(
        user=lab,
        lot=lot,
        container=container,
        kind="temperature",
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
        temperature_c=Decimal(temperature),
        place="LN2 dewar 3",
    )


def test_custody_events_cannot_be_edited_or_deleted(lab_a, released):
    event = _reading(lab_a, released, "-180")
    event.place = "somewhere else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    event.refresh_from_db()
    assert event.place == "LN2 dewar 3"
    assert event.history.count() == 1


def test_correction_is_a_new_event_pointing_at_the_old(lab_a, released):
    event = _reading(lab_a, released, "-180")
    with pytest.raises(Exception, match="Explain"):
        s.custody_record(
            user=lab_a, lot=released, kind="correction", occurred_at=timezone.now(), corrects=event
        )
    fix = s.custody_record(
        user=lab_a,
        lot=released,
        kind="correction",
        occurred_at=timezone.now(),
        corrects=event,
        notes="Dewar 4, not 3",
        place="LN2 dewar 4",
    )
    assert fix.corrects == event
    assert list(selectors.custody_timeline(user=lab_a, lot=released)) == [event, fix]


def test_handoff_is_signed_and_refused_with_wrong_password(lab_a, released):
    with pytest.raises(SignatureRejected):
        s.custody_record(
            user=lab_a,
            lot=released,
            kind="handoff",
            occurred_at=timezone.now(),
            from_party="Cell lab",
            to_party="Ward 2 nurse",
            password="wrong",
        )
    assert not CustodyEvent.objects.exists()
    event = s.custody_record(
        user=lab_a,
        lot=released,
        kind="handoff",
        occurred_at=timezone.now(),
        from_party="Cell lab",
        to_party="Ward 2 nurse",
        password=PASSWORD,
    )
    assert "Ward 2 nurse" in signatures_for(event).get().meaning


def test_excursion_is_flagged_and_blocks_until_assessed(lab_a, released, coordinator_a):
    container = released.containers.first()
    assert not _reading(lab_a, released, "-175").is_excursion
    excursion = _reading(lab_a, released, "-120", container=container)
    assert excursion.is_excursion
    assert s.excursion_blockers(container)
    assert list(selectors.open_excursions(user=lab_a)) == [excursion]
    with pytest.raises(NotPermitted):
        s.excursion_assess(
            user=coordinator_a,
            excursion=excursion,
            outcome="acceptable",
            rationale="x",
            password=PASSWORD,
        )
    s.excursion_assess(
        user=lab_a,
        excursion=excursion,
        outcome="acceptable",
        rationale="30 s door-open; logger shows product < -150 °C",
        password=PASSWORD,
    )
    assert s.excursion_blockers(container) == []
    with pytest.raises(Exception, match="already been assessed"):
        s.excursion_assess(
            user=lab_a,
            excursion=excursion,
            outcome="not_acceptable",
            rationale="x",
            password=PASSWORD,
        )


def test_unacceptable_excursion_blocks_for_good(lab_a, released):
    container = released.containers.first()
    excursion = _reading(lab_a, released, "-60")
    s.excursion_assess(
        user=lab_a,
        excursion=excursion,
        outcome="not_acceptable",
        rationale="thawed",
        password=PASSWORD,
    )
    assert "unusable" in s.excursion_blockers(container)[0]


def test_allogeneic_shipment_moves_containers_to_the_receiving_site(
    lab_a, site_a, site_b, coordinator_b, coordinator_a
):
    lot = b.allogeneic_lot(lab_a, site_a)
    containers = list(lot.containers.all())
    assert not selectors.visible_lots(coordinator_b).filter(pk=lot.pk).exists()
    s.shipment_dispatch(
        user=lab_a,
        containers=containers[:2],
        to_site=site_b,
        occurred_at=timezone.now() - dt.timedelta(hours=5),
        courier="CryoCourier",
        temperature_c=Decimal("-185"),
    )
    lot.refresh_from_db()
    assert lot.status == "shipped"
    with pytest.raises(NotPermitted):  # site A staff cannot sign for site B's receipt
        s.shipment_receive(
            user=coordinator_a, container=containers[0], occurred_at=timezone.now(), received_by="x"
        )
    for container in containers[:2]:
        s.shipment_receive(
            user=coordinator_b,
            container=container,
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            received_by="Pharmacy B",
            temperature_c=Decimal("-178"),
        )
    lot.refresh_from_db()
    assert lot.status == "received"
    containers[0].refresh_from_db()
    assert containers[0].site == site_b
    assert containers[0].status == "available"
    # The receiving site now sees the lot through its containers, and only its own containers.
    assert selectors.lot_get(user=coordinator_b, code=lot.code) == lot
    assert set(selectors.containers_of(user=coordinator_b, lot=lot)) == set(containers[:2])
    assert len(selectors.containers_of(user=lab_a, lot=lot)) == 3
    with pytest.raises(CustodyConflict):
        s.shipment_receive(
            user=coordinator_b,
            container=containers[0],
            occurred_at=timezone.now(),
            received_by="again",
        )


def test_unreleased_lot_cannot_ship(lab_a, site_a, site_b, coordinator_a):
    lot = b.autologous_lot(lab_a, b.participant(site_a, coordinator_a))
    with pytest.raises(ProductRefused):
        s.shipment_dispatch(
            user=lab_a,
            containers=list(lot.containers.all()),
            to_site=site_b,
            occurred_at=timezone.now(),
            courier="x",
        )
