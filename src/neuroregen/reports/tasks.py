"""Background building of program and DSMB reports (django-tasks), with progress in the job row.

With django-tasks' default immediate backend the job runs as soon as it is enqueued. With the
database backend (:class:`neuroregen.reports.queue.ReportJobBackend`) the request only leaves the
job row queued and returns at once; ``neuroregen db_worker`` builds queued jobs whenever it runs,
and the page polls the job row for progress. Without django-tasks installed the job runs inline.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone, translation

from neuroregen.reports import choices as c
from neuroregen.reports.models import ReportJob

log = logging.getLogger(__name__)

# A build takes seconds to a few minutes; a job "running" far longer lost its worker.
STALE_AFTER = dt.timedelta(minutes=30)


def _save_progress(job: ReportJob, done: int, total: int, step: str) -> None:
    job.progress, job.total, job.step = done, total, step[:200]
    job.save(update_fields=["progress", "total", "step"])


def run_report_job(job_id: int) -> None:
    """Build the report of job ``job_id`` as its requester sees the data, and store the PDF."""
    from neuroregen.reports.pdf import render_pdf
    from neuroregen.reports.program import build_program_report

    job = ReportJob.objects.select_related("requested_by", "protocol").get(pk=job_id)
    job.status = c.JobStatus.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        with translation.override(job.language):
            report = build_program_report(
                user=job.requested_by,
                kind=job.kind,
                protocol=job.protocol,
                progress=lambda d, t, s: _save_progress(job, d, t, s),
            )
            _save_progress(job, 4, 5, str(translation.gettext("Writing the PDF")))
            job.pdf = render_pdf(
                "reports/pdf/program.html", {"r": report, "synthetic": report.synthetic}
            )
        stamp = timezone.localdate().isoformat()
        code = job.protocol.code if job.protocol else "all"
        job.filename = f"{job.kind}-report-{code}-{stamp}.pdf"
        job.status = c.JobStatus.DONE
        job.progress = job.total = 5
    except Exception as exc:  # a failed build is shown on the job page, not lost in a log
        log.exception("report job %s failed", job_id)
        job.status = c.JobStatus.FAILED
        job.error = f"{type(exc).__name__}: {exc}"[:2000]
    job.finished_at = timezone.now()
    job.save()


try:
    from django_tasks import task

    build_report_task: Any = task()(run_report_job)
except ImportError:  # pragma: no cover - django-tasks is a declared dependency
    build_report_task = None


def enqueue(job: ReportJob) -> None:
    """Hand the job to the configured backend; it may run now or wait for a worker."""
    if build_report_task is None:
        run_report_job(job.pk)
        return
    build_report_task.enqueue(job.pk)


def claim_next() -> int | None:
    """Mark the oldest queued job running and return it; ``None`` when the queue is empty.

    The row is locked while it is claimed and rows other workers hold are skipped, so two
    workers never build the same job (SQLite serialises writers anyway).
    """
    with transaction.atomic():
        job = (
            ReportJob.objects.select_for_update(skip_locked=True)
            .filter(status=c.JobStatus.QUEUED)
            .order_by("created_at", "pk")
            .first()
        )
        if job is None:
            return None
        job.status, job.started_at = c.JobStatus.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
        return job.pk


def requeue_stale(now: dt.datetime | None = None) -> int:
    """Put back jobs whose worker died mid-build (killed, host lost); returns how many.

    A job "running" for longer than :data:`STALE_AFTER` is queued again, so the next worker
    builds it instead of the page waiting for ever.
    """
    cutoff = (now or timezone.now()) - STALE_AFTER
    with transaction.atomic():
        stale = list(
            ReportJob.objects.select_for_update(skip_locked=True).filter(
                status=c.JobStatus.RUNNING, started_at__lt=cutoff
            )
        )
        for job in stale:
            job.status, job.started_at, job.progress, job.step = c.JobStatus.QUEUED, None, 0, ""
            job.save(update_fields=["status", "started_at", "progress", "step"])
    return len(stale)


def run_queued(limit: int | None = None) -> int:
    """Build queued jobs, oldest first, until none are left (or ``limit``); returns how many."""
    built = 0
    while limit is None or built < limit:
        pk = claim_next()
        if pk is None:
            break
        run_report_job(pk)
        built += 1
    return built
