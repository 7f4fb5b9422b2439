"""A protocol with a concurrent control arm: the evidence page, its JSON export and the API lead
with treated − control (issue 17, observations 1, 2 and 8).

The page runs on a real protocol and user; its frames are the seeded synthetic frames (two
arms, ``msc-iv`` and ``ipsc-it``) with ``ipsc-it`` standing for the control arm, so the pages
are checked on a cohort large enough for every between-arm estimate.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from neuroregen.evidence import selectors
from neuroregen.evidence.frames import synthetic_frames
from neuroregen.protocols import services as protocol_services
from neuroregen.synthetic.cohort import system_account
from neuroregen.synthetic.protocols import exosome_protocol_document
from tests.evidence.builders import child
from tests.instruments.builders import active_protocol
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db
CONTROL = "concurrent control arm ipsc-it"


def test_control_arms_of_the_exosome_protocol(db):
    protocol = protocol_services.protocol_import(
        user=system_account(), data=exosome_protocol_document()
    )
    assert selectors.control_arm_codes(protocol.pk) == ("vehicle-in",)
    assert selectors.control_arm_codes(active_protocol().pk) == ()


@pytest.fixture
def world(site_a, coordinator_a, settings, monkeypatch):
    settings.TIME_ZONE = "Europe/Kyiv"
    settings.NEUROREGEN_EVIDENCE_CACHE_SECONDS = 0
    child(coordinator_a, site_a, light=True)
    frames = synthetic_frames(90)
    monkeypatch.setattr(selectors, "evidence_frames", lambda **_: frames)
    monkeypatch.setattr(selectors, "control_arm_codes", lambda pk: ("ipsc-it",))
    return {"protocol": active_protocol(), "frames": frames}


def _url(world, name="evidence_program", *args, **params):
    url = reverse(name, args=[world["protocol"].pk, *args])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_page_export_and_api_lead_with_treated_minus_control(world, statistician):
    from tests.security.api_battery import ApiClient

    client = client_for(statistician)
    page = client.get(_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    ev = page.context["ev"]
    # observation 1: the page no longer says "No control group" and leads with the comparison
    assert "No control group" not in html
    assert ev.role == "treated"
    assert ev.controlled.control_arms == ("ipsc-it",)
    assert ev.controlled.treated_arms == ("msc-iv",)
    lead = html.index('data-testid="controlled-lead"')
    assert lead < html.index('data-testid="claims"') < html.index('data-testid="phase-table"')
    ancova = [r.ancova for r in ev.controlled.rows if r.ancova is not None]
    assert ancova
    for est in ancova:
        assert est.comparator == CONTROL
        assert est.ci_low <= est.estimate <= est.ci_high
        assert est.details["n_treated"] + est.details["n_control"] == est.n
    assert all(t.model is not None for t in ev.controlled.trajectories)
    # "all arms" counts the treated children only, never the control children
    people = world["frames"].participants
    assert ev.n_participants == (people["arm"] == "msc-iv").sum()
    assert ev.arm == "all treated arms"
    # claims are judged against the control arm, and the verdict sentence says so
    assert ev.claims
    for claim in ev.claims:
        assert claim.controlled
        assert claim.benchmark is None
        assert "ipsc-it" in claim.headline
        assert claim.headline in html
    # no published benchmark is used where a concurrent control exists
    assert all(r.vs_benchmark is None and r.responder_vs_benchmark is None for r in ev.rows)

    data = client.get(_url(world, "evidence_export", "json")).json()
    section = data["concurrent_control"]
    assert section["control_arms"] == ["ipsc-it"]
    assert section["comparator"] == CONTROL
    assert section["estimates"]
    assert all(e["comparator"] == CONTROL for e in section["estimates"])
    methods = {e["method"] for e in section["estimates"]}
    assert any(m.startswith("ANCOVA") for m in methods)
    assert any("Newcombe" in m for m in methods)
    assert any("Katz" in m for m in methods)
    assert any("mixed model" in m for m in methods)

    body = ApiClient(statistician).get(f"/api/evidence/protocols/{world['protocol'].pk}").json()
    assert body["role"] == "treated"
    assert body["concurrent_control"]["control_arms"] == ["ipsc-it"]


def test_control_arm_is_shown_as_comparator_with_no_claims(world, statistician):
    page = client_for(statistician).get(_url(world, arm="ipsc-it"))
    ev = page.context["ev"]
    html = page.content.decode()
    assert ev.role == "control"
    assert ev.claims == []
    assert "comparator" in ev.claim_notes[0]
    assert all(r.vs_benchmark is None and r.responder_vs_benchmark is None for r in ev.rows)
    assert 'data-testid="control-arm-role"' in html
    assert 'data-testid="verdict"' not in html
    assert "above benchmark" not in html


def test_mismatched_benchmark_is_said_visibly_instead_of_a_verdict(
    world, statistician, monkeypatch
):
    # observation 2, on an uncontrolled protocol: "any decrease" is not set against CGI-I 19 %
    monkeypatch.setattr(selectors, "control_arm_codes", lambda pk: ())
    page = client_for(statistician).get(_url(world, definition="any"))
    html = page.content.decode()
    ev = page.context["ev"]
    assert ev.controlled is None
    assert "exceeds the benchmark beyond its uncertainty" not in html
    rates = [c for c in ev.claims if c.claim.kind.value != "larger in younger children"]
    assert rates
    assert all(c.benchmark is None and c.comparison is None for c in rates)
    marker = 'data-testid="no-matching-benchmark"'
    assert marker in html
    # visible, not inside a collapsed <details>
    before = html[: html.index(marker)]
    assert before.count("<details") == before.count("</details>")
    # observation 8: the verdict sentence itself says uncontrolled data cannot show efficacy
    for claim in ev.claims:
        assert "cannot show" in claim.headline
        assert claim.headline in html


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_lead_section_is_translated(world, statistician, lang):
    with translation.override(lang):
        page = client_for(statistician).get(_url(world), HTTP_ACCEPT_LANGUAGE=lang)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="controlled-lead"' in html
    for english in (
        "Treatment effect:",
        "Children (treated / control)",
        "This protocol has a concurrent control arm",
        "Arm × phase mixed model",
    ):
        assert english not in html
