"""Benchmark: the programme report page, first (cold) and repeated (warm) visits.

The page is served from the shared analysis cache (``evidence/cache.py``) once built for the
current data version and language; the target is a warm visit ≤ 200 ms. Runs in-process with
Django's test client against a demo database (SQLite under ``--var-dir``, built with
``demo_setup`` unless it is already there) or ``DATABASE_URL``.

Usage::

    python bench/bench_report_page.py [--var-dir DIR] [--participants 90]
        [--visits 20] [--kind program]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var-dir", default=str(Path(tempfile.gettempdir()) / "nr-bench-report"))
    parser.add_argument("--participants", type=int, default=90)
    parser.add_argument("--visits", type=int, default=20)
    parser.add_argument("--kind", default="program", choices=["program", "dsmb"])
    args = parser.parse_args()
    Path(args.var_dir).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NEUROREGEN_VAR_DIR", args.var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuroregen.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from neuroregen.core.models import User
    from neuroregen.evidence.selectors import protocols_for

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="demo-statistician").exists():
        print(f"building a demo cohort of {args.participants} participants …", flush=True)
        call_command("demo_setup", participants=args.participants, stdout=sys.stderr)
    user = User.objects.get(username="demo-statistician")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    for protocol in protocols_for(user=user):
        url = reverse("report_program", args=[args.kind, protocol.pk])
        started = time.perf_counter()
        first = client.get(url)
        cold = time.perf_counter() - started
        assert first.status_code == 200, first.status_code
        warm = []
        for _ in range(args.visits):
            started = time.perf_counter()
            response = client.get(url)
            warm.append(time.perf_counter() - started)
            assert response.status_code == 200
        warm.sort()
        p95 = warm[max(0, round(0.95 * len(warm)) - 1)]
        verdict = "met" if p95 <= 0.2 else "**missed**"
        print(
            f"{protocol}: first visit {cold:.2f} s; warm median "
            f"{statistics.median(warm) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
            f"(target ≤ 200 ms — {verdict})"
        )


if __name__ == "__main__":
    main()
