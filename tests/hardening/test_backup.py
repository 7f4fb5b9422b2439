"""Back up, restore into a fresh database, and find the same data, table by table."""

from __future__ import annotations

import sqlite3
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
