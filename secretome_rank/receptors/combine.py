"""Combine p-values within groups: the kernels behind receptor-level evidence.

Pure numerics (numpy in, numpy out): :func:`combine_pvalues_grouped` and the method registry
:data:`COMBINE_METHODS` (Simes, Fisher).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from secretome_rank.errors import ConfigError, SchemaError
from secretome_rank.receptors.table import CombineName


def _simes(p: NDArray[np.float64], codes: NDArray[np.intp], n_groups: int) -> NDArray[np.float64]:
    """Simes combined p per group: min_k n * p_(k) / k over the sorted p of the group."""
    dc = np.diff(codes)
    if not np.all((dc > 0) | ((dc == 0) & (np.diff(p) >= 0))):  # else sorted by group, p already
        order = np.lexsort((p, codes))
        p, codes = p[order], codes[order]
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    k = np.arange(p.size) - starts[codes] + 1
    vals = counts[codes] * p / k
    out = np.full(n_groups, np.nan, dtype=np.float64)
    if vals.size:  # groups are runs of the sorted codes: minimum of each run
        has = counts > 0
        out[has] = np.minimum.reduceat(vals, starts[has])
    return np.minimum(out, 1.0)


def _fisher(p: NDArray[np.float64], codes: NDArray[np.intp], n_groups: int) -> NDArray[np.float64]:
    """Fisher combined p per group: chi-square(2n) upper tail of -2 sum log p."""
    stat = np.bincount(codes, weights=-2.0 * np.log(np.clip(p, 1e-300, 1.0)), minlength=n_groups)
    n = np.bincount(codes, minlength=n_groups)
    out = np.full(n_groups, np.nan)
    ok = n > 0
    out[ok] = special.chdtrc(2 * n[ok], stat[ok])
    return out


@dataclass(frozen=True)
class CombineMethod:
    """A method combining the p-values of a receptor's ligands.

    Attributes
    ----------
    name : str
        Canonical name.
    func : callable
        ``func(p, codes, n_groups) -> combined p per group`` (finite p only).
    reference : str
        Literature reference.
    assumption : str
        Dependence assumption under which the combined p is valid.
    """

    name: str
    func: Callable[[NDArray[np.float64], NDArray[np.intp], int], NDArray[np.float64]]
    reference: str
    assumption: str


COMBINE_METHODS: dict[str, CombineMethod] = {
    "simes": CombineMethod(
        "simes",
        _simes,
        "Simes RJ (1986) Biometrika 73:751-754, doi:10.1093/biomet/73.3.751; validity under "
        "positive dependence: Sarkar SK (1998) Ann Stat 26:494-504",
        "independent or positively dependent (PRDS) ligand p-values",
    ),
    "fisher": CombineMethod(
        "fisher",
        _fisher,
        "Fisher RA (1932) Statistical Methods for Research Workers, 4th ed., sec. 21.1",
        "independent ligand p-values",
    ),
}


def combine_pvalues_grouped(
    p: NDArray[np.float64] | Sequence[float],
    groups: NDArray[np.intp] | Sequence[int],
    *,
    method: CombineName = "simes",
) -> NDArray[np.float64]:
    r"""Combine p-values within groups (NaN-safe kernel).

    Parameters
    ----------
    p : array_like of float
        p-values in [0, 1]; NaN values are ignored.
    groups : array_like of int
        Group code per p-value, ``0 .. n_groups-1``.
    method : {"simes", "fisher"}
        Combination method (see :data:`COMBINE_METHODS`).

    Returns
    -------
    numpy.ndarray
        Combined p per group code (length ``max(groups) + 1``); NaN for groups without a
        finite p-value.

    Notes
    -----
    Simes: :math:`p_S = \min_k n\,p_{(k)}/k` over the group's sorted p-values; it tests "no
    ligand of this receptor is active" and stays valid when ligand tests are positively
    dependent (they share the plate's controls). Fisher: :math:`X = -2\sum \log p_i`
    referred to :math:`\chi^2_{2n}`; more powerful when many ligands are weakly active, but it
    assumes independence.

    Examples
    --------
    >>> combine_pvalues_grouped([0.01, 0.04, 0.5, float("nan")], [0, 0, 1, 1]).round(4).tolist()
    [0.02, 0.5]
    """
    if method not in COMBINE_METHODS:
        raise ConfigError(
            f"combine method {method!r}; expected one of {', '.join(COMBINE_METHODS)}"
        )
    parr = np.asarray(p, dtype=float)
    garr = np.asarray(groups, dtype=np.intp)
    n_groups = int(garr.max()) + 1 if garr.size else 0
    ok = np.isfinite(parr)
    if np.any((parr[ok] < 0) | (parr[ok] > 1)):
        raise SchemaError("p-values outside [0, 1]; expected p-values in [0, 1] or NaN")
    return COMBINE_METHODS[method].func(parr[ok], garr[ok], n_groups)
