"""The inherited site-isolation battery.

Every app's views and endpoints get the same checks by subclassing :class:`SiteIsolationBattery`
and saying how to make an object at a site, which URLs read it and which URLs change it:

- a coordinator of site A cannot list, read, edit or guess-by-URL anything of site B;
- a monitor reads everything and can change nothing;
- a statistician never sees identity;
- a family account opens no staff page, not even about its own child;
- an anonymous visitor is sent to sign in.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink
from tests.helpers import PASSWORD, make_user
from tests.security.twofactor import verify_session

IDENTITY_NAME = "Zakharchenko"  # a family name that must never reach unauthorised eyes


def client_for(user: Any) -> Client:
    """A signed-in client that has also passed two-factor sign-in (as staff must)."""
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    verify_session(client, user)
    return client


@pytest.mark.django_db
class SiteIsolationBattery:
    list_urls: tuple[str, ...] = ()
    # Status codes acceptable for a refused cross-site access (never 200, never a redirect to it).
    refused = (403, 404)
    # What monitors and statisticians get on the detail pages (403 where the object itself
    # may carry identity, e.g. uploaded files).
    research_read_status = 200
    # Pages written for families (the portal's report pages): a family opens its own child's.
    family_page = False

    # --- to override -------------------------------------------------------------------
    def make_object(self, user: Any, site: Any) -> Any:
        raise NotImplementedError

    def marker(self, obj: Any) -> str:
        """Text that appears on a page exactly when the object is shown."""
        raise NotImplementedError

    def participant_of(self, obj: Any) -> Any:
        return obj

    def read_urls(self, obj: Any) -> list[str]:
        raise NotImplementedError

    def write_requests(self, obj: Any) -> list[tuple[str, dict[str, Any]]]:
        return []

    def state(self, obj: Any) -> Any:
        """A fingerprint of the object's stored state; a refused write must leave it as it was."""
        obj.refresh_from_db()
        return (getattr(obj, "row_version", None), obj.history.count())

    # --- fixtures ------------------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _two_factor_enforced(self, settings):
        # Pages are checked as production serves them: staff must pass two-factor sign-in.
        settings.NEUROREGEN_REQUIRE_2FA = True

    @pytest.fixture
    def world(self, site_a, site_b, coordinator_a, coordinator_b):
        own = self.make_object(coordinator_a, site_a)
        other = self.make_object(coordinator_b, site_b)
        return {"own": own, "other": other}

    # --- the battery ---------------------------------------------------------------------
    def test_coordinator_lists_only_own_site(self, world, coordinator_a):
        client = client_for(coordinator_a)
        for url in self.list_urls:
            page = client.get(url).content.decode()
            assert self.marker(world["own"]) in page, url
            assert self.marker(world["other"]) not in page, url

    def test_coordinator_cannot_read_other_site_by_url(self, world, coordinator_a):
        client = client_for(coordinator_a)
        for url in self.read_urls(world["own"]):
            assert client.get(url).status_code == 200, url
        for url in self.read_urls(world["other"]):
            response = client.get(url)
            assert response.status_code in self.refused, (url, response.status_code)
            assert self.marker(world["other"]) not in response.content.decode()

    def test_coordinator_cannot_write_other_site(self, world, coordinator_a):
        client = client_for(coordinator_a)
        before = self.state(world["other"])
        for url, data in self.write_requests(world["other"]):
            response = client.post(url, data)
            assert response.status_code in self.refused, (url, response.status_code)
        assert self.state(world["other"]) == before

    def test_monitor_reads_all_sites_and_writes_nothing(self, world, monitor):
        client = client_for(monitor)
        for url in self.list_urls:
            page = client.get(url).content.decode()
            assert self.marker(world["own"]) in page
            assert self.marker(world["other"]) in page
        for obj in world.values():
            for url in self.read_urls(obj):
                assert client.get(url).status_code == self.research_read_status, url
            before = self.state(obj)
            for url, data in self.write_requests(obj):
                assert client.post(url, data).status_code == 403, url
            assert self.state(obj) == before

    def test_statistician_never_sees_identity(self, world, statistician):
        client = client_for(statistician)
        for obj in world.values():
            for url in self.read_urls(obj):
                response = client.get(url)
                assert response.status_code == self.research_read_status, url
                assert IDENTITY_NAME not in response.content.decode(), url
        for url in self.list_urls:
            assert IDENTITY_NAME not in client.get(url).content.decode()

    def test_family_sees_only_own_child(self, world, site_a, coordinator_a):
        # Staff pages refuse a family account outright, even about its own child: families
        # read what a clinician has released to them (the portal), nothing else.
        family = make_user(Role.FAMILY, site_a)
        FamilyLink.objects.create(user=family, participant=self.participant_of(world["own"]))
        sibling_site_object = self.make_object(coordinator_a, site_a)
        client = client_for(family)
        refused_for = (sibling_site_object, world["other"])
        if self.family_page:
            for url in self.read_urls(world["own"]):
                assert client.get(url).status_code == 200, url
        else:
            refused_for = (world["own"], *refused_for)
        for obj in refused_for:
            for url in self.read_urls(obj):
                response = client.get(url)
                assert response.status_code in self.refused, url
                assert self.marker(obj) not in response.content.decode(), url
            before = self.state(obj)
            for url, data in self.write_requests(obj):
                assert client.post(url, data).status_code in self.refused, url
            assert self.state(obj) == before
        for url in self.list_urls:
            response = client.get(url)
            assert response.status_code in self.refused, url
            assert self.marker(world["own"]) not in response.content.decode(), url

    def test_anonymous_is_sent_to_sign_in(self, world):
        client = Client()
        for url in [*self.list_urls, *self.read_urls(world["own"])]:
            response = client.get(url)
            assert response.status_code == 302, url
            assert "/login/" in response["Location"], url
