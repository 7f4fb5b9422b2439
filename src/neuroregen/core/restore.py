"""Restoring a backup without risking the target: load it into a staging copy beside the
target, verify every table against the manifest, and only then swap it into the target's place.

A failed load or verification drops the staging copy and leaves the target exactly as it was.
A target that held tables (allowed with ``force``) is not destroyed by the swap: it is kept
aside under a dated name the operator can inspect and then delete.

- SQLite: the staging copy is a new file in the target's folder; the swap is one atomic
  ``os.replace``, after the old file (checkpointed first, so its WAL is in it) is hard-linked
  aside.
- PostgreSQL: the staging copy is a new database; the swap renames the target aside and the
  staging database into its name in one transaction. Renaming needs the target to have no
  other sessions, so the application must be stopped when its own database is restored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuroregen.core.backup import (
    BackupError,
    PgTarget,
    compare,
    pg_digests,
    pg_restore,
    sqlite_digests,
)

PG_NAME_MAX = 63  # PostgreSQL truncates longer identifiers


class VerificationFailed(BackupError):
    """The restored copy differs from the manifest; the target was not touched."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Restored:
    tables: int
    kept_aside: str | None  # where the database that was replaced now is, if it held tables


def _suffix(kind: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{kind}-{stamp}-{uuid.uuid4().hex[:4]}"


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_holds_tables(path: Path) -> bool:
    if not path.exists():
        return False
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchone()
        )


def _sqlite_sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")]


def _sqlite_discard(path: Path) -> None:
    for file in (path, *_sqlite_sidecars(path)):
        file.unlink(missing_ok=True)


def _sqlite_keep_aside(target: Path) -> Path:
    """Put the current target file aside (it stays in place until the swap replaces it)."""
    with closing(sqlite3.connect(target)) as conn:
        # Committed pages still in the write-ahead log go into the file before it is kept.
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise BackupError(f"{target} is in use; stop the application and restore again")
    aside = target.with_name(f"{target.name}.{_suffix('replaced')}")
    try:
        os.link(target, aside)
    except OSError:  # a file system without hard links
        shutil.copy2(target, aside)
    return aside


def sqlite_restore_verified(
    backup: Path, target: Path, expected: dict[str, dict[str, Any]], *, force: bool
) -> Restored:
    """Restore ``backup`` into ``target`` only if the restored copy matches ``expected``."""
    holds_tables = _sqlite_holds_tables(target)
    if holds_tables and not force:
        raise BackupError(f"{target} already holds tables; use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f"{target.name}.{_suffix('restoring')}")
    try:
        with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src:
            with closing(sqlite3.connect(staging)) as dst:
                src.backup(dst)
        actual = sqlite_digests(staging)
        problems = compare(expected, actual)
        if problems:
            raise VerificationFailed(problems)
        aside = _sqlite_keep_aside(target) if holds_tables else None
        os.replace(staging, target)
    except BaseException:
        _sqlite_discard(staging)
        raise
    # The old database's log and lock files must not be applied to the new file.
    for sidecar in _sqlite_sidecars(target):
        sidecar.unlink(missing_ok=True)
    return Restored(len(actual), str(aside) if aside else None)


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_name(base: str, kind: str) -> str:
    suffix = "_" + _suffix(kind).replace("-", "_").lower()
    return base[: PG_NAME_MAX - len(suffix)] + suffix


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def _pg_admin(target: PgTarget) -> Iterator[Any]:
    """An autocommit session on a maintenance database (a database cannot rename itself)."""
    import psycopg

    last: Exception | None = None
    for name in ("postgres", "template1"):
        try:
            conn = dataclasses.replace(target, name=name).connect(autocommit=True)
        except psycopg.OperationalError as error:
            last = error
            continue
        with conn:
            yield conn
        return
    raise BackupError(f"cannot reach a maintenance database to restore {target.name}: {last}")


def _pg_other_sessions(admin: Any, name: str) -> int:
    (count,) = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    ).fetchone()
    return int(count)


def _pg_refuse_if_busy(admin: Any, name: str) -> None:
    others = _pg_other_sessions(admin, name)
    if others:
        raise BackupError(
            f"{others} other session(s) are connected to database {name}; stop the application "
            "(and any other clients) and restore again"
        )


def _pg_holds_tables(target: PgTarget) -> bool:
    with target.connect() as conn:
        row = conn.execute("SELECT 1 FROM pg_tables WHERE schemaname = 'public' LIMIT 1")
        return row.fetchone() is not None


def pg_restore_verified(
    backup: Path, target: PgTarget, expected: dict[str, dict[str, Any]], *, force: bool
) -> Restored:
    """Restore ``backup`` into a new database, verify it, then give it ``target``'s name."""
    import psycopg

    holds_tables = _pg_holds_tables(target)
    if holds_tables and not force:
        raise BackupError(f"database {target.name} already holds tables; use --force to replace")
    staging = dataclasses.replace(target, name=_pg_name(target.name, "restoring"))
    try:
        with _pg_admin(target) as admin:
            _pg_refuse_if_busy(admin, target.name)
            admin.execute(f"CREATE DATABASE {_ident(staging.name)}")
        try:
            pg_restore(backup, staging, force=False)
            actual = pg_digests(staging)
            problems = compare(expected, actual)
            if problems:
                raise VerificationFailed(problems)
            aside = _pg_swap(target, staging)
        except BaseException:
            with _pg_admin(target) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {_ident(staging.name)} WITH (FORCE)")
            raise
    except psycopg.Error as error:
        raise BackupError(f"restore into {target.name} failed: {error}") from error
    if holds_tables:
        return Restored(len(actual), aside)
    # An empty target was only renamed aside so the swap could be one transaction.
    try:
        with _pg_admin(target) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {_ident(aside)}")
    except psycopg.Error:
        return Restored(len(actual), aside)  # restored all the same; the operator is told
    return Restored(len(actual), None)


def _pg_swap(target: PgTarget, staging: PgTarget) -> str:
    aside = _pg_name(target.name, "replaced")
    with _pg_admin(target) as admin:
        _pg_refuse_if_busy(admin, target.name)
        with admin.transaction():
            admin.execute(f"ALTER DATABASE {_ident(target.name)} RENAME TO {_ident(aside)}")
            admin.execute(f"ALTER DATABASE {_ident(staging.name)} RENAME TO {_ident(target.name)}")
    return aside
