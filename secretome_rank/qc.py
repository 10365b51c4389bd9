"""Per-plate quality control and a pass/warn/fail verdict with its reasons.

Z' factors, control CVs, signal window, replicate agreement, edge effects, left/right
gradients and row/column patterns.

All metrics are computed for every plate at once with grouped pandas aggregations.

References
----------
Zhang JH, Chung TDY, Oldenburg KR (1999). A simple statistical parameter for use in
evaluation and validation of high throughput screening assays. J Biomol Screen 4:67-73.
doi:10.1177/108705719900400206 (Z').
Iversen PW et al. (2006). A comparison of assay performance measures in screening assays:
signal window, Z' factor, and assay variability ratio. J Biomol Screen 11:247-252.
doi:10.1177/1087057105285610 (signal window).
Birmingham A et al. (2009). Statistical methods for analysis of high-throughput RNA
interference screens. Nat Methods 6:569-575. doi:10.1038/nmeth.1351 (robust Z').
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from secretome_rank import columns as C
from secretome_rank.layout import FORMATS, format_for

__all__ = ["QC_THRESHOLDS", "plate_qc"]

MAD_SCALE = 1.4826
#: control wells of each type needed for Z', CVs and the signal window
MIN_CONTROLS = 3

#: thresholds of the verdict (documented in docs/formulas.md)
QC_THRESHOLDS = {
    "fail_robust_z_prime": 0.0,
    "warn_robust_z_prime": 0.5,
    "warn_edge_log2": 0.2,
    "warn_gradient_log2": 0.3,
    "warn_spatial_p": 1e-3,
    "warn_spatial_r2": 0.1,
    "warn_replicate_r": 0.0,
}


def _role_stats(scored: pd.DataFrame, role: str) -> pd.DataFrame:
    sel = (scored[C.ROLE] == role) & scored[C.VALUE].notna()
    v = scored.loc[sel, C.VALUE]
    g = v.groupby(scored.loc[sel, C.PLATE])
    med = g.transform("median")
    out = pd.DataFrame(
        {
            "n": g.size(),
            "mean": g.mean(),
            "sd": g.std(ddof=1),
            "median": g.median(),
            "mad": (v - med).abs().groupby(scored.loc[sel, C.PLATE]).median() * MAD_SCALE,
        }
    )
    return out


def _edge_difference(scored: pd.DataFrame, role: str) -> pd.Series:
    """log2(median of ``role`` wells on the outer ring / median of the inner ones) per plate."""
    sel = (scored[C.ROLE] == role) & scored[C.VALUE].notna() & scored[C.ROW].notna()
    if not sel.any():
        return pd.Series(dtype=float)
    sub = scored.loc[sel]
    fmt = format_for(int(scored[C.ROW].max()), int(scored[C.COL].max())) or FORMATS[1536]
    n_rows, n_cols = fmt.n_rows, fmt.n_cols
    edge = (sub[C.ROW] == 1) | (sub[C.ROW] == n_rows) | (sub[C.COL] == 1) | (sub[C.COL] == n_cols)
    med = sub.groupby([sub[C.PLATE], edge.rename("edge")])[C.VALUE].median().unstack()
    if True not in med.columns or False not in med.columns:
        return pd.Series(np.nan, index=med.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a ufunc on a Series returns a Series; numpy's stubs say ndarray
        return cast(pd.Series, np.log2(med[True] / med[False]))


def _control_gradient(scored: pd.DataFrame) -> pd.Series:
    """log2(median of control wells in the right half / left half of the plate), per plate.

    Controls in columns 1-2 and 23-24 should read alike; a left/right incubation or reader
    gradient shows up here. Only a control type present on both sides is compared (with
    itself), e.g. DMSO on the left and PBS on the right when both are vehicle controls.
    """
    sel = (
        scored[C.ROLE].isin([C.DRUG_CONTROL, C.VEHICLE_CONTROL])
        & scored[C.VALUE].gt(0)
        & scored[C.COL].notna()
    )
    if not sel.any():
        return pd.Series(dtype=float)
    sub = scored.loc[sel, [C.PLATE, C.ROLE, C.COL, C.VALUE]]
    fmt = format_for(int(scored[C.ROW].max()), int(scored[C.COL].max())) or FORMATS[1536]
    right = (sub[C.COL] > fmt.n_cols / 2).rename("right")
    y = cast(pd.Series, np.log2(sub[C.VALUE].astype(float)))  # a Series, as above
    med = y.groupby([sub[C.PLATE], sub[C.ROLE], right], observed=True).median().unstack()
    if True not in med.columns or False not in med.columns:
        return pd.Series(dtype=float)
    diff = (med[True] - med[False]).dropna()
    return diff.groupby(level=0, observed=True).mean()


def _codes(col: pd.Series) -> tuple[NDArray[np.intp], pd.Index]:
    """Integer codes (-1 for missing) and the distinct values of a key column."""
    codes, uniques = pd.factorize(col)
    return codes.astype(np.intp), pd.Index(uniques)


def _spatial(scored: pd.DataFrame, by: str) -> pd.DataFrame:
    """One-way ANOVA of sample log2 values on row (or column) per plate: F p-value and R^2."""
    sel = ((scored[C.ROLE] == C.SAMPLE) & scored[C.VALUE].gt(0) & scored[by].notna()).to_numpy()
    if not sel.any():
        return pd.DataFrame(columns=["p", "r2"])
    plate, plates = _codes(scored.loc[sel, C.PLATE])
    g = scored.loc[sel, by].to_numpy(dtype=np.intp)
    y = np.log2(scored.loc[sel, C.VALUE].to_numpy(dtype=float))
    n_p = len(plates)
    cell = plate * (int(g.max()) + 1) + g  # one code per plate x row (or column)
    n_cell = np.bincount(cell, minlength=n_p * (int(g.max()) + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        gm = (np.bincount(cell, weights=y, minlength=n_cell.size) / n_cell)[cell]
        n = np.bincount(plate, minlength=n_p)
        pm = (np.bincount(plate, weights=y, minlength=n_p) / n)[plate]
        ss_b = np.bincount(plate, weights=(gm - pm) ** 2, minlength=n_p)
        ss_w = np.bincount(plate, weights=(y - gm) ** 2, minlength=n_p)
        k = (n_cell.reshape(n_p, -1) > 0).sum(axis=1)
        df1 = k - 1
        df2 = n - k
        f = (ss_b / df1) / (ss_w / df2)
        p = np.where(
            (df1 > 0) & (df2 > 0), special.fdtrc(np.maximum(df1, 1), np.maximum(df2, 1), f), np.nan
        )
        r2 = ss_b / (ss_b + ss_w)
    return pd.DataFrame({"p": p, "r2": r2}, index=plates)


def _replicate_r(scored: pd.DataFrame) -> pd.Series:
    """Pearson r of each plate's sample scores with the mean of their other replicates."""
    sel = ((scored[C.ROLE] == C.SAMPLE) & scored[C.TEST_VALUE].notna()).to_numpy()
    if not sel.any():
        return pd.Series(dtype=float)
    sub = scored.loc[sel]
    key = np.zeros(int(sel.sum()), dtype=np.int64)
    for col in (C.CELL_LINE, C.TREATMENT, C.PROTEIN):
        codes, uniques = _codes(sub[col])
        key = key * (len(uniques) + 1) + codes + 1
    protein, _ = pd.factorize(key)  # one code per protein x context
    x = sub[C.TEST_VALUE].to_numpy(dtype=float)
    s = np.bincount(protein, weights=x)[protein]
    n = np.bincount(protein)[protein]
    keep = n > 1
    if not keep.any():
        return pd.Series(dtype=float)
    y = ((s - x) / np.maximum(n - 1, 1))[keep]
    x = x[keep]
    plate_all, plates = _codes(sub[C.PLATE])
    plate = plate_all[keep]

    def total(w: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.bincount(plate, weights=w, minlength=len(plates)).astype(np.float64)

    m = np.bincount(plate, minlength=len(plates)).astype(float)
    sx, sy = total(x), total(y)
    cov = total(x * y) - sx * sy / m
    vx = total(x * x) - sx**2 / m
    vy = total(y * y) - sy**2 / m
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cov / np.sqrt(vx * vy)
    return pd.Series(np.where(m >= 3, r, np.nan), index=plates)


def plate_qc(scored: pd.DataFrame, params: pd.DataFrame) -> pd.DataFrame:
    """QC table, one row per plate.

    Parameters
    ----------
    scored : pandas.DataFrame
        Normalised wells.
    params : pandas.DataFrame
        Plate parameters from :func:`secretome_rank.normalize.normalize_plates`.

    Returns
    -------
    pandas.DataFrame
        ``plate, cell_line, treatment, arm, n_samples, n_drug_controls, n_vehicle_controls,
        n_missing, drug_median, vehicle_median, robust_z_prime`` (1 - 3 (MAD_v + MAD_d) /
        |med_v - med_d|, MADs scaled by 1.4826), ``z_prime`` (1 - 3 (sd_v + sd_d) /
        |mean_v - mean_d|), ``cv_drug_pct, cv_vehicle_pct, signal_window`` ((|mean_v -
        mean_d| - 3 (sd_v + sd_d)) / sd_v), ``edge_vs_centre_log2`` (outer-ring vs inner
        controls), ``bulk_offset_log2`` (library median vs drug controls), ``replicate_r``,
        ``row_p, row_r2, col_p, col_r2`` (one-way ANOVA of sample log2 values), ``norm_method,
        verdict, reason``.
    """
    q = params.set_index(C.PLATE)
    out = q[
        [C.CELL_LINE, C.TREATMENT, C.ARM, "n_samples", "n_drug_controls", "n_vehicle_controls"]
    ].copy()
    out["n_missing"] = (
        scored[C.VALUE]
        .isna()
        .groupby(scored[C.PLATE])
        .sum()
        .reindex(out.index)
        .fillna(0)
        .astype(int)
    )
    d = _role_stats(scored, C.DRUG_CONTROL).reindex(out.index)
    v = _role_stats(scored, C.VEHICLE_CONTROL).reindex(out.index)
    # spreads from fewer than MIN_CONTROLS wells are not estimates: Z' etc. stay missing
    few = (d["n"].fillna(0) < MIN_CONTROLS) | (v["n"].fillna(0) < MIN_CONTROLS)
    d.loc[few, ["sd", "mad"]] = np.nan
    v.loc[few, ["sd", "mad"]] = np.nan
    out["drug_median"] = d["median"]
    out["vehicle_median"] = v["median"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["robust_z_prime"] = 1 - 3 * (v["mad"] + d["mad"]) / (v["median"] - d["median"]).abs()
        out["z_prime"] = 1 - 3 * (v["sd"] + d["sd"]) / (v["mean"] - d["mean"]).abs()
        out["cv_drug_pct"] = 100 * d["sd"] / d["mean"]
        out["cv_vehicle_pct"] = 100 * v["sd"] / v["mean"]
        out["signal_window"] = ((v["mean"] - d["mean"]).abs() - 3 * (v["sd"] + d["sd"])) / v["sd"]
    has_pos = scored[C.ROW].notna().any()
    if has_pos:
        edge = _edge_difference(scored, C.DRUG_CONTROL)
        edge_v = _edge_difference(scored, C.VEHICLE_CONTROL)
        out["edge_vs_centre_log2"] = edge.reindex(out.index).fillna(edge_v.reindex(out.index))
        out["control_gradient_log2"] = _control_gradient(scored).reindex(out.index)
        rows = _spatial(scored, C.ROW).reindex(out.index)
        cols = _spatial(scored, C.COL).reindex(out.index)
    else:
        out["edge_vs_centre_log2"] = np.nan
        out["control_gradient_log2"] = np.nan
        rows = cols = pd.DataFrame(np.nan, index=out.index, columns=["p", "r2"])
    out["bulk_offset_log2"] = q["bulk_offset_log2"]
    out["replicate_r"] = _replicate_r(scored).reindex(out.index)
    out["row_p"], out["row_r2"] = rows["p"], rows["r2"]
    out["col_p"], out["col_r2"] = cols["p"], cols["r2"]
    out["norm_method"] = q["norm_method"]
    out[[C.VERDICT, C.REASON]] = _verdicts(out)
    return out.reset_index()


def _verdicts(qc: pd.DataFrame) -> pd.DataFrame:
    t = QC_THRESHOLDS
    fail: list[tuple[pd.Series, str]] = [
        (qc["n_samples"] == 0, "no sample readings"),
        (
            qc["robust_z_prime"] < t["fail_robust_z_prime"],
            "controls do not separate (robust Z' < 0)",
        ),
    ]
    warn: list[tuple[pd.Series, str]] = [
        (
            qc["robust_z_prime"].between(
                t["fail_robust_z_prime"], t["warn_robust_z_prime"], inclusive="left"
            ),
            "weak control separation (robust Z' < 0.5)",
        ),
        (
            qc["robust_z_prime"].isna() & (qc["n_samples"] > 0),
            "Z' not available (fewer than 3 wells of drug or vehicle control)",
        ),
        (
            qc["edge_vs_centre_log2"].abs() > t["warn_edge_log2"],
            "edge effect: outer-ring controls differ from inner controls by > 15 %",
        ),
        (
            qc["control_gradient_log2"].abs() > t["warn_gradient_log2"],
            "left/right gradient: controls in the right half differ from the left half by > 23 %",
        ),
        (
            ((qc["row_p"] < t["warn_spatial_p"]) & (qc["row_r2"] >= t["warn_spatial_r2"]))
            | ((qc["col_p"] < t["warn_spatial_p"]) & (qc["col_r2"] >= t["warn_spatial_r2"])),
            "row/column pattern in sample wells (consider --spatial bscore)",
        ),
        (qc["replicate_r"] < t["warn_replicate_r"], "replicates disagree (r < 0)"),
        (
            qc["norm_method"] == "sample_median",
            "no anchoring controls: scored against library median",
        ),
    ]
    verdict = pd.Series(C.PASS, index=qc.index, dtype=object)
    reason = pd.Series("", index=qc.index, dtype=object)
    for cond, text in warn:
        m = cond.fillna(False).astype(bool)
        reason[m] = np.where(reason[m] == "", text, reason[m] + "; " + text)
        verdict[m] = C.WARN
    fail_reason = pd.Series("", index=qc.index, dtype=object)
    for cond, text in fail:
        m = cond.fillna(False).astype(bool)
        fail_reason[m] = np.where(fail_reason[m] == "", text, fail_reason[m] + "; " + text)
    failed = fail_reason != ""
    verdict[failed] = C.FAIL
    reason[failed] = np.where(
        reason[failed] == "", fail_reason[failed], fail_reason[failed] + "; " + reason[failed]
    )
    reason[reason == ""] = "ok"
    return pd.DataFrame({C.VERDICT: verdict, C.REASON: reason})
