"""Two-factor sign-in: required for every staff role, optional for families."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from neuroregen.core.roles import Role
from neuroregen.core.security import LAST_SEEN_SESSION_KEY
from tests.helpers import PASSWORD, make_user
from tests.security.twofactor import confirmed_totp_device, current_code

STAFF_ROLES = [r for r in Role if r != Role.FAMILY]
SETUP = "/account/two-factor/setup/"
VERIFY = "/account/two-factor/verify/"


@pytest.fixture(autouse=True)
def _enforced(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


def password_client(user) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("role", STAFF_ROLES, ids=lambda r: r.value)
def test_staff_without_authenticator_must_enrol_before_any_page(role, site_a):
    site = None if role in (Role.MONITOR, Role.STATISTICIAN) else site_a
    user = make_user(role, site)
    client = password_client(user)
    for url in ("/", "/participants/", "/account/tokens/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(SETUP), url


@pytest.mark.parametrize("role", STAFF_ROLES, ids=lambda r: r.value)
def test_staff_with_authenticator_must_verify_before_any_page(role, site_a):
    site = None if role in (Role.MONITOR, Role.STATISTICIAN) else site_a
    user = make_user(role, site)
    confirmed_totp_device(user)
    client = password_client(user)
    response = client.get("/participants/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fparticipants%2F"


def test_family_may_sign_in_with_password_only(site_a):
    family = make_user(Role.FAMILY, site_a)
    client = password_client(family)
    assert client.get("/family/").status_code == 200


def test_enrolment_shows_qr_confirms_with_code_and_gives_recovery_codes(coordinator_a):
    client = password_client(coordinator_a)
    page = client.get(SETUP).content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=coordinator_a, confirmed=False)
    assert client.get(SETUP).status_code == 200
    assert TOTPDevice.objects.filter(user=coordinator_a).count() == 1  # reload keeps the QR

    wrong = client.post(SETUP, {"token": "000000" if current_code(device) != "000000" else "1"})
    assert "not valid" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302

    done = client.post(SETUP, {"token": current_code(device), "next": "/participants/"})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=coordinator_a).values_list("token", flat=True)
    )
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/participants/").status_code == 200


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(coordinator_a):
    device = confirmed_totp_device(coordinator_a)
    client = password_client(coordinator_a)
    wrong = client.post(VERIFY, {"token": "12345", "next": "/participants/"})
    assert wrong.status_code == 422
    assert client.get("/participants/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above started the back-off
    device.throttling_failure_timestamp = None
    device.save()
    right = client.post(VERIFY, {"token": current_code(device), "next": "/participants/"})
    assert right.status_code == 302
    assert right["Location"] == "/participants/"
    assert client.get("/participants/").status_code == 200


def test_repeated_wrong_codes_are_throttled(coordinator_a):
    device = confirmed_totp_device(coordinator_a)
    client = password_client(coordinator_a)
    for _ in range(3):
        client.post(VERIFY, {"token": "000001"})
    # Even the right code is refused while the back-off lasts.
    assert client.post(VERIFY, {"token": current_code(device)}).status_code == 422
    assert client.get("/").status_code == 302


def test_recovery_code_signs_in_once(coordinator_a):
    confirmed_totp_device(coordinator_a)
    from neuroregen.core.twofactor import recovery_codes_regenerate

    code = recovery_codes_regenerate(user=coordinator_a)[0]
    first = password_client(coordinator_a)
    assert first.post(VERIFY, {"token": code.upper()}).status_code == 302
    assert first.get("/").status_code == 200
    second = password_client(coordinator_a)
    assert second.post(VERIFY, {"token": code}).status_code == 422


def test_password_alone_cannot_replace_the_authenticator(coordinator_a):
    confirmed_totp_device(coordinator_a)
    client = password_client(coordinator_a)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=coordinator_a, confirmed=False).exists()


def test_next_may_not_leave_the_site(coordinator_a):
    device = confirmed_totp_device(coordinator_a)
    client = password_client(coordinator_a)
    response = client.post(VERIFY, {"token": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_staff_cannot_switch_two_factor_off_but_families_can(coordinator_a, site_a):
    device = confirmed_totp_device(coordinator_a)
    staff = password_client(coordinator_a)
    staff.post(VERIFY, {"token": current_code(device)})
    assert staff.post("/account/two-factor/", {"disable": "1"}).status_code == 403
    assert TOTPDevice.objects.filter(user=coordinator_a).exists()

    family = make_user(Role.FAMILY, site_a)
    client = password_client(family)
    setup = client.get(SETUP)
    assert "need a second factor" not in setup.content.decode()
    pending = TOTPDevice.objects.get(user=family)
    client.post(SETUP, {"token": current_code(pending)})
    assert client.post("/account/two-factor/", {"disable": "1"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=family).exists()


def test_idle_staff_session_ends_but_family_session_does_not(settings, coordinator_a, site_a):
    settings.NEUROREGEN_REQUIRE_2FA = False
    stale = int(time.time()) - (settings.NEUROREGEN_STAFF_IDLE_MINUTES * 60 + 5)
    staff = password_client(coordinator_a)
    assert staff.get("/participants/").status_code == 200
    session = staff.session
    session[LAST_SEEN_SESSION_KEY] = stale
    session.save()
    response = staff.get("/participants/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert "_auth_user_id" not in staff.session

    family = password_client(make_user(Role.FAMILY, site_a))
    session = family.session
    session[LAST_SEEN_SESSION_KEY] = stale
    session.save()
    assert family.get("/family/").status_code == 200
