"""``neuroregen db_worker``: build queued report jobs (the database task backend's worker)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from neuroregen.reports.tasks import requeue_stale, run_queued


class Command(BaseCommand):
    help = (
        "Build queued program and DSMB report jobs, oldest first. Runs until stopped (SIGTERM "
        "or Ctrl-C) unless --once is given; several workers may run against one database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Build what is queued, then exit.")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between looks at the queue."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(_signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True  # finish the job in hand, then leave

        signal.signal(signal.SIGTERM, stop)
        total = 0
        try:
            while True:
                requeued = requeue_stale()
                if requeued:
                    self.stderr.write(f"{requeued} job(s) whose worker stopped were queued again")
                built = run_queued(limit=1)
                total += built
                if options["once"] and not built:
                    break
                if stopping:
                    break
                if not built:
                    time.sleep(options["interval"])
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"{total} report job(s) built")
