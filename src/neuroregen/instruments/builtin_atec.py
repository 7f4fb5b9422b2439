"""The ATEC as shipped: items, response options, scores and the missing-item rule.

ATEC is shipped item by item (free to use). Its English wording and the response options follow
the Autism Research Institute's published form (Rimland B, Edelson SM. Autism Treatment
Evaluation Checklist, Autism Research Institute, San Diego, 1999; form at
https://www.autism.org/autism-treatment-evaluation-checklist/). The published Russian and
Ukrainian forms could not be checked word for word when this definition was written, so those
languages are listed as missing rather than translated here; a site that holds ARI's published
form loads its wording with ``neuroregen dictionary translation-import atec ru FILE --source …``
(see ``neuroregen.instruments.translations``); until then families see the English form with a
notice saying so.
"""

from __future__ import annotations

from typing import Any

from neuroregen.instruments.redcap import DictionaryRow

ATEC_SOURCE = (
    "Rimland B, Edelson SM. Autism Treatment Evaluation Checklist (ATEC). Autism Research "
    "Institute, San Diego, CA, 1999. https://www.autism.org/autism-treatment-evaluation-checklist/ "
    "— free to use. Scoring per ARI: I (Not true 2, Somewhat true 1, Very true 0); II (Not "
    "descriptive 0, Somewhat 1, Very descriptive 2); III (Not descriptive 2, Somewhat 1, Very "
    "descriptive 0); IV (Not a problem 0, Minor 1, Moderate 2, Serious 3). Higher = more impaired."
)

ATEC_ITEMS: dict[str, tuple[str, list[str]]] = {
    "i": (
        "I. Speech/Language/Communication",
        [
            "Knows own name",
            'Responds to "No" or "Stop"',
            "Can follow some commands",
            "Can use one word at a time (No!, Eat, Water, etc.)",
            "Can use 2 words at a time (Don't want, Go home)",
            "Can use 3 words at a time (Want more milk)",
            "Knows 10 or more words",
            "Can use sentences with 4 or more words",
            "Explains what he/she wants",
            "Asks meaningful questions",
            "Speech tends to be meaningful/relevant",
            "Often uses several successive sentences",
            "Carries on fairly good conversation",
            "Has normal ability to communicate for his/her age",
        ],
    ),
    "ii": (
        "II. Sociability",
        [
            "Seems to be in a shell - you cannot reach him/her",
            "Ignores other people",
            "Pays little or no attention when addressed",
            "Uncooperative and resistant",
            "No eye contact",
            "Prefers to be left alone",
            "Shows no affection",
            "Fails to greet parents",
            "Avoids contact with others",
            "Does not imitate",
            "Dislikes being held/cuddled",
            "Does not share or show",
            'Does not wave "bye bye"',
            "Disagreeable/not compliant",
            "Temper tantrums",
            "Lacks friends/companions",
            "Rarely smiles",
            "Insensitive to other's feelings",
            "Indifferent to being liked",
            "Indifferent if parent(s) leave",
        ],
    ),
    "iii": (
        "III. Sensory/Cognitive Awareness",
        [
            "Responds to own name",
            "Responds to praise",
            "Looks at people and animals",
            "Looks at pictures (and T.V.)",
            "Does drawing, coloring, art",
            "Plays with toys appropriately",
            "Appropriate facial expression",
            "Understands stories on T.V.",
            "Understands explanations",
            "Aware of environment",
            "Aware of danger",
            "Shows imagination",
            "Initiates activities",
            "Dresses self",
            "Curious, interested",
            "Venturesome - explores",
            "Tuned in - Not spacey",
            "Looks where others are looking",
        ],
    ),
    "iv": (
        "IV. Health/Physical/Behavior",
        [
            "Bed-wetting",
            "Wets pants/diapers",
            "Soils pants/diapers",
            "Diarrhea",
            "Constipation",
            "Sleep problems",
            "Eats too much/too little",
            "Extremely limited diet",
            "Hyperactive",
            "Lethargic",
            "Hits or injures self",
            "Hits or injures others",
            "Destructive",
            "Sound-sensitive",
            "Anxious/fearful",
            "Unhappy/crying",
            "Seizures",
            "Obsessive speech",
            "Rigid routines",
            "Shouts or screams",
            "Demands sameness",
            "Often agitated",
            "Not sensitive to pain",
            "Hooked or fixated on certain objects/topics",
            "Repetitive movements (stimming, rocking, etc.)",
        ],
    ),
}

# The choice codes ARE the item scores, so a REDCap export carries scored values.
ATEC_CHOICES = {
    "i": "2, Not true | 1, Somewhat true | 0, Very true",
    "ii": "0, Not descriptive | 1, Somewhat descriptive | 2, Very descriptive",
    "iii": "2, Not descriptive | 1, Somewhat descriptive | 0, Very descriptive",
    "iv": "0, Not a problem | 1, Minor problem | 2, Moderate problem | 3, Serious problem",
}
ATEC_MAX_MISSING = {"i": 1, "ii": 2, "iii": 1, "iv": 2}
ATEC_MISSING_RULE = (
    "ARI publishes no missing-item rule; this programme's provisional rule: a subscale is scored "
    "when at most about 10 % of its items are missing (I: 1 of 14, II: 2 of 20, III: 1 of 18, "
    "IV: 2 of 25). The mean of the answered items is scaled to the full item count and rounded "
    "half up, and the score is marked prorated. With more items missing the subscale is not "
    "scored. The total is scored only when all four subscales are; it is prorated when any of "
    "them is. An item carrying a missing-data code counts as missing. Each limit is the "
    "'max_missing_items' of its score and can be configured."
)


def atec_item_name(subscale: str, number: int) -> str:
    return f"atec_{subscale}_{number:02d}"


def atec_rows_and_scores() -> tuple[list[DictionaryRow], list[dict[str, Any]]]:
    """The ATEC items, raw-sum calcs and scores (four subscales and the total)."""
    rows: list[DictionaryRow] = []
    scores: list[dict[str, Any]] = []
    maxima = {"i": 2, "ii": 2, "iii": 2, "iv": 3}
    for order, (key, (title, items)) in enumerate(ATEC_ITEMS.items()):
        names = []
        for number, text in enumerate(items, start=1):
            name = atec_item_name(key, number)
            names.append(name)
            rows.append(
                DictionaryRow(
                    field_name=name,
                    form_name="atec",
                    section_header=title if number == 1 else "",
                    field_type="radio",
                    field_label=text,
                    choices=ATEC_CHOICES[key],
                    required="y",
                    matrix_group=f"atec_{key}",
                    question_number=f"{key.upper()}.{number}",
                )
            )
        sum_expr = "sum(" + ", ".join(f"[{n}]" for n in names) + ")"
        rows.append(
            DictionaryRow(
                field_name=f"atec_{key}_raw",
                form_name="atec",
                field_type="calc",
                field_label=f"{title}: sum of answered items",
                choices=sum_expr,
                field_annotation="@HIDDEN-SURVEY Raw sum while entering; "
                "the scored subscale applies the missing-item rule.",
            )
        )
        scores.append(
            {
                "code": f"atec_{key}",
                "label": title,
                "method": "sum",
                "items": names,
                "minimum": 0,
                "maximum": maxima[key] * len(items),
                "direction": "higher_worse",
                "max_missing_items": ATEC_MAX_MISSING[key],
                "order": order,
            }
        )
    rows.append(
        DictionaryRow(
            field_name="atec_total_raw",
            form_name="atec",
            field_type="calc",
            field_label="ATEC: sum of answered items",
            choices="sum([atec_i_raw], [atec_ii_raw], [atec_iii_raw], [atec_iv_raw])",
            field_annotation="@HIDDEN-SURVEY Raw sum while entering; the scored total applies the "
            "missing-item rule.",
        )
    )
    scores.append(
        {
            "code": "atec_total",
            "label": "ATEC total",
            "method": "sum_of_scores",
            "items": ["atec_i", "atec_ii", "atec_iii", "atec_iv"],
            "minimum": 0,
            "maximum": 179,
            "direction": "higher_worse",
            "reliability": "0.940",
            "reliability_kind": "split_half",
            "reliability_provisional": True,
            "reliability_source": "Split-half r = 0.94 (Autism Research Institute, ATEC "
            "reliability report); no published test–retest: provisional for reliable change.",
            "order": 9,
        }
    )
    return rows, scores
