"""Bedside administration: identity check, product status, arm, dose, day 0, reactions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from neuroregen.core.audit import stamp
from neuroregen.core.errors import NotPermitted
from neuroregen.core.time import to_site
from neuroregen.products import selectors
from neuroregen.products import services as s
from neuroregen.products.errors import DoseOutOfRange, IdentityMismatch, InvalidCode, ProductRefused
from neuroregen.products.models import Administration
from neuroregen.protocols.choices import ProductType
from neuroregen.protocols.selectors import current_assignment
from tests.helpers import PASSWORD
from tests.products import builders as b
from tests.protocols import builders as pb

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_a(site_a):
    return b.lab(site_a, "lab-a")


@pytest.fixture
def protocol(db):
    return pb.active_protocol()


def on_arm(investigator, coordinator, site, protocol, arm_code):
    child = pb.enrolled_participant(coordinator, site)
    pb.confirmed(
        investigator,
        child,
        protocol,
        arm=protocol.arms.get(code=arm_code),
        override_reason="arm chosen for the test",
    )
    return child


@pytest.fixture
def ipsc_child(investigator_a, coordinator_a, site_a, protocol):
    return on_arm(investigator_a, coordinator_a, site_a, protocol, "ipsc-it")


@pytest.fixture
def ipsc_lot(lab_a, ipsc_child):
    return b.autologous_lot(lab_a, ipsc_child, status="released", product_type=ProductType.IPSC_MIX)


def give(user, participant, container, *, volume="2.2", weight="22", **extra):
    now = timezone.now()
    values = {
        "scanned_participant_code": participant.study_code,
        "scanned_container_code": container.code,
        "started_at": now - dt.timedelta(minutes=40),
        "stopped_at": now - dt.timedelta(minutes=10),
        "volume_ml": Decimal(volume),
        "weight_kg": Decimal(weight) if weight else None,
        "premedication": "paracetamol 15 mg/kg",
    }
    values.update(extra)
    return s.administration_record(
        user=user, participant=participant, container=container, **values
    )


def test_right_child_right_product_is_recorded_and_sets_day_zero(
    coordinator_a, ipsc_child, ipsc_lot
):
    container = ipsc_lot.containers.first()
    administration = give(coordinator_a, ipsc_child, container)
    assert administration.is_first
    assert administration.code.startswith("AD-")
    assert administration.dose_per_kg == Decimal("1000000")  # 2.2 mL × 1e7 / 22 kg
    assert administration.dose_total == Decimal("22000000")
    assert administration.route == "it"
    container.refresh_from_db()
    ipsc_lot.refresh_from_db()
    assert container.status == "administered"
    assert ipsc_lot.status == "administered"
    assignment = current_assignment(ipsc_child)
    # Day 0 is the dose's date on the site's calendar, not its UTC date.
    assert assignment.day_zero == to_site(administration.started_at, ipsc_child).date()


def test_wrong_child_is_refused_and_nothing_changes(
    coordinator_a, investigator_a, site_a, protocol, ipsc_lot
):
    other = on_arm(investigator_a, coordinator_a, site_a, protocol, "ipsc-it")
    container = ipsc_lot.containers.first()
    with pytest.raises(IdentityMismatch, match="WRONG PARTICIPANT"):
        give(coordinator_a, other, container)
    container.refresh_from_db()
    assert container.status == "available"
    assert not Administration.objects.exists()
    assert current_assignment(other).day_zero is None


def test_scanned_wristband_must_be_this_childs(coordinator_a, ipsc_child, ipsc_lot, site_a):
    stranger = b.participant(site_a, coordinator_a)
    with pytest.raises(IdentityMismatch):
        give(
            coordinator_a,
            ipsc_child,
            ipsc_lot.containers.first(),
            scanned_participant_code=stranger.study_code,
        )
    code = ipsc_child.study_code
    typo = code[:2] + ("Z" if code[2] != "Z" else "Y") + code[3:]
    with pytest.raises(InvalidCode):
        give(coordinator_a, ipsc_child, ipsc_lot.containers.first(), scanned_participant_code=typo)
    assert not Administration.objects.exists()


def test_quarantined_lot_is_refused(lab_a, coordinator_a, ipsc_child):
    lot = b.autologous_lot(lab_a, ipsc_child, product_type=ProductType.IPSC_MIX)  # quarantine
    with pytest.raises(ProductRefused, match="quarantine"):
        give(coordinator_a, ipsc_child, lot.containers.first())


def test_expired_lot_is_refused(lab_a, coordinator_a, ipsc_child, ipsc_lot):
    ipsc_lot.expires_at = timezone.now() - dt.timedelta(hours=2)  # time has passed
    stamp(ipsc_lot, user=lab_a, reason="test: expiry passed")
    ipsc_lot.save()
    with pytest.raises(ProductRefused, match="expired"):
        give(coordinator_a, ipsc_child, ipsc_lot.containers.first())


def test_recalled_lot_is_refused(lab_a, coordinator_a, ipsc_child, ipsc_lot):
    s.lot_recall(
        user=lab_a, lot=ipsc_lot, reason="sterility failure in retained sample", password=PASSWORD
    )
    with pytest.raises(ProductRefused, match="recalled"):
        give(coordinator_a, ipsc_child, ipsc_lot.containers.first())


def test_unassessed_excursion_blocks_administration(lab_a, coordinator_a, ipsc_child, ipsc_lot):
    container = ipsc_lot.containers.first()
    excursion = s.custody_record(
        user=lab_a,
        lot=ipsc_lot,
        container=container,
        kind="temperature",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        temperature_c=Decimal("-100"),
    )
    with pytest.raises(ProductRefused, match="awaits assessment"):
        give(coordinator_a, ipsc_child, container)
    s.excursion_assess(
        user=lab_a,
        excursion=excursion,
        outcome="acceptable",
        rationale="logger probe artefact",
        password=PASSWORD,
    )
    assert give(coordinator_a, ipsc_child, container).pk


@pytest.mark.parametrize("volume", ["0.5", "5"])
def test_dose_outside_the_arm_rule_is_refused(coordinator_a, ipsc_child, ipsc_lot, volume):
    # 0.5 mL → 2.3e5 cells/kg (< 5e5); 5 mL → 2.3e6 cells/kg (> 2e6)
    with pytest.raises(DoseOutOfRange):
        give(coordinator_a, ipsc_child, ipsc_lot.containers.first(), volume=volume)
    assert not Administration.objects.exists()


def test_weight_of_the_day_is_required(coordinator_a, ipsc_child, ipsc_lot):
    with pytest.raises(Exception, match="weight today"):
        give(coordinator_a, ipsc_child, ipsc_lot.containers.first(), weight=None)


def test_arm_allows_only_its_planned_administrations(coordinator_a, ipsc_child, ipsc_lot):
    first, second = ipsc_lot.containers.all()[:2]
    give(coordinator_a, ipsc_child, first)
    with pytest.raises(ProductRefused, match="planned administration"):
        give(coordinator_a, ipsc_child, second, weight=None)


def test_lab_staff_cannot_administer(lab_a, ipsc_child, ipsc_lot):
    with pytest.raises(NotPermitted):
        give(lab_a, ipsc_child, ipsc_lot.containers.first())


def test_allogeneic_lot_must_be_allocated_to_the_childs_arm(
    lab_a, coordinator_a, investigator_a, site_a, protocol, ipsc_child
):
    msc_arm = protocol.arms.get(code="msc-iv")
    lot = b.allogeneic_lot(lab_a, site_a, arm=msc_arm)
    with pytest.raises(ProductRefused, match="arm"):
        give(coordinator_a, ipsc_child, lot.containers.first())
    msc_child = on_arm(investigator_a, coordinator_a, site_a, protocol, "msc-iv")
    unallocated = b.allogeneic_lot(lab_a, site_a)
    with pytest.raises(ProductRefused, match="not allocated"):
        give(coordinator_a, msc_child, unallocated.containers.first(), volume="3.3")
    administration = give(coordinator_a, msc_child, lot.containers.first(), volume="3.3")
    assert administration.dose_per_kg == Decimal("1500000")
    assert administration.route == "iv"


def test_allogeneic_container_must_be_received_at_the_childs_site(
    lab_a, site_a, site_b, protocol, coordinator_b
):
    from neuroregen.core.roles import Role
    from tests.helpers import make_user

    investigator_b = make_user(Role.INVESTIGATOR, site_b)
    child_b = on_arm(investigator_b, coordinator_b, site_b, protocol, "msc-iv")
    lot = b.allogeneic_lot(lab_a, site_a, arm=protocol.arms.get(code="msc-iv"))
    container = lot.containers.first()
    s.shipment_dispatch(
        user=lab_a,
        containers=[container],
        to_site=site_b,
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        courier="CryoCourier",
    )
    container.refresh_from_db()
    with pytest.raises(ProductRefused, match="in transit"):
        give(coordinator_b, child_b, container, volume="3.3")
    s.shipment_receive(
        user=coordinator_b,
        container=container,
        received_by="Pharmacy B",
        occurred_at=timezone.now() - dt.timedelta(hours=2),
    )
    container.refresh_from_db()
    assert give(coordinator_b, child_b, container, volume="3.3").site == site_b


def test_infusion_reaction_is_handed_to_safety(monkeypatch, coordinator_a, ipsc_child, ipsc_lot):
    import neuroregen.safety.services as safety_services

    opened = []
    monkeypatch.setattr(
        safety_services,
        "adverse_event_open_from_administration",
        lambda *, user, administration: opened.append(administration),
        raising=False,
    )
    with pytest.raises(Exception, match="Describe the reaction"):
        give(coordinator_a, ipsc_child, ipsc_lot.containers.first(), reaction="infusion")
    administration = give(
        coordinator_a,
        ipsc_child,
        ipsc_lot.containers.first(),
        reaction="infusion",
        reaction_description="flushing, fever 38.4 °C",
    )
    assert opened == [administration]
    assert list(selectors.administrations_with_reactions(user=coordinator_a)) == [administration]


def test_infusion_reaction_opens_an_adverse_event(coordinator_a, ipsc_child, ipsc_lot):
    from neuroregen.safety.models import AdverseEvent

    give(
        coordinator_a,
        ipsc_child,
        ipsc_lot.containers.first(),
        reaction="infusion",
        reaction_description="rigors and fever 38.6 °C at 20 min",
    )
    event = AdverseEvent.objects.get(participant=ipsc_child)
    assert "Infusion" in event.term
