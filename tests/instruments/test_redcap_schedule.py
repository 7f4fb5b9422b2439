"""``dictionary import FILE.xml --protocol CODE --create-protocol``: a REDCap project's events
and arms become a draft protocol's schedule (issue 19, "what to build")."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from neuroregen.core.roles import Role
from neuroregen.instruments.models import Instrument
from neuroregen.instruments.redcap import DictionaryRow
from neuroregen.instruments.redcap_project import Event, Project
from neuroregen.instruments.redcap_project_write import to_bytes, write_project
from neuroregen.protocols.models import Protocol
from neuroregen.visits.models import VisitDefinition
from tests.helpers import make_user

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parents[1] / "data" / "redcap_corpus"
ARM = {
    "product_type": "ipsc_mix",
    "route": "it",
    "dose_unit": "cells_per_kg",
    "dose_per_kg_min": "500000",
    "dose_per_kg_max": "2000000",
    "dose_per_kg_default": "1000000",
}


def _event(name: str, arm: int, day: int, low: int, high: int, *forms: str) -> Event:
    return Event(
        unique_name=f"{name}_arm_{arm}",
        name=name.replace("_", " ").title(),
        arm_num=arm,
        arm_name=f"Arm {arm}",
        day_offset=day,
        offset_min=low,
        offset_max=high,
        forms=forms,
    )


def _two_arm_project(tmp_path: Path) -> Path:
    project = Project(
        title="Two arms",
        record_id_field="record_id",
        rows=[
            DictionaryRow("record_id", "intake", field_type="text", field_label="Record ID"),
            DictionaryRow("mood", "diary", field_type="yesno", field_label="Calm?"),
        ],
        form_titles={"intake": "Intake", "diary": "Diary"},
        events=[
            _event("baseline", 1, -14, 3, 3, "intake"),
            _event("day_0", 1, 0, 0, 0, "diary"),
            _event("month_1", 1, 30, 7, 7, "diary"),
            _event("month_3", 1, 90, 14, 14, "diary"),
            _event("baseline", 2, -14, 3, 3, "intake"),
            _event("day_0", 2, 0, 0, 0, "diary"),
            _event("month_1", 2, 30, 7, 7, "diary"),
        ],
    )
    root, _study, _mdv = write_project(project, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    path = tmp_path / "two_arms.xml"
    path.write_bytes(to_bytes(root))
    return path


def _arms(tmp_path: Path, numbers: tuple[int, ...] = (1, 2)) -> Path:
    path = tmp_path / "arms.json"
    path.write_text(json.dumps({str(n): {**ARM, "code": f"cells-{n}"} for n in numbers}))
    return path


def _run(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("dictionary", "import", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_events_and_arms_become_a_draft_protocol_schedule(tmp_path):
    manager = make_user(Role.ADMINISTRATOR, None, "schedule-admin")
    out = _run(
        _two_arm_project(tmp_path),
        "--protocol",
        "RC-TWO",
        "--create-protocol",
        "--arms",
        str(_arms(tmp_path)),
        "--user",
        manager.username,
    )
    assert "created draft protocol RC-TWO 1 (2 arm(s), 4 visit(s))" in out
    protocol = Protocol.objects.get(code="RC-TWO")
    assert protocol.status == "draft"
    assert [a.name for a in protocol.arms.order_by("code")] == ["Arm 1", "Arm 2"]
    visits = {v.code: v for v in VisitDefinition.objects.filter(protocol=protocol)}
    assert set(visits) == {"baseline", "day_0", "month_1", "month_3"}
    month_1 = visits["month_1"]
    assert (month_1.target_day, month_1.window_before, month_1.window_after) == (30, 7, 7)
    assert month_1.instruments == ["diary"]
    assert month_1.arm_codes == []  # in every arm
    assert visits["month_3"].arm_codes == ["cells-1"]  # an event of arm 1 only
    assert visits["baseline"].phase == "baseline"
    assert visits["day_0"].phase == "administration"
    assert Instrument.objects.filter(code__in=["intake", "diary"]).count() == 2


def test_arms_are_never_guessed_and_nothing_is_imported_without_them(tmp_path):
    manager = make_user(Role.ADMINISTRATOR, None, "schedule-admin-2")
    path = _two_arm_project(tmp_path)
    base = ("--protocol", "RC-TWO", "--create-protocol", "--user", manager.username)
    with pytest.raises(CommandError, match="no product, route or dose"):
        _run(path, *base)
    with pytest.raises(CommandError, match=r"does not describe REDCap arm\(s\) 2"):
        _run(path, *base, "--arms", str(_arms(tmp_path, (1,))))
    assert not Instrument.objects.filter(code="diary").exists()
    assert not Protocol.objects.filter(code="RC-TWO").exists()


def test_a_schedule_that_does_not_fit_a_protocol_is_refused_with_its_problems(tmp_path):
    manager = make_user(Role.ADMINISTRATOR, None, "schedule-admin-3")
    with pytest.raises(CommandError, match="do not make a valid protocol"):
        _run(
            CORPUS / "redcapr_longitudinal_single_arm.xml",
            "--protocol",
            "RC-LONG",
            "--create-protocol",
            "--arms",
            str(_arms(tmp_path, (1,))),
            "--user",
            manager.username,
        )
    assert not Protocol.objects.filter(code="RC-LONG").exists()
    assert not Instrument.objects.filter(code="collection").exists()
