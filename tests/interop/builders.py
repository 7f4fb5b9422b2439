"""A small, fully known data set for interop tests, built through the real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from neuroregen.biomarkers import services as biomarker_services
from neuroregen.core.roles import Role
from neuroregen.instruments import services as instrument_services
from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from tests.helpers import make_user
from tests.instruments.builders import participant_with_visits

PROTOCOL = "NR-CELL-01"


@dataclass
class World:
    admin: Any
    statistician: Any
    coordinator_a: Any
    coordinator_b: Any
    participants: list[Any]
    visits: list[dict[str, Any]]


def atec_answers(seed: int) -> dict[str, str]:
    answers = {}
    for key, (_title, items) in ATEC_ITEMS.items():
        top = 3 if key == "iv" else 2
        for number in range(1, len(items) + 1):
            answers[atec_item_name(key, number)] = str((seed + number) % (top + 1))
    return answers


def fill(
    user: Any,
    visit: Any,
    code: str,
    answers: dict,
    missing: dict | None = None,
    complete: bool = True,
) -> Any:
    response = instrument_services.response_start(user=user, visit=visit, instrument=code)
    return instrument_services.response_save(
        user=user,
        response=response,
        answers=answers,
        missing=missing or {},
        complete=complete,
        expected_version=response.row_version,
    )


def bare_world(site_a: Any, site_b: Any, coordinator_a: Any, coordinator_b: Any) -> World:
    """Three children on two sites with their visits, no forms yet."""
    admin = make_user(Role.ADMINISTRATOR, None)
    statistician = make_user(Role.STATISTICIAN, None)
    participants, visit_maps = [], []
    for user, site in [(coordinator_a, site_a), (coordinator_a, site_a), (coordinator_b, site_b)]:
        participant, visits = participant_with_visits(user, site)
        participants.append(participant)
        visit_maps.append(visits)
    return World(admin, statistician, coordinator_a, coordinator_b, participants, visit_maps)


def fill_forms(world: World) -> World:
    """ATEC (one declined item, one unknown: a complete form leaves none blank), CGI-S, CARS-2
    (one left in progress), a CSHQ not done, and an IL-6 value for each child."""
    for index, (participant, visits) in enumerate(
        zip(world.participants, world.visits, strict=True)
    ):
        user = world.coordinator_b if index == 2 else world.coordinator_a
        atec = atec_answers(index)
        missing = {}
        if index == 1:
            atec.pop("atec_i_03")
            missing["atec_i_03"] = "DECL"
            atec.pop("atec_iv_25")
            missing["atec_iv_25"] = "UNK"
        fill(user, visits["BL"], "atec", atec, missing)
        fill(user, visits["BL"], "cgi_s", {"cgi_s": str(3 + index)})
        fill(
            user,
            visits["SCR"],
            "cars2",
            {"cars2_form": "ST", "cars2_total": str(30 + index)},
            complete=index != 2,
        )
        instrument_services.response_mark_not_done(
            user=user, visit=visits["BL"], instrument="cshq", reason="family ran out of time"
        )
        biomarker_services.measurement_record(
            user=make_user(Role.LAB, participant.site),
            participant=participant,
            visit=visits["BL"],
            data={
                "analyte": "il6",
                "value": str(Decimal("2.5") + index),
                "unit": "pg/mL",
                "matrix": "plasma",
                "collected_at": timezone.now() - dt.timedelta(hours=2),
                "assay": "ELISA",
                "lloq": "0.7",
                "uloq": "300",
            },
        )
    return world


def leave_out_form_used(world: World) -> None:
    """Complete the first child's Vineland-3 with a Motor score although the Motor domain was
    not administered: a data-quality finding (``branching`` on ``vineland3_motor``) for an
    import to reproduce. (A complete form can no longer lack a required answer.)"""
    fill(
        world.coordinator_a,
        world.visits[0]["BL"],
        "vineland3",
        {
            "vineland3_com": "80",
            "vineland3_dls": "82",
            "vineland3_soc": "78",
            "vineland3_motor_assessed": "0",
            "vineland3_motor": "90",
            "vineland3_abc": "79",
        },
    )


def small_world(site_a: Any, site_b: Any, coordinator_a: Any, coordinator_b: Any) -> World:
    return fill_forms(bare_world(site_a, site_b, coordinator_a, coordinator_b))
