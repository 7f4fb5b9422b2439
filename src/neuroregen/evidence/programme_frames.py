"""The evidence frames of a programme: every table the analyses read, for the children the user
may see, as tidy data frames (:class:`~neuroregen.evidence.frames.EvidenceFrames`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db.models import FloatField
from django.db.models.functions import Cast

from neuroregen.core.models import User
from neuroregen.evidence import frames as fr
from neuroregen.evidence.frame_queries import (
    _assignments,
    _boundaries,
    _days,
    _lab_phases,
    _local_dates,
    _order,
    _outcomes,
    _rows,
    _score_rows,
    _text,
)
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.participants.models import ParticipantComorbidity
from neuroregen.protocols.models import Protocol
from neuroregen.stats.text import text

__all__ = [
    "evidence_frames",
]


_COMORBIDITY_FLAG = {
    "epilepsy": "comorbid_epilepsy",
    "adhd": "comorbid_adhd",
    "id": "comorbid_id",
    "sleep": "comorbid_sleep",
    "gi": "comorbid_gi",
    "anxiety": "comorbid_anxiety",
}


#: What a child's assignment contributes to the frame (queried and named alike).
ASSIGNMENT_COLUMNS = (
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
)


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
    a = _rows(assignments.values(*ASSIGNMENT_COLUMNS), list(ASSIGNMENT_COLUMNS))
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
            "lot__code",
            "lot__product_type",
            "dose_per_kg",
            "dose_unit",
            "route",
            "is_first",
            "site__time_zone",
            started=_text("started_at"),
        ),
        [
            "participant_id",
            "lot__code",
            "lot__product_type",
            "dose_per_kg",
            "dose_unit",
            "route",
            "is_first",
            "site__time_zone",
            "started",
        ],
    )
    adm["started_at"] = pd.to_datetime(adm["started"], utc=True, errors="coerce", format="ISO8601")
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
            text(
                "{n} participant(s) have no recorded first administration: their study days "
                "count from the planned day 0",
                n=int(planned_only.sum()),
            )
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
            # floats on either engine (SQLite hands whole decimals back as integers)
            "therapy_hours": pd.to_numeric(
                a["participant__therapy_hours_per_week"], errors="coerce"
            ).astype(float),
        }
    )
    for flag in fr.COMORBIDITY_FLAGS:
        condition = next(k for k, v in _COMORBIDITY_FLAG.items() if v == flag)
        having = set(com.loc[com["condition"] == condition, "participant_id"])
        participants[flag] = pid.isin(having).to_numpy()
    participants["age_band"] = participants["age_months"].map(fr.age_band)
    participants["dose_band"] = fr.dose_bands(participants["dose"], participants["product_type"])
    # as the report's flow counts "received": an administration row or a recorded day 0
    participants["received"] = (
        pid.isin(set(adm["participant_id"])) | a["day_zero"].notna()
    ).to_numpy()
    participants = participants[[c.name for c in fr.PARTICIPANT_COLUMNS]]
    code_of = dict(zip(pid, a["participant__study_code"], strict=True))
    zero_of = dict(zip(pid, day_zero, strict=True))
    bounds_of = dict(zip(pid, a["bounds"], strict=True))
    zone_of = dict(zip(pid, a["participant__site__time_zone"], strict=True))

    def position_of(participant_ids: pd.Series) -> np.ndarray:
        # each row's participant as a row of ``participants`` (−1 when not in the analysis)
        return pd.Index(pid).get_indexer(participant_ids)

    if participants["lot"].isna().all():
        notes.append(
            text(
                "no administrations recorded yet: lot is empty; product, dose and route "
                "are the arm's planned values"
            )
        )

    # outcomes (three queries: responses, score metadata, domain mappings)
    scores = _rows(
        Score.objects.values(
            "instrument_id",
            "instrument__code",
            "code",
            "label",
            "direction",
            "reliability",
            "reliability_provisional",
        ),
        [
            "instrument_id",
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
    long = _score_rows(
        Response.objects.for_user(user).filter(
            participant_id__in=pid_subquery, status__in=ResponseStatus.finished()
        ),
        scores,
        code_of,
        zero_of,
    )
    # the baseline is found on the outcome columns alone, before the context widens the rows
    outcomes = fr.with_context(
        fr.attach_baseline(_outcomes(long, scores, domain_of)),
        participants,
        positions=position_of(long["participant_id"]),
    )

    # biomarkers (one query), in Measurement's order: child, time of collection, analyte
    meas = _rows(
        Measurement.objects.for_user(user)
        .filter(participant_id__in=pid_subquery)
        .order_by()
        .values(
            "participant_id",
            "visit__code",
            "visit__phase",
            "analyte",
            "unit",
            "limit_flag",
            value_float=Cast("value", FloatField()),
            collected=_text("collected_at"),
            lloq_float=Cast("lloq", FloatField()),
        ),
        [
            "participant_id",
            "visit__code",
            "visit__phase",
            "analyte",
            "unit",
            "limit_flag",
            "value_float",
            "collected",
            "lloq_float",
        ],
    )
    collected = pd.to_datetime(meas["collected"], utc=True, errors="coerce", format="ISO8601")
    by_time = _order([meas["participant_id"].map(code_of), collected, meas["analyte"]], len(meas))
    meas = meas.take(by_time).reset_index(drop=True)
    collected = collected.take(by_time).reset_index(drop=True)
    bio_days = _days(
        _local_dates(collected, meas["participant_id"].map(zone_of)),
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
            "value": pd.to_numeric(meas["value_float"], errors="coerce").where(~below),
            "unit": meas["unit"],
            "below_lloq": below,
            "lloq": pd.to_numeric(meas["lloq_float"], errors="coerce"),
        }
    )
    biomarkers = fr.with_context(
        biomarkers, participants, positions=position_of(meas["participant_id"])
    )

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
    adverse_events = fr.with_context(
        adverse_events, participants, positions=position_of(ae["participant_id"])
    )

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
            "dose": pd.to_numeric(adm["dose_per_kg"], errors="coerce").astype(float),
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
