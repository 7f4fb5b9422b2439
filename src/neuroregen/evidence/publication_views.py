"""The "check a publication" page: a paper's reported figures, checked for arithmetic sense.

Nothing is stored: the figures typed in are checked and shown back with the results.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from neuroregen.core import access
from neuroregen.core.errors import NotPermitted
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.roles import Capability, Role
from neuroregen.core.scoping import memberships_of
from neuroregen.evidence import publication as pub
from neuroregen.evidence import selectors
from neuroregen.evidence.publication_forms import (
    ArmFormSet,
    FlowTotalsForm,
    MeanFormSet,
    PercentageFormSet,
    filled_rows,
)
from neuroregen.evidence.registry_flow import registry_arm_counts
from neuroregen.stats import flow_checks as fc
from neuroregen.stats import reporting_checks as rc

#: Staff who read programme evidence; coordinators, lab staff and families do not use this page.
EVIDENCE_READERS = frozenset(
    {Role.ADMINISTRATOR, Role.INVESTIGATOR, Role.STATISTICIAN, Role.MONITOR}
)


def require_evidence_reader(user: Any) -> None:
    if not any(m.role in EVIDENCE_READERS for m in memberships_of(user)):
        raise NotPermitted()


def _percentage_results(rows: list[Any]) -> dict[str, Any] | None:
    known = [r.cleaned_data for r in rows if r.cleaned_data.get("n") is not None]
    searches = [
        {
            "label": d["label"],
            "search": rc.denominators_for_percentage(d["figure"], d["n_min"], d["n_max"]),
        }
        for d in (r.cleaned_data for r in rows)
        if d.get("n") is None
    ]
    table = (
        rc.check_percentage_table(
            [(d["figure"], d["n"]) for d in known], [d["label"] for d in known]
        )
        if known
        else None
    )
    if table is None and not searches:
        return None
    for item in searches:
        search = item["search"]
        item["per_rule"] = [
            (pub.RULE_LABELS[rule], pub.counts_summary(search.admitted[rule])) for rule in rc.RULES
        ]
    return {
        "table": table,
        "rows": [
            {
                "label": label,
                "row": pub.figure_row(check.reported.text, check.n),
                "consistent": check.consistent,
                "caveats": [pub.caveat_text(c) for c in check.caveats],
            }
            for label, check in zip(table.labels, table.rows, strict=True)
        ]
        if table
        else [],
        "verdict": pub.TABLE_VERDICTS[table.verdict] if table else None,
        "common_rules": [pub.RULE_LABELS[r] for r in table.common_rules] if table else [],
        "searches": searches,
        "method": pub.method_text(rc.METHOD_PERCENT),
    }


def _mean_results(rows: list[Any]) -> list[dict[str, Any]]:
    results = []
    for d in (r.cleaned_data for r in rows):
        check = rc.check_mean(d["figure"], d["n"], d["items"])
        results.append(
            {
                "label": d["label"],
                "check": check,
                "per_rule": [
                    (pub.RULE_LABELS[rule], pub.counts_summary(check.sums[rule]))
                    for rule in rc.RULES
                ],
                "caveats": [pub.caveat_text(c) for c in check.caveats],
            }
        )
    return results


def _flow_results(
    user: Any, rows: list[Any], totals: FlowTotalsForm, protocols: list[Any]
) -> dict[str, Any] | None:
    if not rows:
        return None
    t = totals.cleaned_data
    protocol = next((p for p in protocols if p.pk == t.get("protocol")), None)
    registry = registry_arm_counts(user=user, protocol=protocol) if protocol else None
    arms = [
        fc.ReportedArm(
            name=d["name"].strip(),
            randomised=d["randomised"],
            received=d["received"],
            completed=d["completed"],
            analysed=d["analysed"],
            withdrawn=d["withdrawn"],
            registry_arms=d["registry_codes"],
        )
        for d in (r.cleaned_data for r in rows)
    ]
    flow = fc.reconcile_flow(
        arms,
        fc.FlowTotals(
            assessed=t.get("assessed"),
            excluded=t.get("excluded"),
            randomised=t.get("randomised"),
            analysed=t.get("analysed"),
        ),
        registry,
        analysed_completers=bool(t.get("analysed_completers")),
    )
    return {
        "flow": flow,
        "protocol": protocol,
        "stages": [(s, pub.stage_label(s)) for s in fc.STAGES],
        "arms": [
            {
                "row": row,
                "cells": [
                    (row.arm.stage(s), row.registry.get(s), row.difference(s)) for s in fc.STAGES
                ],
            }
            for row in flow.arms
        ],
        "errors": [pub.issue_text(i) for i in flow.errors],
        "notes": [pub.issue_text(i) for i in flow.issues if i.severity is fc.Severity.NOTE],
        "method": pub.method_text(flow.method),
        "caveats": [pub.caveat_text(c) for c in flow.caveats],
    }


def _duplicate_arm_names(rows: list[Any]) -> bool:
    seen: set[str] = set()
    clash = False
    for row in rows:
        key = (row.cleaned_data.get("name") or "").strip().casefold()
        if key in seen:
            row.add_error("name", _("Two arms have the same name."))
            clash = True
        seen.add(key)
    return clash


@login_required
# Exactly the evidence readers: administrators, investigators, monitors, statisticians.
@access.staff(Capability.EXPORT_PSEUDONYMOUS, Capability.VIEW_AUDIT, any_of=True)
def check_publication(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_evidence_reader(request.user)
    protocols = selectors.protocols_for(user=request.user)
    data = request.POST if request.method == "POST" else None
    percentages = PercentageFormSet(data, prefix="pct")
    means = MeanFormSet(data, prefix="mean")
    arms = ArmFormSet(data, prefix="arm")
    totals = FlowTotalsForm(data, prefix="flow", protocols=protocols)
    context: dict[str, Any] = {
        "percentages": percentages,
        "means": means,
        "arms": arms,
        "totals": totals,
        "rules": [pub.RULE_LABELS[r] for r in rc.RULES],
    }
    forms_valid = all(f.is_valid() for f in (percentages, means, arms, totals))
    if data is not None and forms_valid and _duplicate_arm_names(filled_rows(arms)):
        forms_valid = False
    context["has_errors"] = data is not None and not forms_valid
    if data is not None and forms_valid:
        filled = filled_rows(percentages) + filled_rows(means) + filled_rows(arms)
        if not filled:
            context["nothing"] = True
        else:
            context["checked"] = True
            context["pct"] = _percentage_results(filled_rows(percentages))
            context["means_checked"] = _mean_results(filled_rows(means))
            context["flow"] = _flow_results(request.user, filled_rows(arms), totals, protocols)
    status = 200 if data is None or forms_valid else 422
    return render(request, "evidence/check_publication.html", context, status=status)
