"""A family account reaches its child's released reports, the portal, questionnaires sent to it
and its own account — never a staff page, not even about its own child (issue 16, obs. 1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from neuroregen.core.roles import Role
from tests.security.battery import client_for
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site_a, site_b):
    return build_world(site_a, site_b)


def test_family_cannot_open_staff_research_pages_of_its_own_child(world):
    code = world["own_child"].study_code
    client = client_for(world["users"][Role.FAMILY])
    for url in (
        f"/participants/{code}/",
        f"/evidence/child/{code}/",
        "/biomarkers/",
        f"/products/participants/{code}/",
        f"/visits/participant/{code}/",
        f"/reports/child/{code}/",
        "/participants/",
        "/safety/",
        "/products/",
        "/instruments/outstanding/",
    ):
        response = client.get(url)
        assert response.status_code == 403, (url, response.status_code)
        assert code not in response.content.decode(), url


def test_family_reaches_its_portal_and_account_pages(world):
    client = client_for(world["users"][Role.FAMILY])
    for name in ("family_home", "two_factor_manage"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("dashboard")).url == reverse("family_home")


def test_family_api_token_gets_nothing(world):
    from tests.security.api_battery import ApiClient

    client = ApiClient(world["users"][Role.FAMILY])
    code = world["own_child"].study_code
    for url in (f"/api/participants/{code}", "/api/participants/", "/api/visits/"):
        assert client.get(url).status_code == 403, url
