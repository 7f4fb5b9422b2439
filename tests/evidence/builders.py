"""A small real registry for the evidence tests, built through the services.

Children are assigned to NR-CELL-01 with day 0 two hundred days ago, so baseline, early, mid
and late visits are in the past; CARS-2 totals and CGI-I ratings are entered at visits, IL-6 is
recorded by the lab (one value below LLOQ), and an adverse event is reported.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from neuroregen.biomarkers import services as bio_services
from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.core.time import site_today
from neuroregen.instruments import services as instrument_services
from neuroregen.participants import services as ps
from neuroregen.protocols import services as protocol_services
from neuroregen.visits.models import Visit
from tests.helpers import PASSWORD, enrolled, make_user
from tests.instruments.builders import active_protocol

DAY_ZERO_AGO = 200
CARS = {"BL": 38, "D7": 37, "M3": 34, "M6": 31}
CGI = {"D7": 3, "M3": 2, "M6": 2}


def _staff(site: Any, role: Role) -> User:
    return User.objects.filter(memberships__site=site, memberships__role=role).first() or make_user(
        role, site
    )


def child(
    coordinator: Any, site: Any, *, shift: int = 0, light: bool = False, **kwargs: Any
) -> Any:
    """An assigned child with scores at BL, D7, M3, M6 (CARS-2 falls by ``7 + shift``).

    ``light`` enters CARS-2 at BL and M6 only and no lab values (for page-access tests).
    """
    protocol = active_protocol()
    participant = enrolled(coordinator, site, **kwargs)
    ps.anthropometry_record(
        user=coordinator,
        participant=participant,
        measured_on=site_today(site),
        weight_kg=Decimal("20.5"),
    )
    assignment = protocol_services.assignment_recommend(
        user=coordinator,
        participant=participant,
        protocol=protocol,
        facts={"coagulopathy": False, "prior_cell_therapy": False},
    )
    protocol_services.assignment_confirm(
        user=_staff(site, Role.INVESTIGATOR),
        assignment=assignment,
        password=PASSWORD,
        planned_day_zero=site_today(site) - dt.timedelta(days=DAY_ZERO_AGO),
    )
    visits = {v.code: v for v in Visit.objects.filter(participant=participant)}
    for code, value in CARS.items():
        if light and code not in ("BL", "M6"):
            continue
        value = value - (shift if code != "BL" else 0)
        _enter(coordinator, visits[code], "cars2", {"cars2_form": "ST", "cars2_total": value})
    if light:
        return participant
    for code, value in CGI.items():
        _enter(coordinator, visits[code], "cgi_i", {"cgi_i": value})
    lab = _staff(site, Role.LAB)
    # the D7 value lies below the LLOQ of 0.5 pg/mL, so the lab flags it
    for code, value in (("BL", "4.0"), ("D7", "0.2")):
        on = visits[code].target_date
        bio_services.measurement_record(
            user=lab,
            participant=participant,
            visit=visits[code],
            data={
                "analyte": "il6",
                "value": value,
                "unit": "pg/mL",
                "matrix": "serum",
                "collected_at": dt.datetime.combine(on, dt.time(9), tzinfo=dt.UTC),
                "assay": "ELISA",
                "lloq": "0.5",
                "uloq": "200",
            },
        )
    return participant


def _enter(
    user: Any,
    visit: Visit,
    instrument: str,
    answers: dict[str, Any],
    *,
    respondent: str = "clinician",
) -> None:
    response = instrument_services.response_start(
        user=user, visit=visit, instrument=instrument, respondent=respondent
    )
    instrument_services.response_save(
        user=user,
        response=response,
        answers={k: str(v) for k, v in answers.items()},
        complete=True,
        answered_on=visit.target_date,
        expected_version=None,
    )


def adverse_event(user: Any, participant: Any) -> Any:
    from tests.safety.builders import record

    return record(user, participant, grade=2)
