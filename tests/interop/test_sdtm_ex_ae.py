"""SDTM EX and AE: hand-built administrations and adverse events, values checked one by one,
XPT round trip, the conformance checks that guard the two domains, and a constant number of
queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pyreadstat
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.interop import sdtm
from neuroregen.interop.dataset import ExportOptions, collect, date_shift_days
from neuroregen.protocols import services as protocol_services
from neuroregen.visits import services as visit_services
from neuroregen.visits.models import Visit
from tests.helpers import make_user, site_a_today
from tests.interop.sdtm_rows import ae_row, dm_row, ex_row, frame
from tests.safety import builders as sb

PROTOCOL = "SAF-TEST"
KYIV = ZoneInfo("Europe/Kyiv")


def _protocol_with_d0_visit():
    """The safety test protocol with a schedule: dosing visits on days 0 and 14."""
    document = sb.protocol_document(PROTOCOL)
    document["schedule"] = [
        {
            "code": code,
            "name": code,
            "phase": phase,
            "target_day": day,
            "window_before": 0,
            "window_after": 3,
            "optional": False,
            "arm_codes": [],
            "instruments": [],
            "biomarkers": [],
            "safety_checks": [],
        }
        for code, phase, day in (("D0", "administration", 0), ("D14", "administration", 14))
    ]
    admin = make_user(Role.ADMINISTRATOR, None)
    protocol = protocol_services.protocol_import(user=admin, data=document)
    return protocol_services.protocol_activate(user=admin, protocol=protocol, reason="approved")


def _dosed(coordinator, site, day_zero: dt.date):
    """A child dosed at 10:00 Kyiv time on ``day_zero`` (the administration marks D0 done)."""
    when = dt.datetime.combine(day_zero, dt.time(10, 0), tzinfo=KYIV)
    participant, administration = sb.administered(coordinator, site, when=when)
    d0 = Visit.objects.get(participant=participant, code="D0")
    if d0.done_on is None:
        visit_services.visit_record_done(user=coordinator, visit=d0, done_on=day_zero)
    return participant, administration


@pytest.fixture
def dosed(site_a, coordinator_a):
    _protocol_with_d0_visit()
    day_zero = site_a_today() - dt.timedelta(days=10)
    participant, administration = _dosed(coordinator_a, site_a, day_zero)
    mild = sb.record(
        coordinator_a,
        participant,
        term="Headache after lumbar puncture",
        soc="nervous",
        onset_date=day_zero + dt.timedelta(days=1),
        resolution_date=day_zero + dt.timedelta(days=3),
        grade=2,
        relatedness_product="unlikely",
        relatedness_procedure="probable",
        outcome="recovered",
        action_taken="none",
    )
    serious = sb.record(
        coordinator_a,
        participant,
        serious=True,
        term="Fever with vomiting",
        coded_term="Pyrexia",
        coded_term_code="10037660",
        coding_dictionary="MedDRA 27.1",
        soc="general",
        onset_date=day_zero + dt.timedelta(days=4),
        grade=3,
        serious_hospitalisation=True,
        relatedness_product="possible",
        action_taken="withheld",
        outcome="recovering",
    )
    return {
        "participant": participant,
        "administration": administration,
        "day_zero": day_zero,
        "mild": mild,
        "serious": serious,
        "admin": make_user(Role.ADMINISTRATOR, None),
    }


@pytest.mark.django_db
def test_ex_row_carries_dose_route_lot_visit_and_study_day(dosed):
    export = sdtm.build(collect(user=dosed["admin"], protocol=PROTOCOL))
    frames = export.frames
    assert sdtm.conformance(frames, export.waived) == []
    a = dosed["administration"]
    participant = dosed["participant"]
    ex = frames["EX"]
    assert len(ex) == 1
    row = ex.iloc[0].to_dict()
    assert row["USUBJID"] == f"{PROTOCOL}-{participant.study_code}"
    assert row["EXSEQ"] == 1.0
    assert row["EXTRT"] == "AUTOLOGOUS IPSC-DERIVED NEURONS"
    assert row["EXDOSE"] == 1_000_000.0  # 2 mL × 1e7 cells/mL ÷ 20 kg
    assert row["EXDOSU"] == "cells/kg"
    assert row["EXDOSFRM"] == "SUSPENSION"
    assert row["EXROUTE"] == "INTRATHECAL"
    assert row["EXLOT"] == a.lot.code
    assert row["EXREFID"] == a.container.code
    assert row["EXSPID"] == a.code
    assert row["VISIT"] == "D0"
    assert row["VISITNUM"] == 1.0
    assert row["EXSTDTC"] == f"{dosed['day_zero'].isoformat()}T10:00"  # the site's clock
    assert row["EXENDTC"] == f"{dosed['day_zero'].isoformat()}T10:30"
    assert row["EXSTDY"] == 1  # day 0 is SDTM day 1
    assert row["EXENDY"] == 1
    dm = frames["DM"].iloc[0]
    assert dm["RFSTDTC"] == dosed["day_zero"].isoformat()
    assert dm["RFXENDTC"] == row["EXENDTC"]  # the end of the last (here only) administration


@pytest.mark.django_db
def test_ae_rows_map_grade_seriousness_relatedness_action_and_outcome(dosed):
    frames = sdtm.build_domains(collect(user=dosed["admin"], protocol=PROTOCOL))
    ae = frames["AE"].set_index("AESPID")
    mild = ae.loc[dosed["mild"].code].to_dict()
    assert mild["AESEQ"] == 1.0
    assert mild["AETERM"] == "Headache after lumbar puncture"
    assert mild["AEDECOD"] == ""  # not coded: no dictionary term invented
    assert mild["AEBODSYS"] == ""
    assert (mild["AESEV"], mild["AETOXGR"], mild["AESER"]) == ("MODERATE", "2", "N")
    assert mild["AEREL"] == "UNLIKELY RELATED"  # to the product, not the procedure
    assert (mild["AEACN"], mild["AEACNOTH"]) == ("DOSE NOT CHANGED", "")
    assert mild["AEOUT"] == "RECOVERED/RESOLVED"
    assert all(mild[f] == "N" for f in sdtm.AE_FLAGS)
    assert mild["AESTDTC"] == (dosed["day_zero"] + dt.timedelta(days=1)).isoformat()
    assert (mild["AESTDY"], mild["AEENDY"]) == (2, 4)
    serious = ae.loc[dosed["serious"].code].to_dict()
    assert serious["AESEQ"] == 2.0
    assert (serious["AEDECOD"], serious["AEBODSYS"]) == (
        "Pyrexia",
        "General disorders and administration site conditions",
    )
    assert (serious["AESEV"], serious["AETOXGR"], serious["AESER"]) == ("SEVERE", "3", "Y")
    assert serious["AESHOSP"] == "Y"
    assert [serious[f] for f in ("AESCONG", "AESDISAB", "AESDTH", "AESLIFE", "AESMIE")] == ["N"] * 5
    assert serious["AEREL"] == "POSSIBLY RELATED"
    assert (serious["AEACN"], serious["AEACNOTH"]) == (
        "DRUG INTERRUPTED",
        "FURTHER DOSING WITHHELD",
    )
    assert serious["AEOUT"] == "RECOVERING/RESOLVING"
    assert serious["AEENDTC"] == ""
    assert serious["AESTDY"] == 5
    assert pd.isna(serious["AEENDY"])


@pytest.mark.django_db
def test_shifted_dates_keep_study_days_and_xpt_round_trips(dosed, tmp_path):
    participant = dosed["participant"]
    export = sdtm.build(
        collect(user=dosed["admin"], protocol=PROTOCOL, options=ExportOptions(shift_dates=True))
    )
    frames = export.frames
    assert sdtm.conformance(frames, export.waived) == []
    shift = dt.timedelta(days=date_shift_days(participant.study_code))
    ex = frames["EX"].iloc[0]
    assert ex["EXSTDTC"] == f"{(dosed['day_zero'] + shift).isoformat()}T10:00"
    assert ex["EXSTDY"] == 1
    ae = frames["AE"]
    assert list(ae["AESTDY"]) == [2, 5]
    assert ae.iloc[0]["AESTDTC"] == (dosed["day_zero"] + dt.timedelta(days=1) + shift).isoformat()
    paths = sdtm.write_xpt(frames, tmp_path)
    assert {p.name for p in paths} >= {"ex.xpt", "ae.xpt"}
    back, meta = pyreadstat.read_xport(str(tmp_path / "ae.xpt"))
    assert list(back.columns) == [v.name for v in sdtm.DOMAINS["AE"][1]]
    assert meta.column_names_to_labels["AETOXGR"] == "Standard Toxicity Grade"
    assert list(back["AESER"]) == ["N", "Y"]
    ex_back, ex_meta = pyreadstat.read_xport(str(tmp_path / "ex.xpt"))
    assert ex_meta.table_name == "EX"
    assert ex_back["EXDOSE"].tolist() == [1_000_000.0]  # numeric, not text
    assert ex_back["EXLOT"].tolist() == [dosed["administration"].lot.code]


@pytest.mark.django_db
def test_an_investigator_of_another_site_exports_no_ex_or_ae(dosed, site_a, site_b):
    own = sdtm.build_domains(collect(user=make_user(Role.INVESTIGATOR, site_a), protocol=PROTOCOL))
    assert (len(own["EX"]), len(own["AE"])) == (1, 2)
    outsider = make_user(Role.INVESTIGATOR, site_b)
    frames = sdtm.build_domains(collect(user=outsider, protocol=PROTOCOL))
    assert (len(frames["DM"]), len(frames["EX"]), len(frames["AE"])) == (0, 0, 0)


@pytest.mark.django_db
def test_collect_reads_administrations_and_events_in_constant_queries(dosed, site_a, coordinator_a):
    def count() -> list[str]:
        user = User.objects.get(pk=dosed["admin"].pk)  # no permission cache carried over
        with CaptureQueriesContext(connection) as ctx:
            dataset = collect(user=user, protocol=PROTOCOL)
        assert sum(len(v) for v in dataset.administrations.values()) == len(dataset.participants)
        return [q["sql"] for q in ctx.captured_queries]

    one = count()
    for offset in (20, 30):
        participant, _ = _dosed(coordinator_a, site_a, site_a_today() - dt.timedelta(days=offset))
        sb.record(coordinator_a, participant, onset_date=site_a_today() - dt.timedelta(days=1))
    more = count()
    assert len(more) == len(one), "\n".join(more)


def test_hand_built_ae_and_ex_that_conform_pass():
    ex = ex_row()
    frames = {"DM": frame("DM", [dm_row()]), "EX": frame("EX", [ex]), "AE": frame("AE", [ae_row()])}
    assert sdtm.conformance(frames) == []


def test_conformance_finds_ex_and_ae_problems():
    ex = {
        "STUDYID": "S",
        "DOMAIN": "EX",
        "USUBJID": "S-1",
        "EXSEQ": 1.0,
        "EXTRT": "",
        "EXROUTE": "INTRANASAL",
        "EXDOSU": "cells",
        "EXSTDTC": "2026-01-10T09:00",
        "EXENDTC": "2026-01-10T08:00",
        "EXSTDY": 0,
    }
    frames = {
        "DM": frame("DM", [dm_row()]),
        "EX": frame("EX", [ex]),
        "AE": frame(
            "AE",
            [
                ae_row(AESER="Y"),  # serious with no criterion
                ae_row(AESEQ=2.0, AESHOSP="Y"),  # a criterion but not serious
                ae_row(AESEQ=2.0, AESPID="AE-3", AETOXGR="5"),  # duplicate SEQ; grade 5, not fatal
                ae_row(AESEQ=4.0, AESEV="GRADE 2", AEOUT="DEAD", AESTDY=5),
                ae_row(AESEQ=5.0, AEENDTC="2026-01-11", AEENDY=2),  # ends before it starts
            ],
        ),
    }
    findings = "\n".join(sdtm.conformance(frames))
    assert "EX.EXTRT: required but empty" in findings
    assert "EX.EXROUTE: not in controlled terms: ['INTRANASAL']" in findings
    assert "EX.EXDOSU: not in controlled terms" in findings
    assert "EX.EXENDTC: 2026-01-10T08:00 is before EXSTDTC" in findings
    assert "DM.RFXENDTC: 2026-01-10T09:40 for S-1, but the last EXENDTC is 2026-01-10T08:00" in (
        findings
    )
    assert "EX.EXSTDY: SDTM has no study day 0" in findings
    assert "EX.EXSTDY: 0 but 2026-01-10T09:00 is day 1" in findings
    assert "AE.AESER: Y but no seriousness criterion" in findings
    assert "AE.AESER: N but a seriousness criterion is Y" in findings
    assert "AE.AESEQ: not unique within USUBJID" in findings
    assert "AE.AETOXGR: grade 5 exactly when AEOUT is FATAL (AE-3)" in findings
    assert "AE.AESEV: not in controlled terms: ['GRADE 2']" in findings
    assert "AE.AEOUT: not in controlled terms: ['DEAD']" in findings
    assert "AE.AESTDY: 5 but 2026-01-12 is day 3" in findings
    assert "AE.AEENDTC: 2026-01-11 is before AESTDTC 2026-01-12" in findings
    assert "EX.EXDOSFRM" in findings  # empty dose form is not a CDISC term
