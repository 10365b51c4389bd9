"""Drug-specific rescue: does a protein block the drug, or just make cells grow.

For each drug context with a vehicle arm in the same cell line, the interaction

    interaction_log2 = mean(log2_ratio, drug arm) - mean(growth_log2, vehicle arm)

is tested with a limma-equivalent moderated two-group test on the protein's drug-arm and
vehicle-arm ``test_value`` replicates (coefficient drug - vehicle, pooled residual variance
with df = n_drug + n_vehicle - 2, variance prior estimated across the context's library),
one-sided (drug-specific rescue > growth) by default; BH within context -> ``interaction_q``.
A mitogen raises both arms equally (interaction ~ 0); a rescuer raises only the drug arm.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.hits import (
    KEY,
    adjust_by_group,
    combine_codes,
    encode_keys,
    first_appearance,
    is_value,
    key_codes,
    moments,
    text_array,
)
from secretome_rank.moderated import moderate, moderated_t, t_sf

__all__ = ["classify", "interaction_stats", "two_group_moderated"]


def _two_group_design(
    n1: np.ndarray,
    m1: np.ndarray,
    v1: np.ndarray,
    n2: np.ndarray,
    m2: np.ndarray,
    v2: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coefficient, unscaled SE, pooled residual variance and its df of ``mean1 - mean2``."""
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    v1 = np.where(n1 > 1, v1, 0.0)
    v2 = np.where(n2 > 1, v2, 0.0)
    df = np.maximum(n1 - 1, 0) + np.maximum(n2 - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = (np.maximum(n1 - 1, 0) * v1 + np.maximum(n2 - 1, 0) * v2) / df
        coef = np.where((n1 > 0) & (n2 > 0), m1 - m2, np.nan)
        su = np.sqrt(1 / n1 + 1 / n2)
    return coef, su, np.where(df > 0, s2, np.nan), df


def two_group_moderated(
    n1: np.ndarray,
    m1: np.ndarray,
    v1: np.ndarray,
    n2: np.ndarray,
    m2: np.ndarray,
    v2: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    robust: bool = False,
) -> dict[str, np.ndarray]:
    """Moderated t for ``mean1 - mean2`` per feature (limma ``lmFit(~ group)`` + ``eBayes``).

    Features with only one group still contribute their residual variance to the prior
    (as in limma) but get no coefficient. ``robust``: ``eBayes(robust = TRUE)``.
    """
    coef, su, s2, df = _two_group_design(n1, m1, v1, n2, m2, v2)
    fit = moderated_t(coef, su, s2, df, groups=groups, robust=robust)
    return {
        "coef": coef,
        "t": fit.t,
        "df": fit.df_total,
        "p_greater": fit.p_greater,
        "p_two_sided": fit.p_two_sided,
        "s2_prior": fit.s2_prior,
        "df_prior": fit.df_prior,
    }


def _arm_stats(
    table_codes: dict[str, np.ndarray],
    arm_codes: dict[str, np.ndarray],
    sizes: dict[str, int],
    by: list[str],
    columns: list[np.ndarray],
    spread: list[bool] | None = None,
) -> list[tuple[np.ndarray, ...]]:
    """N, mean and variance of ``columns`` (values of an arm's wells) per ``by`` key, per table row.

    ``arm_codes`` are the key codes of the arm's wells, ``table_codes`` those of the table's
    rows in the same code space. A key without wells gets ``n = 0``, NaN mean and variance.
    ``spread`` as in :func:`~secretome_rank.hits.moments`.
    Groups are numbered by key id: their order does not change the sums (each group's wells
    are summed in row order).
    """
    n_table = table_codes[by[0]].size
    key_sizes = [sizes[k] for k in by]
    if math.prod(key_sizes) <= 4 * min(n_table, arm_codes[by[0]].size) + (1 << 20):
        # combine_codes keeps the product space (no renumbering): the same ids apart
        table_ids, size = combine_codes([table_codes[k] for k in by], key_sizes)
        well_ids, _ = combine_codes([arm_codes[k] for k in by], key_sizes)
    else:
        ids, size = combine_codes(
            [np.concatenate([table_codes[k], arm_codes[k]]) for k in by], key_sizes
        )
        table_ids, well_ids = ids[:n_table], ids[n_table:]
    has = np.zeros(size, dtype=bool)
    has[well_ids] = True
    label = np.cumsum(has) - 1  # group of each key id with wells
    n_groups = int(label[-1]) + 1
    table_label = np.where(has[table_ids], label[table_ids], n_groups)  # n_groups: no wells
    stats = moments(columns, label[well_ids], n_groups + 1, spread=spread)
    return [tuple(a[table_label] for a in st) for st in stats]


def interaction_stats(
    scored: pd.DataFrame,
    stats_table: pd.DataFrame,
    *,
    alternative: str = "greater",
    adjust: str = "bh",
    robust: bool = False,
) -> pd.DataFrame:
    """Add the drug x vehicle interaction test to a per-protein table.

    Columns ``interaction_log2``, ``interaction_t``, ``interaction_df``, ``interaction_p``,
    ``interaction_q`` and ``n_vehicle`` (NaN without a vehicle arm). ``robust``: limma's
    robust variance prior, as in :func:`secretome_rank.hits.protein_stats`.
    """
    out = stats_table.copy(deep=False)  # copy-on-write: new columns only
    new = {col: np.full(len(out), np.nan) for col in C.INTERACTION_COLUMNS}
    new["n_vehicle"] = np.zeros(len(out), dtype=int)
    sample = is_value(scored[C.ROLE], C.SAMPLE)
    veh_rows = np.flatnonzero(sample & is_value(scored[C.ARM], C.ARM_VEHICLE))
    if veh_rows.size:
        _interaction(
            scored,
            out,
            new,
            veh_rows,
            sample,
            alternative=alternative,
            adjust=adjust,
            robust=robust,
        )
    for col, values in new.items():
        out[col] = values
    return out


def _interaction(
    scored: pd.DataFrame,
    table: pd.DataFrame,
    new: dict[str, np.ndarray],
    veh_rows: np.ndarray,
    sample: np.ndarray,
    *,
    alternative: str,
    adjust: str,
    robust: bool,
) -> None:
    """Fill the columns ``new`` of :func:`interaction_stats` for a screen with a vehicle arm."""
    drug_rows = np.flatnonzero(sample & is_value(scored[C.ARM], C.ARM_DRUG))
    # integer codes of the arms' wells' keys, and of the table's keys in the same code space
    arm_rows = np.concatenate([veh_rows, drug_rows])
    veh, drug, sizes, table_codes = {}, {}, {}, {}
    for k in KEY:
        codes, levels = key_codes(scored[k], arm_rows)
        veh[k], drug[k] = codes[: veh_rows.size], codes[veh_rows.size :]
        sizes[k] = len(levels) + 2
        table_codes[k] = encode_keys(table[k], levels)
    test_value = scored[C.TEST_VALUE].to_numpy(dtype=float)
    growth = scored[C.GROWTH_LOG2].to_numpy(dtype=float)
    v, vg = _arm_stats(
        table_codes,
        veh,
        sizes,
        [C.CELL_LINE, C.PROTEIN],
        [test_value[veh_rows], growth[veh_rows]],
        spread=[True, False],  # the growth's mean only
    )
    (d,) = _arm_stats(table_codes, drug, sizes, KEY, [test_value[drug_rows]])
    new["n_vehicle"] = v[0].astype(int)
    new["interaction_log2"] = table[C.LOG2_FC].to_numpy() - vg[1]
    vehicle_lines = np.zeros(sizes[C.CELL_LINE], dtype=bool)
    vehicle_lines[veh[C.CELL_LINE]] = True
    sel = vehicle_lines[table_codes[C.CELL_LINE]]
    if not sel.any():
        return
    context = [C.CELL_LINE, C.TREATMENT]
    ctx_ids, ctx_size = combine_codes(
        [table_codes[k][sel] for k in context], [sizes[k] for k in context]
    )
    ctx = first_appearance(ctx_ids, ctx_size)[0]
    coef, su, s2, df_resid = _two_group_design(*(a[sel] for a in (*d, *v)))
    t, df, _, _, _ = moderate(coef, su, s2, df_resid, groups=ctx, robust=robust)
    with np.errstate(invalid="ignore"):
        p = t_sf(t, df) if alternative == "greater" else np.minimum(2 * t_sf(np.abs(t), df), 1.0)
    new["interaction_t"][sel] = t
    new["interaction_df"][sel] = np.where(np.isnan(t), np.nan, df)
    new["interaction_p"][sel] = p
    new[C.INTERACTION_Q][sel] = adjust_by_group(p, ctx, method=adjust)


def classify(table: pd.DataFrame, *, fdr: float = 0.05) -> pd.DataFrame:
    """Add ``class`` per protein and context.

    ``sensitizer`` (a down hit); ``rescuer`` (rescue hit whose interaction with the drug is
    significant, ``interaction_q <= fdr``); ``mitogen`` (rescue hit that the vehicle arm
    explains: interaction not significant); ``rescue_unconfirmed`` (rescue hit, no vehicle
    data for it); ``insufficient_data`` (no test possible); ``inactive`` otherwise.
    """
    out = table.copy(deep=False)  # copy-on-write: new columns only
    hit_up = out[C.IS_HIT] & (out[C.DIRECTION] == C.UP)
    hit_down = out[C.IS_HIT] & (out[C.DIRECTION] == C.DOWN)
    has_int = (
        out[C.INTERACTION_Q].notna()
        if C.INTERACTION_Q in out
        else pd.Series(False, index=out.index)
    )
    specific = has_int & (out.get(C.INTERACTION_Q, pd.Series(np.nan, index=out.index)) <= fdr)
    untestable = out[C.P_VALUE].isna() & out[C.SSMD].isna()
    classes = [
        C.CLASS_SENSITIZER,
        C.CLASS_RESCUER,
        C.CLASS_MITOGEN,
        C.CLASS_UNCONFIRMED,
        C.CLASS_INSUFFICIENT,
        C.CLASS_INACTIVE,
    ]
    which = np.select(
        [hit_down, hit_up & specific, hit_up & has_int, hit_up, untestable],
        [0, 1, 2, 3, 4],
        default=5,
    )
    out[C.CLASS] = text_array(classes, which)
    return out
