"""Visits, responses and measurements over the API: isolation battery and same services."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from neuroregen.core.time import site_today
from neuroregen.instruments.models import Response
from tests.instruments.builders import participant_with_visits
from tests.interop.builders import atec_answers, fill
from tests.security.api_battery import ApiClient, ApiSiteIsolationBattery
from tests.security.battery import IDENTITY_NAME

_names = itertools.count()


def _child(user, site):
    participant, visits = participant_with_visits(
        user,
        site,
        identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Api{next(_names)}"},
    )
    return participant, visits


class TestVisitApiIsolation(ApiSiteIsolationBattery):
    list_urls = ("/api/visits/", "/api/visits/?code=BL")

    def make_object(self, user, site):
        _participant, visits = _child(user, site)
        return visits["BL"]

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [f"/api/visits/{obj.pk}"]

    def write_requests(self, obj):
        return [
            (
                "POST",
                f"/api/visits/{obj.pk}/done",
                {"done_on": site_today(obj).isoformat(), "reason": "x"},
            )
        ]


class TestResponseApiIsolation(ApiSiteIsolationBattery):
    list_urls = ("/api/responses", "/api/responses?instrument=cgi_s")

    def make_object(self, user, site):
        _participant, visits = _child(user, site)
        return fill(user, visits["BL"], "cgi_s", {"cgi_s": "4"})

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [f"/api/responses/{obj.pk}"]

    def write_requests(self, obj):
        return [
            (
                "PUT",
                f"/api/responses/{obj.pk}",
                {
                    "answers": {"cgi_s": "2"},
                    "complete": True,
                    "row_version": obj.row_version,
                    "reason": "re-rated",
                },
            )
        ]


class TestMeasurementApiIsolation(ApiSiteIsolationBattery):
    list_urls = ("/api/measurements/", "/api/measurements/?analyte=il6")

    def make_object(self, user, site):
        from neuroregen.biomarkers import services
        from neuroregen.core.roles import Role
        from tests.helpers import make_user

        participant, visits = _child(user, site)
        return services.measurement_record(
            user=make_user(Role.LAB, site),
            participant=participant,
            visit=visits["BL"],
            data={
                "analyte": "il6",
                "value": "3.1",
                "unit": "pg/mL",
                "matrix": "plasma",
                "collected_at": timezone.now(),
                "lloq": "0.7",
                "uloq": "300",
                "assay": "ELISA",
            },
        )

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [f"/api/measurements/{obj.pk}"]


@pytest.mark.django_db
def test_response_save_over_api_uses_the_form_rules(coordinator_a, site_a):
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    response = fill(coordinator_a, visits["BL"], "atec", atec_answers(0))
    client = ApiClient(coordinator_a)
    url = f"/api/responses/{response.pk}"
    no_reason = client.send(
        "PUT",
        url,
        {
            "answers": {**response.answers, "atec_i_01": "1"},
            "complete": True,
            "row_version": response.row_version,
        },
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "reason_required"
    wrong = client.send(
        "PUT",
        url,
        {
            "answers": {**response.answers, "atec_i_01": "9"},
            "complete": True,
            "row_version": response.row_version,
            "reason": "typo",
        },
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "answers_invalid"
    assert set(wrong.json()["errors"]) == {"atec_i_01"}
    emptied = client.send(
        "PUT",
        url,
        {"answers": {}, "row_version": response.row_version, "reason": "cleared"},
    )
    assert emptied.status_code == 422  # a complete form keeps every required answer
    assert emptied.json()["code"] == "form_incomplete"
    assert len(emptied.json()["missing_items"]) == 77
    stale = client.send(
        "PUT",
        url,
        {
            "answers": {"atec_i_01": "1"},
            "complete": True,
            "row_version": response.row_version - 1,
            "reason": "x",
        },
    )
    assert stale.status_code == 409
    response.refresh_from_db()
    assert response.answers["atec_i_01"] == atec_answers(0)["atec_i_01"]
    ok = client.send(
        "PUT",
        url,
        {
            "answers": {**response.answers, "atec_i_01": "0"},
            "complete": True,
            "row_version": response.row_version,
            "reason": "parent corrected",
        },
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["scores"]["atec_total"]["value"] is not None
    assert Response.objects.get(pk=response.pk).history.first().history_change_reason == (
        "parent corrected"
    )


@pytest.mark.django_db
def test_lab_records_measurement_over_api(site_a, coordinator_a):
    from neuroregen.core.roles import Role
    from tests.helpers import make_user

    participant, visits = participant_with_visits(coordinator_a, site_a)
    lab = make_user(Role.LAB, site_a)
    body = {
        "study_code": participant.study_code,
        "visit_id": visits["BL"].pk,
        "analyte": "il6",
        "value": "0.012",
        "unit": "ng/mL",
        "matrix": "serum",
        "collected_at": timezone.now().isoformat(),
        "lloq": "0.7",
        "uloq": "300",
        "assay": "ELISA",
    }
    created = ApiClient(lab).send("POST", "/api/measurements/", body)
    assert created.status_code == 201, created.content
    assert created.json()["unit"] == "pg/mL"
    assert float(created.json()["value"]) == 12.0
    refused = ApiClient(coordinator_a).send("POST", "/api/measurements/", body)
    assert refused.status_code == 403


@pytest.mark.django_db
def test_schema_declares_errors_for_every_new_operation(client):
    schema = client.get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = set(operation["responses"])
            assert {"401", "403", "404"} <= responses, (method, path)
            if method in ("post", "put", "patch"):
                assert {"409", "422"} <= responses, (method, path)
