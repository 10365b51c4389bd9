"""Integer keys of the context rows of a hits table, shared by the across-context runners.

:func:`_keys` checks the columns a runner needs, chooses the rows (the ``pooled`` pseudo cell
line in or out), rejects duplicated ``cell_line/treatment/protein`` rows and codes protein, cell
line, drug and context (cell line x drug) as sorted integer codes, so that
:func:`~secretome_rank.aggregate.summarize_contexts` and
:func:`~secretome_rank.aggregate.rescue_matrix` do no string work per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.aggregate.kernels import F64
from secretome_rank.encode import factorize_runs
from secretome_rank.errors import SchemaError
from secretome_rank.pooled import POOLED  # pooled rows are left out by default


def _sorted_codes(
    values: pd.Series, *, in_runs: bool = False
) -> tuple[NDArray[np.intp], NDArray[np.object_]]:
    """Integer codes whose order is the sorted order of the string labels.

    ``in_runs``: equal values mostly come in runs (a column the hits table is sorted by).
    """
    if in_runs:
        return _sort_labels(*factorize_runs(values, use_na_sentinel=False))
    return _sort_labels(*pd.factorize(values, use_na_sentinel=False))


def _sort_labels(
    codes: NDArray[np.intp], uniq: pd.Index
) -> tuple[NDArray[np.intp], NDArray[np.object_]]:
    """Factorized codes renumbered in the sorted order of the labels, and the labels."""
    labels = np.asarray(pd.Index(uniq).astype(str), dtype=object)
    order = np.argsort(labels, kind="stable")
    remap = np.empty(order.size, dtype=np.intp)
    remap[order] = np.arange(order.size)
    return remap[codes], labels[order]


@dataclass(frozen=True)
class _Keys:
    """Integer keys of the context rows of a hits table (vectorised; no string work per row)."""

    hits: pd.DataFrame
    sel: NDArray[np.bool_] | None  # rows used (None: all)
    prot: NDArray[np.intp]
    prot_labels: NDArray[np.object_]
    line: NDArray[np.intp]
    drug: NDArray[np.intp]
    ctx: NDArray[np.intp]
    ctx_line: NDArray[np.object_]  # label per context
    ctx_drug: NDArray[np.object_]

    def col(self, name: str) -> pd.Series:
        values = self.hits[name]
        return values if self.sel is None else values[self.sel]

    def num(self, name: str) -> F64:
        return self.col(name).to_numpy(dtype=float, na_value=np.nan)

    def eq(self, name: str, value: str) -> NDArray[np.bool_]:
        return (self.col(name) == value).fillna(False).to_numpy(dtype=bool)


def _keys(hits: pd.DataFrame, include_pooled: bool | None, need: tuple[str, ...]) -> _Keys:
    missing = [c for c in need if c not in hits.columns]
    if missing:
        raise SchemaError(
            f"hits table lacks column(s) {', '.join(missing)}; expected the hits table of "
            "rank_screen (one row per cell_line x treatment x protein)"
        )
    hits = hits.reset_index(drop=True)
    sel: NDArray[np.bool_] | None = None
    line_codes, line_uniq = factorize_runs(hits[C.CELL_LINE], use_na_sentinel=False)
    pooled = pd.Series(line_uniq).eq(POOLED).fillna(False).to_numpy(dtype=bool)[line_codes]
    if pooled.any() and include_pooled is None:
        # auto: the pooled rows are the contexts when no per-line context was tested
        tested = hits[C.P_VALUE].notna().to_numpy() if C.P_VALUE in hits else ~pooled
        sel = ~pooled if (tested & ~pooled).any() else pooled
    elif pooled.any() and not include_pooled:
        sel = ~pooled

    def take(c: str) -> pd.Series:
        return hits[c] if sel is None else hits[c][sel]

    prot, prot_labels = _sorted_codes(take(C.PROTEIN))
    if sel is None:  # the cell lines factorized above
        line, line_labels = _sort_labels(line_codes, line_uniq)
    else:
        line, line_labels = _sorted_codes(take(C.CELL_LINE), in_runs=True)
    drug, drug_labels = _sorted_codes(take(C.TREATMENT), in_runs=True)
    n_drug = max(len(drug_labels), 1)
    ctx_u, ctx = np.unique(line * n_drug + drug, return_inverse=True)
    key = ctx.astype(np.int64) * max(len(prot_labels), 1) + prot
    dup = pd.Series(key).duplicated().to_numpy()
    if dup.any():
        i = np.flatnonzero(dup)[:3]
        ex = [f"{line_labels[line[j]]}/{drug_labels[drug[j]]}/{prot_labels[prot[j]]}" for j in i]
        raise SchemaError(
            f"hits table has {int(dup.sum())} duplicated cell_line/treatment/protein row(s) "
            f"(e.g. {', '.join(ex)}); expected one row per protein and context"
        )
    return _Keys(
        hits=hits,
        sel=sel,
        prot=prot,
        prot_labels=prot_labels,
        line=line,
        drug=drug,
        ctx=ctx.astype(np.intp),
        ctx_line=line_labels[ctx_u // n_drug],
        ctx_drug=drug_labels[ctx_u % n_drug],
    )
