"""Synthetic outcome data for the demo cohort: ATEC, CGI, score-entry forms and biomarkers.

Values are plausible, not informative: ATEC totals start around 60–90 and drift down slowly
over follow-up whatever the arm (natural history, DOMAIN.md §4), CGI-I mostly "minimally
improved" or "no change", IL-6/TNF-α log-normal with some results below the LLOQ. Some forms
are marked not done with a reason, some items carry a missing-data code (a complete form
leaves no required item blank), and parent-reported forms are recorded as answered by a
parent. Everything goes through the services.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zoneinfo
from typing import Any

from django.db import transaction

from neuroregen.biomarkers import services as biomarker_services
from neuroregen.core.errors import DomainError
from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.core.services import membership_grant
from neuroregen.instruments import choices as c
from neuroregen.instruments import services
from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.builtin_cshq import CSHQ_ITEMS, cshq_item_name

ANALYTE_MODEL = {  # median (pg/mL), log-SD, LLOQ, ULOQ, kit
    "il6": (2.4, 0.7, 0.7, 300, "High-sensitivity IL-6 ELISA (synthetic kit)"),
    "tnfa": (7.5, 0.5, 1.6, 500, "High-sensitivity TNF-α ELISA (synthetic kit)"),
}


def _lab_account(site: Any) -> User:
    username = f"synthetic-lab-{site.code.lower()}"
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": "Synthetic", "last_name": f"Lab {site.code}"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    membership_grant(user=user, role=Role.LAB, site=site)
    return user


def _atec_answers(rng: random.Random, severity: float) -> dict[str, str]:
    """Item answers whose expected total is about ``severity`` × 179."""
    answers = {}
    for key, (_title, items) in ATEC_ITEMS.items():
        top = 3 if key == "iv" else 2
        for number in range(1, len(items) + 1):
            # the item's impaired score; codes are the scores (see builtin.ATEC_CHOICES)
            score = sum(rng.random() < severity for _ in range(top))
            answers[atec_item_name(key, number)] = str(score)
    return answers


def _entered(rng: random.Random, code: str, severity: float) -> dict[str, str]:
    clip = lambda v, lo, hi: str(int(min(hi, max(lo, round(v)))))  # noqa: E731
    if code == "cgi_s":
        return {"cgi_s": clip(3 + severity * 4 + rng.gauss(0, 0.6), 1, 7)}
    if code == "cgi_i":
        return {"cgi_i": str(rng.choices([1, 2, 3, 4, 5, 6], weights=[3, 14, 33, 38, 9, 3])[0])}
    if code == "abc2":
        return {
            "abc2_irritability": clip(rng.gauss(16, 8), 0, 45),
            "abc2_social_withdrawal": clip(rng.gauss(14, 8), 0, 48),
            "abc2_stereotypy": clip(rng.gauss(6, 4), 0, 21),
            "abc2_hyperactivity": clip(rng.gauss(22, 10), 0, 48),
            "abc2_inappropriate_speech": clip(rng.gauss(4, 3), 0, 12),
        }
    if code == "cars2":
        return {"cars2_form": "ST", "cars2_total": clip(rng.gauss(36, 6), 15, 60)}
    if code == "srs2":
        total = rng.gauss(74, 9)
        return {
            "srs2_total_t": clip(total, 30, 90),
            "srs2_sci_t": clip(total + rng.gauss(0, 3), 30, 90),
            "srs2_rrb_t": clip(total + rng.gauss(2, 4), 30, 90),
        }
    if code == "vineland3":
        values = {
            "vineland3_com": clip(rng.gauss(72, 12), 20, 140),
            "vineland3_dls": clip(rng.gauss(75, 11), 20, 140),
            "vineland3_soc": clip(rng.gauss(70, 11), 20, 140),
            "vineland3_motor_assessed": "0",
        }
        values["vineland3_abc"] = clip(
            sum(int(values[k]) for k in ("vineland3_com", "vineland3_dls", "vineland3_soc")) / 3
            + rng.gauss(0, 2),
            20,
            140,
        )
        return values
    if code == "cshq":
        # item scores 1–3 (choice codes are scores, reverse-scored items included); a
        # severity around 0.4 gives totals around 50, above the cut-off of 41
        chance = 0.15 + 0.3 * severity
        return {
            cshq_item_name(number): str(1 + sum(rng.random() < chance for _ in range(2)))
            for number in range(1, len(CSHQ_ITEMS) + 1)
        }
    return {}


@transaction.atomic
def populate(cohort: Any, rng: random.Random) -> dict[str, int]:
    """Give the cohort's done visits their expected forms and biomarker results.

    Needs visits (``neuroregen.synthetic.protocols.populate`` first); without them nothing is
    created. Returns counts of what was made.
    """
    from neuroregen.visits.models import Visit
    from neuroregen.visits.selectors import expected_biomarkers, expected_instruments

    system = cohort.system_user
    counts = {"responses": 0, "not_done": 0, "measurements": 0, "blocked": 0}
    labs = {site.pk: _lab_account(site) for site in cohort.sites}
    ids = [p.pk for p in cohort.participants]
    visits = (
        Visit.objects.filter(
            participant_id__in=ids, done_on__isnull=False, cancelled_on__isnull=True
        )
        .select_related("participant__site", "definition")
        .order_by("participant", "target_day")
    )
    severity: dict[int, float] = {}
    for visit in visits:
        participant = visit.participant
        base = severity.setdefault(participant.pk, min(0.75, max(0.15, rng.gauss(0.42, 0.1))))
        # natural-history drift: a few per cent of the baseline per year, never a claim of effect
        months = max(0, visit.target_day) / 30.44
        level = max(0.05, base * (1 - 0.012 * months) + rng.gauss(0, 0.03))
        try:
            for code in expected_instruments(visit):
                counts[_one_form(rng, system, visit, code, level)] += 1
            tz = zoneinfo.ZoneInfo(participant.site.time_zone)
            for analyte in expected_biomarkers(visit):
                if analyte not in ANALYTE_MODEL or rng.random() < 0.08:
                    continue
                median, spread, lloq, uloq, kit = ANALYTE_MODEL[analyte]
                early = 0.85 if 0 < visit.target_day <= 45 else 1.0
                value = median * early * math.exp(rng.gauss(0, spread))
                reported = f"<{lloq}" if value < lloq else f"{value:.2f}"
                collected = dt.datetime.combine(visit.done_on, dt.time(9, rng.randint(0, 59)), tz)
                biomarker_services.measurement_record(
                    user=labs[participant.site_id],
                    participant=participant,
                    visit=visit,
                    data={
                        "analyte": analyte,
                        "value": reported,
                        "unit": "pg/mL",
                        "matrix": "plasma",
                        "collected_at": collected,
                        "processed_at": collected + dt.timedelta(minutes=rng.randint(30, 110)),
                        "assay": "ELISA",
                        "kit": kit,
                        "lot": f"SYN-{visit.done_on:%y%m}",
                        "lloq": str(lloq),
                        "uloq": str(uloq),
                        "cv_percent": f"{abs(rng.gauss(6, 2.5)):.1f}",
                        "provenance": "synthetic generator",
                    },
                )
                counts["measurements"] += 1
        except DomainError:
            counts["blocked"] += 1  # e.g. data withdrawn: nothing more is recorded
    return counts


def _one_form(rng: random.Random, user: Any, visit: Any, code: str, level: float) -> str:
    if rng.random() < 0.07:
        services.response_mark_not_done(
            user=user,
            visit=visit,
            instrument=code,
            reason=rng.choice(
                ["family ran out of time", "child too distressed", "form not returned"]
            ),
        )
        return "not_done"
    parent = code in ("atec", "cshq", "srs2", "abc2")
    response = services.response_start(
        user=user,
        visit=visit,
        instrument=code,
        respondent=c.Respondent.PARENT if parent else c.Respondent.CLINICIAN,
        source=c.ResponseSource.SYNTHETIC,
    )
    answers = _atec_answers(rng, level) if code == "atec" else _entered(rng, code, level)
    missing: dict[str, str] = {}
    for name in list(answers):
        roll = rng.random()
        if roll < 0.015:
            # not known to the family: a complete form codes it rather than leave it blank
            answers.pop(name)
            missing[name] = c.MissingCode.UNKNOWN
        elif roll < 0.025:
            answers.pop(name)
            missing[name] = rng.choice(c.MissingCode.values)
    services.response_save(
        user=user,
        response=response,
        answers=answers,
        missing=missing,
        complete=True,
        answered_on=visit.done_on,
        expected_version=response.row_version,
    )
    return "responses"
