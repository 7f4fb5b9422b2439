"""The table of a programme's outcome by product, lot, dose and route."""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuroregen.evidence.program_evidence import ProductRow
from neuroregen.stats.safety_rules import proportion_exact
from neuroregen.stats.subgroups import overall_estimate

# Nothing here is public: the subgroup analyses call _products for the table by lot and dose.


def _products(
    merged: pd.DataFrame,
    participants: pd.DataFrame,
    aes: pd.DataFrame,
    quantity: str,
    ctx: tuple[str, ...],
    confidence: float,
) -> list[ProductRow]:
    """Outcome and safety by lot, dose band and route.

    Counted per variable in one grouping each: with autologous products there are hundreds of
    lot levels, and a frame per level took longer than every other analysis together.
    """
    out: list[ProductRow] = []
    with_ae = participants["study_code"].isin(set(aes["study_code"]))
    with_sae = participants["study_code"].isin(
        set(aes.loc[aes["serious"].astype(bool), "study_code"])
    )
    flags = participants[["study_code"]].assign(ae=with_ae, sae=with_sae)
    for variable in ("lot", "dose_band", "route"):
        # distinct children per level (a child counted once however many rows it has)
        people = flags.assign(level=participants[variable]).dropna(subset=["level"])
        people = people.drop_duplicates(["level", "study_code"])
        counts = people.groupby("level", sort=True)[["ae", "sae"]].agg(["size", "sum"])
        # each level's changes in frame order (a child without a follow-up value at that
        # phase has a row but no change)
        changes = {
            level: values.to_numpy(dtype=float)
            for level, values in merged["change"].groupby(merged[variable], sort=False)
        }
        for level, n, n_ae, n_sae in zip(
            counts.index,
            counts[("ae", "size")],
            counts[("ae", "sum")],
            counts[("sae", "sum")],
            strict=True,
        ):
            values = changes.get(level, _NO_VALUES)
            outcome = None
            if np.count_nonzero(~np.isnan(values)) >= 2:
                outcome = overall_estimate(
                    values, quantity=quantity, confidence=confidence, caveats=ctx
                )
            out.append(
                ProductRow(
                    variable,
                    str(level),
                    outcome,
                    proportion_exact(
                        int(n_ae),
                        int(n),
                        confidence=confidence,
                        quantity=f"participants with any AE, {variable} = {level}",
                        caveats=ctx,
                    ),
                    proportion_exact(
                        int(n_sae),
                        int(n),
                        confidence=confidence,
                        quantity=f"participants with a serious AE, {variable} = {level}",
                        caveats=ctx,
                    ),
                )
            )
    return out


_NO_VALUES = np.empty(0)
