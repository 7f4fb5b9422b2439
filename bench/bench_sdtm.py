"""Benchmark: the SDTM export of the demo's main protocol (NR-CELL-01: 57 children, some 42 000
QS rows), as ``neuroregen export sdtm`` makes it; with ``--registry 10000``, of the bench
registry's NR-CELL-01 instead (``bench/registry.py``: 10 000 children × 11 visits; target ≤ 60 s).

Times, on the configured database (``--database``, else ``DATABASE_URL``, else the SQLite file
under ``NEUROREGEN_VAR_DIR``), after building the demo there if it has no participants yet
(``demo_setup`` with its defaults, as ``make demo``):

* ``collect``: the dataset read through the restricted querysets;
* ``build``: ``sdtm.build_domains`` (every domain as a data frame, test codes included);
* ``write``: ``sdtm.write_xpt`` (one XPT v5 file per domain);
* ``total``: the three, as the export command runs them;

then runs the export once more under ``tracemalloc`` for the peak of Python allocations (the
timed runs are not traced: tracing slows them down), and reports the process's peak RSS.

With ``--registry N`` the database is filled by ``build_registry(N)`` when it has no
participants yet (a database of its own: the export also stores the test codes it assigns),
and the export runs as an administrator account made for the benchmark.

Usage::

    NEUROREGEN_VAR_DIR=/tmp/bench python bench/bench_sdtm.py [--protocol NR-CELL-01]
        [--repeats 3] [--database postgres://…/nr_bench_sdtm] [--json out.json]
        [--registry 10000]

Timings are informational; no test asserts on them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuroregen.settings")

MAIN_PROTOCOL = "NR-CELL-01"
USER = "demo-administrator"
REGISTRY_USER = "bench-sdtm-administrator"


def _setup(registry: int) -> str:
    """Migrate, fill the database if empty; the username the export runs as."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from neuroregen.participants.models import Participant

    if registry:
        if not Participant.objects.exists():
            from bench.registry import build_registry

            print(f"building the bench registry ({registry:,} participants) …", flush=True)
            print(build_registry(participants=registry), flush=True)
        return _administrator()
    if not Participant.objects.exists():
        print("building the demo (demo_setup) …", flush=True)
        call_command("demo_setup", stdout=io.StringIO())
    return USER


def _administrator() -> str:
    """An administrator (every site) for the registry, which has only site accounts."""
    from neuroregen.core.models import User
    from neuroregen.core.roles import Role
    from neuroregen.core.services import membership_grant

    user, created = User.objects.get_or_create(username=REGISTRY_USER)
    if created:
        user.set_unusable_password()
        user.save()
        membership_grant(user=user, role=Role.ADMINISTRATOR, site=None)
    return REGISTRY_USER


def _export(protocol: str, out: Path, username: str, check: bool = False) -> dict[str, Any]:
    """One export, timed step by step; also the sizes of what it wrote."""
    from neuroregen.core.models import User
    from neuroregen.interop import sdtm
    from neuroregen.interop.dataset import collect

    user = User.objects.get(username=username)
    started = time.perf_counter()
    dataset = collect(user=user, protocol=protocol)
    collected = time.perf_counter()
    export = sdtm.build(dataset)
    frames = export.frames
    built = time.perf_counter()
    paths = sdtm.write_xpt(frames, out)
    written = time.perf_counter()
    figures: dict[str, Any] = {
        "collect": collected - started,
        "build": built - collected,
        "write": written - built,
        "total": written - started,
        "participants": len(dataset.participants),
        "rows": {domain: len(frame) for domain, frame in frames.items()},
        "test_codes": int(frames["QS"]["QSTESTCD"].nunique()),
        "bytes": sum(p.stat().st_size for p in paths),
    }
    print(
        f"run: collect {figures['collect']:.1f} s, build {figures['build']:.1f} s, write "
        f"{figures['write']:.1f} s, total {figures['total']:.1f} s; peak RSS so far "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
        flush=True,
    )
    if check:
        started = time.perf_counter()
        figures["findings"] = len(sdtm.conformance(frames, export.waived))
        print(
            f"conformance: {figures['findings']} findings in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return figures


def _say(label: str, times: list[float]) -> None:
    print(
        f"{label:<34} best {min(times):7.2f} s   median {statistics.median(times):7.2f} s",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", default=MAIN_PROTOCOL)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database", default="", help="a database URL (else DATABASE_URL)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--registry", type=int, default=0, help="export the bench registry of this many children"
    )
    parser.add_argument(
        "--no-trace", action="store_true", help="skip the run under tracemalloc (slow when large)"
    )
    args = parser.parse_args(argv)
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    username = _setup(args.registry)
    from django.db import connection

    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.repeats):
            runs.append(_export(args.protocol, Path(folder), username, check=n == 0))
        peak = 0
        if not args.no_trace:
            tracemalloc.start()
            _export(args.protocol, Path(folder), username)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    # ru_maxrss is in kilobytes on Linux
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = runs[0]
    print(
        f"SDTM export of {args.protocol} on {connection.vendor}: {first['participants']} "
        f"participants, {sum(first['rows'].values()):,} rows "
        f"({', '.join(f'{d} {n:,}' for d, n in first['rows'].items())}), "
        f"{first['test_codes']} QS test codes, {first['bytes'] / 1e6:.1f} MB of XPT",
        flush=True,
    )
    for step in ("collect", "build", "write", "total"):
        _say(f"{step}", [run[step] for run in runs])
    print(f"peak Python allocations (tracemalloc) {peak / 2**20:9.1f} MB")
    print(f"peak process RSS                      {rss_mb:9.1f} MB")
    if args.json:
        figures = {
            "protocol": args.protocol,
            "registry": args.registry,
            "database": connection.vendor,
            "participants": first["participants"],
            "rows": first["rows"],
            "total_s": round(min(run["total"] for run in runs), 2),
            "peak_traced_mb": round(peak / 2**20, 1),
            "peak_rss_mb": round(rss_mb, 1),
        }
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
