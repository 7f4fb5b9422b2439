"""The measures of a programme and the responder definitions the evidence page offers on them.

Also the two helpers every analysis step shares: the context a result carries (caregiver
rated, synthetic data) and :func:`_try`, which runs one statistic and turns its failure into a
note for the page instead of an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from neuroregen.evidence.frames import FOLLOW_UP_PHASES
from neuroregen.stats._common import InsufficientDataError
from neuroregen.stats.responders import ResponderDefinition
from neuroregen.stats.results import CAREGIVER_RATED, SYNTHETIC, Direction
from neuroregen.stats.text import Text, text

__all__ = [
    "CGI_I_MEASURE",
    "DAYS_PER_MONTH",
    "DEFAULT_RESPONDER",
    "MODEL_PHASES",
    "RESPONDER_CHOICES",
    "MeasureMeta",
    "ResponderChoice",
    "measures",
    "responder_definition",
    "responder_status",
]


CGI_I_MEASURE = "cgi_i.cgi_i"


DAYS_PER_MONTH = 30.4375


MODEL_PHASES: tuple[str, ...] = ("baseline", "early", "mid", "late", "long_term")


@dataclass(frozen=True)
class ResponderChoice:
    """An entry of the responder-definition chooser on the evidence page."""

    key: str
    label: str
    uses_cgi: bool
    build: Callable[[str, Direction, float | None, bool], ResponderDefinition]


def _reliable(label: str, d: Direction, r: float | None, prov: bool) -> ResponderDefinition:
    if r is None or not 0 < r < 1:
        raise ValueError(f"{label} has no reliability: reliable change is not available")
    return ResponderDefinition.reliable_improvement(label, d, r, provisional=prov)


RESPONDER_CHOICES: dict[str, ResponderChoice] = {
    c.key: c
    for c in (
        ResponderChoice(
            "cgi_i_2",
            text("CGI-I ≤ 2 (much or very much improved)"),
            True,
            lambda *_: ResponderDefinition.cgi_i(2),
        ),
        ResponderChoice(
            "cgi_i_3",
            text("CGI-I ≤ 3 (at least minimally improved)"),
            True,
            lambda *_: ResponderDefinition.cgi_i(3),
        ),
        ResponderChoice(
            "pct25",
            text("≥ 25 % improvement from baseline"),
            False,
            lambda lab, d, r, p: ResponderDefinition.percent_improvement(lab, d),
        ),
        ResponderChoice(
            "reliable", text("reliable improvement (Jacobson–Truax)"), False, _reliable
        ),
        ResponderChoice(
            "any",
            text("any improvement"),
            False,
            lambda lab, d, r, p: ResponderDefinition.any_improvement(lab, d),
        ),
    )
}


DEFAULT_RESPONDER = "cgi_i_2"


def responder_definition(key: str, meta: MeasureMeta | None = None) -> ResponderDefinition:
    """The ResponderDefinition for a chooser key (score-based keys need the measure)."""
    if key not in RESPONDER_CHOICES:
        raise ValueError(f"unknown responder definition {key!r}")
    choice = RESPONDER_CHOICES[key]
    if choice.uses_cgi:
        return choice.build("CGI-I", Direction.HIGHER_IS_WORSE, None, True)
    if meta is None:
        raise ValueError(f"the {key} definition needs a measure")
    return choice.build(meta.label, meta.direction, meta.reliability, meta.provisional)


@dataclass(frozen=True)
class MeasureMeta:
    measure: str
    label: str
    instrument: str
    domain: str
    direction: Direction
    reliability: float | None
    provisional: bool
    caregiver_rated: bool


def measures(outcomes: pd.DataFrame) -> list[MeasureMeta]:
    """The measures present, in order of first appearance, with their metadata."""
    out: list[MeasureMeta] = []
    if outcomes.empty:
        return out
    first = outcomes.drop_duplicates("measure")
    parent = (outcomes["respondent"] == "parent").groupby(outcomes["measure"]).any()
    for row in first.itertuples(index=False):
        r = row.reliability
        out.append(
            MeasureMeta(
                measure=row.measure,
                label=row.measure_label,
                instrument=row.instrument,
                domain=row.domain or "",
                direction=Direction(row.direction),
                reliability=None
                if r is None or (isinstance(r, float) and math.isnan(r))
                else float(r),
                provisional=bool(row.reliability_provisional),
                caregiver_rated=bool(parent.get(row.measure, False)),
            )
        )
    return out


def _context(meta_caregiver: bool, synthetic: bool) -> tuple[str, ...]:
    return tuple(c for c, on in ((CAREGIVER_RATED, meta_caregiver), (SYNTHETIC, synthetic)) if on)


def _try(fn: Callable[..., Any], notes: list[str], what: str) -> Any:
    try:
        return fn()
    except (InsufficientDataError, ValueError, RuntimeError) as exc:
        # the reason stays a Text when the stats raised one, so the page can translate it
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)
        notes.append(text("{what}: not estimable ({reason})", what=text(what), reason=reason))
        return None


def responder_status(outcomes: pd.DataFrame, key: str, primary: str) -> pd.DataFrame:
    """Responder status (1/0/NaN) at every follow-up visit, one row per child × visit."""
    choice = RESPONDER_CHOICES[key]
    measure = CGI_I_MEASURE if choice.uses_cgi else primary
    rows = outcomes[(outcomes["measure"] == measure) & outcomes["phase"].isin(FOLLOW_UP_PHASES)]
    rows = rows.sort_values(["study_code", "study_day"])
    if rows.empty:
        return rows.assign(responder=pd.Series(dtype=float))
    if choice.uses_cgi:
        status = responder_definition(key).apply(cgi_i=rows["value"].to_numpy(float))
    else:
        meta = next(m for m in measures(rows))
        status = responder_definition(key, meta).apply(
            baseline=rows["baseline_value"].to_numpy(float), follow_up=rows["value"].to_numpy(float)
        )
    return rows.assign(responder=status)
