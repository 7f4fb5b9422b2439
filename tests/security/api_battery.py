"""The site-isolation battery for API endpoints (token-authenticated twins of the page battery)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from neuroregen.api.services import api_token_create, api_token_revoke
from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink
from tests.helpers import make_user
from tests.security.battery import IDENTITY_NAME


class ApiClient:
    """A test client that sends a bearer token and JSON bodies."""

    def __init__(self, user: Any | None) -> None:
        self.client = Client()
        self.headers = {}
        if user is not None:
            _row, raw = api_token_create(user=user, name="test")
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, url: str) -> Any:
        return self.client.get(url, **self.headers)

    def send(self, method: str, url: str, body: Any = None) -> Any:
        return self.client.generic(
            method, url, json.dumps(body or {}), content_type="application/json", **self.headers
        )


def body_text(response: Any) -> str:
    return response.content.decode()


@pytest.mark.django_db
class ApiSiteIsolationBattery:
    list_urls: tuple[str, ...] = ()
    refused = (403, 404)

    def make_object(self, user: Any, site: Any) -> Any:
        raise NotImplementedError

    def marker(self, obj: Any) -> str:
        raise NotImplementedError

    def participant_of(self, obj: Any) -> Any:
        return obj

    def read_urls(self, obj: Any) -> list[str]:
        raise NotImplementedError

    def write_requests(self, obj: Any) -> list[tuple[str, str, dict[str, Any]]]:
        return []

    def state(self, obj: Any) -> Any:
        obj.refresh_from_db()
        return (getattr(obj, "row_version", None), obj.history.count())

    @pytest.fixture
    def world(self, site_a, site_b, coordinator_a, coordinator_b):
        return {
            "own": self.make_object(coordinator_a, site_a),
            "other": self.make_object(coordinator_b, site_b),
        }

    def test_no_token_is_401(self, world):
        anonymous = ApiClient(None)
        for url in [*self.list_urls, *self.read_urls(world["own"])]:
            assert anonymous.get(url).status_code == 401, url
        for method, url, data in self.write_requests(world["own"]):
            assert anonymous.send(method, url, data).status_code == 401, url

    def test_revoked_token_is_401(self, world, coordinator_a):
        client = ApiClient(coordinator_a)
        token = coordinator_a.api_tokens.get()
        api_token_revoke(user=coordinator_a, token_id=token.pk)
        for url in self.read_urls(world["own"]):
            assert client.get(url).status_code == 401, url

    def test_coordinator_lists_only_own_site(self, world, coordinator_a):
        client = ApiClient(coordinator_a)
        for url in self.list_urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert self.marker(world["own"]) in body_text(response)
            assert self.marker(world["other"]) not in body_text(response)

    def test_coordinator_cannot_read_or_write_other_site(self, world, coordinator_a):
        client = ApiClient(coordinator_a)
        for url in self.read_urls(world["own"]):
            assert client.get(url).status_code == 200, url
        for url in self.read_urls(world["other"]):
            response = client.get(url)
            assert response.status_code in self.refused, url
            assert self.marker(world["other"]) not in body_text(response)
        before = self.state(world["other"])
        for method, url, data in self.write_requests(world["other"]):
            assert client.send(method, url, data).status_code in self.refused, url
        assert self.state(world["other"]) == before

    def test_monitor_reads_all_writes_nothing(self, world, monitor):
        client = ApiClient(monitor)
        for url in self.list_urls:
            text = body_text(client.get(url))
            assert self.marker(world["own"]) in text
            assert self.marker(world["other"]) in text
        for obj in world.values():
            for url in self.read_urls(obj):
                assert client.get(url).status_code == 200, url
            before = self.state(obj)
            for method, url, data in self.write_requests(obj):
                assert client.send(method, url, data).status_code == 403, url
            assert self.state(obj) == before

    def test_statistician_never_sees_identity(self, world, statistician):
        client = ApiClient(statistician)
        for url in [
            *self.list_urls,
            *self.read_urls(world["own"]),
            *self.read_urls(world["other"]),
        ]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert IDENTITY_NAME not in body_text(response), url

    def test_family_sees_only_own_child(self, world, site_a, coordinator_a):
        # The API is a staff tool: a family token gets nothing, not even its own child's rows.
        family = make_user(Role.FAMILY, site_a)
        FamilyLink.objects.create(user=family, participant=self.participant_of(world["own"]))
        client = ApiClient(family)
        for url in [
            *self.list_urls,
            *self.read_urls(world["own"]),
            *self.read_urls(world["other"]),
        ]:
            response = client.get(url)
            assert response.status_code == 403, url
            assert self.marker(world["own"]) not in body_text(response), url
        for obj in world.values():
            before = self.state(obj)
            for method, url, data in self.write_requests(obj):
                assert client.send(method, url, data).status_code in self.refused, url
            assert self.state(obj) == before
