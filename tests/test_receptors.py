"""Receptor mapping: bundled table, loaders, annotate, receptor ranking, expression."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome_rank.errors import ConfigError, ResourceError, SchemaError
from secretome_rank.receptors import (
    annotate,
    combine_pvalues_grouped,
    load_ligand_receptor_table,
    load_resource,
    rank_receptor_families,
    rank_receptors,
    read_resource,
    receptor_expressed,
    receptor_family,
    receptor_role,
    receptor_table,
)

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "fixtures" / "resources"
SHARED = ROOT / ".." / "shared" / "lr_resources"


def shared(path: str) -> Path:
    p = SHARED / path
    if not p.exists():
        pytest.skip(f"shared ligand-receptor resources not present ({p})")
    return p


def library() -> pd.DataFrame:
    with resources.files("secretome_rank").joinpath("data", "secretome_library.tsv").open() as fh:
        return pd.read_csv(fh, sep="\t", dtype=str)


# --- the bundled table ---------------------------------------------------------------------
def test_bundled_table_shape_and_values() -> None:
    t = load_ligand_receptor_table()
    assert list(t.columns[:7]) == [
        "ligand",
        "receptor",
        "receptor_family",
        "role",
        "resources",
        "n_resources",
        "curator_note",
    ]
    assert not t.duplicated(["ligand", "receptor"]).any()
    assert set(t["role"]) <= {"signalling receptor", "co-receptor", "antagonist", "decoy"}
    assert (t["receptor"] == t["receptor"].map(lambda r: "+".join(sorted(r.split("+"))))).all()
    counted = t["resources"].map(lambda v: len([r for r in v.split(";") if r]))
    assert (counted == t["n_resources"]).all()
    allowed = {"CellPhoneDB_v5", "connectomeDB2020", "Ramilowski2015"}
    assert {r for v in t["resources"] for r in v.split(";") if r} <= allowed
    # every pair has a source: a permissive resource or a curator note with a reference
    unsupported = t[t["n_resources"] == 0]
    assert (unsupported["curator_note"] != "").all()
    assert (unsupported["reference"] != "").all()


def test_build_script_reproduces_the_shipped_tables(tmp_path: Path) -> None:
    import importlib.util

    shared("cellphonedb_v5")
    spec = importlib.util.spec_from_file_location(
        "build_lr_table", ROOT / "scripts" / "build_lr_table.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--shared", str(SHARED), "--out", str(tmp_path)]) == 0
    data = resources.files("secretome_rank").joinpath("data")
    for name in ("ligand_receptor.tsv", "aliases.tsv"):
        assert (tmp_path / name).read_bytes() == data.joinpath(name).read_bytes(), name


def test_package_data_is_small() -> None:
    data = resources.files("secretome_rank").joinpath("data")
    names = ["ligand_receptor.tsv", "aliases.tsv", "vendor_names.tsv", "secretome_library.tsv"]
    total = sum(len(data.joinpath(n).read_bytes()) for n in names)
    assert total < 2_000_000


@pytest.mark.parametrize(
    ("ligand", "receptor", "family"),
    [
        ("HGF", "MET", "MET"),
        ("MST1", "MST1R", "MET"),
        ("NRG1", "ERBB3", "ERBB"),
        ("NRG1", "ERBB4", "ERBB"),
        ("EGF", "EGFR", "ERBB"),
        ("IL6", "IL6R+IL6ST", "gp130"),
        ("OSM", "IL6ST+OSMR", "gp130"),
        ("LIF", "IL6ST+LIFR", "gp130"),
        ("FGF2", "FGFR1", "FGFR"),
        ("FGF7", "FGFR2", "FGFR"),
        ("IGF1", "IGF1R", "IGF1R/INSR"),
        ("INS", "INSR", "IGF1R/INSR"),
        ("PDGFB", "PDGFRB", "PDGFR"),
        ("VEGFA", "KDR", "VEGFR"),
        ("GAS6", "AXL", "TAM"),
        ("KITLG", "KIT", "KIT"),
        ("CSF1", "CSF1R", "CSF1R"),
        ("NGF", "NTRK1", "TRK"),
        ("BDNF", "NTRK2", "TRK"),
        ("ANGPT1", "TEK", "TIE"),
        ("TGFB1", "TGFBR1+TGFBR2", "TGFBR"),
        ("CXCL12", "CXCR4", "chemokine receptor"),
        ("GDF15", "GFRAL+RET", "GFRA/RET"),
        ("IL2", "IL2RA+IL2RB+IL2RG", "common gamma chain"),
        ("IFNG", "IFNGR1+IFNGR2", "IFNGR"),
    ],
)
def test_classic_pairs_present(ligand: str, receptor: str, family: str) -> None:
    t = load_ligand_receptor_table().set_index(["ligand", "receptor"])
    assert (ligand, receptor) in t.index
    assert t.loc[(ligand, receptor), "receptor_family"] == family


def test_overrides_applied() -> None:
    t = load_ligand_receptor_table().set_index(["ligand", "receptor"])
    assert ("HGF", "ST14") not in t.index  # protease, removed
    assert ("GDF15", "GFRAL") not in t.index  # replaced by GFRAL+RET
    assert t.loc[("CXCL12", "ACKR3"), "role"] == "decoy"
    assert "antagonist" in t.loc[("IL1RN", "IL1R1+IL1RAP"), "curator_note"]


def test_curated_biology_fixes() -> None:
    t = load_ligand_receptor_table()
    pairs = set(zip(t["ligand"], t["receptor"], strict=True))
    # PIGF (GPI-anchor enzyme) is not a ligand; Ramilowski's PIGF-FLT1 is PGF-FLT1
    assert "PIGF" not in set(t["ligand"])
    pgf = t[(t["ligand"] == "PGF") & (t["receptor"] == "FLT1")]
    assert "Ramilowski2015" in pgf["resources"].iloc[0]
    # adrenomedullin: AM1 (CALCRL+RAMP2) and AM2 (CALCRL+RAMP3); no GPER1, no RAMP alone
    assert {("ADM", "CALCRL+RAMP2"), ("ADM", "CALCRL+RAMP3")} <= pairs
    assert not t["receptor"].str.contains("GPER1").any()
    assert ("ADM", "RAMP2") not in pairs and ("ADM", "RAMP3") not in pairs
    # endocrine FGFs need Klotho: FGF19 with KLB; FGF23 with KL (FGFR2 alone left, borderline)
    fgf19 = t.loc[t["ligand"] == "FGF19", "receptor"].str.split("+")
    assert len(fgf19) >= 4 and fgf19.map(lambda r: "KLB" in r).all()
    fgf23 = set(t.loc[t["ligand"] == "FGF23", "receptor"])
    assert {"FGFR1+KL", "FGFR3+KL", "FGFR4+KL"} <= fgf23
    assert not fgf23 & {"FGFR1", "FGFR3", "FGFR4", "PHEX"}
    # CTF1 through the LIFR+gp130 heterodimer
    assert set(t.loc[t["ligand"] == "CTF1", "receptor"]) == {"IL6ST+LIFR"}
    # intracellular adaptors, proteases and nuclear proteins are not receptors
    genes = t["receptor"].str.split("+").explode()
    assert not genes.isin(["TRAF2", "DPP4", "BEX3", "AR"]).any()
    wrong = {
        ("EGF", "ERBB3"),
        ("EGF", "ERBB4"),
        ("AREG", "ERBB3"),
        ("TGFA", "ERBB4"),
        ("CSF2", "CSF1R"),
        ("CSF2", "CSF3R"),
        ("CSF2", "IL3RA"),
        ("CSF3", "CSF1R"),
        ("VEGFC", "VIPR2"),
        ("AMH", "EGFR"),
        ("IL2", "NGFR"),
        ("IL1B", "ADRB2"),
        ("KITLG", "EPOR"),
        ("TNFSF13", "TNFRSF1A"),
        ("TNFSF13", "FAS"),
        ("TNFSF13", "TNFRSF14"),
        ("CXCL12", "CXCR3"),
        ("CXCL12", "CD4"),
        ("SHH", "SMO"),
    }
    assert not wrong & pairs
    by_pair = t.set_index(["ligand", "receptor"])
    assert by_pair.loc[("SEMA4D", "MET"), "role"] == "co-receptor"
    assert by_pair.loc[("SEMA4D", "PLXNB1"), "role"] == "signalling receptor"
    # antagonists are labelled as such
    assert by_pair.loc[("IL1RN", "IL1R1+IL1RAP"), "role"] == "antagonist"
    assert by_pair.loc[("IL36RN", "IL1RAP+IL1RL2"), "role"] == "antagonist"
    # every curated row carries a note and a reference
    curated = t[t["curator_note"].str.contains(r"(?:^| \| )(?:add|fold|relabel):", regex=True)]
    assert (curated["reference"] != "").all()


def test_antagonist_listed_by_annotate_but_not_ranked() -> None:
    ann = annotate(["IL1RN", "IL-1ra", "IL1B"])
    assert ann["receptors"].tolist()[:2] == ["IL1R1+IL1RAP", "IL1R1+IL1RAP"]
    assert ann["receptor_status"].tolist() == ["known_receptor"] * 3
    hits = pd.DataFrame(
        {
            "cell_line": "A",
            "treatment": "d",
            "protein": ["IL1RN", "IL1B", "IL1A"],
            "p_value": [1e-6, 0.5, 0.6],
            "q_value": [1e-5, 0.6, 0.6],
            "is_hit": [True, False, False],
            "rescue_pct": [80.0, 1.0, 2.0],
        }
    )
    ranked = rank_receptors(hits).set_index("receptor")
    row = ranked.loc["IL1R1+IL1RAP"]
    assert "IL1RN" not in row["ligands"].split(";")
    assert row["n_hit_ligands"] == 0
    assert "antagonist" not in set(ranked["role"])
    # all roles on request: the antagonist pair is ranked on its own
    every = rank_receptors(hits, roles=None)
    assert "antagonist" in set(every["role"])


def test_family_and_role_rules() -> None:
    assert receptor_family("FZD1+LRP6") == "FZD"
    assert receptor_family("IL13RA1+IL4R") == "IL4R/IL13R"
    assert receptor_family("CD63") == "CD63"
    assert receptor_role("NRP1") == "co-receptor"
    assert receptor_role("IL1R2+IL1RAP") == "decoy"
    assert receptor_role("MET") == "signalling receptor"


def test_library_resolves_and_maps_or_says_no_receptor() -> None:
    lib = library()
    ann = annotate(lib, column="protein")
    assert len(ann) == len(lib)
    assert ann["resolution"].isin(["exact", "alias"]).all()
    assert set(ann["receptor_status"]) == {"known_receptor", "no_known_receptor"}
    known = ann["receptor_status"] == "known_receptor"
    assert (ann.loc[known, "receptors"] != "").all()
    assert (ann.loc[~known, "receptors"] == "").all()
    n_known, n_none = int(known.sum()), int((~known).sum())
    assert n_known + n_none == len(lib)
    assert n_known >= 400  # 419 at the time of writing
    # the no-receptor proteins are the expected kinds (binding proteins, proteases, ...)
    fams = lib.loc[~known.to_numpy(), "family"].value_counts()
    assert fams.get("binding_protein", 0) + fams.get("protease", 0) >= 20
    rescuers = [
        "HGF",
        "NRG1",
        "FGF1",
        "FGF2",
        "FGF7",
        "FGF10",
        "EGF",
        "TGFA",
        "AREG",
        "HBEGF",
        "BTC",
        "EREG",
        "IGF1",
        "IGF2",
        "INS",
        "PDGFA",
        "PDGFB",
        "VEGFA",
        "GAS6",
        "MST1",
        "IL6",
        "LIF",
        "OSM",
        "KITLG",
        "CSF1",
        "NGF",
        "BDNF",
        "NTF3",
        "ANGPT1",
    ]
    by_sym = ann.set_index("symbol")
    assert (by_sym.loc[rescuers, "receptor_status"] == "known_receptor").all()


def _votes() -> pd.DataFrame:
    path = shared("comparison/ligand_receptor_votes_8curated.tsv")
    v = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    rows = []
    for _, r in v.iterrows():
        for col in ("receptors_ge5", "receptors_3to4", "receptors_1to2"):
            for m in re.finditer(r"(\S+)\((\d)\)", r[col]):
                rows.append((r["ligand"], m.group(1), int(m.group(2))))
    return pd.DataFrame(rows, columns=["ligand", "gene", "votes"])


def test_29_ligands_against_8_curated_resources() -> None:
    votes = _votes()
    assert votes["ligand"].nunique() == 29
    t = load_ligand_receptor_table()
    t = t[t["ligand"].isin(set(votes["ligand"]))]
    ours = t.assign(gene=t["receptor"].str.split("+")).explode("gene")
    have = set(zip(ours["ligand"], ours["gene"], strict=True))
    strong = votes[votes["votes"] >= 6]
    missing = [
        (lg, g)
        for lg, g in zip(strong["ligand"], strong["gene"], strict=True)
        if (lg, g) not in have
    ]
    assert not missing, missing
    voted = set(zip(votes["ligand"], votes["gene"], strict=True))
    unvoted = ours[
        [(lg, g) not in voted for lg, g in zip(ours["ligand"], ours["gene"], strict=True)]
    ]
    assert (unvoted["curator_note"] != "").all(), unvoted


def test_pairs_agree_with_gpl_resources() -> None:
    """Check only: GPL/NC resources are never used to build the table."""
    long = pd.read_csv(
        shared("comparison/all_resources_long.csv"), dtype=str, keep_default_na=False
    )
    gpl = long[
        long["resource"].str.contains(
            "CellChat|CellTalk|ICELLNET|LRdb|NicheNet|SingleCellSignalR|liana:cellchatdb",
            case=False,
        )
    ]
    support = {
        (a, b)
        for lg, rg in zip(gpl["ligand_genes"], gpl["receptor_genes"], strict=True)
        for a in lg.split(";")
        for b in rg.split(";")
    }
    t = load_ligand_receptor_table()
    t = t[t["ligand"].isin(set(library()["symbol"])) & (t["n_resources"] >= 2)]
    ok = [
        all((lg, g) in support for g in rec.split("+"))
        for lg, rec in zip(t["ligand"], t["receptor"], strict=True)
    ]
    assert np.mean(ok) >= 0.95


# --- annotate / receptor_table --------------------------------------------------------------
def test_annotate_columns_and_statuses() -> None:
    df = pd.DataFrame(
        {"protein": ["HGF", "IL-6", "IGFBP1", "SF", "XYZ1", "sCD40L+IL-4"], "other": range(6)}
    )
    out = annotate(df)
    assert list(out.columns) == [
        "protein",
        "other",
        "symbol",
        "resolution",
        "candidates",
        "receptors",
        "receptor_families",
        "n_resources",
        "receptor_status",
    ]
    assert out["symbol"].tolist() == ["HGF", "IL6", "IGFBP1", "", "", "CD40LG;IL4"]
    assert out["receptors"].iloc[0].split(";")[0] == "MET"
    assert out["receptors"].iloc[1] == "IL6R+IL6ST"
    assert out["receptor_families"].iloc[1] == "gp130"
    assert out["receptor_status"].tolist() == [
        "known_receptor",
        "known_receptor",
        "no_known_receptor",
        "ambiguous_name",
        "unknown_name",
        "known_receptor",
    ]
    assert out["candidates"].iloc[3] == "HGF;KITLG"
    combo = out["receptors"].iloc[5].split(";")
    assert "CD40" in combo and "IL13RA1+IL4R" in combo
    assert out["n_resources"].tolist()[:3] == [3, 3, 0]
    pd.testing.assert_frame_equal(df, pd.DataFrame({"protein": df["protein"], "other": range(6)}))


def test_annotate_names_list_and_roles() -> None:
    out = annotate(["CXCL12"], roles=None)
    assert "ACKR3" in out["receptors"].iloc[0].split(";")
    default = annotate(["CXCL12"])
    assert "ACKR3" not in default["receptors"].iloc[0].split(";")
    strict = annotate(["HGF"], min_resources=3)
    assert strict["receptors"].iloc[0] == "MET"


def test_annotate_errors() -> None:
    with pytest.raises(SchemaError, match="no column 'protein'"):
        annotate(pd.DataFrame({"name": ["HGF"]}))
    with pytest.raises(ConfigError):
        annotate(["HGF"], roles=["receptor"])


def test_receptor_table_one_row_per_query_and_receptor() -> None:
    out = receptor_table(["HGF", "SF", "IGFBP1", "sCD40L+IL-4"])
    assert list(out.columns[:7]) == [
        "query",
        "symbol",
        "resolution",
        "candidates",
        "receptor",
        "receptor_family",
        "role",
    ]
    assert "resources" in out.columns
    hgf = out[out["query"] == "HGF"]
    assert hgf.iloc[0][["receptor", "receptor_family", "role"]].tolist() == [
        "MET",
        "MET",
        "signalling receptor",
    ]
    assert out.loc[out["query"] == "SF", "receptor_status"].tolist() == ["ambiguous_name"]
    assert out.loc[out["query"] == "IGFBP1", "receptor_status"].tolist() == ["no_known_receptor"]
    combo = out[out["query"] == "sCD40L+IL-4"]
    assert set(combo["symbol"]) == {"CD40LG", "IL4"}
    assert out["query"].drop_duplicates().tolist() == ["HGF", "SF", "IGFBP1", "sCD40L+IL-4"]


# --- loaders ----------------------------------------------------------------------------------
def _pairs(df: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(df["ligand"], df["receptor"], strict=True))


def test_read_cellphonedb_fixture() -> None:
    out = read_resource(FIX / "cellphonedb")
    assert _pairs(out) == {
        ("HGF", "MET"),
        ("IL6", "IL6R+IL6ST"),
        ("IL12A", "IL12RB1+IL12RB2"),
        ("IL12B", "IL12RB1+IL12RB2"),
        ("FN1", "ITGA5+ITGB1"),
    }
    assert set(out.loc[out["ligand"] == "IL12B", "ligand_complex"]) == {"IL12A+IL12B"}
    assert set(out["resources"]) == {"CellPhoneDB"}


def test_read_liana_fixture() -> None:
    out = read_resource(FIX / "liana_omni.csv")
    assert _pairs(out) == {
        ("HGF", "MET"),
        ("IL6", "IL6R+IL6ST"),
        ("VEGFD", "KDR"),
        ("TGFB1", "TGFBR1+TGFBR2"),
    }
    il6 = out.set_index("ligand").loc["IL6"]
    assert il6["resources"] == "cellphonedb;consensus" and il6["n_resources"] == 2


def test_read_cellchat_fixture() -> None:
    out = read_resource(FIX / "cellchat" / "interaction_input_CellChatDB.csv")
    assert _pairs(out) == {
        ("TGFB1", "TGFBR1+TGFBR2"),
        ("INHBA", "ACVR1B+ACVR2A"),
        ("INHBB", "ACVR1B+ACVR2A"),
        ("HGF", "MET"),
    }


def test_read_pairs_fixture() -> None:
    said = "2 symbols not in the bundled HGNC alias table, kept as written: MYLIGAND1, NEWRECEPTOR1"
    with pytest.warns(UserWarning, match=said):
        out = read_resource(FIX / "pairs.tsv")
    assert _pairs(out) == {
        ("NRG1", "ERBB3"),
        ("CXCL8", "CXCR1"),
        ("HGF", "MET"),
        ("MYLIGAND1", "NEWRECEPTOR1"),
        ("IL6", "IL6R+IL6ST"),
    }
    assert set(out["resources"]) == {"user:pairs.tsv"}


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # pandas took the first column for an index: HGF-MET read as MET -> 'x'
        ("ligand\treceptor\nHGF\tMET\tx\n", "rows with more cells than the header"),
        ("ligand\treceptor\nIL6\t+\nOSM\tIL6ST+\n", "at line(s) 2, 3"),
    ],
    ids=["extra cell", "empty subunit"],
)
def test_malformed_pairs_are_reported(tmp_path: Path, text: str, said: str) -> None:
    (tmp_path / "pairs.tsv").write_text(text, encoding="utf-8")
    with pytest.raises(ResourceError, match=re.escape(said)):
        read_resource(tmp_path / "pairs.tsv")


def test_cellchat_complexes_need_their_table(tmp_path: Path) -> None:
    # without complex_input.csv, 'TGFbR1_R2' was split and 'R2' resolved to CD82
    (tmp_path / "interaction_input.csv").write_text(
        "interaction_name,ligand,receptor\nTGFB1_TGFBR1_TGFBR2,TGFb1,TGFbR1_R2\n",
        encoding="utf-8",
    )
    with pytest.raises(ResourceError, match="'TGFbR1_R2' are CellChatDB complexes"):
        read_resource(tmp_path / "interaction_input.csv")


def test_read_resource_errors() -> None:
    with pytest.raises(ResourceError, match=r"line\(s\) 4"):
        read_resource(FIX / "pairs_empty_cells.tsv")
    with pytest.raises(ResourceError, match="ligand column"):
        read_resource(FIX / "pairs_bad_header.tsv")
    with pytest.raises(ResourceError, match="no such file"):
        read_resource(FIX / "nope.tsv")
    with pytest.raises(ResourceError, match="not a CellPhoneDB folder"):
        read_resource(FIX / "cellchat", format="cellphonedb")
    with pytest.raises(ConfigError):
        read_resource(FIX / "pairs.tsv", format="excel")  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:.*symbols not in the bundled HGNC alias table:UserWarning")
def test_load_resource_modes() -> None:
    bundled = load_ligand_receptor_table()
    assert len(load_resource()) == len(bundled)
    replaced = load_resource(FIX / "pairs.tsv", mode="replace")
    assert len(replaced) == 5
    union = load_resource(FIX / "pairs.tsv", mode="union")
    assert len(union) == len(bundled) + 1  # only MYLIGAND1-NEWRECEPTOR1 is new
    met = union.set_index(["ligand", "receptor"]).loc[("HGF", "MET")]
    assert met["resources"].endswith(";user:pairs.tsv") and met["n_resources"] == 4
    with pytest.raises(ConfigError):
        load_resource(FIX / "pairs.tsv", mode="merge")  # type: ignore[arg-type]
    out = annotate(["MYLIGAND1", "HGF"], resource=union)
    assert out["receptors"].tolist()[0] == "NEWRECEPTOR1"
    out2 = annotate(["HGF", "EGF"], resource=FIX / "pairs.tsv")
    assert out2["receptors"].tolist() == ["MET", ""]


@pytest.mark.parametrize(
    ("path", "pair"),
    [
        ("cellphonedb_v5", ("IL6", "IL6R+IL6ST")),
        ("cellchatdb_v2_human/interaction_input_CellChatDB.csv", ("TGFB1", "TGFBR1+TGFBR2")),
        ("connectomedb2020/lrc2p_literature_supported.csv", ("HGF", "MET")),
        ("ramilowski2015/PairsLigRec_2557_scCancer_copy.tsv", ("NRG1", "ERBB3")),
    ],
)
def test_read_real_shared_resources(path: str, pair: tuple[str, str]) -> None:
    with pytest.warns(UserWarning, match="symbols not in the bundled HGNC alias table"):
        out = read_resource(shared(path))
    assert len(out) > 1000
    assert pair in _pairs(out)


# --- receptor ranking ---------------------------------------------------------------------
RESOURCE = pd.DataFrame(
    {
        "ligand": ["HGF", "FGF2", "FGF7", "FGF10", "FGF7", "EGF", "IGFBP3"],
        "receptor": ["MET", "FGFR1", "FGFR1", "FGFR1", "FGFR2", "EGFR", "SDC1"],
    }
)


def _hits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell_line": ["A"] * 6 + ["B"] * 2,
            "treatment": ["drug"] * 8,
            "protein": ["HGF", "bFGF", "KGF", "FGF-10", "IGFBP1", "EGF", "HGF", "EGF"],
            "p_value": [0.001, 0.01, 0.2, np.nan, 0.5, 0.03, 0.4, 0.001],
            "q_value": [0.006, 0.03, 0.3, np.nan, 0.5, 0.06, 0.5, 0.002],
            "is_hit": [True, True, False, False, False, False, False, True],
            "rescue_pct": [80.0, 40.0, 10.0, np.nan, 0.0, 25.0, 5.0, 60.0],
        }
    )


def test_rank_receptors_expected_values() -> None:
    out = rank_receptors(_hits(), resource=RESOURCE)
    a = out[out["cell_line"] == "A"].set_index("receptor")
    assert a.index.tolist() == ["MET", "FGFR1", "EGFR", "FGFR2"]
    assert a["rank"].tolist() == [1, 2, 3, 4]
    fgfr1 = a.loc["FGFR1"]
    assert (fgfr1["n_ligands"], fgfr1["n_tested"], fgfr1["n_hit_ligands"]) == (3, 2, 1)
    assert fgfr1["ligands"] == "bFGF;KGF;FGF-10" and fgfr1["hit_ligands"] == "bFGF"
    assert fgfr1["best_ligand"] == "bFGF" and fgfr1["best_q_value"] == pytest.approx(0.03)
    assert fgfr1["best_rescue_pct"] == pytest.approx(40.0)
    # Simes: min(2 * 0.01 / 1, 2 * 0.2 / 2) = 0.02; BH over 4 receptors in context A
    np.testing.assert_allclose(a["combined_p"], [0.001, 0.02, 0.03, 0.2])
    np.testing.assert_allclose(a["combined_q"], [0.004, 0.04, 0.04, 0.2])
    assert a["is_receptor_hit"].tolist() == [True, True, True, False]
    assert set(a["combine_method"]) == {"simes"}
    b = out[out["cell_line"] == "B"].set_index("receptor")
    assert b.index.tolist() == ["EGFR", "MET"]
    np.testing.assert_allclose(b["combined_q"], [0.002, 0.4])


def test_rank_receptors_fisher() -> None:
    out = rank_receptors(_hits(), resource=RESOURCE, method="fisher")
    fgfr1 = out[(out["cell_line"] == "A") & (out["receptor"] == "FGFR1")].iloc[0]
    x = -2 * (np.log(0.01) + np.log(0.2))  # chi-square, 4 df: sf = exp(-x/2) (1 + x/2)
    assert fgfr1["combined_p"] == pytest.approx(np.exp(-x / 2) * (1 + x / 2))
    assert fgfr1["combine_method"] == "fisher"


def test_rank_receptors_symbol_column_and_all_nan() -> None:
    hits = _hits().assign(symbol=["HGF", "FGF2", "FGF7", "FGF10", "IGFBP1", "EGF", "HGF", "EGF"])
    hits.loc[hits["protein"] == "HGF", "p_value"] = np.nan
    out = rank_receptors(hits, resource=RESOURCE)
    met = out[out["receptor"] == "MET"]
    assert met["n_tested"].tolist() == [0, 0]
    assert met["combined_p"].isna().all() and met["combined_q"].isna().all()
    assert (~met["is_receptor_hit"]).all()
    assert met["rank"].tolist() == [4, 2]  # NaN last


def test_rank_receptors_bundled_table() -> None:
    out = rank_receptors(_hits())
    a = out[out["cell_line"] == "A"]
    assert a.iloc[0]["receptor"] == "MET"
    assert set(a["role"]) == {"signalling receptor"}
    assert not a["receptor"].isin(["SDC1", "CD44"]).any()


def test_rank_receptors_errors() -> None:
    with pytest.raises(SchemaError, match="q_value"):
        rank_receptors(_hits().drop(columns="q_value"))
    with pytest.raises(SchemaError, match=r"outside \[0, 1\]"):
        rank_receptors(_hits().assign(p_value=1.5))
    with pytest.raises(ConfigError):
        rank_receptors(_hits(), fdr=0)
    with pytest.raises(ConfigError):
        rank_receptors(_hits(), method="stouffer")  # type: ignore[arg-type]


def test_rank_receptor_families() -> None:
    out = rank_receptor_families(_hits(), resource=RESOURCE)
    fgfr = out[(out["cell_line"] == "A") & (out["receptor_family"] == "FGFR")].iloc[0]
    assert fgfr["summary"] == "FGFR: 1 of 3 ligands hit"
    assert fgfr["n_receptors"] == 2 and fgfr["receptors"] == "FGFR1;FGFR2"
    assert fgfr["combined_p"] == pytest.approx(0.02)
    a = out[out["cell_line"] == "A"]
    assert a["receptor_family"].tolist() == ["MET", "FGFR", "ERBB"]
    np.testing.assert_allclose(a["combined_q"], [0.003, 0.03, 0.03])


def test_combine_kernel() -> None:
    p = combine_pvalues_grouped([0.01, 0.04, 0.5, np.nan, np.nan], [0, 0, 1, 1, 2])
    np.testing.assert_allclose(p, [0.02, 0.5, np.nan])  # min(2*.01/1, 2*.04/2)


# --- expression --------------------------------------------------------------------------------
def test_receptor_expressed_complex_needs_all_subunits() -> None:
    ann = annotate(["HGF", "IL-6", "EGF", "IGFBP1"]).assign(cell_line="A375")
    expr = pd.DataFrame(
        {
            "cell_line": ["A375"] * 4,
            "gene": ["MET", "IL6R", "IL6ST", "CD44"],
            "value": [5.0, 0.1, 8.0, 3.0],
        }
    )
    out = receptor_expressed(ann, expr, threshold=1.0)
    assert out["receptor_expressed"].tolist() == [True, False, pd.NA, pd.NA]
    assert out["expressed_receptors"].tolist() == ["MET;CD44", "", "", ""]


def test_receptor_expressed_aliases_single_line_and_errors() -> None:
    ann = annotate(["HGF", "IL-8"], min_resources=3)  # no cell_line column
    assert ann["receptors"].tolist() == ["MET", "CXCR1;CXCR2"]
    expr = pd.DataFrame(
        {"cell_line": ["X", "X", "X"], "gene": ["MET", "IL8RA", "CXCR2"], "value": [0.0, 2.0, 0.0]}
    )  # IL8RA: alias of CXCR1
    out = receptor_expressed(ann, expr)
    assert out["receptor_expressed"].tolist() == [False, True]
    assert out["expressed_receptors"].tolist() == ["", "CXCR1"]
    with pytest.raises(SchemaError, match="no 'cell_line' column"):
        receptor_expressed(ann, pd.concat([expr, expr.assign(cell_line="Y")]))
    with pytest.raises(SchemaError, match="gene"):
        receptor_expressed(ann, expr.drop(columns="gene"))


def test_empty_and_unmapped_inputs_give_empty_tables() -> None:
    hits = _hits().iloc[:0]
    assert rank_receptors(hits).empty and rank_receptor_families(hits).empty
    unmapped = _hits().assign(protein="XYZ1").iloc[:1]
    assert rank_receptors(unmapped).empty
    assert annotate([]).empty and receptor_table([]).empty


def test_pair_headers_match_whatever_the_separator(tmp_path: Path) -> None:
    # found by a fresh-user audit: CellTalkDB's 'ligand_gene_symbol' was refused while the
    # message listed 'ligand gene symbol' as accepted
    p = tmp_path / "talk.csv"
    p.write_text("lr_pair,Ligand_Gene-Symbol,receptor_gene_symbol\nHGF_MET,HGF,MET\n")
    table = read_resource(p)
    assert table[["ligand", "receptor"]].values.tolist() == [["HGF", "MET"]]


def test_union_counts_one_database_once(tmp_path: Path) -> None:
    # the bundled table already holds CellPhoneDB v5: a user's CellPhoneDB (another spelling
    # of it) must not count as a fourth resource
    p = tmp_path / "pairs.tsv"
    p.write_text("ligand\treceptor\tresources\nHGF\tMET\tCellPhoneDB\nHGF\tCD44\tcellphonedb v4\n")
    union = load_resource(p, mode="union").set_index(["ligand", "receptor"])
    bundled = load_ligand_receptor_table().set_index(["ligand", "receptor"])
    assert "CellPhoneDB_v5" in bundled.loc[("HGF", "MET"), "resources"]
    met = union.loc[("HGF", "MET")]
    assert met["n_resources"] == bundled.loc[("HGF", "MET"), "n_resources"]
    assert met["resources"] == bundled.loc[("HGF", "MET"), "resources"]
    cd44 = union.loc[("HGF", "CD44")]
    assert "cellphonedb v4" in cd44["resources"].split(";")
    assert cd44["n_resources"] == bundled.loc[("HGF", "CD44"), "n_resources"] + 1


def test_liana_mouse_rows_are_left_out(tmp_path: Path) -> None:
    # a docs audit: liana's full file holds 'mouseconsensus' rows with mouse symbols, which
    # resolved to human ligands (IL6 got Fcgr4 beside FCGR3B)
    p = tmp_path / "omni.csv"
    p.write_text(
        '"","source","target","source_genesymbol","target_genesymbol","resource"\n'
        '"1","a","b","IL6","IL6R","consensus"\n'
        '"2","c","d","Il6","Fcgr4","mouseconsensus"\n'
    )
    table = read_resource(p)
    assert table[["ligand", "receptor"]].values.tolist() == [["IL6", "IL6R"]]
