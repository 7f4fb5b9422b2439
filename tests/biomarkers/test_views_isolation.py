"""Biomarker pages under the site-isolation battery."""

from __future__ import annotations

import datetime as dt
import itertools

from django.urls import reverse
from django.utils import timezone

from neuroregen.biomarkers import services
from neuroregen.biomarkers.models import Measurement
from neuroregen.core.roles import Role
from tests.helpers import enrolled, make_user
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery

_n = itertools.count()


class TestMeasurementIsolation(SiteIsolationBattery):
    list_urls = ("/biomarkers/",)

    def make_object(self, user, site):
        participant = enrolled(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"B{next(_n)}"},
        )
        lab = make_user(Role.LAB, site)
        return services.measurement_record(
            user=lab,
            participant=participant,
            data={
                "analyte": "il6",
                "value": "2.5",
                "unit": "pg/mL",
                "matrix": "plasma",
                "collected_at": timezone.now() - dt.timedelta(hours=1),
                "assay": "ELISA",
                "lot": f"LOT-{next(_n):05d}-{site.code}",
            },
        )

    def marker(self, obj):
        return obj.lot

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [reverse("biomarker_detail", args=[obj.pk])]

    def write_requests(self, obj):
        return [
            (
                reverse("biomarker_record", args=[obj.participant.study_code]),
                {
                    "analyte": "il6",
                    "value": "99",
                    "unit": "pg/mL",
                    "matrix": "plasma",
                    "collected_at": "2024-01-01T10:00",
                    "assay": "x",
                },
            )
        ]

    def state(self, obj):
        return Measurement.objects.filter(participant=obj.participant).count()
