"""Per-protein statistics per context: effect sizes, test, p-values, FDR, hit calls.

Runner around the kernels in :mod:`secretome_rank.moderated`: groups the drug-arm sample
wells by (cell_line, treatment, protein) with vectorised pandas aggregations and runs one
empirical-Bayes fit per context (the library of one context shares the variance prior).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import special

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError
from secretome_rank.moderated import moderated_t, t_sf
from secretome_rank.multitest import adjust_pvalues

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
        "SSMD >= --ssmd-threshold",
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
    """N (non-missing), mean and variance (ddof=1) of ``values`` per group, vectorised."""
    frame = pd.DataFrame({"v": values.to_numpy()})
    for i, k in enumerate(keys):
        frame[f"k{i}"] = k.to_numpy()
    frame["v2"] = frame["v"] ** 2
    g = frame.groupby([f"k{i}" for i in range(len(keys))], sort=False, dropna=False)
    agg = g.agg(n=("v", "count"), s=("v", "sum"), s2=("v2", "sum"))
    n = agg["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = agg["s"].to_numpy() / n
        var = (agg["s2"].to_numpy() - n * mean**2) / (n - 1)
    var = np.where(n > 1, np.maximum(var, 0.0), np.nan)
    return pd.DataFrame({"n": n.astype(int), "mean": mean, "var": var}, index=agg.index)


def _welch(
    m1: np.ndarray, v1: np.ndarray, n1: np.ndarray, m2: float, v2: float, n2: float
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
    drug = scored[scored[C.ARM] == C.ARM_DRUG]
    samples = drug[drug[C.ROLE] == C.SAMPLE]
    keys = [samples[k] for k in KEY]
    tv = group_stats(samples[C.TEST_VALUE], keys)
    lr = group_stats(samples[C.LOG2_RATIO], keys)
    res = pd.DataFrame(index=tv.index)
    res["n_wells"] = samples.groupby(KEY, sort=False).size().reindex(res.index).to_numpy()
    res[C.N_REPLICATES] = tv["n"]
    res[C.RESCUE_PCT] = samples.groupby(KEY, sort=False)[C.RESCUE_PCT].mean().reindex(res.index)
    res[C.LOG2_FC] = lr["mean"]
    res = res.reset_index()
    res.columns = [*KEY, *res.columns[3:]]

    # drug controls per context (log2 ratio scale) for SSMD and Welch
    dc = drug[drug[C.ROLE] == C.DRUG_CONTROL]
    ctrl = group_stats(dc[C.LOG2_RATIO], [dc[C.CELL_LINE], dc[C.TREATMENT]])
    ctx = pd.MultiIndex.from_frame(res[[C.CELL_LINE, C.TREATMENT]])
    cm = ctrl["mean"].reindex(ctx).to_numpy()
    cv = ctrl["var"].reindex(ctx).to_numpy()
    cn = ctrl["n"].reindex(ctx).to_numpy(dtype=float)
    var_p = lr["var"].to_numpy()
    ctx_codes = context_codes(res)
    med_var = pd.Series(var_p).groupby(ctx_codes).transform("median").to_numpy()
    var_p_ssmd = np.where(np.isnan(var_p), med_var, var_p)
    with np.errstate(invalid="ignore", divide="ignore"):
        res[C.SSMD] = (res[C.LOG2_FC].to_numpy() - cm) / np.sqrt(var_p_ssmd + cv)

    t = np.full(len(res), np.nan)
    df = np.full(len(res), np.nan)
    s2_prior = np.full(len(res), np.nan)
    df_prior = np.full(len(res), np.nan)
    if test == "moderated":
        n = tv["n"].to_numpy(dtype=float)
        sel = n > 0
        if sel.any():
            fit = moderated_t(
                tv["mean"].to_numpy()[sel],
                1 / np.sqrt(n[sel]),
                tv["var"].to_numpy()[sel],
                n[sel] - 1,
                groups=pd.factorize(ctx_codes[sel])[0],
            )
            t[sel], df[sel] = fit.t, fit.df_total
            s2_prior[sel], df_prior[sel] = fit.s2_prior, fit.df_prior
    elif test == "welch":
        t, df = _welch(res[C.LOG2_FC].to_numpy(), var_p, lr["n"].to_numpy(float), cm, cv, cn)
    elif test == "robust_z":
        plate_s = samples[C.TEST_VALUE]
        med = plate_s.groupby(samples[C.PLATE]).transform("median")
        mad = (plate_s - med).abs().groupby(samples[C.PLATE]).transform("median") * 1.4826
        z = group_stats((plate_s - med) / mad, keys)
        t = z["mean"].to_numpy() * np.sqrt(z["n"].to_numpy(dtype=float))
        t = np.where(z["n"].to_numpy() > 0, t, np.nan)
    res[C.T] = t
    res[C.DF] = df
    if test == "moderated" or test == "welch":
        with np.errstate(invalid="ignore"):
            p = t_sf(t, df) if alternative == "greater" else 2 * t_sf(np.abs(t), df)
    elif test == "robust_z":
        p = special.ndtr(-t) if alternative == "greater" else 2 * special.ndtr(-np.abs(t))
    else:
        p = np.full(len(res), np.nan)
    res[C.P_VALUE] = np.minimum(p, 1.0)
    res[C.Q_VALUE] = adjust_by_group(res[C.P_VALUE].to_numpy(), ctx_codes, method=adjust)
    res["s2_prior"] = s2_prior
    res["df_prior"] = df_prior
    return res


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
    out = stats_table.copy()
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
    out[C.DIRECTION] = np.where(up, C.UP, np.where(down, C.DOWN, C.NONE))
    return out
