"""Family reports in Russian and Ukrainian: the clinician's preview is the family's page, and
measure, questionnaire and analyte names are in the family's language, in the page and PDF."""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse
from django.utils import translation

from neuroregen.core.roles import Role
from neuroregen.instruments.models import Instrument
from neuroregen.instruments.translations import translation_import
from neuroregen.participants.models import FamilyLink, Participant
from neuroregen.reports import labels
from tests.helpers import make_user
from tests.instruments.test_translations import SOURCE, _sheet
from tests.reports.builders import child_with_data, released_report
from tests.reports.test_pdf import pdf_text
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

# The builder's child has CARS-2 and CGI-I scores and IL-6 results.
NAMES = {
    "ru": (
        "CARS-2, общий балл",
        "CGI-I (улучшение)",
        "Интерлейкин-6 (IL-6)",
        "Рейтинговая шкала детского аутизма, 2-е изд. (CARS-2) — общий балл",
        "Отчёт о развитии",
    ),
    "uk": (
        "CARS-2, загальний бал",
        "CGI-I (покращення)",
        "Інтерлейкін-6 (IL-6)",
        "Рейтингова шкала дитячого аутизму, 2-ге вид. (CARS-2) — загальний бал",
        "Звіт про прогрес",
    ),
}
ENGLISH = (
    "CARS-2 total",
    "Interleukin-6",
    "Childhood Autism Rating Scale",
    "Clinical Global Impression",
    "Progress report",
    "How the scores changed",
)


def _article(page: str) -> str:
    """The report body as rendered (the page around it differs between staff and family)."""
    match = re.search(r'<article class="nr-family-report".*?</article>', page, flags=re.S)
    assert match, "no report body on the page"
    return match.group(0)


def _svg_texts(html: str) -> list[str]:
    texts = []
    for data in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html):
        svg = base64.b64decode(data).decode()
        texts += re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return texts


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_clinician_preview_is_the_family_page_in_the_family_language(
    language, site_a, coordinator_a
):
    participant = child_with_data(coordinator_a, site_a)
    report = released_report(coordinator_a, participant)
    family = make_user(Role.FAMILY, site_a)
    family.preferred_language = language
    family.save()
    FamilyLink.objects.create(user=family, participant=participant)

    # the clinician reads English pages and opens the preview without choosing a language
    staff = client_for(coordinator_a)
    preview_page = staff.get(reverse("report_detail", args=[report.pk])).content.decode()
    family_page = client_for(family).get(reverse("family_report", args=[report.pk]))
    assert family_page.status_code == 200
    preview, seen = _article(preview_page), _article(family_page.content.decode())

    assert preview == seen
    assert f'lang="{language}"' in preview
    for name in NAMES[language]:
        assert name in preview, name
    for english in ENGLISH:
        assert english not in preview, english
    # the plot's axis titles too
    texts = _svg_texts(preview)
    assert texts
    assert not [t for t in texts if re.search(r"[A-Za-z]{4,}", t)], texts
    # the staff page around it stays in the clinician's language
    assert ">History<" in preview_page

    # the PDF linked from the preview is the family's too
    response = staff.get(reverse("family_report_pdf", args=[report.pk]))
    _pages, text = pdf_text(response.content)
    for name in NAMES[language]:
        assert name in text, name
    for english in ENGLISH:
        assert english not in text, english


def test_preview_without_a_family_account_reads_in_the_participants_language(site_a, coordinator_a):
    participant = child_with_data(coordinator_a, site_a)
    Participant.objects.filter(pk=participant.pk).update(preferred_language="uk")
    report = released_report(coordinator_a, participant)
    page = client_for(coordinator_a).get(reverse("report_detail", args=[report.pk]))
    body = _article(page.content.decode())
    assert 'lang="uk"' in body
    assert "CARS-2, загальний бал" in body
    # another language stays one click away
    english = client_for(coordinator_a).get(reverse("report_detail", args=[report.pk]) + "?lang=en")
    assert "CARS-2 total" in _article(english.content.decode())


def test_published_wording_names_the_scores_before_the_catalogue():
    atec = Instrument.objects.get(code="atec")
    translation_import(instrument=atec, language="ru", text=_sheet(atec, "ru"), source=SOURCE)
    with translation.override("ru"):
        # the subscale is named by its section's published header
        assert labels.measure_label("atec.atec_i") == "[ru] I. Speech/Language/Communication"
        # no published wording names the total: the catalogue does
        assert labels.measure_label("atec.atec_total") == "ATEC, общий балл"
    with translation.override("uk"):  # only Russian was imported
        assert labels.measure_label("atec.atec_i") == "I. Мовлення/мова/комунікація"
    with translation.override("en"):
        assert labels.measure_label("atec.atec_i") == "I. Speech/Language/Communication"
    # a score the programme defined itself keeps its stored name
    assert labels.measure_label("local.mood", "Mood diary") == "Mood diary"
