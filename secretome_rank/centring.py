"""Where the test value is centred: the library median, or the median of inactive proteins.

The test value of a well is its log2 ratio minus a per-plate centre (DESIGN 2.2: the bulk
of the library is the reference for significance). By default the centre is the median of
the plate's sample wells, which is the centre of the inactive proteins only when they are
most of the library *and* the active ones are balanced around them. A library with many
toxic proteins pulls the median down (inactive proteins then look like weak rescuers: the
one-sided test is anti-conservative), many rescuers or mitogens pull it up.

- :func:`off_centre` measures this after the first test, from the proteins the test finds
  inactive: their median t should be 0. The pipeline turns a clear departure into a note.
- :func:`centre_on_inactive` (``centre="inactive"``, ``--centre inactive``) re-centres each
  drug-arm plate on the median log2 ratio of the sample wells of proteins that a moderated,
  two-sided test does not find significant in either direction (q > fdr in their context),
  twice. Simulated screens (``bench/calibration.py``, docs/formulas.md section 7): with 30 %
  toxic proteins the share of exact nulls with p < 0.05 falls from 0.245 to 0.049; on the
  default screen the calls are unchanged.

Vehicle-arm plates keep the median: the moderated test runs on the drug arm. Pooled panels
(cell lines as replicates) keep their own second centring on the median of the per-line
means; contexts with one replicate per protein cannot be tested in the first pass, so
their plates keep the median too.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.hits import (
    adjust_by_group,
    combine_codes,
    encode_keys,
    is_value,
    key_codes,
    protein_stats,
)
from secretome_rank.moderated import group_median
from secretome_rank.normalize import column_codes

__all__ = ["OFF_CENTRE_T", "centre_on_inactive", "off_centre", "off_centre_note"]

#: median |t| of the inactive proteins (median over contexts) above which the run says the
#: library median is off their centre. Simulated screens: 0.04-0.06 by default, with more
#: noise, outliers or 2 replicates; 0.22 with 10 % toxic proteins, 0.54 with 20 %, 0.39 with
#: 20 % rescuers
OFF_CENTRE_T = 0.2
#: re-centring passes (the second uses the proteins found inactive after the first)
PASSES = 2

KEY = [C.CELL_LINE, C.TREATMENT, C.PROTEIN]


def _context_codes(table: pd.DataFrame) -> np.ndarray:
    """One integer >= 0 per (cell line, treatment) of the rows (a missing key is a value)."""
    codes, levels = zip(*(key_codes(table[k]) for k in (C.CELL_LINE, C.TREATMENT)), strict=True)
    ids, _ = combine_codes(list(codes), [len(lv) + 2 for lv in levels])
    return np.asarray(ids, dtype=np.intp)


def _row_ids(wells: pd.DataFrame, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Ids of the wells' and the table's (cell line, treatment, protein), in one id space."""
    both, sizes = [], []
    for k in KEY:
        codes, levels = key_codes(wells[k])
        both.append(np.concatenate([codes, encode_keys(table[k], levels)]))
        sizes.append(len(levels) + 2)
    ids, size = combine_codes(both, sizes)
    return ids[: len(wells)], ids[len(wells) :], size


def _inactive(
    t: np.ndarray, p: np.ndarray, ctx: np.ndarray, *, alternative: str, adjust: str, fdr: float
) -> np.ndarray:
    """Tested rows not significant in either direction (two-sided q > fdr in their context)."""
    tested = ~np.isnan(p)
    p2 = p if alternative == "two-sided" else np.minimum(1.0, 2 * np.minimum(p, 1 - p))
    q2 = np.full(p.shape, np.nan)
    if tested.any():
        with warnings.catch_warnings():  # a diagnostic: the test's own q-values said it
            warnings.filterwarnings("ignore", "Storey pi0", UserWarning)
            q2[tested] = adjust_by_group(p2[tested], ctx[tested], method=adjust)
    keep: np.ndarray = tested & ~np.isnan(t) & (q2 > fdr)
    return keep


def off_centre(
    stats_table: pd.DataFrame, *, alternative: str, adjust: str, fdr: float
) -> tuple[float, int, int]:
    """How far the inactive proteins sit from the centre of the test value.

    Parameters
    ----------
    stats_table : pandas.DataFrame
        :func:`~secretome_rank.hits.protein_stats` output of the moderated test (``t``,
        ``p_value`` one-sided ``greater`` or two-sided as ``alternative`` says).
    alternative, adjust, fdr
        As the run's options.

    Returns
    -------
    (float, int, int)
        The median over contexts of ``|median t|`` of the proteins not significant in
        either direction (NaN without any), the number of contexts whose value exceeds
        :data:`OFF_CENTRE_T`, and the number of contexts measured.
    """
    t = stats_table[C.T].to_numpy(dtype=float)
    p = stats_table[C.P_VALUE].to_numpy(dtype=float)
    ctx = _context_codes(stats_table)
    keep = _inactive(t, p, ctx, alternative=alternative, adjust=adjust, fdr=fdr)
    if not keep.any():
        return float("nan"), 0, 0
    codes, measured = pd.factorize(ctx[keep])
    med = np.abs(group_median(t[keep], np.asarray(codes, dtype=np.intp), len(measured)))
    return float(np.median(med)), int((med > OFF_CENTRE_T).sum()), len(measured)


def off_centre_note(stats_table: pd.DataFrame, **options: Any) -> list[str]:
    """The run's note when the library median is clearly off the inactive proteins."""
    shift, n_off, n = off_centre(stats_table, **options)
    if not shift > OFF_CENTRE_T:
        return []
    return [
        f"the proteins that test inactive sit off the library median in {n_off} of {n} "
        f"contexts (median |t| {shift:.2f} among them, 0 expected): with many toxic or "
        "rescuing proteins the median is not their centre and p-values are miscalibrated; "
        "rerun with --centre inactive (centre='inactive' in Python; docs/formulas.md, "
        "section 1)"
    ]


def centre_on_inactive(
    scored: pd.DataFrame,
    *,
    adjust: str = "bh",
    fdr: float = 0.05,
    passes: int = PASSES,
    sign: int = 1,
) -> tuple[pd.DataFrame, pd.Series]:
    """Re-centre drug-arm test values on the sample wells of proteins found inactive.

    Parameters
    ----------
    scored : pandas.DataFrame
        Normalised wells (:func:`~secretome_rank.normalize.normalize_plates`).
    adjust, fdr : str, float
        Adjustment and threshold that decide "significant" in the two-sided pass.
    passes : int
        Rounds of test and re-centring.
    sign : {1, -1}
        :func:`~secretome_rank.normalize.readout_sign` of the screen (-1: the readout falls
        with viability, and test values are negated log2 ratios).

    Returns
    -------
    (pandas.DataFrame, pandas.Series)
        The wells with the new ``test_value`` on drug-arm plates (vehicle-arm plates
        unchanged; a well without a test value, e.g. on a plate excluded after QC, keeps
        none), and the shift of each re-centred plate's centre (log2; new centre minus the
        plate's sample median), indexed by plate.
    """
    codes, plates = column_codes(scored[C.PLATE])
    lr = scored[C.LOG2_RATIO].to_numpy(dtype=float)
    old = scored[C.TEST_VALUE].to_numpy(dtype=float)
    # drug-arm sample wells with a test value (wells of plates excluded after QC have none
    # and keep none)
    sample = is_value(scored[C.ROLE], C.SAMPLE) & is_value(scored[C.ARM], C.ARM_DRUG)
    sample &= ~np.isnan(old)
    has = sample & ~np.isnan(lr) & (codes >= 0)
    n_plates = len(plates)
    start = group_median(lr[has], codes[has], n_plates)
    current, centre = scored, start
    for _ in range(passes):
        st = protein_stats(current, alternative="two-sided", adjust=adjust)
        ctx = _context_codes(st)
        inactive = _inactive(
            st[C.T].to_numpy(dtype=float),
            st[C.P_VALUE].to_numpy(dtype=float),
            ctx,
            alternative="two-sided",
            adjust=adjust,
            fdr=fdr,
        )
        well_ids, row_ids, size = _row_ids(scored, st)
        active = np.zeros(size, dtype=bool)
        active[row_ids[~inactive & st[C.P_VALUE].notna().to_numpy()]] = True
        keep = has & ~active[well_ids]
        centre = group_median(lr[keep], codes[keep], n_plates)
        centre = np.where(np.isnan(centre), start, centre)  # a plate of active proteins only
        tv = np.where(sample, sign * (lr - np.append(centre, np.nan)[codes]), np.nan)
        new = old.copy()
        new[sample] = tv[sample]
        current = scored.copy(deep=False)
        current[C.TEST_VALUE] = new
    moved = pd.Series(centre - start, index=plates)
    return current, moved[~np.isnan(moved)]
