"""NaN-safe multiple-testing adjustment matching R ``p.adjust`` and ``qvalue``.

Missing p-values stay missing and do not count towards the number of tests ``m`` (as in R
``p.adjust``). All methods are vectorised numpy; Hommel uses R's O(m^2) algorithm, fine
for library sizes (thousands of tests). :func:`bh_grouped` adjusts many families at once
(Benjamini-Hochberg within each group, no Python loop per group); it and
:func:`adjust_pvalues` share one step-up kernel, so a family gets the same bits either way.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Literal, get_args, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from secretome_rank.errors import ConfigError, warn

__all__ = ["AdjustMethod", "adjust_pvalues", "bh_grouped", "group_rows", "rescue_p", "storey_pi0"]

AdjustMethod = Literal["bh", "by", "holm", "bonferroni", "hommel", "storey"]
ADJUST_METHODS: tuple[str, ...] = get_args(AdjustMethod)

logger = logging.getLogger(__name__)


def _step_up(
    p: NDArray[np.float64], run: NDArray[np.intp] | None = None, *, factor: float = 1.0
) -> NDArray[np.float64]:
    """The Benjamini-Hochberg step-up on sorted p-values: the one implementation of its arithmetic.

    ``p`` ascends within each family (NaN last); ``run`` numbers the families, contiguous and
    non-decreasing (``None``: one family of finite p). Returns, in the same order,
    ``min(1, min_{j >= k} factor * p_(j) * m / j)`` with ``m`` the family's number of non-NaN p
    and ``k`` the rank within the family; NaN stays NaN. ``factor`` is 1 for BH and
    ``sum_{i <= m} 1 / i`` for Benjamini-Yekutieli (one family only).
    """
    x = p * factor  # exact for factor 1
    if run is None:
        # running minimum from the largest p down. Two scans, so each caller keeps its bits:
        # on a tie of -0.0 and 0.0 numpy's keeps the later value, groupby's cummin the earlier
        return _step_up_rows(x[None, :], np.array([p.size])).ravel()
    else:
        new = np.ones(p.size, dtype=bool)
        new[1:] = run[1:] != run[:-1]
        starts = np.flatnonzero(new)
        gid = np.cumsum(new) - 1
        m = np.bincount(gid[~np.isnan(p)], minlength=starts.size)[gid]
        k = np.arange(p.size) - starts[gid] + 1
        scaled = (x * m / k)[::-1]  # running minimum from the largest p down, per family
        q = pd.Series(scaled).groupby(gid[::-1], sort=False).cummin().to_numpy()[::-1]
    return np.asarray(np.minimum(q, 1.0), dtype=np.float64)


def _step_up_rows(x: NDArray[np.float64], m: NDArray[np.int64]) -> NDArray[np.float64]:
    """:func:`_step_up` on a matrix, one family per row: ``x`` ascends along each row.

    Row ``i`` holds its family's ``m[i]`` finite p (times the factor) first; entries after
    them (NaN p or padding, as ``+inf``) do not lower the running minimum and are not used.
    """
    k = np.arange(1, x.shape[1] + 1)
    with np.errstate(invalid="ignore"):  # inf * 0 in a family without finite p
        scaled = x * m[:, None] / k
    q = np.minimum.accumulate(scaled[:, ::-1], axis=1)[:, ::-1]
    return np.asarray(np.minimum(q, 1.0), dtype=np.float64)


def group_rows(
    groups: NDArray[np.intp], counts: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp], int] | None:
    """Layout of values in a matrix with one row per group, for sorting all groups at once.

    Parameters
    ----------
    groups : ndarray of int
        Group code (0..G-1) of each value.
    counts : ndarray of int
        Number of values per group (``np.bincount(groups, minlength=G)``).

    Returns
    -------
    (ndarray, ndarray, int) or None
        ``by_group``, the values' stable order by group; ``slot``, where the value
        ``by_group[i]`` goes in the flattened ``G x width`` matrix (its group's row, columns
        in value order), and ``width``, the largest group. ``None`` when the matrix would be
        mostly padding (very unequal groups).

    Examples
    --------
    >>> by_group, slot, width = group_rows(np.array([1, 0, 1]), np.array([1, 2]))
    >>> by_group.tolist(), slot.tolist(), width
    ([1, 0, 2], [0, 2, 3], 2)
    """
    n_groups = counts.size
    width = int(counts.max()) if groups.size else 0
    if n_groups * width > 2 * groups.size + 4096:
        return None
    small = n_groups <= np.iinfo(np.uint16).max  # radix sort for 16-bit keys
    by_group = np.argsort(groups.astype(np.uint16) if small else groups, kind="stable")
    shift = np.arange(n_groups) * width - (np.cumsum(counts) - counts)
    slot = np.arange(groups.size) + shift[groups[by_group]]
    return by_group, slot, width


def _bh_rows(p: NDArray[np.float64], codes: NDArray[np.intp]) -> NDArray[np.float64] | None:
    """Benjamini-Hochberg within families of similar size, each family a row of a matrix.

    Each family's p-values fill one row (NaN and padding as ``+inf``, so they sort last), all
    rows are sorted at once and stepped up by :func:`_step_up_rows`. Tied p-values get the
    same q whatever their order (the running minimum reaches the last of them first), so
    the sort need not be stable; ``-0.0`` (whose q could take the sign of a tied ``0.0``)
    and very unequal family sizes are left to the caller (``None``).
    """
    if np.any(np.signbit(p) & (p == 0)):
        return None
    counts = np.bincount(codes)
    layout = group_rows(codes, counts)
    if layout is None:
        return None
    by_group, slot, width = layout
    nan = np.isnan(p)
    rows = np.full((counts.size, width), np.inf)
    rows.ravel()[slot] = np.where(nan, np.inf, p)[by_group]
    within = np.argsort(rows, axis=1)
    m = np.bincount(codes[~nan], minlength=counts.size)
    q = _step_up_rows(np.take_along_axis(rows, within, axis=1), m)
    within += (np.cumsum(counts) - counts)[:, None]  # position in by_group
    used = np.arange(width) < m[:, None]  # the finite p: NaN and padding sort after them
    out = np.empty(p.size)
    out[by_group[within[used]]] = q[used]
    out[nan] = np.nan
    return out


def _one_family(p: NDArray[np.float64], factor: float = 1.0) -> NDArray[np.float64]:
    """Step-up adjustment of finite p-values forming one family, in their order."""
    order = np.argsort(p, kind="stable")
    out = np.empty(p.size)
    out[order] = _step_up(p[order], factor=factor)
    return out


def _bh(p: NDArray[np.float64]) -> NDArray[np.float64]:
    return _one_family(p)


def _by(p: NDArray[np.float64]) -> NDArray[np.float64]:
    return _one_family(p, float(np.sum(1.0 / np.arange(1, p.size + 1))))


def _check_range(p: NDArray[np.float64]) -> None:
    bad = p[(p < 0) | (p > 1)]
    if bad.size:
        shown = ", ".join(f"{v:g}" for v in bad[:5]) + (" ..." if bad.size > 5 else "")
        raise ConfigError(
            f"{bad.size} p-value(s) outside [0, 1] ({shown}); expected probabilities in "
            "[0, 1], NaN for a test that was not done"
        )


def _as_floats(p: object) -> NDArray[np.float64]:
    """``p`` as a float array; ``None``, NaN and ``pd.NA`` become NaN."""
    if isinstance(p, pd.DataFrame):
        raise ConfigError(
            "adjust_pvalues: p is a DataFrame, and which p-values form a family is not "
            "clear; pass one column (df[name]), df.apply(adjust_pvalues) for a family per "
            "column, or df.to_numpy() for one family of all values"
        )
    # pd.NA (a list from a nullable column), text or a ragged list: read cell by cell below
    with contextlib.suppress(TypeError, ValueError):
        return np.asarray(p, dtype=np.float64)
    expected = (
        "expected numbers in [0, 1] (NaN, None or pd.NA for a missing test) as a list, "
        "array or Series"
    )
    try:
        cells = np.asarray(p, dtype=object)
    except ValueError as exc:  # arrays of different shapes in a list, say
        raise ConfigError(f"adjust_pvalues: p is a ragged nested list; {expected}") from exc
    missing = np.asarray(pd.isna(cells), dtype=bool)
    try:
        return np.where(missing, np.nan, cells).astype(np.float64)
    except (TypeError, ValueError) as exc:
        shown = next(v for v in cells[~missing].ravel() if not _reads_as_float(v))
        raise ConfigError(f"adjust_pvalues: p holds {shown!r}, not a p-value; {expected}") from exc


def _reads_as_float(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


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


#: the top of qvalue's default lambda grid: without a p-value there, pi0 is not estimated
STOREY_TOP_LAMBDA = 0.95


def rescue_p(p_two_sided: NDArray[np.float64], t: NDArray[np.float64]) -> NDArray[np.float64]:
    """The one-sided rescue p-value (t > 0) from a two-sided one and the sign of its t.

    ``p/2`` where ``t > 0``, else ``1 - p/2`` (NaN stays NaN).

    Examples
    --------
    >>> rescue_p(np.array([0.02, 0.02, np.nan]), np.array([3.0, -3.0, 1.0])).tolist()
    [0.01, 0.99, nan]
    """
    return np.where(t > 0, p_two_sided / 2, 1 - p_two_sided / 2)


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


@overload
def adjust_pvalues(p: pd.Series, method: str = "bh") -> pd.Series: ...


@overload
def adjust_pvalues(p: ArrayLike, method: str = "bh") -> NDArray[np.float64]: ...


def adjust_pvalues(p: ArrayLike | pd.Series, method: str = "bh") -> NDArray[np.float64] | pd.Series:
    """Adjust p-values for multiple testing; NaN stays NaN and does not count.

    Parameters
    ----------
    p : array_like or pandas.Series
        p-values in [0, 1]; NaN (or ``None``, ``pd.NA``) for tests that could not be done.
        All values form one family, whatever the shape (as R ``p.adjust`` on a matrix); a
        DataFrame is refused (a family per column: ``df.apply(adjust_pvalues)``).
    method : {"bh", "by", "holm", "bonferroni", "hommel", "storey"}
        Benjamini-Hochberg (default), Benjamini-Yekutieli, Holm, Bonferroni, Hommel, or
        Storey q-values (``pi0`` from qvalue's default smoother, df = 3; ``pi0 = 1``, i.e.
        BH, with fewer than 20 p-values, and with a warning where R qvalue stops: no
        p-value at or above 0.95, the top of its lambda grid, or an estimate <= 0).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values (q-values), same shape as ``p`` (a Series for a Series, with its
        index and name); ``q >= p`` elementwise, except for Storey q-values: ``pi0`` times
        the BH values, so with ``pi0 < 1`` a q-value can lie below its p-value (as in R
        qvalue).

    Raises
    ------
    ConfigError
        Unknown method, p-values outside [0, 1] or not numbers, or a DataFrame.

    References
    ----------
    Benjamini Y, Hochberg Y (1995) JRSS-B 57:289-300. Benjamini Y, Yekutieli D (2001) Ann
    Stat 29:1165-1188. Holm S (1979) Scand J Stat 6:65-70. Hommel G (1988) Biometrika
    75:383-386. Storey JD, Tibshirani R (2003) PNAS 100:9440-9445.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    >>> adjust_pvalues(pd.Series([0.01, 0.04], index=["HGF", "EGF"]), method="holm")
    HGF    0.02
    EGF    0.04
    dtype: float64
    """
    if method not in ADJUST_METHODS:
        raise ConfigError(
            f"unknown p-value adjustment {method!r}; expected one of {', '.join(ADJUST_METHODS)}"
        )
    arr = _as_floats(p)
    flat = arr.ravel()
    ok = ~np.isnan(flat)
    vals = flat[ok]
    _check_range(vals)
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
            pi0 = 1.0
            if vals.size >= 20 and vals.max() < STOREY_TOP_LAMBDA:
                # no p-value in the top tuning bin: the spline runs to 0 there and pi0
                # comes out far too small (p = 0.01..0.94 gave 0.37); R qvalue stops
                warn(
                    f"Storey pi0 not estimated: no p-value reaches {STOREY_TOP_LAMBDA} (the "
                    "top of qvalue's lambda grid, where R qvalue stops); using pi0 = 1 (BH)"
                )
            elif vals.size >= 20:
                pi0 = storey_pi0(vals)
                if pi0 <= 0:  # R qvalue stops here and recommends pi0 = 1; we use it (BH)
                    warn(f"Storey pi0 estimate {pi0:.3g} <= 0; using pi0 = 1 (BH)")
                    pi0 = 1.0
            adj = pi0 * _bh(vals)
        out[ok] = adj
    if isinstance(p, pd.Series):
        return pd.Series(out, index=p.index, name=p.name)
    return out.reshape(arr.shape)


def bh_grouped(p: ArrayLike, group: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg q-values within each group, all groups at once; NaN stays NaN.

    Parameters
    ----------
    p : array_like
        1-D p-values in [0, 1]; NaN for tests that could not be done (not counted in ``m``).
    group : array_like
        Family of each p-value (any hashable values; missing values form one family), same
        length as ``p``. Rows may come in any order.

    Returns
    -------
    numpy.ndarray
        q-values in the order of ``p``: for each group ``g``, bit for bit
        ``adjust_pvalues(p[group == g], method="bh")``, i.e. R
        ``p.adjust(p[group == g], method = "BH")`` (only the sign of a zero q can differ, in a
        group holding both ``-0.0`` and ``0.0`` p-values).

    Raises
    ------
    ConfigError
        ``p`` not 1-D, lengths differ, or p-values outside [0, 1].

    Notes
    -----
    Rows already sorted by group and then p (NaN last), as ranking code produces them, are
    adjusted as they come. Otherwise, with groups of similar size, each group's p-values
    are a row of one matrix, all rows sorted and stepped up at once (``np.minimum.accumulate``
    along the rows); with very unequal groups they are sorted once (``np.lexsort``) and the
    running minimum per group is one pandas ``groupby().cummin()``. No Python loop per group.

    Examples
    --------
    >>> bh_grouped([0.04, 0.5, 0.01, float("nan"), 0.03], ["a", "b", "a", "b", "a"]).tolist()
    [0.04, 0.5, 0.03, nan, 0.04]
    """
    parr = np.asarray(p, dtype=np.float64)
    garr = np.asarray(group)
    if parr.ndim != 1 or garr.shape != parr.shape:
        raise ConfigError(
            f"bh_grouped: p has shape {parr.shape} and group {garr.shape}; expected two 1-D "
            "arrays of the same length"
        )
    _check_range(parr[~np.isnan(parr)])
    if garr.dtype.kind in "iu" and garr.size and 0 <= garr.min() and garr.max() <= 2 * garr.size:
        codes = garr.astype(np.intp, copy=False)  # small codes already: any numbering will do
    else:
        codes = np.asarray(pd.factorize(garr, use_na_sentinel=False)[0], dtype=np.intp)
    same = codes[1:] == codes[:-1]
    ascending = (parr[:-1] <= parr[1:]) | np.isnan(parr[1:])
    if np.all(same | (codes[1:] > codes[:-1])) and np.all(~same | ascending):
        return _step_up(parr, codes)
    out_rows = _bh_rows(parr, codes)
    if out_rows is not None:
        return out_rows
    order = np.lexsort((parr, codes))  # stable; NaN last within each group
    out = np.empty(parr.size)
    out[order] = _step_up(parr[order], codes[order])
    return out
