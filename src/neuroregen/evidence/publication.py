"""Words for the publication checks: rules, verdicts, issues and caveats, translated.

``neuroregen.stats`` speaks English and stable codes; this module turns its results into the
rows the "check a publication" page and the claims panel print, in the reader's language.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from neuroregen.stats import flow_checks as fc
from neuroregen.stats import reporting_checks as rc

#: Rule names in the reader's language, in the order the stats module lists the rules.
RULE_LABELS = {
    rc.Rounding.HALF_UP: gettext_lazy("round half up"),
    rc.Rounding.HALF_EVEN: gettext_lazy("round half to even"),
    rc.Rounding.TRUNCATE: gettext_lazy("truncation"),
}

TABLE_VERDICTS = {
    rc.TableVerdict.ONE_RULE: gettext_lazy("One rounding rule reproduces every figure."),
    rc.TableVerdict.MIXED_RULES: gettext_lazy(
        "Every figure can be reproduced, but not under one rounding rule: the figures were "
        "not all computed the same way."
    ),
    rc.TableVerdict.INCONSISTENT: gettext_lazy(
        "Some figures cannot be reproduced from whole counts of their n under any rounding rule."
    ),
}

STAGE_LABELS = {
    "randomised": gettext_lazy("randomised / allocated"),
    "received": gettext_lazy("received the intervention"),
    "completed": gettext_lazy("completed follow-up"),
    "analysed": gettext_lazy("analysed"),
    "withdrawn": gettext_lazy("withdrawals reported"),
}

_CAVEATS = {
    rc.CAVEAT_CAUSE_UNKNOWN: gettext_lazy(
        "An inconsistency shows that the figure cannot come from whole counts of the stated n; "
        "its cause (typo, other denominator, missing data, error) is unknown."
    ),
    rc.CAVEAT_NO_POWER: gettext_lazy(
        "The denominator is so large that every figure with this many decimals is possible: "
        "the check cannot detect anything here."
    ),
    fc.CAVEAT_ARITHMETIC_ONLY: gettext_lazy(
        "The check tests arithmetic only: a flow that adds up can still misreport who was analysed."
    ),
}

_METHODS = {
    rc.METHOD_PERCENT: gettext_lazy(
        "Exact enumeration of whole counts k of n (k/n × 100) under round half up, round half "
        "to even and truncation (granularity check, Brown & Heathers 2017)."
    ),
    rc.METHOD_MEAN: gettext_lazy(
        "GRIM test (Brown & Heathers 2017): exact enumeration of whole sums of n × items "
        "integer responses under each rounding rule."
    ),
    fc.METHOD: gettext_lazy(
        "Arithmetic reconciliation of a CONSORT 2010 participant flow: order of stages, totals "
        "over arms, enrolment, reported losses, and match with the registry's counts per arm."
    ),
}


def caveat_text(caveat: str) -> str:
    return str(_CAVEATS.get(caveat, caveat))


def method_text(method: str) -> str:
    return str(_METHODS.get(method, method))


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS.get(stage, stage))


def issue_text(issue: fc.FlowIssue) -> str:
    """One flow issue as a sentence in the reader's language, with its numbers."""
    p = dict(issue.params)
    arm = issue.arm
    if issue.code == "negative":
        return _("%(arm)s: “%(stage)s” is negative (%(value)s).") % {
            "arm": arm,
            "stage": stage_label(p["stage"]),
            "value": p["value"],
        }
    if issue.code == "stage_exceeds":
        return _("%(arm)s: “%(later)s” (%(later_n)s) exceeds “%(earlier)s” (%(earlier_n)s).") % {
            "arm": arm,
            "later": stage_label(p["later"]),
            "later_n": p["later_n"],
            "earlier": stage_label(p["earlier"]),
            "earlier_n": p["earlier_n"],
        }
    if issue.code == "analysed_exceeds":
        return _("%(arm)s: %(analysed)s analysed but only %(randomised)s randomised.") % {
            "arm": arm,
            **p,
        }
    if issue.code == "analysed_exceeds_completed":
        return _(
            "%(arm)s: %(analysed)s analysed but %(completed)s completed follow-up: missing "
            "outcomes must have been imputed, and the paper should say how."
        ) % {"arm": arm, **p}
    if issue.code == "losses_mismatch":
        return _(
            "%(arm)s: randomised − completed = %(derived)s, but the paper reports %(reported)s "
            "withdrawals."
        ) % {"arm": arm, **p}
    if issue.code == "total_mismatch":
        return _("“%(stage)s”: the arms add up to %(summed)s, the reported total is %(total)s.") % {
            "stage": stage_label(p["stage"]),
            "summed": p["summed"],
            "total": p["total"],
        }
    if issue.code == "enrolment_mismatch":
        return (
            _(
                "Assessed (%(assessed)s) − excluded (%(excluded)s) = %(expected)s, but "
                "%(randomised)s were randomised."
            )
            % p
        )
    if issue.code == "registry_mismatch":
        return _(
            "%(arm)s: “%(stage)s” is %(reported)s in the paper, %(registry)s in the registry."
        ) % {
            "arm": arm,
            "stage": stage_label(p["stage"]),
            "reported": p["reported"],
            "registry": p["registry"],
        }
    if issue.code == "registry_arm_unknown":
        return _("%(arm)s: the registry has no arm “%(registry_arm)s”.") % {"arm": arm, **p}
    if issue.code == "registry_arm_unreported":
        return _("Registry arm “%(registry_arm)s” does not appear in the paper.") % p
    return issue.text


def percent_text(k: int, n: int) -> str:
    """“k/n” for a count list; the exact percentage is printed beside it by the template."""
    return f"{k}/{n}"


@dataclass(frozen=True)
class FigureRow:
    """One printed figure of a claim: what k of n reproduce it per rule, in words."""

    figure: str
    n: int
    check: rc.PercentageCheck
    per_rule: tuple[tuple[str, str], ...]
    nearest: tuple[tuple[int, float], ...]


def _counts_text(counts: Sequence[int], n: int) -> str:
    return ", ".join(percent_text(k, n) for k in counts) if counts else "—"


def figure_row(figure: str, n: int) -> FigureRow:
    check = rc.check_percentage(figure, n)
    return FigureRow(
        figure=figure,
        n=n,
        check=check,
        per_rule=tuple(
            (str(RULE_LABELS[rule]), _counts_text(check.matches[rule], n)) for rule in rc.RULES
        ),
        nearest=tuple((k, float(p)) for k, p in check.nearest()),
    )


def _whole_percent(value: float) -> str | None:
    if value is None or math.isnan(value):
        return None
    return f"{round(value * 100)} %"


def claim_figures(claims: Iterable[Any]) -> list[dict[str, Any]]:
    """For each rate claim: could its stated percentages arise from the children evaluated?

    A programme claiming "60–80 %" of n children must have had some whole count k of n that
    prints as each stated figure; the check says which k (per rounding rule) or that none can.
    """
    rows: list[dict[str, Any]] = []
    for verdict in claims:
        claim = verdict.claim
        n = int(getattr(verdict.observed, "n", 0) or 0)
        if claim.kind.name not in ("RATE_AT_LEAST", "RATE_BETWEEN") or n < 1:
            continue
        figures = [f for f in (_whole_percent(claim.lower), _whole_percent(claim.upper)) if f]
        if figures:
            rows.append({"claim": claim, "n": n, "figures": [figure_row(f, n) for f in figures]})
    return rows


def counts_summary(counts: Sequence[int], limit: int = 12) -> str:
    """A list of whole numbers, shortened with its total when long."""
    if not counts:
        return "—"
    shown = ", ".join(map(str, counts[:limit]))
    if len(counts) > limit:
        more = len(counts) - limit
        shown += " " + ngettext("… and %(n)s more", "… and %(n)s more", more) % {"n": more}
    return shown
