import datetime as dt

import pytest

from neuroregen.core.errors import (
    DataEntryBlocked,
    InvalidTransition,
    NotPermitted,
    ValidationFailed,
)
from neuroregen.participants import services as ps
from neuroregen.participants.models import Participant, ParticipantIdentity
from tests.helpers import consent_document, enrolled, identity, research, screen, site_a_today

TODAY = site_a_today


@pytest.mark.django_db
def test_screening_creates_pseudonymous_participant(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a, identity_overrides={"family_name": "Shevchenko"})
    assert participant.status == "screening"
    assert participant.study_code.startswith("P-")
    assert "Shevchenko".upper() not in participant.study_code.upper()
    assert 59 <= participant.age_months_at_screening <= 62
    assert participant.history.count() == 1


@pytest.mark.django_db
def test_duplicate_child_at_same_site_is_refused(coordinator_a, site_a):
    same = {"given_name": "Anna", "family_name": "Lysenko", "date_of_birth": dt.date(2020, 1, 5)}
    screen(coordinator_a, site_a, identity_overrides=same)
    with pytest.raises(ValidationFailed, match="already registered at this site"):
        screen(coordinator_a, site_a, identity_overrides={**same, "given_name": "ANNA "})
    assert Participant.objects.count() == 1


@pytest.mark.django_db
def test_same_child_may_exist_at_another_site(coordinator_a, coordinator_b, site_a, site_b):
    same = {"given_name": "Anna", "family_name": "Lysenko", "date_of_birth": dt.date(2020, 1, 5)}
    screen(coordinator_a, site_a, identity_overrides=same)
    screen(coordinator_b, site_b, identity_overrides=same)
    assert ParticipantIdentity.objects.count() == 2


@pytest.mark.django_db
def test_future_birth_date_is_refused(coordinator_a, site_a):
    with pytest.raises(ValidationFailed, match="in the future") as info:
        screen(
            coordinator_a,
            site_a,
            identity_overrides={"date_of_birth": TODAY() + dt.timedelta(days=3)},
        )
    assert info.value.field == "date_of_birth"
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_unknown_site_is_refused(coordinator_a):
    with pytest.raises(ValidationFailed, match="Unknown site"):
        ps.participant_screen(
            user=coordinator_a, site=987654, identity=identity(), research=research()
        )


@pytest.mark.django_db
def test_coordinator_cannot_register_at_another_site(coordinator_a, site_b):
    with pytest.raises(NotPermitted):
        screen(coordinator_a, site_b)


@pytest.mark.django_db
def test_syndromic_without_syndrome_is_refused(coordinator_a, site_a):
    with pytest.raises(ValidationFailed) as info:
        screen(coordinator_a, site_a, research_overrides={"genetic_finding": "syndromic"})
    assert info.value.field == "syndrome"


@pytest.mark.django_db
def test_consent_dated_before_birth_is_refused(coordinator_a, site_a):
    birth = TODAY() - dt.timedelta(days=4 * 365)
    participant = screen(coordinator_a, site_a, identity_overrides={"date_of_birth": birth})
    with pytest.raises(ValidationFailed, match="before the child's birth"):
        ps.consent_record(
            user=coordinator_a,
            participant=participant,
            document=consent_document(),
            signed_on=birth - dt.timedelta(days=1),
            signed_by_relationship="mother",
        )
    assert not participant.consents.exists()
    assert Participant.objects.get(pk=participant.pk).status == "screening"


@pytest.mark.django_db
def test_guardian_consent_then_enrolment(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    with pytest.raises(InvalidTransition):
        ps.participant_enrol(user=coordinator_a, participant=participant)
    ps.consent_record(
        user=coordinator_a,
        participant=participant,
        document=consent_document(),
        signed_on=TODAY(),
        signed_by_relationship="father",
    )
    participant = ps.participant_enrol(user=coordinator_a, participant=participant)
    assert participant.status == "enrolled"
    assert participant.enrolled_on == TODAY()
    reasons = [h.history_change_reason for h in participant.history.all()]
    assert "enrolled" in reasons


@pytest.mark.django_db
def test_older_child_needs_assent_before_enrolment(coordinator_a, site_a):
    participant = screen(
        coordinator_a,
        site_a,
        identity_overrides={"date_of_birth": TODAY() - dt.timedelta(days=9 * 365)},
    )
    ps.consent_record(
        user=coordinator_a,
        participant=participant,
        document=consent_document(),
        signed_on=TODAY(),
        signed_by_relationship="mother",
    )
    with pytest.raises(ValidationFailed, match="assent"):
        ps.participant_enrol(user=coordinator_a, participant=participant)
    ps.consent_record(
        user=coordinator_a,
        participant=participant,
        document=consent_document("child_assent"),
        signed_on=TODAY(),
        signed_by_relationship="child",
    )
    assert ps.participant_enrol(user=coordinator_a, participant=participant).status == "enrolled"


@pytest.mark.django_db
def test_consent_on_unapproved_document_version_is_refused(coordinator_a, site_a):
    participant = screen(coordinator_a, site_a)
    document = consent_document()
    document.retired_on = TODAY() - dt.timedelta(days=10)
    document._change_reason = "superseded by v2"
    document.save()
    with pytest.raises(ValidationFailed, match="not approved"):
        ps.consent_record(
            user=coordinator_a,
            participant=participant,
            document=document,
            signed_on=TODAY(),
            signed_by_relationship="mother",
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scope", "contact_blocked", "record_blocked"),
    [
        ("no_further_contact", True, False),
        ("no_further_data", True, True),
        ("withdraw_data", True, True),
    ],
)
def test_withdrawal_blocks_matching_data_entry(
    coordinator_a, site_a, scope, contact_blocked, record_blocked
):
    participant = enrolled(coordinator_a, site_a)
    ps.consent_withdraw(
        user=coordinator_a,
        participant=participant,
        scope=scope,
        effective_on=TODAY(),
        reason="family decision",
    )
    participant.refresh_from_db()
    assert participant.status == "withdrawn"

    def measure():
        ps.anthropometry_record(
            user=coordinator_a, participant=participant, measured_on=TODAY(), weight_kg=20
        )

    def correct_record():
        ps.participant_update(
            user=coordinator_a,
            participant=participant,
            changes={"therapy_hours_per_week": 4},
            reason="from clinic notes",
            expected_version=participant.row_version,
        )

    for action, blocked in ((measure, contact_blocked), (correct_record, record_blocked)):
        if blocked:
            with pytest.raises(DataEntryBlocked):
                action()
        else:
            action()
    assert participant.anthropometry.count() == 0
    assert ps.data_excluded_from_analysis(participant) == (scope == "withdraw_data")


@pytest.mark.django_db
def test_data_gathered_before_no_further_data_withdrawal_may_still_be_entered(
    coordinator_a, site_a
):
    participant = enrolled(coordinator_a, site_a)
    ps.consent_withdraw(
        user=coordinator_a, participant=participant, scope="no_further_data", effective_on=TODAY()
    )
    ps.anthropometry_record(
        user=coordinator_a,
        participant=participant,
        measured_on=TODAY() - dt.timedelta(days=1),
        weight_kg=21,
    )
    assert participant.anthropometry.count() == 1


@pytest.mark.django_db
def test_withdrawn_participant_cannot_be_consented_again(coordinator_a, site_a):
    participant = enrolled(coordinator_a, site_a)
    ps.consent_withdraw(
        user=coordinator_a, participant=participant, scope="no_further_data", effective_on=TODAY()
    )
    with pytest.raises(InvalidTransition):
        ps.consent_record(
            user=coordinator_a,
            participant=participant,
            document=consent_document(),
            signed_on=TODAY(),
            signed_by_relationship="mother",
        )
