"""Sign-in lockout per account and per client address (issue 16, observation 4).

Lockout was per (username, address): wrong passwords from many addresses never locked the
account. Behind the production proxy every client arrives from the proxy's address, so the
client's own address is read from X-Forwarded-For, but only when the peer is a trusted proxy.
"""

from __future__ import annotations

import pytest
from django.test import Client

from neuroregen.core.roles import Role
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def _lockout_on(settings):
    settings.AXES_ENABLED = True
    settings.NEUROREGEN_FORWARDED_ALLOW_IPS = [PROXY]


def sign_in(username: str, password: str, address: str, forwarded: str | None = None) -> int:
    client = Client(REMOTE_ADDR=address)
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    response = client.post("/login/", {"username": username, "password": password}, **extra)
    signed_in = "_auth_user_id" in client.session
    return 200 if signed_in else response.status_code


def test_wrong_passwords_from_many_addresses_lock_the_account(settings, site_a):
    user = make_user(Role.COORDINATOR, site_a, "target")
    for n in range(2, 11):
        sign_in(user.username, "wrong-password", f"127.0.0.{n}")
    assert sign_in(user.username, PASSWORD, "127.0.0.11") == 429


def test_one_address_trying_many_accounts_is_locked(settings, site_a):
    users = [make_user(Role.COORDINATOR, site_a, f"user-{n}") for n in range(8)]
    for user in users[:-1]:
        sign_in(user.username, "wrong-password", "198.51.100.7")
    # This account had no failure, but the address that guessed at seven others is refused.
    assert sign_in(users[-1].username, PASSWORD, "198.51.100.7") == 429
    assert sign_in(users[-1].username, PASSWORD, "198.51.100.8") == 200


def test_behind_the_trusted_proxy_clients_are_told_apart(settings, site_a):
    attacker_targets = [make_user(Role.COORDINATOR, site_a, f"t-{n}") for n in range(6)]
    colleague = make_user(Role.COORDINATOR, site_a, "colleague")
    for user in attacker_targets:
        sign_in(user.username, "wrong-password", PROXY, forwarded="203.0.113.66")
    # Another client behind the same proxy still signs in.
    assert sign_in(colleague.username, PASSWORD, PROXY, forwarded="203.0.113.10") == 200
    # The attacking client is locked even for a correct password of another account.
    other = make_user(Role.COORDINATOR, site_a, "other")
    assert sign_in(other.username, PASSWORD, PROXY, forwarded="203.0.113.66") == 429


def test_forwarded_header_from_an_untrusted_peer_is_ignored(settings, site_a):
    users = [make_user(Role.COORDINATOR, site_a, f"u-{n}") for n in range(6)]
    for n, user in enumerate(users[:-1]):
        # A client that forges a new X-Forwarded-For on every attempt does not escape.
        sign_in(user.username, "wrong-password", "192.0.2.44", forwarded=f"203.0.113.{n}")
    assert sign_in(users[-1].username, PASSWORD, "192.0.2.44", forwarded="203.0.113.99") == 429


def test_client_address_resolution():
    from django.test import RequestFactory, override_settings

    from neuroregen.accounts.client_ip import client_ip

    factory = RequestFactory()
    with override_settings(NEUROREGEN_FORWARDED_ALLOW_IPS=["10.0.0.0/8"]):
        trusted = factory.get(
            "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5, 10.0.0.9"
        )
        # The right-most address not belonging to a trusted proxy is the client.
        assert client_ip(trusted) == "203.0.113.5"
        untrusted = factory.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
        assert client_ip(untrusted) == "192.0.2.1"
        garbage = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-ip")
        assert client_ip(garbage) == "10.0.0.5"
