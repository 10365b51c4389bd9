"""Build the bundled ligand-receptor table and the reduced HGNC alias table.

Reads the permissive ligand-receptor resources from ``../shared/lr_resources`` (relative to the
repository root) and writes, deterministically (rerunning gives byte-identical files):

* ``secretome_rank/data/ligand_receptor.tsv``: one row per ligand x receptor (complex subunits
  joined with ``+``, sorted) with ``receptor_family``, ``role``, supporting ``resources``,
  ``n_resources``, ``curator_note``, ``ligand_complex`` and ``reference``;
* ``secretome_rank/data/aliases.tsv``: HGNC approved / previous / alias symbols for every ligand
  and receptor gene of that table, of the bundled library and of ``data/vendor_names.tsv`` (all
  candidates of each alias kept, so ambiguity is preserved).

Sources used for pairs (permissive licences only):

* CellPhoneDB v5.0.0 (``cellphonedb_v5/``; MIT): ``Ligand-Receptor`` rows, plus
  ``Adhesion-Adhesion`` rows whose partner A is a secreted protein (ECM ligands such as
  fibronectin -> integrins).
  Small-molecule "ligands" (complexes named ``*_by*``) are skipped. Protein ligand complexes
  (IL12, IL23, IL27, activin AB, ...) credit each ligand subunit; ``ligand_complex`` says so.
* connectomeDB2020 literature-supported pairs (``connectomedb2020/lrc2p_literature_supported.csv``;
  MIT). The 1,778 putative pairs are not used.
* Ramilowski et al. 2015, literature-supported subset (``resource == "ramilowski2015"`` rows of
  the OmniPath resource bundled with liana 1.10.0; data CC BY 4.0). The 663 putative pairs are
  not used.

Then ``scripts/lr_overrides.tsv`` (hand-curated, each row with a note and a reference) adds,
removes or re-labels pairs, or folds binary pairs into a curated complex (``fold``: the rows of
the ligand whose receptor subunits are all in the complex are replaced by the complex row, which
keeps their resources; e.g. FGF19-FGFR1 becomes FGF19 -> FGFR1+KLB).

Folding rule: a binary pair (L, g) from connectomeDB2020 or Ramilowski whose receptor gene g is a
subunit of a CellPhoneDB complex receptor of the same ligand L, while CellPhoneDB does not list
(L, g) alone, is folded into that complex row (its resource is credited to the complex). Example:
connectomeDB2020 lists IL6-IL6R and IL6-IL6ST; both support the CellPhoneDB complex IL6R+IL6ST.

Usage::

    python scripts/build_lr_table.py [--shared PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from secretome_rank.receptors import receptor_family, receptor_role  # noqa: E402

SHARED_DEFAULT = REPO / ".." / "shared" / "lr_resources"
DATA = REPO / "secretome_rank" / "data"
OVERRIDES = REPO / "scripts" / "lr_overrides.tsv"

CPDB = "CellPhoneDB_v5"
CONNECTOME = "connectomeDB2020"
RAMILOWSKI = "Ramilowski2015"
RESOURCE_ORDER = (CPDB, CONNECTOME, RAMILOWSKI)


# --- HGNC --------------------------------------------------------------------------------
def load_hgnc(shared: Path) -> pd.DataFrame:
    path = shared / "hgnc_symbol_map" / "hgnc_table_HGNChelper_2022-04-04.csv"
    h = pd.read_csv(path, dtype=str, keep_default_na=False)
    h = h.rename(columns={"Symbol": "alias", "Approved.Symbol": "symbol"})[["alias", "symbol"]]
    h = h[(h["alias"] != "") & (h["symbol"] != "")].drop_duplicates()
    return h


class SymbolMapper:
    """Map resource symbols (possibly outdated) to current HGNC approved symbols."""

    def __init__(self, hgnc: pd.DataFrame) -> None:
        self.approved = set(hgnc["symbol"])
        by_alias: dict[str, set[str]] = defaultdict(set)
        for a, s in zip(hgnc["alias"].str.upper(), hgnc["symbol"], strict=True):
            by_alias[a].add(s)
        self.by_alias = by_alias
        self.unmapped: set[str] = set()

    def __call__(self, sym: str) -> str | None:
        sym = sym.strip()
        if sym in self.approved:
            return sym
        cands = self.by_alias.get(sym.upper(), set())
        if len(cands) == 1:
            return next(iter(cands))
        self.unmapped.add(sym)
        return None


# --- resources ---------------------------------------------------------------------------
Pair = tuple[str, str, str, str]  # ligand, receptor, resource, ligand_complex


# Subunits dropped from CellPhoneDB complexes. RAMP3_complex is CALCRL+GPER1+RAMP3 because
# UniProt says RAMP3 also takes GPER1 to the membrane; the AM2 (adrenomedullin) receptor is
# CALCRL+RAMP3, and GPER1 is no part of it (Hay DL et al. 2018 Br J Pharmacol 175:3).
CPDB_COMPLEX_DROP = {"RAMP3_complex": frozenset({"GPER1"})}


def read_cellphonedb(folder: Path, mapper: SymbolMapper) -> list[Pair]:
    inter = pd.read_csv(folder / "interaction_input.csv", dtype=str, keep_default_na=False)
    genes = pd.read_csv(folder / "gene_input.csv", dtype=str, keep_default_na=False)
    cx = pd.read_csv(folder / "complex_input.csv", dtype=str, keep_default_na=False)
    prot = pd.read_csv(folder / "protein_input.csv", dtype=str, keep_default_na=False)
    u2g = dict(zip(genes["uniprot"], genes["hgnc_symbol"], strict=True))
    secreted = {u for u, s in zip(prot["uniprot"], prot["secreted"], strict=True) if s == "TRUE"}
    sub_cols = [f"uniprot_{i}" for i in range(1, 6)]
    complexes: dict[str, list[str]] = {}
    for _, row in cx.iterrows():
        complexes[row["complex_name"]] = [row[c] for c in sub_cols if row[c]]

    def members(partner: str) -> list[str] | None:
        # complex names first: some equal a gene symbol (LIFR, OSMR, IL27)
        ups = complexes.get(partner, [partner])
        out = []
        for u in ups:
            g = u2g.get(u)
            g = mapper(g) if g else None
            if g is None:
                return None
            out.append(g)
        return sorted(set(out) - CPDB_COMPLEX_DROP.get(partner, frozenset()))

    pairs: list[Pair] = []
    for _, row in inter.iterrows():
        a, b, direction = row["partner_a"], row["partner_b"], row["directionality"]
        if "_by" in a:  # small-molecule ligand made by an enzyme
            continue
        if direction == "Adhesion-Adhesion":
            if a not in secreted or a in complexes:
                continue
        elif direction != "Ligand-Receptor":
            continue
        lig, rec = members(a), members(b)
        if not lig or not rec:
            continue
        lig_complex = "+".join(lig) if a in complexes and len(lig) > 1 else ""
        for g in lig:
            if g in rec:
                continue
            pairs.append((g, "+".join(rec), CPDB, lig_complex))
    return pairs


def read_connectome(folder: Path, mapper: SymbolMapper) -> list[Pair]:
    df = pd.read_csv(folder / "lrc2p_literature_supported.csv", dtype=str)
    pairs = []
    for lig, rec in zip(df["Ligand gene symbol"], df["Receptor gene symbol"], strict=True):
        lg, rc = mapper(lig), mapper(rec)
        if lg and rc and lg != rc:
            pairs.append((lg, rc, CONNECTOME, ""))
    return pairs


# Symbols a resource uses for another gene than the HGNC approved symbol of that spelling.
# Ramilowski 2015 lists PIGF_FLT1 beside PGF_FLT1: "PIGF" is placental growth factor (PlGF)
# read with a capital I, not the GPI-anchor enzyme PIGF (OmniPath maps it to PIGF, Q07326).
RAMILOWSKI_SYMBOLS = {"PIGF": "PGF"}


def read_ramilowski(omni_csv: Path, mapper: SymbolMapper) -> list[Pair]:
    df = pd.read_csv(omni_csv, dtype=str, keep_default_na=False)
    df = df[df["resource"] == "ramilowski2015"]
    pairs = []
    for lig, rec in zip(df["source_genesymbol"], df["target_genesymbol"], strict=True):
        lg = mapper(RAMILOWSKI_SYMBOLS.get(lig, lig))
        rc = [mapper(g) for g in rec.split("_")]
        if lg and all(rc) and lg not in rc:
            pairs.append((lg, "+".join(sorted(set(rc))), RAMILOWSKI, ""))  # type: ignore[arg-type]
    return pairs


# --- assembly ----------------------------------------------------------------------------
def assemble(pairs: list[Pair]) -> pd.DataFrame:
    support: dict[tuple[str, str], set[str]] = defaultdict(set)
    lig_cx: dict[tuple[str, str], set[str]] = defaultdict(set)
    for lig, rec, res, lc in pairs:
        support[(lig, rec)].add(res)
        if lc:
            lig_cx[(lig, rec)].add(lc)
    # folding of binary subunit pairs into CellPhoneDB complexes
    cpdb_complex: dict[str, list[str]] = defaultdict(list)
    for (lig, rec), res in support.items():
        if CPDB in res and "+" in rec:
            cpdb_complex[lig].append(rec)
    notes: dict[tuple[str, str], str] = {}
    for (lig, rec), res in list(support.items()):
        if "+" in rec or CPDB in res or lig not in cpdb_complex:
            continue
        hosts = [c for c in cpdb_complex[lig] if rec in c.split("+")]
        if not hosts:
            continue
        for c in hosts:
            support[(lig, c)] |= res
            notes[(lig, c)] = "support includes binary subunit pairs folded into this complex"
        del support[(lig, rec)]
    rows = []
    for (lig, rec), res in support.items():
        ordered = [r for r in RESOURCE_ORDER if r in res]
        rows.append(
            {
                "ligand": lig,
                "receptor": rec,
                "receptor_family": receptor_family(rec),
                "role": receptor_role(rec),
                "resources": ";".join(ordered),
                "n_resources": len(ordered),
                "curator_note": notes.get((lig, rec), ""),
                "ligand_complex": ";".join(sorted(lig_cx.get((lig, rec), set()))),
                "reference": "",
            }
        )
    return pd.DataFrame(rows)


def fold_rows(table: pd.DataFrame, key: tuple[str, str]) -> list[tuple[str, str]]:
    """Rows of the same ligand whose receptor subunits are a proper subset of the complex."""
    lig, rec = key
    subunits = set(rec.split("+"))
    return [
        (lg, r) for lg, r in table.index if lg == lig and r != rec and set(r.split("+")) < subunits
    ]


def apply_overrides(table: pd.DataFrame, overrides: pd.DataFrame) -> pd.DataFrame:
    table = table.set_index(["ligand", "receptor"])
    problems = []
    for i, row in overrides.iterrows():
        key = (row["ligand"], "+".join(sorted(row["receptor"].split("+"))))
        action = row["action"]
        line = int(i) + 2  # type: ignore[call-overload]
        if not row["note"] or not row["reference"]:
            problems.append(f"line {line}: every override needs a note and a reference")
        if action == "fold":
            # the curated complex replaces the rows of its subunits, which credit their
            # resources to it (build step 3, for complexes CellPhoneDB does not list)
            if key in table.index:
                problems.append(
                    f"line {line}: fold into {key} but the pair is already in the table"
                )
                continue
            parts = fold_rows(table, key)
            if not parts:
                problems.append(f"line {line}: fold into {key} but no subunit pair is in the table")
                continue
            res = {r for p in parts for r in str(table.loc[p, "resources"]).split(";") if r}
            ordered = [r for r in RESOURCE_ORDER if r in res]
            shown = ", ".join(p[1] for p in parts)
            table = table.drop(index=parts)
            table.loc[key, ["resources", "n_resources", "ligand_complex"]] = [
                ";".join(ordered),
                len(ordered),
                "",
            ]
            table.loc[key, "receptor_family"] = row["receptor_family"] or receptor_family(key[1])
            table.loc[key, "role"] = row["role"] or receptor_role(key[1])
            table.loc[key, "curator_note"] = f"fold ({shown}): {row['note']}"
            table.loc[key, "reference"] = row["reference"]
            continue
        if action == "remove":
            if key not in table.index:
                problems.append(f"line {line}: remove {key} but the pair is not in the table")
                continue
            table = table.drop(index=key)
        elif action in ("add", "relabel"):
            if action == "add" and key in table.index:
                problems.append(f"line {line}: add {key} but the pair is already in the table")
                continue
            if action == "relabel" and key not in table.index:
                problems.append(f"line {line}: relabel {key} but the pair is not in the table")
                continue
            if action == "add":
                table.loc[key, ["resources", "n_resources", "ligand_complex"]] = ["", 0, ""]
                table.loc[key, "receptor_family"] = receptor_family(key[1])
                table.loc[key, "role"] = receptor_role(key[1])
            if row["receptor_family"]:
                table.loc[key, "receptor_family"] = row["receptor_family"]
            if row["role"]:
                table.loc[key, "role"] = row["role"]
            prev = table.loc[key, "curator_note"] if action == "relabel" else ""
            note = f"{action}: {row['note']}"
            table.loc[key, "curator_note"] = f"{prev} | {note}" if prev else note
            table.loc[key, "reference"] = row["reference"]
        else:
            problems.append(f"line {line}: unknown action {action!r} (add, fold, remove, relabel)")
    if problems:
        sys.exit("lr_overrides.tsv:\n  " + "\n  ".join(problems))
    out = table.reset_index()
    out["n_resources"] = out["n_resources"].astype(int)
    return out


def build_aliases(hgnc: pd.DataFrame, genes: set[str]) -> pd.DataFrame:
    """HGNC rows for every alias of `genes`, plus every other gene sharing such an alias."""
    h = hgnc.copy()
    h["key"] = h["alias"].str.upper()
    keys = set(h.loc[h["symbol"].isin(genes), "key"])
    red = h[h["key"].isin(keys)].copy()
    red["type"] = (red["alias"] == red["symbol"]).map(
        {True: "approved", False: "previous_or_alias"}
    )
    red = red.drop_duplicates(["alias", "symbol"])
    red = red.sort_values(["symbol", "type", "alias"], key=lambda s: s.str.upper())
    return red[["alias", "symbol", "type"]].reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=SHARED_DEFAULT)
    ap.add_argument("--out", type=Path, default=DATA, help="output folder (default: package data)")
    args = ap.parse_args(argv)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    shared: Path = args.shared.resolve()
    if not shared.is_dir():
        sys.exit(f"shared resources not found at {shared}; pass --shared PATH")
    hgnc = load_hgnc(shared)
    mapper = SymbolMapper(hgnc)
    pairs = (
        read_cellphonedb(shared / "cellphonedb_v5", mapper)
        + read_connectome(shared / "connectomedb2020", mapper)
        + read_ramilowski(shared / "liana_omni_resource" / "omni_resource_liana-1.10.0.csv", mapper)
    )
    table = assemble(pairs)
    overrides = pd.read_csv(OVERRIDES, sep="\t", dtype=str, keep_default_na=False, comment="#")
    table = apply_overrides(table, overrides)
    table = table.sort_values(["ligand", "receptor"]).reset_index(drop=True)
    cols = [
        "ligand",
        "receptor",
        "receptor_family",
        "role",
        "resources",
        "n_resources",
        "curator_note",
        "ligand_complex",
        "reference",
    ]
    table = table[cols]
    table.to_csv(out_dir / "ligand_receptor.tsv", sep="\t", index=False, lineterminator="\n")

    library = pd.read_csv(DATA / "secretome_library.tsv", sep="\t", dtype=str)
    vendor = pd.read_csv(DATA / "vendor_names.tsv", sep="\t", dtype=str, keep_default_na=False)
    named = {g for v in vendor["symbols"] for g in v.split(";") if g}  # e.g. PIGF of 'PIGF'
    genes = set(table["ligand"]) | set(library["symbol"]) | named
    for rec in table["receptor"]:
        genes.update(rec.split("+"))
    aliases = build_aliases(hgnc, genes)
    aliases.to_csv(out_dir / "aliases.tsv", sep="\t", index=False, lineterminator="\n")

    print(f"pairs read: {len(pairs)}; table rows: {len(table)}; ligands: {table.ligand.nunique()}")
    print(f"aliases: {len(aliases)} rows for {len(genes)} genes")
    if mapper.unmapped:
        shown = ", ".join(sorted(mapper.unmapped)[:30])
        print(f"{len(mapper.unmapped)} resource symbols not mapped to HGNC (skipped): {shown} ...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
