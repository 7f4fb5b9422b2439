"""HTML lists page through every row instead of cutting off at a fixed count."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from neuroregen.core.paging import PER_PAGE
from tests.helpers import screen
from tests.security.battery import client_for

ROW = re.compile(r'<tr><td><a href="/participants/([^/"]+)/"')


@pytest.fixture
def many(coordinator_a, site_a, coordinator_b, site_b):
    for _ in range(PER_PAGE + 3):
        screen(coordinator_a, site_a)
    for _ in range(2):
        screen(coordinator_b, site_b)  # another site's children: never counted, never listed


def _codes(html: str) -> list[str]:
    return ROW.findall(html)


@pytest.mark.django_db
def test_participant_list_pages_through_every_row_of_own_site(many, coordinator_a) -> None:
    client = client_for(coordinator_a)
    url = reverse("participant_list")
    first = client.get(url).content.decode()
    assert len(_codes(first)) == PER_PAGE
    assert f"rows 1–{PER_PAGE} of {PER_PAGE + 3} (page 1 of 2)" in first
    assert 'rel="next" href="?page=2"' in first
    second = client.get(url, {"page": 2}).content.decode()
    assert len(_codes(second)) == 3
    assert set(_codes(first)).isdisjoint(_codes(second))
    assert f"{PER_PAGE + 3} participants" in second


@pytest.mark.django_db
def test_stale_or_garbled_page_numbers_give_a_page_not_an_error(many, coordinator_a) -> None:
    client = client_for(coordinator_a)
    url = reverse("participant_list")
    assert len(_codes(client.get(url, {"page": "abc"}).content.decode())) == PER_PAGE
    last = client.get(url, {"page": 99})
    assert last.status_code == 200
    assert len(_codes(last.content.decode())) == 3


@pytest.mark.django_db
def test_page_links_keep_the_filters(many, coordinator_a) -> None:
    client = client_for(coordinator_a)
    html = client.get(reverse("participant_list"), {"status": "screening"}).content.decode()
    assert 'href="?status=screening&amp;page=2"' in html


@pytest.mark.django_db
def test_short_lists_show_no_pager(coordinator_a, site_a) -> None:
    screen(coordinator_a, site_a)
    html = client_for(coordinator_a).get(reverse("participant_list")).content.decode()
    assert 'data-testid="pager-page"' not in html
    assert len(_codes(html)) == 1
