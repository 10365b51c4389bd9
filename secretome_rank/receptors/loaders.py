"""Ligand-receptor resources: read external ones and choose the table to use.

* :func:`read_resource`: a CellPhoneDB v5 folder, a liana/OmniPath CSV, a CellChatDB
  ``interaction_input.csv`` or a plain ligand/receptor table, normalised to the bundled
  table's format (HGNC symbols, sorted complex subunits, family and role filled in).
* :func:`load_resource`: the bundled table, an external resource, or their union.
"""

from __future__ import annotations

import csv
import logging
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank.errors import ConfigError, ResourceError, SchemaError, warn
from secretome_rank.names import SEP, NameResolver, default_resolver
from secretome_rank.receptors.table import (
    CURATOR_NOTE,
    LIGAND,
    LIGAND_COMPLEX,
    LR_COLUMNS,
    N_RESOURCES,
    RECEPTOR,
    RECEPTOR_FAMILY,
    RECEPTOR_ROLE,
    REFERENCE,
    RESOURCE_FORMATS,
    RESOURCE_MODES,
    RESOURCES,
    ROLES,
    ResourceFormat,
    ResourceMode,
    _bundled,
    load_ligand_receptor_table,
    receptor_family,
    receptor_role,
)

logger = logging.getLogger(__name__)


def _split_complex(value: str) -> list[str]:
    return [g for g in re.split(r"[+_]", value.strip()) if g.strip()]


def _normalise_table(
    pairs: pd.DataFrame,
    *,
    source: str,
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """Resolve symbols, sort complex subunits, fill family/role, merge duplicate pairs."""
    res = resolver or default_resolver()
    cache: dict[str, str] = {}

    def sym(raw: str) -> str:
        raw = raw.strip()
        if raw not in cache:
            hit = res.resolve(raw)
            cache[raw] = hit.symbols[0] if len(hit.symbols) == 1 else raw
        return cache[raw]

    approved = res.approved_symbols
    unmapped: set[str] = set()
    expansions: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    raw_pairs = zip(pairs[LIGAND].astype(str), pairs[RECEPTOR].astype(str), strict=True)
    for lig_raw, rec_raw in set(raw_pairs):
        ligs = [sym(g) for g in _split_complex(lig_raw)]
        subs = sorted({sym(g) for g in _split_complex(rec_raw)})
        unmapped.update(g for g in ligs + subs if g not in approved)
        lig_complex = "+".join(sorted(ligs)) if len(ligs) > 1 else ""
        expansions[(lig_raw, rec_raw)] = [
            (lig, "+".join(subs), lig_complex) for lig in ligs if lig not in subs
        ]
    rows = [
        (lig, rec, str(src), lc)
        for lig_raw, rec_raw, src in zip(
            pairs[LIGAND].astype(str), pairs[RECEPTOR].astype(str), pairs[RESOURCES], strict=True
        )
        for lig, rec, lc in expansions[(lig_raw, rec_raw)]
    ]
    if unmapped:
        shown = ", ".join(sorted(unmapped)[:20])
        warn(
            f"{source}: {len(unmapped)} symbols not in the bundled HGNC alias table, kept as "
            f"written: {shown}"
        )
    if not rows:
        raise ResourceError(
            f"{source}: no ligand-receptor pairs found; check that the file is a ligand-receptor "
            "resource in the stated format"
        )
    df = pd.DataFrame(rows, columns=[LIGAND, RECEPTOR, RESOURCES, LIGAND_COMPLEX])
    df = df.drop_duplicates()
    keys = [LIGAND, RECEPTOR]
    src = df[keys + [RESOURCES]].assign(**{RESOURCES: df[RESOURCES].str.split(SEP)})
    src = src.explode(RESOURCES)
    src = src[src[RESOURCES].str.strip() != ""].drop_duplicates().sort_values([*keys, RESOURCES])
    grouped = df[keys].drop_duplicates().sort_values(keys).set_index(keys)
    grouped[RESOURCES] = (
        src.groupby(keys)[RESOURCES].agg(SEP.join).reindex(grouped.index).fillna("")
    )
    lc_rows = df[df[LIGAND_COMPLEX] != ""][[*keys, LIGAND_COMPLEX]].drop_duplicates()
    lc = lc_rows.sort_values([*keys, LIGAND_COMPLEX]).groupby(keys)[LIGAND_COMPLEX].agg(SEP.join)
    grouped[LIGAND_COMPLEX] = lc.reindex(grouped.index).fillna("")
    grouped = grouped.reset_index()
    grouped[RECEPTOR_FAMILY] = grouped[RECEPTOR].map(receptor_family)
    grouped[RECEPTOR_ROLE] = grouped[RECEPTOR].map(receptor_role)
    grouped[N_RESOURCES] = grouped[RESOURCES].map(lambda v: len([r for r in v.split(SEP) if r]))
    grouped[CURATOR_NOTE] = ""
    grouped[REFERENCE] = ""
    return grouped[list(LR_COLUMNS)]


def _header(path: Path, sep: str) -> list[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return next(csv.reader(handle, delimiter=sep), [])


def _read_csv(path: Path, *, sep: str | None = None) -> pd.DataFrame:
    if sep is None:
        sep = "\t" if path.suffix.lower() in (".tsv", ".txt", ".tab") else ","
    try:
        with warnings.catch_warnings():
            # a row with more cells than the header: pandas would take the first column
            # for an index (HGF<TAB>MET<TAB>x read as MET -> x), or drop cells with a warning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, index_col=False)
    except pd.errors.ParserWarning as exc:
        raise ResourceError(
            f"{path}: rows with more cells than the header ({len(_header(path, sep))} "
            f"columns); expected a header row and one ligand-receptor pair per row with as "
            "many cells; remove the extra cells or name their columns in the header"
        ) from exc
    except FileNotFoundError as exc:
        raise ResourceError(f"{path}: file not found") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ResourceError(
            f"{path}: cannot be read as a {'tab' if sep == chr(9) else 'comma'}-separated table "
            f"({exc}); expected a header row and one ligand-receptor pair per row"
        ) from exc


def _require(df: pd.DataFrame, path: Path, needed: Sequence[str], fmt: str) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ResourceError(
            f"{path}: missing column(s) {', '.join(missing)} for a {fmt} resource; found "
            f"{', '.join(map(str, df.columns[:12]))}. Pass the right file or format=..."
        )


def _empty_cells(df: pd.DataFrame, path: Path, cols: Sequence[str]) -> None:
    problems = []
    for col in cols:
        text = df[col].str.strip()
        # '', or a complex with an empty part: '+', 'IL6R+', 'A++B'
        bad = np.flatnonzero((text.eq("") | text.str.contains(r"^\+|\+$|\+\s*\+")).to_numpy())
        if bad.size:
            lines = ", ".join(str(i + 2) for i in bad[:10])
            more = f" and {bad.size - 10} more" if bad.size > 10 else ""
            problems.append(
                f"column {col!r}: empty (or a '+' with nothing beside it) at line(s) {lines}{more}"
            )
    if problems:
        raise ResourceError(
            f"{path}: {len(problems)} column(s) with empty cells; every row needs a ligand and "
            "a receptor symbol (fill them in or delete those rows)",
            problems=problems,
        )


def _read_cellphonedb(folder: Path, resolver: NameResolver | None) -> pd.DataFrame:
    needed = ("interaction_input.csv", "gene_input.csv", "complex_input.csv")
    missing = [f for f in needed if not (folder / f).is_file()]
    if missing:
        raise ResourceError(
            f"{folder}: not a CellPhoneDB folder, missing {', '.join(missing)}; expected the "
            "v5 input tables interaction_input.csv, gene_input.csv, complex_input.csv"
        )
    inter = _read_csv(folder / "interaction_input.csv", sep=",")
    genes = _read_csv(folder / "gene_input.csv", sep=",")
    cx = _read_csv(folder / "complex_input.csv", sep=",")
    _require(inter, folder / "interaction_input.csv", ("partner_a", "partner_b"), "CellPhoneDB")
    _require(genes, folder / "gene_input.csv", ("uniprot", "hgnc_symbol"), "CellPhoneDB")
    _require(cx, folder / "complex_input.csv", ("complex_name", "uniprot_1"), "CellPhoneDB")
    u2g = dict(zip(genes["uniprot"], genes["hgnc_symbol"], strict=True))
    sub_cols = [c for c in cx.columns if re.fullmatch(r"uniprot_\d", c)]
    complexes = {
        name: [u for u in (row[c] for c in sub_cols) if u]
        for name, row in zip(cx["complex_name"], cx.to_dict("records"), strict=True)
    }
    secreted: set[str] = set()
    prot_path = folder / "protein_input.csv"
    if prot_path.is_file():
        prot = _read_csv(prot_path, sep=",")
        if {"uniprot", "secreted"} <= set(prot.columns):
            secreted = set(prot.loc[prot["secreted"].str.upper() == "TRUE", "uniprot"])
    direction = inter["directionality"] if "directionality" in inter.columns else None

    def members(partner: str) -> str | None:
        ups = complexes.get(partner, [partner])  # complex names first (LIFR, OSMR, IL27)
        syms = [u2g.get(u, "") for u in ups]
        return "+".join(syms) if all(syms) else None

    rows = []
    for i, (a, b) in enumerate(zip(inter["partner_a"], inter["partner_b"], strict=True)):
        if "_by" in a:  # small-molecule ligand produced by an enzyme
            continue
        d = direction.iat[i] if direction is not None else "Ligand-Receptor"
        if d == "Adhesion-Adhesion":
            if a not in secreted or a in complexes:
                continue
        elif d != "Ligand-Receptor":
            continue
        lig, rec = members(a), members(b)
        if lig and rec:
            rows.append((lig, rec))
    pairs = pd.DataFrame(rows, columns=[LIGAND, RECEPTOR])
    pairs[RESOURCES] = "CellPhoneDB"
    return _normalise_table(pairs, source=str(folder), resolver=resolver)


def _read_liana(path: Path, df: pd.DataFrame, resolver: NameResolver | None) -> pd.DataFrame:
    _require(df, path, ("source_genesymbol", "target_genesymbol"), "liana/OmniPath")
    if "resource" in df.columns:  # liana's full file also holds its mouse resource
        mouse = df["resource"].astype(str).str.lower().str.startswith("mouse").to_numpy()
        if mouse.any():
            logger.info("%s: %d mouse rows (resource mouse...) left out", path, mouse.sum())
            df = df[~mouse]
    _empty_cells(df, path, ("source_genesymbol", "target_genesymbol"))
    pairs = pd.DataFrame(
        {
            LIGAND: df["source_genesymbol"],
            RECEPTOR: df["target_genesymbol"],
            RESOURCES: df["resource"] if "resource" in df.columns else "liana",
        }
    )
    return _normalise_table(pairs, source=str(path), resolver=resolver)


def _read_cellchat(
    path: Path, df: pd.DataFrame, resolver: NameResolver | None, complexes: Path | None
) -> pd.DataFrame:
    _require(df, path, ("ligand", "receptor"), "CellChatDB")
    _empty_cells(df, path, ("ligand", "receptor"))
    if complexes is None:
        found = sorted(path.parent.glob("complex_input*.csv"))
        complexes = found[0] if found else None
    table: dict[str, str] = {}
    if complexes is not None:
        cx = _read_csv(complexes, sep=",")
        name_col = cx.columns[0]
        subs = [c for c in cx.columns if c.startswith("subunit")]
        if not subs:
            raise ResourceError(
                f"{complexes}: expected CellChatDB complex columns subunit_1..subunit_N"
            )
        for rec in cx.to_dict("records"):
            table[rec[name_col]] = "+".join(rec[c] for c in subs if rec[c])
    else:
        names = pd.concat([df["ligand"], df["receptor"]])
        complexes_named = names[names.str.contains("_", regex=False)].unique()
        if len(complexes_named):  # 'TGFbR1_R2' split at '_' would read 'R2' as a gene (CD82)
            raise ResourceError(
                f"{path}: names such as {', '.join(map(repr, complexes_named[:3]))} are "
                "CellChatDB complexes, and no complex_input*.csv lies beside the file to say "
                "their subunits; put CellChatDB's complex_input.csv in the same folder"
            )
        warn(f"{path}: no complex_input*.csv beside it; names kept as written")

    def expand(v: str) -> str:
        return table.get(v, v)

    pairs = pd.DataFrame(
        {
            LIGAND: df["ligand"].map(expand),
            RECEPTOR: df["receptor"].map(expand),
            RESOURCES: "CellChatDB",
        }
    )
    return _normalise_table(pairs, source=str(path), resolver=resolver)


_PAIR_LIGAND = ("ligand", "source", "ligand_symbol", "ligand gene symbol", "ligand_genesymbol")
_PAIR_RECEPTOR = (
    "receptor",
    "target",
    "receptor_symbol",
    "receptor gene symbol",
    "receptor_genesymbol",
)


def _header_key(name: object) -> str:
    """A header as matched: case, ``_``, ``-`` and spacing do not matter."""
    return " ".join(re.split(r"[\s_-]+", str(name).strip().lower())).strip()


def _read_pairs(path: Path, df: pd.DataFrame, resolver: NameResolver | None) -> pd.DataFrame:
    lower = {str(c).strip().lower(): c for c in df.columns}
    keyed = {_header_key(c): c for c in df.columns}
    lig_col = next((keyed[k] for k in map(_header_key, _PAIR_LIGAND) if k in keyed), None)
    rec_col = next((keyed[k] for k in map(_header_key, _PAIR_RECEPTOR) if k in keyed), None)
    if lig_col is None or rec_col is None:
        raise ResourceError(
            f"{path}: expected a header with a ligand column ({', '.join(_PAIR_LIGAND)}) and a "
            f"receptor column ({', '.join(_PAIR_RECEPTOR)}; case, '_' and spaces do not "
            f"matter); found {', '.join(map(str, df.columns[:12]))}. Name the two columns "
            "'ligand' and 'receptor' in the header line"
        )
    _empty_cells(df, path, (lig_col, rec_col))
    label = f"user:{path.name}"
    res_col = lower.get(RESOURCES)
    pairs = pd.DataFrame(
        {
            LIGAND: df[lig_col],
            RECEPTOR: df[rec_col],
            RESOURCES: df[res_col].where(df[res_col].str.strip() != "", label)
            if res_col
            else label,
        }
    )
    out = _normalise_table(pairs, source=str(path), resolver=resolver)
    for col in (RECEPTOR_FAMILY, RECEPTOR_ROLE, CURATOR_NOTE):  # honour given labels
        given = lower.get(col)
        if given is None:
            continue
        norm = _normalise_table(
            pd.DataFrame({LIGAND: df[lig_col], RECEPTOR: df[rec_col], RESOURCES: df[given]}),
            source=str(path),
            resolver=resolver,
        )
        lookup = norm.set_index([LIGAND, RECEPTOR])[RESOURCES]
        vals = pd.Series(
            [lookup.get((lg, rc), "") for lg, rc in zip(out[LIGAND], out[RECEPTOR], strict=True)]
        )
        if col == RECEPTOR_ROLE:
            bad = sorted(set(vals) - set(ROLES) - {""})
            if bad:
                raise ResourceError(
                    f"{path}: column 'role' has {', '.join(map(repr, bad))}; expected one of "
                    f"{', '.join(ROLES)} (or leave it empty)"
                )
        out[col] = vals.where(vals != "", out[col]).to_numpy()
    return out


def read_resource(
    path: str | Path,
    *,
    format: ResourceFormat = "auto",
    resolver: NameResolver | None = None,
    complexes: str | Path | None = None,
) -> pd.DataFrame:
    """Read an external ligand-receptor resource into the bundled table's format.

    Parameters
    ----------
    path : str or Path
        A CellPhoneDB v5 folder (``interaction_input.csv``, ``gene_input.csv``,
        ``complex_input.csv``, optionally ``protein_input.csv``); a liana/OmniPath CSV
        (``source_genesymbol``, ``target_genesymbol``, optionally ``resource``; complexes joined
        with ``_``); a CellChatDB ``interaction_input.csv`` (``ligand``, ``receptor``; complex
        names looked up in ``complex_input*.csv`` beside it); or a plain table with a ``ligand``
        and a ``receptor`` column (``.tsv``/``.txt`` tab-separated, ``.csv`` comma-separated;
        complexes joined with ``+``; optional ``resources``, ``receptor_family``, ``role``,
        ``curator_note`` columns are kept).
    format : {"auto", "cellphonedb", "liana", "cellchat", "pairs"}
        ``auto`` picks: folder -> CellPhoneDB; ``source_genesymbol`` column -> liana;
        ``interaction_name`` + ``ligand`` + ``receptor`` -> CellChatDB; else pairs.
    resolver : NameResolver, optional
        Used to map outdated symbols to HGNC approved symbols (default: bundled tables).
    complexes : str or Path, optional
        CellChatDB complex table, when not beside ``path``.

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`load_ligand_receptor_table`; ``resources`` names the source
        (``CellPhoneDB``, the liana ``resource`` value, ``CellChatDB`` or ``user:<file name>``).

    Raises
    ------
    ResourceError
        The path does not exist, lacks required files or columns, or has empty symbols.
    """
    p = Path(path).expanduser()
    if format not in RESOURCE_FORMATS:
        raise ConfigError(
            f"resource format {format!r}; expected one of {', '.join(RESOURCE_FORMATS)}"
        )
    if not p.exists():
        raise ResourceError(f"{p}: no such file or folder; pass a ligand-receptor resource")
    if p.is_dir() or format == "cellphonedb":
        if not p.is_dir():
            raise ResourceError(f"{p}: a CellPhoneDB resource is a folder of input tables")
        return _read_cellphonedb(p, resolver)
    df = _read_csv(p)
    if len(df.columns) < 2 and p.suffix.lower() not in (".csv",):
        df = _read_csv(p, sep=",")
    cols = set(df.columns)
    if format == "auto":
        if "source_genesymbol" in cols:
            format = "liana"
        elif {"interaction_name", "ligand", "receptor"} <= cols:
            format = "cellchat"
        else:
            format = "pairs"
    if format == "liana":
        return _read_liana(p, df, resolver)
    if format == "cellchat":
        return _read_cellchat(p, df, resolver, Path(complexes) if complexes else None)
    return _read_pairs(p, df, resolver)


def _resource_family(name: str) -> str:
    """A resource name without case or version: ``CellPhoneDB_v5`` and ``CellPhoneDB`` agree."""
    return re.sub(r"[\s_-]*v?\d+(?:\.\d+)*$", "", name.strip().lower())


def _distinct_resources(values: pd.Series) -> str:
    """The resources of a pair, each once.

    One database in two versions or spellings counts once (the bundled table's
    ``CellPhoneDB_v5`` and a user's CellPhoneDB folder).
    """
    seen: dict[str, str] = {}
    for v in values:
        for r in v.split(SEP):
            if r:
                seen.setdefault(_resource_family(r), r)
    return SEP.join(seen.values())


def _union(base: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([base, extra], ignore_index=True)
    first = both.drop_duplicates([LIGAND, RECEPTOR], keep="first").set_index([LIGAND, RECEPTOR])
    merged = both.groupby([LIGAND, RECEPTOR], sort=True)[RESOURCES].agg(_distinct_resources)
    out = first.loc[merged.index].copy()
    out[RESOURCES] = merged
    out[N_RESOURCES] = merged.map(lambda v: len([r for r in v.split(SEP) if r])).astype(int)
    return out.reset_index()[list(LR_COLUMNS)]


def load_resource(
    path: str | Path | pd.DataFrame | None = None,
    *,
    mode: ResourceMode = "replace",
    format: ResourceFormat = "auto",
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """Return the ligand-receptor table to use: bundled, external, or both.

    Parameters
    ----------
    path : str, Path or DataFrame, optional
        External resource (see :func:`read_resource`), or a table of pairs in memory (at
        least ``ligand`` and ``receptor``, as :func:`load_ligand_receptor_table`; missing
        columns are filled in). ``None``: the bundled table.
    mode : {"replace", "union"}
        ``replace``: use only the external resource. ``union``: the bundled table plus the
        external pairs; a pair in both keeps the bundled family/role/note and lists the
        resources of both.
    format : {"auto", "cellphonedb", "liana", "cellchat", "pairs"}
        Format of ``path``.
    resolver : NameResolver, optional
        Symbol resolver for the external resource.

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`load_ligand_receptor_table`.

    Raises
    ------
    ConfigError
        Unknown ``mode``.
    ResourceError
        The external resource cannot be read.
    SchemaError
        A table in memory lacks ``ligand`` or ``receptor``.
    """
    if mode not in RESOURCE_MODES:
        raise ConfigError(f"resource mode {mode!r}; expected one of {', '.join(RESOURCE_MODES)}")
    if path is None:
        return load_ligand_receptor_table()
    if isinstance(path, pd.DataFrame):
        extra = _as_table(path)
    else:
        extra = read_resource(path, format=format, resolver=resolver)
    if mode == "replace":
        return extra
    return _union(load_ligand_receptor_table(), extra)


def _as_table(resource: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    if resource is None:
        return _bundled()
    if isinstance(resource, (str, Path)):
        return load_resource(resource, mode="replace")
    missing = [c for c in (LIGAND, RECEPTOR) if c not in resource.columns]
    if missing:
        raise SchemaError(
            f"ligand-receptor table lacks column(s) {', '.join(missing)}; expected at least "
            "'ligand' and 'receptor' (see load_ligand_receptor_table())"
        )
    table = resource.copy()
    for col, fill in (
        (RECEPTOR_FAMILY, None),
        (RECEPTOR_ROLE, None),
        (RESOURCES, ""),
        (CURATOR_NOTE, ""),
        (LIGAND_COMPLEX, ""),
        (REFERENCE, ""),
    ):
        if col not in table.columns:
            table[col] = (
                table[RECEPTOR].map(receptor_family)
                if col == RECEPTOR_FAMILY
                else table[RECEPTOR].map(receptor_role)
                if col == RECEPTOR_ROLE
                else fill
            )
    if N_RESOURCES not in table.columns:
        table[N_RESOURCES] = table[RESOURCES].map(
            lambda v: len([r for r in str(v).split(SEP) if r])
        )
    return table
