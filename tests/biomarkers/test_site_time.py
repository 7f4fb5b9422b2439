"""A sample's collection time is typed and shown as wall time at the participant's site.

The server runs in UTC; the site is at America/New_York: 09:10 typed is 14:10 UTC in winter.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.biomarkers.models import Measurement
from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from tests.helpers import enrolled, make_user
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


def test_collection_time_is_site_time_in_and_out():
    site = site_create(code="NYC-01", name="New York", country="US", time_zone="America/New_York")
    coordinator = make_user(Role.COORDINATOR, site, "coord-ny")
    participant = enrolled(coordinator, site)
    lab = make_user(Role.LAB, site, "lab-ny")
    client = client_for(lab)
    typed = (timezone.now() - dt.timedelta(hours=2)).astimezone(NEW_YORK)
    typed = typed.replace(second=0, microsecond=0)
    response = client.post(
        reverse("biomarker_record", args=[participant.study_code]),
        {
            "analyte": "il6",
            "value": "2.5",
            "unit": "pg/mL",
            "matrix": "plasma",
            "collected_at": f"{typed:%Y-%m-%dT%H:%M}",
            "assay": "ELISA",
        },
    )
    assert response.status_code == 302, response.content.decode()
    measurement = Measurement.objects.get()
    assert measurement.collected_at == typed
    shown = f"{typed:%Y-%m-%d %H:%M} {typed.tzname()}"
    detail = client.get(reverse("biomarker_detail", args=[measurement.pk])).content.decode()
    assert shown in detail
    assert shown in client.get(reverse("biomarker_list")).content.decode()
