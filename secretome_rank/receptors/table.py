"""The bundled ligand-receptor table, receptor families and roles, and the shared constants.

Column names and category values of the receptor tables are spelled here once; every other
module of :mod:`secretome_rank.receptors` imports them from this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources as importlib_resources
from typing import Literal, get_args

import pandas as pd

from secretome_rank.errors import ConfigError
from secretome_rank.names import normalize_key

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
ANTAGONIST = "antagonist"  # the ligand blocks the receptor (IL1RN -> IL1R1+IL1RAP); curated only
DECOY = "decoy"
ROLES = (SIGNALLING, CO_RECEPTOR, ANTAGONIST, DECOY)
DEFAULT_ROLES = (SIGNALLING, CO_RECEPTOR, ANTAGONIST)
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


# --- the bundled table --------------------------------------------------------------------
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
        receptor``, ``co-receptor``, ``antagonist``: the ligand binds the receptor and blocks
        it, or ``decoy``), ``resources`` (``;``-separated permissive
        resources supporting the pair: CellPhoneDB_v5, connectomeDB2020, Ramilowski2015),
        ``n_resources``, ``curator_note`` (why we added, removed or re-labelled), ``ligand_complex``
        (the ligand heterodimer through which the pair is known, e.g. ``IL12A+IL12B``) and
        ``reference`` (literature for curated rows). See ``docs/receptors.md``.
    """
    return _bundled().copy()


def _check_roles(roles: Iterable[str] | None) -> tuple[str, ...]:
    if roles is None:
        return ROLES
    out = tuple(roles)
    bad = [r for r in out if r not in ROLES]
    if bad:
        raise ConfigError(f"receptor roles {bad}; expected any of {', '.join(ROLES)}")
    return out


def _ligand_keys(table: pd.DataFrame) -> dict[str, str]:
    """Keys of the table's ligand symbols (lets user resources name genes we do not know)."""
    return {normalize_key(lig): lig for lig in table[LIGAND].unique()}
