"""Deterministic ranking of proteins within each context.

Order (each key's direction declared): hit group ascending (rescuer / rescue_unconfirmed,
then mitogen, then sensitizer, then hits whose receptors are not expressed, then non-hits),
``q_value`` ascending (missing last),
``rescue_pct`` descending (missing last), ``protein`` ascending. Ranks are 1..n per context
with no ties (``method="first"`` after the full sort).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.receptors.grouping import stable_order, text_codes

__all__ = ["rank_hits"]

_GROUP = {
    C.CLASS_RESCUER: 0,
    C.CLASS_UNCONFIRMED: 0,
    C.CLASS_MITOGEN: 1,
    C.CLASS_SENSITIZER: 2,
}


def rank_hits(
    table: pd.DataFrame, *, context: tuple[str, ...] = (C.CELL_LINE, C.TREATMENT)
) -> pd.DataFrame:
    """Sort ``table`` by context and rank, adding ``rank`` (1 = best) within each context."""
    classes, class_names = pd.factorize(table[C.CLASS])  # a few distinct classes
    class_group = np.append(pd.Index(class_names).map(_GROUP).to_numpy(dtype=float), np.nan)
    group = np.where(table[C.IS_HIT], pd.Series(class_group[classes]).fillna(3), 3).astype(float)
    if "receptor_expressed" in table.columns:  # hits whose receptors are absent: after other hits
        absent = table["receptor_expressed"].astype("boolean").eq(False).fillna(False).to_numpy()
        group = np.where(table[C.IS_HIT].to_numpy() & absent, 2.5, group)

    def text_order(col: str) -> np.ndarray:
        """Rank of each row's text in sorted order (what a string sort compares)."""
        return text_codes(table[col])[0]

    ctx_keys = [text_order(c) for c in context]
    # most significant key first; stable, so ties keep the input order (as np.lexsort);
    # float keys ascend with NaN last and -0.0 == 0.0
    order = stable_order(
        *ctx_keys,
        group,
        table[C.Q_VALUE].to_numpy(dtype=float),
        -table[C.RESCUE_PCT].to_numpy(dtype=float),
        text_order(C.PROTEIN),
    )
    out = table.iloc[order].reset_index(drop=True)
    # rank = position within the run of equal context keys (rows are sorted by context)
    n = len(out)
    same = np.ones(max(n - 1, 0), dtype=bool)
    for key in ctx_keys:
        k = key[order]
        same &= k[1:] == k[:-1]
    starts = np.concatenate([np.ones(min(n, 1), dtype=bool), ~same])
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    out[C.RANK] = np.arange(n) - first + 1
    return out
