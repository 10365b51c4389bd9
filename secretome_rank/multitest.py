"""NaN-safe multiple-testing adjustment matching R ``p.adjust`` and ``qvalue``.

Missing p-values stay missing and do not count towards the number of tests ``m`` (as in R
``p.adjust``). All methods are vectorised numpy; Hommel uses R's O(m^2) algorithm, fine
for library sizes (thousands of tests).
"""

from __future__ import annotations

import logging
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from secretome_rank.errors import ConfigError

__all__ = ["AdjustMethod", "adjust_pvalues", "storey_pi0"]

AdjustMethod = Literal["bh", "by", "holm", "bonferroni", "hommel", "storey"]
ADJUST_METHODS: tuple[str, ...] = get_args(AdjustMethod)

logger = logging.getLogger(__name__)


def _bh(p: NDArray[np.float64]) -> NDArray[np.float64]:
    m = p.size
    order = np.argsort(p, kind="stable")[::-1]
    ranks = np.arange(m, 0, -1)
    q = np.minimum.accumulate(p[order] * m / ranks)
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def _by(p: NDArray[np.float64]) -> NDArray[np.float64]:
    m = p.size
    c = np.sum(1.0 / np.arange(1, m + 1))
    order = np.argsort(p, kind="stable")[::-1]
    ranks = np.arange(m, 0, -1)
    q = np.minimum.accumulate(p[order] * c * m / ranks)
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def _holm(p: NDArray[np.float64]) -> NDArray[np.float64]:
    m = p.size
    order = np.argsort(p, kind="stable")
    q = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def _hommel(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Hommel's method, a direct port of R ``p.adjust(method = "hommel")``."""
    n = p.size
    if n < 2:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ps = p[order]
    idx = np.arange(1, n + 1)
    q = np.full(n, np.min(n * ps / idx))
    pa = q.copy()
    for m in range(n - 1, 1, -1):
        i1 = np.arange(0, n - m + 1)  # R: seq_len(n - m + 1)
        i2 = np.arange(n - m + 1, n)  # R: (n - m + 2):n
        q1 = np.min(m * ps[i2] / np.arange(2, m + 1))
        q[i1] = np.minimum(m * ps[i1], q1)
        q[i2] = q[n - m]
        pa = np.maximum(pa, q)
    out = np.empty(n)
    out[order] = np.maximum(pa, ps)
    return np.minimum(out, 1.0)


def _smoothing_spline_df(
    x: NDArray[np.float64], y: NDArray[np.float64], df: float
) -> NDArray[np.float64]:
    """Fitted values of a cubic smoothing spline whose smoother matrix has trace ``df``.

    This is what R ``smooth.spline(x, y, df = df)$y`` computes for fewer than 50 distinct x
    (knots at every x): the natural cubic spline minimising
    ``sum (y - f)^2 + lambda * integral f''^2``, i.e. ``f = (I + lambda K)^-1 y`` with the
    Reinsch penalty matrix ``K = Q R^-1 Q'`` (Green & Silverman 1994, section 2.1), and
    lambda chosen so that ``trace((I + lambda K)^-1) = df``.
    """
    n = x.size
    h = np.diff(x)
    q = np.zeros((n, n - 2))
    r = np.zeros((n - 2, n - 2))
    for j in range(n - 2):
        q[j, j] = 1 / h[j]
        q[j + 1, j] = -1 / h[j] - 1 / h[j + 1]
        q[j + 2, j] = 1 / h[j + 1]
        r[j, j] = (h[j] + h[j + 1]) / 3
        if j < n - 3:
            r[j, j + 1] = r[j + 1, j] = h[j + 1] / 6
    k = q @ np.linalg.solve(r, q.T)
    d, u = np.linalg.eigh((k + k.T) / 2)
    d = np.maximum(d, 0.0)
    lo, hi = -30.0, 30.0  # log lambda; trace falls from n to 2 as lambda grows
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.sum(1 / (1 + np.exp(mid) * d)) > df:
            lo = mid
        else:
            hi = mid
    shrink = 1 / (1 + np.exp((lo + hi) / 2) * d)
    return np.asarray(u @ (shrink * (u.T @ y)))


def storey_pi0(
    p: ArrayLike,
    *,
    lambdas: ArrayLike | None = None,
    method: Literal["smoother", "bootstrap"] = "smoother",
    smooth_df: float = 3.0,
) -> float:
    """Proportion of true null hypotheses, as R ``qvalue::pi0est``.

    Parameters
    ----------
    p : array_like
        Finite p-values in [0, 1].
    lambdas : array_like, optional
        Tuning grid; default ``0.05, 0.10, ..., 0.95`` as in qvalue.
    method : {"smoother", "bootstrap"}
        qvalue's ``pi0.method``.
    smooth_df : float
        Degrees of freedom of the smoothing spline (qvalue's ``smooth.df``).

    Returns
    -------
    float
        The estimate, capped at 1.

    References
    ----------
    Storey JD, Tibshirani R (2003). Statistical significance for genomewide studies. PNAS
    100:9440-9445. doi:10.1073/pnas.1530509100
    """
    p = np.asarray(p, dtype=float)
    if lambdas is None:  # qvalue's seq(0.05, 0.95, 0.05), bit for bit
        lam = 0.05 + np.arange(19) * 0.05
        lam[-1] = 0.95
    else:
        lam = np.asarray(lambdas, dtype=float)
    m = p.size
    if lam.size == 1:
        return float(min(np.mean(p >= lam[0]) / (1 - lam[0]), 1.0))
    if lam.size < 4:
        raise ConfigError("storey_pi0: give 1 lambda or at least 4")
    counts = np.array([np.sum(p >= v) for v in lam])
    pi0_lam = counts / (m * (1 - lam))
    if method == "smoother":
        smooth = _smoothing_spline_df(lam.astype(np.float64), pi0_lam, smooth_df)
        return float(min(smooth[-1], 1.0))
    if method == "bootstrap":
        minpi0 = np.quantile(pi0_lam, 0.1)
        w = counts  # number of p >= lambda, as qvalue's W
        mse = (w / (m**2 * (1 - lam) ** 2)) * (1 - w / m) + (pi0_lam - minpi0) ** 2
        return float(min(pi0_lam[np.argmin(mse)], 1.0))
    raise ConfigError(f"storey_pi0: method {method!r}; expected 'smoother' or 'bootstrap'")


def adjust_pvalues(p: ArrayLike, method: str = "bh") -> NDArray[np.float64]:
    """Adjust p-values for multiple testing; NaN stays NaN and does not count.

    Parameters
    ----------
    p : array_like
        p-values in [0, 1]; NaN for tests that could not be done.
    method : {"bh", "by", "holm", "bonferroni", "hommel", "storey"}
        Benjamini-Hochberg (default), Benjamini-Yekutieli, Holm, Bonferroni, Hommel, or
        Storey q-values (``pi0`` from qvalue's default smoother, df = 3; with fewer than
        20 p-values, or an estimate <= 0 where R qvalue stops, ``pi0 = 1``, i.e. BH).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values (q-values), same shape as ``p``; ``q >= p`` elementwise.

    Raises
    ------
    ConfigError
        Unknown method, or p-values outside [0, 1].

    References
    ----------
    Benjamini Y, Hochberg Y (1995) JRSS-B 57:289-300. Benjamini Y, Yekutieli D (2001) Ann
    Stat 29:1165-1188. Holm S (1979) Scand J Stat 6:65-70. Hommel G (1988) Biometrika
    75:383-386. Storey JD, Tibshirani R (2003) PNAS 100:9440-9445.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    if method not in ADJUST_METHODS:
        raise ConfigError(
            f"unknown p-value adjustment {method!r}; expected one of {', '.join(ADJUST_METHODS)}"
        )
    arr = np.asarray(p, dtype=float)
    flat = arr.ravel()
    ok = ~np.isnan(flat)
    vals = flat[ok]
    if np.any((vals < 0) | (vals > 1)):
        raise ConfigError("p-values must lie in [0, 1]")
    out = np.full(flat.shape, np.nan)
    if vals.size:
        if method == "bh":
            adj = _bh(vals)
        elif method == "by":
            adj = _by(vals)
        elif method == "holm":
            adj = _holm(vals)
        elif method == "bonferroni":
            adj = np.minimum(vals * vals.size, 1.0)
        elif method == "hommel":
            adj = _hommel(vals)
        else:
            pi0 = storey_pi0(vals) if vals.size >= 20 else 1.0
            if pi0 <= 0:  # R qvalue stops here and recommends pi0 = 1; we use it (BH)
                logger.warning("Storey pi0 estimate %.3g <= 0; using pi0 = 1 (BH)", pi0)
                pi0 = 1.0
            adj = pi0 * _bh(vals)
        out[ok] = adj
    return out.reshape(arr.shape)
