"""ORM → tidy evidence frames, in a constant number of queries.

Every read starts from ``Model.objects.for_user(user)``; rows are fetched with ``.values()`` in
one query per source table (never a query per participant) and shaped with pandas. The
analysis population is: participants with an assignment in force (in the protocol asked for),
whose data were not withdrawn (``Withdrawal`` scope ``withdraw_data``). Frames carry the study
code only — never identity.

Study day and phase come from ``protocols.timeline`` (day 0 = first administration): a visit's
own phase is used for outcomes; biomarkers and administrations use ``timeline.phase_of`` on the
study day with the protocol's boundaries.
"""

from __future__ import annotations

import pandas as pd

from neuroregen.core.errors import NotFound
from neuroregen.core.models import User
from neuroregen.evidence import frames as fr
from neuroregen.evidence.frame_queries import _assignments
from neuroregen.evidence.programme_frames import evidence_frames
from neuroregen.evidence.reference_sd import ReferenceValue, reference_values
from neuroregen.participants.models import Participant
from neuroregen.protocols import timeline
from neuroregen.protocols.choices import AssignmentStatus
from neuroregen.protocols.models import Arm, Assignment, Protocol

__all__ = [
    "child_frames",
    "control_arm_codes",
    "evidence_frames",
    "phase_spans",
    "protocols_for",
]


def protocols_for(*, user: User) -> list[Protocol]:
    """Protocols with at least one assignment in force the user may see."""
    ids = (
        Assignment.objects.for_user(user)
        .filter(status__in=AssignmentStatus.in_force())
        .values("protocol_id")
    )
    return list(Protocol.objects.filter(pk__in=ids).order_by("code", "version"))


def control_arm_codes(protocol_pk: int) -> tuple[str, ...]:
    """Codes of the protocol's concurrent control arms (placebo, vehicle, sham, waitlist …),
    which the evidence page uses as comparator instead of published benchmarks."""
    return tuple(
        Arm.objects.filter(protocol_id=protocol_pk, is_control=True)
        .order_by("code")
        .values_list("code", flat=True)
    )


def child_frames(
    *, user: User, study_code: str
) -> tuple[fr.EvidenceFrames, dict[str, ReferenceValue], Protocol | None]:
    """The frames of one child the user may see, the reference SD of each of the child's
    measures (one per protocol and measure, the same for every viewer: see
    ``evidence.reference_sd``) and the protocol."""
    participant = Participant.objects.for_user(user).filter(study_code=study_code).first()
    if participant is None:
        raise NotFound()
    assignment = _assignments(user, None, study_code).select_related("protocol").first()
    if assignment is None:
        raise NotFound()
    frames = evidence_frames(user=user, protocol=assignment.protocol, study_code=study_code)
    child = frames.for_participant(study_code)
    labels = dict(
        child.outcomes.drop_duplicates("measure")[["measure", "measure_label"]].itertuples(
            index=False
        )
    )
    return child, reference_values(assignment.protocol, labels), assignment.protocol


def phase_spans(protocol: Protocol | None, last_day: float = 400) -> pd.DataFrame:
    """Phase bands on the study-day axis from the protocol's boundaries."""
    if protocol is None:
        b = timeline.DEFAULT_BOUNDARIES
    else:
        b = timeline.PhaseBoundaries(
            protocol.baseline_from_day,
            protocol.early_until_day,
            protocol.mid_until_day,
            protocol.late_until_day,
        )
    end = max(float(b.late_until), float(last_day) + 10)
    return pd.DataFrame(
        [
            {"phase": "baseline", "start": float(b.baseline_from), "end": 0.0},
            {"phase": "early", "start": 0.0, "end": float(b.early_until)},
            {"phase": "mid", "start": float(b.early_until), "end": float(b.mid_until)},
            {"phase": "late", "start": float(b.mid_until), "end": float(b.late_until)},
            {"phase": "long_term", "start": float(b.late_until), "end": end},
        ]
    )
