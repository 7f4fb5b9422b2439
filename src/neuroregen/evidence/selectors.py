"""ORM → tidy evidence frames, in a constant number of queries.

Every read starts from ``Model.objects.for_user(user)``; rows are fetched with ``.values()`` in
one query per source table (never a query per participant) and shaped with pandas. The
analysis population is: participants with an assignment in force (in the protocol asked for),
whose data were not withdrawn (``Withdrawal`` scope ``withdraw_data``). Frames carry the study
code only — never identity.

Study day and phase come from ``visits.timeline`` (day 0 = first administration): a visit's
own phase is used for outcomes; biomarkers and administrations use ``timeline.phase_of`` on the
study day with the protocol's boundaries.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import QuerySet

from neuroregen.core.errors import NotFound
from neuroregen.core.models import User
from neuroregen.evidence import frames as fr
from neuroregen.evidence.analysis import reference_sds
from neuroregen.participants.choices import WithdrawalScope
from neuroregen.participants.models import Participant, ParticipantComorbidity, Withdrawal
from neuroregen.protocols.choices import AssignmentStatus
from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.visits import timeline

__all__ = ["child_frames", "evidence_frames", "phase_spans", "protocols_for"]

_COMORBIDITY_FLAG = {
    "epilepsy": "comorbid_epilepsy",
    "adhd": "comorbid_adhd",
    "id": "comorbid_id",
    "sleep": "comorbid_sleep",
    "gi": "comorbid_gi",
    "anxiety": "comorbid_anxiety",
}
_DIRECTION = {"higher_worse": "higher_is_worse", "higher_better": "higher_is_better"}


def protocols_for(*, user: User) -> list[Protocol]:
    """Protocols with at least one assignment in force the user may see."""
    ids = (
        Assignment.objects.for_user(user)
        .filter(status__in=AssignmentStatus.in_force())
        .values("protocol_id")
    )
    return list(Protocol.objects.filter(pk__in=ids).order_by("code", "version"))


def _assignments(user: User, protocol: Protocol | None, study_code: str | None) -> QuerySet:
    withdrawn = Withdrawal.objects.filter(scope=WithdrawalScope.WITHDRAW_DATA).values(
        "participant_id"
    )
    qs = (
        Assignment.objects.for_user(user)
        .filter(status__in=AssignmentStatus.in_force())
        .exclude(participant_id__in=withdrawn)
    )
    if protocol is not None:
        qs = qs.filter(protocol=protocol)
    if study_code is not None:
        qs = qs.filter(participant__study_code=study_code)
    return qs


def _rows(values: QuerySet, columns: list[str]) -> pd.DataFrame:
    """The rows of a ``.values(*columns)`` query as a frame, in that one query.

    Read through the cursor: Django's per-row conversion (aware datetimes, JSON decoding, one
    Python call per value) took most of the selectors' time at ten thousand participants, and
    the frames convert whole columns anyway (``pd.to_datetime``, ``pd.to_numeric``). JSON
    columns therefore arrive as text and are decoded where they are used.
    """
    sql, params = values.query.sql_with_params()
    with connections[values.db].cursor() as cursor:
        cursor.execute(sql, params)
        if len(cursor.description) != len(columns):  # pragma: no cover - a programming error
            raise RuntimeError("selected columns do not match the frame's columns")
        data = cursor.fetchall()
    return pd.DataFrame.from_records(data, columns=columns, coerce_float=False)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _boundaries(row: pd.Series) -> timeline.PhaseBoundaries:
    return timeline.PhaseBoundaries(
        baseline_from=int(row["protocol__baseline_from_day"]),
        early_until=int(row["protocol__early_until_day"]),
        mid_until=int(row["protocol__mid_until_day"]),
        late_until=int(row["protocol__late_until_day"]),
    )


def _days(dates: pd.Series, day_zero: pd.Series) -> pd.Series:
    """Study day of each date (site-local dates), via the timeline's convention."""
    d = pd.to_datetime(dates, errors="coerce")
    z = pd.to_datetime(day_zero, errors="coerce")
    return (d - z).dt.days.astype(float)


def _local_dates(moments: pd.Series, zones: pd.Series) -> pd.Series:
    """Site-local calendar dates of aware datetimes (timeline.local_date, per time zone)."""
    out = pd.Series([None] * len(moments), index=moments.index, dtype=object)
    stamps = pd.to_datetime(moments, utc=True, errors="coerce")
    for zone, idx in zones.groupby(zones).groups.items():
        out.loc[idx] = stamps.loc[idx].dt.tz_convert(str(zone)).dt.date
    return out


def _phases(days: pd.Series, boundaries: pd.Series) -> pd.Series:
    """timeline.phase_of for each (day, protocol boundaries) — computed once per distinct pair."""
    cache: dict[tuple[int, Any], str] = {}
    out = []
    for day, bounds in zip(days, boundaries, strict=True):
        if day is None or (isinstance(day, float) and np.isnan(day)) or bounds is None:
            out.append("")
            continue
        key = (int(day), bounds)
        if key not in cache:
            cache[key] = str(timeline.phase_of(int(day), bounds))
        out.append(cache[key])
    return pd.Series(out, index=days.index, dtype=object)


def _lab_phases(
    visit_phase: pd.Series, days: pd.Series, participant: pd.Series, bounds_of: dict[Any, Any]
) -> pd.Series:
    """The visit's phase, else the phase of the study day (only those rows are computed)."""
    out = visit_phase.astype(object)
    loose = visit_phase.isna().to_numpy()
    if loose.any():
        out[loose] = _phases(days[loose], participant[loose].map(bounds_of)).to_numpy()
    return out


def evidence_frames(
    *, user: User, protocol: Protocol | None = None, study_code: str | None = None
) -> fr.EvidenceFrames:
    """The evidence frames of everything ``user`` may see (optionally one protocol / child)."""
    from neuroregen.biomarkers.models import Measurement
    from neuroregen.instruments.models import DomainMapping, Response, Score
    from neuroregen.products.models import Administration
    from neuroregen.safety.models import AdverseEvent

    notes: list[str] = []
    assignments = _assignments(user, protocol, study_code)
    a = _rows(
        assignments.values(
            "participant_id",
            "participant__study_code",
            "participant__site__code",
            "participant__site__is_synthetic",
            "participant__site__time_zone",
            "participant__age_months_at_screening",
            "participant__screened_on",
            "participant__dsm5_severity",
            "participant__genetic_finding",
            "participant__syndrome",
            "participant__therapy_hours_per_week",
            "protocol_id",
            "protocol__code",
            "protocol__version",
            "protocol__baseline_from_day",
            "protocol__early_until_day",
            "protocol__mid_until_day",
            "protocol__late_until_day",
            "arm__code",
            "arm__product_type",
            "arm__route",
            "day_zero",
            "planned_day_zero",
            "dose_per_kg",
            "dose_unit",
        ),
        [
            "participant_id",
            "participant__study_code",
            "participant__site__code",
            "participant__site__is_synthetic",
            "participant__site__time_zone",
            "participant__age_months_at_screening",
            "participant__screened_on",
            "participant__dsm5_severity",
            "participant__genetic_finding",
            "participant__syndrome",
            "participant__therapy_hours_per_week",
            "protocol_id",
            "protocol__code",
            "protocol__version",
            "protocol__baseline_from_day",
            "protocol__early_until_day",
            "protocol__mid_until_day",
            "protocol__late_until_day",
            "arm__code",
            "arm__product_type",
            "arm__route",
            "day_zero",
            "planned_day_zero",
            "dose_per_kg",
            "dose_unit",
        ],
    )
    # one assignment in force per participant and protocol; several protocols → first wins
    a = a.drop_duplicates("participant_id")
    if a.empty:
        empty = fr.EvidenceFrames(
            fr.empty_frame(fr.PARTICIPANT_COLUMNS),
            fr.empty_frame(fr.OUTCOME_COLUMNS),
            fr.empty_frame(fr.BIOMARKER_COLUMNS),
            fr.empty_frame(fr.AE_COLUMNS),
            fr.empty_frame(fr.ADMINISTRATION_COLUMNS),
            ["no participants in the analysis"],
        )
        return empty
    by_protocol = {p: _boundaries(rows.iloc[0]) for p, rows in a.groupby("protocol_id")}
    a["bounds"] = a["protocol_id"].map(by_protocol)
    pid_subquery = assignments.values("participant_id")

    # administrations (one query): lot, product, dose and route of the first one
    adm = _rows(
        Administration.objects.for_user(user)
        .filter(participant_id__in=pid_subquery)
        .values(
            "participant_id",
            "started_at",
            "lot__code",
            "lot__product_type",
            "dose_per_kg",
            "dose_unit",
            "route",
            "is_first",
            "site__time_zone",
        ),
        [
            "participant_id",
            "started_at",
            "lot__code",
            "lot__product_type",
            "dose_per_kg",
            "dose_unit",
            "route",
            "is_first",
            "site__time_zone",
        ],
    )
    adm = adm.sort_values(["participant_id", "started_at"])
    first = adm.drop_duplicates("participant_id").set_index("participant_id")

    # comorbidities (one query)
    com = _rows(
        ParticipantComorbidity.objects.for_user(user)
        .filter(participant_id__in=pid_subquery)
        .values("participant_id", "condition"),
        ["participant_id", "condition"],
    )

    pid = a["participant_id"]
    # Until the first administration is recorded, visits hang on the planned day 0 (as in
    # visits); the note says how many children's study days rest on it.
    planned_only = a["day_zero"].isna() & a["planned_day_zero"].notna()
    day_zero = a["day_zero"].where(~planned_only, a["planned_day_zero"])
    if planned_only.any():
        notes.append(
            f"{int(planned_only.sum())} participant(s) have no recorded first "
            "administration: their study days count from the planned day 0"
        )
    age = a["participant__age_months_at_screening"].astype(float)
    # age at first administration where day 0 is known (screening age + elapsed months)
    elapsed = _days(day_zero, a["participant__screened_on"]) / 30.4375
    age_at_treatment = (age + elapsed.where(elapsed >= 0)).fillna(age).round(1)
    participants = pd.DataFrame(
        {
            "study_code": a["participant__study_code"],
            "site": a["participant__site__code"],
            "synthetic": a["participant__site__is_synthetic"].astype(bool),
            "protocol": a["protocol__code"] + " v" + a["protocol__version"],
            "arm": a["arm__code"],
            "product_type": pid.map(first["lot__product_type"])
            .astype(object)
            .fillna(a["arm__product_type"]),
            "lot": pid.map(first["lot__code"]),
            "dose": pd.to_numeric(pid.map(first["dose_per_kg"]), errors="coerce").fillna(
                pd.to_numeric(a["dose_per_kg"], errors="coerce")
            ),
            "dose_unit": pid.map(first["dose_unit"]).astype(object).fillna(a["dose_unit"]),
            "route": pid.map(first["route"]).astype(object).fillna(a["arm__route"]),
            "age_months": age_at_treatment,
            "severity": a["participant__dsm5_severity"].astype(float),
            "genetic_finding": a["participant__genetic_finding"],
            "syndrome": a["participant__syndrome"].fillna(""),
            "therapy_hours": pd.to_numeric(
                a["participant__therapy_hours_per_week"], errors="coerce"
            ),
        }
    )
    for flag in fr.COMORBIDITY_FLAGS:
        condition = next(k for k, v in _COMORBIDITY_FLAG.items() if v == flag)
        having = set(com.loc[com["condition"] == condition, "participant_id"])
        participants[flag] = pid.isin(having).to_numpy()
    participants["age_band"] = participants["age_months"].map(fr.age_band)
    participants["dose_band"] = fr.dose_bands(participants["dose"], participants["product_type"])
    participants = participants[[c.name for c in fr.PARTICIPANT_COLUMNS]]
    code_of = dict(zip(pid, a["participant__study_code"], strict=True))
    zero_of = dict(zip(pid, day_zero, strict=True))
    bounds_of = dict(zip(pid, a["bounds"], strict=True))
    if participants["lot"].isna().all():
        notes.append(
            "no administrations recorded yet: lot is empty; product, dose and route "
            "are the arm's planned values"
        )

    # outcomes (three queries: responses, score metadata, domain mappings)
    scores = _rows(
        Score.objects.values(
            "instrument__code",
            "code",
            "label",
            "direction",
            "reliability",
            "reliability_provisional",
        ),
        [
            "instrument__code",
            "code",
            "label",
            "direction",
            "reliability",
            "reliability_provisional",
        ],
    )
    mappings = DomainMapping.objects.values(
        "protocol_id", "domain", "instrument_code", "score_code"
    )
    domain_of: dict[tuple[str, str], str] = {}
    protocol_ids = set(a["protocol_id"])
    for m in mappings:  # protocol-specific mappings override the defaults
        if m["protocol_id"] is None or m["protocol_id"] in protocol_ids:
            key = (m["instrument_code"], m["score_code"])
            if key not in domain_of or m["protocol_id"] is not None:
                domain_of[key] = m["domain"]
    responses = _rows(
        Response.objects.for_user(user)
        .filter(participant_id__in=pid_subquery, status="complete")
        .values(
            "participant_id",
            "visit__code",
            "visit__phase",
            "visit__done_on",
            "answered_on",
            "instrument__code",
            "respondent",
            "scores",
        ),
        [
            "participant_id",
            "visit__code",
            "visit__phase",
            "visit__done_on",
            "answered_on",
            "instrument__code",
            "respondent",
            "scores",
        ],
    )
    long_rows: list[tuple[Any, ...]] = []
    for row in responses.itertuples(index=False):
        for code, result in (_json(row.scores) or {}).items():
            value = result.get("value") if isinstance(result, dict) else result
            long_rows.append(
                (
                    row.participant_id,
                    row.visit__code,
                    row.visit__phase,
                    row.answered_on or row.visit__done_on,
                    row.instrument__code,
                    row.respondent,
                    code,
                    value,
                )
            )
    long = pd.DataFrame(
        long_rows,
        columns=[
            "participant_id",
            "visit_code",
            "phase",
            "on",
            "instrument",
            "respondent",
            "score",
            "value",
        ],
    )
    long = long.merge(
        scores, left_on=["instrument", "score"], right_on=["instrument__code", "code"], how="left"
    )
    outcomes = pd.DataFrame(
        {
            "study_code": long["participant_id"].map(code_of),
            "phase": long["phase"],
            "study_day": _days(long["on"], long["participant_id"].map(zero_of)),
            "visit_code": long["visit_code"],
            "instrument": long["instrument"],
            "measure": long["instrument"] + "." + long["score"],
            "measure_label": long["label"].fillna(long["score"]),
            "domain": (long["instrument"] + "\x1f" + long["score"])
            .map({f"{i}\x1f{c}": d for (i, c), d in domain_of.items()})
            .fillna(""),
            "value": pd.to_numeric(long["value"], errors="coerce"),
            "direction": long["direction"].map(_DIRECTION).fillna("higher_is_worse"),
            "reliability": pd.to_numeric(long["reliability"], errors="coerce"),
            "reliability_provisional": long["reliability_provisional"].fillna(True).astype(bool),
            "respondent": long["respondent"],
        }
    )
    outcomes = fr.attach_baseline(fr.with_context(outcomes, participants))

    # biomarkers (one query)
    meas = _rows(
        Measurement.objects.for_user(user)
        .filter(participant_id__in=pid_subquery)
        .values(
            "participant_id",
            "visit__code",
            "visit__phase",
            "analyte",
            "value",
            "unit",
            "collected_at",
            "lloq",
            "limit_flag",
            "participant__site__time_zone",
        ),
        [
            "participant_id",
            "visit__code",
            "visit__phase",
            "analyte",
            "value",
            "unit",
            "collected_at",
            "lloq",
            "limit_flag",
            "participant__site__time_zone",
        ],
    )
    bio_days = _days(
        _local_dates(meas["collected_at"], meas["participant__site__time_zone"]),
        meas["participant_id"].map(zero_of),
    )
    below = (meas["limit_flag"] == "below_lloq").astype(bool)
    biomarkers = pd.DataFrame(
        {
            "study_code": meas["participant_id"].map(code_of),
            "phase": _lab_phases(meas["visit__phase"], bio_days, meas["participant_id"], bounds_of),
            "study_day": bio_days,
            "visit_code": meas["visit__code"],
            "analyte": meas["analyte"],
            "value": pd.to_numeric(meas["value"], errors="coerce").where(~below),
            "unit": meas["unit"],
            "below_lloq": below,
            "lloq": pd.to_numeric(meas["lloq"], errors="coerce"),
        }
    )
    biomarkers = fr.with_context(biomarkers, participants)

    # adverse events (one query); their study day and phase were fixed when recorded
    ae = _rows(
        AdverseEvent.objects.for_user(user)
        .filter(participant_id__in=pid_subquery)
        .values(
            "participant_id",
            "code",
            "coded_term",
            "term",
            "grade",
            "is_serious",
            "relatedness_product",
            "study_day",
            "phase",
        ),
        [
            "participant_id",
            "code",
            "coded_term",
            "term",
            "grade",
            "is_serious",
            "relatedness_product",
            "study_day",
            "phase",
        ],
    )
    adverse_events = pd.DataFrame(
        {
            "study_code": ae["participant_id"].map(code_of),
            "ae_code": ae["code"],
            "term": ae["coded_term"].where(ae["coded_term"].fillna("") != "", ae["term"]),
            "grade": pd.to_numeric(ae["grade"], errors="coerce"),
            "serious": ae["is_serious"].astype(bool),
            "related": ae["relatedness_product"].isin(["possible", "probable", "definite"]),
            "study_day": pd.to_numeric(ae["study_day"], errors="coerce"),
            "phase": ae["phase"].fillna(""),
        }
    )
    adverse_events = fr.with_context(adverse_events, participants)

    adm_days = _days(
        _local_dates(adm["started_at"], adm["site__time_zone"]), adm["participant_id"].map(zero_of)
    )
    administrations = pd.DataFrame(
        {
            "study_code": adm["participant_id"].map(code_of),
            "site": adm["participant_id"].map(
                dict(zip(pid, a["participant__site__code"], strict=True))
            ),
            "study_day": adm_days,
            "lot": adm["lot__code"],
            "product_type": adm["lot__product_type"],
            "dose": pd.to_numeric(adm["dose_per_kg"], errors="coerce"),
            "route": adm["route"],
        }
    ).dropna(subset=["study_code"])

    def order(df: pd.DataFrame, cols: tuple[fr.Column, ...]) -> pd.DataFrame:
        if df.empty:
            return fr.empty_frame(cols)
        return df[[c.name for c in cols]].reset_index(drop=True)

    return fr.EvidenceFrames(
        participants=order(participants, fr.PARTICIPANT_COLUMNS),
        outcomes=order(outcomes, fr.OUTCOME_COLUMNS),
        biomarkers=order(biomarkers, fr.BIOMARKER_COLUMNS),
        adverse_events=order(adverse_events, fr.AE_COLUMNS),
        administrations=order(administrations, fr.ADMINISTRATION_COLUMNS),
        notes=notes,
    )


def child_frames(
    *, user: User, study_code: str
) -> tuple[fr.EvidenceFrames, dict[str, float], Protocol | None]:
    """The frames of one child the user may see, the reference SDs for reliable change (the
    baseline SDs of the children of the same protocol the user may see) and the protocol."""
    participant = Participant.objects.for_user(user).filter(study_code=study_code).first()
    if participant is None:
        raise NotFound()
    assignment = _assignments(user, None, study_code).select_related("protocol").first()
    if assignment is None:
        raise NotFound()
    program = evidence_frames(user=user, protocol=assignment.protocol)
    child = program.for_participant(study_code)
    return child, reference_sds(program.outcomes), assignment.protocol


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
