"""The tidy-frame contract between the database and the analyses.

Selectors (``evidence/selectors.py``) turn the ORM into the frames described here; the
analyses (``evidence/analysis.py``) read nothing else. Keeping the contract in one module lets
either side change without the other noticing, and lets the analyses be tested on a seeded
synthetic frame with known effects (:func:`synthetic_frames`) without a database.

Frames (all pseudonymous: ``study_code`` is the only participant key; no name, birth date or
contact ever enters a frame):

``participants``
    One row per participant in the analysis population (enrolled, assigned, not withdrawn from
    analysis): site, arm, product, lot, dose and route of the first administration, age, severity,
    genetics, comorbidity flags, therapy hours.
``outcomes``
    One row per participant × visit × measure, with every ``participants`` column repeated so a
    row can be grouped by any of them.
``biomarkers``
    One row per participant × specimen × analyte, with the LLOQ and whether the value is below it.
``adverse_events``
    One row per adverse event, with the product context of the participant.
``administrations``
    One row per administration (for the per-child timeline).

Phases are the codes of :class:`neuroregen.protocols.visit_choices.Phase`; study day 0 is the first
administration (computed by ``protocols.timeline``, never here).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "ADMINISTRATION_COLUMNS",
    "AE_COLUMNS",
    "AGE_BANDS",
    "BIOMARKER_COLUMNS",
    "COMORBIDITY_FLAGS",
    "FOLLOW_UP_PHASES",
    "OUTCOME_COLUMNS",
    "PARTICIPANT_COLUMNS",
    "PHASES",
    "Column",
    "EvidenceFrames",
    "FrameSchemaError",
    "age_band",
    "dose_bands",
    "empty_frame",
    "synthetic_frames",
    "validate_frame",
]

Kind = Literal["str", "int", "float", "bool"]

#: Phase codes in study order (protocols.visit_choices.Phase); analyses use baseline … long_term.
PHASES: tuple[str, ...] = (
    "screening",
    "baseline",
    "administration",
    "early",
    "mid",
    "late",
    "long_term",
)
FOLLOW_UP_PHASES: tuple[str, ...] = ("early", "mid", "late", "long_term")
DIRECTIONS = ("higher_is_better", "higher_is_worse")

#: Age bands in months, [low, high). Developmental change differs across them (DOMAIN §4).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("2–4 y", 24, 60),
    ("5–7 y", 60, 96),
    ("8–12 y", 96, 156),
    ("13–18 y", 156, 217),
)
#: Comorbidity flag columns, one per participants.choices.Comorbidity code.
COMORBIDITY_FLAGS: tuple[str, ...] = (
    "comorbid_epilepsy",
    "comorbid_adhd",
    "comorbid_id",
    "comorbid_sleep",
    "comorbid_gi",
    "comorbid_anxiety",
)


@dataclass(frozen=True)
class Column:
    """One column of a frame: name, kind, whether it may be missing, and what it means."""

    name: str
    kind: Kind
    nullable: bool
    description: str


def _c(name: str, kind: Kind, description: str, nullable: bool = True) -> Column:
    return Column(name, kind, nullable, description)


_PARTICIPANT: tuple[Column, ...] = (
    _c("study_code", "str", "pseudonymous participant key", nullable=False),
    _c("site", "str", "site code", nullable=False),
    _c("synthetic", "bool", "the site holds labelled synthetic data", nullable=False),
    _c("protocol", "str", "protocol code and version"),
    _c("arm", "str", "arm code of the assignment in force"),
    _c("product_type", "str", "product type of the first administration (or the arm's)"),
    _c("lot", "str", "lot code of the first administration"),
    _c("dose", "float", "dose per kg of the first administration"),
    _c("dose_unit", "str", "unit of dose"),
    _c("dose_band", "str", "low / middle / high tertile of dose within product type"),
    _c("route", "str", "route code (iv, it, in)"),
    _c("age_months", "float", "age at first administration (else at screening), months"),
    _c("age_band", "str", "band of age_months (AGE_BANDS)"),
    _c("severity", "int", "DSM-5 severity level 1–3"),
    _c("genetic_finding", "str", "none / not_tested / syndromic / cnv"),
    _c("syndrome", "str", "named syndrome when syndromic, else empty"),
    *(
        _c(flag, "bool", f"comorbidity {flag.removeprefix('comorbid_')}")
        for flag in COMORBIDITY_FLAGS
    ),
    _c("therapy_hours", "float", "behavioural/educational therapy hours per week"),
)
_CONTEXT_NAMES = tuple(c.name for c in _PARTICIPANT)

PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    *_PARTICIPANT,
    # the safety tables' population (``reports.consort``); not repeated on every outcome row
    _c(
        "received",
        "bool",
        "at least one administration recorded (a row, or the first-administration date)",
        nullable=False,
    ),
)
OUTCOME_COLUMNS: tuple[Column, ...] = (
    *_PARTICIPANT,
    _c("phase", "str", "phase of the visit (PHASES)", nullable=False),
    _c("study_day", "float", "study day of the assessment (day 0 = first administration)"),
    _c("visit_code", "str", "visit code, e.g. BL, D7, M3"),
    _c("instrument", "str", "instrument code, e.g. atec", nullable=False),
    _c("measure", "str", "unique score key instrument.score, e.g. atec.atec_total", nullable=False),
    _c("measure_label", "str", "score label for people, e.g. 'ATEC total'", nullable=False),
    _c("domain", "str", "functional domain the score maps to (may be empty)"),
    _c("value", "float", "score value"),
    _c("direction", "str", "higher_is_better / higher_is_worse", nullable=False),
    _c("reliability", "float", "reliability r for reliable change (NaN when not set)"),
    _c("reliability_provisional", "bool", "r is not a published test–retest value", nullable=False),
    _c("baseline_value", "float", "the participant's baseline value of this measure"),
    _c("respondent", "str", "parent / clinician / teacher"),
)
BIOMARKER_COLUMNS: tuple[Column, ...] = (
    *_PARTICIPANT,
    _c("phase", "str", "phase of the specimen", nullable=False),
    _c("study_day", "float", "study day of collection"),
    _c("visit_code", "str", "visit code when collected at a visit"),
    _c("analyte", "str", "analyte code, e.g. IL6, TNFA", nullable=False),
    _c("value", "float", "value in the canonical unit (as reported; LLOQ handling is analysis)"),
    _c("unit", "str", "canonical unit"),
    _c("below_lloq", "bool", "reported below the lower limit of quantification", nullable=False),
    _c("lloq", "float", "lower limit of quantification, canonical unit"),
)
AE_COLUMNS: tuple[Column, ...] = (
    *_PARTICIPANT,
    _c("ae_code", "str", "adverse event code", nullable=False),
    _c("term", "str", "coded term (else reported term)"),
    _c("grade", "int", "CTCAE grade 1–5"),
    _c("serious", "bool", "meets a seriousness criterion", nullable=False),
    _c(
        "related", "bool", "possibly, probably or definitely related to the product", nullable=False
    ),
    _c("study_day", "float", "study day of onset"),
    _c("phase", "str", "phase at onset"),
)
ADMINISTRATION_COLUMNS: tuple[Column, ...] = (
    _c("study_code", "str", "pseudonymous participant key", nullable=False),
    _c("site", "str", "site code", nullable=False),
    _c("study_day", "float", "study day of the administration"),
    _c("lot", "str", "lot code"),
    _c("product_type", "str", "product type"),
    _c("dose", "float", "dose per kg"),
    _c("route", "str", "route code"),
)


class FrameSchemaError(ValueError):
    """A frame does not meet its contract; the message lists every problem found."""

    def __init__(self, frame_name: str, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{frame_name} frame: " + "; ".join(problems))


def empty_frame(columns: Sequence[Column]) -> pd.DataFrame:
    """A frame with the contract's columns and no rows (typed, so analyses accept it)."""
    dtypes = {"str": "object", "int": "float64", "float": "float64", "bool": "bool"}
    return pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.kind]) for c in columns})


def _kind_ok(series: pd.Series, kind: Kind) -> bool:
    data = series.dropna()
    if data.empty:
        return True
    if kind == "str":
        return bool(data.map(lambda v: isinstance(v, str)).all())
    if kind == "bool":
        return pd.api.types.is_bool_dtype(series) or bool(
            data.map(lambda v: isinstance(v, bool | np.bool_)).all()
        )
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def validate_frame(
    df: pd.DataFrame, columns: Sequence[Column], *, name: str = "outcomes"
) -> pd.DataFrame:
    """Check ``df`` against a column contract; return it unchanged or raise FrameSchemaError.

    Checks: every column present; each column of the declared kind; non-nullable columns
    complete; ``phase`` and ``direction`` drawn from their vocabularies; ``below_lloq`` rows
    carry an LLOQ. Extra columns are allowed (they are ignored by the analyses).
    """
    problems: list[str] = []
    missing = [c.name for c in columns if c.name not in df.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    for col in columns:
        if col.name not in df.columns:
            continue
        series = df[col.name]
        if not _kind_ok(series, col.kind):
            problems.append(f"column {col.name!r} is not of kind {col.kind}")
        if not col.nullable and series.isna().any():
            problems.append(f"column {col.name!r} has {int(series.isna().sum())} missing values")
    if "phase" in df.columns:
        bad = sorted(set(df["phase"].dropna()) - set(PHASES) - {""})
        if bad:
            problems.append(f"unknown phases {bad}")
    if "direction" in df.columns:
        bad = sorted(set(df["direction"].dropna()) - set(DIRECTIONS))
        if bad:
            problems.append(f"unknown directions {bad}")
    if {"below_lloq", "lloq"} <= set(df.columns):
        flagged = df["below_lloq"].astype(bool)
        if (flagged & df["lloq"].isna()).any():
            problems.append("rows flagged below LLOQ without an LLOQ")
    if problems:
        raise FrameSchemaError(name, problems)
    return df


@dataclass
class EvidenceFrames:
    """The frames one analysis runs on, and notes on what could not be filled.

    ``notes`` says, in words, which columns are empty and why (a source model not yet
    available, a field not captured); the evidence page prints them.
    """

    participants: pd.DataFrame
    outcomes: pd.DataFrame
    biomarkers: pd.DataFrame
    adverse_events: pd.DataFrame
    administrations: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        """True when any row comes from a synthetic site (the page must say so)."""
        return (
            bool(self.participants["synthetic"].astype(bool).any())
            if len(self.participants)
            else False
        )

    def validate(self) -> EvidenceFrames:
        validate_frame(self.participants, PARTICIPANT_COLUMNS, name="participants")
        validate_frame(self.outcomes, OUTCOME_COLUMNS, name="outcomes")
        validate_frame(self.biomarkers, BIOMARKER_COLUMNS, name="biomarkers")
        validate_frame(self.adverse_events, AE_COLUMNS, name="adverse_events")
        validate_frame(self.administrations, ADMINISTRATION_COLUMNS, name="administrations")
        return self

    def for_participant(self, study_code: str) -> EvidenceFrames:
        def pick(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["study_code"] == study_code]

        return EvidenceFrames(
            pick(self.participants),
            pick(self.outcomes),
            pick(self.biomarkers),
            pick(self.adverse_events),
            pick(self.administrations),
            list(self.notes),
        )


# --- derived columns (shaping, not statistics) -------------------------------------------


def age_band(age_months: float | None) -> str | None:
    """The AGE_BANDS label for an age in months (None when unknown or outside the bands)."""
    if age_months is None or (isinstance(age_months, float) and math.isnan(age_months)):
        return None
    for label, low, high in AGE_BANDS:
        if low <= age_months < high:
            return label
    return None


def dose_bands(dose: pd.Series, product_type: pd.Series) -> pd.Series:
    """Tertile band (low / middle / high) of dose within each product type.

    Doses of different products are not comparable, so bands are formed within a product; a
    product with fewer than three distinct doses gets fewer bands.
    """
    out = pd.Series([None] * len(dose), index=dose.index, dtype=object)
    # None as numpy takes it (a 0-d object array), spelt out because the stubs refuse a bare None
    missing = np.asarray(None, dtype=object)
    for _product, idx in dose.groupby(product_type, dropna=True).groups.items():
        values = pd.to_numeric(dose.loc[idx], errors="coerce")
        ranks = values.rank(method="average", pct=True)
        band = np.select(
            [ranks <= 1 / 3, ranks <= 2 / 3, ranks > 2 / 3], ["low", "middle", "high"], missing
        )
        out.loc[idx] = np.where(values.isna(), missing, band)
    return out


def attach_baseline(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Fill ``baseline_value``: each participant's last baseline-phase value of each measure."""
    baseline = (outcomes["phase"] == "baseline") & outcomes["value"].notna()
    base = outcomes.loc[baseline, ["study_code", "measure", "study_day", "value"]]
    base = base.sort_values(["study_day"], na_position="first")
    last = base.groupby(["study_code", "measure"], sort=False)["value"].last()
    keys = pd.MultiIndex.from_frame(outcomes[["study_code", "measure"]])
    result = outcomes.copy()
    result["baseline_value"] = last.reindex(keys).to_numpy()
    return result


def with_context(
    rows: pd.DataFrame, participants: pd.DataFrame, *, positions: np.ndarray | None = None
) -> pd.DataFrame:
    """Join the participant context columns onto rows keyed by ``study_code`` (an inner join
    that keeps the rows' order).

    ``positions`` may give each row's position in ``participants`` (−1: none), when the caller
    knows it without looking study codes up; the context is then taken by position.
    """
    own = [c for c in rows.columns if c not in _CONTEXT_NAMES or c == "study_code"]
    context = participants[list(_CONTEXT_NAMES)]
    if positions is None:
        return rows[own].merge(context, on="study_code", how="inner")
    found = np.asarray(positions) >= 0
    return pd.concat(
        [
            rows.loc[found, own].reset_index(drop=True),
            context.drop(columns="study_code").take(positions[found]).reset_index(drop=True),
        ],
        axis=1,
    )


# --- synthetic frames for tests and benchmarks -------------------------------------------

#: Visits of the synthetic schedule: code, phase, target study day.
SYNTHETIC_VISITS: tuple[tuple[str, str, int], ...] = (
    ("BL", "baseline", -14),
    ("D7", "early", 7),
    ("D28", "early", 28),
    ("M3", "mid", 90),
    ("M6", "late", 180),
    ("M12", "late", 365),
)


@dataclass(frozen=True)
class SyntheticEffects:
    """The truth the synthetic generator plants, so tests can check the analyses find it.

    ATEC total (higher is worse) falls by ``atec_change[phase]`` on average, plus
    ``younger_extra`` more in children under 60 months in mid/late phases; CGI-I ≤ 2 occurs
    with probability ``cgi_responder_rate`` at each follow-up; IL-6 falls by
    ``il6_fold_early`` in the early phase.
    """

    atec_baseline_mean: float = 60.0
    atec_baseline_sd: float = 18.0
    atec_change: tuple[tuple[str, float], ...] = (("early", -2.0), ("mid", -5.0), ("late", -8.0))
    younger_extra: float = -4.0
    within_sd: float = 6.0
    vineland_change_late: float = 3.0
    cgi_responder_rate: float = 0.35
    il6_baseline_median: float = 3.0
    il6_fold_early: float = 0.6
    il6_lloq: float = 1.5
    ae_rate_by_route: tuple[tuple[str, float], ...] = (("iv", 0.2), ("it", 0.5))


def synthetic_frames(
    n_participants: int = 120,
    *,
    seed: int = 2026,
    effects: SyntheticEffects | None = None,
    sites: Iterable[str] = ("SYN-A", "SYN-B"),
) -> EvidenceFrames:
    """Seeded, labelled-synthetic frames with known effects (``synthetic`` is True throughout).

    Two arms (``msc-iv``: allogeneic MSC IV; ``ipsc-it``: iPSC neural mix intrathecal), three
    lots per arm, ATEC total, Vineland composite and CGI-I at the visits of
    ``SYNTHETIC_VISITS`` (about 8 % of follow-up assessments missing at random), IL-6 with
    values below an LLOQ, and adverse events more frequent after intrathecal administration.
    """
    eff = effects or SyntheticEffects()
    rng = np.random.default_rng(seed)
    site_codes = list(sites)
    n = int(n_participants)
    arms = rng.choice(["msc-iv", "ipsc-it"], size=n)
    product = np.where(arms == "msc-iv", "msc", "ipsc_mix")
    route = np.where(arms == "msc-iv", "iv", "it")
    lot_no = rng.integers(1, 4, size=n)
    lot = np.array([f"LOT-{a.upper()}-{k}" for a, k in zip(arms, lot_no, strict=True)])
    dose = np.where(arms == "msc-iv", rng.uniform(1e6, 2e6, n), rng.uniform(5e5, 1e6, n))
    age = rng.uniform(24, 155, n).round()
    comorb = {
        flag: rng.random(n) < p
        for flag, p in zip(COMORBIDITY_FLAGS, (0.12, 0.3, 0.3, 0.4, 0.25, 0.2), strict=True)
    }
    genetic = rng.choice(
        ["none", "not_tested", "syndromic", "cnv"], size=n, p=[0.5, 0.3, 0.12, 0.08]
    )
    syndrome = np.where(genetic == "syndromic", rng.choice(["fragile_x", "tsc", "dup15q"], n), "")
    participants = pd.DataFrame(
        {
            "study_code": [f"SYN{i:05d}" for i in range(n)],
            "site": [site_codes[i % len(site_codes)] for i in range(n)],
            "synthetic": True,
            "protocol": "SYN-PROTOCOL v1",
            "arm": arms,
            "product_type": product,
            "lot": lot,
            "dose": dose,
            "dose_unit": "cells_per_kg",
            "route": route,
            "age_months": age,
            "severity": rng.choice([1, 2, 3], size=n, p=[0.3, 0.45, 0.25]).astype(float),
            "genetic_finding": genetic,
            "syndrome": syndrome,
            **comorb,
            "therapy_hours": rng.uniform(0, 25, n).round(1),
            "received": True,
        }
    )
    participants["dose_band"] = dose_bands(participants["dose"], participants["product_type"])
    participants["age_band"] = participants["age_months"].map(age_band)

    change = dict(eff.atec_change)
    person = rng.normal(eff.atec_baseline_mean, eff.atec_baseline_sd, n)
    vineland_person = rng.normal(70, 12, n)
    rows: list[dict[str, object]] = []
    for i in range(n):
        young = age[i] < 60
        for code, phase, day in SYNTHETIC_VISITS:
            if phase != "baseline" and rng.random() < 0.08:
                continue
            mean_change = change.get(phase, 0.0) + (
                eff.younger_extra if young and phase in ("mid", "late") else 0.0
            )
            atec = float(np.clip(person[i] + mean_change + rng.normal(0, eff.within_sd), 0, 179))
            vin = vineland_person[i] + (eff.vineland_change_late if phase == "late" else 0.0)
            vin += rng.normal(0, 4)
            base = {
                "study_code": participants.at[i, "study_code"],
                "phase": phase,
                "study_day": float(day + rng.integers(-3, 4)),
                "visit_code": code,
            }
            rows.append(
                {
                    **base,
                    "instrument": "atec",
                    "measure": "atec.atec_total",
                    "measure_label": "ATEC total",
                    "domain": "",
                    "value": round(atec),
                    "direction": "higher_is_worse",
                    "reliability": 0.94,
                    "reliability_provisional": True,
                    "respondent": "parent",
                }
            )
            rows.append(
                {
                    **base,
                    "instrument": "vineland3",
                    "measure": "vineland3.abc",
                    "measure_label": "Vineland composite",
                    "domain": "social",
                    "value": round(vin),
                    "direction": "higher_is_better",
                    "reliability": 0.83,
                    "reliability_provisional": False,
                    "respondent": "parent",
                }
            )
            if phase != "baseline":
                responder = rng.random() < eff.cgi_responder_rate
                cgi = float(rng.choice([1, 2]) if responder else rng.choice([3, 4, 4, 5]))
                rows.append(
                    {
                        **base,
                        "instrument": "cgi_i",
                        "measure": "cgi_i.cgi_i",
                        "measure_label": "CGI-I",
                        "domain": "",
                        "value": cgi,
                        "direction": "higher_is_worse",
                        "reliability": math.nan,
                        "reliability_provisional": True,
                        "respondent": "clinician",
                    }
                )
    outcomes = with_context(pd.DataFrame(rows), participants)
    outcomes = attach_baseline(outcomes)

    il6_person = rng.lognormal(math.log(eff.il6_baseline_median), 0.5, n)
    bio_rows: list[dict[str, object]] = []
    for i in range(n):
        for code, phase, day in SYNTHETIC_VISITS:
            if code not in ("BL", "D7", "M3", "M6"):
                continue
            fold = eff.il6_fold_early if phase == "early" else 1.0
            value = il6_person[i] * fold * rng.lognormal(0, 0.2)
            below = value < eff.il6_lloq
            bio_rows.append(
                {
                    "study_code": participants.at[i, "study_code"],
                    "phase": phase,
                    "study_day": float(day),
                    "visit_code": code,
                    "analyte": "IL6",
                    "value": math.nan if below else round(value, 3),
                    "unit": "pg/mL",
                    "below_lloq": bool(below),
                    "lloq": eff.il6_lloq,
                }
            )
    biomarkers = with_context(pd.DataFrame(bio_rows), participants)

    ae_rate = dict(eff.ae_rate_by_route)
    ae_rows: list[dict[str, object]] = []
    for i in range(n):
        if rng.random() < ae_rate.get(str(route[i]), 0.2):
            grade = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
            ae_rows.append(
                {
                    "study_code": participants.at[i, "study_code"],
                    "ae_code": f"AE-SYN-{i:05d}",
                    "term": "Headache" if route[i] == "it" else "Pyrexia",
                    "grade": float(grade),
                    "serious": grade >= 3,
                    "related": bool(rng.random() < 0.5),
                    "study_day": float(rng.integers(0, 30)),
                    "phase": "early",
                }
            )
    adverse_events = (
        with_context(pd.DataFrame(ae_rows), participants) if ae_rows else empty_frame(AE_COLUMNS)
    )
    administrations = participants[
        ["study_code", "site", "lot", "product_type", "dose", "route"]
    ].assign(study_day=0.0)
    return EvidenceFrames(
        participants=participants[[c.name for c in PARTICIPANT_COLUMNS]],
        outcomes=outcomes[[c.name for c in OUTCOME_COLUMNS]],
        biomarkers=biomarkers[[c.name for c in BIOMARKER_COLUMNS]],
        adverse_events=adverse_events[[c.name for c in AE_COLUMNS]],
        administrations=administrations[[c.name for c in ADMINISTRATION_COLUMNS]],
        notes=[
            "SYNTHETIC frames generated by evidence.frames.synthetic_frames "
            f"(seed {seed}, {n} participants)"
        ],
    )
