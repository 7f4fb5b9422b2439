"""A rule's data query reads in each reader's language, whoever ran the rule and when."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from neuroregen.core.wording import render, wording
from neuroregen.instruments import quality
from neuroregen.instruments.models import Query


def test_a_rule_finding_keeps_its_msgid_and_values_and_is_worded_for_each_reader():
    with translation.override("en"):
        kept = quality.outlier_wording(95.0, [50.0 + i for i in range(10)], prefix="")
    assert kept is not None
    query = Query(message="stored English", wording=kept)
    with translation.override("ru"):
        russian = query.text
    with translation.override("uk"):
        ukrainian = query.text
    assert russian.startswith("95 отстоит на ")
    assert "SD от среднего когорты 54,5" in russian
    assert ukrainian.startswith("95 віддалене на ")
    assert "54,5" in ukrainian
    assert "." not in russian.split("(n")[0].rstrip(". ")  # one decimal separator: the comma


def test_an_analyte_prefix_and_a_date_are_translated_too():
    kept = wording(
        "Collected on %(day)s, before the child was born.",
        prefix="Interleukin-6 (IL-6)",
        day=dt.date(2020, 3, 1),
    )
    with translation.override("uk"):
        text = render(kept)
    assert text.startswith("Інтерлейкін-6 (IL-6): ")
    assert "2020" in text
    assert "2020-03-01" not in text


def test_a_query_a_person_wrote_reads_as_written():
    query = Query(message="Please check the weight against the clinic notes.", wording={})
    with translation.override("ru"):
        assert query.text == "Please check the weight against the clinic notes."
