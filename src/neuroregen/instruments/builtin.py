"""The instruments NeuroRegen ships: definitions as data (REDCap rows + scores + metadata).

ATEC is shipped item by item (free to use; items, options and rule in ``builtin_atec``, with
the source of its wording and languages).

CSHQ is shipped item by item too (33 scored items, Owens 2000; the author makes the form freely
available): families answer the items and the subscales and total are computed, never asked for.
Copyrighted instruments (ABC-2, CARS-2, SRS-2, Vineland-3) are score-entry forms for staff:
totals only, never item text, never sent to families. CGI-S/CGI-I (Guy 1976, ECDEU) are public
domain.

Every item and entered score is required: a form is complete only when each is answered or
carries a missing-data code (``neuroregen.instruments.completeness``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from neuroregen.instruments.builtin_atec import (
    ATEC_CHOICES,
    ATEC_ITEMS,
    ATEC_MISSING_RULE,
    ATEC_SOURCE,
    atec_item_name,
    atec_rows_and_scores,
)
from neuroregen.instruments.builtin_cshq import CSHQ_SOURCE, cshq_rows, cshq_scores
from neuroregen.instruments.redcap import DictionaryRow

# The shipped instruments' public face; ATEC's items and options are re-exported from
# ``builtin_atec`` so callers need one module.
__all__ = [
    "ATEC_CHOICES",
    "ATEC_ITEMS",
    "BUILTIN_CODES",
    "DEFAULT_DOMAIN_MAP",
    "BuiltinInstrument",
    "atec_item_name",
    "builtin_instruments",
    "install",
]


@dataclass
class BuiltinInstrument:
    code: str
    title: str
    version: str
    licence: str
    source: str
    description: str
    rows: list[DictionaryRow]
    scores: list[dict[str, Any]]
    languages: list[str] = field(default_factory=lambda: ["en"])
    languages_missing: dict[str, str] = field(default_factory=dict)
    respondents: list[str] = field(default_factory=lambda: ["clinician"])
    parent_completable: bool = False
    missing_rule: str = ""
    translations: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def _atec() -> BuiltinInstrument:
    rows, scores = atec_rows_and_scores()
    return BuiltinInstrument(
        code="atec",
        title="Autism Treatment Evaluation Checklist (ATEC)",
        version="ARI 1999",
        licence="free",
        source=ATEC_SOURCE,
        description="77 items in four subscales; measures change over time, not a diagnosis. "
        "Higher scores mean more impairment.",
        rows=rows,
        scores=scores,
        respondents=["parent", "clinician", "teacher"],
        parent_completable=True,
        missing_rule=ATEC_MISSING_RULE,
        languages_missing={
            "ru": "ARI's published Russian form has not yet been checked word for word; "
            "not shipped. Load it with `neuroregen dictionary translation-import`.",
            "uk": "ARI's published Ukrainian form has not yet been checked word for word; "
            "not shipped. Load it with `neuroregen dictionary translation-import`.",
        },
    )


def _cgi() -> list[BuiltinInstrument]:
    source = (
        "Guy W. ECDEU Assessment Manual for Psychopharmacology. US DHEW, 1976, "
        "pp. 218–222 (public domain)."
    )
    severity = DictionaryRow(
        field_name="cgi_s",
        form_name="cgi_s",
        field_type="radio",
        field_label="Considering your total clinical experience with this particular population, "
        "how mentally ill is the patient at this time?",
        choices="1, Normal, not at all ill | 2, Borderline mentally ill | 3, Mildly ill | "
        "4, Moderately ill | 5, Markedly ill | 6, Severely ill | "
        "7, Among the most extremely ill patients",
        required="y",
    )
    improvement = DictionaryRow(
        field_name="cgi_i",
        form_name="cgi_i",
        field_type="radio",
        field_label="Compared to the patient's condition at admission to the project, this "
        "patient's condition is:",
        choices="1, Very much improved | 2, Much improved | 3, Minimally improved | "
        "4, No change | 5, Minimally worse | 6, Much worse | 7, Very much worse",
        required="y",
    )
    return [
        BuiltinInstrument(
            code="cgi_s",
            title="Clinical Global Impression – Severity (CGI-S)",
            version="1976",
            licence="public_domain",
            source=source,
            description="One item, 1–7.",
            rows=[severity],
            scores=[
                {
                    "code": "cgi_s",
                    "label": "CGI-S",
                    "method": "entered",
                    "items": ["cgi_s"],
                    "minimum": 1,
                    "maximum": 7,
                    "direction": "higher_worse",
                }
            ],
        ),
        BuiltinInstrument(
            code="cgi_i",
            title="Clinical Global Impression – Improvement (CGI-I)",
            version="1976",
            licence="public_domain",
            source=source,
            description="One item, 1–7. Standard responder definition: CGI-I ≤ 2 (much or very "
            "much improved); state the definition next to every rate.",
            rows=[improvement],
            scores=[
                {
                    "code": "cgi_i",
                    "label": "CGI-I",
                    "method": "entered",
                    "items": ["cgi_i"],
                    "minimum": 1,
                    "maximum": 7,
                    "direction": "higher_worse",
                }
            ],
        ),
    ]


def _entry(
    form: str, name: str, label: str, low: int, high: int, note: str = "", branching: str = ""
) -> DictionaryRow:
    return DictionaryRow(
        field_name=name,
        form_name=form,
        field_type="text",
        field_label=label,
        validation="integer",
        validation_min=str(low),
        validation_max=str(high),
        field_note=note,
        branching_logic=branching,
        required="y",
    )


def _score(
    name: str, label: str, low: int, high: int, direction: str, order: int, **extra: Any
) -> dict[str, Any]:
    return {
        "code": name,
        "label": label,
        "method": "entered",
        "items": [name],
        "minimum": low,
        "maximum": high,
        "direction": direction,
        "order": order,
        **extra,
    }


def _score_entry_forms() -> list[BuiltinInstrument]:
    copyrighted = "Copyrighted: NeuroRegen records the scores only and ships no item text."
    abc = [
        ("abc2_irritability", "Irritability", 45),
        ("abc2_social_withdrawal", "Social Withdrawal (Lethargy)", 48),
        ("abc2_stereotypy", "Stereotypic Behavior", 21),
        ("abc2_hyperactivity", "Hyperactivity/Noncompliance", 48),
        ("abc2_inappropriate_speech", "Inappropriate Speech", 12),
    ]
    vineland = [
        ("vineland3_com", "Communication standard score"),
        ("vineland3_dls", "Daily Living Skills standard score"),
        ("vineland3_soc", "Socialization standard score"),
    ]
    forms = [
        BuiltinInstrument(
            code="abc2",
            title="Aberrant Behavior Checklist, 2nd ed. (ABC-2) — subscale scores",
            version="ABC-2",
            licence="copyrighted",
            source="Aman MG, Singh NN. Aberrant Behavior Checklist, 2nd ed. Slosson, 2017. "
            + copyrighted,
            description="Five subscale sums; the ABC has no valid total.",
            rows=[_entry("abc2", n, f"{label} (subscale sum)", 0, high) for n, label, high in abc],
            scores=[
                _score(n, label, 0, high, "higher_worse", i)
                for i, (n, label, high) in enumerate(abc)
            ],
            respondents=["parent", "teacher", "clinician"],
        ),
        BuiltinInstrument(
            code="cars2",
            title="Childhood Autism Rating Scale, 2nd ed. (CARS-2) — total",
            version="CARS-2",
            licence="copyrighted",
            source="Schopler E et al. CARS-2. WPS, 2010. " + copyrighted,
            description="15 items rated 1–4; total 15–60; higher is more severe.",
            rows=[
                DictionaryRow(
                    field_name="cars2_form",
                    form_name="cars2",
                    field_type="radio",
                    field_label="Form used",
                    choices="ST, Standard version (CARS2-ST) | "
                    "HF, High-functioning version (CARS2-HF)",
                    required="y",
                ),
                _entry("cars2", "cars2_total", "Total raw score", 15, 60),
            ],
            scores=[_score("cars2_total", "CARS-2 total", 15, 60, "higher_worse", 0)],
        ),
        BuiltinInstrument(
            code="srs2",
            title="Social Responsiveness Scale, 2nd ed. (SRS-2) — T-scores",
            version="SRS-2",
            licence="copyrighted",
            source="Constantino JN, Gruber CP. SRS-2. WPS, 2012. " + copyrighted,
            description="T-scores (mean 50, SD 10): ≤59 typical, 60–65 mild, 66–75 moderate, "
            "≥76 severe.",
            rows=[
                _entry("srs2", "srs2_total_t", "Total T-score", 30, 90),
                _entry(
                    "srs2", "srs2_sci_t", "Social Communication and Interaction T-score", 30, 90
                ),
                _entry(
                    "srs2",
                    "srs2_rrb_t",
                    "Restricted Interests and Repetitive Behavior T-score",
                    30,
                    90,
                ),
            ],
            scores=[
                _score("srs2_total_t", "SRS-2 total T", 30, 90, "higher_worse", 0),
                _score("srs2_sci_t", "SRS-2 SCI T", 30, 90, "higher_worse", 1),
                _score("srs2_rrb_t", "SRS-2 RRB T", 30, 90, "higher_worse", 2),
            ],
            respondents=["parent", "teacher"],
        ),
        BuiltinInstrument(
            code="vineland3",
            title="Vineland Adaptive Behavior Scales, 3rd ed. (Vineland-3) — standard scores",
            version="Vineland-3",
            licence="copyrighted",
            source="Sparrow SS, Cicchetti DV, Saulnier CA. Vineland-3. Pearson, 2016. "
            + copyrighted,
            description="Standard scores, mean 100, SD 15; higher is better. Motor domain is "
            "normed to age 9.",
            rows=[
                *[_entry("vineland3", n, label, 20, 140) for n, label in vineland],
                DictionaryRow(
                    field_name="vineland3_motor_assessed",
                    form_name="vineland3",
                    field_type="yesno",
                    field_label="Was the Motor Skills domain administered?",
                    required="y",
                ),
                _entry(
                    "vineland3",
                    "vineland3_motor",
                    "Motor Skills standard score",
                    20,
                    140,
                    branching="[vineland3_motor_assessed] = '1'",
                ),
                _entry("vineland3", "vineland3_abc", "Adaptive Behavior Composite", 20, 140),
            ],
            scores=[
                *[
                    _score(n, label, 20, 140, "higher_better", i)
                    for i, (n, label) in enumerate(vineland)
                ],
                _score(
                    "vineland3_motor", "Motor Skills standard score", 20, 140, "higher_better", 3
                ),
                _score(
                    "vineland3_abc",
                    "Adaptive Behavior Composite",
                    20,
                    140,
                    "higher_better",
                    4,
                    reliability="0.830",
                    reliability_kind="test_retest",
                    reliability_provisional=False,
                    reliability_source="Composite test–retest r = 0.83 (DOMAIN.md §3).",
                ),
            ],
            respondents=["parent", "clinician"],
        ),
    ]
    return forms


def _cshq() -> BuiltinInstrument:
    return BuiltinInstrument(
        code="cshq",
        title="Children's Sleep Habits Questionnaire (CSHQ)",
        version="Owens 2000",
        licence="free",
        source=CSHQ_SOURCE,
        description="33 scored items about a recent typical week, 8 subscales; total 33–99; "
        "> 41 suggests a sleep problem; higher is worse. Subscales and total are computed.",
        rows=cshq_rows(),
        scores=cshq_scores(),
        respondents=["parent"],
        parent_completable=True,
        missing_rule="Owens 2000 gives no missing-item rule: a subscale or the total is scored "
        "only when every one of its items is answered. An item carrying a missing-data code "
        "counts as missing.",
        languages_missing={
            "ru": "A published Russian CSHQ has not yet been checked word for word; not shipped. "
            "Load it with `neuroregen dictionary translation-import`.",
            "uk": "A published Ukrainian CSHQ has not yet been checked word for word; not "
            "shipped. Load it with `neuroregen dictionary translation-import`.",
        },
    )


def builtin_instruments() -> list[BuiltinInstrument]:
    return [_atec(), *_cgi(), *_score_entry_forms(), _cshq()]


BUILTIN_CODES = frozenset({"atec", "cgi_s", "cgi_i", "abc2", "cars2", "srs2", "vineland3", "cshq"})


# Default functional-domain → score mapping; a programme may replace it (DomainMapping rows).
DEFAULT_DOMAIN_MAP: list[tuple[str, str, str, str]] = [
    (
        "attention",
        "atec",
        "atec_iii",
        "Sensory/Cognitive Awareness includes 'Tuned in – not spacey'",
    ),
    ("speech", "atec", "atec_i", ""),
    ("speech", "vineland3", "vineland3_com", ""),
    ("speech", "abc2", "abc2_inappropriate_speech", ""),
    ("social", "atec", "atec_ii", ""),
    ("social", "srs2", "srs2_total_t", ""),
    ("social", "vineland3", "vineland3_soc", ""),
    ("social", "abc2", "abc2_social_withdrawal", ""),
    ("anxiety", "atec", "atec_iv_15", "single ATEC item 'Anxious/fearful'"),
    ("stereotypy", "abc2", "abc2_stereotypy", ""),
    ("stereotypy", "srs2", "srs2_rrb_t", ""),
    ("stereotypy", "atec", "atec_iv_25", "single ATEC item 'Repetitive movements'"),
    ("sleep", "cshq", "cshq_total", ""),
    ("sleep", "atec", "atec_iv_06", "single ATEC item 'Sleep problems'"),
    ("learning", "atec", "atec_iii", ""),
    ("learning", "vineland3", "vineland3_dls", ""),
    ("hyperactivity", "abc2", "abc2_hyperactivity", ""),
    ("hyperactivity", "atec", "atec_iv_09", "single ATEC item 'Hyperactive'"),
    ("sensory", "atec", "atec_iv_14", "single ATEC item 'Sound-sensitive'"),
    ("sensory", "atec", "atec_iii", ""),
    ("meltdowns", "abc2", "abc2_irritability", ""),
    ("meltdowns", "atec", "atec_iv_20", "single ATEC item 'Shouts or screams'"),
]


def install(instrument_model: Any, field_model: Any, score_model: Any, mapping_model: Any) -> None:
    """Create or refresh the built-in definitions. Takes model classes so a data migration can
    pass its historical models. Fields and scores are replaced; responses are untouched
    because built-in field names never change."""
    for spec in builtin_instruments():
        instrument, _created = instrument_model.objects.update_or_create(
            code=spec.code,
            defaults={
                "title": spec.title,
                "version": spec.version,
                "licence": spec.licence,
                "source": spec.source,
                "description": spec.description,
                "languages": spec.languages,
                "languages_missing": spec.languages_missing,
                "respondents": spec.respondents,
                "parent_completable": spec.parent_completable,
                "missing_rule": spec.missing_rule,
                "builtin": True,
            },
        )
        field_model.objects.filter(instrument=instrument).delete()
        field_model.objects.bulk_create(
            [
                field_model(
                    instrument=instrument,
                    order=order,
                    **row.as_dict(),
                    translations=spec.translations.get(row.field_name, {}),
                )
                for order, row in enumerate(spec.rows)
            ]
        )
        score_model.objects.filter(instrument=instrument).delete()
        score_model.objects.bulk_create(
            [
                score_model(instrument=instrument, **{"order": order, **score})
                for order, score in enumerate(spec.scores)
            ]
        )
    for domain, instrument_code, score_code, note in DEFAULT_DOMAIN_MAP:
        mapping_model.objects.get_or_create(
            protocol=None,
            domain=domain,
            instrument_code=instrument_code,
            score_code=score_code,
            defaults={"note": note},
        )
