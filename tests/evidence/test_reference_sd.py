"""Reliable change uses one reference SD per protocol and measure, whoever looks.

Two sites with different spreads of CSHQ totals at baseline: the SD of site A alone differs from
the SD of the whole programme, so a reference SD taken from the viewer's sites would give the
investigator of site A another RC than the statistician, and the family none at all.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuroregen.core.errors import NotPermitted
from neuroregen.core.roles import Role
from neuroregen.evidence import selectors
from neuroregen.evidence.child import analyse_child
from neuroregen.evidence.reference_sd import reference_sd_freeze
from neuroregen.instruments.builtin_cshq import cshq_item_name
from neuroregen.participants.models import FamilyLink
from neuroregen.protocols.choices import ReferenceSdSource
from neuroregen.protocols.models import ReferenceSd
from neuroregen.reports.content import family_snapshot
from neuroregen.visits.models import Visit
from tests.evidence.builders import _enter, child
from tests.helpers import make_user
from tests.instruments.builders import active_protocol

CSHQ = "cshq.cshq_total"
# baseline CSHQ totals: site A close together, site B spread out
SITE_A = (50, 52, 54, 56, 58, 60)
SITE_B = (42, 48, 62, 70, 78, 86)  # follow-up totals stay within 33–99
CSHQ_RELIABILITY = 0.62


def _cshq_items(total):
    """Answers to the 33 CSHQ items (each scored 1–3) that add up to ``total``."""
    extra = total - 33
    answers = {}
    for number in range(1, 34):
        add = min(2, extra)
        answers[cshq_item_name(number)] = 1 + add
        extra -= add
    return answers


def _cshq_child(coordinator, site, baseline):
    participant = child(coordinator, site, light=True)
    visits = {v.code: v for v in Visit.objects.filter(participant=participant)}
    _enter(coordinator, visits["BL"], "cshq", _cshq_items(baseline), respondent="parent")
    _enter(coordinator, visits["M6"], "cshq", _cshq_items(baseline - 9), respondent="parent")
    return participant


@pytest.fixture
def programme(site_a, site_b, coordinator_a, coordinator_b):
    a = [_cshq_child(coordinator_a, site_a, v) for v in SITE_A]
    b = [_cshq_child(coordinator_b, site_b, v) for v in SITE_B]
    return {"a": a, "b": b, "protocol": active_protocol()}


def _rc(user, study_code):
    frames, sds, _protocol = selectors.child_frames(user=user, study_code=study_code)
    measure = next(m for m in analyse_child(frames, study_code, sds).measures if m.measure == CSHQ)
    return measure


def _expected_rc(change, sd):
    return change / (math.sqrt(2) * sd * math.sqrt(1 - CSHQ_RELIABILITY))


@pytest.mark.django_db
def test_statistician_investigator_and_family_get_the_same_reliable_change(
    programme, statistician, investigator_a, site_a
):
    code = programme["a"][0].study_code
    family = make_user(Role.FAMILY, site_a)
    FamilyLink.objects.create(user=family, participant=programme["a"][0])
    all_sites_sd = float(np.std(SITE_A + SITE_B, ddof=1))
    site_a_sd = float(np.std(SITE_A, ddof=1))
    assert abs(all_sites_sd - site_a_sd) > 5  # the two would give different verdicts

    seen = {
        name: _rc(user, code)
        for name, user in [
            ("statistician", statistician),
            ("investigator", investigator_a),
            ("family", family),
        ]
    }
    for name, measure in seen.items():
        assert measure.verdicts is not None, (name, measure.note)
        assert measure.reference_sd == pytest.approx(all_sites_sd), name
        assert "all sites" in measure.sd_source, name
        [rc] = measure.verdicts.rc
        assert rc == pytest.approx(_expected_rc(-9, all_sites_sd)), name


@pytest.mark.django_db
def test_family_report_uses_the_programme_reference_sd(programme, investigator_a):
    participant = programme["a"][0]
    snapshot = family_snapshot(user=investigator_a, participant=participant, phase="late")
    cshq = next(m for m in snapshot["measures"] if m["key"] == CSHQ)
    assert cshq["sd"] == pytest.approx(float(np.std(SITE_A + SITE_B, ddof=1)))
    assert "all sites" in cshq["sd_source"]


@pytest.mark.django_db
def test_reference_sd_frozen_at_data_lock_stays_when_data_change(
    programme, statistician, site_b, coordinator_b
):

    admin = make_user(Role.ADMINISTRATOR, None)
    with pytest.raises(NotPermitted):
        reference_sd_freeze(user=statistician, protocol=programme["protocol"], reason="lock")
    records = reference_sd_freeze(user=admin, protocol=programme["protocol"], reason="data lock")
    frozen = {r.measure: r for r in records}
    assert frozen[CSHQ].source == ReferenceSdSource.PROGRAMME_BASELINE
    assert frozen[CSHQ].n == len(SITE_A + SITE_B)
    assert frozen[CSHQ].sd == pytest.approx(float(np.std(SITE_A + SITE_B, ddof=1)))
    assert frozen[CSHQ].history.first().history_change_reason == "data lock"

    # a child enrolled after the lock changes the live SD, not the frozen one
    _cshq_child(coordinator_b, site_b, 99)
    measure = _rc(statistician, programme["a"][0].study_code)
    assert measure.reference_sd == pytest.approx(frozen[CSHQ].sd)
    assert "frozen on" in measure.sd_source
    assert ReferenceSd.objects.filter(protocol=programme["protocol"]).count() == len(records)


@pytest.mark.django_db
def test_freeze_command_prints_each_measure(programme):
    from io import StringIO

    from django.core.management import CommandError, call_command

    admin = make_user(Role.ADMINISTRATOR, None)
    out = StringIO()
    protocol = programme["protocol"]
    call_command(
        "freeze_reference_sds",
        protocol.code,
        protocol.version,
        "--user",
        admin.username,
        "--reason",
        "data lock",
        stdout=out,
    )
    assert f"{CSHQ}: SD" in out.getvalue()
    assert ReferenceSd.objects.get(protocol=protocol, measure=CSHQ).frozen_by == admin
    with pytest.raises(CommandError, match="no protocol"):
        call_command("freeze_reference_sds", "NOPE", "1", "--user", "x", "--reason", "r")
