"""Does a paper's participant flow add up, and does it match the registry?

A trial report gives, per arm, how many children were randomised (allocated), received the
allocated intervention, completed follow-up and were analysed (CONSORT 2010 item 13a), and
often a total over arms and the numbers assessed and excluded before randomisation.
:func:`reconcile_flow` checks that these numbers are internally possible, derives the losses
the paper implies per arm, and — given the registry's own counts — matches each reported arm
with the registry arm or arms it stands for ("treated" may combine two registry arms).

Checks (each a :class:`FlowIssue` with a stable code and its numbers)
--------------------------------------------------------------------
* ``negative`` — a count below zero;
* ``stage_exceeds`` — a later stage larger than an earlier one (received > randomised,
  completed > received or randomised); analysed > randomised is ``analysed_exceeds``;
* ``analysed_exceeds_completed`` — more analysed than completed: a note, not an error
  (intention-to-treat with imputation), unless the paper says it analysed completers;
* ``total_mismatch`` — a reported total over arms ≠ the sum of the arms;
* ``enrolment_mismatch`` — assessed − excluded ≠ randomised;
* ``losses_mismatch`` — randomised − completed ≠ the withdrawals the paper reports;
* ``registry_mismatch`` — a reported count ≠ the registry's count for the same arm(s);
* ``registry_arm_unreported`` / ``registry_arm_unknown`` — arms on one side only.

Missing-data policy: a count not reported (None) is not checked and not derived from.

References
----------
Moher D, Hopewell S, Schulz KF, et al. CONSORT 2010 Explanation and Elaboration: updated
guidelines for reporting parallel group randomised trials. BMJ 2010;340:c869 (items 13a, 13b,
figure 1 flow diagram).

Examples
--------
>>> flow = reconcile_flow([ReportedArm("A", randomised=8, received=8, completed=7, analysed=7)])
>>> flow.arms[0].withdrawn_after_randomisation
1
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "STAGES",
    "ArmReconciliation",
    "FlowIssue",
    "FlowReconciliation",
    "FlowTotals",
    "ReportedArm",
    "Severity",
    "reconcile_flow",
]

#: The per-arm stages of a CONSORT flow, in order.
STAGES: tuple[str, ...] = ("randomised", "received", "completed", "analysed")

METHOD = (
    "arithmetic reconciliation of a CONSORT 2010 participant flow: stage order, totals over "
    "arms, enrolment, reported losses, and match with registry counts per arm"
)
CAVEAT_ARITHMETIC_ONLY = (
    "the check tests arithmetic only: a flow that adds up can still misreport who was analysed"
)


class Severity(enum.Enum):
    ERROR = "error"  # the numbers cannot all be true
    NOTE = "note"  # possible, but must be explained in the paper


@dataclass(frozen=True)
class ReportedArm:
    """One arm's counts as a paper (or the registry) gives them; None when not given.

    ``registry_arms`` names the registry arm(s) this reported arm stands for; empty means the
    registry arm of the same name. ``withdrawn`` is the paper's own count of losses and
    discontinuations after randomisation, when it gives one.
    """

    name: str
    randomised: int | None = None
    received: int | None = None
    completed: int | None = None
    analysed: int | None = None
    withdrawn: int | None = None
    registry_arms: tuple[str, ...] = ()

    def stage(self, stage: str) -> int | None:
        value: int | None = getattr(self, stage)
        return value


@dataclass(frozen=True)
class FlowTotals:
    """Counts over the whole trial: before randomisation and totals over arms."""

    assessed: int | None = None
    excluded: int | None = None
    randomised: int | None = None
    analysed: int | None = None


@dataclass(frozen=True)
class FlowIssue:
    """One inconsistency: a stable ``code``, the arm (or "" for the whole trial), its numbers."""

    code: str
    severity: Severity
    arm: str
    params: Mapping[str, Any]
    text: str


@dataclass(frozen=True)
class ArmReconciliation:
    """One reported arm: its counts, what they imply, and the registry's counts beside them.

    ``registry`` maps each stage to the registry count (summed over combined arms), or None.
    """

    arm: ReportedArm
    registry: Mapping[str, int | None]
    registry_arms: tuple[str, ...]

    @property
    def not_received(self) -> int | None:
        """Randomised but not given the allocated intervention."""
        return _minus(self.arm.randomised, self.arm.received)

    @property
    def withdrawn_after_randomisation(self) -> int | None:
        """Randomised but did not complete follow-up (withdrawn, lost, discontinued)."""
        return _minus(self.arm.randomised, self.arm.completed)

    @property
    def withdrawn_after_treatment(self) -> int | None:
        """Received the intervention but did not complete follow-up."""
        return _minus(self.arm.received, self.arm.completed)

    @property
    def not_analysed(self) -> int | None:
        """Randomised but left out of the analysis (0 in a full intention-to-treat analysis)."""
        return _minus(self.arm.randomised, self.arm.analysed)

    def difference(self, stage: str) -> int | None:
        """Reported minus registry at *stage* (None when either is missing)."""
        return _minus(self.arm.stage(stage), self.registry.get(stage))


@dataclass(frozen=True)
class FlowReconciliation:
    """The whole flow checked: per-arm rows, totals, and every issue found."""

    arms: tuple[ArmReconciliation, ...]
    totals: FlowTotals
    issues: tuple[FlowIssue, ...]
    unreported_registry_arms: tuple[str, ...]
    method: str = METHOD
    caveats: tuple[str, ...] = field(default=(CAVEAT_ARITHMETIC_ONLY,))

    @property
    def errors(self) -> tuple[FlowIssue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def consistent(self) -> bool:
        """True when no issue is an error (notes may remain)."""
        return not self.errors

    def sum_over_arms(self, stage: str) -> int | None:
        """The sum of the reported arms at *stage*, None if any arm leaves it out."""
        values = [a.arm.stage(stage) for a in self.arms]
        if not values or any(v is None for v in values):
            return None
        return sum(v for v in values if v is not None)


def _minus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def _issue(code: str, severity: Severity, arm: str, text: str, **params: Any) -> FlowIssue:
    return FlowIssue(code=code, severity=severity, arm=arm, params=params, text=text)


def _arm_issues(arm: ReportedArm, analysed_completers: bool) -> list[FlowIssue]:
    issues: list[FlowIssue] = []
    for stage in (*STAGES, "withdrawn"):
        value = getattr(arm, stage)
        if value is not None and value < 0:
            issues.append(
                _issue(
                    "negative",
                    Severity.ERROR,
                    arm.name,
                    f"{arm.name}: {stage} is negative ({value})",
                    stage=stage,
                    value=value,
                )
            )
    # each stage may not exceed the nearest earlier stage that is reported
    chain = [s for s in ("randomised", "received", "completed") if arm.stage(s) is not None]
    for earlier, later in itertools.pairwise(chain):
        e, lt = arm.stage(earlier), arm.stage(later)
        if e is not None and lt is not None and lt > e:
            issues.append(
                _issue(
                    "stage_exceeds",
                    Severity.ERROR,
                    arm.name,
                    f"{arm.name}: {later} ({lt}) exceeds {earlier} ({e})",
                    earlier=earlier,
                    later=later,
                    earlier_n=e,
                    later_n=lt,
                )
            )
    if arm.analysed is not None and arm.randomised is not None and arm.analysed > arm.randomised:
        issues.append(
            _issue(
                "analysed_exceeds",
                Severity.ERROR,
                arm.name,
                f"{arm.name}: analysed ({arm.analysed}) exceeds randomised ({arm.randomised})",
                analysed=arm.analysed,
                randomised=arm.randomised,
            )
        )
    elif arm.analysed is not None and arm.completed is not None and arm.analysed > arm.completed:
        issues.append(
            _issue(
                "analysed_exceeds_completed",
                Severity.ERROR if analysed_completers else Severity.NOTE,
                arm.name,
                f"{arm.name}: analysed ({arm.analysed}) exceeds completed ({arm.completed}); "
                "missing outcomes must have been imputed",
                analysed=arm.analysed,
                completed=arm.completed,
            )
        )
    lost = _minus(arm.randomised, arm.completed)
    if arm.withdrawn is not None and lost is not None and lost != arm.withdrawn:
        issues.append(
            _issue(
                "losses_mismatch",
                Severity.ERROR,
                arm.name,
                f"{arm.name}: randomised − completed = {lost}, but {arm.withdrawn} "
                "withdrawals are reported",
                derived=lost,
                reported=arm.withdrawn,
            )
        )
    return issues


def _total_issues(arms: Sequence[ReportedArm], totals: FlowTotals) -> list[FlowIssue]:
    issues: list[FlowIssue] = []
    for stage in ("randomised", "analysed"):
        total = getattr(totals, stage)
        values = [a.stage(stage) for a in arms]
        if total is None or not values or any(v is None for v in values):
            continue
        summed = sum(v for v in values if v is not None)
        if summed != total:
            issues.append(
                _issue(
                    "total_mismatch",
                    Severity.ERROR,
                    "",
                    f"{stage}: the arms add up to {summed}, the reported total is {total}",
                    stage=stage,
                    total=total,
                    summed=summed,
                )
            )
    randomised = totals.randomised
    if randomised is None and arms and all(a.randomised is not None for a in arms):
        randomised = sum(a.randomised or 0 for a in arms)
    if None not in (totals.assessed, totals.excluded, randomised):
        assessed, excluded = totals.assessed or 0, totals.excluded or 0
        if assessed - excluded != randomised:
            issues.append(
                _issue(
                    "enrolment_mismatch",
                    Severity.ERROR,
                    "",
                    f"assessed ({assessed}) − excluded ({excluded}) = {assessed - excluded}, "
                    f"but {randomised} were randomised",
                    assessed=assessed,
                    excluded=excluded,
                    expected=assessed - excluded,
                    randomised=randomised,
                )
            )
    return issues


def reconcile_flow(
    reported: Sequence[ReportedArm],
    totals: FlowTotals | None = None,
    registry: Sequence[ReportedArm] | None = None,
    *,
    analysed_completers: bool = False,
) -> FlowReconciliation:
    """Check a reported participant flow, derive losses per arm, and match it to the registry.

    Parameters
    ----------
    reported : sequence of ReportedArm
        The paper's arms with their counts (None where not reported).
    totals : FlowTotals, optional
        Counts over the trial (assessed, excluded, totals over arms).
    registry : sequence of ReportedArm, optional
        The registry's counts per arm; each reported arm is matched with the registry arms
        it names in ``registry_arms`` (or the arm of the same name), summed.
    analysed_completers : bool
        The paper says it analysed completers only: then analysed > completed is an error.

    Returns
    -------
    FlowReconciliation
    """
    if not reported:
        raise ValueError("no reported arm to check")
    names = [a.name for a in reported]
    if len(set(names)) != len(names):
        raise ValueError("two reported arms have the same name")
    totals = totals or FlowTotals()
    by_name = {a.name.casefold(): a for a in (registry or ())}
    issues: list[FlowIssue] = []
    rows: list[ArmReconciliation] = []
    used: set[str] = set()
    for arm in reported:
        issues.extend(_arm_issues(arm, analysed_completers))
        wanted = arm.registry_arms or ((arm.name,) if registry is not None else ())
        found = [by_name[w.casefold()] for w in wanted if w.casefold() in by_name]
        for w in wanted:
            if w.casefold() not in by_name:
                issues.append(
                    _issue(
                        "registry_arm_unknown",
                        Severity.ERROR,
                        arm.name,
                        f"{arm.name}: the registry has no arm {w!r}",
                        registry_arm=w,
                    )
                )
        used.update(w.casefold() for w in wanted)
        counts: dict[str, int | None] = {}
        for stage in STAGES:
            values = [r.stage(stage) for r in found]
            counts[stage] = (
                sum(v for v in values if v is not None)
                if found and all(v is not None for v in values)
                else None
            )
        row = ArmReconciliation(arm, counts, tuple(r.name for r in found))
        for stage in STAGES:
            diff = row.difference(stage)
            if diff:
                issues.append(
                    _issue(
                        "registry_mismatch",
                        Severity.ERROR,
                        arm.name,
                        f"{arm.name}: {stage} reported {arm.stage(stage)}, "
                        f"registry {counts[stage]}",
                        stage=stage,
                        reported=arm.stage(stage),
                        registry=counts[stage],
                    )
                )
        rows.append(row)
    issues.extend(_total_issues(reported, totals))
    unreported = tuple(r.name for r in (registry or ()) if r.name.casefold() not in used)
    for name in unreported:
        issues.append(
            _issue(
                "registry_arm_unreported",
                Severity.NOTE,
                name,
                f"registry arm {name} does not appear in the paper",
                registry_arm=name,
            )
        )
    return FlowReconciliation(tuple(rows), totals, tuple(issues), unreported)
