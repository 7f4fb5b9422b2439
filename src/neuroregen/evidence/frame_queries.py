"""The queries the evidence frames are built from: the rows of each table read in one pass
(without Python objects per row), scores and JSON values extracted in SQL, dates turned into
study days and phases.
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
from django.db.models import Case, F, Func, QuerySet, TextField, When
from django.db.models.functions import Cast, Coalesce

from neuroregen.core.models import User
from neuroregen.participants.choices import WithdrawalScope
from neuroregen.participants.models import Withdrawal
from neuroregen.protocols import timeline
from neuroregen.protocols.choices import AssignmentStatus
from neuroregen.protocols.models import Assignment, Protocol

# Nothing here is public: programme_frames and selectors build on these queries.


_DIRECTION = {"higher_worse": "higher_is_worse", "higher_better": "higher_is_better"}


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
