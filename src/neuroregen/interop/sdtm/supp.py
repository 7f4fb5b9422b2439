"""XPT v5 character values: ASCII (the original kept as data for define.xml comments) and at
most 200 characters (the rest in SUPP--, SDTMIG 4.5.3.2)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from neuroregen.interop.sdtm.spec import DOMAINS
from neuroregen.interop.sdtm.text import LIMIT, ascii_text, is_text, split200


@dataclass(frozen=True)
class Original:
    """A value written transliterated: where, what was written, what it was."""

    domain: str
    variable: str
    value: str  # as written (ASCII)
    original: str


def ascii_frames(frames: dict[str, pd.DataFrame]) -> list[Original]:
    """Transliterate every character value to ASCII, in place; the distinct originals changed.

    Each column's distinct values are looked at once (a QS column repeats a few values over
    millions of rows)."""
    originals: list[Original] = []
    for domain, frame in frames.items():
        for column in frame.columns:
            if not is_text(frame[column]):
                continue
            changed = {}
            for value in frame[column].dropna().unique():
                if isinstance(value, str) and not value.isascii():
                    changed[value] = ascii_text(value)
                    originals.append(Original(domain, column, changed[value], value))
            if changed:
                frame[column] = frame[column].replace(changed)
    return originals


def supp_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """SUPPQS, SUPPAE, SUPPDS: the second and later 200-character pieces of longer texts (the
    first stays in the variable), one record per piece: QNAM is the variable's name with the
    piece's number (``AETERM1``, ``AETERM2`` …), keyed to the parent record by ``--SEQ``."""
    found: dict[str, pd.DataFrame] = {}
    for domain in ("QS", "AE", "DS"):
        frame = frames.get(domain)
        if frame is None or frame.empty:
            continue
        labels = {v.name: v.label for v in DOMAINS[domain][1]}
        seq = f"{domain}SEQ"
        records = []
        for column in frame.columns:
            if not is_text(frame[column]):
                continue
            # distinct values first: a QS column repeats a few values over millions of rows
            long = [x for x in frame[column].unique() if isinstance(x, str) and len(x) > LIMIT]
            if not long:
                continue
            for index in frame.index[frame[column].isin(long)]:
                first, *rest = split200(frame.at[index, column])
                frame.at[index, column] = first
                for n, piece in enumerate(rest, start=1):
                    records.append(
                        {
                            "STUDYID": frame.at[index, "STUDYID"],
                            "RDOMAIN": domain,
                            "USUBJID": frame.at[index, "USUBJID"],
                            "IDVAR": seq,
                            "IDVARVAL": str(int(frame.at[index, seq])),
                            "QNAM": f"{column[:7]}{n}",
                            "QLABEL": f"{labels[column][:35]} {n}",
                            "QVAL": piece,
                            "QORIG": "Collected",
                            "QEVAL": "",
                        }
                    )
        if records:
            name = f"SUPP{domain}"
            found[name] = pd.DataFrame(records, columns=[v.name for v in DOMAINS[name][1]])
    return found
