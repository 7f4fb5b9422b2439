import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from neuroregen.core import crypto
from neuroregen.core.roles import Role
from neuroregen.participants import selectors
from neuroregen.participants.models import ParticipantIdentity
from tests.helpers import make_user, screen

BIRTH = dt.date(2019, 3, 14)


def _raw_identity_row(participant_id):
    table = ParticipantIdentity._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT given_name, family_name, date_of_birth, guardian_name, guardian_email "  # noqa: S608
            f"FROM {table} WHERE participant_id = %s",
            [participant_id],
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_database_columns_hold_no_plaintext(coordinator_a, site_a):
    participant = screen(
        coordinator_a,
        site_a,
        identity_overrides={
            "given_name": "Oksana",
            "family_name": "Kovalenko",
            "date_of_birth": BIRTH,
            "guardian_email": "kovalenko@example.invalid",
        },
    )
    raw = _raw_identity_row(participant.pk)
    joined = " ".join(raw)
    for secret in ("Oksana", "Kovalenko", "2019-03-14", "kovalenko@example.invalid"):
        assert secret not in joined
    history_table = ParticipantIdentity.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT given_name FROM {history_table}")  # noqa: S608
        assert all("Oksana" not in row[0] for row in cursor.fetchall())
    identity = ParticipantIdentity.objects.get(participant=participant)
    assert identity.given_name == "Oksana"
    assert identity.birth_date == BIRTH


@pytest.mark.django_db
def test_lookup_by_blind_index_ignores_case_accents_and_spacing(coordinator_a, site_a):
    participant = screen(
        coordinator_a,
        site_a,
        identity_overrides={
            "given_name": "Zoë",
            "family_name": "Hrytsenko",
            "date_of_birth": BIRTH,
        },
    )
    found = selectors.participant_find_by_identity(
        user=coordinator_a, given_name=" zoe ", family_name="HRYTSENKO", date_of_birth=BIRTH
    )
    assert list(found) == [participant]
    assert not selectors.participant_find_by_identity(
        user=coordinator_a,
        given_name="Zoe",
        family_name="Hrytsenko",
        date_of_birth=dt.date(2019, 3, 15),
    ).exists()


@pytest.mark.django_db
def test_blind_index_lookup_respects_sites(coordinator_a, site_a, site_b):
    screen(
        coordinator_a,
        site_a,
        identity_overrides={"given_name": "Ira", "family_name": "Bondar", "date_of_birth": BIRTH},
    )
    coordinator_b = make_user(Role.COORDINATOR, site_b)
    assert not selectors.participant_find_by_identity(
        user=coordinator_b, given_name="Ira", family_name="Bondar", date_of_birth=BIRTH
    ).exists()


@pytest.mark.django_db
def test_key_rotation_keeps_data_readable_and_retires_old_key(coordinator_a, site_a, settings):
    participant = screen(
        coordinator_a,
        site_a,
        identity_overrides={"given_name": "Petro", "family_name": "Melnyk", "date_of_birth": BIRTH},
    )
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    old_token = _raw_identity_row(participant.pk)[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]
    call_command("rotate_identity_keys", stdout=open("/dev/null", "w"))
    new_token = _raw_identity_row(participant.pk)[0]
    assert new_token != old_token
    assert Fernet(new_key.encode()).decrypt(new_token.encode()).decode() == "Petro"
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # old key removed after rotation
    identity = ParticipantIdentity.objects.get(participant=participant)
    assert (identity.given_name, identity.family_name, identity.birth_date) == (
        "Petro",
        "Melnyk",
        BIRTH,
    )
    assert crypto.decrypt(crypto.encrypt("x")) == "x"


@pytest.mark.django_db
def test_statistician_never_receives_identity(coordinator_a, site_a, statistician):
    participant = screen(coordinator_a, site_a)
    assert selectors.identity_get(user=statistician, participant=participant) is None
    assert selectors.identity_get(user=coordinator_a, participant=participant) is not None
