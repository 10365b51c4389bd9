"""Receptor- and family-level evidence from a hits table.

:func:`rank_receptors` / :func:`rank_receptor_families` / :func:`rank_receptors_and_families`:
per context, the ligands in the library, hit ligands, best ligand, the ligands' p-values combined
(:func:`~secretome_rank.receptors.combine.combine_pvalues_grouped`) and their FDR.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, SchemaError
from secretome_rank.names import SEP, NameResolver, default_resolver, normalize_key
from secretome_rank.receptors.combine import combine_pvalues_grouped
from secretome_rank.receptors.loaders import _as_table
from secretome_rank.receptors.table import (
    BEST_LIGAND,
    BEST_Q,
    BEST_RESCUE_PCT,
    COMBINE_METHOD,
    COMBINED_P,
    COMBINED_Q,
    HIT_LIGANDS,
    IS_RECEPTOR_HIT,
    LIGAND,
    LIGANDS,
    N_HIT_LIGANDS,
    N_LIGANDS,
    N_RECEPTORS,
    N_RESOURCES,
    N_TESTED,
    RANK_ROLES,
    RECEPTOR,
    RECEPTOR_FAMILY,
    RECEPTOR_ROLE,
    SUMMARY,
    CombineName,
    _check_roles,
    _ligand_keys,
)

_HITS_REQUIRED = (C.CELL_LINE, C.TREATMENT, C.PROTEIN, C.P_VALUE, C.Q_VALUE, C.IS_HIT, C.RESCUE_PCT)


def _long_hits(
    hits: pd.DataFrame,
    *,
    resource: pd.DataFrame | str | Path | None,
    roles: Iterable[str] | None,
    min_resources: int,
    resolver: NameResolver | None,
) -> pd.DataFrame:
    """One row per context x protein x receptor."""
    missing = [c for c in _HITS_REQUIRED if c not in hits.columns]
    if missing:
        raise SchemaError(
            f"hits table lacks column(s) {', '.join(missing)}; expected {', '.join(_HITS_REQUIRED)}"
            " (symbol optional) as in hits.tsv"
        )
    df = hits[[*_HITS_REQUIRED, *([C.SYMBOL] if C.SYMBOL in hits.columns else [])]].copy()
    for col in (C.P_VALUE, C.Q_VALUE):
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(((vals < 0) | (vals > 1) | (df[col].notna() & vals.isna())).to_numpy())
        if bad.size:
            rows = ", ".join(str(i) for i in bad[:10])
            raise SchemaError(
                f"hits: column {col!r} has values outside [0, 1] or non-numeric at row(s) {rows}; "
                "expected p-values in [0, 1] (empty/NaN allowed)"
            )
        df[col] = vals.astype(float)
    df[C.RESCUE_PCT] = pd.to_numeric(df[C.RESCUE_PCT], errors="coerce").astype(float)
    df[C.IS_HIT] = df[C.IS_HIT].astype("boolean").fillna(False).astype(bool)
    res = resolver or default_resolver()
    if C.SYMBOL in df.columns:
        sym = df[C.SYMBOL].astype(object).where(df[C.SYMBOL].notna(), "").astype(str)
        need = sym.str.strip() == ""
        if need.any():
            sym[need] = res.resolve_many(df.loc[need, C.PROTEIN])[C.SYMBOL].to_numpy()
    else:
        sym = res.resolve_many(df[C.PROTEIN])[C.SYMBOL]
    table = _as_table(resource)
    own = _ligand_keys(table)
    empty = sym.str.strip() == ""
    if empty.any():  # names only the given resource knows
        keys = df.loc[empty.to_numpy(), C.PROTEIN].astype(str).map(normalize_key)
        sym[empty.to_numpy()] = keys.map(own).fillna("").to_numpy()
    df[C.SYMBOL] = sym.to_numpy()
    df = df.assign(_lig=df[C.SYMBOL].str.split(SEP)).explode("_lig")
    keep = table[
        table[RECEPTOR_ROLE].isin(_check_roles(roles)) & (table[N_RESOURCES] >= min_resources)
    ]
    pairs = keep[[LIGAND, RECEPTOR, RECEPTOR_FAMILY, RECEPTOR_ROLE]].rename(
        columns={LIGAND: "_lig"}
    )
    long = df.merge(pairs, on="_lig", how="inner")
    # categorical keys (categories sorted, so code order is text order): sorting, grouping
    # and de-duplicating ~1M context x ligand x receptor rows stays fast
    for col in (C.CELL_LINE, C.TREATMENT, C.PROTEIN, RECEPTOR, RECEPTOR_FAMILY):
        long[col] = pd.Categorical(long[col].astype(str))
    # a protein reaching one receptor through two symbols (PDGF-AB -> PDGFRA) counts once
    return long.drop_duplicates([C.CELL_LINE, C.TREATMENT, C.PROTEIN, RECEPTOR]).drop(
        columns="_lig"
    )


def _join_by_group(values: pd.Series, groups: pd.DataFrame, index: pd.MultiIndex) -> pd.Series:
    """``;``-join the distinct values of each group, in the rows' order, vectorised.

    ``np.add.reduceat`` concatenates the strings of each run of equal group keys in C; no
    Python call per group.
    """
    frame = groups.assign(_v=values.astype(str).to_numpy())
    frame = frame.drop_duplicates([*groups.columns, "_v"])
    codes = index.get_indexer(pd.MultiIndex.from_frame(frame[list(groups.columns)]))
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    text = (frame["_v"].to_numpy(dtype=object)[order] + SEP).astype(object)
    out = pd.Series("", index=index, dtype=object)
    if codes.size:
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        joined = np.add.reduceat(text, starts)
        out.iloc[codes[starts]] = [j[: -len(SEP)] for j in joined]
    return out


def _aggregate(
    long: pd.DataFrame,
    keys: list[str],
    *,
    fdr: float,
    method: CombineName,
) -> pd.DataFrame:
    ctx = [C.CELL_LINE, C.TREATMENT]
    gkeys = ctx + keys
    long = long.sort_values(
        [*gkeys, C.Q_VALUE, C.P_VALUE, C.RESCUE_PCT, C.PROTEIN],
        ascending=[True] * len(gkeys) + [True, True, False, True],
        na_position="last",
        kind="mergesort",
    )
    grouped = long.groupby(gkeys, sort=True, dropna=False)
    out = grouped.agg(
        **{
            N_LIGANDS: (C.PROTEIN, "nunique"),
            N_TESTED: (C.P_VALUE, "count"),
            N_HIT_LIGANDS: (C.IS_HIT, "sum"),
        }
    )
    out[LIGANDS] = _join_by_group(long[C.PROTEIN], long[gkeys], out.index)
    hit_rows = long[long[C.IS_HIT]]
    out[HIT_LIGANDS] = _join_by_group(hit_rows[C.PROTEIN], hit_rows[gkeys], out.index)
    best = long.drop_duplicates(gkeys, keep="first").set_index(gkeys)
    out[BEST_LIGAND] = best[C.PROTEIN].reindex(out.index)
    out[BEST_Q] = best[C.Q_VALUE].reindex(out.index)
    out[BEST_RESCUE_PCT] = best[C.RESCUE_PCT].reindex(out.index)
    # combined p: one p per (group, protein)
    per = long.drop_duplicates([*gkeys, C.PROTEIN])
    row_codes = out.index.get_indexer(pd.MultiIndex.from_frame(per[gkeys]))
    combined = combine_pvalues_grouped(per[C.P_VALUE].to_numpy(), row_codes, method=method)
    combined = np.concatenate([combined, np.full(len(out) - combined.size, np.nan)])
    out[COMBINED_P] = combined
    out = out.reset_index()
    from secretome_rank.multitest import adjust_pvalues

    ctx_codes = out.groupby(ctx, sort=False, dropna=False).ngroup().to_numpy()
    q = np.full(len(out), np.nan)
    p = out[COMBINED_P].to_numpy(dtype=float)
    order = np.argsort(ctx_codes, kind="stable")
    for idx in np.split(order, np.flatnonzero(np.diff(ctx_codes[order])) + 1):
        q[idx] = adjust_pvalues(p[idx], method="bh")
    out[COMBINED_Q] = q
    out[COMBINE_METHOD] = method
    out[N_HIT_LIGANDS] = out[N_HIT_LIGANDS].astype(int)
    out = out.sort_values(
        [*ctx, COMBINED_Q, COMBINED_P, N_HIT_LIGANDS, BEST_Q, *keys],
        ascending=[True, True, True, True, False, True] + [True] * len(keys),
        na_position="last",
        kind="mergesort",
    )
    out[C.RANK] = out.groupby(ctx, sort=False, dropna=False).cumcount() + 1
    return out.reset_index(drop=True)


def _check_fdr(fdr: float) -> None:
    if not 0 < fdr <= 1:
        raise ConfigError(f"fdr={fdr}; expected a value in (0, 1]")


def rank_receptors(
    hits: pd.DataFrame,
    *,
    fdr: float = 0.05,
    method: CombineName = "simes",
    resource: pd.DataFrame | str | Path | None = None,
    roles: Iterable[str] | None = RANK_ROLES,
    min_resources: int = 0,
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """Rank receptors per context by the rescue evidence of their ligands.

    Parameters
    ----------
    hits : pandas.DataFrame
        One row per context x protein with ``cell_line``, ``treatment``, ``protein``,
        ``p_value`` (one-sided, for rescue), ``q_value``, ``is_hit``, ``rescue_pct`` and
        optionally ``symbol`` (resolved from ``protein`` where absent or empty).
    fdr : float
        FDR level for ``is_receptor_hit``.
    method : {"simes", "fisher"}
        How the ligands' p-values are combined (see :func:`combine_pvalues_grouped`).
    resource : DataFrame, str or Path, optional
        Ligand-receptor table (default: bundled).
    roles : iterable of str, optional
        Receptor roles ranked (default signalling receptors only: promiscuous co-receptors such
        as syndecans or CD44 would collect hits of unrelated ligands; ``None``: all roles).
    min_resources : int
        Minimum number of resources supporting a pair.
    resolver : NameResolver, optional
        Name resolver.

    Returns
    -------
    pandas.DataFrame
        One row per context x receptor that has at least one ligand in ``hits``:

        - ``cell_line``, ``treatment``, ``receptor``, ``receptor_family``, ``role``;
        - ``n_ligands``: library proteins (distinct ``protein``) that are ligands of it;
        - ``n_tested``: of those, how many have a finite p-value;
        - ``n_hit_ligands``, ``ligands`` and ``hit_ligands`` (``;``-separated, best first);
        - ``best_ligand``, ``best_q_value``, ``best_rescue_pct`` (%): the ligand with the
          smallest q (ties: smaller p, larger rescue, name);
        - ``combined_p``: the ligands' p-values combined with ``method`` (NaN p ignored; NaN when
          no ligand was tested);
        - ``combined_q``: Benjamini-Hochberg over receptors within the context (NaN not
          counted);
        - ``combine_method``; ``is_receptor_hit``: ``combined_q <= fdr``;
        - ``rank``: 1 = strongest within context (by combined q, combined p, more hit ligands,
          best q, receptor name).

    Notes
    -----
    Receptors sharing ligands are positively dependent tests; BH controls the FDR under
    positive regression dependence (Benjamini & Yekutieli 2001). A receptor with many ligands in
    the library is not favoured by Simes (it is a min-type statistic with a multiplicity
    penalty), unlike a count of hit ligands.

    References
    ----------
    Simes RJ (1986) Biometrika 73:751-754. Fisher RA (1932) Statistical Methods for Research
    Workers. Benjamini Y, Hochberg Y (1995) JRSS-B 57:289-300. Benjamini Y, Yekutieli D (2001)
    Ann Stat 29:1165-1188.
    """
    _check_fdr(fdr)
    long = _long_hits(
        hits, resource=resource, roles=roles, min_resources=min_resources, resolver=resolver
    )
    return _receptor_rows(long, fdr=fdr, method=method)


def _receptor_rows(long: pd.DataFrame, *, fdr: float, method: CombineName) -> pd.DataFrame:
    """Receptor ranking from the long context x ligand x receptor table."""
    out = _aggregate(long, [RECEPTOR, RECEPTOR_FAMILY, RECEPTOR_ROLE], fdr=fdr, method=method)
    out[IS_RECEPTOR_HIT] = (out[COMBINED_Q] <= fdr).fillna(False).astype(bool)
    cols = [
        C.CELL_LINE,
        C.TREATMENT,
        RECEPTOR,
        RECEPTOR_FAMILY,
        RECEPTOR_ROLE,
        N_LIGANDS,
        N_TESTED,
        N_HIT_LIGANDS,
        LIGANDS,
        HIT_LIGANDS,
        BEST_LIGAND,
        BEST_Q,
        BEST_RESCUE_PCT,
        COMBINED_P,
        COMBINED_Q,
        COMBINE_METHOD,
        IS_RECEPTOR_HIT,
        C.RANK,
    ]
    return out[cols]


def rank_receptor_families(
    hits: pd.DataFrame,
    *,
    fdr: float = 0.05,
    method: CombineName = "simes",
    resource: pd.DataFrame | str | Path | None = None,
    roles: Iterable[str] | None = RANK_ROLES,
    min_resources: int = 0,
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """Roll receptor evidence up to receptor families ("FGFR: 6 of 18 ligands hit").

    Parameters
    ----------
    hits, fdr, method, resource, roles, min_resources, resolver
        As :func:`rank_receptors`.

    Returns
    -------
    pandas.DataFrame
        One row per context x receptor family with ``cell_line``, ``treatment``,
        ``receptor_family``, ``n_receptors`` and ``receptors`` (``;``), ``n_ligands``,
        ``n_tested``, ``n_hit_ligands``, ``ligands``, ``hit_ligands``, ``best_ligand``,
        ``best_q_value``, ``best_rescue_pct``, ``combined_p`` (over the distinct ligands of the
        family), ``combined_q`` (BH over families within the context), ``combine_method``,
        ``is_family_hit``, ``summary`` (e.g. ``"FGFR: 6 of 18 ligands hit"``) and ``rank``.
    """
    _check_fdr(fdr)
    long = _long_hits(
        hits, resource=resource, roles=roles, min_resources=min_resources, resolver=resolver
    )
    return _family_rows(long, fdr=fdr, method=method)


def _family_rows(long: pd.DataFrame, *, fdr: float, method: CombineName) -> pd.DataFrame:
    """Family roll-up from the long context x ligand x receptor table."""
    fam = long.drop_duplicates([C.CELL_LINE, C.TREATMENT, C.PROTEIN, RECEPTOR_FAMILY])
    out = _aggregate(fam, [RECEPTOR_FAMILY], fdr=fdr, method=method)
    fkeys = [C.CELL_LINE, C.TREATMENT, RECEPTOR_FAMILY]
    idx = pd.MultiIndex.from_frame(out[fkeys])
    recs = long.sort_values([*fkeys, RECEPTOR], kind="mergesort")
    out[N_RECEPTORS] = (
        recs.groupby(fkeys, sort=False, dropna=False)[RECEPTOR].nunique().reindex(idx).to_numpy()
    )
    out["receptors"] = _join_by_group(recs[RECEPTOR], recs[fkeys], idx).to_numpy()
    out["is_family_hit"] = (out[COMBINED_Q] <= fdr).fillna(False).astype(bool)
    out[SUMMARY] = (
        out[RECEPTOR_FAMILY].astype(str)
        + ": "
        + out[N_HIT_LIGANDS].astype(str)
        + " of "
        + out[N_LIGANDS].astype(str)
        + " ligands hit"
    )
    cols = [
        C.CELL_LINE,
        C.TREATMENT,
        RECEPTOR_FAMILY,
        N_RECEPTORS,
        "receptors",
        N_LIGANDS,
        N_TESTED,
        N_HIT_LIGANDS,
        LIGANDS,
        HIT_LIGANDS,
        BEST_LIGAND,
        BEST_Q,
        BEST_RESCUE_PCT,
        COMBINED_P,
        COMBINED_Q,
        COMBINE_METHOD,
        "is_family_hit",
        SUMMARY,
        C.RANK,
    ]
    return out[cols]


def rank_receptors_and_families(
    hits: pd.DataFrame,
    *,
    fdr: float = 0.05,
    method: CombineName = "simes",
    resource: pd.DataFrame | str | Path | None = None,
    roles: Iterable[str] | None = RANK_ROLES,
    min_resources: int = 0,
    resolver: NameResolver | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run :func:`rank_receptors` and :func:`rank_receptor_families` in one pass.

    The ligand x receptor expansion of the hits is built once and shared.
    """
    _check_fdr(fdr)
    long = _long_hits(
        hits, resource=resource, roles=roles, min_resources=min_resources, resolver=resolver
    )
    return _receptor_rows(long, fdr=fdr, method=method), _family_rows(long, fdr=fdr, method=method)
