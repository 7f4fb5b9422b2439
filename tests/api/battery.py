"""The API isolation battery for staff-only routers (safety, products, evidence).

Same checks as :class:`ApiSiteIsolationBattery`, except that a family account gets nothing at
all from these routers — not even its own child's rows — and changes nothing.
"""

from __future__ import annotations

import pytest

from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink
from tests.helpers import make_user
from tests.security.api_battery import ApiClient, ApiSiteIsolationBattery, body_text


@pytest.mark.django_db
class StaffApiBattery(ApiSiteIsolationBattery):
    def test_family_sees_only_own_child(self, world, site_a, coordinator_a):
        family = make_user(Role.FAMILY, site_a)
        FamilyLink.objects.create(user=family, participant=self.participant_of(world["own"]))
        client = ApiClient(family)
        for url in [*self.list_urls, *self.read_urls(world["own"])]:
            response = client.get(url)
            assert response.status_code == 403, url
            assert self.marker(world["own"]) not in body_text(response), url
        for obj in world.values():
            before = self.state(obj)
            for method, url, data in self.write_requests(obj):
                assert client.send(method, url, data).status_code == 403, url
            assert self.state(obj) == before
