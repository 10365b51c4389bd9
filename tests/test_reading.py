"""Reading a well table as the scientist wrote it: names stay text, look-alike headers map,
explicit mappings win, and a file's problems are listed in one go."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import secretome_rank as sr
from secretome_rank.errors import SchemaError

HEADER = "plate,well,value,role,protein,cell_line,treatment"


def plate_rows(plate: str, treatment: str = "vemurafenib", line: str = "A375") -> list[str]:
    rows = [f"{plate},A01,1000,drug_control,,{line},{treatment}"]
    rows += [f"{plate},A24,9000,vehicle_control,,{line},{treatment}"]
    rows += [f"{plate},B{i:02d},{3000 + 10 * i},sample,P{i},{line},{treatment}" for i in (3, 4)]
    return rows


def write(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_numeric_looking_plate_ids_are_kept_as_written(tmp_path):
    # '001', '1', '01' and '1E5' are four barcodes, not the numbers 1, 1, 1 and 100000
    ids = ["001", "1", "01", "1E5"]
    lines = [HEADER] + [r for p in ids for r in plate_rows(p)]
    wells = sr.read_screen(write(tmp_path / "s.csv", lines))
    assert sorted(wells["plate"].unique()) == sorted(ids)
    pd.DataFrame([ln.split(",") for ln in lines[1:]], columns=HEADER.split(",")).to_excel(
        tmp_path / "s.xlsx", index=False
    )
    assert sorted(sr.read_screen(tmp_path / "s.xlsx")["plate"].unique()) == sorted(ids)


def test_none_is_a_treatment_word_and_na_a_missing_protein(tmp_path):
    lines = [HEADER, *plate_rows("P1"), *plate_rows("P2", treatment="None")]
    wells = sr.read_screen(write(tmp_path / "s.csv", lines))
    assert set(wells.loc[wells["plate"] == "P2", "arm"]) == {"vehicle"}
    lines.append("P1,C05,3000,sample,NA,A375,vemurafenib")
    with pytest.raises(SchemaError, match="sample wells without a protein in line 10"):
        sr.read_screen(write(tmp_path / "s.csv", lines))


def test_headers_match_whatever_the_spacing(tmp_path):
    lines = [HEADER.replace("cell_line", "Cell Line")]
    lines += plate_rows("P1", line="A375") + plate_rows("P2", line="SKMEL28")
    wells = sr.read_screen(write(tmp_path / "s.csv", lines))
    assert set(wells["cell_line"]) == {"A375", "SKMEL28"}


def test_an_explicit_mapping_wins_over_a_column_of_that_name(tmp_path):
    lines = [HEADER + ",Luminescence"] + [r + ",7" for r in plate_rows("P1")]
    with pytest.warns(UserWarning, match="'value' not used"):  # a notebook shows it
        wells = sr.read_screen(write(tmp_path / "s.csv", lines), {"value": "Luminescence"})
    assert (wells["value"] == 7).all()


def test_every_problem_of_the_file_at_once(tmp_path):
    # a bad value and a plate whose drug controls were never read: both in one message
    p2 = [r.replace(",1000,drug_control", ",,drug_control") for r in plate_rows("P2")]
    lines = [HEADER, *plate_rows("P1"), *p2, "P1,C05,lots,sample,P9,A375,vemurafenib"]
    with pytest.raises(SchemaError) as err:
        sr.read_screen(write(tmp_path / "s.csv", lines))
    assert len(err.value.problems) == 2
    text = str(err.value)
    assert "not a number in line 10 ('lots')" in text
    assert "plates P2: drug-arm plate without drug_control wells" in text


def test_a_plate_without_any_reading_needs_no_controls(tmp_path):
    dead = [",".join(f.split(",")[:2] + [""] + f.split(",")[3:]) for f in plate_rows("P2")]
    dead = [r for r in dead if "drug_control" not in r]  # a missed plate, its controls gone too
    wells = sr.read_screen(write(tmp_path / "s.csv", [HEADER, *plate_rows("P1"), *dead]))
    assert wells.loc[wells["plate"] == "P2", "value"].isna().all()


@pytest.mark.filterwarnings("always::UserWarning")  # one replicate: the CLI logs that p = NA
def test_wells_tsv_carries_the_inputs_own_columns(tmp_path):
    from typer.testing import CliRunner

    from secretome_rank.cli import app

    lines = [HEADER + ",concentration,batch,operator"]
    lines += [r + ",10,B1,jd" for r in plate_rows("P1") + plate_rows("P2", treatment="DMSO")]
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["rank", str(write(tmp_path / "s.csv", lines)), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    wells = pd.read_csv(out / "wells.tsv", sep="\t")
    assert list(wells.columns[7:11]) == ["replicate", "concentration", "batch", "operator"]
    assert (wells["batch"] == "B1").all() and (wells["concentration"] == 10).all()
    assert "input_row" not in wells.columns and "norm_method" not in wells.columns


def test_european_numbers_with_one_bad_cell_name_only_that_cell(tmp_path):
    # ';' file, decimal commas and thousands dots: one 'abc' must not make every number bad
    rows = [r.split(",") for r in plate_rows("P1") + plate_rows("P2")]
    for r in rows:
        r[2] = f"{int(r[2]) // 1000}.{int(r[2]) % 1000:03d},5"  # 1000 -> '1.000,5'
    rows[3][2] = "abc"
    lines = [HEADER.replace(",", ";")] + [";".join(r) for r in rows]
    with pytest.raises(SchemaError) as err:
        sr.read_screen(write(tmp_path / "s.csv", lines))
    assert err.value.problems == [
        "column 'value': not a number in line 5 ('abc'); expected a finite number >= 0, or "
        "an empty cell for a missing reading"
    ]
    rows[3][2] = "3.040,5"
    wells = sr.read_screen(write(tmp_path / "s.csv", [lines[0]] + [";".join(r) for r in rows]))
    assert sorted(wells["value"].unique())[:2] == [1000.5, 3030.5]


def test_trailing_lines_of_only_delimiters_are_no_wells(tmp_path):
    # Excel writes ',,,,,,' for rows it once formatted; in the middle they are still reported
    lines = [HEADER, *plate_rows("P1"), ",,,,,,", ",,,,,,"]
    assert len(sr.read_screen(write(tmp_path / "s.csv", lines))) == 4
    lines.insert(2, ",,,,,,")
    with pytest.raises(SchemaError, match="column 'plate': empty in line 3"):
        sr.read_screen(write(tmp_path / "s.csv", lines))
    with pytest.raises(SchemaError, match="has a header line but no data rows"):
        sr.read_screen(write(tmp_path / "s.csv", [HEADER, ",,,,,,"]))


def test_annotate_reads_the_names_as_written(tmp_path):
    from typer.testing import CliRunner

    from secretome_rank.cli import app

    (tmp_path / "h.csv").write_text("protein,n\n001,1\nNone,2\nHGF,3\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["annotate", str(tmp_path / "h.csv")])
    assert result.exit_code == 0, result.output
    assert [ln.split("\t")[0] for ln in result.stdout.splitlines()] == [
        "protein",
        "001",
        "None",
        "HGF",
    ]


def test_a_control_well_naming_a_protein_is_pointed_out(tmp_path):
    lines = [HEADER, *plate_rows("P1")]
    lines[1] = lines[1].replace("drug_control,,", "drug_control,HGF,")
    said = re.escape("control wells that name a protein in line 2 ('HGF')")
    with pytest.warns(UserWarning, match=said):
        wells = sr.read_screen(write(tmp_path / "s.csv", lines))
    assert wells["protein"].notna().sum() == 2  # the samples only


def test_a_sheet_choice_on_a_text_file_is_pointed_out(tmp_path):
    said = re.escape("not an Excel file, so the sheet choice ('2') is ignored")
    with pytest.warns(UserWarning, match=said):
        sr.read_screen(write(tmp_path / "s.csv", [HEADER, *plate_rows("P1")]), sheet="2")
