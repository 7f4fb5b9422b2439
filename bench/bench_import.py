"""Benchmark (b): REDCap import of about a million values against a raw PostgreSQL COPY.

1. A fresh PostgreSQL database (``nr_bench_import``) gets a synthetic registry
   (``bench/registry.py``) sized so its ATEC forms hold about ``--values`` values.
2. The registry's forms are exported as a REDCap longitudinal records CSV by the product's own
   exporter (``interop.dataset.collect`` + ``interop.records.export_records``), trimmed to
   ``--values`` values, and the forms are then removed (responses and their history), so the
   import creates every form anew.
3. ``neuroregen import redcap FILE --protocol NR-CELL-01`` (the service path: every row checked,
   all or nothing, audit history) is timed as a command, start-up included; then the same file
   again (nothing changes).
4. The same values are COPY'd into a plain table shaped like REDCap's own storage
   (``record, event, field_name, value``: one row per value) in the same database.
5. Start-up alone: the import command on a file with a header and no rows, and
   ``neuroregen check`` (every system check, the URL configuration with every page's libraries
   included).

Each is timed ``--repeat`` times (the forms removed before each import); the best is compared,
the median shown beside it. The commands run with a bytecode cache of their own under
``var/pycache``, warmed before timing, as an installed program runs (pip and
``uv pip install --compile-bytecode`` compile at install time); the first start without any
cache is reported too. Prints the times and the ratio import / COPY (target ≤ 3×). Usage::

    python bench/bench_import.py [--values 1000000] [--repeat 3]
        [--server postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DB = "nr_bench_import"
STRUCTURAL = {
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
}
# ATEC forms per participant in a 11-visit registry, and values per form (77 items + complete)
FORMS_PER_PARTICIPANT = 5.5
VALUES_PER_FORM = 77


def _psql(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuroregen.settings")
    import django

    django.setup()


def _export(values: int) -> tuple[str, int, list[tuple[str, str, str, str]]]:
    """The REDCap CSV (trimmed to ``values``), its value count, and the same values long."""
    from neuroregen.core.models import User
    from neuroregen.interop.dataset import collect
    from neuroregen.interop.records import export_records
    from neuroregen.participants.models import Withdrawal

    # data entry after a withdrawal is refused (rightly); leave those children out of the file
    withdrawn = set(Withdrawal.objects.values_list("participant__study_code", flat=True))
    user = User.objects.get(username="synthetic-generator")
    text = export_records(collect(user=user, protocol="NR-CELL-01"))
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    kept: list[list[str]] = []
    long: list[tuple[str, str, str, str]] = []
    for row in reader:
        if row[0] in withdrawn:
            continue
        cells = [
            (header[i], v) for i, v in enumerate(row) if v != "" and header[i] not in STRUCTURAL
        ]
        if len(long) + len(cells) > values:
            break
        kept.append(row)
        long.extend((row[0], row[1], name, value) for name, value in cells)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(kept)
    return out.getvalue(), len(long), long


def _forget_forms() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE instruments_response, instruments_historicalresponse CASCADE")


def _copy(url: str, long: list[tuple[str, str, str, str]]) -> float:
    import psycopg

    buffer = io.StringIO()
    for row in long:
        buffer.write("\t".join(row) + "\n")
    data = buffer.getvalue()
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_redcap_data")
        conn.commit()
        started = time.perf_counter()
        conn.execute(
            "CREATE TABLE bench_redcap_data (record text NOT NULL, event_name text NOT NULL, "
            "field_name text NOT NULL, value text)"
        )
        with conn.cursor().copy(
            "COPY bench_redcap_data (record, event_name, field_name, value) FROM STDIN"
        ) as copy:
            copy.write(data)
        conn.commit()
        return time.perf_counter() - started


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[1:3]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, done


def _best_of(repeat: int, measure: Callable[[], float]) -> tuple[float, float]:
    """Best and median of ``repeat`` measurements."""
    times = [measure() for _ in range(repeat)]
    return min(times), statistics.median(times)


def run(values: int, server: str, participants: int | None = None, repeat: int = 3) -> dict:
    url = f"{server}/{DB}"
    participants = participants or int(values / (FORMS_PER_PARTICIPANT * VALUES_PER_FORM)) + 50
    _psql(server, f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    _psql(server, f"CREATE DATABASE {DB}")
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, str(ROOT / "bench" / "registry.py"), "--participants", str(participants)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    build = time.perf_counter() - started
    print(f"registry of {participants} participants built in {build:.0f} s", file=sys.stderr)
    _django(url)
    text, n_values, long = _export(values)
    _forget_forms()
    path = ROOT / "var" / "bench_import.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    empty = ROOT / "var" / "bench_import_empty.csv"
    empty.write_text(text.split("\n", 1)[0] + "\n", encoding="utf-8")

    def command(file: Path) -> list[str]:
        return [
            str(BIN / "neuroregen"),
            *("import", "redcap", str(file), "--protocol", "NR-CELL-01"),
            *("--user", "synthetic-generator"),
        ]

    check = [str(BIN / "neuroregen"), "check", "-v0"]
    # the first start as the environment stands (no cache if PYTHONDONTWRITEBYTECODE is set and
    # the installation compiled nothing), then the commands with a warmed bytecode cache
    cold, _done = _timed(check, env)
    cache = ROOT / "var" / "pycache"
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    _timed(check, env)
    _timed(command(empty), env)

    outputs: list[str] = []

    def imported() -> float:
        _forget_forms()
        seconds, done = _timed(command(path), env)
        outputs.append(done.stdout.strip())
        return seconds

    importing = _best_of(repeat, imported)
    again = _best_of(repeat, lambda: _timed(command(path), env)[0])
    startup = _best_of(repeat, lambda: _timed(command(empty), env)[0])
    checking = _best_of(repeat, lambda: _timed(check, env)[0])
    copying = _best_of(repeat, lambda: _copy(url, long))
    return {
        "participants": participants,
        "registry_build_s": round(build, 1),
        "values": n_values,
        "forms": text.count("\n") - 1,
        "csv_bytes": len(text.encode()),
        "repeat": repeat,
        "import_s": round(importing[0], 2),
        "import_median_s": round(importing[1], 2),
        "reimport_unchanged_s": round(again[0], 2),
        "reimport_unchanged_median_s": round(again[1], 2),
        "import_startup_s": round(startup[0], 2),
        "command_startup_s": round(checking[0], 2),
        "command_startup_without_bytecode_s": round(cold, 2),
        "copy_s": round(copying[0], 2),
        "copy_median_s": round(copying[1], 2),
        "ratio": round(importing[0] / copying[0], 2),
        "ratio_medians": round(importing[1] / copying[1], 2),
        "target_ratio": 3.0,
        "import_output": outputs[-1].splitlines()[-1:] or [""],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each timing (best used).")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args(argv)
    f = run(args.values, args.server, args.participants, max(1, args.repeat))
    print(f"REDCap import of {f['values']:,} values ({f['forms']:,} forms)")
    print(f"best / median of {f['repeat']} runs; commands with a warmed bytecode cache")
    print(f"  neuroregen import redcap : {f['import_s']:8.2f} s  {f['import_median_s']:8.2f} s")
    print(
        f"  re-import (no change)    : {f['reimport_unchanged_s']:8.2f} s  "
        f"{f['reimport_unchanged_median_s']:8.2f} s"
    )
    print(f"  import start-up (no rows): {f['import_startup_s']:8.2f} s")
    print(f"  neuroregen check         : {f['command_startup_s']:8.2f} s  (every system check)")
    print(
        f"  neuroregen check, first start without bytecode cache: "
        f"{f['command_startup_without_bytecode_s']:.2f} s"
    )
    print(f"  PostgreSQL COPY          : {f['copy_s']:8.2f} s  {f['copy_median_s']:8.2f} s")
    verdict = "met" if f["ratio"] <= 3 else "MISSED"
    print(
        f"  ratio import / COPY      : {f['ratio']:8.2f}×  (medians {f['ratio_medians']:.2f}×; "
        f"target ≤ 3×: {verdict})"
    )
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
