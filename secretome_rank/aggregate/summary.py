"""The across-context runner: one row per protein from a ``hits`` table (``summary.tsv``).

:func:`summarize_contexts` keys the hits table by context
(:mod:`~secretome_rank.aggregate._contexts`), turns p-values into one-sided rescue p-values,
ranks proteins within each context, combines the contexts with the kernels of
:mod:`~secretome_rank.aggregate.kernels` (Stouffer, robust rank aggregation), adjusts the
combined p-values across proteins and labels each protein's drug and line pattern; the
``summary.tsv`` column names (:data:`SUMMARY_COLUMNS`) and pattern values are defined here.
"""

from __future__ import annotations

import logging
from typing import Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.aggregate._contexts import _Keys, _keys
from secretome_rank.aggregate.kernels import F64, rra_pvalue, rra_rho, stouffer
from secretome_rank.errors import ConfigError
from secretome_rank.multitest import adjust_pvalues, rescue_p
from secretome_rank.receptors.grouping import stable_order

__all__ = [
    "DRUG_PATTERNS",
    "LINE_PATTERNS",
    "SUMMARY_COLUMNS",
    "summarize_contexts",
]

logger = logging.getLogger(__name__)

# --- summary.tsv column names (candidates for columns.py) --------------------------------
N_CONTEXTS = "n_contexts"
N_CONTEXTS_TESTED = "n_contexts_tested"
N_HIT = "n_hit"
N_RESCUE_HIT = "n_rescue_hit"
N_RESCUER = "n_rescuer"
N_LINES_HIT = "n_lines_hit"
N_DRUGS_HIT = "n_drugs_hit"
MEAN_RESCUE_PCT = "mean_rescue_pct"
CONTEXT_RANKS = "context_ranks"
STOUFFER_Z = "stouffer_z"
STOUFFER_P = "stouffer_p"
STOUFFER_Q = "stouffer_q"
RRA_RHO = "rra_rho"
RRA_P = "rra_p"
RRA_Q = "rra_q"
IS_COMBINED_HIT = "is_combined_hit"
DRUG_PATTERN = "drug_pattern"
LINE_PATTERN = "line_pattern"

SUMMARY_COLUMNS = (
    C.PROTEIN,
    C.SYMBOL,
    C.RECEPTORS,
    N_CONTEXTS,
    N_CONTEXTS_TESTED,
    N_HIT,
    N_RESCUE_HIT,
    N_RESCUER,
    N_LINES_HIT,
    N_DRUGS_HIT,
    MEAN_RESCUE_PCT,
    CONTEXT_RANKS,
    STOUFFER_Z,
    STOUFFER_P,
    STOUFFER_Q,
    RRA_RHO,
    RRA_P,
    RRA_Q,
    IS_COMBINED_HIT,
    DRUG_PATTERN,
    LINE_PATTERN,
)

DrugPattern = Literal["pan-drug", "drug-specific", "mixed", "undetermined", "none"]
LinePattern = Literal["pan-line", "line-specific", "undetermined", "none"]
DRUG_PATTERNS: tuple[str, ...] = get_args(DrugPattern)
LINE_PATTERNS: tuple[str, ...] = get_args(LinePattern)


def _one_sided(k: _Keys, alternative: str) -> F64:
    p = k.num(C.P_VALUE)
    if alternative == "greater":
        return p
    t = k.num(C.T) if C.T in k.hits else np.full(p.shape, np.nan)
    return rescue_p(p, t)


def _within_context_rank(
    k: _Keys, tested: NDArray[np.bool_], p1: F64, *, by_rank: bool = True
) -> F64:
    """Rank 1..n_tested within each context (order of the ``rank`` column, else by p).

    ``by_rank=False`` (two-sided runs, whose ``rank`` puts sensitizer hits among the rescue
    hits): by the one-sided rescue p ``p1``, then by t.
    """
    if C.RANK in k.hits and by_rank:
        a = k.num(C.RANK)
        b = np.zeros(a.size)
    else:
        a = p1
        b = -k.num(C.T) if C.T in k.hits else np.zeros(a.size)
    idx = np.flatnonzero(tested)
    a = np.where(np.isnan(a), np.inf, a)[idx]
    b = np.where(np.isnan(b), np.inf, b)[idx]
    ctx = k.ctx[idx]
    order = stable_order(ctx, a, b, k.prot[idx])  # as np.lexsort((prot, b, a, ctx))
    cs = ctx[order]
    start = np.r_[0, np.flatnonzero(np.diff(cs)) + 1]
    group = np.cumsum(np.r_[0, (np.diff(cs) != 0).astype(np.intp)])
    rank = np.full(k.prot.size, np.nan)
    rank[idx[order]] = np.arange(cs.size) - start[group] + 1.0
    return rank


def _context_ranks(
    k: _Keys, tested: NDArray[np.bool_], rank: F64, n_prot: int
) -> NDArray[np.object_]:
    """``cell_line/treatment:rank`` over tested contexts, ``;``-joined, per protein."""
    labels = np.full(n_prot, "", dtype=object)
    idx = np.flatnonzero(tested)
    if idx.size == 0:
        return labels
    order = idx[stable_order(k.prot[idx], k.ctx[idx])]  # by protein, then context
    ctx, ps = k.ctx[order], k.prot[order]
    ranks = rank[order].astype(np.int64)
    prefix = k.ctx_line + "/" + k.ctx_drug + ":"
    # pieces "cell_line/treatment:", "rank", ";cell_line/treatment:", "rank", ... per protein,
    # rank texts written once per distinct rank
    pieces = np.empty(2 * order.size, dtype=object)
    pieces[0::2] = (";" + prefix)[ctx]
    pieces[1::2] = np.arange(int(ranks.max()) + 1).astype(str).astype(object)[ranks]
    cut = np.flatnonzero(np.diff(ps)) + 1
    first = np.r_[0, cut]
    pieces[2 * first] = prefix[ctx[first]]
    labels[ps[first]] = ["".join(chunk) for chunk in np.split(pieces, 2 * cut)]
    return labels


def _pair_counts(
    prot: NDArray[np.intp], other: NDArray[np.intp], hit: NDArray[np.bool_]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Per distinct (protein, other) pair of the rows: its protein, its rows, its hit rows."""
    width = max(int(other.max(initial=-1)) + 1, 1)
    codes, uniq = pd.factorize(prot.astype(np.int64) * width + other)
    n = uniq.size
    return (
        np.asarray(uniq // width, dtype=np.intp),
        np.bincount(codes, minlength=n),
        np.bincount(codes[hit], minlength=n),
    )


def _patterns(
    prot: NDArray[np.intp],
    line: NDArray[np.intp],
    drug: NDArray[np.intp],
    tested: NDArray[np.bool_],
    rescue_hit: NDArray[np.bool_],
    n_prot: int,
    pan_fraction: float,
) -> tuple[NDArray[np.object_], NDArray[np.object_], NDArray[np.int64], NDArray[np.int64]]:
    """Drug and line patterns per protein (rules in :func:`summarize_contexts`)."""
    keep = np.flatnonzero(tested | rescue_hit)
    p, h = prot[keep], rescue_hit[keep]
    # per protein x line: drugs tested, drugs hit; per protein x drug: lines tested, lines hit
    pl_prot, pl_nt, pl_nh = _pair_counts(p, line[keep], h)
    pd_prot, pd_nt, pd_nh = _pair_counts(p, drug[keep], h)
    n_lines_hit = np.bincount(pl_prot[pl_nh >= 1], minlength=n_prot).astype(np.int64)
    n_drugs_hit = np.bincount(pd_prot[pd_nh >= 1], minlength=n_prot).astype(np.int64)

    def member(proteins: NDArray[np.intp]) -> NDArray[np.bool_]:
        out = np.zeros(n_prot, dtype=bool)
        out[proteins] = True
        return out

    pan_drug = member(pl_prot[pl_nh >= 2])
    informative_d = member(pl_prot[(pl_nh >= 1) & (pl_nt >= 2)])
    pan_line = member(pd_prot[(pd_nh >= 2) & (pd_nh >= pan_fraction * pd_nt)])
    informative_l = member(pd_prot[(pd_nh >= 1) & (pd_nt >= 2)])

    any_hit = n_drugs_hit > 0
    dp = np.select(
        [~any_hit, pan_drug, n_drugs_hit >= 2, informative_d],
        ["none", "pan-drug", "mixed", "drug-specific"],
        default="undetermined",
    ).astype(object)
    lp = np.select(
        [~any_hit, pan_line, informative_l],
        ["none", "pan-line", "line-specific"],
        default="undetermined",
    ).astype(object)
    return dp, lp, n_lines_hit, n_drugs_hit


def summarize_contexts(
    hits: pd.DataFrame,
    *,
    fdr: float = 0.05,
    alternative: str = "greater",
    adjust: str = "bh",
    pan_fraction: float = 0.5,
    include_pooled: bool | None = None,
) -> pd.DataFrame:
    """One row per protein summarising its results across contexts (``summary.tsv``).

    Parameters
    ----------
    hits : pandas.DataFrame
        The ``hits`` table of :func:`secretome_rank.rank_screen`: one row per
        ``cell_line, treatment, protein`` with ``p_value`` (one-sided rescue p unless
        ``alternative="two-sided"``), ``is_hit``, and if present ``t``, ``direction``,
        ``class``, ``rescue_pct``, ``rank``, ``symbol``, ``receptors``.
    fdr : float
        Threshold on ``stouffer_q`` and ``rra_q`` for ``is_combined_hit``.
    alternative : {"greater", "two-sided"}
        How ``p_value`` was computed. Two-sided p-values are turned into one-sided rescue
        p-values with the sign of ``t`` (``p/2`` if ``t > 0``, else ``1 - p/2``).
    adjust : str
        Adjustment of the combined p-values across proteins (default BH).
    pan_fraction : float
        Fraction of tested lines a protein must rescue (for one drug) to be ``pan-line``.
    include_pooled : bool or None
        Rows whose ``cell_line`` is ``"pooled"`` (:mod:`secretome_rank.pooled`) re-use the
        per-line wells. ``None`` (default): leave them out, unless no per-line context has a
        finite ``p_value`` (a pooled design with one replicate per line); then they are the
        only contexts. ``True``: use all rows. ``False``: never use them.

    Returns
    -------
    pandas.DataFrame
        One row per protein, sorted by ``n_rescuer`` (desc), ``n_rescue_hit`` (desc),
        ``rra_p``, ``stouffer_p`` (asc, missing last; by ``stouffer_z`` where p underflows
        to 0), ``protein``. Columns:

        - ``protein``; ``symbol``, ``receptors`` (first value in ``hits``; NA if absent);
        - ``n_contexts``: contexts (cell_line x drug) in the table;
        - ``n_contexts_tested``: contexts with a finite ``p_value`` for the protein;
        - ``n_hit``: contexts with ``is_hit`` (either direction); ``n_rescue_hit``: with a
          rescue hit (``is_hit`` and ``direction == "up"``); ``n_rescuer``: with
          ``class == "rescuer"`` (drug-specific rescue confirmed by the vehicle arm);
        - ``n_lines_hit``, ``n_drugs_hit``: distinct cell lines / drugs with a rescue hit;
        - ``mean_rescue_pct``: mean ``rescue_pct`` over tested contexts (%);
        - ``context_ranks``: ``"cell_line/treatment:rank"`` joined by ``;`` over tested
          contexts (rank among the tested proteins of that context, in the order of the
          ``rank`` column of ``hits``; 1 = best; with ``alternative="two-sided"``, whose
          ``rank`` puts sensitizers among the hits, by the one-sided rescue p instead);
        - ``stouffer_z``, ``stouffer_p``, ``stouffer_q``: Stouffer combination of
          ``z_i = Phi^-1(1 - p_i)`` over tested contexts, ``z = sum z_i / sqrt(k)``,
          ``p = 1 - Phi(z)``, ``q`` adjusted across proteins;
        - ``rra_rho``, ``rra_p``, ``rra_q``: robust rank aggregation of the normalised ranks
          ``rank / N`` (N = proteins tested in the context; 1 for a context where the protein
          was not tested) over the k contexts where any protein was tested (a context with no
          test at all is not a ranked list): ``rho`` = :func:`rra_rho`,
          ``p = min(1, k * rho)`` (:func:`rra_pvalue`, R ``aggregateRanks`` ``Score``),
          ``q`` adjusted across proteins; NaN for proteins never tested;
        - ``is_combined_hit``: ``stouffer_q <= fdr``, ``rra_q <= fdr`` and a rescue hit in at
          least one context (consistent evidence, not a small bias summed over contexts);
        - ``drug_pattern``: see Notes; ``line_pattern``: see Notes.

    Notes
    -----
    Patterns use *rescue hits* (``is_hit`` and direction ``up``; mitogens included: the
    class columns say which hits are drug-specific) and *tested* contexts (finite
    ``p_value`` or a hit).

    ``drug_pattern`` (across drugs, within a cell line):

    - ``pan-drug``: a rescue hit for >= 2 drugs in the same cell line (any line);
    - ``drug-specific``: rescue hits for one drug only, and in at least one line where it
      hits, another drug was tested without a hit;
    - ``mixed``: hits for different drugs, but never two drugs in the same line;
    - ``undetermined``: hits for one drug, but no other drug was tested in those lines
      (e.g. a one-drug screen);
    - ``none``: no rescue hit.

    ``line_pattern`` (across cell lines, within a drug):

    - ``pan-line``: for some drug, a rescue hit in >= 2 lines and in >= ``pan_fraction`` of
      the lines where that drug was tested for the protein;
    - ``line-specific``: rescue hits, not pan-line, and for some hit drug at least one other
      line was tested (it rescues a minority of lines, e.g. 1 of 2 or 3 of 20);
    - ``undetermined``: hits, but each hit drug was tested in one line only;
    - ``none``: no rescue hit.

    References
    ----------
    Stouffer et al. (1949); Kolde et al. (2012) doi:10.1093/bioinformatics/btr709

    Examples
    --------
    >>> import secretome_rank as sr
    >>> wells, _ = sr.simulate_screen(seed=3, n_proteins=60, drugs=("x", "y"))
    >>> s = summarize_contexts(sr.rank_screen(wells).hits)
    >>> int(s["n_contexts"].iloc[0]), s["protein"].is_unique
    (4, True)
    """
    if not 0 < fdr <= 1:
        raise ConfigError(f"fdr={fdr}; expected a number in (0, 1]")
    if alternative not in ("greater", "two-sided"):
        raise ConfigError(
            f"unknown alternative {alternative!r}; expected one of greater, two-sided"
        )
    if not 0 < pan_fraction <= 1:
        raise ConfigError(f"pan_fraction={pan_fraction}; expected a number in (0, 1]")
    k = _keys(hits, include_pooled, (C.CELL_LINE, C.TREATMENT, C.PROTEIN, C.P_VALUE, C.IS_HIT))
    prot, n_rows = k.prot, k.prot.size
    n_prot, n_ctx = len(k.prot_labels), len(k.ctx_line)

    p1 = _one_sided(k, alternative)
    tested = np.isfinite(p1)
    is_hit = k.col(C.IS_HIT).fillna(False).to_numpy(dtype=bool)
    up = k.eq(C.DIRECTION, C.UP) if C.DIRECTION in k.hits else np.ones(n_rows, bool)
    rescue_hit = is_hit & up
    rescuer = k.eq(C.CLASS, C.CLASS_RESCUER) if C.CLASS in k.hits else np.zeros(n_rows, bool)

    out = pd.DataFrame({C.PROTEIN: k.prot_labels})
    for col in (C.SYMBOL, C.RECEPTORS):
        values = np.full(n_prot, None, dtype=object)
        if col in k.hits:
            series = k.col(col)
            nn = np.flatnonzero(series.notna().to_numpy())
            first = np.full(n_prot, nn.size)  # first non-missing row of each protein
            np.minimum.at(first, prot[nn], np.arange(nn.size))
            has = first < nn.size
            values[has] = series.iloc[nn[first[has]]].to_numpy(dtype=object)
        out[col] = values
    out[N_CONTEXTS] = n_ctx
    out[N_CONTEXTS_TESTED] = np.bincount(prot[tested], minlength=n_prot)
    out[N_HIT] = np.bincount(prot[is_hit], minlength=n_prot)
    out[N_RESCUE_HIT] = np.bincount(prot[rescue_hit], minlength=n_prot)
    out[N_RESCUER] = np.bincount(prot[rescuer], minlength=n_prot)
    dp, lp, n_lines_hit, n_drugs_hit = _patterns(
        prot, k.line, k.drug, tested, rescue_hit, n_prot, pan_fraction
    )
    out[N_LINES_HIT] = n_lines_hit
    out[N_DRUGS_HIT] = n_drugs_hit
    if C.RESCUE_PCT in k.hits:
        r = k.num(C.RESCUE_PCT)
        ok = tested & np.isfinite(r)
        cnt = np.bincount(prot[ok], minlength=n_prot)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[MEAN_RESCUE_PCT] = np.bincount(prot[ok], weights=r[ok], minlength=n_prot) / cnt
    else:
        out[MEAN_RESCUE_PCT] = np.nan

    # per-context ranks among tested proteins, and the ";"-joined labels
    rank = _within_context_rank(k, tested, p1, by_rank=alternative == "greater")
    out[CONTEXT_RANKS] = _context_ranks(k, tested, rank, n_prot)
    ctx = k.ctx

    # Stouffer
    z, p_st, _ = stouffer(p1, prot, n_groups=n_prot)
    out[STOUFFER_Z] = z
    out[STOUFFER_P] = p_st
    out[STOUFFER_Q] = adjust_pvalues(p_st, method=adjust)

    # robust rank aggregation over the ranked contexts (untested protein -> normalised rank 1)
    n_tested_ctx = np.bincount(ctx[tested], minlength=n_ctx).astype(float)
    ranked = n_tested_ctx > 0
    column_of = np.cumsum(ranked) - 1
    norm = np.ones((n_prot, int(ranked.sum())))
    norm[prot[tested], column_of[ctx[tested]]] = rank[tested] / n_tested_ctx[ctx[tested]]
    rho = rra_rho(norm)
    never = out[N_CONTEXTS_TESTED].to_numpy() == 0
    rho[never] = np.nan
    out[RRA_RHO] = rho
    out[RRA_P] = rra_pvalue(rho, norm.shape[1])
    out[RRA_Q] = adjust_pvalues(out[RRA_P].to_numpy(), method=adjust)
    out[IS_COMBINED_HIT] = (out[STOUFFER_Q] <= fdr) & (out[RRA_Q] <= fdr) & (out[N_RESCUE_HIT] > 0)
    out[DRUG_PATTERN] = dp
    out[LINE_PATTERN] = lp

    order = (
        pd.DataFrame(
            {
                "a": -out[N_RESCUER],
                "b": -out[N_RESCUE_HIT],
                "c": out[RRA_P].fillna(np.inf),
                # z, not p: p underflows to 0 above z ~ 38, and those would tie
                "d": (-out[STOUFFER_Z]).fillna(np.inf),
                "e": out[C.PROTEIN],
            }
        )
        .sort_values(["a", "b", "c", "d", "e"], kind="stable")
        .index
    )
    out = out.loc[order, list(SUMMARY_COLUMNS)].reset_index(drop=True)
    logger.info(
        "summarised %d proteins over %d context(s); %d combined hit(s)",
        n_prot,
        n_ctx,
        int(out[IS_COMBINED_HIT].sum()),
    )
    return out
