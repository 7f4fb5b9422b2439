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

import contextlib
import gc
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import Case, F, FloatField, Func, QuerySet, TextField, When
from django.db.models.functions import Cast, Coalesce

from neuroregen.core.errors import NotFound
from neuroregen.core.models import User
from neuroregen.evidence import frames as fr
from neuroregen.evidence.reference_sd import ReferenceValue, reference_values
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.participants.choices import WithdrawalScope
from neuroregen.participants.models import Participant, ParticipantComorbidity, Withdrawal
from neuroregen.protocols import timeline
from neuroregen.protocols.choices import AssignmentStatus
from neuroregen.protocols.models import Arm, Assignment, Protocol
from neuroregen.stats.text import text

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


def control_arm_codes(protocol_pk: int) -> tuple[str, ...]:
    """Codes of the protocol's concurrent control arms (placebo, vehicle, sham, waitlist …),
    which the evidence page uses as comparator instead of published benchmarks."""
    return tuple(
        Arm.objects.filter(protocol_id=protocol_pk, is_control=True)
        .order_by("code")
        .values_list("code", flat=True)
    )


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


def _fetch(values: QuerySet, columns: list[str]) -> list[tuple[Any, ...]]:
    """The rows of a ``.values(...)`` query whose columns are ``columns``, read through the
    cursor: Django's per-row conversion (aware datetimes, JSON decoding, one Python call per
    value) took most of the selectors' time at ten thousand participants, and the frames
    convert whole columns anyway (``pd.to_datetime``, ``pd.to_numeric``). JSON columns
    therefore arrive as text; the large queries also read dates as text (``_text``)."""
    sql, params = values.query.sql_with_params()
    with connections[values.db].cursor() as cursor, _no_cycle_collection():
        cursor.execute(sql, params)
        if [d[0] for d in cursor.description] != columns:  # pragma: no cover - a programming error
            raise RuntimeError("selected columns do not match the frame's columns")
        return cursor.fetchall()


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while rows are read: they are tuples of text and numbers
    (no cycles to find), and collecting while a million of them are made took some 70 ms of a
    page at ten thousand participants. Reference counting still frees memory; the collector is
    switched back on (if it was on) however the block ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _rows(values: QuerySet, columns: list[str]) -> pd.DataFrame:
    """The rows of a ``.values(*columns)`` query as a frame, in that one query (``_fetch``)."""
    return pd.DataFrame.from_records(_fetch(values, columns), columns=columns, coerce_float=False)


class _JsonText(Func):
    """The JSON text at ``path`` inside a JSON column (PostgreSQL ``#>``, SQLite ``->``), NULL
    where the path is absent and ``null`` where the value is.

    Text, not the database's own number: SQLite's ``->>`` would parse decimals with its own
    rounding, while ``json.loads`` of the text gives the float Python always gave.
    """

    output_field = TextField()

    def __init__(self, column: str, *path: str) -> None:
        super().__init__(F(column))
        self.path = path

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        raise NotImplementedError(f"no JSON path for {connection.vendor} (SQLite, PostgreSQL)")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} #> %s)::text", [*params, list(self.path)]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} -> %s)", [*params, "$" + "".join(f'."{p}"' for p in self.path)]


def _text(field: str) -> Cast:
    """A date or moment as ISO text, so neither engine's driver builds a Python object per
    value (the frames parse whole columns); a moment's text on PostgreSQL carries its offset,
    SQLite stores UTC."""
    return Cast(field, TextField())


def _score_rows(
    responses: QuerySet,
    scores: pd.DataFrame,
    code_of: dict[Any, str],
    zero_of: dict[Any, Any],
) -> pd.DataFrame:
    """One row per response × defined score: the response's participant_id, study_code,
    study_day, visit__code, visit__phase, respondent and instrument; ``defined``, which score
    (numbered as in ``_defined_scores``); and ``value``, the JSON text of the score's value.

    Only the defined scores' values are read, by the database: the scores JSON of a response
    also holds each score's status and item counts, and decoding it whole in Python took
    longer than all the rest of the outcomes. Score ``k`` of every instrument is one column
    (``CASE`` on the instrument), so a response is one row however many instruments exist.
    Responses come in ``Response.Meta.ordering`` (child, visit date, visit, instrument), a
    response's scores in the instrument's order.
    """
    codes, instrument_code, width = _score_codes(scores)
    slots = {
        f"score_{k}": Case(
            *(
                When(instrument_id=instrument, then=_JsonText("scores", names[k], "value"))
                for instrument, names in codes.items()
                if k < len(names)
            ),
            default=None,
            output_field=TextField(),
        )
        for k in range(width)
    }
    columns = [
        "participant_id",
        "instrument_id",
        "visit__code",
        "visit__phase",
        "respondent",
        "target_date",
        "on",
        *slots,
    ]
    data = _fetch(
        responses.order_by().values(
            "participant_id",
            "instrument_id",
            "visit__code",
            "visit__phase",
            "respondent",
            target_date=_text("visit__target_date"),
            on=Coalesce(_text("answered_on"), _text("visit__done_on")),
            **slots,
        ),
        columns,
    )
    # one array of the rows: the score texts are only looked at, never made a frame column
    cells = np.array(data, dtype=object).reshape(len(data), len(columns))
    wide = pd.DataFrame(
        {
            "participant_id": cells[:, 0].astype(np.int64),
            "instrument_id": cells[:, 1].astype(np.int64),
            **{name: cells[:, k] for k, name in enumerate(columns[2:5], start=2)},
        }
    )
    wide["instrument"] = wide["instrument_id"].map(instrument_code)
    wide["study_code"] = wide["participant_id"].map(code_of)
    target_date, on, texts = cells[:, 5], cells[:, 6], cells[:, 7:]
    order = _order(
        [wide["study_code"], target_date, wide["visit__code"], wide["instrument"]], len(data)
    )
    wide = wide.take(order).reset_index(drop=True)
    wide["study_day"] = _days(pd.Series(on[order]), wide["participant_id"].map(zero_of))
    texts = texts[order]
    # row-major: a response's scores stay together and in slot order
    row, slot = np.nonzero(pd.notna(texts))
    instrument = pd.Index(codes.index).get_indexer(wide["instrument_id"])
    long = wide.take(row).reset_index(drop=True)
    # which defined score each row holds, as a number: instrument × slot
    long["defined"] = instrument[row] * width + slot
    long["value"] = texts[row, slot]
    return long


def _score_codes(scores: pd.DataFrame) -> tuple[pd.Series, pd.Series, int]:
    """Per instrument id: its score codes in order, its code; and the most scores of one."""
    by_instrument = scores.groupby("instrument_id", sort=False)
    codes = by_instrument["code"].agg(list)
    return codes, by_instrument["instrument__code"].first(), max(map(len, codes), default=0)


def _defined_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Instrument and score code of each number ``_score_rows`` gives a defined score."""
    codes, instrument_code, width = _score_codes(scores)
    return pd.DataFrame(
        [
            (instrument_code[instrument], names[k] if k < len(names) else None)
            for instrument, names in codes.items()
            for k in range(width)
        ],
        columns=["instrument", "score"],
    )


def _json_values(texts: pd.Series) -> np.ndarray:
    """Floats of JSON texts (numbers, numeric strings; anything else NaN), decoded once per
    distinct text: there are a few hundred distinct score values among the rows."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    decoded = [json.loads(t) for t in uniques] + [None]  # code -1 (no value) → the last
    values = pd.to_numeric(pd.Series(decoded, dtype=object), errors="coerce")
    return values.to_numpy(dtype=float)[codes]


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
    """Site-local calendar dates (as midnight timestamps) of moments, per time zone
    (``timeline.local_date`` for whole columns)."""
    stamps = pd.to_datetime(moments, utc=True, errors="coerce", format="ISO8601")
    out = pd.Series(pd.NaT, index=stamps.index, dtype="datetime64[us]")
    for zone, idx in zones.groupby(zones).groups.items():
        local = stamps.loc[idx].dt.tz_convert(str(zone)).dt.tz_localize(None)
        out.loc[idx] = local.dt.normalize().astype("datetime64[us]")
    return out


def _order(keys: list[Any], n: int) -> np.ndarray:
    """Positions that sort ``n`` rows by ``keys`` (ascending, missing last, ties kept in
    place). Sorting here rather than in the query keeps the database from sorting every row
    (on disk, at registry scale) and orders text by code point on either engine."""
    ranks = []
    for key in keys:
        codes, uniques = pd.factorize(key, sort=True)
        ranks.append(np.where(codes < 0, len(uniques), codes))
    return np.lexsort(ranks[::-1]) if n else np.arange(0)


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


def _outcomes(
    long: pd.DataFrame, scores: pd.DataFrame, domain_of: dict[tuple[str, str], str]
) -> pd.DataFrame:
    """The outcome rows (before the participant context) from one row per response × score."""
    # the score's metadata worked out once per measure present (a handful), then spread over
    # the rows by position
    which, present = pd.factorize(long["defined"])
    meta = (
        _defined_scores(scores)
        .take(present)
        .reset_index(drop=True)
        .merge(
            scores,
            left_on=["instrument", "score"],
            right_on=["instrument__code", "code"],
            how="left",
        )
    )

    def spread(values: Any, dtype: Any = None) -> pd.Series:
        # inferred on the handful of values as it would be on every row, then repeated
        return pd.Series(np.asarray(values, dtype=dtype)).take(which).reset_index(drop=True)

    return pd.DataFrame(
        {
            "study_code": long["study_code"],
            "phase": long["visit__phase"],
            "study_day": long["study_day"],
            "visit_code": long["visit__code"],
            "instrument": long["instrument"],
            "measure": spread(meta["instrument"] + "." + meta["score"]),
            "measure_label": spread(meta["label"].fillna(meta["score"]), object),
            "domain": spread(
                [
                    domain_of.get((i, c), "")
                    for i, c in zip(meta["instrument"], meta["score"], strict=True)
                ],
                object,
            ),
            "value": _json_values(long["value"]),
            "direction": spread(
                meta["direction"].map(_DIRECTION).fillna("higher_is_worse"), object
            ),
            "reliability": spread(pd.to_numeric(meta["reliability"], errors="coerce"), float),
            "reliability_provisional": spread(
                meta["reliability_provisional"].fillna(True).astype(bool), bool
            ),
            "respondent": long["respondent"],
        }
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
