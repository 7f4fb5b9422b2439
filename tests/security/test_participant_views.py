"""Participant pages under the site-isolation battery."""

from __future__ import annotations

import itertools

from django.urls import reverse

from neuroregen.core.time import site_today
from tests.helpers import consent_document, screen
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery

_names = itertools.count()


class TestParticipantIsolation(SiteIsolationBattery):
    list_urls = ("/participants/", "/participants/?q=P-")

    def make_object(self, user, site):
        return screen(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Child{next(_names)}"},
        )

    def marker(self, obj):
        return obj.study_code

    def read_urls(self, obj):
        return [reverse("participant_detail", args=[obj.study_code])]

    def write_requests(self, obj):
        today = site_today(obj).isoformat()
        return [
            (
                reverse("participant_edit", args=[obj.study_code]),
                {
                    "sex": "F",
                    "country": "UA",
                    "preferred_language": "en",
                    "dsm5_severity": 3,
                    "diagnostic_instrument": "ados2",
                    "genetic_finding": "none",
                    "therapy_hours_per_week": "3",
                    "row_version": obj.row_version,
                    "reason": "attack",
                },
            ),
            (
                reverse("consent_record", args=[obj.study_code]),
                {
                    "document": consent_document().pk,
                    "signed_on": today,
                    "signed_by_relationship": "x",
                },
            ),
            (
                reverse("consent_withdraw", args=[obj.study_code]),
                {"scope": "withdraw_data", "effective_on": today},
            ),
            (reverse("participant_enrol", args=[obj.study_code]), {}),
            (
                reverse("anthropometry_record", args=[obj.study_code]),
                {"measured_on": today, "weight_kg": "21"},
            ),
            (reverse("comorbidity_record", args=[obj.study_code]), {"condition": "adhd"}),
            (reverse("participant_screen_fail", args=[obj.study_code]), {"reason": "attack"}),
            (
                reverse("identity_edit", args=[obj.study_code]),
                {
                    "given_name": "X",
                    "family_name": "Y",
                    "date_of_birth": "2020-01-01",
                    "guardian_name": "G",
                    "guardian_relationship": "m",
                    "row_version": 1,
                    "reason": "attack",
                },
            ),
        ]

    def test_dashboard_counts_only_visible_sites(self, world, coordinator_a):
        from tests.security.battery import client_for

        page = client_for(coordinator_a).get("/").content.decode()
        assert "SITE-A" in page
        assert "SITE-B" not in page
