"""Programme and DSMB reports on the demo cohort read in Russian and Ukrainian: DSMB rows,
stopping-rule sentences, measure and analyte names and every word drawn in the charts."""

from __future__ import annotations

import base64
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from neuroregen.core.models import User
from neuroregen.protocols.models import Protocol
from neuroregen.reports import services, tasks
from tests.reports.test_pdf import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

#: What the DSMB tables and stopping rules printed in English whatever the reader's language.
ENGLISH_SAFETY = (
    "participants with any adverse event",
    "participants with a serious adverse event",
    "participants who died",
    "serious adverse events",
    "related adverse events",
    "qualifying event",
    "the rule pauses dosing",
    "cut-off)",
)
WORDS = {
    "ru": {
        "row": "участники с любым нежелательным явлением",
        "rate": "серьёзные нежелательные явления",
        "rule": "Квалифицирующ",
        "atec": "ATEC, общий балл",
        "il6": "Интерлейкин-6 (IL-6)",
        "chart": "среднее по модели",
        "phase": "Исходный уровень",
    },
    "uk": {
        "row": "учасники з будь-яким небажаним явищем",
        "rate": "серйозні небажані явища",
        "rule": "Кваліфікувальн",
        "atec": "ATEC, загальний бал",
        "il6": "Інтерлейкін-6 (IL-6)",
        "chart": "середнє за моделлю",
        "phase": "Вихідний рівень",
    },
}


@pytest.fixture(autouse=True)
def _language_back_to_default():
    yield
    translation.deactivate()


@pytest.fixture
def demo(db):
    call_command("demo_setup", participants=48, sites=2, seed=11, stdout=io.StringIO())
    return User.objects.get(username="demo-statistician")


def _table(page: str, testid: str) -> str:
    match = re.search(rf'<table[^>]*data-testid="{testid}".*?</table>', page, flags=re.S)
    assert match, testid
    return match.group(0)


def _svg_texts(page: str) -> list[str]:
    texts = []
    for data in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page):
        svg = base64.b64decode(data).decode()
        texts += re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return texts


def _english_words(texts: list[str]) -> list[str]:
    # codes (lot numbers, IL-6, SRS-2, iPSC) are capitals and digits; words are not
    return [t for t in texts if re.search(r"\b[A-Za-z][a-z]{3,}\b", t)]


def test_programme_and_dsmb_reports_in_russian_and_ukrainian(demo):
    protocol = (
        Protocol.objects.filter(code="NR-CELL-01", assignments__arm__isnull=False).distinct().get()
    )
    client = Client()
    client.force_login(demo)
    english = client.get(reverse("report_program", args=["dsmb", protocol.pk])).content.decode()
    assert "participants with any adverse event" in english  # English still reads as before
    assert "qualifying event" in english

    for language, words in WORDS.items():
        client.cookies["django_language"] = language
        for kind in ("dsmb", "program"):  # the programme page is read on below
            page = client.get(reverse("report_program", args=[kind, protocol.pk])).content.decode()
            for phrase in ENGLISH_SAFETY:
                assert phrase not in page, (language, kind, phrase)
            for key in ("row", "rate", "rule"):
                assert words[key] in page, (language, kind, key)
        # the programme page: outcome and biomarker tables name measures and analytes
        outcomes = _table(page, "outcomes")
        assert words["atec"] in outcomes
        assert "ATEC total" not in outcomes
        assert "Irritability" not in outcomes
        biomarkers = _table(page, "biomarkers")
        assert words["il6"] in biomarkers
        assert not re.search(r"<td>(il6|tnfa) ", biomarkers)
        # every word drawn in the charts: titles, axes, phases, subgroup rows, watermark
        texts = _svg_texts(page)
        assert len(texts) > 100
        assert _english_words(texts) == [], language
        drawn = " ".join(texts)
        assert words["chart"] in drawn
        assert words["phase"] in drawn

        safety = client.get(reverse("safety_dsmb")).content.decode()
        for phrase in ENGLISH_SAFETY:
            assert phrase not in safety, (language, phrase)
        assert words["row"] in _table(safety, "dsmb-summary")
        assert words["rate"] in _table(safety, "dsmb-rates")
        assert words["rule"] in _table(safety, "stopping-rules")

    # the programme PDF a Russian reader requests
    job = services.report_job_create(user=demo, kind="program", protocol=protocol, language="ru")
    tasks.run_report_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.error
    _pages, text = pdf_text(bytes(job.pdf))
    for phrase in ENGLISH_SAFETY:
        assert phrase not in text, phrase
    for key in ("row", "rate", "rule", "atec", "il6"):
        assert WORDS["ru"][key] in text, key
