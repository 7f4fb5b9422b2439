"""Entering responses at a visit: validation, missing codes, reasons, conflicts, not done,
expected versus received, and the data-quality queries a save opens."""

from __future__ import annotations

import pytest

from neuroregen.core.errors import NotPermitted, ReasonRequired
from neuroregen.instruments import services
from neuroregen.instruments.errors import AnswersInvalid, ResponseConflict
from neuroregen.instruments.models import Query, Response
from neuroregen.instruments.selectors import visit_forms
from tests.instruments.builders import participant_with_visits

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(coordinator_a, site_a):
    return participant_with_visits(coordinator_a, site_a)


def test_first_entry_needs_no_reason_then_every_edit_does(child, coordinator_a):
    _participant, visits = child
    response = services.response_start(user=coordinator_a, visit=visits["BL"], instrument="cgi_s")
    response = services.response_save(
        user=coordinator_a,
        response=response,
        answers={"cgi_s": "4"},
        complete=True,
        expected_version=response.row_version,
    )
    assert response.status == "complete"
    assert response.scores["cgi_s"]["value"] == 4
    with pytest.raises(ReasonRequired):
        services.response_save(
            user=coordinator_a,
            response=response,
            answers={"cgi_s": "5"},
            complete=True,
            expected_version=response.row_version,
        )
    response = services.response_save(
        user=coordinator_a,
        response=response,
        answers={"cgi_s": "5"},
        complete=True,
        expected_version=response.row_version,
        reason="transcription error",
    )
    assert response.history.first().history_change_reason == "transcription error"
    assert response.respondent == "clinician"
    assert response.language == "uk"
    assert response.answered_on is not None


def test_bad_answers_change_nothing(child, coordinator_a):
    _participant, visits = child
    response = services.response_start(
        user=coordinator_a, visit=visits["BL"], instrument="vineland3"
    )
    with pytest.raises(AnswersInvalid) as caught:
        services.response_save(
            user=coordinator_a,
            response=response,
            answers={"vineland3_com": "eighty", "vineland3_motor_assessed": "7"},
            expected_version=response.row_version,
        )
    assert set(caught.value.errors) == {"vineland3_com", "vineland3_motor_assessed"}
    response.refresh_from_db()
    assert response.answers == {}
    assert response.row_version == 1


def test_missing_codes_are_stored_apart_and_count_as_missing(child, coordinator_a):
    _participant, visits = child
    response = services.response_start(user=coordinator_a, visit=visits["BL"], instrument="abc2")
    response = services.response_save(
        user=coordinator_a,
        response=response,
        answers={"abc2_irritability": "12"},
        missing={"abc2_stereotypy": "DECL"},
        expected_version=response.row_version,
    )
    assert response.missing == {"abc2_stereotypy": "DECL"}
    assert "abc2_stereotypy" not in response.answers
    assert response.scores["abc2_stereotypy"]["value"] is None
    assert response.scores["abc2_irritability"]["value"] == 12


def test_second_concurrent_save_is_refused_with_what_changed(child, coordinator_a, site_a):
    from neuroregen.core.roles import Role
    from tests.helpers import make_user

    _participant, visits = child
    colleague = make_user(Role.INVESTIGATOR, site_a)
    response = services.response_start(user=coordinator_a, visit=visits["BL"], instrument="cars2")
    opened_version = response.row_version  # both open the empty form
    services.response_save(
        user=colleague,
        response=response,
        answers={"cars2_form": "ST", "cars2_total": "38"},
        expected_version=opened_version,
    )
    with pytest.raises(ResponseConflict) as caught:
        services.response_save(
            user=coordinator_a,
            response=response,
            answers={"cars2_form": "ST", "cars2_total": "41"},
            expected_version=opened_version,
        )
    changes = {c["field"]: c for c in caught.value.changes}
    assert changes["cars2_total"]["now"] == "38"
    assert changes["cars2_total"]["yours_were_based_on"] is None
    assert changes["cars2_total"]["by"] == str(colleague)
    response.refresh_from_db()
    assert response.answers["cars2_total"] == "38"  # the first save is not lost
    # Having seen the change, the second person saves deliberately on the current version.
    services.response_save(
        user=coordinator_a,
        response=response,
        answers={"cars2_form": "ST", "cars2_total": "41"},
        expected_version=caught.value.current_version,
    )
    assert response.history.count() == 3


def test_other_site_cannot_save(child, coordinator_b, coordinator_a):
    _participant, visits = child
    response = services.response_start(user=coordinator_a, visit=visits["BL"], instrument="cgi_s")
    with pytest.raises(NotPermitted):
        services.response_save(
            user=coordinator_b, response=response, answers={"cgi_s": "2"}, expected_version=None
        )


def test_expected_versus_received_at_a_visit(child, coordinator_a):
    _participant, visits = child
    baseline = visits["BL"]
    services.response_save(
        user=coordinator_a,
        response=services.response_start(user=coordinator_a, visit=baseline, instrument="cgi_s"),
        answers={"cgi_s": "3"},
        complete=True,
        expected_version=1,
    )
    services.response_save(
        user=coordinator_a,
        response=services.response_start(user=coordinator_a, visit=baseline, instrument="abc2"),
        answers={"abc2_irritability": "10"},
        expected_version=1,
    )
    services.response_mark_not_done(
        user=coordinator_a, visit=baseline, instrument="srs2", reason="teacher form not returned"
    )
    rows = {r.code: r for r in visit_forms(user=coordinator_a, visit=baseline)}
    assert rows["cgi_s"].state == "entered"
    assert rows["abc2"].state == "partial"
    assert rows["srs2"].state == "not_done"
    assert rows["srs2"].reason == "teacher form not returned"
    assert rows["atec"].state == "missing"
    assert rows["il6"].state == "missing"
    assert rows["il6"].kind == "biomarker"


def test_save_refuses_out_of_range_and_opens_queries_for_branching(child, coordinator_a):
    _participant, visits = child
    response = services.response_start(
        user=coordinator_a, visit=visits["BL"], instrument="vineland3"
    )
    with pytest.raises(AnswersInvalid) as caught:
        services.response_save(
            user=coordinator_a,
            response=response,
            answers={"vineland3_com": "150"},
            expected_version=1,
        )
    assert caught.value.errors == {"vineland3_com": "150 is outside the expected range 20–140."}
    services.response_save(
        user=coordinator_a,
        response=response,
        answers={"vineland3_com": "130", "vineland3_motor_assessed": "0", "vineland3_motor": "90"},
        expected_version=1,
    )
    rules = {(q.rule, q.field_name) for q in Query.objects.filter(response=response)}
    assert ("branching", "vineland3_motor") in rules
    # Re-running the checks does not duplicate open queries.
    before = Query.objects.count()
    services.quality_run_batch(user=coordinator_a)
    assert Query.objects.count() == before
    assert Response.objects.filter(pk=response.pk).exists()
