"""Instrument pages under the site-isolation battery."""

from __future__ import annotations

import itertools

from django.urls import reverse

from neuroregen.instruments import services
from tests.instruments.builders import participant_with_visits
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery

_n = itertools.count()


def _child(user, site):
    return participant_with_visits(
        user,
        site,
        identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Iso{next(_n)}"},
    )


class TestResponseIsolation(SiteIsolationBattery):
    list_urls = ("/instruments/outstanding/",)

    def make_object(self, user, site):
        _participant, visits = _child(user, site)
        response = services.response_start(user=user, visit=visits["BL"], instrument="abc2")
        return services.response_save(
            user=user, response=response, answers={"abc2_irritability": "9"}, expected_version=1
        )

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [reverse("instrument_visit_forms", args=[obj.visit_id])]

    def write_requests(self, obj):
        visit, code = obj.visit_id, obj.instrument.code
        return [
            (
                reverse("instrument_response_entry", args=[visit, code]),
                {
                    "respondent": "parent",
                    "language": "en",
                    "answered_on": "2024-01-01",
                    "row_version": obj.row_version,
                    "abc2_irritability": "40",
                    "action": "complete",
                },
            ),
            (reverse("instrument_response_not_done", args=[visit, code]), {"reason": "attack"}),
            (
                reverse("instrument_link_create", args=[visit, "atec"]),
                {"language": "en", "valid_days": 7},
            ),
            (
                reverse("instrument_response_item", args=[visit, code]),
                {
                    "field": "abc2_irritability",
                    "abc2_irritability": "1",
                    "respondent": "parent",
                    "language": "en",
                    "answered_on": "2024-01-01",
                },
            ),
            (
                reverse("instrument_response_preview", args=[visit, code]),
                {"abc2_irritability": "1"},
            ),
        ]

    def test_coordinator_enters_and_sees_scores(self, world, coordinator_a):
        from tests.security.battery import client_for

        client = client_for(coordinator_a)
        own = world["own"]
        url = reverse("instrument_response_entry", args=[own.visit_id, "abc2"])
        page = client.get(url)
        assert page.status_code == 200
        assert "Irritability" in page.content.decode()
        saved = client.post(
            url,
            {
                "respondent": "parent",
                "language": "en",
                "answered_on": own.answered_on.isoformat(),
                "row_version": own.row_version,
                "abc2_irritability": "11",
                "abc2_stereotypy__missing": "UNK",
                "action": "save",
            },
        )
        assert saved.status_code == 302
        own.refresh_from_db()
        assert own.answers == {"abc2_irritability": "11"}
        assert own.missing == {"abc2_stereotypy": "UNK"}
        # A stale version is refused with what changed, and the typed answers stay on screen.
        stale = client.post(
            url,
            {
                "respondent": "parent",
                "language": "en",
                "answered_on": own.answered_on.isoformat(),
                "row_version": 1,
                "abc2_irritability": "30",
                "action": "save",
            },
        )
        body = stale.content.decode()
        assert stale.status_code == 409
        assert 'data-testid="conflict"' in body
        assert 'value="30"' in body
        own.refresh_from_db()
        assert own.answers["abc2_irritability"] == "11"

    def test_preview_branching_and_calc(self, world, coordinator_a):
        from tests.security.battery import client_for

        client = client_for(coordinator_a)
        own = world["own"]
        preview = reverse("instrument_response_preview", args=[own.visit_id, "vineland3"])
        hidden = client.post(preview, {"vineland3_motor_assessed": "0"}).json()
        shown = client.post(preview, {"vineland3_motor_assessed": "1"}).json()
        assert "vineland3_motor" not in hidden["shown"]
        assert "vineland3_motor" in shown["shown"]
        atec = reverse("instrument_response_preview", args=[own.visit_id, "atec"])
        calc = client.post(atec, {"atec_i_01": "2", "atec_i_02": "1"}).json()
        assert calc["calcs"]["atec_i_raw"] == "3"
        own.refresh_from_db()
        assert "atec" not in str(own.answers)  # a preview saves nothing


class TestQueryIsolation(SiteIsolationBattery):
    list_urls = ("/instruments/queries/",)

    def make_object(self, user, site):
        from tests.helpers import enrolled

        participant = enrolled(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Q{next(_n)}"},
        )
        return services.query_open(
            user=user,
            participant=participant,
            message=f"check value {next(_n)}-{participant.study_code}",
        )

    def marker(self, obj):
        return obj.message

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [reverse("instrument_query_detail", args=[obj.pk])]

    def write_requests(self, obj):
        return [
            (
                reverse("instrument_query_detail", args=[obj.pk]),
                {"action": "answered", "text": "attack", "row_version": obj.row_version},
            ),
            (
                reverse("instrument_query_detail", args=[obj.pk]),
                {"action": "closed", "text": "attack", "row_version": obj.row_version},
            ),
        ]
