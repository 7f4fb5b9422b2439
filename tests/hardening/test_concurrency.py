"""Two people save the same participant at the same moment (PostgreSQL row locks)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from neuroregen.core.errors import Conflict
from neuroregen.participants.models import Participant
from neuroregen.participants.services import participant_update
from tests.helpers import enrolled

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises all writers with one database lock; run with DATABASE_URL "
        "pointing at PostgreSQL to test row-level locking",
    ),
]


def test_two_concurrent_edits_one_wins_the_other_gets_a_conflict(
    site_a, coordinator_a, investigator_a
):
    participant = enrolled(coordinator_a, site_a)
    opened_version = participant.row_version
    history_before = participant.history.count()
    both_ready = threading.Barrier(2, timeout=30)
    outcomes: dict[str, object] = {}

    def save(user, hours: str) -> None:
        try:
            with connections["default"].cursor() as cursor:
                # A stuck lock must surface as an error, never as a hang.
                cursor.execute("SET lock_timeout = '20s'")
            both_ready.wait()
            participant_update(
                user=user,
                participant=Participant.objects.get(pk=participant.pk),
                changes={"therapy_hours_per_week": Decimal(hours)},
                reason=f"corrected by {user.username}",
                expected_version=opened_version,
            )
            outcomes[user.username] = hours
        except Exception as error:
            outcomes[user.username] = error
        finally:
            connections["default"].close()

    threads = [
        threading.Thread(target=save, args=(coordinator_a, "12.5")),
        threading.Thread(target=save, args=(investigator_a, "20.0")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer is still waiting: deadlock"

    winners = {u: v for u, v in outcomes.items() if isinstance(v, str)}
    losers = {u: v for u, v in outcomes.items() if not isinstance(v, str)}
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    assert isinstance(next(iter(losers.values())), Conflict)

    participant.refresh_from_db()
    assert participant.therapy_hours_per_week == Decimal(next(iter(winners.values())))
    assert participant.row_version == opened_version + 1
    assert participant.history.count() == history_before + 1
    assert participant.history.first().history_change_reason == (
        f"corrected by {next(iter(winners))}"
    )
