"""Jacobson–Truax reliable change, per participant and per measure.

A change counts as *reliable* only when it is larger than measurement error alone would
plausibly produce. With SD the between-person SD of the measure and r its test–retest
reliability:

    SEM = SD·√(1 − r),  S_diff = √2·SEM,  RC = (x₂ − x₁)/S_diff,

and |RC| > 1.96 is reliable at the 95 % level. Whether a reliable change is an improvement
depends on the instrument's direction. Results carry the SD and reliability they used, and a
``provisional`` flag (with the PROVISIONAL_RELIABILITY caveat) whenever the reliability is not a
published test–retest value — the default, so a value must be declared published to lose it.

Missing data: a participant with either score missing gets RC = NaN and category
``"missing"``; they are counted separately and never classified.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from neuroregen.stats._common import FloatArray, as_float_array
from neuroregen.stats.results import PROVISIONAL_RELIABILITY, Direction
from neuroregen.stats.text import template, text, text_join

__all__ = [
    "CATEGORIES",
    "PUBLISHED_RELIABILITY",
    "MeasureReliability",
    "ReliableChangeResult",
    "reliable_change",
    "reliable_change_by_measure",
]

IMPROVED, UNCHANGED, WORSENED, MISSING = "improved", "unchanged", "worsened", "missing"
CATEGORIES = (IMPROVED, UNCHANGED, WORSENED, MISSING)


_SUMMARY = {
    False: template(
        "Reliable change, {measure}: {improved} improved, {unchanged} unchanged, {worsened} "
        "worsened of {n} (missing {missing}); Jacobson–Truax, SD {sd:.2f} ({source}), "
        "r {r:.2f}, S_diff {s_diff:.2f}, |RC| > {critical:.2f}"
    ),
    True: template(
        "Reliable change, {measure}: {improved} improved, {unchanged} unchanged, {worsened} "
        "worsened of {n} (missing {missing}); Jacobson–Truax, SD {sd:.2f} ({source}), "
        "r {r:.2f} (provisional), S_diff {s_diff:.2f}, |RC| > {critical:.2f}"
    ),
}


@dataclass(frozen=True)
class MeasureReliability:
    """Reliability of one measure, with where the number comes from.

    Attributes
    ----------
    measure : str
        Instrument or subscale name.
    reliability : float
        Reliability coefficient r in (0, 1).
    direction : Direction
        Which way is better.
    sd : float or None
        Between-person SD to use (a normative SD, e.g. 15 for Vineland standard scores); None
        means "use the sample's baseline SD".
    provisional : bool
        True unless r is a published test–retest coefficient for this population.
    source : str
        Citation or note for r and SD.
    """

    measure: str
    reliability: float
    direction: Direction
    sd: float | None = None
    provisional: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        if not 0.0 < self.reliability < 1.0:
            raise ValueError(f"reliability must lie in (0, 1), got {self.reliability}")
        if self.sd is not None and not self.sd > 0:
            raise ValueError(f"sd must be positive, got {self.sd}")


#: Published reliability values recorded in the project's domain notes (DOMAIN.md §3).
PUBLISHED_RELIABILITY: Mapping[str, MeasureReliability] = {
    "ATEC total": MeasureReliability(
        "ATEC total",
        0.94,
        Direction.HIGHER_IS_WORSE,
        provisional=True,
        source="split-half reliability of the total 0.94 (Autism Research Institute); no "
        "published test–retest value",
    ),
    "Vineland composite": MeasureReliability(
        "Vineland composite",
        0.83,
        Direction.HIGHER_IS_BETTER,
        sd=15.0,
        provisional=False,
        source="2-domain composite test–retest 0.83 (DOMAIN.md §3); normative SD 15",
    ),
    "CSHQ total": MeasureReliability(
        "CSHQ total",
        0.62,
        Direction.HIGHER_IS_WORSE,
        provisional=False,
        source="test–retest 0.62–0.79 (Owens et al. 2000); lower bound used (conservative)",
    ),
}


@dataclass(frozen=True)
class ReliableChangeResult:
    """Reliable change of one measure for a set of participants.

    Attributes
    ----------
    measure : str
        Measure name.
    participants : tuple
        Participant identifiers, in the order of the arrays.
    change, rc : numpy.ndarray
        Raw change (x₂ − x₁) and RC per participant (NaN when missing).
    category : tuple of str
        "improved", "unchanged", "worsened" or "missing" per participant.
    sd, reliability, sem, s_diff, critical : float
        The values used.
    sd_source : str
        "supplied" or "sample baseline SD".
    direction : Direction
        Direction of the measure.
    provisional : bool
        Whether the reliability is provisional.
    caveats : tuple of str
        PROVISIONAL_RELIABILITY when provisional.
    """

    measure: str
    participants: tuple[Any, ...]
    change: FloatArray
    rc: FloatArray
    category: tuple[str, ...]
    sd: float
    reliability: float
    sem: float
    s_diff: float
    critical: float
    sd_source: str
    direction: Direction
    provisional: bool
    caveats: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        """Number of participants in each category (all four keys always present)."""
        return {c: sum(1 for x in self.category if x == c) for c in CATEGORIES}

    @property
    def n_classified(self) -> int:
        """Participants with both scores observed."""
        return len(self.category) - self.counts()[MISSING]

    def to_frame(self) -> pd.DataFrame:
        """One row per participant with change, RC and category."""
        return pd.DataFrame(
            {
                "participant": list(self.participants),
                "measure": self.measure,
                "change": self.change,
                "rc": self.rc,
                "category": list(self.category),
            }
        )

    def as_row(self) -> dict[str, Any]:
        """Summary counts and the parameters used, as a flat dict."""
        counts = self.counts()
        return {
            "measure": self.measure,
            "n_classified": self.n_classified,
            **{f"n_{k}": v for k, v in counts.items()},
            "sd": self.sd,
            "sd_source": self.sd_source,
            "reliability": self.reliability,
            "provisional": self.provisional,
            "s_diff": self.s_diff,
            "critical": self.critical,
            "direction": self.direction.value,
            "caveats": "; ".join(self.caveats),
        }

    def as_text(self) -> str:
        """A readable summary that always states SD, r and provisional status."""
        c = self.counts()
        summary = text(
            _SUMMARY[self.provisional],
            measure=self.measure,
            improved=c[IMPROVED],
            unchanged=c[UNCHANGED],
            worsened=c[WORSENED],
            n=self.n_classified,
            missing=c[MISSING],
            sd=self.sd,
            source=self.sd_source,
            r=self.reliability,
            s_diff=self.s_diff,
            critical=self.critical,
        )
        if not self.caveats:
            return summary
        return text(
            "{summary} Caveats: {caveats}.", summary=summary, caveats=text_join(self.caveats)
        )

    def as_html(self) -> str:
        """Escaped HTML with the same content as :meth:`as_text`."""
        caveats = "".join(f"<li>{html.escape(c)}</li>" for c in self.caveats)
        body = html.escape(self.as_text().split(" Caveats: ")[0])
        return (
            f'<div class="nr-reliable-change">{body}'
            + (f'<ul class="caveats">{caveats}</ul>' if caveats else "")
            + "</div>"
        )


def reliable_change(
    baseline: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    *,
    reliability: float,
    direction: Direction,
    sd: float | None = None,
    provisional: bool = True,
    measure: str = "score",
    participants: npt.ArrayLike | None = None,
    critical: float = 1.96,
) -> ReliableChangeResult:
    """Jacobson–Truax reliable change index for each participant, direction-aware.

    Parameters
    ----------
    baseline, follow_up : array_like
        Scores aligned by participant.
    reliability : float
        Reliability r of the measure (test–retest preferred).
    direction : Direction
        Which way is better.
    sd : float, optional
        Between-person SD; when omitted, the SD of the observed baseline scores is used
        (Jacobson & Truax used the pre-treatment SD) and ``sd_source`` says so.
    provisional : bool
        Leave True unless ``reliability`` is a published test–retest value.
    measure : str
        Measure name.
    participants : array_like, optional
        Identifiers; defaults to 0..n−1.
    critical : float
        Threshold for |RC| (1.96 for 95 %).

    Returns
    -------
    ReliableChangeResult

    Notes
    -----
    SEM = SD·√(1 − r); S_diff = √2·SEM; RC = (x₂ − x₁)/S_diff. A participant is
    "improved" when sign·RC > critical, "worsened" when sign·RC < −critical, else
    "unchanged", where sign = +1 if higher is better and −1 otherwise.

    Assumptions: measurement error is homogeneous and uncorrelated between occasions; r and
    SD apply to this population. Practice effects are ignored.

    Missing data: participants with either score missing get RC = NaN and category
    "missing"; the baseline SD (when estimated) uses all observed baselines.

    References
    ----------
    Jacobson NS, Truax P. Clinical significance: a statistical approach to defining
    meaningful change in psychotherapy research. *J Consult Clin Psychol* 1991;59:12–19.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> res = reliable_change([80, 60, 75], [60, 58, 85], reliability=0.94, sd=20.0,
    ...                       direction=Direction.HIGHER_IS_WORSE, measure="ATEC total")
    >>> [float(round(v, 2)) for v in res.rc]
    [-2.89, -0.29, 1.44]
    >>> res.category
    ('improved', 'unchanged', 'unchanged')
    >>> res.provisional
    True
    """
    if not 0.0 < reliability < 1.0:
        raise ValueError(f"reliability must lie in (0, 1), got {reliability}")
    x1 = as_float_array(baseline, "baseline")
    x2 = as_float_array(follow_up, "follow_up")
    if x1.shape != x2.shape:
        raise ValueError(f"baseline and follow_up differ in length: {x1.size} vs {x2.size}")
    if sd is None:
        observed = x1[~np.isnan(x1)]
        if observed.size < 2:
            raise ValueError(text("need an SD: supply sd or at least 2 observed baseline scores"))
        sd_used, sd_source = float(np.std(observed, ddof=1)), "sample baseline SD"
    else:
        sd_used, sd_source = float(sd), "supplied"
    if not sd_used > 0:
        raise ValueError(text("SD must be positive, got {sd}", sd=sd_used))
    sem = sd_used * math.sqrt(1.0 - reliability)
    s_diff = math.sqrt(2.0) * sem
    change = x2 - x1
    rc = change / s_diff
    signed = direction.sign * rc
    category = tuple(
        MISSING
        if math.isnan(v)
        else IMPROVED
        if v > critical
        else WORSENED
        if v < -critical
        else UNCHANGED
        for v in signed
    )
    ids = tuple(range(x1.size)) if participants is None else tuple(np.asarray(participants))
    if len(ids) != x1.size:
        raise ValueError("participants must have the same length as the scores")
    return ReliableChangeResult(
        measure=measure,
        participants=ids,
        change=change,
        rc=rc,
        category=category,
        sd=sd_used,
        reliability=float(reliability),
        sem=sem,
        s_diff=s_diff,
        critical=float(critical),
        sd_source=sd_source,
        direction=direction,
        provisional=provisional,
        caveats=(PROVISIONAL_RELIABILITY,) if provisional else (),
    )


def reliable_change_by_measure(
    data: pd.DataFrame,
    specs: Mapping[str, MeasureReliability],
    *,
    participant: str = "participant",
    measure: str = "measure",
    baseline: str = "baseline",
    follow_up: str = "follow_up",
    critical: float = 1.96,
) -> dict[str, ReliableChangeResult]:
    """Reliable change for every measure in a long table (one row per participant × measure).

    Parameters
    ----------
    data : pandas.DataFrame
        Long-format scores.
    specs : mapping of str to MeasureReliability
        Reliability, SD, direction and provisional status for each measure present.
    participant, measure, baseline, follow_up : str
        Column names.
    critical : float
        Threshold for |RC|.

    Returns
    -------
    dict of str to ReliableChangeResult
        Keyed by measure, in order of first appearance.

    Notes
    -----
    Applies :func:`reliable_change` per measure. A measure without a spec raises KeyError:
    reliability is never guessed. Missing data as in :func:`reliable_change`.

    References
    ----------
    Jacobson NS, Truax P. *J Consult Clin Psychol* 1991;59:12–19.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"participant": ["a", "b", "a", "b"],
    ...                    "measure": ["ATEC total"] * 2 + ["Vineland composite"] * 2,
    ...                    "baseline": [80, 60, 70, 75], "follow_up": [60, 58, 90, 74]})
    >>> specs = {m: PUBLISHED_RELIABILITY[m] for m in ("ATEC total", "Vineland composite")}
    >>> out = reliable_change_by_measure(df, specs)
    >>> out["Vineland composite"].counts()["improved"], out["Vineland composite"].provisional
    (1, False)
    """
    for col in (participant, measure, baseline, follow_up):
        if col not in data.columns:
            raise KeyError(f"column {col!r} not in data")
    results: dict[str, ReliableChangeResult] = {}
    for name in pd.unique(data[measure]):
        key = str(name)
        if key not in specs:
            raise KeyError(f"no reliability specification for measure {key!r}")
        spec = specs[key]
        rows = data[data[measure] == name]
        results[key] = reliable_change(
            pd.to_numeric(rows[baseline], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(rows[follow_up], errors="coerce").to_numpy(dtype=float),
            reliability=spec.reliability,
            direction=spec.direction,
            sd=spec.sd,
            provisional=spec.provisional,
            measure=key,
            participants=rows[participant].to_numpy(),
            critical=critical,
        )
    return results
