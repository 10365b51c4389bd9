"""Figures of the hits: rescue per context and across contexts.

Per (cell line, treatment) context: :func:`volcano` (rescue vs -log10 q, hits outlined and the top
ones labelled) and :func:`waterfall` (proteins ranked by rescue, hits coloured by class). Across
contexts: :func:`context_matrix` (protein x context rescue heatmap, hit cells dotted) and
:func:`specificity` (drug-arm effect vs drug-specific interaction, one panel per context). The
label helpers place protein names with leader lines without overlaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.plots._style import (
    _MARGINS,
    _OTHER,
    _RASTER_ABOVE,
    CLASS_COLOURS,
    _axes,
    _class_legend,
    _fig,
    _fit_right,
    _panels,
    _points,
    _style,
    _styled,
    _t,
    _text_width,
)

_VOLCANO_SIZE = (6.4, 4.6)  # inches
_WATERFALL_SIZE = (7.5, 3.6)


# --- per context --------------------------------------------------------------------------
def _spread_labels(y: np.ndarray, min_gap: float, *, down: bool = False) -> np.ndarray:
    """Label y positions at least ``min_gap`` apart, as close as possible to ``y``.

    Labels are pushed upwards (or downwards with ``down``) from the lowest (highest) one.
    """
    sign = -1.0 if down else 1.0
    yy = sign * y.astype(float)
    order = np.argsort(yy, kind="stable")
    out = yy.copy()
    for k in range(1, len(order)):
        i, j = order[k], order[k - 1]
        out[i] = max(out[i], out[j] + min_gap)
    return sign * out


def _label_points(
    ax: Any,
    x: np.ndarray,
    y: np.ndarray,
    lx: np.ndarray,
    names: Sequence[str] | NDArray[np.object_],
    *,
    gap: float,
    down: bool = False,
    fontsize: float = 7,
) -> np.ndarray:
    """Write ``names`` at (``lx``, spread y) with leader lines to the points; return label y."""
    ly = _spread_labels(y, gap, down=down)
    segments = np.stack([np.column_stack([x, y]), np.column_stack([lx, ly])], axis=1)
    ax.add_collection(LineCollection(list(segments), colors="#777777", linewidths=0.5))
    for xx, yy, name, px in zip(lx, ly, names, x, strict=True):
        right = xx >= px
        ax.text(
            xx,
            yy,
            (" " + _t(name)) if right else (_t(name) + " "),
            fontsize=fontsize,
            va="center",
            ha="left" if right else "right",
        )
    return ly


@_styled
def volcano(
    ctx: pd.DataFrame,
    *,
    title: str,
    fdr: float,
    min_rescue: float,
    n_labels: int = 15,
    adjust: str = "BH",
) -> Figure:
    """Rescue (%) vs -log10 q of one context; hits outlined and the top ones labelled."""
    x = pd.to_numeric(ctx[C.RESCUE_PCT], errors="coerce").to_numpy(float)
    q = pd.to_numeric(ctx[C.Q_VALUE], errors="coerce").to_numpy(float)
    y = -np.log10(np.clip(q, 1e-300, 1.0))
    hit = ctx[C.IS_HIT].astype(bool).to_numpy()
    cls = ctx[C.CLASS].astype(str).to_numpy()
    ok = np.isfinite(x) & np.isfinite(y)
    fig, ax = _axes(*_VOLCANO_SIZE)
    raster = ok.sum() > _RASTER_ABOVE
    base = ok & ~hit
    _points(
        ax,
        x[base],
        y[base],
        [CLASS_COLOURS.get(c, _OTHER) for c in cls[base]],
        size=7,
        alpha=0.7,
        rasterized=raster,
    )
    top = ok & hit
    ax.scatter(
        x[top],
        y[top],
        s=22,
        color=[CLASS_COLOURS.get(c, _OTHER) for c in cls[top]],
        edgecolors="black",
        linewidths=0.5,
        zorder=3,
    )
    ax.axhline(-np.log10(fdr), color="#555555", linestyle="--", linewidth=0.8)
    ax.axvline(min_rescue, color="#555555", linestyle=":", linewidth=0.8)
    ax.axvline(0, color="black", linewidth=0.6)
    idx = np.flatnonzero(top)
    if len(idx):
        rank = pd.to_numeric(ctx[C.RANK], errors="coerce").to_numpy(float)[idx]
        idx = idx[np.argsort(rank, kind="stable")][:n_labels]
        ymax = float(np.nanmax(y[ok])) if ok.any() else 1.0
        names = ctx[C.PROTEIN].astype(str).to_numpy()
        xr = float(np.nanmax(x[ok]) - np.nanmin(x[ok])) if ok.any() else 1.0
        lx = x[idx] + 0.03 * xr
        ly = _label_points(ax, x[idx], y[idx], lx, names[idx], gap=ymax * 0.045)
        ax.set_ylim(top=max(ymax, float(ly.max())) * 1.08)
        widths = np.array([_text_width(" " + _t(m) + " ", 7) for m in names[idx]])
        _fit_right(ax, lx, widths, _VOLCANO_SIZE[0] - _MARGINS[0] - _MARGINS[2])
    ax.set_xlabel("rescue (% of the drug-to-vehicle control window)")
    ax.set_ylabel(f"-log10 q ({_t(adjust)}-adjusted p)")
    ax.set_title(_t(title))
    _class_legend(ax, list(cls[ok]))
    _style(ax)
    return fig


@_styled
def waterfall(ctx: pd.DataFrame, *, title: str, min_rescue: float, n_labels: int = 10) -> Figure:
    """Proteins ranked by rescue (%), bars coloured by class for hits, grey otherwise."""
    d = ctx.assign(_x=pd.to_numeric(ctx[C.RESCUE_PCT], errors="coerce")).dropna(subset=["_x"])
    d = d.sort_values("_x", ascending=False, kind="stable")
    hit = d[C.IS_HIT].astype(bool).to_numpy()
    colours = [
        CLASS_COLOURS.get(c, _OTHER) if h else "#BBBBBB"
        for c, h in zip(d[C.CLASS].astype(str), hit, strict=True)
    ]
    fig, ax = _axes(*_WATERFALL_SIZE)
    n = len(d)
    xs, hs = np.arange(n, dtype=float), d["_x"].to_numpy(float)
    # all bars as one outline, any n; added without autoscaling (limits are set below), which
    # would walk the outline's segments
    ax.add_artist(
        StepPatch(hs, np.arange(n + 1) - 0.5, fill=True, baseline=0, color="#BBBBBB", zorder=1)
    )
    h = np.flatnonzero(hit)
    verts = np.stack(
        [
            np.column_stack([xs[h] - 0.5, np.zeros(len(h))]),
            np.column_stack([xs[h] - 0.5, hs[h]]),
            np.column_stack([xs[h] + 0.5, hs[h]]),
            np.column_stack([xs[h] + 0.5, np.zeros(len(h))]),
        ],
        axis=1,
    )
    ax.add_collection(
        PolyCollection(list(verts), facecolors=[colours[i] for i in h], edgecolors="none")
    )
    if n:
        ax.set_ylim(min(0.0, float(hs.min())) - 5, max(float(hs.max()), min_rescue) * 1.25 + 5)
    ax.axhline(min_rescue, color="#555555", linestyle=":", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.6)
    lab = h[:n_labels]
    ax.set_xlim(-1, max(n, 1))
    if len(lab):
        span = max(float(hs.max()) - min(0.0, float(hs.min())), 1.0)
        col = np.full(len(lab), h.max() + 2 + 0.04 * n)  # right of all hit bars
        ly = _label_points(
            ax,
            xs[lab],
            hs[lab],
            col,
            d[C.PROTEIN].astype(str).to_numpy()[lab],
            gap=0.055 * span,
            down=True,
            fontsize=6.5,
        )
        ax.set_ylim(
            min(ax.get_ylim()[0], float(ly.min()) - 0.05 * span),
            max(ax.get_ylim()[1], float(ly.max()) + 0.05 * span),
        )
        names = d[C.PROTEIN].astype(str).to_numpy()[lab]
        widths = np.array([_text_width(" " + _t(m) + " ", 6.5) for m in names])
        _fit_right(ax, col, widths, _WATERFALL_SIZE[0] - _MARGINS[0] - _MARGINS[2])
    ax.set_xlabel(f"proteins ranked by rescue (n = {n})")
    ax.set_ylabel("rescue (%)")
    ax.set_title(_t(title))
    _class_legend(ax, list(d.loc[hit, C.CLASS].astype(str)), loc="upper right")
    _style(ax)
    ax.grid(False, axis="x")
    return fig


# --- across contexts ----------------------------------------------------------------------
#: above this many contexts, the heatmap labels every k-th column (the labels would overlap)
MAX_MATRIX_LABELS = 48


@_styled
def context_matrix(matrix: pd.DataFrame, hits: pd.DataFrame | None = None) -> Figure:
    """Heatmap of rescue (%) for proteins (rows) x contexts (columns); hit cells dotted.

    With more than :data:`MAX_MATRIX_LABELS` contexts, every k-th column is labelled (k the
    smallest step that keeps at most that many labels) and each hit is a dot of one pixel in
    the middle of its cell, drawn into the image: thousands of hits stay one small image.
    """
    values = matrix.to_numpy(float)
    nr, nc = values.shape
    width, height = min(12.0, 2.6 + 0.55 * nc), max(2.5, 0.17 * nr + 1.6)
    fig = _fig(width, height)
    ax = fig.add_subplot()
    finite = values[np.isfinite(values)]
    top = max(float(np.abs(finite).max()) if finite.size else 100.0, 1.0)
    cmap = mpl.colormaps["PuOr_r"].with_extremes(bad="#f0f0f0")
    step = -(-nc // MAX_MATRIX_LABELS)
    yy, xx = np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    if hits is not None:
        flags = (
            hits.reindex(index=matrix.index, columns=matrix.columns).astype("boolean").fillna(False)
        )
        yy, xx = np.nonzero(flags.to_numpy(bool))
    if step == 1:
        im = ax.imshow(values, cmap=cmap, vmin=-top, vmax=top, aspect="auto", interpolation="none")
        fig.colorbar(im, ax=ax, label="rescue (%)", shrink=0.6)
        if len(xx):
            ax.scatter(xx, yy, s=6, color="black", rasterized=len(xx) > _RASTER_ABOVE)
    else:
        norm = Normalize(vmin=-top, vmax=top)
        # a cell is 3 pixels wide and as many high as keep its pixels about square; the dot is
        # its middle pixel
        tall = 3 * int(np.clip(round((height - 1.6) / max(nr, 1) / ((width - 2.6) / nc)), 1, 10))
        image = np.repeat(np.repeat(cmap(norm(values), bytes=True), tall, axis=0), 3, axis=1)
        image[yy * tall + tall // 2, xx * 3 + 1] = (0, 0, 0, 255)
        ax.imshow(
            image, aspect="auto", interpolation="none", extent=(-0.5, nc - 0.5, nr - 0.5, -0.5)
        )
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="rescue (%)", shrink=0.6)
    ax.set_yticks(np.arange(nr), [_t(p) for p in matrix.index], fontsize=6.5)
    ax.set_xticks(
        np.arange(0, nc, step),
        [_t(c) for c in matrix.columns[::step]],
        fontsize=7,
        rotation=45,
        ha="right",
    )
    ax.tick_params(length=0)
    return fig


@_styled
def specificity(
    hits: pd.DataFrame, contexts: Sequence[tuple[str, str]], *, n_labels: int = 6
) -> Figure:
    """Drug-arm log2 fold change vs drug-specific interaction (log2), one panel per context."""
    fig, axes = _panels(len(contexts), 3.6, 3.3)
    by_ctx = hits.groupby([C.CELL_LINE, C.TREATMENT], sort=False).indices  # rows, one pass
    used = (C.PROTEIN, C.LOG2_FC, C.INTERACTION_LOG2, C.CLASS, C.IS_HIT)
    hits = hits[[c for c in used if c in hits.columns]]  # rows of these columns only: faster
    rows = [by_ctx.get(tuple(c), np.zeros(0, dtype=np.intp)) for c in contexts]
    is_hit = hits[C.IS_HIT].astype(bool).to_numpy()
    raster = sum(int((~is_hit[r]).sum()) for r in rows) > _RASTER_ABOVE
    for ax, (line, drug), r in zip(axes, contexts, rows, strict=False):
        d = hits.iloc[r]
        x = pd.to_numeric(d[C.LOG2_FC], errors="coerce").to_numpy(float)
        y = pd.to_numeric(d[C.INTERACTION_LOG2], errors="coerce").to_numpy(float)
        cls = d[C.CLASS].astype(str).to_numpy()
        ok = np.isfinite(x) & np.isfinite(y)
        hit = d[C.IS_HIT].astype(bool).to_numpy()
        base = ok & ~hit  # non-hits raster when many; hits stay vector
        colours = [CLASS_COLOURS.get(c, _OTHER) for c in cls[base]]
        _points(ax, x[base], y[base], colours, size=6, rasterized=raster)
        ax.scatter(
            x[ok & hit],
            y[ok & hit],
            s=18,
            color=[CLASS_COLOURS.get(c, _OTHER) for c in cls[ok & hit]],
            edgecolors="black",
            linewidths=0.4,
        )
        if ok.any():
            lo, hi = float(np.nanmin(x[ok])), float(np.nanmax(x[ok]))
            ax.plot([lo, hi], [lo, hi], color="#555555", linestyle="--", linewidth=0.7)
        ax.axhline(0, color="black", linewidth=0.6)
        idx = np.flatnonzero(ok & hit)
        idx = idx[np.argsort(-x[idx], kind="stable")][:n_labels]
        if len(idx):
            yr = float(np.nanmax(y[ok]) - np.nanmin(y[ok])) or 1.0
            xr = float(np.nanmax(x[ok]) - np.nanmin(x[ok])) or 1.0
            _label_points(
                ax,
                x[idx],
                y[idx],
                np.full(len(idx), float(x[idx].min()) - 0.12 * xr),
                d[C.PROTEIN].astype(str).to_numpy()[idx],
                gap=0.065 * yr,
                down=True,
                fontsize=6,
            )
        ax.set_title(f"{_t(line)} + {_t(drug)}", fontsize=8)
        ax.set_xlabel("drug-arm effect: log2 FC vs drug controls")
        ax.set_ylabel("drug-specific interaction (log2)")
        _class_legend(ax, list(cls[ok & hit]))
        _style(ax)
    return fig
