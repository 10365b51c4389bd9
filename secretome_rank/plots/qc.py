"""Figures of plate and replicate quality: Z' chart, plate heatmaps, replicate scatter.

:func:`zprime_chart` (robust and classical Z' per plate, coloured by verdict),
:func:`plate_detail` (raw and normalised heatmap of one plate, controls marked),
:func:`plate_mosaic` (small multiples of many plates drawn as one image) and
:func:`replicate_scatter` (replicate 1 vs 2 per context, with Pearson r), plus the plate-grid
helpers they share (:func:`normalised_column` picks the normalised value a heatmap shows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from secretome_rank import columns as C
from secretome_rank.plots._style import (
    _EMPTY,
    _OTHER,
    _RASTER_ABOVE,
    VERDICT_COLOURS,
    _fig,
    _panels,
    _style,
    _styled,
    _t,
)


# --- plate QC ---------------------------------------------------------------------------
@_styled
def zprime_chart(qc: pd.DataFrame) -> Figure:
    """Robust (bars) and classical (dots) Z' per plate, coloured by verdict; lines at 0 and 0.5."""
    n = len(qc)
    zr = pd.to_numeric(qc["robust_z_prime"], errors="coerce").to_numpy(float)
    zc = pd.to_numeric(qc.get("z_prime", pd.Series(np.nan, index=qc.index)), errors="coerce")
    colours = [VERDICT_COLOURS.get(str(v), _OTHER) for v in qc[C.VERDICT]]
    names = [_t(p) for p in qc[C.PLATE]]
    if n <= 60:
        fig = _fig(7.5, max(2.4, 0.2 * n + 1.0))
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        ax.barh(y, np.nan_to_num(zr, nan=0.0), color=colours, height=0.7)
        ax.plot(zc.to_numpy(float), y, "o", color="black", markersize=3, label="classical Z'")
        ax.set_yticks(y, names, fontsize=7)
        ax.set_xlabel("Z' (robust: median/MAD bars; classical: mean/SD dots; unitless)")
        ax.axvline(0.5, color="#555555", linestyle="--", linewidth=0.8)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_xlim(min(-0.25, np.nanmin(zr, initial=0) - 0.05), 1.0)
    else:
        fig = _fig(9, 3.2)
        ax = fig.add_subplot()
        x = np.arange(n)
        ax.scatter(x, zr, c=colours, s=8, rasterized=n > _RASTER_ABOVE)
        ax.axhline(0.5, color="#555555", linestyle="--", linewidth=0.8)
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(f"plate (order of qc.tsv, n = {n})")
        ax.set_ylabel("robust Z' (unitless)")
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(color=c, label=v) for v, c in VERDICT_COLOURS.items()],
        fontsize=7,
        frameon=False,
        loc="lower right",
    )
    ax.set_title("Control separation per plate (Z' \u2265 0.5: excellent; < 0: controls overlap)")
    _style(ax)
    return fig


def _grid(plate: pd.DataFrame, column: str) -> np.ndarray:
    """Plate values as a rows x cols array (NaN where no well)."""
    rows, cols = plate[C.ROW].astype(int).to_numpy(), plate[C.COL].astype(int).to_numpy()
    nr, nc = max(8, int(rows.max())), max(12, int(cols.max()))
    for r_, c_ in ((8, 12), (16, 24), (32, 48)):
        if nr <= r_ and nc <= c_:
            nr, nc = r_, c_
            break
    out = np.full((nr, nc), np.nan)
    vals = pd.to_numeric(plate[column], errors="coerce").to_numpy(float, copy=True)
    vals[plate[C.ROLE].astype(str).to_numpy() == C.EMPTY] = np.nan  # empty wells carry no signal
    out[rows - 1, cols - 1] = vals
    return out


def _range(
    plate: pd.DataFrame, column: str, q: tuple[float, float], *, samples: bool = True
) -> tuple[float, float]:
    """Colour range from quantiles of the sample wells (or of all non-empty wells)."""
    v = pd.to_numeric(plate[column], errors="coerce")
    role = plate[C.ROLE].astype(str)
    use = v[role == C.SAMPLE].dropna() if samples else v[:0]
    if use.empty:
        use = v[role != C.EMPTY].dropna()
    if use.empty:
        return 0.0, 1.0
    lo, hi = np.percentile(use.to_numpy(float), q)
    return float(lo), float(hi) if hi > lo else float(lo) + 1.0


def normalised_column(plate: pd.DataFrame) -> tuple[str, str]:
    """Which normalised column a plate heatmap shows, and its label with unit."""
    for col, label in (
        (C.RESCUE_PCT, "rescue (%)"),
        (C.GROWTH_LOG2, "growth vs vehicle controls (log2)"),
        (C.LOG2_RATIO, "log2 ratio to drug controls"),
        (C.TEST_VALUE, "test value"),
    ):
        if col in plate.columns and pd.to_numeric(plate[col], errors="coerce").notna().any():
            return col, label
    return C.VALUE, "raw value"


def _well_labels(ax: Any, nr: int, nc: int) -> None:
    """Row letters and column numbers as plain texts (much cheaper than matplotlib ticks)."""
    ax.set_xticks([])
    ax.set_yticks([])
    rstep, cstep = (1 if nr <= 16 else 2), (1 if nc <= 24 else 2)
    left = ax.get_yaxis_transform()  # x in axes, y in data
    for i in range(0, nr, rstep):
        ax.text(
            -0.01,
            i,
            chr(65 + i) if i < 26 else "A" + chr(39 + i),
            transform=left,
            fontsize=5.5,
            ha="right",
            va="center",
        )
    top = ax.get_xaxis_transform()
    for j in range(0, nc, cstep):
        ax.text(j, 1.01, str(j + 1), transform=top, fontsize=5.5, ha="center", va="bottom")


@_styled
def plate_detail(plate: pd.DataFrame, *, title: str) -> Figure:
    """Raw and normalised heatmap of one plate; drug controls marked x, vehicle controls o."""
    norm_col, norm_label = normalised_column(plate)
    fig = Figure(figsize=(9.5, 3.1))  # fixed layout: constrained layout costs 0.4 s per plate
    axes = [fig.add_axes((0.035, 0.15, 0.37, 0.7)), fig.add_axes((0.53, 0.15, 0.37, 0.7))]
    caxes = [fig.add_axes((0.415, 0.2, 0.012, 0.6)), fig.add_axes((0.91, 0.2, 0.012, 0.6))]
    role = plate[C.ROLE].astype(str).to_numpy()
    for ax, cax, col, label, cmap in (
        (axes[0], caxes[0], C.VALUE, "raw value (reader units)", "viridis"),
        (axes[1], caxes[1], norm_col, norm_label, "cividis"),
    ):
        grid = _grid(plate, col)
        lo, hi = _range(plate, col, (1, 99), samples=col != C.VALUE)
        im = ax.imshow(
            grid,
            cmap=mpl.colormaps[cmap].with_extremes(bad=_EMPTY),
            vmin=lo,
            vmax=hi,
            aspect="equal",
            interpolation="nearest",
        )
        fig.colorbar(im, cax=cax)
        for r, marker, colour in (
            (C.DRUG_CONTROL, "x", "#D55E00"),
            (C.VEHICLE_CONTROL, "o", "white"),
        ):
            sel = role == r
            style: dict[str, Any] = (
                {"color": colour} if marker == "x" else {"facecolors": "none", "edgecolors": colour}
            )
            ax.scatter(
                plate[C.COL].to_numpy(float)[sel] - 1,
                plate[C.ROW].to_numpy(float)[sel] - 1,
                marker=marker,
                s=9,
                linewidths=0.8,
                label=r.replace("_", " "),
                **style,
            )
        _well_labels(ax, *grid.shape)
        ax.set_title(label, fontsize=8, pad=9)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], marker="x", linestyle="", color="#D55E00", label="drug control"),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="none",
            markeredgecolor="#555555",
            label="vehicle control (white o)",
        ),
        Patch(color=_EMPTY, label="empty or missing well"),
    ]
    axes[0].legend(
        handles=handles,
        fontsize=6.5,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=3,
        frameon=False,
    )
    fig.suptitle(_t(title), fontsize=9, y=0.99)
    return fig


@_styled
def plate_mosaic(
    wells: pd.DataFrame,
    plates: Sequence[str],
    *,
    ncols: int = 6,
    labels: Sequence[str] | None = None,
) -> Figure:
    """Small multiples: the normalised value of many plates, each scaled to its own 2-98 % range.

    Drawn as one image (fast for hundreds of plates); controls are visible as their own columns.
    """
    groups = dict(list(wells.groupby(C.PLATE, sort=False, observed=True)))
    cmap = mpl.colormaps["cividis"]
    tiles = []
    for p in plates:
        g = groups[p]
        col, _ = normalised_column(g)
        grid = _grid(g, col)
        lo, hi = _range(g, col, (2, 98))
        rgba = cmap(np.clip((grid - lo) / (hi - lo), 0, 1))
        rgba[~np.isfinite(grid)] = to_rgba(_EMPTY)
        tiles.append(rgba)
    nr = max(t.shape[0] for t in tiles)
    nc = max(t.shape[1] for t in tiles)
    ncols = min(ncols, len(tiles))
    nrows = -(-len(tiles) // ncols)
    gap, head = 2, 3
    canvas = np.ones((nrows * (nr + gap + head), ncols * (nc + gap), 4))
    for i, tile in enumerate(tiles):
        r0, c0 = (i // ncols) * (nr + gap + head) + head, (i % ncols) * (nc + gap)
        canvas[r0 : r0 + tile.shape[0], c0 : c0 + tile.shape[1]] = tile
    width = min(11.0, 1.7 * ncols)
    fig = Figure(figsize=(width, width * canvas.shape[0] / canvas.shape[1]))
    ax = fig.add_axes((0.005, 0.005, 0.99, 0.99))
    ax.imshow(canvas, interpolation="nearest", aspect="auto")
    for i, name in enumerate(labels or plates):
        r0, c0 = (i // ncols) * (nr + gap + head), (i % ncols) * (nc + gap)
        ax.text(c0, r0 + head - 0.8, _t(name), fontsize=5.5, va="bottom", ha="left", clip_on=False)
    ax.set_axis_off()
    return fig


# --- replicates -------------------------------------------------------------------------
@_styled
def replicate_scatter(
    wells: pd.DataFrame, *, max_panels: int = 12
) -> tuple[Figure | None, list[str]]:
    """Replicate 1 vs 2 of ``test_value`` per (cell line, treatment), with Pearson r.

    Returns the figure (None when no context has two replicates) and one text line per context.
    """
    need = {C.PROTEIN, C.REPLICATE, C.TEST_VALUE, C.CELL_LINE, C.TREATMENT, C.ROLE}
    if not need <= set(wells.columns):
        return None, []
    s = wells.loc[wells[C.ROLE] == C.SAMPLE, list(need)].copy()
    s[C.TEST_VALUE] = pd.to_numeric(s[C.TEST_VALUE], errors="coerce")
    panels, lines = [], []
    for (line, drug), g in s.groupby([C.CELL_LINE, C.TREATMENT], sort=True, observed=True):
        wide = g.pivot_table(
            index=C.PROTEIN, columns=C.REPLICATE, values=C.TEST_VALUE, aggfunc="mean", observed=True
        )
        if wide.shape[1] < 2:
            lines.append(f"{line} + {drug}: {wide.shape[1]} replicate(s), no scatter")
            continue
        corr = wide.corr(min_periods=3).to_numpy()
        pair_r = corr[np.triu_indices_from(corr, k=1)]
        mean_r = float(np.nanmean(pair_r)) if np.isfinite(pair_r).any() else float("nan")
        reps = list(wide.columns[:2])
        lines.append(
            f"{line} + {drug}: {wide.shape[1]} replicates, {len(wide)} proteins, "
            f"mean pairwise Pearson r = {mean_r:.3f}"
        )
        panels.append(
            (
                str(line),
                str(drug),
                wide[reps[0]].to_numpy(float),
                wide[reps[1]].to_numpy(float),
                reps,
                mean_r,
            )
        )
    if not panels:
        return None, lines
    panels = panels[:max_panels]
    raster = sum(int((np.isfinite(p[2]) & np.isfinite(p[3])).sum()) for p in panels) > _RASTER_ABOVE
    fig, axes = _panels(len(panels), 3.4, 3.2)
    for ax, (line, drug, x, y, reps, r) in zip(axes, panels, strict=False):
        ok = np.isfinite(x) & np.isfinite(y)
        ax.scatter(
            x[ok],
            y[ok],
            s=6,
            color="#0072B2",
            alpha=0.6,
            linewidths=0,
            rasterized=raster,  # per figure: many panels of vector points make the SVG heavy
        )
        if ok.any():
            lo, hi = float(min(x[ok].min(), y[ok].min())), float(max(x[ok].max(), y[ok].max()))
            ax.plot([lo, hi], [lo, hi], color="#555555", linewidth=0.7, linestyle="--")
        ax.set_title(f"{_t(line)} + {_t(drug)}  (r = {r:.2f})", fontsize=8)
        ax.set_xlabel(f"replicate {_t(reps[0])}: test value (log2)")
        ax.set_ylabel(f"replicate {_t(reps[1])}: test value (log2)")
        _style(ax)
    return fig, lines
