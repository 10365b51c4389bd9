"""Per-plate normalisation: % rescue, log2 ratios, growth, the test value, optional B-score.

Fit/apply split (STYLE section 4): :func:`fit_plate_params` computes one row of reference
levels per plate from its controls and library wells; :func:`apply_plate_params` turns raw
values into scores. ``value`` is never overwritten.

Formulas (per plate; D = median of drug controls, V = median of vehicle controls)::

    rescue_pct  = 100 * (x - D) / (V - D)        drug-arm plates
    log2_ratio  = log2(x / D)                     drug-arm plates
    growth_log2 = log2(x / V)                     vehicle-arm plates
    test_value  = log2_ratio - median(log2_ratio of the plate's sample wells)   (drug arm)
                = growth_log2 - median(growth_log2 of the plate's sample wells) (vehicle arm)
                  times -1 when the readout falls with viability (:func:`readout_sign`)

The test value is centred on the library bulk, not on the controls: controls sit in the
outer columns, where edge and incubation effects differ from the inner wells, so a null
anchored on them would call the whole library "rescued" whenever the edge loses signal.
Controls still set the % rescue scale. Readouts are floored at 1 % of the plate's reference
level before taking logs (flag ``floored``). :mod:`secretome_rank.centring` can move the
centre of drug-arm plates to the median of the proteins found inactive (``--centre
inactive``).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError, warn

__all__ = [
    "SpatialMethod",
    "apply_plate_params",
    "column_codes",
    "fit_plate_params",
    "median_polish",
    "normalize_plates",
    "readout_sign",
    "reads_inverted",
]

logger = logging.getLogger(__name__)

SpatialMethod = Literal["none", "bscore"]
FLOOR_FRACTION = 0.01
MAD_SCALE = 1.4826
#: what B-score needs and how to get it (a problem of :class:`SchemaError`)
BSCORE_NEEDS_WELLS = (
    "--spatial bscore (spatial='bscore') needs well ids to find each plate's rows and "
    "columns, but the table has no 'well' column; add one (A1, A01 or A001; map yours with "
    "--column well=NAME), or drop --spatial bscore"
)


def has_well_ids(wells: pd.DataFrame) -> bool:
    """Whether any well of a validated table has a position (row and column)."""
    return bool((wells[C.ROW].notna() & wells[C.COL].notna()).any())


def median_polish(
    x: NDArray[np.float64], *, maxiter: int = 10, eps: float = 0.01
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Tukey's two-way median polish of many plates at once (R ``medpolish``, ``na.rm=TRUE``).

    Parameters
    ----------
    x : ndarray, shape (plates, rows, cols) or (rows, cols)
        Values, NaN where missing (e.g. control columns).
    maxiter, eps : int, float
        As in R: stop a plate when the sum of absolute residuals changes by less than
        ``eps`` times itself.

    Returns
    -------
    overall, row, col, residuals : ndarray
        Shapes (plates,), (plates, rows), (plates, cols), (plates, rows, cols) (without the
        plate axis for a 2-D input). Rows or columns without any value get NaN effects.

    References
    ----------
    Tukey JW (1977). Exploratory Data Analysis. Brideau C et al. (2003) J Biomol Screen
    8:634-647 (B-score). doi:10.1177/1087057103258285
    """
    two_d = x.ndim == 2
    z = np.array(x[None] if two_d else x, dtype=float)
    n_p, n_r, n_c = z.shape
    t = np.zeros(n_p)
    r = np.zeros((n_p, n_r))
    c = np.zeros((n_p, n_c))
    oldsum = np.zeros(n_p)
    active = np.ones(n_p, dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows/columns give NaN
        for _ in range(maxiter):
            a = active[:, None]
            rdelta = np.where(a, np.nanmedian(z, axis=2), 0.0)
            z = z - rdelta[:, :, None]
            r = r + rdelta
            delta = np.where(active, np.nanmedian(c, axis=1), 0.0)
            c = c - delta[:, None]
            t = t + delta
            cdelta = np.where(a, np.nanmedian(z, axis=1), 0.0)
            z = z - cdelta[:, None, :]
            c = c + cdelta
            delta = np.where(active, np.nanmedian(r, axis=1), 0.0)
            r = r - delta[:, None]
            t = t + delta
            newsum = np.nansum(np.abs(z), axis=(1, 2))
            converged = (newsum == 0) | (np.abs(newsum - oldsum) < eps * newsum)
            active = active & ~converged
            oldsum = newsum
            if not active.any():
                break
    if two_d:
        return t[0:1].reshape(()), r[0], c[0], z[0]
    return t, r, c, z


def fit_plate_params(wells: pd.DataFrame) -> pd.DataFrame:
    """Reference levels per plate from its controls.

    Parameters
    ----------
    wells : pandas.DataFrame
        Validated well table (:func:`secretome_rank.read_screen`).

    Returns
    -------
    pandas.DataFrame
        One row per plate: ``plate, cell_line, treatment, arm, n_samples, n_drug_controls,
        n_vehicle_controls, drug_median, vehicle_median, vehicle_source`` (``plate``,
        ``context`` when borrowed as the median V/D ratio of the cell line's other plates, or
        ``none``), ``norm_method`` (``controls`` or ``sample_median`` when the plate lacks the
        control that anchors it).
    """
    value = wells[C.VALUE].to_numpy(dtype=float)
    ok = ~np.isnan(value)
    codes, plates = column_codes(wells[C.PLATE])
    # the first well of each plate, in order (as drop_duplicates, on the codes)
    first = np.full(len(plates) + 1, len(wells))
    np.minimum.at(first, codes + 1, np.arange(len(wells)))  # slot 0: wells without a plate
    first = np.sort(first[first < len(wells)])
    base = wells.iloc[first].set_index(C.PLATE)[[C.CELL_LINE, C.TREATMENT, C.ARM]]
    params = base.copy()
    for role, name, count in (
        (C.SAMPLE, "sample_median", "n_samples"),
        (C.DRUG_CONTROL, "drug_median", "n_drug_controls"),
        (C.VEHICLE_CONTROL, "vehicle_median", "n_vehicle_controls"),
    ):
        sel = ok & (wells[C.ROLE] == role).to_numpy() & (codes >= 0)
        grouped = pd.Series(value[sel], copy=False).groupby(codes[sel])
        median, size = grouped.median(), grouped.size()
        params[name] = median.set_axis(plates[median.index.to_numpy(dtype=np.intp)])
        params[count] = size.set_axis(plates[size.index.to_numpy(dtype=np.intp)])
    params[["n_samples", "n_drug_controls", "n_vehicle_controls"]] = (
        params[["n_samples", "n_drug_controls", "n_vehicle_controls"]].fillna(0).astype(int)
    )
    # drug-arm plates without vehicle controls borrow the V/D ratio of their cell line
    # (a drug median of 0, a complete kill in background-subtracted data, has no ratio)
    ratio = params["vehicle_median"] / params["drug_median"].where(params["drug_median"] > 0)
    drug = params[C.ARM] == C.ARM_DRUG
    line_ratio = ratio[drug].groupby(params.loc[drug, C.CELL_LINE]).median()
    params["vehicle_source"] = np.where(params["vehicle_median"].notna(), "plate", "none")
    borrow = drug & params["vehicle_median"].isna() & params["drug_median"].notna()
    if borrow.any():
        factor = params.loc[borrow, C.CELL_LINE].map(line_ratio).astype(float)
        borrowed = factor * params.loc[borrow, "drug_median"]
        params.loc[borrow, "vehicle_median"] = borrowed
        params.loc[borrowed.index[borrowed.notna()], "vehicle_source"] = "context"
    anchor = np.where(drug, params["drug_median"], params["vehicle_median"])
    params["norm_method"] = np.where(pd.notna(anchor), "controls", "sample_median")
    # logs need a level above 0: an anchor reading 0 (every cell killed, background
    # subtracted) still sets the % rescue scale, but log ratios are taken to the library
    # median instead (the test value is centred on it anyway, so it does not change)
    sample_level = params["sample_median"].where(params["sample_median"] > 0)
    params["reference"] = np.where(
        pd.notna(anchor) & (anchor > 0), anchor, sample_level.to_numpy(dtype=float)
    )
    return params.reset_index()


def _spatial_offsets(wells: pd.DataFrame, logx: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Row+column effects (log2) per well from a median polish of each plate's sample wells.

    Returns the offset to subtract from every well of the plate (controls included; columns
    without samples get no column effect) and the B-score of sample wells.
    """
    pos = wells[C.ROW].notna() & wells[C.COL].notna()
    if not pos.any():
        raise SchemaError(f"input table: {BSCORE_NEEDS_WELLS}")
    plates = pd.Index(wells.loc[pos, C.PLATE].unique())
    n_rows = int(wells.loc[pos, C.ROW].max())
    n_cols = int(wells.loc[pos, C.COL].max())
    p_idx = plates.get_indexer(wells.loc[pos, C.PLATE])
    r_idx = wells.loc[pos, C.ROW].to_numpy(dtype=int) - 1
    c_idx = wells.loc[pos, C.COL].to_numpy(dtype=int) - 1
    grid = np.full((len(plates), n_rows, n_cols), np.nan)
    is_sample = (wells.loc[pos, C.ROLE] == C.SAMPLE).to_numpy()
    vals = logx[pos].to_numpy()
    grid[p_idx[is_sample], r_idx[is_sample], c_idx[is_sample]] = vals[is_sample]
    _, row_eff, col_eff, resid = median_polish(grid)
    offset = np.nan_to_num(row_eff[p_idx, r_idx]) + np.nan_to_num(col_eff[p_idx, c_idx])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(resid, axis=(1, 2))
        mad = MAD_SCALE * np.nanmedian(np.abs(resid - med[:, None, None]), axis=(1, 2))
    bscore = resid[p_idx, r_idx, c_idx] / mad[p_idx]
    off = pd.Series(0.0, index=wells.index)
    off[pos] = offset
    bs = pd.Series(np.nan, index=wells.index)
    bs[pos] = np.where(is_sample, bscore, np.nan)
    return off, bs


def apply_plate_params(
    wells: pd.DataFrame, params: pd.DataFrame, *, spatial: SpatialMethod = "none"
) -> pd.DataFrame:
    """Score every well with its plate's reference levels.

    Parameters
    ----------
    wells : pandas.DataFrame
        Validated well table.
    params : pandas.DataFrame
        Output of :func:`fit_plate_params`.
    spatial : {"none", "bscore"}
        ``bscore`` removes each plate's row and column effects (median polish of the sample
        wells on the log2 scale) before anything else and adds a ``bscore`` column.

    Raises
    ------
    SchemaError
        ``spatial="bscore"`` on a table without well ids.

    Returns
    -------
    pandas.DataFrame
        ``wells`` plus ``rescue_pct`` (%), ``log2_ratio`` (drug arm), ``growth_log2``
        (vehicle arm), ``test_value`` (log2; the value the per-protein test uses),
        ``norm_method``, ``flags`` (``;``-separated: ``missing``, ``floored``,
        ``no_drug_controls``, ``vehicle_from_context``) and ``bscore`` if requested.
    """
    return _apply(wells, params, spatial)[0]


def readout_sign(params: pd.DataFrame) -> int:
    """-1 when the screen's readout falls with viability, else 1.

    The readout runs inverted when every drug-arm plate with both controls of its own reads
    its vehicle controls below its drug controls (V < D; the condition under which plate QC
    warns instead of failing those plates, docs/formulas.md section 2): an assay whose
    signal grows with cell death, or cellHTS2 ``pos`` wells of a viability screen under the
    default role mapping. Test values (and with them t and the drug x vehicle interaction
    test) are then multiplied by -1, and so are Welch's t and SSMD, so that rescue, a move
    toward the vehicle controls, tests positive as in every other screen; ``rescue_pct``
    needs no sign (its scale ``V - D`` carries it) and ``log2_ratio``, ``log2_fc`` and
    ``interaction_log2`` keep the readout's direction. Callers of ``protein_stats``,
    ``pooled_stats`` and ``centre_on_inactive`` on their own pass this sign (``sign=``).

    Parameters
    ----------
    params : pandas.DataFrame
        Plate parameters (:func:`fit_plate_params`).
    """
    drug = (params[C.ARM] == C.ARM_DRUG).to_numpy(dtype=bool)
    own = (params["vehicle_source"] == "plate").to_numpy(dtype=bool)
    v = np.where(own, params["vehicle_median"].to_numpy(dtype=float), np.nan)
    return -1 if reads_inverted(drug, params["drug_median"].to_numpy(dtype=float), v) else 1


def reads_inverted(
    drug_arm: NDArray[np.bool_],
    drug_median: NDArray[np.float64],
    vehicle_median: NDArray[np.float64],
) -> bool:
    """Whether every drug-arm plate with both medians (its own) reads V < D.

    The one rule behind :func:`readout_sign` and plate QC's control-order check
    (:mod:`secretome_rank.qc`): NaN marks a plate without its own controls of a kind.
    """
    d, v = drug_median, vehicle_median
    checked = drug_arm & ~np.isnan(d) & ~np.isnan(v)
    return bool(checked.any()) and bool((v[checked] < d[checked]).all())


def _apply(
    wells: pd.DataFrame, params: pd.DataFrame, spatial: SpatialMethod
) -> tuple[pd.DataFrame, pd.Series]:
    """:func:`apply_plate_params`, plus the median sample log2 ratio of each plate."""
    # per-plate parameters broadcast to wells through integer plate codes
    codes, plates = column_codes(wells[C.PLATE])
    p = params.set_index(C.PLATE).reindex(plates)

    def per_plate(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.append(values, np.nan)[codes]  # code -1 (no plate) reads the NaN

    def per_well(name: str) -> NDArray[np.float64]:
        return per_plate(p[name].to_numpy(dtype=float))

    ref = per_well("reference")
    d = per_well("drug_median")
    v = per_well("vehicle_median")
    method_cat = pd.Categorical(p["norm_method"].astype(object).to_numpy())
    method = pd.Categorical.from_codes(  # codes of method_cat: nothing to validate
        np.append(method_cat.codes, -1)[codes], categories=method_cat.categories, validate=False
    )
    x = wells[C.VALUE].to_numpy(dtype=float)
    floor = FLOOR_FRACTION * ref
    floored = x < floor
    with np.errstate(divide="ignore", invalid="ignore"):
        logx = np.log2(np.maximum(x, floor))
    new: dict[str, Any] = {}
    if spatial == "bscore":
        offset, bscore = _spatial_offsets(wells, pd.Series(logx, index=wells.index))
        logx = logx - offset.to_numpy()
        new[C.BSCORE] = bscore.to_numpy()
        x = np.exp2(logx)
    drug = (wells[C.ARM] == C.ARM_DRUG).to_numpy()
    controls = np.asarray(method == "controls")
    with np.errstate(divide="ignore", invalid="ignore"):
        rescue = 100.0 * (x - d) / (v - d)
        log_ratio = logx - per_plate(np.log2(p["reference"].to_numpy(dtype=float)))
    new[C.RESCUE_PCT] = np.where(drug & controls, rescue, np.nan)
    new[C.LOG2_RATIO] = np.where(drug, log_ratio, np.nan)
    new[C.GROWTH_LOG2] = np.where(~drug, log_ratio, np.nan)
    sample = (wells[C.ROLE] == C.SAMPLE).to_numpy()
    bulk_of = sample & ~np.isnan(x)
    lr = pd.Series(log_ratio[bulk_of], copy=False)
    bulk = lr.groupby(codes[bulk_of]).median().reindex(range(len(plates))).to_numpy()
    # signed so that rescue (toward the vehicle controls) is positive, whichever way the
    # readout runs (readout_sign)
    sign = readout_sign(params)
    new[C.TEST_VALUE] = np.where(sample, sign * (log_ratio - per_plate(bulk)), np.nan)
    new[C.NORM_METHOD] = method
    from_context = np.append(p["vehicle_source"].to_numpy() == "context", False)[codes]
    new[C.FLAGS] = flag_column(
        {
            "missing": np.isnan(wells[C.VALUE].to_numpy(dtype=float)),
            "floored": floored & ~np.isnan(x),
            "no_drug_controls": drug & ~controls,
            "vehicle_from_context": drug & from_context,
        }
    )
    return _with_columns(wells, new), pd.Series(bulk, index=pd.Index(plates))


def column_codes(col: pd.Series) -> tuple[NDArray[np.intp], pd.Index]:
    """Integer codes (-1 for missing) and the distinct values of a key column.

    A categorical column gives its own codes and categories (no hashing); categories
    without rows then have codes that no row uses.

    Examples
    --------
    >>> codes, values = column_codes(pd.Series(["P2", "P1", None, "P2"]))
    >>> codes.tolist(), values.tolist()
    ([0, 1, -1, 0], ['P2', 'P1'])
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(np.intp), pd.Index(col.cat.categories)
    codes, uniques = pd.factorize(col)
    return codes.astype(np.intp), pd.Index(uniques)


def _with_columns(frame: pd.DataFrame, columns: dict[str, Any]) -> pd.DataFrame:
    """``frame`` with ``columns`` set, as ``frame[name] = values`` one by one on a copy would.

    Nothing is copied: ``frame`` keeps its data (pandas copy-on-write protects it) and the
    new columns take the arrays as they are.
    """
    out = frame.copy(deep=False)
    added = {}
    for name, values in columns.items():
        if name in out.columns:
            out[name] = values
        else:
            added[name] = values
    if not added:
        return out
    return pd.concat([out, pd.DataFrame(added, index=out.index, copy=False)], axis=1)


def flag_column(masks: dict[str, NDArray[np.bool_]]) -> pd.Categorical:
    """``;``-joined names of the masks true in each row, as a categorical ("" for none).

    Built from a bit code per row, so a million rows cost a few distinct strings.

    Examples
    --------
    >>> flag_column({"a": np.array([True, False, True]), "b": np.array([True, False, False])})
    ['a;b', '', 'a']
    Categories (3, str): ['', 'a', 'a;b']
    """
    names = list(masks)
    kind = np.uint8 if len(names) <= 8 else np.int64  # the narrowest bit code that fits
    bits = np.zeros(len(next(iter(masks.values()))) if masks else 0, dtype=kind)
    for i, name in enumerate(names):
        np.bitwise_or(bits, np.left_shift(np.asarray(masks[name], dtype=kind), i), out=bits)
    used = np.flatnonzero(np.bincount(bits, minlength=1))
    labels = [";".join(n for i, n in enumerate(names) if int(b) >> i & 1) for b in used]
    cat = pd.Categorical(np.asarray(labels, dtype=object))
    lookup = np.zeros(1 << len(names), dtype=cat.codes.dtype)
    lookup[used] = cat.codes
    # the lookup only holds codes of ``cat``: nothing to validate
    return pd.Categorical.from_codes(lookup[bits], categories=cat.categories, validate=False)


def normalize_plates(
    wells: pd.DataFrame, *, spatial: SpatialMethod = "none"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit and apply per-plate normalisation.

    Raises
    ------
    SchemaError
        ``spatial="bscore"`` on a table without well ids.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Scored wells (see :func:`apply_plate_params`) and plate parameters (see
        :func:`fit_plate_params`, plus ``bulk_offset_log2``: median log2 ratio of the plate's
        sample wells against its drug controls, i.e. how far the library bulk sits from the
        controls).
    """
    params = fit_plate_params(wells)
    # the bulk is the median sample log2_ratio (growth_log2 on vehicle plates) of the plate
    scored, bulk = _apply(wells, params, spatial)
    params["bulk_offset_log2"] = bulk.reindex(params[C.PLATE]).to_numpy()
    n_fallback = int((params["norm_method"] == "sample_median").sum())
    if n_fallback:
        warn(
            f"{n_fallback} plate(s) without the controls that anchor them were scored "
            "against their library median (rescue_pct not available there)"
        )
    zero = (params["norm_method"] == "controls") & ~(
        np.where(params[C.ARM] == C.ARM_DRUG, params["drug_median"], params["vehicle_median"]) > 0
    )
    if zero.any():
        names = ", ".join(map(str, params.loc[zero, C.PLATE].head(10)))
        warn(
            f"{int(zero.sum())} plate(s) whose anchoring controls read 0 ({names}): their "
            "log2 ratios are taken to the plate's library median instead (rescue_pct still "
            "uses the controls; the test is unchanged, as it is centred on that median)"
        )
    return scored, params
