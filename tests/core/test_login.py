import pytest
from django.test import Client

from neuroregen.core.roles import Role
from tests.helpers import PASSWORD, make_user


@pytest.mark.django_db
def test_repeated_failures_lock_the_account(settings, site_a):
    settings.AXES_ENABLED = True
    user = make_user(Role.COORDINATOR, site_a, "lock-me")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": user.username, "password": "wrong"})
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_correct_password_signs_in(site_a):
    user = make_user(Role.COORDINATOR, site_a, "ok-user")
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(settings, site_a):
    from neuroregen import settings as configured

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    user = make_user(Role.COORDINATOR, site_a, "hash-user")
    assert user.password.startswith("argon2")
