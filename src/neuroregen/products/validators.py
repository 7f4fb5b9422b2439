"""Rules over plain values: QC acceptance criteria, the QC verdict of a lot, scanned codes.

Pure functions (no database), shared by services, forms and importers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.core import codes
from neuroregen.products.choices import CodePrefix, CriterionKind


def criterion_met(
    criterion: str,
    *,
    lower: Decimal | None,
    upper: Decimal | None,
    value: Decimal | None,
    passed: bool | None,
) -> bool:
    """True if a result meets its acceptance criterion (limits inclusive).

    >>> criterion_met("range", lower=Decimal(70), upper=Decimal(100), value=Decimal(70),
    ...               passed=None)
    True
    >>> criterion_met("max", lower=None, upper=Decimal("0.5"), value=Decimal("0.6"), passed=None)
    False
    """
    if criterion == CriterionKind.PASS_FAIL:
        return passed is True
    if value is None:
        return False
    if (
        criterion in (CriterionKind.RANGE, CriterionKind.AT_LEAST)
        and lower is not None
        and value < lower
    ):
        return False
    return not (
        criterion in (CriterionKind.RANGE, CriterionKind.AT_MOST)
        and upper is not None
        and value > upper
    )


def spec_item_errors(data: dict[str, Any]) -> dict[str, str]:
    """Errors of one specification test given as a dict (test_code, name, criterion, limits)."""
    errors: dict[str, str] = {}
    for field in ("test_code", "name", "method"):
        if not str(data.get(field) or "").strip():
            errors[field] = _("This field is required.")
    kind = data.get("criterion")
    lower, upper = data.get("lower"), data.get("upper")
    if kind not in CriterionKind.values:
        errors["criterion"] = _("Unknown acceptance criterion.")
    elif kind == CriterionKind.RANGE and (lower is None or upper is None or lower > upper):
        errors["lower"] = _("A range needs a lower limit not above the upper limit.")
    elif kind == CriterionKind.AT_LEAST and lower is None:
        errors["lower"] = _("Give the lower limit.")
    elif kind == CriterionKind.AT_MOST and upper is None:
        errors["upper"] = _("Give the upper limit.")
    return errors


@dataclass(frozen=True)
class QCLine:
    """The standing of one test of a lot over all its results (none is ever overwritten).

    The result that counts is the latest one not invalidated by an investigation. An
    out-of-specification result stands, and the test fails whatever any retest shows, unless an
    investigation concludes that a laboratory error is confirmed; while its investigation is
    open the test is *pending* and the lot can neither pass nor fail.
    """

    test_code: str
    name: str
    criterion: str
    required: bool
    result: str | None  # display value of the result that counts
    in_spec: bool | None  # None: no valid result yet
    pending: tuple[str, ...] = ()  # OOS results whose investigation is open
    standing: tuple[str, ...] = ()  # OOS results not invalidated (uninvestigated or confirmed)

    @property
    def missing(self) -> bool:
        return self.result is None and not self.pending and not self.standing

    @property
    def fails(self) -> bool:
        return bool(self.standing)

    @property
    def awaiting_investigation(self) -> bool:
        return bool(self.pending) and not self.fails


@dataclass(frozen=True)
class QCVerdict:
    lines: tuple[QCLine, ...]

    @property
    def missing(self) -> list[str]:
        return [line.name for line in self.lines if line.required and line.missing]

    @property
    def out_of_spec(self) -> list[str]:
        return [line.name for line in self.lines if line.required and line.fails]

    @property
    def pending_investigation(self) -> list[str]:
        return [line.name for line in self.lines if line.required and line.awaiting_investigation]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def passed(self) -> bool:
        return (
            self.complete
            and not self.out_of_spec
            and not self.pending_investigation
            and all(line.result is not None for line in self.lines if line.required)
        )

    def summary(self) -> list[dict[str, Any]]:
        return [
            {
                "test": line.test_code,
                "name": line.name,
                "criterion": line.criterion,
                "result": line.result,
                "in_spec": line.in_spec,
                "oos_pending": list(line.pending),
                "oos_standing": list(line.standing),
            }
            for line in self.lines
        ]


def qc_verdict(items: Iterable[Any], results: dict[int, list[Any]]) -> QCVerdict:
    """Combine specification items with every result per item (keyed by item id, oldest first).

    A result may carry ``oos_investigation`` (or ``None``) with ``is_open`` and
    ``invalidates_result``.
    """
    lines = []
    for item in items:
        counting = None
        pending: list[str] = []
        standing: list[str] = []
        for result in results.get(item.pk, []):
            investigation = getattr(result, "oos_investigation", None)
            if not result.in_spec:
                if investigation is None:
                    standing.append(result.display_value())
                elif investigation.is_open:
                    pending.append(result.display_value())
                elif not investigation.invalidates_result:
                    standing.append(result.display_value())
                else:
                    continue  # invalidated: a laboratory error, it never counts
            counting = result
        lines.append(
            QCLine(
                test_code=item.test_code,
                name=item.name,
                criterion=item.criterion_text(),
                required=item.required,
                result=None if counting is None else counting.display_value(),
                in_spec=None if counting is None else counting.in_spec,
                pending=tuple(pending),
                standing=tuple(standing),
            )
        )
    return QCVerdict(tuple(lines))


def parse_code(scanned: str, *, expected: Iterable[str] | None = None) -> str:
    """Normalise a scanned or typed code and check its check digits and prefix.

    Returns the code in canonical form; raises ``ValueError`` with a message for people.
    """
    code = (scanned or "").strip().upper()
    if not codes.is_valid(code):
        raise ValueError(
            _("“%(code)s” is not a valid code: check digits do not match (misread or mistyped).")
            % {"code": scanned.strip()}
        )
    prefix = code.split("-")[0]
    allowed = set(expected) if expected is not None else {*CodePrefix.values, "P"}
    if prefix not in allowed:
        raise ValueError(_("“%(code)s” is not the kind of code expected here.") % {"code": code})
    return code
