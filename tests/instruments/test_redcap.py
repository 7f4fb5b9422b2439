"""REDCap data dictionary: round trips, rejection with every problem, and the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from neuroregen.core.errors import NotPermitted
from neuroregen.core.roles import Role
from neuroregen.instruments import services
from neuroregen.instruments.dictionary_diff import record_id_row
from neuroregen.instruments.errors import DictionaryRejected
from neuroregen.instruments.models import Field, Instrument
from neuroregen.instruments.redcap import HEADERS, read_dictionary, write_dictionary
from tests.helpers import make_user

SAMPLE = Path(__file__).parent / "data" / "sample_dictionary.csv"

BAD = (
    SAMPLE.read_text().splitlines()[0]
    + """
ok_field,bad_form,,text,Fine,,,,,,,,,,,,,
Bad Name,bad_form,,text,Upper case,,,,,,,,,,,,,
colour,bad_form,,radio,Colour,"1, Red | 1, Blue",,,,,,,,,,,,
age,bad_form,,text,Age,,,integer,10,2,maybe,,,,,,,
shown,bad_form,,text,Shown,,,,,,,[nowhere] = '1',,,,,,
calc1,bad_form,,calc,Calc,[ok_field] +,,,,,,,,,,,,
thing,bad_form,,widget,Odd,,,,,,,,,,,,,
"""
)


def test_headers_are_redcaps_eighteen_in_order():
    assert len(HEADERS) == 18
    assert HEADERS[0] == "Variable / Field Name"
    assert HEADERS[-1] == "Field Annotation"
    assert HEADERS[11] == "Branching Logic (Show field only if...)"


@pytest.mark.django_db
def test_builtin_atec_round_trips_byte_for_byte():
    atec = Instrument.objects.get(code="atec")
    exported = services.dictionary_export(instrument=atec)
    rows, problems = read_dictionary(exported)
    assert problems == []
    assert write_dictionary(rows) == exported
    assert sum(1 for r in rows if r.field_type == "radio") == 77
    assert {r.matrix_group for r in rows if r.matrix_group} == {
        "atec_i",
        "atec_ii",
        "atec_iii",
        "atec_iv",
    }


@pytest.mark.django_db
def test_foreign_dictionary_imports_semantically_and_reexports_identically():
    text = SAMPLE.read_text()
    (instrument,) = services.dictionary_import(user=None, text=text, title="Sleep diary")
    assert instrument.code == "sleep_diary"
    original, _ = read_dictionary(text)
    first = services.dictionary_export(instrument=instrument)
    exported, problems = read_dictionary(first)
    assert problems == []
    assert exported[0] == record_id_row("sleep_diary")  # REDCap's upload expects it first
    assert exported[1:] == original  # every cell of all 18 columns kept
    assert (
        Field.objects.get(instrument=instrument, field_name="visit_date").field_annotation
        == "@TODAY"
    )
    # re-importing what we exported gives the same bytes again
    services.dictionary_import(user=None, text=first)
    assert (
        services.dictionary_export(instrument=Instrument.objects.get(code="sleep_diary")) == first
    )


@pytest.mark.django_db
def test_invalid_dictionary_lists_every_problem_and_imports_nothing():
    before = Instrument.objects.count()
    with pytest.raises(DictionaryRejected) as caught:
        services.dictionary_import(user=None, text=BAD)
    listed = [str(p) for p in caught.value.problems]
    expected = [
        ('line 3, column "Variable / Field Name"', "lower-case"),
        ('line 4, column "Choices, Calculations, OR Slider Labels"', "used twice"),
        ('line 5, column "Text Validation Max"', "below the minimum"),
        ('line 5, column "Identifier?"', "'maybe'"),
        ('line 6, column "Branching Logic (Show field only if...)"', "'nowhere'"),
        ('line 7, column "Choices, Calculations, OR Slider Labels"', "cannot be read"),
        ('line 8, column "Field Type"', "'widget'"),
    ]
    for where, what in expected:
        assert any(p.startswith(where) and what in p for p in listed), (where, listed)
    assert Instrument.objects.count() == before
    assert not Instrument.objects.filter(code="bad_form").exists()


@pytest.mark.django_db
def test_wrong_header_is_reported_by_column():
    text = SAMPLE.read_text().replace("Field Annotation", "Annotation", 1)
    with pytest.raises(DictionaryRejected) as caught:
        services.dictionary_import(user=None, text=text)
    assert [str(p) for p in caught.value.problems] == [
        'line 1, column "Field Annotation": header 18 is "Annotation", expected "Field Annotation"'
    ]


@pytest.mark.django_db
def test_builtin_cannot_be_replaced_and_coordinator_cannot_import(site_a, coordinator_a):
    atec_csv = services.dictionary_export(instrument=Instrument.objects.get(code="atec"))
    changed = atec_csv.replace("Knows own name", "Knows his or her own name", 1)
    assert changed != atec_csv
    with pytest.raises(DictionaryRejected, match="rejected"):
        services.dictionary_import(user=None, text=changed, replace=True)
    with pytest.raises(NotPermitted):
        services.dictionary_import(user=coordinator_a, text=SAMPLE.read_text())
    admin = make_user(Role.ADMINISTRATOR, None)
    assert services.dictionary_import(user=admin, text=SAMPLE.read_text())[0].code == "sleep_diary"


@pytest.mark.django_db
def test_command_line_export_and_import(tmp_path):
    out = tmp_path / "atec.csv"
    call_command("dictionary", "export", "atec", "--out", str(out))
    assert (
        out.read_bytes()
        == services.dictionary_export(instrument=Instrument.objects.get(code="atec")).encode()
    )
    call_command("dictionary", "import", str(SAMPLE))
    assert Instrument.objects.filter(code="sleep_diary").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("dictionary", "import", str(bad))
