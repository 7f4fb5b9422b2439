"""Parent questionnaire links: single use, expiring, unguessable, tamper-proof, partial saves,
locked when complete, in the family's language."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from neuroregen.core.errors import ValidationFailed
from neuroregen.instruments import services
from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.errors import AnswersInvalid, LinkNotFound, LinkUnusable
from neuroregen.instruments.models import SurveyLink
from tests.instruments.builders import participant_with_visits

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(coordinator_a, site_a):
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    return services.link_create(user=coordinator_a, visit=visits["BL"], instrument="atec")


def _all_atec(value="1"):
    return {
        atec_item_name(k, n): value
        for k, (_t, items) in ATEC_ITEMS.items()
        for n in range(1, len(items) + 1)
    }


def test_partial_save_then_submit_then_locked(link):
    record, token = link
    assert record.language == "uk"  # the family's language
    assert token not in record.token_hash  # only a hash is kept
    services.link_save(token=token, answers={"atec_i_01": "2"}, submit=False)
    record.refresh_from_db()
    assert record.response.status == "in_progress"
    assert record.response.answers["atec_i_01"] == "2"
    assert services.link_resolve(token).pk == record.pk  # still usable after a partial save
    response = services.link_save(token=token, answers=_all_atec(), submit=True)
    assert response.status == "complete"
    assert response.respondent == "parent"
    assert response.scores["atec_total"]["value"] == 14 + 20 + 18 + 25
    assert response.source == "parent_link"
    with pytest.raises(LinkUnusable, match="submitted"):
        services.link_resolve(token)
    with pytest.raises(LinkUnusable):
        services.link_save(token=token, answers=_all_atec("0"), submit=True)
    response.refresh_from_db()
    assert response.scores["atec_total"]["value"] == 77  # unchanged


def test_expired_link_is_refused(link):
    record, token = link
    SurveyLink.objects.filter(pk=record.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(LinkUnusable, match="expired"):
        services.link_resolve(token)


def _other_link_same_signature(token: str) -> str:
    """The token with its payload pointing at the next link id, signature left as it was."""
    payload, signature = token.split(":", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["l"] += 1
    forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    return forged.decode().rstrip("=") + ":" + signature


def test_tampered_and_guessed_tokens_are_not_found(link):
    _record, token = link
    # Change a middle character: the last base64 character of a signature can carry unused
    # padding bits, so altering it may decode to the very same bytes.
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (
        tampered,
        "x" * len(token),
        _other_link_same_signature(token),
        "",
    ):
        with pytest.raises(LinkNotFound):
            services.link_resolve(bad)


def test_new_link_revokes_the_old_one(link, coordinator_a):
    record, token = link
    visit = record.response.visit
    _new, new_token = services.link_create(user=coordinator_a, visit=visit, instrument="atec")
    with pytest.raises(LinkUnusable, match="replaced"):
        services.link_resolve(token)
    assert services.link_resolve(new_token).pk == _new.pk


def test_links_only_for_family_completed_forms(coordinator_a, site_a):
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    with pytest.raises(ValidationFailed):
        services.link_create(user=coordinator_a, visit=visits["BL"], instrument="vineland3")


def test_parent_page_needs_no_account_and_refuses_reuse(link):
    _record, token = link
    client = Client()
    page = client.get(f"/instruments/s/{token}/")
    assert page.status_code == 200
    assert "Knows own name" in page.content.decode()
    assert 'data-testid="language-fallback"' in page.content.decode()  # Ukrainian not shipped
    answers = _all_atec("0")
    del answers["atec_iv_25"]
    saved = client.post(f"/instruments/s/{token}/", {**answers, "action": "save"})
    assert saved.status_code == 302
    done = client.post(f"/instruments/s/{token}/", {**_all_atec("0"), "action": "submit"})
    assert 'data-testid="survey-done"' in done.content.decode()
    again = client.get(f"/instruments/s/{token}/")
    assert again.status_code == 410
    assert client.get(f"/instruments/s/{token[:-3]}xyz/").status_code == 404


def test_submit_needs_required_answers(coordinator_a, site_a):
    from neuroregen.instruments.builtin_cshq import CSHQ_ITEMS, cshq_item_name

    _participant, visits = participant_with_visits(coordinator_a, site_a)
    _record, token = services.link_create(user=coordinator_a, visit=visits["BL"], instrument="cshq")
    answers = {cshq_item_name(n): "2" for n in range(1, len(CSHQ_ITEMS) + 1)}
    last = answers.pop(cshq_item_name(len(CSHQ_ITEMS)))
    with pytest.raises(AnswersInvalid) as caught:
        services.link_save(token=token, answers=answers, submit=True)
    assert caught.value.errors == {cshq_item_name(33): "Please answer this question."}
    services.link_save(token=token, answers={**answers, cshq_item_name(33): last}, submit=True)
    with pytest.raises(LinkUnusable):
        services.link_save(token=token, answers={}, submit=True)
    assert AnswersInvalid.code == "answers_invalid"
