"""Expansion of a hits table into the long context x protein x receptor table, as integer codes.

:func:`expand_hits` validates the hits, resolves the protein -> receptor pairs once per distinct
protein (and symbol), and returns a :class:`LongTable`: the long table as a pair of index arrays
(hits row, pair) sorted by integer codes whose order is the text order, at receptor and at family
level. :mod:`secretome_rank.receptors.ranking` aggregates and ranks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError
from secretome_rank.names import SEP, NameResolver, default_resolver, normalize_key
from secretome_rank.receptors.grouping import first_rows, repeat_pairs, stable_order, text_codes
from secretome_rank.receptors.loaders import _as_table
from secretome_rank.receptors.table import (
    LIGAND,
    N_RESOURCES,
    RECEPTOR,
    RECEPTOR_FAMILY,
    RECEPTOR_ROLE,
    _check_roles,
    _ligand_keys,
)

__all__ = ["LongTable", "expand_hits"]

_HITS_REQUIRED = (C.CELL_LINE, C.TREATMENT, C.PROTEIN, C.P_VALUE, C.Q_VALUE, C.IS_HIT, C.RESCUE_PCT)
_Ints = NDArray[np.intp]
_Floats = NDArray[np.float64]


@dataclass(frozen=True)
class LongTable:
    """The context x protein x receptor expansion of a hits table, as integer codes.

    Codes index sorted name indexes (NaN last), so comparing codes compares text. A long row
    is a (hits row, pair) couple; ``rows``/``pairs`` (receptor level, one row per context x
    protein x receptor) and ``fam_rows``/``fam_pairs`` (one row per context x protein x family)
    are sorted by context, group (receptor, family, role; or family), then the hits order
    (q, p, larger rescue, protein; NaN last).
    """

    ctx: _Ints  # per hits row
    prot: _Ints
    p: _Floats
    q: _Floats
    rescue: _Floats
    hit: NDArray[np.bool_]
    ctx_cell_line: _Ints  # per context
    ctx_treatment: _Ints
    cell_lines: pd.Index
    treatments: pd.Index
    proteins: pd.Index
    used_cell_lines: NDArray[np.bool_]  # names present in the long table (the categories)
    used_treatments: NDArray[np.bool_]
    used_proteins: NDArray[np.bool_]
    group: _Ints  # per pair: code of (receptor, family, role)
    family: _Ints  # per pair
    group_receptor: _Ints  # per group code
    group_family: _Ints
    group_role: _Ints
    receptors: pd.Index
    families: pd.Index
    roles: pd.Index
    rows: _Ints
    pairs: _Ints
    fam_rows: _Ints
    fam_pairs: _Ints


def _hit_values(df: pd.DataFrame) -> tuple[_Floats, _Floats, _Floats, NDArray[np.bool_]]:
    """p, q, rescue and is_hit of the hits rows, validated."""
    num: dict[str, _Floats] = {}
    for col in (C.P_VALUE, C.Q_VALUE):
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(((vals < 0) | (vals > 1) | (df[col].notna() & vals.isna())).to_numpy())
        if bad.size:
            rows = ", ".join(str(i) for i in bad[:10])
            raise SchemaError(
                f"hits: column {col!r} has values outside [0, 1] or non-numeric at row(s) {rows}; "
                "expected p-values in [0, 1] (empty/NaN allowed)"
            )
        num[col] = np.asarray(vals.astype(float).to_numpy(), dtype=np.float64)
    rescue = np.asarray(
        pd.to_numeric(df[C.RESCUE_PCT], errors="coerce").astype(float).to_numpy(), dtype=np.float64
    )
    hit = df[C.IS_HIT].astype("boolean").fillna(False).astype(bool).to_numpy()
    return num[C.P_VALUE], num[C.Q_VALUE], rescue, hit


def _symbols(
    sub: pd.DataFrame, resource: pd.DataFrame | str | Path | None, resolver: NameResolver | None
) -> tuple[pd.Series, pd.DataFrame]:
    """Symbol(s) of each row of ``sub`` (one row per distinct protein x symbol) and the table."""
    res = resolver or default_resolver()
    if C.SYMBOL in sub.columns:
        sym = sub[C.SYMBOL].astype(object).where(sub[C.SYMBOL].notna(), "").astype(str)
        need = sym.str.strip() == ""
        if need.any():
            sym[need] = res.resolve_many(sub.loc[need, C.PROTEIN])[C.SYMBOL].to_numpy()
    else:
        sym = res.resolve_many(sub[C.PROTEIN])[C.SYMBOL]
    table = _as_table(resource)
    empty = (sym.str.strip() == "").to_numpy()
    if empty.any():  # names only the given resource knows
        keys = sub.loc[empty, C.PROTEIN].astype(str).map(normalize_key)
        sym[empty] = keys.map(_ligand_keys(table)).fillna("").to_numpy()
    return sym, table


def _ligand_order(ctx: _Ints, q: _Floats, p: _Floats, neg_rescue: _Floats, prot: _Ints) -> _Ints:
    """``stable_order(ctx, q, p, neg_rescue, prot)``, without sorting by q when it is not needed.

    BH q-values are non-decreasing in p within a context: then the order by (ctx, p, ...)
    has q non-decreasing within each context and is already the order by (ctx, q, p, ...).
    """
    order = stable_order(ctx, p, neg_rescue, prot)
    cs, qs = ctx[order], q[order]
    if np.all((qs[1:] >= qs[:-1]) | (cs[1:] != cs[:-1])):  # NaN q: not shown sorted
        return order
    return stable_order(ctx, q, p, neg_rescue, prot)


def expand_hits(
    hits: pd.DataFrame,
    *,
    resource: pd.DataFrame | str | Path | None,
    roles: Iterable[str] | None,
    min_resources: int,
    resolver: NameResolver | None,
) -> LongTable:
    """One row per context x protein x receptor (and per context x protein x family).

    Parameters
    ----------
    hits : pandas.DataFrame
        Hits table, as :func:`~secretome_rank.receptors.ranking.rank_receptors` takes it.
    resource, roles, min_resources, resolver
        As :func:`~secretome_rank.receptors.ranking.rank_receptors`.

    Returns
    -------
    LongTable
        The expansion, its rows sorted by context, group, then ligand order.

    Raises
    ------
    SchemaError
        Required columns missing, or p/q-values outside [0, 1] or non-numeric.

    Notes
    -----
    A context x protein in several hits rows: its first row (table order) wins per receptor, then
    per family. A protein reaching one receptor through two symbols counts once.
    """
    missing = [c for c in _HITS_REQUIRED if c not in hits.columns]
    if missing:
        raise SchemaError(
            f"hits table lacks column(s) {', '.join(missing)}; expected {', '.join(_HITS_REQUIRED)}"
            " (symbol optional) as in hits.tsv"
        )
    df = hits[[*_HITS_REQUIRED, *([C.SYMBOL] if C.SYMBOL in hits.columns else [])]]
    p, q, rescue, hit = _hit_values(df)
    # names resolved once per distinct protein (x given symbol): code `u`, rows `sub`
    key = np.zeros(len(df), dtype=np.int64)
    for col in (C.PROTEIN, C.SYMBOL):
        if col in df.columns:
            codes, uniq = pd.factorize(df[col])  # missing: -1
            key = key * (len(uniq) + 1) + codes + 1
    u = np.asarray(pd.factorize(key)[0], dtype=np.intp)  # numbered in order of appearance
    sub = df.iloc[np.flatnonzero(np.diff(np.maximum.accumulate(u), prepend=-1) > 0)]
    sym, table = _symbols(sub.reset_index(drop=True), resource, resolver)
    keep = table[
        table[RECEPTOR_ROLE].isin(_check_roles(roles)) & (table[N_RESOURCES] >= min_resources)
    ]
    pairs = keep[[LIGAND, RECEPTOR, RECEPTOR_FAMILY, RECEPTOR_ROLE]].rename(
        columns={LIGAND: "_lig"}
    )
    lig = pd.DataFrame({"_u": np.arange(len(sym)), "_lig": sym.str.split(SEP)}).explode("_lig")
    pairs = lig.merge(pairs, on="_lig", how="inner").sort_values("_u", kind="stable")
    # the pairs of each distinct protein, in table order (categories: all names met)
    rec, receptors = text_codes(pairs[RECEPTOR])
    fam, families = text_codes(pairs[RECEPTOR_FAMILY])
    role, roles_ix = pd.factorize(pairs[RECEPTOR_ROLE], sort=True, use_na_sentinel=False)
    pair_u = pairs["_u"].to_numpy(dtype=np.intp)
    # a protein reaching one receptor through two symbols (PDGF-AB -> PDGFRA) counts once
    once = first_rows(pair_u, rec)
    pair_u, rec, fam, role = pair_u[once], rec[once], fam[once], role[once]
    nf, nr = len(families), len(roles_ix)
    group, gcodes = pd.factorize((rec * nf + fam) * nr + role, sort=True)
    gcodes = np.asarray(gcodes, dtype=np.intp)
    fp = np.flatnonzero(first_rows(pair_u, fam))  # the first pair of each family
    count = np.bincount(pair_u, minlength=len(sym))
    fcount = np.bincount(pair_u[fp], minlength=len(sym))
    count_r, start_r = count[u], (np.cumsum(count) - count)[u]
    count_f, start_f = fcount[u], (np.cumsum(fcount) - fcount)[u]
    # contexts and proteins as codes; hits rows in ligand order (q, p, -rescue, protein)
    cl, cell_lines = text_codes(df[C.CELL_LINE], in_runs=True)  # hits sorted by context
    tr, treatments = text_codes(df[C.TREATMENT], in_runs=True)
    ctx, ctx_key = pd.factorize(cl * len(treatments) + tr, sort=True)
    ctx, ctx_key = np.asarray(ctx, dtype=np.intp), np.asarray(ctx_key, dtype=np.intp)
    sub_prot, proteins = text_codes(sub[C.PROTEIN])
    prot = sub_prot[u]
    live = np.flatnonzero(count_r > 0)
    order = live[_ligand_order(ctx[live], q[live], p[live], -rescue[live], prot[live])]
    all_pairs = np.arange(len(pair_u))
    if pd.Index(ctx[live] * len(proteins) + prot[live]).is_unique:
        rows, prs = repeat_pairs(order, count_r, start_r, all_pairs)
        frows, fprs = repeat_pairs(order, count_f, start_f, fp)
    else:  # a context x protein in several rows: first row wins per receptor, then family
        rows, prs = repeat_pairs(live, count_r, start_r, all_pairs)
        once = first_rows(ctx[rows], prot[rows], rec[prs])
        rows, prs = rows[once], prs[once]
        ffirst = first_rows(ctx[rows], prot[rows], fam[prs])
        frows, fprs = rows[ffirst], prs[ffirst]
        pos = np.empty(len(df), dtype=np.intp)
        pos[order] = np.arange(order.size)
        by, fby = np.argsort(pos[rows], kind="stable"), np.argsort(pos[frows], kind="stable")
        rows, prs, frows, fprs = rows[by], prs[by], frows[fby], fprs[fby]
    by = stable_order(ctx[rows], group[prs])  # stable: ligand order kept within groups
    fby = stable_order(ctx[frows], fam[fprs])
    used = [np.zeros(len(names), dtype=bool) for names in (cell_lines, treatments, proteins)]
    for mask, codes in zip(used, (cl, tr, prot), strict=True):
        mask[codes[live]] = True
    return LongTable(
        ctx=ctx,
        prot=prot,
        p=p,
        q=q,
        rescue=rescue,
        hit=hit,
        ctx_cell_line=ctx_key // max(len(treatments), 1),
        ctx_treatment=ctx_key % max(len(treatments), 1),
        cell_lines=cell_lines,
        treatments=treatments,
        proteins=proteins,
        used_cell_lines=used[0],
        used_treatments=used[1],
        used_proteins=used[2],
        group=np.asarray(group, dtype=np.intp),
        family=fam,
        group_receptor=gcodes // (nf * nr),
        group_family=gcodes // nr % nf,
        group_role=gcodes % nr,
        receptors=receptors,
        families=families,
        roles=roles_ix,
        rows=rows[by],
        pairs=prs[by],
        fam_rows=frows[fby],
        fam_pairs=fprs[fby],
    )
