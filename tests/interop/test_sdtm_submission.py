"""SDTM as a submission takes it (issue 20): test codes kept across exports, controlled terms,
test names, uncoded AE terms declared, SDTMIG 3.3 arms, the allocation dated before the first
dose, ASCII-only XPT files read back independently (pyreadstat), texts over 200 characters
continued in SUPP--."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pyreadstat
import pytest
from django.core.management import call_command

from neuroregen.instruments.models import Field
from neuroregen.interop import sdtm
from neuroregen.interop.dataset import collect
from neuroregen.interop.models import SdtmCode
from neuroregen.interop.sdtm import codes
from neuroregen.interop.sdtm.ct import lb_test, qs_category
from neuroregen.interop.sdtm.subjects import arm_values
from neuroregen.interop.sdtm.text import ascii_text, plain, shorten
from neuroregen.safety.models import AdverseEvent
from tests.interop.builders import PROTOCOL
from tests.interop.test_sdtm_ex_ae import PROTOCOL as SAFETY_PROTOCOL
from tests.interop.test_sdtm_ex_ae import dosed  # noqa: F401  (a fixture)


def _export(user, protocol=PROTOCOL):
    return sdtm.build(collect(user=user, protocol=protocol))


# --- 1. test codes: kept, never reassigned ---------------------------------------------------


@pytest.mark.django_db
def test_a_code_once_given_is_kept_when_a_colliding_test_arrives_later():
    # "a_1" alone takes A1; when "a1" (sorted before it) appears later it must not take A1
    first = codes.assign({("atec", "a_1"): ("a_1", "atec")})
    assert first == {("atec", "a_1"): "A1"}
    both = codes.assign({("atec", "a1"): ("a1", "atec"), ("atec", "a_1"): ("a_1", "atec")})
    assert both[("atec", "a_1")] == "A1"
    assert both[("atec", "a1")] != "A1"
    assert SdtmCode.objects.filter(space="QS").count() == 2


@pytest.mark.django_db
def test_every_qs_test_of_an_export_is_in_the_code_table_and_the_next_export_agrees(world):
    qs = _export(world.admin).frames["QS"]
    stored = dict(SdtmCode.objects.filter(space="QS").values_list("code", "test"))
    assert set(qs["QSTESTCD"]) <= set(stored)
    # the table, not the rows of this export, decides: a second export makes no new code
    count = SdtmCode.objects.count()
    again = _export(world.admin).frames["QS"]
    assert SdtmCode.objects.count() == count
    assert sorted(set(zip(again.QSCAT, again.QSTEST, again.QSTESTCD, strict=True))) == sorted(
        set(zip(qs.QSCAT, qs.QSTEST, qs.QSTESTCD, strict=True))
    )


@pytest.mark.django_db
def test_a_stored_code_cannot_be_edited_or_deleted():
    from neuroregen.core.errors import AppendOnlyError

    codes.assign({("atec", "x"): ("x", "atec")})
    row = SdtmCode.objects.get()
    row.code = "Y"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


# --- 2. controlled terminology and names -------------------------------------------------------


def test_lb_tests_are_cdisc_ct_submission_values():
    assert lb_test("il6", "Interleukin-6 (IL-6)") == ("IL6", "Interleukin 6", True)
    assert lb_test("tnfa", "Tumour necrosis factor alpha (TNF-α)") == (
        "TNFA",
        "Tumor Necrosis Factor Alpha",
        True,
    )


def test_qscat_is_the_instruments_abbreviation_never_cut_inside_a_word():
    assert qs_category("atec", "Autism Treatment Evaluation Checklist (ATEC)") == "ATEC"
    assert qs_category("cgi_s", "Clinical Global Impression – Severity (CGI-S)") == "CGI"
    long = "Parent questionnaire on everyday sleeping habits and routines of children"
    category = qs_category("own", long)
    assert len(category) <= 40
    assert long.upper().startswith(category)
    assert long.upper()[len(category)] == " "  # cut between words


@pytest.mark.django_db
def test_qstest_holds_the_tests_name_not_the_variable_name(world):
    export = _export(world.admin)
    qs = export.frames["QS"]
    items = qs[(qs.QSCAT == "ATEC") & (qs.QSSCAT == "ITEM")]
    labels = {f.field_name: f.field_label for f in Field.objects.filter(instrument__code="atec")}
    assert not items.empty
    assert not set(items.QSTEST) & set(labels)  # no row names its variable
    assert (qs.QSTEST.str.len() <= 40).all()
    assert (qs.QSCAT.str.len() <= 40).all()
    some = items.iloc[0]
    assert some.QSTEST in {shorten(plain(x), 40) for x in labels.values()}
    cgi = qs[qs.QSCAT == "CGI"]
    assert set(cgi.QSTESTCD) <= {"CGI0101", "CGI0102", "CGISALL", "CGIIALL"}


@pytest.mark.django_db
def test_code_lists_say_which_are_cdisc_and_which_are_sponsor_defined(world):
    lists = {c.instrument: c for c in _export(world.admin).codelists}
    assert lists["atec"].sponsor_defined
    assert lists["atec"].category == "ATEC"
    assert not lists["cgi_s"].sponsor_defined


# --- 3. AE terms not coded: said, not hidden ---------------------------------------------------


@pytest.mark.django_db
def test_uncoded_ae_terms_are_declared_on_export(dosed, tmp_path):  # noqa: F811
    export = _export(dosed["admin"], SAFETY_PROTOCOL)
    ae = export.frames["AE"]
    assert export.uncoded_ae == int((ae.AEDECOD == "").sum()) == 1
    assert "not coded to MedDRA" in export.messages[0]
    assert "AE" in export.nonconformant
    # without the declaration the empty AEDECOD is a finding
    assert "AE.AEDECOD: required but empty in some rows" in sdtm.conformance(export.frames)
    assert sdtm.conformance(export.frames, export.waived) == []
    out = io.StringIO()
    call_command(
        "export",
        "sdtm",
        protocol=SAFETY_PROTOCOL,
        out=tmp_path,
        user=dosed["admin"].username,
        stdout=out,
    )
    assert "not coded to MedDRA" in out.getvalue()
    assert "not coded to MedDRA" in (tmp_path / "sdtm_notes.txt").read_text()


# --- 4. arms as SDTMIG 3.3+ ---------------------------------------------------------------------


def _assignment(arm=None, eligible=True, day_zero=None):
    return SimpleNamespace(arm=arm, eligible=eligible, day_zero=day_zero)


def test_arm_variables_null_with_the_reason():
    arm = SimpleNamespace(code="msc-iv", name="MSC intravenous")
    assert arm_values(_assignment(), [])["ARMNRS"] == "NOT ASSIGNED"
    assert arm_values(_assignment(eligible=False), [])["ARMNRS"] == "SCREEN FAILURE"
    untreated = arm_values(_assignment(arm), [])
    assert (untreated["ARMCD"], untreated["ACTARMCD"], untreated["ARMNRS"]) == (
        "MSC-IV",
        "",
        "ASSIGNED, NOT TREATED",
    )
    treated = arm_values(_assignment(arm, day_zero="2026-01-10"), [])
    assert (treated["ACTARMCD"], treated["ARMNRS"]) == ("MSC-IV", "")
    other = SimpleNamespace(code="msc-it", name="MSC intrathecal")
    given = [SimpleNamespace(arm_id=1, arm=arm), SimpleNamespace(arm_id=2, arm=other)]
    mixed = arm_values(_assignment(arm, day_zero="2026-01-10"), given)
    assert mixed["ARMNRS"] == "UNPLANNED TREATMENT"
    assert mixed["ACTARMUD"] == "MSC intravenous then MSC intrathecal"


# --- 5. the allocation is dated before the first dose ------------------------------------------


@pytest.mark.django_db
def test_randomized_record_is_not_after_the_first_dose(dosed):  # noqa: F811
    frames = _export(dosed["admin"], SAFETY_PROTOCOL).frames
    ds = frames["DS"].set_index("DSDECOD")
    dm = frames["DM"].iloc[0]
    assert dm.RFXSTDTC
    assert ds.loc["RANDOMIZED", "DSSTDTC"] <= dm.RFXSTDTC[:10]
    assert ds.loc["INFORMED CONSENT OBTAINED", "DSSTDTC"] <= ds.loc["RANDOMIZED", "DSSTDTC"]


# --- 6. XPT: ASCII, Req filled, long texts in SUPP-- -------------------------------------------


@pytest.mark.django_db
def test_every_xpt_read_back_is_ascii_with_every_required_variable_filled(
    dosed,  # noqa: F811
    tmp_path,
):
    # 200 characters (the field's limit) that are longer once in ASCII ("щ" is "shch")
    long = ("Лихорадка – TNF-α; " + "щёлочь, жжение, чешуйчатая сыпь " * 7)[:200].strip()
    assert len(ascii_text(long)) > 200
    AdverseEvent.objects.filter(pk=dosed["mild"].pk).update(term=long)
    export = _export(dosed["admin"], SAFETY_PROTOCOL)
    assert any(o.original == long for o in export.originals), list(export.frames["AE"].AETERM)
    assert "SUPPAE" in export.frames
    assert sdtm.conformance(export.frames, export.waived) == []
    paths = sdtm.write_xpt(export.frames, tmp_path)
    assert {p.stem for p in paths} >= {"dm", "ae", "suppae", "ds", "ex"}
    for path in paths:
        frame, _meta = pyreadstat.read_xport(str(path), encoding="ascii")
        domain = path.stem.upper()
        required = [v.name for v in sdtm.DOMAINS[domain][1] if v.required]
        for column in frame.columns:
            if frame[column].dtype == object:
                for value in frame[column]:
                    assert value.isascii(), (domain, column, value)
                    assert len(value.encode()) <= 200
        for name in required:
            if f"{domain}.{name}" in export.waived:
                continue
            assert not (frame[name].isna() | (frame[name] == "")).any(), (domain, name)
    ae, _meta = pyreadstat.read_xport(str(tmp_path / "ae.xpt"))
    supp, _meta = pyreadstat.read_xport(str(tmp_path / "suppae.xpt"))
    term = ae.loc[ae.AESPID == dosed["mild"].code, "AETERM"].iloc[0]
    rest = " ".join(supp.loc[supp.QNAM.str.startswith("AETERM"), "QVAL"])
    assert term.startswith("Likhoradka - TNF-alpha;")
    assert f"{term} {rest}".split() == ascii_text(long).split()
