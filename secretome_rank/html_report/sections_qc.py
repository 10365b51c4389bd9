"""Report sections on the run and its quality: run summary, plate QC, replicate agreement.

Each builder takes the tables read by :mod:`secretome_rank.html_report.load` and returns the HTML
body of its section: the run summary (counts, notes, provenance, parameters, hits per context),
the plate QC table with the Z' chart and plate heatmaps (every plate up to
``MAX_DETAIL_PLATES``, beyond it small multiples plus the worst plates in detail; only the
wells of the plates drawn are touched), and the replicate scatter (a panel for each of the first
``MAX_CONTEXT_PLOTS`` contexts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from secretome_rank import columns as C
from secretome_rank.html_report.markup import (
    MAX_CONTEXT_PLOTS,
    MAX_TABLE_ROWS,
    _contexts,
    _e,
    _Figures,
    _missing,
    _table,
)
from secretome_rank.progress import Progress

MAX_DETAIL_PLATES = 24  # up to this many plates: a raw + normalised heatmap of each
WORST_PLATES = 6  # beyond it: small multiples of all plates + detail of the worst ones
MAX_MOSAIC_PLATES = 96


def _run_summary(d: dict[str, Any], out: Path) -> str:
    run, hits, qc = d["run"], d["hits"], d["qc"]
    parts = []
    if not run:
        parts.append(_missing("run.json not found: parameters, inputs and version unknown."))
    counts = run.get("counts", {})
    n_hits = int(hits[C.IS_HIT].sum())
    cards = [
        ("proteins", hits[C.PROTEIN].nunique()),
        ("contexts", len(_contexts(hits))),
        ("hits", n_hits),
        ("plates", counts.get("plates", len(qc) if qc is not None else "\u2013")),
        ("wells", counts.get("wells", "\u2013")),
    ]
    if qc is not None and C.VERDICT in qc:
        v = qc[C.VERDICT].value_counts()
        cards.append(
            (
                "QC pass / warn / fail",
                f"{v.get(C.PASS, 0)} / {v.get(C.WARN, 0)} / {v.get(C.FAIL, 0)}",
            )
        )
    parts.append(
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="big">{_e(val)}</div><div>{_e(k)}</div></div>'
            for k, val in cards
        )
        + "</div>"
    )
    notes = list(run.get("notes", []))
    if notes:
        parts.append(
            '<div class="warn"><strong>Notes and warnings</strong><ul>'
            + "".join(f"<li>{_e(n)}</li>" for n in notes)
            + "</ul></div>"
        )
    meta = [
        ("tool", f"{run.get('tool', 'secretome_rank')} {run.get('version', '?')}"),
        ("run created", run.get("created", "\u2013")),
        ("command", run.get("command", "\u2013")),
        ("output folder", str(out)),
    ]
    parts.append(
        "<table class=kv>"
        + "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in meta)
        + "</table>"
    )
    inputs = run.get("inputs", [])
    if inputs:
        parts.append(
            "<h3>Input files</h3><table class=kv>"
            + "".join(
                f"<tr><th><code>{_e(i.get('path', ''))}</code></th>"
                f"<td><code>sha256 {_e(i.get('sha256', ''))}</code></td></tr>"
                for i in inputs
            )
            + "</table>"
        )
    params = run.get("parameters", {})
    if params:
        parts.append(
            "<h3>Parameters</h3><table class=kv>"
            + "".join(
                f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in params.items()
            )
            + "</table>"
        )
    per = (
        hits.groupby([C.CELL_LINE, C.TREATMENT], sort=True)
        .agg(proteins=(C.PROTEIN, "nunique"), hits=(C.IS_HIT, "sum"))
        .reset_index()
    )
    if C.CLASS in hits:
        cls = hits[hits[C.IS_HIT]].pivot_table(
            index=[C.CELL_LINE, C.TREATMENT],
            columns=C.CLASS,
            values=C.PROTEIN,
            aggfunc="count",
            fill_value=0,
        )
        per = per.merge(cls.reset_index(), on=[C.CELL_LINE, C.TREATMENT], how="left")
    parts.append("<h3>Hits per context</h3>" + _table(per, list(per.columns)))
    env = run.get("environment", {})
    if env:
        parts.append(
            '<p class="small">Environment: '
            + _e(", ".join(f"{k} {v}" for k, v in env.items()))
            + "</p>"
        )
    return "".join(parts)


_QC_COLS = (
    C.PLATE,
    C.VERDICT,
    C.REASON,
    C.CELL_LINE,
    C.TREATMENT,
    C.ARM,
    "robust_z_prime",
    "z_prime",
    "cv_drug_pct",
    "cv_vehicle_pct",
    "signal_window",
    "edge_vs_centre_log2",
    "bulk_offset_log2",
    "replicate_r",
)


def _plate_qc(d: dict[str, Any], figs: _Figures, progress: Progress) -> str:
    from secretome_rank import plots

    qc, wells = d["qc"], d["wells"]
    if qc is None or qc.empty:
        return _missing("qc.tsv not found: no plate QC to show.")
    sev = qc[C.VERDICT].map({C.FAIL: 0, C.WARN: 1, C.PASS: 2}).fillna(3)
    zr = pd.to_numeric(qc.get("robust_z_prime"), errors="coerce")
    worst = qc.assign(_s=sev, _z=zr).sort_values(["_s", "_z"], kind="stable")
    parts = [
        f"<p>{len(qc)} plates. Verdicts from robust Z' (median/MAD of vehicle vs drug controls), "
        "control CVs, edge-vs-centre control difference and row/column patterns; the reason "
        "column says why.</p>"
    ]
    shown = worst[worst[C.VERDICT] != C.PASS]
    rest = qc[qc[C.VERDICT] == C.PASS]
    table = pd.concat([shown, rest]).head(MAX_TABLE_ROWS)
    cls = [f"v-{v}" for v in table[C.VERDICT].astype(str)]
    parts.append(
        "<details open><summary>QC table (failing and warning plates first)</summary>"
        + _table(table, _QC_COLS, row_class=cls)
        + "</details>"
    )
    if len(qc) > MAX_TABLE_ROWS:
        parts.append(
            f"<p class=note>First {MAX_TABLE_ROWS} of {len(qc)} plates; all in qc.tsv.</p>"
        )
    if "robust_z_prime" in qc:
        parts.append(
            figs(
                plots.zprime_chart(qc),
                "qc_zprime",
                "Z' per plate: bars robust Z' "
                "(coloured by verdict), dots classical Z'; dashed line 0.5.",
            )
        )
    if wells is None or not {C.ROW, C.COL}.issubset(wells.columns) or wells[C.ROW].isna().all():
        parts.append(_missing("No well positions in wells.tsv: plate heatmaps are not drawn."))
        return "".join(parts)
    placed = wells[C.ROW].notna().to_numpy() & wells[C.COL].notna().to_numpy()
    present = set(wells[C.PLATE][placed].unique())  # unique() of the column: no object copy
    order = [p for p in worst[C.PLATE] if p in present]
    verdict = dict(zip(qc[C.PLATE], qc[C.VERDICT].astype(str), strict=False))
    if len(order) > MAX_DETAIL_PLATES:
        mosaic = [p for p in qc[C.PLATE] if p in present]
        note = ""
        if len(mosaic) > MAX_MOSAIC_PLATES:
            keep = set(order[:MAX_MOSAIC_PLATES])
            mosaic = [p for p in mosaic if p in keep]
            note = (
                f" Only the {MAX_MOSAIC_PLATES} worst of {len(order)} plates are shown "
                "(worst verdict, then lowest robust Z'); the QC metrics of every plate are in "
                "qc.tsv, its wells in wells.tsv."
            )
        detail = order[:WORST_PLATES]
    else:
        mosaic, note = [], ""
        detail = [p for p in qc[C.PLATE] if p in present]
    # only the wells of the plates drawn (a screen can have thousands of plates)
    drawn = wells[placed & wells[C.PLATE].isin([*mosaic, *detail]).to_numpy()]
    if mosaic:
        parts.append("<h3>All plates (small multiples)</h3>")
        parts.append(
            figs(
                plots.plate_mosaic(
                    drawn, mosaic, labels=[f"{p} ({verdict.get(p, '?')})" for p in mosaic]
                ),
                "plates_mosaic",
                "Normalised value of each plate (rescue % on drug plates, growth "
                "log2 on vehicle plates), each scaled to the 2-98 % range of its sample wells "
                "(dark low, yellow high; grey empty), "
                "to show spatial patterns; controls sit in their columns." + note,
                scale=130 / 96,  # as large as the 130 dpi PNG it replaces
            )
        )
        parts.append(
            f"<h3>Worst {len(detail)} plates in detail</h3><p class=note>{len(order)} plates are "
            f"too many to draw each in detail; these are the {len(detail)} with the worst verdict "
            "and robust Z'.</p>"
        )
    else:
        parts.append("<h3>Plate heatmaps</h3>")
    groups = dict(list(drawn[drawn[C.PLATE].isin(detail)].groupby(C.PLATE, sort=False)))
    step = progress.stage("report: plate heatmaps", total=len(detail))
    for p in detail:
        parts.append(
            figs(
                plots.plate_detail(groups[p], title=f"{p}: {verdict.get(p, '?')}"),
                f"plate_{p}",
                f"Plate {p} ({verdict.get(p, '?')}): raw value (left) and normalised value "
                "(right; colour range from the sample wells); "
                "x drug controls, o vehicle controls.",
                scale=90 / 96,  # as large as the 90 dpi PNG it replaces
            )
        )
        step.advance()
    return "".join(parts)


def _replicates(d: dict[str, Any], figs: _Figures) -> str:
    from secretome_rank import plots

    if d["wells"] is None:
        return _missing("wells.tsv not found: replicate agreement not shown.")
    fig, lines = plots.replicate_scatter(d["wells"], max_panels=MAX_CONTEXT_PLOTS)
    listed = "<ul>" + "".join(f"<li>{_e(t)}</li>" for t in lines) + "</ul>"
    if len(lines) > MAX_CONTEXT_PLOTS:  # hundreds of contexts: folded
        summary = f"<summary>Replicate agreement of {len(lines)} contexts</summary>"
        listed = f"<details>{summary}{listed}</details>"
    parts = [listed] if lines else []
    if fig is None:
        parts.append(_missing("No context has two replicates: no replicate scatter."))
    else:
        n_pairs = sum(not t.endswith("no scatter") for t in lines)
        note = (
            f" {n_pairs} contexts have two or more replicates: the panels show the first "
            f"{MAX_CONTEXT_PLOTS}; the r of every context is in the list above (folded)."
            if n_pairs > MAX_CONTEXT_PLOTS
            else ""
        )
        parts.append(
            figs(
                fig,
                "replicates",
                "Replicate 1 vs replicate 2 of the per-protein test value "
                "(log2 ratio to drug controls; growth log2 on vehicle plates), mean per protein; "
                "dashed line y = x." + note,
            )
        )
    return "".join(parts)
