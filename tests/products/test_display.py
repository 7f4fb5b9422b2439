"""Numbers read back from the database show without the stored trailing zeros."""

from __future__ import annotations

from decimal import Decimal

import pytest

from neuroregen.products import choices as c
from neuroregen.products.models import QCResult, QCSpecItem


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (Decimal("88.000000"), "88 %"),
        (Decimal("0.500000"), "0.5 %"),
        (Decimal("100.000000"), "100 %"),
        (Decimal("0.000100"), "0.0001 %"),
    ],
)
def test_qc_result_value_is_shown_as_entered(stored, shown):
    item = QCSpecItem(criterion=c.CriterionKind.AT_LEAST, unit="%", lower=Decimal("70.000000"))
    assert QCResult(item=item, value=stored).display_value() == shown
    assert item.criterion_text() == "≥ 70 %"
