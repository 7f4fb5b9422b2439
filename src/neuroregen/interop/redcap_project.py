"""``neuroregen export redcap --project``: the protocol as a REDCap project XML.

The metadata are the instruments' dictionaries (the first starting with the record-id field
REDCap expects), the schedule's visits as events of each arm (day offset = target day, window =
days early and late) and the missing-data codes in ``redcap:MissingDataCodes``; written by
:mod:`neuroregen.instruments.redcap_project_write`, so ``neuroregen dictionary import`` reads
the same dictionaries back. The clinical data are those of the ODM export
(:func:`neuroregen.interop.odm.export_odm`), renamed to the OIDs of these metadata: REDCap's
form, item and event names, the record id on each subject.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from defusedxml import ElementTree as SafeET
from django.utils import timezone

from neuroregen.instruments.choices import MissingCode
from neuroregen.instruments.dictionaries import export_rows
from neuroregen.instruments.redcap import DictionaryRow
from neuroregen.instruments.redcap_project import Event, Project, q, r
from neuroregen.instruments.redcap_project_write import to_bytes, write_project
from neuroregen.interop import odm
from neuroregen.interop.dataset import Dataset
from neuroregen.interop.records import event_name

# The ODM export's audit trail, signatures and sites refer to its AdminData, which a REDCap
# project file does not have.
_NOT_IN_REDCAP = ("AuditRecord", "Signature", "SiteRef")


def project_of(dataset: Dataset) -> Project:
    rows: list[DictionaryRow] = []
    for index, instrument in enumerate(dataset.instruments):
        own = [f.as_row() for f in instrument.fields.all()]
        rows.extend(export_rows(instrument) if index == 0 else own)
    codes = [i.code for i in dataset.instruments]
    arms: list[Any] = list(dataset.arms) or [None]
    events = []
    for number, arm in enumerate(arms, start=1):
        for visit in dataset.definitions:
            if arm is not None and visit.arm_codes and arm.code not in visit.arm_codes:
                continue
            events.append(
                Event(
                    unique_name=event_name(visit.code, number),
                    name=visit.name,
                    arm_num=number,
                    arm_name=arm.name if arm is not None else "Arm 1",
                    day_offset=visit.target_day,
                    offset_min=visit.window_before,
                    offset_max=visit.window_after,
                    forms=tuple(c for c in visit.instruments if c in codes),
                )
            )
    return Project(
        title=f"{dataset.protocol.code} {dataset.protocol.version}",
        record_id_field=rows[0].field_name if rows else "record_id",
        rows=rows,
        form_titles={i.code: i.title for i in dataset.instruments},
        events=events,
        missing_codes="\n".join(f"{code}, {label}" for code, label in MissingCode.choices),
    )


def _arm_numbers(dataset: Dataset) -> dict[str, int]:
    """Study code → the number of the child's arm (1 when not assigned)."""
    number = {arm.pk: n for n, arm in enumerate(dataset.arms, start=1)}
    found = {}
    for participant in dataset.participants:
        assignment = dataset.assignments.get(participant.pk)
        arm_id = getattr(assignment, "arm_id", None) if assignment is not None else None
        found[participant.study_code] = number.get(arm_id, 1) if arm_id else 1
    return found


def _clinical_data(dataset: Dataset, study_oid: str, mdv_oid: str, project: Project) -> ET.Element:
    """The ODM export's ClinicalData, renamed to the REDCap metadata's OIDs."""
    # our own bytes, read back with the safe parser all the same
    clinical = SafeET.fromstring(odm.export_odm(dataset)).find(q("ClinicalData"))
    if clinical is None:  # pragma: no cover - the ODM export always writes one
        clinical = ET.Element(q("ClinicalData"))
    clinical.attrib.update(StudyOID=study_oid, MetaDataVersionOID=mdv_oid)
    arms = _arm_numbers(dataset)
    # the data of a form go in its first item group (named after its first field)
    first: dict[str, str] = {}
    for row in project.rows:
        first.setdefault(row.form_name, row.field_name)
    for subject in clinical.findall(q("SubjectData")):
        subject.set(r("RecordIdField"), project.record_id_field)
        for tag in _NOT_IN_REDCAP:
            for parent in [subject, *subject.iter()]:
                for child in parent.findall(q(tag)):
                    parent.remove(child)
        for event in subject.findall(q("StudyEventData")):
            name = event_name(
                event.get("StudyEventOID", "").removeprefix("SE."),
                arms.get(subject.get("SubjectKey", ""), 1),
            )
            event.attrib.update(
                {"StudyEventOID": f"Event.{name}", "StudyEventRepeatKey": "1"},
            )
            event.set(r("UniqueEventName"), name)
            for form in event.findall(q("FormData")):
                code = form.get("FormOID", "").removeprefix("F.")
                form.attrib.update(FormOID=f"Form.{code}", FormRepeatKey="1")
                for group in form.findall(q("ItemGroupData")):
                    group.attrib.update(
                        ItemGroupOID=f"{code}.{first.get(code, code)}", ItemGroupRepeatKey="1"
                    )
                    for item in group:
                        oid = item.get("ItemOID", "")
                        item.set("ItemOID", oid.removeprefix(f"I.{code}."))
    return clinical


def export_project(dataset: Dataset) -> bytes:
    """The protocol's REDCap project XML: metadata, events, arms, missing codes and data."""
    project = project_of(dataset)
    root, study_oid, mdv_oid = write_project(project, now=timezone.localtime())
    root.append(_clinical_data(dataset, study_oid, mdv_oid, project))
    return to_bytes(root)
