"""NUL characters are refused with a specific error."""

import pytest

from neuroregen.participants.models import Participant
from tests.security.api_battery import ApiClient
from tests.security.battery import client_for


@pytest.mark.django_db
def test_nul_in_query_or_body_is_refused_with_422(coordinator_a, site_a):
    api = ApiClient(coordinator_a)
    response = api.get("/api/participants/?q=%00")
    assert response.status_code == 422
    assert "NUL" in response.json()["message"]
    posted = api.send("POST", "/api/participants/", {"site": "SITE-A\u0000"})
    assert posted.status_code == 422
    page = client_for(coordinator_a).post("/participants/new/", {"given_name": "a\x00b"})
    assert page.status_code == 422
    assert not Participant.objects.exists()
