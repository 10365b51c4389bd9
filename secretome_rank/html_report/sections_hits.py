"""Report sections on the hits of each context: rescue plots, ranked hits, receptors.

Each builder takes the tables read by :mod:`secretome_rank.html_report.load` and returns the HTML
body of its section: a volcano and a waterfall plot per (cell line, treatment) context (at most
``MAX_CONTEXT_PLOTS``; with more contexts, the ones with most hits), the
table of ranked hits with their receptors followed by the best-ranked non-hits, and the receptor
and receptor-family tables (or a roll-up of the hits' receptor families when
``receptor_families.tsv`` is absent).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.html_report.load import _as_bool
from secretome_rank.html_report.markup import (
    MAX_TABLE_ROWS,
    _e,
    _Figures,
    _label,
    _missing,
    _ranked_contexts,
    _table,
)
from secretome_rank.progress import Progress

TOP_NON_HITS = 10


def _per_context(d: dict[str, Any], figs: _Figures, progress: Progress) -> str:
    from secretome_rank import plots

    hits, params = d["hits"], d["run"].get("parameters", {})
    fdr, min_rescue = float(params.get("fdr", 0.05)), float(params.get("min_rescue", 20.0))
    adjust = str(params.get("adjust", "bh")).upper()
    ctxs, note = _ranked_contexts(hits)
    parts = [f"<p class=note>{_e(note)}</p>" if note else ""]
    step = progress.stage("report: volcano and waterfall plots", total=len(ctxs))
    by_ctx = hits.groupby([C.CELL_LINE, C.TREATMENT], sort=False).indices  # rows, one pass
    # the columns the plots use: taking the rows of all columns costs more than drawing
    used = [c for c in (C.PROTEIN, C.RESCUE_PCT, C.Q_VALUE, C.IS_HIT, C.CLASS, C.RANK) if c in hits]
    sub = hits[used]
    for line, drug in ctxs:
        g = sub.iloc[by_ctx.get((line, drug), np.zeros(0, dtype=np.intp))]
        label = _label((line, drug))
        n_hit, n_na = (
            int(g[C.IS_HIT].sum()),
            int(pd.to_numeric(g[C.Q_VALUE], errors="coerce").isna().sum()),
        )
        parts.append(
            f"<h3>{_e(label)}</h3><p>{n_hit} hit(s) of {len(g)} proteins (q \u2264 {fdr:g}, "
            f"rescue \u2265 {min_rescue:g} %)."
            + (f" {n_na} without a q-value are not plotted." if n_na else "")
            + "</p><div class=pair>"
        )
        parts.append(
            figs(
                plots.volcano(g, title=label, fdr=fdr, min_rescue=min_rescue, adjust=adjust),
                f"volcano_{line}_{drug}",
                f"{label}: rescue vs -log10 q; hits outlined and the top 15 "
                f"labelled; dashed q = {fdr:g}, dotted rescue = {min_rescue:g} %.",
            )
        )
        parts.append(
            figs(
                plots.waterfall(g, title=label, min_rescue=min_rescue),
                f"waterfall_{line}_{drug}",
                f"{label}: proteins ranked by rescue; hits coloured by class.",
            )
        )
        parts.append("</div>")
        step.advance()
    return "".join(parts)


_HIT_COLS = (
    C.CELL_LINE,
    C.TREATMENT,
    C.RANK,
    C.PROTEIN,
    C.SYMBOL,
    C.N_REPLICATES,
    C.RESCUE_PCT,
    C.LOG2_FC,
    C.Q_VALUE,
    C.CLASS,
    C.INTERACTION_LOG2,
    C.INTERACTION_Q,
    C.RECEPTORS,
    "receptor_families",
    C.STATUS,
)


def _hits_shown(keys: pd.DataFrame) -> tuple[pd.Index, str]:
    """Rows of the hit table (``keys``: the hits, sorted by context and rank) and its note.

    Up to ``MAX_TABLE_ROWS`` hits, all of them; more: the best-ranked ``k`` of every context,
    ``k`` as large as fits, so that no context is left out of the table.
    """
    if len(keys) <= MAX_TABLE_ROWS:
        return keys.index, ""
    by_ctx = keys.groupby([C.CELL_LINE, C.TREATMENT], sort=False)
    n_ctx = by_ctx.ngroups
    k = max(1, MAX_TABLE_ROWS // n_ctx)
    shown = by_ctx.head(k).index[:MAX_TABLE_ROWS]
    return shown, (
        f"{len(keys)} hits in {n_ctx} contexts: the table shows the {k} best-ranked of each "
        f"context ({len(shown)} rows); every hit is in hits.tsv."
    )


def _hit_table(d: dict[str, Any]) -> str:
    hits = d["hits"]
    # order by context and rank on the key columns only, then take the rows shown
    keys = pd.DataFrame(
        {
            C.CELL_LINE: hits[C.CELL_LINE],
            C.TREATMENT: hits[C.TREATMENT],
            "_r": pd.to_numeric(hits.get(C.RANK), errors="coerce"),
            C.IS_HIT: hits[C.IS_HIT],
        }
    ).sort_values([C.CELL_LINE, C.TREATMENT, "_r"], kind="stable")
    is_hit = keys[C.IS_HIT].to_numpy(bool)
    cols = [c for c in _HIT_COLS if c in hits.columns]
    n_hits = int(is_hit.sum())
    rest_keys = keys[~is_hit].groupby([C.CELL_LINE, C.TREATMENT], sort=True).head(TOP_NON_HITS)
    rest = hits.loc[rest_keys.index, cols]
    parts = [
        f"<p>{n_hits} hit(s); then the {TOP_NON_HITS} best-ranked non-hits per context. All "
        f"{len(hits)} protein x context rows are in hits.tsv.</p>",
        f"<h3>Hits ({n_hits})</h3>",
    ]
    shown, note = _hits_shown(keys[is_hit])
    parts.append(
        _table(hits.loc[shown, cols], _HIT_COLS, pcols=(C.Q_VALUE, C.INTERACTION_Q), cls="hits")
        if n_hits
        else _missing("No protein passed the hit thresholds.")
    )
    if note:
        parts.append(f"<p class=note>{_e(note)}</p>")
    parts.append(
        f"<details><summary>Best-ranked non-hits ({len(rest)})</summary>"
        + _table(rest.head(MAX_TABLE_ROWS), _HIT_COLS, pcols=(C.Q_VALUE, C.INTERACTION_Q))
        + "</details>"
    )
    return "".join(parts)


def _receptors(d: dict[str, Any]) -> str:
    rec, fam, hits = d["receptors"], d["receptor_families"], d["hits"]
    parts = []
    if rec is not None and "receptor" in rec:
        flag = (
            _as_bool(rec["is_receptor_hit"])
            if "is_receptor_hit" in rec
            else pd.Series(True, index=rec.index)
        )
        shown = rec[flag]
        parts.append(
            f"<h3>Receptors with combined evidence (receptors.tsv: {int(flag.sum())} of {len(rec)} "
            "context x receptor rows pass the receptor FDR)</h3>"
        )
        parts.append(
            _table(
                shown.head(MAX_TABLE_ROWS),
                (
                    C.CELL_LINE,
                    C.TREATMENT,
                    C.RANK,
                    "receptor",
                    "receptor_family",
                    "role",
                    "combined_q",
                    "n_hit_ligands",
                    "n_ligands",
                    "best_ligand",
                    "best_q_value",
                    "best_rescue_pct",
                    "hit_ligands",
                ),
                pcols=("best_q_value", "combined_q"),
            )
            if len(shown)
            else _missing("No receptor passed the receptor-level FDR.")
        )
    else:
        parts.append(
            _missing("receptors.tsv not found: receptor-level ranking not available for this run.")
        )
    if fam is not None and "receptor_family" in fam:
        flag = (
            _as_bool(fam["is_family_hit"])
            if "is_family_hit" in fam
            else pd.Series(True, index=fam.index)
        )
        parts.append(
            f"<h3>Receptor families (receptor_families.tsv: {int(flag.sum())} family hits)</h3>"
        )
        parts.append(
            _table(
                fam[flag].head(MAX_TABLE_ROWS),
                (
                    C.CELL_LINE,
                    C.TREATMENT,
                    C.RANK,
                    "receptor_family",
                    "summary",
                    "combined_q",
                    "best_ligand",
                    "hit_ligands",
                ),
                pcols=("combined_q",),
            )
        )
    elif "receptor_families" in hits and hits[C.IS_HIT].any():
        h = hits[hits[C.IS_HIT]].dropna(subset=["receptor_families"])
        long = h.assign(receptor_family=h["receptor_families"].astype(str).str.split(";")).explode(
            "receptor_family"
        )
        roll = (
            long.groupby([C.CELL_LINE, C.TREATMENT, "receptor_family"], sort=True)
            .agg(
                n_hits=(C.PROTEIN, "nunique"),
                hit_proteins=(C.PROTEIN, lambda s: ";".join(map(str, s))),
            )
            .reset_index()
        )
        roll = roll.sort_values(
            [C.CELL_LINE, C.TREATMENT, "n_hits"], ascending=[True, True, False], kind="stable"
        )
        parts.append(
            "<h3>Receptor families of the hits (derived from hits.tsv; receptor_families.tsv not "
            "found)</h3>" + _table(roll, list(roll.columns))
        )
    else:
        parts.append(
            _missing(
                "No receptor family summary: receptor_families.tsv not found and no hit has "
                "receptor families."
            )
        )
    return "".join(parts)
