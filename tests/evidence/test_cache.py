"""Computed evidence is reused until the data change, never across users or data versions."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from neuroregen.core.time import site_today
from neuroregen.evidence import analysis, selectors
from neuroregen.evidence import cache as evidence_cache
from neuroregen.participants import services as ps
from tests.evidence.builders import child
from tests.instruments.builders import active_protocol
from tests.security.battery import client_for


@pytest.fixture
def counted(monkeypatch):
    calls = {"frames": 0, "analyses": 0}
    frames, analyse = selectors.evidence_frames, analysis.analyse_program

    def count_frames(**kwargs):
        calls["frames"] += 1
        return frames(**kwargs)

    def count_analyses(*args, **kwargs):
        calls["analyses"] += 1
        return analyse(*args, **kwargs)

    monkeypatch.setattr(selectors, "evidence_frames", count_frames)
    monkeypatch.setattr(analysis, "analyse_program", count_analyses)
    cache.clear()
    return calls


@pytest.fixture
def world(site_a, site_b, coordinator_a, coordinator_b):
    own = [child(coordinator_a, site_a, shift=k) for k in range(2)]
    other = child(coordinator_b, site_b, shift=4)
    return {"own": own, "other": other, "protocol": active_protocol()}


def _url(world, **params):
    url = reverse("evidence_program", args=[world["protocol"].pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.mark.django_db
def test_a_second_view_reuses_the_computation(world, monitor, counted) -> None:
    client = client_for(monitor)
    first = client.get(_url(world))
    assert counted == {"frames": 1, "analyses": 1}
    again = client.get(_url(world))
    assert counted == {"frames": 1, "analyses": 1}
    assert again.context["ev"].as_json() == first.context["ev"].as_json()
    assert again.context["charts"] == first.context["charts"]
    assert again.content.count(b"data-interval") == first.content.count(b"data-interval") > 5
    # another responder definition is another computation
    client.get(_url(world, definition="cgi_i_3"))
    assert counted["analyses"] == 2


@pytest.mark.django_db
def test_the_json_export_reuses_the_page(world, statistician, counted) -> None:
    client = client_for(statistician)
    page = client.get(_url(world, definition="cgi_i_3"))
    url = reverse("evidence_export", args=[world["protocol"].pk, "json"])
    data = client.get(url + "?definition=cgi_i_3").json()
    assert counted["analyses"] == 1
    assert data == json.loads(json.dumps(page.context["ev"].as_json(), default=str))
    assert data["n_participants"] == 3


@pytest.mark.django_db
def test_a_data_change_is_seen_at_once(world, monitor, coordinator_a, counted) -> None:
    client = client_for(monitor)
    assert client.get(_url(world)).context["ev"].n_participants == 3
    before = evidence_cache.data_version()
    ps.consent_withdraw(
        user=coordinator_a,
        participant=world["own"][1],
        scope="withdraw_data",
        effective_on=site_today(world["own"][1]),
        reason="family request",
    )
    assert evidence_cache.data_version() != before
    assert client.get(_url(world)).context["ev"].n_participants == 2
    assert counted["analyses"] == 2


@pytest.mark.django_db
def test_users_do_not_share_results(world, monitor, coordinator_a, counted) -> None:
    assert client_for(monitor).get(_url(world)).context["ev"].n_participants == 3
    assert client_for(coordinator_a).get(_url(world)).context["ev"].n_participants == 2
    assert counted["analyses"] == 2


@pytest.mark.django_db
def test_cache_can_be_switched_off(world, monitor, counted, settings) -> None:
    settings.NEUROREGEN_EVIDENCE_CACHE_SECONDS = 0
    client = client_for(monitor)
    client.get(_url(world))
    client.get(_url(world))
    assert counted["analyses"] == 2


@pytest.mark.django_db
def test_child_page_reuses_the_protocol_frames(world, monitor, coordinator_a, counted) -> None:
    client = client_for(monitor)
    code = world["own"][0].study_code
    url = reverse("evidence_child", args=[code])
    first = client.get(url)
    assert first.status_code == 200
    calls = counted["frames"]
    assert calls >= 1
    again = client.get(url)
    assert counted["frames"] == calls
    assert again.context["child"].study_code == code
    # a child of another site stays out of reach for a coordinator, cached or not
    other = reverse("evidence_child", args=[world["other"].study_code])
    assert client.get(other).status_code == 200
    assert client_for(coordinator_a).get(other).status_code == 404


@pytest.mark.django_db
def test_the_api_and_the_page_share_one_computation(world, statistician, counted) -> None:
    from tests.security.api_battery import ApiClient

    page = client_for(statistician).get(_url(world, definition="cgi_i_3"))
    api = ApiClient(statistician)
    url = f"/api/evidence/protocols/{world['protocol'].pk}?definition=cgi_i_3"
    data = api.get(url).json()
    assert counted == {"frames": 1, "analyses": 1}
    assert data["n_participants"] == page.context["ev"].n_participants == 3
    # and the other way round: what the API computed, the page reuses
    response = api.get(f"/api/evidence/protocols/{world['protocol'].pk}?definition=pct25")
    assert response.status_code == 200
    page = client_for(statistician).get(_url(world, definition="pct25"))
    assert page.context["ev"].definition_key == "pct25"
    assert counted["analyses"] == 2
