"""NDA export: subjectkey is the GUID, children without one are refused or the file is marked,
and atec01 carries every ATEC item answer in NDA's element names."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from neuroregen.core.errors import ValidationFailed
from neuroregen.instruments.builtin_atec import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.models import Response
from neuroregen.interop import nda
from neuroregen.interop.dataset import ExportOptions, collect
from neuroregen.interop.nda_atec01 import ITEM_ELEMENTS, SCORE_ELEMENTS
from neuroregen.participants import services
from tests.interop.builders import PROTOCOL
from tests.security.battery import client_for


def guid_for(index: int) -> str:
    return f"NDAR_INV{index:08d}"


def give_guids(world, *, skip: int | None = None) -> None:
    for index, participant in enumerate(world.participants):
        if index != skip:
            services.nda_guid_set(
                user=world.admin,
                participant=participant,
                guid=guid_for(index),
                reason="GUID tool run at the site",
            )


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_subjectkey_carries_the_guid_in_both_structures(world, tmp_path):
    give_guids(world)
    dataset = collect(user=world.admin, protocol=PROTOCOL)
    paths = nda.write_structures(dataset, tmp_path)
    assert [p.name for p in paths] == ["ndar_subject01.csv", "atec01.csv"]
    expected = {p.study_code: guid_for(i) for i, p in enumerate(world.participants)}
    for path in paths:
        rows = _rows(path.read_text())
        assert len(rows[0]) == 2  # no pre-submission marker
        keys = {r[1]: r[0] for r in rows[2:]}
        assert keys == expected, path.name


@pytest.mark.django_db
def test_children_without_a_guid_are_refused_by_study_code(world, tmp_path):
    give_guids(world, skip=1)
    dataset = collect(user=world.admin, protocol=PROTOCOL)
    with pytest.raises(ValidationFailed) as refused:
        nda.write_structures(dataset, tmp_path)
    assert world.participants[1].study_code in refused.value.message
    assert world.participants[0].study_code not in refused.value.message
    assert not any(tmp_path.iterdir())
    with pytest.raises(CommandError, match=world.participants[1].study_code):
        call_command(
            "export",
            "nda",
            "--protocol",
            PROTOCOL,
            "--out",
            str(tmp_path),
            "--user",
            world.admin.username,
        )


@pytest.mark.django_db
def test_pre_submission_file_is_marked_in_its_name_and_title_row(world, tmp_path):
    give_guids(world, skip=1)
    out = io.StringIO()
    call_command(
        "export",
        "nda",
        "--protocol",
        PROTOCOL,
        "--out",
        str(tmp_path),
        "--user",
        world.admin.username,
        "--allow-missing-guid",
        stdout=out,
        stderr=io.StringIO(),
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["PRESUBMISSION_atec01.csv", "PRESUBMISSION_ndar_subject01.csv"]
    for name in names:
        rows = _rows((tmp_path / name).read_text())
        assert rows[0][:2] in (["ndar_subject", "01"], ["atec", "01"])
        assert "PRE-SUBMISSION" in rows[0][2]
        assert world.participants[1].study_code in rows[0][2]
        keys = {r[1]: r[0] for r in rows[2:]}
        assert keys[world.participants[1].study_code] == ""  # NDA's validator refuses it
        assert keys[world.participants[0].study_code] == guid_for(0)


@pytest.mark.django_db
def test_guids_leave_only_with_an_exporter_who_may_see_identity(world, tmp_path):
    give_guids(world)
    dataset = collect(
        user=world.statistician, protocol=PROTOCOL, options=ExportOptions(allow_missing_guid=True)
    )
    assert dataset.nda_guids == {}
    text = nda.subject_rows(dataset)
    assert "NDAR_INV" not in text.split("\n", 1)[1]
    with pytest.raises(ValidationFailed):
        nda.write_structures(collect(user=world.statistician, protocol=PROTOCOL), tmp_path)


@pytest.mark.django_db
def test_atec01_carries_every_item_answer_in_its_element(world):
    give_guids(world)
    dataset = collect(user=world.admin, protocol=PROTOCOL)
    rows = _rows(nda.atec_rows(dataset))
    header = rows[1]
    items = [
        atec_item_name(k, n) for k, (_, its) in ATEC_ITEMS.items() for n in range(1, len(its) + 1)
    ]
    assert len(items) == 77
    assert set(ITEM_ELEMENTS) == set(items)
    assert len(set(ITEM_ELEMENTS.values())) == 77  # one element per item
    for element in [*ITEM_ELEMENTS.values(), *SCORE_ELEMENTS]:
        assert header.count(element) == 1, element
    # totals after the items, as NDA lists them
    assert header.index("atec_total") > max(header.index(e) for e in ITEM_ELEMENTS.values())
    by_code = {r[1]: dict(zip(header, r, strict=True)) for r in rows[2:]}
    responses = Response.objects.filter(instrument__code="atec", visit__code="BL")
    assert responses.count() == 3
    for response in responses:
        row = by_code[response.visit.participant.study_code]
        for field, element in ITEM_ELEMENTS.items():
            assert row[element] == str(response.answers.get(field, "")), (field, element)
        for element, score in SCORE_ELEMENTS.items():
            value = (response.scores.get(score) or {}).get("value")
            assert row[element] == ("" if value is None else str(value)), element


@pytest.mark.django_db
def test_export_page_lists_the_children_without_a_guid(world):
    give_guids(world, skip=2)
    client = client_for(world.admin)
    data = {"protocol": PROTOCOL, "export_format": "nda"}
    refused = client.post(reverse("interop:export"), data)
    assert refused.status_code == 422
    assert world.participants[2].study_code in refused.content.decode()
    marked = client.post(reverse("interop:export"), {**data, "allow_missing_guid": "on"})
    assert marked.status_code == 200
    assert marked["Content-Type"] == "application/zip"
