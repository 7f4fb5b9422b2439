"""A django-tasks backend whose queue is the report job table itself.

``TASKS = {"default": {"BACKEND": "neuroregen.reports.queue.ReportJobBackend"}}`` makes a report
request only leave its :class:`~neuroregen.reports.models.ReportJob` row queued: the request
returns at once whether or not a worker is running, and ``neuroregen db_worker`` builds queued
jobs oldest first whenever it runs. The row is already durable and carries everything the build
needs, so nothing else is stored; other tasks are refused rather than silently dropped.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.exceptions import InvalidTaskError
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id

log = logging.getLogger(__name__)


class ReportJobBackend(BaseTaskBackend):
    supports_defer = False
    supports_async_task = False
    supports_get_result = False
    supports_priority = False

    def validate_task(self, task: Task) -> None:
        from neuroregen.reports.tasks import run_report_job

        super().validate_task(task)
        if task.func is not run_report_job:
            raise InvalidTaskError("this backend queues report jobs only")

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        result: TaskResult = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        return result


class ThreadWorkerBackend(ReportJobBackend):
    """The same job queue, built by a worker thread inside the web process.

    For the demo and development servers (``make demo``), where no ``neuroregen db_worker``
    runs: the request that asks for a report only queues its job row and returns, the thread
    builds it, and the job page polls its progress. Production uses :class:`ReportJobBackend`
    with separate worker processes, so web workers never build reports.
    """

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        result = super().enqueue(task, args, kwargs)
        # the job row must be visible to the thread's own connection
        transaction.on_commit(wake_thread_worker, robust=True)
        return result


#: Seconds an idle worker thread waits for more work before it ends.
IDLE_SECONDS = 60.0
_wake = threading.Event()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def wake_thread_worker() -> None:
    """Start the worker thread, or tell the running one there is work."""
    global _thread
    with _lock:
        _wake.set()
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_work, name="report-worker", daemon=True)
            _thread.start()


def _work() -> None:
    global _thread
    from django.db import connections

    from neuroregen.reports.tasks import requeue_stale, run_queued

    try:
        while True:
            if not _wake.wait(timeout=IDLE_SECONDS):
                with _lock:
                    if not _wake.is_set():  # nobody asked meanwhile: end; the next job restarts it
                        _thread = None
                        return
            _wake.clear()
            try:
                requeue_stale()
                run_queued()
            except Exception:  # a broken build is recorded on its job; keep serving the queue
                log.exception("report worker thread")
            finally:
                connections.close_all()  # hold no connection while idle
    finally:
        connections.close_all()


def uses_thread_worker() -> bool:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], ThreadWorkerBackend)
