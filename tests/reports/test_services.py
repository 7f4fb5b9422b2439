"""Family report lifecycle: draft → edit → release (e-signature) → immutable → correction."""

from __future__ import annotations

import pytest

from neuroregen.core.errors import NotPermitted, SignatureRejected, ValidationFailed
from neuroregen.core.roles import Role
from neuroregen.core.services import signature_verify, signatures_for
from neuroregen.reports import selectors, services
from neuroregen.reports.errors import InvitationUnusable, ReportImmutable
from neuroregen.reports.models import FamilyReport
from tests.helpers import PASSWORD, make_user
from tests.reports.builders import child_with_data, released_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def kid(site_a, coordinator_a):
    return child_with_data(coordinator_a, site_a)


def test_draft_snapshot_holds_the_childs_numbers(kid, coordinator_a):
    report = services.family_report_draft(user=coordinator_a, participant=kid, phase="late")
    assert report.status == "draft"
    assert report.version == 1
    cars = next(m for m in report.content["measures"] if m["key"].startswith("cars2"))
    # CARS-2 38 at baseline and 31 at M6 (tests/evidence/builders.py)
    assert cars["baseline"] == 38
    assert cars["latest"] == {"visit": "M6", "change": -7.0, "rc": None, "category": None}
    assert report.content["adverse_events"][0]["grade"] == 2
    assert report.content["biomarkers"][0]["points"][1]["below_lloq"] is True


def test_an_earlier_phase_stops_at_that_phase(kid, coordinator_a):
    report = services.family_report_draft(user=coordinator_a, participant=kid, phase="early")
    cars = next(m for m in report.content["measures"] if m["key"].startswith("cars2"))
    assert [p["visit"] for p in cars["points"]] == ["BL", "D7"]


def test_release_signs_and_freezes(kid, coordinator_a, investigator_a):
    report = services.family_report_draft(user=coordinator_a, participant=kid, phase="late")
    report = services.family_report_edit(
        user=investigator_a,
        report=report,
        clinician_note="Calm visit.",
        reason="review",
        expected_version=report.row_version,
    )
    released = services.family_report_release(user=investigator_a, report=report, password=PASSWORD)
    assert released.is_released
    assert released.released_by == investigator_a
    signature = signatures_for(released).get()
    assert signature_verify(signature)
    with pytest.raises(ReportImmutable):
        services.family_report_edit(
            user=investigator_a, report=released, clinician_note="changed", reason="x"
        )
    released.clinician_note = "tampered"
    released._change_reason = "shell edit"
    with pytest.raises(ReportImmutable):
        released.save()
    released.refresh_from_db()
    assert released.clinician_note == "Calm visit."
    assert signature_verify(signature)


def test_only_an_investigator_releases_and_a_wrong_password_changes_nothing(
    kid, coordinator_a, investigator_a
):
    report = services.family_report_draft(user=coordinator_a, participant=kid, phase="late")
    with pytest.raises(NotPermitted):
        services.family_report_release(user=coordinator_a, report=report, password=PASSWORD)
    with pytest.raises(SignatureRejected):
        services.family_report_release(user=investigator_a, report=report, password="wrong")
    report.refresh_from_db()
    assert report.status == "draft"
    assert report.row_version == 1
    assert not signatures_for(report).exists()


def test_correction_is_a_new_version_that_supersedes(kid, coordinator_a, investigator_a):
    first = released_report(coordinator_a, kid)
    with pytest.raises(ValidationFailed):
        services.family_report_correct(user=coordinator_a, report=first, reason=" ")
    draft = services.family_report_correct(
        user=coordinator_a, report=first, reason="wrong visit date"
    )
    assert draft.version == 2
    assert draft.supersedes == first
    first.refresh_from_db()
    assert first.is_current  # still what the family reads until the correction is released
    services.family_report_release(user=investigator_a, report=draft, password=PASSWORD)
    first.refresh_from_db()
    assert not first.is_current
    assert first.is_released
    assert FamilyReport.objects.filter(participant=kid).count() == 2


def test_second_open_draft_is_refused(kid, coordinator_a):
    services.family_report_draft(user=coordinator_a, participant=kid, phase="late")
    with pytest.raises(Exception, match="already exists"):
        services.family_report_draft(user=coordinator_a, participant=kid, phase="late")


def test_families_see_only_released_reports_of_their_child(kid, site_a, coordinator_a):
    draft = services.family_report_draft(user=coordinator_a, participant=kid, phase="mid")
    released = released_report(coordinator_a, kid, phase="late")
    family = make_user(Role.FAMILY, site_a)
    from neuroregen.participants.models import FamilyLink

    FamilyLink.objects.create(user=family, participant=kid)
    visible = list(selectors.reports_for(user=family))
    assert visible == [released]
    assert draft not in visible


def test_invitation_sets_a_strong_password_once(kid, coordinator_a):
    invitation, token = services.family_invite_create(
        user=coordinator_a, participant=kid, username="guardian-k", language="uk"
    )
    family = invitation.user
    assert not family.is_active
    assert not family.has_usable_password()
    assert family.preferred_language == "uk"
    with pytest.raises(ValidationFailed):
        services.invitation_accept(token=token, password="short", password_again="short")
    with pytest.raises(ValidationFailed):
        services.invitation_accept(
            token=token, password="password1234", password_again="password1234"
        )
    strong = "Sunflower-river-1987-quiet"
    family = services.invitation_accept(token=token, password=strong, password_again=strong)
    assert family.is_active
    assert family.check_password(strong)
    assert list(selectors.family_children(user=family)) == [kid]
    with pytest.raises(InvitationUnusable):
        services.invitation_accept(token=token, password=strong, password_again=strong)
    with pytest.raises(InvitationUnusable):
        services.invitation_resolve(token[:-2] + "xx")


def test_coordinator_of_another_site_cannot_draft_or_invite(kid, coordinator_b):
    with pytest.raises(NotPermitted):
        services.family_report_draft(user=coordinator_b, participant=kid, phase="late")
    with pytest.raises(NotPermitted):
        services.family_invite_create(user=coordinator_b, participant=kid, username="x-guard")
    assert not FamilyReport.objects.exists()
