"""The rescue matrix: protein x context mean ``rescue_pct`` for heatmaps (``rescue_matrix.tsv``).

:func:`rescue_matrix` keys the hits table by context
(:mod:`~secretome_rank.aggregate._contexts`) and spreads ``rescue_pct`` into one column per
``cell_line|treatment`` context (:data:`MATRIX_SEPARATOR`); NaN where a protein has no value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.aggregate._contexts import _keys

__all__ = ["MATRIX_SEPARATOR", "rescue_matrix"]

#: separator of ``cell_line`` and ``treatment`` in the column names of :func:`rescue_matrix`
MATRIX_SEPARATOR = "|"


def rescue_matrix(hits: pd.DataFrame, *, include_pooled: bool = False) -> pd.DataFrame:
    """Protein x context matrix of mean ``rescue_pct`` (for heatmaps; ``rescue_matrix.tsv``).

    Parameters
    ----------
    hits : pandas.DataFrame
        The ``hits`` table (``cell_line, treatment, protein, rescue_pct``).
    include_pooled : bool
        Keep the ``pooled`` pseudo cell line as columns.

    Returns
    -------
    pandas.DataFrame
        Column ``protein`` (sorted) then one column per context named
        ``"cell_line|treatment"`` (sorted by cell line, then treatment) holding the mean %
        rescue of that protein in that context; NaN where it has none.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"cell_line": ["A", "A"], "treatment": ["x", "x"],
    ...                   "protein": ["HGF", "IL6"], "rescue_pct": [55.0, 2.0]})
    >>> rescue_matrix(h).columns.tolist()
    ['protein', 'A|x']
    """
    k = _keys(hits, include_pooled, (C.CELL_LINE, C.TREATMENT, C.PROTEIN, C.RESCUE_PCT))
    mat = np.full((len(k.prot_labels), len(k.ctx_line)), np.nan)
    mat[k.prot, k.ctx] = k.num(C.RESCUE_PCT)
    cols = list(k.ctx_line + MATRIX_SEPARATOR + k.ctx_drug)
    wide = pd.DataFrame(mat, columns=cols)
    wide.insert(0, C.PROTEIN, k.prot_labels)
    return wide
