"""Reading ODM clinical data: NeuroRegen's ODM 1.3.2 and REDCap's project XML (ODM 1.3.1).

The file is parsed with lxml so that every problem names the element's real line and its
path (``/ODM/ClinicalData/SubjectData[@SubjectKey='P-001']/FormData[@FormOID='Form.atec']``).

REDCap's flavour is read, not rejected: its ``redcap:`` elements and attributes are extensions
(the record-id field and unique event names are used, the rest ignored); its other departures
from the 1.3.2 schema (``DataType="boolean"`` code lists, an empty ``ItemGroupDef Name``, and
``FormData`` directly under ``SubjectData`` in a classic project) are made schema-valid on a
copy before validation, so every other schema problem is still reported.

Clinical data become the REDCap-shaped rows the records import checks and writes:

- ``StudyEventData`` (longitudinal): one row per event. NeuroRegen's own ``SE.<visit>`` names
  the visit; REDCap's ``Event.<event>_arm_<n>`` is resolved like ``redcap_event_name`` in a
  records CSV. A form repeated within an event cannot be kept (a visit holds one form of each
  instrument) and is reported.
- ``FormData`` directly under ``SubjectData`` (classic project): one row per form, its
  ``FormRepeatKey`` the repeat instance, like a flat records CSV (instance n = the child's n-th
  visit).
- checkbox items are ``field___code``; ``<form>_complete`` is REDCap's form status.
- a form flagged not done (see :mod:`neuroregen.interop.odm`) is returned apart, with its
  reason, to be recorded as not done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree as SafeET
from lxml import etree

from neuroregen.interop.odm import FORM_STATUS_LIST, NOT_DONE_FLAG, NS, schema
from neuroregen.interop.records import (
    NOT_DONE_SUFFIX,
    Problem,
    RecordRow,
    checkbox_column,
    reason_column,
)

REDCAP = "https://projectredcap.org"
CLASSIC_EVENT = "REDCap.classic"  # the event a classic project's forms are wrapped in to validate
# The attribute that names an element among its siblings, for paths.
KEYS = {
    "StudyEventDef": "OID",
    "FormDef": "OID",
    "ItemGroupDef": "OID",
    "ItemDef": "OID",
    "CodeList": "OID",
    "SubjectData": "SubjectKey",
    "StudyEventData": "StudyEventOID",
    "FormData": "FormOID",
    "ItemGroupData": "ItemGroupOID",
    "ItemData": "ItemOID",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def element_path(element: Any) -> str:
    """The element's path from the root, each step named by its key attribute."""
    steps: list[str] = []
    while element is not None:
        name = _local(element.tag)
        key = KEYS.get(name, "")
        value = element.get(key) if key else None
        if name == "StudyEventData" and value == CLASSIC_EVENT:
            element = element.getparent()
            continue
        step = f"{name}[@{key}='{value}']" if value else name
        repeat = element.get("FormRepeatKey") if name == "FormData" else None
        if repeat not in (None, "1"):
            step += f"[@FormRepeatKey='{repeat}']"
        steps.append(step)
        element = element.getparent()
    return "/" + "/".join(reversed(steps))


def where(element: Any) -> str:
    return f"line {element.sourceline}, {element_path(element)}"


@dataclass
class ClinicalData:
    rows: list[RecordRow] = field(default_factory=list)
    header: list[str] = field(default_factory=lambda: ["record_id"])
    flat: bool = False  # a classic project: forms placed by repeat instance
    # (row, column) → the ItemData's own line and path, to place problems found later
    places: dict[tuple[str, str], str] = field(default_factory=dict)


# The records import names a row's parts as a records CSV does; ODM calls them otherwise.
ODM_NAMES = {
    "record_id": "SubjectKey",
    "redcap_event_name": "StudyEventOID",
    "redcap_repeat_instrument": "FormOID",
    "redcap_repeat_instance": "FormRepeatKey",
}


def placed(problems: list[Any], places: dict[tuple[str, str], str]) -> list[Any]:
    """Problems of a row's column moved to the line of the ItemData that holds the value, and
    the row's parts called by their ODM names."""
    out: list[Any] = []
    for problem in problems:
        if isinstance(problem, Problem):
            where = places.get((problem.where, problem.column), problem.where)
            column = ODM_NAMES.get(problem.column, problem.column)
            if column.endswith(NOT_DONE_SUFFIX):  # the reason travels as the form's annotation
                column = "Annotation"
            problem = Problem(where, column, problem.message)
        out.append(problem)
    return out


# --- parsing and the schema ----------------------------------------------------------------


def _parse(document: bytes) -> tuple[Any, list[Problem]]:
    try:
        root = etree.fromstring(document, _PARSER)  # entities are never expanded
    except etree.XMLSyntaxError as exc:
        where = f"line {exc.lineno}, column {exc.position[1]}" if exc.lineno else "ODM"
        return None, [Problem(where, "", f"not well-formed XML ({exc.msg})")]
    try:
        SafeET.fromstring(document)  # refuses DTDs and entity declarations (defusedxml)
    except Exception as exc:  # say so, do not crash
        return None, [Problem("ODM", "", f"the XML was refused ({type(exc).__name__})")]
    return root, []


def is_redcap(root: Any) -> bool:
    return REDCAP in (root.nsmap or {}).values() or root.get("SourceSystem") == "REDCap"


def _as_odm_132(root: Any) -> None:
    """REDCap's departures from ODM 1.3.2 made valid, in place (elements keep their lines)."""
    prefix = f"{{{REDCAP}}}"
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        if element.tag.startswith(prefix):
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
            continue
        for name in [a for a in element.attrib if a.startswith(prefix)]:
            del element.attrib[name]
        local = _local(element.tag)
        if local == "ItemGroupDef" and not element.get("Name"):
            element.set("Name", element.get("OID") or "-")
        elif local == "CodeList" and element.get("DataType") == "boolean":
            element.set("DataType", "integer")  # checked 1 / unchecked 0
        elif local == "SubjectData":
            forms = element.findall(_q("FormData"))
            if forms:
                event = etree.SubElement(element, _q("StudyEventData"))
                event.set("StudyEventOID", CLASSIC_EVENT)
                event.extend(forms)


def schema_problems(document: bytes) -> list[Problem]:
    """Every schema violation with its line and path (REDCap's flavour tolerated)."""
    root = etree.fromstring(document, _PARSER)
    if is_redcap(root):
        _as_odm_132(root)
    problems: list[Problem] = []
    for error in schema().iter_errors(root):
        element = getattr(error, "elem", None)
        line = error.sourceline or getattr(element, "sourceline", None) or "?"
        path = element_path(element) if element is not None else (error.path or "/ODM")
        problems.append(Problem(f"line {line}, {path}", "", str(error.reason or error.message)))
    return problems


# --- clinical data -------------------------------------------------------------------------


def read_clinical_data(
    document: bytes, name: str = "the file"
) -> tuple[ClinicalData, list[Problem]]:
    """The file's clinical data as rows; its problems (parse, schema, structure) instead."""
    root, problems = _parse(document)
    if root is None:
        return ClinicalData(), problems
    problems = schema_problems(document)
    if problems:
        return ClinicalData(), problems
    subjects = root.findall(f"{_q('ClinicalData')}/{_q('SubjectData')}")
    if not subjects:
        return ClinicalData(), [Problem(where(root), "", f"no clinical data in {name}")]
    reader = _Reader(root)
    for subject in subjects:
        reader.subject(subject)
    return reader.data, reader.problems


class _Reader:
    def __init__(self, root: Any) -> None:
        self.data = ClinicalData()
        self.problems: list[Problem] = []
        version = root.find(f"{_q('Study')}/{_q('MetaDataVersion')}")
        self.record_field = "" if version is None else version.get(f"{{{REDCAP}}}RecordIdField", "")

    def subject(self, subject: Any) -> None:
        key = subject.get("SubjectKey", "")
        record_field = subject.get(f"{{{REDCAP}}}RecordIdField") or self.record_field
        for child in subject:
            local = _local(child.tag)
            if local == "StudyEventData":
                self._event(key, child, record_field)
            elif local == "FormData":
                self.data.flat = True
                code = _form_code(child)
                row = RecordRow(
                    where=where(child),
                    record_id=key,
                    cells={},
                    repeat_instrument=code,
                    repeat_instance=child.get("FormRepeatKey") or "1",
                )
                if self._form(child, row, record_field):
                    self.data.rows.append(row)

    def _event(self, key: str, event: Any, record_field: str) -> None:
        oid = event.get("StudyEventOID", "")
        row = RecordRow(where=where(event), record_id=key, cells={})
        if oid.startswith("SE."):  # NeuroRegen's own export names the visit
            row.visit_code = oid.removeprefix("SE.")
        else:
            row.event = event.get(f"{{{REDCAP}}}UniqueEventName") or oid.removeprefix("Event.")
        if event.get("StudyEventRepeatKey") not in (None, "1"):
            self.problems.append(
                Problem(
                    where(event),
                    "StudyEventRepeatKey",
                    "a repeated event cannot be imported: each event is one visit",
                )
            )
            return
        for form in event.findall(_q("FormData")):
            repeat = form.get("FormRepeatKey") or "1"
            if repeat != "1":
                self.problems.append(
                    Problem(
                        where(form),
                        "FormRepeatKey",
                        f"instance {repeat} of {_form_code(form)} cannot be imported: a visit "
                        "holds one form of each instrument",
                    )
                )
                continue
            self._form(form, row, record_field)
        self.data.rows.append(row)

    def _form(self, form: Any, row: RecordRow, record_field: str) -> bool:
        """Read one form into ``row`` (False when it cannot be). A form not done becomes what
        a records file says of one: its reason column and status 0, no items — so the records
        import checks and records it like any other."""
        code = _form_code(form)
        reason = _not_done_reason(form)
        if reason is not None:
            if not reason:
                self.problems.append(
                    Problem(where(form), "Annotation", "a form marked not done must say why")
                )
                return False
            for column, value in ((reason_column(code), reason), (f"{code}_complete", "0")):
                row.cells[column] = value
                self.data.places[(row.where, column)] = where(form)
                if column not in self.data.header:
                    self.data.header.append(column)
            return True
        for item in form.iter(_q("ItemData")):
            column = item.get("ItemOID", "").removeprefix(f"I.{code}.")
            if column == record_field or column.startswith("redcap_"):
                continue  # the record id (SubjectKey already) and REDCap's own columns
            value = item.get("Value", "")
            if item.get("IsNull") == "Yes":
                flag = item.find(f"{_q('Annotation')}/{_q('Flag')}/{_q('FlagValue')}")
                value = flag.text if flag is not None and flag.text else ""
                if "___" in column and value:
                    column = checkbox_column(column.split("___")[0], value)
                    value = "1"
            row.cells[column] = value
            self.data.places[(row.where, column)] = where(item)
            if column not in self.data.header:
                self.data.header.append(column)
        return True


def _form_code(form: Any) -> str:
    oid = form.get("FormOID", "")
    for prefix in ("F.", "Form."):
        if oid.startswith(prefix):
            return oid.removeprefix(prefix)
    return oid


def _not_done_reason(form: Any) -> str | None:
    """The reason of a form flagged not done ("" when none is given); None otherwise."""
    for annotation in form.findall(_q("Annotation")):
        flags = annotation.findall(f"{_q('Flag')}/{_q('FlagValue')}")
        if any(
            f.get("CodeListOID") == FORM_STATUS_LIST and (f.text or "").strip() == NOT_DONE_FLAG
            for f in flags
        ):
            comment = annotation.find(_q("Comment"))
            return (comment.text or "").strip() if comment is not None else ""
    return None
