"""Across contexts (DESIGN 2.6): per protein, where it hits and how strong the combined evidence is.

Kernels (numpy in, numpy out) and the runner are separate, as everywhere in the package:

* :func:`rra_rho` and :func:`rra_pvalue`: robust rank aggregation (Kolde et al. 2012), equal to
  R ``RobustRankAggreg::aggregateRanks(method = "RRA")`` (fixtures ``rra_*``);
* :func:`stouffer`: Stouffer's combination of one-sided z-scores (Stouffer et al. 1949);
* :func:`summarize_contexts`: one row per protein from a ``hits`` table;
* :func:`rescue_matrix`: protein x context matrix of ``rescue_pct`` for heatmaps.

Modules: ``kernels`` (RRA and Stouffer, numpy in/out), ``_contexts`` (integer keys of the
context rows of a hits table, shared by the runners), ``summary`` (:func:`summarize_contexts`
and the ``summary.tsv`` columns) and ``matrix`` (:func:`rescue_matrix`).

Formulas and the pattern rules are written out in ``docs/aggregate.md``.

References
----------
Kolde R, Laur S, Adler P, Vilo J (2012). Robust rank aggregation for gene list integration and
meta-analysis. Bioinformatics 28:573-580. doi:10.1093/bioinformatics/btr709

Stouffer SA, Suchman EA, DeVinney LC, Star SA, Williams RM Jr (1949). The American Soldier,
Vol. 1: Adjustment during Army Life. Princeton University Press.
"""

from __future__ import annotations

from secretome_rank.aggregate.kernels import F64, rra_pvalue, rra_rho, stouffer  # noqa: F401
from secretome_rank.aggregate.matrix import MATRIX_SEPARATOR, rescue_matrix
from secretome_rank.aggregate.summary import (  # noqa: F401  (re-exported constants)
    CONTEXT_RANKS,
    DRUG_PATTERN,
    DRUG_PATTERNS,
    IS_COMBINED_HIT,
    LINE_PATTERN,
    LINE_PATTERNS,
    MEAN_RESCUE_PCT,
    N_CONTEXTS,
    N_CONTEXTS_TESTED,
    N_DRUGS_HIT,
    N_HIT,
    N_LINES_HIT,
    N_RESCUE_HIT,
    N_RESCUER,
    RRA_P,
    RRA_Q,
    RRA_RHO,
    STOUFFER_P,
    STOUFFER_Q,
    STOUFFER_Z,
    SUMMARY_COLUMNS,
    DrugPattern,
    LinePattern,
    summarize_contexts,
)

__all__ = [
    "DRUG_PATTERNS",
    "LINE_PATTERNS",
    "MATRIX_SEPARATOR",
    "SUMMARY_COLUMNS",
    "rescue_matrix",
    "rra_pvalue",
    "rra_rho",
    "stouffer",
    "summarize_contexts",
]
