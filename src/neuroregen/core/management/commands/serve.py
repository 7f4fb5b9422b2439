"""``neuroregen serve``: the development server, or with ``--production`` gunicorn workers.

Production serving is stateless — sessions, lockouts and job rows live in the database, static
files are served by whitenoise from ``collectstatic`` output — so more app servers can be added
behind any reverse proxy, all pointing at the same PostgreSQL. TLS is terminated by the proxy.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def default_workers() -> int:
    # gunicorn's rule of thumb: two per core plus one, requests are mostly database-bound.
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_argv(
    *, bind: str, workers: int, timeout: int, max_requests: int, forwarded_allow_ips: str
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "neuroregen.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "30",
        # Recycle workers now and then so slow leaks never accumulate; jitter avoids a stampede.
        "--max-requests",
        str(max_requests),
        "--max-requests-jitter",
        str(max(1, max_requests // 10)),
        "--forwarded-allow-ips",
        forwarded_allow_ips,
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
    ]


class Command(BaseCommand):
    help = "Serve NeuroRegen: runserver for development, gunicorn with --production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--production", action="store_true", help="Run gunicorn workers.")
        parser.add_argument("--bind", default=os.environ.get("NEUROREGEN_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("NEUROREGEN_WORKERS", default_workers())),
        )
        parser.add_argument("--timeout", type=int, default=120, help="Seconds per request.")
        parser.add_argument("--max-requests", type=int, default=2000)
        parser.add_argument(
            "--forwarded-allow-ips",
            default=os.environ.get("NEUROREGEN_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            help="Addresses of reverse proxies trusted to set X-Forwarded-* headers.",
        )
        parser.add_argument(
            "--skip-collectstatic",
            action="store_true",
            help="Static files were already collected (e.g. at image build time).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["production"]:
            call_command("runserver", options["bind"], use_reloader=False)
            return
        if settings.DEBUG:
            raise CommandError(
                "Refusing to serve in production with DEBUG on: set NEUROREGEN_PRODUCTION=1 "
                "(and the keys it requires) or NEUROREGEN_DEBUG=0."
            )
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        if not _importable("gunicorn"):
            raise CommandError("gunicorn is not installed in this environment.")
        if not options["skip_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(
            bind=options["bind"],
            workers=options["workers"],
            timeout=options["timeout"],
            max_requests=options["max_requests"],
            forwarded_allow_ips=options["forwarded_allow_ips"],
        )
        self.stdout.write(
            f"Serving NeuroRegen with {options['workers']} gunicorn workers on {options['bind']}"
        )
        self.stdout.flush()
        # Replace this process so the supervisor's signals reach gunicorn's master directly.
        os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, no shell


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
