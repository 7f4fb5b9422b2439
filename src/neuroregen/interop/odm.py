"""CDISC ODM 1.3.2: export of metadata and clinical data, schema validation, import.

Export (one ``Study``): the schedule as ``Protocol``/``StudyEventDef`` (one per visit code),
each instrument as ``FormDef`` → one ``ItemGroupDef`` → ``ItemDef``s with ``CodeList``s, in
the REDCap shape (checkbox options as ``field___code`` items, a ``<form>_complete`` item), so
ODM and REDCap files describe the same columns. ``AdminData`` lists the users, the sites as
``Location`` and one ``SignatureDef`` per signature meaning. ``ClinicalData`` has a
``SubjectData`` per child (study code only) with the investigator's e-signature of the
treatment assignment as ``Signature``, and for every form an ``AuditRecord`` of its last change:
who, where, when and the reason. A missing-data code is ``IsNull="Yes"`` with an
``Annotation/Flag`` whose value comes from the ``CL.NR.MISSING`` code list.

A form recorded as *not done* is a ``FormData`` with no item values (its ``<form>_complete``
item ``IsNull``) and an ``Annotation`` whose ``Comment`` is the reason and whose ``Flag`` has
the value ``not_done`` from the ``CL.NR.FORM_STATUS`` code list. ODM 1.3.2 has no form status
of its own; ``TransactionType="Remove"`` would tell a receiver to delete the form, which is not
what happened, whereas an annotation is ODM's place for a comment and a coded flag on clinical
data (the same device as the missing-data flag on items).

The file is checked against the official ODM 1.3.2 XSD shipped inside ``odmlib``. Import
(:mod:`neuroregen.interop.odm_read`) validates against the same schema and reads the clinical
data back (this module imports no service: the services call it).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

from django.utils import timezone

from neuroregen.core.xml_out import xml_bytes
from neuroregen.instruments.choices import MissingCode, ResponseStatus
from neuroregen.instruments.redcap import DATE_VALIDATIONS, NUMBER_VALIDATIONS, parse_choices
from neuroregen.interop.dataset import Dataset
from neuroregen.interop.records import (
    MISSING_CODES,
    _data_fields,
    checkbox_column,
    response_cells,
)
from neuroregen.interop.xml_schemas import ODM_132, odmlib_schema, schema_errors

NS = "http://www.cdisc.org/ns/odm/v1.3"
DS = "http://www.w3.org/2000/09/xmldsig#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MISSING_LIST = "CL.NR.MISSING"
COMPLETE_LIST = "CL.NR.COMPLETE"
FORM_STATUS_LIST = "CL.NR.FORM_STATUS"
NOT_DONE_FLAG = ResponseStatus.NOT_DONE.value


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    element = ET.SubElement(parent, _q(tag), {k: str(v) for k, v in attrs.items() if v != ""})
    if text is not None:
        element.text = text
    return element


def _translated(parent: ET.Element, tag: str, text: str, lang: str = "en") -> None:
    holder = _sub(parent, tag)
    translated = _sub(holder, "TranslatedText", text or "-")
    translated.set(XML_LANG, lang)


def _stamp(value: dt.datetime) -> str:
    return timezone.localtime(value, dt.UTC).replace(microsecond=0).isoformat()


def schema() -> Any:
    return odmlib_schema(ODM_132)


def validate(document: bytes) -> list[str]:
    """Every schema violation, as text (empty: the file is valid ODM 1.3.2)."""
    return schema_errors(document, ODM_132)


# --- metadata ------------------------------------------------------------------------------


def _data_type(field: Any) -> str:
    if field.field_type == "calc":
        return "float"
    if field.field_type == "slider":
        return "integer"
    if field.field_type == "text":
        if field.validation == "integer":
            return "integer"
        if field.validation in NUMBER_VALIDATIONS:
            return "float"
        if field.validation in DATE_VALIDATIONS:
            return "date"
    return "text"


def _item_defs(mdv: ET.Element, instrument: Any, lists: list[ET.Element]) -> list[str]:
    """Add the instrument's ItemDefs (and collect code lists); returns their OIDs in order."""
    oids: list[str] = []
    form = instrument.code
    for f in _data_fields(instrument):
        if f.field_type == "checkbox":
            for code, label in parse_choices(f.choices):
                oid = f"I.{form}.{checkbox_column(f.field_name, code)}"
                item = _sub(
                    mdv,
                    "ItemDef",
                    OID=oid,
                    Name=checkbox_column(f.field_name, code),
                    DataType="integer",
                )
                _translated(item, "Question", f"{f.field_label} — {label}")
                oids.append(oid)
            continue
        oid = f"I.{form}.{f.field_name}"
        item = _sub(mdv, "ItemDef", OID=oid, Name=f.field_name, DataType=_data_type(f))
        _translated(item, "Question", f.field_label if instrument.items_shipped else f.field_name)
        pairs = (
            f.choice_pairs() if f.field_type in ("radio", "dropdown", "yesno", "truefalse") else []
        )
        if pairs:
            list_oid = f"CL.{form}.{f.field_name}"
            _sub(item, "CodeListRef", CodeListOID=list_oid)
            code_list = ET.Element(_q("CodeList"), OID=list_oid, Name=f.field_name, DataType="text")
            for code, label in pairs:
                entry = _sub(code_list, "CodeListItem", CodedValue=code)
                _translated(entry, "Decode", label)
            lists.append(code_list)
        oids.append(oid)
    oid = f"I.{form}.{form}_complete"
    item = _sub(mdv, "ItemDef", OID=oid, Name=f"{form}_complete", DataType="integer")
    _translated(item, "Question", "Complete?")
    _sub(item, "CodeListRef", CodeListOID=COMPLETE_LIST)
    oids.append(oid)
    return oids


def _metadata(study: ET.Element, dataset: Dataset) -> str:
    protocol = dataset.protocol
    mdv_oid = f"MDV.{protocol.code}.{protocol.version}"
    mdv = _sub(study, "MetaDataVersion", OID=mdv_oid, Name=f"{protocol.code} {protocol.version}")
    refs = _sub(mdv, "Protocol")
    for order, definition in enumerate(dataset.definitions, start=1):
        _sub(
            refs,
            "StudyEventRef",
            StudyEventOID=f"SE.{definition.code}",
            OrderNumber=order,
            Mandatory="No" if definition.optional else "Yes",
        )
    codes = [i.code for i in dataset.instruments]
    for definition in dataset.definitions:
        event = _sub(
            mdv,
            "StudyEventDef",
            OID=f"SE.{definition.code}",
            Name=definition.name,
            Repeating="No",
            Type="Scheduled",
        )
        for order, code in enumerate([c for c in definition.instruments if c in codes], 1):
            _sub(event, "FormRef", FormOID=f"F.{code}", OrderNumber=order, Mandatory="No")
    for instrument in dataset.instruments:
        form = _sub(
            mdv, "FormDef", OID=f"F.{instrument.code}", Name=instrument.title, Repeating="No"
        )
        _sub(form, "ItemGroupRef", ItemGroupOID=f"IG.{instrument.code}", Mandatory="Yes")
    groups: list[ET.Element] = []
    items_holder = ET.Element("holder")
    lists: list[ET.Element] = []
    for instrument in dataset.instruments:
        group = ET.Element(
            _q("ItemGroupDef"), OID=f"IG.{instrument.code}", Name=instrument.code, Repeating="No"
        )
        for order, oid in enumerate(_item_defs(items_holder, instrument, lists), start=1):
            _sub(group, "ItemRef", ItemOID=oid, OrderNumber=order, Mandatory="No")
        groups.append(group)
    mdv.extend(groups)
    mdv.extend(list(items_holder))
    missing = ET.Element(
        _q("CodeList"), OID=MISSING_LIST, Name="Missing-data codes", DataType="text"
    )
    for code, label in MissingCode.choices:
        entry = _sub(missing, "CodeListItem", CodedValue=code)
        _translated(entry, "Decode", str(label))
    complete = ET.Element(_q("CodeList"), OID=COMPLETE_LIST, Name="Form status", DataType="integer")
    for status, name in (("0", "Incomplete"), ("1", "Unverified"), ("2", "Complete")):
        entry = _sub(complete, "CodeListItem", CodedValue=status)
        _translated(entry, "Decode", name)
    not_done = ET.Element(
        _q("CodeList"), OID=FORM_STATUS_LIST, Name="Form not done", DataType="text"
    )
    entry = _sub(not_done, "CodeListItem", CodedValue=NOT_DONE_FLAG)
    _translated(entry, "Decode", "Not done")
    mdv.extend([*lists, missing, complete, not_done])
    return mdv_oid


# --- export --------------------------------------------------------------------------------


class _Users:
    def __init__(self) -> None:
        self.users: dict[str, str] = {}

    def ref(self, user: Any) -> str:
        if user is None:
            self.users.setdefault("USR.family", "family (questionnaire link)")
            return "USR.family"
        oid = f"USR.{user.pk}"
        self.users.setdefault(oid, user.username)
        return oid


def export_odm(dataset: Dataset) -> bytes:
    """The dataset as an ODM 1.3.2 snapshot (bytes, UTF-8)."""
    now = timezone.now()
    root = ET.Element(
        _q("ODM"),
        FileType="Snapshot",
        FileOID=f"NR.{dataset.protocol.code}.{now:%Y%m%dT%H%M%S}",
        CreationDateTime=_stamp(now),
        ODMVersion="1.3.2",
        SourceSystem="NeuroRegen",
        Granularity="All",
    )
    study = _sub(root, "Study", OID=f"ST.{dataset.protocol.code}")
    globals_ = _sub(study, "GlobalVariables")
    _sub(globals_, "StudyName", dataset.protocol.code)
    _sub(globals_, "StudyDescription", dataset.protocol.name)
    _sub(globals_, "ProtocolName", dataset.protocol.code)
    mdv_oid = _metadata(study, dataset)
    users = _Users()
    signature_defs: dict[str, str] = {}
    sites: dict[str, Any] = {}
    clinical = ET.Element(
        _q("ClinicalData"), StudyOID=f"ST.{dataset.protocol.code}", MetaDataVersionOID=mdv_oid
    )
    for participant in dataset.participants:
        sites[participant.site.code] = participant.site
        location = f"LOC.{participant.site.code}"
        subject = _sub(clinical, "SubjectData", SubjectKey=participant.study_code)
        signed = sorted(dataset.signatures.get(participant.pk, []), key=lambda s: s.signed_at)
        if signed:
            last = signed[-1]
            sd_oid = signature_defs.setdefault(last.meaning, f"SD.{len(signature_defs) + 1}")
            signature = _sub(subject, "Signature")
            _sub(signature, "UserRef", UserOID=users.ref(last.signer))
            _sub(signature, "LocationRef", LocationOID=location)
            _sub(signature, "SignatureRef", SignatureOID=sd_oid)
            _sub(signature, "DateTimeStamp", _stamp(dataset.shift(participant, last.signed_at)))
        _sub(subject, "SiteRef", LocationOID=location)
        for visit in dataset.visits.get(participant.pk, []):
            responses = dataset.responses.get(visit.pk, [])
            if not responses:
                continue
            event = _sub(subject, "StudyEventData", StudyEventOID=f"SE.{visit.code}")
            for response in responses:
                if response.status == ResponseStatus.NOT_DONE:
                    _not_done_form(event, response, participant, location, users, dataset)
                else:
                    _form_data(event, response, participant, location, users, dataset)
    admin = ET.Element(_q("AdminData"), StudyOID=f"ST.{dataset.protocol.code}")
    for oid, login in sorted(users.users.items()):
        user_def = _sub(admin, "User", OID=oid)
        _sub(user_def, "LoginName", login)
    for code, site in sorted(sites.items()):
        site_def = _sub(admin, "Location", OID=f"LOC.{code}", Name=site.name, LocationType="Site")
        _sub(
            site_def,
            "MetaDataVersionRef",
            StudyOID=f"ST.{dataset.protocol.code}",
            MetaDataVersionOID=mdv_oid,
            EffectiveDate=(dataset.protocol.activated_on or now.date()).isoformat(),
        )
    for meaning, oid in signature_defs.items():
        definition = _sub(admin, "SignatureDef", OID=oid, Methodology="Electronic")
        _sub(definition, "Meaning", meaning)
        _sub(definition, "LegalReason", "21 CFR Part 11 electronic signature")
    root.append(admin)
    root.append(clinical)
    return xml_bytes(root, default_namespace=NS, prefixes={"ds": DS})


def _form_data(
    event: ET.Element,
    response: Any,
    participant: Any,
    location: str,
    users: _Users,
    dataset: Dataset,
) -> None:
    code = response.instrument.code
    form = _sub(event, "FormData", FormOID=f"F.{code}")
    _audit(form, response, participant, location, users, dataset)
    group = _sub(form, "ItemGroupData", ItemGroupOID=f"IG.{code}")
    shift = (lambda d: dataset.shift(participant, d)) if dataset.options.shift_dates else None
    cells = response_cells(response, shift=shift)
    fields = {f.field_name: f for f in _data_fields(response.instrument)}
    for column, value in cells.items():
        name = column.split("___")[0]
        field = fields.get(name)
        if field is not None and field.field_type == "checkbox":
            if column.split("___")[1].upper() in MISSING_CODES:
                continue
            flagged = response.missing.get(name)
            if flagged:
                if column == next(c for c in cells if c.startswith(f"{name}___")):
                    _null(group, f"I.{code}.{column}", flagged)
                continue
        elif value in MISSING_CODES and name in response.missing:
            _null(group, f"I.{code}.{column}", value)
            continue
        if value == "":
            continue
        _sub(group, "ItemData", ItemOID=f"I.{code}.{column}", Value=value)


def _null(group: ET.Element, oid: str, code: str) -> None:
    item = _sub(group, "ItemData", ItemOID=oid, IsNull="Yes")
    annotation = _sub(item, "Annotation", SeqNum=1)
    flag = _sub(annotation, "Flag")
    _sub(flag, "FlagValue", code, CodeListOID=MISSING_LIST)


def _audit(
    form: ET.Element,
    response: Any,
    participant: Any,
    location: str,
    users: _Users,
    dataset: Dataset,
) -> None:
    """The form's last change: who, where, when and why."""
    last = response.history.order_by("-history_date").first()
    if last is not None:
        audit = _sub(form, "AuditRecord")
        _sub(audit, "UserRef", UserOID=users.ref(last.history_user))
        _sub(audit, "LocationRef", LocationOID=location)
        _sub(audit, "DateTimeStamp", _stamp(dataset.shift(participant, last.history_date)))
        if last.history_change_reason:
            _sub(audit, "ReasonForChange", last.history_change_reason)


def _not_done_form(
    event: ET.Element,
    response: Any,
    participant: Any,
    location: str,
    users: _Users,
    dataset: Dataset,
) -> None:
    """A form not done: the reason as an annotation flagged ``not_done`` (see the module
    docstring for why not ``TransactionType``), and its status item null."""
    code = response.instrument.code
    form = _sub(event, "FormData", FormOID=f"F.{code}")
    _audit(form, response, participant, location, users, dataset)
    annotation = _sub(form, "Annotation", SeqNum=1)
    _sub(annotation, "Comment", response.not_done_reason)
    flag = _sub(annotation, "Flag")
    _sub(flag, "FlagValue", NOT_DONE_FLAG, CodeListOID=FORM_STATUS_LIST)
    group = _sub(form, "ItemGroupData", ItemGroupOID=f"IG.{code}")
    _sub(group, "ItemData", ItemOID=f"I.{code}.{code}_complete", IsNull="Yes")
