"""Schedule validation: pure problems with stable ids, the start-up system check, and import."""

from __future__ import annotations

import copy

import pytest

from neuroregen.protocols import codes
from neuroregen.protocols.errors import ScheduleInvalid
from neuroregen.protocols.models import Protocol
from neuroregen.protocols.schedule import schedule_problems
from neuroregen.protocols.services import protocol_import
from neuroregen.synthetic.protocols import cell_protocol_document, exosome_protocol_document
from neuroregen.visits import checks
from neuroregen.visits.models import VisitDefinition
from tests.protocols.builders import active_protocol, admin_user


def _problems(doc):
    return schedule_problems(
        doc["schedule"],
        arms=doc["arms"],
        instruments=codes.BUILTIN_INSTRUMENTS,
        biomarkers=codes.BUILTIN_BIOMARKERS,
        safety_checks=codes.known_safety_checks(),
    )


def _visit(doc, code):
    return next(v for v in doc["schedule"] if v["code"] == code)


def test_example_schedules_are_clean():
    assert _problems(cell_protocol_document()) == []
    assert _problems(exosome_protocol_document()) == []


def test_an_arm_without_a_number_of_administrations_has_one():
    """The arm's ``administrations`` is optional (default 1); the schedule check must not crash."""
    doc = cell_protocol_document()
    for arm in doc["arms"]:
        assert arm.pop("administrations", 1) == 1
    assert _problems(doc) == []


def test_overlapping_windows_are_e001():
    doc = cell_protocol_document()
    _visit(doc, "D14")["window_after"] = 12  # 11..26 reaches D28's window 24..32
    problems = _problems(doc)
    assert [p.id for p in problems] == ["visits.E001"]
    assert "D14" in problems[0].message
    assert "D28" in problems[0].message


def test_windows_of_different_arms_may_overlap():
    doc = exosome_protocol_document()
    doc["arms"][1]["administrations"] = 1
    for code in ("ADM2", "ADM3"):
        _visit(doc, code)["arm_codes"] = ["exo-in"]
    doc["schedule"].append(
        {
            "code": "V14",
            "name": "Vehicle day 14",
            "phase": "early",
            "target_day": 14,
            "window_before": 0,
            "window_after": 0,
            "arm_codes": ["vehicle-in"],
        }
    )
    assert _problems(doc) == []


def test_unknown_instrument_is_e002_and_unknown_analyte_e004():
    doc = cell_protocol_document()
    _visit(doc, "M3")["instruments"].append("pedsql")
    _visit(doc, "M3")["biomarkers"].append("il17")
    ids = sorted(p.id for p in _problems(doc))
    assert ids == ["visits.E002", "visits.E004"]


def test_phases_out_of_order_are_e003():
    doc = cell_protocol_document()
    _visit(doc, "M2")["phase"] = "late"  # day 60 marked late, before mid visits M3, M4
    ids = {p.id for p in _problems(doc)}
    assert "visits.E003" in ids
    assert "visits.W001" in ids  # and it disagrees with the protocol's boundaries


def test_baseline_after_day_zero_is_e003():
    doc = cell_protocol_document()
    _visit(doc, "BL")["target_day"] = 3
    _visit(doc, "BL")["window_before"] = _visit(doc, "BL")["window_after"] = 0
    assert "visits.E003" in {p.id for p in _problems(doc)}


def test_administration_visits_must_match_the_arms():
    doc = exosome_protocol_document()
    _visit(doc, "ADM3")["target_day"] = 30
    _visit(doc, "D42")["target_day"] = 44
    problems = _problems(doc)
    assert {p.id for p in problems} == {"visits.E008"}


def test_registered_providers_are_used_and_builtins_otherwise(monkeypatch):
    # The installed apps registered their providers at start-up: the database-free codes show.
    assert "cshq" in codes.known_instruments()
    assert "il6" in codes.known_biomarkers()

    monkeypatch.setattr(codes, "_providers", {})
    assert codes.known_instruments() == codes.BUILTIN_INSTRUMENTS

    codes.provide(codes.INSTRUMENTS, lambda: ["atec", "pedsql"])
    assert codes.known_instruments() == frozenset({"atec", "pedsql"})
    assert codes.known_biomarkers() == codes.BUILTIN_BIOMARKERS

    codes.provide(codes.INSTRUMENTS, lambda: [])
    assert codes.known_instruments() == codes.BUILTIN_INSTRUMENTS
    with pytest.raises(ValueError, match="unknown kind"):
        codes.provide("devices", lambda: ["x"])


@pytest.mark.django_db
def test_import_of_overlapping_schedule_is_refused_and_creates_nothing():
    doc = copy.deepcopy(cell_protocol_document())
    _visit(doc, "M2")["window_after"] = 25  # 53..85 overlaps M3 80..100
    with pytest.raises(ScheduleInvalid) as caught:
        protocol_import(user=admin_user(), data=doc)
    assert caught.value.code == "schedule_invalid"
    assert "visits.E001" in caught.value.message
    assert not Protocol.objects.exists()
    assert not VisitDefinition.objects.exists()


@pytest.mark.django_db
def test_system_check_reports_stored_schedule_problems_with_stable_ids(monkeypatch):
    protocol = active_protocol()
    assert checks.check_visit_schedules() == []
    # The instrument registry no longer knows a code the schedule expects.
    monkeypatch.setattr(codes, "known_instruments", lambda: codes.BUILTIN_INSTRUMENTS - {"cshq"})
    messages = checks.check_visit_schedules()
    assert messages, "a stored schedule naming an unknown instrument must be reported"
    assert {m.id for m in messages} == {"visits.E002"}
    assert all(str(protocol) in m.msg for m in messages)
    assert all(m.is_serious() for m in messages)
