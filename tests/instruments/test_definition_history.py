"""Instrument definitions keep their history: a dictionary or translation import that changes
fields leaves a history row per field with who did it and why, and the old wording stays
readable in the history."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from neuroregen.core.roles import Role
from neuroregen.instruments import services
from neuroregen.instruments.models import DomainMapping, Field, Instrument, Score
from neuroregen.instruments.redcap import parse_choices
from neuroregen.instruments.translations import translation_import, translation_template
from tests.helpers import make_user

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "sample_dictionary.csv"


def _edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.fixture
def admin_user(site_a):
    return make_user(Role.ADMINISTRATOR, None, "definitions-admin")


def test_a_dictionary_import_writes_history_with_user_and_reason(admin_user, tmp_path):
    first = SAMPLE.read_text()
    (diary,) = services.dictionary_import(user=admin_user, text=first, title="Sleep diary")
    hours = Field.objects.get(instrument=diary, field_name="hours")
    created = hours.history.get()
    assert created.history_type == "+"
    assert created.history_user == admin_user
    assert created.history_change_reason == "REDCap data dictionary imported"

    changed = _edited(first, "Hours slept", "Hours asleep")
    changed = _edited(changed, "bedtime,sleep_diary,,text,Bedtime,,HH:MM,time,,,,,,,,,,\n", "")
    changed = changed.rstrip("\n") + "\nnaps,sleep_diary,,text,Naps taken,,,integer,0,5,,,,,,,,\n"
    path = tmp_path / "diary_v2.csv"
    path.write_text(changed, encoding="utf-8")
    call_command(
        "dictionary",
        "import",
        str(path),
        reason="v2: wording agreed with site",
        replace=True,
        stdout=io.StringIO(),
    )

    hours.refresh_from_db()
    assert hours.field_label == "Hours asleep"
    latest, before = hours.history.order_by("-history_id")[:2]
    assert (latest.history_type, latest.field_label) == ("~", "Hours asleep")
    assert latest.history_change_reason == "v2: wording agreed with site"
    assert before.field_label == "Hours slept"  # the old wording stays in the history

    removed = Field.history.filter(field_name="bedtime", history_type="-").get()
    assert removed.history_change_reason == "v2: wording agreed with site"
    added = Field.history.filter(field_name="naps").get()
    assert (added.history_type, added.history_change_reason) == (
        "+",
        "v2: wording agreed with site",
    )
    # Unchanged fields keep their rows and get no new history.
    assert Field.objects.get(instrument=diary, field_name="visit_date").history.count() == 1
    assert diary.history.order_by("-history_id").first().history_change_reason == (
        "v2: wording agreed with site"
    )


def _sheet(instrument: Instrument, language: str) -> str:
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
        try:
            pairs = parse_choices(row["choices_en"])
        except ValueError:  # a slider's labels: "left | middle | right"
            parts = row["choices_en"].split("|")
            row["choices"] = " | ".join(f"[{language}] {p.strip()}" for p in parts)
        else:
            row["choices"] = " | ".join(f"{code}, [{language}] {label}" for code, label in pairs)
        writer.writerow(row)
    return out.getvalue()


def test_a_translation_import_writes_history_with_user_and_source(admin_user):
    atec = Instrument.objects.get(code="atec")
    fields = atec.fields.count()
    before = Field.history.filter(instrument_id=atec.pk).count()
    translation_import(
        instrument=atec,
        language="uk",
        text=_sheet(atec, "uk"),
        source="Publisher's Ukrainian form, 2019",
        user=admin_user,
    )
    rows = Field.history.filter(instrument_id=atec.pk, history_type="~")
    assert Field.history.filter(instrument_id=atec.pk).count() == before + fields
    assert {r.history_user for r in rows} == {admin_user}
    assert {r.history_change_reason for r in rows} == {
        "published uk wording imported: Publisher's Ukrainian form, 2019"
    }
    item = rows.order_by("-history_id").first()
    assert item.translations["uk"]["label"].startswith("[uk] ")
    latest = atec.history.order_by("-history_id").first()
    assert latest.history_user == admin_user
    assert "definitions-admin" in atec.history.order_by("-history_id").first().source


def test_changed_english_wording_drops_its_old_translation(admin_user):
    (diary,) = services.dictionary_import(user=admin_user, text=SAMPLE.read_text())
    translation_import(
        instrument=diary, language="ru", text=_sheet(diary, "ru"), source="Site form", user=None
    )
    diary.refresh_from_db()
    assert "ru" in diary.languages
    services.dictionary_import(
        user=admin_user,
        text=_edited(SAMPLE.read_text(), "Hours slept", "Hours asleep"),
        replace=True,
    )
    diary.refresh_from_db()
    hours = Field.objects.get(instrument=diary, field_name="hours")
    assert hours.translations == {}  # the Russian no longer translates the new wording
    assert Field.objects.get(instrument=diary, field_name="bedtime").translations["ru"]
    assert "ru" not in diary.languages
    assert "ru" in diary.languages_missing


def test_builtin_definitions_have_a_baseline_history():
    atec = Instrument.objects.get(code="atec")
    field = atec.fields.first()
    assert field.history.filter(history_type="+").exists()
    assert Score.history.filter(instrument_id=atec.pk).exists()
    # Built-ins were installed by a data migration, which writes no history of its own.
    assert atec.history.filter(history_type="+").count() == 1
    assert DomainMapping.history.filter(instrument_code="atec").exists()
