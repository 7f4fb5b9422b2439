"""Programme evidence over the API: the result objects of the evidence page, as JSON.

Read-only and pseudonymous (aggregates of study codes, never identity). The numbers cover only
the sites the caller may see, exactly as on the evidence page, and every estimate travels with
its interval, confidence level, n, method, comparator and caveats.
"""

import json
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from neuroregen.core import access
from neuroregen.core.api_base.access import require_staff_view
from neuroregen.core.api_base.schemas import READ_ERRORS
from neuroregen.core.errors import NotFound, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import sites_with
from neuroregen.core.roles import Capability
from neuroregen.core.routers import replica_reads
from neuroregen.evidence import analysis, selectors
from neuroregen.evidence import cache as evidence_cache
from neuroregen.evidence.program_cache import cached_analysis

router = Router(tags=["evidence"])

# Non-finite bounds (e.g. an open-ended interval) are rendered as the strings "inf"/"-inf".
Number = float | str | None


class ProtocolOut(Schema):
    id: int
    code: str
    version: str
    name: str


class EstimateOut(Schema):
    quantity: str
    estimate: Number
    ci_low: Number
    ci_high: Number
    confidence: float
    n: int
    p_value: Number
    method: str
    comparator: str
    caveats: list[str]
    details: dict[str, Any]


class EvidenceOut(Schema):
    protocol: str
    arm: str
    arms: list[str]
    definition_key: str
    responder_definition: str
    synthetic: bool
    n_participants: int
    sites: list[str] = Field(description="The sites whose participants the numbers cover.")
    lloq_handling: str
    phase_summary_rules: dict[str, str] = Field(
        description="How one value per child is taken from the visits of each phase."
    )
    subgroup_outcome: dict[str, Any] = Field(
        description="Outcome, phase and number of children of the subgroup and lot/dose analyses."
    )
    estimates: list[EstimateOut]
    reliable_change: list[dict[str, Any]]
    subgroup_tests: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    claim_notes: list[str]
    role: str = Field(
        description="uncontrolled, treated, or control (the arm is the concurrent comparator)."
    )
    concurrent_control: dict[str, Any] | None = Field(
        description="Treated − control estimates (ANCOVA, responder RD/RR, arm × phase mixed "
        "model), each naming the control arm as comparator; null without a control arm."
    )
    notes: list[str]


class EvidenceQuery(Schema):
    arm: str = Field("", description="One arm's code; empty for all arms.")
    definition: str = Field(
        analysis.DEFAULT_RESPONDER,
        description="Responder definition: " + ", ".join(analysis.RESPONDER_CHOICES),
    )


def _protocol(user: Any, protocol_id: int) -> Any:
    for protocol in selectors.protocols_for(user=user):
        if protocol.pk == protocol_id:
            return protocol
    raise NotFound()


def _estimate(obj: Any, row: dict[str, Any]) -> dict[str, Any]:
    """One cleaned ``Estimate.as_row()``, its caveats kept as a list, its details grouped."""
    details = {k.removeprefix("detail_"): v for k, v in row.items() if k.startswith("detail_")}
    plain = {k: v for k, v in row.items() if not k.startswith("detail_")}
    return {**plain, "caveats": list(obj.caveats), "details": details}


@router.get("/protocols", response={200: list[ProtocolOut], **READ_ERRORS})
@access.staff()
def list_protocols(request: AuthenticatedHttpRequest) -> Any:
    """Protocols with at least one participant in force at the sites the caller may see."""
    require_staff_view(request.user)
    with replica_reads():
        return selectors.protocols_for(user=request.user)


@router.get("/protocols/{protocol_id}", response={200: EvidenceOut, **READ_ERRORS})
@access.staff()
def program_evidence(
    request: AuthenticatedHttpRequest, protocol_id: int, query: Query[EvidenceQuery]
) -> Any:
    """Every result object of the programme evidence page for one protocol (and arm)."""
    require_staff_view(request.user)
    if query.definition not in analysis.RESPONDER_CHOICES:
        raise ValidationFailed(_("Unknown responder definition."), field="definition")
    with replica_reads():
        protocol = _protocol(request.user, protocol_id)
        selected: list[Any] = []

        def frames() -> Any:
            # selected at most once, and only when something below is not cached
            if not selected:
                selected.append(selectors.evidence_frames(user=request.user, protocol=protocol))
            return selected[0]

        # the same cache entries as the evidence page: a result computed for one is the other's
        arms: list[str] = evidence_cache.cached(
            evidence_cache.scope_key(request.user, protocol.pk, "arms"),
            lambda: list(analysis.arms_of(frames())),
        )
        if query.arm and query.arm not in arms:
            raise ValidationFailed(_("This protocol has no such arm in your sites."), field="arm")
        ev = cached_analysis(request.user, protocol.pk, query.arm, query.definition, frames)
        sites = list(sites_with(request.user, Capability.VIEW).values_list("code", flat=True))
    # The page's own JSON rendering, made plain (numpy scalars, non-finite numbers).
    data = json.loads(json.dumps(ev.as_json(), default=str))
    estimates = [
        _estimate(obj, row) for obj, row in zip(ev.all_estimates(), data["estimates"], strict=True)
    ]
    return {
        **data,
        "protocol": str(protocol),
        "arms": arms,
        "definition_key": ev.definition_key,
        "sites": sorted(sites),
        "estimates": estimates,
    }
