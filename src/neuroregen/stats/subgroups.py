"""Estimates within subgroups, a heterogeneity test across them, and data for a forest plot.

Subgroups (age band, severity, genetic syndrome, comorbidity, product, dose band, route, lot ...)
are where chance findings live. Every result carries the MULTIPLICITY caveat; subgroups too
small to say anything are flagged, never hidden; the overall estimate is always shown beside
them, and the question asked of the data is "do subgroups differ more than chance allows?"
(one heterogeneity test), not "which subgroup is significant?".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from neuroregen.stats.results import AGE_CONFOUNDING, MULTIPLICITY, SMALL_N, Estimate
from neuroregen.stats.text import template, text

__all__ = [
    "NO_CONTROL_SUBGROUPS",
    "TINY_SUBGROUP",
    "SubgroupResult",
    "overall_estimate",
    "subgroup_analysis",
]

#: A :class:`~neuroregen.stats.text.Text` template; ``min_n`` is filled per analysis.
TINY_SUBGROUP = template(
    "fewer than {min_n} participants in this subgroup: shown, but too small to read"
)
NO_CONTROL_SUBGROUPS = text(
    "without a control group, subgroups differ in natural history and expectations as well as "
    "in response; a difference between subgroups is not a difference in treatment effect"
)
SPARSE_TABLE = text(
    "some subgroups have fewer than 5 expected responders or non-responders: the χ² "
    "approximation of the heterogeneity test is rough"
)


@dataclass(frozen=True)
class SubgroupResult:
    """Per-subgroup estimates, the overall estimate and a heterogeneity test.

    Attributes
    ----------
    variable : str
        The subgrouping variable (e.g. "age band").
    outcome_kind : str
        "continuous" (mean) or "binary" (responder proportion).
    subgroups : tuple of Estimate
        One per level, in the order given (or sorted), tiny ones flagged in ``details["tiny"]``.
    overall : Estimate
    test_name : str
    statistic, df, p_value : float, tuple of float, float
        Heterogeneity statistic (F or G²), its degrees of freedom, p-value.
    min_n : int
        Subgroups below this size are flagged as tiny.
    caveats : tuple of str
    """

    variable: str
    outcome_kind: str
    subgroups: tuple[Estimate, ...]
    overall: Estimate
    test_name: str
    statistic: float
    df: tuple[float, ...]
    p_value: float
    min_n: int
    caveats: tuple[str, ...] = field(default=())

    def forest_table(self) -> pd.DataFrame:
        """Tidy table for a forest plot: label, estimate, low, high, n, tiny, kind.

        One row per subgroup (tiny ones included, flagged), then the overall row.
        """
        rows = [
            {
                "label": e.details["level"],
                "estimate": e.estimate,
                "low": e.ci_low,
                "high": e.ci_high,
                "n": e.n,
                "tiny": bool(e.details["tiny"]),
                "kind": "subgroup",
            }
            for e in self.subgroups
        ]
        rows.append(
            {
                "label": "overall",
                "estimate": self.overall.estimate,
                "low": self.overall.ci_low,
                "high": self.overall.ci_high,
                "n": self.overall.n,
                "tiny": False,
                "kind": "overall",
            }
        )
        return pd.DataFrame(rows)

    def as_text(self) -> str:
        lines = [f"By {self.variable}:"]
        lines += [
            ("  [tiny] " if e.details["tiny"] else "  ") + f"{e.details['level']}: "
            f"{e.estimate:.2f} ({e.interval_text()}), n={e.n}"
            for e in self.subgroups
        ]
        lines.append(
            f"  overall: {self.overall.estimate:.2f} ({self.overall.interval_text()}), "
            f"n={self.overall.n}"
        )
        dfs = ", ".join(f"{d:g}" for d in self.df)
        lines.append(
            f"  heterogeneity: {self.test_name} = {self.statistic:.2f} (df {dfs}), "
            f"p={self.p_value:.3g}"
        )
        lines.append("  Caveats: " + "; ".join(self.caveats) + ".")
        return "\n".join(lines)


@functools.lru_cache(maxsize=1024)
def _t_quantile(p: float, df: int) -> float:
    # a table of many subgroups (one per lot) asks for the same few quantiles again and again
    return float(stats.t.ppf(p, df))


def _mean_estimate(y: np.ndarray, confidence: float) -> tuple[float, float, float, float]:
    n = y.size
    mean = float(y.mean()) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(y.std(ddof=1))
    half = _t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, sd


def _values_by_level(levels: np.ndarray, values: np.ndarray) -> dict[object, np.ndarray]:
    """Each level's values in their order — what ``values[levels == level]`` gives — in one
    pass: a table by lot would otherwise compare hundreds of levels with every row."""
    codes, uniques = pd.factorize(levels)
    order = np.argsort(codes, kind="stable")
    cuts = np.searchsorted(codes[order], np.arange(1, len(uniques)))
    return dict(zip(uniques, np.split(values[order], cuts), strict=True))


def _wilson(events: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval, exact at the edges (0 responders → lower 0, all → upper 1)."""
    lo, hi = proportion_confint(events, n, alpha=1 - confidence, method="wilson")
    lo = 0.0 if events == 0 else float(lo)
    hi = 1.0 if events == n else float(hi)
    return lo, hi


def _g_test(table: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Likelihood-ratio (G²) test of homogeneity for a k×2 table; 0·log 0 = 0."""
    row = table.sum(axis=1, keepdims=True)
    col = table.sum(axis=0, keepdims=True)
    expected = row * col / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(table > 0, table * np.log(table / expected), 0.0)
    g2 = float(2 * terms.sum())
    df = float((table.shape[0] - 1) * (table.shape[1] - 1))
    return g2, df, expected


def _group_estimate(
    y: np.ndarray,
    *,
    kind: str,
    quantity: str,
    method: str,
    comparator: str,
    caveats: Sequence[str],
    confidence: float,
    details: dict[str, object],
) -> Estimate:
    """One group's estimate: a mean with its t interval (details: ``sd``) or a proportion with
    its Wilson interval (details: ``responders``); NaN where the group has no values."""
    n = int(y.size)
    if kind == "continuous":
        est, lo, hi, sd = _mean_estimate(y, confidence)
        stat: dict[str, object] = {"sd": sd}
    else:
        events = int(y.sum())
        est = events / n if n else math.nan
        lo, hi = _wilson(events, n, confidence) if n else (math.nan, math.nan)
        stat = {"responders": events}
    return Estimate(
        quantity=quantity,
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        confidence=confidence,
        n=n,
        method=method,
        comparator=comparator,
        caveats=tuple(dict.fromkeys(caveats)),
        details={**stat, **details},
    )


def _common_caveats(comparator: str, age_related: bool, caveats: Sequence[str]) -> list[str]:
    """Caveats every subgroup row carries (the overall row drops the multiplicity one)."""
    common: list[str] = [MULTIPLICITY]
    if comparator.startswith("own baseline"):
        common.append(NO_CONTROL_SUBGROUPS)
    if age_related:
        common.append(AGE_CONFOUNDING)
    common.extend(caveats)
    return common


def _overall(
    y_all: np.ndarray,
    kind: str,
    what: str,
    comparator: str,
    common_caveats: Sequence[str],
    confidence: float,
    method: str,
    excluded: int,
) -> Estimate:
    overall_caveats = [c for c in common_caveats if c != MULTIPLICITY]
    if y_all.size < 20:
        overall_caveats.append(SMALL_N)
    return _group_estimate(
        y_all,
        kind=kind,
        quantity=text("{what}, all participants", what=what),
        method=method,
        comparator=comparator,
        caveats=overall_caveats,
        confidence=confidence,
        details={"excluded_missing": excluded},
    )


def overall_estimate(
    values: np.ndarray,
    *,
    quantity: str,
    comparator: str = "own baseline (no control group)",
    confidence: float = 0.95,
    caveats: Sequence[str] = (),
) -> Estimate:
    """The ``overall`` estimate ``subgroup_analysis`` gives for a continuous outcome, from an
    array (missing values excluded and counted), without the subgroups.

    For a table of many groups (one per product lot) each needing only its own mean with its
    t interval: the same Estimate, its quantity, caveats and details, as
    ``subgroup_analysis(frame, outcome=..., subgroup=<one level>, quantity=quantity).overall``.

    >>> est = overall_estimate(np.array([-5.0, -3.0, np.nan, -8.0]), quantity="mean change")
    >>> round(est.estimate, 2), est.n, est.details["excluded_missing"]
    (-5.33, 3, 1)
    """
    y = np.asarray(values, dtype=float)
    complete = y[~np.isnan(y)]
    if complete.size < 2:
        raise ValueError(text("need at least two participants with outcome and subgroup"))
    return _overall(
        complete,
        "continuous",
        quantity,
        comparator,
        _common_caveats(comparator, False, caveats),
        confidence,
        "mean with t interval",
        int(y.size - complete.size),
    )


def subgroup_analysis(
    data: pd.DataFrame,
    *,
    outcome: str,
    subgroup: str,
    kind: str = "continuous",
    quantity: str | None = None,
    variable_label: str | None = None,
    order: Sequence[object] | None = None,
    comparator: str = "own baseline (no control group)",
    min_n: int = 5,
    confidence: float = 0.95,
    age_related: bool | None = None,
    caveats: Sequence[str] = (),
) -> SubgroupResult:
    """Estimate an outcome within each level of a subgrouping variable and test heterogeneity.

    Continuous outcomes (e.g. change from baseline): per-level mean with a t interval
    ``ȳ ± t_{n−1} s/√n``; heterogeneity by the one-way ANOVA F-test of
    ``outcome ~ C(subgroup)`` (the OLS F-test of the subgroup terms), df ``(k − 1, N − k)``.

    Binary outcomes (responder 0/1): per-level proportion with Wilson interval; heterogeneity by
    the likelihood-ratio test ``G² = 2 Σ O log(O/E)`` on k − 1 df over the k×2 table, which is
    the likelihood-ratio test of the logistic model ``responder ~ C(subgroup)`` against the
    intercept-only model; unlike the Wald test it stays defined when a subgroup has 0 % or
    100 % responders.

    Parameters
    ----------
    data : DataFrame
        One row per participant.
    outcome : str
        Column with the outcome (numeric change, or 0/1 responder).
    subgroup : str
        Column with the subgroup level.
    kind : {"continuous", "binary"}
    quantity : str, optional
        Words for the estimate ("mean change in ATEC total", "responders (CGI-I ≤ 2)"); for
        binary outcomes state the responder definition.
    variable_label : str, optional
        Words for the subgrouping variable (default: the column name).
    order : sequence, optional
        Order of levels in the output (default: sorted). Levels listed but absent are shown
        with n = 0.
    comparator : str
        What the estimates are relative to.
    min_n : int
        Subgroups with fewer participants are flagged tiny (still shown and still in the test).
    confidence : float
    age_related : bool, optional
        Attach AGE_CONFOUNDING; by default when the variable's name mentions age.
    caveats : sequence of str
        Extra caveats (e.g. SYNTHETIC, CAREGIVER_RATED).

    Returns
    -------
    SubgroupResult

    Assumptions
    -----------
    Independent participants. The F-test assumes normal residuals with equal variances across
    subgroups (robust with balanced groups). This is a test of heterogeneity of the outcome
    between subgroups; in a single-arm series it is not a test of treatment-by-subgroup
    interaction (there is no untreated comparison), and the NO_CONTROL_SUBGROUPS caveat says so
    unless a comparator is named.

    Missing data
    ------------
    Rows with a missing outcome or missing subgroup are excluded and counted in
    ``overall.details["excluded_missing"]``; complete-case analysis assumes they are missing
    completely at random.

    References
    ----------
    Wang R, Lagakos SW, Ware JH, Hunter DJ, Drazen JM. Statistics in medicine — reporting of
    subgroup analyses in clinical trials. N Engl J Med 2007;357:2189–94.
    Sun X, Briel M, Walter SD, Guyatt GH. Is a subgroup effect believable? BMJ 2010;340:c117.
    Agresti A. Categorical Data Analysis, 3rd ed. Wiley 2013, section 3.2 (G²).

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "change": [-5, -3, -8, -1, -4, -2, -6, -7, 0, -3, -9, -2],
    ...     "age_band": ["2-4"] * 6 + ["5-7"] * 4 + ["8-12"] * 2,
    ... })
    >>> res = subgroup_analysis(df, outcome="change", subgroup="age_band",
    ...                         quantity="mean change in ATEC total")
    >>> res.forest_table()[["label", "estimate", "n", "tiny"]]
         label  estimate   n   tiny
    0      2-4     -3.83   6  False
    1      5-7     -4.00   4   True
    2     8-12     -5.50   2   True
    3  overall     -4.17  12  False
    >>> round(res.p_value, 2)
    0.8
    """
    if kind not in ("continuous", "binary"):
        raise ValueError("kind must be 'continuous' or 'binary'")
    for col in (outcome, subgroup):
        if col not in data.columns:
            raise ValueError(f"column {col!r} not in data")
    frame = data[[outcome, subgroup]]
    complete = frame.dropna()
    excluded = int(len(frame) - len(complete))
    y_all = complete[outcome].to_numpy(dtype=float)
    g_all = complete[subgroup].to_numpy(dtype=object)
    if y_all.size < 2:
        raise ValueError(text("need at least two participants with outcome and subgroup"))
    if kind == "binary" and not np.all(np.isin(y_all, (0.0, 1.0))):
        raise ValueError("a binary outcome must be coded 0/1")
    of_level = _values_by_level(g_all, y_all)
    no_values = y_all[:0]
    levels: list[object] = (
        list(order) if order is not None else sorted(pd.unique(complete[subgroup]), key=str)
    )
    present = set(pd.unique(complete[subgroup]))
    missing_from_order = present - set(levels)
    if missing_from_order:
        raise ValueError(f"levels not in order: {sorted(map(str, missing_from_order))}")

    label = variable_label or subgroup
    what = quantity or (f"mean {outcome}" if kind == "continuous" else f"proportion {outcome}")
    if age_related is None:
        age_related = "age" in f"{subgroup} {label}".lower()
    common_caveats = _common_caveats(comparator, age_related, caveats)
    tiny_text = text(TINY_SUBGROUP, min_n=min_n)
    method_sub = (
        "mean with t interval" if kind == "continuous" else "proportion with Wilson interval"
    )

    estimates: list[Estimate] = []
    for lev in levels:
        y = of_level.get(lev, no_values)
        tiny = y.size < min_n
        estimates.append(
            _group_estimate(
                y,
                kind=kind,
                quantity=text("{what}, {label} = {lev}", what=what, label=label, lev=lev),
                method=method_sub,
                comparator=comparator,
                caveats=[*common_caveats, tiny_text] if tiny else common_caveats,
                confidence=confidence,
                details={"level": str(lev), "tiny": tiny, "variable": label},
            )
        )

    n_all = int(y_all.size)
    overall = _overall(
        y_all, kind, what, comparator, common_caveats, confidence, method_sub, excluded
    )

    # heterogeneity across non-empty levels
    used = [lev for lev in levels if lev in of_level]
    k = len(used)
    result_caveats = list(common_caveats)
    if any(e.details["tiny"] for e in estimates):
        result_caveats.append(
            text(
                "at least one subgroup has fewer than {min_n} participants (flagged in the table)",
                min_n=min_n,
            )
        )
    dfs: tuple[float, ...] = (math.nan,)
    statistic, p = math.nan, math.nan
    if k < 2:
        test_name = text("no test (one subgroup)")
    elif kind == "continuous":
        groups = [of_level[lev] for lev in used]
        df_between, df_within = k - 1, n_all - k
        if df_within < 1:
            test_name = text("no test (no residual df)")
        else:
            grand = y_all.mean()
            ss_between = sum(g.size * (g.mean() - grand) ** 2 for g in groups)
            ss_within = sum(((g - g.mean()) ** 2).sum() for g in groups)
            if ss_within == 0:
                statistic = math.inf if ss_between > 0 else math.nan
                p = 0.0 if ss_between > 0 else math.nan
            else:
                statistic = float((ss_between / df_between) / (ss_within / df_within))
                p = float(stats.f.sf(statistic, df_between, df_within))
            test_name = text("F (one-way ANOVA: outcome ~ C(subgroup))")
            dfs = (float(df_between), float(df_within))
    else:
        table = np.array(
            [[np.sum(of_level[lev] == 1), np.sum(of_level[lev] == 0)] for lev in used],
            dtype=float,
        )
        if np.any(table.sum(axis=0) == 0):
            test_name = text("no test (all or no participants responded)")
        else:
            statistic, df_g, expected = _g_test(table)
            p = float(stats.chi2.sf(statistic, df_g))
            dfs = (df_g,)
            test_name = text("G² (likelihood ratio, logistic responder ~ C(subgroup))")
            if np.any(expected < 5):
                result_caveats.append(SPARSE_TABLE)

    return SubgroupResult(
        variable=label,
        outcome_kind=kind,
        subgroups=tuple(estimates),
        overall=overall,
        test_name=test_name,
        statistic=float(statistic),
        df=tuple(dfs),
        p_value=float(p),
        min_n=min_n,
        caveats=tuple(dict.fromkeys(result_caveats)),
    )
