"""An assignment's recorded evaluation reads in the reader's language — when it can be worded
again without changing a single decision."""

from __future__ import annotations

from django.utils import translation

from neuroregen.protocols.selectors import assignment_evaluation_worded
from tests.protocols.builders import active_protocol, enrolled_participant, recommend


def _texts(evaluation):
    return [o["text"] for o in evaluation["outcomes"]]


def test_recorded_in_english_read_in_russian(site_a, investigator_a):
    protocol = active_protocol()
    child = enrolled_participant(investigator_a, site_a, weight="22")
    with translation.override("en"):
        assignment = recommend(investigator_a, child, protocol)
    recorded = _texts(assignment.evaluation)
    with translation.override("ru"):
        worded = assignment_evaluation_worded(assignment)
    assert worded["recommended_arm"] == assignment.evaluation["recommended_arm"]
    assert _texts(worded) != recorded
    assert any("критери" in text for text in _texts(worded))


def test_a_record_the_rules_no_longer_reach_is_shown_as_written(site_a, investigator_a):
    protocol = active_protocol()
    child = enrolled_participant(investigator_a, site_a, weight="22")
    with translation.override("en"):
        assignment = recommend(investigator_a, child, protocol)
    first = assignment.evaluation["outcomes"][0]
    first["fired"] = not first["fired"]  # as if the rules had been revised since
    with translation.override("ru"):
        worded = assignment_evaluation_worded(assignment)
    assert _texts(worded) == _texts(assignment.evaluation)
