"""Real public REDCap data dictionaries (tests/data/redcap_corpus, sources in its README) import
without a problem and export back cell for cell."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from neuroregen.instruments import services
from neuroregen.instruments.dictionary_diff import without_record_id_row
from neuroregen.instruments.redcap import decode_text, read_dictionary, write_dictionary

CORPUS = Path(__file__).parents[1] / "data" / "redcap_corpus"
FILES = sorted(CORPUS.glob("*.csv"))


def cells(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text, newline="")) if any(row)]


def test_the_corpus_is_documented():
    readme = (CORPUS / "README.md").read_text()
    assert len(FILES) >= 10
    for path in FILES:
        assert f"`{path.name}`" in readme


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_dictionary_reads_without_problems_and_writes_back_cell_for_cell(path):
    text, _encoding = decode_text(path.read_bytes())
    rows, problems = read_dictionary(text)
    assert [str(p) for p in problems] == []
    assert cells(write_dictionary(rows)) == cells(text)


@pytest.mark.django_db
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_dictionary_imports_and_its_instruments_export_back(path):
    text, _encoding = decode_text(path.read_bytes())
    original = cells(text)
    imported = services.dictionary_import(user=None, text=text)
    assert [i.code for i in imported] == list(dict.fromkeys(row[1] for row in original[1:]))
    exported: list[list[str]] = []
    for instrument in imported:
        rows, problems = read_dictionary(services.dictionary_export(instrument=instrument))
        assert problems == []
        # every form but the one holding the record-id field gets REDCap's record-id row first
        exported.extend(row.cells() for row in without_record_id_row(rows))
    assert exported == original[1:]
