"""The programme report page is served from the shared analysis cache, and report builds always
go through the job queue; outside production a worker thread in the server builds them."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import translation

from neuroregen.reports import program, queue
from neuroregen.reports.models import ReportJob
from tests.instruments.builders import active_protocol
from tests.reports.builders import child_with_data
from tests.security.battery import client_for

THREAD_BACKEND = {"default": {"BACKEND": "neuroregen.reports.queue.ThreadWorkerBackend"}}


@pytest.fixture(autouse=True)
def _language_back_to_default():
    yield
    translation.deactivate()  # a page read in Ukrainian must not leave the language switched


@pytest.fixture
def counted_builds(monkeypatch):
    calls: list[str] = []
    real = program.build_program_report

    def counting(**kwargs):
        calls.append(kwargs["kind"])
        return real(**kwargs)

    monkeypatch.setattr("neuroregen.reports.views.build_program_report", counting)
    return calls


@pytest.mark.django_db
def test_report_page_is_built_once_per_data_version_and_language(
    site_a, coordinator_a, investigator_a, counted_builds
):
    child_with_data(coordinator_a, site_a)
    protocol = active_protocol()
    client = client_for(investigator_a)
    url = reverse("report_program", args=["dsmb", protocol.pk])
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert counted_builds == ["dsmb"]  # the second visit came from the cache
    client.cookies["django_language"] = "uk"
    assert "Потік учасників" in client.get(url).content.decode()
    assert counted_builds == ["dsmb", "dsmb"]  # another language is another page
    # new data: the cached page is not served again
    child_with_data(coordinator_a, site_a, shift=2)
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert len(counted_builds) == 3
    assert "Screened</strong>: n = 2" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_server_thread_builds_a_queued_report_while_the_page_shows_progress(
    settings, site_a, coordinator_a, investigator_a
):
    settings.TASKS = THREAD_BACKEND
    child_with_data(coordinator_a, site_a)
    protocol = active_protocol()
    client = client_for(investigator_a)
    started = time.monotonic()
    response = client.post(
        reverse("report_program_index"), {"kind": "dsmb", "protocol": protocol.pk}
    )
    job = ReportJob.objects.get()
    assert response.status_code == 302
    # the request only queued the job (built afterwards by the thread, not in the request)
    assert queue.uses_thread_worker()
    page = client.get(reverse("report_job", args=[job.pk])).content.decode()
    assert 'role="progressbar"' in page
    deadline = started + 240
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            break
        time.sleep(0.5)
    assert job.status == "done", job.error
    assert bytes(job.pdf).startswith(b"%PDF")
    status = client.get(reverse("report_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert 'data-status="done"' in status.content.decode()
