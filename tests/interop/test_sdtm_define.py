"""define.xml 2.0: valid against the official schema (read with lxml, independently of the
validator the code uses), every reference resolves, value-level metadata, code lists,
methods, and an AE dataset with uncoded terms marked not conformant."""

from __future__ import annotations

import importlib.resources
import io
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from lxml import etree

from neuroregen.core.models import User
from neuroregen.interop import sdtm
from neuroregen.interop.dataset import collect
from neuroregen.interop.exports import FORMATS
from neuroregen.interop.sdtm import define
from tests.interop.builders import PROTOCOL

NS = {
    "odm": "http://www.cdisc.org/ns/odm/v1.3",
    "def": "http://www.cdisc.org/ns/def/v2.0",
    "xlink": "http://www.w3.org/1999/xlink",
}
XSD = importlib.resources.files("odmlib") / "schemas" / "define" / "2.0" / "define2-0-0.xsd"


def lxml_errors(document: bytes) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    ok = schema.validate(etree.fromstring(document))
    return [] if ok else [str(e) for e in schema.error_log]


def unresolved(document: bytes) -> list[str]:
    """References checked with XPath, each against the definitions of its kind."""
    tree = etree.fromstring(document)

    def ids(path: str, attribute: str = "OID") -> set[str]:
        return {e.get(attribute) for e in tree.iterfind(path, NS)}

    targets = {
        ".//odm:ItemRef[@ItemOID]": ("ItemOID", ids(".//odm:ItemDef")),
        ".//odm:CodeListRef": ("CodeListOID", ids(".//odm:CodeList")),
        ".//def:ValueListRef": ("ValueListOID", ids(".//def:ValueListDef")),
        ".//odm:ItemRef[@MethodOID]": ("MethodOID", ids(".//odm:MethodDef")),
        ".//def:WhereClauseRef": ("WhereClauseOID", ids(".//def:WhereClauseDef")),
        ".//odm:RangeCheck": (f"{{{NS['def']}}}ItemOID", ids(".//odm:ItemDef")),
        ".//odm:ItemGroupDef": (f"{{{NS['def']}}}ArchiveLocationID", ids(".//def:leaf", "ID")),
        ".//*[@def:CommentOID]": (f"{{{NS['def']}}}CommentOID", ids(".//def:CommentDef")),
    }
    missing = []
    for path, (attribute, known) in targets.items():
        for element in tree.iterfind(path, NS):
            if element.get(attribute) not in known:
                missing.append(f"{path} {attribute}={element.get(attribute)}")
    return missing


def check(document: bytes) -> etree._Element:
    assert lxml_errors(document) == []
    assert define.validate(document) == []
    assert unresolved(document) == []
    assert define.dangling(document) == []
    return etree.fromstring(document)


def make(frames: dict[str, pd.DataFrame]) -> bytes:
    return define.define_xml(frames, study="S-1", study_name="Study", protocol_name="S-1 v1")


@pytest.mark.django_db
def test_define_of_a_small_protocol_is_valid_and_complete(world):
    frames = sdtm.build_domains(collect(user=world.admin, protocol=PROTOCOL))
    tree = check(make(frames))
    groups = tree.findall(".//odm:ItemGroupDef", NS)
    assert [g.get("Name") for g in groups] == list(frames)
    for group in groups:
        assert group.get(f"{{{NS['def']}}}Structure")
        assert group.get(f"{{{NS['def']}}}Class")
        leaf = group.find("def:leaf", NS)
        assert leaf.get(f"{{{NS['xlink']}}}href") == f"{group.get('Name').lower()}.xpt"
        refs = group.findall("odm:ItemRef", NS)
        assert len(refs) == len(frames[group.get("Name")].columns)
    assert tree.find(".//odm:ItemGroupDef[@Name='TS']", NS).get("IsReferenceData") == "Yes"
    # value-level metadata: one entry per test code, for QS and LB
    for domain, result in (("QS", "QSORRES"), ("LB", "LBORRES")):
        vl = tree.find(f".//def:ValueListDef[@OID='VL.{domain}.{result}']", NS)
        checked = {c.text for c in tree.iterfind(".//def:WhereClauseDef[@OID]//odm:CheckValue", NS)}
        codes = set(frames[domain][f"{domain}TESTCD"])
        assert len(vl.findall("odm:ItemRef", NS)) == len(codes)
        assert codes <= checked
    # scores are derived by a method; answers come from the form
    score = frames["QS"][frames["QS"]["QSSCAT"] == "SCORE"]["QSTESTCD"].iloc[0]
    ref = tree.find(f".//odm:ItemRef[@ItemOID='IT.QS.QSORRES.{score}']", NS)
    assert ref.get("MethodOID") == "MT.QSTOTAL"
    item = tree.find(f".//odm:ItemDef[@OID='IT.QS.QSORRES.{score}']", NS)
    assert item.find("def:Origin", NS).get("Type") == "Derived"
    # every derived variable names its method
    for group in groups:
        for ref in group.findall("odm:ItemRef", NS):
            item = tree.find(f".//odm:ItemDef[@OID='{ref.get('ItemOID')}']", NS)
            if item.find("def:Origin", NS).get("Type") == "Derived":
                assert ref.get("MethodOID"), ref.get("ItemOID")
    assert tree.find(".//odm:ItemRef[@ItemOID='IT.QS.QSDY']", NS).get("MethodOID") == "MT.DY"
    # code lists: CDISC CT codes where known, sponsor-defined QS codes said so
    sex = tree.find(".//odm:CodeList[@OID='CL.SEX']", NS)
    assert sex.find("odm:Alias", NS).get("Name") == "C66731"
    qs_codes = tree.find(".//odm:CodeList[@OID='CL.QSTESTCD']", NS)
    assert "sponsor-defined" in qs_codes.get("Name")
    assert {i.get("CodedValue") for i in qs_codes.findall("odm:CodeListItem", NS)} == set(
        frames["QS"]["QSTESTCD"]
    )
    lengths = tree.find(".//odm:ItemDef[@OID='IT.DM.USUBJID']", NS).get("Length")
    assert int(lengths) == frames["DM"]["USUBJID"].str.len().max()


def _ae(decod: str) -> pd.DataFrame:
    names = [v.name for v in sdtm.DOMAINS["AE"][1]]
    row = dict.fromkeys(names, "")
    row |= {"STUDYID": "S-1", "DOMAIN": "AE", "USUBJID": "S-1-001", "AESEQ": 1.0}
    row |= {"AETERM": "Headache", "AEDECOD": decod, "AESTDTC": "2026-01-02", "AESTDY": 3.0}
    return pd.DataFrame([row], columns=names)


def test_ae_with_uncoded_terms_is_marked_not_conformant():
    uncoded = etree.fromstring(make({"AE": _ae("")}))
    group = uncoded.find(".//odm:ItemGroupDef[@Name='AE']", NS)
    oid = group.get(f"{{{NS['def']}}}CommentOID")
    comment = uncoded.find(f".//def:CommentDef[@OID='{oid}']", NS)
    assert "NOT CONFORMANT" in "".join(comment.itertext())
    assert define.ae_terms_uncoded({"AE": _ae("")}) == 1
    check(make({"AE": _ae("")}))
    coded = etree.fromstring(make({"AE": _ae("Headache")}))
    assert (
        coded.find(".//odm:ItemGroupDef[@Name='AE']", NS).get(f"{{{NS['def']}}}CommentOID") is None
    )


@pytest.mark.django_db
def test_the_sdtm_export_writes_define_xml_beside_the_xpt_files(world, tmp_path):
    paths = FORMATS["sdtm"](collect(user=world.admin, protocol=PROTOCOL), tmp_path)
    names = {p.name for p in paths}
    assert "define.xml" in names
    tree = check((tmp_path / "define.xml").read_bytes())
    hrefs = {leaf.get(f"{{{NS['xlink']}}}href") for leaf in tree.iterfind(".//def:leaf", NS)}
    assert hrefs == {n for n in names if n.endswith(".xpt")}
    assert all((tmp_path / href).exists() for href in hrefs)
    # where each instrument's QS codes come from is stated on the QSTESTCD code list
    [qs_codes] = tree.iterfind(".//odm:CodeList[@OID='CL.QSTESTCD']", NS)
    note = "".join(qs_codes.itertext())
    assert "Sponsor-defined" in note
    assert "ATEC" in note


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_main_protocol_exports_define_and_trial_design(tmp_path: Path):
    import pyreadstat

    call_command("demo_setup", stdout=io.StringIO())
    user = User.objects.get(username="demo-administrator")
    paths = FORMATS["sdtm"](collect(user=user, protocol=PROTOCOL), tmp_path)
    names = {p.name for p in paths}
    assert {f"{d}.xpt" for d in ("ts", "ta", "te", "tv", "ti")} | {"define.xml"} <= names
    check((tmp_path / "define.xml").read_bytes())
    for domain in ("TS", "TA", "TE", "TV", "TI"):
        frame, _meta = pyreadstat.read_xport(str(tmp_path / f"{domain.lower()}.xpt"))
        assert len(frame) > 0
        for var in sdtm.DOMAINS[domain][1]:
            if var.required:
                assert frame[var.name].notna().all()
                assert (frame[var.name] != "").all()
