"""ORM → frames: constant query count, site and role filtering, withdrawn data excluded."""

from __future__ import annotations

import pytest
from django.utils import timezone

from neuroregen.evidence import selectors
from neuroregen.evidence.frames import OUTCOME_COLUMNS, validate_frame
from neuroregen.participants import services as ps
from tests.evidence.builders import adverse_event, child


@pytest.fixture
def registry(site_a, site_b, coordinator_a, coordinator_b):
    a = [child(coordinator_a, site_a, shift=k) for k in range(2)]
    b = [child(coordinator_b, site_b, shift=3)]
    adverse_event(coordinator_a, a[0])
    return {"a": a, "b": b}


@pytest.mark.django_db
def test_frames_from_the_database(registry, monitor) -> None:
    f = selectors.evidence_frames(user=monitor).validate()
    everyone = {p.study_code for p in registry["a"] + registry["b"]}
    assert set(f.participants["study_code"]) == everyone
    cars = f.outcomes[f.outcomes["measure"] == "cars2.cars2_total"]
    assert set(cars["phase"]) == {"baseline", "early", "mid", "late"}
    assert (cars["baseline_value"] == 38).all()
    first = registry["a"][0].study_code
    m6 = cars[(cars["study_code"] == first) & (cars["visit_code"] == "M6")]
    assert m6["study_day"].iloc[0] == 180
    assert m6["direction"].iloc[0] == "higher_is_worse"
    il6 = f.biomarkers[f.biomarkers["study_code"] == first].sort_values("study_day")
    assert il6["below_lloq"].tolist() == [False, True]
    assert il6["lloq"].iloc[1] == 0.5
    assert len(f.adverse_events) == 1
    assert f.adverse_events["study_code"].iloc[0] == first
    validate_frame(f.outcomes, OUTCOME_COLUMNS)


@pytest.mark.django_db
def test_coordinator_frames_hold_only_own_site(registry, coordinator_a) -> None:
    f = selectors.evidence_frames(user=coordinator_a)
    assert set(f.participants["site"]) == {"SITE-A"}
    assert set(f.outcomes["study_code"]) == {p.study_code for p in registry["a"]}


@pytest.mark.django_db
def test_family_frames_hold_only_own_child(registry, site_a) -> None:
    from neuroregen.core.roles import Role
    from neuroregen.participants.models import FamilyLink
    from tests.helpers import make_user

    family = make_user(Role.FAMILY, site_a)
    FamilyLink.objects.create(user=family, participant=registry["a"][1])
    f = selectors.evidence_frames(user=family)
    assert set(f.outcomes["study_code"]) == {registry["a"][1].study_code}


@pytest.mark.django_db
def test_withdrawn_data_are_excluded(registry, coordinator_a, monitor) -> None:
    gone = registry["a"][1]
    ps.consent_withdraw(
        user=coordinator_a,
        participant=gone,
        scope="withdraw_data",
        effective_on=timezone.localdate(),
        reason="family request",
    )
    f = selectors.evidence_frames(user=monitor)
    assert gone.study_code not in set(f.participants["study_code"])
    assert gone.study_code not in set(f.outcomes["study_code"])
    assert gone.study_code not in set(f.biomarkers["study_code"])


@pytest.mark.django_db
def test_query_count_does_not_grow_with_participants(
    site_a, coordinator_a, monitor, django_assert_max_num_queries
) -> None:
    child(coordinator_a, site_a)
    monitor.refresh_from_db()
    with django_assert_max_num_queries(10) as small:
        selectors.evidence_frames(user=monitor)
    for k in range(3):
        child(coordinator_a, site_a, shift=k)
    user = type(monitor).objects.get(pk=monitor.pk)
    with django_assert_max_num_queries(10) as large:
        selectors.evidence_frames(user=user)
    assert len(large.captured_queries) == len(small.captured_queries)
