"""API tokens: owner, scope, expiry, revocation and two-factor (issue 16, observation 3)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from neuroregen.api.models import ApiToken
from neuroregen.api.services import api_token_create
from neuroregen.core.errors import NotPermitted, ValidationFailed
from neuroregen.core.roles import Role
from tests.helpers import make_user, screen
from tests.security.twofactor import confirmed_totp_device, verify_session

pytestmark = pytest.mark.django_db

PARTICIPANTS = "/api/participants/"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def get(raw: str, url: str = PARTICIPANTS):
    return Client().get(url, **bearer(raw))


def post_screen(raw: str, site) -> object:
    body = {
        "site": site.code,
        "identity": {
            "given_name": "Api",
            "family_name": "Child",
            "date_of_birth": "2021-03-04",
            "guardian_name": "Api Guardian",
            "guardian_relationship": "mother",
        },
        "research": {
            "sex": "F",
            "country": "UA",
            "preferred_language": "uk",
            "dsm5_severity": 2,
            "diagnostic_instrument": "ados2",
        },
    }
    return Client().post(PARTICIPANTS, json.dumps(body), "application/json", **bearer(raw))


def test_token_expires_after_its_lifetime(coordinator_a):
    token, raw = api_token_create(user=coordinator_a, name="laptop")
    assert token.expires_at - timezone.now() > dt.timedelta(days=89)
    assert token.expires_at - timezone.now() <= dt.timedelta(days=90)
    assert get(raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = get(raw)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_expiry_is_at_most_one_year(coordinator_a):
    with pytest.raises(ValidationFailed) as error:
        api_token_create(user=coordinator_a, name="forever", expires_in_days=366)
    assert error.value.field == "expires_in_days"
    token, _raw = api_token_create(user=coordinator_a, name="year", expires_in_days=365)
    assert token.expires_at - timezone.now() > dt.timedelta(days=364)


def test_password_change_revokes_tokens(coordinator_a):
    token, raw = api_token_create(user=coordinator_a, name="laptop")
    coordinator_a.set_password("a-brand-new-password-77")
    coordinator_a.save()
    assert get(raw).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_password_replaced_without_set_password_also_stops_the_token(coordinator_a):
    from django.contrib.auth.hashers import make_password

    _token, raw = api_token_create(user=coordinator_a, name="laptop")
    coordinator_a.password = make_password("changed-behind-our-back-1")
    coordinator_a.save()
    assert get(raw).status_code == 401


def test_read_only_token_is_refused_on_writes(coordinator_a, site_a):
    _token, raw = api_token_create(user=coordinator_a, name="reader", access="read")
    assert get(raw).status_code == 200
    response = post_screen(raw, site_a)
    assert response.status_code == 403
    assert response.json()["code"] == "token_scope"


def test_read_write_token_may_write(coordinator_a, site_a):
    _token, raw = api_token_create(user=coordinator_a, name="writer", access="read_write")
    assert post_screen(raw, site_a).status_code == 201


def test_app_scope_is_enforced_per_router(coordinator_a, site_a):
    screen(coordinator_a, site_a)
    _token, raw = api_token_create(user=coordinator_a, name="evidence only", apps=["evidence"])
    response = get(raw)
    assert response.status_code == 403
    assert response.json()["code"] == "token_scope"
    _token, raw = api_token_create(user=coordinator_a, name="registry", apps=["participants"])
    assert get(raw).status_code == 200
    assert get(raw, "/api/safety/events").status_code == 403


def test_unknown_app_is_refused(coordinator_a):
    with pytest.raises(ValidationFailed) as error:
        api_token_create(user=coordinator_a, name="x", apps=["nonsense"])
    assert error.value.field == "apps"


def test_token_made_before_enrolment_is_refused_when_two_factor_is_required(
    settings, coordinator_a
):
    settings.NEUROREGEN_REQUIRE_2FA = False
    _token, raw = api_token_create(user=coordinator_a, name="early")
    settings.NEUROREGEN_REQUIRE_2FA = True
    response = get(raw)
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"
    confirmed_totp_device(coordinator_a)
    assert get(raw).status_code == 200


def test_staff_cannot_create_a_token_before_enrolling(settings, coordinator_a):
    settings.NEUROREGEN_REQUIRE_2FA = True
    with pytest.raises(NotPermitted):
        api_token_create(user=coordinator_a, name="too early")
    confirmed_totp_device(coordinator_a)
    api_token_create(user=coordinator_a, name="now")


def test_family_tokens_are_not_held_to_staff_two_factor(settings, site_a, coordinator_a):
    settings.NEUROREGEN_REQUIRE_2FA = True
    family = make_user(Role.FAMILY, site_a, "fam-token")
    api_token_create(user=family, name="family")


def test_openapi_declares_401_and_403_on_every_operation(coordinator_a):
    schema = Client().get("/api/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not {"401", "403"} <= set(operation["responses"])
    ]
    assert missing == []
    scheme = next(iter(schema["components"]["securitySchemes"].values()))
    assert "expire" in scheme.get("description", "")


# --- the token page -----------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    verify_session(client, user)
    return client


def test_token_page_creates_with_scope_and_expiry_and_shows_it_once(coordinator_a):
    client = signed_in(coordinator_a)
    response = client.post(
        "/account/tokens/",
        {"name": "analysis", "access": "read", "apps": ["evidence"], "expires_in_days": "30"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    token = ApiToken.objects.get(user=coordinator_a)
    assert token.access == "read"
    assert token.apps == ["evidence"]
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert 'data-testid="new-token"' in body
    assert f"nr_{token.prefix}_" in body
    again = client.get("/account/tokens/").content.decode()
    assert 'data-testid="new-token"' not in again
    assert token.prefix in again


def test_token_page_lists_every_error_at_once_and_keeps_input(coordinator_a):
    client = signed_in(coordinator_a)
    response = client.post(
        "/account/tokens/",
        {"name": "", "access": "read", "apps": [], "expires_in_days": "400"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert body.count("invalid-feedback") >= 3
    assert not ApiToken.objects.exists()


def test_token_page_revokes_only_own_tokens(coordinator_a, coordinator_b):
    mine, _ = api_token_create(user=coordinator_a, name="mine")
    theirs, _ = api_token_create(user=coordinator_b, name="theirs")
    client = signed_in(coordinator_a)
    assert client.post("/account/tokens/", {"revoke": theirs.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    client.post("/account/tokens/", {"revoke": mine.pk})
    mine.refresh_from_db()
    assert mine.revoked_at is not None


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_token_page_renders_in_every_language(coordinator_a, language):
    api_token_create(user=coordinator_a, name="listed")
    client = signed_in(coordinator_a)
    response = client.get("/account/tokens/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert "listed" in response.content.decode()


def test_enrolling_a_new_authenticator_revokes_tokens(coordinator_a):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from neuroregen.core import twofactor
    from tests.security.twofactor import current_code

    old = confirmed_totp_device(coordinator_a)
    token, raw = api_token_create(user=coordinator_a, name="laptop")
    pending = twofactor.totp_enrolment_start(user=coordinator_a)
    twofactor.totp_enrolment_confirm(user=coordinator_a, token=current_code(pending))
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert get(raw).status_code == 401


def test_an_abandoned_enrolment_does_not_revoke_tokens(coordinator_a):
    from neuroregen.core import twofactor

    confirmed_totp_device(coordinator_a)
    token, _raw = api_token_create(user=coordinator_a, name="laptop")
    twofactor.totp_enrolment_start(user=coordinator_a).delete()
    token.refresh_from_db()
    assert token.revoked_at is None
