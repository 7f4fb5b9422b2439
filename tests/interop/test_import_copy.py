"""New forms written by an import: ``COPY`` on PostgreSQL writes exactly what ``bulk_create``
writes, and a problem anywhere (a bad value on the last line, a failure after the rows were
sent) leaves nothing behind."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroregen.instruments.models import Query, QueryEvent, Response
from neuroregen.instruments.redcap import DictionaryRow
from neuroregen.interop import form_creation, form_quality, records, services
from neuroregen.interop.dataset import collect
from neuroregen.interop.errors import ImportRejected
from tests.interop.builders import PROTOCOL, bare_world, fill_forms, leave_out_form_used

CLOCKS = ("completed_at", "opened_at", "at", "history_date")


def _rows(model: Any, drop: tuple[str, ...], **named: Any) -> list[dict[str, Any]]:
    """Every row of ``model`` without ``drop`` (ids that differ by run), clocks as "set or
    not", and the foreign keys in ``named`` replaced by what they point at."""
    rows = []
    for row in model.objects.values():
        for name in drop:
            row.pop(name)
        for clock in CLOCKS:
            if clock in row:
                row[clock] = row[clock] is not None
        for name, point in named.items():
            row[name] = point(row[name])
        rows.append(row)
    return sorted(rows, key=repr)


def _written() -> dict[str, list[dict[str, Any]]]:
    forms = {r.pk: (r.visit_id, r.instrument_id) for r in Response.objects.all()}
    queries = {q.pk: (forms[q.response_id], q.rule, q.field_name) for q in Query.objects.all()}
    history = Response.history.model  # type: ignore[attr-defined]
    query_history = Query.history.model  # type: ignore[attr-defined]
    return {
        "responses": _rows(Response, ("id",)),
        "history": _rows(history, ("history_id", "id")),
        "queries": _rows(
            Query,
            ("id",),
            response_id=forms.get,
            key=lambda key: key.split(":", 2)[2],  # response:<id>:rule:field
        ),
        "query history": _rows(
            query_history,
            ("history_id", "opened_at", "history_date"),
            id=queries.get,
            response_id=forms.get,
            key=lambda key: key.split(":", 2)[2],
        ),
        "events": _rows(QueryEvent, ("id",), query_id=queries.get),
    }


def _world_and_file(site_a, site_b, coordinator_a, coordinator_b) -> tuple[Any, str]:
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    fill_forms(world)
    leave_out_form_used(world)
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    transaction.savepoint_rollback(empty)
    return world, text


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_writes_the_rows_history_and_queries_bulk_create_writes(
    site_a, site_b, coordinator_a, coordinator_b, monkeypatch
):
    world, text = _world_and_file(site_a, site_b, coordinator_a, coordinator_b)
    written = {}
    for copy in (True, False):
        monkeypatch.setattr(form_creation, "uses_copy", lambda copy=copy: copy)
        before = transaction.savepoint()
        result = services.redcap_import(
            user=world.admin, protocol=PROTOCOL, text=text, source_name="f.csv"
        )
        assert result.created == Response.objects.count() > 0
        written[copy] = _written()
        transaction.savepoint_rollback(before)
    assert written[True] == written[False]
    reasons = {row["history_change_reason"] for row in written[True]["history"]}
    assert reasons == {
        "first entry (imported from f.csv)",
        "entry in progress (imported from f.csv)",
        # the forms not done go through the data-entry service, one by one
        "form started",
        "not done: family ran out of time",
    }
    assert {row["history_user_id"] for row in written[True]["history"]} == {world.admin.pk}
    assert [q["rule"] for q in written[True]["queries"]] == ["branching"]
    again = services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert (again.created, again.updated) == (len(written[True]["responses"]), 0)


@pytest.mark.django_db
def test_a_failure_after_the_rows_were_written_leaves_nothing(
    site_a, site_b, coordinator_a, coordinator_b, monkeypatch
):
    world, text = _world_and_file(site_a, site_b, coordinator_a, coordinator_b)
    history = Response.history.model  # type: ignore[attr-defined]

    def broken(*args: Any) -> None:
        assert Response.objects.exists()  # the new forms are in, inside the transaction
        raise RuntimeError("the server went away")

    monkeypatch.setattr(form_quality, "open_queries", broken)
    with pytest.raises(RuntimeError):
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert not Response.objects.exists()
    assert not history.objects.exists()
    assert not Query.objects.exists()


@pytest.mark.django_db
def test_one_bad_value_on_the_last_line_refuses_the_file_and_names_it(
    site_a, site_b, coordinator_a, coordinator_b
):
    world, text = _world_and_file(site_a, site_b, coordinator_a, coordinator_b)
    lines = text.splitlines()
    header = lines[0].split(",")
    last = lines[-1].split(",")
    items = [i for i, name in enumerate(header) if re.fullmatch(r"atec_iv_\d+", name)]
    column = max(i for i in items if last[i])  # the last answered ATEC item of the file
    last[column] = "9"  # ATEC IV items are scored 0–3
    lines[-1] = ",".join(last)
    history = Response.history.model  # type: ignore[attr-defined]
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text="\r\n".join(lines))
    assert [(p.where, p.column) for p in caught.value.problems] == [
        (f"line {len(lines)}", header[column])
    ]
    assert "not one of the choices" in caught.value.problems[0].message
    assert not Response.objects.exists()
    assert not history.objects.exists()


class _Instrument:
    """An instrument as the reader sees it: a code and its fields."""

    def __init__(self, rows: list[DictionaryRow]) -> None:
        self.code = "f"
        self.rows = rows

    @property
    def fields(self) -> Any:
        return self

    def all(self) -> list[Any]:
        return [_Field(r) for r in self.rows]


class _Field:
    def __init__(self, row: DictionaryRow) -> None:
        self.__dict__.update(row.as_dict())


READER_FIELDS = [
    DictionaryRow("a", "f", field_type="radio", choices="0, No | 1, Yes"),
    DictionaryRow("b", "f", field_type="radio", choices="1, A | NA, Not asked"),
    DictionaryRow("c", "f", validation="integer"),
    DictionaryRow("d", "f", field_type="calc", choices="[c] * 2"),
]
CELL = st.sampled_from(["", "0", "1", "NA", "UNK", "DECL", "7", "x"])


@settings(max_examples=300, deadline=None)
@given(
    cells=st.fixed_dictionaries(
        {},
        optional={
            "a": CELL,
            "b": CELL,
            "c": CELL,
            "d": CELL,
            "f_complete": st.sampled_from(["", "0", "2", "3"]),
        },
    )
)
def test_a_form_without_checkboxes_is_read_in_one_pass_as_field_by_field(cells):
    reader = records.FormReader(_Instrument(READER_FIELDS))
    assert reader.plain_only
    field_by_field = records.FormReader(_Instrument(READER_FIELDS))
    field_by_field.plain_only = False
    one_pass = reader.read(cells, "line 2")
    expected = field_by_field.read(cells, "line 2")
    assert one_pass == expected
    assert [list(one_pass[0]), list(one_pass[1])] == [list(expected[0]), list(expected[1])]
