"""Form completeness on the server: "complete" needs every required item answered or coded,
"verified" needs a complete form and a permitted role, and values entered by people keep to
their ranges — through the entry page, the API, the parent link and the REDCap import."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from neuroregen.core.errors import NotPermitted
from neuroregen.core.roles import Role
from neuroregen.instruments import services
from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.errors import AnswersInvalid, FormIncomplete
from neuroregen.instruments.models import Response
from neuroregen.instruments.selectors import visit_forms
from tests.helpers import PASSWORD, make_user
from tests.instruments.builders import participant_with_visits

pytestmark = pytest.mark.django_db

ATEC_NAMES = [
    atec_item_name(key, number)
    for key, (_title, items) in ATEC_ITEMS.items()
    for number in range(1, len(items) + 1)
]


@pytest.fixture
def child(coordinator_a, site_a):
    return participant_with_visits(coordinator_a, site_a)


def _atec(coordinator, visit):
    return services.response_start(user=coordinator, visit=visit, instrument="atec")


def _save(user, response, answers, missing=None, **kwargs):
    return services.response_save(
        user=user,
        response=response,
        answers=answers,
        missing=missing or {},
        expected_version=response.row_version,
        **kwargs,
    )


def test_an_empty_atec_cannot_be_saved_as_complete(child, coordinator_a):
    _participant, visits = child
    response = _atec(coordinator_a, visits["BL"])
    with pytest.raises(FormIncomplete) as caught:
        _save(coordinator_a, response, {}, complete=True)
    assert list(caught.value.missing_items) == ATEC_NAMES  # every one, in form order
    response.refresh_from_db()
    assert response.status == "in_progress"
    assert response.row_version == 1  # nothing saved
    rows = {r.code: r for r in visit_forms(user=coordinator_a, visit=visits["BL"])}
    assert rows["atec"].state != "entered"


def test_39_blank_items_are_listed_and_refused(child, coordinator_a):
    _participant, visits = child
    response = _atec(coordinator_a, visits["BL"])
    answers = dict.fromkeys(ATEC_NAMES[:38], "1")
    with pytest.raises(FormIncomplete) as caught:
        _save(coordinator_a, response, answers, complete=True)
    assert list(caught.value.missing_items) == ATEC_NAMES[38:]
    assert len(caught.value.missing_items) == 39


def test_missing_data_codes_make_a_form_complete_and_scores_follow_the_rules(child, coordinator_a):
    _participant, visits = child
    response = _atec(coordinator_a, visits["BL"])
    answers = dict.fromkeys(ATEC_NAMES, "1")
    # Three of the 14 Speech items carry codes: more than the subscale's limit of one.
    coded = {ATEC_NAMES[0]: "DECL", ATEC_NAMES[1]: "UNK", ATEC_NAMES[2]: "NA"}
    for name in coded:
        answers.pop(name)
    response = _save(coordinator_a, response, answers, coded, complete=True)
    assert response.status == "complete"
    assert response.scores["atec_i"]["value"] is None  # not a partial sum
    assert response.scores["atec_i"]["status"] == "insufficient"
    assert response.scores["atec_total"]["value"] is None
    assert response.scores["atec_ii"]["value"] == 20


def test_a_complete_form_cannot_lose_a_required_answer(child, coordinator_a):
    _participant, visits = child
    response = services.response_start(user=coordinator_a, visit=visits["BL"], instrument="cgi_s")
    response = _save(coordinator_a, response, {"cgi_s": "4"}, complete=True)
    with pytest.raises(FormIncomplete):
        _save(coordinator_a, response, {}, reason="value withdrawn")
    response.refresh_from_db()
    assert response.answers == {"cgi_s": "4"}
    assert response.status == "complete"


def test_verified_needs_a_complete_form_and_a_permitted_role(child, coordinator_a, investigator_a):
    _participant, visits = child
    response = services.response_start(user=coordinator_a, visit=visits["BL"], instrument="cgi_s")
    with pytest.raises(FormIncomplete):
        _save(investigator_a, response, {}, verify=True)
    response = _save(coordinator_a, response, {"cgi_s": "4"}, complete=True)
    with pytest.raises(NotPermitted):
        services.response_verify(
            user=coordinator_a, response=response, expected_version=response.row_version
        )
    response = services.response_verify(
        user=investigator_a, response=response, expected_version=response.row_version
    )
    assert response.status == "verified"
    assert response.history.first().history_user == investigator_a
    rows = {r.code: r for r in visit_forms(user=coordinator_a, visit=visits["BL"])}
    assert rows["cgi_s"].state == "verified"
    # A change after verification needs a reason and sends the form back for verification.
    response = _save(coordinator_a, response, {"cgi_s": "5"}, complete=True, reason="typo")
    assert response.status == "complete"


def test_person_entered_numbers_keep_to_their_range(child, coordinator_a):
    _participant, visits = child
    response = services.response_start(
        user=coordinator_a, visit=visits["BL"], instrument="vineland3"
    )
    with pytest.raises(AnswersInvalid) as caught:
        _save(
            coordinator_a,
            response,
            {"vineland3_com": "150", "vineland3_dls": "19", "vineland3_soc": "80"},
        )
    assert set(caught.value.errors) == {"vineland3_com", "vineland3_dls"}
    assert "20" in caught.value.errors["vineland3_com"]
    assert "140" in caught.value.errors["vineland3_com"]
    response.refresh_from_db()
    assert response.answers == {}


def _signed_in(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_entry_page_lists_every_missing_item_at_the_top_with_links(child, coordinator_a):
    _participant, visits = child
    client = _signed_in(coordinator_a)
    url = reverse("instrument_response_entry", args=[visits["BL"].pk, "atec"])
    page = client.get(url)
    data = {
        "respondent": "parent",
        "language": "en",
        "answered_on": page.context["meta"].initial["answered_on"].isoformat(),
        "action": "complete",
        **dict.fromkeys(ATEC_NAMES[:38], "1"),
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Saved." not in html
    summary = html[html.index('data-testid="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    for name in ATEC_NAMES[38:]:
        assert f'href="#q-{name}"' in summary
        assert f'id="q-{name}"' in html
    assert f'href="#q-{ATEC_NAMES[0]}"' not in summary
    assert not Response.objects.filter(status="complete").exists()
    # The answers given are kept on screen.
    assert (
        f'name="{ATEC_NAMES[0]}" id="{ATEC_NAMES[0]}-2" value="1" autocomplete="off" checked'
        in (html)
    )


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_error_summary_is_translated(child, coordinator_a, language):
    _participant, visits = child
    client = _signed_in(coordinator_a)
    url = reverse("instrument_response_entry", args=[visits["BL"].pk, "cgi_s"])
    page = client.get(url)
    data = {
        "respondent": "clinician",
        "language": language,
        "answered_on": page.context["meta"].initial["answered_on"].isoformat(),
        "action": "complete",
    }
    refused = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    html = refused.content.decode()
    assert 'data-testid="error-summary"' in html
    expected = {"ru": "не может быть", "uk": "не може бути"}[language]
    assert expected in html


def test_api_obeys_completeness(child, coordinator_a):
    _participant, visits = child
    response = _atec(coordinator_a, visits["BL"])
    from tests.security.api_battery import ApiClient

    sent = ApiClient(coordinator_a).send(
        "PUT",
        f"/api/responses/{response.pk}",
        {"answers": {ATEC_NAMES[0]: "1"}, "complete": True, "row_version": response.row_version},
    )
    assert sent.status_code == 422
    body = sent.json()
    assert body["code"] == "form_incomplete"
    assert body["missing_items"] == ATEC_NAMES[1:]
    assert set(body["errors"]) == set(ATEC_NAMES[1:])
    response.refresh_from_db()
    assert response.status == "in_progress"


def test_redcap_import_of_an_incomplete_complete_form_is_a_bad_row(site_a, coordinator_a):
    from neuroregen.interop import services as interop
    from neuroregen.interop.errors import ImportRejected

    participant, visits = participant_with_visits(coordinator_a, site_a)
    assignment = visits["BL"].assignment
    arms = sorted(a.code for a in assignment.protocol.arms.all())
    event = f"bl_arm_{arms.index(assignment.arm.code) + 1}"
    admin = make_user(Role.ADMINISTRATOR, None)
    header = ["record_id", "redcap_event_name", "cgi_s", "cgi_s_complete", "atec_i_01"]
    header.append("atec_complete")
    row = [participant.study_code, event, "", "1", "2", "1"]
    text = ",".join(header) + "\r\n" + ",".join(row) + "\r\n"
    with pytest.raises(ImportRejected) as caught:
        interop.redcap_import(user=admin, protocol="NR-CELL-01", text=text)
    found = {(p.where, p.column) for p in caught.value.problems}
    assert ("line 2", "cgi_s") in found
    assert ("line 2", "atec_i_02") in found
    assert not Response.objects.exists()
