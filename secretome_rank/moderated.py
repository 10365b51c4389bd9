"""Empirical-Bayes moderated t statistics (limma's ``lmFit`` + ``eBayes``), pure numpy.

Kernels only: arrays in, arrays out. The runner in :mod:`secretome_rank.hits` groups wells
and calls these once per context. Verified against R limma 3.54 on stored fixtures
(``fixtures/reference``).

References
----------
Smyth GK (2004). Linear models and empirical Bayes methods for assessing differential
expression in microarray experiments. Stat Appl Genet Mol Biol 3:3. doi:10.2202/1544-6115.1027
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from secretome_rank.errors import warn
from secretome_rank.multitest import group_rows

__all__ = [
    "ModeratedT",
    "fit_f_dist",
    "group_median",
    "moderate",
    "moderated_t",
    "t_sf",
    "trigamma_inverse",
]

F64 = NDArray[np.float64]


def t_sf(t: F64, df: F64) -> F64:
    """Upper tail of Student's t (``scipy.special.stdtr``; avoids importing scipy.stats)."""
    t = np.asarray(t, dtype=float)
    df = np.asarray(df, dtype=float)
    inf = np.isinf(df)
    with np.errstate(invalid="ignore"):
        out = np.asarray(special.stdtr(np.where(inf, 1.0, df), -t), dtype=float)
        if inf.any():  # the normal limit; ndtr only where needed (stdtr is the costly part)
            out = np.where(inf, special.ndtr(-t), out)
    return np.where(np.isnan(t) | np.isnan(df), np.nan, out)


def trigamma_inverse(x: F64 | float) -> F64:
    """Solve ``trigamma(y) = x`` for y > 0 by Newton's method (limma ``trigammaInverse``)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = np.full_like(x, np.nan)
    big = x > 1e7
    small = x < 1e-6
    y[big] = 1.0 / np.sqrt(x[big])
    y[small] = 1.0 / x[small]
    mid = ~big & ~small & (x >= 0)
    if mid.any():
        xm = x[mid]
        ym = 0.5 + 1.0 / xm
        for _ in range(50):
            tri = special.polygamma(1, ym)
            dif = tri * (1 - tri / xm) / special.polygamma(2, ym)
            ym = ym + dif
            if np.max(-dif / ym) < 1e-8:
                break
        y[mid] = ym
    return y


def group_median(x: F64, groups: NDArray[np.intp], n_groups: int) -> F64:
    """Median of ``x`` per group, ignoring NaN (NaN for a group without values).

    Vectorised: the values are laid out one row per group (NaN-padded) and the rows sorted
    together; with very unequal group sizes (too much padding), one sort by value then a
    stable sort by group. An even count takes the mean of the two middle values,
    ``(a + b) / 2``, as pandas' groupby median does.

    Parameters
    ----------
    x : ndarray
        Values.
    groups : ndarray of int
        Group code (0..n_groups-1) per value.
    n_groups : int
        Number of groups (length of the result).

    Returns
    -------
    ndarray
        Median per group.

    Examples
    --------
    >>> x = np.array([3.0, 1.0, 2.0, np.nan, 5.0])
    >>> group_median(x, np.array([0, 0, 1, 1, 0]), 3).tolist()
    [3.0, 2.0, nan]
    """
    x = np.asarray(x, dtype=float)
    g = np.asarray(groups, dtype=np.intp)
    ok = ~np.isnan(x)
    x, g = x[ok], g[ok]
    cnt = np.bincount(g, minlength=n_groups)
    has = cnt > 0
    lo = (cnt[has] - 1) // 2
    hi = cnt[has] // 2
    med = np.full(n_groups, np.nan)
    layout = group_rows(g, cnt)
    if layout is not None:  # one row per group: sort the rows
        by_group, slot, width = layout
        rows = np.full((n_groups, width), np.nan)
        rows.ravel()[slot] = x[by_group]
        rows.sort(axis=1)
        med[has] = (rows[has, lo] + rows[has, hi]) / 2
        return med
    order = np.argsort(x)
    small = n_groups <= np.iinfo(np.uint16).max  # radix sort for 16-bit keys
    keys = g[order].astype(np.uint16) if small else g[order]
    xs = x[order[np.argsort(keys, kind="stable")]]
    start = (np.cumsum(cnt) - cnt)[has]
    med[has] = (xs[start + lo] + xs[start + hi]) / 2
    return med


#: the start of the warning of :func:`fit_f_dist` when most variances are exactly 0
ZERO_VARIANCES = "more than half of the residual variances are exactly 0"


def fit_f_dist(s2: F64, df: F64, groups: NDArray[np.intp] | None = None) -> tuple[F64, F64]:
    """Moment estimates of the prior scale ``s0^2`` and prior df ``d0`` (limma ``fitFDist``).

    The sample variances are modelled as ``s2 ~ s0^2 F(df, d0)``; moments of ``log s2`` give
    both parameters. Entries with non-finite ``s2`` or ``df == 0`` are ignored.

    Parameters
    ----------
    s2, df : ndarray
        Sample variances and their degrees of freedom.
    groups : ndarray of int, optional
        Group code (0..G-1) per entry: one independent fit per group, all vectorised.

    Returns
    -------
    (ndarray, ndarray)
        ``(s0_squared, d0)`` per group (length 1 without ``groups``); ``d0`` is ``inf`` when
        the variances show no more spread than sampling alone explains (then ``s0^2`` is
        their mean), ``nan`` when nothing is usable.
    """
    s2 = np.asarray(s2, dtype=float)
    df = np.asarray(df, dtype=float)
    g = np.zeros(s2.size, dtype=np.intp) if groups is None else np.asarray(groups, dtype=np.intp)
    n_groups = int(g.max()) + 1 if g.size else 1
    ok = np.isfinite(df) & (df > 1e-15) & np.isfinite(s2) & (s2 > -1e-15)
    go = g[ok]
    x = np.maximum(s2[ok], 0.0)
    d = df[ok]
    n = np.bincount(go, minlength=n_groups).astype(float)
    s0 = np.full(n_groups, np.nan)
    d0 = np.full(n_groups, np.nan)
    if x.size == 0:
        return s0, d0
    med = group_median(x, go, n_groups)
    if (med == 0).any():  # limma warns the same ("eBayes unreliable") and also uses 1
        k = int((med == 0).sum())
        warn(
            f"{ZERO_VARIANCES} in {k} of "
            f"{int((n > 0).sum())} prior fit(s) (limma: eBayes unreliable): replicates with "
            "identical values, such as a plate loaded twice or copied?"
        )
    med = np.where(np.isnan(med) | (med == 0), 1.0, med)
    x = np.maximum(x, 1e-5 * med[go])
    # df takes few distinct values (replicates - 1): the special functions once per value
    whole = d.astype(np.int64)
    if d.size and np.array_equal(whole, d) and whole.max() < 1 << 16:  # counts: no sort
        seen = np.bincount(whole) > 0
        half = np.flatnonzero(seen) / 2
        where = (np.cumsum(seen) - 1)[whole]
    else:
        half, where = np.unique(d / 2, return_inverse=True)
    e = np.log(x) - special.digamma(half)[where] + np.log(d / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        emean = np.bincount(go, weights=e, minlength=n_groups) / n
        evar = np.bincount(go, weights=(e - emean[go]) ** 2, minlength=n_groups) / (n - 1)
        tri = special.polygamma(1, half)[where]
        evar = evar - np.bincount(go, weights=tri, minlength=n_groups) / n
        xmean = np.bincount(go, weights=x, minlength=n_groups) / n
    one = n == 1
    s0[one] = xmean[one]
    d0[one] = 0.0
    fin = (n >= 2) & (evar > 0)
    if fin.any():
        d0[fin] = 2 * trigamma_inverse(evar[fin])
        s0[fin] = np.exp(emean[fin] + special.digamma(d0[fin] / 2) - np.log(d0[fin] / 2))
    inf = (n >= 2) & ~(evar > 0)
    d0[inf] = np.inf
    s0[inf] = xmean[inf]
    return s0, d0


@dataclass(frozen=True)
class ModeratedT:
    """Result of :func:`moderated_t` (one entry per feature; the priors repeated per feature)."""

    t: F64
    df_total: F64
    s2_post: F64
    p_two_sided: F64
    p_greater: F64
    p_less: F64
    s2_prior: F64
    df_prior: F64


def moderated_t(
    coef: F64,
    stdev_unscaled: F64,
    s2: F64,
    df_residual: F64,
    groups: NDArray[np.intp] | None = None,
    *,
    robust: bool = False,
) -> ModeratedT:
    """Moderated t statistics for one coefficient per feature (limma ``eBayes``).

    Parameters
    ----------
    coef : ndarray
        Estimated coefficient per feature (e.g. the mean of replicate log2 ratios).
    stdev_unscaled : ndarray
        Unscaled standard error of ``coef`` (``1/sqrt(n)`` for a mean of n values).
    s2 : ndarray
        Residual variance per feature (NaN when ``df_residual`` is 0).
    df_residual : ndarray
        Residual degrees of freedom (``n - 1`` for a mean).
    groups : ndarray of int, optional
        Group code per feature (e.g. the context): each group gets its own prior, as if
        ``eBayes`` were run once per group.
    robust : bool
        ``eBayes(robust = TRUE)``: the prior from Winsorized log variances, and a prior df
        per feature that is smaller for features with an outlying variance
        (:func:`~secretome_rank.robust_prior.fit_f_dist_robust`).

    Returns
    -------
    ModeratedT
        ``t = coef / (stdev_unscaled * sqrt(s2_post))`` with
        ``s2_post = (d0 s0^2 + d s2) / (d0 + d)`` and ``df_total = min(d + d0, sum(d))``;
        features with ``d = 0`` are tested on the prior alone (``s2_post = s0^2``) when
        ``d0 > 0``.

    Notes
    -----
    With ``d0 = inf`` every feature uses ``s0^2``. The p-values use Student's t with
    ``df_total`` degrees of freedom.
    """
    t, df_total, s2_post, s0, d0 = moderate(
        coef, stdev_unscaled, s2, df_residual, groups, robust=robust
    )
    with np.errstate(invalid="ignore"):
        p_greater = t_sf(t, df_total)
        p_less = t_sf(-t, df_total)
    p_two = 2 * np.where(t >= 0, p_greater, p_less)  # 2 * t_sf(|t|): the smaller tail
    return ModeratedT(
        t=t,
        df_total=np.where(np.isnan(t), np.nan, df_total),
        s2_post=s2_post,
        p_two_sided=np.minimum(p_two, 1.0),
        p_greater=p_greater,
        p_less=p_less,
        s2_prior=s0,
        df_prior=d0,
    )


def moderate(
    coef: F64,
    stdev_unscaled: F64,
    s2: F64,
    df_residual: F64,
    groups: NDArray[np.intp] | None = None,
    *,
    robust: bool = False,
) -> tuple[F64, F64, F64, F64, F64]:
    """Moderated t without p-values: the arithmetic of :func:`moderated_t`.

    For runners that need only one tail (Student's t tail is the costly step).

    Parameters
    ----------
    coef, stdev_unscaled, s2, df_residual, groups, robust
        As in :func:`moderated_t`.

    Returns
    -------
    tuple of ndarray
        ``(t, df_total, s2_post, s2_prior, df_prior)`` per feature as in
        :class:`ModeratedT`, except that ``df_total`` is not masked where ``t`` is NaN.
    """
    coef = np.asarray(coef, dtype=float)
    su = np.asarray(stdev_unscaled, dtype=float)
    d = np.asarray(df_residual, dtype=float)
    g = np.zeros(coef.size, dtype=np.intp) if groups is None else np.asarray(groups, dtype=np.intp)
    var = np.where(d == 0, 0.0, np.asarray(s2, dtype=float))
    if robust:
        from secretome_rank.robust_prior import fit_f_dist_robust

        s0g, _, d0 = fit_f_dist_robust(var, d, g)
        s0 = s0g[g]
    else:
        s0g, d0g = fit_f_dist(var, d, g)
        s0, d0 = s0g[g], d0g[g]
    with np.errstate(invalid="ignore", divide="ignore"):
        s2_post = np.where(np.isinf(d0), s0, (d * var + d0 * s0) / (d + d0))
        t = coef / su / np.sqrt(s2_post)
    pooled = np.bincount(g, weights=np.nan_to_num(d), minlength=s0g.size)
    df_total = np.minimum(d + d0, pooled[g])
    t = np.where(df_total > 0, t, np.nan)
    return t, df_total, s2_post, s0, d0
