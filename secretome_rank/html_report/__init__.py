"""The self-contained HTML report of an output folder (``report.html``).

:func:`build_report` reads the tables a run wrote (``hits.tsv``, ``wells.tsv``, ``qc.tsv``,
``run.json`` and, when present, ``receptors.tsv``, ``receptor_families.tsv``, ``summary.tsv``,
``rescue_matrix.tsv``) and writes one HTML file with inline CSS and inline SVG figures (plate
heatmaps and dense point layers are PNG ``data:`` URIs inside the SVG). It references nothing
outside itself: no scripts, fonts, style sheets or images from the network, so it opens
offline and can be e-mailed. Every value that comes from the user (protein, plate, cell line,
treatment, file names, notes) is HTML-escaped. Sections whose inputs are absent say so in one
line. See ``docs/report.md``.

Modules, one per stage: ``load`` (reading the output folder), ``markup`` (escaping, tables,
figures, shared size limits), ``sections_qc`` (run summary, plate QC, replicate agreement),
``sections_hits`` (rescue per context, ranked hits, receptors), ``sections_across`` (proteins
across contexts, drug-specific rescue) and ``page`` (section order, CSS, :func:`build_report`).
The figures themselves are drawn by :mod:`secretome_rank.plots`, imported on first use.
"""

from __future__ import annotations

from secretome_rank.html_report.page import SECTIONS, build_report

__all__ = ["SECTIONS", "build_report"]
