"""Evidence pages: site isolation, roles, what every page must show."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from django.urls import reverse

from neuroregen.core.roles import Role
from neuroregen.core.time import site_today
from neuroregen.participants.models import FamilyLink
from neuroregen.protocols.models import Assignment
from tests.evidence.builders import adverse_event, child
from tests.helpers import make_user
from tests.instruments.builders import active_protocol
from tests.security.battery import IDENTITY_NAME, SiteIsolationBattery, client_for

_n = itertools.count(1)


def _named() -> dict[str, str]:
    return {"family_name": IDENTITY_NAME, "given_name": f"Kid{next(_n)}"}


class TestChildProgressIsolation(SiteIsolationBattery):
    def make_object(self, user, site):
        return child(user, site, light=True, identity_overrides=_named())

    def marker(self, obj):
        return obj.study_code

    def read_urls(self, obj):
        return [reverse("evidence_child", args=[obj.study_code])]


@pytest.fixture
def two_sites(site_a, site_b, coordinator_a, coordinator_b):
    own = [child(coordinator_a, site_a, shift=k, identity_overrides=_named()) for k in range(2)]
    other = child(coordinator_b, site_b, shift=5)
    adverse_event(coordinator_a, own[0])
    return {"own": own, "other": other, "protocol": active_protocol()}


def _program_url(world, **params):
    url = reverse("evidence_program", args=[world["protocol"].pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.mark.django_db
class TestProgramPage:
    @pytest.fixture(autouse=True)
    def _two_factor(self, settings):
        settings.NEUROREGEN_REQUIRE_2FA = True

    def test_coordinator_page_uses_only_own_site(self, two_sites, coordinator_a, monitor):
        page = client_for(coordinator_a).get(_program_url(two_sites))
        assert page.status_code == 200
        assert page.context["ev"].n_participants == 2
        everyone = client_for(monitor).get(_program_url(two_sites))
        assert everyone.context["ev"].n_participants == 3

    def test_page_states_allocated_and_treated_children(self, two_sites, monitor, settings):
        # issue 17 obs 9: the page's n (allocated) and the safety tables' n (treated) differ
        # until every child has had an administration; the page says both, defined
        settings.NEUROREGEN_EVIDENCE_CACHE_SECONDS = 0  # the update below writes no history
        url = _program_url(two_sites)
        ev = client_for(monitor).get(url).context["ev"]
        assert (ev.n_participants, ev.n_treated) == (3, 0)  # day 0 only planned so far
        first = two_sites["own"][0]
        Assignment.objects.filter(participant=first).update(day_zero=site_today(first))
        page = client_for(monitor).get(url)
        ev = page.context["ev"]
        assert (ev.n_participants, ev.n_treated) == (3, 1)
        counts = re.search(r'data-testid="participant-counts">(.*?)</p>', page.content.decode())
        assert counts is not None
        assert "Allocated: 3 (" in counts.group(1)
        assert "Treated: 1 of them (at least one administration recorded;" in counts.group(1)

    def test_every_effect_shown_has_an_interval(self, two_sites, monitor):
        page = client_for(monitor).get(_program_url(two_sites, definition="cgi_i_3"))
        html = page.content.decode()
        estimates = html.count("data-estimate")
        assert estimates > 5
        assert estimates == html.count("data-interval")
        assert "CGI-I ≤ 3 (at least minimally improved)" in html
        assert "values below LLOQ replaced by LLOQ/2" in html
        assert "Many subgroups were examined" in html
        # charts travel as JSON data blocks, never as inline script
        assert re.search(r'<script id="chart-\d+" type="application/json">', html)
        assert "vega-interpreter.min.js" in html
        inline = re.findall(r"<script(?![^>]*(src=|application/json))[^>]*>", html)
        assert inline == []

    def test_statistician_sees_no_identity_and_can_export(self, two_sites, statistician):
        client = client_for(statistician)
        page = client.get(_program_url(two_sites)).content.decode()
        assert IDENTITY_NAME not in page
        url = reverse("evidence_export", args=[two_sites["protocol"].pk, "csv"])
        csv = client.get(url).content.decode()
        assert IDENTITY_NAME not in csv
        assert two_sites["own"][0].study_code in csv
        data = json.loads(client.get(url.replace("csv", "json")).content)
        assert data["n_participants"] == 3
        assert all("ci_low" in e for e in data["estimates"])

    def test_parquet_export_holds_the_same_frame_as_the_csv(self, two_sites, statistician):
        import io

        import pandas as pd

        client = client_for(statistician)
        url = reverse("evidence_export", args=[two_sites["protocol"].pk, "parquet"])
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith('outcomes.parquet"')
        parquet = pd.read_parquet(io.BytesIO(response.content))
        csv = pd.read_csv(io.StringIO(client.get(url.replace("parquet", "csv")).content.decode()))
        assert len(parquet) > 10
        assert list(parquet.columns) == list(csv.columns)
        assert IDENTITY_NAME not in parquet.to_csv()
        # CSV loses types (empty strings read back as NaN); compare through the same parser
        again = pd.read_csv(io.StringIO(parquet.to_csv(index=False)))
        pd.testing.assert_frame_equal(again, csv)
        assert parquet["study_day"].dtype.kind == "f"
        assert parquet["synthetic"].dtype == bool
        one_arm = client.get(url + "?arm=nope")
        assert len(pd.read_parquet(io.BytesIO(one_arm.content))) == len(parquet)

    def test_export_needs_the_export_capability(self, two_sites, coordinator_a):
        url = reverse("evidence_export", args=[two_sites["protocol"].pk, "csv"])
        assert client_for(coordinator_a).get(url).status_code == 403
        assert client_for(coordinator_a).get(url.replace("csv", "parquet")).status_code == 403

    def test_family_gets_no_program_page(self, two_sites, site_a):
        family = make_user(Role.FAMILY, site_a)
        FamilyLink.objects.create(user=family, participant=two_sites["own"][0])
        client = client_for(family)
        assert client.get(_program_url(two_sites)).status_code == 403
        assert client.get(reverse("evidence_index")).status_code == 403

    def test_unknown_protocol_and_choices(self, two_sites, coordinator_b, monitor):
        client = client_for(monitor)
        assert client.get(reverse("evidence_program", args=[99999])).status_code == 404
        page = client.get(_program_url(two_sites, definition="nonsense", arm="nope"))
        assert page.status_code == 200
        assert page.context["definition"] == "cgi_i_2"

    def test_child_page_shows_timeline_and_verdicts(self, two_sites, monitor):
        code = two_sites["own"][0].study_code
        html = client_for(monitor).get(reverse("evidence_child", args=[code])).content.decode()
        assert 'data-spec="chart-timeline"' in html
        assert "CARS-2 total" in html
        # CARS-2 has no recorded reliability: the page says why there is no verdict
        assert "no reliability recorded: no reliable-change verdict" in html
        assert "Vomiting" in html  # the adverse event is on the timeline
