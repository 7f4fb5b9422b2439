"""SDTM trial design domains (TS, TA, TE, TV, TI) from the protocol, its schedule and rules."""

from __future__ import annotations

from types import SimpleNamespace

import pyreadstat
import pytest

from neuroregen.interop import sdtm
from neuroregen.interop.dataset import collect
from neuroregen.interop.sdtm.trial_design import (
    age_limits,
    ascii_text,
    sdtm_visit_day,
    short_code,
)
from neuroregen.protocols.models import Protocol
from neuroregen.visits.models import VisitDefinition
from tests.interop.builders import PROTOCOL

TRIAL_DESIGN = ("TS", "TA", "TE", "TV", "TI")


def _rule(kind: str, field: str, operator: str, value: object) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, field=field, operator=operator, value=value)


def test_age_limits_read_inclusions_and_exclusions_in_months():
    rules = [
        _rule("require", "age_months", "ge", 24),
        _rule("require", "age_months", "lt", 156),
        _rule("exclude", "age_years", "gt", 10),  # excluded above 10 y: at most 120 months
        _rule("require", "weight_kg", "ge", 10),
    ]
    assert age_limits(rules) == (24, 120)
    assert age_limits([_rule("exclude", "age_months", "lt", 36)]) == (36, None)
    assert age_limits([]) == (None, None)


def test_texts_become_ascii_and_are_cut_at_a_word():
    assert ascii_text("TNF-α – dose ≥ 10 µg") == "TNF-alpha - dose >= 10 ug"
    cut = ascii_text("word " * 60, limit=42)
    assert len(cut) <= 42
    assert cut.endswith("word")
    assert "  " not in cut


def test_sdtm_visit_day_has_no_day_zero():
    assert [sdtm_visit_day(d) for d in (-14, -1, 0, 28)] == [-14, -1, 1, 29]


@pytest.fixture
def frames(world):
    return sdtm.build_domains(collect(user=world.admin, protocol=PROTOCOL))


@pytest.mark.django_db
def test_trial_design_domains_follow_the_protocol(frames):
    protocol = Protocol.objects.get(code=PROTOCOL)
    arms = list(protocol.arms.all())
    schedule = list(VisitDefinition.objects.filter(protocol=protocol))
    assert sdtm.conformance(frames) == []

    ts = frames["TS"]
    values = ts.groupby("TSPARMCD")["TSVAL"].apply(list).to_dict()
    assert values["TITLE"] == [protocol.official_title]
    assert values["SPONSOR"] == [protocol.sponsor]
    assert values["REGID"] == [protocol.registry_id]
    assert values["SSTDTC"] == [protocol.study_start_date.isoformat()]
    assert values["TPHASE"] == ["PHASE I/II TRIAL"]  # the protocol's phase "1_2"
    assert values["TBLIND"] == ["OPEN LABEL"]
    assert values["RANDOM"] == ["N"]
    assert values["NARMS"] == [str(len(arms))]
    assert values["PLANSUB"] == [str(protocol.planned_subjects)]
    assert values["ACTSUB"] == [str(len(frames["DM"]))]
    assert sorted(values["TTYPE"]) == ["EFFICACY", "SAFETY"]
    assert values["AGEMIN"] == ["P24M"]
    assert values["AGEMAX"] == ["P155M"]
    assert values["SEXPOP"] == ["BOTH"]
    assert len(values["TRT"]) == len({a.product_type for a in arms})
    assert {"SDTIGVER", "SDTMVER", "INDIC", "OBJPRIM", "STYPE", "TCNTRL", "ADDON"} <= set(values)
    coded = ts[ts["TSVALCD"] != ""]
    assert set(coded["TSVCDREF"]) == {"CDISC CT"}
    assert not ts.duplicated(["TSPARMCD", "TSSEQ"]).any()

    ta, te = frames["TA"], frames["TE"]
    assert len(ta) == 3 * len(arms)  # screening, treatment, follow-up for each arm
    assert set(frames["DM"]["ARMCD"]) - {""} <= set(ta["ARMCD"])
    assert set(ta["ETCD"]) == set(te["ETCD"])
    assert list(ta[ta["ARMCD"] == ta["ARMCD"].iloc[0]]["EPOCH"]) == [
        "SCREENING",
        "TREATMENT",
        "FOLLOW-UP",
    ]

    tv = frames["TV"]
    assert set(tv["VISIT"]) == {d.code for d in schedule}
    numbers = dict(zip(tv["VISIT"], tv["VISITNUM"], strict=False))
    for visit, number in zip(frames["SV"]["VISIT"], frames["SV"]["VISITNUM"], strict=True):
        assert numbers[visit] == number  # SV and TV number visits alike
    d0 = next(d for d in schedule if d.target_day == 0)
    assert tv[tv["VISIT"] == d0.code]["VISITDY"].tolist() == [1.0]

    ti = frames["TI"]
    eligibility = [r for r in protocol.rules.all() if r.kind in ("require", "exclude")]
    assert len(ti) == len(eligibility)
    assert sorted(ti["IECAT"].unique()) == ["EXCLUSION", "INCLUSION"]
    assert (ti["IETESTCD"].str.len() <= 8).all()
    assert ti["IETESTCD"].is_unique
    assert set(ti["TIVERS"]) == {protocol.version}


@pytest.mark.django_db
def test_a_protocol_without_registration_says_so_in_ts(world):
    Protocol.objects.filter(code=PROTOCOL).update(sponsor="", registry_id="", trial_phase="")
    ts = sdtm.build_domains(collect(user=world.admin, protocol=PROTOCOL))["TS"]
    for parameter in ("SPONSOR", "REGID", "TPHASE"):
        row = ts[ts["TSPARMCD"] == parameter].iloc[0]
        assert (row["TSVAL"], row["TSVALNF"]) == ("", "UNK")


@pytest.mark.django_db
def test_trial_design_xpt_files_are_ascii_and_read_back(frames, tmp_path):
    sdtm.write_xpt({d: frames[d] for d in TRIAL_DESIGN}, tmp_path)
    for domain in TRIAL_DESIGN:
        back, _meta = pyreadstat.read_xport(str(tmp_path / f"{domain.lower()}.xpt"))
        assert list(back.columns) == [v.name for v in sdtm.DOMAINS[domain][1]]
        assert len(back) == len(frames[domain]) > 0
        for column in back.columns:
            if back[column].dtype == object:
                assert all(str(v).isascii() for v in back[column]), (domain, column)
    ta, _meta = pyreadstat.read_xport(str(tmp_path / "ta.xpt"))
    assert ta["TAETORD"].dtype == "float64"  # numeric, as SDTMIG defines it


def test_short_codes_are_unique_and_at_most_eight_characters():
    taken: set[str] = set()
    made = [short_code(n, taken, "IE") for n in ("age-min", "age min", "1st", "weight-minimum")]
    assert made == ["AGEMIN", "IE1", "IE1ST", "WEIGHTMI"]
    assert len(set(made)) == len(made)
