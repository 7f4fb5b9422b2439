"""Names, birth dates and guardian contacts never travel in a URL the app makes or accepts,
so they never land in access logs or browser history (issue 16, obs. 5)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from neuroregen.core.roles import Role
from tests.security.battery import client_for
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

IDENTITY_FIELDS = {
    "given_name",
    "family_name",
    "date_of_birth",
    "guardian_name",
    "guardian_relationship",
    "guardian_phone",
    "guardian_email",
}


class _Requests(HTMLParser):
    """Every GET the page can make: links, and GET forms with the names of their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.get_forms: list[set[str]] = []
        self._form: set[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        elif tag == "form":
            method = (values.get("method") or "get").lower()
            self._form = set() if method == "get" else None
            if self._form is not None:
                self.get_forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form is not None:
            if values.get("name"):
                self._form.add(values["name"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _identity_names(names: set[str]) -> set[str]:
    return {n for n in names if n in IDENTITY_FIELDS or n.startswith("guardian_")}


@pytest.fixture
def world(site_a, site_b):
    return build_world(site_a, site_b)


def test_identity_search_is_posted_not_put_in_the_url(world):
    client = client_for(world["users"][Role.COORDINATOR])
    page = client.get(reverse("participant_identity_search")).content.decode()
    parser = _Requests()
    parser.feed(page)
    assert not any(_identity_names(form) for form in parser.get_forms), parser.get_forms
    identity = world["own_child"].identity
    query = {
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "date_of_birth": str(identity.date_of_birth),
    }
    response = client.get(reverse("participant_identity_search"), query)
    assert response.status_code == 400
    assert world["own_child"].study_code not in response.content.decode()


def test_identity_search_by_post_finds_the_child(world):
    from neuroregen.participants.models import ParticipantIdentity

    child = world["own_child"]
    identity = ParticipantIdentity.objects.get(participant=child)
    client = client_for(world["users"][Role.COORDINATOR])
    response = client.post(
        reverse("participant_identity_search"),
        {
            "given_name": identity.given_name,
            "family_name": identity.family_name,
            "date_of_birth": str(identity.date_of_birth),
        },
    )
    assert response.status_code == 200
    assert child.study_code in response.content.decode()
    assert world["other_child"].study_code not in response.content.decode()


def test_no_page_links_or_get_forms_carry_identity_fields(world):
    """Scan the pages each role opens from the menu and the child's pages for GET requests."""
    code = world["own_child"].study_code
    pages = [
        "/",
        "/participants/",
        "/participants/find/",
        f"/participants/{code}/",
        f"/participants/{code}/edit/",
        f"/participants/{code}/identity/",
        f"/visits/participant/{code}/",
        "/visits/calendar/",
        "/visits/overdue/",
        "/reports/",
        "/products/",
        "/safety/",
        "/interop/export/",
    ]
    offending = []
    for role in (Role.COORDINATOR, Role.ADMINISTRATOR, Role.INVESTIGATOR):
        client = client_for(world["users"][role])
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                continue
            parser = _Requests()
            parser.feed(response.content.decode())
            for href in parser.links:
                names = set(parse_qs(urlsplit(href).query))
                if _identity_names(names):
                    offending.append((role, url, href))
            for form in parser.get_forms:
                if _identity_names(form):
                    offending.append((role, url, sorted(form)))
    assert not offending, offending


@pytest.mark.parametrize(("language", "words"), [("ru", "Поиск по имени"), ("uk", "Пошук за ім")])
def test_refusal_of_a_search_in_the_url_is_translated(world, language, words):
    client = client_for(world["users"][Role.COORDINATOR])
    response = client.get(
        reverse("participant_identity_search"),
        {"given_name": "A", "family_name": "B", "date_of_birth": "2019-01-01"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert words in response.content.decode()
