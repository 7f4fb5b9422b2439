"""Product pages: site isolation of every view, and the lab and bedside flows over HTTP."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.time import site_today
from neuroregen.products.models import Administration, CustodyEvent
from neuroregen.protocols.models import Protocol
from tests.helpers import PASSWORD, enrolled, make_user
from tests.products import builders as b
from tests.products.test_administration import give
from tests.protocols import builders as pb
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery, client_for

_names = itertools.count()


def _child(user, site):
    return enrolled(
        user,
        site,
        identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Child{next(_names)}"},
    )


def _fingerprint(lot):
    lot.refresh_from_db()
    return (
        lot.row_version,
        lot.status,
        lot.history.count(),
        lot.qc_results.count(),
        CustodyEvent.objects.filter(lot=lot).count(),
        lot.deviations.count(),
        Administration.objects.filter(lot=lot).count(),
        sorted(lot.containers.values_list("status", flat=True)),
    )


class TestLotPagesIsolation(SiteIsolationBattery):
    list_urls = ("/products/", "/products/?q=LT-")

    def make_object(self, user, site):
        lab = b.lab(site)
        lot = b.autologous_lot(lab, _child(user, site), status="released")
        b.s.custody_record(
            user=lab, lot=lot, kind="temperature", occurred_at=timezone.now(), temperature_c=-20
        )  # an excursion to (not) assess
        return lot

    def marker(self, obj):
        return obj.code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        container = obj.containers.first()
        return [
            reverse("products:lot_detail", args=[obj.code]),
            reverse("products:label", args=[obj.code]),
            reverse("products:label", args=[container.code]),
            reverse("products:label", args=[obj.source.code]),
            reverse("products:lookback", args=[obj.code]),
            reverse("products:lookback", args=[obj.source.code]),
            reverse("products:participant_products", args=[obj.participant.study_code]),
        ]

    def write_requests(self, obj):
        now = timezone.now().strftime("%Y-%m-%dT%H:%M")
        container = obj.containers.first()
        excursion = CustodyEvent.objects.get(lot=obj, is_excursion=True)
        return [
            (
                reverse("products:qc_record", args=[obj.code]),
                {"test_code": "viability", "value": "10", "tested_on": site_today(obj)},
            ),
            (reverse("products:qc_conclude", args=[obj.code]), {}),
            (
                reverse("products:deviation_record", args=[obj.code]),
                {
                    "dev-classification": "minor",
                    "dev-description": "x",
                    "dev-opened_on": site_today(obj),
                },
            ),
            (
                reverse("products:lot_release", args=[obj.code]),
                {"password": PASSWORD, "meaning": "Released for clinical use"},
            ),
            (
                reverse("products:lot_recall", args=[obj.code]),
                {"reason": "attack", "password": PASSWORD},
            ),
            (
                reverse("products:custody_record", args=[obj.code]),
                {"kind": "temperature", "occurred_at": now, "temperature_c": "-190"},
            ),
            (
                reverse("products:shipment_dispatch", args=[obj.code]),
                {
                    "containers": [container.code],
                    "to_site": "SITE-A",
                    "occurred_at": now,
                    "courier": "x",
                },
            ),
            (
                reverse("products:excursion_assess", args=[excursion.pk]),
                {"outcome": "acceptable", "rationale": "attack", "password": PASSWORD},
            ),
            (
                reverse("products:bedside"),
                {
                    "participant_code": obj.participant.study_code,
                    "container_code": container.code,
                    "volume_ml": "2",
                    "started_at": now,
                    "stopped_at": now,
                    "reaction": "none",
                    "weight_kg": "22",
                },
            ),
        ]

    def state(self, obj):
        return _fingerprint(obj)


class TestAdministrationPagesIsolation(SiteIsolationBattery):
    list_urls = ()

    def make_object(self, user, site):
        protocol = Protocol.objects.filter(code="NR-CELL-01").first() or pb.active_protocol()
        investigator = make_user(Role.INVESTIGATOR, site)
        child = pb.enrolled_participant(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Child{next(_names)}"},
        )
        pb.confirmed(
            investigator,
            child,
            protocol,
            arm=protocol.arms.get(code="ipsc-it"),
            override_reason="test",
        )
        lot = b.autologous_lot(b.lab(site), child, status="released", product_type="ipsc_mix")
        return give(user, child, lot.containers.first())

    def marker(self, obj):
        return obj.code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [
            reverse("products:administration_detail", args=[obj.code]),
            reverse("products:participant_products", args=[obj.participant.study_code]),
        ]


# --- flows over HTTP ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_release_page_refuses_wrong_password_then_signs(site_a, coordinator_a):
    lab = b.lab(site_a)
    lot = b.autologous_lot(lab, b.participant(site_a, coordinator_a), status="qc_passed")
    reviewer = b.qa(site_a)
    client = client_for(reviewer)
    url = reverse("products:lot_release", args=[lot.code])
    page = client.post(url, {"password": "wrong", "meaning": "Released for clinical use"})
    assert page.status_code == 200
    assert "password is not correct" in page.content.decode()
    lot.refresh_from_db()
    assert lot.status == "qc_passed"
    response = client.post(url, {"password": PASSWORD, "meaning": "Released for clinical use"})
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.status == "released"
    detail = client.get(reverse("products:lot_detail", args=[lot.code])).content.decode()
    assert "Released for clinical use" in detail
    assert reviewer.username in detail


@pytest.mark.django_db
def test_release_page_shows_missing_tests(site_a, coordinator_a):
    lab = b.lab(site_a)
    lot = b.autologous_lot(lab, b.participant(site_a, coordinator_a))
    b.record_qc(lab, lot, purity=None)
    page = client_for(lab).post(
        reverse("products:lot_release", args=[lot.code]),
        {"password": PASSWORD, "meaning": "Released for clinical use"},
    )
    text = page.content.decode()
    assert "missing: Neuronal purity" in text
    assert "Release is not possible" in text


@pytest.mark.django_db
def test_scan_redirects_and_rejects_typos(site_a, coordinator_a):
    lab = b.lab(site_a)
    lot = b.autologous_lot(lab, b.participant(site_a, coordinator_a))
    client = client_for(coordinator_a)
    response = client.get(reverse("products:scan"), {"code": lot.code.lower()})
    assert response["Location"] == reverse("products:lot_detail", args=[lot.code])
    typo = lot.code[:3] + ("0" if lot.code[3] != "0" else "1") + lot.code[4:]
    page = client.get(reverse("products:scan"), {"code": typo}, follow=True).content.decode()
    assert "check digits do not match" in page


@pytest.mark.django_db
def test_bedside_scan_flow_and_wrong_child(site_a, coordinator_a, investigator_a):
    protocol = pb.active_protocol()
    arm = protocol.arms.get(code="ipsc-it")
    right = pb.enrolled_participant(coordinator_a, site_a)
    wrong = pb.enrolled_participant(coordinator_a, site_a)
    for child in (right, wrong):
        pb.confirmed(investigator_a, child, protocol, arm=arm, override_reason="test")
    lot = b.autologous_lot(b.lab(site_a), right, status="released", product_type="ipsc_mix")
    container = lot.containers.first()
    client = client_for(coordinator_a)
    url = reverse("products:bedside")
    step = client.get(url, {"scan": wrong.study_code})
    step = client.get(step["Location"] + "&scan=" + container.code)
    page = client.get(step["Location"]).content.decode()
    assert "DO NOT ADMINISTER" in page
    assert "WRONG PARTICIPANT" in page
    page = client.get(
        url, {"participant": right.study_code, "container": container.code}
    ).content.decode()
    assert "checks passed" in page
    assert "2.20 mL" in page
    now = timezone.localtime(timezone.now(), site_a_tz(site_a)).replace(tzinfo=None)
    form = {
        "participant_code": right.study_code,
        "container_code": container.code,
        "weight_kg": "22",
        "volume_ml": "2.2",
        "reaction": "none",
        "started_at": (now - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "stopped_at": (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
    }
    refused = client.post(url, {**form, "participant_code": wrong.study_code})
    assert refused.status_code == 422
    assert "WRONG PARTICIPANT" in refused.content.decode()
    assert not Administration.objects.exists()
    done = client.post(url, form)
    assert done.status_code == 302
    administration = Administration.objects.get()
    assert administration.participant == right
    assert administration.is_first


def site_a_tz(site):
    from zoneinfo import ZoneInfo

    return ZoneInfo(site.time_zone)


@pytest.mark.django_db
def test_bedside_needs_administer_capability(site_a):
    lab = b.lab(site_a)
    assert client_for(lab).get(reverse("products:bedside")).status_code == 403
