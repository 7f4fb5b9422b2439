"""define.xml (Define-XML 2.0.0) describing the SDTM datasets of one export.

One ``ItemGroupDef`` per dataset (structure, class, keys, its ``.xpt`` as ``def:leaf``), one
``ItemDef`` per variable (data type and length from the data, origin, code list), value-level
metadata for QS (per ``QSTESTCD``, on ``QSORRES``) and LB (per ``LBTESTCD``, on ``LBORRES``),
code lists of the values used (CDISC CT codes where stated in :mod:`define_meta`, otherwise
marked sponsor-defined), computational methods of derived variables and comments.

While any AE record has no dictionary-derived term (MedDRA coding comes later), the AE dataset
carries a comment saying it is not conformant (see :func:`ae_terms_uncoded`).
Validated against the official schema shipped in odmlib (:func:`validate`), and every
reference inside the file resolves (:func:`dangling`).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import pandas as pd
from defusedxml import ElementTree as SafeET

from neuroregen.core.xml_out import xml_bytes
from neuroregen.interop.sdtm import define_meta as meta
from neuroregen.interop.sdtm.ct import Codelist
from neuroregen.interop.sdtm.spec import DOMAINS
from neuroregen.interop.sdtm.trial_terms import SDTMIG_VERSION
from neuroregen.interop.xml_schemas import DEFINE_20, odmlib_schema, schema_errors

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.0"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

UNCODED_AE = (
    "NOT CONFORMANT: adverse event terms are not yet coded to MedDRA, so AEDECOD and "
    "AEBODSYS are empty in {n} record(s). Coding follows in a later release."
)


def _o(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _d(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v != ""})
    if text is not None:
        element.text = text
    return element


def _describe(parent: ET.Element, text: str) -> None:
    _sub(_sub(parent, _o("Description")), _o("TranslatedText"), text or "-").set(XML_LANG, "en")


def ae_terms_uncoded(frames: dict[str, pd.DataFrame]) -> int:
    """The number of AE records without a dictionary-derived term (0: all coded)."""
    ae = frames.get("AE")
    if ae is None or ae.empty:
        return 0
    return int(sum(1 for v in ae["AEDECOD"] if not (isinstance(v, str) and v)))


def _values(frame: pd.DataFrame, name: str) -> list[Any]:
    if name not in frame.columns:
        return []
    return [v for v in frame[name] if v is not None and v == v and v != ""]


def _shape(values: list[Any], name: str) -> dict[str, str]:
    """DataType, Length and SignificantDigits of a variable (or a value-level item)."""
    if name.endswith("DTC"):
        return {"DataType": "date" if all(len(str(v)) <= 10 for v in values) else "datetime"}
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        if all(float(v).is_integer() for v in values):
            return {"DataType": "integer", "Length": str(max(len(str(int(v))) for v in values))}
        digits = max(len(f"{v:g}".split(".")[1]) if "." in f"{v:g}" else 0 for v in values)
        width = max(len(f"{v:.{digits}f}") for v in values)
        return {"DataType": "float", "Length": str(width), "SignificantDigits": str(digits)}
    length = max((len(str(v).encode()) for v in values), default=1)
    return {"DataType": "text", "Length": str(max(length, 1))}


def define_xml(
    frames: dict[str, pd.DataFrame],
    *,
    study: str,
    study_name: str,
    protocol_name: str,
    created: dt.datetime | None = None,
    qs_sources: Sequence[Codelist] = (),
) -> bytes:
    """The define.xml of ``frames`` (each written as ``<domain>.xpt`` beside it);
    ``qs_sources`` says, per instrument, whether its QS codes are CDISC CT or sponsor-defined
    (``SdtmExport.codelists``)."""
    created = created or dt.datetime.now(dt.UTC)
    root = ET.Element(
        _o("ODM"),
        {
            "ODMVersion": "1.3.2",
            "FileType": "Snapshot",
            "FileOID": f"DEFINE.{study}",
            "CreationDateTime": created.replace(microsecond=0).isoformat(),
            "Originator": "NeuroRegen",
            "SourceSystem": "NeuroRegen",
        },
    )
    study_el = _sub(root, _o("Study"), OID=f"STDY.{study}")
    glob = _sub(study_el, _o("GlobalVariables"))
    _sub(glob, _o("StudyName"), study)
    _sub(glob, _o("StudyDescription"), study_name or study)
    _sub(glob, _o("ProtocolName"), protocol_name or study)
    mdv = _sub(study_el, _o("MetaDataVersion"), OID=f"MDV.{study}", Name=f"{study} SDTM")
    mdv.set(_d("DefineVersion"), "2.0.0")
    mdv.set(_d("StandardName"), "SDTM-IG")
    mdv.set(_d("StandardVersion"), SDTMIG_VERSION)
    _Writer(frames, mdv, qs_sources).write()
    ET.indent(root)
    return xml_bytes(root, default_namespace=ODM_NS, prefixes={"def": DEF_NS, "xlink": XLINK_NS})


class _Writer:
    """Fills a MetaDataVersion in the schema's element order."""

    def __init__(
        self, frames: dict[str, pd.DataFrame], mdv: ET.Element, qs_sources: Sequence[Codelist]
    ) -> None:
        self.frames = frames
        self.qs_sources = qs_sources
        self.mdv = mdv
        self.item_defs: list[ET.Element] = []
        self.codelists: dict[str, set[str]] = {}  # key → values used
        self.decodes: dict[str, dict[str, str]] = {}
        self.methods: set[str] = set()
        self.comments: dict[str, str] = {}
        self.external: set[str] = set()

    def write(self) -> None:
        value_lists = [self._value_list("QS", "QSTESTCD", "QSORRES", "QSSCAT")]
        value_lists.append(self._value_list("LB", "LBTESTCD", "LBORRES", None))
        groups = [self._group(domain, frame) for domain, frame in self.frames.items()]
        for vl in value_lists:
            if vl is not None:
                self.mdv.append(vl[0])
        for vl in value_lists:
            if vl is not None:
                self.mdv.extend(vl[1])
        self.mdv.extend(groups)
        self.mdv.extend(self.item_defs)
        for key in sorted(self.codelists):
            self._codelist(key)
        for name in sorted(self.external):
            dictionary, version = meta.EXTERNAL[name]
            cl = _sub(self.mdv, _o("CodeList"), OID=f"CL.{name}", Name=name, DataType="text")
            _sub(cl, _o("ExternalCodeList"), Dictionary=dictionary, Version=version)
        for oid in sorted(self.methods):
            name, text = meta.METHODS[oid]
            method = _sub(self.mdv, _o("MethodDef"), OID=oid, Name=name, Type="Computation")
            _describe(method, text)
        for oid, text in sorted(self.comments.items()):
            _describe(_sub(self.mdv, _d("CommentDef"), OID=oid), text)

    def _group(self, domain: str, frame: pd.DataFrame) -> ET.Element:
        label, variables = DOMAINS[domain]
        group = ET.Element(
            _o("ItemGroupDef"),
            {
                "OID": f"IG.{domain}",
                "Domain": domain,
                "Name": domain,
                "Repeating": "No" if domain == "DM" else "Yes",
                "IsReferenceData": "Yes" if domain in meta.TRIAL_DESIGN else "No",
                "SASDatasetName": domain,
                "Purpose": "Tabulation",
                _d("Structure"): meta.STRUCTURE.get(domain, "One record per row"),
                _d("Class"): meta.CLASS.get(domain, "FINDINGS"),
                _d("ArchiveLocationID"): f"LF.{domain}",
            },
        )
        uncoded = ae_terms_uncoded(self.frames) if domain == "AE" else 0
        if uncoded:
            group.set(_d("CommentOID"), "COM.AE.UNCODED")
            self.comments["COM.AE.UNCODED"] = UNCODED_AE.format(n=uncoded)
        _describe(group, label + (" (not conformant: terms uncoded)" if uncoded else ""))
        keys = meta.KEYS.get(domain, ())
        for order, var in enumerate(variables, start=1):
            kind, method = meta.origin(domain, var.name)
            _sub(
                group,
                _o("ItemRef"),
                ItemOID=f"IT.{domain}.{var.name}",
                OrderNumber=str(order),
                Mandatory="Yes" if var.required else "No",
                KeySequence=str(keys.index(var.name) + 1) if var.name in keys else "",
                MethodOID=method or "",
            )
            if method:
                self.methods.add(method)
            self._item_def(domain, frame, var.name, var.label, kind)
        leaf = _sub(group, _d("leaf"), ID=f"LF.{domain}")
        leaf.set(f"{{{XLINK_NS}}}href", f"{domain.lower()}.xpt")
        _sub(leaf, _d("title"), f"{domain.lower()}.xpt")
        return group

    def _item_def(self, domain: str, frame: pd.DataFrame, name: str, label: str, kind: str) -> None:
        values = _values(frame, name)
        item = ET.Element(
            _o("ItemDef"), {"OID": f"IT.{domain}.{name}", "Name": name, **_shape(values, name)}
        )
        item.set("SASFieldName", name)
        _describe(item, label)
        key = meta.VARIABLE_CODELIST.get(name)
        if name in meta.EXTERNAL:
            _sub(item, _o("CodeListRef"), CodeListOID=f"CL.{name}")
            self.external.add(name)
        elif key and values:
            _sub(item, _o("CodeListRef"), CodeListOID=f"CL.{key}")
            self.codelists.setdefault(key, set()).update(str(v) for v in values)
            decode = meta.CODELISTS[key].decode
            if decode and decode in frame.columns:
                pairs = frame[[name, decode]].drop_duplicates(name)
                self.decodes.setdefault(key, {}).update(
                    {str(a): str(b) for a, b in pairs.itertuples(index=False)}
                )
            if self._note(key) and name.endswith("TESTCD"):
                oid = f"COM.{key}"
                item.set(_d("CommentOID"), oid)
                self.comments[oid] = self._note(key)
        _sub(item, _d("Origin"), Type=kind)
        if (domain, name) in (("QS", "QSORRES"), ("LB", "LBORRES")) and values:
            _sub(item, _d("ValueListRef"), ValueListOID=f"VL.{domain}.{name}")
        self.item_defs.append(item)

    def _value_list(
        self, domain: str, testcd: str, result: str, scat: str | None
    ) -> tuple[ET.Element, list[ET.Element]] | None:
        """Per test code: an ItemDef of the result, its WhereClause and ValueList entry."""
        frame = self.frames.get(domain)
        if frame is None or frame.empty or not _values(frame, result):
            return None
        vl = ET.Element(_d("ValueListDef"), OID=f"VL.{domain}.{result}")
        wheres = []
        test = f"{domain}TEST"
        for order, (code, rows) in enumerate(sorted(frame.groupby(testcd)), start=1):
            derived = scat is not None and "SCORE" in set(rows[scat])
            method = "MT.QSTOTAL" if derived else ""
            wc = f"WC.{domain}.{testcd}.{code}"
            ref = _sub(
                vl,
                _o("ItemRef"),
                ItemOID=f"IT.{domain}.{result}.{code}",
                OrderNumber=str(order),
                Mandatory="No",
                MethodOID=method,
            )
            _sub(ref, _d("WhereClauseRef"), WhereClauseOID=wc)
            if method:
                self.methods.add(method)
            where = ET.Element(_d("WhereClauseDef"), OID=wc)
            check = _sub(where, _o("RangeCheck"), SoftHard="Soft", Comparator="EQ")
            check.set(_d("ItemOID"), f"IT.{domain}.{testcd}")
            _sub(check, _o("CheckValue"), str(code))
            wheres.append(where)
            values = _values(rows, result)
            numbers = [float(v) for v in values if _is_number(v)]
            shape = _shape(numbers if len(numbers) == len(values) else values, result)
            item = ET.Element(
                _o("ItemDef"),
                {"OID": f"IT.{domain}.{result}.{code}", "Name": result, **shape},
            )
            item.set("SASFieldName", result)
            _describe(item, str(rows[test].iloc[0]) if test in rows.columns else str(code))
            _sub(item, _d("Origin"), Type="Derived" if derived else "CRF")
            self.item_defs.append(item)
        return vl, wheres

    def _note(self, key: str) -> str:
        """A code list's note; QS test codes name where each instrument's codes come from."""
        note = meta.CODELISTS[key].note
        if key != "QSTESTCD" or not self.qs_sources:
            return note
        parts = [
            f"{c.category}: {c.source}" + (f" ({c.note})" if c.note else "")
            for c in self.qs_sources
        ]
        return "Codes by instrument. " + "; ".join(parts) + "."

    def _codelist(self, key: str) -> None:
        spec = meta.CODELISTS[key]
        values = sorted(self.codelists[key])
        data_type = "text"
        cl = _sub(self.mdv, _o("CodeList"), OID=f"CL.{key}", Name=spec.name, DataType=data_type)
        if self._note(key):
            _describe(cl, self._note(key))
        decodes = self.decodes.get(key)
        for rank, value in enumerate(values, start=1):
            if decodes is not None:
                entry = _sub(cl, _o("CodeListItem"), CodedValue=value, Rank=str(rank))
                _sub(_sub(entry, _o("Decode")), _o("TranslatedText"), decodes.get(value, value))
            else:
                entry = _sub(cl, _o("EnumeratedItem"), CodedValue=value, Rank=str(rank))
            if value in spec.terms:
                _sub(entry, _o("Alias"), Context="nci:ExtCodeID", Name=spec.terms[value])
        if spec.nci:
            _sub(cl, _o("Alias"), Context="nci:ExtCodeID", Name=spec.nci)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def schema() -> Any:
    return odmlib_schema(DEFINE_20)


def validate(document: bytes) -> list[str]:
    """Every schema violation, as text (empty: valid Define-XML 2.0)."""
    return schema_errors(document, DEFINE_20)


REFERENCES = {
    # attribute (on any element) → the element kind whose OID/ID it must name
    "ItemOID": "ItemDef",
    f"{{{DEF_NS}}}ItemOID": "ItemDef",
    "ValueListOID": "ValueListDef",
    "CodeListOID": "CodeList",
    "MethodOID": "MethodDef",
    "WhereClauseOID": "WhereClauseDef",
    f"{{{DEF_NS}}}CommentOID": "CommentDef",
    f"{{{DEF_NS}}}ArchiveLocationID": "leaf",
}


def dangling(document: bytes) -> list[str]:
    """Every reference (ItemRef, ValueListRef, CodeListRef, MethodOID, WhereClauseRef,
    CommentOID, ArchiveLocationID) naming nothing defined in the document."""
    tree = SafeET.fromstring(document)
    defined: dict[str, set[str]] = {}
    for element in tree.iter():
        local = element.tag.rsplit("}", 1)[-1]
        oid = element.get("OID") or element.get("ID")
        if oid:
            defined.setdefault(local, set()).add(oid)
    found = []
    for element in tree.iter():
        for attribute, kind in REFERENCES.items():
            target = element.get(attribute)
            if target and target not in defined.get(kind, set()):
                found.append(f"{attribute.rsplit('}', 1)[-1]}={target}: no {kind}")
    return found
