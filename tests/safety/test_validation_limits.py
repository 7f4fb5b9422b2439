"""Impossible adverse-event values are refused with a specific message; nothing starts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.errors import ValidationFailed
from neuroregen.safety import services as s
from neuroregen.safety.models import AdverseEvent, AdverseEventFollowUp, ReportingClock
from tests.helpers import screen
from tests.safety.builders import ae_data, record
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(site_a, coordinator_a):
    return screen(coordinator_a, site_a)


def _form(**overrides):
    values = {
        "term": "Vomiting",
        "soc": "gastro",
        "onset_date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "grade": "3",
        "serious": "yes",
        "serious_hospitalisation": "on",
        "relatedness_product": "unlikely",
        "relatedness_procedure": "possible",
        "expectedness": "expected",
        "action_taken": "none",
        "outcome": "recovering",
        "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    values.update(overrides)
    return values


def test_serious_onset_before_birth_is_refused_and_starts_no_clock(child, coordinator_a):
    before_birth = child.identity.birth_date - dt.timedelta(days=10)
    with pytest.raises(ValidationFailed) as caught:
        record(
            coordinator_a,
            child,
            onset_date=before_birth,
            grade=3,
            serious=True,
            serious_hospitalisation=True,
        )
    assert caught.value.field == "onset_date"
    assert "before the child" in caught.value.message
    assert not AdverseEvent.objects.exists()
    assert not ReportingClock.objects.exists()


def test_onset_before_birth_is_an_inline_message_on_the_page(child, coordinator_a):
    before_birth = child.identity.birth_date - dt.timedelta(days=1)
    response = client_for(coordinator_a).post(
        reverse("safety_event_create", args=[child.study_code]),
        _form(onset_date=before_birth.isoformat()),
    )
    assert response.status_code == 200
    assert "is before the child" in response.content.decode()
    assert not AdverseEvent.objects.exists()


def test_editing_onset_to_before_birth_is_refused(child, coordinator_a):
    event = record(coordinator_a, child)
    with pytest.raises(ValidationFailed, match="before the child"):
        s.adverse_event_update(
            user=coordinator_a,
            event=event,
            changes={"onset_date": child.identity.birth_date - dt.timedelta(days=1)},
            reason="typo",
            expected_version=event.row_version,
        )


def test_huge_narrative_is_refused_with_its_limit(child, coordinator_a):
    with pytest.raises(ValidationFailed) as caught:
        record(coordinator_a, child, description="x" * 216_000)
    assert caught.value.field == "description"
    assert "10000" in caught.value.errors["description"].replace(" ", "").replace(",", "")
    assert not AdverseEvent.objects.exists()


def test_huge_narrative_on_the_page_is_inline_and_keeps_the_rest(child, coordinator_a):
    response = client_for(coordinator_a).post(
        reverse("safety_event_create", args=[child.study_code]),
        _form(description="y" * 216_000, term="Headache after infusion"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "at most 10000 characters" in page
    assert "Headache after infusion" in page  # what was typed is still in the form
    assert not AdverseEvent.objects.exists()


def test_narrative_at_the_limit_is_accepted(child, coordinator_a):
    event = record(coordinator_a, child, description="z" * 10_000)
    assert len(event.description) == 10_000


def test_huge_follow_up_note_is_refused(child, coordinator_a):
    event = record(coordinator_a, child)
    before = AdverseEventFollowUp.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        s.adverse_event_follow_up(user=coordinator_a, event=event, note="n" * 216_000)
    assert caught.value.field == "note"
    assert AdverseEventFollowUp.objects.count() == before
    page = client_for(coordinator_a).post(
        reverse("safety_event_follow_up", args=[event.code]), {"note": "n" * 10_001}
    )
    assert page.status_code in (200, 302)
    assert AdverseEventFollowUp.objects.count() == before


def test_ae_data_builder_still_valid(child, coordinator_a):
    assert s.adverse_event_record(user=coordinator_a, participant=child, data=ae_data())
