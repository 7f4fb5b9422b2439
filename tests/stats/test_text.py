"""stats.text.Text: the English sentence every consumer already reads, plus what a translator
needs (its msgid template and the params that fill it)."""

from __future__ import annotations

import json
import math
import pickle

from neuroregen.stats.claims import CLAIM_MAJORITY_IMPROVE, _rate_verdict
from neuroregen.stats.proportions import ResponderDefinition
from neuroregen.stats.results import UNCONTROLLED, Direction, Estimate
from neuroregen.stats.text import Text, text, text_join


def test_text_is_its_english_sentence_and_keeps_template_and_params() -> None:
    t = text("{n} children lost response; median {m:.1f} days", n=3, m=120.25)
    assert isinstance(t, str)
    assert t == "3 children lost response; median 120.2 days"
    assert t.template == "{n} children lost response; median {m:.1f} days"
    assert dict(t.params) == {"n": 3, "m": 120.25}
    # numbers stay numbers, so each locale can format them
    assert isinstance(t.params["m"], float)


def test_every_str_consumer_sees_plain_english() -> None:
    t = text("the whole {level} ({span})", level=text("{v}% interval", v=95), span="9%–45%")
    assert t == "the whole 95% interval (9%–45%)"
    assert t.params["level"].template == "{v}% interval"
    assert json.loads(json.dumps({"reason": t})) == {"reason": "the whole 95% interval (9%–45%)"}
    assert "; ".join([t, "x"]) == "the whole 95% interval (9%–45%); x"
    assert repr(t) == repr("the whole 95% interval (9%–45%)")


def test_missing_and_infinite_numbers_read_as_words_not_nan() -> None:
    assert text("median {m:.2f}", m=math.nan) == "median n/a"
    assert text("from {a:.1f} to {b:.1f}", a=-math.inf, b=math.inf) == "from −∞ to ∞"


def test_pickles_with_template_and_params_for_the_evidence_cache() -> None:
    t = text("need at least {minimum} pairs, got {n}", minimum=2, n=0)
    back = pickle.loads(pickle.dumps(t))  # noqa: S301 - our own bytes, as the cache does
    assert back == t
    assert back.template == t.template
    assert dict(back.params) == {"minimum": 2, "n": 0}


def test_join_keeps_every_part_translatable() -> None:
    parts = [text("a {x}", x=1), text("b")]
    joined = text_join(parts)
    assert joined == "a 1; b"
    assert [joined.params[k] for k in sorted(joined.params)] == parts
    assert text_join([]) == ""


def test_stats_results_speak_in_texts_with_unchanged_english() -> None:
    definition = ResponderDefinition.percent_improvement("ATEC total", Direction.HIGHER_IS_WORSE)
    described = definition.describe()
    assert (
        described == "≥ 25% improvement from baseline on ATEC total (a reduction; lower is better)"
    )
    assert isinstance(described, Text)
    assert described.params["threshold"] == 0.25
    assert isinstance(UNCONTROLLED, Text)

    observed = Estimate("rate", 0.3, 0.09, 0.45, 0.95, 20, "m", "c")
    verdict, reasons = _rate_verdict(CLAIM_MAJORITY_IMPROVE, observed, None)
    assert verdict.value == "not supported"
    assert (
        reasons[0] == "the whole 95% interval (9%–45%) lies outside the claim (between 60% and 80%)"
    )
    assert reasons[0].params["span"].params == {"low": 0.09, "high": 0.45}
