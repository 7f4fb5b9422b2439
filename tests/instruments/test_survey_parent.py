"""Parent questionnaires ask only what a parent can answer (items, not totals), keep values to
their ranges on the server and in the browser, and count answered questions correctly."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.roles import Role
from neuroregen.instruments import services
from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.builtin_cshq import CSHQ_ITEMS, CSHQ_REVERSED, cshq_item_name
from neuroregen.instruments.errors import AnswersInvalid
from neuroregen.instruments.models import Instrument
from tests.helpers import make_user
from tests.instruments.builders import participant_with_visits

pytestmark = pytest.mark.django_db

CSHQ_NAMES = [cshq_item_name(n) for n in range(1, len(CSHQ_ITEMS) + 1)]


@pytest.fixture
def visits(coordinator_a, site_a):
    return participant_with_visits(coordinator_a, site_a)[1]


def _link(coordinator, visit, code):
    return services.link_create(user=coordinator, visit=visit, instrument=code)


def test_cshq_survey_shows_the_33_items_and_no_total(visits, coordinator_a):
    _link_row, token = _link(coordinator_a, visits["BL"], "cshq")
    html = Client().get(f"/instruments/s/{token}/").content.decode()
    assert 'name="cshq_total"' not in html
    named = set(re.findall(r'name="(cshq_\d\d)"', html))
    assert named == set(CSHQ_NAMES)
    assert len(CSHQ_NAMES) == 33
    assert "Usually" in html


def test_cshq_total_is_computed_from_items_with_reverse_scoring(visits, coordinator_a):
    _link_row, token = _link(coordinator_a, visits["BL"], "cshq")
    # Every item answered "Usually": 3 for ordinary items, 1 for reverse-scored ones; the two
    # daytime-sleepiness situations are answered "Not sleepy" (1).
    answers = {}
    for number, name in enumerate(CSHQ_NAMES, start=1):
        answers[name] = "1" if number in CSHQ_REVERSED or number >= 32 else "3"
    response = services.link_save(token=token, answers=answers, submit=True)
    expected = 3 * (33 - len(CSHQ_REVERSED) - 2) + len(CSHQ_REVERSED) + 2
    assert response.scores["cshq_total"]["value"] == expected
    assert response.scores["cshq_bedtime_resistance"]["value"] is not None
    assert 33 <= expected <= 99


def test_a_parent_cannot_submit_a_total(visits, coordinator_a):
    _link_row, token = _link(coordinator_a, visits["BL"], "cshq")
    with pytest.raises(AnswersInvalid) as caught:
        services.link_save(token=token, answers={"cshq_total": "99999"}, submit=True)
    assert "cshq_total" in caught.value.errors
    page = Client().post(f"/instruments/s/{token}/", {"cshq_total": "99999", "action": "submit"})
    html = page.content.decode()
    assert "survey-done" not in html
    assert 'data-testid="error-summary"' in html


def test_score_only_instruments_are_never_sent_to_families(visits, coordinator_a):
    for code in ("abc2", "srs2", "vineland3", "cars2"):
        with pytest.raises(ValidationFailed):
            _link(coordinator_a, visits["BL"], code)
    copyrighted = Instrument.objects.get(code="abc2")
    copyrighted.parent_completable = True  # a misconfiguration must not leak item wording
    copyrighted.save()
    with pytest.raises(ValidationFailed):
        _link(coordinator_a, visits["BL"], "abc2")


LOCAL_DICTIONARY = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,Text Validation Type OR Show Slider '
    "Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field "
    "only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group "
    "Name,Matrix Ranking?,Field Annotation\r\n"
    "hours_sleep,sleep_diary,,text,Hours asleep last night,,,integer,0,16,,,y,,,,,\r\n"
    "naps,sleep_diary,,text,Naps yesterday,,,integer,0,5,,,,,,,,\r\n"
)


@pytest.fixture
def diary(db):
    admin = make_user(Role.ADMINISTRATOR, None)
    [instrument] = services.dictionary_import(user=admin, text=LOCAL_DICTIONARY, title="Diary")
    instrument.parent_completable = True
    instrument.respondents = ["parent"]
    instrument.save()
    return instrument


def test_parent_numbers_are_range_checked_on_the_server(visits, coordinator_a, diary):
    from neuroregen.visits import services as visit_services  # noqa: F401 - schedule check

    visit = visits["BL"]
    _link_row, token = _link(coordinator_a, visit, diary.code)
    with pytest.raises(AnswersInvalid) as caught:
        services.link_save(token=token, answers={"hours_sleep": "99999", "naps": "9"}, submit=True)
    assert set(caught.value.errors) == {"hours_sleep", "naps"}
    assert "0–16" in caught.value.errors["hours_sleep"]


def test_parent_form_carries_html_range_and_required(visits, coordinator_a, diary):
    _link_row, token = _link(coordinator_a, visits["BL"], diary.code)
    html = Client().get(f"/instruments/s/{token}/").content.decode()
    hours = re.search(r"<input[^>]*name=\"hours_sleep\"[^>]*>", html).group(0)
    assert 'min="0"' in hours
    assert 'max="16"' in hours
    assert "required" in hours
    naps = re.search(r"<input[^>]*name=\"naps\"[^>]*>", html).group(0)
    assert 'max="5"' in naps
    assert "required" not in naps
    form = re.search(r"<form[^>]*>", html).group(0)
    assert "novalidate" not in form  # the browser checks before submit
    save = re.search(r'<button[^>]*data-testid="save-partial"[^>]*>', html).group(0)
    assert "formnovalidate" in save  # saving part of the answers is always possible


def test_progress_counts_answered_items_only(visits, coordinator_a):
    _link_row, token = _link(coordinator_a, visits["BL"], "atec")
    names = [
        atec_item_name(k, n)
        for k, (_t, items) in ATEC_ITEMS.items()
        for n in range(1, len(items) + 1)
    ]
    services.link_save(token=token, answers=dict.fromkeys(names[:30], "1"), submit=False)
    html = Client().get(f"/instruments/s/{token}/").content.decode()
    progress = re.search(r'data-testid="progress"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "30" in progress
    assert "77" in progress
    assert "35" not in progress
    # The counter updates as the parent answers: a static script, no inline script (CSP).
    assert re.search(r'<script[^>]*src="[^"]*progress[^"]*\.js"', html)
    assert not re.search(r"<script(?![^>]*src=)[^>]*>\s*\S", html)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "cannot be submitted yet: 33 questions"),
        ("ru", "Анкету пока нельзя отправить: 33 вопроса"),
        ("uk", "Анкету ще не можна надіслати: 33 питання"),
    ],
)
def test_refused_submit_is_summarised_in_the_familys_language(
    visits, coordinator_a, language, expected
):
    _link_row, token = services.link_create(
        user=coordinator_a, visit=visits["BL"], instrument="cshq", language=language
    )
    html = Client().post(f"/instruments/s/{token}/", {"action": "submit"}).content.decode()
    assert expected in html
    assert html.count('href="#q-cshq_') == 33
