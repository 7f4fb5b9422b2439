"""A REDCap import killed with SIGKILL half-way leaves the database exactly as it was, and the
same file then imports completely, once.

The import runs as ``neuroregen import redcap`` in a child process, so it cannot see this test's
transaction: the prepared data is committed, copied with ``neuroregen backup`` semantics into a
database of its own (an SQLite file under ``tmp_path``, or a fresh PostgreSQL database next to
the test database), and the child is pointed at that copy.

Half of the file's forms already exist with other answers (the import updates them one by one,
reporting progress) and half are new (created in bulk). The child is killed once it is
demonstrably inside its write transaction: its progress output shows some but not all forms
written, or the database shows its open write (SQLite's rollback journal exists; PostgreSQL
has given its session a transaction id), whichever is seen first.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from neuroregen.core import backup as b
from neuroregen.core.roles import Role
from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.models import Instrument, Response
from neuroregen.interop import services
from neuroregen.interop.csvsafe import write_csv
from neuroregen.interop.records import event_name, form_columns
from tests.helpers import make_user
from tests.instruments.builders import active_protocol, participant_with_visits

# serialized_rollback: later tests get the migrated rows (content types, built-ins) back.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROTOCOL = "NR-CELL-01"
# 4 children × 19 scheduled ATEC/CGI-I forms: each update takes tens of milliseconds, so the
# kill lands well inside the write phase; more children only slow the setup.
CHILDREN = 4
WRITE_GRACE = 0.3  # seconds between the first write seen in the database and the kill
PROGRESS = re.compile(rb"\((\d+)/(\d+)\)")


@dataclass
class Copy:
    """The database the child process opens: its URL, a digest of every table, and SQL."""

    url: str
    sqlite_path: Path | None = None
    pg: b.PgTarget | None = None

    def digests(self) -> dict[str, dict[str, Any]]:
        if self.pg is not None:
            return b.pg_digests(self.pg)
        # Any read-write opener rolls back the journal a killed writer left behind, as the app
        # itself does on its next start; the digest reader opens the file read-only.
        with closing(sqlite3.connect(self.sqlite_path)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return b.sqlite_digests(self.sqlite_path)

    @contextmanager
    def write_probe(self) -> Iterator[Any]:
        """A cheap check, polled while the child runs: has some session an open write?"""
        if self.pg is None:
            journal = Path(f"{self.sqlite_path}-journal")
            wal = Path(f"{self.sqlite_path}-wal")
            yield lambda: journal.exists() or (wal.exists() and wal.stat().st_size > 0)
            return
        with self.pg.connect(autocommit=True) as conn:
            sql = (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
            )
            yield lambda: conn.execute(sql).fetchone()[0] > 0

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.pg is not None:
            with self.pg.connect() as conn, conn.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        with closing(sqlite3.connect(self.sqlite_path)) as conn:
            return conn.execute(sql).fetchall()


@contextmanager
def committed_copy(tmp_path: Path) -> Iterator[Copy]:
    """A copy of the (committed) test database that another process can open."""
    if connection.vendor == "sqlite":
        path = tmp_path / "copy.sqlite3"
        connection.ensure_connection()
        b.sqlite_backup(connection.connection, path)
        yield Copy(url=f"sqlite:///{path}", sqlite_path=path)
        return
    source = b.PgTarget.from_settings(connection.settings_dict)
    dump = tmp_path / "copy.dump"
    b.pg_backup(source, dump)
    fresh = f"{source.name}_kill_{uuid.uuid4().hex[:8]}"
    with source.connect(autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        target = b.PgTarget(fresh, source.user, source.password, source.host, source.port)
        b.pg_restore(dump, target, force=False)
        auth = f"{source.user}:{source.password}" if source.password else source.user
        url = f"postgres://{auth}@{source.host or 'localhost'}:{source.port or 5432}/{fresh}"
        yield Copy(url=url, pg=target)
    finally:
        with source.connect(autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')


def records_file(participants: list[Any], seed: int) -> tuple[str, int]:
    """A longitudinal REDCap CSV with an ATEC at every scheduled visit of each child, plus
    CGI-I where the schedule asks for it; returns the text and the number of forms."""
    atec = Instrument.objects.prefetch_related("fields").get(code="atec")
    cgi_i = Instrument.objects.prefetch_related("fields").get(code="cgi_i")
    columns = [*form_columns(atec), *form_columns(cgi_i)]
    arms = sorted(a.code for a in active_protocol().arms.all())
    rows, forms = [], 0
    for index, (participant, visits) in enumerate(participants):
        for visit in visits.values():
            expected = set(visit.definition.instruments)
            if "atec" not in expected:
                continue
            shift = seed + index + len(visit.code)
            cells = {
                atec_item_name(k, n): str((shift + n) % (4 if k == "iv" else 3))
                for k, (_title, items) in ATEC_ITEMS.items()
                for n in range(1, len(items) + 1)
            }
            cells["atec_complete"] = "2"
            forms += 1
            if "cgi_i" in expected:
                cells.update(cgi_i=str(1 + shift % 7), cgi_i_complete="2")
                forms += 1
            arm = visit.assignment.arm.code if visit.assignment.arm else ""
            number = arms.index(arm) + 1 if arm in arms else 1
            rows.append(
                [
                    participant.study_code,
                    event_name(visit.code, number),
                    *(cells.get(c, "") for c in columns),
                ]
            )
    return write_csv(["record_id", "redcap_event_name", *columns], rows), forms


def import_command(path: Path, username: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "neuroregen",
        "import",
        "redcap",
        str(path),
        "--protocol",
        PROTOCOL,
        "--user",
        username,
    ]


def child_env(copy: Copy, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DATABASE_URL=copy.url, NEUROREGEN_VAR_DIR=str(tmp_path / "var"))
    return env


def kill_mid_write(
    argv: list[str], env: dict[str, str], writing: Any, timeout: float = 60
) -> tuple[str, bytes]:
    """Start the import and SIGKILL it inside its write transaction; returns what showed it
    ("progress" or "database") and the progress output seen."""
    child = subprocess.Popen(  # noqa: S603 - our own command
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seen = bytearray()

    def pump() -> None:
        # The progress bar redraws one line with carriage returns: read raw bytes, not lines.
        while chunk := os.read(child.stderr.fileno(), 4096):
            seen.extend(chunk)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    first_write = None
    try:
        while True:
            counts = [(int(d), int(t)) for d, t in PROGRESS.findall(bytes(seen))]
            if any(0 < d < t for d, t in counts):
                sign = "progress"
                break
            if first_write is None and writing():
                first_write = time.monotonic()
            # Once the write has begun, give it a moment to get some forms in before the kill.
            if first_write is not None and time.monotonic() - first_write > WRITE_GRACE:
                sign = "database"
                break
            assert child.poll() is None, f"import ended before it could be killed: {seen!r}"
            assert time.monotonic() < deadline, f"no write seen in {timeout} s: {seen!r}"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        reader.join(timeout=5)
    return sign, bytes(seen)


def test_sigkill_mid_import_changes_nothing_and_the_import_runs_again(
    site_a, coordinator_a, tmp_path
):
    admin = make_user(Role.ADMINISTRATOR, None)
    children = [participant_with_visits(coordinator_a, site_a) for _ in range(CHILDREN)]
    # The first half of the children already have their forms, with other answers.
    earlier, _n = records_file(children[: CHILDREN // 2], seed=1)
    services.redcap_import(user=admin, protocol=PROTOCOL, text=earlier, source_name="earlier.csv")
    text, forms = records_file(children, seed=0)
    existing = Response.objects.count()
    assert forms >= 60
    assert 0 < existing < forms
    upload = tmp_path / "large.csv"
    upload.write_text(text, encoding="utf-8")

    with committed_copy(tmp_path) as copy:
        before = copy.digests()
        assert before["instruments_response"]["rows"] == existing
        env = child_env(copy, tmp_path)
        argv = import_command(upload, admin.username)

        with copy.write_probe() as writing:
            sign, seen = kill_mid_write(argv, env, writing)
        assert sign in {"progress", "database"}, seen

        assert copy.digests() == before  # every table: row counts and content

        done = subprocess.run(  # noqa: S603
            argv, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        created = forms - existing
        assert f"{created} form(s) created, {existing} updated, 0 unchanged" in done.stdout
        assert copy.rows("SELECT count(*) FROM instruments_response") == [(forms,)]
        assert (
            copy.rows(
                "SELECT visit_id, instrument_id FROM instruments_response "
                "GROUP BY visit_id, instrument_id HAVING count(*) > 1"
            )
            == []
        )
        # Each form carries exactly one history entry of this file: it arrived once.
        assert copy.rows(
            "SELECT count(*), count(DISTINCT id) FROM instruments_historicalresponse "
            "WHERE history_change_reason LIKE '%imported from large.csv%'"
        ) == [(forms, forms)]
        changed = {t for t, d in copy.digests().items() if before.get(t) != d}
        assert "instruments_response" in changed
