"""Real binary files and large files reach the upload checks: NUL is refused only in text.

PNG, JPEG and PDF files contain NUL bytes, UTF-16 text is half NUL bytes, and REDCap exports
of a whole programme run to tens of megabytes. None of that may be refused as "text with NUL"
or by Django's built-in 2.5 MiB request cap; over-limit uploads get the application's own
message naming the limit.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from neuroregen.core.roles import Role
from neuroregen.instruments.models import Response, ResponseFile
from neuroregen.interop import records
from neuroregen.interop.dataset import collect
from tests.helpers import make_user
from tests.instruments.test_files import FIELD, docs_form, post_entry, visit_of
from tests.interop.builders import PROTOCOL, small_world
from tests.security.battery import client_for

IMPORT = reverse("interop:import")
MiB = 2**20


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png_bytes(width: int = 64, height: int = 48, *, noise: bool = False) -> bytes:
    """A valid RGB PNG written by hand (signature, IHDR, IDAT, IEND with their CRCs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "none" for each scanline
        for x in range(width):
            if noise:
                rows += bytes(((x * 7919 + y * 104729) >> s) & 0xFF for s in (0, 8, 16))
            else:
                rows += bytes((x * 4 % 256, y * 5 % 256, 0))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 0 if noise else 9))
        + chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>Signed consent</h1><p>Scan of page 1.</p>").write_pdf()


def _world(site_a, site_b, coordinator_a, coordinator_b):
    return small_world(site_a, site_b, coordinator_a, coordinator_b)


def _site_a_records(world) -> str:
    investigator = make_user(Role.INVESTIGATOR, world.participants[0].site)
    return records.export_records(collect(user=investigator, protocol=PROTOCOL))


def _import(client, data: bytes, name: str = "records.csv"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(IMPORT, {"protocol": PROTOCOL, "file": upload})


# --- attachments (REDCap file fields) --------------------------------------------------------


@pytest.mark.django_db
def test_a_real_png_is_accepted_as_an_attachment(site_a, coordinator_a):
    data = png_bytes()
    assert b"\x00" in data
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    response = post_entry(
        client_for(coordinator_a),
        visit,
        SimpleUploadedFile("drawing.png", data, content_type="image/png"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = ResponseFile.objects.get()
    assert (stored.name, stored.size) == ("drawing.png", len(data))


@pytest.mark.django_db
def test_a_real_pdf_of_several_megabytes_is_accepted_as_an_attachment(site_a, coordinator_a):
    # Real PDF bytes padded with a PDF comment to 3 MiB: over Django's default 2.5 MiB
    # request cap, well under the documented 10 MB for attachments.
    data = pdf_bytes()
    assert data.startswith(b"%PDF-")
    assert b"\x00" in data
    data += b"%" + b"x" * (3 * MiB - len(data)) + b"\n"
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    response = post_entry(
        client_for(coordinator_a),
        visit,
        SimpleUploadedFile("consent.pdf", data, content_type="application/pdf"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ResponseFile.objects.get().size == len(data)


@pytest.mark.django_db
def test_an_attachment_over_10_mb_gets_an_inline_error_naming_the_limit(site_a, coordinator_a):
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    data = png_bytes(1200, 1000, noise=True)  # uncompressed: about 3.4 MiB
    data = data * 4  # about 13.7 MiB
    response = post_entry(
        client_for(coordinator_a),
        visit,
        SimpleUploadedFile("photo.png", data, content_type="image/png"),
    )
    assert response.status_code in (200, 422)  # the form again, with the error inline
    page = response.content.decode()
    assert f'data-field-error="{FIELD}"' in page
    assert "the largest file accepted is 10.0 MB" in page
    assert not ResponseFile.objects.exists()
    assert not Response.objects.filter(answers__docs_note="scan attached").exists()


@pytest.mark.django_db
def test_nul_in_a_text_field_next_to_a_file_is_still_refused(site_a, coordinator_a):
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    response = post_entry(
        client_for(coordinator_a),
        visit,
        SimpleUploadedFile("drawing.png", png_bytes(), content_type="image/png"),
        docs_note="scan\x00attached",
    )
    assert response.status_code == 422
    assert "NUL" in response.content.decode()
    assert not ResponseFile.objects.exists()


# --- imports ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_utf16_redcap_file_is_imported(site_a, site_b, coordinator_a, coordinator_b):
    world = _world(site_a, site_b, coordinator_a, coordinator_b)
    text = _site_a_records(world)
    data = text.encode("utf-16")  # with BOM, as Excel's "Unicode text" saves it
    assert b"\x00" in data
    page = _import(client_for(coordinator_a), data)
    assert page.status_code == 200, page.content.decode()[:3000]
    body = page.content.decode()
    assert 'data-testid="import-summary"' in body
    assert 'data-testid="unchanged">8<' in body  # six forms and two not done


@pytest.mark.django_db
def test_a_20_mib_import_is_not_refused_for_its_size(site_a, site_b, coordinator_a, coordinator_b):
    world = _world(site_a, site_b, coordinator_a, coordinator_b)
    text = _site_a_records(world)
    header, *rows = text.splitlines(keepends=True)
    # The real rows, then rows of a record nobody has: the file is refused for its content
    # (every unknown record listed), never for its size.
    unknown = rows[0].split(",", 1)[1]
    needed = 20 * MiB // len(f"P-NOSUCH000000,{unknown}") + 1
    extra = [f"P-NOSUCH{n:06d},{unknown}" for n in range(1, needed + 1)]
    data = (header + "".join(rows) + "".join(extra)).encode()
    assert len(data) >= 20 * MiB
    page = _import(client_for(coordinator_a), data)
    assert page.status_code in (200, 422)
    html = page.content.decode()
    assert "largest file accepted" not in html
    assert "Bad Request" not in html
    if page.status_code == 422:
        assert "nothing was imported" in html
        assert "P-NOSUCH000001" in html


@pytest.mark.django_db
def test_a_request_over_the_upload_limit_gets_a_page_naming_the_limit(settings, coordinator_a):
    settings.NEUROREGEN_MAX_UPLOAD_BYTES = 1 * MiB
    data = b"record_id\n" + b"P-1\n" * (3 * MiB // 4)
    page = _import(client_for(coordinator_a), data)
    assert page.status_code == 413
    html = page.content.decode()
    assert "1.0 MB" in html
    assert "Bad Request" not in html
    assert 'data-error-code="upload_too_large"' in html


@pytest.mark.django_db
def test_an_api_body_over_the_limit_gets_json_naming_the_limit(settings, coordinator_a):
    from tests.security.api_battery import ApiClient

    settings.NEUROREGEN_MAX_UPLOAD_BYTES = 1 * MiB
    response = ApiClient(coordinator_a).send(
        "POST", "/api/participants/", {"notes": "x" * (2 * MiB)}
    )
    assert response.status_code == 413
    assert "1.0 MB" in response.json()["message"]


def test_django_request_limits_follow_the_documented_limits(settings):
    from django.conf import settings as live

    assert live.DATA_UPLOAD_MAX_MEMORY_SIZE >= live.NEUROREGEN_MAX_UPLOAD_BYTES == 50 * MiB
    assert live.NEUROREGEN_MAX_FIELD_FILE_BYTES == 10 * MiB
    assert live.FILE_UPLOAD_MAX_MEMORY_SIZE <= live.NEUROREGEN_MAX_FIELD_FILE_BYTES
    assert live.DATA_UPLOAD_MAX_NUMBER_FIELDS >= 5000
