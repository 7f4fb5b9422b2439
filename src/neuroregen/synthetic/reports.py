"""Synthetic family progress reports for the demo: drafts from the cohort's real data, most
released by a synthetic investigator's e-signature, some left as drafts to review."""

from __future__ import annotations

import random
from typing import Any

from neuroregen.core.errors import DomainError
from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.core.services import membership_grant

PHASES_NEWEST_FIRST = ("late", "mid", "early")


def _investigator(site: Any, password: str) -> User:
    user, _created = User.objects.get_or_create(
        username=f"synthetic-investigator-{site.code.lower()}",
        defaults={"first_name": "Synthetic", "last_name": f"Investigator {site.code}"},
    )
    # A fresh password each run: the account exists only to sign synthetic records.
    user.set_password(password)
    user.save()
    membership_grant(user=user, role=Role.INVESTIGATOR, site=site)
    return user


def populate(cohort: Any, rng: random.Random) -> dict[str, int]:
    """Draft a report for each enrolled child with outcome data (latest phase with data);
    release two in three. Needs visits and instrument responses populated first."""
    from neuroregen.reports import services

    counts = {"released": 0, "drafts": 0, "no_data": 0}
    signers: dict[int, tuple[User, str]] = {}
    for index, participant in enumerate(cohort.participants):
        if participant.status != "enrolled":
            continue
        if participant.site_id not in signers:
            password = f"synthetic-{rng.getrandbits(64):x}"
            signers[participant.site_id] = (_investigator(participant.site, password), password)
        signer, password = signers[participant.site_id]
        report = None
        for phase in PHASES_NEWEST_FIRST:
            try:
                report = services.family_report_draft(
                    user=signer, participant=participant, phase=phase
                )
            except DomainError:
                continue
            break
        if report is None:
            counts["no_data"] += 1
            continue
        if index % 3 == 2:
            counts["drafts"] += 1
            continue
        services.family_report_edit(
            user=signer,
            report=report,
            reason="review before release",
            clinician_note="Synthetic note: this child and these results were generated for "
            "the demonstration.",
        )
        services.family_report_release(user=signer, report=report, password=password)
        counts["released"] += 1
    return counts
