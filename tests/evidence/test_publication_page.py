"""The "check a publication" page and the claims panel's check of stated percentages.

Figures entered are published ones (see tests/stats/test_reporting_checks.py and
tests/stats/test_flow_checks.py for their sources) or the issue's observations.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from neuroregen.core.roles import Role
from neuroregen.core.time import site_today
from neuroregen.evidence.publication import claim_figures
from neuroregen.evidence.registry_flow import registry_arm_counts
from neuroregen.participants import services as ps
from neuroregen.participants.models import FamilyLink
from neuroregen.stats.claims import CLAIM_MAJORITY_IMPROVE, ClaimKind
from tests.evidence.builders import child
from tests.helpers import make_user
from tests.instruments.builders import active_protocol
from tests.security.battery import client_for

URL = "evidence_check_publication"


def _form(percentages=(), means=(), arms=(), **flow):
    data = {}
    for prefix, rows, extra in (("pct", percentages, 6), ("mean", means, 3), ("arm", arms, 4)):
        total = max(len(rows), extra)
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(total),
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "60",
            }
        )
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    data.update({f"flow-{k}": v for k, v in flow.items()})
    return data


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def two_factor(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


@pytest.mark.django_db
class TestAccess:
    @pytest.mark.parametrize(
        "role", [Role.INVESTIGATOR, Role.STATISTICIAN, Role.MONITOR, Role.ADMINISTRATOR]
    )
    def test_evidence_readers_see_the_page(self, role, site_a, two_factor):
        user = make_user(role, None if role in (Role.MONITOR, Role.STATISTICIAN) else site_a)
        page = client_for(user).get(reverse(URL))
        assert page.status_code == 200
        assert 'data-testid="check-publication-form"' in page.content.decode()

    @pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LAB])
    def test_other_staff_are_refused(self, role, site_a, two_factor):
        assert client_for(make_user(role, site_a)).get(reverse(URL)).status_code == 403
        assert client_for(make_user(role, site_a)).post(reverse(URL), _form()).status_code == 403

    def test_family_is_refused(self, site_a, coordinator_a, two_factor):
        kid = child(coordinator_a, site_a, light=True)
        family = make_user(Role.FAMILY, site_a)
        FamilyLink.objects.create(user=family, participant=kid)
        assert client_for(family).get(reverse(URL)).status_code in (403, 404)

    def test_anonymous_is_sent_to_sign_in(self, client, db):
        response = client.get(reverse(URL))
        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_index_links_the_page_for_readers_only(self, site_a, investigator_a, two_factor):
        index = reverse("evidence_index")
        assert "check-publication-link" in client_for(investigator_a).get(index).content.decode()
        coordinator = make_user(Role.COORDINATOR, site_a)
        assert "check-publication-link" not in client_for(coordinator).get(index).content.decode()


@pytest.mark.django_db
class TestPercentages:
    def test_impossible_and_mixed_rules_are_shown(self, statistician, two_factor):
        data = _form(
            percentages=[
                {"label": "improved", "reported": "33.3 %", "n": "10"},
                {"label": "1 of 8", "reported": "12 %", "n": "8"},
                {"label": "5 of 8", "reported": "63 %", "n": "8"},
            ]
        )
        page = client_for(statistician).post(reverse(URL), data)
        assert page.status_code == 200
        html = page.content.decode()
        assert html.count('data-testid="percentage-row"') == 3
        assert html.count('data-testid="impossible"') == 1
        assert 'data-testid="form-errors"' not in html
        text = _text(page)
        assert "Some figures cannot be reproduced" in text
        # 3/10 and 4/10 are the neighbours of 33.3 %
        assert "3/10 = 30.00 %" in text
        assert "4/10 = 40.00 %" in text

    def test_table_needing_two_rules_is_flagged(self, statistician, two_factor):
        data = _form(
            percentages=[
                {"reported": "12 %", "n": "8"},
                {"reported": "63 %", "n": "8"},
            ]
        )
        text = _text(client_for(statistician).post(reverse(URL), data))
        assert "not under one rounding rule" in text

    def test_unknown_n_lists_possible_denominators(self, statistician, two_factor):
        data = _form(percentages=[{"reported": "33.3 %", "n_min": "1", "n_max": "10"}])
        page = client_for(statistician).post(reverse(URL), data)
        text = _text(page)
        assert "smallest possible n is 3" in text
        assert "3, 6, 9" in text

    def test_every_bad_field_is_named_at_once_and_nothing_is_lost(self, monitor, two_factor):
        data = _form(
            percentages=[
                {"label": "typo", "reported": "3x %", "n": "12"},
                {"label": "no n", "reported": "40 %"},
                {"label": "reversed", "reported": "40 %", "n_min": "30", "n_max": "20"},
                {"label": "over", "reported": "104 %", "n": "25"},
            ],
            means=[{"label": "ATEC", "reported": "5.19"}],
            arms=[{"randomised": "8"}],
        )
        page = client_for(monitor).post(reverse(URL), data)
        assert page.status_code == 422
        html = page.content.decode()
        assert 'data-testid="form-errors"' in html
        for name in (
            "pct-0-reported",
            "pct-1-n",
            "pct-2-n_max",
            "pct-3-reported",
            "mean-0-n",
            "arm-0-name",
        ):
            assert f'data-field-error="{name}"' in html, name
        assert "Enter one number as printed" in html
        assert "between 0 and 100" in html
        assert 'value="3x %"' in html
        assert 'value="reversed"' in html
        assert "Results" not in _text(page)

    def test_empty_submission_says_what_to_enter(self, monitor, two_factor):
        page = client_for(monitor).post(reverse(URL), _form())
        assert page.status_code == 200
        assert 'data-testid="nothing"' in page.content.decode()

    def test_grim_mean(self, statistician, two_factor):
        data = _form(
            means=[
                {"label": "die", "reported": "3.48", "n": "20"},
                {"label": "ok", "reported": "3.45", "n": "20", "items": "1"},
            ]
        )
        html = client_for(statistician).post(reverse(URL), data).content.decode()
        assert html.count('data-testid="mean-row"') == 2
        assert html.count('data-testid="impossible"') == 1


@pytest.mark.django_db
class TestFlow:
    def test_published_diagram_adds_up_and_derives_withdrawals(self, statistician, two_factor):
        arm = {"randomised": "8", "received": "8", "completed": "7", "analysed": "7"}
        data = _form(
            arms=[{"name": "training", **arm}, {"name": "control", **arm}],
            assessed="33",
            excluded="17",
            randomised="16",
        )
        page = client_for(statistician).post(reverse(URL), data)
        html = page.content.decode()
        assert 'data-testid="flow-ok"' in html
        assert re.findall(r'data-testid="withdrawn">(\d+)<', html) == ["1", "1"]

    def test_flow_that_does_not_add_up(self, statistician, two_factor):
        data = _form(
            arms=[{"name": "all", "randomised": "78", "received": "13", "completed": "15"}],
            assessed="90",
            excluded="3",
        )
        text = _text(client_for(statistician).post(reverse(URL), data))
        assert "Assessed (90) − excluded (3) = 87, but 78 were randomised." in text
        assert "“completed follow-up” (15) exceeds “received the intervention” (13)" in text

    def test_duplicate_arm_names_are_refused_inline(self, statistician, two_factor):
        data = _form(arms=[{"name": "A", "randomised": "3"}, {"name": "a", "randomised": "4"}])
        page = client_for(statistician).post(reverse(URL), data)
        assert page.status_code == 422
        assert 'data-field-error="arm-1-name"' in page.content.decode()

    def test_registry_counts_of_a_protocol(self, site_a, site_b, coordinator_a, coordinator_b):
        kids = [child(coordinator_a, site_a, light=True) for _ in range(3)]
        child(coordinator_b, site_b, light=True)
        ps.consent_withdraw(
            user=coordinator_a,
            participant=kids[0],
            scope="no_further_data",
            effective_on=site_today(kids[0]),
        )
        protocol = active_protocol()
        counts = {a.name: a for a in registry_arm_counts(user=coordinator_a, protocol=protocol)}
        used = [a for a in counts.values() if a.randomised]
        assert len(used) == 1
        arm = used[0]
        assert (arm.randomised, arm.received, arm.completed, arm.analysed) == (3, 0, 2, 3)

    def test_page_matches_paper_with_registry(
        self, site_a, coordinator_a, investigator_a, two_factor
    ):
        kids = [child(coordinator_a, site_a, light=True) for _ in range(2)]
        protocol = active_protocol()
        code = kids[0].assignments.first().arm.code
        data = _form(
            arms=[{"name": "treated", "registry_arms": code, "randomised": "3", "analysed": "2"}],
            protocol=str(protocol.pk),
        )
        page = client_for(investigator_a).post(reverse(URL), data)
        text = _text(page)
        assert page.status_code == 200
        assert "“randomised / allocated” is 3 in the paper, 2 in the registry." in text
        assert "The flow adds up" not in text


class TestClaimsPanel:
    def _verdict(self, claim, n):
        return SimpleNamespace(claim=claim, observed=SimpleNamespace(n=n))

    def test_stated_percentage_impossible_for_n(self):
        # The programme's "60–80 %" claim, checked at each bound.
        rows = claim_figures([self._verdict(CLAIM_MAJORITY_IMPROVE, 12)])
        low, _high = rows[0]["figures"]
        assert low.figure == "60 %"
        assert not low.check.consistent  # 7/12 = 58.3 %, 8/12 = 66.7 %
        assert [k for k, _ in low.nearest] == [7, 8]

    def test_range_claim_checks_both_bounds(self):
        claim = SimpleNamespace(kind=ClaimKind.RATE_BETWEEN, lower=0.60, upper=0.80, text="60–80 %")
        rows = claim_figures([self._verdict(claim, 53)])
        figures = rows[0]["figures"]
        assert [f.figure for f in figures] == ["60 %", "80 %"]
        assert figures[0].check.counts == (32,)  # 32/53 = 60.4 %
        # 42/53 = 79.2 % and 43/53 = 81.1 %: no whole count of 53 children prints as 80 %
        assert not figures[1].check.consistent
        assert [k for k, _ in figures[1].nearest] == [42, 43]

    def test_non_rate_claims_are_skipped(self):
        claim = SimpleNamespace(kind=ClaimKind.LARGER_IN_YOUNGER, lower=float("nan"), upper=0)
        assert claim_figures([self._verdict(claim, 20)]) == []


@pytest.mark.django_db
def test_program_page_claims_panel_checks_stated_figures(
    site_a, coordinator_a, investigator_a, two_factor
):
    for k in range(3):
        child(coordinator_a, site_a, shift=k)
    page = client_for(investigator_a).get(reverse("evidence_program", args=[active_protocol().pk]))
    assert page.status_code == 200
    rate_claims = [
        c
        for c in page.context["ev"].claims
        if c.claim.kind.name.startswith("RATE") and c.observed.n
    ]
    assert rate_claims, "the builders' children reach the late phase: claims are evaluated"
    html = page.content.decode()
    assert 'data-testid="claim-granularity"' in html
    n = rate_claims[0].observed.n
    figure = f"{round(rate_claims[0].claim.lower * 100)} %"
    expected = claim_figures(rate_claims)[0]["figures"][0]
    marker = "claim-figure-impossible" if not expected.check.consistent else "claim-figure"
    assert marker in html
    assert figure in _text(page)
    assert n >= 1
    for language, heading in (("ru", "Могли ли заявленные"), ("uk", "Чи могли заявлені")):
        client = client_for(investigator_a)
        client.cookies["django_language"] = language
        text = _text(client.get(reverse("evidence_program", args=[active_protocol().pk])))
        assert heading in text
        assert "Could the stated percentages" not in text
        assert "children is possible" not in text
        assert "no whole number of" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "uk"])
def test_page_and_results_render_translated(language, statistician, two_factor):
    client = client_for(statistician)
    client.cookies["django_language"] = language
    data = _form(
        percentages=[{"reported": "33,3 %", "n": "10"}, {"reported": "76 %", "n": "104"}],
        means=[{"reported": "3.48", "n": "20"}],
        arms=[{"name": "A", "randomised": "8", "completed": "9"}],
        assessed="20",
        excluded="3",
    )
    page = client.post(reverse(URL), data)
    assert page.status_code == 200
    text = _text(page)
    english = [
        "Check a publication",
        "Reported percentages",
        "round half up",
        "truncation",
        "possible",
        "impossible",
        "Participant flow",
        "exceeds",
        "were randomised",
        "Method:",
        "Caveats",
        "cannot be reproduced",
    ]
    leaked = [w for w in english if w in text]
    assert leaked == []
    assert "33,33" in text or "30,00" in text  # numbers in the locale's format
