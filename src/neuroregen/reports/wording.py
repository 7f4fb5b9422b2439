"""Plain words for a family report, in the reader's language, from the stored snapshot.

Every sentence that states a change also states its uncertainty; no sentence attributes a
change to the therapy. Numbers and dates are localised (decimal comma in Russian and Ukrainian).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from neuroregen.core import plurals
from neuroregen.reports import labels
from neuroregen.reports.pdf import family_measure_plot
from neuroregen.safety.choices import Relatedness

GRADE_WORDS = {
    1: lambda: _("mild"),
    2: lambda: _("moderate"),
    3: lambda: _("severe"),
    4: lambda: _("life-threatening"),
    5: lambda: _("fatal"),
}
RESPONDENT_WORDS = {
    "parent": lambda: _("you (parent or caregiver)"),
    "clinician": lambda: _("the study clinician"),
    "teacher": lambda: _("the teacher"),
}
SUSPECTED = Relatedness.suspected()


def num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        digits = 0
    text = formats.number_format(round(value, digits), decimal_pos=digits)
    # A minus sign, not a hyphen, so "−3,0" reads as a number in every language.
    return text.replace("-", "−")


def day(iso: str) -> str:
    return formats.date_format(dt.date.fromisoformat(iso), "j E Y") if iso else "—"


def _points(n: float | None) -> str:
    # Fractions take their own form ("12,8 балла"), which no gettext plural form can give.
    return plurals.points(None if n is None else abs(n), 1)


CGI_I_WORDS = {
    1: lambda: _("very much improved"),
    2: lambda: _("much improved"),
    3: lambda: _("minimally improved"),
    4: lambda: _("no change"),
    5: lambda: _("minimally worse"),
    6: lambda: _("much worse"),
    7: lambda: _("very much worse"),
}
NO_VERDICT = lambda: _(  # noqa: E731 - translated at call time
    "We cannot yet say whether the score changed by more than measurement error (too few "
    "assessments, or no reference value)."
)


def _cgi_words(m: dict[str, Any]) -> dict[str, Any]:
    sentences = [
        _("At visit %(visit)s the study clinician rated the change since the start as: %(rating)s.")
        % {"visit": p["visit"], "rating": CGI_I_WORDS.get(int(p["value"]), lambda: "—")()}
        for p in m["points"]
        if p["value"] is not None
    ]
    sentences.append(
        _(
            "This rating is the clinician's overall impression; it is not a "
            "measurement and it cannot show what caused a change."
        )
    )
    return {
        **m,
        "direction_words": _(
            "A clinician's overall rating of change (1 = very much "
            "improved, 4 = no change, 7 = very much worse)."
        ),
        "sentences": sentences,
        "plot": None,
    }


def measure_words(m: dict[str, Any], synthetic: bool) -> dict[str, Any]:
    if m["key"] == "cgi_i.cgi_i":
        return _cgi_words(m)
    direction = (
        _("Lower scores mean fewer difficulties.")
        if m["direction"] == "higher_is_worse"
        else _("Higher scores mean more skills or fewer difficulties.")
    )
    sentences: list[str] = []
    latest = m.get("latest")
    if latest and latest["change"] is not None:
        change = latest["change"]
        if change == 0:
            moved = _("did not change")
        elif change > 0:
            moved = _("went up by %(points)s") % {"points": _points(change)}
        else:
            moved = _("went down by %(points)s") % {"points": _points(change)}
        sentences.append(
            _("From the first assessment (%(before)s) to visit %(visit)s the score %(moved)s.")
            % {"before": num(m["baseline"]), "visit": latest["visit"], "moved": moved}
        )
        if m.get("threshold"):
            sentences.append(
                _(
                    "Because no assessment is perfectly exact, a score can move by up to "
                    "%(points)s between two assessments by measurement error alone (95%% range)."
                )
                % {"points": _points(m["threshold"])}
            )
        category = latest["category"]
        if category == "unchanged":
            sentences.append(
                _("This change is within that range: we cannot tell it apart from no real change.")
            )
        elif category == "improved":
            sentences.append(
                _(
                    "This change is larger than measurement error alone would "
                    "usually produce, in the direction of fewer difficulties."
                )
            )
        elif category == "worsened":
            sentences.append(
                _(
                    "This change is larger than measurement error alone would "
                    "usually produce, in the direction of more difficulties. The "
                    "study doctor will talk it through with you."
                )
            )
        else:
            sentences.append(NO_VERDICT())
        if category and m.get("provisional"):
            sentences.append(
                _(
                    "The exactness of this questionnaire is only provisionally known, "
                    "so read this judgement with extra caution."
                )
            )
    else:
        sentences.append(NO_VERDICT())
    return {
        **m,
        "direction_words": direction,
        "sentences": sentences,
        "plot": family_measure_plot(m, synthetic),
    }


def biomarker_words(b: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for p in b["points"]:
        if p["below_lloq"]:
            value = _(
                "below the smallest amount the laboratory can measure (%(lloq)s %(unit)s)"
            ) % {"lloq": num(p["lloq"], 2), "unit": b["unit"]}
        else:
            value = f"{num(p['value'], 2)} {b['unit']}"
        rows.append({"phase": p["phase"], "day": num(p["day"], 0), "value": value})
    return {**b, "rows": rows}


def event_words(e: dict[str, Any]) -> dict[str, Any]:
    grade = GRADE_WORDS.get(int(e["grade"]), lambda: "")()
    parts = [_("started %(date)s") % {"date": day(e["onset"])}, grade]
    if e["serious"]:
        parts.append(_("serious (needed hospital care or was otherwise medically important)"))
    parts.append(
        _("resolved %(date)s") % {"date": day(e["resolved"])}
        if e["resolved"]
        else _("not yet resolved")
    )
    if e.get("related") in SUSPECTED:
        parts.append(_("the study doctor thinks the treatment may have caused it"))
    return {**e, "words": "; ".join(p for p in parts if p)}


def comparator_words(cmp: list[dict[str, Any]]) -> list[dict[str, str]]:
    by_key = {b["key"]: b for b in cmp}
    out = []
    if "natural_history_atec_age" in by_key:
        out.append(
            {
                "text": _(
                    "Without any experimental treatment, children's ATEC scores "
                    "usually fall (improve) as they grow, and more so in younger "
                    "children."
                ),
                "source": by_key["natural_history_atec_age"]["citation"],
            }
        )
    if "natural_history_vineland_change" in by_key:
        b = by_key["natural_history_vineland_change"]
        out.append(
            {
                "text": _(
                    "Children followed with usual care only gained on average about "
                    "%(points)s on the Vineland adaptive behaviour score between early "
                    "childhood and age 5–7."
                )
                % {"points": _points(b["value"])},
                "source": b["citation"],
            }
        )
    if "placebo_cgi_i_responders" in by_key:
        b = by_key["placebo_cgi_i_responders"]
        out.append(
            {
                "text": _(
                    "In placebo-controlled studies in autism, about %(pct)s%% of "
                    "children given a placebo (95%% CI %(low)s–%(high)s%%) were rated "
                    "“much improved” by their clinicians."
                )
                % {
                    "pct": num(100 * b["value"], 0),
                    "low": num(100 * b["low"], 0),
                    "high": num(100 * b["high"], 0),
                },
                "source": b["citation"],
            }
        )
    if "ucb_access_null" in by_key:
        out.append(
            {
                "text": _(
                    "The largest randomised trial of a cell therapy in autism so far "
                    "(180 children, cord blood versus placebo) found no difference on "
                    "its main outcome."
                ),
                "source": by_key["ucb_access_null"]["citation"],
            }
        )
    return out


def _respondent(code: str) -> str:
    words = RESPONDENT_WORDS.get(code)
    return words() if words else code


def family_view(content: dict[str, Any]) -> dict[str, Any]:
    """The snapshot with words added in the active language; the snapshot keeps the stored
    (English) names, so measures, questionnaires and analytes are named here too."""
    synthetic = bool(content.get("synthetic"))
    names = labels.MeasureNames()
    measures = [{**m, "label": names(m["key"], m["label"])} for m in content["measures"]]
    biomarkers = [
        {**b, "analyte": labels.analyte_label(b.get("code") or b["analyte"])}
        for b in content["biomarkers"]
    ]
    return {
        **content,
        "measures": [measure_words(m, synthetic) for m in measures],
        "biomarkers": [biomarker_words(b) for b in biomarkers],
        "adverse_events": [event_words(e) for e in content["adverse_events"]],
        "assessments": [
            {
                **a,
                "instrument": labels.instrument_title(
                    a.get("instrument_code", ""), a["instrument"]
                ),
                "by": _respondent(a["respondent"]),
                "when": day(a["date"]),
            }
            for a in content["assessments"]
        ],
        "comparators": comparator_words(content["comparators"]),
    }
