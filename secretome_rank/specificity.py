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

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.hits import adjust_by_group, context_codes, group_stats
from secretome_rank.moderated import moderated_t

__all__ = ["classify", "interaction_stats", "two_group_moderated"]


def two_group_moderated(
    n1: np.ndarray,
    m1: np.ndarray,
    v1: np.ndarray,
    n2: np.ndarray,
    m2: np.ndarray,
    v2: np.ndarray,
    groups: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Moderated t for ``mean1 - mean2`` per feature (limma ``lmFit(~ group)`` + ``eBayes``).

    Features with only one group still contribute their residual variance to the prior
    (as in limma) but get no coefficient.
    """
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    v1 = np.where(n1 > 1, v1, 0.0)
    v2 = np.where(n2 > 1, v2, 0.0)
    df = np.maximum(n1 - 1, 0) + np.maximum(n2 - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = (np.maximum(n1 - 1, 0) * v1 + np.maximum(n2 - 1, 0) * v2) / df
        coef = np.where((n1 > 0) & (n2 > 0), m1 - m2, np.nan)
        su = np.sqrt(1 / n1 + 1 / n2)
    fit = moderated_t(coef, su, np.where(df > 0, s2, np.nan), df, groups=groups)
    return {
        "coef": coef,
        "t": fit.t,
        "df": fit.df_total,
        "p_greater": fit.p_greater,
        "p_two_sided": fit.p_two_sided,
        "s2_prior": fit.s2_prior,
        "df_prior": fit.df_prior,
    }


def interaction_stats(
    scored: pd.DataFrame,
    stats_table: pd.DataFrame,
    *,
    alternative: str = "greater",
    adjust: str = "bh",
) -> pd.DataFrame:
    """Add the drug x vehicle interaction test to a per-protein table.

    Columns ``interaction_log2``, ``interaction_t``, ``interaction_df``, ``interaction_p``,
    ``interaction_q`` and ``n_vehicle`` (NaN without a vehicle arm).
    """
    out = stats_table.copy()
    samples = scored[scored[C.ROLE] == C.SAMPLE]
    veh = samples[samples[C.ARM] == C.ARM_VEHICLE]
    drug = samples[samples[C.ARM] == C.ARM_DRUG]
    for col in C.INTERACTION_COLUMNS:
        out[col] = np.nan
    out["n_vehicle"] = 0
    if veh.empty:
        return out
    v_tv = group_stats(veh[C.TEST_VALUE], [veh[C.CELL_LINE], veh[C.PROTEIN]])
    v_gr = group_stats(veh[C.GROWTH_LOG2], [veh[C.CELL_LINE], veh[C.PROTEIN]])
    d_tv = group_stats(drug[C.TEST_VALUE], [drug[C.CELL_LINE], drug[C.TREATMENT], drug[C.PROTEIN]])
    key_d = pd.MultiIndex.from_frame(out[[C.CELL_LINE, C.TREATMENT, C.PROTEIN]])
    key_v = pd.MultiIndex.from_frame(out[[C.CELL_LINE, C.PROTEIN]])
    d = d_tv.reindex(key_d)
    v = v_tv.reindex(key_v)
    vg = v_gr.reindex(key_v)
    out["n_vehicle"] = v["n"].fillna(0).astype(int).to_numpy()
    out["interaction_log2"] = out[C.LOG2_FC].to_numpy() - vg["mean"].to_numpy()
    has_vehicle_line = out[C.CELL_LINE].isin(veh[C.CELL_LINE].unique()).to_numpy()
    if not has_vehicle_line.any():
        return out
    sel = has_vehicle_line
    ctx = context_codes(out)[sel]
    res = two_group_moderated(
        d["n"].fillna(0).to_numpy()[sel],
        d["mean"].to_numpy()[sel],
        d["var"].to_numpy()[sel],
        v["n"].fillna(0).to_numpy()[sel],
        v["mean"].to_numpy()[sel],
        v["var"].to_numpy()[sel],
        groups=pd.factorize(ctx)[0],
    )
    p = np.asarray(
        res["p_greater"] if alternative == "greater" else res["p_two_sided"], dtype=float
    )
    cols = {
        "interaction_t": res["t"],
        "interaction_df": res["df"],
        "interaction_p": p,
        C.INTERACTION_Q: adjust_by_group(p, ctx, method=adjust),
    }
    for col, values in cols.items():
        arr = out[col].to_numpy(dtype=float, copy=True)
        arr[sel] = values
        out[col] = arr
    return out


def classify(table: pd.DataFrame, *, fdr: float = 0.05) -> pd.DataFrame:
    """Add ``class`` per protein and context.

    ``sensitizer`` (a down hit); ``rescuer`` (rescue hit whose interaction with the drug is
    significant, ``interaction_q <= fdr``); ``mitogen`` (rescue hit that the vehicle arm
    explains: interaction not significant); ``rescue_unconfirmed`` (rescue hit, no vehicle
    data for it); ``insufficient_data`` (no test possible); ``inactive`` otherwise.
    """
    out = table.copy()
    hit_up = out[C.IS_HIT] & (out[C.DIRECTION] == C.UP)
    hit_down = out[C.IS_HIT] & (out[C.DIRECTION] == C.DOWN)
    has_int = (
        out[C.INTERACTION_Q].notna()
        if C.INTERACTION_Q in out
        else pd.Series(False, index=out.index)
    )
    specific = has_int & (out.get(C.INTERACTION_Q, pd.Series(np.nan, index=out.index)) <= fdr)
    untestable = out[C.P_VALUE].isna() & out[C.SSMD].isna()
    cls = np.select(
        [hit_down, hit_up & specific, hit_up & has_int, hit_up, untestable],
        [
            C.CLASS_SENSITIZER,
            C.CLASS_RESCUER,
            C.CLASS_MITOGEN,
            C.CLASS_UNCONFIRMED,
            C.CLASS_INSUFFICIENT,
        ],
        default=C.CLASS_INACTIVE,
    )
    out[C.CLASS] = cls
    return out
