"""Evidence pages. Thin: select frames, call the analyses, build plot specs, render."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation

from neuroregen.core import access
from neuroregen.core.errors import NotFound, NotPermitted
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.routers import reads_from_replica
from neuroregen.core.scoping import site_grant
from neuroregen.evidence import analysis, framing, plots, selectors
from neuroregen.evidence import cache as evidence_cache
from neuroregen.evidence import child as child_analysis
from neuroregen.evidence.frames import EvidenceFrames
from neuroregen.evidence.program_cache import cached_analysis
from neuroregen.protocols.models import Protocol
from neuroregen.stats.benchmarks import PLACEBO_CGI_I_RESPONDERS


def _require_staff_view(user: object) -> None:
    """Program pages aggregate many children: family accounts are not shown them."""
    everywhere, site_ids = site_grant(user, Capability.VIEW)
    if not everywhere and not site_ids:
        raise NotPermitted()


def _protocol(user: object, pk: int) -> Protocol:
    for protocol in selectors.protocols_for(user=user):  # type: ignore[arg-type]
        if protocol.pk == pk:
            return protocol
    raise NotFound()


@login_required
@access.staff()
def evidence_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_staff_view(request.user)
    return render(
        request, "evidence/index.html", {"protocols": selectors.protocols_for(user=request.user)}
    )


class _Program:
    """The page's choices and, computed at most once per data version, its results.

    Frames are selected only when something is not cached (or for the frame exports)."""

    def __init__(self, request: AuthenticatedHttpRequest, pk: int) -> None:
        _require_staff_view(request.user)
        self.user = request.user
        self.protocol = _protocol(request.user, pk)
        self._frames: EvidenceFrames | None = None
        self.key = request.GET.get("definition", analysis.DEFAULT_RESPONDER)
        if self.key not in analysis.RESPONDER_CHOICES:
            self.key = analysis.DEFAULT_RESPONDER
        self.arms: list[str] = evidence_cache.cached(
            evidence_cache.scope_key(self.user, self.protocol.pk, "arms"),
            lambda: list(analysis.arms_of(self.frames)),
        )
        self.arm = request.GET.get("arm", "")
        if self.arm not in self.arms:
            self.arm = ""

    @property
    def frames(self) -> EvidenceFrames:
        if self._frames is None:
            self._frames = selectors.evidence_frames(user=self.user, protocol=self.protocol)
        return self._frames

    def results(self) -> analysis.ProgramEvidence:
        """The analyses, cached per data version and shared with the API."""
        return cached_analysis(self.user, self.protocol.pk, self.arm, self.key, lambda: self.frames)

    def evidence(self) -> tuple[analysis.ProgramEvidence, list[dict[str, object]]]:
        """The analyses and their chart specs, each cached once per data version."""
        ev = self.results()
        # the charts draw words (titles, phases), so each language has its own
        language = translation.get_language() or ""
        charts = evidence_cache.cached(
            evidence_cache.scope_key(
                self.user, self.protocol.pk, "charts", self.arm, self.key, language
            ),
            lambda: _charts(ev),
        )
        return ev, charts


def _charts(ev: analysis.ProgramEvidence) -> list[dict[str, object]]:
    charts: list[dict[str, object]] = []

    def add(kind: str, title: str, spec: dict[str, object] | None) -> None:
        if spec is not None:
            charts.append(
                {"id": f"chart-{len(charts)}", "kind": kind, "title": title, "spec": spec}
            )

    for t in ev.trajectories:
        add("trajectory", t.measure_label, plots.trajectory_chart(t, ev.synthetic))
    if ev.durability is not None:
        add("durability", "durability", plots.durability_chart(ev.durability, ev.synthetic))
    for s in ev.subgroups:
        add("forest", s.variable, plots.forest_chart(s, ev.synthetic))
    return charts


@login_required
@reads_from_replica
@access.staff()
def program_evidence(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = _Program(request, pk)
    ev, charts = program.evidence()
    return render(
        request,
        "evidence/program.html",
        {
            "protocol": program.protocol,
            "ev": ev,
            "charts": charts,
            "arms": program.arms,
            "arm": program.arm,
            "definition": program.key,
            "choices": analysis.RESPONDER_CHOICES.values(),
            "measures_with_rows": sorted({r.measure_label for r in ev.rows}),
            "sections": framing.measure_sections(ev),
            "subgroup_min": analysis.SUBGROUP_MIN_CHILDREN,
            "placebo_responders": PLACEBO_CGI_I_RESPONDERS
            if any(r.responder_vs_benchmark is not None for r in ev.rows)
            else None,
        },
    )


def _parquet(frame: pd.DataFrame) -> bytes:
    # Parquet keeps the column types (floats stay floats, booleans stay booleans) that CSV loses.
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False)
    return buffer.getvalue()


_FRAME_FORMATS: dict[str, tuple[str, Callable[[pd.DataFrame], str | bytes]]] = {
    "csv": ("text/csv", lambda frame: frame.to_csv(index=False)),
    "parquet": ("application/vnd.apache.parquet", _parquet),
}


@login_required
@reads_from_replica
@access.staff(Capability.EXPORT_PSEUDONYMOUS)
def program_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The analysis frame (CSV or Parquet) or every result object (JSON), pseudonymous."""
    require(request.user, Capability.EXPORT_PSEUDONYMOUS)
    if fmt not in ("csv", "json", "parquet"):
        raise NotFound()
    program = _Program(request, pk)
    if fmt in _FRAME_FORMATS:
        outcomes = program.frames.outcomes
        if program.arm:
            outcomes = outcomes[outcomes["arm"] == program.arm]
        content_type, write = _FRAME_FORMATS[fmt]
        response = HttpResponse(write(outcomes.reset_index(drop=True)), content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="evidence-{program.protocol.code}-outcomes.{fmt}"'
        )
        return response
    ev = program.results()
    return JsonResponse(
        json.loads(json.dumps(ev.as_json(), default=str)), json_dumps_params={"ensure_ascii": False}
    )


@login_required
@access.staff()
def child_progress(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    # one reference SD per protocol and measure, whoever looks: kept until the data change
    frames, sds, protocol = evidence_cache.cached(
        evidence_cache.scope_key(request.user, "child", study_code),
        lambda: selectors.child_frames(user=request.user, study_code=study_code),
    )
    child = child_analysis.analyse_child(frames, study_code, sds)
    last_day = max(
        [float(m.series["study_day"].max()) for m in child.measures if not m.series.empty] or [0.0]
    )
    spec = plots.child_timeline_chart(child, selectors.phase_spans(protocol, last_day))
    return render(
        request,
        "evidence/child.html",
        {
            "child": child,
            "protocol": protocol,
            "charts": [
                {"id": "chart-timeline", "kind": "timeline", "title": "timeline", "spec": spec}
            ],
        },
    )
