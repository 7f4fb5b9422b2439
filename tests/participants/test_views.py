"""Participant pages: specific messages for bad input, nothing saved, edits audited."""

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.participants.models import Participant, ParticipantIdentity
from tests.helpers import screen, site_a_today
from tests.security.battery import client_for


@pytest.mark.django_db
def test_edit_form_requires_reason_and_detects_stale_version(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    client = client_for(coordinator_a)
    url = reverse("participant_edit", args=[participant.study_code])
    form = {
        "sex": "M",
        "country": "UA",
        "preferred_language": "uk",
        "dsm5_severity": 3,
        "diagnostic_instrument": "ados2",
        "genetic_finding": "none",
        "therapy_hours_per_week": "10",
        "row_version": participant.row_version,
    }
    page = client.post(url, form).content.decode()
    assert "This field is required" in page  # reason missing
    assert client.post(url, {**form, "reason": "re-rated"}).status_code == 302
    stale = client.post(url, {**form, "dsm5_severity": 1, "reason": "late editor"})
    assert "changed by someone else" in stale.content.decode()
    assert Participant.objects.get(pk=participant.pk).dsm5_severity == 3


@pytest.mark.django_db
def test_measurement_in_future_is_refused_with_message(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    client = client_for(coordinator_a)
    tomorrow = (site_a_today() + timezone.timedelta(days=1)).isoformat()
    page = client.post(
        reverse("anthropometry_record", args=[participant.study_code]),
        {"measured_on": tomorrow, "weight_kg": "20"},
    ).content.decode()
    assert "in the future" in page
    assert participant.anthropometry.count() == 0


@pytest.mark.django_db
def test_identity_correction_updates_blind_index(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a, identity_overrides={"given_name": "Iryna"})
    identity = ParticipantIdentity.objects.get(participant=participant)
    client = client_for(coordinator_a)
    response = client.post(
        reverse("identity_edit", args=[participant.study_code]),
        {
            "given_name": "Irina",
            "family_name": identity.family_name,
            "date_of_birth": identity.birth_date.isoformat(),
            "guardian_name": "G",
            "guardian_relationship": "mother",
            "row_version": identity.row_version,
            "reason": "spelling on birth certificate",
        },
    )
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.given_name == "Irina"
    assert identity.history.first().history_change_reason == "spelling on birth certificate"
