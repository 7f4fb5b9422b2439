"""Readable, translated labels for the stored codes the reports print (never a raw code).

Analyses keep the stored codes (``cnv``, ``cb_auto``, ``it``, ``3.0`` …) so results stay
reproducible from the exports; only the presentation maps them, through the choices' labels.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from neuroregen.biomarkers.catalogue import ANALYTES
from neuroregen.participants.choices import Comorbidity, GeneticFinding, Syndrome
from neuroregen.protocols.choices import ProductType, Route

_DIRECTIONS = {
    "higher_is_worse": lambda: _("lower is better"),
    "higherisworse": lambda: _("lower is better"),
    "higher_is_better": lambda: _("higher is better"),
    "higherisbetter": lambda: _("higher is better"),
}


def _choice(choices: Any, code: str) -> str | None:
    try:
        return str(choices(code).label)
    except ValueError:
        return None


def severity_label(value: Any) -> str:
    """DSM-5 level as "Level 2" (stored as 2, read back from frames as 2.0)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return _("not recorded")
    return _("Level %(n)s") % {"n": int(number)}


def age_band_label(code: str) -> str:
    """An age band as the evidence frames store it ("5–7 y"), in the active language."""
    span, unit = code[:-2], code[-2:]
    upper = span.rsplit("–", 1)[-1]
    if unit != " y" or not upper.isdigit():
        return code
    # the plural follows the last number, as one says "5–7 years"
    return ngettext("%(span)s y", "%(span)s y", int(upper)) % {"span": span}


def comorbidity_label(code: str) -> str:
    if code == "none":
        return _("none")
    if code == "several":
        return _("several")
    return _choice(Comorbidity, code) or code


def genetic_label(code: str) -> str:
    """Genetic finding or syndrome (the subgroup "genetic syndrome" mixes both)."""
    if code == "unknown":
        return _("not recorded")
    return _choice(GeneticFinding, code) or _choice(Syndrome, code) or code


def level_label(variable: str, value: Any) -> str:
    """The label of one level of a baseline or subgroup variable, or of a DSMB grouping."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("not recorded")
    code = str(value)
    if variable in ("severity", "DSM-5 severity"):
        return severity_label(value)
    if variable in ("age_band", "age band"):
        return age_band_label(code)
    if variable in ("product_type", "product", "Product"):
        return _choice(ProductType, code) or code
    if variable in ("route", "Route"):
        return _choice(Route, code) or code
    if variable in ("genetic_finding", "syndrome", "syndrome_group", "genetic syndrome"):
        return genetic_label(code)
    if variable in ("comorbidity_group", "comorbidity"):
        return comorbidity_label(code)
    if variable in ("dose_band", "dose band"):
        return {"low": _("low"), "middle": _("middle"), "high": _("high")}.get(code, code)
    if variable in ("lot", "Lot") and code == "other lots (each < 5 participants)":
        # the evidence analysis pools the small lots under this stored name
        return _("other lots (each < 5 participants)")
    return code


VARIABLE_LABELS = {
    "age band": lambda: _("Age band"),
    "DSM-5 severity": lambda: _("DSM-5 severity level"),
    "genetic syndrome": lambda: _("Genetic syndrome or finding"),
    "comorbidity": lambda: _("Comorbidity"),
    "product": lambda: _("Product"),
    "lot": lambda: _("Lot"),
    "dose band": lambda: _("Dose band (within product)"),
    "route": lambda: _("Route"),
    "dose_band": lambda: _("Dose band (within product)"),
}


def variable_label(name: str) -> str:
    label = VARIABLE_LABELS.get(name)
    return label() if label else name


def direction_label(code: str) -> str:
    label = _DIRECTIONS.get(code)
    return label() if label else code.replace("_", " ")


def heterogeneity_text(p_value: Any) -> str:
    """ "heterogeneity p = 0.12", or "not estimable" when there is no test (never "nan")."""
    try:
        p = float(p_value)
    except (TypeError, ValueError):
        p = math.nan
    if math.isnan(p):
        return _("heterogeneity not estimable")
    return _("heterogeneity p = %(p)s") % {"p": f"{p:.3g}"}


# --- measures, instruments and analytes --------------------------------------------------
# Names of the built-in instruments and scores. A form's published wording in another
# language (``dictionary translation-import``) takes precedence where it names the score.

_INSTRUMENT_TITLES = {
    "atec": lambda: pgettext("instrument", "Autism Treatment Evaluation Checklist (ATEC)"),
    "cgi_s": lambda: pgettext("instrument", "Clinical Global Impression – Severity (CGI-S)"),
    "cgi_i": lambda: pgettext("instrument", "Clinical Global Impression – Improvement (CGI-I)"),
    "abc2": lambda: pgettext(
        "instrument", "Aberrant Behavior Checklist, 2nd ed. (ABC-2) — subscale scores"
    ),
    "cars2": lambda: pgettext(
        "instrument", "Childhood Autism Rating Scale, 2nd ed. (CARS-2) — total"
    ),
    "srs2": lambda: pgettext(
        "instrument", "Social Responsiveness Scale, 2nd ed. (SRS-2) — T-scores"
    ),
    "vineland3": lambda: pgettext(
        "instrument",
        "Vineland Adaptive Behavior Scales, 3rd ed. (Vineland-3) — standard scores",
    ),
    "cshq": lambda: pgettext("instrument", "Children's Sleep Habits Questionnaire (CSHQ)"),
}

_SCORE_LABELS = {
    "atec.atec_i": lambda: pgettext("measure", "I. Speech/Language/Communication"),
    "atec.atec_ii": lambda: pgettext("measure", "II. Sociability"),
    "atec.atec_iii": lambda: pgettext("measure", "III. Sensory/Cognitive Awareness"),
    "atec.atec_iv": lambda: pgettext("measure", "IV. Health/Physical/Behavior"),
    "atec.atec_total": lambda: pgettext("measure", "ATEC total"),
    "cgi_s.cgi_s": lambda: pgettext("measure", "CGI-S"),
    "cgi_i.cgi_i": lambda: pgettext("measure", "CGI-I"),
    "abc2.abc2_irritability": lambda: pgettext("measure", "Irritability"),
    "abc2.abc2_social_withdrawal": lambda: pgettext("measure", "Social Withdrawal (Lethargy)"),
    "abc2.abc2_stereotypy": lambda: pgettext("measure", "Stereotypic Behavior"),
    "abc2.abc2_hyperactivity": lambda: pgettext("measure", "Hyperactivity/Noncompliance"),
    "abc2.abc2_inappropriate_speech": lambda: pgettext("measure", "Inappropriate Speech"),
    "cars2.cars2_total": lambda: pgettext("measure", "CARS-2 total"),
    "srs2.srs2_total_t": lambda: pgettext("measure", "SRS-2 total T"),
    "srs2.srs2_sci_t": lambda: pgettext("measure", "SRS-2 SCI T"),
    "srs2.srs2_rrb_t": lambda: pgettext("measure", "SRS-2 RRB T"),
    "vineland3.vineland3_com": lambda: pgettext("measure", "Communication standard score"),
    "vineland3.vineland3_dls": lambda: pgettext("measure", "Daily Living Skills standard score"),
    "vineland3.vineland3_soc": lambda: pgettext("measure", "Socialization standard score"),
    "vineland3.vineland3_motor": lambda: pgettext("measure", "Motor Skills standard score"),
    "vineland3.vineland3_abc": lambda: pgettext("measure", "Adaptive Behavior Composite"),
    "cshq.cshq_bedtime_resistance": lambda: pgettext("measure", "Bedtime Resistance"),
    "cshq.cshq_sleep_onset_delay": lambda: pgettext("measure", "Sleep Onset Delay"),
    "cshq.cshq_sleep_duration": lambda: pgettext("measure", "Sleep Duration"),
    "cshq.cshq_sleep_anxiety": lambda: pgettext("measure", "Sleep Anxiety"),
    "cshq.cshq_night_wakings": lambda: pgettext("measure", "Night Wakings"),
    "cshq.cshq_parasomnias": lambda: pgettext("measure", "Parasomnias"),
    "cshq.cshq_sleep_disordered_breathing": lambda: pgettext(
        "measure", "Sleep Disordered Breathing"
    ),
    "cshq.cshq_daytime_sleepiness": lambda: pgettext("measure", "Daytime Sleepiness"),
    "cshq.cshq_total": lambda: pgettext("measure", "CSHQ total"),
}


def published_score_labels(language: str) -> dict[str, str]:
    """Score names in ``language`` taken from the instruments' imported published wording.

    A score is named by the header of the section it totals (an ATEC subscale is the section
    whose header is its name), or by the wording of its own field when that field's English
    label is the score's name (an entered score)."""
    from neuroregen.instruments.models import Instrument, Score

    codes = [
        code
        for code, languages in Instrument.objects.values_list("code", "languages")
        if language in (languages or [])
    ]
    if not codes:
        return {}
    found: dict[str, str] = {}
    scores = (
        Score.objects.filter(instrument__code__in=codes)
        .select_related("instrument")
        .prefetch_related("instrument__fields")
    )
    for score in scores:
        fields = list(score.instrument.fields.all())
        wordings = [((f.translations or {}).get(language) or {}, f) for f in fields]
        headers = [
            w["section_header"]
            for w, f in wordings
            if f.section_header == score.label and w.get("section_header")
        ]
        own = [
            w["label"]
            for w, f in wordings
            if f.field_name == score.code and f.field_label == score.label and w.get("label")
        ]
        if headers or own:
            found[f"{score.instrument.code}.{score.code}"] = (headers or own)[0]
    return found


class MeasureNames:
    """Score names in the active language for one render: published wording first, then the
    catalogue for the built-in scores, else the stored label as it is."""

    def __init__(self, language: str | None = None) -> None:
        from django.utils import translation

        self.language = language or translation.get_language() or "en"
        self._published: dict[str, str] | None = None

    def __call__(self, key: str, fallback: str = "") -> str:
        if self.language != "en":
            if self._published is None:
                self._published = published_score_labels(self.language)
            if key in self._published:
                return self._published[key]
        label = _SCORE_LABELS.get(key)
        return label() if label else (fallback or key)


def measure_label(key: str, fallback: str = "") -> str:
    """One score's name in the active language (see :class:`MeasureNames`)."""
    return MeasureNames()(key, fallback)


def instrument_title(code: str, fallback: str = "") -> str:
    """A built-in instrument's title in the active language, from its code or, for snapshots
    that kept only the title, from its English title."""
    title = _INSTRUMENT_TITLES.get(code) or _INSTRUMENT_TITLES.get(_instrument_code(fallback))
    return title() if title else (fallback or code)


def _instrument_code(title: str) -> str:
    from neuroregen.instruments.builtin import builtin_instruments

    global _CODE_BY_TITLE
    if _CODE_BY_TITLE is None:
        _CODE_BY_TITLE = {b.title: b.code for b in builtin_instruments()}
    return _CODE_BY_TITLE.get(title, "")


_CODE_BY_TITLE: dict[str, str] | None = None


_ANALYTE_NAMES = {
    "il6": lambda: pgettext("analyte", "Interleukin-6 (IL-6)"),
    "tnfa": lambda: pgettext("analyte", "Tumour necrosis factor alpha (TNF-α)"),
    "il1b": lambda: pgettext("analyte", "Interleukin-1 beta (IL-1β)"),
    "il10": lambda: pgettext("analyte", "Interleukin-10 (IL-10)"),
    "ifng": lambda: pgettext("analyte", "Interferon gamma (IFN-γ)"),
    "crp": lambda: pgettext("analyte", "C-reactive protein, high-sensitivity (hs-CRP)"),
    "bdnf": lambda: pgettext("analyte", "Brain-derived neurotrophic factor (BDNF)"),
    "mri_fa": lambda: pgettext("analyte", "MRI diffusion fractional anisotropy (FA)"),
}
_EEG_BANDS = {
    "delta": lambda: pgettext("EEG band", "delta"),
    "theta": lambda: pgettext("EEG band", "theta"),
    "alpha": lambda: pgettext("EEG band", "alpha"),
    "beta": lambda: pgettext("EEG band", "beta"),
    "gamma": lambda: pgettext("EEG band", "gamma"),
}
_ANALYTE_BY_NAME = {a.name: code for code, a in ANALYTES.items()}


def analyte_label(value: str) -> str:
    """An analyte's name in the active language, from its code (``il6``) or its catalogue
    name (family snapshots keep the English name)."""
    code = _ANALYTE_BY_NAME.get(value, value)
    name = _ANALYTE_NAMES.get(code)
    if name:
        return name()
    band = _EEG_BANDS.get(code.removeprefix("eeg_")) if code.startswith("eeg_") else None
    if band:
        return _("EEG absolute power, %(band)s band") % {"band": band()}
    analyte = ANALYTES.get(code)
    return analyte.name if analyte else value


# --- DSMB tables and stopping rules ------------------------------------------------------
# The safety selectors keep English quantities (exports, API); the tables print these.

_DSMB_INDICATORS = {
    "any": lambda: _("participants with any adverse event"),
    "g3": lambda: _("participants with a grade ≥ 3 event"),
    "serious": lambda: _("participants with a serious adverse event"),
    "related": lambda: _("participants with a related event (possible or stronger)"),
    "aesi": lambda: _("participants with an event of special interest"),
    "death": lambda: _("participants who died"),
}
_DSMB_RATES = {
    "adverse events": lambda: _("adverse events"),
    "serious adverse events": lambda: _("serious adverse events"),
    "related adverse events": lambda: _("related adverse events"),
}
_RULE_NOTES = {
    "no participant exposed yet": lambda: _("no participant exposed yet"),
}


def dsmb_indicator_label(code: str, fallback: str = "") -> str:
    label = _DSMB_INDICATORS.get(str(code))
    return label() if label else (fallback or str(code))


def dsmb_rate_label(words: str) -> str:
    label = _DSMB_RATES.get(str(words))
    return label() if label else str(words)


def rule_note(note: str) -> str:
    label = _RULE_NOTES.get(str(note))
    return label() if label else str(note)


def _percent(value: float, digits: int) -> str:
    return formats.number_format(round(100 * value, digits), decimal_pos=digits) + "%"


def _number(value: Any) -> str:
    """A prior parameter as the statistics print it ("1", "0.5"), with the local decimal mark."""
    number = float(value)
    return str(int(number)) if number.is_integer() else formats.number_format(number)


def rule_explanation(result: Any) -> str:
    """A stopping rule's result in words, in the active language (the statistics module
    words it in English for the exports)."""
    details = getattr(result, "details", {}) or {}
    events, n = int(result.events), int(result.n)
    if result.kind == "beta_binomial":
        values = {
            "events": events,
            "n": n,
            "a": _number(details.get("prior_a", 1)),
            "b": _number(details.get("prior_b", 1)),
            "threshold": _percent(float(details.get("threshold", 0)), 0),
            "probability": _percent(float(result.statistic), 1),
            "cutoff": _percent(float(result.boundary), 0),
        }
        if result.triggered:
            text = ngettext(
                "%(events)s of %(n)s participant had a qualifying event; with a "
                "Beta(%(a)s, %(b)s) prior the probability that the true rate exceeds "
                "%(threshold)s is %(probability)s (above the %(cutoff)s cut-off)",
                "%(events)s of %(n)s participants had a qualifying event; with a "
                "Beta(%(a)s, %(b)s) prior the probability that the true rate exceeds "
                "%(threshold)s is %(probability)s (above the %(cutoff)s cut-off)",
                n,
            )
        else:
            text = ngettext(
                "%(events)s of %(n)s participant had a qualifying event; with a "
                "Beta(%(a)s, %(b)s) prior the probability that the true rate exceeds "
                "%(threshold)s is %(probability)s (not above the %(cutoff)s cut-off)",
                "%(events)s of %(n)s participants had a qualifying event; with a "
                "Beta(%(a)s, %(b)s) prior the probability that the true rate exceeds "
                "%(threshold)s is %(probability)s (not above the %(cutoff)s cut-off)",
                n,
            )
        return text % values
    if result.kind == "fixed_count":
        values = {
            "events": events,
            "n": n,
            "max": int(details.get("max_events", result.boundary)),
        }
        if result.triggered:
            text = ngettext(
                "Qualifying events: %(events)s among %(n)s participant; the rule pauses "
                "dosing at %(max)s (reached)",
                "Qualifying events: %(events)s among %(n)s participants; the rule pauses "
                "dosing at %(max)s (reached)",
                n,
            )
        else:
            text = ngettext(
                "Qualifying events: %(events)s among %(n)s participant; the rule pauses "
                "dosing at %(max)s (not reached)",
                "Qualifying events: %(events)s among %(n)s participants; the rule pauses "
                "dosing at %(max)s (not reached)",
                n,
            )
        return text % values
    return str(result.explanation)


def dsmb_group(label: str) -> str:
    """A DSMB group's heading in words: an arm group ("NR-CELL-01 v1.0 · cb-iv") by the arm's name,
    a product group by the product's name. The key itself stays the code (tables match on it)."""
    from neuroregen.protocols.models import Arm

    protocol_label, sep, arm_code = label.rpartition(" · ")
    if sep:
        code, _v, version = protocol_label.rpartition(" v")
        arm = Arm.objects.filter(protocol__code=code, protocol__version=version, code=arm_code)
        name = arm.values_list("name", flat=True).first()
        return f"{protocol_label} · {name}" if name else label
    if label in ProductType.values:
        return str(ProductType(label).label)
    return label
