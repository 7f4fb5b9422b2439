"""Upload checks shared by every importer: names, sizes, encodings."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.uploads import check_size, decode_text, read_upload, safe_filename

CYRILLIC_CSV = "код;имя;вес\nP-001;Мария Шевченко;18,5\nP-002;Олег Іваненко;21,0\n"
WESTERN_CSV = "code;name;note\nP-001;José Müller;réévaluation prévue\n"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "/etc/passwd",
        "C:\\data\\export.csv",
        "c:export.csv",
        "data/../../x.csv",
        "..",
        ".htaccess",
        "export\x00.csv",
        "line\nbreak.csv",
        "",
        "   ",
        "CON.csv",
        "x" * 300 + ".csv",
    ],
)
def test_path_traversal_and_odd_names_are_refused(name):
    with pytest.raises(ValidationFailed) as error:
        safe_filename(name)
    assert error.value.field == "file"
    assert "not allowed" in error.value.message


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("visit data (May).csv", "visit data (May).csv"),
        ("опитування_2026.csv", "опитування_2026.csv"),
        ("a;b<c>.csv", "a_b_c_.csv"),
    ],
)
def test_ordinary_names_are_kept_and_odd_characters_replaced(name, stored):
    assert safe_filename(name) == stored


def test_extension_must_be_allowed():
    assert safe_filename("export.CSV", allowed_extensions=("csv",)) == "export.CSV"
    with pytest.raises(ValidationFailed, match="only these file types"):
        safe_filename("export.csv.exe", allowed_extensions=("csv",))


def test_oversized_upload_is_refused_with_both_sizes(settings):
    settings.NEUROREGEN_MAX_UPLOAD_BYTES = 2 * 2**20
    with pytest.raises(ValidationFailed) as error:
        check_size(5 * 2**20 + 1)
    assert "5.0 MB" in error.value.message
    assert "2.0 MB" in error.value.message
    check_size(2 * 2**20)  # exactly the limit is fine
    with pytest.raises(ValidationFailed, match="empty"):
        check_size(0)


def test_read_upload_checks_name_and_size_before_reading(settings):
    settings.NEUROREGEN_MAX_UPLOAD_BYTES = 10
    big = SimpleUploadedFile("ok.csv", b"x" * 11)
    with pytest.raises(ValidationFailed, match="largest file"):
        read_upload(big)
    assert big.tell() == 0
    with pytest.raises(ValidationFailed, match="not allowed"):
        # Django keeps only the part after the last "/", but a Windows path survives that.
        read_upload(SimpleUploadedFile("..\\..\\ok.csv", b"x"))
    checked = read_upload(SimpleUploadedFile("ok.csv", b"a,b\n"), allowed_extensions=("csv",))
    assert (checked.name, checked.data) == ("ok.csv", b"a,b\n")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CYRILLIC_CSV.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CYRILLIC_CSV.encode("utf-8"), "utf-8-sig"),
        (CYRILLIC_CSV.encode("cp1251"), "cp1251"),
        (CYRILLIC_CSV.encode("utf-16"), "utf-16"),
        (WESTERN_CSV.encode("cp1252"), "cp1252"),
    ],
)
def test_csv_encodings_are_detected(data, encoding):
    decoded = decode_text(data)
    assert decoded.encoding == encoding
    expected = WESTERN_CSV if encoding == "cp1252" else CYRILLIC_CSV
    assert decoded.text == expected
    assert not decoded.text.startswith("\ufeff")  # the BOM never reaches the first header


def test_forced_encoding_that_does_not_fit_is_a_clear_error():
    with pytest.raises(ValidationFailed, match="could not be read as utf-8"):
        decode_text(CYRILLIC_CSV.encode("cp1251"), encoding="utf-8")
    assert decode_text(CYRILLIC_CSV.encode("koi8-u"), encoding="koi8-u").text == CYRILLIC_CSV
