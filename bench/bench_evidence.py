"""Benchmark: the program evidence page on a registry of 10 000 participants × 11 visits.

Times, on the configured database (``DATABASE_URL``, else the SQLite file under
``NEUROREGEN_VAR_DIR``):

* ``selectors``: ``evidence.selectors.evidence_frames`` (ORM → tidy frames) and its query count;
* ``analyses``: ``evidence.analysis.analyse_program`` on those frames (every estimate);
* ``page``: the whole page as served (GET of the program evidence view: selectors, analyses,
  chart specs, template), first view and a repeated view;
* ``export route``: what a statistician would do without the page — download the CSV export,
  read it with pandas and run the same core analyses by hand (per measure and phase: mean
  change with its t interval, Hedges' g_av, CGI-I responder rate; one statsmodels ``MixedLM``
  random-intercept model per measure).

The registry comes from ``bench/registry.py`` (``build_registry``) when that module exists;
otherwise the labelled synthetic demo cohort (``demo_setup``) is scaled up here by copying its
assigned participants with their visits, instrument responses, lab values and adverse events
in bulk (administrations are not copied: a container is used once).

Usage::

    NEUROREGEN_VAR_DIR=/tmp/bench python bench/bench_evidence.py [--participants 10000]
        [--visits 11] [--repeats 3] [--skip-statsmodels]

Timings are informational; no test asserts on them.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuroregen.settings")


def _setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, list[float]]:
    out, times = None, []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, times


def _say(label: str, times: list[float], extra: str = "") -> None:
    print(
        f"{label:<46} best {min(times):7.2f} s   median {statistics.median(times):7.2f} s"
        f"{'   ' + extra if extra else ''}",
        flush=True,
    )


# --- registry -----------------------------------------------------------------------------


def _registry(participants: int, visits: int, seed: int) -> None:
    from neuroregen.participants.models import Participant

    if Participant.objects.count() >= participants:
        print(f"registry: {Participant.objects.count()} participants already loaded", flush=True)
        return
    start = time.perf_counter()
    if (ROOT / "bench" / "registry.py").exists():
        from bench.registry import build_registry

        summary = build_registry(participants=participants, visits=visits, seed=seed)
        print(f"registry (bench/registry.py): {summary}", flush=True)
    else:
        _scale_demo(participants, seed)
    print(f"registry loaded in {time.perf_counter() - start:.0f} s", flush=True)


def _scale_demo(participants: int, seed: int) -> None:
    """Copy the demo cohort's analysable participants until ``participants`` are assigned."""
    from django.core.management import call_command
    from django.db import transaction

    from neuroregen.biomarkers.models import Measurement
    from neuroregen.instruments.models import Response
    from neuroregen.participants.choices import WithdrawalScope
    from neuroregen.participants.models import Participant, ParticipantComorbidity, Withdrawal
    from neuroregen.protocols.choices import AssignmentStatus
    from neuroregen.protocols.models import Assignment
    from neuroregen.safety.models import AdverseEvent
    from neuroregen.visits.models import Visit

    if not Participant.objects.exists():
        call_command("demo_setup", participants=40, seed=seed)
    withdrawn = Withdrawal.objects.filter(scope=WithdrawalScope.WITHDRAW_DATA).values(
        "participant_id"
    )
    seeds = list(
        Assignment.objects.filter(status__in=AssignmentStatus.in_force())
        .exclude(participant_id__in=withdrawn)
        .values_list("participant_id", flat=True)
        .distinct()
    )
    have = Assignment.objects.filter(status__in=AssignmentStatus.in_force()).count()
    copies = math.ceil(max(participants - have, 0) / len(seeds))

    def rows(model: Any, **filters: Any) -> list[dict[str, Any]]:
        return list(model.objects.filter(**filters).values())

    source = {
        "participant": rows(Participant, pk__in=seeds),
        "comorbidity": rows(ParticipantComorbidity, participant_id__in=seeds),
        "assignment": rows(
            Assignment, participant_id__in=seeds, status__in=AssignmentStatus.in_force()
        ),
        "visit": rows(Visit, participant_id__in=seeds),
        "response": rows(Response, participant_id__in=seeds),
        "measurement": rows(Measurement, participant_id__in=seeds),
        "ae": rows(AdverseEvent, participant_id__in=seeds),
    }
    made = 0
    for k in range(1, copies + 1):
        with transaction.atomic():
            need = participants - have - made
            if need <= 0:
                break
            people = source["participant"][:need]
            new_p = Participant.objects.bulk_create(
                [
                    Participant(**{**r, "id": None, "study_code": f"B{k:04d}-{r['id']:05d}"[:16]})
                    for r in people
                ]
            )
            p_map = {r["id"]: n.pk for r, n in zip(people, new_p, strict=True)}
            made += len(new_p)

            def mine(key: str, p_map: dict[int, int] = p_map) -> list[dict[str, Any]]:
                return [r for r in source[key] if r["participant_id"] in p_map]

            _clone(ParticipantComorbidity, mine("comorbidity"), {"participant_id": p_map})
            a_map = _clone(Assignment, mine("assignment"), {"participant_id": p_map})
            v_map = _clone(Visit, mine("visit"), {"participant_id": p_map, "assignment_id": a_map})
            _clone(Response, mine("response"), {"participant_id": p_map, "visit_id": v_map})
            _clone(Measurement, mine("measurement"), {"participant_id": p_map, "visit_id": v_map})
            _clone(
                AdverseEvent,
                mine("ae"),
                {"participant_id": p_map},
                code=lambda r, k=k: f"B{k:04d}-{r['id']}"[:20],
            )
        if k % 25 == 0:
            print(f"  … {have + made} participants", flush=True)
    print(
        f"registry: demo cohort copied {copies} times → {have + made} assigned participants "
        f"({Visit.objects.count()} visits, {Response.objects.count()} responses, "
        f"{Measurement.objects.count()} lab values)",
        flush=True,
    )


def _clone(
    model: Any,
    rows: list[dict[str, Any]],
    maps: dict[str, dict[int, int]],
    **change: Callable[[dict[str, Any]], Any],
) -> dict[int, int]:
    """Bulk-insert copies of ``rows`` with foreign keys remapped; return old → new ids."""
    objs = []
    for r in rows:
        new = {**r, "id": None}
        for col, mapping in maps.items():
            if new.get(col) is not None:
                new[col] = mapping[new[col]]
        for col, fn in change.items():
            new[col] = fn(r)
        objs.append(model(**new))
    created = model.objects.bulk_create(objs, batch_size=2000)
    return {r["id"]: o.pk for r, o in zip(rows, created, strict=True)}


# --- the export route ---------------------------------------------------------------------


def _export_route(csv_text: str, with_statsmodels: bool) -> dict[str, float]:
    """The CSV read back by pandas and the page's core analyses done by hand."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    timings: dict[str, float] = {}
    start = time.perf_counter()
    df = pd.read_csv(io.StringIO(csv_text))
    timings["read_csv"] = time.perf_counter() - start
    start = time.perf_counter()
    df = df[df["value"].notna()]
    last = df.sort_values("study_day").groupby(["measure", "phase", "study_code"]).tail(1)
    for (measure, phase), g in last.groupby(["measure", "phase"]):
        if phase not in ("early", "mid", "late", "long_term"):
            continue
        if measure == "cgi_i.cgi_i":
            k, n = int((g["value"] <= 2).sum()), len(g)
            stats.binomtest(k, n).proportion_ci(method="exact")
            continue
        d = (g["value"] - g["baseline_value"]).dropna().to_numpy()
        if d.size < 3:
            continue
        stats.t.interval(0.95, d.size - 1, d.mean(), d.std(ddof=1) / math.sqrt(d.size))
        sd_av = math.sqrt((g["value"].var() + g["baseline_value"].var()) / 2)
        _ = d.mean() / sd_av * (1 - 3 / (4 * (d.size - 1) - 1))
    timings["phase summaries"] = time.perf_counter() - start
    if with_statsmodels:
        import statsmodels.formula.api as smf

        start = time.perf_counter()
        model_rows = df[df["phase"].isin(["baseline", "early", "mid", "late", "long_term"])]
        for measure, g in model_rows.groupby("measure"):
            if measure == "cgi_i.cgi_i" or g["phase"].nunique() < 2:
                continue
            smf.mixedlm("value ~ C(phase, Treatment('baseline'))", g, groups=g["study_code"]).fit(
                reml=True, method=["lbfgs"]
            )
        timings["statsmodels MixedLM"] = time.perf_counter() - start
    del np
    return timings


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=11)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--skip-statsmodels",
        action="store_true",
        help="skip the MixedLM fits of the export route (minutes at 10 000)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one page computation"
    )
    args = parser.parse_args()
    _setup()

    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    from neuroregen.core.models import User
    from neuroregen.core.roles import Role
    from neuroregen.core.services import membership_grant
    from neuroregen.evidence import analysis, selectors

    _registry(args.participants, args.visits, args.seed)
    user = User.objects.filter(username="bench-statistician").first()
    if user is None:
        user = User.objects.create_user("bench-statistician", password=secrets.token_urlsafe())
        membership_grant(user=user, role=Role.STATISTICIAN, site=None)
    user = User.objects.get(pk=user.pk)
    protocol = max(selectors.protocols_for(user=user), key=lambda p: p.assignments.count())
    print(f"database: {connection.vendor}; protocol {protocol.code}", flush=True)

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        frames = selectors.evidence_frames(user=user, protocol=protocol)
    print(
        f"frames: {frames.participants.shape[0]} participants, {len(frames.outcomes)} outcome "
        f"rows, {len(frames.biomarkers)} lab rows; {len(queries.captured_queries)} queries",
        flush=True,
    )
    _, t = _timed(lambda: selectors.evidence_frames(user=user, protocol=protocol), args.repeats)
    _say("selectors (ORM → tidy frames)", t)
    _, t = _timed(lambda: analysis.analyse_program(frames), args.repeats)
    _say("analyses (every estimate on the page)", t)

    with override_settings(NEUROREGEN_REQUIRE_2FA=False, ALLOWED_HOSTS=["*"]):
        client = Client()
        client.force_login(user)
        url = reverse("evidence_program", args=[protocol.pk])
        export = reverse("evidence_export", args=[protocol.pk, "csv"])

        def get(path: str) -> Any:
            response = client.get(path)
            assert response.status_code == 200, response.status_code
            return response

        cache.clear()
        first_page, t = _timed(lambda: get(url), 1)
        _say(
            "page, first view (selectors + analyses + render)",
            t,
            f"{len(first_page.content) / 1e6:.1f} MB",
        )
        _, t = _timed(lambda: get(url), args.repeats)
        _say("page, repeated view (cached analyses; render)", t)
        with override_settings(NEUROREGEN_EVIDENCE_CACHE_SECONDS=0):
            _, t = _timed(lambda: get(url), args.repeats)
        _say("page, cache off (every view computes)", t)
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            get(url + "?definition=cgi_i_3")
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        csv_response, t = _timed(lambda: get(export), 1)
        _say("export route: CSV download", t, f"{len(csv_response.content) / 1e6:.1f} MB")
    timings = _export_route(csv_response.content.decode(), not args.skip_statsmodels)
    for name, seconds in timings.items():
        _say(f"export route: {name}", [seconds])
    total = t[0] + sum(timings.values())
    _say("export route: total", [total])


if __name__ == "__main__":
    main()
