"""The page scanner behind ``check_translations --pages``: what it reads and what it forgives."""

from __future__ import annotations

import pytest

from neuroregen.core import menu
from neuroregen.core.page_text import (
    EnteredText,
    english_words,
    page_findings,
    scan_site,
    visible_text,
)
from neuroregen.core.roles import Role


def _words(html: str, entered: EnteredText | None = None) -> list[str]:
    return [word for word, _fragment in english_words(visible_text(html), entered)]


def test_text_nodes_svg_text_and_the_read_attributes_are_scanned():
    html = """<html><head><title>Участники Dashboard</title></head><body>
    <p>Сохранить <b>Save</b></p>
    <svg><text x="1">Baseline</text></svg>
    <input placeholder="Search" type="text"><input type="submit" value="Send">
    <a title="Open" aria-label="Close" href="/x/">ок</a><img alt="Chart" src="/a.png">
    <select><option>Enrolled</option></select>
    </body></html>"""
    assert _words(html) == [
        "Dashboard", "Save", "Baseline", "Search", "Send", "Open", "Close", "Chart", "Enrolled",
    ]  # fmt: skip


def test_scripts_styles_code_and_text_marked_untranslatable_or_english_are_not():
    html = """<script>var label = "Save";</script><style>.x{color:red}</style>
    <code>visit_window</code><span translate="no">Kyiv Clinic</span>
    <button lang="en">English</button><p>Готово<br>всё</p><p>Next</p><p>Data Archive</p>"""
    assert _words(html) == ["Next", "Data", "Archive"]  # an allowed phrase only as a whole


def test_acronyms_codes_identifiers_and_the_allow_list_are_not_findings():
    html = """<p>ATEC и CSHQ, SAE 3 степени, HLA-A*02</p><p>KYIV-01, NR-0007, report.pdf,
    monitor@example.org, /participants/, visit_day</p><p>NeuroRegen: 5 mg, 2 mL, 90 bpm</p>
    <p>12 ± 3 (SD), 95% CI, x, n = 4</p><p>линии iPSC, словарь REDCap, MedDRA 27.1</p>
    <p>белок (hs-CRP), 4 µV², zip-архив</p>
    <p>NIMH Data Archive, нажмите Enter</p><textarea>{"name": "Neural cell therapy"}</textarea>"""
    assert _words(html) == []


def test_entered_text_is_forgiven_only_where_the_whole_phrase_is_shown():
    entered = EnteredText()
    entered.add(["Fever after the infusion", "Demo Monitor"])
    html = "<p>Fever after the infusion</p><p>Demo Monitor · монитор</p><p>Fever</p>"
    assert _words(html, entered) == ["Fever"]


def test_a_finding_names_the_page_word_and_snippet_once():
    html = "<p>Сохранить Save</p><p>Сохранить Save</p><p title='Save'>x</p>"
    found = page_findings(html, path="/p/", name="p", language="ru", role="monitor")
    assert [(f.word, f.snippet) for f in found] == [
        ("Save", "Сохранить Save"),
        ("Save", "title=Save"),
    ]


@pytest.mark.django_db
def test_an_untranslated_menu_label_planted_on_a_real_page_is_found(coordinator_a, monkeypatch):
    planted = menu.Section(None, (menu.Entry("Planted heading", "participant_list"),))
    monkeypatch.setattr(menu, "MENU", (*menu.MENU, planted))
    found = list(
        scan_site(
            languages=["ru"], only="participant_list", accounts={Role.COORDINATOR: coordinator_a}
        )
    )
    assert {(f.name, f.language, f.role, f.word) for f in found} >= {
        ("participant_list", "ru", "coordinator", "Planted"),
        ("participant_list", "ru", "coordinator", "heading"),
    }
    monkeypatch.undo()
    after = list(
        scan_site(
            languages=["uk"], only="participant_list", accounts={Role.COORDINATOR: coordinator_a}
        )
    )
    assert "Planted" not in {f.word for f in after}
