"""Eight people save the same participant at once on the embedded SQLite database.

SQLite locks the whole file. A transaction that reads first and writes later gets
"database is locked" at once (not after the busy timeout) when another writer got there
first; that surfaced as a 500. Writes must instead be serialised: one save wins, the others
wait their turn and then see the stale version, a 409 conflict like on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.test import Client

from neuroregen.api.services import api_token_create
from neuroregen.participants.models import Participant
from tests.helpers import enrolled

WRITERS = 8

pytestmark = [
    # serialized_rollback: the flush after a transactional test must restore the migrations' data
    # (built-in instruments, content types) for the tests that follow on this worker.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite's file lock; PostgreSQL has its own test"
    ),
]


def _file_copy_of_the_test_database(path) -> dict:
    """The test database (in memory) copied to a file, and settings that open that file.

    The settings are the project's own for SQLite (timeout, transaction mode), so the test
    exercises what the demo server runs with.
    """
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return {**connection.settings_dict, "NAME": str(path), "OPTIONS": _project_options()}


def _project_options() -> dict:
    return dict(settings.DATABASES["default"].get("OPTIONS", {}))


def test_the_sqlite_settings_serialise_writers():
    options = _project_options()
    assert options.get("transaction_mode") == "IMMEDIATE"
    assert options.get("timeout", 5) >= 10


def test_eight_concurrent_saves_one_wins_the_others_get_409(tmp_path, site_a, coordinator_a):
    participant = enrolled(coordinator_a, site_a)
    opened = participant.row_version
    _row, token = api_token_create(user=coordinator_a, name="concurrency")
    database = _file_copy_of_the_test_database(tmp_path / "writers.sqlite3")
    ready = threading.Barrier(WRITERS, timeout=30)
    outcomes: dict[int, tuple[int, dict]] = {}

    def save(n: int) -> None:
        # Each thread opens its own connection to the file, as each server worker would.
        connections["default"] = DatabaseWrapper(database, alias="default")
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
            ready.wait()
            response = client.patch(
                f"/api/participants/{participant.study_code}",
                {
                    "row_version": opened,
                    "reason": f"hours corrected by writer {n}",
                    "changes": {"therapy_hours_per_week": str(10 + n)},
                },
                content_type="application/json",
            )
            json_body = response["Content-Type"].startswith("application/json")
            body = response.json() if json_body else {}
            outcomes[n] = (response.status_code, body)
        except Exception as error:  # recorded, so the assertion below shows it
            outcomes[n] = (0, {"error": repr(error)})
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer is still waiting"

    statuses = sorted(status for status, _body in outcomes.values())
    assert statuses == [200] + [409] * (WRITERS - 1), outcomes
    winner = next(n for n, (status, _body) in outcomes.items() if status == 200)
    losers = [body for status, body in outcomes.values() if status == 409]
    assert all(body["code"] == "conflict" for body in losers), losers

    saved = sqlite3.connect(database["NAME"])
    hours, version = saved.execute(
        "SELECT therapy_hours_per_week, row_version FROM participants_participant WHERE id = ?",
        (participant.pk,),
    ).fetchone()
    reasons = [
        r[0]
        for r in saved.execute(
            "SELECT history_change_reason FROM participants_historicalparticipant "
            "WHERE id = ? ORDER BY history_id",
            (participant.pk,),
        )
    ]
    saved.close()
    assert float(hours) == 10 + winner
    assert version == opened + 1
    assert reasons[-1] == f"hours corrected by writer {winner}"
    assert Participant.objects.get(pk=participant.pk).row_version == opened  # copy untouched
