"""Figures of the HTML report (matplotlib, object API only: no pyplot, no global backend).

Every function takes tidy tables as written to the output folder and returns a
:class:`matplotlib.figure.Figure` (rendered with the Agg/SVG canvases by :func:`to_svg` and
:func:`to_png`). Colours are Okabe-Ito (Okabe & Ito 2008) for categories and viridis/cividis or
ColorBrewer PuOr for continuous values, all readable with colour-vision deficiencies. User-supplied
text (protein, plate, cell line, drug) is passed through :func:`_t` so that ``$`` never starts
matplotlib mathtext; matplotlib XML-escapes text in SVG output.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from secretome_rank import columns as C

__all__ = [
    "CLASS_COLOURS",
    "VERDICT_COLOURS",
    "context_matrix",
    "plate_detail",
    "plate_mosaic",
    "replicate_scatter",
    "specificity",
    "to_png",
    "to_svg",
    "volcano",
    "waterfall",
    "zprime_chart",
]

# Okabe-Ito
CLASS_COLOURS = {
    C.CLASS_RESCUER: "#0072B2",
    C.CLASS_MITOGEN: "#E69F00",
    C.CLASS_SENSITIZER: "#CC79A7",
    C.CLASS_UNCONFIRMED: "#009E73",
    C.CLASS_INACTIVE: "#BBBBBB",
    C.CLASS_INSUFFICIENT: "#000000",
}
VERDICT_COLOURS = {C.PASS: "#009E73", C.WARN: "#E69F00", C.FAIL: "#D55E00"}
_OTHER = "#56B4E9"
_EMPTY = "#d9d9d9"
F = TypeVar("F", bound=Callable[..., Any])
_RASTER_ABOVE = 1500  # scatter points beyond which SVG markers are rasterised
_RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "figure.dpi": 100,
}


def _t(text: object) -> str:
    """User text safe for matplotlib: ``$`` escaped so it never switches on mathtext."""
    return str(text).replace("$", r"\$")


def _styled(func: F) -> F:
    """Run a figure builder under the report's rc settings (restored afterwards)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with mpl.rc_context(_RC):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _fig(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _panels(n: int, width: float, height: float, ncol: int = 3) -> tuple[Figure, np.ndarray]:
    """A grid of ``n`` panels of ``width`` x ``height`` inches with fixed margins (fast)."""
    ncol = max(1, min(ncol, n))
    nrow = -(-n // ncol)
    fw, fh = width * ncol, height * nrow
    fig = Figure(figsize=(fw, fh))
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    fig.subplots_adjust(
        left=0.6 / fw,
        right=1 - 0.15 / fw,
        bottom=0.5 / fh,
        top=1 - 0.3 / fh,
        wspace=0.8 / (width - 0.8),
        hspace=0.9 / (height - 0.9),
    )
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


def to_svg(fig: Figure, *, salt: str) -> str:
    """Render ``fig`` as an inline SVG element (no XML prolog, no metadata).

    ``salt`` makes matplotlib's element ids unique between the figures of one HTML page and
    stable between runs.
    """
    buf = io.StringIO()
    with mpl.rc_context(_RC | {"svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", dpi=150, metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    if start != -1 and end != -1:
        text = text[:start] + text[end + len("</metadata>") :]
    return text


def to_png(fig: Figure, *, dpi: int = 110) -> bytes:
    """Render ``fig`` as PNG bytes (Agg)."""
    buf = io.BytesIO()
    with mpl.rc_context(_RC):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _style(ax: object) -> None:
    ax.spines[["top", "right"]].set_visible(False)  # type: ignore[attr-defined]
    ax.grid(True, color="#e6e6e6", linewidth=0.6)  # type: ignore[attr-defined]
    ax.set_axisbelow(True)  # type: ignore[attr-defined]


def _class_legend(ax: object, classes: Sequence[str], loc: str = "upper left") -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=CLASS_COLOURS.get(c, _OTHER),
            markeredgecolor="black" if c != C.CLASS_INACTIVE else "none",
            label=c,
        )
        for c in CLASS_COLOURS
        if c in set(classes)
    ]
    if handles:
        ax.legend(handles=handles, fontsize=7, frameon=False, loc=loc)  # type: ignore[attr-defined]


# --- plate QC ---------------------------------------------------------------------------
@_styled
def zprime_chart(qc: pd.DataFrame) -> Figure:
    """Robust (bars) and classical (dots) Z' per plate, coloured by verdict; lines at 0 and 0.5."""
    n = len(qc)
    zr = pd.to_numeric(qc.get("robust_z_prime"), errors="coerce").to_numpy(float)
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
            style = (
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
    names: Sequence[str],
    *,
    gap: float,
    down: bool = False,
    fontsize: float = 7,
) -> np.ndarray:
    """Write ``names`` at (``lx``, spread y) with leader lines to the points; return label y."""
    ly = _spread_labels(y, gap, down=down)
    segments = np.stack([np.column_stack([x, y]), np.column_stack([lx, ly])], axis=1)
    ax.add_collection(LineCollection(segments, colors="#777777", linewidths=0.5))
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
    fig = _fig(6.4, 4.6)
    ax = fig.add_subplot()
    raster = ok.sum() > _RASTER_ABOVE
    base = ok & ~hit
    ax.scatter(
        x[base],
        y[base],
        s=7,
        color=[CLASS_COLOURS.get(c, _OTHER) for c in cls[base]],
        linewidths=0,
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
        ly = _label_points(ax, x[idx], y[idx], x[idx] + 0.03 * xr, names[idx], gap=ymax * 0.045)
        ax.set_ylim(top=max(ymax, float(ly.max())) * 1.08)
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
    fig = _fig(7.5, 3.6)
    ax = fig.add_subplot()
    n = len(d)
    xs, hs = np.arange(n, dtype=float), d["_x"].to_numpy(float)
    ax.stairs(hs, np.arange(n + 1) - 0.5, fill=True, baseline=0, color="#BBBBBB")  # one path, any n
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
    ax.add_collection(PolyCollection(verts, facecolors=[colours[i] for i in h], edgecolors="none"))
    if n:
        ax.set_ylim(min(0.0, float(hs.min())) - 5, max(float(hs.max()), min_rescue) * 1.25 + 5)
    ax.axhline(min_rescue, color="#555555", linestyle=":", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.6)
    lab = h[:n_labels]
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
    ax.set_xlim(-1, max(n, 1))
    ax.set_xlabel(f"proteins ranked by rescue (n = {n})")
    ax.set_ylabel("rescue (%)")
    ax.set_title(_t(title))
    _class_legend(ax, list(d.loc[hit, C.CLASS].astype(str)), loc="upper right")
    _style(ax)
    ax.grid(False, axis="x")
    return fig


# --- across contexts ----------------------------------------------------------------------
@_styled
def context_matrix(matrix: pd.DataFrame, hits: pd.DataFrame | None = None) -> Figure:
    """Heatmap of rescue (%) for proteins (rows) x contexts (columns); hit cells dotted."""
    values = matrix.to_numpy(float)
    nr, nc = values.shape
    fig = _fig(min(12.0, 2.6 + 0.55 * nc), max(2.5, 0.17 * nr + 1.6))
    ax = fig.add_subplot()
    finite = values[np.isfinite(values)]
    top = max(float(np.abs(finite).max()) if finite.size else 100.0, 1.0)
    cmap = mpl.colormaps["PuOr_r"].with_extremes(bad="#f0f0f0")
    im = ax.imshow(values, cmap=cmap, vmin=-top, vmax=top, aspect="auto", interpolation="nearest")
    fig.colorbar(im, ax=ax, label="rescue (%)", shrink=0.6)
    if hits is not None:
        flags = (
            hits.reindex(index=matrix.index, columns=matrix.columns).astype("boolean").fillna(False)
        )
        yy, xx = np.nonzero(flags.to_numpy(bool))
        ax.scatter(xx, yy, s=6, color="black", marker="o")
    ax.set_yticks(np.arange(nr), [_t(p) for p in matrix.index], fontsize=6.5)
    ax.set_xticks(
        np.arange(nc), [_t(c) for c in matrix.columns], fontsize=7, rotation=45, ha="right"
    )
    ax.tick_params(length=0)
    return fig


@_styled
def specificity(
    hits: pd.DataFrame, contexts: Sequence[tuple[str, str]], *, n_labels: int = 6
) -> Figure:
    """Drug-arm log2 fold change vs drug-specific interaction (log2), one panel per context."""
    fig, axes = _panels(len(contexts), 3.6, 3.3)
    in_ctx = hits.set_index([C.CELL_LINE, C.TREATMENT]).index.isin(list(contexts))
    raster = int((~hits.loc[in_ctx, C.IS_HIT].astype(bool)).sum()) > _RASTER_ABOVE
    for ax, (line, drug) in zip(axes, contexts, strict=False):
        d = hits[(hits[C.CELL_LINE] == line) & (hits[C.TREATMENT] == drug)]
        x = pd.to_numeric(d[C.LOG2_FC], errors="coerce").to_numpy(float)
        y = pd.to_numeric(d[C.INTERACTION_LOG2], errors="coerce").to_numpy(float)
        cls = d[C.CLASS].astype(str).to_numpy()
        ok = np.isfinite(x) & np.isfinite(y)
        hit = d[C.IS_HIT].astype(bool).to_numpy()
        for sel, size, edge in ((ok & ~hit, 6, "none"), (ok & hit, 18, "black")):
            ax.scatter(
                x[sel],
                y[sel],
                s=size,
                color=[CLASS_COLOURS.get(c, _OTHER) for c in cls[sel]],
                edgecolors=edge,
                linewidths=0.4,
                rasterized=raster and size == 6,  # non-hits raster when many; hits stay vector
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
