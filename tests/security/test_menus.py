"""Every role sees in the menus exactly the pages it can open (issue 16, obs. 6)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest

from neuroregen.core.roles import Role
from neuroregen.instruments import services as instrument_services
from neuroregen.protocols.timeline import today_at
from neuroregen.visits import services as visit_services
from tests.security.battery import client_for
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


class _NavLinks(HTMLParser):
    """The links inside the page's <nav> (the menus)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self.depth += 1
        elif tag == "a" and self.depth:
            href = dict(attrs).get("href") or ""
            if href.startswith("/"):
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.depth -= 1


def menu_links(client, url: str = "/") -> list[str]:
    response = client.get(url, follow=True)
    parser = _NavLinks()
    parser.feed(response.content.decode())
    return parser.links


@pytest.fixture
def world(site_a, site_b):
    return build_world(site_a, site_b)


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_link_opens_for_the_role(world, role):
    client = client_for(world["users"][role])
    links = menu_links(client)
    assert links, role
    refused = []
    for href in dict.fromkeys(links):
        status = client.get(href).status_code
        if status != 200:
            refused.append((href, status))
    assert not refused, (role, refused)


def test_menus_offer_bedside_only_to_those_who_administer(world):
    for role in (Role.LAB, Role.ADMINISTRATOR, Role.STATISTICIAN, Role.MONITOR):
        assert "/products/bedside/" not in menu_links(client_for(world["users"][role])), role
    for role in (Role.COORDINATOR, Role.INVESTIGATOR):
        assert "/products/bedside/" in menu_links(client_for(world["users"][role])), role


def test_visit_forms_page_offers_audit_only_to_those_who_may_audit(world, site_a):
    investigator = world["users"][Role.INVESTIGATOR]
    visits = visit_services.day_zero_record(
        user=investigator,
        participant=world["own_child"],
        day_zero=today_at(site_a.time_zone) - dt.timedelta(days=10),
    )
    visit = next(v for v in visits if v.code == "BL")
    instrument_services.response_mark_not_done(
        user=investigator, visit=visit, instrument="cshq", reason="family ran out of time"
    )
    for role in (Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR):
        client = client_for(world["users"][role])
        response = client.get(f"/instruments/visit/{visit.pk}/")
        assert response.status_code == 200, role
        parser = _NavLinks()
        parser.depth = 1  # every link of the page, not only the menus
        parser.feed(response.content.decode())
        for href in dict.fromkeys(parser.links):
            status = client.get(href).status_code
            assert status in (200, 302), (role, href, status)
