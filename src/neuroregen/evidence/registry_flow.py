"""The registry's own participant flow per arm, to set beside the flow a paper reports.

Counts are of children the user may see (``for_user``), one query per stage:

* randomised / allocated — an assignment to the arm that is or was in force (ended included);
* received — at least one administration from the arm;
* completed — allocated and never withdrawn (so it includes children still in follow-up);
* analysed — in the evidence page's analysis set: assignment in force, data not withdrawn.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from neuroregen.participants.choices import WithdrawalScope
from neuroregen.participants.models import Withdrawal
from neuroregen.protocols.choices import AssignmentStatus
from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.stats.flow_checks import ReportedArm

_ALLOCATED = (*AssignmentStatus.in_force(), AssignmentStatus.ENDED)


def _per_arm(queryset: Any, arm_field: str) -> dict[int, int]:
    rows = queryset.values(arm_field).annotate(n=Count("participant", distinct=True))
    return {row[arm_field]: row["n"] for row in rows}


def registry_arm_counts(*, user: Any, protocol: Protocol) -> list[ReportedArm]:
    """One :class:`ReportedArm` per arm of *protocol*, named by its code."""
    from neuroregen.products.models import Administration

    allocated = Assignment.objects.for_user(user).filter(
        protocol=protocol, arm__isnull=False, status__in=_ALLOCATED
    )
    withdrawn_ids = Withdrawal.objects.values("participant_id")
    data_withdrawn = Withdrawal.objects.filter(scope=WithdrawalScope.WITHDRAW_DATA).values(
        "participant_id"
    )
    randomised = _per_arm(allocated, "arm_id")
    completed = _per_arm(allocated.exclude(participant_id__in=withdrawn_ids), "arm_id")
    analysed = _per_arm(
        allocated.filter(status__in=AssignmentStatus.in_force()).exclude(
            participant_id__in=data_withdrawn
        ),
        "arm_id",
    )
    received = _per_arm(
        Administration.objects.for_user(user).filter(arm__protocol=protocol), "arm_id"
    )
    return [
        ReportedArm(
            name=arm.code,
            randomised=randomised.get(arm.pk, 0),
            received=received.get(arm.pk, 0),
            completed=completed.get(arm.pk, 0),
            analysed=analysed.get(arm.pk, 0),
        )
        for arm in protocol.arms.order_by("code")
    ]
