"""Inviting an existing family account never resets its password (issue 16, observation 2).

A coordinator who re-invited a family username got a password-set link for that account, so
they could take it over and read a child of another site through it. An existing account now
gets a request to accept the new child, which the holder confirms while signed in.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from neuroregen.core.errors import DomainError, ValidationFailed
from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink
from neuroregen.participants.services import family_link_create
from neuroregen.reports import services
from neuroregen.reports.errors import InvitationUnusable
from neuroregen.reports.models import FamilyInvitation
from tests.helpers import PASSWORD, make_user, screen

pytestmark = pytest.mark.django_db

FAMILY_PASSWORD = "our-own-family-secret-2026"


@pytest.fixture
def kid_a(site_a, coordinator_a):
    return screen(coordinator_a, site_a)


@pytest.fixture
def kid_b(site_b, coordinator_b):
    return screen(coordinator_b, site_b)


@pytest.fixture
def family_of_b(kid_b, coordinator_b):
    _invitation, token = services.family_invite_create(
        user=coordinator_b, participant=kid_b, username="guardian-b"
    )
    return services.invitation_accept(
        token=token, password=FAMILY_PASSWORD, password_again=FAMILY_PASSWORD
    )


def _signs_in(username: str, password: str) -> bool:
    client = Client()
    client.post("/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def test_reinviting_a_family_linked_to_two_sites_gives_no_password_link(
    kid_a, kid_b, coordinator_a, family_of_b
):
    # The family has children at both sites (siblings); site A re-invites it.
    family_link_create(user=coordinator_a, family_user=family_of_b, participant=kid_a)
    token = None
    try:
        _invitation, token = services.family_invite_create(
            user=coordinator_a, participant=kid_a, username="guardian-b"
        )
    except DomainError:
        pass
    if token is not None:
        new_password = "coordinator-chosen-password-9"
        with pytest.raises(InvitationUnusable):
            services.invitation_accept(
                token=token, password=new_password, password_again=new_password
            )
        assert not _signs_in("guardian-b", new_password)
    assert _signs_in("guardian-b", FAMILY_PASSWORD)


def test_existing_family_gets_a_pending_link_request_not_a_link(
    kid_a, kid_b, coordinator_a, family_of_b
):
    invitation, token = services.family_invite_create(
        user=coordinator_a, participant=kid_a, username="guardian-b"
    )
    assert token is None
    assert invitation.kind == "link"
    assert invitation.created_by == coordinator_a
    # Until the family accepts, nothing of the child is visible to them.
    assert not FamilyLink.objects.filter(user=family_of_b, participant=kid_a).exists()
    assert _signs_in("guardian-b", FAMILY_PASSWORD)
    record = invitation.history.get()
    assert record.history_user == coordinator_a


def test_the_family_sees_the_request_and_accepts_it_while_signed_in(
    kid_a, kid_b, coordinator_a, family_of_b
):
    invitation, _token = services.family_invite_create(
        user=coordinator_a, participant=kid_a, username="guardian-b"
    )
    client = Client()
    client.force_login(family_of_b)
    home = client.get(reverse("family_home"))
    assert home.status_code == 200
    assert 'data-testid="family-link-request"' in home.content.decode()
    assert kid_a.study_code not in home.content.decode().split('data-testid="family-child"')[-1]

    response = client.post(
        reverse("family_link_respond", args=[invitation.pk]), {"action": "accept"}
    )
    assert response.status_code == 302
    assert FamilyLink.objects.filter(user=family_of_b, participant=kid_a).exists()
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    assert invitation.history.first().history_user == family_of_b
    assert kid_a.study_code in client.get(reverse("family_home")).content.decode()


def test_declined_request_links_nothing(kid_a, kid_b, coordinator_a, family_of_b):
    invitation, _token = services.family_invite_create(
        user=coordinator_a, participant=kid_a, username="guardian-b"
    )
    client = Client()
    client.force_login(family_of_b)
    client.post(reverse("family_link_respond", args=[invitation.pk]), {"action": "decline"})
    assert not FamilyLink.objects.filter(user=family_of_b, participant=kid_a).exists()
    with pytest.raises(ValidationFailed):
        services.family_link_request_respond(
            user=family_of_b, invitation_id=invitation.pk, accept=True
        )


def test_only_the_invited_account_can_accept(kid_a, kid_b, coordinator_a, family_of_b):
    invitation, _token = services.family_invite_create(
        user=coordinator_a, participant=kid_a, username="guardian-b"
    )
    other = make_user(Role.FAMILY, kid_a.site, "someone-else")
    client = Client()
    client.force_login(other)
    response = client.post(
        reverse("family_link_respond", args=[invitation.pk]), {"action": "accept"}
    )
    assert response.status_code == 404
    assert not FamilyLink.objects.filter(participant=kid_a).exists()


def test_a_password_link_token_cannot_be_built_for_a_link_request(
    kid_a, kid_b, coordinator_a, family_of_b
):
    invitation, _token = services.family_invite_create(
        user=coordinator_a, participant=kid_a, username="guardian-b"
    )
    assert invitation.kind == "link"
    # An open link request is never a usable password-set link, whatever token is presented.
    assert not FamilyInvitation.objects.filter(
        user=family_of_b, kind="password", used_at__isnull=True, revoked_at__isnull=True
    ).exists()


def test_staff_usernames_cannot_be_invited(kid_a, coordinator_a, coordinator_b):
    with pytest.raises(ValidationFailed) as error:
        services.family_invite_create(user=coordinator_a, participant=kid_a, username="coord-b")
    assert error.value.field == "username"
    assert _signs_in("coord-b", PASSWORD)


def test_a_lost_link_of_a_never_activated_account_can_be_reissued(kid_a, coordinator_a):
    _first, token1 = services.family_invite_create(
        user=coordinator_a, participant=kid_a, username="new-guardian"
    )
    second, token2 = services.family_invite_create(
        user=coordinator_a, participant=kid_a, username="new-guardian"
    )
    assert token2 is not None
    with pytest.raises(InvitationUnusable):
        services.invitation_resolve(token1)
    assert services.invitation_resolve(token2) == second


def test_an_active_family_already_linked_is_refused_clearly(kid_b, coordinator_b, family_of_b):
    with pytest.raises(ValidationFailed) as error:
        services.family_invite_create(user=coordinator_b, participant=kid_b, username="guardian-b")
    assert error.value.field == "username"
    assert _signs_in("guardian-b", FAMILY_PASSWORD)


def test_invite_page_shows_the_request_outcome_in_every_language(
    kid_a, kid_b, coordinator_a, family_of_b
):
    client = Client()
    client.force_login(coordinator_a)
    for language in ("en", "ru", "uk"):
        FamilyInvitation.objects.filter(participant=kid_a).delete()
        response = client.post(
            reverse("report_family_invite", args=[kid_a.study_code]),
            {"username": "guardian-b", "email": "", "language": "uk"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-testid="invitation-link"' not in body
        assert 'data-testid="link-request-sent"' in body


@pytest.mark.parametrize(("language", "accept"), [("ru", "Принять"), ("uk", "Прийняти")])
def test_the_request_is_shown_in_the_familys_language(
    kid_a, kid_b, coordinator_a, family_of_b, language, accept
):
    services.family_invite_create(user=coordinator_a, participant=kid_a, username="guardian-b")
    services.family_language_set(user=family_of_b, language=language)
    client = Client()
    client.force_login(family_of_b)
    body = client.get(reverse("family_home")).content.decode()
    assert 'data-testid="family-link-request"' in body
    assert accept in body
    assert kid_a.study_code in body
