"""Adverse events and reporting clocks over the API: isolation, roles, same services as pages."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from neuroregen.safety.models import AdverseEvent
from tests.api.battery import StaffApiBattery
from tests.helpers import screen, site_a_today
from tests.safety.builders import administered, record
from tests.security.api_battery import ApiClient
from tests.security.battery import IDENTITY_NAME

_names = itertools.count()


def _named() -> dict[str, str]:
    return {"family_name": IDENTITY_NAME, "given_name": f"Ae{next(_names)}"}


def _serious(user, participant, **overrides):
    """A serious, unexpected, possibly related event: it starts the 24-hour and IND clocks."""
    values = {
        "serious_hospitalisation": True,
        "expectedness": "unexpected",
        "relatedness_product": "possible",
        "grade": 3,
        **overrides,
    }
    return record(user, participant, serious=True, **values)


def _payload(study_code: str, **overrides):
    return {
        "study_code": study_code,
        "term": "Headache",
        "soc": "nervous",
        "onset_date": (site_a_today() - dt.timedelta(days=1)).isoformat(),
        "grade": 2,
        "relatedness_product": "unlikely",
        "relatedness_procedure": "possible",
        "expectedness": "expected",
        "outcome": "recovering",
        **overrides,
    }


class TestAdverseEventApiIsolation(StaffApiBattery):
    list_urls = (
        "/api/safety/events",
        "/api/safety/events?serious=true&status=open",
        "/api/safety/clocks",
    )

    def make_object(self, user, site):
        return _serious(user, screen(user, site, identity_overrides=_named()))

    def marker(self, obj):
        return obj.code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [f"/api/safety/events/{obj.code}"]

    def write_requests(self, obj):
        return [
            ("POST", f"/api/safety/events/{obj.code}/follow-ups", {"note": "attack"}),
            ("POST", "/api/safety/events", _payload(obj.participant.study_code)),
        ]

    def state(self, obj):
        obj.refresh_from_db()
        return (
            obj.row_version,
            obj.history.count(),
            obj.follow_ups.count(),
            AdverseEvent.objects.filter(participant=obj.participant).count(),
        )


@pytest.mark.django_db
def test_report_over_api_computes_context_starts_clocks_and_audits(site_a, coordinator_a):
    participant, administration = administered(
        coordinator_a, site_a, when=timezone.now() - dt.timedelta(days=3)
    )
    client = ApiClient(coordinator_a)
    body = _payload(
        participant.study_code,
        serious=True,
        serious_hospitalisation=True,
        expectedness="unexpected",
        relatedness_product="probable",
        grade=3,
        aware_at=timezone.now().isoformat(),
    )
    response = client.send("POST", "/api/safety/events", body)
    assert response.status_code == 201, response.content
    data = response.json()
    event = AdverseEvent.objects.get(code=data["code"])
    assert data["is_serious"] is True
    assert data["criteria"] == ["hospitalisation"]
    assert data["lot_code"] == administration.lot.code
    assert data["administration_code"] == administration.code
    assert data["days_since_administration"] == event.days_since_administration == 2
    assert data["phase"] == event.phase != ""
    assert data["is_open"] is True
    assert data["follow_ups"][0]["kind"] == "initial"
    assert {c["kind"] for c in data["clocks"]} == {"sponsor_24h", "ind_15d"}
    assert data["signed_off"] is False
    assert event.reported_by == coordinator_a
    assert event.history.first().history_user == coordinator_a
    assert event.history.first().history_change_reason == "initial report"


@pytest.mark.django_db
def test_report_errors_are_the_services_and_save_nothing(site_a, coordinator_a):
    participant = screen(coordinator_a, site_a)
    client = ApiClient(coordinator_a)
    url = "/api/safety/events"
    fatal = client.send("POST", url, _payload(participant.study_code, grade=5))
    assert fatal.status_code == 422
    assert fatal.json()["code"] == "validation_failed"
    assert fatal.json()["field"] == "outcome"
    assert "Grade 5 means the event caused death" in fatal.json()["message"]
    unticked = client.send("POST", url, _payload(participant.study_code, serious=True))
    assert unticked.status_code == 422
    assert unticked.json()["field"] == "serious"
    unknown = client.send("POST", url, _payload(participant.study_code, soc="brain"))
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "soc"
    naive = client.send(
        "POST", url, _payload(participant.study_code, aware_at="2024-01-01T10:00:00")
    )
    assert naive.status_code == 422
    too_long = client.send("POST", url, _payload(participant.study_code, term="x" * 201))
    assert too_long.status_code == 422
    assert not AdverseEvent.objects.exists()


@pytest.mark.django_db
def test_follow_up_is_appended_through_the_service(site_a, coordinator_a, monitor):
    event = record(coordinator_a, screen(coordinator_a, site_a))
    client = ApiClient(coordinator_a)
    url = f"/api/safety/events/{event.code}/follow-ups"
    empty = client.send("POST", url, {"note": "  "})
    assert empty.status_code == 422
    assert empty.json()["field"] == "note"
    added = client.send("POST", url, {"note": "Resolved with fluids"})
    assert added.status_code == 201
    assert added.json()["kind"] == "note"
    detail = client.get(f"/api/safety/events/{event.code}").json()
    assert [f["note"] for f in detail["follow_ups"]][-1] == "Resolved with fluids"
    assert ApiClient(monitor).send("POST", url, {"note": "x"}).status_code == 403
    assert event.follow_ups.count() == 2


@pytest.mark.django_db
def test_event_filters(site_a, coordinator_a):
    first = screen(coordinator_a, site_a)
    second = screen(coordinator_a, site_a)
    mild = record(coordinator_a, first, grade=1)
    severe = _serious(coordinator_a, first)
    closed = record(
        coordinator_a,
        second,
        grade=2,
        outcome="recovered",
        resolution_date=site_a_today(),
    )
    client = ApiClient(coordinator_a)

    def codes(query: str) -> set[str]:
        response = client.get(f"/api/safety/events?{query}")
        assert response.status_code == 200, response.content
        return {item["code"] for item in response.json()["items"]}

    assert codes("") == {mild.code, severe.code, closed.code}
    assert codes("serious=true") == {severe.code}
    assert codes("serious=false") == {mild.code, closed.code}
    assert codes("min_grade=2") == {severe.code, closed.code}
    assert codes("status=closed") == {closed.code}
    assert codes("status=open") == {mild.code, severe.code}
    assert codes(f"study_code={second.study_code}") == {closed.code}
    assert client.get("/api/safety/events?status=maybe").status_code == 422
    assert client.get("/api/safety/events?min_grade=9").status_code == 422
    assert client.get("/api/safety/events?limit=1").json()["count"] == 3


@pytest.mark.django_db
def test_clock_list_is_most_urgent_first_and_can_include_closed(site_a, coordinator_a):
    participant = screen(coordinator_a, site_a)
    _serious(coordinator_a, participant, aware_at=timezone.now() - dt.timedelta(days=2))
    client = ApiClient(coordinator_a)
    rows = client.get("/api/safety/clocks").json()["items"]
    assert [r["kind"] for r in rows] == ["sponsor_24h", "ind_15d"]
    assert rows[0]["state"] == "overdue"
    assert rows[0]["hours_left"] < 0
    assert rows[1]["state"] == "due"
    assert rows[0]["study_code"] == participant.study_code
