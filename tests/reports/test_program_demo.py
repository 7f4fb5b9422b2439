"""Programme and DSMB reports on the demo cohort: one protocol each, a flow that adds up, the
same children per arm in the safety tables and the evidence, and a PDF that carries every
section of the page with labels instead of codes."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from neuroregen.core.models import User
from neuroregen.protocols.models import Protocol
from neuroregen.reports import services, tasks
from neuroregen.reports.program import build_program_report
from tests.reports.test_pdf import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

RAW_CODES = ("cb_auto", "cb_allo", "ipsc_mix", "ipsc_opc", "cnv", "higherisworse", "higher_is")


@pytest.fixture(autouse=True)
def _language_back_to_default():
    yield
    translation.deactivate()  # pages read in ru/uk must not leave the language switched


@pytest.fixture
def demo(db):
    call_command("demo_setup", participants=48, sites=2, seed=11, stdout=io.StringIO())
    return User.objects.get(username="demo-statistician")


def _protocols() -> list[Protocol]:
    return list(Protocol.objects.filter(assignments__arm__isnull=False).distinct())


def test_each_report_is_scoped_to_its_protocol_and_its_flow_adds_up(demo):
    protocols = _protocols()
    assert {p.code for p in protocols} >= {"NR-CELL-01", "NR-EXO-02"}
    for protocol in protocols:
        report = build_program_report(user=demo, kind="dsmb", protocol=protocol, with_charts=False)
        # only this protocol's arms and stopping rules
        assert report.dsmb.groups, protocol
        assert all(g.label.startswith(f"{protocol} · ") for g in report.dsmb.groups)
        assert all(s.rule.protocol_id == protocol.pk for s in report.rules)
        assert all(e.protocol_label == str(protocol) for e in report.dsmb.sae_listing)
        # the flow adds up, and each arm counts the same children everywhere
        assert report.flow_violations == [], [str(v) for v in report.flow_violations]
        assert set(report.flow.arms) == set(protocol.arms.values_list("code", flat=True))
        for row in report.arm_counts:
            assert row.received == row.safety_n, row
            assert row.analysed <= row.in_analysis_frame <= row.received <= row.allocated
        screened = report.flow.box("screened").n
        assert screened == sum(
            report.flow.box(k).n
            for k in ("excluded", "still_screening", "left_before_enrolment", "enrolled")
        )


def test_controlled_protocol_page_does_not_claim_there_is_no_control_group(demo):
    exo = Protocol.objects.get(code="NR-EXO-02")
    client = Client()
    client.force_login(demo)
    page = client.get(reverse("report_program", args=["dsmb", exo.pk])).content.decode()
    assert "No control group" not in page
    assert "vehicle-in" in page
    assert "control arm" in page
    assert "NR-CELL-01" not in page  # no other protocol's arms, rules or events
    assert "Checked: every box equals the sum of the boxes it splits into." in page
    for language, heading in (("ru", "Поток участников"), ("uk", "Потік учасників")):
        client.cookies["django_language"] = language
        localised = client.get(reverse("report_program", args=["dsmb", exo.pk]))
        assert localised.status_code == 200
        assert heading in localised.content.decode(), language


def test_programme_pdf_carries_every_section_with_labels_not_codes(demo):
    protocol = (
        Protocol.objects.filter(code="NR-CELL-01", assignments__arm__isnull=False)
        .distinct()
        .first()
    )
    job = services.report_job_create(user=demo, kind="program", protocol=protocol, language="en")
    tasks.run_report_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.error
    _pages, text = pdf_text(bytes(job.pdf))
    for section in (
        "Participant flow (CONSORT 2010)",
        "Children per arm",
        "Baseline characteristics",
        "Claims of the programme, checked",
        "Change from baseline by phase",
        "Biomarkers by phase",
        "Durability of response",
        "Subgroups",
        "Outcome and adverse events by lot, dose band and route",
        "Stopping rules",
        "Serious adverse event listing",
    ):
        assert section in text, section
    for code in RAW_CODES:
        assert code not in text, code
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    # route codes: "iv" is no English word; "it" is, so it is looked for where a route stands
    assert not re.search(r"(?<![\w-])iv(?![\w-])", text)
    assert not re.search(r"Route (it|iv|in)\b", text)
    assert "Route Intrathecal" in text or "Route Intravenous" in text
    # DSM-5 levels as "Level 2" in the baseline table, subgroup tables and forest plots
    assert re.search(r"DSM-5 severity level Level [123] \d+ \d+%", text)
    assert not re.search(r"\b[123]\.0 \(n=\d+\)", text)
    assert "(model mean), low" not in text
    assert "heterogeneity p = nan" not in text
    # claims and responders read as percentages, as on the page (never "0.42 (95% CI 0.30 …")
    claims = re.findall(r"Claims of the programme, checked(.*?)Change from baseline by phase", text)
    assert claims
    # the age claim is a difference, shown as on the page; the rate claims are percentages
    rates = [row for table in claims for row in table.split("“")[1:] if "younger" not in row]
    assert rates
    for row in rates:
        assert not re.search(r"\b0\.\d+ \(95% CI", row), row
        assert re.search(r"\d+% \(95% CI -?\d+% to \d+%\)", row), row
