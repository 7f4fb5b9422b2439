"""Back up, restore into a fresh database, and find the same data, table by table."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import sqlite3
import tarfile
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from neuroregen.core import backup as b
from neuroregen.participants.models import Participant, ParticipantIdentity
from tests.helpers import enrolled, screen

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def registry(site_a, site_b, coordinator_a, coordinator_b):
    children = [enrolled(coordinator_a, site_a) for _ in range(3)]
    children.append(screen(coordinator_b, site_b, identity_overrides={"family_name": "Шевченко"}))
    return children


def live_digests() -> dict:
    return b.live_digests(connection)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite route; see the PG test")
def test_sqlite_backup_restores_identical_data_into_a_fresh_file(registry, tmp_path):
    backup = tmp_path / "nr.sqlite3"
    call_command("backup", output=str(backup))
    manifest = b.Manifest.load(b.manifest_path(backup))
    assert manifest.tables["participants_participant"]["rows"] == len(registry)
    assert manifest.tables == live_digests()

    restored = tmp_path / "restored.sqlite3"
    call_command("restore", str(backup), target=f"sqlite:///{restored}")
    assert b.sqlite_digests(restored) == live_digests()
    with closing(sqlite3.connect(restored)) as conn:
        codes = {r[0] for r in conn.execute("SELECT study_code FROM participants_participant")}
    assert codes == set(Participant.objects.values_list("study_code", flat=True))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite route")
def test_restore_refuses_a_damaged_backup_and_a_non_empty_target(registry, tmp_path):
    backup = tmp_path / "nr.sqlite3"
    call_command("backup", output=str(backup))
    restored = tmp_path / "restored.sqlite3"
    call_command("restore", str(backup), target=f"sqlite:///{restored}")
    with pytest.raises(CommandError, match="already holds tables"):
        call_command("restore", str(backup), target=f"sqlite:///{restored}")

    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, as a failing disk would leave it
    damaged.write_bytes(bytes(data))
    b.manifest_path(damaged).write_text(b.manifest_path(backup).read_text())
    with pytest.raises(CommandError, match="damaged or altered"):
        call_command("restore", str(damaged), target=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert not (tmp_path / "x.sqlite3").exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite route")
def test_verify_names_the_table_that_differs(registry, tmp_path):
    backup = tmp_path / "nr.sqlite3"
    call_command("backup", output=str(backup))
    restored = tmp_path / "restored.sqlite3"
    call_command("restore", str(backup), target=f"sqlite:///{restored}")
    with closing(sqlite3.connect(restored)) as conn:
        conn.execute("UPDATE participants_participant SET therapy_hours_per_week = 39")
        conn.execute(
            "DELETE FROM participants_participantidentity WHERE id = (SELECT MIN(id) "
            "FROM participants_participantidentity)"
        )
        conn.commit()
    with pytest.raises(CommandError) as error:
        call_command("restore", str(backup), target=f"sqlite:///{restored}", verify_only=True)
    message = str(error.value)
    assert "participants_participant: same row count but different content" in message
    identities = ParticipantIdentity.objects.count()
    assert f"participants_participantidentity: {identities - 1} rows, expected {identities}" in (
        message
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs DATABASE_URL pointing at PostgreSQL"
)
def test_postgresql_backup_restores_identical_data_into_a_fresh_database(registry, tmp_path):
    source = b.PgTarget.from_settings(connection.settings_dict)
    backup = tmp_path / "nr.dump"
    call_command("backup", output=str(backup))
    assert b.Manifest.load(b.manifest_path(backup)).tables == live_digests()

    fresh = f"{source.name}_restore_{uuid.uuid4().hex[:8]}"
    with source.connect(autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        target = b.PgTarget(fresh, source.user, source.password, source.host, source.port)
        url = f"postgres://{source.user}@{source.host or 'localhost'}:{source.port or 5432}/{fresh}"
        if source.password:
            url = url.replace("@", f":{source.password}@", 1)
        call_command("restore", str(backup), target=url)
        assert b.pg_digests(target) == b.pg_digests(source)
        assert b.pg_digests(target)["participants_participant"]["rows"] == len(registry)
    finally:
        with source.connect(autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')


def test_manifest_survives_a_round_trip(tmp_path: Path):
    manifest = b.Manifest(
        "sqlite", "2026-01-01T00:00:00+00:00", "ab", {"t": {"rows": 1, "sha256": "cd"}}
    )
    path = tmp_path / "m.json"
    path.write_text(manifest.to_json())
    assert b.Manifest.load(path) == manifest


def _media(root: Path) -> dict[str, bytes]:
    files = {
        "instrument_files/3f2a.pdf": b"%PDF-1.4 scanned consent\n",
        "instrument_files/9c1e.png": bytes(range(256)),
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite route")
def test_uploaded_files_are_backed_up_and_restored_with_the_database(registry, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    files = _media(settings.MEDIA_ROOT)
    backup = tmp_path / "nr.sqlite3"
    call_command("backup", output=str(backup))
    manifest = b.Manifest.load(b.manifest_path(backup))
    assert set(manifest.media["files"]) == set(files)
    assert b.media_archive_path(backup).is_file()

    # A drill into another database leaves the live files alone and only checks the archive.
    drill = tmp_path / "drill.sqlite3"
    call_command("restore", str(backup), target=f"sqlite:///{drill}")
    restored_media = tmp_path / "restored-media"
    assert not restored_media.exists()

    again = tmp_path / "again.sqlite3"
    call_command(
        "restore", str(backup), target=f"sqlite:///{again}", media_root=str(restored_media)
    )
    assert {
        p.relative_to(restored_media).as_posix(): p.read_bytes()
        for p in restored_media.rglob("*")
        if p.is_file()
    } == files

    (settings.MEDIA_ROOT / "instrument_files/9c1e.png").write_bytes(b"changed")
    with pytest.raises(CommandError, match=r"media instrument_files/9c1e.png: different content"):
        call_command(
            "restore",
            str(backup),
            target=f"sqlite:///{again}",
            verify_only=True,
            media_root=str(settings.MEDIA_ROOT),
        )


def test_a_damaged_or_hostile_media_archive_is_refused(tmp_path):
    root = tmp_path / "media"
    files = _media(root)
    archive = tmp_path / "nr.media.tar"
    media = b.media_backup(root, archive)
    assert media["files"] == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items()
    }
    data = bytearray(archive.read_bytes())
    data[700] ^= 0xFF
    damaged = tmp_path / "damaged.media.tar"
    damaged.write_bytes(bytes(data))
    with pytest.raises(b.BackupError, match="damaged or altered"):
        b.media_restore(damaged, media, tmp_path / "out")

    # An archive that tries to write outside its folder is refused even with a matching manifest.
    hostile = tmp_path / "hostile.media.tar"
    with tarfile.open(hostile, "w") as tar:
        payload = b"overwrite"
        info = tarfile.TarInfo("../escaped.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    forged = {
        "archive": hostile.name,
        "archive_sha256": b.file_sha256(hostile),
        "files": {"../escaped.txt": hashlib.sha256(payload).hexdigest()},
    }
    with pytest.raises(tarfile.OutsideDestinationError):
        b.media_restore(hostile, forged, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


# --- a restore whose verification fails leaves the target as it was -------------------------


def _tampered_sqlite_backup(backup: Path, tmp_path: Path) -> Path:
    """A copy of ``backup`` whose participant rows were altered and whose manifest checksum
    of the file was updated to match: only the per-table verification can catch it."""
    tampered = tmp_path / "tampered.sqlite3"
    tampered.write_bytes(backup.read_bytes())
    with closing(sqlite3.connect(tampered)) as conn:
        conn.execute("UPDATE participants_participant SET therapy_hours_per_week = 39")
        conn.commit()
    manifest = b.Manifest.load(b.manifest_path(backup))
    forged = dataclasses.replace(manifest, file_sha256=b.file_sha256(tampered))
    b.manifest_path(tampered).write_text(forged.to_json())
    return tampered


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite route")
def test_sqlite_restore_that_fails_verification_leaves_the_target_untouched(registry, tmp_path):
    backup = tmp_path / "nr.sqlite3"
    call_command("backup", output=str(backup))
    tampered = _tampered_sqlite_backup(backup, tmp_path)

    target = tmp_path / "target.sqlite3"
    call_command("restore", str(backup), target=f"sqlite:///{target}")
    before = target.read_bytes()
    with pytest.raises(CommandError) as error:
        call_command("restore", str(tampered), target=f"sqlite:///{target}", force=True)
    message = str(error.value)
    assert "participants_participant: same row count but different content" in message
    assert "left unchanged" in message
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("target")) == [
        "target.sqlite3"
    ]

    fresh = tmp_path / "fresh.sqlite3"
    with pytest.raises(CommandError, match="participants_participant"):
        call_command("restore", str(tampered), target=f"sqlite:///{fresh}")
    assert not fresh.exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite route")
def test_forced_sqlite_restore_keeps_the_replaced_database_aside(registry, tmp_path):
    backup = tmp_path / "nr.sqlite3"
    call_command("backup", output=str(backup))
    target = tmp_path / "target.sqlite3"
    call_command("restore", str(backup), target=f"sqlite:///{target}")
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("UPDATE participants_participant SET therapy_hours_per_week = 39")
        conn.commit()
    changed = b.sqlite_digests(target)
    out = io.StringIO()
    call_command("restore", str(backup), target=f"sqlite:///{target}", force=True, stdout=out)
    assert b.sqlite_digests(target) == b.Manifest.load(b.manifest_path(backup)).tables
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith("target.sqlite3.replaced-")]
    assert b.sqlite_digests(aside) == changed
    assert aside.name in out.getvalue()


def _pg_url(target: b.PgTarget) -> str:
    auth = f"{target.user}:{target.password}" if target.password else target.user
    return f"postgres://{auth}@{target.host or 'localhost'}:{target.port or 5432}/{target.name}"


def _databases(source: b.PgTarget, prefix: str) -> set[str]:
    with source.connect(autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)
        ).fetchall()
    return {r[0] for r in rows}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs DATABASE_URL pointing at PostgreSQL"
)
def test_postgresql_restore_that_fails_verification_leaves_the_target_untouched(registry, tmp_path):
    source = b.PgTarget.from_settings(connection.settings_dict)
    backup = tmp_path / "nr.dump"
    call_command("backup", output=str(backup))
    manifest = b.Manifest.load(b.manifest_path(backup))
    # The dump is unchanged but the manifest expects other participant rows: as if the dump
    # had been altered and its file checksum recomputed.
    tables = dict(manifest.tables)
    tables["participants_participant"] = {**tables["participants_participant"], "sha256": "0" * 64}
    tampered = tmp_path / "tampered.dump"
    tampered.write_bytes(backup.read_bytes())
    b.manifest_path(tampered).write_text(dataclasses.replace(manifest, tables=tables).to_json())

    fresh = f"{source.name}_rt_{uuid.uuid4().hex[:8]}"
    with source.connect(autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    target = b.PgTarget(fresh, source.user, source.password, source.host, source.port)
    try:
        with pytest.raises(CommandError) as error:
            call_command("restore", str(tampered), target=_pg_url(target))
        assert "participants_participant: same row count but different content" in str(error.value)
        assert b.pg_digests(target) == {}  # still empty

        call_command("restore", str(backup), target=_pg_url(target))
        before = b.pg_digests(target)
        with pytest.raises(CommandError, match="left unchanged"):
            call_command("restore", str(tampered), target=_pg_url(target), force=True)
        assert b.pg_digests(target) == before
        assert _databases(source, fresh) == {fresh}  # no staging database left behind

        out = io.StringIO()
        call_command("restore", str(backup), target=_pg_url(target), force=True, stdout=out)
        assert b.pg_digests(target) == manifest.tables
        (aside,) = _databases(source, fresh) - {fresh}
        assert aside in out.getvalue()
    finally:
        with source.connect(autocommit=True) as admin:
            for name in _databases(source, fresh):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
