"""Export and import pages: who may use them, what leaves, what is refused, site isolation."""

from __future__ import annotations

import csv
import io
import itertools
import zipfile

import pytest
from django.urls import reverse

from neuroregen.core.errors import AppendOnlyError
from neuroregen.core.roles import Role
from neuroregen.instruments.models import Response
from neuroregen.interop import records
from neuroregen.interop.dataset import collect
from neuroregen.interop.models import ExportRecord
from neuroregen.participants.models import FamilyLink
from tests.helpers import make_user
from tests.instruments.builders import participant_with_visits
from tests.interop.builders import PROTOCOL, fill
from tests.interop.snapshot import responses_snapshot
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery, client_for

EXPORT = reverse("interop:export")
IMPORT = reverse("interop:import")
INDEX = reverse("interop:index")


def _export(client, **data):
    values = {"protocol": PROTOCOL, "export_format": "tidy", "shift_dates": "on", **data}
    return client.post(EXPORT, {k: v for k, v in values.items() if v is not None})


def _upload(client, text: str, name: str = "records.csv"):
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = name
    return client.post(IMPORT, {"protocol": PROTOCOL, "file": upload})


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _text(response) -> str:
    """A download as text; a zip's members one after another."""
    if response["Content-Type"] == "application/zip":
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        return "\n".join(archive.read(n).decode("latin-1") for n in archive.namelist())
    return response.content.decode()


# --- export --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_page_offers_identity_only_to_administrators(world, investigator_a):
    admin_page = client_for(world.admin).get(EXPORT)
    assert admin_page.status_code == 200
    assert 'data-testid="identity-box"' in admin_page.content.decode()
    for user in (world.statistician, investigator_a):
        page = client_for(user).get(EXPORT)
        assert page.status_code == 200
        assert 'data-testid="identity-box"' not in page.content.decode()
    lab = make_user(Role.LAB, world.participants[0].site)
    for user in (world.coordinator_a, make_user(Role.MONITOR, None), lab):
        assert client_for(user).get(EXPORT).status_code == 403
        assert client_for(user).post(EXPORT, {"protocol": PROTOCOL}).status_code == 403
    assert ExportRecord.objects.count() == 0


@pytest.mark.django_db
def test_pseudonymous_csv_download_is_recorded(world):
    response = _export(client_for(world.statistician))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith(f'attachment; filename="{PROTOCOL}_tidy_')
    text = response.content.decode()
    for participant in world.participants:
        assert participant.study_code in text
    assert "Child-" not in text
    record = ExportRecord.objects.get()
    assert (record.exported_by, record.export_format, record.protocol_code) == (
        world.statistician,
        "tidy",
        PROTOCOL,
    )
    assert (record.shift_dates, record.include_identity, record.participant_count) == (
        True,
        False,
        3,
    )
    assert record.channel == "web"


@pytest.mark.django_db
def test_multi_file_formats_come_as_a_zip(world):
    response = _export(client_for(world.admin), export_format="sdtm", shift_dates=None)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    domains = ("dm", "qs", "lb", "sv", "ds", "ex", "ae", "ts", "ta", "te", "tv", "ti")
    assert set(archive.namelist()) == {f"{d}.xpt" for d in domains} | {"define.xml"}
    assert b'def:DefineVersion="2.0.0"' in archive.read("define.xml")
    assert archive.read("dm.xpt").startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD")
    assert set(ExportRecord.objects.get().files) == set(archive.namelist())


@pytest.mark.django_db
def test_identity_needs_a_reason_and_the_reason_is_audited(world):
    client = client_for(world.admin)
    refused = _export(client, export_format="fhir", include_identity="on", reason="  ")
    assert refused.status_code == 422
    assert 'data-field-error="reason"' in refused.content.decode()
    assert ExportRecord.objects.count() == 0
    given = _export(
        client,
        export_format="fhir",
        include_identity="on",
        reason="Transfer of care to the treating hospital, request 2026-114",
    )
    assert given.status_code == 200
    assert "Child-" in given.content.decode()  # the names left, as asked
    record = ExportRecord.objects.get()
    assert record.include_identity is True
    assert record.reason == "Transfer of care to the treating hospital, request 2026-114"
    assert record.history.get().history_change_reason == record.reason
    # The reason stays on the append-only record: it cannot be edited away.
    record.reason = "nothing"
    with pytest.raises(AppendOnlyError):
        record.save()


@pytest.mark.django_db
def test_identity_is_refused_to_anyone_but_an_administrator(world):
    response = _export(
        client_for(world.statistician),
        export_format="fhir",
        include_identity="on",
        reason="curious",
    )
    assert response.status_code == 403
    assert "Child-" not in response.content.decode()
    assert ExportRecord.objects.count() == 0


@pytest.mark.django_db
def test_an_investigator_exports_only_own_site(world, investigator_a):
    text = _export(client_for(investigator_a), shift_dates=None).content.decode()
    site_a = [p.study_code for p in world.participants[:2]]
    assert all(code in text for code in site_a)
    assert world.participants[2].study_code not in text


# --- import --------------------------------------------------------------------------------


def _site_a_file(world) -> str:
    """The REDCap records of site A's children, as an investigator of site A exports them."""
    investigator = make_user(Role.INVESTIGATOR, world.participants[0].site)
    return records.export_records(collect(user=investigator, protocol=PROTOCOL))


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(world):
    text = _site_a_file(world)
    client = client_for(world.coordinator_a)
    before = responses_snapshot(exclude_not_done=False)
    page = _upload(client, text)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="import-summary"' in body
    # ATEC, CGI-S, CARS-2 and the CSHQ not done, of two children
    assert 'data-testid="unchanged">8<' in body
    assert 'data-testid="created">0<' in body
    assert 'data-testid="updated">0<' in body
    assert responses_snapshot(exclude_not_done=False) == before


@pytest.mark.django_db
def test_a_changed_value_updates_one_form_and_the_same_file_again_changes_nothing(world):
    rows = _rows(_site_a_file(world))
    first = world.participants[0].study_code
    bl = next(r for r in rows if r["record_id"] == first and r["redcap_event_name"][:3] == "bl_")
    assert bl["cgi_s"] == "3"
    bl["cgi_s"] = "5"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    client = client_for(world.coordinator_a)
    page = _upload(client, out.getvalue()).content.decode()
    assert 'data-testid="updated">1<' in page
    assert f"{first}/BL/cgi_s" in page
    response = Response.objects.get(participant=world.participants[0], instrument__code="cgi_s")
    assert response.answers["cgi_s"] == "5"
    assert response.history.first().history_change_reason == "imported from records.csv"
    again = _upload(client, out.getvalue()).content.decode()
    assert 'data-testid="updated">0<' in again
    assert 'data-testid="unchanged">8<' in again


@pytest.mark.django_db
def test_a_bad_file_shows_every_bad_row_and_column_and_imports_nothing(world):
    rows = _rows(_site_a_file(world))
    first, second = (p.study_code for p in world.participants[:2])
    for row in rows:
        if row["record_id"] == first and row["redcap_event_name"][:3] == "bl_":
            row["cgi_s"] = "9"  # not a choice
        if row["record_id"] == second and row["redcap_event_name"][:4] == "scr_":
            row["redcap_event_name"] = "m99_arm_1"  # not a visit
    # Good rows in the same file must not be saved either: one brand-new value.
    for row in rows:
        if row["record_id"] == second and row["redcap_event_name"][:3] == "bl_":
            row["cgi_s"] = "6"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    before = responses_snapshot(exclude_not_done=False)
    page = _upload(client_for(world.coordinator_a), out.getvalue())
    assert page.status_code == 422
    body = page.content.decode()
    assert "records.csv: 2 problems found; nothing was imported." in body
    table = body[body.index('data-testid="problem-table"') :]
    assert "<code>cgi_s</code>" in table
    assert "<code>redcap_event_name</code>" in table
    assert table.count("<tr>") == 3  # header and the two problems
    assert responses_snapshot(exclude_not_done=False) == before


@pytest.mark.django_db
def test_import_refuses_what_is_not_a_csv_and_users_without_data_entry(world, statistician):
    client = client_for(world.coordinator_a)
    page = _upload(client, "record_id\n", name="records.xlsx")
    assert page.status_code == 422
    assert 'data-field-error="file"' in page.content.decode()
    for user in (statistician, make_user(Role.MONITOR, None)):
        assert client_for(user).get(IMPORT).status_code == 403
        assert _upload(client_for(user), _site_a_file(world)).status_code == 403


@pytest.mark.django_db
def test_index_links_what_the_user_may_do(world, investigator_a):
    page = client_for(world.statistician).get(INDEX).content.decode()
    assert 'data-testid="export-link"' in page
    assert 'data-testid="import-link"' not in page
    page = client_for(world.coordinator_a).get(INDEX).content.decode()
    assert 'data-testid="export-link"' not in page
    assert 'data-testid="import-link"' in page
    nav = client_for(investigator_a).get(reverse("dashboard")).content.decode()
    assert f'href="{INDEX}"' in nav
    assert client_for(make_user(Role.MONITOR, None)).get(INDEX).status_code == 403


# --- site isolation ------------------------------------------------------------------------

_names = itertools.count()


class TestImportIsolation(SiteIsolationBattery):
    """A file naming another site's child is refused as a whole, and changes nothing."""

    # A rejected file is answered 422 with its problems (the other site's child is unknown).
    refused = (403, 404, 422)

    def make_object(self, user, site):
        _participant, visits = participant_with_visits(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Imp{next(_names)}"},
        )
        return fill(user, visits["BL"], "cgi_s", {"cgi_s": "3"})

    def marker(self, obj):
        return obj.participant.study_code

    def participant_of(self, obj):
        return obj.participant

    def read_urls(self, obj):
        return []

    def write_requests(self, obj):
        event = f"bl_arm_{collect_arm_number(obj)}"
        code = obj.participant.study_code
        # status 1: complete (2 would mark it verified, which a coordinator may not do)
        text = f"record_id,redcap_event_name,cgi_s,cgi_s_complete\n{code},{event},6,1\n"
        upload = io.BytesIO(text.encode())
        upload.name = "attack.csv"
        return [(IMPORT, {"protocol": PROTOCOL, "file": upload})]

    def state(self, obj):
        obj.refresh_from_db()
        return (obj.row_version, dict(obj.answers), obj.history.count())

    def test_own_site_file_is_imported(self, world, coordinator_a):
        url, data = self.write_requests(world["own"])[0]
        assert client_for(coordinator_a).post(url, data).status_code == 200
        world["own"].refresh_from_db()
        assert world["own"].answers["cgi_s"] == "6"

    def test_family_sees_only_own_child(self, world, site_a, coordinator_a):
        # Families enter nothing through imports, not even for their own child.
        family = make_user(Role.FAMILY, site_a)
        FamilyLink.objects.create(user=family, participant=world["own"].participant)
        client = client_for(family)
        before = self.state(world["own"])
        for url, data in self.write_requests(world["own"]):
            assert client.post(url, data).status_code == 403
        assert self.state(world["own"]) == before


def collect_arm_number(response) -> int:
    """The REDCap arm number of the child's arm (arms by code, from 1)."""
    arm = response.visit.assignment.arm
    codes = sorted(a.code for a in arm.protocol.arms.all())
    return codes.index(arm.code) + 1


class TestExportIsolation(SiteIsolationBattery):
    """What an export holds: the battery's reads are downloads, posted to the export page."""

    def make_object(self, user, site):
        participant, visits = participant_with_visits(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"Exp{next(_names)}"},
        )
        fill(user, visits["BL"], "cgi_s", {"cgi_s": "4"})  # something for every format to carry
        return participant

    def marker(self, obj):
        return obj.study_code

    def read_urls(self, obj):
        return []

    def _download(self, user, fmt="tidy"):
        # no child of this battery has an NDA GUID: a pre-submission file
        response = _export(
            client_for(user), export_format=fmt, shift_dates=None, allow_missing_guid="on"
        )
        if response.status_code != 200:
            return response.status_code, ""
        return response.status_code, _text(response)

    def test_coordinator_lists_only_own_site(self, world, coordinator_a, site_a):
        # Coordinators do not export; an investigator of the same site exports only that site.
        assert self._download(coordinator_a)[0] == 403
        investigator = make_user(Role.INVESTIGATOR, site_a)
        for fmt in ("tidy", "redcap", "fhir", "odm", "sdtm"):
            status, text = self._download(investigator, fmt)
            assert status == 200, fmt
            assert world["own"].study_code in text, fmt
            assert world["other"].study_code not in text, fmt
            assert IDENTITY_NAME not in text, fmt

    def test_monitor_reads_all_sites_and_writes_nothing(self, world, monitor):
        assert self._download(monitor)[0] == 403  # monitors verify in place; nothing leaves

    def test_statistician_never_sees_identity(self, world, statistician):
        for fmt in ("tidy", "redcap", "fhir", "odm", "nda", "sdtm"):
            status, text = self._download(statistician, fmt)
            assert status == 200, fmt
            assert world["own"].study_code in text, fmt
            assert world["other"].study_code in text, fmt
            assert IDENTITY_NAME not in text, fmt

    def test_family_sees_only_own_child(self, world, site_a):
        family = make_user(Role.FAMILY, site_a)
        FamilyLink.objects.create(user=family, participant=world["own"])
        assert self._download(family)[0] == 403

    def test_anonymous_is_sent_to_sign_in(self, world):
        from django.test import Client

        for url in (INDEX, EXPORT, IMPORT):
            response = Client().get(url)
            assert response.status_code == 302, url
            assert "/login/" in response["Location"], url


@pytest.mark.django_db
def test_export_log_is_readable_in_the_admin_and_cannot_be_changed(world):
    _export(client_for(world.admin), export_format="fhir", include_identity="on", reason="Audit 7")
    record = ExportRecord.objects.get()
    staff = make_user(Role.ADMINISTRATOR, None)
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = client_for(staff)
    listing = client.get(reverse("admin:interop_exportrecord_changelist"))
    assert listing.status_code == 200
    assert PROTOCOL in listing.content.decode()
    detail = client.get(reverse("admin:interop_exportrecord_change", args=[record.pk]))
    assert "Audit 7" in detail.content.decode()
    client.post(reverse("admin:interop_exportrecord_delete", args=[record.pk]), {"post": "yes"})
    assert ExportRecord.objects.filter(pk=record.pk).exists()


def _upload_odm(client, data: bytes, name: str = "study.xml"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(IMPORT, {"protocol": PROTOCOL, "import_format": "odm", "file": upload})


@pytest.mark.django_db
def test_odm_file_is_imported_through_the_page_all_or_nothing(world):
    from neuroregen.interop import odm

    investigator = make_user(Role.INVESTIGATOR, world.participants[0].site)
    document = odm.export_odm(collect(user=investigator, protocol=PROTOCOL))
    client = client_for(world.coordinator_a)
    before = responses_snapshot(exclude_not_done=False)
    body = _upload_odm(client, document).content.decode()
    # every form of the site's children, those not done (with their reason) included
    forms = Response.objects.filter(participant__site=world.participants[0].site).count()
    assert Response.objects.filter(status="not_done").exists()
    assert f'data-testid="unchanged">{forms}<' in body
    assert responses_snapshot(exclude_not_done=False) == before

    changed = document.replace(
        b'ItemOID="I.cgi_s.cgi_s" Value="3"', b'ItemOID="I.cgi_s.cgi_s" Value="5"', 1
    )
    assert changed != document
    body = _upload_odm(client, changed).content.decode()
    assert 'data-testid="updated">1<' in body
    assert _upload_odm(client, changed).content.decode().count('data-testid="updated">0<') == 1

    broken = document.replace(b'ODMVersion="1.3.2"', b'ODMVersion="9.9"')
    before = responses_snapshot(exclude_not_done=False)
    page = _upload_odm(client, broken)
    assert page.status_code == 422
    assert "nothing was imported" in page.content.decode()
    assert "ODMVersion" in page.content.decode()
    assert responses_snapshot(exclude_not_done=False) == before

    wrong_extension = _upload_odm(client, document, name="study.csv")
    assert wrong_extension.status_code == 422
    assert 'data-field-error="file"' in wrong_extension.content.decode()
