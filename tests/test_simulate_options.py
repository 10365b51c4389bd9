"""`simulate`: invalid option values and output paths are usage errors with one clear message;
the output format follows the file name; `simulate_screen` names its invalid parameters."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import secretome_rank as sr
from secretome_rank.cli import app
from secretome_rank.errors import ConfigError

SMALL = {"n_proteins": 20, "cell_lines": 1, "drugs": ("x",), "n_replicates": 1}


# --- the Python API -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n_replicates", 0),
        ("n_replicates", -1),
        ("n_proteins", 0),
        ("n_proteins", -3),
        ("cell_lines", 0),
        ("cell_lines", ()),
        ("drugs", ()),
        ("drugs", "vemurafenib"),
        ("drugs", ("x", "x")),
        ("drugs", ("DMSO",)),
        ("seed", -1),
        ("n_rescuers", -1),
        ("n_mitogens", -2),
        ("n_toxic", -1),
        ("drug_survival", 0.0),
        ("drug_survival", 1.0),
        ("noise_sd", -0.1),
        ("noise_sd", float("nan")),
        ("edge_loss", 1.0),
        ("gradient", -1.0),
        ("plate_scale_sd", -0.1),
        ("plate_scale_sd", float("inf")),
        ("outlier_rate", 1.5),
        ("missing_rate", -0.1),
        ("line_activity", 2.0),
        ("strength_sd", float("inf")),
        ("drug_specific_fraction", -0.5),
    ],
)
def test_simulate_screen_names_the_invalid_parameter(name, value):
    with pytest.raises(ValueError, match=name) as info:
        sr.simulate_screen(**{**SMALL, name: value})
    assert isinstance(info.value, ConfigError)
    assert "expected" in str(info.value) or "give" in str(info.value)


def test_simulate_screen_reports_every_invalid_parameter_at_once():
    with pytest.raises(ConfigError) as info:
        sr.simulate_screen(n_replicates=0, noise_sd=-1.0, missing_rate=2.0)
    assert "3 invalid" in str(info.value)
    assert len(info.value.problems) == 3


def test_simulate_screen_plate_scale_sd():
    # the default (0.3) is the level every screen had before the knob existed
    default = sr.simulate_screen(5, **SMALL)
    explicit = sr.simulate_screen(5, **SMALL, plate_scale_sd=0.3)
    for a, b in zip(default, explicit, strict=True):
        pd.testing.assert_frame_equal(a, b)
    flat = {"edge_loss": 0.0, "gradient": 0.0, "noise_sd": 0.01, "n_replicates": 4}

    def spread(sd: float) -> float:
        wells, _ = sr.simulate_screen(5, **{**SMALL, **flat}, plate_scale_sd=sd)
        vehicle = wells[wells["role"] == "vehicle_control"]
        medians = vehicle.groupby("plate")["value"].median()
        return float(medians.max() / medians.min())

    assert spread(0.0) < 1.02
    assert spread(1.0) > 1.5


@pytest.mark.parametrize("n", [5, 10])
def test_simulate_screen_small_library_has_no_crash(n):
    # n_proteins=10 failed for seeds 0-3 (too few non-classic rescuer candidates to draw)
    for seed in range(4):
        wells, truth = sr.simulate_screen(seed, **{**SMALL, "n_proteins": n})
        assert truth["protein"].nunique() == n
        assert wells["protein"].dropna().nunique() == n


def test_simulate_screen_more_proteins_than_library_warns():
    from secretome_rank.simulate import library

    n_library = len(library())
    with pytest.warns(UserWarning, match="n_proteins"):
        _, truth = sr.simulate_screen(
            0, n_proteins=n_library + 100, cell_lines=1, drugs=("x",), n_replicates=1
        )
    assert truth["protein"].nunique() == n_library


# --- the command ----------------------------------------------------------------------------
runner = CliRunner()
SMALL_ARGS = ["--proteins", "20", "--cell-lines", "1", "--drugs", "1", "--replicates", "2"]


def _text(r) -> str:
    """stdout and stderr (``output`` holds both) without rich's box lines and line wrapping."""
    return " ".join(r.output.replace("│", " ").split())


def _simulate(*args: str):
    return runner.invoke(app, ["simulate", *SMALL_ARGS, *args])


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--replicates", "0"),
        ("--replicates", "-1"),
        ("--proteins", "0"),
        ("--proteins", "-3"),
        ("--cell-lines", "0"),
        ("--drugs", "-1"),
        ("--drugs", "0"),
        ("--seed", "-1"),
    ],
)
def test_out_of_range_option_is_usage_error(tmp_path, option, value):
    out = tmp_path / "s.csv"
    r = _simulate("--out", str(out), option, value)
    assert r.exit_code == 2, r.output
    text = _text(r)
    assert option in text and "Traceback" not in text
    assert not out.exists()


def test_help_shows_the_ranges():
    r = runner.invoke(app, ["simulate", "--help"], env={"COLUMNS": "160"})
    assert r.exit_code == 0
    assert _text(r).count("x>=1") == 4 and "x>=0" in _text(r)


def test_missing_folders_of_out_are_created(tmp_path):
    out = tmp_path / "new" / "deeper" / "s.csv"
    truth = tmp_path / "other" / "truth.tsv"
    r = _simulate("--out", str(out), "--truth", str(truth))
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out)["plate"].nunique() == 4  # 1 line x (drug + vehicle) x 2 replicates
    assert pd.read_csv(truth, sep="\t")["protein"].nunique() == 20
    assert _no_temp_files(tmp_path)


def test_folder_as_out_is_usage_error(tmp_path):
    r = _simulate("--out", str(tmp_path))
    assert r.exit_code == 2
    assert "is a folder" in _text(r) and "Traceback" not in _text(r)


def test_file_as_parent_folder_is_usage_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = _simulate("--out", str(tmp_path / "afile" / "s.csv"))
    assert r.exit_code == 2
    assert "is a file, not a folder" in _text(r)


@pytest.mark.parametrize("name", ["s.json", "s", "s.xls", "s.txt"])
def test_unsupported_suffix_is_usage_error(tmp_path, name):
    out = tmp_path / name
    r = _simulate("--out", str(out))
    assert r.exit_code == 2
    text = _text(r)
    assert "--out" in text and ".csv, .tsv, .parquet or .xlsx" in text
    assert not out.exists()


def test_unsupported_truth_suffix_is_usage_error(tmp_path):
    r = _simulate("--out", str(tmp_path / "s.csv"), "--truth", str(tmp_path / "t.json"))
    assert r.exit_code == 2
    assert "--truth" in _text(r) and not (tmp_path / "s.csv").exists()


def test_truth_on_out_is_usage_error(tmp_path):
    out = tmp_path / "s.csv"
    r = _simulate("--out", str(out), "--truth", str(out))
    assert r.exit_code == 2
    assert "--truth" in _text(r) and not out.exists()


def test_xlsx_out_is_excel_and_ranks(tmp_path):
    out = tmp_path / "s.xlsx"
    r = _simulate("--out", str(out), "--truth", str(tmp_path / "truth.xlsx"))
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:2] == b"PK"  # a zip container, not CSV text
    wells = pd.read_excel(out, sheet_name="wells")
    assert list(wells.columns[:4]) == ["plate", "well", "value", "role"] and len(wells) == 4 * 384
    truth = pd.read_excel(tmp_path / "truth.xlsx", sheet_name="truth")
    assert truth["protein"].nunique() == 20
    r = runner.invoke(app, ["rank", str(out), "--out", str(tmp_path / "o"), "--no-report"])
    assert r.exit_code == 0, r.output
    hits = pd.read_csv(tmp_path / "o" / "hits.tsv", sep="\t")
    assert hits["protein"].nunique() == 20
    assert _no_temp_files(tmp_path)


def test_truth_format_follows_suffix(tmp_path):
    r = _simulate("--out", str(tmp_path / "s.tsv"), "--truth", str(tmp_path / "t.csv"))
    assert r.exit_code == 0, r.output
    header = (tmp_path / "t.csv").read_text().splitlines()[0]
    assert header.startswith("cell_line,treatment,protein,")
    assert (tmp_path / "s.tsv").read_text().startswith("plate\twell\tvalue\t")


def test_xlsx_without_openpyxl_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl -> ImportError
    out = tmp_path / "s.xlsx"
    r = _simulate("--out", str(out))
    assert r.exit_code == 3
    text = _text(r)
    assert "openpyxl" in text and "pip install" in text and "Traceback" not in text
    assert not out.exists()


def test_failed_write_leaves_nothing_and_exits_3(tmp_path, monkeypatch):
    def fail(self, path, **kwargs):
        Path(path).write_text("plate,well\n")  # part of the table, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    r = _simulate("--out", str(tmp_path / "s.csv"))
    assert r.exit_code == 3, r.output
    assert "No space left on device" in _text(r) and "Traceback" not in _text(r)
    assert not list(tmp_path.iterdir())


def test_more_proteins_than_library_is_a_note(tmp_path):
    out = tmp_path / "s.csv"
    r = runner.invoke(
        app,
        [
            "simulate",
            "--out",
            str(out),
            "--proteins",
            "100000",
            "--cell-lines",
            "1",
            "--drugs",
            "1",
            "--replicates",
            "1",
            "--no-vehicle",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "note: --proteins 100000" in _text(r)


def test_import_out_suffix_is_checked_first(tmp_path):
    r = runner.invoke(
        app, ["import", "--out", str(tmp_path / "w.json"), "--plate-map", str(tmp_path / "m.csv")]
    )
    assert r.exit_code == 2
    assert ".csv, .tsv, .parquet or .xlsx" in _text(r)


# --- the writer behind it -------------------------------------------------------------------
def test_write_by_suffix_parquet_without_pyarrow(tmp_path, monkeypatch):
    from secretome_rank.errors import SchemaError
    from secretome_rank.writers import write_by_suffix

    def no_engine(self, path, **kwargs):
        raise ImportError("Unable to find a usable engine")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_engine)
    with pytest.raises(SchemaError, match=r"pip install 'secretome-rank\[parquet\]'"):
        write_by_suffix(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
    assert not list(tmp_path.iterdir())


def test_write_by_suffix_unknown_suffix(tmp_path):
    from secretome_rank.writers import write_by_suffix

    with pytest.raises(ConfigError, match=r"\.csv, \.tsv"):
        write_by_suffix(pd.DataFrame({"a": [1]}), tmp_path / "t.json")
