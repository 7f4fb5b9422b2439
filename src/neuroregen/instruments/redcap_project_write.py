"""REDCap project XML: write the metadata (the inverse of :mod:`redcap_project`).

The shape is that of the files REDCap itself exports (tests/data/redcap_corpus/*.xml): ODM
1.3.1 with ``GlobalVariables`` holding REDCap's project settings, a ``MetaDataVersion`` naming
the record-id field, one ``StudyEventDef`` per event of an arm, ``FormDef`` → ``ItemGroupDef``
(a new group at each section header, and the "Form Status" group) → ``ItemDef`` carrying the
dictionary's cells as ``redcap:`` attributes, ``RangeCheck`` for bounds and a ``CodeList`` per
choice field (one per checkbox option, with ``redcap:CheckboxChoices``). What
:func:`redcap_project.read_project` reads back is the same dictionary, cell for cell.

Pure (no Django); xml.etree, so the clinical data written elsewhere can be appended.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

from neuroregen.core.xml_out import xml_bytes
from neuroregen.instruments.redcap import (
    DATE_VALIDATIONS,
    DATETIME_VALIDATIONS,
    INTEGER_VALIDATIONS,
    NUMBER_VALIDATIONS,
    DictionaryRow,
    parse_choices,
)
from neuroregen.instruments.redcap_project import (
    ATTRIBUTES,
    FIELD_TYPE_TO_XML,
    ODM,
    REDCAP,
    Project,
    q,
    r,
)

STATUS = (("0", "Incomplete"), ("1", "Unverified"), ("2", "Complete"))


def checkbox_item(variable: str, code: str) -> str:
    """REDCap's column of a checkbox option (the code in lower case)."""
    return f"{variable}___{code.lower()}"


def oid_name(title: str) -> str:
    """REDCap's project OID: the title's letters and digits, words capitalised, 20 at most."""
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title))[:20]


def _sub(parent: ET.Element, tag: str, attrs: dict[str, Any], text: str | None = None) -> Any:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _translated(parent: ET.Element, tag: str, text: str) -> None:
    _sub(_sub(parent, q(tag), {}), q("TranslatedText"), {}, text)


def write_project(project: Project, *, now: dt.datetime) -> tuple[ET.Element, str, str]:
    """The document's root, its study OID and metadata version OID (for clinical data)."""
    study_oid = f"Project.{oid_name(project.title) or 'NeuroRegen'}"
    mdv_oid = f"Metadata.{study_oid.removeprefix('Project.')}_{now:%Y-%m-%d_%H%M}"
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element(
        q("ODM"),
        {
            "ODMVersion": "1.3.1",
            "FileOID": "000-00-0000",
            "FileType": "Snapshot",
            "Description": project.title,
            "AsOfDateTime": stamp,
            "CreationDateTime": stamp,
            "SourceSystem": "NeuroRegen",
        },
    )
    study = _sub(root, q("Study"), {"OID": study_oid})
    _globals(study, project)
    mdv = _sub(
        study,
        q("MetaDataVersion"),
        {"OID": mdv_oid, "Name": project.title, r("RecordIdField"): project.record_id_field},
    )
    _events(mdv, project)
    _forms(mdv, project)
    return root, study_oid, mdv_oid


def _globals(study: ET.Element, project: Project) -> None:
    globals_ = _sub(study, q("GlobalVariables"), {})
    _sub(globals_, q("StudyName"), {}, project.title)
    _sub(
        globals_,
        q("StudyDescription"),
        {},
        f'This file contains the metadata, events, and data for REDCap project "{project.title}".',
    )
    _sub(globals_, q("ProtocolName"), {}, project.title)
    # records are study codes given by NeuroRegen, not numbers REDCap would assign
    _sub(globals_, r("RecordAutonumberingEnabled"), {}, "0")
    _sub(globals_, r("SurveysEnabled"), {}, "1" if project.surveys else "0")
    _sub(globals_, r("MissingDataCodes"), {}, project.missing_codes)
    if project.repeating:
        group = _sub(
            _sub(globals_, r("RepeatingInstrumentsAndEvents"), {}), r("RepeatingInstruments"), {}
        )
        for event, form in project.repeating:
            _sub(
                group,
                r("RepeatingInstrument"),
                {r("UniqueEventName"): event, r("RepeatInstrument"): form, r("CustomLabel"): ""},
            )
    if project.surveys:
        surveys = _sub(globals_, r("SurveysGroup"), {})
        for form, title in project.surveys.items():
            _sub(surveys, r("Surveys"), {"form_name": form, "title": title})


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _events(mdv: ET.Element, project: Project) -> None:
    if not project.events:
        return
    refs = _sub(mdv, q("Protocol"), {})
    for order, event in enumerate(project.events, start=1):
        _sub(
            refs,
            q("StudyEventRef"),
            {
                "StudyEventOID": f"Event.{event.unique_name}",
                "OrderNumber": order,
                "Mandatory": "No",
            },
        )
    for event in project.events:
        definition = _sub(
            mdv,
            q("StudyEventDef"),
            {
                "OID": f"Event.{event.unique_name}",
                "Name": event.name,
                "Type": "Common",
                "Repeating": "No",
                r("EventName"): event.name,
                r("CustomEventLabel"): "",
                r("UniqueEventName"): event.unique_name,
                r("ArmNum"): event.arm_num,
                r("ArmName"): event.arm_name,
                r("DayOffset"): _number(event.day_offset),
                r("OffsetMin"): _number(event.offset_min),
                r("OffsetMax"): _number(event.offset_max),
            },
        )
        for order, form in enumerate(event.forms, start=1):
            _sub(
                definition,
                q("FormRef"),
                {
                    "FormOID": f"Form.{form}",
                    "OrderNumber": order,
                    "Mandatory": "No",
                    r("FormName"): form,
                },
            )


def _data_type(row: DictionaryRow) -> str:
    if row.field_type in ("checkbox", "yesno", "truefalse"):
        return "boolean"
    if row.field_type == "calc":
        return "float"
    if row.validation in INTEGER_VALIDATIONS:
        return "integer"
    if row.validation in NUMBER_VALIDATIONS:
        return "float"
    if row.validation in DATE_VALIDATIONS:
        return "date"
    if row.validation in DATETIME_VALIDATIONS:
        return "partialDatetime"
    return "text"


def _forms(mdv: ET.Element, project: Project) -> None:
    forms: dict[str, list[DictionaryRow]] = {}
    for row in project.rows:
        forms.setdefault(row.form_name, []).append(row)
    groups: list[ET.Element] = []
    items: list[ET.Element] = []
    lists: list[ET.Element] = []
    for form, rows in forms.items():
        definition = _sub(
            mdv,
            q("FormDef"),
            {
                "OID": f"Form.{form}",
                "Name": project.form_titles.get(form, form),
                "Repeating": "No",
                r("FormName"): form,
            },
        )
        group: ET.Element | None = None
        for row in rows:
            if group is None or row.section_header:
                oid = f"{form}.{row.field_name}"
                _sub(definition, q("ItemGroupRef"), {"ItemGroupOID": oid, "Mandatory": "No"})
                name = row.section_header or project.form_titles.get(form, form)
                group = ET.Element(q("ItemGroupDef"), {"OID": oid, "Name": name, "Repeating": "No"})
                groups.append(group)
            for oid in _item(row, items, lists):
                _sub(
                    group,
                    q("ItemRef"),
                    {
                        "ItemOID": oid,
                        "Mandatory": "Yes" if row.required == "y" else "No",
                        r("Variable"): row.field_name,
                    },
                )
        status = f"{form}_complete"
        oid = f"{form}.{status}"
        _sub(definition, q("ItemGroupRef"), {"ItemGroupOID": oid, "Mandatory": "No"})
        group = ET.Element(
            q("ItemGroupDef"), {"OID": oid, "Name": "Form Status", "Repeating": "No"}
        )
        _sub(group, q("ItemRef"), {"ItemOID": status, "Mandatory": "No", r("Variable"): status})
        groups.append(group)
        item = ET.Element(
            q("ItemDef"),
            {
                "OID": status,
                "Name": status,
                "DataType": "text",
                "Length": "1",
                r("Variable"): status,
                r("FieldType"): "select",
                r("SectionHeader"): "Form Status",
            },
        )
        _translated(item, "Question", "Complete?")
        _sub(item, q("CodeListRef"), {"CodeListOID": f"{status}.choices"})
        items.append(item)
        lists.append(_code_list(f"{status}.choices", status, status, list(STATUS)))
    mdv.extend([*groups, *items, *lists])


def _code_list(
    oid: str, name: str, variable: str, pairs: list[tuple[str, str]], **extra: str
) -> ET.Element:
    code_list = ET.Element(
        q("CodeList"),
        {
            "OID": oid,
            "Name": name,
            "DataType": "boolean" if extra else "text",
            r("Variable"): variable,
            **extra,
        },
    )
    for code, label in pairs:
        entry = _sub(code_list, q("CodeListItem"), {"CodedValue": code})
        _translated(entry, "Decode", label)
    return code_list


def _item(row: DictionaryRow, items: list[ET.Element], lists: list[ET.Element]) -> list[str]:
    """Add the row's ItemDefs (one per checkbox option) and code lists; returns their OIDs."""
    kind = FIELD_TYPE_TO_XML.get(row.field_type, row.field_type)
    attributes = {r(a): getattr(row, column) for column, a in ATTRIBUTES.items()}
    if row.field_type in ("calc", "sql", "slider"):
        # REDCap's importer reads this attribute into the dictionary's choices cell, whatever
        # the field type: the calculation, an sql field's query, a slider's labels
        attributes[r("Calculation")] = row.choices
    if row.required:
        attributes[r("RequiredField")] = row.required
    attributes = {k: v for k, v in attributes.items() if v}
    options = parse_choices(row.choices) if row.field_type == "checkbox" else [("", "")]
    oids = []
    for code, _label in options:
        oid = checkbox_item(row.field_name, code) if code else row.field_name
        item = ET.Element(
            q("ItemDef"),
            {
                "OID": oid,
                "Name": oid,
                "DataType": _data_type(row),
                "Length": "1" if row.field_type in ("checkbox", "yesno", "truefalse") else "999",
                r("Variable"): row.field_name,
                r("FieldType"): kind,
                **attributes,
            },
        )
        _translated(item, "Question", row.field_label)
        for comparator, bound in (("GE", row.validation_min), ("LE", row.validation_max)):
            if bound:
                check = _sub(item, q("RangeCheck"), {"Comparator": comparator, "SoftHard": "Soft"})
                _sub(check, q("CheckValue"), {}, bound)
        pairs = _pairs(row)
        if pairs is not None:
            _sub(item, q("CodeListRef"), {"CodeListOID": f"{oid}.choices"})
            extra = {r("CheckboxChoices"): row.choices} if code else {}
            if code:
                pairs = [("1", "Checked"), ("0", "Unchecked")]
            lists.append(_code_list(f"{oid}.choices", oid, row.field_name, pairs, **extra))
        items.append(item)
        oids.append(oid)
    return oids


def _pairs(row: DictionaryRow) -> list[tuple[str, str]] | None:
    if row.field_type in ("dropdown", "radio", "checkbox"):
        return parse_choices(row.choices)
    if row.field_type == "yesno":
        return [("1", "Yes"), ("0", "No")]
    if row.field_type == "truefalse":
        return [("1", "True"), ("0", "False")]
    return None


def to_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space="\t")
    return xml_bytes(root, default_namespace=ODM, prefixes={"redcap": REDCAP})
