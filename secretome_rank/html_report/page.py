"""The report page: section order, inline CSS and :func:`build_report`.

:data:`SECTIONS` fixes the id, heading and order of every section; :func:`build_report` reads the
output folder, calls one builder per section, and writes the page (header, navigation bar,
sections, inline style sheet) atomically to ``report.html``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from secretome_rank.html_report.load import _load
from secretome_rank.html_report.markup import _e, _Figures
from secretome_rank.html_report.sections_across import _across, _specificity
from secretome_rank.html_report.sections_hits import _hit_table, _per_context, _receptors
from secretome_rank.html_report.sections_qc import _plate_qc, _replicates, _run_summary
from secretome_rank.progress import Progress
from secretome_rank.writers import write_bytes_atomic

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
