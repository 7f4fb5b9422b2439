"""REDCap records: export shapes, round trip into an empty project, all-or-nothing import."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction

from neuroregen.core.errors import NotPermitted
from neuroregen.instruments.builtin_cshq import cshq_item_name
from neuroregen.instruments.models import Query, Response
from neuroregen.interop import records, services
from neuroregen.interop.dataset import ExportOptions, collect, date_shift_days
from neuroregen.interop.errors import ImportRejected
from tests.interop.builders import PROTOCOL, bare_world, fill_forms
from tests.interop.snapshot import not_done_snapshot, responses_snapshot


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
def test_longitudinal_export_shape(world):
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    rows = _rows(text)
    header = text.splitlines()[0].split(",")
    assert header[:2] == ["record_id", "redcap_event_name"]
    assert "atec_complete" in header
    assert "cgi_s_complete" in header
    assert not any(h.startswith("atec_total") and h.endswith("_complete") for h in header)
    events = {(r["record_id"], r["redcap_event_name"]) for r in rows}
    first = world.participants[0].study_code
    assert (first, "bl_arm_1") in events or any(e[1].startswith("bl_arm_") for e in events)
    bl = next(
        r for r in rows if r["record_id"] == first and r["redcap_event_name"].startswith("bl_")
    )
    assert bl["atec_complete"] == "1"  # complete, not yet verified (REDCap "Unverified")
    assert bl["cgi_s"] == "3"
    # not done: status 0, items not asked, the reason in its own column
    assert bl["cshq_complete"] == "0"
    assert bl["cshq_not_done_reason"] == "family ran out of time"
    assert bl[cshq_item_name(1)] == "NASK"
    second = next(
        r
        for r in rows
        if r["record_id"] == world.participants[1].study_code
        and r["redcap_event_name"].startswith("bl_")
    )
    assert second["atec_i_03"] == "DECL"
    assert second["atec_iv_25"] == "UNK"
    scr = next(
        r
        for r in rows
        if r["record_id"] == world.participants[2].study_code
        and r["redcap_event_name"].startswith("scr_")
    )
    assert scr["cars2_complete"] == "0"


@pytest.mark.django_db
def test_flat_export_has_base_rows_and_repeat_instances(world):
    rows = _rows(
        records.export_records(collect(user=world.admin, protocol=PROTOCOL), longitudinal=False)
    )
    first = world.participants[0].study_code
    own = [r for r in rows if r["record_id"] == first]
    assert own[0]["redcap_repeat_instrument"] == ""
    assert own[0]["redcap_repeat_instance"] == ""
    instruments = {(r["redcap_repeat_instrument"], r["redcap_repeat_instance"]) for r in own[1:]}
    assert {i for i, _n in instruments} == {"atec", "cgi_s", "cars2", "cshq"}
    atec_instance = next(n for i, n in instruments if i == "atec")
    cgi_instance = next(n for i, n in instruments if i == "cgi_s")
    assert atec_instance == cgi_instance  # the same visit


@pytest.mark.django_db
@pytest.mark.parametrize("longitudinal", [True, False])
def test_round_trip_into_an_empty_project(
    site_a, site_b, coordinator_a, coordinator_b, longitudinal
):
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    fill_forms(world)
    text = records.export_records(
        collect(user=world.admin, protocol=PROTOCOL), longitudinal=longitudinal
    )
    before = responses_snapshot()
    not_done = not_done_snapshot()
    assert len(before) == 9
    assert set(not_done.values()) == {"family ran out of time"}
    assert len(not_done) == 3
    transaction.savepoint_rollback(empty)  # same children and visits, no forms
    assert not Response.objects.exists()
    result = services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert result.created == 9 + 3
    assert responses_snapshot() == before
    assert not_done_snapshot() == not_done  # the forms not done, with their reasons
    assert Response.objects.filter(source="import").count() == 9 + 3
    again = services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9 + 3)


@pytest.mark.django_db
def test_broken_file_changes_nothing_and_lists_every_problem(world):
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    rows = text.splitlines()
    header = rows[0].split(",")
    bl = next(i for i, r in enumerate(rows) if ",bl_arm_" in r)
    scr = next(i for i, r in enumerate(rows) if ",scr_arm_" in r)
    first = rows[bl].split(",")
    second = rows[scr].split(",")
    col = header.index
    first[col("cgi_s")] = "9"  # not a choice
    first[col("atec_i_01")] = "7"  # not a choice either: both are reported
    second[col("redcap_event_name")] = "m99_arm_1"  # not in the schedule
    broken = [rows[0] + ",mystery", *(r + "," for r in rows[1:])]
    broken[bl] = ",".join(first) + ","
    broken[scr] = ",".join(second) + ","
    broken.append("P-NOBODY-00,bl_arm_1" + "," * (len(header) - 1))
    before = responses_snapshot(exclude_not_done=False)
    queries = Query.objects.count()
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text="\r\n".join(broken))
    found = {(p.where, p.column) for p in caught.value.problems}
    assert ("line 1", "mystery") in found
    assert (f"line {bl + 1}", "cgi_s") in found
    assert (f"line {bl + 1}", "atec_i_01") in found
    assert (f"line {scr + 1}", "redcap_event_name") in found
    assert (f"line {len(broken)}", "record_id") in found
    assert responses_snapshot(exclude_not_done=False) == before
    assert Query.objects.count() == queries


@pytest.mark.django_db
def test_changed_value_updates_with_reason_and_audit(world):
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    header = text.splitlines()[0].split(",")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if ",bl_arm_" in line)
    cells = lines[index].split(",")
    cells[header.index("cgi_s")] = "6"
    lines[index] = ",".join(cells)
    result = services.redcap_import(
        user=world.admin, protocol=PROTOCOL, text="\r\n".join(lines), source_name="fix.csv"
    )
    assert (result.updated, result.created) == (1, 0)
    response = Response.objects.get(participant__study_code=cells[0], instrument__code="cgi_s")
    assert response.answers["cgi_s"] == "6"
    last = response.history.first()
    assert last.history_user == world.admin
    assert last.history_change_reason == "imported from fix.csv"


@pytest.mark.django_db
def test_monitor_cannot_import_and_statistician_cannot_see_identity(world, monitor):
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=monitor, protocol=PROTOCOL, text=text)
    assert all("may not enter data" in p.message for p in caught.value.problems)
    with pytest.raises(NotPermitted):
        collect(
            user=world.statistician, protocol=PROTOCOL, options=ExportOptions(include_identity=True)
        )
    with pytest.raises(NotPermitted):
        collect(user=world.coordinator_a, protocol=PROTOCOL)  # no export capability


@pytest.mark.django_db
def test_statistician_exports_every_site_pseudonymously(world):
    text = records.export_records(collect(user=world.statistician, protocol=PROTOCOL))
    codes = {r["record_id"] for r in _rows(text)}
    assert codes == {p.study_code for p in world.participants}


def test_date_shift_is_consistent_and_never_zero():
    shifts = [date_shift_days(f"P-{n:06d}-00") for n in range(300)]
    assert all(1 <= abs(s) <= 182 for s in shifts)
    assert date_shift_days("P-000001-00") == date_shift_days("P-000001-00")
    assert len(set(shifts)) > 50


@pytest.mark.django_db
def test_tidy_long_export_has_items_and_scores(world):
    rows = _rows(records.export_tidy(collect(user=world.admin, protocol=PROTOCOL)))
    first = world.participants[0].study_code
    atec = [r for r in rows if r["study_code"] == first and r["instrument"] == "atec"]
    assert {r["kind"] for r in atec} == {"item", "score"}
    assert any(r["item"] == "atec_total" and r["kind"] == "score" for r in atec)
    declined = [r for r in rows if r["item"] == "atec_i_03" and r["missing_code"] == "DECL"]
    assert len(declined) == 1
    assert all(r["synthetic"] == "False" for r in rows)


@pytest.mark.django_db
def test_checkbox_columns_and_missing_codes_round_trip(
    site_a, site_b, coordinator_a, coordinator_b
):
    from neuroregen.instruments import services as instrument_services
    from neuroregen.instruments.redcap import DictionaryRow, write_dictionary
    from tests.interop.builders import fill

    instrument_services.dictionary_import(
        user=None,
        text=write_dictionary(
            [
                DictionaryRow(
                    "sx_diet",
                    "nr_sx",
                    field_type="checkbox",
                    field_label="Diets",
                    choices="gf, Gluten-free | cf, Casein-free | other, Other",
                ),
                DictionaryRow("sx_note", "nr_sx", field_label="Note"),
                DictionaryRow(
                    "sx_sleep",
                    "nr_sx",
                    field_type="checkbox",
                    field_label="Sleep aids",
                    choices="mel, Melatonin | none, None",
                ),
            ]
        ),
    )
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    bl = world.visits[0]["BL"]
    fill(
        coordinator_a,
        bl,
        "nr_sx",
        {"sx_diet": ["gf", "cf"], "sx_note": "=cmd|' /C calc'!A0"},
        {"sx_sleep": "UNK"},
    )
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    header = text.splitlines()[0].split(",")
    assert {
        "sx_diet___gf",
        "sx_diet___cf",
        "sx_diet___other",
        "sx_diet___unk",
        "sx_sleep___mel",
        "nr_sx_complete",
    } <= set(header)
    row = next(r for r in _rows(text) if r["nr_sx_complete"])
    assert (row["sx_diet___gf"], row["sx_diet___cf"], row["sx_diet___other"]) == ("1", "1", "0")
    assert row["sx_sleep___unk"] == "1"
    assert row["sx_note"].startswith("'=")  # a formula never reaches a spreadsheet
    before = responses_snapshot()
    transaction.savepoint_rollback(empty)
    # the form is not in the schedule: it imports only where a response was started
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert "not expected at visit BL" in str(caught.value.problems[0])
    instrument_services.response_start(user=coordinator_a, visit=bl, instrument="nr_sx")
    services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert responses_snapshot() == before


def test_records_and_the_project_xml_spell_event_names_alike():
    """REDCap's unique event names hold lower-case letters, digits and underscores; the records
    CSV, the project XML and the import all use one rule, so a visit code with a hyphen
    round-trips."""
    from neuroregen.interop.records import EVENT_NAME, event_name, event_visit

    name = event_name("ADM-2", 3)
    assert name == "adm_2_arm_3"
    match = EVENT_NAME.match(name)
    assert match is not None
    assert match["visit"] == event_visit("ADM-2")
    assert match["arm"] == "3"
