"""Map secreted proteins to their cognate receptors, and rank receptors per screen context.

* :func:`load_ligand_receptor_table` / :func:`load_resource` / :func:`read_resource`: the bundled
  curated table (``data/ligand_receptor.tsv``, built by ``scripts/build_lr_table.py``) and
  loaders for external resources (CellPhoneDB v5 folder, liana/OmniPath CSV, CellChatDB
  ``interaction_input.csv``, plain ligand/receptor table), replacing or extending the bundled one.
* :func:`annotate`: adds ``symbol``, ``resolution``, ``receptors``, ``receptor_families``,
  ``n_resources`` and ``receptor_status`` to a table of protein names.
* :func:`receptor_table`: one row per query x receptor (the ``receptors NAME...`` command).
* :func:`rank_receptors` / :func:`rank_receptor_families`: receptor- and family-level evidence
  from a hits table (ligands in the library, hit ligands, best ligand, combined p and its FDR).
* :func:`receptor_expressed`: flags receptors a cell line does not express.

A receptor is written as its subunits joined with ``+`` in sorted order (``IL6R+IL6ST``); several
receptors in one cell are separated with ``;``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, ResourceError, SchemaError
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

__all__ = [
    "COMBINE_METHODS",
    "CombineMethod",
    "annotate",
    "combine_pvalues_grouped",
    "load_ligand_receptor_table",
    "load_resource",
    "rank_receptor_families",
    "rank_receptors_and_families",
    "rank_receptors",
    "read_resource",
    "receptor_expressed",
    "receptor_family",
    "receptor_role",
    "receptor_table",
]

logger = logging.getLogger(__name__)

# --- column names added by this module (candidates for columns.py) -----------------------
LIGAND = "ligand"
RECEPTOR = "receptor"
RECEPTOR_FAMILY = "receptor_family"
RECEPTOR_ROLE = "role"  # same spelling as the well role column, different table
RESOURCES = "resources"
N_RESOURCES = "n_resources"
CURATOR_NOTE = "curator_note"
LIGAND_COMPLEX = "ligand_complex"
REFERENCE = "reference"
LR_COLUMNS = (
    LIGAND,
    RECEPTOR,
    RECEPTOR_FAMILY,
    RECEPTOR_ROLE,
    RESOURCES,
    N_RESOURCES,
    CURATOR_NOTE,
    LIGAND_COMPLEX,
    REFERENCE,
)

RECEPTOR_FAMILIES = "receptor_families"
RECEPTOR_STATUS = "receptor_status"
RECEPTOR_EXPRESSED = "receptor_expressed"
EXPRESSED_RECEPTORS = "expressed_receptors"
GENE = "gene"

N_LIGANDS = "n_ligands"
N_TESTED = "n_tested"
N_HIT_LIGANDS = "n_hit_ligands"
LIGANDS = "ligands"
HIT_LIGANDS = "hit_ligands"
BEST_LIGAND = "best_ligand"
BEST_Q = "best_q_value"
BEST_RESCUE_PCT = "best_rescue_pct"
COMBINED_P = "combined_p"
COMBINED_Q = "combined_q"
COMBINE_METHOD = "combine_method"
IS_RECEPTOR_HIT = "is_receptor_hit"
N_RECEPTORS = "n_receptors"
SUMMARY = "summary"

# receptor_status values
KNOWN_RECEPTOR = "known_receptor"
NO_KNOWN_RECEPTOR = "no_known_receptor"
AMBIGUOUS_NAME = "ambiguous_name"
UNKNOWN_NAME = "unknown_name"

# role values
SIGNALLING = "signalling receptor"
CO_RECEPTOR = "co-receptor"
DECOY = "decoy"
ROLES = (SIGNALLING, CO_RECEPTOR, DECOY)
DEFAULT_ROLES = (SIGNALLING, CO_RECEPTOR)
RANK_ROLES = (SIGNALLING,)
_ROLE_ORDER = {r: i for i, r in enumerate(ROLES)}

ResourceMode = Literal["replace", "union"]
ResourceFormat = Literal["auto", "cellphonedb", "liana", "cellchat", "pairs"]
CombineName = Literal["simes", "fisher"]
RESOURCE_MODES: tuple[str, ...] = get_args(ResourceMode)
RESOURCE_FORMATS: tuple[str, ...] = get_args(ResourceFormat)

# --- receptor families and roles (also used by scripts/build_lr_table.py) ------------------
FAMILY_RULES: tuple[tuple[str, str], ...] = (
    (r"^(EGFR|ERBB[234])$", "ERBB"),
    (r"^(MET|MST1R)$", "MET"),
    (r"^(FGFR[1-4]|FGFRL1|KLB|KL)$", "FGFR"),
    (r"^(IGF1R|INSR|INSRR)$", "IGF1R/INSR"),
    (r"^(PDGFR[AB])$", "PDGFR"),
    (r"^(KDR|FLT1|FLT4)$", "VEGFR"),
    (r"^(AXL|MERTK|TYRO3)$", "TAM"),
    (r"^(TEK|TIE1)$", "TIE"),
    (r"^(NTRK[1-3])$", "TRK"),
    (r"^(NGFR|SORT1|SORCS[1-3])$", "p75NTR/sortilin"),
    (r"^(RET|GFRA[1-4]|GFRAL)$", "GFRA/RET"),
    (r"^(IL6R|IL6ST|LIFR|OSMR|IL11RA|CNTFR|IL27RA|IL31RA)$", "gp130"),
    (r"^(IFNAR[12])$", "IFNAR"),
    (r"^(IFNGR[12])$", "IFNGR"),
    (r"^(IFNLR1)$", "IFNLR"),
    (r"^(IL2RG|IL2RA|IL2RB|IL15RA|IL7R|IL9R|IL21R)$", "common gamma chain"),
    (r"^(IL4R|IL13RA[12])$", "IL4R/IL13R"),
    (r"^(CSF2RA|CSF2RB|IL3RA|IL5RA)$", "beta common chain"),
    (r"^(IL12RB[12]|IL23R)$", "IL12R/IL23R"),
    (r"^(IL1R1|IL1R2|IL1RAP|IL1RL1|IL1RL2|IL18R1|IL18RAP|SIGIRR|IL1RAPL[12])$", "IL1R"),
    (r"^(IL10RA|IL10RB|IL20RA|IL20RB|IL22RA[12])$", "IL10R"),
    (r"^(IL17R[A-E]|IL17REL)$", "IL17R"),
    (r"^(TNFRSF\w+|LTBR|FAS|CD40|CD27|EDAR|EDA2R|RELT)$", "TNFR"),
    (r"^(TGFBR[123])$", "TGFBR"),
    (r"^(BMPR1A|BMPR1B|BMPR2|ACVR1|ACVRL1)$", "BMPR"),
    (r"^(ACVR1B|ACVR1C|ACVR2A|ACVR2B)$", "ACVR"),
    (r"^(AMHR2)$", "AMHR2"),
    (r"^(ENG|HJV|RGMA|RGMB|TDGF1|CD109|BAMBI)$", "TGFB co-receptor"),
    (r"^(FZD\d+)$", "FZD"),
    (r"^(LRP5|LRP6)$", "LRP5/6"),
    (r"^(ROR[12]|RYK|PTK7)$", "ROR/RYK"),
    (r"^(LGR[456]|RNF43|ZNRF3)$", "LGR/ZNRF3"),
    (r"^(KREMEN[12])$", "KREMEN"),
    (r"^(PTCH[12]|HHIP|CDON|BOC|GAS1|SMO)$", "PTCH"),
    (r"^(NOTCH[1-4])$", "NOTCH"),
    (r"^(EPH[AB]\d+)$", "EPH"),
    (r"^(PLXN[A-D]\d?)$", "plexin"),
    (r"^(NRP[12])$", "neuropilin"),
    (r"^(ROBO\d)$", "ROBO"),
    (r"^(DCC|NEO1|UNC5[A-D]|DSCAM)$", "netrin receptor"),
    (r"^(CCR\d+|CXCR\d+|XCR1|CX3CR1|ACKR\d|CCRL2)$", "chemokine receptor"),
    (r"^(ITG[AB]\w*)$", "integrin"),
    (r"^(SDC[1-4])$", "syndecan"),
    (r"^(GPC[1-6])$", "glypican"),
    (r"^(LRP1|LRP1B|LRP2|LRP8|LDLR|VLDLR)$", "LDLR family"),
    (r"^(CALCR|CALCRL|RAMP[1-3])$", "calcitonin/CGRP receptor"),
    (r"^(EDNR[AB])$", "endothelin receptor"),
    (r"^(NPR[1-3])$", "natriuretic peptide receptor"),
    (r"^(ADIPOR[12])$", "adiponectin receptor"),
    (r"^(TLR\d+|AGER|LY96)$", "TLR/RAGE"),
    (r"^(FPR[1-3])$", "FPR"),
    (r"^(C3AR1|C5AR[12])$", "complement receptor"),
    (r"^(GHR|PRLR)$", "GHR/PRLR"),
    (r"^(EPOR|MPL|CSF3R|CRLF2)$", "type I cytokine receptor"),
)
_FAMILY_RES = tuple((re.compile(p), f) for p, f in FAMILY_RULES)

# fmt: off
DECOY_GENES = frozenset({
    "ACKR1", "ACKR2", "ACKR3", "ACKR4", "CCRL2", "IL1R2", "IL13RA2", "IL22RA2", "TNFRSF6B",
    "TNFRSF10C", "TNFRSF10D", "TNFRSF11B", "IL18BP", "IGF2R", "FGFRL1", "BAMBI", "APCDD1",
})
CO_RECEPTOR_GENES = frozenset({
    "NRP1", "NRP2", "SDC1", "SDC2", "SDC3", "SDC4", "GPC1", "GPC2", "GPC3", "GPC4", "GPC5",
    "GPC6", "CD44", "TGFBR3", "ENG", "HSPG2", "KLB", "KL", "HJV", "RGMA", "RGMB", "TDGF1", "CD109",
    "LRP1", "LRP1B", "LRP2", "LDLR", "VLDLR", "SORT1", "SORCS1", "SORCS2", "SORCS3", "GFRA1",
    "GFRA2", "GFRA3", "GFRA4", "RAMP1", "RAMP2", "RAMP3", "HHIP", "CDON", "BOC", "GAS1",
    "KREMEN1", "KREMEN2", "CD14", "LY96",
})
# fmt: on


def receptor_family(receptor: str) -> str:
    """Return the family of a receptor (subunits joined with ``+``).

    Parameters
    ----------
    receptor : str
        E.g. ``"MET"`` or ``"IL6R+IL6ST"``.

    Returns
    -------
    str
        The family of the first rule in :data:`FAMILY_RULES` that matches any subunit (rule order
        is priority, so ``FZD1+LRP6`` is ``FZD``); otherwise the first subunit's symbol.

    Examples
    --------
    >>> receptor_family("IL6R+IL6ST"), receptor_family("FGFR2"), receptor_family("CD63")
    ('gp130', 'FGFR', 'CD63')
    """
    genes = receptor.split("+")
    for rx, fam in _FAMILY_RES:
        if any(rx.match(g) for g in genes):
            return fam
    return genes[0]


def receptor_role(receptor: str) -> str:
    """Return the default role of a receptor.

    ``decoy`` when any subunit is a decoy/scavenger (IL1R2, ACKR3, TNFRSF11B, IGF2R ...),
    ``co-receptor`` when every subunit is a co-receptor (neuropilins, syndecans, glypicans,
    TGFBR3, LRP1 ...), else ``signalling receptor``. The curated table may override this.

    Parameters
    ----------
    receptor : str
        Subunits joined with ``+``.

    Returns
    -------
    str
    """
    genes = receptor.split("+")
    if any(g in DECOY_GENES for g in genes):
        return DECOY
    if all(g in CO_RECEPTOR_GENES for g in genes):
        return CO_RECEPTOR
    return SIGNALLING


# --- the bundled table and external resources --------------------------------------------
@lru_cache(maxsize=1)
def _bundled() -> pd.DataFrame:
    path = importlib_resources.files("secretome_rank").joinpath("data", "ligand_receptor.tsv")
    with path.open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, sep="\t", dtype=str, keep_default_na=False)
    table[N_RESOURCES] = table[N_RESOURCES].astype(int)
    return table


def load_ligand_receptor_table() -> pd.DataFrame:
    """Return the bundled curated ligand-receptor table.

    Returns
    -------
    pandas.DataFrame
        One row per ligand x receptor with columns ``ligand`` (HGNC symbol), ``receptor``
        (subunits joined with ``+``, sorted), ``receptor_family``, ``role`` (``signalling
        receptor``, ``co-receptor`` or ``decoy``), ``resources`` (``;``-separated permissive
        resources supporting the pair: CellPhoneDB_v5, connectomeDB2020, Ramilowski2015),
        ``n_resources``, ``curator_note`` (why we added, removed or re-labelled), ``ligand_complex``
        (the ligand heterodimer through which the pair is known, e.g. ``IL12A+IL12B``) and
        ``reference`` (literature for curated rows). See ``docs/receptors.md``.
    """
    return _bundled().copy()


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
        logger.warning(
            "%s: %d symbols not in the bundled HGNC alias table, kept as written: %s",
            source,
            len(unmapped),
            shown,
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
    lc = df[df[LIGAND_COMPLEX] != ""][[*keys, LIGAND_COMPLEX]].drop_duplicates()
    lc = lc.sort_values([*keys, LIGAND_COMPLEX]).groupby(keys)[LIGAND_COMPLEX].agg(SEP.join)
    grouped[LIGAND_COMPLEX] = lc.reindex(grouped.index).fillna("")
    grouped = grouped.reset_index()
    grouped[RECEPTOR_FAMILY] = grouped[RECEPTOR].map(receptor_family)
    grouped[RECEPTOR_ROLE] = grouped[RECEPTOR].map(receptor_role)
    grouped[N_RESOURCES] = grouped[RESOURCES].map(lambda v: len([r for r in v.split(SEP) if r]))
    grouped[CURATOR_NOTE] = ""
    grouped[REFERENCE] = ""
    return grouped[list(LR_COLUMNS)]


def _read_csv(path: Path, *, sep: str | None = None) -> pd.DataFrame:
    if sep is None:
        sep = "\t" if path.suffix.lower() in (".tsv", ".txt", ".tab") else ","
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
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
        bad = np.flatnonzero(df[col].str.strip().eq("").to_numpy())
        if bad.size:
            lines = ", ".join(str(i + 2) for i in bad[:10])
            more = f" and {bad.size - 10} more" if bad.size > 10 else ""
            problems.append(f"column {col!r}: empty at line(s) {lines}{more}")
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
        logger.warning("%s: no complex_input*.csv beside it; complex names kept as written", path)

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


def _read_pairs(path: Path, df: pd.DataFrame, resolver: NameResolver | None) -> pd.DataFrame:
    lower = {str(c).strip().lower(): c for c in df.columns}
    lig_col = next((lower[c] for c in _PAIR_LIGAND if c in lower), None)
    rec_col = next((lower[c] for c in _PAIR_RECEPTOR if c in lower), None)
    if lig_col is None or rec_col is None:
        raise ResourceError(
            f"{path}: expected a header with a ligand column ({', '.join(_PAIR_LIGAND)}) and a "
            f"receptor column ({', '.join(_PAIR_RECEPTOR)}); found "
            f"{', '.join(map(str, df.columns[:12]))}. Add a header line 'ligand<TAB>receptor'"
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
    p = Path(path)
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


def _union(base: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([base, extra], ignore_index=True)
    first = both.drop_duplicates([LIGAND, RECEPTOR], keep="first").set_index([LIGAND, RECEPTOR])
    merged = both.groupby([LIGAND, RECEPTOR], sort=True)[RESOURCES].agg(
        lambda s: SEP.join(dict.fromkeys(r for v in s for r in v.split(SEP) if r))
    )
    out = first.loc[merged.index].copy()
    out[RESOURCES] = merged
    out[N_RESOURCES] = merged.map(lambda v: len([r for r in v.split(SEP) if r])).astype(int)
    return out.reset_index()[list(LR_COLUMNS)]


def load_resource(
    path: str | Path | None = None,
    *,
    mode: ResourceMode = "replace",
    format: ResourceFormat = "auto",
    resolver: NameResolver | None = None,
) -> pd.DataFrame:
    """Return the ligand-receptor table to use: bundled, external, or both.

    Parameters
    ----------
    path : str or Path, optional
        External resource (see :func:`read_resource`). ``None``: the bundled table.
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
    """
    if mode not in RESOURCE_MODES:
        raise ConfigError(f"resource mode {mode!r}; expected one of {', '.join(RESOURCE_MODES)}")
    if path is None:
        return load_ligand_receptor_table()
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


def _check_roles(roles: Iterable[str] | None) -> tuple[str, ...]:
    if roles is None:
        return ROLES
    out = tuple(roles)
    bad = [r for r in out if r not in ROLES]
    if bad:
        raise ConfigError(f"receptor roles {bad}; expected any of {', '.join(ROLES)}")
    return out


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
    for lig, rec, fam, role, src, n, note in zip(
        keep[LIGAND],
        keep[RECEPTOR],
        keep[RECEPTOR_FAMILY],
        keep[RECEPTOR_ROLE],
        keep[RESOURCES].astype(str),
        keep[N_RESOURCES],
        keep[CURATOR_NOTE].astype(str),
        strict=True,
    ):
        out.setdefault(lig, []).append(_Pair(rec, fam, role, src, int(n), note))
    return out


def _ligand_keys(table: pd.DataFrame) -> dict[str, str]:
    """Keys of the table's ligand symbols (lets user resources name genes we do not know)."""
    return {normalize_key(lig): lig for lig in table[LIGAND].unique()}


def _resolve_in_table(res: NameResolver, name: object, own: dict[str, str]) -> NameResolution:
    hit = res.resolve(name)
    if hit.resolution != UNKNOWN:
        return hit
    lig = own.get(normalize_key(hit.query))
    if lig is None:
        return hit
    return NameResolution(hit.query, (lig,), EXACT, (), "resource symbol")


def _name_frame(data: pd.DataFrame | pd.Series | Iterable[str] | str, column: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        if column not in data.columns:
            raise SchemaError(
                f"annotate: no column {column!r}; found {', '.join(map(str, data.columns))}. "
                "Pass column=... naming the protein names"
            )
        return data.copy()
    if isinstance(data, str):
        data = [data]
    return pd.DataFrame({column: list(data)})


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
        Receptor roles to list (default signalling receptors and co-receptors; ``None``: all,
        including decoys).
    min_resources : int
        Only list pairs supported by at least this many resources (curated additions have 0).
    resolver : NameResolver, optional
        Name resolver (default: bundled tables).

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` (same rows and order) with added (or replaced) columns:

        - ``symbol``: HGNC approved symbol(s), ``;``-separated for heterodimers, PDGF-AB and
          combinations ``A+B``; empty when ambiguous or unknown;
        - ``resolution``: ``exact``, ``alias``, ``ambiguous`` or ``unknown``;
        - ``candidates``: candidate symbols of an ambiguous name (``;``-separated);
        - ``receptors``: ``;``-separated receptors (complex subunits joined with ``+``), ordered
          signalling receptors first, then by number of supporting resources;
        - ``receptor_families``: ``;``-separated families of those receptors (first-seen order);
        - ``n_resources``: number of distinct resources supporting at least one listed pair
          (0 when none, or only curated additions);
        - ``receptor_status``: ``known_receptor``, ``no_known_receptor`` (name resolved, no
          receptor in the table), ``ambiguous_name`` or ``unknown_name``.

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
    frame = _name_frame(data, column)
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
    if not isinstance(data, pd.DataFrame) or data.index.equals(pd.RangeIndex(len(data))):
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


# --- receptor-level evidence ---------------------------------------------------------------
def _simes(p: NDArray[np.float64], codes: NDArray[np.intp], n_groups: int) -> NDArray[np.float64]:
    """Simes combined p per group: min_k n * p_(k) / k over the sorted p of the group."""
    order = np.lexsort((p, codes))
    ps, cs = p[order], codes[order]
    counts = np.bincount(cs, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = np.arange(ps.size) - starts[cs] + 1
    vals = counts[cs] * ps / k
    out = np.full(n_groups, np.nan)
    np.fmin.at(out, cs, vals)
    return np.minimum(out, 1.0)


def _fisher(p: NDArray[np.float64], codes: NDArray[np.intp], n_groups: int) -> NDArray[np.float64]:
    """Fisher combined p per group: chi-square(2n) upper tail of -2 sum log p."""
    stat = np.bincount(codes, weights=-2.0 * np.log(np.clip(p, 1e-300, 1.0)), minlength=n_groups)
    n = np.bincount(codes, minlength=n_groups)
    out = np.full(n_groups, np.nan)
    ok = n > 0
    out[ok] = special.chdtrc(2 * n[ok], stat[ok])
    return out


@dataclass(frozen=True)
class CombineMethod:
    """A method combining the p-values of a receptor's ligands.

    Attributes
    ----------
    name : str
        Canonical name.
    func : callable
        ``func(p, codes, n_groups) -> combined p per group`` (finite p only).
    reference : str
        Literature reference.
    assumption : str
        Dependence assumption under which the combined p is valid.
    """

    name: str
    func: Callable[[NDArray[np.float64], NDArray[np.intp], int], NDArray[np.float64]]
    reference: str
    assumption: str


COMBINE_METHODS: dict[str, CombineMethod] = {
    "simes": CombineMethod(
        "simes",
        _simes,
        "Simes RJ (1986) Biometrika 73:751-754, doi:10.1093/biomet/73.3.751; validity under "
        "positive dependence: Sarkar SK (1998) Ann Stat 26:494-504",
        "independent or positively dependent (PRDS) ligand p-values",
    ),
    "fisher": CombineMethod(
        "fisher",
        _fisher,
        "Fisher RA (1932) Statistical Methods for Research Workers, 4th ed., sec. 21.1",
        "independent ligand p-values",
    ),
}


def combine_pvalues_grouped(
    p: NDArray[np.float64] | Sequence[float],
    groups: NDArray[np.intp] | Sequence[int],
    *,
    method: CombineName = "simes",
) -> NDArray[np.float64]:
    r"""Combine p-values within groups (NaN-safe kernel).

    Parameters
    ----------
    p : array_like of float
        p-values in [0, 1]; NaN values are ignored.
    groups : array_like of int
        Group code per p-value, ``0 .. n_groups-1``.
    method : {"simes", "fisher"}
        Combination method (see :data:`COMBINE_METHODS`).

    Returns
    -------
    numpy.ndarray
        Combined p per group code (length ``max(groups) + 1``); NaN for groups without a
        finite p-value.

    Notes
    -----
    Simes: :math:`p_S = \min_k n\,p_{(k)}/k` over the group's sorted p-values; it tests "no
    ligand of this receptor is active" and stays valid when ligand tests are positively
    dependent (they share the plate's controls). Fisher: :math:`X = -2\sum \log p_i`
    referred to :math:`\chi^2_{2n}`; more powerful when many ligands are weakly active, but it
    assumes independence.

    Examples
    --------
    >>> combine_pvalues_grouped([0.01, 0.04, 0.5, float("nan")], [0, 0, 1, 1]).round(4).tolist()
    [0.02, 0.5]
    """
    if method not in COMBINE_METHODS:
        raise ConfigError(
            f"combine method {method!r}; expected one of {', '.join(COMBINE_METHODS)}"
        )
    parr = np.asarray(p, dtype=float)
    garr = np.asarray(groups, dtype=np.intp)
    n_groups = int(garr.max()) + 1 if garr.size else 0
    ok = np.isfinite(parr)
    if np.any((parr[ok] < 0) | (parr[ok] > 1)):
        raise SchemaError("p-values outside [0, 1]; expected p-values in [0, 1] or NaN")
    return COMBINE_METHODS[method].func(parr[ok], garr[ok], n_groups)


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
        out[RECEPTOR_FAMILY].astype(str) + ": " + out[N_HIT_LIGANDS].astype(str) + " of "
        + out[N_LIGANDS].astype(str) + " ligands hit"
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


# --- expression ------------------------------------------------------------------------------
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
    for name, df, cols in (
        ("expression", expression, (C.CELL_LINE, GENE, C.VALUE)),
        ("annotated", annotated, (receptors_column,)),
    ):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise SchemaError(
                f"{name} table lacks column(s) {', '.join(missing)}; expected {', '.join(cols)}"
            )
    values = pd.to_numeric(expression[C.VALUE], errors="coerce")
    bad = np.flatnonzero((values.isna() & expression[C.VALUE].notna()).to_numpy())
    if bad.size:
        raise SchemaError(
            f"expression: column 'value' is not numeric at row(s) {', '.join(map(str, bad[:10]))}; "
            "expected expression levels (e.g. TPM)"
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
    flags: list[object] = []
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
