"""Name resolution: one test per name class of issue 3, with the expected HGNC symbol."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from secretome_rank.names import (
    NameResolver,
    default_resolver,
    normalize_key,
    resolve_names,
)


def _one(name: str) -> tuple[str, str, str]:
    row = resolve_names([name]).iloc[0]
    return row["symbol"], row["resolution"], row["candidates"]


@pytest.mark.parametrize(
    ("name", "symbol"),
    [("HGF", "HGF"), ("MET", "MET"), ("NRG1", "NRG1"), ("FGF2", "FGF2"), ("IL6", "IL6")],
)
def test_approved_symbols_are_exact(name: str, symbol: str) -> None:
    assert _one(name) == (symbol, "exact", "")


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("FIGF", "VEGFD"),
        ("IL8", "CXCL8"),
        ("CYR61", "CCN1"),
        ("CTGF", "CCN2"),
        ("GDF8", "MSTN"),
        ("BAFF", "TNFSF13B"),
        ("TRAIL", "TNFSF10"),
        ("RANKL", "TNFSF11"),
        ("NGAL", "LCN2"),
        ("YKL-40", "CHI3L1"),
        ("IL-29", "IFNL1"),
        ("BMP-9", "GDF2"),
    ],
)
def test_previous_and_alias_symbols(name: str, symbol: str) -> None:
    assert _one(name) == (symbol, "alias", "")


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("hgf", "HGF"),
        ("Hgf", "HGF"),
        ("il6", "IL6"),
        ("IL-6", "IL6"),
        ("IL 6", "IL6"),
        ("Il_6", "IL6"),
        ("fgf-2", "FGF2"),
    ],
)
def test_case_hyphens_spaces(name: str, symbol: str) -> None:
    assert _one(name)[0] == symbol


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("TGF-beta1", "TGFB1"),
        ("TGF-b1", "TGFB1"),
        ("TGFb1", "TGFB1"),
        ("TGF-β1", "TGFB1"),
        ("TGF beta 1", "TGFB1"),
        ("IFN-gamma", "IFNG"),
        ("IFN-γ", "IFNG"),
        ("IFNg", "IFNG"),
        ("IL-1beta", "IL1B"),
        ("IL-1β", "IL1B"),
        ("IL-1b", "IL1B"),
        ("IL-1alpha", "IL1A"),
        ("IL-1α", "IL1A"),
        ("SDF-1alpha", "CXCL12"),
        ("SDF-1α", "CXCL12"),
        ("SDF-1a", "CXCL12"),
        ("TNF-alpha", "TNF"),
        ("TNFα", "TNF"),
        ("GRO-alpha", "CXCL1"),
    ],
)
def test_greek_letters_spelled_or_not(name: str, symbol: str) -> None:
    assert _one(name)[0] == symbol


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("bFGF", "FGF2"),
        ("aFGF", "FGF1"),
        ("KGF", "FGF7"),
        ("SCF", "KITLG"),
        ("M-CSF", "CSF1"),
        ("GM-CSF", "CSF2"),
        ("G-CSF", "CSF3"),
        ("Heregulin-beta1", "NRG1"),
        ("Heregulin-β1", "NRG1"),
        ("sCD40L", "CD40LG"),
        ("Activin A", "INHBA"),
        ("MCP-1", "CCL2"),
        ("RANTES", "CCL5"),
        ("Oncostatin M", "OSM"),
        ("NT-3", "NTF3"),
        ("APRIL", "TNFSF13"),
        ("IL-1ra", "IL1RN"),
        ("OPG", "TNFRSF11B"),
    ],
)
def test_vendor_and_common_names(name: str, symbol: str) -> None:
    assert _one(name) == (symbol, "alias", "")


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("Recombinant Human HGF", "HGF"),
        ("recombinant human IL-6", "IL6"),
        ("rhHGF", "HGF"),
        ("rhIL-6", "IL6"),
        ("rh-IL-6", "IL6"),
        ("rhuIL-6", "IL6"),
        ("hIL-6", "IL6"),
        ("Human IL-6", "IL6"),
        ("human bFGF", "FGF2"),
        ("HGF (carrier-free)", "HGF"),
        ("HGF (CF)", "HGF"),
        ("HGF protein", "HGF"),
        ("HGF, carrier-free", "HGF"),
        ("Recombinant Human TGF-β1 (carrier-free)", "TGFB1"),
        ("rhKGF (CF)", "FGF7"),
    ],
)
def test_prefixes_and_suffixes(name: str, symbol: str) -> None:
    assert _one(name)[0] == symbol


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("VEGF165", "VEGFA"),
        ("VEGF-A165", "VEGFA"),
        ("VEGF121", "VEGFA"),
        ("VEGF 189", "VEGFA"),
        ("NRG1-beta1", "NRG1"),
        ("NRG1-β1", "NRG1"),
        ("PDGF-BB", "PDGFB"),
        ("PDGF-AA", "PDGFA"),
        ("PDGF BB", "PDGFB"),
        ("PDGF-CC", "PDGFC"),
        ("PDGF-AB", "PDGFA;PDGFB"),
        ("Activin AB", "INHBA;INHBB"),
        ("IL-12 p70", "IL12A;IL12B"),
    ],
)
def test_isoforms_and_dimers(name: str, symbol: str) -> None:
    sym, resolution, _ = _one(name)
    assert (sym, resolution) == (symbol, "alias")


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("sCD40L+IL-4", "CD40LG;IL4"),
        ("sCD40L + IL-4", "CD40LG;IL4"),
        ("HGF+EGF", "HGF;EGF"),
        ("IL-6 + sIL-6R", "IL6;IL6R"),
    ],
)
def test_combinations_resolve_to_both(name: str, symbol: str) -> None:
    sym, resolution, _ = _one(name)
    assert sym == symbol
    assert resolution == "alias"


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("SF", "HGF;KITLG"),
        ("HRG", "HRG;NRG1"),
        ("Ang-1", "ANGPT1;AGT"),
        ("TPO", "THPO;TPO"),
        ("MSP", "LMLN;MSMB;MST1"),
        ("CNP", "NPPC;CNP"),
        ("PIGF", "PGF;PIGF"),
        ("PIGF-1", "PGF;PIGF"),
        ("IL-1", "IL1A;IL1B"),
        ("IL1", "IL1A;IL1B"),
        ("TGF-beta", "TGFB1;TGFB2;TGFB3"),
        ("TGFb", "TGFB1;TGFB2;TGFB3"),
        ("TGF-β", "TGFB1;TGFB2;TGFB3"),
        ("TGFbeta", "TGFB1;TGFB2;TGFB3"),
        ("Recombinant Human TGF-beta (CF)", "TGFB1;TGFB2;TGFB3"),
        ("Activin", "INHBA;INHBB;INHBC;INHBE"),
        ("Neuregulin", "NRG1;NRG2;NRG3;NRG4"),
        ("NRG", "NRG1;NRG2;NRG3;NRG4"),
    ],
)
def test_ambiguous_names_are_flagged_not_guessed(name: str, candidates: str) -> None:
    assert _one(name) == ("", "ambiguous", candidates)


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("PlGF", "PGF"),
        ("PlGF-1", "PGF"),
        ("PlGF-2", "PGF"),
        ("Heregulin", "NRG1"),
        ("VEGF", "VEGFA"),
        ("IL-1beta", "IL1B"),
        ("TGF-beta2", "TGFB2"),
        ("Activin A", "INHBA"),
        ("Hepatocyte growth factor", "HGF"),
        ("Epidermal growth factor", "EGF"),
        ("Interleukin-6", "IL6"),
        ("Interferon gamma", "IFNG"),
        ("Tumor necrosis factor alpha", "TNF"),
        ("Kit ligand", "KITLG"),
        ("Heparin-binding EGF", "HBEGF"),
        ("BMP-2/7", "BMP2;BMP7"),
        ("BMP-4/7", "BMP4;BMP7"),
        ("IL-35", "EBI3;IL12A"),
    ],
)
def test_curated_names_after_audit(name: str, symbol: str) -> None:
    sym, resolution, cands = _one(name)
    assert (sym, cands) == (symbol, "")
    assert resolution in ("exact", "alias")


def test_combination_with_an_ambiguous_part_is_ambiguous() -> None:
    sym, resolution, cands = _one("HGF+SF")
    assert (sym, resolution, cands) == ("HGF", "ambiguous", "HGF;KITLG")


@pytest.mark.parametrize("name", ["XYZ1", "not a protein", "", "Recombinant Human"])
def test_unknown_names_are_reported(name: str) -> None:
    assert _one(name) == ("", "unknown", "")


def test_missing_values_are_unknown_and_kept() -> None:
    out = resolve_names(["HGF", None, float("nan"), "EGF"])
    assert out["query"].tolist() == ["HGF", "", "", "EGF"]
    assert out["resolution"].tolist() == ["exact", "unknown", "unknown", "exact"]


def test_output_keeps_order_and_duplicates() -> None:
    names = ["bFGF", "HGF", "bFGF", "XYZ1", "HGF"]
    out = resolve_names(names)
    assert out["query"].tolist() == names
    assert out["symbol"].tolist() == ["FGF2", "HGF", "FGF2", "", "HGF"]
    assert list(out.columns) == ["query", "symbol", "resolution", "candidates", "matched_by"]


def test_normalize_key() -> None:
    assert normalize_key("TGF-β1") == "TGFB1"
    assert normalize_key("IL-1 beta") == "IL1B"
    assert normalize_key("Ifn-Gamma") == "IFNG"


def test_custom_tables() -> None:
    aliases = pd.DataFrame({"alias": ["FOO1", "OLDFOO"], "symbol": ["FOO1", "FOO1"]})
    vendor = pd.DataFrame({"name": ["Foo factor"], "symbols": ["FOO1"], "status": ["resolved"]})
    res = NameResolver(aliases, vendor)
    out = resolve_names(["oldfoo", "Foo factor", "FOO1", "HGF"], resolver=res)
    assert out["symbol"].tolist() == ["FOO1", "FOO1", "FOO1", ""]
    assert out["resolution"].tolist() == ["alias", "alias", "exact", "unknown"]


def _data(name: str) -> pd.DataFrame:
    with resources.files("secretome_rank").joinpath("data", name).open() as fh:
        return pd.read_csv(fh, sep="\t", dtype=str, keep_default_na=False)


def test_library_every_protein_resolves_to_its_symbol() -> None:
    lib = _data("secretome_library.tsv")
    assert list(lib.columns) == ["protein", "symbol", "family"]
    assert lib["protein"].is_unique and lib["symbol"].is_unique
    assert lib["protein"].tolist() == sorted(lib["protein"], key=str.lower)
    assert 450 <= len(lib) <= 550
    out = resolve_names(lib["protein"])
    assert out["resolution"].isin(["exact", "alias"]).all(), out[
        ~out["resolution"].isin(["exact", "alias"])
    ]
    assert (out["symbol"] == lib["symbol"]).all()
    vendor_share = (lib["protein"] != lib["symbol"]).mean()
    assert 0.15 <= vendor_share <= 0.3


def test_vendor_table_symbols_are_approved_and_names_unique() -> None:
    vendor = _data("vendor_names.tsv")
    approved = default_resolver().approved_symbols
    syms = {s for v in vendor["symbols"] for s in v.split(";")}
    assert syms <= approved, sorted(syms - approved)
    keys = vendor["name"].map(normalize_key)
    assert keys.is_unique, vendor[keys.duplicated(keep=False)]
    assert set(vendor["status"]) <= {"resolved", "ambiguous"}
    # a vendor name may shadow an approved symbol only to flag it as ambiguous
    shadow = vendor[keys.isin({normalize_key(s) for s in approved})]
    assert (shadow["status"] == "ambiguous").all(), shadow


def test_alias_table_is_small() -> None:
    aliases = _data("aliases.tsv")
    assert list(aliases.columns) == ["alias", "symbol", "type"]
    assert len(aliases) < 20_000


FROZEN = Path(__file__).resolve().parents[1] / "fixtures" / "names" / "table_names.tsv.gz"


def test_table_names_resolve_as_before() -> None:
    """Every name of the bundled tables resolves as frozen before the vendor-name rules."""
    frozen = pd.read_csv(FROZEN, sep="\t", dtype=str, keep_default_na=False)
    lib, aliases, vendor = (
        _data(f) for f in ("secretome_library.tsv", "aliases.tsv", "vendor_names.tsv")
    )
    with resources.files("secretome_rank").joinpath("data", "example_screen.csv").open() as fh:
        screen = pd.read_csv(fh, dtype=str, keep_default_na=False)
    names = {
        *lib["protein"],
        *lib["symbol"],
        *aliases["alias"],
        *aliases["symbol"],
        *vendor["name"],
        *(s for v in vendor["symbols"] for s in v.split(";")),
        *screen["protein"],
    }
    names = {n for n in names if n.strip()}
    assert names == set(frozen["query"]), "table names changed: rerun make_expected.py"
    now = resolve_names(frozen["query"])
    changed = now.compare(frozen)
    assert changed.empty, frozen.loc[changed.index].join(now.add_suffix("_now"))


# --- vendor plate-map spellings: species, annotations, synonyms ---------------------------------
# (rules that only see names the lookups above do not know; test_table_names_resolve_as_before
# checks that no name of the bundled tables changed)


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("mouse HGF", "HGF"),
        ("Mouse EGF", "EGF"),
        ("murine IL-6", "IL6"),
        ("Recombinant Murine IL-6", "IL6"),
        ("Recombinant Mouse HGF", "HGF"),
        ("rat VEGF164", "VEGFA"),
        ("rat HGF", "HGF"),
        ("porcine TGF-beta1", "TGFB1"),
        ("bovine FGF-2", "FGF2"),
        ("rm IL-4", "IL4"),
        ("rmIL-4", "IL4"),
        ("rmHGF", "HGF"),
        ("mIL-6", "IL6"),
        ("rrVEGF164", "VEGFA"),
        ("EGF (mouse)", "EGF"),
        ("HGF, rat", "HGF"),
        ("EGF mouse", "EGF"),
        ("HGF (rat, CF)", "HGF"),
        ("mouse/rat VEGF164", "VEGFA"),
        ("Recombinant Mouse HGF Protein, CF (2207-HG)", "HGF"),
        ("sCD40L (mouse)", "CD40LG"),
        ("mouse HGF/SF", "HGF"),
    ],
)
def test_non_human_species_resolves_to_the_human_ortholog(name: str, symbol: str) -> None:
    assert _one(name) == (symbol, "ortholog", "")


def test_ortholog_gets_the_receptors_of_the_human_gene_and_says_so() -> None:
    import secretome_rank as sr

    out = sr.annotate(["mouse HGF", "HGF", "rat VEGF164", "VEGF165"])
    assert out["resolution"].tolist() == ["ortholog", "exact", "ortholog", "alias"]
    assert out["symbol"].tolist() == ["HGF", "HGF", "VEGFA", "VEGFA"]
    assert out.loc[0, "receptors"] == out.loc[1, "receptors"] != ""
    assert out.loc[2, "receptors"] == out.loc[3, "receptors"] != ""
    assert (out["receptor_status"] == "known_receptor").all()


@pytest.mark.parametrize(
    ("name", "symbol", "resolution"),
    [
        ("EGF (human)", "EGF", "exact"),
        ("HGF, human", "HGF", "exact"),
        ("HGF human", "HGF", "exact"),
        ("EGF Human Recombinant", "EGF", "exact"),
        ("IL-6 (human, carrier-free)", "IL6", "exact"),
        ("human bFGF, His tag", "FGF2", "alias"),
        # the same sequence in several species, human among them: the human protein
        ("Human/Murine/Rat BDNF", "BDNF", "exact"),
        ("Recombinant Human/Murine/Rat Activin A", "INHBA", "alias"),
        ("Activin A (human, mouse, rat)", "INHBA", "alias"),
    ],
)
def test_human_species_words_keep_the_resolution(name: str, symbol: str, resolution: str) -> None:
    assert _one(name) == (symbol, resolution, "")


@pytest.mark.parametrize(
    ("name", "candidates"),
    [("mouse SF", "HGF;KITLG"), ("Mouse IL-1", "IL1A;IL1B"), ("PIGF (mouse)", "PGF;PIGF")],
)
def test_species_does_not_settle_an_ambiguous_name(name: str, candidates: str) -> None:
    assert _one(name) == ("", "ambiguous", candidates)


def test_species_words_count_only_as_separate_words() -> None:
    assert _one("mouse HGF") == ("HGF", "ortholog", "")
    for name in ("mouse", "Human", "rat", "Mouse XYZ1", "Humanin (mouse)", "mouseHGF"):
        assert _one(name) == ("", "unknown", ""), name
    # "r" alone is "recombinant" as often as "rat": not read as a species
    assert _one("rIL-6") == ("", "unknown", "")


@pytest.mark.parametrize(
    ("name", "symbol", "resolution"),
    [
        ("HGF (294-HG)", "HGF", "exact"),
        ("HGF (Cat. No. 294-HG)", "HGF", "exact"),
        ("HGF, 294-HG", "HGF", "exact"),
        ("hIL-6 (200-06)", "IL6", "exact"),
        ("HGF (AF-100-39)", "HGF", "exact"),
        ("rhHGF (294-HG)", "HGF", "exact"),
        ("TGF-beta1, His tag", "TGFB1", "exact"),
        ("TGF-beta1 His-tagged", "TGFB1", "exact"),
        ("IL-6 (C-6His)", "IL6", "exact"),
        ("IL-6-His", "IL6", "exact"),
        ("HGF-Fc", "HGF", "exact"),
        ("HGF (Gln32-Ser728)", "HGF", "exact"),
        ("Animal-Free Recombinant Human EGF", "EGF", "exact"),
        ("FGF basic/FGF2/bFGF (146 aa)", "FGF2", "alias"),
        ("Recombinant Human FGF basic/FGF2/bFGF (146 aa) Protein", "FGF2", "alias"),
    ],
)
def test_catalog_numbers_tags_and_lengths_are_removed(
    name: str, symbol: str, resolution: str
) -> None:
    assert _one(name) == (symbol, resolution, "")


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("IL-1 alpha, His tag", "IL1A"),
        ("IL-1 beta, His tag", "IL1B"),
        ("PDGF-AA (human)", "PDGFA"),
        ("PDGF-BB (human)", "PDGFB"),
        ("VEGF165 (294-HG)", "VEGFA"),
        # a letter or number in parentheses that names the protein is kept: "A (B)" is "A B"
        ("IL-1 (alpha) (200-LA)", "IL1A"),
        ("IL-1 (beta) (201-LB)", "IL1B"),
        ("TGF-beta (1), His tag", "TGFB1"),
        ("TGF-beta (2), His tag", "TGFB2"),
        ("IL-12 (p70) (219-IL)", "IL12A;IL12B"),
        ("PDGF (BB)", "PDGFB"),
        ("PDGF (AA)", "PDGFA"),
        ("VEGF (165)", "VEGFA"),
    ],
)
def test_annotations_never_remove_what_names_the_protein(name: str, symbol: str) -> None:
    sym, resolution, cands = _one(name)
    assert (sym, cands) == (symbol, "")
    assert resolution in ("exact", "alias")


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("FGF-2 (FGF-basic)", "FGF2"),
        ("FGF-2 (bFGF)", "FGF2"),
        ("CCL2 (MCP-1)", "CCL2"),
        ("IL-6 (IL6)", "IL6"),
        ("HGF/SF", "HGF"),
        ("IL-8/CXCL8", "CXCL8"),
        ("IL-8 / CXCL8", "CXCL8"),
        ("SDF-1/CXCL12", "CXCL12"),
        ("MCP-1/CCL2", "CCL2"),
        ("SDF-1a/CXCL12", "CXCL12"),
        ("FGF-2/bFGF", "FGF2"),
        # an ambiguous part is settled by the others: SF is HGF or KITLG, TPO is THPO or TPO
        ("SF/KITLG", "KITLG"),
        ("TPO/THPO", "THPO"),
        ("TGF-beta/TGF-beta1", "TGFB1"),
    ],
)
def test_synonyms_resolve_to_the_protein_all_parts_name(name: str, symbol: str) -> None:
    assert _one(name) == (symbol, "alias", "")


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("HGF/EGF", "HGF;EGF"),
        ("BMP-2/BMP-7", "BMP2;BMP7"),  # a heterodimer or a synonym? not guessed
        ("IL-1/IL-6", "IL1A;IL1B;IL6"),
        ("MCP-1 (CCL7)", "CCL2;CCL7"),
        ("HGF (NK4)", "HGF;IL32"),  # NK4: an HGF fragment, and an HGNC alias of IL32
    ],
)
def test_synonyms_naming_different_proteins_are_ambiguous(name: str, candidates: str) -> None:
    assert _one(name) == ("", "ambiguous", candidates)


def test_synonyms_need_every_part_known() -> None:
    assert _one("HGF/SF")[0] == "HGF"
    for name in ("HGF/XYZ1", "XYZ1/HGF", "BMP-2/6", "TGF-beta1 (LAP)", "IL-1 alpha, beta"):
        assert _one(name) == ("", "unknown", ""), name


@pytest.mark.parametrize(
    ("name", "symbol", "resolution"),
    [
        # names of the tables written with a slash keep their meaning (BMP-2/7 is a
        # heterodimer, NT-4/5 one protein): annotations go, the name is not split at /
        ("BMP-2/7 (human)", "BMP2;BMP7", "alias"),
        ("BMP-4/7 (3727-BP)", "BMP4;BMP7", "alias"),
        ("NT-4/5, His tag", "NTF4", "alias"),
        ("IL-17A/F (mouse)", "IL17A;IL17F", "ortholog"),
        ("S100A8/A9 (human)", "S100A8;S100A9", "alias"),
        ("N/OFQ (human)", "PNOC", "alias"),
        ("HGF+NRG1 (human)", "HGF;NRG1", "alias"),
        # combinations bind looser than synonyms; an ortholog part makes an ortholog
        ("HGF/SF + EGF", "HGF;EGF", "alias"),
        ("HGF + mouse EGF", "HGF;EGF", "ortholog"),
    ],
)
def test_slash_names_of_the_tables_and_combinations_keep_their_meaning(
    name: str, symbol: str, resolution: str
) -> None:
    assert _one(name) == (symbol, resolution, "")
