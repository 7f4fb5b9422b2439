"""CONSORT 2010 participant flow of one protocol, built from each child's state, that adds up.

Each child is first reduced to one :class:`FlowRecord` (where the child stands: screening
outcome, arm, administration, follow-up phase reached, analysis) by :func:`flow_records`; the
boxes are then counted from those records by :func:`build_flow`, so every child sits in exactly
one box of each split. :func:`conservation_violations` checks that each box's count equals the
sum of the boxes it splits into (CONSORT: "every box's count equals the sum of the boxes it
splits into"); the report prints the violations, or says there are none.

Definitions (stated on the report):

* **received** = at least one administration recorded (an administration row, or the first
  administration date on the assignment) — the same population the DSMB safety tables count;
* **follow-up phase reached** = the phase of the study day at the data cut-off, or on the day
  the child withdrew; phases follow the protocol's boundaries;
* **analysed** = received, data not withdrawn, with a baseline and at least one follow-up value
  of the primary outcome measure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.evidence.frames import FOLLOW_UP_PHASES

#: Where a child stands after screening.
EXCLUDED, SCREENING, LEFT_BEFORE_ENROLMENT, ENROLLED = (
    "excluded",
    "screening",
    "left_before_enrolment",
    "enrolled",
)
SCREEN_OUTCOMES = (EXCLUDED, SCREENING, LEFT_BEFORE_ENROLMENT, ENROLLED)
#: Where a followed-up child's follow-up stopped or stands at the data cut-off.
WITHDRAWN, ONGOING = "withdrawn", "ongoing"


@dataclass(frozen=True)
class FlowRecord:
    """One child's path through the trial, as far as the data go."""

    study_code: str
    screen_outcome: str
    exclusion_reason: str = ""
    arm: str = ""  # allocated arm ("" = not allocated)
    received: bool = False
    not_received_reason: str = ""
    stop_phase: str = ""  # follow-up phase where follow-up stopped or stands
    stop_kind: str = ""  # WITHDRAWN or ONGOING
    withdrawal_reason: str = ""
    analysed: bool = False
    not_analysed_reason: str = ""
    has_data_in: frozenset[str] = frozenset()  # follow-up phases with outcome data


@dataclass
class FlowBox:
    key: str
    label: str
    n: int
    reasons: list[tuple[str, int]] = field(default_factory=list)
    splits: list[tuple[str, ...]] = field(default_factory=list)  # child boxes of each split
    with_data: int | None = None  # children with outcome data in a follow-up phase


@dataclass(frozen=True)
class Violation:
    box: str
    label: str
    n: int
    parts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _key, n in self.parts)

    def __str__(self) -> str:
        parts = " + ".join(f"{label} {n}" for label, n in self.parts)
        return _("%(box)s: n = %(n)s, but %(parts)s = %(total)s") % {
            "box": self.label,
            "n": self.n,
            "parts": parts,
            "total": self.total,
        }


@dataclass
class ConsortFlow:
    boxes: dict[str, FlowBox]
    arms: list[str]
    arm_labels: dict[str, str] = field(default_factory=dict)
    phases: tuple[str, ...] = FOLLOW_UP_PHASES

    def box(self, key: str) -> FlowBox:
        return self.boxes[key]

    def get(self, key: str) -> FlowBox | None:
        return self.boxes.get(key)

    def arm_box(self, arm: str, stage: str) -> FlowBox:
        return self.boxes[f"{stage}:{arm}"]

    @property
    def violations(self) -> list[Violation]:
        return conservation_violations(self)

    def arm_columns(self) -> list[dict[str, Any]]:
        """Per arm, the boxes from allocation to analysis in reading order (for the page)."""
        columns = []
        for arm in self.arms:
            phases = [
                {
                    "phase": phase,
                    "reached": self.boxes[f"reached_{phase}:{arm}"],
                    "withdrawn": self.boxes[f"withdrawn_{phase}:{arm}"],
                    "ongoing": self.boxes[f"ongoing_{phase}:{arm}"],
                }
                for phase in self.phases
            ]
            columns.append(
                {
                    "arm": arm,
                    "label": self.arm_labels.get(arm, arm),
                    "allocated": self.boxes[f"allocated:{arm}"],
                    "received": self.boxes[f"received:{arm}"],
                    "not_received": self.boxes[f"not_received:{arm}"],
                    "phases": phases,
                    "analysed": self.boxes[f"analysed:{arm}"],
                    "not_analysed": self.boxes[f"not_analysed:{arm}"],
                }
            )
        return columns

    def per_arm(self, stage: str) -> dict[str, int]:
        return {arm: self.boxes[f"{stage}:{arm}"].n for arm in self.arms}


def _reasons(values: Iterable[str]) -> list[tuple[str, int]]:
    counts = Counter(v or _("reason not recorded") for v in values)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def phase_label(code: str) -> str:
    from neuroregen.protocols.visit_choices import Phase

    try:
        return str(Phase(code).label)
    except ValueError:
        return code


def build_flow(
    records: Iterable[FlowRecord],
    *,
    arms: Iterable[str] = (),
    arm_labels: dict[str, str] | None = None,
    phases: tuple[str, ...] = FOLLOW_UP_PHASES,
) -> ConsortFlow:
    """Count the CONSORT boxes from the children's records (pure; no database).

    ``arms`` lists arms to show even when nobody is allocated to them yet; arms of the records
    are added in order of appearance.
    """
    records = list(records)
    arm_order = list(dict.fromkeys([*arms, *(r.arm for r in records if r.arm)]))
    boxes: dict[str, FlowBox] = {}

    def add(
        key: str,
        label: str,
        members: list[FlowRecord],
        *,
        reasons: list[tuple[str, int]] | None = None,
        splits: list[tuple[str, ...]] | None = None,
        with_data: int | None = None,
    ) -> list[FlowRecord]:
        boxes[key] = FlowBox(key, label, len(members), reasons or [], splits or [], with_data)
        return members

    by_outcome = {o: [r for r in records if r.screen_outcome == o] for o in SCREEN_OUTCOMES}
    unknown = [r.study_code for r in records if r.screen_outcome not in SCREEN_OUTCOMES]
    if unknown:
        raise ValueError(f"unknown screening outcome for {', '.join(unknown)}")
    add(
        "screened",
        _("Screened (assessed for eligibility)"),
        records,
        splits=[("excluded", "still_screening", "left_before_enrolment", "enrolled")],
    )
    add(
        "excluded",
        _("Excluded at screening"),
        by_outcome[EXCLUDED],
        reasons=_reasons(r.exclusion_reason for r in by_outcome[EXCLUDED]),
    )
    add("still_screening", _("Still in screening at the data cut-off"), by_outcome[SCREENING])
    add(
        "left_before_enrolment",
        _("Withdrew before enrolment"),
        by_outcome[LEFT_BEFORE_ENROLMENT],
        reasons=_reasons(r.withdrawal_reason for r in by_outcome[LEFT_BEFORE_ENROLMENT]),
    )
    enrolled = by_outcome[ENROLLED]
    unallocated = [r for r in enrolled if not r.arm]
    add(
        "enrolled",
        _("Enrolled"),
        enrolled,
        splits=[("not_allocated", *(f"allocated:{a}" for a in arm_order))],
    )
    add(
        "not_allocated",
        _("Enrolled, not allocated to an arm"),
        unallocated,
        reasons=_reasons(r.not_received_reason for r in unallocated),
    )
    for arm in arm_order:
        allocated = [r for r in enrolled if r.arm == arm]
        received = [r for r in allocated if r.received]
        not_received = [r for r in allocated if not r.received]
        analysed = [r for r in allocated if r.analysed]
        not_analysed = [r for r in allocated if not r.analysed]
        add(
            f"allocated:{arm}",
            _("Allocated"),
            allocated,
            splits=[
                (f"received:{arm}", f"not_received:{arm}"),
                (f"analysed:{arm}", f"not_analysed:{arm}"),
            ],
        )
        first = phases[0] if phases else ""
        add(
            f"received:{arm}",
            _("Received the allocated product (at least one administration)"),
            received,
            splits=[(f"reached_{first}:{arm}",)] if first else [],
        )
        add(
            f"not_received:{arm}",
            _("Did not receive the allocated product"),
            not_received,
            reasons=_reasons(r.not_received_reason for r in not_received),
        )
        entering = received
        for index, phase in enumerate(phases):
            stopped_here = [r for r in entering if r.stop_phase == phase]
            withdrawn = [r for r in stopped_here if r.stop_kind == WITHDRAWN]
            ongoing = [r for r in stopped_here if r.stop_kind != WITHDRAWN]
            nxt = phases[index + 1] if index + 1 < len(phases) else None
            parts = [f"withdrawn_{phase}:{arm}", f"ongoing_{phase}:{arm}"]
            if nxt:
                parts.append(f"reached_{nxt}:{arm}")
            add(
                f"reached_{phase}:{arm}",
                _("Followed up: %(phase)s") % {"phase": phase_label(phase)},
                entering,
                splits=[tuple(parts)],
                with_data=sum(1 for r in entering if phase in r.has_data_in),
            )
            add(
                f"withdrawn_{phase}:{arm}",
                _("Withdrew during this phase"),
                withdrawn,
                reasons=_reasons(r.withdrawal_reason for r in withdrawn),
            )
            add(
                f"ongoing_{phase}:{arm}",
                _("In this phase at the data cut-off"),
                ongoing,
            )
            entering = [r for r in entering if r.stop_phase != phase]
        add(f"analysed:{arm}", _("Analysed"), analysed)
        add(
            f"not_analysed:{arm}",
            _("Not analysed"),
            not_analysed,
            reasons=_reasons(r.not_analysed_reason for r in not_analysed),
        )
    return ConsortFlow(boxes, arm_order, dict(arm_labels or {}), phases)


def conservation_violations(flow: ConsortFlow) -> list[Violation]:
    """Every split whose parts do not add up to its box (an empty list when the flow adds up).

    Reasons given beside a box must add up to it as well.
    """
    out: list[Violation] = []
    for box in flow.boxes.values():
        for split in box.splits:
            missing = FlowBox("", "", 0)
            parts = tuple(
                (flow.boxes.get(k, missing).label or k, flow.boxes.get(k, missing).n) for k in split
            )
            if sum(n for _label, n in parts) != box.n:
                out.append(Violation(box.key, box.label, box.n, parts))
        if box.reasons and sum(n for _label, n in box.reasons) != box.n:
            out.append(Violation(box.key, box.label, box.n, tuple(box.reasons)))
    return out


# --- from the database -------------------------------------------------------------------


def _stop(day_zero: dt.date, until: dt.date, boundaries: Any, phases: tuple[str, ...]) -> str:
    """The follow-up phase of ``until`` (a day-0 dose or earlier counts as the first phase)."""
    from neuroregen.protocols.timeline import phase_of

    phase = str(phase_of((until - day_zero).days, boundaries).value)
    return phase if phase in phases else phases[0]


def flow_records(
    *,
    user: Any,
    protocol: Any,
    analysed: dict[str, str],
    data_phases: dict[str, frozenset[str]] | None = None,
    cutoff: dt.date | None = None,
) -> list[FlowRecord]:
    """Each child the user may see, reduced to a :class:`FlowRecord` for ``protocol``.

    ``analysed`` maps a study code to "" when the child is analysed, else to the reason it is
    not (computed from the evidence frames by the caller). With ``protocol`` None every visible
    child is counted and arms are "protocol · arm".
    """
    from neuroregen.participants.choices import ParticipantStatus, WithdrawalScope
    from neuroregen.participants.models import Participant, Withdrawal
    from neuroregen.products.models import Administration
    from neuroregen.protocols.choices import AssignmentStatus
    from neuroregen.protocols.models import Assignment
    from neuroregen.protocols.timeline import local_date, today_at

    data_phases = data_phases or {}
    people = Participant.objects.for_user(user).select_related("site")
    assignments = Assignment.objects.for_user(user).select_related("arm", "protocol")
    if protocol is not None:
        assignments = assignments.filter(protocol=protocol)
        people = people.filter(assignments__protocol=protocol).distinct()
    # per child: the assignment in force, else the most recent one (ordering: newest first)
    chosen: dict[int, Any] = {}
    for a in assignments.order_by("participant_id", "-evaluated_on", "-pk"):
        current = chosen.get(a.participant_id)
        if current is None or (a.in_force and not current.in_force):
            chosen[a.participant_id] = a
    treated = set(
        Administration.objects.for_user(user)
        .filter(participant_id__in=[a.participant_id for a in chosen.values()])
        .values_list("participant_id", flat=True)
    )
    first_dose: dict[int, dt.date] = {}
    for row in (
        Administration.objects.for_user(user)
        .filter(participant_id__in=treated)
        .values("participant_id", "started_at", "site__time_zone")
    ):
        day = local_date(row["started_at"], row["site__time_zone"])
        pid = row["participant_id"]
        first_dose[pid] = min(first_dose.get(pid, day), day)
    withdrawals: dict[int, Any] = {}
    for w in Withdrawal.objects.for_user(user).order_by("effective_on", "pk"):
        withdrawals.setdefault(w.participant_id, w)
    out = []
    for p in people.order_by("study_code"):
        a = chosen.get(p.pk)
        w = withdrawals.get(p.pk)
        w_reason = f"{w.get_scope_display()}" + (f" — {w.reason}" if w.reason else "") if w else ""
        # the assignment that allocated this child to an arm, if one did
        allocated = (
            a
            if a is not None
            and a.arm_id is not None
            and (a.in_force or a.status == AssignmentStatus.ENDED)
            else None
        )
        arm = ""
        if allocated is not None:
            arm = (
                allocated.arm.code
                if protocol is not None
                else f"{allocated.protocol} · {allocated.arm.code}"
            )
        if p.status == ParticipantStatus.SCREEN_FAILED:
            out.append(FlowRecord(p.study_code, EXCLUDED, exclusion_reason=p.screen_fail_reason))
            continue
        if (
            a is not None
            and allocated is None
            and (a.status == AssignmentStatus.DECLINED or not a.eligible)
        ):
            reason = (
                _("not eligible for this protocol")
                if not a.eligible
                else _("assignment not confirmed")
            )
            out.append(FlowRecord(p.study_code, EXCLUDED, exclusion_reason=reason))
            continue
        if p.enrolled_on is None and allocated is None:
            outcome = LEFT_BEFORE_ENROLMENT if w is not None else SCREENING
            out.append(FlowRecord(p.study_code, outcome, withdrawal_reason=w_reason))
            continue
        if allocated is None:
            reason = _("withdrew before allocation") if w else _("awaiting allocation")
            out.append(FlowRecord(p.study_code, ENROLLED, not_received_reason=reason))
            continue
        day_zero = first_dose.get(p.pk) or allocated.day_zero
        received = day_zero is not None
        tz = p.site.time_zone
        cut = cutoff or today_at(tz)
        record: dict[str, Any] = {
            "study_code": p.study_code,
            "screen_outcome": ENROLLED,
            "arm": arm,
            "received": received,
            "has_data_in": data_phases.get(p.study_code, frozenset()),
        }
        analysed_reason = analysed.get(p.study_code)
        if not received:
            record["not_received_reason"] = (
                _("withdrew before the first administration")
                if w is not None
                else _("first administration not yet given")
            )
            record["not_analysed_reason"] = _("did not receive the product")
        else:
            stopped = w is not None and w.effective_on <= cut
            until = min(w.effective_on, cut) if w is not None else cut
            record["stop_phase"] = _stop(
                day_zero, until, allocated.protocol.boundaries(), FOLLOW_UP_PHASES
            )
            record["stop_kind"] = WITHDRAWN if stopped else ONGOING
            record["withdrawal_reason"] = w_reason if stopped else ""
            if w is not None and w.scope == WithdrawalScope.WITHDRAW_DATA:
                record["not_analysed_reason"] = _("data withdrawn at the family's request")
            elif analysed_reason is None:
                record["not_analysed_reason"] = _("not in the analysis frame")
            elif analysed_reason:
                record["not_analysed_reason"] = analysed_reason
            else:
                record["analysed"] = True
        out.append(FlowRecord(**record))
    return out


def unattributed(*, user: Any) -> list[tuple[str, int]]:
    """Children screened in the programme but not yet assessed for any protocol, by status
    (they belong to no protocol's flow until an assignment is evaluated)."""
    from django.db.models import Count

    from neuroregen.participants.models import Participant

    rows = (
        Participant.objects.for_user(user)
        .filter(assignments__isnull=True)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    return [(str(Participant(status=row["status"]).get_status_display()), row["n"]) for row in rows]
