"""Typing mistakes and impossible values on participant pages: inline messages, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from neuroregen.core.errors import ValidationFailed
from neuroregen.participants import services as ps
from neuroregen.participants.models import Consent, Participant
from tests.helpers import consent_document, identity, research, screen, site_a_today
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db


def _post_measurement(client, participant, **values):
    data = {"measured_on": site_a_today().isoformat(), "weight_kg": "20", **values}
    return client.post(reverse("anthropometry_record", args=[participant.study_code]), data)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"weight_kg": "-3"}, "Weight must be at least 5 kg"),
        ({"weight_kg": "450"}, "Weight must be at most 150 kg"),
        ({"height_cm": "1100"}, "Height must be at most 220 cm"),
        ({"height_cm": "12"}, "Height must be at least 50 cm"),
    ],
)
def test_impossible_weight_or_height_is_an_inline_message(coordinator_a, site_a, values, message):
    participant = screen(coordinator_a, site_a)
    response = _post_measurement(client_for(coordinator_a), participant, **values)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert participant.anthropometry.count() == 0


def test_weight_and_height_errors_are_shown_together(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    page = _post_measurement(
        client_for(coordinator_a), participant, weight_kg="450", height_cm="1100"
    ).content.decode()
    assert "Weight must be at most 150 kg" in page
    assert "Height must be at most 220 cm" in page


def test_service_refuses_impossible_weight_with_a_domain_error(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    with pytest.raises(ValidationFailed) as caught:
        ps.anthropometry_record(
            user=coordinator_a,
            participant=participant,
            measured_on=site_a_today(),
            weight_kg=250,
        )
    assert caught.value.field == "weight_kg"


def test_measurement_before_birth_is_refused(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    before_birth = participant.identity.birth_date - dt.timedelta(days=3)
    page = _post_measurement(
        client_for(coordinator_a), participant, measured_on=before_birth.isoformat()
    ).content.decode()
    assert "is before the child" in page
    assert participant.anthropometry.count() == 0


def test_unknown_country_code_is_refused(coordinator_a, site_a):
    with pytest.raises(ValidationFailed) as caught:
        screen(coordinator_a, site_a, research_overrides={"country": "ZZ"})
    assert caught.value.field == "country"
    assert "ZZ" in caught.value.errors["country"]
    assert Participant.objects.count() == 0


def test_country_code_in_lower_case_is_accepted_as_upper(coordinator_a, site_a):
    client = client_for(coordinator_a)
    response = client.post(reverse("participant_create"), _registration(site_a, country="gb"))
    assert response.status_code == 302
    assert Participant.objects.get().country == "GB"


def _registration(site, **overrides):
    person = identity()
    values = {
        "site": site.pk,
        "screened_on": site_a_today().isoformat(),
        "given_name": person["given_name"],
        "family_name": person["family_name"],
        "date_of_birth": person["date_of_birth"].isoformat(),
        "guardian_name": person["guardian_name"],
        "guardian_relationship": "mother",
        **{k: str(v) for k, v in research().items()},
    }
    values.update(overrides)
    return values


def test_registration_shows_every_groups_errors_in_one_submit(coordinator_a, site_a):
    tomorrow = site_a_today() + dt.timedelta(days=1)
    bad = _registration(
        site_a,
        given_name="A" * 300,  # too long
        date_of_birth=tomorrow.isoformat(),  # identity rule
        country="ZZ",  # field rule
        genetic_finding="syndromic",  # cross-field rule: syndrome missing
        asd_diagnosis_date=tomorrow.isoformat(),  # research rule
        therapy_hours_per_week="200",  # model range
    )
    page = client_for(coordinator_a).post(reverse("participant_create"), bad).content.decode()
    assert "at most 100 characters" in page
    assert "is in the future" in page
    assert "Diagnosis date is in the future" in page
    assert "ZZ" in page
    assert "ISO 3166-1" in page
    assert "Name the syndrome" in page
    assert "less than or equal to 80" in page
    assert Participant.objects.count() == 0


def test_service_reports_identity_and_research_errors_together(coordinator_a, site_a):
    tomorrow = site_a_today() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        ps.participant_screen(
            user=coordinator_a,
            site=site_a,
            identity=identity(date_of_birth=tomorrow, guardian_name=""),
            research=research(country="ZZ", asd_diagnosis_date=tomorrow),
        )
    assert {"date_of_birth", "guardian_name", "country", "asd_diagnosis_date"} <= set(
        caught.value.errors
    )


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_registration_errors_render_translated(coordinator_a, site_a, language):
    client = client_for(coordinator_a)
    bad = _registration(site_a, country="ZZ")
    with translation.override(language):
        page = client.post(
            reverse("participant_create"), bad, HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
    assert "ISO 3166-1" in page
    assert "ZZ" in page
    assert "is not an ISO" not in page  # the message itself is translated


def _consent(user, participant, **overrides):
    values = {
        "document": consent_document(),
        "signed_on": site_a_today(),
        "signed_by_relationship": "mother",
        **overrides,
    }
    return ps.consent_record(user=user, participant=participant, **values)


def test_the_same_consent_cannot_be_recorded_twice(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    _consent(coordinator_a, participant)
    with pytest.raises(ValidationFailed, match="already recorded"):
        _consent(coordinator_a, participant, signed_by_relationship=" Mother ")
    assert Consent.objects.filter(participant=participant).count() == 1


def test_the_other_parent_may_sign_the_same_version(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    _consent(coordinator_a, participant)
    _consent(coordinator_a, participant, signed_by_relationship="father")
    assert Consent.objects.filter(participant=participant).count() == 2


def test_duplicate_consent_is_an_inline_message_on_the_page(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    _consent(coordinator_a, participant)
    page = client_for(coordinator_a).post(
        reverse("consent_record", args=[participant.study_code]),
        {
            "document": consent_document().pk,
            "signed_on": site_a_today().isoformat(),
            "signed_by_relationship": "mother",
        },
    )
    assert page.status_code == 200
    assert "already recorded" in page.content.decode()
    assert Consent.objects.filter(participant=participant).count() == 1


def test_consent_form_refuses_a_future_date_inline(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    page = client_for(coordinator_a).post(
        reverse("consent_record", args=[participant.study_code]),
        {
            "document": consent_document().pk,
            "signed_on": (site_a_today() + dt.timedelta(days=2)).isoformat(),
            "signed_by_relationship": "x" * 41,
        },
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "at most 40 characters" in body
