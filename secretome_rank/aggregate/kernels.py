"""Kernels of the across-context summary: numpy in, numpy out, no DataFrames.

:func:`rra_rho` and :func:`rra_pvalue` are robust rank aggregation (Kolde et al. 2012,
doi:10.1093/bioinformatics/btr709), tested against R RobustRankAggreg 1.2.1
``aggregateRanks(method = "RRA")`` (fixtures ``rra_*``); :func:`stouffer` combines one-sided
p-values per group as z-scores (Stouffer et al. 1949). The runner
:func:`~secretome_rank.aggregate.summarize_contexts` calls them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["rra_pvalue", "rra_rho", "stouffer"]

F64 = NDArray[np.float64]

_P_LO = np.finfo(float).tiny
_P_HI = 1.0 - np.finfo(float).epsneg


def rra_rho(norm_ranks: ArrayLike) -> F64:
    """Kolde's rho score per row of normalised ranks (``RobustRankAggreg`` ``betaScores``).

    Parameters
    ----------
    norm_ranks : array_like, shape (n_items, n_lists)
        Normalised ranks ``rank / N`` in (0, 1] of each item (row) in each list (column).
        An item missing from a list should get 1 (as ``rankMatrix`` does); NaN entries are
        dropped, so ``k`` (the number of ranks) may differ between rows.

    Returns
    -------
    ndarray, shape (n_items,)
        ``rho = min_i pbeta(r_(i), i, k - i + 1)`` over the ``k`` non-missing ranks sorted
        ascending (``r_(i)`` is the i-th smallest): the smallest probability, under uniform
        null ranks, of an i-th order statistic at least as small as observed. NaN for rows
        with no rank. This is the *uncorrected* score; :func:`rra_pvalue` turns it into the
        p-value that R reports as ``Score``.

    Notes
    -----
    ``pbeta(x, a, b)`` is the regularised incomplete beta ``scipy.special.betainc(a, b, x)``.
    Vectorised over rows: one sort, and one ``betainc`` call over the distinct
    ``(r_(i), i, k)`` (items share rank values).

    References
    ----------
    Kolde et al. (2012), doi:10.1093/bioinformatics/btr709

    Examples
    --------
    >>> # min(pbeta(0.1, 1, 3), pbeta(0.2, 2, 2), pbeta(1, 3, 1)) = min(0.271, 0.104, 1)
    >>> round(float(rra_rho([[0.1, 0.2, 1.0]])[0]), 12)
    0.104
    """
    r = np.atleast_2d(np.asarray(norm_ranks, dtype=float))
    if r.ndim != 2:
        raise ValueError(f"norm_ranks must be 2-D (items x lists); got shape {r.shape}")
    finite = r[~np.isnan(r)]
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        raise ValueError("normalised ranks must lie in [0, 1] (rank / N)")
    n_lists = r.shape[1]
    k = np.sum(~np.isnan(r), axis=1)
    s = np.sort(r, axis=1)  # NaN last
    # pbeta(r_(i), i, k - i + 1) over the entries i <= k, once per distinct (r_(i), i, k):
    # items share rank values (rank / N), so few are distinct
    item, col = np.nonzero(np.arange(n_lists)[None, :] < k[:, None])
    x = s[item, col]
    beta = np.full(r.shape, np.inf)
    if x.size:
        first, codes = _distinct(x, col, k[item], n_lists)
        i = col[first] + 1.0
        beta[item, col] = special.betainc(i, k[item[first]] - i + 1, x[first])[codes]
    rho = beta.min(axis=1, initial=np.inf)
    return np.where(k > 0, rho, np.nan)


def _distinct(
    x: F64, col: NDArray[np.intp], k: NDArray[np.intp], n_lists: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """First entry of each distinct (x, col, k) and the number of each entry's combination.

    ``x`` is compared bit for bit; ``col < n_lists`` and ``k <= n_lists``.
    """
    xcode = np.asarray(pd.factorize(x.view(np.int64))[0], dtype=np.int64)
    width = n_lists + 1
    if (int(xcode.max()) + 1) * width * width >= 1 << 63:  # no room for one integer key
        every = np.arange(x.size)
        return every, every
    codes = np.asarray(pd.factorize((xcode * width + col) * width + k)[0], dtype=np.intp)
    # codes are numbered in order of first appearance
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    return first, codes


def rra_pvalue(rho: ArrayLike, k: ArrayLike) -> F64:
    """Bonferroni-corrected RRA p-value ``min(1, k * rho)`` (R ``aggregateRanks`` ``Score``).

    Parameters
    ----------
    rho : array_like
        Rho scores from :func:`rra_rho`.
    k : array_like
        Number of ranks that went into each rho (the number of lists).

    Returns
    -------
    ndarray
        ``min(1, k * rho)``; equal to ``RobustRankAggreg:::correctBetaPvalues`` and to the
        ``Score`` column of ``aggregateRanks(method = "RRA")`` (``exact = FALSE``).
    """
    rho_arr = np.asarray(rho, dtype=np.float64)
    k_arr = np.asarray(k, dtype=np.float64)
    return np.minimum(1.0, k_arr * rho_arr)


def stouffer(
    p: ArrayLike, groups: ArrayLike, *, n_groups: int | None = None
) -> tuple[F64, F64, F64]:
    """Stouffer combination of one-sided p-values per group.

    Parameters
    ----------
    p : array_like
        One-sided p-values (NaN = not tested; left out).
    groups : array_like of int
        Group code (0..G-1) of each p-value (e.g. the protein).
    n_groups : int, optional
        Number of groups G (default ``max(groups) + 1``).

    Returns
    -------
    (z, p_combined, k) : tuple of ndarray, each of length G
        ``z_i = Phi^-1(1 - p_i)`` (p clipped to [2.2e-308, 1 - 1.1e-16] so that 0 and 1 stay
        finite), ``z = sum_i z_i / sqrt(k)``, ``p_combined = 1 - Phi(z)`` and ``k`` the number
        of finite p-values; ``z`` and ``p_combined`` are NaN where ``k = 0``.

    References
    ----------
    Stouffer et al. (1949); Whitlock (2005) doi:10.1111/j.1420-9101.2005.00917.x
    """
    p = np.asarray(p, dtype=float)
    g = np.asarray(groups, dtype=np.intp)
    size = int(g.max()) + 1 if n_groups is None and g.size else int(n_groups or 0)
    ok = np.isfinite(p)
    z_i = -special.ndtri(np.clip(p[ok], _P_LO, _P_HI))
    k = np.bincount(g[ok], minlength=size).astype(float)
    s = np.bincount(g[ok], weights=z_i, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(k > 0, s / np.sqrt(k), np.nan)
    return z, special.ndtr(-z), k
