"""External benchmarks: what a published comparator is, and the catalogue of those we use."""

from __future__ import annotations

import enum
import html
import math
from dataclasses import dataclass
from typing import Any

from neuroregen.stats._common import wilson_interval, z_quantile
from neuroregen.stats.results import Direction, _fmt
from neuroregen.stats.text import template, text

__all__ = [
    "ALL_BENCHMARKS",
    "NATURAL_HISTORY_ATEC_AGE",
    "NATURAL_HISTORY_NONPERSISTENT_ASD",
    "NATURAL_HISTORY_VINELAND_CHANGE",
    "OXYTOCIN_ABC_SW_CHANGE_DRUG",
    "OXYTOCIN_ABC_SW_CHANGE_PLACEBO",
    "PLACEBO_CGI_I_RESPONDERS",
    "PLACEBO_SMC_CORE",
    "PLACEBO_SMC_REPETITIVE",
    "PLACEBO_SMC_SOCIAL_COMMUNICATION",
    "REHAB_CARS_MEAN_DIFFERENCE",
    "REHAB_CGI_EFFECTIVE_RATE_CONTROL",
    "REHAB_CGI_EFFECTIVE_RATE_STEM_CELL",
    "REHAB_CGI_EFFECTIVE_RR",
    "UCB_ACCESS_NULL",
    "Benchmark",
    "BenchmarkKind",
]


class BenchmarkKind(enum.Enum):
    """What sort of number a benchmark is."""

    PROPORTION = "proportion"
    STANDARDIZED_MEAN_CHANGE = "standardized mean change"
    MEAN_CHANGE = "mean change"
    MEAN_DIFFERENCE = "mean difference between arms"
    RATIO = "ratio between arms"
    QUALITATIVE = "qualitative finding"


@dataclass(frozen=True)
class Benchmark:
    """A published reference figure with its provenance.

    Attributes
    ----------
    key : str
        Stable identifier.
    description : str
        What the number is, in words.
    value : float
        Point value (NaN for a qualitative finding).
    ci_low, ci_high : float
        Published interval (NaN when the source gives none).
    kind : BenchmarkKind
        Kind of number.
    unit : str
        Unit or scale.
    instrument : str
        Outcome instrument.
    direction : Direction or None
        Direction of the scale the value is expressed on (None for proportions/ratios).
    population : str
        Who the number describes.
    citation : str
        Full reference.
    note : str
        Limits on transfer to our programme.
    confidence : float
        Level of the published interval.
    responder_definition : str or None
        For responder proportions, the definition used by the source (a rate is compared
        with it only when ours is the same, :mod:`neuroregen.stats.benchmark_match`).
    rater : str or None
        Who rated the outcome in the source ("clinician", "caregiver"), when known.
    """

    key: str
    description: str
    value: float
    ci_low: float
    ci_high: float
    kind: BenchmarkKind
    unit: str
    instrument: str
    direction: Direction | None
    population: str
    citation: str
    note: str
    confidence: float = 0.95
    responder_definition: str | None = None
    rater: str | None = None

    @property
    def has_interval(self) -> bool:
        """True when the source published an interval."""
        return not (math.isnan(self.ci_low) or math.isnan(self.ci_high))

    def half_widths(self, confidence: float) -> tuple[float, float]:
        """Lower and upper half-widths, rescaled to ``confidence`` by the normal quantile ratio.

        (0, 0) when no interval was published.
        """
        if not self.has_interval:
            return 0.0, 0.0
        k = z_quantile(confidence) / z_quantile(self.confidence)
        return k * (self.value - self.ci_low), k * (self.ci_high - self.value)

    def as_row(self) -> dict[str, Any]:
        """A flat dict for tables."""
        return {
            "key": self.key,
            "description": self.description,
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "kind": self.kind.value,
            "unit": self.unit,
            "instrument": self.instrument,
            "population": self.population,
            "responder_definition": self.responder_definition,
            "rater": self.rater,
            "citation": self.citation,
            "note": self.note,
        }

    def as_text(self) -> str:
        """One line with value, interval (or its absence) and citation."""
        if self.kind is BenchmarkKind.QUALITATIVE:
            figure = "qualitative"
        else:
            interval = (
                f"{round(self.confidence * 100)}% CI {_fmt(self.ci_low)} to {_fmt(self.ci_high)}"
                if self.has_interval
                else "no interval published"
            )
            figure = f"{_fmt(self.value)} {self.unit} ({interval})"
        return (
            f"{self.description}: {figure}. Population: {self.population}. "
            f"Source: {self.citation}. Note: {self.note}."
        )

    def as_html(self) -> str:
        """Escaped HTML of :meth:`as_text`."""
        return f'<div class="nr-benchmark">{html.escape(self.as_text())}</div>'


_NAN = math.nan


_SIAFIS = (
    "Siafis S, Çıray O, Schneider-Thoma J, et al. Placebo response in pharmacological and "
    "dietary supplement trials of autism spectrum disorder (ASD): systematic review and "
    "meta-regression analysis. Mol Autism 2020;11:66. doi:10.1186/s13229-020-00372-z"
)


_SIAFIS_POP = text(
    "placebo arms of 86 randomised trials of drugs and dietary supplements in ASD "
    "(2360 participants on placebo, 87% children/adolescents; mostly 8–12 weeks)"
)


_SIAFIS_NOTE = text(
    "placebo response was larger with caregiver than clinician ratings; a cell-therapy "
    "programme rated by informed caregivers should expect at least this much"
)


_QU = (
    "Qu J, Liu Z, Li L, et al. Efficacy and safety of stem cell therapy in children with "
    "autism spectrum disorders: a systematic review and meta-analysis. Front Pediatr "
    "2022;10:897398. doi:10.3389/fped.2022.897398"
)


_QU_POP = text("5 controlled studies of stem cells plus rehabilitation vs rehabilitation alone")


_SIKICH = (
    "Sikich L, Kolevzon A, King BH, et al. Intranasal oxytocin in children and adolescents "
    "with autism spectrum disorder. N Engl J Med 2021;385:1462–1473"
)


_HARSTAD = (
    "Harstad E, Hanson E, Brewster SJ, et al. Persistence of autism spectrum disorder from "
    "early childhood through school age. JAMA Pediatr 2023;177:1197–1205"
)


PLACEBO_CGI_I_RESPONDERS = Benchmark(
    key="placebo_cgi_i_responders",
    description=text("placebo responders (at least much improved on CGI-I)"),
    value=0.19,
    ci_low=0.16,
    ci_high=0.22,
    kind=BenchmarkKind.PROPORTION,
    unit=text("proportion"),
    instrument="CGI-I",
    direction=None,
    population=_SIAFIS_POP,
    citation=_SIAFIS,
    note=_SIAFIS_NOTE,
    responder_definition=template("CGI-I ≤ 2 (much or very much improved)"),
    rater="clinician",
)


PLACEBO_SMC_CORE = Benchmark(
    key="placebo_smc_core",
    description=text("placebo standardized mean change, overall core symptoms"),
    value=-0.36,
    ci_low=-0.46,
    ci_high=-0.26,
    kind=BenchmarkKind.STANDARDIZED_MEAN_CHANGE,
    unit=text("SD units (negative = fewer symptoms)"),
    instrument="scales of overall core symptoms",
    direction=Direction.HIGHER_IS_WORSE,
    population=_SIAFIS_POP,
    citation=_SIAFIS,
    note=_SIAFIS_NOTE,
)


PLACEBO_SMC_SOCIAL_COMMUNICATION = Benchmark(
    key="placebo_smc_social_communication",
    description=text("placebo standardized mean change, social-communication difficulties"),
    value=-0.32,
    ci_low=-0.39,
    ci_high=-0.25,
    kind=BenchmarkKind.STANDARDIZED_MEAN_CHANGE,
    unit=text("SD units (negative = fewer difficulties)"),
    instrument="social-communication scales",
    direction=Direction.HIGHER_IS_WORSE,
    population=_SIAFIS_POP,
    citation=_SIAFIS,
    note=_SIAFIS_NOTE,
)


PLACEBO_SMC_REPETITIVE = Benchmark(
    key="placebo_smc_repetitive",
    description=text("placebo standardized mean change, repetitive behaviours"),
    value=-0.23,
    ci_low=-0.32,
    ci_high=-0.15,
    kind=BenchmarkKind.STANDARDIZED_MEAN_CHANGE,
    unit=text("SD units (negative = fewer behaviours)"),
    instrument="repetitive-behaviour scales",
    direction=Direction.HIGHER_IS_WORSE,
    population=_SIAFIS_POP,
    citation=_SIAFIS,
    note=_SIAFIS_NOTE,
)


OXYTOCIN_ABC_SW_CHANGE_DRUG = Benchmark(
    key="oxytocin_abc_sw_change_drug",
    description=text("mean change on ABC modified Social Withdrawal, intranasal oxytocin arm"),
    value=-3.7,
    ci_low=_NAN,
    ci_high=_NAN,
    kind=BenchmarkKind.MEAN_CHANGE,
    unit=text("ABC-mSW points (negative = improvement)"),
    instrument="ABC modified Social Withdrawal",
    direction=Direction.HIGHER_IS_WORSE,
    population=text(
        "children and adolescents with ASD, 24-week randomised placebo-controlled trial"
    ),
    citation=_SIKICH,
    note=text("the placebo arm improved almost as much (−3.5): change within an arm is not effect"),
)


OXYTOCIN_ABC_SW_CHANGE_PLACEBO = Benchmark(
    key="oxytocin_abc_sw_change_placebo",
    description=text("mean change on ABC modified Social Withdrawal, placebo arm"),
    value=-3.5,
    ci_low=_NAN,
    ci_high=_NAN,
    kind=BenchmarkKind.MEAN_CHANGE,
    unit=text("ABC-mSW points (negative = improvement)"),
    instrument="ABC modified Social Withdrawal",
    direction=Direction.HIGHER_IS_WORSE,
    population=text(
        "children and adolescents with ASD, 24-week randomised placebo-controlled trial"
    ),
    citation=_SIKICH,
    note=text("what placebo, time and caregiver expectation produce on this subscale in 24 weeks"),
)


REHAB_CGI_EFFECTIVE_RATE_CONTROL = Benchmark(
    key="rehab_cgi_effective_rate_control",
    description=text("CGI 'effective rate' with rehabilitation alone"),
    value=0.60,
    ci_low=_NAN,
    ci_high=_NAN,
    kind=BenchmarkKind.PROPORTION,
    unit=text("proportion"),
    instrument="CGI",
    direction=None,
    population=_QU_POP,
    citation=_QU,
    note=text(
        "the source studies' own, looser 'effective' definition (not CGI-I ≤ 2); stem cells "
        "added nothing on it (62% vs 60%, RR 1.01)"
    ),
    responder_definition="CGI 'effective' as defined by the source studies",
)


REHAB_CGI_EFFECTIVE_RATE_STEM_CELL = Benchmark(
    key="rehab_cgi_effective_rate_stem_cell",
    description=text("CGI 'effective rate' with stem cells plus rehabilitation"),
    value=0.62,
    ci_low=_NAN,
    ci_high=_NAN,
    kind=BenchmarkKind.PROPORTION,
    unit=text("proportion"),
    instrument="CGI",
    direction=None,
    population=_QU_POP,
    citation=_QU,
    note=text("no better than rehabilitation alone (60%)"),
    responder_definition="CGI 'effective' as defined by the source studies",
)


REHAB_CGI_EFFECTIVE_RR = Benchmark(
    key="rehab_cgi_effective_rr",
    description=text("risk ratio of CGI 'effective', stem cells vs rehabilitation alone"),
    value=1.01,
    ci_low=0.87,
    ci_high=1.18,
    kind=BenchmarkKind.RATIO,
    unit=text("risk ratio"),
    instrument="CGI",
    direction=None,
    population=_QU_POP,
    citation=_QU,
    note=text("pooled controlled evidence shows no difference in global improvement"),
)


REHAB_CARS_MEAN_DIFFERENCE = Benchmark(
    key="rehab_cars_mean_difference",
    description=text("CARS weighted mean difference, stem cells vs rehabilitation alone"),
    value=-5.96,
    ci_low=-8.87,
    ci_high=-3.06,
    kind=BenchmarkKind.MEAN_DIFFERENCE,
    unit=text("CARS points (negative = less severe with stem cells)"),
    instrument="CARS",
    direction=Direction.HIGHER_IS_WORSE,
    population=_QU_POP,
    citation=_QU,
    note=text("5 small, mostly unblinded studies; CARS ratings were not blinded in all"),
)


NATURAL_HISTORY_NONPERSISTENT_ASD = Benchmark(
    key="natural_history_nonpersistent_asd",
    description=text("children no longer meeting ASD criteria at 5–7 years under usual care"),
    value=79 / 213,
    ci_low=wilson_interval(79, 213, 0.95)[0],
    ci_high=wilson_interval(79, 213, 0.95)[1],
    kind=BenchmarkKind.PROPORTION,
    unit=text("proportion"),
    instrument="research diagnostic assessment (DSM-5)",
    direction=None,
    population=text("213 children diagnosed at 12–36 months, community interventions only"),
    citation=_HARSTAD,
    note=text("79/213; interval is the Wilson interval computed here from those counts"),
)


NATURAL_HISTORY_VINELAND_CHANGE = Benchmark(
    key="natural_history_vineland_change",
    description=text("Vineland adaptive behaviour composite change under usual care (73.5 → 82.4)"),
    value=82.4 - 73.5,
    ci_low=_NAN,
    ci_high=_NAN,
    kind=BenchmarkKind.MEAN_CHANGE,
    unit=text("standard-score points (positive = improvement)"),
    instrument="Vineland composite",
    direction=Direction.HIGHER_IS_BETTER,
    population=text("usual-care cohort diagnosed at 12–36 months, reassessed at 5–7 years"),
    citation=_HARSTAD,
    note=text(
        "composite means as recorded in the project's domain notes (DOMAIN.md §4); about 9 "
        "points of gain with no experimental therapy"
    ),
)


NATURAL_HISTORY_ATEC_AGE = Benchmark(
    key="natural_history_atec_age",
    description=text("ATEC scores fall over time, more in younger children"),
    value=_NAN,
    ci_low=_NAN,
    ci_high=_NAN,
    kind=BenchmarkKind.QUALITATIVE,
    unit=text("ATEC points"),
    instrument="ATEC total",
    direction=Direction.HIGHER_IS_WORSE,
    population=text("large parent-reported longitudinal ATEC samples"),
    citation=(
        "Mahapatra S, Vyshedsky D, Martinez S, et al. Autism Treatment Evaluation Checklist "
        "(ATEC) norms: a 'growth chart' for ATEC score changes as a function of age. Children "
        "2018;5:25. Mahapatra S et al. Longitudinal epidemiological study of autism subgroups "
        "using ATEC score. J Autism Dev Disord 2020;50:1497–1508"
    ),
    note=text("any age gradient in an uncontrolled cohort is expected without treatment"),
)


UCB_ACCESS_NULL = Benchmark(
    key="ucb_access_null",
    description=text(
        "single IV cord-blood infusion vs placebo: no effect on Vineland-3 Socialization"
    ),
    value=_NAN,
    ci_low=_NAN,
    ci_high=_NAN,
    kind=BenchmarkKind.QUALITATIVE,
    unit=text("Vineland-3 Socialization"),
    instrument="Vineland-3 Socialization",
    direction=Direction.HIGHER_IS_BETTER,
    population=text("ACCeSS randomised trial, 180 children with ASD"),
    citation=(
        "Dawson G, Sun JM, Baker J, et al. A phase II randomized clinical trial of the safety "
        "and efficacy of intravenous umbilical cord blood infusion for treatment of children "
        "with autism spectrum disorder. J Pediatr 2020;222:164–173"
    ),
    note="the largest randomised cell-therapy trial in ASD so far found no effect on its primary "
    "outcome",
)


ALL_BENCHMARKS: tuple[Benchmark, ...] = (
    PLACEBO_CGI_I_RESPONDERS,
    PLACEBO_SMC_CORE,
    PLACEBO_SMC_SOCIAL_COMMUNICATION,
    PLACEBO_SMC_REPETITIVE,
    OXYTOCIN_ABC_SW_CHANGE_DRUG,
    OXYTOCIN_ABC_SW_CHANGE_PLACEBO,
    REHAB_CGI_EFFECTIVE_RATE_CONTROL,
    REHAB_CGI_EFFECTIVE_RATE_STEM_CELL,
    REHAB_CGI_EFFECTIVE_RR,
    REHAB_CARS_MEAN_DIFFERENCE,
    NATURAL_HISTORY_NONPERSISTENT_ASD,
    NATURAL_HISTORY_VINELAND_CHANGE,
    NATURAL_HISTORY_ATEC_AGE,
    UCB_ACCESS_NULL,
)
