"""Custody and administration times are entered and shown in the lot's or child's site zone.

The server runs in UTC; the site is at America/New_York. Before the one time model a custody
event typed as 11:40 showed as "16:40 UTC" and lab lists showed times with no zone at all.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from neuroregen.products.models import Administration, CustodyEvent
from tests.helpers import PASSWORD, make_user
from tests.products import builders as b
from tests.protocols import builders as pb
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def site_ny(db):
    return site_create(code="NYC-01", name="New York", country="US", time_zone="America/New_York")


@pytest.fixture
def lab_ny(site_ny):
    return b.lab(site_ny, "lab-ny")


@pytest.fixture
def coordinator_ny(site_ny):
    return make_user(Role.COORDINATOR, site_ny, "coord-ny")


def _wall(minutes_ago: int) -> dt.datetime:
    """A wall time at the New York site, to the minute, a few minutes ago."""
    moment = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return moment.astimezone(NEW_YORK).replace(second=0, microsecond=0)


def _shown(local: dt.datetime) -> str:
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _input_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_custody_time_typed_at_the_site_is_shown_as_that_site_time(lab_ny, site_ny):
    lot = b.autologous_lot(lab_ny, b.participant(site_ny), status="released")
    client = client_for(lab_ny)
    url = reverse("products:custody_record", args=[lot.code])
    default = _input_value(client.get(url).content.decode(), "occurred_at")
    assert default in {f"{_wall(m):%Y-%m-%dT%H:%M}" for m in (0, 1)}
    typed = _wall(5)
    response = client.post(
        url,
        {
            "kind": "temperature",
            "occurred_at": f"{typed:%Y-%m-%dT%H:%M}",
            "temperature_c": "-150",
            "place": "LN2 dewar 3",
        },
    )
    assert response.status_code == 302, response.content.decode()
    event = CustodyEvent.objects.filter(kind="temperature").get()
    assert event.occurred_at == typed
    page = client.get(reverse("products:lot_detail", args=[lot.code])).content.decode()
    assert _shown(typed) in page
    assert "UTC" not in page.split('data-testid="custody"')[-1].split("</ol>")[0]


def test_daylight_saving_gap_on_custody_entry_is_a_specific_message(lab_ny, site_ny):
    lot = b.autologous_lot(lab_ny, b.participant(site_ny), status="released")
    response = client_for(lab_ny).post(
        reverse("products:custody_record", args=[lot.code]),
        {"kind": "temperature", "occurred_at": "2026-03-08T02:15", "temperature_c": "-150"},
    )
    assert response.status_code == 200
    assert "does not exist in America/New_York" in response.content.decode()
    assert not CustodyEvent.objects.filter(kind="temperature").exists()


def test_bedside_administration_is_entered_and_shown_in_site_time(site_ny, coordinator_ny):
    investigator = make_user(Role.INVESTIGATOR, site_ny, "inv-ny")
    protocol = pb.active_protocol()
    child = pb.enrolled_participant(coordinator_ny, site_ny)
    pb.confirmed(
        investigator, child, protocol, arm=protocol.arms.get(code="ipsc-it"), override_reason="t"
    )
    lot = b.autologous_lot(b.lab(site_ny), child, status="released", product_type="ipsc_mix")
    container = lot.containers.first()
    client = client_for(coordinator_ny)
    url = reverse("products:bedside")
    page = client.get(url, {"participant": child.study_code, "container": container.code})
    assert _input_value(page.content.decode(), "started_at") in {
        f"{_wall(m):%Y-%m-%dT%H:%M}" for m in (0, 1)
    }
    start, stop = _wall(30), _wall(5)
    done = client.post(
        url,
        {
            "participant_code": child.study_code,
            "container_code": container.code,
            "weight_kg": "22",
            "volume_ml": "2.2",
            "reaction": "none",
            "started_at": f"{start:%Y-%m-%dT%H:%M}",
            "stopped_at": f"{stop:%Y-%m-%dT%H:%M}",
        },
    )
    assert done.status_code == 302, done.content.decode()
    administration = Administration.objects.get()
    assert administration.started_at == start
    detail = client.get(
        reverse("products:administration_detail", args=[administration.code])
    ).content.decode()
    assert _shown(start) in detail
    assert f"{stop:%H:%M} {stop.tzname()}" in detail
    mine = client.get(
        reverse("products:participant_products", args=[child.study_code])
    ).content.decode()
    assert _shown(start) in mine


def test_lab_list_shows_collection_time_with_its_site_zone(lab_ny, site_ny):
    lot = b.autologous_lot(lab_ny, b.participant(site_ny), status="in_process")
    collected = lot.source.collected_at.astimezone(NEW_YORK)
    page = client_for(lab_ny).get(reverse("products:lab_home")).content.decode()
    assert _shown(collected) in page


def test_lot_expiry_and_release_are_shown_in_the_lot_site_zone(lab_ny, site_ny):
    lot = b.autologous_lot(lab_ny, b.participant(site_ny), status="released")
    page = client_for(lab_ny).get(reverse("products:lot_detail", args=[lot.code])).content.decode()
    assert _shown(lot.expires_at.astimezone(NEW_YORK)) in page
    listing = client_for(lab_ny).get(reverse("products:lot_list")).content.decode()
    assert _shown(lot.expires_at.astimezone(NEW_YORK)) in listing


def test_receipt_time_is_read_at_the_receiving_site(lab_ny, site_ny, site_a):
    lot = b.allogeneic_lot(lab_ny, site_ny)
    container = lot.containers.order_by("sequence").first()
    dispatched = timezone.now() - dt.timedelta(hours=3)
    b.s.shipment_dispatch(
        user=lab_ny,
        containers=[container],
        to_site=site_a,
        occurred_at=dispatched,
        courier="cold chain",
        temperature_c=None,
    )
    receiver = make_user(Role.COORDINATOR, site_a, "coord-kyiv")
    kyiv = (timezone.now() - dt.timedelta(minutes=10)).astimezone(ZoneInfo(site_a.time_zone))
    kyiv = kyiv.replace(second=0, microsecond=0)
    response = client_for(receiver).post(
        reverse("products:shipment_receive", args=[container.code]),
        {"occurred_at": f"{kyiv:%Y-%m-%dT%H:%M}", "received_by": "nurse", "password": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()
    receipt = CustodyEvent.objects.get(kind="receipt")
    assert receipt.occurred_at == kyiv


@pytest.mark.parametrize(("language", "hint"), [("ru", "Время центра"), ("uk", "Час центру")])
def test_custody_page_renders_in_russian_and_ukrainian(lab_ny, site_ny, language, hint):
    lot = b.autologous_lot(lab_ny, b.participant(site_ny), status="released")
    client = client_for(lab_ny)
    client.cookies["django_language"] = language
    form = client.get(reverse("products:custody_record", args=[lot.code])).content.decode()
    assert f"{hint}: America/New_York" in form
    page = client.get(reverse("products:lot_detail", args=[lot.code]))
    assert page.status_code == 200
    assert _shown(lot.expires_at.astimezone(NEW_YORK)) in page.content.decode()
