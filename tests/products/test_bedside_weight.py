"""Bedside 'weight today' outside a child's range is a message, never a server error."""

from __future__ import annotations

import pytest

from neuroregen.core.errors import ValidationFailed
from neuroregen.products.forms import AdministrationForm
from neuroregen.products.models import Administration
from tests.products.test_administration import give, ipsc_child, ipsc_lot, lab_a, protocol

pytestmark = pytest.mark.django_db
__all__ = ["ipsc_child", "ipsc_lot", "lab_a", "protocol"]  # fixtures used below


@pytest.mark.parametrize(("weight", "message"), [("250", "at most 150"), ("-3", "at least 5")])
def test_bedside_form_refuses_impossible_weight_inline(weight, message):
    form = AdministrationForm(data={"weight_kg": weight}, tz_name="America/New_York")
    assert not form.is_valid()
    assert message in " ".join(form.errors["weight_kg"])


def test_bedside_service_refuses_impossible_weight_as_a_domain_error(
    coordinator_a, ipsc_child, ipsc_lot
):
    with pytest.raises(ValidationFailed) as caught:
        give(coordinator_a, ipsc_child, ipsc_lot.containers.first(), weight="250")
    assert caught.value.field == "weight_kg"
    assert not Administration.objects.exists()
