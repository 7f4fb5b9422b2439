"""A recall is e-signed and reaches the investigators of every recipient, at every site."""
# ruff: noqa: F811 - tests take the imported "world" fixture as a parameter

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import override

from neuroregen.core.errors import NotPermitted, SignatureRejected, ValidationFailed
from neuroregen.core.roles import Role
from neuroregen.core.services import signature_verify, signatures_for
from neuroregen.products import services as s
from neuroregen.products.models import LotRecall, RecallNotice
from tests.helpers import PASSWORD, make_user
from tests.products.test_lookback import world  # noqa: F401 - the shared fixture
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db


def _recall(world, password=PASSWORD):
    return s.lot_recall(
        user=world["lab"],
        lot=world["lot"],
        reason="donor later found HBV-positive",
        password=password,
    )


def test_a_recall_without_the_right_password_changes_nothing(world):
    lot = world["lot"]
    with pytest.raises(SignatureRejected):
        _recall(world, password="wrong")
    lot.refresh_from_db()
    assert lot.status != "recalled"
    assert not LotRecall.objects.exists()
    assert not RecallNotice.objects.exists()


def test_a_recall_is_signed_and_opens_a_notice_per_recipient_at_their_site(world):
    _recall(world)
    recall = LotRecall.objects.get()
    signature = signatures_for(recall).get()
    assert signature.signer == world["lab"]
    assert signature.meaning == "Recalled from clinical use"
    assert signature_verify(signature)
    notices = {n.participant: n for n in RecallNotice.objects.all()}
    assert set(notices) == {*world["a"], *world["b"]}
    assert world["bystander"] not in notices
    for participant, notice in notices.items():
        assert notice.site == participant.site
        assert notice.is_open


def test_the_investigators_dashboard_and_the_participant_page_show_the_notice(
    world, investigator_a, coordinator_b
):
    _recall(world)
    lot = world["lot"]
    home = client_for(investigator_a).get(reverse("dashboard")).content.decode()
    alerts = home[home.index('data-testid="recall-notices"') :]
    for child in world["a"]:
        assert child.study_code in alerts
    assert world["b"][0].study_code not in alerts  # another site's child
    assert lot.code in alerts
    child = world["a"][0]
    page = client_for(investigator_a).get(reverse("participant_detail", args=[child.study_code]))
    text = page.content.decode()
    assert 'data-testid="recall-notice"' in text
    assert "donor later found HBV-positive" in text
    # Site B's investigator sees its own child's notice though site A made and recalled the lot.
    investigator_b = make_user(Role.INVESTIGATOR, world["b"][0].site)
    other = client_for(investigator_b).get(reverse("dashboard")).content.decode()
    assert world["b"][0].study_code in other[other.index('data-testid="recall-notices"') :]
    for language in ("ru", "uk"):
        with override(language):
            translated = client_for(investigator_a).get(
                reverse("dashboard"), HTTP_ACCEPT_LANGUAGE=language
            )
        assert lot.code in translated.content.decode()


def test_an_investigator_acknowledges_and_the_notice_goes_away(
    world, investigator_a, coordinator_a
):
    _recall(world)
    child = world["a"][0]
    notice = RecallNotice.objects.get(participant=child)
    with pytest.raises(NotPermitted):
        s.recall_notice_acknowledge(user=coordinator_a, notice=notice, action_taken="called")
    with pytest.raises(ValidationFailed):
        s.recall_notice_acknowledge(user=investigator_a, notice=notice, action_taken=" ")
    url = reverse("products:recall_notice_acknowledge", args=[notice.pk])
    client = client_for(investigator_a)
    empty = client.post(url, {"action_taken": ""})
    assert empty.status_code == 422
    assert 'data-field-error="action_taken"' in empty.content.decode()
    done = client.post(url, {"action_taken": "Mother informed by phone; extra safety visit booked"})
    assert done.status_code == 302
    notice.refresh_from_db()
    assert not notice.is_open
    assert notice.acknowledged_by == investigator_a
    assert notice.history.first().history_change_reason.startswith("acknowledged")
    page = client.get(reverse("participant_detail", args=[child.study_code])).content.decode()
    assert 'data-testid="recall-notice"' not in page
    home = client.get(reverse("dashboard")).content.decode()
    assert child.study_code not in home.split('data-testid="recall-notices"')[-1]


def test_recall_page_asks_for_the_signature(world):
    lot = world["lot"]
    url = reverse("products:lot_recall", args=[lot.code])
    client = client_for(world["lab"])
    form = client.get(url).content.decode()
    assert 'name="password"' in form
    wrong = client.post(url, {"reason": "HBV", "password": "wrong", "meaning": "Recalled"})
    assert "password is not correct" in wrong.content.decode()
    lot.refresh_from_db()
    assert lot.status != "recalled"
    done = client.post(
        url, {"reason": "HBV", "password": PASSWORD, "meaning": "Recalled from clinical use"}
    )
    assert done.status_code == 302
    lot.refresh_from_db()
    assert lot.status == "recalled"
    assert RecallNotice.objects.count() == 3


def test_a_notice_of_another_site_cannot_be_seen_or_acknowledged(world, investigator_a):
    _recall(world)
    other = RecallNotice.objects.get(participant=world["b"][0])
    url = reverse("products:recall_notice_acknowledge", args=[other.pk])
    client = client_for(investigator_a)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action_taken": "attack"}).status_code == 404
    monitor_client = client_for(make_user(Role.MONITOR, None))
    assert monitor_client.post(url, {"action_taken": "attack"}).status_code == 403
    other.refresh_from_db()
    assert other.is_open
    assert other.history.count() == 1
