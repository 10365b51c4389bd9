"""The self-contained HTML report of an output folder (``report.html``).

:func:`build_report` reads the tables a run wrote (``hits.tsv``, ``wells.tsv``, ``qc.tsv``,
``run.json`` and, when present, ``receptors.tsv``, ``receptor_families.tsv``, ``summary.tsv``,
``rescue_matrix.tsv``) and writes one HTML file with inline CSS and inline figures (SVG, or PNG
as ``data:`` URIs for plate heatmaps). It references nothing outside itself: no scripts, fonts,
style sheets or images from the network, so it opens offline and can be e-mailed. Every value
that comes from the user (protein, plate, cell line, treatment, file names, notes) is
HTML-escaped. Sections whose inputs are absent say so in one line. See ``docs/report.md``.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError
from secretome_rank.io import write_bytes_atomic
from secretome_rank.progress import Progress

__all__ = ["SECTIONS", "build_report"]

logger = logging.getLogger(__name__)

#: (id, heading) of every report section, in page order
SECTIONS: tuple[tuple[str, str], ...] = (
    ("run-summary", "Run summary"),
    ("plate-qc", "Plate QC"),
    ("replicates", "Replicate agreement"),
    ("contexts", "Rescue per context"),
    ("hit-table", "Ranked hits with receptors"),
    ("receptors", "Receptors and receptor families"),
    ("across-contexts", "Proteins across contexts"),
    ("drug-specificity", "Drug-specific rescue"),
)
MAX_DETAIL_PLATES = 24  # up to this many plates: a raw + normalised heatmap of each
WORST_PLATES = 6  # beyond it: small multiples of all plates + detail of the worst ones
MAX_MOSAIC_PLATES = 96
MAX_CONTEXT_PLOTS = 12
TOP_NON_HITS = 10
MAX_TABLE_ROWS = 1000
MAX_MATRIX_PROTEINS = 60
_TEXT_KEYS = (
    C.PLATE,
    C.PROTEIN,
    C.CELL_LINE,
    C.TREATMENT,
    C.WELL,
    C.ROLE,
    C.ARM,
    C.SYMBOL,
    C.CLASS,
    C.RECEPTORS,
    C.VERDICT,
    C.REASON,
    "receptor",
    "receptor_family",
    "receptor_families",
)
_WELL_COLS = (*C.WELL_TABLE_COLUMNS, C.RESCUE_PCT, C.LOG2_RATIO, C.GROWTH_LOG2, C.TEST_VALUE)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


# --- reading the output folder ------------------------------------------------------------
def _read_tsv(path: Path, usecols: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Read an output table; identifier columns keep literal ``NA``, others read it as missing."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
    cols = [c for c in header if usecols is None or c in usecols]
    na = {c: ([""] if c in _TEXT_KEYS[:5] else ["", "NA", "NaN", "nan"]) for c in cols}
    try:
        return pd.read_csv(
            path,
            sep="\t",
            usecols=cols,
            keep_default_na=False,
            na_values=na,
            dtype={c: str for c in cols if c in _TEXT_KEYS},
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise SchemaError(
            f"{path}: cannot be read as a tab-separated output table ({exc}); "
            "rebuild the folder with `secretome-rank rank ... --out DIR`"
        ) from exc


def _as_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.astype(str).str.lower().isin(["true", "1", "yes"])


def _positions(wells: pd.DataFrame | None) -> pd.DataFrame | None:
    """Add 1-based ``row``/``col`` (float, NaN when unknown) parsed from ``well`` when absent."""
    if wells is None or {C.ROW, C.COL} <= set(wells.columns) or C.WELL not in wells.columns:
        return wells
    from secretome_rank.layout import parse_wells

    pos = parse_wells(wells[C.WELL])
    wells[C.ROW] = pos["row"].astype("Float64").to_numpy(float, na_value=np.nan)
    wells[C.COL] = pos["col"].astype("Float64").to_numpy(float, na_value=np.nan)
    return wells


def _load(out: Path) -> dict[str, Any]:
    hits = _read_tsv(out / "hits.tsv")
    if hits is None:
        raise SchemaError(
            f"{out}: no hits.tsv; expected an output folder written by "
            "`secretome-rank rank SCREEN --out DIR` (hits.tsv, wells.tsv, qc.tsv, run.json)"
        )
    hits[C.IS_HIT] = _as_bool(hits[C.IS_HIT]) if C.IS_HIT in hits else False
    run: dict[str, Any] = {}
    if (out / "run.json").is_file():
        try:
            run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise SchemaError(f"{out / 'run.json'}: not valid JSON ({exc})") from exc
    data = {
        "hits": hits,
        "run": run,
        "wells": _positions(_read_tsv(out / "wells.tsv", _WELL_COLS)),
        "qc": _read_tsv(out / "qc.tsv"),
    }
    for name in ("receptors", "receptor_families", "summary", "rescue_matrix"):
        data[name] = _read_tsv(out / f"{name}.tsv")
    return data


# --- HTML helpers -------------------------------------------------------------------------
def _fmt(value: object, kind: str = "") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return "\u2013"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if kind == "p":
            return f"{value:.2g}"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"
    text = str(value)
    return _e(text if len(text) <= 90 else text[:87] + "\u2026")


def _table(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    pcols: Sequence[str] = (),
    row_class: Sequence[str] | None = None,
    cls: str = "",
) -> str:
    cols = [c for c in columns if c in df.columns]
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    rows = []
    for i, rec in enumerate(df[cols].itertuples(index=False, name=None)):
        cells = []
        for c, v in zip(cols, rec, strict=True):
            text = _fmt(v, "p" if c in pcols else "")
            if c == C.VERDICT or c == C.CLASS:
                text = f'<span class="badge b-{_e(str(v)).replace(" ", "_")}">{text}</span>'
            full = str(v)
            title = f' title="{_e(full)}"' if len(full) > 90 else ""
            num = (
                " class=num"
                if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                else (" class=wrap" if c in _WRAP else "")
            )
            cells.append(f"<td{num}{title}>{text}</td>")
        rc = f' class="{row_class[i]}"' if row_class is not None and row_class[i] else ""
        rows.append(f"<tr{rc}>{''.join(cells)}</tr>")
    return (
        f'<div class="tablewrap"><table class="{cls}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _missing(text: str) -> str:
    return f'<p class="missing">{_e(text)}</p>'


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:80] or "figure"


class _Figures:
    """Renders figures inline and, with ``plots_dir``, also as PNG + SVG files."""

    def __init__(self, plots_dir: Path | None) -> None:
        self.plots_dir = plots_dir
        self.names: set[str] = set()

    def __call__(
        self, fig: Any, name: str, caption: str, *, png: bool = False, dpi: int = 110
    ) -> str:
        from secretome_rank.plots import to_png, to_svg

        slug = _slug(name)
        base, k = slug, 2
        while slug in self.names:
            slug, k = f"{base}-{k}", k + 1
        self.names.add(slug)
        if png:
            data = base64.b64encode(to_png(fig, dpi=dpi)).decode("ascii")
            body = f'<img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
        else:
            body = to_svg(fig, salt=slug)
        if self.plots_dir is not None:
            import io as _io

            write_bytes_atomic(self.plots_dir / f"{slug}.png", to_png(fig, dpi=200))
            buf = _io.BytesIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
            write_bytes_atomic(self.plots_dir / f"{slug}.svg", buf.getvalue())
        return f'<figure id="fig-{_e(slug)}">{body}<figcaption>{_e(caption)}</figcaption></figure>'


def _contexts(hits: pd.DataFrame) -> list[tuple[str, str]]:
    ctx = hits[[C.CELL_LINE, C.TREATMENT]].drop_duplicates().astype(str)
    return sorted(map(tuple, ctx.to_numpy().tolist()))  # type: ignore[arg-type]


def _label(ctx: tuple[str, str]) -> str:
    return f"{ctx[0]} + {ctx[1]}"


# --- sections -----------------------------------------------------------------------------
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
_WRAP = {
    C.REASON,
    C.RECEPTORS,
    "receptor_families",
    "hit_ligands",
    "ligands",
    "summary",
    "hit_proteins",
    "receptors",
}


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
    wells = wells.dropna(subset=[C.ROW, C.COL])
    present = set(wells[C.PLATE].unique())
    order = [p for p in worst[C.PLATE] if p in present]
    verdict = dict(zip(qc[C.PLATE], qc[C.VERDICT].astype(str), strict=False))
    groups = dict(list(wells.groupby(C.PLATE, sort=False)))
    if len(order) > MAX_DETAIL_PLATES:
        mosaic = [p for p in qc[C.PLATE] if p in present]
        note = ""
        if len(mosaic) > MAX_MOSAIC_PLATES:
            keep = set(order[:MAX_MOSAIC_PLATES])
            mosaic = [p for p in mosaic if p in keep]
            note = f" Only the {MAX_MOSAIC_PLATES} worst of {len(order)} plates are shown."
        parts.append("<h3>All plates (small multiples)</h3>")
        parts.append(
            figs(
                plots.plate_mosaic(
                    wells, mosaic, labels=[f"{p} ({verdict.get(p, '?')})" for p in mosaic]
                ),
                "plates_mosaic",
                "Normalised value of each plate (rescue % on drug plates, growth "
                "log2 on vehicle plates), each scaled to the 2-98 % range of its sample wells "
                "(dark low, yellow high; grey empty), "
                "to show spatial patterns; controls sit in their columns." + note,
                png=True,
                dpi=130,
            )
        )
        detail = order[:WORST_PLATES]
        parts.append(
            f"<h3>Worst {len(detail)} plates in detail</h3><p class=note>{len(order)} plates are "
            f"too many to draw each in detail; these are the {len(detail)} with the worst verdict "
            "and robust Z'.</p>"
        )
    else:
        detail = [p for p in qc[C.PLATE] if p in present]
        parts.append("<h3>Plate heatmaps</h3>")
    step = progress.stage("report: plate heatmaps", total=len(detail))
    for p in detail:
        parts.append(
            figs(
                plots.plate_detail(groups[p], title=f"{p}: {verdict.get(p, '?')}"),
                f"plate_{p}",
                f"Plate {p} ({verdict.get(p, '?')}): raw value (left) and normalised value "
                "(right; colour range from the sample wells); "
                "x drug controls, o vehicle controls.",
                png=True,
                dpi=90,
            )
        )
        step.advance()
    return "".join(parts)


def _replicates(d: dict[str, Any], figs: _Figures) -> str:
    from secretome_rank import plots

    if d["wells"] is None:
        return _missing("wells.tsv not found: replicate agreement not shown.")
    fig, lines = plots.replicate_scatter(d["wells"], max_panels=MAX_CONTEXT_PLOTS)
    parts = ["<ul>" + "".join(f"<li>{_e(t)}</li>" for t in lines) + "</ul>"] if lines else []
    if fig is None:
        parts.append(_missing("No context has two replicates: no replicate scatter."))
    else:
        parts.append(
            figs(
                fig,
                "replicates",
                "Replicate 1 vs replicate 2 of the per-protein test value "
                "(log2 ratio to drug controls; growth log2 on vehicle plates), mean per protein; "
                "dashed line y = x.",
            )
        )
    return "".join(parts)


def _ranked_contexts(hits: pd.DataFrame) -> tuple[list[tuple[str, str]], str]:
    ctx = _contexts(hits)
    if len(ctx) <= MAX_CONTEXT_PLOTS:
        return ctx, ""
    n = hits[hits[C.IS_HIT]].groupby([C.CELL_LINE, C.TREATMENT]).size()
    ranked = sorted(ctx, key=lambda c: (-int(n.get(c, 0)), c))[:MAX_CONTEXT_PLOTS]
    return sorted(ranked), (
        f"{len(ctx)} contexts: plots show the {MAX_CONTEXT_PLOTS} with most hits; "
        "all are in hits.tsv."
    )


def _per_context(d: dict[str, Any], figs: _Figures, progress: Progress) -> str:
    from secretome_rank import plots

    hits, params = d["hits"], d["run"].get("parameters", {})
    fdr, min_rescue = float(params.get("fdr", 0.05)), float(params.get("min_rescue", 20.0))
    adjust = str(params.get("adjust", "bh")).upper()
    ctxs, note = _ranked_contexts(hits)
    parts = [f"<p class=note>{_e(note)}</p>" if note else ""]
    step = progress.stage("report: volcano and waterfall plots", total=len(ctxs))
    for line, drug in ctxs:
        g = hits[(hits[C.CELL_LINE] == line) & (hits[C.TREATMENT] == drug)]
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


def _hit_table(d: dict[str, Any]) -> str:
    hits = d["hits"].copy()
    hits["_r"] = pd.to_numeric(hits.get(C.RANK), errors="coerce")
    hits = hits.sort_values([C.CELL_LINE, C.TREATMENT, "_r"], kind="stable")
    top = hits[hits[C.IS_HIT]]
    rest = hits[~hits[C.IS_HIT]].groupby([C.CELL_LINE, C.TREATMENT], sort=True).head(TOP_NON_HITS)
    parts = [
        f"<p>{len(top)} hit(s); then the {TOP_NON_HITS} best-ranked non-hits per context. All "
        f"{len(hits)} protein x context rows are in hits.tsv.</p>",
        f"<h3>Hits ({len(top)})</h3>",
    ]
    parts.append(
        _table(top.head(MAX_TABLE_ROWS), _HIT_COLS, pcols=(C.Q_VALUE, C.INTERACTION_Q), cls="hits")
        if len(top)
        else _missing("No protein passed the hit thresholds.")
    )
    if len(top) > MAX_TABLE_ROWS:
        parts.append(f"<p class=note>First {MAX_TABLE_ROWS} hits shown.</p>")
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
                    key = re.sub(r"[^0-9A-Za-z]+", "", str(c))
                    label = next(
                        (f for f in flags.columns if re.sub(r"[^0-9A-Za-z]+", "", f) == key), label
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
        parts.append(
            figs(
                plots.context_matrix(mat.loc[rows], flags),
                "protein_context_heatmap",
                f"Rescue (%) of proteins that are a hit in at least one context{note}, by context "
                f"(from {source}); dots mark hits; sorted by number of hit contexts.",
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


# --- page ---------------------------------------------------------------------------------
_CSS = """
:root{--fg:#1b1b1b;--mut:#5a5a5a;--line:#d9d9d9;--acc:#0072B2;--bg2:#f6f7f9}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
header{background:#10324a;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#cfe0ec}nav{position:sticky;top:0;z-index:2;background:#fff;
border-bottom:1px solid var(--line);padding:6px 28px;font-size:13px}nav a{margin-right:14px;
color:var(--acc);text-decoration:none}main{padding:0 28px 40px;max-width:1400px}
section{border-bottom:1px solid var(--line);padding:10px 0 18px}h2{font-size:19px;margin:18px 0 8px}
h3{font-size:15px;margin:16px 0 6px}figure{margin:10px 0;display:inline-block;max-width:100%;
vertical-align:top}figure svg,figure img{max-width:100%;height:auto}
figcaption{font-size:12px;color:var(--mut);max-width:760px}.pair{display:flex;flex-wrap:wrap;gap:8px}
.pair figure{flex:1 1 520px}.tablewrap{overflow-x:auto;max-height:640px;overflow-y:auto;
border:1px solid var(--line)}table{border-collapse:collapse;font-size:12px;width:100%}
th,td{padding:3px 7px;border-bottom:1px solid #eee;text-align:left;vertical-align:top;
white-space:nowrap}
td.wrap{white-space:normal;min-width:260px;max-width:520px}
thead th{position:sticky;top:0;background:var(--bg2);border-bottom:1px solid var(--line)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafafa}
table.kv{width:auto}table.kv th{background:none;font-weight:600;color:var(--mut)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}.card{background:var(--bg2);
border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:110px}
.card .big{font-size:22px;font-weight:600}.warn{background:#fff6e5;border-left:4px solid #E69F00;
padding:6px 12px;margin:10px 0}.missing{color:var(--mut);font-style:italic}.note,.small{
color:var(--mut);font-size:12px}.badge{padding:1px 6px;border-radius:8px;font-size:11px;
background:#eee}.b-pass{background:#d5f0e6}.b-warn{background:#fde8c2}.b-fail{background:#f8d3bf}
.b-rescuer{background:#cde3f3}.b-mitogen{background:#fde8c2}.b-sensitizer{background:#f3dcea}
.b-rescue_unconfirmed{background:#d5f0e6}tr.v-fail td{background:#fdf0ea}
details summary{cursor:pointer;
margin:6px 0;font-weight:600}code{font-size:12px;word-break:break-all}
@media print{nav{display:none}.tablewrap{max-height:none;overflow:visible}}
"""


def build_report(
    out_dir: str | Path, *, plots_dir: str | Path | None = None, progress: Progress | None = None
) -> Path:
    """Write ``out_dir/report.html`` from the tables of an output folder.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        A folder written by ``secretome-rank rank --out DIR`` (needs ``hits.tsv``; ``wells.tsv``,
        ``qc.tsv``, ``run.json`` and the optional tables add sections).
    plots_dir : str or pathlib.Path, optional
        Also save every figure there as PNG (200 dpi) and SVG, named after the figure.
    progress : Progress, optional
        Stage display (see :mod:`secretome_rank.progress`); default: none.

    Returns
    -------
    pathlib.Path
        The written ``report.html`` (written atomically).

    Raises
    ------
    SchemaError
        ``out_dir`` has no ``hits.tsv`` or a table cannot be read.
    """
    out = Path(out_dir)
    prog = progress if progress is not None else Progress(enabled=False)
    prog.stage("report: reading tables")
    d = _load(out)
    figs = _Figures(Path(plots_dir) if plots_dir is not None else None)
    if figs.plots_dir is not None:
        figs.plots_dir.mkdir(parents=True, exist_ok=True)
    bodies = {}
    for sid, heading in SECTIONS:
        prog.stage(f"report: {heading.lower()}")
        if sid == "run-summary":
            bodies[sid] = _run_summary(d, out)
        elif sid == "plate-qc":
            bodies[sid] = _plate_qc(d, figs, prog)
        elif sid == "replicates":
            bodies[sid] = _replicates(d, figs)
        elif sid == "contexts":
            bodies[sid] = _per_context(d, figs, prog)
        elif sid == "hit-table":
            bodies[sid] = _hit_table(d)
        elif sid == "receptors":
            bodies[sid] = _receptors(d)
        elif sid == "across-contexts":
            bodies[sid] = _across(d, figs)
        else:
            bodies[sid] = _specificity(d, figs)
    run = d["run"]
    title = f"secretome_rank report: {out.resolve().name}"
    nav = "".join(f'<a href="#{sid}">{_e(h)}</a>' for sid, h in SECTIONS)
    sections = "".join(
        f'<section id="{sid}"><h2>{_e(h)}</h2>{bodies[sid]}</section>' for sid, h in SECTIONS
    )
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="secretome_rank {_e(run.get("version", ""))}">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>Secreted-protein rescue screen: QC, statistics, hits and "
        f"receptors. Run {_e(run.get('created', 'unknown'))}, "
        f"secretome_rank {_e(run.get('version', '?'))}."
        f"</p></header><nav>{nav}</nav><main>{sections}</main></body></html>\n"
    )
    path = out / "report.html"
    prog.stage("report: writing")
    write_bytes_atomic(path, page.encode("utf-8"))
    logger.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path
