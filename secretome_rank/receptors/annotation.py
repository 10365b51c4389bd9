"""Annotate protein names with their cognate receptors, and receptors with expression.

* :func:`annotate`: adds ``symbol``, ``resolution``, ``receptors``, ``receptor_families``,
  ``n_resources`` and ``receptor_status`` to a table of protein names.
* :func:`receptor_table`: one row per query x receptor (the ``receptors NAME...`` command).
* :func:`receptor_expressed`: flags receptors a cell line does not express.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.typing import NAType

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, SchemaError
from secretome_rank.names import (
    AMBIGUOUS,
    CANDIDATES,
    EXACT,
    QUERY,
    RESOLUTION,
    SEP,
    UNKNOWN,
    NameResolution,
    NameResolver,
    default_resolver,
    normalize_key,
)
from secretome_rank.receptors.loaders import _as_table
from secretome_rank.receptors.table import (
    _ROLE_ORDER,
    AMBIGUOUS_NAME,
    CURATOR_NOTE,
    DEFAULT_ROLES,
    EXPRESSED_RECEPTORS,
    GENE,
    KNOWN_RECEPTOR,
    LIGAND,
    N_RESOURCES,
    NO_KNOWN_RECEPTOR,
    RECEPTOR,
    RECEPTOR_EXPRESSED,
    RECEPTOR_FAMILIES,
    RECEPTOR_FAMILY,
    RECEPTOR_ROLE,
    RECEPTOR_STATUS,
    RESOURCES,
    UNKNOWN_NAME,
    _check_roles,
    _ligand_keys,
)


@dataclass(frozen=True)
class _Pair:
    receptor: str
    family: str
    role: str
    resources: str
    n_resources: int
    note: str


def _pairs_by_ligand(
    table: pd.DataFrame, roles: tuple[str, ...], min_resources: int
) -> dict[str, list[_Pair]]:
    keep = table[table[RECEPTOR_ROLE].isin(roles) & (table[N_RESOURCES] >= min_resources)]
    keep = keep.assign(_role=keep[RECEPTOR_ROLE].map(_ROLE_ORDER).fillna(9))
    keep = keep.sort_values(
        [LIGAND, "_role", N_RESOURCES, RECEPTOR], ascending=[True, True, False, True]
    )
    out: dict[str, list[_Pair]] = {}
    # numpy object arrays: iterating text columns element by element is slow in pandas
    for lig, rec, fam, role, src, n, note in zip(
        keep[LIGAND].to_numpy(dtype=object),
        keep[RECEPTOR].to_numpy(dtype=object),
        keep[RECEPTOR_FAMILY].to_numpy(dtype=object),
        keep[RECEPTOR_ROLE].to_numpy(dtype=object),
        keep[RESOURCES].astype(str).to_numpy(dtype=object),
        keep[N_RESOURCES].to_numpy(),
        keep[CURATOR_NOTE].astype(str).to_numpy(dtype=object),
        strict=True,
    ):
        out.setdefault(lig, []).append(_Pair(rec, fam, role, src, int(n), note))
    return out


def _resolve_in_table(res: NameResolver, name: object, own: dict[str, str]) -> NameResolution:
    hit = res.resolve(name)
    if hit.resolution != UNKNOWN:
        return hit
    lig = own.get(normalize_key(hit.query))
    if lig is None:
        return hit
    return NameResolution(hit.query, (lig,), EXACT, (), "resource symbol")


def _name_frame(
    data: pd.DataFrame | pd.Series | Iterable[str] | str, column: str
) -> tuple[pd.DataFrame, str]:
    """The names as a table, and the column that holds them."""
    if isinstance(data, pd.DataFrame):
        if column not in data.columns:
            # as read_screen matches headers: 'Protein', 'PROTEIN ' name the column too
            from secretome_rank.io import header_key

            alike = [c for c in data.columns if header_key(c) == header_key(column)]
            if len(alike) != 1:
                raise SchemaError(
                    f"annotate: no column {column!r}; found "
                    f"{', '.join(map(str, data.columns))}. Pass column=... naming the protein "
                    "names"
                )
            column = alike[0]
        return data.copy(), column
    if isinstance(data, pd.Series):  # its index is kept, as a DataFrame's
        return pd.DataFrame({column: data.array}, index=data.index), column
    if isinstance(data, str):
        data = [data]
    if not isinstance(data, Iterable) or (isinstance(data, np.ndarray) and data.ndim != 1):
        what = f"a {data.ndim}-D array" if isinstance(data, np.ndarray) else type(data).__name__
        raise SchemaError(
            f"annotate: got {what}; expected protein names (a name, a list, 1-D array or "
            "Series of names) or a table with a column of them"
        )
    return pd.DataFrame({column: list(data)}), column


def _status(resolution: str, has_receptor: bool) -> str:
    if resolution == AMBIGUOUS:
        return AMBIGUOUS_NAME
    if resolution == UNKNOWN:
        return UNKNOWN_NAME
    return KNOWN_RECEPTOR if has_receptor else NO_KNOWN_RECEPTOR


def annotate(
    data: pd.DataFrame | pd.Series | Iterable[str] | str,
    column: str = C.PROTEIN,
    *,
    resource: pd.DataFrame | str | Path | None = None,
    roles: Iterable[str] | None = DEFAULT_ROLES,
    min_resources: int = 0,
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """Add HGNC symbols and cognate receptors to protein names.

    Parameters
    ----------
    data : DataFrame, Series, list of str or str
        A table with a column of protein names, or the names themselves.
    column : str
        Column holding the names (default ``protein``); also the column name of the output
        when ``data`` is not a DataFrame.
    resource : DataFrame, str or Path, optional
        Ligand-receptor table (:func:`load_resource`) or a resource path (read in ``replace``
        mode). Default: the bundled curated table.
    roles : iterable of str, optional
        Receptor roles to list (default signalling receptors, co-receptors and the receptors
        an antagonist blocks, e.g. IL1RN -> IL1R1+IL1RAP; ``None``: all, including decoys).
    min_resources : int
        Only list pairs supported by at least this many resources (curated additions have 0).
    resolver : NameResolver, optional
        Name resolver (default: bundled tables).

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` (same rows, order and index; names given as a Series keep its
        index) with added (or replaced) columns:

        - ``symbol``: HGNC approved symbol(s), ``;``-separated for heterodimers, PDGF-AB and
          combinations ``A+B``; empty when ambiguous or unknown;
        - ``resolution``: ``exact``, ``alias``, ``ortholog`` (a non-human protein such as
          ``mouse HGF``: symbol and receptors are those of the human gene of the same name,
          and cross-species activity is not guaranteed), ``ambiguous`` or ``unknown``;
        - ``candidates``: candidate symbols of an ambiguous name (``;``-separated);
        - ``receptors``: ``;``-separated receptors (complex subunits joined with ``+``), ordered
          signalling receptors first, then by number of supporting resources;
        - ``receptor_families``: ``;``-separated families of those receptors (first-seen order);
        - ``n_resources``: number of distinct resources supporting at least one listed pair
          (0 when none, or only curated additions);
        - ``receptor_status``: ``known_receptor``, ``no_known_receptor`` (name resolved, no
          receptor in the table), ``ambiguous_name`` or ``unknown_name``.

    Raises
    ------
    SchemaError
        ``data`` is a table without ``column``, or not names (a number, a 2-D array).

    Examples
    --------
    >>> out = annotate(["HGF", "IL-6", "IGFBP1", "SF"])
    >>> out["receptors"].tolist()
    ['MET;CD44;SDC1;SDC2', 'IL6R+IL6ST', '', '']
    >>> out["receptor_status"].tolist()
    ['known_receptor', 'known_receptor', 'no_known_receptor', 'ambiguous_name']
    """
    if min_resources < 0:
        raise ConfigError(f"min_resources={min_resources}; expected an integer >= 0")
    frame, column = _name_frame(data, column)
    table = _as_table(resource)
    by_ligand = _pairs_by_ligand(table, _check_roles(roles), min_resources)
    res = resolver or default_resolver()
    names = frame[column]
    codes, uniques = pd.factorize(
        names.astype(object).where(names.notna(), ""), use_na_sentinel=False
    )
    own = _ligand_keys(table)
    values = []
    for name in uniques:
        hit = _resolve_in_table(res, name, own)
        recs: dict[str, None] = {}
        fams: dict[str, None] = {}
        srcs: set[str] = set()
        for s in hit.symbols:
            for pair in by_ligand.get(s, ()):
                recs[pair.receptor] = None
                fams[pair.family] = None
                srcs.update(r for r in pair.resources.split(SEP) if r)
        values.append(
            (
                SEP.join(hit.symbols),
                hit.resolution,
                SEP.join(hit.candidates),
                SEP.join(recs),
                SEP.join(fams),
                len(srcs),
                _status(hit.resolution, bool(recs)),
            )
        )
    cols = [
        C.SYMBOL,
        RESOLUTION,
        CANDIDATES,
        C.RECEPTORS,
        RECEPTOR_FAMILIES,
        N_RESOURCES,
        RECEPTOR_STATUS,
    ]
    added = pd.DataFrame(values, columns=cols).iloc[codes].reset_index(drop=True)
    added[N_RESOURCES] = added[N_RESOURCES].astype(int)
    out = frame.drop(columns=[c for c in cols if c in frame.columns and c != column])
    out = out.reset_index(drop=True)
    for col in cols:
        if col != column:
            out[col] = added[col].to_numpy()
    if not isinstance(data, pd.DataFrame | pd.Series) or data.index.equals(
        pd.RangeIndex(len(data))
    ):
        return out
    out.index = data.index
    return out


def receptor_table(
    names: Iterable[str] | str,
    *,
    resource: pd.DataFrame | str | Path | None = None,
    roles: Iterable[str] | None = None,
    min_resources: int = 0,
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """List the receptors of each queried name, one row per query x receptor.

    Parameters
    ----------
    names : iterable of str or str
        Protein names (symbols, aliases, vendor names, ``A+B``).
    resource : DataFrame, str or Path, optional
        Ligand-receptor table or resource path (default: bundled).
    roles : iterable of str, optional
        Roles to list (default ``None``: all, decoys included).
    min_resources : int
        Minimum number of supporting resources per pair.
    resolver : NameResolver, optional
        Name resolver.

    Returns
    -------
    pandas.DataFrame
        Columns ``query``, ``symbol`` (the ligand symbol of the pair; for a name without
        receptors, its resolved symbol(s)), ``resolution``, ``candidates``, ``receptor``,
        ``receptor_family``, ``role``, ``resources``, ``n_resources``, ``curator_note``,
        ``receptor_status``. Names without receptors (ambiguous, unknown or no known receptor)
        get one row with empty receptor fields, so every query appears.
    """
    if isinstance(names, str):
        names = [names]
    table = _as_table(resource)
    by_ligand = _pairs_by_ligand(table, _check_roles(roles), min_resources)
    res = resolver or default_resolver()
    own = _ligand_keys(table)
    rows: list[dict[str, object]] = []
    for name in names:
        hit = _resolve_in_table(res, name, own)
        base = {QUERY: hit.query, RESOLUTION: hit.resolution, CANDIDATES: SEP.join(hit.candidates)}
        found = False
        for s in hit.symbols:
            for pair in by_ligand.get(s, ()):
                found = True
                rows.append(
                    base
                    | {
                        C.SYMBOL: s,
                        RECEPTOR: pair.receptor,
                        RECEPTOR_FAMILY: pair.family,
                        RECEPTOR_ROLE: pair.role,
                        RESOURCES: pair.resources,
                        N_RESOURCES: pair.n_resources,
                        CURATOR_NOTE: pair.note,
                        RECEPTOR_STATUS: KNOWN_RECEPTOR,
                    }
                )
        if not found:
            rows.append(
                base
                | {
                    C.SYMBOL: SEP.join(hit.symbols),
                    RECEPTOR: "",
                    RECEPTOR_FAMILY: "",
                    RECEPTOR_ROLE: "",
                    RESOURCES: "",
                    N_RESOURCES: 0,
                    CURATOR_NOTE: "",
                    RECEPTOR_STATUS: _status(hit.resolution, False),
                }
            )
    cols = [
        QUERY,
        C.SYMBOL,
        RESOLUTION,
        CANDIDATES,
        RECEPTOR,
        RECEPTOR_FAMILY,
        RECEPTOR_ROLE,
        RESOURCES,
        N_RESOURCES,
        CURATOR_NOTE,
        RECEPTOR_STATUS,
    ]
    return pd.DataFrame(rows, columns=cols)


# --- expression ------------------------------------------------------------------------------
def check_expression(expression: object) -> pd.Series:
    """Check a receptor expression table; return its ``value`` column as numbers.

    Raises
    ------
    SchemaError
        ``expression`` is not a DataFrame, lacks ``cell_line``, ``gene`` or ``value``, or has
        values that are not numbers.
    """
    cols = (C.CELL_LINE, GENE, C.VALUE)
    if not isinstance(expression, pd.DataFrame):
        raise SchemaError(
            f"expression is a {type(expression).__name__}; expected a table (DataFrame) with "
            f"the columns {', '.join(cols)}, e.g. pandas.read_csv of the expression file"
        )
    missing = [c for c in cols if c not in expression.columns]
    if missing:
        raise SchemaError(
            f"expression table lacks column(s) {', '.join(missing)}; expected {', '.join(cols)}"
        )
    values = pd.to_numeric(expression[C.VALUE], errors="coerce")
    bad = np.flatnonzero((values.isna() & expression[C.VALUE].notna()).to_numpy())
    if bad.size:
        raise SchemaError(
            f"expression: column 'value' is not numeric at row(s) {', '.join(map(str, bad[:10]))}; "
            "expected expression levels (e.g. TPM)"
        )
    return values


def receptor_expressed(
    annotated: pd.DataFrame,
    expression: pd.DataFrame,
    *,
    threshold: float = 1.0,
    receptors_column: str = C.RECEPTORS,
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """Flag rows whose receptors the cell line does not express.

    Parameters
    ----------
    annotated : pandas.DataFrame
        Output of :func:`annotate` (column ``receptors``) or :func:`rank_receptors` (pass
        ``receptors_column="receptor"``), with ``cell_line`` (may be absent when ``expression``
        holds one cell line).
    expression : pandas.DataFrame
        Long table with ``cell_line``, ``gene`` (HGNC symbol or alias) and ``value`` (e.g. TPM);
        duplicate cell_line x gene rows keep the maximum.
    threshold : float
        A subunit is expressed when ``value >= threshold``.
    receptors_column : str
        Column with ``;``-separated receptors (subunits joined with ``+``).
    resolver : NameResolver, optional
        Maps expression gene names to symbols.

    Returns
    -------
    pandas.DataFrame
        A copy of ``annotated`` with

        - ``receptor_expressed`` (nullable boolean): True when at least one receptor has every
          subunit expressed; False when every receptor has a measured subunit below threshold;
          NA when the row has no receptors or the cell line/genes were not measured;
        - ``expressed_receptors``: ``;``-separated receptors with all subunits expressed.

    Raises
    ------
    SchemaError
        Missing columns, non-numeric values, or several cell lines in ``expression`` but no
        ``cell_line`` column in ``annotated``.
    """
    values = check_expression(expression)
    if receptors_column not in annotated.columns:
        raise SchemaError(
            f"annotated table lacks column(s) {receptors_column}; expected {receptors_column}"
        )
    res = resolver or default_resolver()
    genes = expression[GENE].astype(str)
    resolved = res.resolve_many(genes)
    sym = resolved[C.SYMBOL].where(
        ~resolved[C.SYMBOL].str.contains(SEP) & (resolved[C.SYMBOL] != ""), genes.to_numpy()
    )
    expr = pd.DataFrame(
        {
            C.CELL_LINE: expression[C.CELL_LINE].astype(str).to_numpy(),
            GENE: sym.to_numpy(),
            C.VALUE: values.to_numpy(),
        }
    )
    level = expr.groupby([C.CELL_LINE, GENE])[C.VALUE].max().to_dict()
    lines = sorted(set(expr[C.CELL_LINE]))
    out = annotated.copy()
    if C.CELL_LINE in out.columns:
        cell = out[C.CELL_LINE].astype(str)
    elif len(lines) == 1:
        cell = pd.Series(lines[0], index=out.index)
    else:
        raise SchemaError(
            f"annotated table has no 'cell_line' column but expression has {len(lines)} cell "
            "lines; add cell_line to the table or pass expression for one cell line"
        )
    flags: list[bool | NAType] = []
    expressed: list[str] = []
    for line, recs in zip(cell, out[receptors_column].fillna("").astype(str), strict=True):
        status: list[bool | None] = []
        ok: list[str] = []
        for rec in (r for r in recs.split(SEP) if r):
            subs = [level.get((line, g)) for g in rec.split("+")]
            if any(v is not None and not np.isnan(v) and v < threshold for v in subs):
                status.append(False)
            elif all(v is not None and not np.isnan(v) for v in subs):
                status.append(True)
                ok.append(rec)
            else:
                status.append(None)
        if any(s is True for s in status):
            flags.append(True)
        elif status and all(s is False for s in status):
            flags.append(False)
        else:
            flags.append(pd.NA)
        expressed.append(SEP.join(ok))
    out[RECEPTOR_EXPRESSED] = pd.array(flags, dtype="boolean")
    out[EXPRESSED_RECEPTORS] = expressed
    return out
