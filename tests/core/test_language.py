"""The header's language switcher: staff and families choose, the account keeps the choice."""

from __future__ import annotations

import pytest
from django.test import Client

from neuroregen.core.models import User
from tests.helpers import PASSWORD
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

SWITCHER = 'data-testid="language-switcher"'


def _switch(client: Client, language: str, next_url: str = "/participants/") -> object:
    # As a browser sends the header's form: back to the page it was on, named by the Referer.
    return client.post(
        "/i18n/setlang/", {"language": language}, HTTP_REFERER=f"http://testserver{next_url}"
    )


def test_every_staff_page_offers_the_three_languages_named_in_themselves(coordinator_a):
    page = client_for(coordinator_a).get("/participants/").content.decode()
    assert SWITCHER in page
    assert "Referer" not in page  # the template's comment stays out of the page
    for code, name in (("en", "English"), ("ru", "Русский"), ("uk", "Українська")):
        assert f'value="{code}" lang="{code}"' in page
        assert name in page


def test_a_coordinators_choice_is_kept_on_the_account_and_shown_at_once(coordinator_a):
    client = client_for(coordinator_a)
    response = _switch(client, "uk")
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/participants/"
    coordinator_a.refresh_from_db()
    assert coordinator_a.preferred_language == "uk"
    page = client.get("/participants/")
    assert page["Content-Language"] == "uk"
    assert '<html lang="uk">' in page.content.decode()


def test_the_kept_language_applies_at_the_next_sign_in_on_another_browser(coordinator_a):
    _switch(client_for(coordinator_a), "ru")
    fresh = Client()  # no cookie, and a browser that asks for English
    response = fresh.post(
        "/login/",
        {"username": coordinator_a.username, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response["Content-Language"] == "ru"


def test_an_unknown_language_changes_nothing(coordinator_a):
    client = client_for(coordinator_a)
    _switch(client, "uk")
    _switch(client, "xx")
    coordinator_a.refresh_from_db()
    assert coordinator_a.preferred_language == "uk"


def test_a_foreign_next_address_is_not_followed(coordinator_a):
    response = client_for(coordinator_a).post(
        "/i18n/setlang/",
        {"language": "ru", "next": "https://evil.example/"},
        HTTP_REFERER="https://evil.example/",
    )
    assert "evil.example" not in response["Location"]


def test_the_sign_in_page_offers_the_switcher_and_a_visitor_keeps_it_in_a_cookie(db):
    client = Client()
    assert SWITCHER in client.get("/login/").content.decode()
    _switch(client, "uk", next_url="/login/")
    assert client.get("/login/")["Content-Language"] == "uk"
    assert not User.objects.exists()


def test_the_switch_is_a_post_only(coordinator_a):
    assert client_for(coordinator_a).get("/i18n/setlang/?language=ru").status_code == 405


def test_until_someone_chooses_their_pages_follow_the_browser(coordinator_a):
    assert coordinator_a.preferred_language == ""
    page = client_for(coordinator_a).get("/participants/", HTTP_ACCEPT_LANGUAGE="uk")
    assert page["Content-Language"] == "uk"
