"""A coordinator attaches a scan to a file field in a real browser and downloads it back."""

from __future__ import annotations

import pytest
from django.utils import timezone

from neuroregen.instruments.models import ResponseFile
from tests.helpers import PASSWORD
from tests.instruments.test_files import FIELD, FORM, PDF, docs_form, visit_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_coordinator_attaches_and_downloads_a_scan(page, settings, tmp_path, coordinator_a, site_a):
    settings.MEDIA_ROOT = tmp_path / "media"
    docs_form()
    visit = visit_of(coordinator_a, site_a)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/login/")
    page.fill("#id_username", coordinator_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")

    entry = f"/instruments/visit/{visit.pk}/{FORM}/"
    page.goto(entry)
    page.fill("#id_answered_on", timezone.localdate().isoformat())
    page.fill("#id_docs_note", "scan attached")
    page.set_input_files(
        f"#file-{FIELD}", {"name": "consent scan.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.click("button[value=save]")
    page.wait_for_url(f"**/instruments/visit/{visit.pk}/")

    stored = ResponseFile.objects.get()
    assert stored.name == "consent scan.pdf"
    page.goto(entry)
    shown = page.get_by_test_id(f"file-{FIELD}")
    assert "consent scan.pdf" in shown.inner_text()
    page.screenshot(path=str(tmp_path / "entry-with-file.png"), full_page=True)
    with page.expect_download() as caught:
        shown.get_by_role("link", name="consent scan.pdf").click()
    download = caught.value
    assert download.suggested_filename == "consent scan.pdf"
    assert open(download.path(), "rb").read() == PDF
    assert errors == []
