"""ORM → frames: constant query count, site and role filtering, withdrawn data excluded."""

from __future__ import annotations

import numpy as np
import pytest

from neuroregen.core.roles import Role
from neuroregen.core.time import site_today
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
        effective_on=site_today(gone),
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


@pytest.mark.django_db
def test_scores_are_read_as_stored_and_only_the_defined_ones(
    site_a, coordinator_a, monitor
) -> None:
    """Each defined score of a response is a row with its value exactly as stored (a decimal
    included); a score stored without a value is a row without a value; keys of the stored
    JSON that are not a score of the instrument are not outcomes."""
    from neuroregen.instruments.models import Response

    kid = child(coordinator_a, site_a)
    stored = Response.objects.filter(participant=kid, instrument__code="cars2")
    # as an older scoring or an import may have left them (written here without the service)
    stored.filter(visit__code="M3").update(
        scores={"not_a_score": {"value": 5}, "cars2_total": {"value": 33.7, "status": "x"}}
    )
    stored.filter(visit__code="M6").update(
        scores={"cars2_total": {"value": None, "status": "insufficient"}}
    )
    f = selectors.evidence_frames(user=monitor)
    assert set(f.outcomes["measure"]) == {"cars2.cars2_total", "cgi_i.cgi_i"}
    cars = f.outcomes[f.outcomes["measure"] == "cars2.cars2_total"].set_index("visit_code")
    assert cars.loc["M3", "value"] == 33.7
    assert np.isnan(cars.loc["M6", "value"])
    assert cars.loc["D7", "value"] == 37
    assert list(cars.index) == ["BL", "D7", "M3", "M6"]


@pytest.mark.django_db
def test_lab_values_have_a_study_day_whatever_the_precision_of_their_time(
    site_a, coordinator_a, monitor
) -> None:
    import datetime as dt

    from neuroregen.biomarkers import services as bio_services
    from neuroregen.visits.models import Visit
    from tests.evidence.builders import _staff

    kid = child(coordinator_a, site_a)
    m3 = Visit.objects.get(participant=kid, code="M3")
    bio_services.measurement_record(
        user=_staff(site_a, Role.LAB),
        participant=kid,
        visit=m3,
        data={
            "analyte": "il6",
            "value": "3.1",
            "unit": "pg/mL",
            "matrix": "serum",
            # fractions of a second, where the other values have none
            "collected_at": dt.datetime.combine(m3.target_date, dt.time(9, 0, 0, 250_000), dt.UTC),
            "assay": "ELISA",
            "lloq": "0.5",
            "uloq": "200",
        },
    )
    f = selectors.evidence_frames(user=monitor)
    labs = f.biomarkers[f.biomarkers["study_code"] == kid.study_code]
    assert labs["study_day"].notna().all()
    assert len(labs) == 3


def test_cycle_collection_is_paused_only_while_rows_are_read() -> None:
    import gc

    from neuroregen.evidence.frame_queries import _no_cycle_collection

    def read() -> None:
        with _no_cycle_collection():
            assert not gc.isenabled()
            raise RuntimeError("the query failed")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        read()
    assert gc.isenabled()
    gc.disable()
    try:
        with _no_cycle_collection():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
