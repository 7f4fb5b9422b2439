import pytest

from neuroregen.core.audit import history_rows
from neuroregen.core.errors import Conflict, ReasonRequired
from neuroregen.participants import services as ps
from neuroregen.participants.models import Participant
from tests.helpers import screen


@pytest.mark.django_db
def test_edit_without_reason_is_refused_and_changes_nothing(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    with pytest.raises(ReasonRequired):
        ps.participant_update(
            user=coordinator_a,
            participant=participant,
            changes={"dsm5_severity": 3},
            reason="  ",
            expected_version=participant.row_version,
        )
    assert Participant.objects.get(pk=participant.pk).dsm5_severity == 2


@pytest.mark.django_db
def test_direct_save_without_reason_is_refused(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    participant.dsm5_severity = 1
    with pytest.raises(ReasonRequired):
        participant.save()


@pytest.mark.django_db
def test_history_records_before_after_user_and_reason(coordinator_a, investigator_a, site_a):
    participant = screen(coordinator_a, site_a)
    ps.participant_update(
        user=investigator_a,
        participant=participant,
        changes={"dsm5_severity": 3, "therapy_hours_per_week": 20},
        reason="ADOS-2 re-scored by second rater",
        expected_version=participant.row_version,
    )
    rows = history_rows(Participant.objects.get(pk=participant.pk))
    latest, first = rows[0], rows[-1]
    assert latest["user"] == investigator_a
    assert latest["reason"] == "ADOS-2 re-scored by second rater"
    changes = {c["field"]: (c["old"], c["new"]) for c in latest["changes"]}
    assert changes["dsm5_severity"] == (2, 3)
    assert float(changes["therapy_hours_per_week"][1]) == 20.0
    assert first["user"] == coordinator_a
    assert first["type"] == "Created"


@pytest.mark.django_db
def test_reason_is_not_reused_by_the_next_edit(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    participant = ps.participant_update(
        user=coordinator_a,
        participant=participant,
        changes={"dsm5_severity": 3},
        reason="correction",
        expected_version=participant.row_version,
    )
    participant.dsm5_severity = 1
    with pytest.raises(ReasonRequired):
        participant.save()


@pytest.mark.django_db
def test_concurrent_edit_is_detected_not_overwritten(coordinator_a, investigator_a, site_a):
    participant = screen(coordinator_a, site_a)
    opened_version = participant.row_version
    ps.participant_update(
        user=investigator_a,
        participant=participant,
        changes={"dsm5_severity": 3},
        reason="first editor",
        expected_version=opened_version,
    )
    with pytest.raises(Conflict):
        ps.participant_update(
            user=coordinator_a,
            participant=participant,
            changes={"dsm5_severity": 1},
            reason="second editor, stale form",
            expected_version=opened_version,
        )
    assert Participant.objects.get(pk=participant.pk).dsm5_severity == 3
