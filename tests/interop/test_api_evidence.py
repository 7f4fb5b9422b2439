"""Programme evidence over the API: site-filtered as the page, pseudonymous, intervals kept."""

from __future__ import annotations

import itertools
import json

import pytest
from django.urls import reverse

from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink
from tests.evidence.builders import adverse_event, child
from tests.helpers import make_user
from tests.instruments.builders import active_protocol
from tests.security.api_battery import ApiClient
from tests.security.battery import IDENTITY_NAME, client_for

_n = itertools.count(1)


def _named() -> dict[str, str]:
    return {"family_name": IDENTITY_NAME, "given_name": f"Ev{next(_n)}"}


@pytest.fixture
def two_sites(site_a, site_b, coordinator_a, coordinator_b):
    own = [child(coordinator_a, site_a, shift=k, identity_overrides=_named()) for k in range(2)]
    other = child(coordinator_b, site_b, shift=5, identity_overrides=_named())
    adverse_event(coordinator_a, own[0])
    return {"own": own, "other": other, "protocol": active_protocol()}


def _url(world, query: str = "") -> str:
    return f"/api/evidence/protocols/{world['protocol'].pk}" + (f"?{query}" if query else "")


@pytest.mark.django_db
def test_numbers_cover_only_the_callers_sites(two_sites, coordinator_a, coordinator_b, monitor):
    own = ApiClient(coordinator_a).get(_url(two_sites))
    assert own.status_code == 200, own.content
    assert own.json()["n_participants"] == 2
    assert own.json()["sites"] == ["SITE-A"]
    everyone = ApiClient(monitor).get(_url(two_sites)).json()
    assert everyone["n_participants"] == 3
    assert set(everyone["sites"]) >= {"SITE-A", "SITE-B"}
    assert ApiClient(coordinator_b).get(_url(two_sites)).json()["n_participants"] == 1
    listed = ApiClient(coordinator_a).get("/api/evidence/protocols").json()
    assert [p["id"] for p in listed] == [two_sites["protocol"].pk]


@pytest.mark.django_db
def test_statistician_gets_the_same_result_objects_as_the_page_export(two_sites, statistician):
    response = ApiClient(statistician).get(_url(two_sites))
    assert response.status_code == 200
    assert IDENTITY_NAME not in response.content.decode()
    for participant in [*two_sites["own"], two_sites["other"]]:
        assert participant.study_code not in response.content.decode()
    data = response.json()
    export_url = reverse("evidence_export", args=[two_sites["protocol"].pk, "json"])
    exported = json.loads(client_for(statistician).get(export_url).content)
    assert data["n_participants"] == exported["n_participants"] == 3
    assert data["responder_definition"] == exported["responder_definition"]
    assert data["claims"] == exported["claims"]
    assert len(data["estimates"]) == len(exported["estimates"]) > 5
    for mine, theirs in zip(data["estimates"], exported["estimates"], strict=True):
        for key in ("quantity", "estimate", "ci_low", "ci_high", "confidence", "n", "method"):
            assert mine[key] == theirs[key], key
        assert "; ".join(mine["caveats"]) == theirs["caveats"]
        assert mine["comparator"] == theirs["comparator"] != ""
    assert all("ci_low" in e and "ci_high" in e for e in data["estimates"])


@pytest.mark.django_db
def test_phase_rule_and_subgroup_outcome_are_in_the_api(two_sites, monitor):
    data = ApiClient(monitor).get(_url(two_sites)).json()
    assert data["phase_summary_rules"]["late"] == "visit nearest to study day 270"
    assert data["subgroup_outcome"]["phase"] == "late"
    assert data["subgroup_outcome"]["n_children"] == 3


@pytest.mark.django_db
def test_arm_and_definition_are_checked(two_sites, monitor):
    client = ApiClient(monitor)
    arms = client.get(_url(two_sites)).json()["arms"]
    assert arms
    one = client.get(_url(two_sites, f"arm={arms[0]}&definition=cgi_i_3"))
    assert one.status_code == 200
    assert one.json()["arm"] == arms[0]
    assert one.json()["definition_key"] == "cgi_i_3"
    assert "CGI-I ≤ 3" in one.json()["responder_definition"]
    bad_arm = client.get(_url(two_sites, "arm=nope"))
    assert bad_arm.status_code == 422
    assert bad_arm.json()["field"] == "arm"
    bad_definition = client.get(_url(two_sites, "definition=nonsense"))
    assert bad_definition.status_code == 422
    assert bad_definition.json()["field"] == "definition"
    assert client.get("/api/evidence/protocols/99999").status_code == 404


@pytest.mark.django_db
def test_family_and_anonymous_get_nothing(two_sites, site_a):
    family = make_user(Role.FAMILY, site_a)
    FamilyLink.objects.create(user=family, participant=two_sites["own"][0])
    client = ApiClient(family)
    assert client.get(_url(two_sites)).status_code == 403
    assert client.get("/api/evidence/protocols").status_code == 403
    assert ApiClient(None).get(_url(two_sites)).status_code == 401
    assert ApiClient(None).get("/api/evidence/protocols").status_code == 401


@pytest.mark.django_db
def test_a_site_without_participants_in_the_protocol_gets_404(two_sites, site_a):
    from neuroregen.core.services import site_create

    lonely_site = site_create(code="SITE-C", name="Site C", country="PL", time_zone="Europe/Warsaw")
    lonely = make_user(Role.COORDINATOR, lonely_site)
    client = ApiClient(lonely)
    assert client.get("/api/evidence/protocols").json() == []
    assert client.get(_url(two_sites)).status_code == 404
