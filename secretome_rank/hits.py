"""Per-protein statistics per context: effect sizes, test, p-values, FDR, hit calls.

Runner around the kernels in :mod:`secretome_rank.moderated`: groups the drug-arm sample
wells by (cell_line, treatment, protein) and runs one empirical-Bayes fit per context (the
library of one context shares the variance prior), all contexts vectorised together.

Grouping works on integer codes: each key column is coded once (a categorical column's own
codes), the codes combine into one id per well, and sums per group come from one pandas
groupby over those ids, so the arithmetic (pandas' compensated summation, in row order) is
that of grouping by the text keys, without hashing or building strings per row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError
from secretome_rank.moderated import group_median, moderate, t_sf
from secretome_rank.multitest import adjust_pvalues, bh_grouped

__all__ = [
    "TESTS",
    "Alternative",
    "TestMethod",
    "adjust_by_group",
    "call_hits",
    "context_codes",
    "group_stats",
    "protein_stats",
]

logger = logging.getLogger(__name__)

TestMethod = Literal["moderated", "welch", "ssmd", "robust_z"]
Alternative = Literal["greater", "two-sided"]


@dataclass(frozen=True)
class TestInfo:
    """Registry entry of a per-protein test."""

    name: str
    description: str
    reference: str


TESTS: dict[str, TestInfo] = {
    "moderated": TestInfo(
        "moderated",
        "limma-style moderated t of test_value against 0 (empirical Bayes variance prior per "
        "context)",
        "Smyth 2004, doi:10.2202/1544-6115.1027",
    ),
    "welch": TestInfo(
        "welch",
        "Welch two-sample t of the protein's log2_ratio wells against the context's drug controls",
        "Welch 1947, doi:10.1093/biomet/34.1-2.28",
    ),
    "ssmd": TestInfo(
        "ssmd",
        "strictly standardised mean difference against drug controls; no p-value, hit when "
        "SSMD >= ssmd_threshold (3; rank_screen(ssmd_threshold=...))",
        "Zhang 2007, doi:10.1016/j.ygeno.2007.01.005",
    ),
    "robust_z": TestInfo(
        "robust_z",
        "per-well robust z of test_value (plate median/MAD of samples), averaged over "
        "replicates; p from the Stouffer sum",
        "Malo et al. 2006, doi:10.1038/nbt1186",
    ),
}

KEY = [C.CELL_LINE, C.TREATMENT, C.PROTEIN]


def group_stats(values: pd.Series, keys: list[pd.Series]) -> pd.DataFrame:
    """N (non-missing), mean and variance (ddof=1) of ``values`` per group, vectorised.

    The variance comes from the deviations from each group's first value (the shifted-data
    algorithm): sums of squares of the raw values would cancel most of their digits when
    the values lie far from 0 relative to their spread (1e4 with an SD of 0.01 lost 3 of
    them against R limma; fixtures/reference/limma_offset_*).
    """
    frame = pd.DataFrame({"v": values.to_numpy()})
    for i, k in enumerate(keys):
        frame[f"k{i}"] = k.to_numpy()
    by = [f"k{i}" for i in range(len(keys))]
    # deviations from the group's first value: sums of squares without cancellation
    frame["d"] = frame["v"] - frame.groupby(by, sort=False, dropna=False)["v"].transform("first")
    frame["d2"] = frame["d"] ** 2
    g = frame.groupby(by, sort=False, dropna=False)
    agg = g.agg(n=("v", "count"), s=("v", "sum"), sd=("d", "sum"), sd2=("d2", "sum"))
    n = agg["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = agg["s"].to_numpy() / n
        var = _shifted_variance(agg["sd"].to_numpy(), agg["sd2"].to_numpy(), n)
    return pd.DataFrame({"n": n.astype(int), "mean": mean, "var": var}, index=agg.index)


def is_value(col: pd.Series, value: str) -> NDArray[np.bool_]:
    """``col == value`` as a numpy bool array (missing values are False)."""
    return np.asarray((col == value).to_numpy(dtype=bool, na_value=False))


def text_array(choices: list[str], codes: NDArray[np.intp]) -> pd.api.extensions.ExtensionArray:
    """``choices[codes]`` as a pandas ``str`` array (no per-row string conversion)."""
    return pd.array(choices, dtype="str").take(codes)


def key_codes(
    col: pd.Series, rows: NDArray[np.intp] | None = None
) -> tuple[NDArray[np.int64], pd.Index]:
    """Integer code of each value of a key column, and the distinct values the codes index.

    Categorical columns reuse their codes (no hashing of strings). A missing value gets the
    code ``len(levels)``; :func:`encode_keys` uses ``len(levels) + 1`` for values not in
    ``levels``, so codes combine with ``size = len(levels) + 2``. With ``rows``, the codes
    of those rows only (the same codes, without full-length temporaries).
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        raw = col.cat.codes.to_numpy()
        levels = col.cat.categories
    else:
        raw, uniques = pd.factorize(col)
        levels = pd.Index(uniques)
    codes = (raw if rows is None else raw[rows]).astype(np.int64)
    codes[codes < 0] = len(levels)
    return codes, levels


def encode_keys(col: pd.Series, levels: pd.Index) -> NDArray[np.int64]:
    """Codes of ``col`` in the code space of ``levels`` (from :func:`key_codes`)."""
    raw, uniques = pd.factorize(col)
    known = levels.get_indexer(pd.Index(uniques))
    lookup = np.append(np.where(known < 0, len(levels) + 1, known), len(levels))
    return lookup[raw].astype(np.int64)


def combine_codes(
    codes: list[NDArray[np.int64]], sizes: list[int]
) -> tuple[NDArray[np.int64], int]:
    """One integer id per row for its combination of key codes, and the id range.

    Equal combinations get equal ids (``0 <= id < size``); ids are renumbered (hashed) only
    when the product of the sizes would be far larger than the number of rows.
    """
    ids, size = codes[0], sizes[0]
    for c, k in zip(codes[1:], sizes[1:], strict=True):
        ids = ids * k + c
        size *= k
        if size > 4 * ids.size + (1 << 20):
            ids, uniques = pd.factorize(ids)
            size = len(uniques)
    return ids, size


def first_appearance(
    ids: NDArray[np.int64], size: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Group number of each row in order of first appearance (pandas ``sort=False``).

    Returns
    -------
    (ndarray, ndarray)
        The group of each row (0..G-1) and the position of each group's first row.
    """
    n = ids.size
    pos = np.full(size, n, dtype=np.intp)
    pos[ids[::-1]] = np.arange(n - 1, -1, -1)  # repeated ids: the last write (first row) wins
    is_first = np.zeros(n, dtype=bool)
    is_first[pos[pos < n]] = True
    first = np.flatnonzero(is_first)
    label = np.zeros(size, dtype=np.intp)
    label[ids[first]] = np.arange(first.size)
    return label[ids], first


def group_sums(
    values: NDArray[np.float64], groups: NDArray[np.intp], n_groups: int
) -> NDArray[np.float64]:
    """Sum of each column of ``values`` per group, skipping NaN (0 for an empty group).

    pandas' groupby sum on the integer labels: its compensated (Kahan) summation in row
    order gives the same bits whatever the labels, so results match grouping by the keys.
    """
    # a CategoricalIndex groups exactly as the Categorical does; pandas-stubs types only Index
    # keys (not a bare Categorical) for DataFrame.groupby
    labels = pd.CategoricalIndex(
        pd.Categorical.from_codes(groups, categories=pd.RangeIndex(n_groups), validate=False)
    )
    # no copy: pandas would store the columns apart, and sum row by row across them slower
    sums = pd.DataFrame(values, copy=False).groupby(labels, sort=True, observed=False).sum()
    return np.asarray(sums.to_numpy(dtype=float))


def moments(
    columns: list[NDArray[np.float64]],
    groups: NDArray[np.intp],
    n_groups: int,
    *,
    spread: list[bool] | None = None,
) -> list[tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]]:
    """N (non-missing, as float), mean and variance (ddof=1) per group of each column.

    The formulas and summation of :func:`group_stats` (the variance from deviations from
    each group's first value), without building group labels; group ``i`` is ``groups == i``.
    ``spread``: per column, whether its variance is wanted (default all); NaN where not.
    """
    want = [True] * len(columns) if spread is None else spread
    # each column, and where its variance is wanted, its deviations from the group's first
    # value and their squares
    parts: list[NDArray[np.float64]] = []
    for c, w in zip(columns, want, strict=True):
        parts.append(c)
        if w:
            known = np.flatnonzero(~np.isnan(c))[::-1]
            first = np.zeros(n_groups)
            first[groups[known]] = c[known]  # the last write, the group's first value, wins
            dev = c - first[groups]
            parts += [dev, np.square(dev)]
    values = np.empty((groups.size, len(parts)))
    for j, part in enumerate(parts):
        values[:, j] = part
    sums = group_sums(values, groups, n_groups)
    out = []
    j = 0
    for c, w in zip(columns, want, strict=True):
        n = np.bincount(groups, weights=~np.isnan(c), minlength=n_groups).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sums[:, j] / n
        var = np.full(n_groups, np.nan)
        if w:
            var = _shifted_variance(sums[:, j + 1], sums[:, j + 2], n)
        j += 3 if w else 1
        out.append((n, mean, var))
    return out


def _shifted_variance(
    sd: NDArray[np.float64], sd2: NDArray[np.float64], n: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Variance (ddof=1) from the sums of deviations ``sd`` and of their squares ``sd2``.

    NaN where ``n < 2``; never negative.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (sd2 - sd * (sd / n)) / (n - 1)
    return np.where(n > 1, np.maximum(var, 0.0), np.nan)


def _labels(col: pd.Series, rows: NDArray[np.intp], codes: NDArray[np.int64]) -> pd.Index:
    """Values of ``col`` at ``rows`` (codes ``codes``) as groupby labels them.

    The distinct values become an Index inferred as pandas infers group labels (``str`` for
    text), then taken per row: no string array is built row by row.
    """
    first = np.full(int(codes.max(initial=-1)) + 1, codes.size)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)  # the first row of each code wins
    present = first < codes.size
    rank = np.cumsum(present) - 1  # position of each code among the distinct codes
    level: pd.Index = pd.Index(col.iloc[rows[first[present]]].to_numpy()).infer_objects()
    return level.take(rank[codes])


def _welch(
    m1: np.ndarray,
    v1: np.ndarray,
    n1: np.ndarray,
    m2: float | np.ndarray,
    v2: float | np.ndarray,
    n2: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = v1 / n1 + v2 / n2
        t = (m1 - m2) / np.sqrt(se2)
        df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    ok = (n1 > 1) & (n2 > 1)
    return np.where(ok, t, np.nan), np.where(ok, df, np.nan)


def context_codes(table: pd.DataFrame) -> np.ndarray:
    """Integer code of each row's (cell_line, treatment) context."""
    return table.groupby([C.CELL_LINE, C.TREATMENT], sort=False, observed=True).ngroup().to_numpy()


def adjust_by_group(p: np.ndarray, groups: np.ndarray, *, method: str) -> np.ndarray:
    """Adjust p-values separately within each group (the family is the context)."""
    if method == "bh":  # the default: all groups at once
        return bh_grouped(p, groups)
    q = np.full(p.shape, np.nan)
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for idx in np.split(order, bounds):
        q[idx] = adjust_pvalues(p[idx], method=method)
    return q


def protein_stats(
    scored: pd.DataFrame,
    *,
    test: str = "moderated",
    alternative: str = "greater",
    adjust: str = "bh",
    robust: bool = False,
    sign: int = 1,
) -> pd.DataFrame:
    """Effect sizes and test per protein per drug context.

    Parameters
    ----------
    scored : pandas.DataFrame
        Normalised wells (:func:`secretome_rank.normalize.normalize_plates`).
    test : {"moderated", "welch", "ssmd", "robust_z"}
        Per-protein test (see ``TESTS``).
    alternative : {"greater", "two-sided"}
        ``greater`` tests rescue only; ``two-sided`` also finds sensitizers.
    adjust : str
        p-value adjustment within each context (:func:`secretome_rank.adjust_pvalues`).
    robust : bool
        Moderated test only: limma's robust prior (``eBayes(robust = TRUE)``), which keeps
        proteins with an outlying variance from shrinking every protein's prior df
        (:mod:`secretome_rank.robust_prior`); ``df_prior`` is then per protein.
    sign : {1, -1}
        :func:`~secretome_rank.normalize.readout_sign` of the screen: -1 where the readout
        falls with viability, so that Welch's t and SSMD (from log2 ratios) are positive for
        rescue, as the test values already are.

    Returns
    -------
    pandas.DataFrame
        One row per drug context x protein present on its plates: ``cell_line, treatment,
        protein, n_wells, n_replicates, rescue_pct`` (mean %), ``log2_fc`` (mean log2 ratio
        to drug controls), ``ssmd, t, df, p_value, q_value, s2_prior, df_prior``.
    """
    if test not in TESTS:
        raise ConfigError(f"unknown test {test!r}; expected one of {', '.join(TESTS)}")
    if alternative not in get_args(Alternative):
        raise ConfigError(
            f"unknown alternative {alternative!r}; "
            f"expected one of {', '.join(get_args(Alternative))}"
        )
    drug = is_value(scored[C.ARM], C.ARM_DRUG)
    rows = np.flatnonzero(drug & is_value(scored[C.ROLE], C.SAMPLE))
    ctrl_rows = np.flatnonzero(drug & is_value(scored[C.ROLE], C.DRUG_CONTROL))
    # one integer code per key column (of the sample rows, then the control rows), reused
    # for every grouping below
    both = np.concatenate([rows, ctrl_rows])
    codes, levels = zip(*(key_codes(scored[k], both) for k in KEY), strict=True)
    sizes = [len(lv) + 2 for lv in levels]
    ids, size = combine_codes([c[: rows.size] for c in codes], sizes)
    gid, first = first_appearance(ids, size)
    n_groups = first.size
    tv_values = scored[C.TEST_VALUE].to_numpy(dtype=float)[rows]
    (n_tv, mean_tv, var_tv), (n_lr, mean_lr, var_lr), (_, rescue, _) = moments(
        [tv_values, *(scored[k].to_numpy(dtype=float)[rows] for k in (C.LOG2_RATIO, C.RESCUE_PCT))],
        gid,
        n_groups,
        spread=[True, True, False],
    )
    n_wells = np.bincount(gid, minlength=n_groups)
    first_rows = rows[first]
    first_codes = [c[first] for c in codes]
    key_missing = np.zeros(n_groups, dtype=bool)
    for c, lv in zip(first_codes, levels, strict=True):
        key_missing |= c == len(lv)
    if key_missing.any():  # pandas' default groupby drops missing keys: no count, no mean
        n_wells = np.where(key_missing, np.nan, n_wells)
        rescue = np.where(key_missing, np.nan, rescue)
    # the result's columns, in order; one frame at the end (no column-by-column inserts)
    res: dict[str, Any] = {
        k: _labels(scored[k], first_rows, c) for k, c in zip(KEY, first_codes, strict=True)
    }
    res["n_wells"] = n_wells
    res[C.N_REPLICATES] = n_tv.astype(int)
    res[C.RESCUE_PCT] = rescue
    res[C.LOG2_FC] = mean_lr

    # contexts numbered in order of first appearance in res (as context_codes(res)); the
    # drug controls per context (log2 ratio scale) for SSMD and Welch
    ctx_ids, ctx_size = combine_codes(
        [
            np.concatenate([f, c[rows.size :]])
            for f, c in zip(first_codes[:2], codes[:2], strict=True)
        ],
        sizes[:2],
    )
    ctx_all, ctx_first = first_appearance(ctx_ids, ctx_size)
    ctx_codes = ctx_all[:n_groups]
    n_ctx = ctx_first.size
    ctrl = scored[C.LOG2_RATIO].to_numpy(dtype=float)[ctrl_rows]
    cn, cm, cv = (a[ctx_codes] for a in moments([ctrl], ctx_all[n_groups:], n_ctx)[0])
    var_p = var_lr
    med_var = group_median(var_p, ctx_codes, n_ctx)[ctx_codes]
    var_p_ssmd = np.where(np.isnan(var_p), med_var, var_p)
    with np.errstate(invalid="ignore", divide="ignore"):
        res[C.SSMD] = sign * (mean_lr - cm) / np.sqrt(var_p_ssmd + cv)

    t = np.full(n_groups, np.nan)
    df = np.full(n_groups, np.nan)
    s2_prior = np.full(n_groups, np.nan)
    df_prior = np.full(n_groups, np.nan)
    if test == "moderated":
        sel = n_tv > 0
        if sel.any():
            t[sel], df[sel], _, s2_prior[sel], df_prior[sel] = moderate(
                mean_tv[sel],
                1 / np.sqrt(n_tv[sel]),
                var_tv[sel],
                n_tv[sel] - 1,
                groups=ctx_codes[sel],
                robust=robust,
            )
            df[np.isnan(t)] = np.nan
    elif test == "welch":
        t, df = _welch(mean_lr, var_p, n_lr, cm, cv, cn)
        t = sign * t
    elif test == "robust_z":
        plate, plate_levels = key_codes(scored[C.PLATE], rows)
        n_plates = len(plate_levels) + 1
        med = group_median(tv_values, plate, n_plates)
        med[-1] = np.nan  # rows without a plate are not grouped (pandas dropna)
        dev = tv_values - med[plate]
        mad = group_median(np.abs(dev), plate, n_plates)[plate] * 1.4826
        with np.errstate(invalid="ignore", divide="ignore"):
            z = dev / mad
        n_z, mean_z, _ = moments([z], gid, n_groups, spread=[False])[0]
        t = np.where(n_z > 0, mean_z * np.sqrt(n_z), np.nan)
    res[C.T] = t
    res[C.DF] = df
    if test == "moderated" or test == "welch":
        with np.errstate(invalid="ignore"):
            p = t_sf(t, df) if alternative == "greater" else 2 * t_sf(np.abs(t), df)
    elif test == "robust_z":
        p = special.ndtr(-t) if alternative == "greater" else 2 * special.ndtr(-np.abs(t))
    else:
        p = np.full(n_groups, np.nan)
    res[C.P_VALUE] = np.minimum(p, 1.0)
    res[C.Q_VALUE] = adjust_by_group(res[C.P_VALUE], ctx_codes, method=adjust)
    res["s2_prior"] = s2_prior
    res["df_prior"] = df_prior
    return pd.DataFrame(res, copy=False)


def call_hits(
    stats_table: pd.DataFrame,
    *,
    fdr: float = 0.05,
    min_rescue: float = 20.0,
    alternative: str = "greater",
    test: str = "moderated",
    ssmd_threshold: float = 3.0,
) -> pd.DataFrame:
    """Add ``is_hit`` and ``direction``.

    A rescue hit has ``q_value <= fdr`` and ``rescue_pct >= min_rescue`` (``rescue_pct``
    missing, on plates scored without controls, counts as passing). With
    ``alternative="two-sided"``, ``t < 0``, ``q_value <= fdr`` and
    ``rescue_pct <= -min_rescue`` make a sensitizer (``direction = "down"``). With
    ``test="ssmd"`` the q condition is replaced by ``ssmd >= ssmd_threshold`` (or
    ``<= -ssmd_threshold``).
    """
    if not 0 < fdr <= 1:
        raise ConfigError(f"fdr={fdr}; expected a number in (0, 1]")
    out = stats_table.copy(deep=False)  # copy-on-write: new columns only
    r = out[C.RESCUE_PCT]
    if test == "ssmd":
        up_sig = out[C.SSMD] >= ssmd_threshold
        down_sig = out[C.SSMD] <= -ssmd_threshold
    else:
        up_sig = (out[C.Q_VALUE] <= fdr) & (out[C.T] > 0)
        down_sig = (out[C.Q_VALUE] <= fdr) & (out[C.T] < 0)
    up = up_sig & ((r >= min_rescue) | r.isna())
    down = (
        down_sig & ((r <= -min_rescue) | r.isna()) & (alternative == "two-sided" or test == "ssmd")
    )
    out[C.IS_HIT] = (up | down).fillna(False).astype(bool)
    out[C.DIRECTION] = text_array([C.UP, C.DOWN, C.NONE], np.where(up, 0, np.where(down, 1, 2)))
    return out
