"""A REDCap project's events and arms as a draft protocol (``dictionary import FILE.xml
--protocol CODE --create-protocol --arms ARMS.json --user U``).

Each event becomes a visit: REDCap's ``redcap:DayOffset`` is the target study day,
``OffsetMin``/``OffsetMax`` the days allowed early and late, its ``FormRef``s the instruments
expected; an event of the same name in several arms is one visit for those arms. Each arm
becomes an arm. REDCap knows nothing of an arm's product, route or dose, so those come from
the arms file (REDCap arm number → the arm fields of a protocol document); they are never
guessed. The document goes through ``protocols.services.protocol_import``, which checks it
like any other protocol (a schedule that does not fit a NeuroRegen protocol, e.g. without an
administration on day 0, is refused with every problem listed) and creates a draft that still
has to be activated.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from neuroregen.instruments.redcap_project import Event, Project
from neuroregen.protocols import services as protocol_services
from neuroregen.protocols import timeline
from neuroregen.protocols.models import Protocol

_ARM_SUFFIX = re.compile(r"_arm_\d+$")


class ArmsMissing(ValueError):
    """The arms file is absent or does not describe every REDCap arm."""


def read_arms(path: Path | None, project: Project) -> dict[int, dict[str, Any]]:
    """REDCap arm number → the arm of the protocol document, from the arms file."""
    numbers = sorted({event.arm_num for event in project.events})
    if path is None:
        raise ArmsMissing(
            "REDCap arms carry no product, route or dose: describe each arm "
            f"({', '.join(map(str, numbers))}) with --arms FILE (JSON: arm number → code, name, "
            "product_type, route, dose_unit, dose_per_kg_min, dose_per_kg_max, "
            "dose_per_kg_default)"
        )
    try:
        given = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArmsMissing(f"cannot read the arms file {path}: {exc}") from exc
    if not isinstance(given, dict):
        raise ArmsMissing("the arms file must be a JSON object: arm number → arm")
    missing = [n for n in numbers if not isinstance(given.get(str(n)), dict)]
    if missing:
        raise ArmsMissing(
            f"the arms file does not describe REDCap arm(s) {', '.join(map(str, missing))}"
        )
    names = {event.arm_num: event.arm_name for event in project.events}
    # one administration unless the file says otherwise (the protocol check needs the count)
    defaults = {"administrations": 1, "spacing_days": 0}
    return {n: {"code": f"arm-{n}", "name": names[n], **defaults, **given[str(n)]} for n in numbers}


def visit_code(event: Event) -> str:
    return _ARM_SUFFIX.sub("", event.unique_name)[:16]


def schedule(project: Project, arms: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The visits of the protocol document, in the order of the events."""
    visits: dict[str, dict[str, Any]] = {}
    arm_sets: dict[str, list[str]] = {}
    for event in project.events:
        code = visit_code(event)
        day = round(event.day_offset)
        visit = visits.setdefault(
            code,
            {
                "code": code,
                "name": event.name or code,
                "phase": timeline.phase_of(day).value,
                "target_day": day,
                "window_before": round(event.offset_min),
                "window_after": round(event.offset_max),
                "optional": False,
                "instruments": [],
                "biomarkers": [],
                "safety_checks": [],
            },
        )
        visit["instruments"].extend(f for f in event.forms if f not in visit["instruments"])
        arm_sets.setdefault(code, []).append(arms[event.arm_num]["code"])
    every = sorted(a["code"] for a in arms.values())
    for code, visit in visits.items():
        chosen = sorted(set(arm_sets[code]))
        visit["arm_codes"] = [] if chosen == every else chosen
    return list(visits.values())


def protocol_from_project(
    *, user: Any, project: Project, code: str, arms: dict[int, dict[str, Any]]
) -> Protocol:
    """Create the draft protocol (version 1) of the project's events and arms."""
    document = {
        "code": code,
        "version": "1",
        "name": project.title or code,
        "description": f"Schedule of the REDCap project '{project.title}' (project XML).",
        "arms": list(arms.values()),
        "rules": [],
        "schedule": schedule(project, arms),
    }
    return protocol_services.protocol_import(user=user, data=document)
