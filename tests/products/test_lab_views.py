"""Lab creation pages: site isolation, domain errors shown on the form, autologous binding,
QC specification versioning, and the source → line → lot → containers flow over HTTP."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.time import now_at
from neuroregen.products import services as s
from neuroregen.products.models import (
    AntibodyScreen,
    Container,
    Donor,
    HLATyping,
    IPSCLine,
    Lot,
    QCSpecification,
    SourceMaterial,
)
from tests.helpers import SITE_A_ZONE, enrolled, make_user, site_a_today
from tests.products import builders as b
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery, client_for

_names = itertools.count()


def _child(user, site):
    return enrolled(
        user,
        site,
        identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Lab{next(_names)}"},
    )


def _now_local() -> str:
    """Now as site A's staff would type it: wall time in the site's zone."""
    return now_at(SITE_A_ZONE).strftime("%Y-%m-%dT%H:%M")


def _lot_post(**overrides):
    data = {
        "product_type": "ipsc_neurons",
        "manufacture_started_on": site_a_today().isoformat(),
        "expires_at": (timezone.localtime() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "concentration": "10000000",
        "concentration_unit": "cells_per_ml",
        "volume_ml": "20",
        "storage": "ln2",
    }
    data.update(overrides)
    return data


# --- site isolation -----------------------------------------------------------------------------


class TestLabSourcePagesIsolation(SiteIsolationBattery):
    """An autologous source with its line and an in-process lot; every lab write on it."""

    list_urls = ("/products/lab/",)

    def make_object(self, user, site):
        lot = b.autologous_lot(b.lab(site), _child(user, site), containers=0, status="in_process")
        return lot.source

    def marker(self, obj):
        return obj.code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return [
            reverse("products:label", args=[obj.code]),
            reverse("products:lookback", args=[obj.code]),
        ]

    def write_requests(self, obj):
        lot = obj.lots.get()
        line = obj.ipsc_lines.get()
        return [
            (
                reverse("products:line_create", args=[obj.code]),
                {
                    "reprogramming_method": "sendai",
                    "clone": "X1",
                    "passage": "5",
                    "bank": "none",
                    "derived_on": site_a_today().isoformat(),
                },
            ),
            (reverse("products:lot_create", args=[obj.code]), _lot_post(ipsc_line=line.code)),
            (
                reverse("products:lot_complete", args=[lot.code]),
                {"manufactured_on": site_a_today().isoformat()},
            ),
            (reverse("products:lot_fill", args=[lot.code]), {"count": "2", "volume_ml": "5"}),
            (
                reverse("products:participant_hla", args=[obj.participant.study_code]),
                {
                    "typed_on": site_a_today().isoformat(),
                    "resolution": "low",
                    "a_1": "A2",
                    "b_1": "B7",
                    "drb1_1": "DR4",
                },
            ),
            (
                reverse("products:antibody_screen", args=[obj.participant.study_code]),
                {"sampled_on": site_a_today().isoformat(), "result": "negative"},
            ),
            (
                reverse("products:source_create"),
                {
                    "origin": "participant",
                    "participant_code": obj.participant.study_code,
                    "kind": "blood_draw",
                    "collected_at": _now_local(),
                },
            ),
        ]

    def state(self, obj):
        obj.refresh_from_db()
        lot = obj.lots.get()
        return (
            obj.row_version,
            obj.history.count(),
            obj.ipsc_lines.count(),
            Lot.objects.filter(source=obj).count(),
            lot.status,
            lot.row_version,
            lot.containers.count(),
            SourceMaterial.objects.filter(participant=obj.participant).count(),
            HLATyping.objects.filter(participant=obj.participant).count(),
            AntibodyScreen.objects.filter(participant=obj.participant).count(),
        )


class TestLabDonorPagesIsolation(SiteIsolationBattery):
    list_urls = ("/products/lab/",)

    def make_object(self, user, site):
        return s.donor_register(user=b.lab(site), site=site, summary=f"donor {next(_names)}")

    def marker(self, obj):
        return obj.code

    def participant_of(self, obj):
        # Donors belong to no child: the family account is linked to some child of the site.
        return _child(make_user(Role.COORDINATOR, obj.site), obj.site)

    def read_urls(self, obj):
        return []

    # Donors are third parties: only lab/QC and investigators of the owning site see them.
    def test_coordinator_lists_only_own_site(self, world, site_a):
        client = client_for(b.lab(site_a, "lab-lists"))
        page = client.get(self.list_urls[0]).content.decode()
        assert self.marker(world["own"]) in page
        assert self.marker(world["other"]) not in page
        coordinator_page = client_for(make_user(Role.COORDINATOR, site_a)).get(self.list_urls[0])
        assert self.marker(world["own"]) not in coordinator_page.content.decode()

    def test_monitor_reads_all_sites_and_writes_nothing(self, world, monitor):
        client = client_for(monitor)
        page = client.get(self.list_urls[0]).content.decode()
        for obj in world.values():
            assert self.marker(obj) not in page
            before = self.state(obj)
            for url, data in self.write_requests(obj):
                assert client.post(url, data).status_code == 403, url
            assert self.state(obj) == before

    def write_requests(self, obj):
        return [
            (
                reverse("products:donor_eligibility", args=[obj.code]),
                {
                    "eligibility": "eligible",
                    "eligibility_determined_on": site_a_today().isoformat(),
                    "summary": "attack",
                    "reason": "attack",
                },
            ),
            (
                reverse("products:donor_hla", args=[obj.code]),
                {
                    "typed_on": site_a_today().isoformat(),
                    "resolution": "low",
                    "a_1": "A2",
                    "b_1": "B7",
                    "drb1_1": "DR4",
                },
            ),
            (
                reverse("products:source_create"),
                {
                    "origin": "donor",
                    "donor": obj.code,
                    "kind": "bone_marrow",
                    "collected_at": _now_local(),
                },
            ),
        ]

    def state(self, obj):
        obj.refresh_from_db()
        return (
            obj.row_version,
            obj.eligibility,
            obj.hla_typings.count(),
            obj.source_materials.count(),
        )


@pytest.mark.django_db
def test_only_lab_staff_write_specifications(site_a, coordinator_a, monitor, statistician):
    lab = b.lab(site_a)
    draft = s.qc_specification_create(
        user=lab, product_type="msc", version="9.0", items=b.NEURON_TESTS[:1]
    )
    for user in (coordinator_a, monitor, statistician):
        client = client_for(user)
        assert client.get(reverse("products:spec_create")).status_code == 403
        assert client.get(reverse("products:donor_create")).status_code == 403
        assert client.get(reverse("products:source_create")).status_code == 403
        assert client.post(reverse("products:spec_create"), {}).status_code == 403
        detail = reverse("products:spec_detail", args=[draft.pk])
        assert client.get(detail).status_code == 200  # reading is allowed
        response = client.post(detail, {"effective_from": site_a_today().isoformat()})
        assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.django_db
def test_lab_of_one_site_cannot_create_at_another(site_a, site_b, coordinator_b):
    lab_a = b.lab(site_a)
    child_b = _child(coordinator_b, site_b)
    donor_b = s.donor_register(user=b.lab(site_b), site=site_b)
    client = client_for(lab_a)
    page = client.post(
        reverse("products:donor_create"), {"site": "SITE-B", "eligibility": "pending"}
    )
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    page = client.post(
        reverse("products:source_create"),
        {
            "origin": "participant",
            "participant_code": child_b.study_code,
            "kind": "skin_biopsy",
            "collected_at": _now_local(),
        },
    )
    assert "No participant with this study code at your sites." in page.content.decode()
    page = client.post(
        reverse("products:source_create"),
        {"origin": "donor", "donor": donor_b.code, "kind": "bone_marrow"},
    )
    assert "Select a valid choice" in page.content.decode()
    assert client.get(reverse("products:donor_hla", args=[donor_b.code])).status_code == 404
    assert not Donor.objects.filter(site=site_a).exists()
    assert not SourceMaterial.objects.exists()
    assert donor_b.code not in client.get(reverse("products:lab_home")).content.decode()


# --- forms surface domain errors ------------------------------------------------------------------


def _errors(response):
    """The page as a reader sees it (entities decoded)."""
    return unescape(response.content.decode())


@pytest.mark.django_db
def test_source_in_the_future_and_before_consent_are_refused_on_the_form(site_a, coordinator_a):
    lab = b.lab(site_a)
    child = _child(coordinator_a, site_a)
    client = client_for(lab)
    url = reverse("products:source_create")
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    base = {"origin": "participant", "participant_code": child.study_code, "kind": "skin_biopsy"}
    page = client.post(url, {**base, "collected_at": future})
    assert page.status_code == 200
    assert 'data-field-error="collected_at"' in page.content.decode()
    assert "This date or time is in the future." in _errors(page)
    before_consent = (timezone.localtime() - dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(url, {**base, "collected_at": before_consent})
    assert "Material cannot be collected before guardian consent." in _errors(page)
    page = client.post(url, {"origin": "participant", "kind": "skin_biopsy"})
    assert "Give the participant's study code." in _errors(page)
    assert not SourceMaterial.objects.exists()


@pytest.mark.django_db
def test_autologous_source_is_bound_to_its_participant(site_a, coordinator_a):
    lab = b.lab(site_a)
    child = _child(coordinator_a, site_a)
    client = client_for(lab)
    response = client.post(
        reverse("products:source_create"),
        {
            "origin": "participant",
            "participant_code": child.study_code.lower(),  # a scanner may send lower case
            "kind": "skin_biopsy",
            "collected_at": _now_local(),
            "quantity": "4 mm punch",
            # A donor chosen by mistake on the other branch must not leak into the record.
            "donor": "",
        },
    )
    assert response.status_code == 302
    source = SourceMaterial.objects.get()
    assert source.participant == child
    assert source.donor is None
    assert source.site == site_a
    assert source.is_autologous
    home = client.get(reverse("products:lab_home")).content.decode()
    assert source.code in home
    assert child.study_code in home
    assert reverse("products:label", args=[source.code]) in home
    # The autologous lot made from it belongs to the same child, whatever the form says.
    b.spec(lab)
    line = s.ipsc_line_derive(
        user=lab,
        source=source,
        reprogramming_method="episomal",
        clone="A1",
        passage=8,
        derived_on=site_a_today(),
    )
    response = client.post(
        reverse("products:lot_create", args=[source.code]), _lot_post(ipsc_line=line.code)
    )
    assert response.status_code == 302
    lot = Lot.objects.get()
    assert lot.participant == child
    assert lot.ipsc_line == line


@pytest.mark.django_db
def test_lot_form_refuses_allogeneic_type_for_autologous_source_and_missing_line(
    site_a, coordinator_a
):
    lab = b.lab(site_a)
    child = _child(coordinator_a, site_a)
    b.spec(lab)
    source = s.source_collect(
        user=lab,
        participant=child,
        kind="skin_biopsy",
        collected_at=timezone.now() - dt.timedelta(hours=1),
    )
    client = client_for(lab)
    url = reverse("products:lot_create", args=[source.code])
    page = client.post(url, _lot_post(product_type="msc"))
    assert "Select a valid choice" in page.content.decode()  # only autologous types offered
    page = client.post(url, _lot_post())
    assert 'data-field-error="ipsc_line"' in page.content.decode()
    assert "Name the iPSC line this product is derived from." in _errors(page)
    past = (timezone.localtime() - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(url, _lot_post(product_type="cb_auto", expires_at=past))
    assert "Expiry must follow the start of manufacture." in _errors(page)
    page = client.post(url, _lot_post(product_type="cb_auto"))
    assert "There is no active QC specification for this product type." in _errors(page)
    assert not Lot.objects.exists()


@pytest.mark.django_db
def test_fill_and_complete_surface_errors(site_a, coordinator_a):
    lab = b.lab(site_a)
    lot = b.autologous_lot(lab, _child(coordinator_a, site_a), containers=0, status="in_process")
    client = client_for(lab)
    fill = reverse("products:lot_fill", args=[lot.code])
    page = client.post(fill, {"count": "3", "volume_ml": "8"})  # 24 mL from a 20 mL lot
    assert 'data-field-error="volume_ml"' in page.content.decode()
    assert "more than the lot" in _errors(page)
    assert not Container.objects.exists()
    assert client.post(fill, {"count": "4", "volume_ml": "5"}).status_code == 302
    assert lot.containers.count() == 4
    complete = reverse("products:lot_complete", args=[lot.code])
    tomorrow = (site_a_today() + dt.timedelta(days=1)).isoformat()
    page = client.post(complete, {"manufactured_on": tomorrow})
    assert "This date or time is in the future." in _errors(page)
    assert client.post(complete, {"manufactured_on": site_a_today()}).status_code == 302
    lot.refresh_from_db()
    assert lot.status == "quarantine"
    page = client.post(complete, {"manufactured_on": site_a_today()})
    assert "cannot go from" in _errors(page)


@pytest.mark.django_db
def test_donor_register_then_eligibility_and_hla(site_a):
    lab = b.lab(site_a)
    client = client_for(lab)
    url = reverse("products:donor_create")
    page = client.post(url, {"site": "SITE-A", "eligibility": "eligible", "summary": "IDT neg"})
    assert "Give the date of the eligibility determination." in _errors(page)
    assert not Donor.objects.exists()
    tomorrow = (site_a_today() + dt.timedelta(days=1)).isoformat()
    page = client.post(
        url, {"site": "SITE-A", "eligibility": "ineligible", "eligibility_determined_on": tomorrow}
    )
    assert 'data-field-error="eligibility_determined_on"' in page.content.decode()
    assert not Donor.objects.exists()
    today = site_a_today().isoformat()
    response = client.post(
        url, {"site": "SITE-A", "eligibility": "pending", "eligibility_determined_on": today}
    )
    assert response.status_code == 302
    donor = Donor.objects.get()
    assert donor.eligibility_determined_on is None  # pending: not determined yet
    eligibility = reverse("products:donor_eligibility", args=[donor.code])
    page = client.post(
        eligibility,
        {
            "eligibility": "eligible",
            "eligibility_determined_on": (site_a_today() + dt.timedelta(1)).isoformat(),
            "summary": "IDT negative",
            "reason": "tests back",
        },
    )
    assert "This date or time is in the future." in _errors(page)
    response = client.post(
        eligibility,
        {
            "eligibility": "eligible",
            "eligibility_determined_on": site_a_today().isoformat(),
            "summary": "IDT negative; history reviewed",
            "reason": "tests back",
        },
    )
    assert response.status_code == 302
    donor.refresh_from_db()
    assert donor.eligibility == "eligible"
    hla_url = reverse("products:donor_hla", args=[donor.code])
    page = client.post(
        hla_url, {"typed_on": site_a_today(), "resolution": "high", "a_1": "A*02:01"}
    )
    assert 'data-field-error="b_1"' in page.content.decode()
    assert "HLA-A, -B and -DRB1 are required." in _errors(page)
    response = client.post(
        hla_url,
        {
            "typed_on": site_a_today(),
            "resolution": "high",
            "a_1": "A*02:01",
            "b_1": "B*07:02",
            "drb1_1": "DRB1*15:01",
        },
    )
    assert response.status_code == 302
    assert donor.hla_typings.get().typing()["a"] == ("A*02:01",)
    home = client.get(reverse("products:lab_home")).content.decode()
    assert donor.code in home
    assert reverse("products:label", args=[donor.code]) in home
    # Allogeneic material from this donor, through the same page.
    response = client.post(
        reverse("products:source_create"),
        {
            "origin": "donor",
            "donor": donor.code,
            "kind": "bone_marrow",
            "collected_at": _now_local(),
            "participant_code": "",
        },
    )
    assert response.status_code == 302
    source = SourceMaterial.objects.get()
    assert source.donor == donor
    assert source.participant is None


# --- QC specification versioning ----------------------------------------------------------------


def _spec_post(version, rows, product_type="ipsc_neurons"):
    data = {
        "product_type": product_type,
        "version": version,
        "notes": "",
        "items-TOTAL_FORMS": str(len(rows)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"items-{n}-{key}"] = value
    return data


STERILITY = {
    "test_code": "sterility",
    "name": "Sterility",
    "method": "Ph. Eur. 2.6.27",
    "criterion": "pass_fail",
    "required": "on",
}
VIABILITY = {
    "test_code": "viability",
    "name": "Viability",
    "method": "Trypan blue",
    "criterion": "min",
    "lower": "70",
    "unit": "%",
    "required": "on",
}


@pytest.mark.django_db
def test_spec_versions_created_activated_and_retired_through_pages(site_a, coordinator_a):
    lab = b.lab(site_a)
    client = client_for(lab)
    url = reverse("products:spec_create")
    bad_range = {**VIABILITY, "criterion": "range", "lower": "90", "upper": "80"}
    page = client.post(url, _spec_post("1.0", [STERILITY, bad_range, {}]))
    assert page.status_code == 200
    assert "A range needs a lower limit not above the upper limit." in _errors(page)
    assert 'data-field-error="items-1-lower"' in page.content.decode()
    page = client.post(url, _spec_post("1.0", [{}]))
    assert "A specification needs at least one test." in _errors(page)
    page = client.post(url, _spec_post("1.0", [STERILITY, {**STERILITY, "name": "Again"}]))
    assert "Each test appears once." in _errors(page)
    assert not QCSpecification.objects.exists()

    response = client.post(url, _spec_post("1.0", [STERILITY, VIABILITY, {}]))
    assert response.status_code == 302
    v1 = QCSpecification.objects.get(version="1.0")
    assert v1.status == "draft"
    assert [i.test_code for i in v1.items.all()] == ["sterility", "viability"]
    assert str(v1.items.get(test_code="viability").criterion_text()) == "≥ 70 %"
    detail = reverse("products:spec_detail", args=[v1.pk])
    assert client.post(detail, {"effective_from": "2024-01-01"}).status_code == 302
    v1.refresh_from_db()
    assert v1.status == "active"

    # A new version starts as a copy of the one it revises; the same number is refused.
    copy = client.get(f"{url}?from={v1.pk}").content.decode()
    assert 'value="viability"' in copy
    page = client.post(url, _spec_post("1.0", [STERILITY]))
    assert "This version already exists." in _errors(page)
    assert 'data-field-error="version"' in page.content.decode()
    tighter = {**VIABILITY, "lower": "80"}
    assert client.post(url, _spec_post("1.1", [STERILITY, tighter])).status_code == 302
    v2 = QCSpecification.objects.get(version="1.1")
    v2_detail = reverse("products:spec_detail", args=[v2.pk])
    assert client.post(v2_detail, {"effective_from": "2025-01-01"}).status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("retired", "active")
    assert v1.items.get(test_code="viability").lower == 70  # the old version is unchanged
    page = client.post(v2_detail, {"effective_from": "2025-01-01"})
    assert "Only a draft specification can be activated." in _errors(page)
    # New lots use the active version.
    lot = b.autologous_lot(lab, _child(coordinator_a, site_a), containers=0, status="in_process")
    assert lot.qc_specification == v2


# --- antibody screen page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_antibody_screen_page_validates_and_records(site_a, coordinator_a):
    lab = b.lab(site_a)
    child = _child(coordinator_a, site_a)
    client = client_for(lab)
    url = reverse("products:antibody_screen", args=[child.study_code])
    tomorrow = (site_a_today() + dt.timedelta(days=1)).isoformat()
    page = client.post(url, {"sampled_on": tomorrow, "result": "negative"})
    assert "This date or time is in the future." in _errors(page)
    response = client.post(
        url,
        {"sampled_on": site_a_today(), "result": "positive", "specificities": "A2"},
    )
    assert response.status_code == 302
    screen = AntibodyScreen.objects.get()
    assert screen.participant == child
    assert not screen.new_dsa  # no donor product received: nothing is donor-specific
    products = client.get(reverse("products:participant_products", args=[child.study_code]))
    assert reverse("products:antibody_screen", args=[child.study_code]) in products.content.decode()


# --- the whole lab flow over HTTP ---------------------------------------------------------------


@pytest.mark.django_db
def test_source_line_lot_containers_through_pages(site_a, coordinator_a):
    lab = b.lab(site_a)
    b.spec(lab)
    child = _child(coordinator_a, site_a)
    client = client_for(lab)
    client.post(
        reverse("products:source_create"),
        {
            "origin": "participant",
            "participant_code": child.study_code,
            "kind": "skin_biopsy",
            "collected_at": _now_local(),
        },
    )
    source = SourceMaterial.objects.get()
    response = client.post(
        reverse("products:line_create", args=[source.code]),
        {
            "reprogramming_method": "sendai",
            "clone": "C3",
            "passage": "12",
            "bank": "mcb",
            "derived_on": site_a_today().isoformat(),
        },
    )
    assert response.status_code == 302
    line = IPSCLine.objects.get()
    assert line.source == source
    response = client.post(
        reverse("products:lot_create", args=[source.code]), _lot_post(ipsc_line=line.code)
    )
    lot = Lot.objects.get()
    assert response["Location"] == reverse("products:lot_detail", args=[lot.code])
    detail = client.get(response["Location"]).content.decode()
    assert reverse("products:lot_fill", args=[lot.code]) in detail
    assert reverse("products:lot_complete", args=[lot.code]) in detail
    client.post(reverse("products:lot_fill", args=[lot.code]), {"count": "2", "volume_ml": "5"})
    client.post(
        reverse("products:lot_complete", args=[lot.code]),
        {"manufactured_on": site_a_today().isoformat()},
    )
    lot.refresh_from_db()
    assert lot.status == "quarantine"
    assert lot.containers.count() == 2
    listing = client.get(reverse("products:lot_list")).content.decode()
    assert lot.code in listing
    assert reverse("products:lab_home") in listing


@pytest.mark.django_db
def test_spec_form_as_rendered_saves_filled_rows_and_ignores_blank_ones(site_a):
    """Post back exactly what the page renders (management form, pre-ticked blank rows)."""
    client = client_for(b.lab(site_a))
    url = reverse("products:spec_create")
    page = client.get(url).content.decode()
    total = int(re.search(r'name="items-TOTAL_FORMS" value="(\d+)"', page).group(1))
    initial = int(re.search(r'name="items-INITIAL_FORMS" value="(\d+)"', page).group(1))
    assert total >= 2
    data = {
        "product_type": "msc",
        "version": "2.0",
        "items-TOTAL_FORMS": str(total),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n in range(total):
        data[f"items-{n}-required"] = "on"  # ticked by default on every row
    for key, value in VIABILITY.items():
        data[f"items-1-{key}"] = value
    assert client.post(url, data).status_code == 302
    spec = QCSpecification.objects.get(version="2.0")
    assert [i.test_code for i in spec.items.all()] == ["viability"]


def test_allogeneic_lot_form_offers_arms_of_active_protocols_only(site_a):
    from neuroregen.protocols import services as protocol_services
    from neuroregen.protocols.choices import ProductType
    from tests.protocols.builders import active_protocol, admin_user, document

    admin = admin_user()
    active = active_protocol(user=admin)
    draft = protocol_services.protocol_import(user=admin, data=document(version="2.0"))
    lab = b.lab(site_a)
    source = b.allogeneic_source(lab, site_a)
    html = client_for(lab).get(reverse("products:lot_create", args=[source.code])).content
    select = re.search(r'<select name="arm".*?</select>', html.decode(), re.S)
    assert select is not None
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(0))}
    allogeneic = active.arms.exclude(product_type__in=ProductType.autologous())
    assert offered == set(allogeneic.values_list("pk", flat=True))
    assert offered
    assert offered.isdisjoint(draft.arms.values_list("pk", flat=True))
