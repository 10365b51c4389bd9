"""Figures of the HTML report (matplotlib, object API only: no pyplot, no global backend).

Every function takes tidy tables as written to the output folder and returns a
:class:`matplotlib.figure.Figure` (rendered with the Agg/SVG canvases by :func:`to_svg` and
:func:`to_png`). Colours are Okabe-Ito (Okabe & Ito 2008) for categories and viridis/cividis or
ColorBrewer PuOr for continuous values, all readable with colour-vision deficiencies. User-supplied
text (protein, plate, cell line, drug) is passed through :func:`_t` so that ``$`` never starts
matplotlib mathtext; matplotlib XML-escapes text in SVG output.

Modules, one per plot family: ``_style`` (palettes, rc settings, figure helpers, the SVG/PNG
renderers), ``qc`` (Z' chart, plate heatmaps, replicate scatter) and ``hits`` (volcano, waterfall,
protein x context heatmap, drug specificity). Importing this package imports matplotlib, so the
report imports it only when it draws.
"""

from __future__ import annotations

from secretome_rank.plots._style import CLASS_COLOURS, VERDICT_COLOURS, to_png, to_svg, to_svg_file
from secretome_rank.plots.hits import context_matrix, specificity, volcano, waterfall
from secretome_rank.plots.qc import (
    normalised_column,  # noqa: F401  (public helper, importable as before)
    plate_detail,
    plate_mosaic,
    replicate_scatter,
    zprime_chart,
)

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
    "to_svg_file",
    "volcano",
    "waterfall",
    "zprime_chart",
]
