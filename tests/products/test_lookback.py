"""Look-back from a lot, a source or a donor; recall; HLA match and donor-specific antibodies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.time import to_site
from neuroregen.products import hla, selectors
from neuroregen.products import services as s
from neuroregen.products.errors import ProductRefused
from tests.helpers import PASSWORD, make_user
from tests.products import builders as b
from tests.products.test_administration import give, on_arm
from tests.protocols import builders as pb

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site_a, site_b, coordinator_a, coordinator_b, investigator_a):
    """One allogeneic MSC lot made at site A, given to two children at A and one at B."""
    lab_a = b.lab(site_a, "lab-a")
    protocol = pb.active_protocol()
    arm = protocol.arms.get(code="msc-iv")
    investigator_b = make_user(Role.INVESTIGATOR, site_b)
    a1 = on_arm(investigator_a, coordinator_a, site_a, protocol, "msc-iv")
    a2 = on_arm(investigator_a, coordinator_a, site_a, protocol, "msc-iv")
    b1 = on_arm(investigator_b, coordinator_b, site_b, protocol, "msc-iv")
    bystander = on_arm(investigator_a, coordinator_a, site_a, protocol, "msc-iv")
    lot = b.allogeneic_lot(lab_a, site_a, arm=arm, containers=4)
    other_lot = b.allogeneic_lot(lab_a, site_a, arm=arm, containers=1)
    c1, c2, c3, c4 = lot.containers.all()
    give(coordinator_a, a1, c1, volume="3.3")
    give(coordinator_a, a2, c2, volume="3.3")
    give(coordinator_a, bystander, other_lot.containers.get(), volume="3.3")
    s.shipment_dispatch(
        user=lab_a,
        containers=[c3],
        to_site=site_b,
        occurred_at=timezone.now() - dt.timedelta(hours=4),
        courier="CryoCourier",
    )
    s.shipment_receive(
        user=coordinator_b,
        container=c3,
        received_by="Pharmacy B",
        occurred_at=timezone.now() - dt.timedelta(hours=3),
    )
    c3.refresh_from_db()
    give(coordinator_b, b1, c3, volume="3.3")
    return {"lab": lab_a, "lot": lot, "a": [a1, a2], "b": [b1], "spare": c4, "bystander": bystander}


def test_lookback_from_lot_finds_every_recipient(world, monitor, coordinator_a, coordinator_b):
    lot = world["lot"]
    everyone = {*world["a"], *world["b"]}
    assert set(selectors.lookback_recipients(user=monitor, lot=lot)) == everyone
    assert selectors.lookback_administrations(user=monitor, lot=lot).count() == 3
    # Each site sees its own recipients; the holder learns the other sites' counts only.
    assert set(selectors.lookback_recipients(user=coordinator_a, lot=lot)) == set(world["a"])
    assert set(selectors.lookback_recipients(user=coordinator_b, lot=lot)) == set(world["b"])
    assert selectors.lookback_by_site(lot=lot) == [
        {"site__code": "SITE-A", "recipients": 2, "administrations": 2},
        {"site__code": "SITE-B", "recipients": 1, "administrations": 1},
    ]
    assert world["bystander"] not in selectors.lookback_recipients(user=monitor, lot=lot)


def test_lookback_from_source_and_donor(world, monitor):
    lot = world["lot"]
    by_source = set(selectors.lookback_recipients(user=monitor, source=lot.source))
    by_donor = set(selectors.lookback_recipients(user=monitor, donor=lot.source.donor))
    assert by_source == by_donor == {*world["a"], *world["b"]}


def test_recall_blocks_use_and_lists_contacts(world, coordinator_a, investigator_a):
    lot = world["lot"]
    s.lot_recall(
        user=world["lab"], lot=lot, reason="donor later found HBV-positive", password=PASSWORD
    )
    lot.refresh_from_db()
    assert lot.status == "recalled"
    assert "HBV" in lot.recall_reason
    contacts = selectors.recall_contacts(user=coordinator_a, lot=lot)
    assert {x.participant for x in contacts} == set(world["a"])
    assert list(selectors.containers_outstanding(user=world["lab"], lot=lot)) == [world["spare"]]
    protocol = lot.arm.protocol
    late = on_arm(investigator_a, coordinator_a, lot.site, protocol, "msc-iv")
    with pytest.raises(ProductRefused, match="recalled"):
        give(coordinator_a, late, world["spare"], volume="3.3")


def test_recall_needs_quality_capability(world, coordinator_a):
    from neuroregen.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        s.lot_recall(user=coordinator_a, lot=world["lot"], reason="x", password=PASSWORD)


# --- HLA ----------------------------------------------------------------------------------------

DONOR = {
    "a": ("A*02:01", "A*24:02"),
    "b": ("B*07:02", "B*44:02"),
    "drb1": ("DRB1*15:01", "DRB1*04:01"),
}
RECIPIENT = {"a": ("A*02:01", "A*01:01"), "b": ("B*07:02", "B*08:01"), "drb1": ("DRB1*15:01",)}


def test_match_grade_and_mismatches():
    assert str(hla.match_grade(DONOR, RECIPIENT)) == "3/6"
    assert str(hla.match_grade(DONOR, DONOR)) == "6/6"
    with_c = {**DONOR, "c": ("C*07:02",)}
    assert str(hla.match_grade(with_c, {**RECIPIENT, "c": ("C*07:01", "C*05:01")})) == "3/8"
    assert hla.mismatched_donor_antigens(DONOR, RECIPIENT) == {"A*24", "B*44", "DRB1*04"}
    assert hla.donor_specific("A24, DR4, B8", {"A*24", "B*44", "DRB1*04"}) == {"A*24", "DRB1*04"}


def test_new_donor_specific_antibody_after_administration_is_flagged(world, monitor):
    lab = world["lab"]
    recipient = world["a"][0]
    first = recipient.administrations.get()
    s.hla_typing_record(
        user=lab,
        donor=world["lot"].source.donor,
        typed_on=timezone.localdate(),
        resolution="high",
        alleles=DONOR,
    )
    s.hla_typing_record(
        user=lab,
        participant=recipient,
        typed_on=timezone.localdate(),
        resolution="high",
        alleles=RECIPIENT,
    )
    day0 = to_site(first.started_at, recipient).date()  # the dose's date on the site's calendar
    before = s.antibody_screen_record(
        user=lab,
        participant=recipient,
        result="positive",
        sampled_on=day0 - dt.timedelta(days=1),
        specificities="A24",
    )
    assert before.donor_specific == "A*24"
    assert not before.new_dsa
    same = s.antibody_screen_record(
        user=lab,
        participant=recipient,
        result="positive",
        sampled_on=day0,
        specificities="A24, B8",
        max_mfi=2500,
    )
    assert not same.new_dsa  # A24 was there before; B8 is not donor-specific
    new = s.antibody_screen_record(
        user=lab,
        participant=recipient,
        result="positive",
        sampled_on=day0,
        specificities="A24, DR4",
        max_mfi=6100,
    )
    assert new.new_dsa
    assert new.donor_specific == "A*24, DRB1*04"
    assert list(selectors.new_dsa_flags(user=monitor)) == [new]
    summary = selectors.compatibility(user=lab, participant=recipient)
    assert str(summary["matches"][0].grade) == "3/6"
    # HLA typing is a third party's genetic data: the monitor sees the DSA flag, not the match.
    assert not selectors.compatibility(user=monitor, participant=recipient)["matches"]


def test_hla_typing_requires_the_core_loci(world):
    with pytest.raises(Exception, match="DRB1"):
        s.hla_typing_record(
            user=world["lab"],
            participant=world["a"][0],
            typed_on=timezone.localdate(),
            resolution="low",
            alleles={"a": ("A2",), "b": ("B7",)},
        )
