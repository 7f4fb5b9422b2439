"""Benchmark (c): participant page latency at 20 concurrent clients against a bare view.

1. A PostgreSQL database (``nr_bench_registry_<size>``) gets a synthetic registry (``registry.py``)
   unless ``--reuse`` says it is already there.
2. ``neuroregen serve --production`` (gunicorn workers, DEBUG off) serves it on a loopback
   port with ``bench.settings`` (the product's settings plus a bare view at ``/bench/bare/``;
   two-factor sign-in and secure cookies stay off, the traffic being plain HTTP on loopback).
3. Locust, headless, runs 20 signed-in coordinators opening the pages of random participants
   for ``--seconds``, then the same against the bare view: once with 1 s think time per client
   (interactive use), once with none (the server saturated: latency is then queueing).

Prints p50/p95 of both and the ratio of the p95s (target: participant page p95 ≤ 100 ms).
Usage::

    python bench/bench_latency.py [--participants 10000] [--seconds 45] [--reuse]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def database(participants: int) -> str:
    """One registry database per size, shared with bench_evidence.py (see report.py)."""
    return f"nr_bench_registry_{participants}"


USERS = 20
THINK = 1.0  # seconds between a user's pages, on average (an interactive user is slower still)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "NEUROREGEN_DEBUG": "0",
        "NEUROREGEN_AXES": "0",
    }


def _prepare(url: str, workdir: Path) -> tuple[str, str, Path]:
    """A coordinator of every synthetic site (random password) and the study codes to open."""
    os.environ.update(_env(url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from neuroregen.core.models import Site, User
    from neuroregen.core.roles import Role
    from neuroregen.core.services import membership_grant
    from neuroregen.participants.models import Participant

    call_command("collectstatic", interactive=False, verbosity=0)
    password = secrets.token_urlsafe(18)
    user, _ = User.objects.get_or_create(
        username="bench-coordinator", defaults={"first_name": "Bench", "last_name": "Coordinator"}
    )
    user.set_password(password)
    user.save()
    for site in Site.objects.filter(is_synthetic=True):
        membership_grant(user=user, role=Role.COORDINATOR, site=site)
    codes = list(
        Participant.objects.filter(site__is_synthetic=True).values_list("study_code", flat=True)
    )
    path = workdir / "codes.txt"
    path.write_text("\n".join(codes))
    # One signed-in session per simulated user, made here: 20 password checks at once would
    # measure the password hasher, not the pages.
    from django.conf import settings
    from django.test import Client

    sessions = []
    for _i in range(USERS):
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    (workdir / "sessions.txt").write_text("\n".join(sessions))
    return user.username, password, path


def _get(port: int, timeout: float = 120) -> float:
    started = time.perf_counter()
    urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare/", timeout=timeout).read()
    return time.perf_counter() - started


def _wait(port: int, seconds: float = 600) -> None:
    """Until every worker has loaded the application (the first request of each is slow)."""
    from concurrent.futures import ThreadPoolExecutor

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _get(port, timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        raise SystemExit("the server did not start")
    with ThreadPoolExecutor(USERS) as pool:
        while time.monotonic() < deadline:
            if max(pool.map(lambda _i: _get(port), range(4 * USERS))) < 1.0:
                return
    raise SystemExit("the server did not warm up")


def _locust(
    target: str, port: int, seconds: int, env: dict[str, str], prefix: Path, think: float
) -> dict:
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(USERS),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env={**env, "BENCH_TARGET": target, "BENCH_THINK": str(think)},
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == target:
                return {
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"]),
                    "p95_ms": float(row["95%"]),
                    "rps": round(float(row["Requests/s"]), 1),
                }
    raise SystemExit(f"no '{target}' requests recorded")


def _ratio(page: dict, bare: dict) -> float | None:
    return round(page["p95_ms"] / bare["p95_ms"], 2) if bare["p95_ms"] else None


def _registry_size(url: str) -> int | None:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM participants_participant p JOIN core_site s "
                "ON s.id = p.site_id WHERE s.is_synthetic"
            ).fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row else None


def run(participants: int, seconds: int, server: str, reuse: bool, workers: int | None) -> dict:
    import psycopg

    db = database(participants)
    url = f"{server}/{db}"
    build = None
    if not reuse and _registry_size(url) == participants:
        reuse = True  # built by an earlier run: building 10 000 children again takes minutes
    if not reuse:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {db}")
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - fixed argv, no shell
            [
                sys.executable,
                str(ROOT / "bench" / "registry.py"),
                "--participants",
                str(participants),
            ],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        build = round(time.perf_counter() - started, 1)
    workdir = ROOT / "var" / "bench_latency"
    workdir.mkdir(parents=True, exist_ok=True)
    username, password, codes = _prepare(url, workdir)
    env = {
        **_env(url),
        "BENCH_USER": username,
        "BENCH_PASSWORD": password,
        "BENCH_CODES": str(codes),
        "BENCH_SESSIONS": str(workdir / "sessions.txt"),
    }
    port = _free_port()
    argv = [
        str(BIN / "neuroregen"),
        "serve",
        "--production",
        "--skip-collectstatic",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    if workers:
        argv += ["--workers", str(workers)]
    server_process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait(port)
        # each worker's first participant page loads templates and catalogues: not measured
        _locust("participant", port, 10, env, workdir / "warmup", 0.0)
        runs = {}
        for think in (THINK, 0.0):
            runs[think] = (
                _locust("participant", port, seconds, env, workdir / f"page{think}", think),
                _locust("bare", port, seconds, env, workdir / f"bare{think}", think),
            )
    finally:
        server_process.terminate()
        server_process.wait(timeout=60)
    from neuroregen.participants.models import Participant

    return {
        "participants": Participant.objects.count(),
        "registry_build_s": build,
        "users": USERS,
        "seconds": seconds,
        "workers": workers or (2 * (os.cpu_count() or 1) + 1),
        "think_s": THINK,
        "participant_page": runs[THINK][0],
        "bare_view": runs[THINK][1],
        "ratio_p95": _ratio(*runs[THINK]),
        "saturated": {
            "participant_page": runs[0.0][0],
            "bare_view": runs[0.0][1],
            "ratio_p95": _ratio(*runs[0.0]),
        },
        "target_p95_ms": 100,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=45)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--reuse", action="store_true", help="The registry is already built.")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args(argv)
    figures = run(args.participants, args.seconds, args.server, args.reuse, args.workers)
    print(f"Latency at {USERS} concurrent clients, {figures['participants']:,} participants")
    for title, block in (
        (f"with {THINK:g} s think time per client", figures),
        ("saturated (no think time)", figures["saturated"]),
    ):
        print(f" {title}:")
        for label, f in (
            ("participant page", block["participant_page"]),
            ("bare view", block["bare_view"]),
        ):
            print(
                f"  {label:16}: p50 {f['p50_ms']:6.0f} ms  p95 {f['p95_ms']:6.0f} ms  "
                f"{f['rps']:6.1f} req/s  ({f['requests']} requests, {f['failures']} failed)"
            )
        page = block["participant_page"]
        verdict = "met" if page["p95_ms"] <= 100 else "MISSED"
        print(f"  ratio of p95s    : {block['ratio_p95']}×  (target p95 ≤ 100 ms: {verdict})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
