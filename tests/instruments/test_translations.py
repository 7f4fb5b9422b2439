"""Published wording in another language: template, all-or-nothing import, use in the survey."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from neuroregen.instruments import services
from neuroregen.instruments.errors import DictionaryRejected
from neuroregen.instruments.models import Field, Instrument
from neuroregen.instruments.redcap import parse_choices
from neuroregen.instruments.translations import translation_import, translation_template
from tests.instruments.builders import participant_with_visits

pytestmark = pytest.mark.django_db

SOURCE = "Publisher's Russian form, 2019 edition (test sheet)"


def _sheet(instrument: Instrument, language: str, edit=None) -> str:
    """The template filled in with marked wording; ``edit(row)`` may change or drop a row."""
    rows = list(
        csv.DictReader(io.StringIO(translation_template(instrument=instrument, language=language)))
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        row["field_label"] = f"[{language}] {row['field_label_en']}"
        row["section_header"] = (
            f"[{language}] {row['section_header_en']}" if row["section_header_en"] else ""
        )
        row["choices"] = " | ".join(
            f"{code}, [{language}] {label}" for code, label in parse_choices(row["choices_en"])
        )
        if edit is not None:
            row = edit(row)
        if row is not None:
            writer.writerow(row)
    return out.getvalue()


def test_template_lists_every_atec_item_with_its_english_reference():
    atec = Instrument.objects.get(code="atec")
    rows = list(csv.DictReader(io.StringIO(translation_template(instrument=atec, language="ru"))))
    assert [r["field_name"] for r in rows] == list(atec.fields.values_list("field_name", flat=True))
    item = next(r for r in rows if r["choices_en"])
    assert parse_choices(item["choices_en"])  # the translator sees the answer codes to keep
    assert all(r["field_label"] == "" for r in rows)  # nothing translated yet


def test_import_stores_wording_marks_language_verified_and_records_the_source():
    atec = Instrument.objects.get(code="atec")
    assert "ru" in atec.languages_missing
    count = translation_import(
        instrument=atec, language="ru", text=_sheet(atec, "ru"), source=SOURCE
    )
    atec.refresh_from_db()
    assert count == atec.fields.count()
    assert "ru" in atec.languages
    assert "ru" not in atec.languages_missing
    assert SOURCE in atec.source
    item = atec.fields.exclude(choices="").first()
    assert item.label_in("ru") == f"[ru] {item.field_label}"
    assert [code for code, _ in item.choice_pairs("ru")] == [
        code for code, _ in item.choice_pairs("en")
    ]
    assert all(label.startswith("[ru] ") for _, label in item.choice_pairs("ru"))
    assert atec.history.first().history_change_reason == "published ru wording imported"
    # Re-importing corrected wording replaces the old; the language is listed once.
    translation_import(instrument=atec, language="ru", text=_sheet(atec, "ru"), source=SOURCE)
    atec.refresh_from_db()
    assert atec.languages.count("ru") == 1


def test_bad_sheet_lists_every_problem_and_changes_nothing():
    atec = Instrument.objects.get(code="atec")
    names = list(atec.fields.exclude(choices="").values_list("field_name", flat=True))
    dropped, swapped, emptied = names[0], names[1], names[2]

    def edit(row):
        if row["field_name"] == dropped:
            return None
        if row["field_name"] == swapped:
            pairs = parse_choices(row["choices"])
            row["choices"] = " | ".join(f"{c}, {label}" for c, label in reversed(pairs))
        if row["field_name"] == emptied:
            row["field_label"] = ""
        return row

    text = _sheet(atec, "ru", edit) + f"nonexistent_item,,,,[ru] x,,,\r\n{names[3]},,,,again,,,\r\n"
    before = {f.pk: dict(f.translations) for f in atec.fields.all()}
    with pytest.raises(DictionaryRejected) as caught:
        translation_import(instrument=atec, language="ru", text=text, source=SOURCE)
    messages = [str(p) for p in caught.value.problems]
    assert any(f"field '{dropped}' has no row" in m for m in messages)
    assert any('column "choices"' in m and "differ from the English form" in m for m in messages)
    assert any('column "field_label"' in m and "label is empty" in m for m in messages)
    assert any("'nonexistent_item' is not a field of atec" in m for m in messages)
    assert any(f"'{names[3]}' appears more than once" in m for m in messages)
    assert {f.pk: f.translations for f in atec.fields.all()} == before
    atec.refresh_from_db()
    assert "ru" not in atec.languages


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        ("en", SOURCE, "English is the form's own wording"),
        ("de", SOURCE, "language 'de' is not one of"),
        ("uk", "  ", "name the published source"),
    ],
)
def test_language_and_source_are_checked(language, source, expected):
    atec = Instrument.objects.get(code="atec")
    with pytest.raises(DictionaryRejected) as caught:
        translation_import(
            instrument=atec, language=language, text=_sheet(atec, language), source=source
        )
    assert any(expected in str(p) for p in caught.value.problems)


def test_command_line_round_trip_and_refusal(tmp_path):
    template = tmp_path / "atec-uk.csv"
    call_command("dictionary", "translation-template", "atec", "uk", "--out", str(template))
    atec = Instrument.objects.get(code="atec")
    assert template.read_bytes().count(b"\r\n") == atec.fields.count() + 1
    bad = tmp_path / "bad.csv"
    bad.write_text("field_name,field_label\r\natec_i01,x\r\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("dictionary", "translation-import", "atec", "uk", str(bad), "--source", SOURCE)
    good = tmp_path / "good.csv"
    good.write_text(_sheet(atec, "uk"), encoding="utf-8")
    call_command("dictionary", "translation-import", "atec", "uk", str(good), "--source", SOURCE)
    assert Field.objects.filter(instrument=atec, translations__has_key="uk").count() == (
        atec.fields.count()
    )


def test_family_link_uses_the_imported_wording_without_the_fallback_notice(coordinator_a, site_a):
    atec = Instrument.objects.get(code="atec")
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    _link, token = services.link_create(
        user=coordinator_a, visit=visits["BL"], instrument="atec", language="ru"
    )
    page = Client().get(f"/instruments/s/{token}/").content.decode()
    assert 'data-testid="language-fallback"' in page

    translation_import(instrument=atec, language="ru", text=_sheet(atec, "ru"), source=SOURCE)
    page = Client().get(f"/instruments/s/{token}/").content.decode()
    assert 'data-testid="language-fallback"' not in page
    first = atec.fields.exclude(choices="").first()
    assert f"[ru] {first.field_label}" in page
