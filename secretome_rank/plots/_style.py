"""The shared look of the report figures: palettes, rc settings, figure helpers, renderers.

Okabe-Ito colours for classes (:data:`CLASS_COLOURS`) and QC verdicts (:data:`VERDICT_COLOURS`),
the rc settings every figure is drawn under (:func:`_styled`), figure and panel-grid constructors,
axes styling, the class legend, :func:`_t` (user text with ``$`` escaped so it never starts
matplotlib mathtext), and the renderers :func:`to_svg` (inline SVG element) and :func:`to_png`.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from secretome_rank import columns as C

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
_RC: Any = {  # rc settings of every figure (Any: matplotlib types keys as a Literal)
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "figure.dpi": 100,
    # titles at a fixed height: no axes has tick labels on top, and matplotlib's automatic
    # title placement measures every tick label of the axes at each draw (slow)
    "axes.titley": 1.0,
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


#: margins (inches: left, bottom, right, top) of one-axes figures with a title and axis labels
_MARGINS = (0.75, 0.55, 0.2, 0.4)


def _axes(width: float, height: float) -> tuple[Figure, Any]:
    """A figure of one axes with fixed margins (:data:`_MARGINS`).

    Much cheaper to draw than constrained layout, which lays every artist out in an extra pass;
    for figures whose labels have a known size (numbers, fixed titles).
    """
    left, bottom, right, top = _MARGINS
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes(
        (left / width, bottom / height, 1 - (left + right) / width, 1 - (bottom + top) / height)
    )
    return fig, ax


def _text_width(text: str, fontsize: float) -> float:
    """Width of ``text`` in inches in the report's font (font metrics; no renderer needed)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    width, _, _ = text_to_path.get_text_width_height_descent(
        text, FontProperties(size=fontsize), ismath=False
    )
    return float(width) / 72.0


def _fit_right(ax: Any, x: np.ndarray, widths: np.ndarray, axes_width: float) -> None:
    """Widen the x range so texts of ``widths`` inches starting at data ``x`` end inside it."""
    lo, hi = ax.get_xlim()
    room = axes_width - widths
    ok = room > 0.05 * axes_width
    if ok.any():
        need = lo + (x[ok] - lo) * axes_width / room[ok]
        if float(need.max()) > hi:
            ax.set_xlim(lo, float(need.max()))


def _points(
    ax: Any,
    x: np.ndarray,
    y: np.ndarray,
    colours: Sequence[str] | str,
    *,
    size: float,
    alpha: float = 1.0,
    rasterized: bool = False,
) -> None:
    """Round markers without edge, as ``ax.scatter(x, y, s=size, linewidths=0)`` looks.

    Drawn as one marker line per colour: SVG then writes each point as a bare ``<use>`` of one
    shared marker, where a scatter collection writes a style per point (several times slower).
    """
    col = np.broadcast_to(np.asarray(colours, dtype=object), np.shape(x))
    for colour in dict.fromkeys(col.tolist()):  # in order of first appearance
        sel = col == colour
        ax.plot(
            x[sel],
            y[sel],
            linestyle="none",
            marker="o",
            markersize=float(np.sqrt(size)),
            markeredgewidth=0,
            color=colour,
            alpha=alpha,
            rasterized=rasterized,
            zorder=1,  # below lines, as a scatter collection
        )


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


def to_svg(fig: Figure, *, salt: str, scale: float = 1.0) -> str:
    """Render ``fig`` as an inline SVG element (no XML prolog, no metadata).

    ``salt`` makes matplotlib's element ids unique between the figures of one HTML page and
    stable between runs. ``scale`` multiplies the size the page shows the figure at (its
    ``width``/``height``; the drawing is scaled by the browser): 1 shows an inch of figure
    as 72 points (96 CSS pixels).
    """
    buf = io.StringIO()
    with mpl.rc_context(_RC | {"svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", dpi=150, metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    if start != -1 and end != -1:
        text = text[:start] + text[end + len("</metadata>") :]
    if scale != 1.0:
        head = text.index(">")
        size = re.sub(
            r'\b(width|height)="([0-9.]+)pt"',
            lambda m: f'{m[1]}="{float(m[2]) * scale:.6g}pt"',
            text[:head],
        )
        text = size + text[head:]
    return text


def to_svg_file(fig: Figure, *, salt: str) -> bytes:
    """Render ``fig`` as a standalone SVG file; ids are stable between runs (``salt``)."""
    buf = io.BytesIO()
    with mpl.rc_context(_RC | {"svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


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
