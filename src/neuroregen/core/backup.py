"""Backups that prove themselves: a copy of the database plus a manifest of every table.

The manifest holds each table's row count and a SHA-256 over its rows in a fixed order, taken
from exactly the data that went into the copy:

- SQLite: the online backup API copies the live database page by page while the app keeps
  running; the manifest is computed from the copy (after ``PRAGMA integrity_check``).
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot, ``pg_dump --snapshot`` dumps
  that snapshot and the manifest is computed inside the same transaction.

Restoring (:mod:`neuroregen.core.restore`) verifies the backup file's own checksum first,
restores into a staging copy, recomputes the manifest of that copy and swaps it into the
target's place only if every table matches; otherwise the target is left unchanged.

Uploaded files (``MEDIA_ROOT``) go into ``FILE.media.tar`` beside the database copy, with the
SHA-256 of the archive and of every file in the manifest. The archive is taken *after* the
database snapshot: stored files are written once under random names and never changed, so every
file the snapshot refers to is in it (a newer file may be too, which is harmless).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

MANIFEST_FORMAT = 1
_BATCH = 2000


class BackupError(Exception):
    """The backup or restore could not be done, or its result does not match the manifest."""


@dataclass(frozen=True)
class Manifest:
    engine: str  # "sqlite" or "postgresql"
    created_at: str
    file_sha256: str
    tables: dict[str, dict[str, Any]]  # table -> {"rows": int, "sha256": str}
    # {"archive": name, "archive_sha256": str, "files": {relative path: sha256}}, or None
    media: dict[str, Any] | None = None

    def to_json(self) -> str:
        data = {
            "format": MANIFEST_FORMAT,
            "engine": self.engine,
            "created_at": self.created_at,
            "file_sha256": self.file_sha256,
            "tables": self.tables,
        }
        if self.media is not None:
            data["media"] = self.media
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text())
        if data.get("format") != MANIFEST_FORMAT:
            raise BackupError(f"{path}: unknown manifest format {data.get('format')!r}")
        return cls(
            data["engine"],
            data["created_at"],
            data["file_sha256"],
            data["tables"],
            data.get("media"),
        )

    @property
    def total_rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".manifest.json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _digest_rows(rows: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(json.dumps([_canonical(v) for v in row], default=str).encode())
        digest.update(b"\n")
        count += 1
    return {"rows": count, "sha256": digest.hexdigest()}


def _fetch_all(cursor: Any) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(_BATCH):
        yield from batch


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_digests(cursor: Any, tables: list[str]) -> dict[str, dict[str, Any]]:
    """Row count and SHA-256 of every table, rows ordered by all their columns."""
    result = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT * FROM {_quote(table)} WHERE 1=0")  # noqa: S608 - quoted name
        width = len(cursor.description)
        order = ", ".join(str(i) for i in range(1, width + 1))
        cursor.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")  # noqa: S608
        result[table] = _digest_rows(_fetch_all(cursor))
    return result


def compare(expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]) -> list[str]:
    """Human-readable differences between two sets of table digests; empty when identical."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            problems.append(f"{table}: missing from the restored database")
        elif table not in expected:
            problems.append(f"{table}: not in the backup")
        elif expected[table]["rows"] != actual[table]["rows"]:
            problems.append(
                f"{table}: {actual[table]['rows']} rows, expected {expected[table]['rows']}"
            )
        elif expected[table]["sha256"] != actual[table]["sha256"]:
            problems.append(f"{table}: same row count but different content")
    return problems


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return [r[0] for r in rows]


def sqlite_digests(path: Path) -> dict[str, dict[str, Any]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return table_digests(conn.cursor(), _sqlite_tables(conn))


def sqlite_live_digests(source: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Digests of a live database, read through a plain connection (no type converters) so
    they compare equal to those of a backup file."""
    with closing(sqlite3.connect(":memory:")) as copy:
        source.backup(copy)
        return table_digests(copy.cursor(), _sqlite_tables(copy))


def sqlite_backup(source: sqlite3.Connection, destination: Path) -> Manifest:
    """Copy a live SQLite database with the online backup API and describe the copy."""
    if destination.exists():
        raise BackupError(f"{destination} already exists")
    with closing(sqlite3.connect(destination)) as target:
        source.backup(target, pages=1024)
        (status,) = target.execute("PRAGMA integrity_check").fetchone()
        if status != "ok":
            raise BackupError(f"integrity check of the copy failed: {status}")
    return Manifest("sqlite", _now(), file_sha256(destination), sqlite_digests(destination))


# --- PostgreSQL -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PgTarget:
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_settings(cls, db: Mapping[str, Any]) -> PgTarget:
        return cls(
            name=db["NAME"],
            user=db.get("USER") or "",
            password=db.get("PASSWORD") or "",
            host=db.get("HOST") or "",
            port=str(db.get("PORT") or ""),
        )

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key, value in (
            ("PGDATABASE", self.name),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGHOST", self.host),
            ("PGPORT", self.port),
        ):
            if value:
                env[key] = value
        return env

    def connect(self, **kwargs: Any) -> Any:
        import psycopg

        params = {
            "dbname": self.name,
            "user": self.user,
            "password": self.password,
            "host": self.host,
            "port": self.port,
        }
        conninfo = psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v})
        return psycopg.connect(conninfo, **kwargs)


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian package postgresql-client)")
    return path


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return [r[0] for r in cursor.fetchall()]


@contextmanager
def _pg_snapshot(target: PgTarget) -> Iterator[Any]:
    import psycopg

    with target.connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            yield cursor
        conn.rollback()


def pg_digests(target: PgTarget) -> dict[str, dict[str, Any]]:
    with _pg_snapshot(target) as cursor:
        return table_digests(cursor, _pg_tables(cursor))


def pg_backup(target: PgTarget, destination: Path) -> Manifest:
    """pg_dump of one exported snapshot; the manifest is computed inside that snapshot."""
    if destination.exists():
        raise BackupError(f"{destination} already exists")
    with _pg_snapshot(target) as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        result = subprocess.run(  # noqa: S603 - fixed argv
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                f"--snapshot={snapshot}",
                f"--file={destination}",
                target.name,
            ],
            env=target.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            destination.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        tables = table_digests(cursor, _pg_tables(cursor))
    return Manifest("postgresql", _now(), file_sha256(destination), tables)


def pg_restore(backup: Path, target: PgTarget, *, force: bool) -> None:
    """Load a dump into ``target`` as it is (no verification): the loader that
    :func:`neuroregen.core.restore.pg_restore_verified` runs on its staging database."""
    with target.connect() as conn, conn.cursor() as cursor:
        existing = _pg_tables(cursor)
    if existing and not force:
        raise BackupError(f"database {target.name} already holds tables; use --force to replace")
    argv = [
        _pg_tool("pg_restore"),
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={target.name}",
    ]
    if existing:
        argv += ["--clean", "--if-exists"]
    result = subprocess.run(  # noqa: S603 - fixed argv
        [*argv, str(backup)], env=target.env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def live_digests(connection: Any) -> dict[str, dict[str, Any]]:
    """Digests of the database behind a Django connection, comparable with a manifest."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return sqlite_live_digests(connection.connection)
    if connection.vendor == "postgresql":
        return pg_digests(PgTarget.from_settings(connection.settings_dict))
    raise BackupError(f"{connection.vendor} databases are not supported")


# --- uploaded files ------------------------------------------------------------------------


def media_archive_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".media.tar")


def media_digests(root: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under ``root``."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): file_sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def media_backup(root: Path, archive: Path) -> dict[str, Any] | None:
    """Archive every file under ``root``; ``None`` when there is no media folder."""
    if not root.is_dir():
        return None
    files = media_digests(root)
    with tarfile.open(archive, "w") as tar:
        for relative in files:
            tar.add(root / relative, arcname=relative, recursive=False)
    return {"archive": archive.name, "archive_sha256": file_sha256(archive), "files": files}


def _archive_digests(archive: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                found[member.name] = hashlib.sha256(handle.read()).hexdigest()
    return found


def media_compare(expected: Mapping[str, str], actual: Mapping[str, str]) -> list[str]:
    """What differs between the manifest's files and those found (extra files are allowed)."""
    problems = []
    for name, digest in sorted(expected.items()):
        if name not in actual:
            problems.append(f"media {name}: missing")
        elif actual[name] != digest:
            problems.append(f"media {name}: different content")
    return problems


def media_check_archive(archive: Path, media: Mapping[str, Any]) -> list[str]:
    """The archive is the one the manifest names, and holds every file with its content."""
    if not archive.is_file():
        return [f"media archive {archive} is missing"]
    if file_sha256(archive) != media["archive_sha256"]:
        return [f"media archive {archive} does not match its manifest: damaged or altered"]
    return media_compare(media["files"], _archive_digests(archive))


def media_restore(archive: Path, media: Mapping[str, Any], root: Path) -> list[str]:
    """Unpack the archive into ``root`` (never outside it) and check every file afterwards."""
    problems = media_check_archive(archive, media)
    if problems:
        raise BackupError("; ".join(problems))
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")  # refuses absolute paths, "..", links out of root
    return media_compare(media["files"], media_digests(root))
