"""The one reference SD per protocol and measure that reliable change uses, whoever looks.

Reliable change divides a child's change by the measurement error, which needs a between-person
SD. Taking it from the children the *viewer* may see made the same child's verdict differ
between the statistician, a site investigator and the family. The SD is therefore chosen once
per protocol and measure, in this order:

1. a published normative SD (``stats.reliable_change.PUBLISHED_RELIABILITY``), e.g. 15 for
   Vineland standard scores;
2. the SD frozen at data lock (``protocols.ReferenceSd``, written by
   :func:`reference_sd_freeze`);
3. until the lock, the programme's baseline SD over **all** sites, computed live and labelled
   "not yet frozen".

The all-sites SD is an aggregate of research data only; no child's row leaves this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability, Role
from neuroregen.evidence import cache
from neuroregen.evidence.programme_frames import evidence_frames
from neuroregen.protocols.choices import ReferenceSdSource
from neuroregen.protocols.models import Protocol, ReferenceSd
from neuroregen.stats.reliable_change import PUBLISHED_RELIABILITY

__all__ = [
    "MIN_BASELINE_CHILDREN",
    "ReferenceValue",
    "baseline_sds",
    "reference_sd_freeze",
    "reference_values",
]

#: Fewer children at baseline give an SD too unstable to judge a child's change by.
MIN_BASELINE_CHILDREN = 10


@dataclass(frozen=True)
class ReferenceValue:
    """The SD for one measure and where it comes from, in words."""

    sd: float
    source: str
    frozen_on: dt.date | None = None
    n: int | None = None

    def describe(self) -> str:
        if self.frozen_on is not None:
            return _("%(source)s, frozen on %(date)s") % {
                "source": self.source,
                "date": self.frozen_on.isoformat(),
            }
        return self.source


def baseline_sds(outcomes: pd.DataFrame, *, minimum: int = MIN_BASELINE_CHILDREN) -> pd.DataFrame:
    """Baseline SD and number of children of each measure (each child's last baseline value);
    measures with fewer than ``minimum`` children or no spread are left out."""
    base = outcomes[(outcomes["phase"] == "baseline") & outcomes["value"].notna()]
    last = base.sort_values("study_day").groupby(["measure", "study_code"]).tail(1)
    stats = last.groupby("measure")["value"].agg(["std", "count"])
    stats = stats[(stats["count"] >= minimum) & (stats["std"] > 0)]
    return stats.rename(columns={"std": "sd", "count": "n"})


def _programme_reader() -> Any:
    """A reader of research data on every site, for aggregates only (never shown per child):
    the statistician's view, without identity."""
    membership = SimpleNamespace(role=Role.STATISTICIAN, site_id=None, site=None)
    return SimpleNamespace(
        pk=None, is_authenticated=True, is_active=True, _nr_memberships=[membership]
    )


def _programme_baseline(protocol: Protocol) -> pd.DataFrame:
    def compute() -> pd.DataFrame:
        frames = evidence_frames(user=_programme_reader(), protocol=protocol)
        return baseline_sds(frames.outcomes)

    key = f"evidence:programme:{cache.data_version()}:{protocol.pk}:baseline-sd"
    return cache.cached(key, compute)


def _published(label: str) -> ReferenceValue | None:
    norm = PUBLISHED_RELIABILITY.get(label)
    if norm is None or norm.sd is None:
        return None
    return ReferenceValue(
        norm.sd, _("published normative SD (%(source)s)") % {"source": norm.source}
    )


def reference_values(
    protocol: Protocol | None, labels: dict[str, str]
) -> dict[str, ReferenceValue]:
    """The reference SD of each measure (``labels``: measure code → label) for ``protocol``."""
    out: dict[str, ReferenceValue] = {}
    if protocol is None:
        return out
    frozen = {r.measure: r for r in ReferenceSd.objects.filter(protocol=protocol)}
    live: pd.DataFrame | None = None
    for measure, label in labels.items():
        published = _published(label)
        if published is not None:
            out[measure] = published
            continue
        record = frozen.get(measure)
        if record is not None:
            out[measure] = ReferenceValue(
                record.sd,
                record.citation or record.get_source_display(),
                record.frozen_on,
                record.n,
            )
            continue
        if live is None:
            live = _programme_baseline(protocol)
        if measure in live.index:
            row = live.loc[measure]
            out[measure] = ReferenceValue(
                float(row["sd"]),
                _(
                    "baseline SD of all %(n)s children of the programme, all sites "
                    "(not yet frozen at data lock)"
                )
                % {"n": int(row["n"])},
                None,
                int(row["n"]),
            )
    return out


@transaction.atomic
def reference_sd_freeze(*, user: Any, protocol: Protocol, reason: str) -> list[ReferenceSd]:
    """Freeze the reference SD of every measure of ``protocol`` at data lock.

    Published norms are recorded as such; other measures get the programme's baseline SD over
    all sites. A measure already frozen is refrozen only with a reason (its history keeps the
    former value).
    """
    require(user, Capability.MANAGE_PROTOCOL)
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason for freezing the reference SDs."), field="reason")
    frames = evidence_frames(user=_programme_reader(), protocol=protocol)
    outcomes = frames.outcomes
    labels = dict(
        outcomes.drop_duplicates("measure")[["measure", "measure_label"]].itertuples(index=False)
    )
    live = baseline_sds(outcomes)
    today = timezone.localdate()
    written: list[ReferenceSd] = []
    for measure, label in labels.items():
        norm = PUBLISHED_RELIABILITY.get(label)
        if norm is not None and norm.sd is not None:
            values = {
                "sd": norm.sd,
                "n": None,
                "source": ReferenceSdSource.PUBLISHED_NORM,
                "citation": norm.source[:300],
            }
        elif measure in live.index:
            values = {
                "sd": float(live.loc[measure, "sd"]),
                "n": int(live.loc[measure, "n"]),
                "source": ReferenceSdSource.PROGRAMME_BASELINE,
                "citation": (
                    f"baseline SD of {int(live.loc[measure, 'n'])} children, all sites, "
                    f"frozen at data lock"
                ),
            }
        else:
            continue
        record = ReferenceSd.objects.filter(protocol=protocol, measure=measure).first()
        record = record or ReferenceSd(protocol=protocol, measure=measure)
        for name, value in values.items():
            setattr(record, name, value)
        record.frozen_on = today
        record.frozen_by = user
        record.full_clean()
        stamp(record, user=user, reason=reason)
        record.save()
        written.append(record)
    return written
