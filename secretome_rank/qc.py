"""Per-plate quality control and a pass/warn/fail verdict with its reasons.

Z' factors, control CVs, signal window, replicate agreement, edge effects, left/right
gradients, row/column patterns, and the order of the controls (vehicle above drug).

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

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from secretome_rank import columns as C
from secretome_rank.hits import combine_codes, key_codes
from secretome_rank.layout import FORMATS, PlateFormat, format_for
from secretome_rank.normalize import column_codes, reads_inverted

__all__ = ["QC_THRESHOLDS", "copied_plates", "plate_qc", "spatial_pattern"]

MAD_SCALE = 1.4826
#: control wells of each type needed for Z', CVs and the signal window
MIN_CONTROLS = 3
#: readouts a plate needs before :func:`copied_plates` compares it with the others
MIN_COPY_WELLS = 16

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


@dataclass(frozen=True)
class _Wells:
    """The columns QC reads, as arrays over all wells (built once per :func:`plate_qc` call).

    ``plate`` and ``role`` are integer codes (-1 where missing) into ``plates`` and
    ``roles``; ``row`` and ``col`` are 0 where missing (``has_row``, ``has_col`` say where).
    """

    scored: pd.DataFrame
    plate: NDArray[np.intp]
    plates: pd.Index
    value: NDArray[np.float64]
    role: NDArray[np.intp]
    roles: pd.Index
    row: NDArray[np.int64]
    col: NDArray[np.int64]
    has_row: NDArray[np.bool_]
    has_col: NDArray[np.bool_]
    masks: dict[str, NDArray[np.bool_]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, scored: pd.DataFrame) -> _Wells:
        """Arrays of the columns of ``scored``."""
        plate, plates = column_codes(scored[C.PLATE])
        role, roles = column_codes(scored[C.ROLE])
        return cls(
            scored=scored,
            plate=plate,
            plates=plates,
            value=scored[C.VALUE].to_numpy(dtype=float),
            role=role,
            roles=roles,
            row=scored[C.ROW].to_numpy(dtype=np.int64, na_value=0),
            col=scored[C.COL].to_numpy(dtype=np.int64, na_value=0),
            has_row=scored[C.ROW].notna().to_numpy(),
            has_col=scored[C.COL].notna().to_numpy(),
        )

    def is_role(self, role: str) -> NDArray[np.bool_]:
        """Wells of ``role`` (on a known plate); computed once per role, not to be modified."""
        if role not in self.masks:
            if role in self.roles:
                mask = (self.role == self.roles.get_loc(role)) & (self.plate >= 0)
            else:
                mask = np.zeros(self.role.size, dtype=bool)
            self.masks[role] = np.asarray(mask)
        return self.masks[role]

    @cached_property
    def fmt(self) -> PlateFormat:
        """The smallest plate format that holds every well (1536 when none does)."""
        s = self.scored
        return format_for(int(s[C.ROW].max()), int(s[C.COL].max())) or FORMATS[1536]

    def per_plate(self, values: pd.Series, n_sub: int) -> NDArray[np.float64]:
        """Values indexed by ``plate * n_sub + sub`` as a (plates, n_sub) array, NaN if absent."""
        out = np.full(len(self.plates) * n_sub, np.nan)
        out[values.index.to_numpy(dtype=np.intp)] = values.to_numpy(dtype=float)
        return out.reshape(len(self.plates), n_sub)


def _role_stats(w: _Wells, role: str) -> pd.DataFrame:
    """Count, mean, SD, median and scaled MAD of the ``role`` wells of each plate."""
    sel = w.is_role(role) & ~np.isnan(w.value)
    plate = w.plate[sel]
    v = pd.Series(w.value[sel])
    g = v.groupby(plate)
    median = g.median()
    med = w.per_plate(median, 1)[plate, 0]  # each well's plate median
    out = pd.DataFrame(
        {
            "n": g.size(),
            "mean": g.mean(),
            "sd": g.std(ddof=1),
            "median": median,
            "mad": (v - med).abs().groupby(plate).median() * MAD_SCALE,
        }
    )
    return out.set_axis(w.plates[out.index.to_numpy(dtype=np.intp)])


def _edge_difference(w: _Wells) -> pd.Series:
    """log2(median of control wells on the outer ring / median of the inner ones) per plate.

    Drug controls; vehicle controls where the drug controls give no difference.
    """
    drug, vehicle = w.is_role(C.DRUG_CONTROL), w.is_role(C.VEHICLE_CONTROL)
    idx = np.flatnonzero((drug | vehicle) & ~np.isnan(w.value) & w.has_row)
    if not idx.size:
        return pd.Series(np.nan, index=w.plates)
    fmt = w.fmt
    row, col, has_col = w.row[idx], w.col[idx], w.has_col[idx]
    on_row = (row == 1) | (row == fmt.n_rows)
    edge = on_row | (has_col & ((col == 1) | (col == fmt.n_cols)))
    idx, edge = idx[on_row | has_col], edge[on_row | has_col]  # else on the edge is unknown
    key = (w.plate[idx] * 2 + vehicle[idx]) * 2 + edge  # plate x (drug, vehicle) x (inner, edge)
    med = w.per_plate(pd.Series(w.value[idx]).groupby(key).median(), 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.log2(med[:, 1::2] / med[:, 0::2])  # columns: drug, vehicle
    return pd.Series(np.where(np.isnan(diff[:, 0]), diff[:, 1], diff[:, 0]), index=w.plates)


def _control_gradient(w: _Wells) -> pd.Series:
    """log2(median of control wells in the right half / left half of the plate), per plate.

    Controls in columns 1-2 and 23-24 should read alike; a left/right incubation or reader
    gradient shows up here. Only a control type present on both sides is compared (with
    itself), e.g. DMSO on the left and PBS on the right when both are vehicle controls.
    """
    vehicle = w.is_role(C.VEHICLE_CONTROL)
    sel = (w.is_role(C.DRUG_CONTROL) | vehicle) & (w.value > 0) & w.has_col
    if not sel.any():
        return pd.Series(dtype=float)
    right = w.col[sel] > w.fmt.n_cols / 2
    key = (w.plate[sel] * 2 + vehicle[sel]) * 2 + right  # plate x (drug, vehicle) x (left, right)
    med = w.per_plate(pd.Series(np.log2(w.value[sel])).groupby(key).median(), 4)
    diff = (med[:, 1::2] - med[:, 0::2]).ravel()  # plate x (drug, vehicle)
    has = ~np.isnan(diff)
    per_plate = pd.Series(diff[has]).groupby(np.flatnonzero(has) // 2).mean()
    return per_plate.set_axis(w.plates[per_plate.index.to_numpy(dtype=np.intp)])


def _spatial(
    plate: NDArray[np.intp], g: NDArray[np.int64], y: NDArray[np.float64], n_p: int
) -> pd.DataFrame:
    """One-way ANOVA of ``y`` on ``g`` (row or column) per plate: F p-value and R^2.

    ``plate`` holds codes 0..``n_p``-1; the result has one row per code.
    """
    n_g = int(g.max()) + 1 if g.size else 1
    cell = plate * n_g + g  # one code per plate x row (or column)
    n_cell = np.bincount(cell, minlength=n_p * n_g)
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
    return pd.DataFrame({"p": p, "r2": r2})


def _replicate_r(w: _Wells) -> pd.Series:
    """Pearson r of each plate's sample scores with the mean of their other replicates."""
    s = w.scored
    sel = w.is_role(C.SAMPLE) & s[C.TEST_VALUE].notna().to_numpy()
    if not sel.any():
        return pd.Series(dtype=float)
    rows = np.flatnonzero(sel)
    codes, levels = zip(
        *(key_codes(s[col], rows) for col in (C.CELL_LINE, C.TREATMENT, C.PROTEIN)), strict=True
    )
    # one code per protein x context (renumbered only when the code space is large)
    protein, _ = combine_codes(list(codes), [len(lv) + 1 for lv in levels])
    x = s[C.TEST_VALUE].to_numpy(dtype=float)[sel]
    total_x = np.bincount(protein, weights=x)[protein]
    n = np.bincount(protein)[protein]
    keep = n > 1
    if not keep.any():
        return pd.Series(dtype=float)
    y = ((total_x - x) / np.maximum(n - 1, 1))[keep]
    x = x[keep]
    plate = w.plate[sel][keep]
    n_p = len(w.plates)

    def total(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.bincount(plate, weights=v, minlength=n_p).astype(np.float64)

    m = np.bincount(plate, minlength=n_p).astype(float)
    sx, sy = total(x), total(y)
    # a plate without replicated samples has m = 0 (one left out of a filtered table, say:
    # its id stays a category): its r is NaN, with no warning
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = total(x * y) - sx * sy / m
        vx = total(x * x) - sx**2 / m
        vy = total(y * y) - sy**2 / m
        r = cov / np.sqrt(vx * vy)
    return pd.Series(np.where(m >= 3, r, np.nan), index=w.plates)


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
        verdict, reason`` (rules in docs/formulas.md section 2; a drug-arm plate whose vehicle
        controls do not read above its drug controls fails).
    """
    q = params.set_index(C.PLATE)
    out = q[
        [C.CELL_LINE, C.TREATMENT, C.ARM, "n_samples", "n_drug_controls", "n_vehicle_controls"]
    ].copy()
    w = _Wells.of(scored)
    missing = np.isnan(w.value) & (w.plate >= 0)
    out["n_missing"] = (
        pd.Series(np.bincount(w.plate[missing], minlength=len(w.plates)), index=w.plates)
        .reindex(out.index)
        .fillna(0)
        .astype(int)
    )
    d = _role_stats(w, C.DRUG_CONTROL).reindex(out.index)
    v = _role_stats(w, C.VEHICLE_CONTROL).reindex(out.index)
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
    if w.has_row.any():
        out["edge_vs_centre_log2"] = _edge_difference(w).reindex(out.index)
        out["control_gradient_log2"] = _control_gradient(w).reindex(out.index)
        # one-way ANOVA of sample log2 values on row and on column
        base = np.flatnonzero(w.is_role(C.SAMPLE) & (w.value > 0))
        plate, y = w.plate[base], np.log2(w.value[base])
        spatial = {}
        for by, pos, has in ((C.ROW, w.row, w.has_row), (C.COL, w.col, w.has_col)):
            keep = has[base]
            spatial[by] = _spatial(plate[keep], pos[base][keep], y[keep], len(w.plates)).set_axis(
                w.plates
            )
        rows = spatial[C.ROW].reindex(out.index)
        cols = spatial[C.COL].reindex(out.index)
    else:
        out["edge_vs_centre_log2"] = np.nan
        out["control_gradient_log2"] = np.nan
        rows = cols = pd.DataFrame(np.nan, index=out.index, columns=["p", "r2"])
    out["bulk_offset_log2"] = q["bulk_offset_log2"]
    out["replicate_r"] = _replicate_r(w).reindex(out.index)
    out["row_p"], out["row_r2"] = rows["p"], rows["r2"]
    out["col_p"], out["col_r2"] = cols["p"], cols["r2"]
    out["norm_method"] = q["norm_method"]
    out[[C.VERDICT, C.REASON]] = _verdicts(out)
    return out.reset_index()


def _short_numbers(x: NDArray[np.float64]) -> NDArray[np.object_]:
    """Numbers as text with two significant digits, ``1.2e4`` style ("0", "NA").

    Examples
    --------
    >>> _short_numbers(np.array([12000.25, 117.3, 0.0, 9.96])).tolist()
    ['1.2e4', '1.2e2', '0', '1.0e1']
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.floor(np.log10(np.abs(x)))
    e = np.where(np.isfinite(e), e, 0.0)
    m = np.round(x / 10.0**e, 1)
    carry = np.abs(m) >= 10  # 9.96 rounds to 10.0: 1.0 with the next exponent
    m, e = np.where(carry, m / 10, m), e + carry
    # object arrays of str add elementwise (np.strings needs numpy 2)
    text = m.astype(str).astype(object) + "e" + e.astype(np.int64).astype(str).astype(object)
    return np.where(x == 0, "0", np.where(np.isnan(x), "NA", text)).astype(object)


def _control_order(qc: pd.DataFrame) -> tuple[pd.Series, pd.Series, NDArray[np.object_]]:
    """Drug-arm plates whose vehicle controls do not read above their drug controls.

    Returns ``(fail, warn, text)``: two masks over the plates and the reason of each plate.
    Only drug-arm plates with wells of both controls are checked: there V - D is the %
    rescue scale (vehicle-arm plates are scored against V alone). A plate fails when
    V <= D (roles swapped, or the drug had no effect), unless every checked plate reads
    V < D: the screen is then consistently inverted (an assay whose full-effect control
    reads low, such as the cellHTS2 ``pos`` wells of a viability screen under the default
    role mapping, docs/import.md), which warns.
    """
    d = qc["drug_median"].to_numpy(dtype=float)
    v = qc["vehicle_median"].to_numpy(dtype=float)
    drug = (qc[C.ARM] == C.ARM_DRUG).to_numpy(dtype=bool)
    checked = drug & ~np.isnan(d) & ~np.isnan(v)
    not_above = checked & ~(v > d)
    inverted = reads_inverted(drug, d, v)
    if inverted:
        head = "vehicle controls below drug controls on every drug-arm plate (median V "
        tail = "): the full-effect control reads low in this assay, or roles are swapped "
        tail += "throughout; rescue_pct runs downward"
    else:
        head = "vehicle controls not above drug controls (median V "
        tail = "): roles swapped, or the drug had no effect"
    text = np.full(len(qc), "", dtype=object)  # formatted only where used
    vs, ds = v[not_above], d[not_above]
    text[not_above] = (
        head + _short_numbers(vs) + np.where(vs < ds, " < D ", " <= D ") + _short_numbers(ds) + tail
    )
    fail = pd.Series(not_above & (not inverted), index=qc.index)
    warn = pd.Series(not_above & inverted, index=qc.index)
    return fail, warn, text


def spatial_pattern(qc: pd.DataFrame) -> pd.Series:
    """Plates whose sample wells vary by row or column (QC's warning; B-score removes it).

    Parameters
    ----------
    qc : DataFrame
        :func:`plate_qc`'s table (``row_p, row_r2, col_p, col_r2``).

    Returns
    -------
    Series of bool
        One per plate: a one-way ANOVA over rows or over columns with p < 1e-3 that explains
        at least 10 % of the variance.
    """
    t = QC_THRESHOLDS
    rows = (qc["row_p"] < t["warn_spatial_p"]) & (qc["row_r2"] >= t["warn_spatial_r2"])
    cols = (qc["col_p"] < t["warn_spatial_p"]) & (qc["col_r2"] >= t["warn_spatial_r2"])
    return rows | cols


def _verdicts(qc: pd.DataFrame) -> pd.DataFrame:
    t = QC_THRESHOLDS
    order_fail, order_warn, order_text = _control_order(qc)
    # a reason is one text, or one text per plate (an object array over the plates)
    fail: list[tuple[pd.Series, str | NDArray[np.object_]]] = [
        (qc["n_samples"] == 0, "no sample readings"),
        (
            qc["robust_z_prime"] < t["fail_robust_z_prime"],
            "controls do not separate (robust Z' < 0)",
        ),
        (order_fail, order_text),
    ]
    warn: list[tuple[pd.Series, str | NDArray[np.object_]]] = [
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
        (spatial_pattern(qc), "row/column pattern in sample wells (consider --spatial bscore)"),
        (qc["replicate_r"] < t["warn_replicate_r"], "replicates disagree (r < 0)"),
        (
            qc["norm_method"] == "sample_median",
            "no anchoring controls: scored against library median",
        ),
        (order_warn, order_text),
    ]
    # object arrays of text: numpy joins the few reasons of each plate elementwise
    verdict = np.full(len(qc), C.PASS, dtype=object)
    reason = np.full(len(qc), "", dtype=object)
    for cond, text in warn:
        m = cond.fillna(False).to_numpy(dtype=bool)
        add = text if isinstance(text, str) else text[m]
        reason[m] = np.where(reason[m] == "", add, reason[m] + "; " + add)
        verdict[m] = C.WARN
    fail_reason = np.full(len(qc), "", dtype=object)
    for cond, text in fail:
        m = cond.fillna(False).to_numpy(dtype=bool)
        add = text if isinstance(text, str) else text[m]
        fail_reason[m] = np.where(fail_reason[m] == "", add, fail_reason[m] + "; " + add)
    failed = fail_reason != ""
    verdict[failed] = C.FAIL
    reason[failed] = np.where(
        reason[failed] == "", fail_reason[failed], fail_reason[failed] + "; " + reason[failed]
    )
    reason[reason == ""] = "ok"
    return pd.DataFrame(
        {
            C.VERDICT: pd.Series(verdict, index=qc.index, dtype=object),
            C.REASON: pd.Series(reason, index=qc.index, dtype=object),
        }
    )


def copied_plates(wells: pd.DataFrame) -> list[list[str]]:
    """Plates that hold the same readout in every well as another plate (a copy).

    The same export loaded twice under two plate ids, or a replicate pasted from another,
    makes the replicates of every protein agree exactly: replicate variances of 0, and a
    test that calls proteins significant that are not. Plates match when they have the same
    readouts at the same positions (well ids, else the order of their rows) and the same
    missing wells; plates with fewer than :data:`MIN_COPY_WELLS` readouts, or one value in
    every well, are not compared.

    Each plate gets a signature, its count of readouts and the sums of the two 32-bit halves
    of ``value bits XOR position x constant`` over its wells, so a million wells cost a few
    array operations and two ``bincount`` calls (about 20 ms); plates with equal signatures
    are then compared value by value.

    Returns
    -------
    list of list of str
        Groups of two or more plate ids that are copies of each other, each sorted, in the
        order of their first plate id.
    """
    plate, plates = key_codes(wells[C.PLATE])
    n_plates = len(plates) + 1  # the last code: rows without a plate, never compared
    value = wells[C.VALUE].to_numpy(dtype=float)
    row = wells[C.ROW].to_numpy(dtype=float)
    col = wells[C.COL].to_numpy(dtype=float)
    if np.isfinite(row).all() and np.isfinite(col).all():
        position = (row * 4096 + col).astype(np.int64)
    else:  # without well ids: the order of the plate's rows
        position = pd.Series(plate).groupby(plate).cumcount().to_numpy(dtype=np.int64)
    known = ~np.isnan(value)
    # (position, value bits) in 64 bits: equal signatures are verified below, so collisions
    # cost time, never a wrong answer; a missing well counts by position alone
    h = np.where(known, value, 0.0).view(np.uint64)
    with np.errstate(over="ignore"):
        h ^= position.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    # per plate, the sums of the two 32-bit halves: exact in float64 (below 2^21 wells a plate)
    halves = h.view(np.uint32).reshape(-1, 2).astype(float)  # little- or big-endian alike
    lo = np.bincount(plate, weights=halves[:, 0], minlength=n_plates)
    hi = np.bincount(plate, weights=halves[:, 1], minlength=n_plates)
    count = np.bincount(plate[known], minlength=n_plates)
    sig = pd.DataFrame({"n": count, "lo": lo, "hi": hi})
    candidate = sig.duplicated(keep=False).to_numpy() & (count >= MIN_COPY_WELLS)
    candidate[-1] = False
    if not candidate.any():
        return []
    # the candidates' wells sorted by plate, position and value, split by plate at once
    rows = np.flatnonzero(candidate[plate])
    rows = rows[np.lexsort((value[rows], position[rows], plate[rows]))]
    bounds = np.flatnonzero(np.diff(plate[rows])) + 1
    heads = plate[rows[np.r_[0, bounds]]].tolist()
    wells_of = dict(zip(heads, np.split(rows, bounds), strict=True))
    groups: list[list[str]] = []
    for _, members in sig[candidate].groupby(["n", "lo", "hi"], sort=False):
        # compared value by value: a shared signature is not proof
        tables = {c: (position[wells_of[c]], value[wells_of[c]]) for c in members.index}
        left = list(tables)
        while left:
            first, rest = left[0], left[1:]
            pos0, val0 = tables[first]
            same = [
                c
                for c in rest
                if np.array_equal(tables[c][0], pos0)
                and np.array_equal(tables[c][1], val0, equal_nan=True)
            ]
            finite = val0[~np.isnan(val0)]
            if same and finite.size and finite.min() < finite.max():
                groups.append(sorted(str(plates[c]) for c in [first, *same]))
            left = [c for c in rest if c not in same]
    return sorted(groups)
