"""Receptor- and family-level evidence from a hits table.

:func:`rank_receptors` / :func:`rank_receptor_families` / :func:`rank_receptors_and_families`:
per context, the ligands in the library, hit ligands, best ligand, the ligands' p-values combined
(:func:`~secretome_rank.receptors.combine.combine_pvalues_grouped`) and their FDR.

How: the protein -> receptor pairs are resolved once per distinct protein (and symbol); the long
context x protein x receptor table is a pair of index arrays (hits row, pair) sorted by integer
codes whose order is the text order, so sorting, grouping and joining are numpy operations over
all groups at once and text columns are built only for the output rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, SchemaError
from secretome_rank.names import SEP, NameResolver, default_resolver, normalize_key
from secretome_rank.receptors.combine import combine_pvalues_grouped
from secretome_rank.receptors.grouping import (
    bh_sorted,
    categorical,
    first_rows,
    join_runs,
    repeat_pairs,
    runs,
    stable_order,
    text_codes,
)
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
_Ints = NDArray[np.intp]
_Floats = NDArray[np.float64]


@dataclass(frozen=True)
class _Long:
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


def _long_hits(
    hits: pd.DataFrame,
    *,
    resource: pd.DataFrame | str | Path | None,
    roles: Iterable[str] | None,
    min_resources: int,
    resolver: NameResolver | None,
) -> _Long:
    """One row per context x protein x receptor (and per context x protein x family)."""
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
    cl, cell_lines = text_codes(df[C.CELL_LINE])
    tr, treatments = text_codes(df[C.TREATMENT])
    ctx, ctx_key = pd.factorize(cl * len(treatments) + tr, sort=True)
    ctx, ctx_key = np.asarray(ctx, dtype=np.intp), np.asarray(ctx_key, dtype=np.intp)
    sub_prot, proteins = text_codes(sub[C.PROTEIN])
    prot = sub_prot[u]
    live = np.flatnonzero(count_r > 0)
    order = live[stable_order(ctx[live], q[live], p[live], -rescue[live], prot[live])]
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
    return _Long(
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


def _aggregate(
    lg: _Long, rows: _Ints, key: _Ints, *, method: CombineName
) -> dict[str, NDArray[Any]]:
    """Statistics of each context x group (``key``) run of a sorted long table, group order.

    Within a group the rows are in ligand order (q, p, -rescue, protein), so the first row is
    the best ligand and the ``;``-joined ligands come best first.
    """
    ctx = lg.ctx[rows]
    starts, gid = runs(ctx, key)
    n = starts.size
    p, hit, prot = lg.p[rows], lg.hit[rows], lg.prot[rows]
    best = rows[starts]
    names = lg.proteins.to_numpy(dtype=object, na_value="nan")
    combined = combine_pvalues_grouped(p, gid, method=method)
    return {
        "ctx": ctx[starts],
        "key": key[starts],
        N_LIGANDS: np.diff(np.append(starts, rows.size)),
        N_TESTED: np.bincount(gid[~np.isnan(p)], minlength=n),
        N_HIT_LIGANDS: np.bincount(gid[hit], minlength=n),
        LIGANDS: join_runs(names, prot, gid, n),
        HIT_LIGANDS: join_runs(names, prot[hit], gid[hit], n),
        BEST_LIGAND: lg.prot[best],
        BEST_Q: lg.q[best],
        BEST_RESCUE_PCT: lg.rescue[best],
        COMBINED_P: combined,
    }


def _ranked(stats: dict[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
    """Groups with combined q (BH per context), sorted within context and ranked.

    Order: combined q, combined p, more hit ligands, best q (NaN last), then the group (receptor
    or family name) order, kept by the stable sort. BH q is non-decreasing in p within a
    context (equal p, equal q), so sorting by p sorts by (q, p) and gives BH its sorted input.
    """
    order = stable_order(stats["ctx"], stats[COMBINED_P], -stats[N_HIT_LIGANDS], stats[BEST_Q])
    out = {k: v[order] for k, v in stats.items()}
    out[COMBINED_Q] = bh_sorted(out[COMBINED_P], out["ctx"])
    starts, gid = runs(out["ctx"])
    out[C.RANK] = np.arange(gid.size) - starts[gid] + 1
    return out


def _frame(
    lg: _Long,
    out: dict[str, NDArray[Any]],
    method: CombineName,
    head: dict[str, Any],
    tail: dict[str, Any],
) -> pd.DataFrame:
    """Output table: context, ``head`` columns, the statistics, ``tail`` columns, rank."""
    ctx = out["ctx"]
    cols = {
        C.CELL_LINE: categorical(lg.ctx_cell_line[ctx], lg.cell_lines, lg.used_cell_lines),
        C.TREATMENT: categorical(lg.ctx_treatment[ctx], lg.treatments, lg.used_treatments),
        **head,
        N_LIGANDS: out[N_LIGANDS],
        N_TESTED: out[N_TESTED],
        N_HIT_LIGANDS: out[N_HIT_LIGANDS],
        LIGANDS: pd.Series(out[LIGANDS], dtype=object),
        HIT_LIGANDS: pd.Series(out[HIT_LIGANDS], dtype=object),
        BEST_LIGAND: categorical(out[BEST_LIGAND], lg.proteins, lg.used_proteins),
        BEST_Q: out[BEST_Q],
        BEST_RESCUE_PCT: out[BEST_RESCUE_PCT],
        COMBINED_P: out[COMBINED_P],
        COMBINED_Q: out[COMBINED_Q],
        COMBINE_METHOD: method,
        **tail,
        C.RANK: out[C.RANK],
    }
    return pd.DataFrame(cols, index=pd.RangeIndex(ctx.size))


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


def _receptor_rows(lg: _Long, *, fdr: float, method: CombineName) -> pd.DataFrame:
    """Receptor ranking from the long context x ligand x receptor table."""
    out = _ranked(_aggregate(lg, lg.rows, lg.group[lg.pairs], method=method))
    g = out["key"]
    head = {
        RECEPTOR: categorical(lg.group_receptor[g], lg.receptors),
        RECEPTOR_FAMILY: categorical(lg.group_family[g], lg.families),
        RECEPTOR_ROLE: pd.Series(lg.roles.take(lg.group_role[g])),
    }
    return _frame(lg, out, method, head, {IS_RECEPTOR_HIT: out[COMBINED_Q] <= fdr})


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


def _family_receptors(lg: _Long) -> tuple[_Ints, NDArray[Any]]:
    """Number and ``;``-joined names of the receptors of each context x family, in that order."""
    ctx, group = lg.ctx[lg.rows], lg.group[lg.pairs]
    starts, _ = runs(ctx, group)  # one per context x (receptor, family, role)
    c, g = ctx[starts], group[starts]
    f, r = lg.group_family[g], lg.group_receptor[g]
    by = stable_order(c, f)  # receptor order kept: the groups sort by receptor name first
    c, f, r = c[by], f[by], r[by]
    distinct, _ = runs(c, f, r)
    c, f, r = c[distinct], f[distinct], r[distinct]
    starts, gid = runs(c, f)
    names = lg.receptors.to_numpy(dtype=object, na_value="nan")
    return np.diff(np.append(starts, gid.size)), join_runs(names, r, gid, starts.size)


def _summary(families: pd.Index, fam: _Ints, n_hit: _Ints, n_lig: _Ints) -> pd.Series:
    """``"FGFR: 6 of 18 ligands hit"``, written once per distinct (family, counts)."""
    width = int(max(n_hit.max(initial=0), n_lig.max(initial=0))) + 1
    codes, uniq = pd.factorize((fam * width + n_hit) * width + n_lig)
    text = (
        pd.Series(families.take(uniq // width // width)).astype(str)
        + ": "
        + pd.Series(uniq // width % width).astype(str)
        + " of "
        + pd.Series(uniq % width).astype(str)
        + " ligands hit"
    )
    return text.take(codes).reset_index(drop=True)


def _family_rows(lg: _Long, *, fdr: float, method: CombineName) -> pd.DataFrame:
    """Family roll-up from the long context x ligand x receptor table."""
    stats = _aggregate(lg, lg.fam_rows, lg.family[lg.fam_pairs], method=method)
    stats[N_RECEPTORS], stats["receptors"] = _family_receptors(lg)
    out = _ranked(stats)
    head = {
        RECEPTOR_FAMILY: categorical(out["key"], lg.families),
        N_RECEPTORS: out[N_RECEPTORS],
        "receptors": out["receptors"],
    }
    tail = {
        "is_family_hit": out[COMBINED_Q] <= fdr,
        SUMMARY: _summary(lg.families, out["key"], out[N_HIT_LIGANDS], out[N_LIGANDS]),
    }
    return _frame(lg, out, method, head, tail)


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
