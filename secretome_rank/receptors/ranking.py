"""Receptor- and family-level evidence from a hits table.

:func:`rank_receptors` / :func:`rank_receptor_families` / :func:`rank_receptors_and_families`:
per context, the ligands in the library, hit ligands, best ligand, the ligands' p-values combined
(:func:`~secretome_rank.receptors.combine.combine_pvalues_grouped`) and their FDR
(:func:`~secretome_rank.multitest.bh_grouped`).

How: :func:`~secretome_rank.receptors.expansion.expand_hits` builds the long context x protein x
receptor table once, as index arrays sorted by integer codes whose order is the text order; here
each context x receptor (or family) run of it is aggregated with numpy operations over all groups
at once, and text columns are built only for the output rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError
from secretome_rank.multitest import bh_grouped
from secretome_rank.names import NameResolver
from secretome_rank.receptors.combine import combine_pvalues_grouped
from secretome_rank.receptors.expansion import LongTable, expand_hits
from secretome_rank.receptors.grouping import categorical, join_runs, runs, stable_order
from secretome_rank.receptors.table import (
    BEST_LIGAND,
    BEST_Q,
    BEST_RESCUE_PCT,
    COMBINE_METHOD,
    COMBINED_P,
    COMBINED_Q,
    HIT_LIGANDS,
    IS_RECEPTOR_HIT,
    LIGANDS,
    N_HIT_LIGANDS,
    N_LIGANDS,
    N_RECEPTORS,
    N_TESTED,
    RANK_ROLES,
    RECEPTOR,
    RECEPTOR_FAMILY,
    RECEPTOR_ROLE,
    SUMMARY,
    CombineName,
)

_Ints = NDArray[np.intp]


def _aggregate(
    lg: LongTable, rows: _Ints, key: _Ints, *, method: CombineName
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
    out[COMBINED_Q] = bh_grouped(out[COMBINED_P], out["ctx"])
    starts, gid = runs(out["ctx"])
    out[C.RANK] = np.arange(gid.size) - starts[gid] + 1
    return out


def _frame(
    lg: LongTable,
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
        as syndecans or CD44 would collect hits of unrelated ligands, and an antagonist such as
        IL1RN blocks its receptor; ``None``: all roles).
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
    long = expand_hits(
        hits, resource=resource, roles=roles, min_resources=min_resources, resolver=resolver
    )
    return _receptor_rows(long, fdr=fdr, method=method)


def _receptor_rows(lg: LongTable, *, fdr: float, method: CombineName) -> pd.DataFrame:
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
    long = expand_hits(
        hits, resource=resource, roles=roles, min_resources=min_resources, resolver=resolver
    )
    return _family_rows(long, fdr=fdr, method=method)


def _family_receptors(lg: LongTable) -> tuple[_Ints, NDArray[Any]]:
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


def _family_rows(lg: LongTable, *, fdr: float, method: CombineName) -> pd.DataFrame:
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
    long = expand_hits(
        hits, resource=resource, roles=roles, min_resources=min_resources, resolver=resolver
    )
    return _receptor_rows(long, fdr=fdr, method=method), _family_rows(long, fdr=fdr, method=method)
