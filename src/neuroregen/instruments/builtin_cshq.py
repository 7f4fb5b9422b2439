"""The Children's Sleep Habits Questionnaire (CSHQ) as data: its 33 scored items and 8 subscales.

Source: Owens JA, Spirito A, McGuinn M. The Children's Sleep Habits Questionnaire (CSHQ):
psychometric properties of a survey instrument for school-aged children. Sleep
2000;23(8):1043–51. Parents rate a recent typical week: usually (5–7 times a week) = 3,
sometimes (2–4) = 2, rarely (0–1) = 1. Six items are reverse-scored (1, 2, 3, 10, 11, 26:
usually = 1). The two daytime-sleepiness situations (watching TV, riding in a car) are rated
not sleepy = 1, very sleepy = 2, falls asleep = 3. As for ATEC, the choice codes are the item
scores, so an export carries scored values.

Subscales (Owens 2000, table 1): items 5 and 8 count in both Bedtime Resistance and Sleep
Anxiety, so the total is the sum of the 33 items, not of the subscales; range 33–99, higher is
worse, > 41 suggests a clinically significant sleep problem. Owens publishes no rule for
missing items, so a subscale or the total is scored only when all its items are answered
(``max_missing_items`` 0): no pro-rating, no partial sums.
"""

from __future__ import annotations

from typing import Any

from neuroregen.instruments.redcap import DictionaryRow

CSHQ_SOURCE = (
    "Owens JA, Spirito A, McGuinn M. The Children's Sleep Habits Questionnaire (CSHQ): "
    "psychometric properties of a survey instrument for school-aged children. Sleep "
    "2000;23(8):1043–51. The questionnaire is made freely available by its author for clinical "
    "and research use; items are shipped, totals are computed."
)

# (section header of the first item in it, item wording) in questionnaire order
CSHQ_ITEMS: list[tuple[str, str]] = [
    ("Bedtime", "Child goes to bed at the same time at night"),
    ("", "Child falls asleep within 20 minutes after going to bed"),
    ("", "Child falls asleep alone in own bed"),
    ("", "Child falls asleep in parent's or sibling's bed"),
    ("", "Child needs parent in the room to fall asleep"),
    ("", "Child struggles at bedtime (cries, refuses to stay in bed, etc.)"),
    ("", "Child is afraid of sleeping in the dark"),
    ("", "Child is afraid of sleeping alone"),
    ("Sleep behaviour", "Child sleeps too little"),
    ("", "Child sleeps the right amount"),
    ("", "Child sleeps about the same amount each day"),
    ("", "Child wets the bed at night"),
    ("", "Child talks during sleep"),
    ("", "Child is restless and moves a lot during sleep"),
    ("", "Child sleepwalks during the night"),
    ("", "Child moves to someone else's bed during the night (parent, brother, sister, etc.)"),
    ("", "Child grinds teeth during sleep (your dentist may have told you this)"),
    ("", "Child snores loudly"),
    ("", "Child seems to stop breathing during sleep"),
    ("", "Child snorts and/or gasps during sleep"),
    ("", "Child has trouble sleeping away from home (visiting relatives, vacation)"),
    ("", "Child awakens during the night screaming, sweating, and inconsolable"),
    ("", "Child awakens alarmed by a frightening dream"),
    ("Waking during the night", "Child wakes up once during the night"),
    ("", "Child wakes up more than once during the night"),
    ("Morning waking", "Child wakes up by him/herself"),
    ("", "Child wakes up in a negative mood"),
    ("", "Adults or siblings wake up child"),
    ("", "Child has difficulty getting out of bed in the morning"),
    ("", "Child takes a long time to become alert in the morning"),
    ("", "Child seems tired"),
    (
        "Daytime sleepiness: child has appeared very sleepy or fallen asleep during the following",
        "Watching TV",
    ),
    ("", "Riding in car"),
]
CSHQ_REVERSED = frozenset({1, 2, 3, 10, 11, 26})
CSHQ_SLEEPINESS = frozenset({32, 33})

CHOICES = (
    "3, Usually (5–7 times a week) | 2, Sometimes (2–4 times a week) | 1, Rarely (0–1 times a week)"
)
CHOICES_REVERSED = (
    "1, Usually (5–7 times a week) | 2, Sometimes (2–4 times a week) | 3, Rarely (0–1 times a week)"
)
CHOICES_SLEEPINESS = "1, Not sleepy | 2, Very sleepy | 3, Falls asleep"

# code, label, item numbers (Owens 2000)
CSHQ_SUBSCALES: list[tuple[str, str, tuple[int, ...]]] = [
    ("cshq_bedtime_resistance", "Bedtime Resistance", (1, 3, 4, 5, 6, 8)),
    ("cshq_sleep_onset_delay", "Sleep Onset Delay", (2,)),
    ("cshq_sleep_duration", "Sleep Duration", (9, 10, 11)),
    ("cshq_sleep_anxiety", "Sleep Anxiety", (5, 7, 8, 21)),
    ("cshq_night_wakings", "Night Wakings", (16, 24, 25)),
    ("cshq_parasomnias", "Parasomnias", (12, 13, 14, 15, 17, 22, 23)),
    ("cshq_sleep_disordered_breathing", "Sleep Disordered Breathing", (18, 19, 20)),
    ("cshq_daytime_sleepiness", "Daytime Sleepiness", (26, 27, 28, 29, 30, 31, 32, 33)),
]


def cshq_item_name(number: int) -> str:
    return f"cshq_{number:02d}"


def _choices(number: int) -> str:
    if number in CSHQ_SLEEPINESS:
        return CHOICES_SLEEPINESS
    return CHOICES_REVERSED if number in CSHQ_REVERSED else CHOICES


def cshq_rows() -> list[DictionaryRow]:
    return [
        DictionaryRow(
            field_name=cshq_item_name(number),
            form_name="cshq",
            section_header=section,
            field_type="radio",
            field_label=text,
            choices=_choices(number),
            required="y",
            question_number=str(number),
            field_annotation="reverse-scored" if number in CSHQ_REVERSED else "",
        )
        for number, (section, text) in enumerate(CSHQ_ITEMS, start=1)
    ]


def cshq_scores() -> list[dict[str, Any]]:
    scores: list[dict[str, Any]] = [
        {
            "code": code,
            "label": label,
            "method": "sum",
            "items": [cshq_item_name(n) for n in numbers],
            "minimum": len(numbers),
            "maximum": 3 * len(numbers),
            "direction": "higher_worse",
            "max_missing_items": 0,
            "order": order,
        }
        for order, (code, label, numbers) in enumerate(CSHQ_SUBSCALES)
    ]
    scores.append(
        {
            "code": "cshq_total",
            "label": "CSHQ total",
            "method": "sum",
            "items": [cshq_item_name(n) for n in range(1, len(CSHQ_ITEMS) + 1)],
            "minimum": 33,
            "maximum": 99,
            "direction": "higher_worse",
            "max_missing_items": 0,
            "reliability": "0.620",
            "reliability_kind": "test_retest",
            "reliability_provisional": False,
            "reliability_source": "Test–retest 0.62–0.79 (Owens 2000); the lower "
            "bound is used so reliable change is not overstated.",
            "order": len(CSHQ_SUBSCALES),
        }
    )
    return scores
