"""Per-item saves of staff data entry: one answer per request, audited, never overwriting
another answer, and the whole-form save still detecting another person's changes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.instruments import services
from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.item_save import response_item_save
from neuroregen.instruments.models import Instrument, Response
from tests.instruments.builders import participant_with_visits
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(coordinator_a, site_a):
    return participant_with_visits(coordinator_a, site_a)


def _item(client, visit, code, field, value="", missing="", **extra):
    data = {
        "field": field,
        "missing": missing,
        "respondent": "clinician",
        "language": "en",
        "answered_on": timezone.localdate().isoformat(),
        **extra,
    }
    if value != "":
        data[field] = value
    url = reverse("instrument_response_item", args=[visit.pk, code])
    return client.post(url, data)


def test_one_answer_is_one_audited_save(child, coordinator_a):
    _participant, visits = child
    client = client_for(coordinator_a)
    saved = _item(client, visits["BL"], "atec", "atec_i_01", "2")
    assert saved.status_code == 200
    body = saved.json()
    assert body["saved"] is True
    assert body["calcs"]["atec_i_raw"] == "2"
    response = Response.objects.get(visit=visits["BL"], instrument__code="atec")
    assert response.answers["atec_i_01"] == "2"
    assert response.status == "in_progress"
    assert body["version"] == response.row_version
    latest = response.history.order_by("-history_date", "-history_id").first()
    assert latest.answers["atec_i_01"] == "2"
    assert latest.history_user == coordinator_a
    assert latest.history_change_reason == "entry in progress"


def test_item_saves_never_overwrite_each_other(child, coordinator_a):
    """Saves built on the same old state keep every answer: each changes only its own item."""
    _participant, visits = child
    client = client_for(coordinator_a)
    names = [atec_item_name("i", n) for n in range(1, 8)]
    for name in names:
        # Every request says it last knew version 1: none of them may drop the others' answers.
        assert _item(client, visits["BL"], "atec", name, "1", row_version="1").status_code == 200
    response = Response.objects.get(visit=visits["BL"], instrument__code="atec")
    assert {n: response.answers[n] for n in names} == dict.fromkeys(names, "1")
    assert response.history.order_by("-history_date", "-history_id").first().answers == (
        response.answers
    )
    # Changing and clearing one item leaves the others alone.
    _item(client, visits["BL"], "atec", names[0], "2")
    _item(client, visits["BL"], "atec", names[1], "", missing="UNK")
    response.refresh_from_db()
    assert response.answers[names[0]] == "2"
    assert names[1] not in response.answers
    assert response.missing == {names[1]: "UNK"}
    assert all(response.answers[n] == "1" for n in names[2:])


def test_all_77_atec_items_saved_one_by_one(child, coordinator_a):
    _participant, visits = child
    atec = Instrument.objects.get(code="atec")
    names = [
        atec_item_name(key, number)
        for key, (_title, items) in ATEC_ITEMS.items()
        for number in range(1, 1 + len(items))
    ]
    assert len(names) == 77
    for name in names:
        response_item_save(
            user=coordinator_a, visit=visits["BL"], instrument=atec, field_name=name, value="0"
        )
    response = Response.objects.get(visit=visits["BL"], instrument=atec)
    assert all(response.answers[n] == "0" for n in names)
    assert response.scores["atec_total"]["value"] == 0
    assert response.history.count() == 78  # started, then one record per answer


def test_a_bad_answer_is_refused_with_its_message_and_changes_nothing(child, coordinator_a):
    _participant, visits = child
    client = client_for(coordinator_a)
    _item(client, visits["BL"], "atec", "atec_i_01", "2")
    refused = _item(client, visits["BL"], "atec", "atec_i_02", "7")
    assert refused.status_code == 422
    assert "atec_i_02" in refused.json()["errors"]
    refused = _item(client, visits["BL"], "atec", "no_such_field", "1")
    assert refused.status_code == 422
    future = _item(
        client,
        visits["BL"],
        "atec",
        "atec_i_03",
        "1",
        answered_on=(timezone.localdate() + timezone.timedelta(days=3)).isoformat(),
    )
    assert future.status_code == 422
    assert "answered_on" in future.json()["errors"]
    response = Response.objects.get(visit=visits["BL"], instrument__code="atec")
    assert response.answers == {
        "atec_i_01": "2",
        **{k: v for k, v in response.answers.items() if k.endswith("_raw")},
    }


def test_branching_hides_and_clears_without_redrawing(child, coordinator_a):
    _participant, visits = child
    client = client_for(coordinator_a)
    shown = _item(client, visits["BL"], "vineland3", "vineland3_motor_assessed", "1").json()
    assert "vineland3_motor" in shown["shown"]
    assert _item(client, visits["BL"], "vineland3", "vineland3_motor", "80").status_code == 200
    hidden = _item(client, visits["BL"], "vineland3", "vineland3_motor_assessed", "0").json()
    assert "vineland3_motor" not in hidden["shown"]
    assert hidden["cleared"] == ["vineland3_motor"]
    response = Response.objects.get(visit=visits["BL"], instrument__code="vineland3")
    assert "vineland3_motor" not in response.answers


def test_whole_form_save_still_detects_another_users_item_save(child, coordinator_a, site_a):
    from neuroregen.core.roles import Role
    from tests.helpers import make_user

    _participant, visits = child
    other = make_user(Role.COORDINATOR, site_a, "coord-a2")
    mine, theirs = client_for(coordinator_a), client_for(other)
    first = _item(mine, visits["BL"], "atec", "atec_i_01", "1").json()
    _item(theirs, visits["BL"], "atec", "atec_i_02", "2")
    url = reverse("instrument_response_entry", args=[visits["BL"].pk, "atec"])
    stale = mine.post(
        url,
        {
            "respondent": "clinician",
            "language": "en",
            "answered_on": timezone.localdate().isoformat(),
            "row_version": first["version"],
            "atec_i_01": "1",
            "action": "save",
        },
    )
    assert stale.status_code == 409
    assert 'data-testid="conflict"' in stale.content.decode()
    response = Response.objects.get(visit=visits["BL"], instrument__code="atec")
    assert response.answers["atec_i_02"] == "2"


def test_a_complete_form_is_changed_only_with_a_reason(child, coordinator_a):
    _participant, visits = child
    response = services.response_start(user=coordinator_a, visit=visits["BL"], instrument="cgi_s")
    services.response_save(
        user=coordinator_a,
        response=response,
        answers={"cgi_s": "4"},
        complete=True,
        expected_version=response.row_version,
    )
    refused = _item(client_for(coordinator_a), visits["BL"], "cgi_s", "cgi_s", "5")
    assert refused.status_code == 422
    assert "reason" in refused.json()["errors"]
    response.refresh_from_db()
    assert response.answers["cgi_s"] == "4"


def test_other_site_and_read_only_roles_cannot_save_an_item(child, coordinator_b, monitor):
    _participant, visits = child
    for user in (coordinator_b, monitor):
        refused = _item(client_for(user), visits["BL"], "atec", "atec_i_01", "1")
        assert refused.status_code in (403, 404)
    assert not Response.objects.filter(visit=visits["BL"], instrument__code="atec").exists()


def test_entry_page_saves_per_item_and_draws_hidden_questions_hidden(child, coordinator_a):
    _participant, visits = child
    client = client_for(coordinator_a)
    page = client.get(reverse("instrument_response_entry", args=[visits["BL"].pk, "vineland3"]))
    html = page.content.decode()
    assert "hx-post" not in html  # no whole-form redraw on each answer
    assert 'data-item-url="' in html
    assert "neuroregen/entry.js" in html
    # A question its branching hides is drawn hidden, so showing it needs no redraw.
    start = html.index('data-field="vineland3_motor"')
    assert "hidden" in html[html.rindex("<div", 0, start) : start + 60]


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "The form was not saved. Please correct:"),
        ("ru", "Форма не сохранена. Исправьте, пожалуйста:"),
        ("uk", "Форму не збережено. Виправте, будь ласка:"),
    ],
)
def test_a_refused_save_lists_its_problems_at_the_top(child, coordinator_a, language, heading):
    _participant, visits = child
    client = client_for(coordinator_a)
    url = reverse("instrument_response_entry", args=[visits["BL"].pk, "atec"])
    page = client.post(
        url,
        {
            "respondent": "clinician",
            "language": "en",
            "answered_on": timezone.localdate().isoformat(),
            "atec_i_01": "9",
            "atec_i_02": "1",
            "action": "complete",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    html = page.content.decode()
    assert page.status_code == 200
    summary = html[html.index('data-testid="error-summary"') :]
    assert heading in summary
    assert 'href="#q-atec_i_01"' in summary
    assert html.index('data-testid="error-summary"') < html.index('id="nr-fields"')
    assert 'id="q-atec_i_01"' in html
    assert 'value="1" autocomplete="off" checked' in html  # the other answer is kept
    stored = Response.objects.filter(visit=visits["BL"], instrument__code="atec").first()
    assert stored is None or "atec_i_02" not in stored.answers  # nothing was saved


def test_an_answer_outside_its_range_is_refused_item_by_item(child, coordinator_a):
    """The per-item save keeps the whole-form range rule: a CARS-2 total of 99 (range 15–60) is
    refused with the range named, and nothing is stored."""
    _participant, visits = child
    client = client_for(coordinator_a)
    refused = _item(client, visits["BL"], "cars2", "cars2_total", "99")
    assert refused.status_code == 422
    assert "15" in refused.json()["errors"]["cars2_total"]
    assert "60" in refused.json()["errors"]["cars2_total"]
    stored = Response.objects.filter(visit=visits["BL"], instrument__code="cars2").first()
    assert stored is None or "cars2_total" not in stored.answers
    assert _item(client, visits["BL"], "cars2", "cars2_total", "40").status_code == 200
