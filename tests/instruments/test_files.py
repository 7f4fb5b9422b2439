"""REDCap ``file`` fields: uploads checked, stored under random names, downloaded only through
a site-scoped view, replacements audited."""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.errors import ReasonRequired, ValidationFailed
from neuroregen.instruments import files, services
from neuroregen.instruments.models import Instrument, Response, ResponseFile
from neuroregen.instruments.redcap import DictionaryRow, write_dictionary
from tests.instruments.builders import participant_with_visits
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery, client_for

FORM = "nr_docs"
FIELD = "docs_scan"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
_n = itertools.count()


@dataclass
class RawUpload:
    """An upload whose name arrives unsanitised (Django's own classes strip folders)."""

    name: str
    data: bytes
    content_type: str = "application/pdf"

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self) -> bytes:
        return self.data


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def docs_form() -> None:
    services.dictionary_import(
        user=None,
        text=write_dictionary(
            [
                DictionaryRow("docs_note", FORM, field_label="Note"),
                DictionaryRow(FIELD, FORM, field_type="file", field_label="Signed scan"),
            ]
        ),
    )


def visit_of(user, site, **kwargs):
    _participant, visits = participant_with_visits(user, site, **kwargs)
    return visits["BL"]


def entry_url(visit) -> str:
    return reverse("instrument_response_entry", args=[visit.pk, FORM])


def post_entry(client, visit, upload, **extra):
    data = {
        "respondent": "clinician",
        "language": "en",
        "answered_on": timezone.localdate().isoformat(),
        "docs_note": "scan attached",
        "action": "save",
        FIELD: upload,
        **extra,
    }
    return client.post(entry_url(visit), data)


def stored_files() -> list:
    folder = files.folder()
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.django_db
def test_upload_is_stored_under_a_random_name_and_downloaded_only_as_an_attachment(
    site_a, coordinator_a
):
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    client = client_for(coordinator_a)
    response = post_entry(
        client, visit, SimpleUploadedFile("consent scan.pdf", PDF, content_type="application/pdf")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = ResponseFile.objects.get()
    assert (stored.field_name, stored.name, stored.content_type) == (
        FIELD,
        "consent scan.pdf",
        "application/pdf",
    )
    assert (stored.size, stored.sha256) == (len(PDF), hashlib.sha256(PDF).hexdigest())
    assert stored.response.answers == {"docs_note": "scan attached"}
    on_disk = stored_files()
    assert [p.name for p in on_disk] == [stored.stored_as]
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.stored_as)
    assert on_disk[0].read_bytes() == PDF
    assert on_disk[0].parent == files.folder()

    page = client.get(entry_url(visit)).content.decode()
    download_url = reverse("instrument_file_download", args=[stored.pk])
    assert download_url in page
    assert 'enctype="multipart/form-data"' in page
    # A coordinator has no audit access: no link to the trail it could not open.
    assert reverse("instrument_response_history", args=[stored.response_id]) not in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="consent scan.pdf"'
    assert "sandbox" in download["Content-Security-Policy"]
    # Nothing under the media URL serves it.
    assert client.get(f"/media/instrument_files/{stored.stored_as}").status_code == 404


@pytest.mark.django_db
def test_oversized_file_is_refused_with_both_sizes_and_nothing_is_saved(
    settings, site_a, coordinator_a
):
    settings.NEUROREGEN_MAX_FIELD_FILE_BYTES = 1024
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    big = PDF + b"0" * 2048
    response = post_entry(
        client_for(coordinator_a),
        visit,
        SimpleUploadedFile("big.pdf", big, content_type="application/pdf"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field-error="{FIELD}"' in page
    assert "The file is 2 KB; the largest file accepted is 1 KB." in page
    assert not ResponseFile.objects.exists()
    assert not Response.objects.filter(instrument__code=FORM).exists()  # answers not saved either
    assert stored_files() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\boot.pdf",
        "/var/lib/x.pdf",
        "C:\\temp\\x.pdf",
        ".hidden.pdf",
    ],
)
def test_a_name_with_a_path_is_refused_not_rewritten(site_a, coordinator_a, name):
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    response = services.response_start(user=coordinator_a, visit=visit, instrument=FORM)
    with pytest.raises(ValidationFailed, match="is not allowed") as error:
        services.response_file_store(
            user=coordinator_a, response=response, field_name=FIELD, upload=RawUpload(name, PDF)
        )
    assert error.value.field == FIELD
    assert not ResponseFile.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "declared", "message"),
    [
        ("page.html", b"<html>", "text/html", "only these file types"),
        ("report.pdf", b"<html><script>alert(1)</script>", "application/pdf", "is not a PDF"),
        ("photo.png", PDF, "image/png", "is not a PNG"),
        ("scan.pdf", PDF, "text/html", "This file type is not accepted"),
        ("notes.txt", b"\x00\x01binary", "text/plain", "plain UTF-8 text"),
        ("empty.pdf", b"", "application/pdf", "The file is empty"),
    ],
)
def test_types_are_checked_by_extension_declared_type_and_content(
    site_a, coordinator_a, name, data, declared, message
):
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    response = services.response_start(user=coordinator_a, visit=visit, instrument=FORM)
    with pytest.raises(ValidationFailed, match=message):
        services.response_file_store(
            user=coordinator_a,
            response=response,
            field_name=FIELD,
            upload=RawUpload(name, data, declared),
        )
    assert stored_files() == []


@pytest.mark.django_db
def test_only_file_fields_take_files(site_a, coordinator_a):
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    response = services.response_start(user=coordinator_a, visit=visit, instrument=FORM)
    with pytest.raises(ValidationFailed, match="not a file field"):
        services.response_file_store(
            user=coordinator_a,
            response=response,
            field_name="docs_note",
            upload=RawUpload("a.pdf", PDF),
        )


@pytest.mark.django_db
def test_replacing_a_file_is_audited_and_needs_a_reason_once_the_form_was_complete(
    site_a, coordinator_a, monitor
):
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    response = services.response_start(user=coordinator_a, visit=visit, instrument=FORM)
    first = services.response_file_store(
        user=coordinator_a, response=response, field_name=FIELD, upload=RawUpload("a.pdf", PDF)
    )
    second_bytes = PDF + b"% second\n"
    second = services.response_file_store(
        user=coordinator_a,
        response=response,
        field_name=FIELD,
        upload=RawUpload("b.pdf", second_bytes),
    )
    assert second.pk == first.pk
    assert ResponseFile.objects.count() == 1
    history = list(second.history.order_by("history_date"))
    assert [h.name for h in history] == ["a.pdf", "b.pdf"]
    assert history[-1].history_user == coordinator_a
    assert "was a.pdf" in history[-1].history_change_reason
    assert hashlib.sha256(PDF).hexdigest() in history[-1].history_change_reason
    # The replaced bytes stay, named by the history row, so the trail can show them.
    assert {p.name for p in stored_files()} == {history[0].stored_as, history[1].stored_as}

    services.response_save(
        user=coordinator_a,
        response=response,
        answers={"docs_note": "done"},
        complete=True,
        expected_version=None,
    )
    with pytest.raises(ReasonRequired):
        services.response_file_store(
            user=coordinator_a, response=response, field_name=FIELD, upload=RawUpload("c.pdf", PDF)
        )
    assert len(stored_files()) == 2  # the refused upload left nothing behind
    third = services.response_file_store(
        user=coordinator_a,
        response=response,
        field_name=FIELD,
        upload=RawUpload("c.pdf", PDF),
        reason="clearer scan from the clinic",
    )
    assert third.name == "c.pdf"
    assert third.history.first().history_change_reason.startswith("clearer scan from the clinic")

    client = client_for(monitor)
    trail = client.get(reverse("instrument_response_history", args=[response.pk]))
    assert trail.status_code == 200
    assert "clearer scan from the clinic" in trail.content.decode()


@pytest.mark.django_db
def test_monitor_may_neither_download_nor_upload(site_a, coordinator_a, monitor, statistician):
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    response = services.response_start(user=coordinator_a, visit=visit, instrument=FORM)
    stored = services.response_file_store(
        user=coordinator_a, response=response, field_name=FIELD, upload=RawUpload("a.pdf", PDF)
    )
    url = reverse("instrument_file_download", args=[stored.pk])
    # File contents cannot be pseudonymised: only identity-holding staff (and the family) get them.
    assert client_for(coordinator_a).get(url).content == PDF
    assert client_for(statistician).get(url).status_code == 403
    client = client_for(monitor)
    assert client.get(url).status_code == 403
    refused = post_entry(client, visit, SimpleUploadedFile("b.pdf", PDF, "application/pdf"))
    assert refused.status_code == 403
    stored.refresh_from_db()
    assert stored.name == "a.pdf"


class TestResponseFileIsolation(SiteIsolationBattery):
    """The download is reached only through ``for_user``: another site's file is a 404."""

    def make_object(self, user, site):
        if not Instrument.objects.filter(code=FORM).exists():
            docs_form()
        visit = visit_of(
            user,
            site,
            identity_overrides={"family_name": IDENTITY_NAME, "given_name": f"File{next(_n)}"},
        )
        response = services.response_start(user=user, visit=visit, instrument=FORM)
        marker = f"file-marker-{next(_n)}"
        return services.response_file_store(
            user=user,
            response=response,
            field_name=FIELD,
            upload=RawUpload(f"{marker}.txt", f"{marker}\n".encode(), "text/plain"),
        )

    def marker(self, obj):
        return obj.name.removesuffix(".txt")

    # Files may carry identity: monitors and statisticians are refused the bytes at every site
    # (the battery's research-role tests), and no write of theirs changes anything.
    research_read_status = 403

    def participant_of(self, obj):
        return obj.response.participant

    def read_urls(self, obj):
        return [reverse("instrument_file_download", args=[obj.pk])]

    def write_requests(self, obj):
        visit = obj.response.visit
        return [
            (
                entry_url(visit),
                {
                    "respondent": "clinician",
                    "language": "en",
                    "answered_on": "2024-01-01",
                    "action": "save",
                    FIELD: SimpleUploadedFile("swap.txt", b"swapped\n", "text/plain"),
                },
            )
        ]
