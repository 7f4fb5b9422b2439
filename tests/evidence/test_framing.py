"""One sign convention, named units and named quantities on the evidence page.

Observed before: mean change and g_av were negative when ATEC improved while "vs benchmark" was
positive when better; one column mixed SD units and raw points; the placebo value and its
citation appeared only in the JSON; the age claim's "Observed: −0.21 (−0.43 to 0.03)" did not
say what it was; the mixed model's n counted observations, labelled like every other n.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from neuroregen.evidence import analysis as an
from neuroregen.evidence import framing
from neuroregen.evidence.frames import synthetic_frames
from neuroregen.stats.comparators import (
    NATURAL_HISTORY_VINELAND_CHANGE,
    PLACEBO_CGI_I_RESPONDERS,
    PLACEBO_SMC_CORE,
)
from tests.evidence.builders import child
from tests.instruments.builders import active_protocol
from tests.security.battery import client_for


@pytest.fixture(scope="module")
def ev():
    return an.analyse_program(synthetic_frames(160, seed=11), arm="msc-iv")


def _row(ev, measure, phase="late"):
    return next(r for r in ev.rows if r.measure == measure and r.phase == phase)


def test_benchmark_difference_has_the_sign_of_the_change(ev) -> None:
    atec = _row(ev, "atec.atec_total")
    # ATEC falls: improvement
    assert atec.change.estimate < 0
    assert atec.effect.estimate < 0
    assert atec.benchmark is PLACEBO_SMC_CORE
    # observed g_av − placebo SMC, both in the sign of the change
    assert atec.vs_benchmark.estimate == pytest.approx(atec.effect.estimate - (-0.36))
    assert atec.vs_benchmark.ci_low < atec.vs_benchmark.estimate < atec.vs_benchmark.ci_high
    assert "observed − benchmark change, SD units" in atec.vs_benchmark.quantity
    vineland = _row(ev, "vineland3.abc")
    assert vineland.benchmark is NATURAL_HISTORY_VINELAND_CHANGE
    assert vineland.vs_benchmark.estimate == pytest.approx(
        vineland.change.estimate - NATURAL_HISTORY_VINELAND_CHANGE.value
    )
    assert "score points" in vineland.vs_benchmark.quantity


def test_sections_state_which_way_is_improvement(ev) -> None:
    sections = {s.measure: s for s in framing.measure_sections(ev)}
    assert sections["atec.atec_total"].arrow == "↓"
    assert sections["vineland3.abc"].arrow == "↑"
    assert sections["atec.atec_total"].benchmark_unit == "SD units (standardised)"
    assert sections["vineland3.abc"].benchmark_unit == "score points"
    assert sections[an.CGI_I_MEASURE].responders_only


def test_age_claim_is_named(ev) -> None:
    younger = next(c for c in ev.claims if c.claim.kind.value == "larger in younger children")
    assert (
        framing.claim_quantity(younger)
        == "Difference in responder rate, younger − older (percentage points)"
    )


def test_model_estimates_count_children(ev) -> None:
    traj = next(t for t in ev.trajectories if t.measure == "atec.atec_total")
    late = next(e for e in traj.model.contrasts if e.details["phase"] == "late")
    assert late.n <= ev.n_participants < late.details["observations"]


@pytest.fixture
def world(site_a, coordinator_a):
    kids = [child(coordinator_a, site_a, shift=k) for k in range(4)]
    return {"kids": kids, "protocol": active_protocol()}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_page_headers_name_sign_units_and_benchmark(world, monitor, language, settings) -> None:
    settings.NEUROREGEN_REQUIRE_2FA = True
    url = reverse("evidence_program", args=[world["protocol"].pk]) + "?definition=cgi_i_2"
    client = client_for(monitor)
    with translation.override(language):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    header = html[html.index('data-testid="phase-table"') :]
    header = header[: header.index("</thead>")]
    # every effect column of the CARS-2 table says improvement = ↓; responders say ↑
    assert header.count("↓") == 3
    assert header.count("↑") == 2
    assert "SD" in header
    # the benchmark and its citation are on the page, not only in the JSON
    assert "Mol Autism 2020;11:66" in html
    assert PLACEBO_SMC_CORE.citation in html
    assert "−0.36" in html or "-0.36" in html or "-0,36" in html or "−0,36" in html
    assert PLACEBO_CGI_I_RESPONDERS.citation in html
    assert 'data-testid="phase-rules"' in html
    if language == "en":
        assert "Mean change, score points (follow-up − baseline; improvement = ↓)" in html
        assert "Observed − benchmark change, SD units (standardised) (improvement = ↓)" in html
        assert "late — visit nearest to study day 270" in html
        assert "4 children, 16 observations" in html
        assert (
            "Too few children for subgroup analyses: n = 4 children (at least 10 needed)." in html
        )
        assert "Difference in model means, score points (improvement = ↓); n = children" in html
