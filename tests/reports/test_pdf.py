"""PDFs: text read back with pypdfium2 holds the numbers, the language and the watermark."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from django.urls import reverse

from neuroregen.core.services import site_create
from neuroregen.reports import services, tasks
from neuroregen.reports.models import ReportJob
from tests.reports.builders import child_with_data, released_report
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> tuple[int, str]:
    document = pdfium.PdfDocument(data)
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    # PDF text breaks lines where the layout does; compare on single spaces.
    return len(document), " ".join(" ".join(pages).split())


@pytest.fixture
def synthetic_site(db):
    return site_create(code="SYN-1", name="Synthetic", country="UA", is_synthetic=True)


def test_family_pdf_in_ukrainian_with_numbers_and_watermark(synthetic_site, coordinator_a):
    from neuroregen.core.roles import Role
    from tests.helpers import make_user

    coordinator = make_user(Role.COORDINATOR, synthetic_site)
    participant = child_with_data(coordinator, synthetic_site)
    report = released_report(coordinator, participant)
    response = client_for(coordinator).get(
        reverse("family_report_pdf", args=[report.pk]) + "?lang=uk"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages, text = pdf_text(response.content)
    assert pages >= 2
    assert "СИНТЕТИЧНІ ДАНІ" in text
    assert "Звіт про прогрес" in text
    assert "Порівняльної групи" in text
    assert "від першої оцінки (38)" in text.lower()  # CARS-2 baseline 38 → 31 at M6
    assert "знизився на 7 балів" in text
    assert "Сторінка 1 / " in text
    assert participant.study_code in text


def test_draft_pdf_is_marked_draft_in_english(site_a, coordinator_a):
    participant = child_with_data(coordinator_a, site_a)
    report = services.family_report_draft(user=coordinator_a, participant=participant, phase="late")
    response = client_for(coordinator_a).get(
        reverse("family_report_pdf", args=[report.pk]) + "?lang=en"
    )
    _pages, text = pdf_text(response.content)
    assert "DRAFT — not yet reviewed" in text
    assert "SYNTHETIC DATA" not in text
    assert "went down by 7 points" in text


def test_program_report_job_builds_a_pdf_with_flow_and_safety(
    site_a, coordinator_a, investigator_a
):
    from tests.instruments.builders import active_protocol

    child_with_data(coordinator_a, site_a)
    child_with_data(coordinator_a, site_a, shift=2)
    protocol = active_protocol()
    client = client_for(investigator_a)
    response = client.post(
        reverse("report_program_index"), {"kind": "program", "protocol": protocol.pk}
    )
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("report_job", args=[job.pk])
    assert job.status == "done", job.error  # the default task backend runs it at once
    status = client.get(reverse("report_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert 'data-status="done"' in status.content.decode()
    assert "100%" in status.content.decode()
    download = client.get(reverse("report_job_download", args=[job.pk]))
    assert download.status_code == 200
    pages, text = pdf_text(download.content)
    assert pages >= 2
    assert f"Protocol version: {protocol.version}" in text
    assert "Data cut-off" in text
    assert "Page 1 / " in text
    assert "Screened: n = 2" in text
    assert "Enrolled: n = 2" in text
    assert "Baseline characteristics" in text
    assert "Stopping rules" in text
    assert "Serious adverse event listing" in text
    # both children have visits on a planned day 0 but no administration recorded: they are
    # allocated, not yet treated, and so in neither the safety tables nor the outcomes
    assert "first administration not yet given: 2" in text
    assert "Checked: every box equals the sum of the boxes it splits into." in text
    assert "SYNTHETIC DATA" not in text


def test_a_job_is_only_its_requesters(site_a, coordinator_a, coordinator_b, investigator_a):
    job = services.report_job_create(user=investigator_a, kind="dsmb", protocol=None, language="en")
    tasks.run_report_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done"
    assert bytes(job.pdf).startswith(b"%PDF")
    other = client_for(coordinator_b)
    assert other.get(reverse("report_job", args=[job.pk])).status_code == 404
    assert other.get(reverse("report_job_download", args=[job.pk])).status_code == 404
