"""The shared look of the report figures: palettes, rc settings, figure helpers, renderers.

Okabe-Ito colours for classes (:data:`CLASS_COLOURS`) and QC verdicts (:data:`VERDICT_COLOURS`),
the rc settings every figure is drawn under (:func:`_styled`), figure and panel-grid constructors,
axes styling, the class legend, :func:`_t` (user text with ``$`` escaped so it never starts
matplotlib mathtext), and the renderers :func:`to_svg` (inline SVG element) and :func:`to_png`.
"""

from __future__ import annotations

import functools
import io
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
