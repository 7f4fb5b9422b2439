"""Unit conversion to canonical units and limit-of-quantification flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from neuroregen.biomarkers.catalogue import UnitError, to_canonical
from neuroregen.biomarkers.validators import clean_measurement, limit_flag

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("code", "value", "unit", "expected", "canonical"),
    [
        ("il6", "12.5", "pg/mL", "12.5", "pg/mL"),
        ("il6", "12.5", "ng/L", "12.5", "pg/mL"),
        ("il6", "0.0125", "ng/mL", "12.5", "pg/mL"),
        ("tnfa", "8", "pg/ml", "8", "pg/mL"),
        ("crp", "0.3", "mg/dL", "3", "mg/L"),
        ("bdnf", "25000", "pg/mL", "25", "ng/mL"),
        ("eeg_alpha", "2", "mV²", "2000000", "µV²"),
    ],
)
def test_conversions(code, value, unit, expected, canonical):
    converted, unit_out = to_canonical(code, Decimal(value), unit)
    assert converted == Decimal(expected)
    assert unit_out == canonical


def test_unconvertible_unit_is_refused():
    with pytest.raises(UnitError, match="cannot be converted"):
        to_canonical("il6", Decimal(1), "mg/dL")


def test_limit_flags():
    assert limit_flag(Decimal("0.5"), Decimal("1"), Decimal("100")) == "below_lloq"
    assert limit_flag(Decimal("150"), Decimal("1"), Decimal("100")) == "above_uloq"
    assert limit_flag(Decimal("1"), Decimal("1"), Decimal("100")) == "within"
    assert limit_flag(Decimal("5"), None, None) == "no_limits"
    assert limit_flag(Decimal("1.5"), None, None, censor="<") == "below_lloq"


def _lab(**overrides):
    data = {
        "analyte": "il6",
        "value": "0.0008",
        "unit": "ng/mL",
        "matrix": "plasma",
        "collected_at": NOW - dt.timedelta(hours=3),
        "processed_at": NOW - dt.timedelta(hours=2),
        "assay": "ELISA",
        "kit": "Quantikine HS",
        "lot": "L123",
        "lloq": "0.00156",
        "uloq": "0.1",
        "cv_percent": "6.5",
    }
    data.update(overrides)
    return data


def test_lab_value_converted_with_limits_in_the_same_unit():
    values, errors = clean_measurement(_lab(), now=NOW)
    assert errors == {}
    assert values["value"] == Decimal("0.8")
    assert values["unit"] == "pg/mL"
    assert values["lloq"] == Decimal("1.56")
    assert values["uloq"] == Decimal("100")
    assert values["limit_flag"] == "below_lloq"
    assert values["reported_value"] == "0.0008"
    assert values["reported_unit"] == "ng/mL"
    censored, _ = clean_measurement(_lab(value="<0.00156"), now=NOW)
    assert censored["limit_flag"] == "below_lloq"


def test_every_problem_of_a_measurement_is_reported():
    _values, errors = clean_measurement(
        _lab(
            unit="mg/dL",
            matrix="urine",
            assay="",
            cv_percent="140",
            lloq="5",
            uloq="1",
            collected_at=NOW + dt.timedelta(days=1),
        ),
        now=NOW,
    )
    assert set(errors) == {
        "unit",
        "matrix",
        "assay",
        "cv_percent",
        "uloq",
        "collected_at",
        "processed_at",
    }  # processed before the (future) collection


def test_eeg_and_mri_need_region_method_and_provenance():
    _values, errors = clean_measurement(
        {"analyte": "mri_fa", "value": "1.2", "unit": "1", "collected_at": NOW, "matrix": "plasma"},
        now=NOW,
    )
    assert set(errors) == {"value", "matrix", "region", "assay", "provenance"}
    values, errors = clean_measurement(
        {
            "analyte": "mri_fa",
            "value": "0.42",
            "unit": "",
            "region": "cc_genu",
            "collected_at": NOW,
            "assay": "DTI 64 directions, probabilistic tractography",
            "provenance": "scan 2025-05-30, pipeline dtiprep 1.2",
        },
        now=NOW,
    )
    assert errors == {}
    assert values["unit"] == "1"
    assert values["limit_flag"] == "no_limits"
