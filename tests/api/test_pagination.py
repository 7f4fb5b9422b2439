"""Paging parameters beyond what a database integer holds are refused with a 422, not a 500."""

from __future__ import annotations

import pytest

from tests.helpers import screen
from tests.safety.builders import record
from tests.security.api_battery import ApiClient

LISTS = (
    "/api/safety/events",
    "/api/safety/clocks",
    "/api/products/lots",
    "/api/products/administrations",
    "/api/participants/",
    "/api/visits/",
    "/api/responses",
    "/api/measurements/",
)


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_out_of_range_paging_is_a_validation_error(url, site_a, coordinator_a):
    client = ApiClient(coordinator_a)
    for query in ("offset=66225879616881082368", "limit=193320736", "offset=-1", "limit=0"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 422, (url, query)
        assert response.json()["code"] == "validation_failed"
    assert client.get(f"{url}?offset=1000000000&limit=1000").status_code == 200


@pytest.mark.django_db
def test_paging_walks_the_list(site_a, coordinator_a):
    participant = screen(coordinator_a, site_a)
    events = [record(coordinator_a, participant) for _ in range(3)]
    client = ApiClient(coordinator_a)
    pages = [client.get(f"/api/safety/events?limit=2&offset={o}").json() for o in (0, 2)]
    assert [p["count"] for p in pages] == [3, 3]
    seen = [item["code"] for page in pages for item in page["items"]]
    assert sorted(seen) == sorted(e.code for e in events)
