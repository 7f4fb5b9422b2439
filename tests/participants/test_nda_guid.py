"""The NDA GUID: its format, who records it (with a reason), who sees it, site isolation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from neuroregen.core.errors import NotPermitted, ValidationFailed
from neuroregen.participants import services
from neuroregen.participants.nda_guid import normalise_nda_guid
from tests.helpers import screen
from tests.security.battery import client_for

GUID = "NDARAB123CDE"
PSEUDO = "NDAR_INV1A2B3C4D"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (GUID, GUID),
        (PSEUDO, PSEUDO),
        (" ndar_inv1a2b3c4d ", PSEUDO),
        ("NDARINV1A2B3C4D", PSEUDO),  # the BIDS spelling of a pseudo-GUID
    ],
)
def test_accepted_spellings_are_stored_as_nda_writes_them(typed, stored):
    assert normalise_nda_guid(typed) == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    "wrong",
    ["NDAR123", "NDARAB123CD", "NDARAB123CDEF", "NDAR_INV1A2B3C4", "GUID1A2B3C4D", "NDAR-AB123CDE"],
)
def test_wrong_formats_are_refused_on_the_field(coordinator_a, site_a, wrong):
    child = screen(coordinator_a, site_a)
    with pytest.raises(ValidationFailed) as refused:
        services.nda_guid_set(user=coordinator_a, participant=child, guid=wrong, reason="typed")
    assert refused.value.field == "nda_guid"
    child.refresh_from_db()
    assert child.nda_guid == ""


@pytest.mark.django_db
def test_recorded_with_its_reason_and_once_per_site(coordinator_a, site_a):
    child, sibling = screen(coordinator_a, site_a), screen(coordinator_a, site_a)
    services.nda_guid_set(
        user=coordinator_a, participant=child, guid=GUID, reason="GUID tool run at the visit"
    )
    child.refresh_from_db()
    assert child.nda_guid == GUID
    latest = child.history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        coordinator_a,
        "GUID tool run at the visit",
    )
    with pytest.raises(ValidationFailed, match="already recorded"):
        services.nda_guid_set(user=coordinator_a, participant=sibling, guid=GUID, reason="typo")
    services.nda_guid_set(user=coordinator_a, participant=child, guid="", reason="wrong child")
    child.refresh_from_db()
    assert child.nda_guid == ""


@pytest.mark.django_db
def test_only_staff_who_see_identity_at_the_site_record_it(
    coordinator_a, coordinator_b, site_a, statistician, monitor
):
    child = screen(coordinator_a, site_a)
    for outsider in (coordinator_b, statistician, monitor):
        with pytest.raises(NotPermitted):
            services.nda_guid_set(user=outsider, participant=child, guid=GUID, reason="x")
        assert client_for(outsider).get(
            reverse("nda_guid_edit", args=[child.study_code])
        ).status_code in (403, 404)


@pytest.mark.django_db
def test_page_records_it_and_only_identity_readers_see_it(coordinator_a, site_a, monitor):
    child = screen(coordinator_a, site_a)
    client = client_for(coordinator_a)
    url = reverse("nda_guid_edit", args=[child.study_code])
    assert client.post(url, {"nda_guid": GUID}).status_code == 200  # no reason: form again
    response = client.post(url, {"nda_guid": PSEUDO.lower(), "reason": "GUID tool"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.nda_guid == PSEUDO
    detail = reverse("participant_detail", args=[child.study_code])
    assert PSEUDO in client.get(detail).content.decode()
    # Monitors read research data and the audit trail, not identity: the change, not the value.
    assert PSEUDO not in client_for(monitor).get(detail).content.decode()
    history = client_for(monitor).get(reverse("participant_history", args=[child.study_code]))
    assert history.status_code == 200
    assert "GUID tool" in history.content.decode()
    assert PSEUDO not in history.content.decode()
