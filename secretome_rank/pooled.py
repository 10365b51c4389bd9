"""Pooled design: cell lines (or patient samples) as replicates of each drug (DESIGN 2.6).

Large panels often have one well per protein, cell line and drug, so no per-context test is
possible. Pooling analyses each drug across lines instead (a two-stage "summary statistics"
analysis):

1. per line and protein: mean ``test_value``, ``log2_ratio`` and ``rescue_pct`` over that
   line's replicate wells (usually one);
2. per drug and protein, across lines: limma-style moderated one-sample t of the per-line
   means (variance prior across the drug's library, :func:`secretome_rank.moderated.moderated_t`
   with ``groups`` = drug), after subtracting the library median of the across-line means
   (second-stage centring, see :func:`pooled_stats`), one-sided for rescue by default,
   adjusted within drug;
3. with a vehicle arm: per line the difference ``mean drug test_value - mean vehicle
   test_value``, tested across lines with the same (centred) moderated one-sample t
   (one-sided: drug-specific rescue > growth), adjusted within drug -> ``interaction_q``;
4. hit call and class through :func:`secretome_rank.hits.call_hits` and
   :func:`secretome_rank.specificity.classify`, with the effect-size condition counted in
   lines (see :func:`pooled_stats`).

Needs no well positions: only ``role, arm, cell_line, treatment, protein`` and the per-well
scores of :func:`secretome_rank.normalize.normalize_plates`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, SchemaError
from secretome_rank.hits import (
    adjust_by_group,
    call_hits,
    combine_codes,
    group_stats,
    is_value,
    key_codes,
)
from secretome_rank.moderated import moderated_t
from secretome_rank.rank import rank_hits
from secretome_rank.specificity import classify

__all__ = ["N_LINES_RESCUED", "POOLED", "POOLED_EXTRA_COLUMNS", "needs_pooling", "pooled_stats"]

logger = logging.getLogger(__name__)

#: ``cell_line`` value of pooled rows in ``hits``
POOLED = "pooled"
#: number of lines where the protein's mean ``rescue_pct`` >= ``min_rescue``
N_LINES_RESCUED = "n_lines_rescued"
#: columns after ``columns.HITS_COLUMNS``, in the order of the pipeline's hits table
POOLED_EXTRA_COLUMNS = (
    "n_wells",
    "s2_prior",
    "df_prior",
    "interaction_log2",
    "interaction_t",
    "interaction_df",
    "interaction_p",
    C.INTERACTION_Q,
    "n_vehicle",
    C.STATUS,
    N_LINES_RESCUED,
)

_NEEDED = (
    C.ROLE,
    C.ARM,
    C.CELL_LINE,
    C.TREATMENT,
    C.PROTEIN,
    C.TEST_VALUE,
    C.LOG2_RATIO,
    C.RESCUE_PCT,
)


def needs_pooling(scored_wells: pd.DataFrame, *, min_lines: int = 3) -> bool:
    """Whether contexts have a single replicate per protein in a panel of cell lines.

    Parameters
    ----------
    scored_wells : pandas.DataFrame
        Well table (canonical or normalised): ``role, protein, cell_line, treatment``.
    min_lines : int
        Minimum number of cell lines for pooling to make sense.

    Returns
    -------
    bool
        True when every drug context x protein (cell_line, treatment, protein) has at most
        one sample well and there are at least ``min_lines`` cell lines with drug-arm sample
        wells. The vehicle arm (``arm == "vehicle"``, or a vehicle word such as ``DMSO`` as
        treatment when there is no ``arm`` column) is not counted. False otherwise (also
        when ``cell_line`` or ``treatment`` is absent).

    Examples
    --------
    >>> import secretome_rank as sr
    >>> w, _ = sr.simulate_screen(0, n_proteins=30, cell_lines=4, n_replicates=1, drugs=("x",))
    >>> needs_pooling(w)
    True
    """
    cols = (C.ROLE, C.PROTEIN, C.CELL_LINE, C.TREATMENT)
    if any(c not in scored_wells.columns for c in cols):
        return False
    w = scored_wells
    keep = is_value(w[C.ROLE], C.SAMPLE) & w[C.PROTEIN].notna().to_numpy()
    if C.ARM in w.columns:  # contexts are drug arms; the vehicle arm may have more replicates
        keep &= is_value(w[C.ARM], C.ARM_DRUG)
    else:
        vehicle = w[C.TREATMENT].astype(str).str.strip().str.lower().isin(C.DEFAULT_VEHICLE_WORDS)
        keep &= ~vehicle.to_numpy(dtype=bool)
    rows = np.flatnonzero(keep)
    # integer key codes of the kept wells (a missing key: code len(levels))
    codes, levels = zip(
        *(key_codes(w[k], rows) for k in (C.CELL_LINE, C.TREATMENT, C.PROTEIN)), strict=True
    )
    sizes = [len(lv) + 2 for lv in levels]
    lines = np.bincount(codes[0], minlength=sizes[0])[: len(levels[0])]
    if rows.size == 0 or np.count_nonzero(lines) < min_lines:
        return False
    known = np.ones(rows.size, dtype=bool)  # groupby drops wells with a missing key
    for c, lv in zip(codes, levels, strict=True):
        known &= c != len(lv)
    if not known.any():
        return False
    ids, size = combine_codes([c if known.all() else c[known] for c in codes], sizes)
    return bool(np.bincount(ids, minlength=size).max() <= 1)


def _key_codes(w: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, NDArray[np.object_]]]:
    """Integer codes of treatment, protein and cell line (fast for categoricals) + labels."""
    codes, labels = {}, {}
    for c in (C.TREATMENT, C.PROTEIN, C.CELL_LINE):
        code, uniq = pd.factorize(w[c], use_na_sentinel=False)
        codes[c] = code
        labels[c] = np.asarray(pd.Index(uniq).astype(str), dtype=object)
    return pd.DataFrame(codes, index=w.index), labels


def _per_line(
    w: pd.DataFrame, keys: pd.DataFrame, mask: pd.Series, by: list[str], values: dict[str, str]
) -> pd.DataFrame:
    """Mean of each value column per key group (NaN-aware), plus the well count."""
    frame = keys.loc[mask, by].assign(
        **{out: w.loc[mask, col].to_numpy(dtype=float) for out, col in values.items()}
    )
    g = frame.groupby(by, sort=False)
    res = g[list(values)].mean()
    res["n_wells"] = g.size()
    return res.reset_index()


def _moderated(
    frame: pd.DataFrame, value: str, by: list[str], *, robust: bool = False
) -> pd.DataFrame:
    """Moderated one-sample t of ``value`` across rows of each ``by`` group (prior per drug)."""
    ok = frame[value].notna()
    sub = frame[ok]
    st = group_stats(sub[value], [sub[c] for c in by])
    st.index.names = by
    st = st.reset_index()
    n = st["n"].to_numpy(dtype=float)
    drug_code = pd.factorize(st[C.TREATMENT])[0]
    # second-stage centring on the library bulk of each drug (see pooled_stats Notes)
    bulk = st["mean"].where(n >= 2).groupby(drug_code).transform("median").fillna(0.0)
    st["bulk"] = bulk.to_numpy()
    coef = st["mean"].to_numpy() - st["bulk"].to_numpy()
    fit = moderated_t(
        coef, 1 / np.sqrt(n), st["var"].to_numpy(), n - 1, groups=drug_code, robust=robust
    )
    st["t"] = fit.t
    st["df"] = fit.df_total
    st["p_greater"] = fit.p_greater
    st["p_two_sided"] = fit.p_two_sided
    st["s2_prior"] = fit.s2_prior
    st["df_prior"] = fit.df_prior
    return st


def pooled_stats(
    scored_wells: pd.DataFrame,
    *,
    fdr: float = 0.05,
    min_rescue: float = 20.0,
    alternative: str = "greater",
    adjust: str = "bh",
    min_line_fraction: float = 0.1,
    robust: bool = False,
    sign: int = 1,
) -> pd.DataFrame:
    """Per drug and protein, test across cell lines used as replicates (``cell_line = "pooled"``).

    Parameters
    ----------
    scored_wells : pandas.DataFrame
        Normalised wells (:func:`secretome_rank.normalize.normalize_plates`, i.e.
        ``PipelineResult.wells``): ``role, arm, cell_line, treatment, protein, test_value,
        log2_ratio, rescue_pct`` (+ ``growth_log2`` on vehicle plates). ``well``, ``row``
        and ``col`` are not used and may be absent.
    fdr : float
        q-value threshold of a hit and of a significant interaction.
    min_rescue : float
        Minimum % rescue of a line to count as rescued (``n_lines_rescued``).
    alternative : {"greater", "two-sided"}
        One-sided rescue test, or two-sided (finds sensitizers too). The interaction test
        is always one-sided (drug-specific rescue > growth), as in the per-context pipeline.
    adjust : str
        p-value adjustment within each drug (:func:`secretome_rank.adjust_pvalues`).
    min_line_fraction : float
        Effect-size condition of a hit: the protein must rescue (per-line mean
        ``rescue_pct >= min_rescue``) at least ``max(1, ceil(min_line_fraction * n))`` of the
        ``n`` lines with data (for a sensitizer: ``rescue_pct <= -min_rescue`` in as many).
    robust : bool
        limma's robust variance prior (:mod:`secretome_rank.robust_prior`) for both tests.
    sign : {1, -1}
        :func:`~secretome_rank.normalize.readout_sign`: -1 where the readout falls with
        viability, so that SSMD (from log2 ratios) is positive for rescue like the test.

    Returns
    -------
    pandas.DataFrame
        One row per drug x protein (every sample protein of the input, for every drug),
        ranked within drug, with the columns of ``columns.HITS_COLUMNS`` followed by
        ``POOLED_EXTRA_COLUMNS``:

        - ``cell_line``: ``"pooled"``; ``treatment``, ``protein``;
        - ``symbol``, ``receptors``: None placeholders (the pipeline annotates them; drop
          them before :func:`secretome_rank.pipeline._add_receptors`-style merges);
        - ``n_replicates``: number of cell lines with a finite per-line ``test_value``;
        - ``rescue_pct``: mean over lines of the per-line mean % rescue;
        - ``log2_fc``: mean over lines of the per-line mean ``log2_ratio``;
        - ``ssmd``: paired SSMD across lines, ``mean(d) / sd(d)`` with ``d`` = per-line mean
          ``log2_ratio`` minus the line's mean drug-control ``log2_ratio`` (Zhang 2007);
        - ``t``, ``df``, ``p_value``, ``q_value``: moderated t across lines of the per-line
          mean ``test_value`` minus the drug's library median (``df`` = lines - 1 + prior
          df), p one-sided unless two-sided, q within drug;
        - ``is_hit``, ``direction``: ``call_hits`` significance (``q_value <= fdr``, sign of
          t) and the line-count effect condition above;
        - ``class``: :func:`secretome_rank.specificity.classify`; ``rank``: within drug;
        - ``n_wells``: drug-arm sample wells over all lines; ``s2_prior``, ``df_prior``;
        - ``interaction_log2``: mean over lines with both arms of (per-line mean
          ``log2_ratio`` - per-line mean vehicle ``growth_log2``);
          ``interaction_t``, ``interaction_df``, ``interaction_p``, ``interaction_q``:
          moderated one-sample t of the per-line ``test_value`` difference drug - vehicle
          (NaN without a vehicle arm); ``n_vehicle``: lines with both arms;
        - ``status``: ``ok``, ``single_replicate_prior_df`` (one line, tested on the prior),
          ``single_replicate_untested``, ``untested``, ``all_wells_missing`` or
          ``not_on_plates`` (same vocabulary as per-context rows; replicate = line);
        - ``n_lines_rescued``: lines whose mean ``rescue_pct >= min_rescue``.

    Raises
    ------
    SchemaError
        If the normalised columns are missing.
    ConfigError
        For invalid thresholds.

    Notes
    -----
    Lines are the experimental units, so the test asks whether the protein rescues the
    *population* of lines on average. A protein active in a fraction f of lines with
    per-line effect e has mean f e and SD about sqrt(f (1 - f)) e across lines, so with
    n lines its t grows like sqrt(n f / (1 - f)): line-specific rescuers are found in large
    panels. Their mean ``rescue_pct`` is diluted by the unrescued lines, which is why the
    effect condition counts rescued lines instead of thresholding the mean.

    Second-stage centring: ``test_value`` is centred per plate on the library median, but a
    panel usually puts every protein in the *same well* on every line's plate, so a
    position effect (edge loss, a gradient that is not random) gives each protein a small
    bias that is the same in all lines. Replicate lines do not average it away, and with
    100 lines the standard error is so small that the bias alone becomes "significant"
    (on simulated panels 20 % of inactive proteins had p < 0.05). The test therefore
    compares each protein's across-line mean with the median across-line mean of the
    drug's library (proteins with >= 2 lines), i.e. with the typical library protein, as
    the per-plate centring does within a plate; null p-values are then close to uniform
    (5-7 % below 0.05). The interaction (drug - vehicle in the same well position) cancels
    position effects by design and is centred the same way. Effect sizes (``rescue_pct``,
    ``log2_fc``, ``interaction_log2``) are not centred.

    References
    ----------
    Smyth GK (2004) doi:10.2202/1544-6115.1027 (moderated t);
    Zhang XD (2007) doi:10.1016/j.ygeno.2007.01.005 (SSMD).

    Examples
    --------
    >>> import secretome_rank as sr
    >>> from secretome_rank.normalize import normalize_plates
    >>> w, _ = sr.simulate_screen(0, n_proteins=40, cell_lines=5, n_replicates=1, drugs=("x",),
    ...                           with_wells=False)
    >>> scored, _ = normalize_plates(sr.read_screen(w))
    >>> p = pooled_stats(scored)
    >>> p["cell_line"].unique().tolist(), int(p["n_replicates"].max())
    (['pooled'], 5)
    """
    if not 0 < fdr <= 1:
        raise ConfigError(f"fdr={fdr}; expected a number in (0, 1]")
    if not 0 <= min_line_fraction <= 1:
        raise ConfigError(f"min_line_fraction={min_line_fraction}; expected a number in [0, 1]")
    if alternative not in ("greater", "two-sided"):
        raise ConfigError(
            f"unknown alternative {alternative!r}; expected one of greater, two-sided"
        )
    missing = [c for c in _NEEDED if c not in scored_wells.columns]
    if missing:
        raise SchemaError(
            f"pooled_stats needs normalised wells; missing column(s) {', '.join(missing)}. "
            "Pass PipelineResult.wells or the output of normalize_plates()"
        )
    w = scored_wells
    keys, labels = _key_codes(w)
    is_sample = (w[C.ROLE] == C.SAMPLE) & w[C.PROTEIN].notna()
    drug_arm = w[C.ARM] == C.ARM_DRUG
    veh_mask = is_sample & (w[C.ARM] == C.ARM_VEHICLE)
    key_l = [C.TREATMENT, C.PROTEIN, C.CELL_LINE]
    key = [C.TREATMENT, C.PROTEIN]

    # 1. per line: means over the line's replicate wells
    line = _per_line(
        w,
        keys,
        is_sample & drug_arm,
        key_l,
        {"tv": C.TEST_VALUE, "lr": C.LOG2_RATIO, "rp": C.RESCUE_PCT},
    )
    dc_mask = (w[C.ROLE] == C.DRUG_CONTROL) & drug_arm
    ctrl = _per_line(w, keys, dc_mask, [C.TREATMENT, C.CELL_LINE], {"ctrl": C.LOG2_RATIO})
    line = line.merge(
        ctrl[[C.TREATMENT, C.CELL_LINE, "ctrl"]], on=[C.TREATMENT, C.CELL_LINE], how="left"
    )
    line["d"] = line["lr"] - line["ctrl"].fillna(0.0)
    line.loc[line["tv"].isna(), ["lr", "rp", "d"]] = np.nan  # a line counts only with a test value

    # 2. across lines
    st = _moderated(line, "tv", key, robust=robust)
    agg = line.groupby(key, sort=False).agg(
        n_wells=("n_wells", "sum"),
        rp=("rp", "mean"),
        lr=("lr", "mean"),
        n_rp=("rp", "count"),
    )
    rp = line["rp"]
    agg[N_LINES_RESCUED] = (rp >= min_rescue).groupby([line[c] for c in key], sort=False).sum()
    agg["n_lines_down"] = (rp <= -min_rescue).groupby([line[c] for c in key], sort=False).sum()
    d = group_stats(line["d"], [line[c] for c in key])
    with np.errstate(invalid="ignore", divide="ignore"):
        agg[C.SSMD] = sign * d["mean"] / np.sqrt(d["var"])
    agg = agg.reset_index()

    # every sample protein for every drug (nothing silently dropped)
    drugs = pd.unique(keys.loc[drug_arm, C.TREATMENT])
    proteins = pd.unique(keys.loc[is_sample, C.PROTEIN])
    grid = pd.MultiIndex.from_product([drugs, proteins], names=key).to_frame(index=False)
    res = grid.merge(agg, on=key, how="left").merge(st, on=key, how="left")
    res["n_wells"] = res["n_wells"].fillna(0).astype(int)
    n_lines = res["n"].fillna(0).astype(int)
    p_sel = res["p_greater"] if alternative == "greater" else res["p_two_sided"]
    p = np.minimum(p_sel.to_numpy(dtype=float), 1.0)
    drug_codes = pd.factorize(res[C.TREATMENT])[0]

    out = pd.DataFrame(
        {
            C.CELL_LINE: POOLED,
            C.TREATMENT: labels[C.TREATMENT][res[C.TREATMENT].to_numpy()],
            C.PROTEIN: labels[C.PROTEIN][res[C.PROTEIN].to_numpy()],
            C.SYMBOL: None,
            C.N_REPLICATES: n_lines,
            C.RESCUE_PCT: res["rp"],
            C.LOG2_FC: res["lr"],
            C.SSMD: res[C.SSMD],
            C.T: res["t"],
            C.DF: res["df"],
            C.P_VALUE: p,
            C.Q_VALUE: adjust_by_group(p, drug_codes, method=adjust),
        }
    )
    # 3. hit call: significance from call_hits, effect size counted in lines
    out = call_hits(out, fdr=fdr, min_rescue=-np.inf, alternative=alternative, test="moderated")
    need = np.maximum(1, np.ceil(min_line_fraction * n_lines.to_numpy() - 1e-9))
    no_rescue_scale = res["n_rp"].fillna(0).to_numpy() == 0  # plates without controls
    up = (out[C.DIRECTION] == C.UP).to_numpy() & (
        (res[N_LINES_RESCUED].fillna(0).to_numpy() >= need) | no_rescue_scale
    )
    down = (out[C.DIRECTION] == C.DOWN).to_numpy() & (
        (res["n_lines_down"].fillna(0).to_numpy() >= need) | no_rescue_scale
    )
    out[C.IS_HIT] = up | down
    out[C.DIRECTION] = np.where(up, C.UP, np.where(down, C.DOWN, C.NONE))
    out[C.RECEPTORS] = None
    out["n_wells"] = res["n_wells"]
    out["s2_prior"] = res["s2_prior"]
    out["df_prior"] = res["df_prior"]

    # 4. interaction across lines (drug - vehicle, per line)
    for col in C.INTERACTION_COLUMNS:
        out[col] = np.nan
    out["n_vehicle"] = 0
    if veh_mask.any():
        v = _per_line(
            w, keys, veh_mask, [C.PROTEIN, C.CELL_LINE], {"vtv": C.TEST_VALUE, "vg": C.GROWTH_LOG2}
        )
        both = line.merge(
            v[[C.PROTEIN, C.CELL_LINE, "vtv", "vg"]], on=[C.PROTEIN, C.CELL_LINE], how="inner"
        )
        both["dtv"] = both["tv"] - both["vtv"]
        both["dlog2"] = np.where(both["dtv"].notna(), both["lr"] - both["vg"], np.nan)
        if both["dtv"].notna().any():
            it = _moderated(both, "dtv", key, robust=robust)
            il = both.groupby(key, sort=False)["dlog2"].mean().rename("ilog2").reset_index()
            it = res[key].merge(it, on=key, how="left").merge(il, on=key, how="left")
            ip = it["p_greater"].to_numpy(dtype=float)
            out["interaction_log2"] = it["ilog2"].to_numpy()
            out["interaction_t"] = it["t"].to_numpy()
            out["interaction_df"] = it["df"].to_numpy()
            out["interaction_p"] = ip
            out[C.INTERACTION_Q] = adjust_by_group(ip, drug_codes, method=adjust)
            out["n_vehicle"] = it["n"].fillna(0).astype(int).to_numpy()
    out = classify(out, fdr=fdr)

    pv = out[C.P_VALUE]
    out[C.STATUS] = np.select(
        [out["n_wells"] == 0, n_lines == 0, pv.isna() & (n_lines == 1), pv.isna(), n_lines == 1],
        [
            "not_on_plates",
            "all_wells_missing",
            "single_replicate_untested",
            "untested",
            "single_replicate_prior_df",
        ],
        default="ok",
    )
    out[N_LINES_RESCUED] = res[N_LINES_RESCUED].fillna(0).astype(int).to_numpy()
    out[C.RANK] = 0
    out = rank_hits(out)
    logger.info(
        "pooled %d drug(s) x %d protein(s) across up to %d line(s); %d hit(s)",
        len(drugs),
        len(proteins),
        int(n_lines.max()) if len(n_lines) else 0,
        int(out[C.IS_HIT].sum()),
    )
    return out[[*C.HITS_COLUMNS, *POOLED_EXTRA_COLUMNS]].reset_index(drop=True)
