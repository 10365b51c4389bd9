"""Edge cases of the plate-reader grid reader (secretome_rank.importers.grid)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secretome_rank.errors import LayoutError, SecretomeRankError
from secretome_rank.importers import list_grids, read_grid_file
from secretome_rank.layout import row_letters

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "real_plates"


def grid_text(
    values: np.ndarray,
    *,
    sep: str = ";",
    decimal_comma: bool = False,
    title: str = "Results",
    pad: bool = True,
    trailing: bool = True,
) -> list[str]:
    n_rows, n_cols = values.shape

    def fmt(v: float) -> str:
        if math.isnan(v):
            return ""
        text = repr(float(v))
        return text.replace(".", ",") if decimal_comma else text

    cols = [f"{c:02d}" if pad else str(c) for c in range(1, n_cols + 1)]
    end = sep if trailing else ""
    lines = [title, sep + sep.join(cols) + end]
    for r, letter in enumerate(row_letters(n_rows)):
        lines.append(letter + sep + sep.join(fmt(v) for v in values[r]) + end)
    return lines


def write(path: Path, lines: list[str], newline: str = "\r\n", encoding: str = "utf-8") -> Path:
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def plate(n_rows: int = 8, n_cols: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(100, 50000, size=(n_rows, n_cols)), 2)


# --- separators, decimal commas, line ends -----------------------------------------------
@pytest.mark.parametrize("sep", ["\t", ";", ","])
@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
def test_separators_and_line_ends(tmp_path: Path, sep: str, newline: str) -> None:
    values = plate()
    lines = ["Instrument: EnVision", "Barcode:" + sep + "X001", ""]
    lines += grid_text(values, sep=sep, decimal_comma=sep != ",")
    f = write(tmp_path / "plate.txt", [*lines, "", "Assay finished"], newline)
    wells = read_grid_file(f)
    assert len(wells) == 96
    assert wells["well"].iloc[0] == "A01" and wells["well"].iloc[-1] == "H12"
    np.testing.assert_array_equal(wells["value"].to_numpy(), values.ravel())
    assert set(wells["plate"]) == {"plate"}


def test_decimal_comma_and_missing_cells(tmp_path: Path) -> None:
    lines = ["", ";1;2;3;4;5;6;7;8;9;10;11;12"]
    for letter in "ABCDEFGH":
        lines.append(letter + ";1,5;2,25;;NA;-3,5e2;7;8;9;10;11;12;13")
    wells = read_grid_file(write(tmp_path / "x.csv", lines))
    a = wells[wells["well"].str.startswith("A")]["value"].to_numpy()
    assert a[:2].tolist() == [1.5, 2.25]
    assert np.isnan(a[2]) and np.isnan(a[3])
    assert a[4] == -350.0


def test_quoted_cells_in_comma_file(tmp_path: Path) -> None:
    lines = [",1,2,3,4,5,6,7,8,9,10,11,12"]
    for letter in "ABCDEFGH":
        lines.append(letter + ',"1.5",2,3,4,5,6,7,8,9,10,11,12')
    wells = read_grid_file(write(tmp_path / "q.csv", lines))
    assert wells["value"].iloc[0] == 1.5


def test_comma_inside_number_of_comma_file_is_an_error(tmp_path: Path) -> None:
    lines = [",1,2,3,4,5,6,7,8,9,10,11,12"]
    for letter in "ABCDEFGH":
        lines.append(letter + ',"1,234",2,3,4,5,6,7,8,9,10,11,12')
    with pytest.raises(LayoutError, match="no thousands separators"):
        read_grid_file(write(tmp_path / "q.csv", lines))


def test_latin1_file_with_padded_cells(tmp_path: Path) -> None:
    values = plate(seed=3)
    lines = ["  Temperature: 21.0 °C  ,  x  "]
    lines += [f"  {line}" for line in grid_text(values, sep=",", pad=False, trailing=False)]
    f = write(tmp_path / "fusion.CSV", lines, encoding="latin-1")
    np.testing.assert_array_equal(read_grid_file(f)["value"].to_numpy(), values.ravel())


@pytest.mark.parametrize(("n_rows", "n_cols"), [(8, 12), (16, 24), (32, 48)])
def test_plate_formats(tmp_path: Path, n_rows: int, n_cols: int) -> None:
    values = plate(n_rows, n_cols)
    wells = read_grid_file(write(tmp_path / "p.txt", grid_text(values, sep="\t")), plate="P1")
    assert len(wells) == n_rows * n_cols
    assert wells["well"].iloc[-1] == f"{row_letters(n_rows)[-1]}{n_cols:02d}"
    np.testing.assert_array_equal(wells["value"].to_numpy(), values.ravel())
    assert set(wells["plate"]) == {"P1"}


def test_blank_lines_between_rows(tmp_path: Path) -> None:
    values = plate()
    lines = []
    for line in grid_text(values, sep="\t"):
        lines += [line, ""]
    np.testing.assert_array_equal(
        read_grid_file(write(tmp_path / "b.txt", lines))["value"].to_numpy(), values.ravel()
    )


# --- several grids ------------------------------------------------------------------------
@pytest.fixture
def two_grids(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    raw, bg = plate(seed=1), plate(seed=2)
    lines = ["Plate information", "Barcode;BC0042", ""]
    lines += grid_text(raw, title="Raw data: Luminescence")
    lines += ["", "Barcode;BC0043", "Background corrected"]
    lines += grid_text(bg, title="Background corrected")
    return write(tmp_path / "two.txt", lines), raw, bg


def test_several_grids_default_first_with_warning(
    two_grids: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    f, raw, _ = two_grids
    with pytest.warns(UserWarning, match="2 grids found.*using the first"):
        wells = read_grid_file(f)
    np.testing.assert_array_equal(wells["value"].to_numpy(), raw.ravel())
    assert wells["grid_title"].iloc[0] == "Raw data: Luminescence"


def test_choose_grid_by_title_index_section_and_all(
    two_grids: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    f, raw, bg = two_grids
    by_title = read_grid_file(f, grid="background")
    np.testing.assert_array_equal(by_title["value"].to_numpy(), bg.ravel())
    by_index = read_grid_file(f, grid=2)
    np.testing.assert_array_equal(by_index["value"].to_numpy(), bg.ravel())
    by_barcode = read_grid_file(f, grid="BC0043")  # not on a title line: metadata section
    np.testing.assert_array_equal(by_barcode["value"].to_numpy(), bg.ravel())
    both = read_grid_file(f, grid="all")
    assert sorted(set(both["plate"])) == ["two_1", "two_2"]
    named = read_grid_file(f, grid="all", plate=["raw", "bg"])
    assert list(named.drop_duplicates("plate")["plate"]) == ["raw", "bg"]
    table = list_grids(f)
    assert table["title"].tolist() == ["Raw data: Luminescence", "Background corrected"]
    assert table["n_wells"].tolist() == [96, 96]


def test_bad_grid_choice(two_grids: tuple[Path, np.ndarray, np.ndarray]) -> None:
    f, _, _ = two_grids
    with pytest.raises(LayoutError, match="has 2 grid"):
        read_grid_file(f, grid=3)
    with pytest.raises(LayoutError, match="no grid match"):
        read_grid_file(f, grid="fluorescence")
    with pytest.raises(LayoutError, match="2 grids match"):
        read_grid_file(f, grid="barcode")
    with pytest.raises(LayoutError, match="3 plate id"):
        read_grid_file(f, grid="all", plate=["a", "b", "c"])


# --- malformed grids: one error naming file, line, row / cell ----------------------------
def test_missing_row_names_file_and_line(tmp_path: Path) -> None:
    lines = grid_text(plate())
    del lines[8]  # title, header, A..F are lines 1-8; this drops row G (line 9)
    f = write(tmp_path / "gap.txt", lines)
    with pytest.raises(LayoutError) as info:
        read_grid_file(f)
    message = str(info.value)
    assert "gap.txt" in message
    assert "line 9" in message and "row G missing" in message
    assert isinstance(info.value, SecretomeRankError) and isinstance(info.value, ValueError)


def test_truncated_grid(tmp_path: Path) -> None:
    lines = grid_text(plate())[:6] + ["", "Plate information"]
    with pytest.raises(LayoutError, match=r"row E-H missing"):
        read_grid_file(write(tmp_path / "cut.txt", lines))


def test_all_problems_of_a_file_in_one_error(tmp_path: Path) -> None:
    lines = grid_text(plate(), sep="\t")
    lines[3] = lines[3].replace(lines[3].split("\t")[5], "OVRFLW", 1)  # row B, column 5
    lines[5] = "\t".join(lines[5].split("\t")[:-3])  # row D: 2 values short
    with pytest.raises(LayoutError) as info:
        read_grid_file(write(tmp_path / "bad.txt", lines))
    assert len(info.value.problems) == 2
    text = str(info.value)
    assert "cell B05" in text and "'OVRFLW'" in text and "line 4" in text
    assert "line 6" in text and "row D" in text and "expected 12" in text


def test_no_grid(tmp_path: Path) -> None:
    f = write(tmp_path / "table.csv", ["plate,well,value", "P1,A01,3"])
    with pytest.raises(LayoutError, match="no plate grid found"):
        read_grid_file(f)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SecretomeRankError, match="cannot read"):
        read_grid_file(tmp_path / "nope.txt")


# --- fixtures and real exports ----------------------------------------------------------------
def test_fixture_reader_export() -> None:
    wells = read_grid_file(FIXTURES / "reader_rep1.txt", grid="Raw data")
    assert wells.shape == (96, 6)
    assert wells.loc[wells["well"] == "A01", "value"].item() == 58380.0
    corrected = read_grid_file(FIXTURES / "reader_rep1.txt", grid="Background")
    np.testing.assert_allclose(corrected["value"] + 150.0, wells["value"], rtol=0, atol=1e-6)


def test_real_envision_export() -> None:
    f = REAL / "cellhts2" / "EnVisionExample" / "XXX_1500.csv"
    if not f.exists():
        pytest.skip("shared real_plates not available")
    table = list_grids(f)
    assert table["n_wells"].tolist() == [384, 384]
    wells = read_grid_file(f, grid="Results for")
    assert len(wells) == 384 and wells["value"].notna().all()
    assert wells.loc[wells["well"] == "A01", "value"].item() == 29089000.0


# --- property: any grid written in any dialect reads back identically ----------------------
@settings(max_examples=40, deadline=None)
@given(
    shape=st.sampled_from([(8, 12), (16, 24)]),
    sep=st.sampled_from(["\t", ";", ","]),
    newline=st.sampled_from(["\r", "\n", "\r\n"]),
    comma=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    nan_fraction=st.floats(0, 0.3),
)
def test_grid_round_trip(
    shape: tuple[int, int], sep: str, newline: str, comma: bool, seed: int, nan_fraction: float
) -> None:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(8, 3, size=shape)
    values[rng.random(shape) < nan_fraction] = np.nan
    lines = ["Header: text", *grid_text(values, sep=sep, decimal_comma=comma and sep != ",")]
    with tempfile.TemporaryDirectory() as d:
        wells = read_grid_file(write(Path(d) / "g.txt", lines, newline))
    np.testing.assert_array_equal(wells["value"].to_numpy(), values.ravel())
