"""SDTM: conformance suite of our own, XPT v5 written and read back with labels."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest

from neuroregen.interop import sdtm
from neuroregen.interop.dataset import ExportOptions, collect
from tests.interop.builders import PROTOCOL


@pytest.mark.django_db
def test_domains_conform_and_round_trip_through_xpt_v5(world, tmp_path):
    export = sdtm.build(collect(user=world.admin, protocol=PROTOCOL))
    frames = export.frames
    assert sdtm.conformance(frames, export.waived) == []
    dm = frames["DM"]
    assert len(dm) == 3
    assert set(dm["SEX"]) <= {"M", "F"}
    assert set(dm["COUNTRY"]) == {"UKR"}  # ISO 3166 alpha-3
    assert (dm["BRTHDTC"] == "").all()  # pseudonymous by default
    qs = frames["QS"]
    assert (qs["QSTESTCD"].str.len() <= 8).all()
    assert "NOT DONE" in set(qs["QSSTAT"])  # the CSHQ not done and the declined item
    lb = frames["LB"]
    assert set(lb["LBTESTCD"]) == {"IL6"}
    assert set(lb["LBSTRESU"]) == {"pg/mL"}
    paths = sdtm.write_xpt(frames, tmp_path)
    for path in paths:
        assert path.read_bytes()[:48].startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD")
    back, meta = pyreadstat.read_xport(str(tmp_path / "qs.xpt"))
    assert list(back.columns) == list(qs.columns)
    assert meta.column_names_to_labels["QSTESTCD"] == "Question Short Name"
    assert len(back) == len(qs)


def test_conformance_suite_finds_problems():
    frames = {
        "DM": pd.DataFrame(
            [
                {
                    "STUDYID": "S",
                    "DOMAIN": "DM",
                    "USUBJID": "S-1",
                    "SUBJID": "1",
                    "RFSTDTC": "2026-01-10",
                    "SITEID": "",
                    "SEX": "X",
                    "COUNTRY": "UKR",
                }
            ],
            columns=[v.name for v in sdtm.DOMAINS["DM"][1]],
        ),
        "SV": pd.DataFrame(
            [
                {
                    "STUDYID": "S",
                    "DOMAIN": "SV",
                    "USUBJID": "S-1",
                    "VISITNUM": 1.0,
                    "SVSTDTC": "10/01/2026",
                    "SVSTDY": 0,
                },
                {
                    "STUDYID": "S",
                    "DOMAIN": "SV",
                    "USUBJID": "S-1",
                    "VISITNUM": 2.0,
                    "SVSTDTC": "2026-01-12",
                    "SVSTDY": 2,
                },
            ],
            columns=[v.name for v in sdtm.DOMAINS["SV"][1]],
        ),
    }
    findings = "\n".join(sdtm.conformance(frames))
    assert "DM.SITEID: required but empty" in findings
    assert "DM.SEX: not in controlled terms" in findings
    assert "SV.SVSTDTC: not ISO 8601" in findings
    assert "SV.SVSTDY: 2 but 2026-01-12 is day 3" in findings
    assert "no study day 0" in findings


@pytest.mark.django_db
def test_identity_only_for_an_administrator_who_asks(world):
    frames = sdtm.build_domains(
        collect(user=world.admin, protocol=PROTOCOL, options=ExportOptions(include_identity=True))
    )
    assert (frames["DM"]["BRTHDTC"] != "").all()
