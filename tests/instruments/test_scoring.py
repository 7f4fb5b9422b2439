"""ATEC scoring against hand-computed cases, and the other instruments' score definitions."""

from __future__ import annotations

import pytest

from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.models import Instrument
from neuroregen.instruments.prepared import score_dicts
from neuroregen.instruments.scoring import score_response


def _atec_defs():
    return score_dicts(list(Instrument.objects.get(code="atec").scores.all()))


def _answers(fill):
    return {
        atec_item_name(k, n): str(fill(k, n))
        for k, (_t, items) in ATEC_ITEMS.items()
        for n in range(1, len(items) + 1)
    }


@pytest.mark.django_db
def test_atec_structure_and_maxima():
    atec = Instrument.objects.get(code="atec")
    scores = {s.code: s for s in atec.scores.all()}
    assert [len(items) for _t, items in ATEC_ITEMS.values()] == [14, 20, 18, 25]
    assert [int(scores[f"atec_{k}"].maximum) for k in ("i", "ii", "iii", "iv")] == [28, 40, 36, 75]
    assert int(scores["atec_total"].maximum) == 179
    assert {s.direction for s in scores.values()} == {"higher_worse"}
    assert float(scores["atec_total"].reliability) == 0.94
    assert scores["atec_total"].reliability_provisional
    assert "autism.org" in atec.source
    assert set(atec.languages_missing) == {"ru", "uk"}


@pytest.mark.django_db
def test_atec_worst_and_best_and_a_mixed_case():
    # Worst: every answer carries the highest item score → 28 + 40 + 36 + 75 = 179.
    worst = score_response(_atec_defs(), _answers(lambda k, n: 3 if k == "iv" else 2))
    assert worst["atec_total"] == {"value": 179, "status": "complete", "answered": 77, "items": 77}
    best = score_response(_atec_defs(), _answers(lambda k, n: 0))
    assert best["atec_total"]["value"] == 0
    # Mixed, computed by hand: I all 1 → 14; II items 1–10 at 2 → 20; III all 0 → 0;
    # IV items 1–5 at 3, others 1 → 15 + 20 = 35; total 69.
    mixed = score_response(
        _atec_defs(),
        _answers(
            lambda k, n: {"i": 1, "ii": 2 if n <= 10 else 0, "iii": 0, "iv": 3 if n <= 5 else 1}[k]
        ),
    )
    assert [mixed[f"atec_{k}"]["value"] for k in ("i", "ii", "iii", "iv", "total")] == [
        14,
        20,
        0,
        35,
        69,
    ]


@pytest.mark.django_db
def test_atec_choice_codes_score_in_the_published_direction():
    fields = {f.field_name: f for f in Instrument.objects.get(code="atec").fields.all()}
    # I: "Not true" is the impaired answer (2); III: "Not descriptive" likewise (2).
    assert fields["atec_i_01"].choice_pairs()[0] == ("2", "Not true")
    assert fields["atec_ii_01"].choice_pairs()[0] == ("0", "Not descriptive")
    assert fields["atec_iii_01"].choice_pairs()[0] == ("2", "Not descriptive")
    assert fields["atec_iv_01"].choice_pairs()[-1] == ("3", "Serious problem")


@pytest.mark.django_db
def test_atec_missing_items_prorated_within_the_limit_and_refused_beyond():
    answers = _answers(lambda k, n: 1)
    del answers["atec_i_01"]  # 13 of 14 answered, sum 13 → 13 × 14 / 13 = 14
    result = score_response(_atec_defs(), answers)
    assert result["atec_i"] == {"value": 14, "status": "prorated", "answered": 13, "items": 14}
    assert result["atec_total"]["status"] == "prorated"
    # A missing-data code counts as missing, not as zero.
    coded = score_response(_atec_defs(), _answers(lambda k, n: 1), {"atec_ii_01": "DECL"})
    assert coded["atec_ii"] == {"value": 20, "status": "prorated", "answered": 19, "items": 20}
    # II with 2 of 20 missing (the limit): the answered sum is scaled to 20 items.
    partial = _answers(lambda k, n: 0)
    partial.update({"atec_ii_01": "2", "atec_ii_02": "1"})
    del partial["atec_ii_19"], partial["atec_ii_20"]  # 18 answered, sum 3 → 3 × 20/18 = 3.33 → 3
    assert score_response(_atec_defs(), partial)["atec_ii"]["value"] == 3
    # Two missing in I (limit 1) → I not scored, total not scored.
    del answers["atec_i_02"]
    result = score_response(_atec_defs(), answers)
    assert result["atec_i"]["value"] is None
    assert result["atec_i"]["status"] == "insufficient"
    assert result["atec_total"]["value"] is None


@pytest.mark.django_db
def test_rounding_is_half_up():
    answers = _answers(lambda k, n: 0)
    answers.update({f"atec_iii_{n:02d}": "1" for n in range(1, 10)})  # 9 ones
    answers["atec_iii_10"] = "2"
    del answers["atec_iii_18"]  # 17 answered, sum 11 → 11 × 18 / 17 = 11.647 → 12
    assert score_response(_atec_defs(), answers)["atec_iii"]["value"] == 12


@pytest.mark.django_db
def test_score_entry_instruments_carry_ranges_directions_and_no_item_text():
    expected = {
        "abc2": {
            "abc2_irritability": (0, 45),
            "abc2_social_withdrawal": (0, 48),
            "abc2_stereotypy": (0, 21),
            "abc2_hyperactivity": (0, 48),
            "abc2_inappropriate_speech": (0, 12),
        },
        "cars2": {"cars2_total": (15, 60)},
    }
    for code, scores in expected.items():
        instrument = Instrument.objects.get(code=code)
        assert not instrument.items_shipped
        got = {s.code: (int(s.minimum), int(s.maximum)) for s in instrument.scores.all()}
        assert got == scores
    vineland = {s.code: s for s in Instrument.objects.get(code="vineland3").scores.all()}
    assert vineland["vineland3_abc"].direction == "higher_better"
    assert float(vineland["vineland3_abc"].reliability) == 0.83
    assert not vineland["vineland3_abc"].reliability_provisional
    cshq = Instrument.objects.get(code="cshq").scores.get(code="cshq_total")
    assert (int(cshq.minimum), int(cshq.maximum)) == (33, 99)
    assert float(cshq.reliability) == 0.62
    assert "0.62–0.79" in cshq.reliability_source
    cgi_i = Instrument.objects.get(code="cgi_i")
    assert "CGI-I ≤ 2" in cgi_i.description


# The published ARI key, label → item score, per subscale (III is the reverse of II).
PUBLISHED_KEY = {
    "i": {"Not true": 2, "Somewhat true": 1, "Very true": 0},
    "ii": {"Not descriptive": 0, "Somewhat descriptive": 1, "Very descriptive": 2},
    "iii": {"Not descriptive": 2, "Somewhat descriptive": 1, "Very descriptive": 0},
    "iv": {"Not a problem": 0, "Minor problem": 1, "Moderate problem": 2, "Serious problem": 3},
}


@pytest.mark.django_db
def test_every_atec_item_carries_the_published_key_of_its_subscale():
    fields = {f.field_name: f for f in Instrument.objects.get(code="atec").fields.all()}
    for key, (_title, items) in ATEC_ITEMS.items():
        for number in range(1, len(items) + 1):
            pairs = fields[atec_item_name(key, number)].choice_pairs()
            assert {label: int(code) for code, label in pairs} == PUBLISHED_KEY[key], (key, number)


@pytest.mark.django_db
def test_atec_subscale_iii_is_reverse_scored_and_ranges_are_pinned():
    fields = {f.field_name: f for f in Instrument.objects.get(code="atec").fields.all()}

    def by_label(pick):
        # The label a parent ticks, turned into the stored code by the form's own choices.
        answers = {}
        for k, (_t, items) in ATEC_ITEMS.items():
            for n in range(1, len(items) + 1):
                name = atec_item_name(k, n)
                codes = {label: code for code, label in fields[name].choice_pairs()}
                answers[name] = codes[pick(k, n)]
        return answers

    middle = {"i": "Somewhat true", "ii": "Somewhat descriptive", "iv": "Minor problem"}
    aware = score_response(
        _atec_defs(), by_label(lambda k, n: "Very descriptive" if k == "iii" else middle[k])
    )
    # A child to whom every awareness item applies fully has no impairment on III; the others
    # sit at 1 per item: I 14, II 20, IV 25 → total 59.
    assert [aware[f"atec_{k}"]["value"] for k in ("i", "ii", "iii", "iv", "total")] == [
        14,
        20,
        0,
        25,
        59,
    ]
    # Every item of III "Not descriptive" (2 each → 36); every other item at its unimpaired end.
    unimpaired = {"i": "Very true", "ii": "Not descriptive", "iv": "Not a problem"}
    unaware = score_response(
        _atec_defs(), by_label(lambda k, n: "Not descriptive" if k == "iii" else unimpaired[k])
    )
    assert [unaware[f"atec_{k}"]["value"] for k in ("i", "ii", "iii", "iv", "total")] == [
        0,
        0,
        36,
        0,
        36,
    ]
    # Hand-computed: III items 1–6 "Not descriptive" (6 × 2 = 12), 7–12 "Somewhat" (6 × 1 = 6),
    # 13–18 "Very descriptive" (0) → 18; with I all "Somewhat true" (14), II all "Very
    # descriptive" (40) and IV all "Serious problem" (75) the total is 14 + 40 + 18 + 75 = 147.
    third = ["Not descriptive"] * 6 + ["Somewhat descriptive"] * 6 + ["Very descriptive"] * 6
    fixed = {"i": "Somewhat true", "ii": "Very descriptive", "iv": "Serious problem"}
    mixed = score_response(
        _atec_defs(), by_label(lambda k, n: third[n - 1] if k == "iii" else fixed[k])
    )
    assert [mixed[f"atec_{k}"]["value"] for k in ("i", "ii", "iii", "iv", "total")] == [
        14,
        40,
        18,
        75,
        147,
    ]
    scores = {s.code: s for s in Instrument.objects.get(code="atec").scores.all()}
    ranges = {code: (int(s.minimum), int(s.maximum)) for code, s in scores.items()}
    assert ranges == {
        "atec_i": (0, 28),
        "atec_ii": (0, 40),
        "atec_iii": (0, 36),
        "atec_iv": (0, 75),
        "atec_total": (0, 179),
    }


@pytest.mark.django_db
def test_cshq_subscales_follow_owens_2000_and_are_never_partial():
    from neuroregen.instruments.builtin_cshq import CSHQ_SUBSCALES, cshq_item_name
    from neuroregen.instruments.prepared import score_dicts

    cshq = Instrument.objects.get(code="cshq")
    assert cshq.items_shipped
    assert cshq.offered_to_families
    sizes = {code: len(items) for code, _label, items in CSHQ_SUBSCALES}
    assert sum(sizes.values()) == 35  # items 5 and 8 count in two subscales
    assert len({n for _c, _l, items in CSHQ_SUBSCALES for n in items}) == 33
    assert all(f.is_required for f in cshq.fields.all())
    defs = score_dicts(list(cshq.scores.all()))
    answers = {cshq_item_name(n): "2" for n in range(1, 34)}
    scored = score_response(defs, answers)
    assert scored["cshq_total"] == {"value": 66, "status": "complete", "answered": 33, "items": 33}
    assert scored["cshq_sleep_anxiety"]["value"] == 8
    del answers[cshq_item_name(19)]  # one breathing item unanswered: no pro-rating
    scored = score_response(defs, answers)
    assert scored["cshq_total"]["value"] is None
    assert scored["cshq_sleep_disordered_breathing"]["value"] is None
    assert scored["cshq_parasomnias"]["value"] == 14
