"""Reports with the database task backend and no worker running: the request returns at once,
the page says the job is queued (en/ru/uk), the app keeps serving, and a worker started later
builds the job."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks.exceptions import InvalidTaskError

from neuroregen.reports import services, tasks
from neuroregen.reports.models import ReportJob
from neuroregen.reports.queue import ReportJobBackend
from tests.instruments.builders import active_protocol
from tests.reports.builders import child_with_data
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

QUEUED = {
    "en": "will be built when the background worker runs",
    "ru": "будет построен, когда запустится фоновый обработчик",
    "uk": "буде побудовано, коли запуститься фоновий обробник",
}


@pytest.fixture
def database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "neuroregen.reports.queue.ReportJobBackend"}}


def test_a_report_request_is_queued_and_built_when_a_worker_runs(
    database_backend, site_a, coordinator_a, investigator_a
):
    child_with_data(coordinator_a, site_a)
    protocol = active_protocol()
    client = client_for(investigator_a)

    started = time.monotonic()
    response = client.post(
        reverse("report_program_index"), {"kind": "dsmb", "protocol": protocol.pk}
    )
    elapsed = time.monotonic() - started
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("report_job", args=[job.pk])
    # Nothing was built in the request: no worker has run.
    assert (job.status, job.pdf, job.progress) == ("queued", None, 0)
    assert elapsed < 10, elapsed

    page = client.get(reverse("report_job", args=[job.pk])).content.decode()
    assert 'data-status="queued"' in page
    assert QUEUED["en"] in page
    assert 'hx-trigger="every 2s"' in page  # the page keeps looking for the worker's progress
    assert reverse("report_job_download", args=[job.pk]) not in page
    assert client.get(reverse("report_job_download", args=[job.pk])).status_code == 404
    for language in ("ru", "uk"):
        client.cookies["django_language"] = language
        shown = client.get(reverse("report_job", args=[job.pk])).content.decode()
        assert QUEUED[language] in shown, language
    client.cookies["django_language"] = "en"

    # The rest of the application serves as usual while the job waits.
    assert client.get(reverse("dashboard")).status_code == 200
    index = client.get(reverse("report_program_index"))
    assert index.status_code == 200
    assert "Queued" in index.content.decode()
    other = client_for(coordinator_a)
    assert other.get(reverse("dashboard")).status_code == 200

    call_command("db_worker", "--once")
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert bytes(job.pdf).startswith(b"%PDF")
    done = client.get(reverse("report_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = done.content.decode()
    assert 'data-status="done"' in body
    assert QUEUED["en"] not in body
    assert reverse("report_job_download", args=[job.pk]) in body
    assert client.get(reverse("report_job_download", args=[job.pk])).status_code == 200


def test_worker_builds_queued_jobs_oldest_first_and_claims_each_once(
    database_backend, site_a, investigator_a
):
    first = services.report_job_create(
        user=investigator_a, kind="dsmb", protocol=None, language="en"
    )
    second = services.report_job_create(
        user=investigator_a, kind="program", protocol=None, language="uk"
    )
    tasks.enqueue(first)
    tasks.enqueue(second)
    assert set(ReportJob.objects.values_list("status", flat=True)) == {"queued"}
    assert tasks.claim_next() == first.pk
    # A second worker does not get the job the first one holds.
    assert tasks.claim_next() == second.pk
    assert tasks.claim_next() is None
    ReportJob.objects.update(status="queued")
    assert tasks.run_queued(limit=1) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("done", "queued")
    assert tasks.run_queued() == 1
    second.refresh_from_db()
    assert second.status == "done"
    assert tasks.run_queued() == 0


def test_a_job_whose_worker_died_is_queued_again_and_built(
    database_backend, site_a, investigator_a
):
    job = services.report_job_create(user=investigator_a, kind="dsmb", protocol=None, language="en")
    tasks.enqueue(job)
    assert tasks.claim_next() == job.pk  # a worker took it, then was killed mid-build
    job.refresh_from_db()
    claimed_at = job.started_at
    assert job.status == "running"
    assert tasks.requeue_stale(now=claimed_at + tasks.STALE_AFTER / 2) == 0  # still in hand
    assert tasks.requeue_stale(now=claimed_at + tasks.STALE_AFTER * 2) == 1
    job.refresh_from_db()
    assert (job.status, job.started_at) == ("queued", None)
    call_command("db_worker", "--once", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.status == "done"
    assert job.pdf


def stray_job() -> None:
    """A task the report queue has no row for."""


def test_the_queue_backend_refuses_other_tasks(database_backend):
    from django_tasks import task

    with pytest.raises(InvalidTaskError):
        ReportJobBackend("default", {}).enqueue(task()(stray_job), (), {})


def test_the_default_backend_still_builds_at_once(site_a, investigator_a):
    job = services.report_job_create(user=investigator_a, kind="dsmb", protocol=None, language="en")
    tasks.enqueue(job)
    job.refresh_from_db()
    assert job.status == "done", job.error
