"""The domains as SAS transport files, version 5 (one ``<domain>.xpt`` each)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from neuroregen.interop.sdtm.spec import DOMAINS, Var
from neuroregen.interop.sdtm.text import is_text
from neuroregen.interop.sdtm.xport5 import write_xport


def _xpt_ready(frame: pd.DataFrame, variables: list[Var]) -> pd.DataFrame:
    """Numbers as 8-byte floats, text as text (empty, never "None"), by the spec's types."""
    frame = frame.copy(deep=False)
    types = {v.name: v.type for v in variables}
    for column in frame.columns:
        if types.get(column) == "Num":
            frame[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
        elif is_text(frame[column]) or frame[column].isna().all():
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def write_xpt(frames: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write each domain as ``<domain>.xpt`` (SAS transport version 5)."""
    paths = []
    for domain, frame in frames.items():
        label, variables = DOMAINS[domain]
        path = out / f"{domain.lower()}.xpt"
        write_xport(
            path,
            _xpt_ready(frame, variables),
            name=domain,
            label=label,
            labels={v.name: v.label for v in variables},
        )
        paths.append(path)
    return paths
