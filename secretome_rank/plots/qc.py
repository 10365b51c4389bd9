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
    _axes,
    _fig,
    _panels,
    _points,
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
    else:  # fixed margins: constrained layout would lay out thousands of points twice
        fig, ax = _axes(9, 3.2)
        x = np.arange(n, dtype=float)
        verdict = qc[C.VERDICT].astype(str).to_numpy()
        known = np.isin(verdict, list(VERDICT_COLOURS))
        # one marker line per verdict, failing plates drawn last (on top)
        for sel, colour in (
            (~known, _OTHER),
            *((verdict == v, c) for v, c in VERDICT_COLOURS.items()),
        ):
            if sel.any():
                _points(ax, x[sel], zr[sel], colour, size=8, rasterized=n > _RASTER_ABOVE)
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
    """Row letters and column numbers as plain texts (much cheaper than matplotlib ticks).

    The texts belong to the figure (placed in the axes' coordinates): an axes text gets the
    axes as clip path, which costs more than the text itself and clips nothing here.
    """
    ax.set_xticks([])
    ax.set_yticks([])
    fig = ax.get_figure()
    rstep, cstep = (1 if nr <= 16 else 2), (1 if nc <= 24 else 2)
    left = ax.get_yaxis_transform()  # x in axes, y in data
    for i in range(0, nr, rstep):
        fig.text(
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
        fig.text(j, 1.01, str(j + 1), transform=top, fontsize=5.5, ha="center", va="bottom")


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
            interpolation="none",  # in SVG: the plate's pixels, drawn sharp by the browser
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


def _group_percentiles(
    codes: np.ndarray, values: np.ndarray, n_groups: int, q: Sequence[float]
) -> np.ndarray:
    """Percentiles ``q`` of ``values`` per group ``codes`` (0..n_groups-1), vectorised.

    ``numpy.percentile``'s default (linear) method, computed for all groups with one sort;
    returns an ``n_groups x len(q)`` array, NaN for a group without finite values.
    """
    ok = np.isfinite(values) & (codes >= 0)
    c, v = codes[ok], values[ok]
    order = np.lexsort((v, c))
    c, v = c[order], v[order]
    n = np.bincount(c, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    out = np.full((n_groups, len(q)), np.nan)
    has = n > 0
    for k, pct in enumerate(q):
        index = (pct / 100.0) * (n[has] - 1)
        below = np.floor(index).astype(int)
        above = np.minimum(below + 1, n[has] - 1)
        t = index - below
        a, b = v[start[has] + below], v[start[has] + above]
        diff = b - a
        out[has, k] = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)  # numpy's _lerp
    return out


def _plate_shape(max_row: np.ndarray, max_col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the plate format that holds each plate's wells (as :func:`_grid`)."""
    nr, nc = np.maximum(8, max_row), np.maximum(12, max_col)
    fixed = np.zeros(len(nr), dtype=bool)
    for r_, c_ in ((8, 12), (16, 24), (32, 48)):
        fit = ~fixed & (nr <= r_) & (nc <= c_)
        nr, nc, fixed = np.where(fit, r_, nr), np.where(fit, c_, nc), fixed | fit
    return nr, nc


@_styled
def plate_mosaic(
    wells: pd.DataFrame,
    plates: Sequence[str],
    *,
    ncols: int = 6,
    labels: Sequence[str] | None = None,
) -> Figure:
    """Small multiples: the normalised value of many plates, each scaled to its own 2-98 % range.

    Drawn as one image with one pixel per well (vectorised over plates, fast for hundreds of
    them; unscaled and sharp in SVG); controls are visible as their own columns.
    """
    first = {p: i for i, p in reversed(list(enumerate(plates)))}  # a plate listed twice: once
    keep = sorted(first.values())
    plates, names = [plates[i] for i in keep], [(labels or plates)[i] for i in keep]
    n = len(plates)
    sub = wells[wells[C.PLATE].isin(plates) & wells[C.ROW].notna() & wells[C.COL].notna()]
    code = pd.Index(plates).get_indexer(pd.Index(sub[C.PLATE])).astype(np.int64)
    rows = sub[C.ROW].to_numpy(float).astype(int) - 1
    cols = sub[C.COL].to_numpy(float).astype(int) - 1
    role = sub[C.ROLE].astype(str).to_numpy()
    # the normalised column of each plate (as normalised_column): the first one with a value
    chosen = np.zeros(n, dtype=bool)
    values = np.full(len(sub), np.nan)
    if C.VALUE in sub.columns:  # raw value where no normalised column has one
        values = pd.to_numeric(sub[C.VALUE], errors="coerce").to_numpy(float)
    for col in (C.RESCUE_PCT, C.GROWTH_LOG2, C.LOG2_RATIO, C.TEST_VALUE):
        if col not in sub.columns:
            continue
        v = pd.to_numeric(sub[col], errors="coerce").to_numpy(float)
        use = ~chosen & (np.bincount(code, weights=np.isfinite(v), minlength=n) > 0)
        take = use[code]
        values = np.where(take, v, values)
        chosen |= use
    values[role == C.EMPTY] = np.nan  # empty wells carry no signal
    # colour range per plate: 2-98 % of the sample wells, else of all non-empty wells
    rng = _group_percentiles(np.where(role == C.SAMPLE, code, -1), values, n, (2, 98))
    other = _group_percentiles(code, values, n, (2, 98))
    rng = np.where(np.isnan(rng[:, :1]), other, rng)
    lo = np.nan_to_num(rng[:, 0], nan=0.0)
    hi = np.where(np.isnan(rng[:, 1]), 1.0, rng[:, 1])
    hi = np.where(hi > lo, hi, lo + 1.0)
    # one tile per plate, each plate format at the top left of its cell
    max_row = np.zeros(n, dtype=int)
    max_col = np.zeros(n, dtype=int)
    np.maximum.at(max_row, code, rows + 1)
    np.maximum.at(max_col, code, cols + 1)
    shape_r, shape_c = _plate_shape(max_row, max_col)
    nr, nc = int(shape_r.max(initial=8)), int(shape_c.max(initial=12))
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    gap, head = 2, 3
    canvas = np.full((nrows * (nr + gap + head), ncols * (nc + gap), 4), 255, dtype=np.uint8)
    empty = np.array(to_rgba(_EMPTY)) * 255
    r0 = (np.arange(n) // ncols) * (nr + gap + head) + head
    c0 = (np.arange(n) % ncols) * (nc + gap)
    # every well of each plate's format grey (empty or missing) first, then the values
    rr, cc = np.arange(nr)[None, :, None], np.arange(nc)[None, None, :]
    inside = (rr < shape_r[:, None, None]) & (cc < shape_c[:, None, None])
    r_all = np.broadcast_to(r0[:, None, None] + rr, inside.shape)[inside]
    c_all = np.broadcast_to(c0[:, None, None] + cc, inside.shape)[inside]
    canvas[r_all, c_all] = empty.round()
    scaled = np.clip((values - lo[code]) / (hi[code] - lo[code]), 0, 1)
    rgba = mpl.colormaps["cividis"](scaled, bytes=True)
    ok = np.isfinite(values)
    canvas[r0[code[ok]] + rows[ok], c0[code[ok]] + cols[ok]] = rgba[ok]
    width = min(11.0, 1.7 * ncols)
    fig = Figure(figsize=(width, width * canvas.shape[0] / canvas.shape[1]))
    ax = fig.add_axes((0.005, 0.005, 0.99, 0.99))
    ax.imshow(canvas, interpolation="none", aspect="auto")
    for i, name in enumerate(names):  # figure texts: no clip path (see _well_labels)
        fig.text(c0[i], r0[i] - 0.8, _t(name), transform=ax.transData, fontsize=5.5, va="bottom")
    ax.set_axis_off()
    return fig


# --- replicates -------------------------------------------------------------------------
def _dense_codes(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 of integer ``keys`` (each in 0..n_keys-1) in sorted order, and the keys.

    As ``pandas.factorize(keys, sort=True)`` for keys from a small range, in linear time.
    """
    seen = np.zeros(n_keys, dtype=bool)
    seen[keys] = True
    code = np.cumsum(seen) - 1
    return code[keys], np.flatnonzero(seen)


def _pairwise_r(
    group: np.ndarray, x: np.ndarray, y: np.ndarray, n_groups: int, *, min_periods: int = 3
) -> np.ndarray:
    """Pearson r of ``x`` and ``y`` per group over the pairs where both are finite.

    As ``DataFrame.corr(min_periods=...)`` per group (two-pass: centred sums), NaN with fewer
    than ``min_periods`` pairs or no variance; clipped to [-1, 1].
    """
    ok = np.isfinite(x) & np.isfinite(y)
    g, x, y = group[ok], x[ok], y[ok]
    n = np.bincount(g, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = x - (np.bincount(g, weights=x, minlength=n_groups) / n)[g]
        dy = y - (np.bincount(g, weights=y, minlength=n_groups) / n)[g]
        sxy = np.bincount(g, weights=dx * dy, minlength=n_groups)
        sxx = np.bincount(g, weights=dx * dx, minlength=n_groups)
        syy = np.bincount(g, weights=dy * dy, minlength=n_groups)
        r: np.ndarray = np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0)
    r[n < min_periods] = np.nan
    return r


@_styled
def replicate_scatter(
    wells: pd.DataFrame, *, max_panels: int = 12
) -> tuple[Figure | None, list[str]]:
    """Replicate 1 vs 2 of ``test_value`` per (cell line, treatment), with Pearson r.

    Returns the figure (None when no context has two replicates) and one text line per context.
    Per context and protein, the mean test value of each replicate; the r is the mean over
    all pairs of replicates of their Pearson r (proteins with both values, at least 3);
    vectorised over contexts. A panel for each of the first ``max_panels`` contexts with two
    replicates.
    """
    need = [C.CELL_LINE, C.TREATMENT, C.PROTEIN, C.REPLICATE, C.TEST_VALUE, C.ROLE]
    if not set(need) <= set(wells.columns):
        return None, []
    # integer codes of each key over all wells, in sorted order of its values (as groupby and
    # pivot_table sort them; -1 missing), then only sample wells: no copy of the table
    line_code, lines_u = pd.factorize(wells[C.CELL_LINE], sort=True)
    drug_code, drugs_u = pd.factorize(wells[C.TREATMENT], sort=True)
    prot_code, prots = pd.factorize(wells[C.PROTEIN], sort=True)
    rep_code, reps = pd.factorize(wells[C.REPLICATE], sort=True)
    is_sample = (wells[C.ROLE] == C.SAMPLE).to_numpy(dtype=bool, na_value=False)
    sample = is_sample & (line_code >= 0) & (drug_code >= 0)
    n_drugs = len(drugs_u)
    ctx_of, ctx_u = _dense_codes(
        line_code[sample] * n_drugs + drug_code[sample], len(lines_u) * n_drugs
    )
    ctx_keys = [(lines_u[int(k) // n_drugs], drugs_u[int(k) % n_drugs]) for k in ctx_u]
    n_ctx = len(ctx_keys)
    value = pd.to_numeric(wells[C.TEST_VALUE], errors="coerce").to_numpy(float)[sample]
    prot, rep = prot_code[sample], rep_code[sample]
    ok = np.isfinite(value) & (prot >= 0) & (rep >= 0)
    # mean test value per (context, protein, replicate): one row per (context, protein), the
    # rows in order of context then protein
    n_rep, n_prot_all = len(reps), max(len(prots), 1)
    cell_codes, cells = _dense_codes(ctx_of[ok] * n_prot_all + prot[ok], n_ctx * n_prot_all)
    n_cells = len(cells)
    flat = cell_codes * n_rep + rep[ok]
    total = np.bincount(flat, weights=value[ok], minlength=n_cells * n_rep)
    count = np.bincount(flat, minlength=n_cells * n_rep)
    with np.errstate(invalid="ignore", divide="ignore"):
        wide = (total / count).reshape(n_cells, n_rep)  # NaN where a replicate has no value
    row_ctx = (cells // n_prot_all).astype(np.int64)
    present = np.zeros((n_ctx, n_rep), dtype=bool)  # replicates with a value in each context
    rr, kk = np.nonzero(np.isfinite(wide))
    present[row_ctx[rr], kk] = True
    n_present = present.sum(axis=1)
    n_prot = np.bincount(row_ctx, minlength=n_ctx)
    r_sum, r_n = np.zeros(n_ctx), np.zeros(n_ctx)
    for a in range(n_rep):  # replicate pairs (3 replicates: 3 pairs), each over all contexts
        for b in range(a + 1, n_rep):
            r = _pairwise_r(row_ctx, wide[:, a], wide[:, b], n_ctx)
            both = present[:, a] & present[:, b] & np.isfinite(r)
            r_sum[both] += r[both]
            r_n[both] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_r = r_sum / r_n  # NaN where no pair has an r
    lines = [
        f"{line} + {drug}: {n_present[i]} replicates, {n_prot[i]} proteins, "
        f"mean pairwise Pearson r = {mean_r[i]:.3f}"
        if n_present[i] >= 2
        else f"{line} + {drug}: {n_present[i]} replicate(s), no scatter"
        for i, (line, drug) in enumerate(ctx_keys)
    ]
    drawn = np.flatnonzero(n_present >= 2)
    drawn = drawn[:max_panels]
    panels = []
    for i in drawn:
        a, b = np.flatnonzero(present[i])[:2]
        rows = row_ctx == i
        line, drug = ctx_keys[i]
        panels.append(
            (str(line), str(drug), wide[rows, a], wide[rows, b], [reps[a], reps[b]], mean_r[i])
        )
    if not panels:
        return None, lines
    raster = sum(int((np.isfinite(p[2]) & np.isfinite(p[3])).sum()) for p in panels) > _RASTER_ABOVE
    fig, axes = _panels(len(panels), 3.4, 3.2)
    for ax, (line, drug, x, y, pair, r) in zip(axes, panels, strict=False):
        ok = np.isfinite(x) & np.isfinite(y)
        _points(  # raster per figure: many panels of vector points make the SVG heavy
            ax, x[ok], y[ok], "#0072B2", size=6, alpha=0.6, rasterized=raster
        )
        if ok.any():
            lo, hi = float(min(x[ok].min(), y[ok].min())), float(max(x[ok].max(), y[ok].max()))
            ax.plot([lo, hi], [lo, hi], color="#555555", linewidth=0.7, linestyle="--")
        ax.set_title(f"{_t(line)} + {_t(drug)}  (r = {r:.2f})", fontsize=8)
        ax.set_xlabel(f"replicate {_t(pair[0])}: test value (log2)")
        ax.set_ylabel(f"replicate {_t(pair[1])}: test value (log2)")
        _style(ax)
    return fig, lines
