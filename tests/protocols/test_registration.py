"""The protocol's registration (what the SDTM trial summary reports): imported, exported,
edited with a reason, checked, shown."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from neuroregen.protocols import services
from neuroregen.protocols.errors import ProtocolInvalid
from neuroregen.protocols.selectors import protocol_export
from tests.protocols.builders import admin_user, document
from tests.security.battery import client_for


@pytest.mark.django_db
def test_registration_is_imported_exported_and_edited_with_a_reason():
    user = admin_user()
    protocol = services.protocol_import(user=user, data=document())
    given = document()["registration"]
    assert protocol.sponsor == given["sponsor"]
    assert protocol.trial_phase == given["trial_phase"]
    assert protocol.planned_subjects == given["planned_subjects"]
    assert protocol.study_start_date.isoformat() == given["study_start_date"]
    assert protocol_export(protocol)["registration"] == given

    changed = protocol_export(protocol)
    changed["registration"] |= {"blinding": "single", "registry_id": "NCT01234567"}
    services.protocol_update(user=user, protocol=protocol, data=changed, reason="registered")
    protocol.refresh_from_db()
    assert (protocol.blinding, protocol.registry_id) == ("single", "NCT01234567")
    assert protocol.history.first().history_change_reason == "registered"


@pytest.mark.django_db
def test_a_document_without_registration_leaves_it_unstated():
    data = document()
    del data["registration"]
    protocol = services.protocol_import(user=admin_user(), data=data)
    assert (protocol.sponsor, protocol.trial_phase, protocol.planned_subjects) == ("", "", None)
    assert protocol.study_type == "interventional"


@pytest.mark.django_db
def test_every_registration_problem_is_listed():
    bad = {
        "trial_phase": "5",
        "planned_subjects": 0,
        "study_start_date": "15/01/2026",
        "randomised": "yes",
        "colour": "blue",
    }
    with pytest.raises(ProtocolInvalid) as raised:
        services.protocol_import(user=admin_user(), data=document(registration=bad))
    text = " ".join(raised.value.errors)
    for key in ("trial_phase", "planned_subjects", "study_start_date", "randomised", "colour"):
        assert key in text


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "label"), [("ru", "Спонсор"), ("uk", "Спонсор")])
def test_the_detail_page_shows_the_registration_in_the_reader_language(language, label):
    user = admin_user()
    protocol = services.protocol_import(user=user, data=document())
    with translation.override(language):
        page = client_for(user).get(
            reverse("protocol_detail", args=[protocol.pk]), HTTP_ACCEPT_LANGUAGE=language
        )
    html = page.content.decode()
    assert page.status_code == 200
    section = html.split('data-testid="registration">', 1)[1].split("</p>", 1)[0]
    assert protocol.sponsor in section
    assert protocol.registry_id in section
    assert label.lower() in section.lower()
