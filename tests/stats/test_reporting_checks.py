"""Percentage/denominator reconciliation and the GRIM test.

Sources of reference values
---------------------------
* GRIM: Brown NJL, Heathers JAJ. Soc Psychol Personal Sci 2017;8(4):363–369, as summarised
  in the Wikipedia article "GRIM test": a die rolled 20 times cannot average 3.48 (any k/20
  printed to two decimals ends in 0 or 5); a mean of 1.125 may be printed as 1.12 or 1.13
  depending on the rounding rule.
* scrutiny (R package) GRIM vignette, worked example: a mean of 5.27 with n = 43 is
  GRIM-inconsistent.
* Hennigan B et al. Heart (BMJ), abstract: "104 patients … 79 (76%) males … Of 98 patients
  with stress perfusion MRI data, 17 (17%) had abnormal perfusion".
* Harstad E et al. JAMA Pediatr 2023: 79 of 213 children no longer met ASD criteria
  (checked here as the one-decimal percentage 37.1 %).
* Everything else is checked against a brute-force enumeration over k = 0..n written here
  with decimal.Decimal quantize (an implementation independent of the module's Fractions).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroregen.stats.reporting_checks import (
    CAVEAT_CAUSE_UNKNOWN,
    CAVEAT_NO_POWER,
    Rounding,
    TableVerdict,
    check_mean,
    check_percentage,
    check_percentage_table,
    denominators_for_percentage,
    parse_reported,
)

_DECIMAL_MODE = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.TRUNCATE: ROUND_DOWN,
}


def _brute_force(reported: str, n: int, scale: int = 100) -> dict[Rounding, tuple[int, ...]]:
    """Every k in 0..n whose k/n × scale, quantized by decimal, prints as *reported*."""
    figure = parse_reported(reported)
    quantum = Decimal(1).scaleb(-figure.decimals)
    target = Decimal(figure.value.numerator) / Decimal(figure.value.denominator)
    out = {}
    with localcontext() as ctx:
        ctx.prec = 60
        for rule, mode in _DECIMAL_MODE.items():
            out[rule] = tuple(
                k
                for k in range(n + 1)
                if (Decimal(k * scale) / Decimal(n)).quantize(quantum, rounding=mode)
                == target.quantize(quantum)
            )
    return out


class TestParse:
    @pytest.mark.parametrize(
        ("text", "value", "decimals"),
        [
            ("33.3 %", Fraction(333, 10), 1),
            ("60%", Fraction(60), 0),
            ("60.0 %", Fraction(60), 1),
            ("33,3\u00a0%", Fraction(333, 10), 1),
            ("5.19", Fraction(519, 100), 2),
            ("−0.25", Fraction(-1, 4), 2),
        ],
    )
    def test_keeps_value_and_printed_decimals(self, text, value, decimals):
        figure = parse_reported(text)
        assert figure.value == value
        assert figure.decimals == decimals

    @pytest.mark.parametrize("text", ["", "abc", "33.3.3", "12 % 5", "%"])
    def test_rejects_what_is_not_one_number(self, text):
        with pytest.raises(ValueError, match="not a reported figure"):
            parse_reported(text)


class TestPercentagePublished:
    def test_hennigan_76_percent_of_104_males(self):
        check = check_percentage("76%", 104)
        assert 79 in check.matches[Rounding.HALF_UP]
        assert 79 in check.matches[Rounding.HALF_EVEN]
        # 79/104 = 75.96 %: truncation prints 75 %, so only 80/104 = 76.92 % fits there
        assert check.matches[Rounding.TRUNCATE] == (80,)

    def test_hennigan_17_percent_of_98(self):
        check = check_percentage("17%", 98)
        assert all(17 in check.matches[rule] for rule in Rounding)

    def test_harstad_37_1_percent_of_213(self):
        assert check_percentage("37.1 %", 213).matches[Rounding.HALF_UP] == (79,)

    def test_issue_observation_33_percent_of_12(self):
        # the evidence page printed "33 %" with n = 12: 4/12 = 33.3 %
        assert check_percentage("33 %", 12).counts == (4,)


class TestPercentageRules:
    def test_exact_half_is_decided_by_the_rule(self):
        # 1/8 = 12.5 % exactly: half up → 13 %, half even and truncation → 12 %
        twelve, thirteen = check_percentage("12 %", 8), check_percentage("13 %", 8)
        assert twelve.matches == {
            Rounding.HALF_UP: (),
            Rounding.HALF_EVEN: (1,),
            Rounding.TRUNCATE: (1,),
        }
        assert thirteen.rules == (Rounding.HALF_UP,)

    def test_no_whole_count_of_ten_gives_33_3_percent(self):
        check = check_percentage("33.3 %", 10)
        assert not check.consistent
        assert check.counts == ()
        assert CAVEAT_CAUSE_UNKNOWN in check.caveats
        assert [k for k, _ in check.nearest()] == [3, 4]

    def test_large_denominator_has_no_power(self):
        check = check_percentage("41 %", 250)
        assert check.consistent
        assert CAVEAT_NO_POWER in check.caveats
        assert CAVEAT_NO_POWER not in check_percentage("41 %", 99).caveats

    def test_rejects_empty_denominator(self):
        with pytest.raises(ValueError, match="at least 1"):
            check_percentage("50 %", 0)

    def test_above_100_percent_is_never_reproduced(self):
        assert not check_percentage("104 %", 25).consistent

    @settings(max_examples=300, deadline=None)
    @given(
        n=st.integers(1, 400),
        whole=st.integers(0, 100),
        frac=st.integers(0, 99),
        decimals=st.sampled_from([0, 1, 2]),
    )
    def test_matches_brute_force(self, n, whole, frac, decimals):
        text = f"{whole}.{frac:02d}"[: len(str(whole)) + 1 + decimals] if decimals else f"{whole}"
        assert dict(check_percentage(text + " %", n).matches) == _brute_force(text, n)

    @settings(max_examples=200, deadline=None)
    @given(n=st.integers(1, 300), data=st.data())
    def test_every_true_count_reproduces_its_own_print(self, n, data):
        k = data.draw(st.integers(0, n))
        for rule in Rounding:
            printed = rule.apply(Fraction(100 * k, n), 1)
            text = f"{float(printed):.1f} %"
            assert k in check_percentage(text, n).matches[rule]


class TestDenominators:
    def test_33_3_percent_needs_a_multiple_of_three_up_to_ten(self):
        search = denominators_for_percentage("33.3 %", 1, 10)
        assert search.any_rule == (3, 6, 9)
        assert search.smallest == 3

    def test_matches_per_n_checks(self):
        search = denominators_for_percentage("62 %", 1, 60)
        for rule in Rounding:
            expected = tuple(n for n in range(1, 61) if check_percentage("62 %", n).matches[rule])
            assert search.admitted[rule] == expected

    def test_refuses_a_reversed_or_huge_range(self):
        with pytest.raises(ValueError, match="n_min"):
            denominators_for_percentage("50 %", 10, 5)
        with pytest.raises(ValueError, match="at most"):
            denominators_for_percentage("50 %", 1, 10_000_000)


class TestTable:
    def test_one_rule_reproduces_all(self):
        table = check_percentage_table([("76%", 104), ("17%", 98)], ["male", "abnormal"])
        assert table.verdict is TableVerdict.ONE_RULE
        assert Rounding.HALF_UP in table.common_rules

    def test_paper_that_needs_two_rules_is_flagged(self):
        # 1/8 = 12.5 % printed 12 % (half even or truncation) beside 5/8 = 62.5 % printed 63 %
        # (half up only): each figure is possible, no single rule gives both
        table = check_percentage_table([("12 %", 8), ("63 %", 8)])
        assert table.verdict is TableVerdict.MIXED_RULES
        assert table.common_rules == ()
        assert table.inconsistent_rows == ()

    def test_impossible_row_is_named(self):
        table = check_percentage_table([("17%", 98), ("33.3 %", 10)], ["a", "b"])
        assert table.verdict is TableVerdict.INCONSISTENT
        assert table.inconsistent_rows == (1,)

    def test_needs_rows_and_matching_labels(self):
        with pytest.raises(ValueError, match="no percentages"):
            check_percentage_table([])
        with pytest.raises(ValueError, match="one label per row"):
            check_percentage_table([("17%", 98)], ["a", "b"])


class TestGrim:
    def test_die_rolled_20_times_cannot_average_3_48(self):
        check = check_mean("3.48", 20)
        assert not check.consistent
        assert check_mean("3.45", 20).consistent

    def test_scrutiny_vignette_5_27_with_43(self):
        # 226/43 = 5.256 and 227/43 = 5.279: inconsistent under rounding (scrutiny's default),
        # though truncating 5.279 would print 5.27
        check = check_mean("5.27", 43)
        assert check.sums[Rounding.HALF_UP] == ()
        assert check.sums[Rounding.HALF_EVEN] == ()
        assert check.sums[Rounding.TRUNCATE] == (227,)

    def test_1_125_prints_as_1_12_or_1_13_by_rule(self):
        # 9/8 = 1.125 exactly
        assert check_mean("1.12", 8).sums[Rounding.HALF_EVEN] == (9,)
        assert check_mean("1.12", 8).sums[Rounding.HALF_UP] == ()
        assert check_mean("1.13", 8).sums[Rounding.HALF_UP] == (9,)

    def test_items_multiply_the_granularity(self):
        # 28 participants × 3 items: the mean moves in steps of 1/84
        assert not check_mean("5.19", 28).consistent
        assert check_mean("5.19", 28, items=3).consistent

    def test_negative_means_of_change_scores(self):
        # −7/20 = −0.35
        assert check_mean("−0.35", 20).sums[Rounding.HALF_UP] == (-7,)
        assert not check_mean("-0.33", 20).consistent

    def test_large_n_has_no_power(self):
        assert CAVEAT_NO_POWER in check_mean("2.37", 120).caveats

    @settings(max_examples=200, deadline=None)
    @given(n=st.integers(1, 99), whole=st.integers(0, 9), cents=st.integers(0, 99))
    def test_matches_brute_force(self, n, whole, cents):
        text = f"{whole}.{cents:02d}"
        quantum = Decimal("0.01")
        for rule, mode in _DECIMAL_MODE.items():
            expected = tuple(
                s
                for s in range(0, 10 * n + 1)
                if (Decimal(s) / Decimal(n)).quantize(quantum, rounding=mode) == Decimal(text)
            )
            assert check_mean(text, n).sums[rule] == expected
