"""SAS transport files, version 5 (SAS technical note TS-140), written with numpy.

A file holds one data set: the library header, the member header with the data set's name and
label, one 140-byte NAMESTR per variable, then the observations as fixed-width records with no
separators. Character values are ASCII, padded with spaces to the variable's length (the longest
value, at least 1, at most 200 bytes); numbers are 8-byte IBM System/370 doubles, a missing
number is SAS's "." (0x2E then seven zero bytes). Headers and the NAMESTRs are big-endian and
every block is padded with spaces to a multiple of 80 bytes.

Rows are written in blocks of a few megabytes: a column becomes a (rows × width) byte matrix in
one numpy operation, so a domain of millions of rows takes seconds and little memory.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

RECORD = 80  # bytes of a header record; blocks are padded to a multiple of it
NAMESTR_SIZE = 140
MAX_CHAR = 200  # bytes of a character value in version 5
MAX_LABEL = 40
BLOCK_BYTES = 16 * 2**20  # rows written per block: about this many bytes
# what readstat writes in these fields too; readers do not interpret them
SAS_VERSION = "6.06"
SAS_OS = "bsd4.2"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,7}\Z")
_HEADER = "HEADER RECORD*******{}HEADER RECORD!!!!!!!{}"
_MISSING = np.uint64(0x2E << 56)  # SAS "." as an IBM double
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()


class XportError(ValueError):
    """A data set that SAS transport version 5 cannot hold as it is."""


@dataclass(frozen=True)
class _Variable:
    name: str
    label: str
    numeric: bool
    length: int
    position: int


def write_xport(
    path: Path,
    frame: pd.DataFrame,
    *,
    name: str,
    label: str = "",
    labels: Mapping[str, str] | None = None,
    created: dt.datetime | None = None,
) -> Path:
    """Write ``frame`` as the data set ``name`` to ``path``; numeric columns (not bool) become
    numeric variables, every other column character; ``labels`` by column name."""
    _check_name(name, "data set")
    _check_label(label, f"data set {name}")
    labels = labels or {}
    columns = [_column(frame[column]) for column in _names(frame)]
    variables = _variables(frame, columns, labels)
    stamp = _stamp(created or dt.datetime.now(dt.UTC))
    with path.open("wb") as out:
        out.write(_headers(name, label, stamp, variables))
        _write_rows(out, columns, variables)
    return path


def _names(frame: pd.DataFrame) -> list[str]:
    names = [str(column) for column in frame.columns]
    for column in names:
        _check_name(column, "variable")
    if len({n.upper() for n in names}) != len(names):
        raise XportError(f"variable names repeat (ignoring case): {names}")
    return names


def _check_name(name: str, what: str) -> None:
    if not _NAME.match(name):
        raise XportError(
            f"{what} name {name!r}: 1 to 8 letters, digits or underscores, not a digit first"
        )


def _check_label(label: str, what: str) -> None:
    if not label.isascii() or len(label) > MAX_LABEL:
        raise XportError(f"label of {what} must be ASCII, at most {MAX_LABEL} characters")


def _column(series: pd.Series) -> np.ndarray | pa.Array:
    """Numbers as float64 (missing NaN); anything else as Arrow text (missing "")."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    text = series
    if series.hasnans or not pd.api.types.is_string_dtype(series.dtype):
        text = series.astype(object).where(series.notna(), "").astype(str)
    values = pa.array(text, type=pa.large_string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values


def _variables(
    frame: pd.DataFrame, columns: list[np.ndarray | pa.Array], labels: Mapping[str, str]
) -> list[_Variable]:
    variables, position = [], 0
    for name, values in zip(frame.columns, columns, strict=True):
        numeric = isinstance(values, np.ndarray)
        length = 8 if numeric else _text_length(values, str(name))
        label = labels.get(str(name), "")
        _check_label(label, f"variable {name}")
        variables.append(_Variable(str(name), label, numeric, length, position))
        position += length
    return variables


def _text_length(values: pa.Array, name: str) -> int:
    """The longest value in bytes; ASCII only, so bytes are characters."""
    if len(values) and not pc.all(pc.string_is_ascii(values)).as_py():
        bad = pc.filter(values, pc.invert(pc.string_is_ascii(values)))[0].as_py()
        raise XportError(f"{name}: not ASCII: {bad!r}")
    longest = pc.max(pc.binary_length(values)).as_py() or 0
    if longest > MAX_CHAR:
        raise XportError(f"{name}: a value of {longest} characters (at most {MAX_CHAR})")
    return max(longest, 1)


def _stamp(moment: dt.datetime) -> str:
    """ddMMMyy:hh:mm:ss, as TS-140 has it."""
    return f"{moment:%d}{_MONTHS[moment.month - 1]}{moment:%y:%H:%M:%S}"


def _padded(data: bytes, fill: bytes = b" ") -> bytes:
    return data + fill * (-len(data) % RECORD)


def _text(value: str, width: int) -> bytes:
    return value.encode("ascii").ljust(width)[:width]


def _headers(name: str, label: str, stamp: str, variables: list[_Variable]) -> bytes:
    """Everything before the first observation."""
    zeros = "0" * 30
    parts = [
        _HEADER.format("LIBRARY ", zeros) + "  ",
        f"{'SAS':<8}{'SAS':<8}{'SASLIB':<8}{SAS_VERSION:<8}{SAS_OS:<8}{'':<24}{stamp}",
        f"{stamp}{'':<64}",
        _HEADER.format("MEMBER  ", "000000000000000001600000000140") + "  ",
        _HEADER.format("DSCRPTR ", zeros) + "  ",
        f"{'SAS':<8}{name:<8}{'SASDATA':<8}{SAS_VERSION:<8}{SAS_OS:<8}{'':<24}{stamp}",
        f"{stamp}{'':<16}{label:<40}{'':<8}",
        _HEADER.format("NAMESTR ", f"000000{len(variables):04d}{'0' * 20}") + "  ",
    ]
    head = "".join(parts).encode("ascii")
    namestrs = b"".join(_namestr(n, v) for n, v in enumerate(variables, start=1))
    obs = (_HEADER.format("OBS     ", zeros) + "  ").encode("ascii")
    return head + _padded(namestrs) + obs


def _namestr(number: int, variable: _Variable) -> bytes:
    """One variable's 140-byte description (no formats: blank names, zero widths)."""
    return struct.pack(
        ">hhhh8s40s8shhh2s8shhl52s",
        1 if variable.numeric else 2,  # ntype
        0,  # nhfun
        variable.length,  # nlng
        number,  # nvar0
        _text(variable.name, 8),
        _text(variable.label, 40),
        b" " * 8,  # nform
        0,  # nfl
        0,  # nfd
        1 if variable.numeric else 0,  # nfj: numbers right-justified
        b"\0\0",  # nfill
        b" " * 8,  # niform
        0,  # nifl
        0,  # nifd
        variable.position,  # npos: offset in the observation
        b"\0" * 52,
    )


def _write_rows(
    out: BinaryIO, columns: list[np.ndarray | pa.Array], variables: list[_Variable]
) -> None:
    width = sum(v.length for v in variables)
    rows = len(columns[0]) if columns else 0
    step = max(1, BLOCK_BYTES // max(width, 1))
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        block = np.empty((stop - start, width), dtype=np.uint8)
        for values, variable in zip(columns, variables, strict=True):
            cells = block[:, variable.position : variable.position + variable.length]
            if isinstance(values, np.ndarray):
                cells[:] = _numbers(values[start:stop], variable)
            else:
                _chars(values.slice(start, stop - start), cells)
        out.write(block.data)
    out.write(b" " * (-(width * rows) % RECORD))


def _chars(values: pa.Array, cells: np.ndarray) -> None:
    """Fill ``cells`` (rows × length) with the ASCII values, space-padded, straight from the
    Arrow buffers: row-major boolean indexing lays the values' bytes out one row after another."""
    _validity, offsets_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)
    offsets = offsets[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer else np.empty(0, np.uint8)
    lengths = np.diff(offsets)
    cells[:] = 0x20
    cells[np.arange(cells.shape[1]) < lengths[:, None]] = data[offsets[0] : offsets[-1]]


def _numbers(values: np.ndarray, variable: _Variable) -> np.ndarray:
    try:
        ibm = ibm_doubles(values)
    except XportError as error:
        raise XportError(f"{variable.name}: {error}") from None
    return ibm.astype(">u8").view(np.uint8).reshape(len(values), 8)


def ibm_doubles(values: np.ndarray) -> np.ndarray:
    """IEEE 754 doubles as IBM System/370 doubles (the bits, as unsigned 64-bit integers).

    IEEE is 1.f × 2**e with 52 stored bits; IBM is 0.F × 16**(E - 64), F of 56 bits at least
    1/16. Writing 2**e as 16**q / 2**r (r in 0..3) shifts the 53-bit significand left by 3 - r
    bits: exact for every value in IBM's range (about 5.4e-79 to 7.2e75). NaN is SAS missing
    ("."); zero is zero; anything else outside that range is refused, never rounded away.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    bits = values.view(np.uint64)
    missing = np.isnan(values)
    zero = values == 0
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1022
    quarter = -(-exponent // 4)  # value = significand / 2**53 × 16**quarter / 2**shift
    shift = 4 * quarter - exponent
    significand = (bits & np.uint64(2**52 - 1)) | np.uint64(2**52)
    fraction = significand << (3 - shift).astype(np.uint64)
    biased = quarter + 64
    outside = ~(missing | zero) & ((biased < 0) | (biased > 127) | np.isinf(values))
    if outside.any():
        bad = values[outside][0]
        raise XportError(f"{bad!r} is outside the range of an IBM double (5.4e-79 to 7.2e75)")
    sign = bits & np.uint64(1 << 63)
    ibm = sign | (biased.clip(0, 127).astype(np.uint64) << np.uint64(56)) | fraction
    ibm[zero] = 0
    ibm[missing] = _MISSING
    return ibm
