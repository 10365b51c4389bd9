"""cellHTS2's standard scoring workflow, for users migrating from cellHTS2.

Reproduces, on the canonical well table, the three calls of the cellHTS2 vignette::

    normalizePlates(x, scale="multiplicative", log=FALSE, method="median", varianceAdjust="none")
    scoreReplicates(xn, sign="-", method="zscore")   # sign is a parameter here
    summarizeReplicates(xsc, summary="mean")

1. **Per-plate median scaling**: each reading is divided by the median of the plate's sample
   wells (``perPlateScaling``; missing values ignored).
2. **Robust z-score per replicate**: over all plates of one replicate (and, here, one cell line
   and treatment), ``score = sign * (x - median) / mad`` with median and MAD of the sample
   wells, ``mad = 1.4826 * median(|x - median|)`` (R ``mad``; ``scoreReplicatesByzscore``).
   The score is computed for every well, controls included.
3. **Replicate summary** per library position (``cellhts2_plate``, ``well``): the mean of the
   replicate scores, ignoring missing ones (``rowMeans(na.rm=TRUE)``); other summaries as in
   ``summarizeReplicates``.

As in cellHTS2, wells with role ``empty`` (cellHTS2 content ``empty``) are set to missing, and
only ``sample`` wells define the medians and the MAD.

References
----------
Boutros M, Bras LP, Huber W (2006). Analysis of cell-based RNAi screens. Genome Biology
7:R66. https://doi.org/10.1186/gb-2006-7-7-r66

Pelz O, Gilsdorf M, Boutros M (2010). web cellHTS2: a web-application for the analysis of
high-throughput screening data. BMC Bioinformatics 11:185.
https://doi.org/10.1186/1471-2105-11-185
"""

from __future__ import annotations

import logging
import warnings
from typing import Literal, cast

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, SchemaError

__all__ = [
    "CELLHTS2_NORM",
    "MAD_CONSTANT",
    "SCORE",
    "SUMMARY_SCORE",
    "Summary",
    "cellhts2_scores",
    "plate_median_scale",
    "robust_z",
    "summarize_cellhts2",
]

logger = logging.getLogger(__name__)

CELLHTS2_PLATE = "cellhts2_plate"
#: what the replicate summary needs and how to get it (a problem of :class:`SchemaError`)
CELLHTS2_NEEDS_WELLS = (
    "--normalization cellhts2 (normalization='cellhts2') needs well ids: its replicate "
    "summary pairs the replicate plates well by well (cellhts2_plate, well), but the table "
    "has no 'well' column; add one (A1, A01 or A001; map yours with --column well=NAME), or "
    "use --normalization controls"
)
CELLHTS2_NORM = "cellhts2_norm"
SCORE = "score"
SUMMARY_SCORE = "summary_score"
MAD_CONSTANT = 1.4826

Summary = Literal["mean", "median", "max", "min", "rms", "closest_to_zero", "furthest_from_zero"]
SUMMARIES: tuple[str, ...] = (
    "mean", "median", "max", "min", "rms", "closest_to_zero", "furthest_from_zero"
)  # fmt: skip


# ----------------------------------------------------------------------------------------
# kernels (numpy in, numpy out)
# ----------------------------------------------------------------------------------------
def plate_median_scale(values: np.ndarray, groups: np.ndarray, is_sample: np.ndarray) -> np.ndarray:
    """Divide each value by the median of the sample values of its group (plate).

    Parameters
    ----------
    values : numpy.ndarray
        Readings (NaN = missing).
    groups : numpy.ndarray
        Group (plate) label of each value.
    is_sample : numpy.ndarray
        Boolean: the value is a sample well (defines the median).

    Returns
    -------
    numpy.ndarray
        ``values / median(sample values of the group)``; NaN where the group has no sample
        value.
    """
    x = pd.Series(np.asarray(values, dtype=float))
    med = x.where(np.asarray(is_sample, dtype=bool)).groupby(np.asarray(groups)).transform("median")
    return (x / med).to_numpy(dtype=float)


def robust_z(
    values: np.ndarray, groups: np.ndarray, is_sample: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Robust z-score within groups: ``(x - median) / (1.4826 * MAD)`` over sample values.

    Parameters
    ----------
    values : numpy.ndarray
        Values (NaN = missing).
    groups : numpy.ndarray
        Group label of each value (e.g. replicate).
    is_sample : numpy.ndarray
        Boolean: the value defines median and MAD.

    Returns
    -------
    z : numpy.ndarray
        The scores; NaN where the group has no sample value or a MAD of 0.
    mad : numpy.ndarray
        The scaled MAD of each value's group (to detect MAD = 0).
    """
    x = pd.Series(np.asarray(values, dtype=float))
    g = np.asarray(groups)
    ref = x.where(np.asarray(is_sample, dtype=bool))
    med = ref.groupby(g).transform("median")
    mad = MAD_CONSTANT * (ref - med).abs().groupby(g).transform("median")
    z = (x - med) / mad.where(mad > 0)
    return z.to_numpy(dtype=float), mad.to_numpy(dtype=float)


def _key_text(s: pd.Series) -> pd.Series:
    """Text for grouping keys: missing values become ``"<NA>"`` (never dropped)."""
    return s.astype(object).where(s.notna(), "<NA>").astype(str)


def _summarise(scores: pd.Series, keys: list[pd.Series], summary: Summary) -> pd.Series:
    """Replicate summary per key, broadcast back to each row (vectorised groupby)."""
    grouped = scores.groupby(keys, dropna=False, sort=False)
    if summary in ("mean", "median", "max", "min"):
        return grouped.transform(summary)
    if summary == "rms":
        mean_square = (scores**2).groupby(keys, dropna=False, sort=False).transform("mean")
        return cast(pd.Series, np.sqrt(mean_square))  # a Series; numpy's stubs say ndarray
    size = scores.abs()
    pick: Literal["min", "max"] = "min" if summary == "closest_to_zero" else "max"
    best = size.groupby(keys, dropna=False, sort=False).transform(pick)
    chosen = scores.where(size == best)
    return chosen.groupby(keys, dropna=False, sort=False).transform("first")


# ----------------------------------------------------------------------------------------
# runner
# ----------------------------------------------------------------------------------------
def cellhts2_scores(
    wells: pd.DataFrame,
    *,
    sign: Literal[1, -1, "+", "-"] = 1,
    summary: Summary = "mean",
) -> pd.DataFrame:
    """Score a well table with cellHTS2's standard workflow (median, z-score, mean).

    Parameters
    ----------
    wells : pandas.DataFrame
        Canonical well table (``plate``, ``well``, ``value``, ``role``; optional
        ``replicate``, ``cell_line``, ``treatment``). ``cellhts2_plate`` (the library plate
        number shared by replicate plates, as written by
        :func:`~secretome_rank.importers.import_cellhts2`) is needed when a replicate spans
        several plates.
    sign : {1, -1, "+", "-"}, default 1
        Multiplies the z-scores (cellHTS2 ``scoreReplicates(sign=)``). Use ``-1`` so that a
        loss of signal (e.g. fewer viable cells) gives positive scores, as in the cellHTS2
        vignette for the ``KcViab`` screen.
    summary : str, default "mean"
        Replicate summary: ``mean``, ``median``, ``max``, ``min``, ``rms``,
        ``closest_to_zero``, ``furthest_from_zero`` (missing replicate scores ignored).

    Returns
    -------
    pandas.DataFrame
        The input rows and columns (not modified) plus:

        - ``cellhts2_norm`` (float): value divided by the plate's sample median (unitless;
          NaN for ``empty`` wells);
        - ``score`` (float): per-replicate robust z-score times ``sign`` (unitless);
        - ``summary_score`` (float): replicate summary of ``score`` for the well's library
          position (cell line, treatment, ``cellhts2_plate``, ``well``), repeated on each
          replicate's row;
        - ``norm_method`` (str): ``"cellhts2"`` with the parameters.

    Raises
    ------
    SchemaError
        Missing columns; wells without a well id; a plate with readings but no sample
        reading (cellHTS2 stops there too); a replicate with several plates but no
        ``cellhts2_plate`` column.
    ConfigError
        Invalid ``sign`` or ``summary``.

    Notes
    -----
    ``cellhts2_norm = x / median_plate(x[sample])``;
    ``score = sign * (cellhts2_norm - m) / (1.4826 * median(|cellhts2_norm[sample] - m|))``
    with ``m = median(cellhts2_norm[sample])`` over all plates of the replicate;
    ``summary_score = mean over replicates(score)``.

    References
    ----------
    Boutros M, Bras LP, Huber W (2006). Genome Biology 7:R66.
    https://doi.org/10.1186/gb-2006-7-7-r66

    Examples
    --------
    >>> from pathlib import Path
    >>> from secretome_rank.importers import import_cellhts2
    >>> d = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "cellhts2_mini"
    >>> wells, _ = import_cellhts2(d, role_map={"PosSpike": "vehicle_control"})
    >>> scored = cellhts2_scores(wells, sign=-1)
    >>> round(float(scored.loc[scored["role"] == "sample", "score"].median()), 6)
    0.0
    """
    sign_value = {1: 1.0, -1: -1.0, "+": 1.0, "-": -1.0}.get(sign)
    if sign_value is None:
        raise ConfigError(f"sign={sign!r}: expected 1, -1, '+' or '-'")
    if summary not in SUMMARIES:
        raise ConfigError(f"summary={summary!r}: expected one of {', '.join(SUMMARIES)}")
    missing = [c for c in (C.PLATE, C.WELL, C.VALUE, C.ROLE) if c not in wells.columns]
    if missing:
        raise SchemaError(
            f"cellhts2_scores: the well table lacks column(s) {', '.join(missing)}; expected "
            "the canonical well table (plate, well, value, role)"
        )
    no_id = wells[C.WELL].isna().to_numpy()
    if no_id.all() and len(no_id):
        raise SchemaError(f"cellhts2_scores: {CELLHTS2_NEEDS_WELLS}")
    if no_id.any():
        raise SchemaError(
            f"cellhts2_scores: {int(no_id.sum())} of {len(no_id)} wells have no well id; the "
            "replicate summary pairs the replicate plates well by well: give every well an id"
        )
    out = wells.copy()
    role = out[C.ROLE].astype(str).to_numpy()
    is_sample = role == C.SAMPLE
    x = out[C.VALUE].astype(float).where(role != C.EMPTY)

    plate = out[C.PLATE].astype(str).to_numpy()
    has_value = x.notna().groupby(plate).transform("any").to_numpy()
    has_sample = x.where(is_sample).notna().groupby(plate).transform("any").to_numpy()
    broken = has_value & ~has_sample
    if broken.any():
        bad = sorted(set(plate[broken]))
        raise SchemaError(
            f"cellhts2_scores: {len(bad)} plate(s) have readings but no sample reading "
            f"({', '.join(bad[:5])}{', ...' if len(bad) > 5 else ''}); the plate median "
            "needs sample wells: flag the whole plate (set its values missing) or fix its roles"
        )
    norm = plate_median_scale(x.to_numpy(), plate, is_sample)

    ctx = [c for c in (C.CELL_LINE, C.TREATMENT) if c in out.columns]
    ctx_keys = [_key_text(out[c]) for c in ctx]
    rep = out[C.REPLICATE] if C.REPLICATE in out.columns else pd.Series(1, index=out.index)
    rep_key = pd.Series(
        pd.MultiIndex.from_arrays([*ctx_keys, _key_text(rep)]).factorize()[0], index=out.index
    )
    z, mad = robust_z(norm, rep_key.to_numpy(), is_sample)
    zero = np.isfinite(mad) & (mad == 0)
    if zero.any():
        warnings.warn(
            "cellhts2_scores: the MAD of the sample wells is 0 in "
            f"{int(pd.Series(rep_key[zero]).nunique())} replicate group(s); their scores are NaN",
            UserWarning,
            stacklevel=2,
        )
    score = pd.Series(sign_value * z, index=out.index)

    if CELLHTS2_PLATE in out.columns:
        lib_plate = _key_text(out[CELLHTS2_PLATE])
    else:
        lib_plate = _library_plates(out, plate, is_sample, rep_key.to_numpy())
    keys = [*ctx_keys, lib_plate, _key_text(out[C.WELL])]
    out[CELLHTS2_NORM] = norm
    out[SCORE] = score.to_numpy()
    out[SUMMARY_SCORE] = _summarise(score, keys, summary).to_numpy(dtype=float)
    out[C.NORM_METHOD] = (
        f"cellhts2(median/multiplicative; zscore sign={int(sign_value):+d}; {summary})"
    )
    logger.info("cellHTS2 scores for %d wells (%d plates)", len(out), len(set(plate)))
    return out


def _library_plates(
    wells: pd.DataFrame, plate: np.ndarray, is_sample: np.ndarray, rep_key: np.ndarray
) -> pd.Series:
    """The library plate of each well, for a table without ``cellhts2_plate``.

    Replicate plates of one library plate hold the same proteins in the same wells, so
    plates are grouped by their sample layout (well -> protein). The grouping must give
    each replicate at most one plate per library plate; otherwise the layouts cannot tell
    the plates apart and the column is needed.
    """
    if pd.Series(plate).groupby(rep_key).nunique().max() <= 1:
        return pd.Series("1", index=wells.index)  # one plate per replicate
    sample = pd.DataFrame(
        {
            "plate": plate[is_sample],
            "pair": (
                wells.loc[is_sample, C.WELL].astype(str)
                + "="
                + wells.loc[is_sample, C.PROTEIN].astype(str)
            ).to_numpy(),
        }
    )
    layout = (
        sample.sort_values(["plate", "pair"]).groupby("plate", sort=False)["pair"].agg("\t".join)
    )
    library = pd.Series(pd.factorize(layout)[0], index=layout.index)
    lib = pd.Series(plate).map(library)
    per_rep = pd.DataFrame({"rep": rep_key, "plate": plate, "lib": lib.to_numpy()})
    plates_per_lib = per_rep.drop_duplicates(["rep", "plate"]).groupby(["rep", "lib"]).size()
    if lib.isna().any() or (plates_per_lib > 1).any():
        raise SchemaError(
            "cellhts2_scores: a replicate spans several plates, and their sample layouts "
            "(which protein sits in which well) do not tell which plates are replicates of "
            "one library plate; add a 'cellhts2_plate' column (the same number for the "
            "replicate plates of one library plate; a cellHTS2 folder, --cellhts2 DIR, has it)"
        )
    return pd.Series((lib.astype(int) + 1).astype(str).to_numpy(), index=wells.index)


def summarize_cellhts2(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per library position from :func:`cellhts2_scores` output.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`cellhts2_scores`.

    Returns
    -------
    pandas.DataFrame
        Key ``cell_line, treatment, cellhts2_plate, well`` (those present); columns ``role``,
        ``protein`` (first non-missing), ``n_replicates`` (scores that are not missing),
        ``summary_score``.

    Raises
    ------
    SchemaError
        When ``scored`` lacks the ``score`` / ``summary_score`` columns.
    """
    if SCORE not in scored.columns or SUMMARY_SCORE not in scored.columns:
        raise SchemaError("summarize_cellhts2: run cellhts2_scores first (no score column)")
    key = [c for c in (C.CELL_LINE, C.TREATMENT, CELLHTS2_PLATE, C.WELL) if c in scored.columns]
    agg: dict[str, tuple[str, str]] = {
        C.ROLE: (C.ROLE, "first"),
        C.N_REPLICATES: (SCORE, "count"),
        SUMMARY_SCORE: (SUMMARY_SCORE, "first"),
    }
    if C.PROTEIN in scored.columns:
        agg[C.PROTEIN] = (C.PROTEIN, "first")
    out = scored.groupby(key, sort=False, dropna=False).agg(**agg).reset_index()
    return out
