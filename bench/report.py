"""``make bench``: run every benchmark and write ``bench/RESULTS.md``.

Runs ``bench_power.py``, ``bench_evidence.py`` (when present), ``bench_import.py`` and
``bench_latency.py`` one after the other (never in parallel: they would time each other), keeps
their printed output, and writes the figures with a description of the machine. Usage::

    python bench/report.py [--participants 10000] [--values 1000000] [--seconds 45]
        [--skip power,evidence,import,latency]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = ROOT / "var" / "bench"


NOTES = """## What was profiled and changed

**(b) Import.** Profiled with cProfile on a 384-form file (PostgreSQL, loaded machine): each
new form went through `response_start` + `response_save` one by one — about 21 queries per form
— and the data-quality outlier rule read the scores of *every* complete form of the instrument
on every save (so the import slowed down as the registry grew); calc and branching expressions
and choice lists were parsed again for every form. 141 s → 13 s for those 384 forms after the
change: `records_import` now reads the existing forms in one query, creates the new ones with
`bulk_create` plus one history row each (acting user, reason), runs the quality rules with the
cohort read once per instrument (the outlier rule is screened with running sums and decided by
the rule itself on the exact cohort), and opens the queries in bulk; `instruments.logic` and
`instruments.redcap.parse_choices` cache what they parse. Still all or nothing, every problem
reported, re-import changes nothing (tests in `tests/interop/`). What remains is the price of
checking each value: reading and validating every cell in Python (`form_values`,
`clean_answers`), building the model rows, the quality rules, Django's bulk insert of the JSON
answers (client-side quoting of arrays takes about a third of the write) and the command's
start-up (reported separately). COPY checks nothing; no way to ≤ 3× while still checking every
value was found in this session, and the target is **missed**.

**(c) Participant page.** It runs a constant 11 queries whatever the registry size (no query
per row; the identity was read twice — fixed). What is left per page is those round trips and
the template; with 20 clients on 2 CPUs shared with other jobs, bursts of requests queue behind
each other, which is what the p95 shows. With no think time the latency of the page and of the
bare view alike is queueing (clients ÷ throughput). Not done: fewer queries still — the
permission layer reads the user's memberships twice per request (also on the bare view), and the
consents, withdrawals, comorbidities and weights are one query each.
"""


def _run(name: str, argv: list[str], env: dict[str, str] | None = None) -> tuple[str, float]:
    print(f"== {name}: {' '.join(argv)}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, *argv],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    output = done.stdout.strip()
    if done.returncode != 0:
        output += f"\n\nFAILED (exit {done.returncode}):\n{done.stderr.strip()[-3000:]}"
    print(output, flush=True)
    return output, seconds


def _best(text: str, label: str) -> float | None:
    match = re.search(re.escape(label) + r".*?best\s+([0-9.]+) s", text)
    return float(match.group(1)) if match else None


def _evidence_row(text: str) -> str:
    page = _best(text, "page, first view")
    export = _best(text, "export route: total")
    if page is None or export is None:
        return "| (a) evidence computation | see section (a) | — | ≤ 2 s, faster than export |"
    verdict = "met" if page <= 2.0 and page < export else "**missed**"
    return (
        f"| (a) evidence page (first view) vs export + pandas/statsmodels | {page} s vs "
        f"{export} s | {page / export:.2f}× | ≤ 2 s and faster than export — {verdict} |"
    )


def _cpu() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown"
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return f"{models[0] if models else 'unknown'} × {len(models)} logical CPUs"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _postgres(server: str) -> str:
    try:
        import psycopg

        with psycopg.connect(f"{server}/postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return f"PostgreSQL {row[0]}" if row else "unknown"
    except Exception as exc:
        return f"unavailable ({exc.__class__.__name__})"


def _registry_database(server: str, participants: int) -> str:
    """The registry database the evidence and latency benchmarks share (built once per size)."""
    import psycopg

    sys.path.insert(0, str(BENCH))
    from bench_latency import database

    name = database(participants)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=45)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--skip", default="", help="Comma-separated: power,evidence,import,latency")
    args = parser.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    OUT.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    load_before = _load()
    sections: list[str] = []
    summary: list[str] = []

    if "power" not in skip:
        text, secs = _run("power", [str(BENCH / "bench_power.py")])
        sections.append(f"## Simulated power (bench_power.py, {secs:.0f} s)\n\n```\n{text}\n```\n")
    if "evidence" not in skip and (BENCH / "bench_evidence.py").exists():
        text, secs = _run(
            "evidence",
            [str(BENCH / "bench_evidence.py"), "--participants", str(args.participants)],
            {"DATABASE_URL": _registry_database(args.server, args.participants)},
        )
        sections.append(
            f"## (a) Program evidence vs export + pandas/statsmodels (bench_evidence.py, "
            f"{secs:.0f} s)\n\n```\n{text}\n```\n"
        )
        summary.append(_evidence_row(text))
    if "import" not in skip:
        figures_path = OUT / "import.json"
        figures_path.unlink(missing_ok=True)
        text, secs = _run(
            "import",
            [
                str(BENCH / "bench_import.py"),
                "--values",
                str(args.values),
                "--json",
                str(figures_path),
                "--server",
                args.server,
            ],
        )
        sections.append(
            f"## (b) REDCap import vs PostgreSQL COPY (bench_import.py, {secs:.0f} s)"
            f"\n\n```\n{text}\n```\n"
        )
        if figures_path.exists():
            f = json.loads(figures_path.read_text())
            verdict = "met" if f["ratio"] <= 3 else "**missed**"
            summary.append(
                f"| (b) import of {f['values']:,} values | {f['import_s']} s vs COPY "
                f"{f['copy_s']} s | {f['ratio']}× | ≤ 3× — {verdict} |"
            )
    if "latency" not in skip:
        figures_path = OUT / "latency.json"
        figures_path.unlink(missing_ok=True)
        text, secs = _run(
            "latency",
            [
                str(BENCH / "bench_latency.py"),
                "--participants",
                str(args.participants),
                "--seconds",
                str(args.seconds),
                "--json",
                str(figures_path),
                "--server",
                args.server,
            ],
        )
        sections.append(
            f"## (c) Participant page latency (bench_latency.py, {secs:.0f} s)"
            f"\n\n```\n{text}\n```\n"
        )
        if figures_path.exists():
            f = json.loads(figures_path.read_text())
            for title, block in (
                (f"{f['think_s']:g} s think time", f),
                ("no think time (saturated)", f["saturated"]),
            ):
                page, bare = block["participant_page"], block["bare_view"]
                verdict = "met" if page["p95_ms"] <= 100 else "**missed**"
                summary.append(
                    f"| (c) participant page, {f['users']} clients, {title} | p50 "
                    f"{page['p50_ms']:.0f} ms, p95 {page['p95_ms']:.0f} ms (bare view p50 "
                    f"{bare['p50_ms']:.0f} ms, p95 {bare['p95_ms']:.0f} ms) | "
                    f"{block['ratio_p95']}× (p95) | p95 ≤ 100 ms — {verdict} |"
                )

    machine = [
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- CPU: {_cpu()}",
        f"- Memory: {_memory()}",
        f"- Python: {platform.python_version()} ({platform.platform()})",
        f"- Database: {_postgres(args.server)} on loopback",
        f"- Load average (1 min) before / after: {load_before} / {_load()} — the machine is "
        "shared with other jobs; timings move with that load.",
        f"- Size: {args.participants:,} participants × 11 visits; import of {args.values:,} values",
    ]
    body = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/report.py`); synthetic data only.",
        "",
        "## Machine",
        "",
        *machine,
        "",
        "## Summary",
        "",
        "| Benchmark | Measured | Ratio | Target |",
        "|---|---|---|---|",
        *summary,
        "",
        *sections,
        NOTES,
    ]
    args.out.write_text("\n".join(body))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
