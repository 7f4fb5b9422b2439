"""Participants API: isolation battery, pseudonymity, specific errors, same services as pages."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from neuroregen.core.time import site_today
from neuroregen.participants.models import Participant
from tests.helpers import consent_document, screen, site_a_today
from tests.security.api_battery import ApiClient, ApiSiteIsolationBattery
from tests.security.battery import IDENTITY_NAME

_names = itertools.count()


class TestParticipantApiIsolation(ApiSiteIsolationBattery):
    list_urls = ("/api/participants/", "/api/participants/?q=P-")

    def make_object(self, user, site):
        return screen(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Api{next(_names)}"},
        )

    def marker(self, obj):
        return obj.study_code

    def read_urls(self, obj):
        return [
            f"/api/participants/{obj.study_code}",
            f"/api/participants/{obj.study_code}/consents",
        ]

    def write_requests(self, obj):
        today = site_today(obj).isoformat()
        base = f"/api/participants/{obj.study_code}"
        return [
            (
                "PATCH",
                base,
                {"changes": {"dsm5_severity": 3}, "reason": "x", "row_version": obj.row_version},
            ),
            (
                "POST",
                f"{base}/consents",
                {
                    "document_id": consent_document().pk,
                    "signed_on": today,
                    "signed_by_relationship": "m",
                },
            ),
            ("POST", f"{base}/withdrawals", {"scope": "withdraw_data", "effective_on": today}),
            ("POST", f"{base}/enrol", {}),
        ]


def _screen_payload(**identity):
    return {
        "site": "SITE-A",
        "identity": {
            "given_name": "Api",
            "family_name": "Child",
            "date_of_birth": "2020-02-02",
            "guardian_name": "G",
            "guardian_relationship": "mother",
            **identity,
        },
        "research": {
            "sex": "F",
            "country": "UA",
            "dsm5_severity": 2,
            "diagnostic_instrument": "ados2",
            "genetic_finding": "none",
        },
    }


@pytest.mark.django_db
def test_screen_via_api_returns_pseudonymous_record(coordinator_a, site_a):
    client = ApiClient(coordinator_a)
    response = client.send("POST", "/api/participants/", _screen_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["study_code"].startswith("P-")
    assert "Child" not in response.content.decode()
    assert body["synthetic"] is False
    assert Participant.objects.get().history.first().history_user == coordinator_a


@pytest.mark.django_db
def test_api_errors_are_specific_and_change_nothing(coordinator_a, site_a):
    client = ApiClient(coordinator_a)
    future = (site_a_today() + timezone.timedelta(days=5)).isoformat()
    response = client.send("POST", "/api/participants/", _screen_payload(date_of_birth=future))
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert response.json()["field"] == "date_of_birth"
    assert response.json()["message"] == f"Date of birth {future} is in the future."
    unknown_site = {**_screen_payload(), "site": "NOPE"}
    assert (
        client.send("POST", "/api/participants/", unknown_site).json()["message"] == "Unknown site."
    )
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_patch_without_reason_or_with_stale_version_is_refused(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    client = ApiClient(coordinator_a)
    url = f"/api/participants/{participant.study_code}"
    no_reason = client.send(
        "PATCH",
        url,
        {"changes": {"dsm5_severity": 3}, "reason": "", "row_version": participant.row_version},
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "reason_required"
    ok = client.send(
        "PATCH",
        url,
        {
            "changes": {"dsm5_severity": 3},
            "reason": "re-rated",
            "row_version": participant.row_version,
        },
    )
    assert ok.status_code == 200
    stale = client.send(
        "PATCH",
        url,
        {"changes": {"dsm5_severity": 1}, "reason": "late", "row_version": participant.row_version},
    )
    assert stale.status_code == 409
    assert Participant.objects.get().dsm5_severity == 3


@pytest.mark.django_db
def test_openapi_schema_declares_error_responses(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/participants/{study_code}"]["patch"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(operation["responses"])


@pytest.mark.django_db
def test_docs_are_served_without_cdn(client):
    page = client.get("/api/docs").content.decode()
    assert "cdn" not in page.lower()
    assert "/static/ninja/swagger-ui-bundle.js" in page
