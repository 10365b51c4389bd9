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
from scipy import special, stats

__all__ = ["ModeratedT", "fit_f_dist", "moderated_t", "trigamma_inverse"]

F64 = NDArray[np.float64]


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


def fit_f_dist(s2: F64, df: F64) -> tuple[float, float]:
    """Moment estimates of the prior scale ``s0^2`` and prior df ``d0`` (limma ``fitFDist``).

    The sample variances are modelled as ``s2 ~ s0^2 F(df, d0)``; moments of ``log s2`` give
    both parameters. Entries with non-finite ``s2`` or ``df == 0`` are ignored.

    Returns
    -------
    (float, float)
        ``(s0_squared, d0)``; ``d0`` is ``inf`` when the variances show no more spread than
        sampling alone explains (then ``s0^2`` is their mean), ``nan`` when nothing is usable.
    """
    s2 = np.asarray(s2, dtype=float)
    df = np.asarray(df, dtype=float)
    ok = np.isfinite(df) & (df > 1e-15) & np.isfinite(s2) & (s2 > -1e-15)
    n = int(ok.sum())
    if n == 0:
        return float("nan"), float("nan")
    x = np.maximum(s2[ok], 0.0)
    d = df[ok]
    if n == 1:
        return float(x[0]), 0.0
    m = float(np.median(x))
    if m == 0:
        m = 1.0
    x = np.maximum(x, 1e-5 * m)
    e = np.log(x) - special.digamma(d / 2) + np.log(d / 2)
    emean = float(np.mean(e))
    evar = float(np.sum((e - emean) ** 2) / (n - 1)) - float(np.mean(special.polygamma(1, d / 2)))
    if evar > 0:
        d0 = 2 * float(trigamma_inverse(evar)[0])
        s0 = float(np.exp(emean + special.digamma(d0 / 2) - np.log(d0 / 2)))
    else:
        d0 = float("inf")
        s0 = float(np.mean(x))
    return s0, d0


@dataclass(frozen=True)
class ModeratedT:
    """Result of :func:`moderated_t` (one entry per feature; prior scalars shared)."""

    t: F64
    df_total: F64
    s2_post: F64
    p_two_sided: F64
    p_greater: F64
    p_less: F64
    s2_prior: float
    df_prior: float


def moderated_t(coef: F64, stdev_unscaled: F64, s2: F64, df_residual: F64) -> ModeratedT:
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
    coef = np.asarray(coef, dtype=float)
    su = np.asarray(stdev_unscaled, dtype=float)
    d = np.asarray(df_residual, dtype=float)
    var = np.where(d == 0, 0.0, np.asarray(s2, dtype=float))
    s0, d0 = fit_f_dist(var, d)
    if np.isnan(d0):
        s2_post = np.full_like(coef, np.nan)
    elif np.isinf(d0):
        s2_post = np.full_like(coef, s0)
    else:
        s2_post = (d * var + d0 * s0) / (d + d0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = coef / su / np.sqrt(s2_post)
    df_total = np.minimum(d + d0, np.nansum(d))
    t = np.where(df_total > 0, t, np.nan)
    with np.errstate(invalid="ignore"):
        p_greater = stats.t.sf(t, df_total)
        p_less = stats.t.cdf(t, df_total)
        p_two = 2 * stats.t.sf(np.abs(t), df_total)
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
