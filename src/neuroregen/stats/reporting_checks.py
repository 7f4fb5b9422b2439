"""Can a reported percentage or mean arise from whole counts? (GRIM-type granularity checks).

A percentage of *n* children is k/n for some whole k; printed with *d* decimals it can take
only a few values. Given the printed figure and n, :func:`check_percentage` lists every k that
reproduces it under each common rounding rule; :func:`denominators_for_percentage` does the same
when n is unknown, listing the n in a range that admit any k; :func:`check_percentage_table`
flags a paper whose percentages need *different* rounding rules to be reproduced (or none can).
:func:`check_mean` is the GRIM test of Brown & Heathers for means of integer items.

Formula
-------
For a true value x = k/n (×100 for a percentage) and a figure printed with d decimals, the
figure is reproduced under rule R when R(x · 10^d) / 10^d equals it, with

* round half up — halves go away from zero (the school rule; ``ROUND_HALF_UP``);
* round half to even — halves go to the even neighbour (IEEE 754 default, R, NumPy);
* truncation — the digits after the d-th are dropped.

Arithmetic is exact (:class:`fractions.Fraction`), so ties such as 1/8 = 12.5 % are decided by
the rule and never by binary floating point.

Assumptions
-----------
The figure was computed from the stated n and whole counts (no weighting, no imputation, no
missing answers dropped from the denominator). A figure that no k reproduces is an
*inconsistency* whose cause is unknown — a typo, a different denominator, or an error.

References
----------
Brown NJL, Heathers JAJ. The GRIM test: a simple technique detects numerous anomalies in the
reporting of results in psychology. Soc Psychol Personal Sci 2017;8(4):363–369.

Examples
--------
>>> check_percentage("33.3 %", 10).consistent
False
>>> check_percentage("33.3 %", 9).matches[Rounding.HALF_UP]
(3,)
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

__all__ = [
    "MAX_DENOMINATOR_RANGE",
    "DenominatorSearch",
    "MeanCheck",
    "PercentageCheck",
    "PercentageTableCheck",
    "ReportedFigure",
    "Rounding",
    "TableVerdict",
    "check_mean",
    "check_percentage",
    "check_percentage_table",
    "denominators_for_percentage",
    "parse_reported",
]

#: Widest range of candidate denominators searched at once (keeps a page request bounded).
MAX_DENOMINATOR_RANGE = 100_000

METHOD_PERCENT = (
    "exact enumeration of whole counts k of n (k/n × 100) under round half up, round half to "
    "even and truncation (GRIM-type granularity check, Brown & Heathers 2017)"
)
METHOD_MEAN = (
    "GRIM test (Brown & Heathers 2017): exact enumeration of integer sums of n × items "
    "responses under round half up, round half to even and truncation"
)
CAVEAT_CAUSE_UNKNOWN = (
    "an inconsistency shows that the figure cannot come from whole counts of the stated n; "
    "its cause (typo, other denominator, missing data, error) is unknown"
)
CAVEAT_NO_POWER = (
    "the denominator is so large that every figure with this many decimals is possible: "
    "the check cannot detect anything here"
)


class Rounding(enum.Enum):
    """How a true value was turned into the printed figure."""

    HALF_UP = "round half up"
    HALF_EVEN = "round half to even"
    TRUNCATE = "truncation"

    def apply(self, value: Fraction, decimals: int) -> Fraction:
        """Round *value* to *decimals* places under this rule, exactly."""
        scale = 10**decimals
        scaled = value * scale
        sign = -1 if scaled < 0 else 1
        magnitude = abs(scaled)
        if self is Rounding.HALF_UP:
            whole = math.floor(magnitude + Fraction(1, 2))
        elif self is Rounding.HALF_EVEN:
            whole = round(magnitude)  # Fraction.__round__ sends halves to the even neighbour
        else:
            whole = math.floor(magnitude)
        return Fraction(sign * whole, scale)


RULES: tuple[Rounding, ...] = tuple(Rounding)

_FIGURE = re.compile(r"^\s*([-+−]?)\s*(\d+)(?:[.,·](\d*))?\s*(%?)\s*$")


@dataclass(frozen=True)
class ReportedFigure:
    """A number as printed in a paper: its exact value and how many decimals it shows.

    Trailing zeros matter ("60.0 %" claims more precision than "60 %"), so figures are parsed
    from text, never from floats.
    """

    text: str
    value: Fraction
    decimals: int
    percent: bool

    def __str__(self) -> str:
        return self.text


def parse_reported(text: str | ReportedFigure) -> ReportedFigure:
    """Parse "33.3 %", "60%", "33,3 %" (decimal comma) or "5.19" into a :class:`ReportedFigure`.

    Raises
    ------
    ValueError
        When the text is not one number with an optional decimal part and percent sign.
    """
    if isinstance(text, ReportedFigure):
        return text
    cleaned = str(text).replace("\u00a0", " ").replace("\u202f", " ")
    match = _FIGURE.match(cleaned)
    if match is None:
        raise ValueError(f"not a reported figure: {text!r}")
    sign, whole, frac, percent = match.groups()
    frac = frac or ""
    try:
        value = Decimal(f"{'-' if sign in ('-', '−') else ''}{whole}.{frac or '0'}")
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"not a reported figure: {text!r}") from exc
    return ReportedFigure(
        text=cleaned.strip(), value=Fraction(value), decimals=len(frac), percent=bool(percent)
    )


def _counts_matching(
    figure: ReportedFigure, n: int, scale: int, rule: Rounding, lowest: int, highest: int
) -> tuple[int, ...]:
    """Whole k in [lowest, highest] with rule(k/n × scale) equal to the figure."""
    # Any k that matches lies within one unit of the last printed digit of the figure, so
    # only a small window of k needs testing (exact, however large n is).
    unit = Fraction(1, 10**figure.decimals)
    lo = math.floor((figure.value - unit) * n / scale) - 1
    hi = math.ceil((figure.value + unit) * n / scale) + 1
    lo, hi = max(lo, lowest), min(hi, highest)
    return tuple(
        k
        for k in range(lo, hi + 1)
        if rule.apply(Fraction(k * scale, n), figure.decimals) == figure.value
    )


@dataclass(frozen=True)
class PercentageCheck:
    """Which whole counts k of n reproduce a reported percentage, per rounding rule.

    Attributes
    ----------
    reported : ReportedFigure
        The figure as printed.
    n : int
        The denominator.
    matches : mapping of Rounding to tuple of int
        Every k in 0..n reproducing the figure under each rule (empty when none does).
    method, caveats : str, tuple of str
        How it was checked and what limits the reading.
    """

    reported: ReportedFigure
    n: int
    matches: Mapping[Rounding, tuple[int, ...]]
    method: str = METHOD_PERCENT
    caveats: tuple[str, ...] = ()

    @property
    def consistent(self) -> bool:
        """True when at least one rule reproduces the figure with some k."""
        return any(self.matches.values())

    @property
    def rules(self) -> tuple[Rounding, ...]:
        """The rules under which some k reproduces the figure."""
        return tuple(rule for rule in RULES if self.matches[rule])

    @property
    def counts(self) -> tuple[int, ...]:
        """Every k that reproduces the figure under any rule, ascending."""
        return tuple(sorted({k for ks in self.matches.values() for k in ks}))

    def nearest(self) -> tuple[tuple[int, Fraction], ...]:
        """The counts just below and above the figure, with their exact percentages."""
        target = self.reported.value * self.n / 100
        below = max(0, min(self.n, math.floor(target)))
        above = max(0, min(self.n, math.ceil(target)))
        ks = sorted({below, above})
        return tuple((k, Fraction(100 * k, self.n)) for k in ks)

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"reported": self.reported.text, "n": self.n}
        for rule in RULES:
            row[rule.value] = ", ".join(map(str, self.matches[rule]))
        row["consistent"] = self.consistent
        row["method"] = self.method
        row["caveats"] = "; ".join(self.caveats)
        return row

    def as_text(self) -> str:
        parts = []
        for rule in RULES:
            ks = self.matches[rule]
            parts.append(f"{rule.value}: " + (", ".join(f"{k}/{self.n}" for k in ks) or "none"))
        verdict = "consistent" if self.consistent else "INCONSISTENT"
        return f"{self.reported.text} of n={self.n}: {verdict} ({'; '.join(parts)})"


def check_percentage(reported: str | ReportedFigure, n: int) -> PercentageCheck:
    """List every whole count k of *n* that reproduces *reported* under each rounding rule.

    Parameters
    ----------
    reported : str or ReportedFigure
        The percentage as printed ("33.3 %", "60%"); its decimals set the precision.
    n : int
        The denominator (children analysed), at least 1.

    Returns
    -------
    PercentageCheck

    Examples
    --------
    >>> check_percentage("12 %", 8).matches[Rounding.HALF_EVEN]   # 1/8 = 12.5 %
    (1,)
    >>> check_percentage("12 %", 8).matches[Rounding.HALF_UP]
    ()
    """
    figure = parse_reported(reported)
    if n < 1:
        raise ValueError(f"the denominator must be at least 1, got {n}")
    matches = {rule: _counts_matching(figure, n, 100, rule, 0, n) for rule in RULES}
    caveats: list[str] = []
    if not any(matches.values()):
        caveats.append(CAVEAT_CAUSE_UNKNOWN)
    if n * 10 ** (-figure.decimals) >= 100:  # granularity 100/n no coarser than the print
        caveats.append(CAVEAT_NO_POWER)
    return PercentageCheck(figure, n, matches, caveats=tuple(caveats))


@dataclass(frozen=True)
class DenominatorSearch:
    """Which denominators in a range admit a whole count reproducing a percentage.

    Attributes
    ----------
    reported : ReportedFigure
    n_min, n_max : int
        The range searched (inclusive).
    admitted : mapping of Rounding to tuple of int
        The n in the range for which some k reproduces the figure, per rule.
    """

    reported: ReportedFigure
    n_min: int
    n_max: int
    admitted: Mapping[Rounding, tuple[int, ...]]
    method: str = METHOD_PERCENT
    caveats: tuple[str, ...] = ()

    @property
    def any_rule(self) -> tuple[int, ...]:
        """Denominators admitted under at least one rule, ascending."""
        return tuple(sorted({n for ns in self.admitted.values() for n in ns}))

    @property
    def smallest(self) -> int | None:
        """The smallest admitted denominator (None when no n in the range fits)."""
        found = self.any_rule
        return found[0] if found else None


def denominators_for_percentage(
    reported: str | ReportedFigure, n_min: int, n_max: int
) -> DenominatorSearch:
    """When n is not reported: which n in [n_min, n_max] admit any k reproducing the figure.

    Examples
    --------
    >>> denominators_for_percentage("33.3 %", 1, 10).any_rule
    (3, 6, 9)
    """
    figure = parse_reported(reported)
    if n_min < 1 or n_max < n_min:
        raise ValueError(f"need 1 ≤ n_min ≤ n_max, got {n_min}..{n_max}")
    if n_max - n_min + 1 > MAX_DENOMINATOR_RANGE:
        raise ValueError(f"the range of denominators may span at most {MAX_DENOMINATOR_RANGE}")
    admitted = {
        rule: tuple(
            n for n in range(n_min, n_max + 1) if _counts_matching(figure, n, 100, rule, 0, n)
        )
        for rule in RULES
    }
    caveats = () if any(admitted.values()) else (CAVEAT_CAUSE_UNKNOWN,)
    return DenominatorSearch(figure, n_min, n_max, admitted, caveats=caveats)


class TableVerdict(enum.Enum):
    """What a table of percentages says about the rounding behind it."""

    ONE_RULE = "one rounding rule reproduces every figure"
    MIXED_RULES = "the figures need different rounding rules"
    INCONSISTENT = "some figures cannot be reproduced under any rounding rule"


@dataclass(frozen=True)
class PercentageTableCheck:
    """Every percentage of a paper checked together.

    Attributes
    ----------
    rows : tuple of PercentageCheck
        One check per (percentage, n).
    labels : tuple of str
        What each row is (as entered), aligned with *rows*.
    common_rules : tuple of Rounding
        The rules that reproduce every row (empty when none does).
    verdict : TableVerdict
    """

    rows: tuple[PercentageCheck, ...]
    labels: tuple[str, ...]
    common_rules: tuple[Rounding, ...]
    verdict: TableVerdict
    method: str = METHOD_PERCENT
    caveats: tuple[str, ...] = field(default_factory=tuple)

    @property
    def inconsistent_rows(self) -> tuple[int, ...]:
        """Indexes of rows that no rule reproduces."""
        return tuple(i for i, row in enumerate(self.rows) if not row.consistent)


def check_percentage_table(
    rows: Sequence[tuple[str | ReportedFigure, int]], labels: Sequence[str] | None = None
) -> PercentageTableCheck:
    """Check several (percentage, n) pairs and say whether one rounding rule explains them all.

    A paper applies one rounding convention throughout; when every figure can be reproduced
    but only by switching rules between figures (say 12 % for 1/8 and 63 % for 5/8), the
    figures were not all computed the same way (or some were altered), and this is flagged
    as :attr:`TableVerdict.MIXED_RULES`.

    Examples
    --------
    >>> check_percentage_table([("12 %", 8), ("63 %", 8)]).verdict.name
    'MIXED_RULES'
    """
    if not rows:
        raise ValueError("no percentages to check")
    checks = tuple(check_percentage(reported, n) for reported, n in rows)
    names = tuple(labels) if labels is not None else tuple(str(i + 1) for i in range(len(rows)))
    if len(names) != len(checks):
        raise ValueError("one label per row is needed")
    common = tuple(rule for rule in RULES if all(c.matches[rule] for c in checks))
    if any(not c.consistent for c in checks):
        verdict = TableVerdict.INCONSISTENT
    elif common:
        verdict = TableVerdict.ONE_RULE
    else:
        verdict = TableVerdict.MIXED_RULES
    caveats = (CAVEAT_CAUSE_UNKNOWN,) if verdict is not TableVerdict.ONE_RULE else ()
    return PercentageTableCheck(checks, names, common, verdict, caveats=caveats)


@dataclass(frozen=True)
class MeanCheck:
    """GRIM test of one reported mean of integer responses.

    Attributes
    ----------
    reported : ReportedFigure
    n : int
        Participants.
    items : int
        Integer items averaged per participant (1 for a single integer score).
    sums : mapping of Rounding to tuple of int
        Every total of the n × items integer responses whose mean reproduces the figure.
    """

    reported: ReportedFigure
    n: int
    items: int
    sums: Mapping[Rounding, tuple[int, ...]]
    method: str = METHOD_MEAN
    caveats: tuple[str, ...] = ()

    @property
    def consistent(self) -> bool:
        return any(self.sums.values())

    @property
    def rules(self) -> tuple[Rounding, ...]:
        return tuple(rule for rule in RULES if self.sums[rule])


def check_mean(reported: str | ReportedFigure, n: int, items: int = 1) -> MeanCheck:
    """GRIM: can a mean of *n* participants' integer scores (over *items* items) print so?

    The mean is S / (n · items) for a whole total S; the figure is consistent when some S
    rounds to it. With n · items ≥ 10^decimals every figure is possible and the check is void.

    Examples
    --------
    >>> check_mean("3.48", 20).consistent   # a die rolled 20 times cannot average 3.48
    False
    >>> check_mean("5.19", 28).consistent
    False
    """
    figure = parse_reported(reported)
    if n < 1 or items < 1:
        raise ValueError(f"n and items must be at least 1, got n={n}, items={items}")
    count = n * items
    sums = {rule: _counts_matching(figure, count, 1, rule, -(10**18), 10**18) for rule in RULES}
    caveats: list[str] = []
    if not any(sums.values()):
        caveats.append(CAVEAT_CAUSE_UNKNOWN)
    if count >= 10**figure.decimals:
        caveats.append(CAVEAT_NO_POWER)
    return MeanCheck(figure, n, items, sums, caveats=tuple(caveats))
