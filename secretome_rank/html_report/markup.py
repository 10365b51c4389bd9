"""HTML building blocks shared by the report sections.

HTML escaping (:func:`_e`), number and text formatting for cells (:func:`_fmt`), tables
(:func:`_table`), the one-line note of a section whose input is absent (:func:`_missing`), the
figure renderer :class:`_Figures` (inline SVG, or PNG as a ``data:`` URI, and optionally PNG + SVG
files), the list of (cell line, treatment) contexts and the size limits that several sections
share (rows per table, contexts with plots: at most ``MAX_CONTEXT_PLOTS``, the ones with most
hits when there are more, as drawing costs about 0.1 s per context).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.writers import write_bytes_atomic

MAX_CONTEXT_PLOTS = 12  # contexts with their own plots (more: the ones with most hits)
MAX_TABLE_ROWS = 1000


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


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
        return f"{value:.1f}" if abs(float(value)) >= 10 else f"{value:.3g}"
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
        self,
        fig: Any,
        name: str,
        caption: str,
        *,
        png: bool = False,
        dpi: int = 110,
        scale: float = 1.0,
    ) -> str:
        """The ``<figure>`` of ``fig``: inline SVG shown ``scale`` times its size, or PNG."""
        from secretome_rank.plots import to_png, to_svg, to_svg_file

        slug = _slug(name)
        base, k = slug, 2
        while slug in self.names:
            slug, k = f"{base}-{k}", k + 1
        self.names.add(slug)
        if png:
            data = base64.b64encode(to_png(fig, dpi=dpi)).decode("ascii")
            body = f'<img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
        else:
            body = to_svg(fig, salt=slug, scale=scale)
        if self.plots_dir is not None:
            write_bytes_atomic(self.plots_dir / f"{slug}.png", to_png(fig, dpi=200))
            write_bytes_atomic(self.plots_dir / f"{slug}.svg", to_svg_file(fig, salt=slug))
        return f'<figure id="fig-{_e(slug)}">{body}<figcaption>{_e(caption)}</figcaption></figure>'


def _contexts(hits: pd.DataFrame) -> list[tuple[str, str]]:
    ctx = hits[[C.CELL_LINE, C.TREATMENT]].drop_duplicates().astype(str)
    return sorted(map(tuple, ctx.to_numpy().tolist()))


def _label(ctx: tuple[str, str]) -> str:
    return f"{ctx[0]} + {ctx[1]}"


def _ranked_contexts(hits: pd.DataFrame) -> tuple[list[tuple[str, str]], str]:
    """The contexts to plot (all up to ``MAX_CONTEXT_PLOTS``, else the ones with most hits)."""
    ctx = _contexts(hits)
    if len(ctx) <= MAX_CONTEXT_PLOTS:
        return ctx, ""
    n = hits[hits[C.IS_HIT]].groupby([C.CELL_LINE, C.TREATMENT]).size()
    ranked = sorted(ctx, key=lambda c: (-int(n.get(c, 0)), c))[:MAX_CONTEXT_PLOTS]
    return sorted(ranked), (
        f"{len(ctx)} contexts: plots show the {MAX_CONTEXT_PLOTS} with most hits; "
        "hits per context are in the run summary, every protein of every context in hits.tsv."
    )
