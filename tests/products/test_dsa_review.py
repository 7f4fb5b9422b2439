"""A new donor-specific anti-HLA antibody after an administration opens an investigator safety
review that shows on the dashboard; a DSA present before the first dose, or a non-DSA antibody,
opens none."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from neuroregen.core.roles import Role
from neuroregen.core.time import to_site
from neuroregen.products import services as s
from neuroregen.safety import donor_antibody_review
from neuroregen.safety import services as safety_services
from neuroregen.safety.models import SafetyReviewTask
from tests.helpers import make_user, site_a_today
from tests.products import builders as b
from tests.products.test_administration import give, on_arm
from tests.products.test_lookback import DONOR, RECIPIENT
from tests.protocols import builders as pb
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient(site_a, coordinator_a, investigator_a):
    """A child at site A given one container of an allogeneic MSC lot, both HLA-typed."""
    lab = b.lab(site_a, "lab-dsa")
    protocol = pb.active_protocol()
    child = on_arm(investigator_a, coordinator_a, site_a, protocol, "msc-iv")
    lot = b.allogeneic_lot(lab, site_a, arm=protocol.arms.get(code="msc-iv"), containers=1)
    give(coordinator_a, child, lot.containers.get(), volume="3.3")
    today = site_a_today()
    s.hla_typing_record(
        user=lab, donor=lot.source.donor, typed_on=today, resolution="high", alleles=DONOR
    )
    s.hla_typing_record(
        user=lab, participant=child, typed_on=today, resolution="high", alleles=RECIPIENT
    )
    return {
        "lab": lab,
        "child": child,
        "day0": to_site(child.administrations.get().started_at, site_a).date(),
    }


def _screen(recipient, specificities, *, days=0, mfi=None):
    return s.antibody_screen_record(
        user=recipient["lab"],
        participant=recipient["child"],
        result="positive",
        sampled_on=recipient["day0"] + dt.timedelta(days=days),
        specificities=specificities,
        max_mfi=mfi,
    )


def test_new_dsa_after_administration_opens_one_review(recipient):
    _screen(recipient, "A24", days=-1)  # donor-specific, but before the first dose
    assert not SafetyReviewTask.objects.exists()
    not_dsa = _screen(recipient, "A24, B8")  # A24 known before; B8 is not the donor's
    assert not not_dsa.new_dsa
    assert not SafetyReviewTask.objects.exists()

    screen = _screen(recipient, "A24, DR4", mfi=6100)
    assert screen.new_dsa
    task = SafetyReviewTask.objects.get()
    assert task.participant == recipient["child"]
    assert task.status == "open"
    assert task.rule.code == donor_antibody_review.RULE_CODE
    assert not task.rule.active  # never evaluated against biomarker measurements
    assert task.analyte == "anti-HLA DSA DRB1*04"  # only the new specificity
    assert task.value == 1
    assert task.days_since_administration == 0
    assert task.source_reference == f"antibody_screen:{screen.pk}"
    # Calling the hook again for the same screen opens nothing more.
    assert (
        donor_antibody_review.review_open_for_new_dsa(
            user=recipient["lab"], screen=screen, new_specificities={"DRB1*04"}
        )
        is None
    )
    assert SafetyReviewTask.objects.count() == 1


def test_investigator_sees_and_closes_the_dsa_review(recipient, investigator_a, site_b):
    _screen(recipient, "DR4", days=0)
    task = SafetyReviewTask.objects.get()
    client = client_for(investigator_a)
    dashboard = client.get("/").content.decode()
    assert "1 safety signal review open" in dashboard
    reviews = client.get(reverse("safety_review_list")).content.decode()
    assert recipient["child"].study_code in reviews
    assert "anti-HLA DSA DRB1*04" in reviews
    closed = safety_services.review_task_close(
        user=investigator_a, task=task, outcome="repeat_test", note="repeat in 4 weeks"
    )
    assert closed.status == "closed"
    # Other sites do not see the review.
    other = make_user(Role.INVESTIGATOR, site_b)
    assert (
        recipient["child"].study_code
        not in client_for(other).get(reverse("safety_review_list") + "?status=").content.decode()
    )


def test_dsa_review_is_rolled_back_with_the_screen(recipient, monkeypatch):
    """The screen and its review are saved together or not at all."""

    def broken(**kwargs):
        raise RuntimeError("safety app unavailable")

    monkeypatch.setattr(donor_antibody_review, "review_open_for_new_dsa", broken)
    with pytest.raises(RuntimeError):
        _screen(recipient, "DR4")
    assert not recipient["child"].antibody_screens.exists()
