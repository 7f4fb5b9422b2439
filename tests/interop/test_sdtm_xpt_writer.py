"""Our SAS transport v5 writer, read back by two independent readers (pyreadstat's readstat and
pandas' own XPORT reader), compared byte for byte with readstat's writer, and its IBM doubles
checked against published values."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from neuroregen.interop.sdtm import xport5
from neuroregen.interop.sdtm.xport5 import XportError, ibm_doubles, write_xport

LONG = "x" * 199 + "y"  # the longest value version 5 allows
NUMBERS = [
    -118.625,
    0.0,
    1.0,
    0.1,
    1 / 3,
    math.pi,
    -2.5e-30,
    1e-78,
    7e75,
    float(2**53),
    -float(2**53),
    float("nan"),
]
LABELS = {"TEXT": "Some text", "VALUE": "A number", "EMPTY": "Never filled", "COUNT": "Counted"}


def _frame() -> pd.DataFrame:
    rows = len(NUMBERS)
    text = [LONG, "", "a", " leading", "plain ASCII ~!@#"] + [f"row {n}" for n in range(5, rows)]
    return pd.DataFrame(
        {
            "TEXT": pd.array(text, dtype="str"),
            "VALUE": NUMBERS,
            "EMPTY": [""] * rows,
            "COUNT": np.arange(rows, dtype=np.int64) - 3,
            "MIXED": pd.Series([None, "b"] * (rows // 2), dtype=object),
        }
    )


def _text(value: str | bytes) -> str:
    return (value.decode() if isinstance(value, bytes) else value).strip()


def _pandas_read(path: Path) -> tuple[pd.DataFrame, dict[str, str], str]:
    with pd.read_sas(path, format="xport", iterator=True, encoding="ascii") as reader:
        labels = {_text(f["name"]): _text(f["label"]) for f in reader.fields}
        # pandas' reader stops at once on a data set without observations
        frame = reader.read() if reader.nobs else pd.DataFrame(columns=list(labels))
    # pandas reads an IBM zero (eight zero bytes, as readstat and SAS write it) as the smallest
    # IBM double, 16**-65 (pandas-dev/pandas#50670, open); undo that reader's error
    numbers = frame.select_dtypes("number").columns
    frame[numbers] = frame[numbers].replace(16.0**-65, 0.0)
    return frame, labels, _text(reader.member_info["label"])


def _assert_same(back: pd.DataFrame, written: pd.DataFrame) -> None:
    assert list(back.columns) == list(written.columns)
    assert len(back) == len(written)
    for column in written.columns:
        values = written[column]
        if pd.api.types.is_numeric_dtype(values.dtype):
            expected = values.to_numpy(dtype=np.float64)
            np.testing.assert_array_equal(back[column].to_numpy(dtype=np.float64), expected)
        else:
            expected_text = values.fillna("").astype(str).str.rstrip().tolist()
            read = back[column].fillna("").astype(str).str.rstrip().tolist()
            assert read == expected_text, column


def test_pyreadstat_reads_back_values_labels_and_data_set_label(tmp_path):
    frame = _frame()
    path = write_xport(tmp_path / "t.xpt", frame, name="TT", label="Test data", labels=LABELS)
    back, meta = pyreadstat.read_xport(str(path), encoding="ascii")
    _assert_same(back, frame)
    assert meta.file_label == "Test data"
    assert meta.table_name == "TT"
    assert {k: v for k, v in meta.column_names_to_labels.items() if v} == LABELS
    assert back["TEXT"][0] == LONG
    assert math.isnan(back["VALUE"][len(NUMBERS) - 1])


def test_pandas_reads_back_values_labels_and_data_set_label(tmp_path):
    frame = _frame()
    path = write_xport(tmp_path / "t.xpt", frame, name="TT", label="Test data", labels=LABELS)
    back, labels, label = _pandas_read(path)
    _assert_same(back, frame)
    assert label == "Test data"
    assert {k: v for k, v in labels.items() if v} == LABELS


def test_many_blocks_read_back_whole(tmp_path, monkeypatch):
    """Rows are written a block at a time; a block boundary must not show in the file."""
    monkeypatch.setattr(xport5, "BLOCK_BYTES", 100)  # a handful of rows per block
    rows = 1001
    rng = np.random.default_rng(7)
    words = np.array(["", "a", "bb", "ccc dd", "e" * 30], dtype=object)
    frame = pd.DataFrame(
        {
            "ID": pd.array([f"S-{n:05d}" for n in range(rows)], dtype="str"),
            "WORD": pd.array(words[rng.integers(0, len(words), rows)], dtype="str"),
            "X": rng.normal(size=rows) * 10.0 ** rng.integers(-70, 70, rows),
        }
    )
    frame.loc[rng.integers(0, rows, 50), "X"] = np.nan
    path = write_xport(tmp_path / "b.xpt", frame, name="B")
    _assert_same(pyreadstat.read_xport(str(path))[0], frame)
    _assert_same(_pandas_read(path)[0], frame)


def test_zero_rows(tmp_path):
    frame = pd.DataFrame({"A": pd.array([], dtype="str"), "N": np.array([], dtype=float)})
    path = write_xport(tmp_path / "z.xpt", frame, name="Z", labels={"A": "Letter"})
    back, meta = pyreadstat.read_xport(str(path))
    assert list(back.columns) == ["A", "N"]
    assert len(back) == 0
    assert meta.column_names_to_labels["A"] == "Letter"
    assert path.stat().st_size % 80 == 0
    assert len(_pandas_read(path)[0]) == 0


def test_same_bytes_as_readstat_but_the_timestamps(tmp_path):
    frame = pd.DataFrame(
        {
            "STUDYID": ["NR-CELL-01", "NR-CELL-01", ""],
            "QSSTRESN": [1.5, np.nan, -2.0],
            "QSORRES": ["", "", ""],
            "VISITNUM": [1.0, 2.0, 1e-40],
        }
    )
    labels = ["Study Identifier", "Numeric Finding", "Result", "Visit Number"]
    theirs = tmp_path / "theirs.xpt"
    pyreadstat.write_xport(
        frame,
        str(theirs),
        file_label="Questionnaires",
        table_name="QS",
        column_labels=labels,
        file_format_version=5,
    )
    ours = write_xport(
        tmp_path / "ours.xpt",
        frame,
        name="QS",
        label="Questionnaires",
        labels=dict(zip(frame.columns, labels, strict=True)),
    )
    stamp = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
    ours_bytes, theirs_bytes = ours.read_bytes(), theirs.read_bytes()
    assert len(stamp.findall(ours_bytes)) == 4
    assert stamp.sub(b"T" * 16, ours_bytes) == stamp.sub(b"T" * 16, theirs_bytes)


def test_ibm_doubles_match_published_values():
    # -118.625 = C276A000 (IBM hexadecimal floating point, the classic worked example);
    # 1 = 0.1 (hex) x 16**1; 16**-65 and (1 - 2**-53) x 16**63 the ends of the range
    values = np.array([-118.625, 1.0, 16.0**-65, (1 - 2.0**-53) * 16.0**63, 0.0, np.nan])
    assert [f"{v:016X}" for v in ibm_doubles(values)] == [
        "C276A00000000000",
        "4110000000000000",
        "0010000000000000",
        "7FFFFFFFFFFFFFF8",
        "0000000000000000",
        "2E00000000000000",  # SAS missing "."
    ]


@pytest.mark.parametrize("value", [1e76, -1e76, 1e-79, -5e-80, 1e-300, math.inf, -math.inf])
def test_numbers_outside_the_ibm_range_are_refused(tmp_path, value):
    frame = pd.DataFrame({"N": [1.0, value]})
    with pytest.raises(XportError, match=r"N: .*outside the range of an IBM double"):
        write_xport(tmp_path / "n.xpt", frame, name="N")


@pytest.mark.parametrize(
    ("frame", "name", "label", "message"),
    [
        (pd.DataFrame({"T": ["Zürich"]}), "D", "", "T: not ASCII"),
        (pd.DataFrame({"T": ["x" * 201]}), "D", "", "201 characters"),
        (pd.DataFrame({"LONGNAME9": ["x"]}), "D", "", "variable name 'LONGNAME9'"),
        (pd.DataFrame({"T": ["x"]}), "DATASET12", "", "data set name"),
        (pd.DataFrame({"T": ["x"]}), "D", "L" * 41, "at most 40"),
    ],
)
def test_what_version_5_cannot_hold_is_refused(tmp_path, frame, name, label, message):
    with pytest.raises(XportError, match=message):
        write_xport(tmp_path / "x.xpt", frame, name=name, label=label)
