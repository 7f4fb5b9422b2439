"""In a real browser: a statistician downloads an export from the navigation; a coordinator
uploads a file with a bad row, reads every problem, fixes it and imports."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from neuroregen.instruments.models import Response
from neuroregen.interop import records
from neuroregen.interop.dataset import collect
from tests.helpers import PASSWORD
from tests.interop.builders import PROTOCOL, small_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SHOTS = os.environ.get("NEUROREGEN_SCREENSHOTS", "")


def sign_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_export_download_and_import_with_problems_then_fixed(
    page, site_a, site_b, coordinator_a, coordinator_b, tmp_path
):
    world = small_world(site_a, site_b, coordinator_a, coordinator_b)
    sign_in(page, world.statistician.username)
    page.click("text=Set-up")
    page.click("text=Export and import")
    page.get_by_test_id("export-link").click()
    page.wait_for_url("**/interop/export/")
    page.select_option("#id_export_format", "tidy")
    shot(page, "export")
    with page.expect_download() as caught:
        page.click("main button[type=submit]")
    download = caught.value
    assert download.suggested_filename.startswith(f"{PROTOCOL}_tidy_")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert all(p.study_code in text for p in world.participants)
    assert "Child-" not in text

    page.context.clear_cookies()
    sign_in(page, coordinator_a.username)
    rows = list(
        csv.DictReader(
            io.StringIO(records.export_records(collect(user=world.admin, protocol=PROTOCOL)))
        )
    )
    own = [r for r in rows if r["record_id"] in {p.study_code for p in world.participants[:2]}]
    target = next(r for r in own if r["redcap_event_name"].startswith("bl_"))
    original = target["cgi_s"]
    target["cgi_s"] = "9"  # not one of the choices

    def write(name: str) -> Path:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(own)
        path = tmp_path / name
        path.write_text(out.getvalue(), encoding="utf-8")
        return path

    page.goto("/interop/import/")
    page.select_option("#id_protocol", PROTOCOL)
    page.set_input_files("#id_file", str(write("visit_data.csv")))
    page.click("main button[type=submit]")
    assert (
        "1 problem found; nothing was imported."
        in page.get_by_test_id("import-problems").inner_text()
    )
    table = page.get_by_test_id("problem-table").inner_text()
    assert "cgi_s" in table
    shot(page, "import-problems")
    assert (
        Response.objects.get(
            participant__study_code=target["record_id"], instrument__code="cgi_s"
        ).answers["cgi_s"]
        == original
    )

    target["cgi_s"] = "6"
    page.select_option("#id_protocol", PROTOCOL)
    page.set_input_files("#id_file", str(write("visit_data_fixed.csv")))
    page.click("main button[type=submit]")
    summary = page.get_by_test_id("import-summary")
    assert page.get_by_test_id("updated").inner_text() == "1"
    assert page.get_by_test_id("unchanged").inner_text() == "7"  # two of them not done
    assert "visit_data_fixed.csv imported." in summary.inner_text()
    shot(page, "import-done")
