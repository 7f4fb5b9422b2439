"""User management for administrators: invite staff, change role (e-signed), deactivate,
reset two-factor, unlock — each audited with who and why; every other role gets 403."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from neuroregen.accounts.models import AccountEvent
from neuroregen.api.models import ApiToken
from neuroregen.api.services import api_token_create
from neuroregen.core.models import ElectronicSignature, SiteMembership, User
from neuroregen.core.roles import Role
from tests.helpers import PASSWORD, make_user, screen
from tests.security.battery import client_for
from tests.security.twofactor import confirmed_totp_device

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-staff-password-31"


@pytest.fixture(autouse=True)
def _two_factor_enforced(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


@pytest.fixture
def admin(db):
    return make_user(Role.ADMINISTRATOR, None, "admin")


@pytest.fixture
def admin_client(admin):
    return client_for(admin)


def events(target, action):
    return AccountEvent.objects.filter(target=target, action=action)


def test_invite_staff_with_role_and_site_and_set_password_once(admin_client, admin, site_a):
    response = admin_client.post(
        reverse("accounts:invite"),
        {
            "username": "new-investigator",
            "first_name": "Olena",
            "last_name": "Koval",
            "email": "olena@example.invalid",
            "role": "investigator",
            "site": site_a.pk,
            "reason": "joins the Kyiv team",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    link = re.search(r'data-testid="welcome-link">([^<]+)<', body).group(1)
    user = User.objects.get(username="new-investigator")
    assert not user.has_usable_password()
    assert SiteMembership.objects.filter(user=user, site=site_a, role="investigator").exists()
    event = events(user, "invited").get()
    assert event.actor == admin
    assert event.reason == "joins the Kyiv team"

    path = link.split("testserver", 1)[-1]
    visitor = Client()
    assert visitor.get(path).status_code == 200
    response = visitor.post(path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert Client().login(username="new-investigator", password=NEW_PASSWORD)
    # The link is used up once the password is set.
    assert Client().get(path).status_code == 410


def test_invite_lists_every_problem_at_once_and_creates_nothing(admin_client):
    response = admin_client.post(
        reverse("accounts:invite"),
        {"username": "", "role": "coordinator", "site": "", "reason": ""},
    )
    assert response.status_code == 422
    body = response.content.decode()
    for field in ("username", "site", "reason"):
        assert f'data-field-error="{field}"' in body, field
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "username", ["<script>alert(1)</script>", "a b", "name;--", "\u202eevil", "../../etc"]
)
def test_a_user_name_outside_djangos_rule_is_refused_and_the_form_kept(
    admin_client, site_a, username
):
    """Found by the form crawler: a hostile user name was accepted, so the page showed a
    welcome link instead of the form with its problem."""
    response = admin_client.post(
        reverse("accounts:invite"),
        {
            "username": username,
            "first_name": "Olena",
            "role": "coordinator",
            "site": site_a.pk,
            "reason": "joins the team",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-field-error="username"' in body
    assert 'value="Olena"' in body
    assert not User.objects.filter(username=username).exists()


def test_family_accounts_are_not_invited_here(admin_client, site_a):
    response = admin_client.post(
        reverse("accounts:invite"),
        {"username": "fam", "role": "family", "site": site_a.pk, "reason": "x"},
    )
    assert response.status_code == 422
    assert not User.objects.filter(username="fam").exists()


def test_role_change_needs_the_administrators_signature(admin_client, admin, site_a):
    target = make_user(Role.COORDINATOR, site_a, "promote-me")
    membership = target.memberships.get()
    url = reverse("accounts:role", args=[target.pk])
    wrong = admin_client.post(
        url,
        {
            "membership": membership.pk,
            "role": "investigator",
            "site": site_a.pk,
            "reason": "qualified",
            "password": "not-my-password",
        },
    )
    assert wrong.status_code == 403
    membership.refresh_from_db()
    assert membership.role == "coordinator"
    assert not events(target, "role_changed").exists()

    right = admin_client.post(
        url,
        {
            "membership": membership.pk,
            "role": "investigator",
            "site": site_a.pk,
            "reason": "qualified as investigator",
            "password": PASSWORD,
        },
    )
    assert right.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "investigator"
    signature = ElectronicSignature.objects.get(object_id=str(membership.pk))
    assert signature.signer == admin
    event = events(target, "role_changed").get()
    assert event.actor == admin
    assert event.details["from"] == "coordinator"
    assert event.details["to"] == "investigator"
    assert membership.history.first().history_user == admin


def test_deactivate_stops_sign_in_and_tokens(admin_client, admin, site_a):
    target = make_user(Role.COORDINATOR, site_a, "leaver")
    confirmed_totp_device(target)
    token, raw = api_token_create(user=target, name="script")
    response = admin_client.post(
        reverse("accounts:deactivate", args=[target.pk]), {"reason": "left the programme"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert not Client().login(username="leaver", password=PASSWORD)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/participants/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert events(target, "deactivated").get().actor == admin


def test_reason_is_required(admin_client, site_a):
    target = make_user(Role.COORDINATOR, site_a, "stays")
    response = admin_client.post(reverse("accounts:deactivate", args=[target.pk]), {"reason": ""})
    assert response.status_code == 422
    target.refresh_from_db()
    assert target.is_active


def test_administrator_cannot_deactivate_themselves(admin_client, admin):
    response = admin_client.post(reverse("accounts:deactivate", args=[admin.pk]), {"reason": "x"})
    assert response.status_code == 422
    admin.refresh_from_db()
    assert admin.is_active


def test_two_factor_reset_removes_devices_and_revokes_tokens(admin_client, admin, site_a):
    target = make_user(Role.COORDINATOR, site_a, "lost-phone")
    confirmed_totp_device(target)
    token, _raw = api_token_create(user=target, name="script")
    response = admin_client.post(
        reverse("accounts:reset_2fa", args=[target.pk]), {"reason": "phone lost, ticket 42"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert events(target, "two_factor_reset").get().reason == "phone lost, ticket 42"


def test_unlock_lets_a_locked_account_sign_in_again(settings, admin_client, admin, site_a):
    settings.AXES_ENABLED = True
    target = make_user(Role.COORDINATOR, site_a, "locked-out")
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=f"127.0.0.{n + 2}").post(
            "/login/", {"username": "locked-out", "password": "wrong"}
        )
    locked = Client(REMOTE_ADDR="127.0.0.50")
    assert (
        locked.post("/login/", {"username": "locked-out", "password": PASSWORD}).status_code == 429
    )
    detail = admin_client.get(reverse("accounts:detail", args=[target.pk])).content.decode()
    assert 'data-testid="locked"' in detail
    response = admin_client.post(
        reverse("accounts:unlock", args=[target.pk]), {"reason": "verified by phone"}
    )
    assert response.status_code == 302
    again = Client(REMOTE_ADDR="127.0.0.51")
    again.post("/login/", {"username": "locked-out", "password": PASSWORD})
    assert "_auth_user_id" in again.session
    assert events(target, "unlocked").get().actor == admin


def test_site_administrator_manages_only_own_site(site_a, site_b):
    site_admin = make_user(Role.ADMINISTRATOR, site_a, "site-admin-a")
    elsewhere = make_user(Role.COORDINATOR, site_b, "coord-elsewhere")
    client = client_for(site_admin)
    assert "coord-elsewhere" not in client.get(reverse("accounts:list")).content.decode()
    assert client.get(reverse("accounts:detail", args=[elsewhere.pk])).status_code == 404
    response = client.post(reverse("accounts:deactivate", args=[elsewhere.pk]), {"reason": "x"})
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.is_active
    response = client.post(
        reverse("accounts:invite"),
        {"username": "sneaky", "role": "coordinator", "site": site_b.pk, "reason": "x"},
    )
    assert response.status_code == 422
    assert not User.objects.filter(username="sneaky").exists()


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_pages_render_in_every_language(admin_client, site_a, language):
    target = make_user(Role.LAB, site_a, "lab-person")
    for url in (
        reverse("accounts:list"),
        reverse("accounts:invite"),
        reverse("accounts:detail", args=[target.pk]),
    ):
        response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        assert "lab-person" in response.content.decode() or url == reverse("accounts:invite")


# --- only administrators -------------------------------------------------------------------

OTHER_ROLES = [r for r in Role if r != Role.ADMINISTRATOR]


@pytest.mark.parametrize("role", OTHER_ROLES, ids=lambda r: r.value)
def test_every_other_role_gets_403_and_changes_nothing(role, site_a, coordinator_a):
    site = None if role in (Role.MONITOR, Role.STATISTICIAN) else site_a
    user = make_user(role, site, f"not-admin-{role.value}")
    if role == Role.FAMILY:
        from neuroregen.participants.models import FamilyLink

        FamilyLink.objects.create(user=user, participant=screen(coordinator_a, site_a))
    target = make_user(Role.COORDINATOR, site_a, "victim")
    client = client_for(user)
    for url in (
        reverse("accounts:list"),
        reverse("accounts:invite"),
        reverse("accounts:detail", args=[target.pk]),
    ):
        assert client.get(url).status_code == 403, url
    for name in ("deactivate", "reset_2fa", "unlock", "role"):
        response = client.post(
            reverse(f"accounts:{name}", args=[target.pk]),
            {"reason": "x", "password": PASSWORD, "role": "administrator", "membership": 0},
        )
        assert response.status_code == 403, name
    response = client.post(
        reverse("accounts:invite"),
        {"username": "x-admin", "role": "administrator", "site": "", "reason": "x"},
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active
    assert not User.objects.filter(username="x-admin").exists()
    assert not AccountEvent.objects.exists()
    assert ApiToken.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(site_a):
    target = make_user(Role.COORDINATOR, site_a, "someone")
    for url in (reverse("accounts:list"), reverse("accounts:detail", args=[target.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
