"""Forms created by an import: the rows, history and data-quality queries of data entry."""

from __future__ import annotations

import pytest
from django.db import transaction

from neuroregen.instruments.models import Query, Response
from neuroregen.interop import records, services
from neuroregen.interop.dataset import collect
from neuroregen.interop.errors import ImportRejected
from neuroregen.participants import services as participant_services
from tests.helpers import site_a_today
from tests.interop.builders import PROTOCOL, bare_world, fill_forms, leave_out_form_used
from tests.interop.snapshot import not_done_snapshot, responses_snapshot


def _queries() -> list[tuple[str, ...]]:
    return sorted(
        (
            q.participant.study_code,
            q.response.visit.code,
            q.response.instrument.code,
            q.rule,
            q.field_name,
            q.message,
            q.status,
        )
        for q in Query.objects.filter(response__isnull=False).select_related(
            "participant", "response__visit", "response__instrument"
        )
    )


@pytest.mark.django_db
def test_imported_forms_have_one_history_row_and_the_queries_entry_opens(
    site_a, site_b, coordinator_a, coordinator_b
):
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    fill_forms(world)
    leave_out_form_used(world)
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    entered = responses_snapshot()
    not_done = not_done_snapshot()
    assert len(not_done) == 3  # the CSHQ of each child
    opened = _queries()
    assert [q[3:5] for q in opened] == [("branching", "vineland3_motor")]
    transaction.savepoint_rollback(empty)
    assert not Response.objects.exists()
    assert not Query.objects.exists()

    result = services.redcap_import(
        user=world.admin, protocol=PROTOCOL, text=text, source_name="f.csv"
    )

    assert result.created == len(entered) + len(not_done)
    assert responses_snapshot() == entered
    assert not_done_snapshot() == not_done
    assert _queries() == opened
    for query in Query.objects.all():
        assert query.events.get().action == "opened"
        assert query.history.get().history_user == world.admin
    for response in Response.objects.exclude(status="not_done"):
        (row,) = response.history.all()
        assert row.history_user == world.admin
        first = "first entry" if response.status == "complete" else "entry in progress"
        assert row.history_change_reason == f"{first} (imported from f.csv)"
        assert response.entered_by == world.admin
        assert response.source == "import"


@pytest.mark.django_db
def test_withdrawn_data_refuses_the_whole_file(site_a, site_b, coordinator_a, coordinator_b):
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    fill_forms(world)
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    transaction.savepoint_rollback(empty)
    gone = world.participants[1]
    participant_services.consent_withdraw(
        user=world.admin,
        participant=gone,
        scope="withdraw_data",
        effective_on=site_a_today(),
        reason="family asked",
    )
    lines = text.splitlines()
    theirs = {f"line {i + 1}" for i, line in enumerate(lines) if line.startswith(gone.study_code)}
    assert theirs

    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)

    refused = {p.where for p in caught.value.problems if "withdrawn" in p.message}
    assert refused == theirs
    assert not Response.objects.exists()
    assert not Query.objects.exists()
