"""Report sections that compare contexts: proteins across contexts, drug-specific rescue.

Each builder takes the tables read by :mod:`secretome_rank.html_report.load` and returns the HTML
body of its section: the protein x context rescue heatmap (from ``rescue_matrix.tsv``, else
derived from ``hits.tsv``) with the across-context summary table, and the drug-arm effect vs
drug-specific interaction plot with the class counts per context (needs a vehicle arm).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from secretome_rank import columns as C
from secretome_rank.html_report.markup import (
    _contexts,
    _e,
    _Figures,
    _missing,
    _ranked_contexts,
    _table,
)

MAX_MATRIX_PROTEINS = 60


def _matrix(d: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Protein x context rescue matrix (and hit flags) from rescue_matrix.tsv or hits.tsv."""
    hits = d["hits"]
    lab = hits[C.CELL_LINE].astype(str) + " + " + hits[C.TREATMENT].astype(str)
    flags = hits.assign(_c=lab).pivot_table(
        index=C.PROTEIN, columns="_c", values=C.IS_HIT, aggfunc="any"
    )
    m = d["rescue_matrix"]
    if m is not None and m.shape[1] >= 2:
        num = m.select_dtypes("number")
        key = [c for c in m.columns if c not in num.columns]
        if key and num.shape[1] >= 1:
            mat = num.set_axis(m[key[0]].astype(str), axis=0)
            cols = {}
            for c in mat.columns:  # "cell_line|treatment" (aggregate.rescue_matrix) -> "A + x"
                label = str(c).replace("|", " + ", 1)
                if label not in flags.columns:  # other separators: match ignoring punctuation
                    plain = re.sub(r"[^0-9A-Za-z]+", "", str(c))
                    label = next(
                        (f for f in flags.columns if re.sub(r"[^0-9A-Za-z]+", "", f) == plain),
                        label,
                    )
                cols[c] = label
            return mat.rename(columns=cols), flags, "rescue_matrix.tsv"
    mat = hits.assign(_c=lab, _x=pd.to_numeric(hits[C.RESCUE_PCT], errors="coerce")).pivot_table(
        index=C.PROTEIN, columns="_c", values="_x", aggfunc="mean"
    )
    return mat, flags, "hits.tsv"


def _across(d: dict[str, Any], figs: _Figures) -> str:
    from secretome_rank import plots

    hits = d["hits"]
    parts = []
    if len(_contexts(hits)) < 2:
        parts.append(_missing("Only one context: no protein x context heatmap."))
    else:
        mat, flags, source = _matrix(d)
        n_ctx = flags.reindex(mat.index).fillna(False).astype(bool).sum(axis=1)
        order = pd.DataFrame({"n": n_ctx, "mx": mat.max(axis=1)}).sort_values(
            ["n", "mx"], ascending=False
        )
        rows = order.index[order["n"] > 0] if (order["n"] > 0).any() else order.index[:30]
        rows = rows[:MAX_MATRIX_PROTEINS]
        note = (
            f" (top {MAX_MATRIX_PROTEINS} of {int((order['n'] > 0).sum())} hit proteins)"
            if ((order["n"] > 0).sum() > MAX_MATRIX_PROTEINS)
            else ""
        )
        n_cols, most = mat.shape[1], plots.hits.MAX_MATRIX_LABELS
        labels = (
            f" {n_cols} contexts: one column in {-(-n_cols // most)} is labelled (all are in "
            f"{source})."
            if n_cols > most
            else ""
        )
        parts.append(
            figs(
                plots.context_matrix(mat.loc[rows], flags),
                "protein_context_heatmap",
                f"Rescue (%) of proteins that are a hit in at least one context{note}, by context "
                f"(from {source}); dots mark hits; sorted by number of hit contexts.{labels}",
            )
        )
    s = d["summary"]
    if s is not None and len(s):
        first = [
            c
            for c in (
                "protein",
                "symbol",
                "n_contexts_tested",
                "n_hit",
                "n_rescuer",
                "mean_rescue_pct",
                "stouffer_q",
                "rra_q",
                "is_combined_hit",
                "drug_pattern",
                "line_pattern",
                "receptors",
            )
            if c in s.columns
        ]
        cols = first + [c for c in s.columns if c not in first][: max(0, 8 - len(first))]
        parts.append(
            f"<h3>Across-context summary (summary.tsv, top 30 of {len(s)})</h3>"
            + _table(s.head(30), cols, pcols=[c for c in s.columns if c.endswith(("_p", "_q"))])
        )
    else:
        parts.append(_missing("summary.tsv not found: no across-context aggregation for this run."))
    return "".join(parts)


def _specificity(d: dict[str, Any], figs: _Figures) -> str:
    from secretome_rank import plots

    hits = d["hits"]
    if (
        C.INTERACTION_LOG2 not in hits
        or pd.to_numeric(hits[C.INTERACTION_LOG2], errors="coerce").isna().all()
    ):
        n_vehicle = pd.to_numeric(hits.get("n_vehicle", pd.Series(dtype=float)), errors="coerce")
        if (n_vehicle > 0).any():
            return _missing(
                "The vehicle arm has wells, but no protein has a drug-specific interaction "
                "estimate (too few replicates to test it)."
            )
        return _missing(
            "No vehicle arm (protein-only plates): drug-specific rescue cannot be told from "
            "growth; rescue hits are 'rescue_unconfirmed'."
        )
    ok = hits[pd.to_numeric(hits[C.INTERACTION_LOG2], errors="coerce").notna()]
    ctxs, note = _ranked_contexts(ok)
    counts = hits.pivot_table(
        index=[C.CELL_LINE, C.TREATMENT],
        columns=C.CLASS,
        values=C.PROTEIN,
        aggfunc="count",
        fill_value=0,
    ).reset_index()
    return (
        (f"<p class=note>{_e(note)}</p>" if note else "")
        + figs(
            plots.specificity(hits, ctxs),
            "drug_specificity",
            "Drug-arm effect vs drug-specific interaction (drug-arm log2 ratio minus vehicle-arm "
            "growth). On the dashed line y = x all rescue is drug-specific; near y = 0 the protein "
            "only makes "
            "cells grow (mitogen). Hits outlined, coloured by class.",
        )
        + "<h3>Classes per context</h3>"
        + _table(counts, list(counts.columns))
    )
