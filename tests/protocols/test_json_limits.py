"""Protocol JSON import: absurd nesting and undecodable bytes are clear errors, not a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from neuroregen.core.roles import Role
from neuroregen.protocols import services
from neuroregen.protocols.errors import ProtocolInvalid
from neuroregen.protocols.models import Protocol
from tests.helpers import make_user
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def admin(db):
    return make_user(Role.ADMINISTRATOR, None, "protocol-admin")


def test_deeply_nested_document_is_refused_with_the_depth_limit(admin):
    with pytest.raises(ProtocolInvalid) as caught:
        services.protocol_import(user=admin, data='{"code": ' + DEEP + "}")
    assert "nested" in caught.value.message
    assert not Protocol.objects.exists()


def test_brackets_inside_strings_do_not_count_as_nesting(admin):
    text = '{"name": "' + "[{" * 500 + '", "code": "X"}'
    with pytest.raises(ProtocolInvalid) as caught:
        services.protocol_import(user=admin, data=text)
    assert "nested" not in caught.value.message


def test_deep_file_uploaded_on_the_page_is_an_inline_error(admin, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    response = client_for(admin).post(
        reverse("protocol_import"),
        {"file": SimpleUploadedFile("deep.json", path.read_bytes(), "application/json")},
    )
    assert response.status_code == 200
    assert "nested" in response.content.decode()
    assert not Protocol.objects.exists()


def test_bytes_that_are_not_utf8_are_refused_with_a_message(admin):
    with pytest.raises(ProtocolInvalid, match="UTF-8"):
        services.protocol_import(user=admin, data=b'{"code": "\xff\xfe\xfd"}')
