"""Every conformance rule added for issue 20 catches a dataset broken on purpose; the same
dataset unbroken passes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from neuroregen.interop import sdtm
from tests.interop.sdtm_rows import dm_row, ex_row, frame


def _ds(decod: str, on: str, seq: float) -> dict[str, Any]:
    return {
        "STUDYID": "S",
        "DOMAIN": "DS",
        "USUBJID": "S-1",
        "DSSEQ": seq,
        "DSTERM": decod.capitalize(),
        "DSDECOD": decod,
        "DSCAT": "PROTOCOL MILESTONE",
        "DSSTDTC": on,
        "DSSTDY": sdtm.sdtm_day(pd.Timestamp("2026-01-10").date(), pd.Timestamp(on).date()),
    }


def _frames(dm: dict[str, Any] | None = None, randomized: str = "2026-01-05", **ex: Any):
    return {
        "DM": frame("DM", [dm or dm_row()]),
        "DS": frame(
            "DS",
            [
                _ds("INFORMED CONSENT OBTAINED", "2026-01-02", 1.0),
                _ds("RANDOMIZED", randomized, 2.0),
            ],
        ),
        "EX": frame("EX", [ex_row(**ex)]),
    }


def _found(frames: dict[str, pd.DataFrame]) -> str:
    return "\n".join(sdtm.conformance(frames))


def test_the_unbroken_dataset_passes():
    assert sdtm.conformance(_frames()) == []


@pytest.mark.parametrize(
    ("dm", "randomized", "expected"),
    [
        ({"RFICDTC": "2026-01-11"}, "2026-01-05", "DM.RFSTDTC: 2026-01-10 is before informed"),
        ({"RFSTDTC": "2026-01-11"}, "2026-01-05", "DM.RFXSTDTC: 2026-01-10 is before RFSTDTC"),
        ({}, "2026-01-12", "DS.DSSTDTC: RANDOMIZED on 2026-01-12, after the first dose"),
        ({"RFXSTDTC": ""}, "2026-01-05", "DM.RFXSTDTC: empty but S-1 has exposure"),
    ],
)
def test_date_order_across_dm_ds_ex(dm, randomized, expected):
    assert expected in _found(_frames(dm_row(**dm), randomized))


def test_rfxstdtc_is_the_first_exposure():
    assert "but the first EXSTDTC is 2026-01-11T09:00" in _found(
        _frames(EXSTDTC="2026-01-11T09:00", EXENDTC="2026-01-11T09:40", EXSTDY=2, EXENDY=2)
    )


@pytest.mark.parametrize(
    ("arms", "expected"),
    [
        ({"ARMCD": "NOTASSGN", "ARM": "Not Assigned"}, "not used since SDTMIG 3.3"),
        ({"ACTARMCD": "NOTTRT", "ACTARM": "Not Treated"}, "not used since SDTMIG 3.3"),
        ({"ARMCD": "", "ARM": "", "ACTARMCD": "", "ACTARM": ""}, "ARMCD is null but ARMNRS"),
        ({"ACTARMCD": "", "ACTARM": ""}, "ACTARMCD is null but ARMNRS is empty"),
        ({"ARMNRS": "NOT ASSIGNED"}, "DM.ARMNRS: NOT ASSIGNED but both arms are filled"),
        ({"ACTARMUD": "A then B"}, "DM.ACTARMUD: filled exactly when"),
        ({"ARM": ""}, "DM.ARM: an arm code without its description"),
        (
            {"ACTARMCD": "", "ACTARM": "", "ARMNRS": "ASSIGNED, NOT TREATED"},
            "ASSIGNED, NOT TREATED but S-1 has exposure",
        ),
    ],
)
def test_arm_rules(arms, expected):
    assert expected in _found(_frames(dm_row(**arms)))


def test_arms_null_with_their_reason_pass():
    frames = _frames(dm_row(ACTARMCD="", ACTARM="", ARMNRS="UNPLANNED TREATMENT", ACTARMUD="A, B"))
    assert sdtm.conformance(frames) == []
    unassigned = dm_row(ARMCD="", ARM="", ACTARMCD="", ACTARM="", ARMNRS="NOT ASSIGNED")
    unassigned.update(RFSTDTC="", RFXSTDTC="", RFXENDTC="", RFENDTC="")
    assert sdtm.conformance({"DM": frame("DM", [unassigned])}) == []


def test_non_ascii_and_over_200_bytes_are_found():
    found = _found(_frames(EXTRT="Клетки – MSC", EXLOT="L" * 201))
    assert "EX.EXTRT: not ASCII" in found
    assert "EX.EXLOT: values longer than 200 bytes" in found


def test_variables_absent_unknown_or_badly_named_are_found():
    frames = _frames()
    frames["DM"] = frames["DM"].drop(columns=["RFICDTC", "SUBJID"])
    frames["EX"]["EXTRTLONG"] = "x"
    found = _found(frames)
    assert "DM: expected variable RFICDTC is absent" in found
    assert "DM: required variable SUBJID is absent" in found
    assert "EX.EXTRTLONG: not a variable of EX" in found
    assert "EX.EXTRTLONG: name > 8 characters" in found


def test_iso_8601_partial_dates_pass_and_impossible_ones_do_not():
    assert "not ISO 8601" not in _found(_frames(dm_row(BRTHDTC="2020-05")))
    assert "DM.BRTHDTC: not ISO 8601" in _found(_frames(dm_row(BRTHDTC="2020-13-01")))


def test_a_waived_check_is_only_the_declared_one():
    ae = {
        "STUDYID": "S",
        "DOMAIN": "AE",
        "USUBJID": "S-1",
        "AESEQ": 1.0,
        "AETERM": "Fever",
        "AESEV": "MILD",
        "AESER": "N",
        "AEACN": "DOSE NOT CHANGED",
        "AEREL": "NOT RELATED",
        **dict.fromkeys(sdtm.AE_FLAGS, "N"),
        "AEOUT": "RECOVERED/RESOLVED",
        "AETOXGR": "1",
        "AESTDTC": "2026-01-12",
        "AESTDY": 3,
    }
    frames = {**_frames(), "AE": frame("AE", [ae])}
    assert "AE.AEDECOD: required but empty" in _found(frames)
    assert sdtm.conformance(frames, {"AE.AEDECOD"}) == []
    frames["AE"].loc[0, "AETERM"] = ""
    assert sdtm.conformance(frames, {"AE.AEDECOD"}) == [
        "AE.AETERM: required but empty in some rows"
    ]


def test_supp_records_point_at_their_domain():
    supp = {
        "STUDYID": "S",
        "RDOMAIN": "QS",
        "USUBJID": "S-1",
        "IDVAR": "AESEQ",
        "IDVARVAL": "1",
        "QNAM": "AETERM1",
        "QLABEL": "Reported Term for the Adverse Event 1",
        "QVAL": "rest",
        "QORIG": "Collected",
    }
    assert "SUPPAE: RDOMAIN must be AE" in _found({"SUPPAE": frame("SUPPAE", [supp])})
