"""Data-quality rules. Each returns findings; services turn findings into queries.

Rules: out of range (field min/max, score range), required answer missing on a complete form,
more than 3 SD from the cohort (scores and biomarker values, n ≥ 10 others), impossible dates
(in the future, before the child's birth), and an answer to a question its branching hides.
Rules run on every save and in batch (``instruments.services.quality_run_batch``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop as N_

from neuroregen.core.wording import render, wording
from neuroregen.instruments import entry
from neuroregen.instruments.choices import QueryRule, ResponseStatus
from neuroregen.instruments.redcap import DATE_VALIDATIONS, DATETIME_VALIDATIONS

MIN_COHORT = 10
SD_LIMIT = 3


@dataclass(frozen=True)
class Finding:
    rule: str
    field_name: str
    message: str  # in the active language
    kept: dict[str, Any] | None = None  # core.wording: worded again for each reader


def _finding(rule: str, field_name: str, kept: dict[str, Any]) -> Finding:
    return Finding(rule, field_name, render(kept), kept)


def outlier_wording(value: float, others: list[float], prefix: str = "") -> dict[str, Any] | None:
    """The finding when ``value`` is more than 3 SD from the mean of ``others`` (n ≥ 10)."""
    if len(others) < MIN_COHORT:
        return None
    mean = statistics.fmean(others)
    sd = statistics.stdev(others)
    if sd == 0 or abs(value - mean) <= SD_LIMIT * sd:
        return None
    return wording(
        N_("%(value)s is %(z)s SD from the cohort mean %(mean)s (n = %(n)s)."),
        prefix=prefix,
        value=value,
        z=(value - mean) / sd,
        mean=mean,
        n=len(others),
    )


def outlier_message(value: float, others: list[float]) -> str | None:
    """:func:`outlier_wording` in the active language."""
    kept = outlier_wording(value, others)
    return render(kept) if kept else None


def response_findings(
    *,
    fields: list[Any],
    answers: Mapping[str, Any],
    missing: Mapping[str, str],
    status: str,
    scores: Mapping[str, Mapping[str, Any]],
    score_defs: Iterable[Any],
    cohort: Mapping[str, list[float]],
    today: dt.date,
    earliest: dt.date | None,
) -> list[Finding]:
    """Every finding for one response. ``cohort`` maps score code → other responses' values."""
    return ResponseRules(fields, score_defs).findings(
        answers=answers,
        missing=missing,
        status=status,
        scores=scores,
        cohort=cohort,
        today=today,
        earliest=earliest,
    )


_DATES = (*DATE_VALIDATIONS, *DATETIME_VALIDATIONS)


def _may_find(field: Any) -> bool:
    """Whether any field rule can ever fire for ``field`` (the others are skipped)."""
    return bool(
        (field.branching_logic and field.branching_logic.strip())  # answered though hidden
        or (field.field_type == "text" and field.validation)  # out of range
        or field.validation in _DATES  # impossible date
        or (field.is_required and field.field_type not in entry.NO_INPUT)  # required missing
    )


class ResponseRules:
    """:func:`response_findings` for one instrument, prepared once for many responses: fields
    that no rule can flag (no branching, range, date or required answer) are not visited."""

    def __init__(self, fields: list[Any], score_defs: Iterable[Any]) -> None:
        self.fields = [f for f in fields if _may_find(f)]
        self.branching = any(f.branching_logic and f.branching_logic.strip() for f in fields)
        self.score_defs = list(score_defs)

    def findings(
        self,
        *,
        answers: Mapping[str, Any],
        missing: Mapping[str, str],
        status: str,
        scores: Mapping[str, Mapping[str, Any]],
        cohort: Mapping[str, list[float]],
        today: dt.date,
        earliest: dt.date | None,
    ) -> list[Finding]:
        findings: list[Finding] = []
        values = entry.evaluation_values(answers, missing) if self.branching else {}
        for field in self.fields:
            name = field.field_name
            raw = answers.get(name)
            present = raw not in (None, "", [])
            shown = entry.is_shown(field, values)
            if present and not shown and field.field_type != "calc":
                findings.append(
                    _finding(
                        QueryRule.BRANCHING,
                        name,
                        wording(
                            N_(
                                "'%(label)s' is answered although its branching logic hides it "
                                "(%(logic)s)."
                            ),
                            label=field.field_label[:80],
                            logic=field.branching_logic,
                        ),
                    )
                )
            if present:
                kept = entry.out_of_range_wording(field, raw)
                if kept:
                    findings.append(_finding(QueryRule.OUT_OF_RANGE, name, kept))
                if field.validation in _DATES:
                    try:
                        day = dt.date.fromisoformat(str(raw)[:10])
                    except ValueError:
                        day = None
                    if day and day > today:
                        findings.append(
                            _finding(
                                QueryRule.IMPOSSIBLE_DATE,
                                name,
                                wording(N_("%(day)s is in the future."), day=day),
                            )
                        )
                    elif day and earliest and day < earliest:
                        findings.append(
                            _finding(
                                QueryRule.IMPOSSIBLE_DATE,
                                name,
                                wording(N_("%(day)s is before the child was born."), day=day),
                            )
                        )
            elif (
                status in ResponseStatus.finished()
                and field.is_required
                and shown
                and name not in missing
                and field.field_type not in entry.NO_INPUT
            ):
                findings.append(
                    _finding(
                        QueryRule.REQUIRED_MISSING,
                        name,
                        wording(
                            N_(
                                "Required answer '%(label)s' is missing; "
                                "enter it or give a missing-data code."
                            ),
                            label=field.field_label[:80],
                        ),
                    )
                )
        for definition in self.score_defs:
            result = scores.get(definition.code) or {}
            value = result.get("value")
            if value is None:
                continue
            if not (
                Decimal(definition.minimum) <= Decimal(str(value)) <= Decimal(definition.maximum)
            ):
                findings.append(
                    _finding(
                        QueryRule.OUT_OF_RANGE,
                        definition.code,
                        wording(
                            N_("Score %(code)s = %(value)s lies outside %(low)s–%(high)s."),
                            code=definition.code,
                            value=value,
                            low=definition.minimum,
                            high=definition.maximum,
                        ),
                    )
                )
            kept = outlier_wording(
                float(value), cohort.get(definition.code, []), prefix=definition.label
            )
            if kept:
                findings.append(_finding(QueryRule.OUTLIER, definition.code, kept))
        return findings
