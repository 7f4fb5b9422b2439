"""Columns of the NDA data structure ``atec01`` (Autism Treatment Evaluation Checklist).

Source of the structure: NDA Data Dictionary, https://nda.nih.gov/data_structure.html?short_name=atec01
(definitions CSV: https://nda.nih.gov/api/datadictionary/datastructure/atec01/csv).

Every ATEC item of the shipped form (:mod:`neuroregen.instruments.builtin_atec`, fields
``atec_<subscale>_<nn>``) has exactly one element, in the form's order: subscale I (speech) 14,
II (sociability) 20, III (sensory/cognitive awareness) 18, IV (health/physical/behaviour) 25.
Answers are the item's scored value as the form stores it (ARI's scoring: I 2/1/0, II 0/1/2,
III 2/1/0, IV 0–3). The subscale and total scores stay in their own elements after the items.

The element names below were written from the structure's layout (one element per item,
subscale by subscale) and could not be compared with the live dictionary when this table was
written; before a first submission, check them against the definitions CSV above (NDA's
validator names every unknown column) and correct them here: this table is the only place.
"""

from __future__ import annotations

from neuroregen.instruments.builtin_atec import ATEC_ITEMS, atec_item_name

# subscale key of the form → element prefix and the score (neuroregen score code) it sums to
SUBSCALES = {
    "i": ("atec_speech", "atec_i"),
    "ii": ("atec_social", "atec_ii"),
    "iii": ("atec_sensory", "atec_iii"),
    "iv": ("atec_health", "atec_iv"),
}

# our item field → NDA element, in the order of the form
ITEM_ELEMENTS: dict[str, str] = {
    atec_item_name(key, number): f"{SUBSCALES[key][0]}{number}"
    for key, (_title, items) in ATEC_ITEMS.items()
    for number in range(1, len(items) + 1)
}

# NDA element → our score code: the totals, after the items
SCORE_ELEMENTS: dict[str, str] = {
    "atec_total": "atec_total",
    **dict(SUBSCALES.values()),
}
