"""Forms not done and missing-data codes in REDCap records and the tidy export."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction

from neuroregen.instruments import services as instrument_services
from neuroregen.instruments.choices import MissingCode
from neuroregen.instruments.models import Response
from neuroregen.instruments.redcap import DictionaryRow, write_dictionary
from neuroregen.interop import records, services
from neuroregen.interop.dataset import ExportOptions, collect
from neuroregen.interop.errors import ImportRejected
from tests.interop.builders import PROTOCOL, bare_world, fill
from tests.interop.snapshot import not_done_snapshot, responses_snapshot

REASON = "family ran out of time"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _write(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(dict.fromkeys(c for row in rows for c in row)), restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _cshq_row(rows: list[dict[str, str]], code: str) -> dict[str, str]:
    return next(r for r in rows if r["record_id"] == code and r["cshq_complete"] == "0")


@pytest.mark.django_db
def test_tidy_export_keeps_forms_not_done_with_their_reason(world):
    rows = _rows(records.export_tidy(collect(user=world.admin, protocol=PROTOCOL)))
    not_done = [r for r in rows if r["instrument"] == "cshq"]
    assert len(not_done) == len(world.participants)
    assert {(r["kind"], r["item"], r["value"], r["status"]) for r in not_done} == {
        ("not_done", "", REASON, "not_done")
    }


@pytest.mark.django_db
def test_a_form_not_done_holds_no_answers(world):
    rows = _rows(records.export_records(collect(user=world.admin, protocol=PROTOCOL)))
    first = _cshq_row(rows, world.participants[0].study_code)
    answered = next(c for c in first if c.startswith("cshq_") and first[c] == "NASK")
    first[answered] = "1"
    first["cshq_complete"] = "1"
    before = not_done_snapshot()
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text=_write(rows))
    columns = {p.column for p in caught.value.problems}
    assert columns == {answered, "cshq_complete"}
    assert not_done_snapshot() == before


@pytest.mark.django_db
def test_a_changed_reason_updates_the_form_and_the_same_file_then_changes_nothing(world):
    rows = _rows(records.export_records(collect(user=world.admin, protocol=PROTOCOL)))
    first = _cshq_row(rows, world.participants[0].study_code)
    first["cshq_not_done_reason"] = "child unwell"
    text = _write(rows)
    result = services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert (result.created, result.updated) == (0, 1)
    response = Response.objects.get(
        participant=world.participants[0], instrument__code="cshq", status="not_done"
    )
    assert response.not_done_reason == "child unwell"
    assert response.history.first().history_user == world.admin
    again = services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert (again.created, again.updated) == (0, 0)


@pytest.mark.django_db
def test_a_completed_form_is_not_turned_into_not_done(world):
    rows = _rows(records.export_records(collect(user=world.admin, protocol=PROTOCOL)))
    first = next(
        r
        for r in rows
        if r["record_id"] == world.participants[0].study_code and r["cgi_s_complete"] == "1"
    )
    first["cgi_s"] = "NASK"
    first["cgi_s_complete"] = "0"
    first["cgi_s_not_done_reason"] = "not needed"  # a column the reader knows for every form
    before = responses_snapshot(exclude_not_done=False)
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text=_write(rows))
    (problem,) = caught.value.problems
    assert problem.column == "cgi_s_not_done_reason"
    assert "completed" in problem.message
    assert responses_snapshot(exclude_not_done=False) == before


FIELDS = [
    DictionaryRow("mx_text", "nr_mx", field_label="Text"),
    DictionaryRow("mx_notes", "nr_mx", field_type="notes", field_label="Notes"),
    DictionaryRow("mx_date", "nr_mx", field_label="Date", validation="date_ymd"),
    DictionaryRow("mx_when", "nr_mx", field_label="When", validation="datetime_ymd"),
    DictionaryRow("mx_time", "nr_mx", field_label="Time", validation="time"),
    DictionaryRow(
        "mx_int", "nr_mx", field_label="Integer", validation="integer", validation_min="0"
    ),
    DictionaryRow("mx_num", "nr_mx", field_label="Number", validation="number", validation_max="9"),
    DictionaryRow(
        "mx_drop", "nr_mx", field_type="dropdown", field_label="Drop", choices="1, A | 2, B"
    ),
    DictionaryRow(
        "mx_radio", "nr_mx", field_type="radio", field_label="Radio", choices="1, A | 2, B"
    ),
    DictionaryRow("mx_yes", "nr_mx", field_type="yesno", field_label="Yes/no"),
    DictionaryRow("mx_true", "nr_mx", field_type="truefalse", field_label="True/false"),
    DictionaryRow(
        "mx_slide", "nr_mx", field_type="slider", field_label="Slider", choices="Low | | High"
    ),
    DictionaryRow(
        "mx_box", "nr_mx", field_type="checkbox", field_label="Box", choices="a, A | b, B"
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("shift_dates", [False, True])
def test_every_missing_data_code_in_every_field_type_round_trips(
    site_a, site_b, coordinator_a, coordinator_b, shift_dates
):
    instrument_services.dictionary_import(user=None, text=write_dictionary(FIELDS))
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    codes = list(MissingCode.values)
    places = [(0, "BL"), (1, "BL"), (2, "BL"), (0, "SCR")]
    for code, (child, visit) in zip(codes, places, strict=True):
        user = coordinator_b if child == 2 else coordinator_a
        fill(user, world.visits[child][visit], "nr_mx", {}, {f.field_name: code for f in FIELDS})
    dataset = collect(
        user=world.admin, protocol=PROTOCOL, options=ExportOptions(shift_dates=shift_dates)
    )
    text = records.export_records(dataset)
    coded = [r for r in _rows(text) if r["nr_mx_complete"]]
    assert sorted(r["mx_date"] for r in coded) == sorted(codes)  # never shifted: not a date
    before = responses_snapshot()
    assert len(before) == len(codes)
    transaction.savepoint_rollback(empty)
    for child, visit in places:  # the form is not in the schedule: started where it was
        user = coordinator_b if child == 2 else coordinator_a
        instrument_services.response_start(
            user=user, visit=world.visits[child][visit], instrument="nr_mx"
        )
    services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert responses_snapshot() == before
