"""The dictionary checker accepts what REDCap accepts; entry enforces the validation types;
files in other encodings are recognised, and an undecodable byte is reported where it is."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from neuroregen.instruments import services
from neuroregen.instruments.entry import answer_problem, out_of_range
from neuroregen.instruments.models import Instrument
from neuroregen.instruments.redcap import (
    HEADERS,
    VALIDATIONS,
    DictionaryRow,
    UndecodableFile,
    decode_text,
    read_dictionary,
    write_dictionary,
)

RECORD_ID = DictionaryRow("record_id", "intake", field_label="Record ID")


def problems_of(*rows: DictionaryRow) -> list[str]:
    _rows, problems = read_dictionary(write_dictionary([RECORD_ID, *rows]))
    return [str(p) for p in problems]


@pytest.mark.parametrize(
    "row",
    [
        DictionaryRow(
            "site",
            "intake",
            field_type="dropdown",
            field_label="Site",
            choices="1, North | 2, South",
            validation="autocomplete",
        ),
        DictionaryRow(
            "visit_date",
            "intake",
            field_label="Visit",
            validation="date_dmy",
            validation_min="2020-01-01",
            validation_max="today",
        ),
        DictionaryRow(
            "seen_at",
            "intake",
            field_label="Seen at",
            validation="datetime_seconds_mdy",
            validation_min="now",
        ),
        DictionaryRow(
            "signed", "intake", field_type="file", field_label="Sign", validation="signature"
        ),
        DictionaryRow(
            "lookup", "intake", field_type="sql", field_label="Lookup", choices="select 1"
        ),
        DictionaryRow(
            "lookup2",
            "intake",
            field_type="sql",
            field_label="Lookup",
            choices="select value from redcap_data",
            validation="autocomplete",
        ),
        DictionaryRow(
            "weight",
            "intake",
            field_label="Weight",
            validation="number_2dp_comma_decimal",
            validation_min="1,50",
            validation_max="99,99",
        ),
        DictionaryRow(
            "woke",
            "intake",
            field_label="Woke",
            validation="time_hh_mm_ss",
            validation_min="5:00:00",
            validation_max="11:30:00",
        ),
        DictionaryRow(
            "note",
            "intake",
            field_label="Note",
            field_annotation=(
                "@HIDDEN @DEFAULT='[event-name]' @CALCTEXT(if([record_id]='', 'a', 'b'))"
            ),
        ),
        DictionaryRow(
            "shown",
            "intake",
            field_label="Shown",
            branching_logic="[baseline_arm_1][record_id] <> '' and [user-name] <> ''",
        ),
        DictionaryRow(
            "calc_age",
            "intake",
            field_type="calc",
            field_label="Age",
            choices="rounddown(datediff([visit_date], 'today', 'y', true), 0)",
        ),
    ],
    ids=lambda row: row.field_name,
)
def test_valid_redcap_fields_are_accepted(row):
    extra = [DictionaryRow("visit_date", "intake", field_label="Visit", validation="date_ymd")] * (
        row.field_name == "calc_age"
    )
    assert problems_of(*extra, row) == []


@pytest.mark.parametrize("validation", sorted(VALIDATIONS))
def test_every_validation_type_is_accepted_and_round_trips(validation):
    row = DictionaryRow("x", "intake", field_label="X", validation=validation)
    text = write_dictionary([RECORD_ID, row])
    rows, problems = read_dictionary(text)
    assert problems == []
    assert rows[1].validation == validation
    assert write_dictionary(rows) == text


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            DictionaryRow(
                "c",
                "intake",
                field_type="radio",
                field_label="C",
                choices="1, A",
                validation="autocomplete",
            ),
            "a radio field takes no validation type",
        ),
        (
            DictionaryRow("s", "intake", field_label="S", validation="signature"),
            "'signature' is not a REDCap validation type",
        ),
        (
            DictionaryRow("f", "intake", field_type="file", field_label="F", validation="email"),
            "a file field takes only signature here",
        ),
        (
            DictionaryRow(
                "n", "intake", field_label="N", validation="integer", validation_min="today"
            ),
            "'today' is not a valid integer bound",
        ),
        (
            DictionaryRow("t", "intake", field_label="T", validation="time", validation_max="25h"),
            "'25h' is not a valid time bound",
        ),
        (
            DictionaryRow("b", "intake", field_label="B", branching_logic="nosuch([record_id])"),
            "unknown function 'nosuch'",
        ),
    ],
    ids=lambda v: v.field_name if isinstance(v, DictionaryRow) else "",
)
def test_what_redcap_refuses_is_still_refused(row, expected):
    problems = problems_of(row)
    assert len(problems) == 1
    assert expected in problems[0]


def field(validation: str, **more: str) -> SimpleNamespace:
    return SimpleNamespace(
        field_type="text", validation=validation, validation_min="", validation_max="", **more
    )


@pytest.mark.parametrize(
    ("validation", "good", "bad"),
    [
        ("number_1dp", "3.5", "3.55"),
        ("number_2dp_comma_decimal", "3,50", "3.50"),
        ("time", "8:05", "24:00"),
        ("time_hh_mm_ss", "23:59:59", "23:59"),
        ("time_mm_ss", "59:59", "60:00"),
        ("alpha_only", "Anna", "Anna1"),
        ("phone", "(800) 555-1234", "123-456-7890"),
        ("phone_australia", "(02) 9876 5432", "9876 5432"),
        ("phone_uk", "020 7946 0958", "12345"),
        ("postalcode_australia", "2000", "200"),
        ("postalcode_canada", "K1A 0B1", "12345"),
        ("postalcode_french", "75008", "99000"),
        ("postalcode_germany", "10115", "00115"),
        ("postalcode_uk", "SW1A 1AA", "SW1A1AA"),
        ("zipcode", "37232-0001", "3723"),
        ("ssn", "123-45-6789", "123456789"),
        ("mrn_10d", "0123456789", "123"),
        ("mrn_generic", "AB-12_c", "AB 12"),
        ("vmrn", "123456", "123"),
        ("int", "12", "1.5"),
        ("float", "1.5", "x"),
    ],
)
def test_entry_enforces_each_validation_type(validation, good, bad):
    assert answer_problem(field(validation), good) is None
    assert answer_problem(field(validation), bad) is not None


def test_today_bounds_are_checked_against_the_day_of_entry():
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()  # noqa: DTZ011
    birth = field("date_ymd")
    birth.validation_max = "today"
    assert out_of_range(birth, tomorrow) is not None
    assert out_of_range(birth, "2020-01-01") is None
    woke = field("time")
    woke.validation_min, woke.validation_max = "5:00", "11:00"
    assert out_of_range(woke, "04:59") is not None
    assert out_of_range(woke, "7:30") is None


# --- encodings ----------------------------------------------------------------------------

CYRILLIC = (
    ",".join(f'"{h}"' for h in HEADERS)
    + "\r\nvozrast,anketa,,text,Возраст ребёнка (лет),,,,,,,,,,,,,\r\n"
)
LATIN = ",".join(f'"{h}"' for h in HEADERS) + "\r\nage,fiche,,text,Âge de l'élève,,,,,,,,,,,,,\r\n"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (CYRILLIC, "utf-8"),
        (CYRILLIC, "utf-8-sig"),
        (CYRILLIC, "utf-16"),
        (CYRILLIC, "utf-16-le"),
        (CYRILLIC, "cp1251"),
        (LATIN, "latin-1"),
        (LATIN, "utf-16-be"),
    ],
)
def test_encodings_are_recognised(text, encoding):
    decoded, _used = decode_text(text.encode(encoding))
    assert decoded == text


def test_an_undecodable_byte_is_reported_by_line_and_column():
    raw = LATIN.encode("latin-1")
    with pytest.raises(UndecodableFile) as error:
        decode_text(raw, "utf-8")
    assert (error.value.line, error.value.column) == (2, 17)
    assert str(error.value).startswith("line 2, column 17: byte 0xc2 is not utf-8 text")
    with pytest.raises(UndecodableFile, match="not a known encoding"):
        decode_text(raw, "klingon")


@pytest.mark.django_db
def test_command_imports_windows_1251_and_takes_an_encoding(tmp_path):
    path = tmp_path / "anketa.csv"
    path.write_bytes(CYRILLIC.encode("cp1251"))
    call_command("dictionary", "import", str(path))
    assert Instrument.objects.get(code="anketa").fields.get().field_label == "Возраст ребёнка (лет)"
    latin = tmp_path / "fiche.csv"
    latin.write_bytes(LATIN.encode("latin-1"))
    with pytest.raises(CommandError, match="line 2, column 17"):
        call_command("dictionary", "import", str(latin), "--encoding", "utf-8")
    call_command("dictionary", "import", str(latin), "--encoding", "latin-1")
    exported = services.dictionary_export(instrument=Instrument.objects.get(code="fiche"))
    assert "Âge de l'élève" in exported


def test_a_decimal_comma_is_typed_into_a_text_input():
    from neuroregen.instruments.forms import field_views
    from neuroregen.instruments.models import Field

    kinds = ["number_1dp", "number_2dp_comma_decimal", "date_dmy", "int", "ssn"]
    fields = [
        Field(field_name=f"f{i}", form_name="f", field_type="text", field_label="F", validation=v)
        for i, v in enumerate(kinds)
    ]
    views = field_views(fields, {}, {}, {}, "en")
    assert [v.input_type for v in views] == ["number", "text", "date", "number", "text"]


@pytest.mark.django_db
def test_the_import_page_reads_windows_1251_and_reports_bad_bytes_where_they_are():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from neuroregen.core.roles import Role
    from tests.helpers import make_user
    from tests.security.battery import client_for

    client = client_for(make_user(Role.ADMINISTRATOR, None))
    url = reverse("instrument_dictionary_import")
    upload = SimpleUploadedFile("anketa.csv", CYRILLIC.encode("cp1251"), "text/csv")
    assert client.post(url, {"file": upload}).status_code == 302
    assert Instrument.objects.filter(code="anketa").exists()
    broken = SimpleUploadedFile("broken.csv", b"\x00\xd8" + CYRILLIC.encode("utf-16-le"))
    page = client.post(url, {"file": broken}).content.decode()
    assert "cannot be read as text: line 1, column 1: byte 0x00 is not utf-16-le text" in page
    assert Instrument.objects.filter(code="anketa").count() == 1
