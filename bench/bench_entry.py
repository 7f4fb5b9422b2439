"""Benchmark (d): data-entry save latency on the demo database — one answer, and a whole form.

A copy of the demo database is used (``neuroregen demo_setup``: the SQLite file under ``var/``,
or a PostgreSQL database given by ``--database``, copied with ``CREATE DATABASE … TEMPLATE``), so
the demo itself is not changed. The demo coordinator enters ATEC at visits of the coordinator's
site that have none yet, through Django's test client (URL routing, middleware, view, service,
audit record and commit; no network or web server in between):

- *item save*: each of the 77 ATEC items answered one request at a time, as the page does;
- *form save*: the whole form saved (in progress) with every answer, as the Save button does.

Prints p50/p95 (targets: item save p95 ≤ 100 ms, whole-form save p95 ≤ 300 ms). Usage::

    python bench/bench_entry.py [--database postgres://…/nr_demo] [--forms 12] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_SQLITE = ROOT / "var" / "neuroregen.sqlite3"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _figures(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(_percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
    }


def _copy_database(source: str, workdir: Path) -> tuple[str, object]:
    """A throw-away copy of the demo database and a function that removes it."""
    if not source.startswith("postgres"):
        path = Path(source.removeprefix("sqlite:///")) if source else DEMO_SQLITE
        if not path.exists():
            sys.exit(f"No demo database at {path}: run `neuroregen demo_setup` first.")
        copy = workdir / "demo.sqlite3"
        shutil.copyfile(path, copy)
        return f"sqlite:///{copy}", lambda: None
    import psycopg

    server, _slash, name = source.rpartition("/")
    copy = f"{name}_bench_entry"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')

    return f"{server}/{copy}", drop


def run(forms: int) -> dict[str, object]:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from neuroregen.core.models import User
    from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
    from neuroregen.instruments.models import Response
    from neuroregen.visits.models import Visit

    settings.ALLOWED_HOSTS = ["*"]
    user = User.objects.get(username="demo-coordinator")
    site = user.memberships.exclude(site=None).first().site
    client = Client()
    client.force_login(user)
    names = [
        atec_item_name(key, number)
        for key, (_title, items) in ATEC_ITEMS.items()
        for number in range(1, 1 + len(items))
    ]
    today = timezone.localdate().isoformat()
    meta = {"respondent": "clinician", "language": "en", "answered_on": today}
    candidates = (
        Visit.objects.filter(participant__site=site, participant__status="enrolled")
        .exclude(responses__instrument__code="atec")
        .order_by("pk")
    )
    client.get(reverse("instrument_response_entry", args=[candidates[0].pk, "atec"]))  # warm
    item_times: list[float] = []
    form_times: list[float] = []
    used = 0
    for visit in candidates:
        if used == forms:
            break
        item = reverse("instrument_response_item", args=[visit.pk, "atec"])
        if client.post(item, {**meta, "field": names[0], names[0]: "1"}).status_code != 200:
            continue  # a visit where entry is not allowed (withdrawal)
        used += 1
        for number, name in enumerate(names):
            data = {**meta, "field": name, name: str(number % 2)}
            started = time.perf_counter()
            reply = client.post(item, data)
            item_times.append(time.perf_counter() - started)
            assert reply.status_code == 200, reply.content
        whole = reverse("instrument_response_entry", args=[visit.pk, "atec"])
        version = Response.objects.get(visit=visit, instrument__code="atec").row_version
        data = {**meta, "row_version": version, "action": "save"}
        data.update({name: str((number + 1) % 2) for number, name in enumerate(names)})
        started = time.perf_counter()
        reply = client.post(whole, data)
        form_times.append(time.perf_counter() - started)
        assert reply.status_code == 302, reply.content[:2000]
    return {
        "database": connection.vendor,
        "forms": used,
        "item_save": _figures(item_times),
        "form_save": _figures(form_times),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="demo database URL (default: var/ SQLite)")
    parser.add_argument("--forms", type=int, default=12)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        url, drop = _copy_database(args.database, Path(workdir))
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuroregen.settings")
        try:
            figures = run(args.forms)
        finally:
            drop()  # type: ignore[operator]
    for label, key, target in (
        ("item save (one answer)", "item_save", 100),
        ("whole-form save", "form_save", 300),
    ):
        f = figures[key]
        verdict = "met" if f["p95_ms"] <= target else "MISSED"  # type: ignore[index]
        print(
            f"{figures['database']:<10} {label:<24} n={f['n']:<5} p50 {f['p50_ms']:>6} ms  "  # type: ignore[index]
            f"p95 {f['p95_ms']:>6} ms  max {f['max_ms']:>6} ms  (p95 ≤ {target} ms: {verdict})"  # type: ignore[index]
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
