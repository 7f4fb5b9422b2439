"""REDCap project XML (Project Setup → "Download metadata & data as CDISC ODM"): read.

The file is ODM 1.3.1 whose metadata carry REDCap's own ``redcap:`` attributes; they say
everything a data dictionary says, so the metadata become the same :class:`DictionaryRow` list
the CSV path reads and one validation serves both. Events and arms, surveys, repeating
instruments and missing-data codes are read alongside. Reading follows REDCap's own importer:
a form is ``redcap:FormName``, a field ``redcap:Variable`` (checkbox options share one), the
``<form>_complete`` status item and items without ``redcap:FieldType`` (the data access group,
survey timestamps) are not fields, ``RangeCheck`` GE/GT is the minimum and LE/LT the maximum.

Pure (no Django). lxml keeps each element's line, so every problem names the element's real
line and its path; entities and network access are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from neuroregen.instruments.redcap import COLUMN_OF, DictionaryRow, Problem, check_rows

ODM = "http://www.cdisc.org/ns/odm/v1.3"
REDCAP = "https://projectredcap.org"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# REDCap writes its internal names of two field types in the XML, the dictionary's elsewhere.
FIELD_TYPE_FROM_XML = {"textarea": "notes", "select": "dropdown"}
FIELD_TYPE_TO_XML = {v: k for k, v in FIELD_TYPE_FROM_XML.items()}
# dictionary column → the redcap: attribute of ItemDef holding it (REDCap's names)
ATTRIBUTES = {
    "section_header": "SectionHeader",
    "field_note": "FieldNote",
    "validation": "TextValidationType",
    "identifier": "Identifier",
    "branching_logic": "BranchingLogic",
    "custom_alignment": "CustomAlignment",
    "question_number": "QuestionNumber",
    "matrix_group": "MatrixGroupName",
    "matrix_ranking": "MatrixRanking",
    "field_annotation": "FieldAnnotation",
}
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# where a dictionary column's cell is in the XML, for problems found by the shared checks
_XML_NAME = {
    COLUMN_OF["field_name"]: "redcap:Variable",
    COLUMN_OF["form_name"]: "redcap:FormName",
    COLUMN_OF["field_type"]: "redcap:FieldType",
    COLUMN_OF["field_label"]: "Question",
    COLUMN_OF["choices"]: "CodeList or redcap:Calculation",
    COLUMN_OF["validation_min"]: "RangeCheck GE",
    COLUMN_OF["validation_max"]: "RangeCheck LE",
    COLUMN_OF["required"]: "redcap:RequiredField",
    **{COLUMN_OF[column]: f"redcap:{name}" for column, name in ATTRIBUTES.items()},
}


def q(tag: str) -> str:
    return f"{{{ODM}}}{tag}"


def r(name: str) -> str:
    return f"{{{REDCAP}}}{name}"


@dataclass(frozen=True)
class XmlProblem(Problem):
    """A problem at an element: its line in the file and its path (in ``column``)."""

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


@dataclass(frozen=True)
class Event:
    """A REDCap event of one arm, with its day offset, window and forms."""

    unique_name: str
    name: str
    arm_num: int
    arm_name: str
    day_offset: float
    offset_min: float
    offset_max: float
    forms: tuple[str, ...]


@dataclass
class Project:
    title: str
    record_id_field: str
    rows: list[DictionaryRow] = field(default_factory=list)
    form_titles: dict[str, str] = field(default_factory=dict)
    surveys: dict[str, str] = field(default_factory=dict)  # form → survey title
    events: list[Event] = field(default_factory=list)
    repeating: list[tuple[str, str]] = field(default_factory=list)  # (event, form or "")
    missing_codes: str = ""
    # field → language → {"label": …, "choices": …}: labels the file gives in other languages
    translations: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def is_xml(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("<")


def _path(element: etree._Element) -> str:
    parts = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        key = next((node.get(a) for a in ("OID", "ItemOID", "FormOID") if node.get(a)), None)
        parts.append(f"{name}[@OID='{key}']" if key else name)
        node = node.getparent()
    return "/".join(reversed(parts))


def _problem(element: etree._Element, message: str) -> XmlProblem:
    return XmlProblem(element.sourceline or 0, _path(element), message)


def parse(text: str) -> tuple[etree._Element | None, list[Problem]]:
    """The document's root, or the problem that it is not well-formed XML."""
    # the text is already decoded: a declared encoding no longer applies
    raw = _DECLARATION.sub("", text.lstrip("\ufeff"), count=1).encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(raw, parser), []
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        return None, [
            XmlProblem(line, f"column {column}", f"not well-formed XML ({exc.msg})"),
        ]


def read_project(
    text: str, known: frozenset[str] = frozenset()
) -> tuple[Project | None, list[Problem]]:
    """Read a REDCap project XML. Returns the project and every problem (none: safe to import).

    ``known`` as in :func:`neuroregen.instruments.redcap.read_dictionary`.
    """
    root, problems = parse(text)
    if root is None:
        return None, problems
    if root.tag != q("ODM"):
        return None, [_problem(root, "not a CDISC ODM file (REDCap project XML starts <ODM>)")]
    study = root.find(q("Study"))
    mdv = study.find(q("MetaDataVersion")) if study is not None else None
    if mdv is None or mdv.find(q("FormDef")) is None:
        return None, [
            _problem(
                root,
                "the file defines no forms: it is not a REDCap project XML with metadata "
                "(Project Setup → Download metadata & data as CDISC ODM)",
            )
        ]
    if not any(k.startswith(f"{{{REDCAP}}}") for e in mdv.iter() for k in e.attrib):
        return None, [
            _problem(
                mdv,
                "the metadata carry no redcap: attributes: an ODM file from another system is "
                "imported with 'neuroregen import odm', not as a REDCap dictionary",
            )
        ]
    globals_ = study.find(q("GlobalVariables")) if study is not None else None
    project = Project(
        title=(globals_.findtext(q("StudyName")) or "") if globals_ is not None else "",
        record_id_field=mdv.get(r("RecordIdField"), ""),
    )
    if globals_ is not None:
        _read_globals(globals_, project)
    lines: list[tuple[int, DictionaryRow]] = []
    where: dict[int, etree._Element] = {}
    problems.extend(_read_forms(mdv, project, lines, where))
    project.events = _read_events(mdv, problems)
    for problem in check_rows(lines, known):
        element = where.get(problem.line)
        problems.append(
            _problem(element, f"{_XML_NAME.get(problem.column, problem.column)}: {problem.message}")
            if element is not None
            else problem
        )
    project.rows = [row for _line, row in lines]
    if not project.rows and not problems:
        problems.append(_problem(mdv, "the forms define no fields"))
    return project, problems


def _read_globals(globals_: etree._Element, project: Project) -> None:
    project.missing_codes = globals_.findtext(r("MissingDataCodes")) or ""
    for survey in globals_.iter(r("Surveys")):
        if survey.get("form_name"):
            project.surveys[survey.get("form_name", "")] = survey.get("title", "")
    for repeat in globals_.iter(r("RepeatingInstrument")):
        project.repeating.append(
            (repeat.get(r("UniqueEventName"), ""), repeat.get(r("RepeatInstrument"), ""))
        )
    for repeat in globals_.iter(r("RepeatingEvent")):
        project.repeating.append((repeat.get(r("UniqueEventName"), ""), ""))


def _read_forms(
    mdv: etree._Element,
    project: Project,
    lines: list[tuple[int, DictionaryRow]],
    where: dict[int, etree._Element],
) -> list[Problem]:
    problems: list[Problem] = []
    groups = {g.get("OID"): g for g in mdv.iter(q("ItemGroupDef"))}
    items = {i.get("OID"): i for i in mdv.iter(q("ItemDef"))}
    lists = {c.get("OID"): c for c in mdv.iter(q("CodeList"))}
    seen: set[str] = set()
    for form in mdv.iter(q("FormDef")):
        name = form.get(r("FormName")) or form.get("OID", "").removeprefix("Form.")
        project.form_titles[name] = form.get("Name") or name
        for group_ref in form.iter(q("ItemGroupRef")):
            group = groups.get(group_ref.get("ItemGroupOID"))
            if group is None:
                problems.append(
                    _problem(group_ref, "refers to an ItemGroupDef the file does not define")
                )
                continue
            for item_ref in group.iter(q("ItemRef")):
                variable = item_ref.get(r("Variable")) or item_ref.get("ItemOID", "")
                if variable == f"{name}_complete" or variable in seen:
                    continue  # the form status; a checkbox's further options
                item = items.get(item_ref.get("ItemOID"))
                if item is None:
                    problems.append(
                        _problem(item_ref, "refers to an ItemDef the file does not define")
                    )
                    continue
                if item.get(r("FieldType")) is None:
                    continue  # data access group, survey identifier and timestamps
                seen.add(variable)
                row = _row(item, variable, name, item_ref, lists, project)
                line = item.sourceline or 0
                where[line] = item
                lines.append((line, row))
    return problems


def _texts(parent: etree._Element | None) -> dict[str, str]:
    """Language → text of a Question or Decode ("" is the text without a language)."""
    if parent is None:
        return {}
    found: dict[str, str] = {}
    for text in parent.iter(q("TranslatedText")):
        found.setdefault(text.get(XML_LANG, ""), text.text or "")
    formatted = parent.find(r("FormattedTranslatedText"))
    if formatted is not None:
        found[""] = formatted.text or ""  # REDCap's own label, with its markup
    return found


def _primary(texts: dict[str, str]) -> tuple[str, str]:
    """The language the dictionary's wording is taken from, and that wording."""
    for language in ("", "en"):
        if language in texts:
            return language, texts[language]
    language = next(iter(texts), "")
    return language, texts.get(language, "")


def _row(
    item: etree._Element,
    variable: str,
    form: str,
    item_ref: etree._Element,
    lists: dict[str | None, etree._Element],
    project: Project,
) -> DictionaryRow:
    kind = item.get(r("FieldType"), "text")
    kind = FIELD_TYPE_FROM_XML.get(kind, kind)
    labels = _texts(item.find(q("Question")))
    primary, label = _primary(labels)
    cells = {column: item.get(r(attribute), "") for column, attribute in ATTRIBUTES.items()}
    required = item.get(r("RequiredField"))
    if required is None:
        required = "y" if item_ref.get("Mandatory", "").lower() == "yes" else ""
    bounds = {"validation_min": "", "validation_max": ""}
    for check in item.iter(q("RangeCheck")):
        side = "validation_max" if check.get("Comparator") in ("LE", "LT") else "validation_min"
        bounds[side] = check.findtext(q("CheckValue")) or ""
    choices, choice_texts = "", dict[str, str]()
    if kind in ("dropdown", "radio", "checkbox"):
        ref = item.find(q("CodeListRef"))
        code_list = lists.get(ref.get("CodeListOID")) if ref is not None else None
        if code_list is not None:
            choices, choice_texts = _choices(code_list, primary)
    elif kind not in ("yesno", "truefalse"):
        # the cell REDCap calls "Choices, Calculations, OR Slider Labels" (sql: the query)
        choices = item.get(r("Calculation"), "")
    translations = project.translations.setdefault(variable, {})
    for language, text in labels.items():
        if language != primary:
            translations.setdefault(language, {})["label"] = text
    for language, text in choice_texts.items():
        translations.setdefault(language, {})["choices"] = text
    if not translations:
        del project.translations[variable]
    return DictionaryRow(
        field_name=variable,
        form_name=form,
        field_type=kind,
        field_label=label,
        choices=choices,
        required=required,
        **bounds,
        **cells,
    )


def _choices(code_list: etree._Element, primary: str) -> tuple[str, dict[str, str]]:
    if code_list.get(r("CheckboxChoices")) is not None:
        return code_list.get(r("CheckboxChoices"), ""), {}
    pairs: dict[str, list[str]] = {}
    for entry in code_list.iter(q("CodeListItem")):
        code = entry.get("CodedValue", "")
        for language, text in _texts(entry.find(q("Decode"))).items():
            pairs.setdefault(language, []).append(f"{code}, {text}")
    main = " | ".join(pairs.pop(primary, []))
    return main, {language: " | ".join(p) for language, p in pairs.items()}


def _number(element: etree._Element, name: str, problems: list[Problem]) -> float:
    raw = element.get(r(name), "0") or "0"
    try:
        return float(raw)
    except ValueError:
        problems.append(_problem(element, f"redcap:{name} '{raw}' is not a number"))
        return 0.0


def _read_events(mdv: etree._Element, problems: list[Problem]) -> list[Event]:
    order = [ref.get("StudyEventOID") for ref in mdv.iter(q("StudyEventRef"))]
    definitions = {d.get("OID"): d for d in mdv.iter(q("StudyEventDef"))}
    events = []
    for oid in order or list(definitions):
        event = definitions.get(oid)
        if event is None:
            continue
        arm = event.get(r("ArmNum"), "1") or "1"
        if not arm.isdigit():
            problems.append(_problem(event, f"redcap:ArmNum '{arm}' is not a whole number"))
            arm = "1"
        events.append(
            Event(
                unique_name=event.get(r("UniqueEventName")) or (oid or "").removeprefix("Event."),
                name=event.get(r("EventName")) or event.get("Name", ""),
                arm_num=int(arm),
                arm_name=event.get(r("ArmName")) or f"Arm {arm}",
                day_offset=_number(event, "DayOffset", problems),
                offset_min=_number(event, "OffsetMin", problems),
                offset_max=_number(event, "OffsetMax", problems),
                forms=tuple(
                    ref.get(r("FormName")) or ref.get("FormOID", "").removeprefix("Form.")
                    for ref in event.iter(q("FormRef"))
                ),
            )
        )
    return events
