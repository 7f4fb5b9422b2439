"""A django-tasks backend whose queue is the report job table itself.

``TASKS = {"default": {"BACKEND": "neuroregen.reports.queue.ReportJobBackend"}}`` makes a report
request only leave its :class:`~neuroregen.reports.models.ReportJob` row queued: the request
returns at once whether or not a worker is running, and ``neuroregen db_worker`` builds queued
jobs oldest first whenever it runs. The row is already durable and carries everything the build
needs, so nothing else is stored; other tasks are refused rather than silently dropped.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.exceptions import InvalidTaskError
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id


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
