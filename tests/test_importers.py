"""Importers: plate maps, plate lists, grid exports -> well table; cellHTS2 folders; scores."""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, LayoutError, SchemaError
from secretome_rank.importers import (
    DEFAULT_CELLHTS2_ROLE_MAP,
    import_cellhts2,
    import_plates,
    read_grid_file,
    read_plate_conf,
    read_plate_list,
    read_plate_map,
)
from secretome_rank.importers.cellhts2 import apply_plate_conf
from secretome_rank.layout import FORMATS, row_letters
from secretome_rank.normalize_cellhts2 import cellhts2_scores, summarize_cellhts2

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "real_plates"
CANONICAL = [C.PLATE, C.WELL, C.VALUE, C.ROLE, C.PROTEIN, C.CELL_LINE, C.TREATMENT, C.REPLICATE]
FIXTURE_ROLES = {"neg": "drug_control", "pos": "vehicle_control"}


def real(*parts: str) -> Path:
    path = REAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared real_plates not available ({path})")
    return path


def write_csv(path: Path, rows: list[list[object]], sep: str = ",") -> Path:
    path.write_text("\n".join(sep.join("" if v is None else str(v) for v in r) for r in rows))
    return path


# --- grid exports + plate map + plate list ------------------------------------------------------
def test_fixture_import() -> None:
    wells = import_plates(
        plate_map=FIXTURES / "plate_map.csv",
        plate_list=FIXTURES / "plate_list.csv",
        role_map=FIXTURE_ROLES,
        grid="Raw data",
    )
    assert list(wells.columns[:8]) == CANONICAL
    assert list(wells.columns[8:]) == ["concentration", "batch", "content", "source_file"]
    assert len(wells) == 192 and wells.index.equals(pd.RangeIndex(192))
    assert wells.groupby("plate")["replicate"].first().to_dict() == {"rep1": 1, "rep2": 2}
    counts = wells[wells["plate"] == "rep1"]["role"].value_counts().to_dict()
    assert counts == {"sample": 80, "drug_control": 8, "vehicle_control": 8}
    d02 = wells[(wells["plate"] == "rep1") & (wells["well"] == "D02")].iloc[0]
    assert d02["protein"] == "FGF1" and d02["value"] > 50000  # the fixture's rescuer
    a02 = wells[(wells["plate"] == "rep1") & (wells["well"] == "A02")].iloc[0]
    assert a02["protein"] == "HGF" and a02["concentration"] == 50.0
    a01 = wells[(wells["plate"] == "rep1") & (wells["well"] == "A01")].iloc[0]
    assert a01["role"] == "vehicle_control" and pd.isna(a01["protein"])
    assert a01["content"] == "pos" and math.isnan(a01["concentration"])
    assert set(wells["cell_line"]) == {"A375"} and set(wells["treatment"]) == {"vemurafenib"}
    raw = read_grid_file(FIXTURES / "reader_rep2.txt", grid="Raw data")
    np.testing.assert_array_equal(wells.loc[wells["plate"] == "rep2", "value"], raw["value"])


def test_unmapped_control_words_are_reported_not_guessed() -> None:
    with pytest.raises(SchemaError) as info:
        read_plate_map(FIXTURES / "plate_map.csv")
    text = str(info.value)
    assert "plate_map.csv" in text and "column 'name'" in text
    assert "'neg' (8 wells)" in text and "'pos' (8 wells)" in text
    assert "--role-map neg=drug_control" in text and "lines 13, 25" in text
    assert len(info.value.problems) == 2


def test_role_column_with_aliases_and_well_formats(tmp_path: Path) -> None:
    rows = [["Well ID", "Type", "Protein", "Conc"]]
    rows += [["A1", "sample", "HGF", "1,5"], ["A002", "NEG", "", ""], ["a03", "vehicle", "", ""]]
    f = write_csv(tmp_path / "map.tsv", rows, sep="\t")
    with pytest.raises(SchemaError, match=r"word 'vehicle'.*--role-map vehicle=<role>"):
        read_plate_map(f, role_map={"neg": "drug_control"})
    m = read_plate_map(f, role_map={"neg": "drug_control", "Vehicle": "vehicle_control"})
    assert m["well"].tolist() == ["A01", "A02", "A03"]
    assert m["role"].tolist() == ["sample", "drug_control", "vehicle_control"]
    assert m["concentration"].iloc[0] == 1.5  # decimal comma in a tab-separated file
    assert m["content"].tolist() == ["sample", "NEG", "vehicle"]
    assert m["protein"].iloc[0] == "HGF" and m["protein"].iloc[1:].isna().all()


def test_bad_role_map_and_columns() -> None:
    with pytest.raises(ConfigError, match="neg=negative: not a role"):
        read_plate_map(FIXTURES / "plate_map.csv", role_map={"neg": "negative"})
    with pytest.raises(ConfigError, match="unknown column 'drug'"):
        read_plate_map(FIXTURES / "plate_map.csv", columns={"drug": "name"})
    with pytest.raises(SchemaError, match="column 'Ligand' \\(mapped to 'protein'\\) not found"):
        read_plate_map(FIXTURES / "plate_map.csv", columns={"protein": "Ligand"})


def test_plate_map_problems_collected(tmp_path: Path) -> None:
    rows = [["well", "role", "protein"], ["A1", "sample", "HGF"], ["A01", "sample", "EGF"]]
    rows += [["Q99", "empty", ""], ["B1", "sample", ""], ["B2", "empty", ""], ["B2", "empty", ""]]
    with pytest.raises(SchemaError) as info:
        read_plate_map(write_csv(tmp_path / "m.csv", rows))
    text = str(info.value)
    assert "line 4, column 'well': 'Q99' not a well id" in text
    assert "lines 2, 3: conflicting entries for well A01 (sample/HGF, sample/EGF)" in text
    assert "lines 6, 7: duplicate entries for well B02" in text
    assert "line 5: sample well without a protein name" in text
    assert len(info.value.problems) == 4
    only_layout = [["well", "role"], ["A1", "empty"], ["ZZ1", "empty"]]
    with pytest.raises(LayoutError, match="'ZZ1' not a well id"):
        read_plate_map(write_csv(tmp_path / "m2.csv", only_layout))


def test_per_plate_map_with_layout_column(tmp_path: Path) -> None:
    src = FIXTURES / "plate_map.csv"
    base = pd.read_csv(src)
    two = pd.concat([base.assign(plate="libA"), base.assign(plate="libB")], ignore_index=True)
    two.loc[(two["plate"] == "libB") & (two["well"] == "A2"), "name"] = "EGF"
    two.to_csv(tmp_path / "maps.csv", index=False)
    plates = pd.read_csv(FIXTURES / "plate_list.csv")
    plates["layout"] = ["libA", "libB"]
    plates["file"] = [str(FIXTURES / f) for f in plates["file"]]
    wells = import_plates(
        plate_map=tmp_path / "maps.csv", plate_list=plates, role_map=FIXTURE_ROLES, grid=1
    )
    a02 = wells[wells["well"] == "A02"].set_index("plate")["protein"].to_dict()
    assert a02 == {"rep1": "HGF", "rep2": "EGF"}
    plates["layout"] = ["libA", "libC"]
    with pytest.raises(LayoutError, match="no plate-map entries for plate 'libC'"):
        import_plates(
            plate_map=tmp_path / "maps.csv", plate_list=plates, role_map=FIXTURE_ROLES, grid=1
        )


def test_plate_list_problems(tmp_path: Path) -> None:
    rows = [["fileName", "plate", "Replicate"], ["a.txt", "P1", "1"], ["a.txt", "P2", "x"]]
    rows += [["b.txt", "P1", "0"], ["", "P4", "2"]]
    with pytest.raises(SchemaError) as info:
        read_plate_list(write_csv(tmp_path / "list.csv", rows))
    text = str(info.value)
    assert "file 'a.txt' listed 2 times" in text
    assert "plate id 'P1' given to 2 files" in text
    assert "'x' not a number" in text and "whole number >= 1" in text
    assert "empty file name" in text
    plain = read_plate_list(
        write_csv(tmp_path / "ok.csv", [["File", "sampleID", "Extra"], ["x/y.txt", "S1", '"1,5"']]),
        columns={"cell_line": "sampleID"},
    )
    assert plain.loc[0, "plate"] == "y" and plain.loc[0, "cell_line"] == "S1"
    assert plain.loc[0, "Extra"] == "1,5"  # comma-separated file: not a decimal comma
    unquoted = write_csv(tmp_path / "bad.csv", [["File", "Extra"], ["y.txt", "1,5"]])
    with pytest.raises(SchemaError, match="line 2 has 3 cells but the header has 2"):
        read_plate_list(unquoted)


def test_conflicting_replicates(tmp_path: Path) -> None:
    plates = pd.read_csv(FIXTURES / "plate_list.csv")
    plates["replicate"] = 1
    plates.to_csv(tmp_path / "list.csv", index=False)
    with pytest.raises(SchemaError, match="plates rep1, rep2 all claim replicate 1"):
        import_plates(
            plate_map=FIXTURES / "plate_map.csv",
            plate_list=tmp_path / "list.csv",
            data_dir=FIXTURES,
            role_map=FIXTURE_ROLES,
            grid="Raw",
        )


def test_files_without_plate_list_number_replicates() -> None:
    files = [FIXTURES / "reader_rep1.txt", FIXTURES / "reader_rep2.txt"]
    with pytest.warns(UserWarning, match="2 file\\(s\\) hold several grids"):
        wells = import_plates(files, plate_map=FIXTURES / "plate_map.csv", role_map=FIXTURE_ROLES)
    firsts = wells.drop_duplicates("plate")
    assert firsts["plate"].tolist() == ["reader_rep1", "reader_rep2"]
    assert firsts["replicate"].tolist() == [1, 2]
    assert set(wells["cell_line"]) == {C.DEFAULT_CELL_LINE} and wells["treatment"].isna().all()


def test_files_and_plate_list_must_agree(tmp_path: Path) -> None:
    other = tmp_path / "stray.txt"
    other.write_bytes((FIXTURES / "reader_rep1.txt").read_bytes())
    kw = {"plate_map": FIXTURES / "plate_map.csv", "plate_list": FIXTURES / "plate_list.csv"}
    with pytest.raises(SchemaError, match="stray.txt: add a row for it"):
        import_plates([other], role_map=FIXTURE_ROLES, grid=1, **kw)
    with pytest.warns(UserWarning, match="1 plate-list row\\(s\\) have no matching file"):
        wells = import_plates([FIXTURES / "reader_rep2.txt"], role_map=FIXTURE_ROLES, grid=1, **kw)
    assert set(wells["plate"]) == {"rep2"}
    with pytest.raises(SchemaError, match="listed file\\(s\\) not found"):
        import_plates(
            plate_list=FIXTURES / "plate_list.csv",
            plate_map=FIXTURES / "plate_map.csv",
            data_dir=tmp_path / "empty",
            role_map=FIXTURE_ROLES,
        )


def test_map_must_cover_plate_and_fit(tmp_path: Path) -> None:
    base = pd.read_csv(FIXTURES / "plate_map.csv")
    base.iloc[5:].to_csv(tmp_path / "short.csv", index=False)
    kw = {"plate_list": FIXTURES / "plate_list.csv", "role_map": FIXTURE_ROLES, "grid": 1}
    with pytest.raises(LayoutError, match=r"plate 'rep1': 5 well\(s\) have no plate-map entry"):
        import_plates(plate_map=tmp_path / "short.csv", **kw)
    big = pd.concat([base, pd.DataFrame({"well": ["P24"], "name": ["EGF"]})])
    big.to_csv(tmp_path / "big.csv", index=False)
    with pytest.raises(LayoutError, match=r"line 98: well\(s\) P24 outside a 96-well plate"):
        import_plates(plate_map=tmp_path / "big.csv", **kw)


def test_bad_grid_in_one_of_several_files(tmp_path: Path) -> None:
    good = FIXTURES / "reader_rep1.txt"
    lines = good.read_bytes().decode().split("\r\n")
    del lines[9]  # row D of the first grid
    bad = tmp_path / "reader_rep2.txt"
    bad.write_text("\r\n".join(lines))
    with pytest.raises(LayoutError) as info:
        import_plates([good, bad], plate_map=FIXTURES / "plate_map.csv", role_map=FIXTURE_ROLES)
    assert "reader_rep2.txt" in str(info.value) and "line 10" in str(info.value)
    assert "row D missing" in str(info.value)


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        # row A one value short: the line still ends with ";" as the header does
        (lambda ln: ln[:6] + [ln[6].rsplit(";", 2)[0] + ";"] + ln[7:], "row A: 11 cells"),
        (lambda ln: ln[:14] + ["I;1;2;3;4;5;6;7;8;9;10;11;12;"] + ln[14:], "row I after row H"),
        (
            lambda ln: ln[:5] + [";" + ";".join(f"{i:02d}" for i in range(1, 14)) + ";"] + ln[6:],
            "a grid header numbering 13 columns",
        ),
    ],
    ids=["short row", "extra row", "13 columns"],
)
def test_grid_shapes_that_do_not_fit_are_named(tmp_path: Path, edit, said) -> None:
    # a short row became a missing well, an extra row was dropped, an odd header: no grid
    lines = (FIXTURES / "reader_rep1.txt").read_bytes().decode().split("\r\n")
    bad = tmp_path / "reader_rep1.txt"
    bad.write_text("\r\n".join(edit(lines)))
    with pytest.raises(LayoutError, match=re.escape(said)):
        import_plates([bad], plate_map=FIXTURES / "plate_map.csv", role_map=FIXTURE_ROLES)


# --- property: well table -> grids + plate map + plate list -> same well table -----------------
NAMES = ["HGF", "NRG1", "IL-6", "TNF alpha", "PDGF-BB", "Activin A", "CXCL12", "4-1BB Ligand"]
CONTROL_WORD = {"vehicle_control": "NoDrug", "drug_control": "DrugOnly", "empty": "empty"}


def _number(v: float, decimal_comma: bool) -> str:
    if math.isnan(v):
        return ""
    text = repr(float(v))
    return text.replace(".", ",") if decimal_comma else text


@st.composite
def screens(draw: st.DrawFn) -> dict[str, object]:
    n_plates = draw(st.integers(1, 3))
    n_wells = draw(st.sampled_from([96, 96, 384]))
    return {
        "n_plates": n_plates,
        "fmt": FORMATS[n_wells],
        "shared": draw(st.booleans()),
        "mode": draw(st.sampled_from(["role", "name"])),
        "with_conc": draw(st.booleans()),
        "with_batch": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "files": [
            {
                "sep": draw(st.sampled_from(["\t", ";", ","])),
                "comma": draw(st.booleans()),
                "newline": draw(st.sampled_from(["\r", "\n", "\r\n"])),
                "decoy": draw(st.booleans()),
            }
            for _ in range(n_plates)
        ],
        "map_sep": draw(st.sampled_from(["\t", ";", ","])),
        "well_style": draw(st.sampled_from(["{r}{c}", "{r}{c:02d}", "{r}{c:03d}"])),
    }


def _make_table(spec: dict[str, object]) -> pd.DataFrame:
    rng = np.random.default_rng(spec["seed"])
    fmt = spec["fmt"]
    n = fmt.n_wells
    letters = np.array(row_letters(fmt.n_rows), dtype=object)
    wells = np.repeat(letters, fmt.n_cols) + np.char.zfill(
        np.tile(np.arange(1, fmt.n_cols + 1), fmt.n_rows).astype(str), 2
    ).astype(object)
    layout = None
    frames = []
    for k in range(spec["n_plates"]):
        if layout is None or not spec["shared"]:
            roles = rng.choice(np.array(C.ROLES, dtype=object), n, p=[0.7, 0.1, 0.1, 0.1])
            protein = np.where(
                roles == "sample", rng.choice(np.array(NAMES, dtype=object), n), None
            )
            conc = np.where(roles == "sample", rng.choice([0.5, 10.0, 50.0], n), np.nan)
            layout = (roles, protein, conc)
        values = rng.lognormal(9, 2, n)
        values[rng.random(n) < 0.1] = np.nan
        frame = pd.DataFrame(
            {
                C.PLATE: ["P1", "plate-2", "Plate 3"][k],
                C.WELL: wells,
                C.VALUE: values,
                C.ROLE: layout[0],
                C.PROTEIN: layout[1],
                C.CELL_LINE: rng.choice(["A375", "SK-MEL-28"]),
                C.TREATMENT: [None, "vemurafenib", "DMSO"][int(rng.integers(3))],
                C.REPLICATE: k + 1,
            }
        )
        if spec["with_conc"]:
            frame[C.CONCENTRATION] = layout[2]
        if spec["with_batch"]:
            frame[C.BATCH] = f"b{rng.integers(1, 3)}"
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _write_screen(table: pd.DataFrame, spec: dict[str, object], folder: Path) -> dict[str, object]:
    fmt = spec["fmt"]
    rng = np.random.default_rng(spec["seed"] + 1)
    plates = list(dict.fromkeys(table[C.PLATE]))
    list_rows = [["File", "Plate", "Cell line", "Treatment", "Replicate"]]
    if spec["with_batch"]:
        list_rows[0].append("Batch")
    map_rows = []
    for k, plate in enumerate(plates):
        part = table[table[C.PLATE] == plate]
        f = spec["files"][k]
        sep, newline = f["sep"], f["newline"]
        comma = f["comma"] and sep != ","
        lines = ["Plate information", f"Barcode{sep}{plate}", ""]
        grids = [("Raw data", part[C.VALUE].to_numpy())]
        if f["decoy"]:
            grids.append(("Background", part[C.VALUE].to_numpy() * 0.5))
        for title, vals in grids:
            lines += [title, sep + sep.join(str(c) for c in range(1, fmt.n_cols + 1))]
            grid = vals.reshape(fmt.n_rows, fmt.n_cols)
            for r, letter in enumerate(row_letters(fmt.n_rows)):
                lines.append(letter + sep + sep.join(_number(v, comma) for v in grid[r]))
            lines.append("")
        name = f"export {k}.txt"
        (folder / name).write_bytes(newline.join(lines).encode())
        first = part.iloc[0]
        row = [name, plate, first[C.CELL_LINE], first[C.TREATMENT], first[C.REPLICATE]]
        if spec["with_batch"]:
            row.append(first[C.BATCH])
        list_rows.append(row)
        if k == 0 or not spec["shared"]:
            map_rows.append(part)
    write_csv(folder / "plates.csv", list_rows)

    maps = pd.concat(map_rows, ignore_index=True)
    order = rng.permutation(len(maps))
    msep = spec["map_sep"]
    comma = msep != ","
    header = ([] if spec["shared"] else ["Plate"]) + ["Well"]
    header += ["Role", "Protein"] if spec["mode"] == "role" else ["Name"]
    if spec["with_conc"]:
        header.append("Concentration")
    rows = [header]
    for i in order:
        rec = maps.iloc[i]
        letters = rec[C.WELL].rstrip("0123456789")
        well = spec["well_style"].format(r=letters, c=int(rec[C.WELL][len(letters) :]))
        row = [] if spec["shared"] else [rec[C.PLATE]]
        row.append(well)
        if spec["mode"] == "role":
            row += [rec[C.ROLE], rec[C.PROTEIN]]
        else:
            row.append(rec[C.PROTEIN] if rec[C.ROLE] == "sample" else CONTROL_WORD[rec[C.ROLE]])
        if spec["with_conc"]:
            row.append(_number(rec[C.CONCENTRATION], comma))
        rows.append(row)
    write_csv(folder / "map.txt", rows, sep=msep)
    role_map = (
        None
        if spec["mode"] == "role"
        else {"nodrug": "vehicle_control", "DRUGONLY": "drug_control"}
    )
    return {
        "plate_map": folder / "map.txt",
        "plate_list": folder / "plates.csv",
        "role_map": role_map,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=screens())
def test_round_trip_grids_map_list(spec: dict[str, object]) -> None:
    table = _make_table(spec)
    with tempfile.TemporaryDirectory() as d:
        kwargs = _write_screen(table, spec, Path(d))
        got = import_plates(grid="Raw data", **kwargs)
    cols = list(table.columns)
    assert list(got.columns[: len(cols)]) == cols
    expected = table.copy()
    expected[C.PROTEIN] = expected[C.PROTEIN].where(expected[C.ROLE] == "sample", np.nan)
    pd.testing.assert_frame_equal(
        got[cols].astype(object).where(got[cols].notna(), None),
        expected[cols].astype(object).where(expected[cols].notna(), None),
        check_dtype=False,
    )
    assert got[C.VALUE].dtype == np.float64 and got[C.REPLICATE].dtype == np.int64


# --- cellHTS2 folders -------------------------------------------------------------------------
MINI = FIXTURES / "cellhts2_mini"


def test_cellhts2_mini_folder() -> None:
    wells, meta = import_cellhts2(MINI, role_map={"PosSpike": "vehicle_control"})
    assert list(wells.columns[:8]) == CANONICAL
    assert list(wells.columns[8:]) == [
        "batch", "content", "cellhts2_plate", "flag_comment", "source_file", "gene_id",
        "gene_symbol",
    ]  # fmt: skip
    assert len(wells) == 4 * 96
    firsts = wells.drop_duplicates("plate")[["plate", "cellhts2_plate", "replicate"]]
    assert firsts.values.tolist() == [
        ["mini-P1-R1", 1, 1], ["mini-P1-R2", 1, 2], ["mini-P2-R1", 2, 1], ["mini-P2-R2", 2, 2],
    ]  # fmt: skip
    p1 = wells[wells["plate"] == "mini-P1-R1"].set_index("well")
    p2 = wells[wells["plate"] == "mini-P2-R1"].set_index("well")
    assert p1.loc[["A01", "H01"], "content"].tolist() == ["neg", "neg"]  # glob ?01
    assert p2.loc["H01", "content"] == "empty"  # later, plate-specific rule overrides
    assert p1.loc[["A12", "D12"], "role"].tolist() == ["vehicle_control"] * 2  # regex
    assert p1.loc[["E12", "F12"], "content"].tolist() == ["PosSpike"] * 2
    assert p1.loc["G12", "role"] == "empty" and p1.loc["G12", "content"] == "other"
    assert p1["role"].value_counts().to_dict() == {
        "sample": 80, "drug_control": 8, "vehicle_control": 6, "empty": 2,
    }  # fmt: skip
    assert p1.loc["A02", "protein"] == "HGF" and p1.loc["A02", "gene_id"] == "G1000"
    assert pd.isna(p1.loc["A01", "protein"])
    flagged = wells[wells["flag_comment"].notna()]
    assert flagged[["plate", "well", "flag_comment"]].values.tolist() == [
        ["mini-P1-R1", "C05", "Bubble"], ["mini-P2-R2", "A03", "Pipetting error"],
    ]  # fmt: skip
    assert flagged["value"].isna().all() and wells["value"].isna().sum() == 2
    assert set(wells["cell_line"]) == {"A375"} and wells["treatment"].isna().all()
    assert meta["n_plates"] == 2 and meta["n_wells"] == 96 and meta["n_replicates"] == 2
    assert meta["n_flagged"] == 2 and meta["files"]["annotation"] == "GeneIDs.txt"
    assert meta["description"]["Screen description"]["Title"].startswith("Tiny")
    assert meta["role_map"]["PosSpike"] == "vehicle_control"


@pytest.mark.parametrize(
    ("gone", "said"),
    [("GeneIDs.txt", "names the annotation 'GeneIDs.txt'"), ("Screenlog.txt", "screen log")],
)
def test_cellhts2_file_named_but_missing_warns(tmp_path: Path, gone: str, said: str) -> None:
    # the screen imported silently with placeholder names / no flagged wells
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    (folder / gone).unlink()
    with pytest.warns(UserWarning, match=re.escape(said)):
        import_cellhts2(folder, role_map={"PosSpike": "vehicle_control"})


def test_cellhts2_unmapped_content_names_rule_lines() -> None:
    with pytest.raises(SchemaError) as info:
        import_cellhts2(MINI)
    text = str(info.value)
    assert "Plateconf.txt line(s) 7: content 'PosSpike'" in text
    assert "--role-map PosSpike=vehicle_control" in text
    assert "neg->drug_control" in text
    assert DEFAULT_CELLHTS2_ROLE_MAP["pos"] == "vehicle_control"


def test_plate_conf_rules(tmp_path: Path) -> None:
    rules, header = read_plate_conf(MINI / "Plateconf.txt")
    assert header == {"Wells": 96, "Plates": 2}
    assert rules["line"].tolist() == [4, 5, 6, 7, 8, 9, 10]
    conf = tmp_path / "Plateconf.txt"
    conf.write_bytes(b"Wells: 96\rPlates: 1\rPlate\tWell\tContent\r1\tB*\tsample\r*\tZ01\tneg\r")
    rules, _ = read_plate_conf(conf)
    with pytest.raises(SchemaError) as info:
        apply_plate_conf(rules, n_plates=1, fmt=FORMATS[96], source="Plateconf.txt")
    text = str(info.value)
    assert "line 5: Well 'Z01' matches no well" in text
    assert "84 well(s) not covered by any rule (plate 1 A01" in text
    conf.write_text("Plates: 1\nWells: 96\nPlate\tWell\tContent\n*\t*\tneg\n1\tB*\tsample\n")
    table = apply_plate_conf(read_plate_conf(conf)[0], n_plates=1, fmt=FORMATS[96])
    assert table.loc[table["content"] == "sample", "well"].tolist() == [
        f"B{c:02d}" for c in range(1, 13)
    ]
    conf.write_text("Wells: 96\nPlates: 1\nPlate\tWell\tContent\n*\t*\tsample\n*\t[A-\tneg\n")
    with pytest.raises(SchemaError, match="not a valid regular expression"):
        apply_plate_conf(read_plate_conf(conf)[0], n_plates=1, fmt=FORMATS[96])


def test_cellhts2_screen_log_errors(tmp_path: Path) -> None:
    folder = tmp_path / "screen"
    folder.mkdir()
    for f in MINI.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "Screenlog.txt").write_text(
        "Plate\tSample\tWell\tFlag\n3\t1\tA01\tNA\n1\t1\t1A\tNA\n"
    )
    with pytest.raises(SchemaError) as info:
        import_cellhts2(folder, role_map={"PosSpike": "vehicle_control"})
    assert "line 3: not a well id ('1A')" in str(info.value)
    assert "line(s) 2 name a plate" in str(info.value)
    (folder / "Screenlog.txt").write_text("Plate\tSample\tWell\tFlag\n3\t1\tA01\tNA\n")
    with pytest.raises(SchemaError, match="line\\(s\\) 2 name a plate, replicate"):
        import_cellhts2(folder, role_map={"PosSpike": "vehicle_control"})


# --- cellHTS2 scores ---------------------------------------------------------------------------
def _oracle_scores(wells: pd.DataFrame, sign: float) -> pd.Series:
    """Straightforward loop implementation of cellHTS2's median / zscore / mean workflow."""
    x = wells["value"].where(wells["role"] != "empty").to_numpy(dtype=float)
    sample = (wells["role"] == "sample").to_numpy()
    norm = np.full(len(x), np.nan)
    for plate in wells["plate"].unique():
        m = (wells["plate"] == plate).to_numpy()
        norm[m] = x[m] / np.nanmedian(x[m & sample])
    score = np.full(len(x), np.nan)
    for rep in wells["replicate"].unique():
        m = (wells["replicate"] == rep).to_numpy()
        ref = norm[m & sample]
        med = np.nanmedian(ref)
        mad = 1.4826 * np.nanmedian(np.abs(ref - med))
        score[m] = sign * (norm[m] - med) / mad
    return pd.Series(score, index=wells.index)


def test_cellhts2_scores_match_oracle() -> None:
    wells, _ = import_cellhts2(MINI, role_map={"PosSpike": "vehicle_control"})
    scored = cellhts2_scores(wells, sign=-1)
    expected = _oracle_scores(wells, -1.0)
    np.testing.assert_array_equal(scored["score"].isna(), expected.isna())
    np.testing.assert_allclose(scored["score"].dropna(), expected.dropna(), rtol=1e-12)
    assert wells.columns.tolist() == scored.columns.tolist()[: len(wells.columns)]
    assert "score" not in wells.columns  # input not mutated
    means = expected.groupby([wells["cellhts2_plate"], wells["well"]]).transform("mean")
    np.testing.assert_allclose(scored["summary_score"], means, rtol=1e-12)
    flipped = cellhts2_scores(wells, sign="+")
    np.testing.assert_allclose(flipped["score"], -scored["score"])
    assert scored.loc[wells["role"] == "empty", "score"].isna().all()
    summary = summarize_cellhts2(scored)
    assert len(summary) == 2 * 96 and set(summary["n_replicates"]) <= {0, 1, 2}
    ok = scored["summary_score"].notna()
    mx = cellhts2_scores(wells, sign=-1, summary="max")["summary_score"]
    assert mx[ok].ge(scored["summary_score"][ok] - 1e-12).all() and mx[~ok].isna().all()
    far = cellhts2_scores(wells, sign=-1, summary="furthest_from_zero")["summary_score"]
    assert far[ok].abs().ge(scored["summary_score"][ok].abs() - 1e-12).all()


def test_cellhts2_scores_errors() -> None:
    wells, _ = import_cellhts2(MINI, role_map={"PosSpike": "vehicle_control"})
    with pytest.raises(ConfigError, match="sign"):
        cellhts2_scores(wells, sign=2)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="summary"):
        cellhts2_scores(wells, summary="average")  # type: ignore[arg-type]
    # the mini screen's two library plates share one layout: nothing tells them apart
    with pytest.raises(SchemaError, match="do not tell .* add a 'cellhts2_plate' column"):
        cellhts2_scores(wells.drop(columns="cellhts2_plate"))
    no_samples = wells.assign(role=np.where(wells["plate"] == "mini-P1-R1", "empty", wells["role"]))
    no_samples.loc[no_samples["plate"] == "mini-P1-R1", "role"] = "drug_control"
    with pytest.raises(SchemaError, match="mini-P1-R1"):
        cellhts2_scores(no_samples)


# --- real data ----------------------------------------------------------------------------------
def test_real_kcviabsmall_import_and_published_scores(record_property) -> None:
    folder = real("cellhts2", "KcViabSmall")
    wells, meta = import_cellhts2(folder)
    assert len(wells) == 6 * 384 and wells["plate"].nunique() == 6
    assert wells.groupby("plate").size().eq(384).all()
    assert sorted(wells["plate"].unique()) == [
        "FT01-G01", "FT01-G02", "FT02-G01", "FT02-G02", "FT03-G01", "FT03-G02",
    ]  # fmt: skip
    log = pd.read_csv(folder / "Screenlog.txt", sep="\t")
    keyed = wells.set_index(["cellhts2_plate", "replicate", "well"])
    flagged = keyed.loc[list(zip(log["Plate"], log["Sample"], log["Well"], strict=True))]
    assert len(flagged) == len(log) == 144
    assert flagged["value"].isna().all() and (flagged["flag_comment"] == "Contamination").all()
    assert wells["value"].isna().sum() == 144 and meta["n_flagged"] == 144
    roles = wells[wells["plate"] == "FT01-G01"].set_index("well")["role"]
    assert roles[["A01", "A02", "B01", "B02", "C05"]].tolist() == [
        "empty", "empty", "drug_control", "vehicle_control", "sample",
    ]  # fmt: skip
    assert meta["description"]["Screen description"]["Screen"] == "KcViabSmall"

    scored = cellhts2_scores(wells, sign=-1)
    summary = summarize_cellhts2(scored)
    published = pd.read_csv(folder / "Analysis2003_plates1-3.txt", sep="\t")
    both = published.merge(summary, left_on=["Plate", "Well"], right_on=["cellhts2_plate", "well"])
    correlations = {}
    for plate, grp in both.groupby("Plate"):
        ok = grp["Score"].notna() & grp["summary_score"].notna()
        correlations[int(plate)] = float(
            np.corrcoef(grp["Score"][ok], grp["summary_score"][ok])[0, 1]
        )
    print("KcViabSmall per-plate Pearson r vs Analysis2003:", correlations)
    record_property("kcviab_pearson", correlations)
    assert set(correlations) == {1, 2, 3}
    assert all(r >= 0.99 for r in correlations.values())


DSE_ROLES = {"DMSO": "vehicle_control", "PBS": "vehicle_control"}


def test_real_drugscreenexplorer_plates() -> None:
    folder = real("drugscreenexplorer")
    files = sorted((folder / "rawData").glob("*.txt"))
    kw = {
        "plate_map": folder / "wellAnno" / "wellAnno.csv",
        "plate_list": folder / "plateAnno" / "plateAnno.csv",
        "list_columns": {"cell_line": "sampleID"},
    }
    with pytest.raises(SchemaError, match="'DMSO' \\(37 wells\\)"):
        import_plates(files, **kw)
    with pytest.warns(UserWarning, match="16 file\\(s\\) hold several grids"):
        wells = import_plates(files, role_map=DSE_ROLES, **kw)
    explicit = import_plates(
        role_map=DSE_ROLES, grid="Calculated results", data_dir=folder / "rawData", **kw
    )
    pd.testing.assert_frame_equal(wells, explicit)
    assert wells["plate"].nunique() == 16 and wells.groupby("plate").size().eq(384).all()
    assert wells["value"].notna().all()
    col = wells["well"].str[1:].astype(int)
    dmso = wells["content"] == "DMSO"
    pbs = wells["content"] == "PBS"
    assert set(col[pbs]) == {23, 24} and {1, 2} <= set(col[dmso])
    assert (wells.loc[dmso | pbs, "role"] == "vehicle_control").all()
    assert wells.loc[~(dmso | pbs), "role"].eq("sample").all()
    assert wells.loc[~(dmso | pbs), "protein"].notna().all()
    assert wells.loc[dmso, "concentration"].eq(0.3).all()  # "0,3" (decimal comma)
    sample = wells.drop_duplicates("plate").set_index("plate")
    p24 = sample.loc["CTGLuminescence_20161125_007_P0024_14PB0550"]
    assert p24["cell_line"] == "14PB0550" and p24["patientID"] == "P0024"
    assert p24["batch"] == "2" and p24["Expression"] == 2.7 and p24["replicate"] == 1
    a01 = wells[(wells["plate"] == p24.name) & (wells["well"] == "A01")]["value"].item()
    assert a01 > 0
    assert wells["treatment"].isna().all()
    vehicle_arm = import_plates(
        files, role_map=DSE_ROLES, grid=1, defaults={"treatment": "none"}, **kw
    )
    assert set(vehicle_arm["treatment"]) == {"none"}
    with pytest.raises(ConfigError, match="protein not a plate-level column"):
        import_plates(files, role_map=DSE_ROLES, grid=1, defaults={"protein": "x"}, **kw)


def test_real_kccelltiter_cr_line_ends_and_named_controls() -> None:
    folder = real("cellhts2", "KcCellTiter")
    assert b"\r" in (folder / "Plateconf.txt").read_bytes()
    with pytest.raises(SchemaError, match="PosBarcode"):
        import_cellhts2(folder)
    wells, meta = import_cellhts2(
        folder, role_map={"PosSpike": "vehicle_control", "PosBarcode": "vehicle_control"}
    )
    assert len(wells) == 6 * 384 and meta["n_plates"] == 3 and meta["n_replicates"] == 2
    assert wells.groupby("plate").size().eq(384).all()
    flagged = wells[wells["flag_comment"].notna()]
    keys = zip(flagged["cellhts2_plate"], flagged["replicate"], flagged["well"], strict=True)
    assert sorted(keys) == [
        (1, 2, "M13"), (3, 1, "G14"), (3, 1, "K12"),
    ]  # fmt: skip
    assert flagged["value"].isna().all() and wells["value"].isna().sum() == 3
    plate1 = wells[wells["plate"] == "KcCellTiter0607_1"].set_index("well")
    assert plate1.loc[["A01", "P02", "B02", "A03"], "content"].tolist() == [
        "Neg", "Neg", "PosSpike", "PosBarcode",
    ]  # fmt: skip
    assert plate1.loc["A01", "value"] == 691952.0


def test_real_twowayassay_96_well() -> None:
    folder = real("cellhts2", "TwoWayAssay")
    role_map = {"mock": "drug_control", "GFP": "drug_control", "AATK": "vehicle_control"}
    with pytest.raises(SchemaError, match="MAP2K6"):
        import_cellhts2(folder, role_map=role_map)
    wells, meta = import_cellhts2(folder, role_map={**role_map, "MAP2K6": "sample"})
    assert len(wells) == 2 * 96 and meta["n_wells"] == 96
    assert wells["plate"].unique().tolist() == ["DHA001LU1", "DHA001LU2"]
    p = wells[wells["plate"] == "DHA001LU1"].set_index("well")
    assert p.loc["A01", "value"] == 1919.0 and p.loc["H12", "value"] == 1487.0
    assert p.loc["C01", "role"] == "vehicle_control" and p.loc["C02", "protein"] == "MAP2K6"
    assert p.loc["B02", "role"] == "empty" and p.loc["A03", "protein"] == "AAK1"
    assert wells["value"].notna().all()


def test_cellhts2_library_plates_from_layouts() -> None:
    # an ordinary well table has no cellhts2_plate: replicate plates are matched by their
    # layout (which protein sits in which well), as the column would match them (found by a
    # fresh-user audit: --normalization cellhts2 refused every multi-plate well table)
    import secretome_rank as sr

    wells = sr.read_screen(sr.simulate_screen(seed=4, n_proteins=491, cell_lines=1)[0])
    library = wells["plate"].astype(str).str.extract(r"_L(\d+)$")[0]
    explicit = cellhts2_scores(wells.assign(cellhts2_plate=library), sign=-1)
    inferred = cellhts2_scores(wells, sign=-1)
    np.testing.assert_array_equal(inferred["summary_score"], explicit["summary_score"])
    assert inferred["summary_score"].notna().sum() > 1000
