"""Protocol pages: everyone with access reads them; only protocol managers change them."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from neuroregen.protocols.models import Protocol
from tests.protocols.builders import active_protocol, admin_user, document
from tests.security.battery import client_for


@pytest.fixture
def protocol(db):
    return active_protocol()


def test_staff_read_protocol_pages_and_export(protocol, coordinator_a, monitor, statistician):
    for user in (coordinator_a, monitor, statistician):
        client = client_for(user)
        assert protocol.code in client.get(reverse("protocol_list")).content.decode()
        page = client.get(reverse("protocol_detail", args=[protocol.pk])).content.decode()
        assert "Month 12" in page
        assert "Uncontrolled epilepsy" in page
        exported = client.get(reverse("protocol_export", args=[protocol.pk]))
        assert json.loads(exported.content)["code"] == protocol.code


def test_anonymous_is_sent_to_sign_in(protocol):
    for url in (reverse("protocol_list"), reverse("protocol_detail", args=[protocol.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_only_protocol_managers_change_protocols(protocol, coordinator_a, investigator_a, monitor):
    before = (Protocol.objects.count(), protocol.row_version)
    for user in (coordinator_a, investigator_a, monitor):
        client = client_for(user)
        assert (
            client.post(
                reverse("protocol_import"), {"document": json.dumps(document(version="9"))}
            ).status_code
            == 403
        )
        assert (
            client.post(
                reverse("protocol_amend", args=[protocol.pk]), {"version": "9", "reason": "x"}
            ).status_code
            == 403
        )
        assert (
            client.post(reverse("protocol_close", args=[protocol.pk]), {"reason": "x"}).status_code
            == 403
        )
        assert client.post(reverse("protocol_activate", args=[protocol.pk])).status_code == 403
    protocol.refresh_from_db()
    assert (Protocol.objects.count(), protocol.row_version) == before


def test_import_page_shows_the_specific_error_and_saves_nothing(db):
    client = client_for(admin_user())
    doc = document()
    doc["rules"][0]["field"] = "iq_score"
    response = client.post(reverse("protocol_import"), {"document": json.dumps(doc)})
    assert response.status_code == 200
    assert "unknown profile field &#x27;iq_score&#x27;" in response.content.decode()
    assert not Protocol.objects.exists()


def test_import_amend_and_activate_through_the_pages(db):
    client = client_for(admin_user())
    response = client.post(reverse("protocol_import"), {"document": json.dumps(document())})
    draft = Protocol.objects.get()
    assert response.status_code == 302
    assert draft.status == "draft"
    client.post(reverse("protocol_activate", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "active"
    response = client.post(
        reverse("protocol_amend", args=[draft.pk]), {"version": "1.1", "reason": "new visit"}
    )
    amendment = Protocol.objects.get(version="1.1")
    assert amendment.supersedes == draft
    assert amendment.status == "draft"
    edit = client.get(reverse("protocol_edit", args=[amendment.pk])).content.decode()
    assert "NR-CELL-01" in edit
