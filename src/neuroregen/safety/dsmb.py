"""The DSMB's safety tables and the state of the stopping rules.

The tables count *treatment-emergent* events: events with an administration on or before
onset (the stored context; ``days_since_administration`` is set). Exposure runs from each
administration to the next one (or to the end of follow-up: today at the site, or an earlier
withdrawal from data collection). Each stretch belongs to that administration's protocol, arm,
product, lot, dose band and route — the same attribution the events carry — so a participant
who received two lots contributes time and events to each. All numbers cover only the sites
the reader may see, and say so.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from neuroregen.core.models import User
from neuroregen.core.permissions import has_capability, sites_with
from neuroregen.core.roles import Capability
from neuroregen.core.time import latest_site_today
from neuroregen.participants.choices import WithdrawalScope
from neuroregen.participants.models import Withdrawal
from neuroregen.protocols import timeline
from neuroregen.safety import choices as c
from neuroregen.safety.models import AdverseEvent, StoppingRule
from neuroregen.stats.results import Estimate
from neuroregen.stats.safety_rules import (
    StoppingRuleResult,
    beta_binomial_rule,
    fixed_count_rule,
    incidence_rate_exact,
    person_years,
    proportion_exact,
)


def dose_band(dose_per_kg: Decimal | float | None, unit: str) -> str:
    """Decade band of a dose per kg, e.g. "1e6–<1e7 cells_per_kg".

    Dose-escalation cohorts of cell products step by about half a log or more, so a decade
    keeps each cohort in one band while banding doses given by weight.
    """
    if dose_per_kg is None or float(dose_per_kg) <= 0:
        return "—"
    exponent = math.floor(math.log10(float(dose_per_kg)) + 1e-9)
    return f"1e{exponent}–<1e{exponent + 1} {unit}"


@dataclass
class _Stretch:
    participant_id: int
    keys: dict[str, str]
    days: float


@dataclass
class GroupTable:
    """The DSMB numbers of one group (one arm, one lot, …)."""

    label: str
    n: int
    exposure_years: float
    proportions: list[tuple[str, Estimate]] = field(default_factory=list)
    by_max_grade: list[tuple[int, Estimate]] = field(default_factory=list)
    rates: list[tuple[str, Estimate | None]] = field(default_factory=list)
    n_events: int = 0


@dataclass
class DsmbReport:
    grouping: str
    groups: list[GroupTable]
    soc_rows: list[dict[str, Any]]
    sae_listing: list[AdverseEvent]
    sites: list[str]
    pre_dose_events: int
    as_of: dt.date


def _group_keys(admin: dict[str, Any]) -> dict[str, str]:
    return {
        c.DsmbGrouping.OVERALL: "all",
        c.DsmbGrouping.PROTOCOL: admin["protocol"],
        c.DsmbGrouping.ARM: f"{admin['protocol']} · {admin['arm__code']}",
        c.DsmbGrouping.PRODUCT: admin["lot__product_type"],
        c.DsmbGrouping.LOT: admin["lot__code"],
        c.DsmbGrouping.DOSE_BAND: dose_band(admin["dose_per_kg"], admin["dose_unit"]),
        c.DsmbGrouping.ROUTE: admin["route"],
    }


def _event_keys(event: dict[str, Any]) -> dict[str, str]:
    return {
        c.DsmbGrouping.OVERALL: "all",
        c.DsmbGrouping.PROTOCOL: event["protocol_label"],
        c.DsmbGrouping.ARM: f"{event['protocol_label']} · {event['arm_code']}",
        c.DsmbGrouping.PRODUCT: event["product_type"],
        c.DsmbGrouping.LOT: event["lot_code"],
        c.DsmbGrouping.DOSE_BAND: dose_band(event["dose_per_kg"], event["dose_unit"]),
        c.DsmbGrouping.ROUTE: event["route"],
    }


def _follow_up_end(user: User) -> dict[int, dt.date]:
    """Participants whose data collection ended by withdrawal: the date it ended."""
    ended: dict[int, dt.date] = {}
    for row in (
        Withdrawal.objects.for_user(user)
        .filter(scope__in=[WithdrawalScope.NO_FURTHER_DATA, WithdrawalScope.WITHDRAW_DATA])
        .values("participant_id", "effective_on")
    ):
        pid = row["participant_id"]
        ended[pid] = min(ended.get(pid, row["effective_on"]), row["effective_on"])
    return ended


def exposure_stretches(*, user: User, protocol: Any = None) -> list[_Stretch]:
    """One stretch per administration: its group keys and the days until the next one."""
    from neuroregen.products.models import Administration

    qs = Administration.objects.for_user(user)
    if protocol is not None:
        qs = qs.filter(arm__protocol=protocol)
    rows = list(
        qs.values(
            "participant_id",
            "started_at",
            "route",
            "dose_per_kg",
            "dose_unit",
            "lot__code",
            "lot__product_type",
            "arm__code",
            "arm__protocol__code",
            "arm__protocol__version",
            "participant__site__time_zone",
        ).order_by("participant_id", "started_at")
    )
    ended = _follow_up_end(user)
    by_participant: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        row["protocol"] = f"{row['arm__protocol__code']} v{row['arm__protocol__version']}"
        by_participant[row["participant_id"]].append(row)
    for row in _assignment_only_exposure(user, protocol, exclude=set(by_participant)):
        by_participant[row["participant_id"]].append(row)
    stretches = []
    for pid, admins in by_participant.items():
        tz = admins[0]["participant__site__time_zone"]
        end = timeline.today_at(tz)
        if pid in ended:
            end = min(end, ended[pid])
        for index, admin in enumerate(admins):
            start = timeline.local_date(admin["started_at"], tz)
            stop = (
                timeline.local_date(admins[index + 1]["started_at"], tz)
                if index + 1 < len(admins)
                else end
            )
            # The day of dosing counts as exposed: a stretch is at least one day long.
            days = max((stop - start).days, 0) + (1 if index + 1 == len(admins) else 0)
            stretches.append(_Stretch(pid, _group_keys(admin), float(days)))
    return stretches


def _assignment_only_exposure(user: User, protocol: Any, *, exclude: set[int]) -> list[dict]:
    """Participants with a recorded day 0 but no administration rows: one stretch from day 0,
    described by the assignment (the same fallback ``services.onset_context`` uses)."""
    from neuroregen.protocols.models import Assignment

    qs = Assignment.objects.for_user(user).filter(day_zero__isnull=False, arm__isnull=False)
    if protocol is not None:
        qs = qs.filter(protocol=protocol)
    rows = []
    for a in qs.exclude(participant_id__in=exclude).select_related(
        "arm", "protocol", "participant__site"
    ):
        tz = a.participant.site.time_zone
        rows.append(
            {
                "participant_id": a.participant_id,
                "started_at": dt.datetime.combine(a.day_zero, dt.time(12), tzinfo=ZoneInfo(tz)),
                "route": a.arm.route,
                "dose_per_kg": a.dose_per_kg,
                "dose_unit": a.dose_unit or a.arm.dose_unit,
                "lot__code": "",
                "lot__product_type": a.arm.product_type,
                "arm__code": a.arm.code,
                "protocol": str(a.protocol),
                "participant__site__time_zone": tz,
            }
        )
    return rows


EVENT_FIELDS = (
    "pk",
    "code",
    "participant_id",
    "term",
    "soc",
    "grade",
    "is_serious",
    "serious_death",
    "relatedness_product",
    "relatedness_procedure",
    "aesi_category",
    "administration_code",
    "lot_code",
    "product_type",
    "route",
    "dose_per_kg",
    "dose_unit",
    "protocol_label",
    "arm_code",
)


def _related(event: dict[str, Any]) -> bool:
    suspected = c.Relatedness.suspected()
    return event["relatedness_product"] in suspected or event["relatedness_procedure"] in suspected


INDICATORS: tuple[tuple[str, str, Any], ...] = (
    ("any", "participants with any adverse event", lambda e: True),
    ("g3", "participants with a grade ≥ 3 event", lambda e: e["grade"] >= 3),
    ("serious", "participants with a serious adverse event", lambda e: e["is_serious"]),
    ("related", "participants with a related event (possible or stronger)", _related),
    ("aesi", "participants with an event of special interest", lambda e: bool(e["aesi_category"])),
    ("death", "participants who died", lambda e: e["grade"] == 5),
)


def qualifies(kind: str, event: dict[str, Any]) -> bool:
    """Whether an event counts for a stopping rule's ``qualifying_event``."""
    if kind == c.QualifyingEvent.RELATED_GRADE_3_PLUS:
        return event["grade"] >= 3 and _related(event)
    if kind == c.QualifyingEvent.GRADE_3_PLUS:
        return event["grade"] >= 3
    if kind == c.QualifyingEvent.SERIOUS:
        return bool(event["is_serious"])
    if kind == c.QualifyingEvent.RELATED_SERIOUS:
        return bool(event["is_serious"]) and _related(event)
    if kind == c.QualifyingEvent.DEATH:
        return event["grade"] == 5
    if kind == c.QualifyingEvent.AESI:
        return bool(event["aesi_category"])
    raise ValueError(f"unknown qualifying event {kind!r}")


def treatment_emergent_events(*, user: User) -> list[dict[str, Any]]:
    return list(
        AdverseEvent.objects.for_user(user)
        .filter(days_since_administration__isnull=False)
        .values(*EVENT_FIELDS)
    )


def dsmb_report(
    *,
    user: User,
    grouping: str = c.DsmbGrouping.ARM,
    confidence: float = 0.95,
    protocol: Any = None,
) -> DsmbReport:
    """DSMB tables for the sites the user may see (see the module docstring for attribution);
    with ``protocol``, only that protocol's exposure, events and serious events."""
    if grouping not in c.DsmbGrouping.values:
        grouping = c.DsmbGrouping.ARM
    stretches = exposure_stretches(user=user, protocol=protocol)
    events = treatment_emergent_events(user=user)
    scoped = AdverseEvent.objects.for_user(user)
    if protocol is not None:
        events = [e for e in events if e["protocol_label"] == str(protocol)]
        scoped = scoped.filter(protocol_label=str(protocol))
    members: dict[str, set[int]] = defaultdict(set)
    exposure: dict[str, float] = defaultdict(float)
    for stretch in stretches:
        key = stretch.keys[grouping]
        members[key].add(stretch.participant_id)
        exposure[key] += stretch.days
    events_by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        events_by_group[_event_keys(event)[grouping]].append(event)
    groups = []
    for key in sorted(members):
        n = len(members[key])
        group_events = [
            e for e in events_by_group.get(key, []) if e["participant_id"] in members[key]
        ]
        years = person_years(exposure[key])
        table = GroupTable(label=key, n=n, exposure_years=years, n_events=len(group_events))
        for code, words, test in INDICATORS:
            with_event = {e["participant_id"] for e in group_events if test(e)}
            est = proportion_exact(len(with_event), n, quantity=words, confidence=confidence)
            table.proportions.append((code, est))
        worst: dict[int, int] = {}
        for e in group_events:
            worst[e["participant_id"]] = max(worst.get(e["participant_id"], 0), e["grade"])
        for grade in c.Grade.values:
            x = sum(1 for g in worst.values() if g == grade)
            table.by_max_grade.append(
                (
                    grade,
                    proportion_exact(
                        x,
                        n,
                        quantity=f"participants whose worst grade is {grade}",
                        confidence=confidence,
                    ),
                )
            )
        for words, selected in (
            ("adverse events", group_events),
            ("serious adverse events", [e for e in group_events if e["is_serious"]]),
            ("related adverse events", [e for e in group_events if _related(e)]),
        ):
            rate = (
                incidence_rate_exact(
                    len(selected), years, per=100, quantity=words, n=n, confidence=confidence
                )
                if years > 0
                else None
            )
            table.rates.append((words, rate))
        groups.append(table)
    soc_rows = _soc_term_rows(events, members, grouping)
    listing = list(
        scoped.filter(is_serious=True)
        .select_related("participant__site")
        .prefetch_related("clocks")
        .order_by("participant__site__code", "onset_date", "pk")
    )
    covered = sites_with(user, Capability.VIEW)
    sites = list(covered.values_list("code", flat=True))
    pre_dose = scoped.filter(days_since_administration__isnull=True).count()
    return DsmbReport(
        grouping=grouping,
        groups=groups,
        soc_rows=soc_rows,
        sae_listing=listing,
        sites=sites,
        pre_dose_events=pre_dose,
        as_of=latest_site_today(covered.values_list("time_zone", flat=True)),
    )


def _soc_term_rows(
    events: list[dict[str, Any]], members: dict[str, set[int]], grouping: str
) -> list[dict[str, Any]]:
    """Rows (SOC, term) × columns (group): participants by worst grade of that term, events."""
    group_order = sorted(members)
    cells: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    worst: dict[tuple[str, str, str], dict[int, int]] = defaultdict(dict)
    for e in events:
        group = _event_keys(e)[grouping]
        if group not in members or e["participant_id"] not in members[group]:
            continue
        term = e["term"].strip().capitalize()
        row_key = (e["soc"], term)
        cell = cells[row_key].setdefault(group, {"events": 0})
        cell["events"] += 1
        by_pid = worst[(e["soc"], term, group)]
        by_pid[e["participant_id"]] = max(by_pid.get(e["participant_id"], 0), e["grade"])
    rows = []
    for soc, term in sorted(cells, key=lambda k: (str(c.SystemOrganClass(k[0]).label), k[1])):
        columns = []
        for group in group_order:
            by_pid = worst.get((soc, term, group), {})
            grades = [sum(1 for g in by_pid.values() if g == k) for k in c.Grade.values]
            n = len(members[group])
            columns.append(
                {
                    "group": group,
                    "grades": grades,
                    "participants": len(by_pid),
                    "percent": 100.0 * len(by_pid) / n if n else 0.0,
                    "events": cells[(soc, term)].get(group, {}).get("events", 0),
                }
            )
        rows.append({"soc": str(c.SystemOrganClass(soc).label), "term": term, "columns": columns})
    return rows


# --- stopping rules ------------------------------------------------------------------------


@dataclass
class RuleState:
    rule: StoppingRule
    result: StoppingRuleResult | None
    n: int
    events: int
    note: str = ""


def stopping_rule_states(*, user: User, protocol: Any = None) -> list[RuleState]:
    """Every active stopping rule (of ``protocol`` when given) evaluated on the participants
    the user may see."""
    states = []
    events = treatment_emergent_events(user=user)
    rules = StoppingRule.objects.filter(active=True).select_related("protocol")
    if protocol is not None:
        rules = rules.filter(protocol=protocol)
    for rule in rules:
        stretches = exposure_stretches(user=user, protocol=rule.protocol)
        if rule.arm_code:
            stretches = [
                s for s in stretches if s.keys[c.DsmbGrouping.ARM].endswith(f"· {rule.arm_code}")
            ]
        exposed = {s.participant_id for s in stretches}
        label = str(rule.protocol)
        with_event = {
            e["participant_id"]
            for e in events
            if e["participant_id"] in exposed
            and e["protocol_label"] == label
            and (not rule.arm_code or e["arm_code"] == rule.arm_code)
            and qualifies(rule.qualifying_event, e)
        }
        n, x = len(exposed), len(with_event)
        if rule.kind == c.StoppingRuleKind.FIXED_COUNT:
            result = fixed_count_rule(x, n, max_events=int(rule.max_events or 1))
        elif n == 0:
            states.append(RuleState(rule, None, 0, 0, note="no participant exposed yet"))
            continue
        else:
            result = beta_binomial_rule(
                x,
                n,
                threshold=float(rule.threshold_rate or 0),
                cutoff=float(rule.posterior_cutoff or 0),
                prior_a=float(rule.prior_a),
                prior_b=float(rule.prior_b),
            )
        states.append(RuleState(rule, result, n, x))
    return states


def can_view_dsmb(user: User) -> bool:
    """Families do not see programme-level tables; staff roles do (for their sites)."""
    return has_capability(user, Capability.VIEW)
