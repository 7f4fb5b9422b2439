"""REDCap project XML as a dictionary (issue 19, observation 2 and "what to build"): real
REDCap files (tests/data/redcap_corpus/*.xml, sources in its README) import with their
``redcap:`` attributes read, write back, and read again cell for cell; a file that is not one
gets a specific error; problems name the element's real line and path."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from neuroregen.instruments.dictionaries import dictionary_import_report
from neuroregen.instruments.errors import DictionaryRejected
from neuroregen.instruments.models import Instrument
from neuroregen.instruments.redcap import decode_text, read_dictionary
from neuroregen.instruments.redcap_project import Project, read_project
from neuroregen.instruments.redcap_project_write import to_bytes, write_project

CORPUS = Path(__file__).parents[1] / "data" / "redcap_corpus"
XML_FILES = sorted(CORPUS.glob("*.xml"))
CSV_FILES = sorted(CORPUS.glob("*.csv"))
NOW = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)


def _written(project: Project) -> str:
    root, _study, _mdv = write_project(project, now=NOW)
    return to_bytes(root).decode()


def test_the_xml_corpus_is_documented_and_varied():
    readme = (CORPUS / "README.md").read_text()
    assert len(XML_FILES) >= 5
    for path in XML_FILES:
        assert f"`{path.name}`" in readme
        assert path.stat().st_size < 300_000
    texts = {p.name: p.read_text() for p in XML_FILES}
    everything = "".join(texts.values())
    for feature in ('DataType="boolean"', 'Name=""', "redcap:DayOffset", "RepeatingInstrument"):
        assert feature in everything, feature
    assert any("<StudyEventData" not in t and "<FormData" in t for t in texts.values())


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: p.stem)
def test_each_project_xml_reads_writes_and_reads_back_cell_for_cell(path):
    project, problems = read_project(path.read_text())
    assert [str(p) for p in problems] == []
    assert project.rows[0].field_name == project.record_id_field
    again, problems = read_project(_written(project))
    assert [str(p) for p in problems] == []
    assert again.rows == project.rows
    assert again.events == project.events
    assert again.form_titles == project.form_titles
    assert again.repeating == project.repeating


@pytest.mark.parametrize("path", CSV_FILES, ids=lambda p: p.stem)
def test_each_dictionary_csv_travels_through_project_xml_unchanged(path):
    """Matrix groups, branching, calculations, annotations, sliders, sql fields, required and
    identifier flags: every cell of the real dictionaries survives the XML."""
    text, _encoding = decode_text(path.read_bytes())
    rows, _problems = read_dictionary(text)
    project = Project(title=path.stem, record_id_field=rows[0].field_name, rows=rows)
    again, problems = read_project(_written(project))
    assert [str(p) for p in problems] == []
    assert again.rows == rows


@pytest.mark.django_db
@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: p.stem)
def test_each_project_xml_imports_and_reimporting_changes_nothing(path):
    text = path.read_text()
    project, _problems = read_project(text)
    report = dictionary_import_report(user=None, text=text)
    assert report.created == list(project.form_titles)
    for code, title in project.form_titles.items():
        instrument = Instrument.objects.get(code=code)
        assert instrument.title == title
        stored = [f.as_row() for f in instrument.fields.all()]
        assert stored == [row for row in project.rows if row.form_name == code]
    again = dictionary_import_report(user=None, text=text)
    assert again.created == []
    assert again.replaced == {}
    assert again.unchanged == list(project.form_titles)


@pytest.mark.django_db
def test_the_command_imports_project_xml_and_says_when_nothing_changed():
    path = CORPUS / "redcapr_repeating_instruments_sparse.xml"
    out = io.StringIO()
    call_command("dictionary", "import", str(path), stdout=out)
    assert "imported demographics, bp" in out.getvalue()
    out = io.StringIO()
    call_command("dictionary", "import", str(path), stdout=out)
    assert "nothing changed" in out.getvalue()
    assert "unchanged (identical to the instrument already here): demographics, bp" in (
        out.getvalue()
    )


def _problems(text: str) -> list[str]:
    with pytest.raises(DictionaryRejected) as caught:
        dictionary_import_report(user=None, text=text)
    return [str(p) for p in caught.value.problems]


@pytest.mark.django_db
def test_a_file_without_forms_is_an_error_not_an_empty_success(tmp_path):
    metadata_free = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.1">\n'
        '<ClinicalData StudyOID="S" MetaDataVersionOID="M"/>\n</ODM>'
    )
    (problem,) = _problems(metadata_free)
    assert problem.startswith("line 2, ODM: the file defines no forms")
    (problem,) = _problems('<?xml version="1.0"?>\n<html><body/></html>')
    assert "not a CDISC ODM file" in problem
    path = tmp_path / "empty.xml"
    path.write_text(metadata_free)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("dictionary", "import", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Instrument.objects.filter(builtin=False).exists()


@pytest.mark.django_db
def test_plain_odm_from_another_system_is_told_apart():
    text = (
        '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2"><Study OID="S">'
        '<MetaDataVersion OID="M" Name="M"><FormDef OID="F.x" Name="x" Repeating="No"/>'
        "</MetaDataVersion></Study></ODM>"
    )
    (problem,) = _problems(text)
    assert "no redcap: attributes" in problem
    assert "import odm" in problem


@pytest.mark.django_db
def test_problems_name_the_elements_real_line_and_path():
    text = (CORPUS / "redcapr_repeating_instruments_sparse.xml").read_text()
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if '<ItemDef OID="age"' in line)
    lines[at] = lines[at].replace('redcap:FieldType="text"', 'redcap:FieldType="widget"')
    broken = next(i for i, line in enumerate(lines) if '<ItemDef OID="sex"' in line)
    lines[broken] = lines[broken].replace(
        'redcap:FieldType="radio"', 'redcap:FieldType="radio" redcap:BranchingLogic="[nowhere]=1"'
    )
    listed = _problems("\n".join(lines))
    assert any(
        p.startswith(f"line {at + 1}, ODM/Study[@OID='Project.REDCapRRepeatinginstrumentsspa']/")
        and "ItemDef[@OID='age']" in p
        and "'widget'" in p
        for p in listed
    ), listed
    assert any(p.startswith(f"line {broken + 1}, ") and "'nowhere'" in p for p in listed), listed
    # not well-formed: the line of the fault, not line 1
    lines[at] = lines[at].replace("<ItemDef", "<ItemDef <")
    (problem,) = _problems("\n".join(lines))
    assert problem.startswith(f"line {at + 1}, column ")
    assert "not well-formed" in problem


CONSTRUCTED = """<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:redcap="https://projectredcap.org"
 ODMVersion="1.3.1"><Study OID="Project.T">
 <GlobalVariables><StudyName>T</StudyName>
  <redcap:SurveysGroup><redcap:Surveys form_name="intake" title="Family intake"/>
  </redcap:SurveysGroup></GlobalVariables><MetaDataVersion OID="M" Name="T"
 redcap:RecordIdField="study_id">
 <FormDef OID="Form.intake" Name="Intake" Repeating="No" redcap:FormName="intake">
  <ItemGroupRef ItemGroupOID="intake.study_id" Mandatory="No"/></FormDef>
 <ItemGroupDef OID="intake.study_id" Name="" Repeating="No">
  <ItemRef ItemOID="study_id" Mandatory="No" redcap:Variable="study_id"/>
  <ItemRef ItemOID="mood" Mandatory="Yes" redcap:Variable="mood"/></ItemGroupDef>
 <ItemDef OID="study_id" Name="study_id" DataType="text" Length="999"
  redcap:Variable="study_id" redcap:FieldType="text">
  <Question><TranslatedText>Study ID</TranslatedText>
   <TranslatedText xml:lang="uk">Код дослідження</TranslatedText></Question></ItemDef>
 <ItemDef OID="mood" Name="mood" DataType="text" Length="1" redcap:Variable="mood"
  redcap:FieldType="radio" redcap:MatrixGroupName="feelings" redcap:MatrixRanking="y"
  redcap:FieldAnnotation="@HIDDEN-SURVEY" redcap:BranchingLogic="[study_id] &lt;&gt; ''">
  <Question><TranslatedText xml:lang="en">Mood</TranslatedText>
   <TranslatedText xml:lang="uk">Настрій</TranslatedText></Question>
  <CodeListRef CodeListOID="mood.choices"/></ItemDef>
 <CodeList OID="mood.choices" Name="mood" DataType="text" redcap:Variable="mood">
  <CodeListItem CodedValue="1"><Decode><TranslatedText xml:lang="en">Good</TranslatedText>
   <TranslatedText xml:lang="uk">Добрий</TranslatedText></Decode></CodeListItem>
  <CodeListItem CodedValue="2"><Decode><TranslatedText xml:lang="en">Low</TranslatedText>
   <TranslatedText xml:lang="uk">Пригнічений</TranslatedText></Decode></CodeListItem>
 </CodeList></MetaDataVersion></Study></ODM>"""


def test_languages_required_and_matrix_attributes_are_read():
    text = CONSTRUCTED
    project, problems = read_project(text)
    assert [str(p) for p in problems] == []
    mood = project.rows[1]
    assert (mood.field_label, mood.choices, mood.required) == ("Mood", "1, Good | 2, Low", "y")
    assert (mood.matrix_group, mood.matrix_ranking) == ("feelings", "y")
    assert mood.field_annotation == "@HIDDEN-SURVEY"
    assert mood.branching_logic == "[study_id] <> ''"
    assert project.translations["mood"]["uk"] == {
        "label": "Настрій",
        "choices": "1, Добрий | 2, Пригнічений",
    }


@pytest.mark.django_db
def test_survey_forms_and_other_languages_are_kept():
    report = dictionary_import_report(user=None, text=CONSTRUCTED)
    assert report.created == ["intake"]
    intake = Instrument.objects.get(code="intake")
    assert intake.parent_completable  # a REDCap survey: the family answers it
    mood = intake.fields.get(field_name="mood")
    assert mood.label_in("uk") == "Настрій"
    assert mood.choice_pairs("uk") == [("1", "Добрий"), ("2", "Пригнічений")]
    assert "uk" in intake.languages  # every labelled field has its Ukrainian wording
