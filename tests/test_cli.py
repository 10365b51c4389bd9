from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_table
from typer.testing import CliRunner

from secretome_rank.cli import app

runner = CliRunner()


def test_version():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.startswith("secretome-rank ")


def test_demo_writes_outputs(tmp_path):
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "o"), "--top", "3"])
    assert r.exit_code == 0, r.output
    for name in ["hits.tsv", "wells.tsv", "qc.tsv", "run.json"]:
        assert (tmp_path / "o" / name).exists()
    hits = pd.read_csv(tmp_path / "o" / "hits.tsv", sep="\t")
    assert hits["protein"].nunique() > 400
    info = json.loads((tmp_path / "o" / "run.json").read_text())
    assert info["parameters"]["fdr"] == 0.05
    # the checksum is computed in the background while the screen is ranked
    source = Path(info["inputs"][0]["path"])
    assert info["inputs"][0]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert "rescuer" in r.stdout


def test_rank_tsv_and_json_to_stdout(tmp_path, small_screen):
    wells, _ = small_screen
    p = tmp_path / "s.csv"
    wells.to_csv(p, index=False)
    r = runner.invoke(app, ["rank", str(p), "--out", str(tmp_path / "o"), "--format", "tsv"])
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0].startswith("cell_line\ttreatment\tprotein")
    r = runner.invoke(
        app, ["rank", str(p), "--out", str(tmp_path / "o2"), "--format", "json", "--test", "welch"]
    )
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert len(rows) == wells["protein"].dropna().nunique()


def test_bad_input_exit_3_no_traceback(tmp_path):
    df = tiny_table()
    df.loc[0, "role"] = "weird"
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False)
    r = runner.invoke(app, ["rank", str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 3
    assert "weird" in r.stderr and "Traceback" not in r.output + r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.filterwarnings("always::UserWarning")  # one replicate: the CLI logs that p = NA
def test_column_option(tmp_path):
    df = tiny_table().rename(columns={"value": "Lum"})
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    r = runner.invoke(
        app, ["rank", str(p), "--column", "value=Lum", "--out", str(tmp_path / "o"), "-f", "tsv"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["rank", str(p), "--column", "valueLum", "--out", str(tmp_path / "o")])
    assert r.exit_code == 3


def test_usage_error_exit_2():
    r = runner.invoke(app, ["rank"])
    assert r.exit_code == 2


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--fdr", "0", "not in (0, 1]"),
        ("--fdr", "nan", "not in (0, 1]"),
        ("--min-rescue", "inf", "not a finite number"),
        ("--min-rescue", "nan", "not a finite number"),
        ("--top", "-1", "--top"),
        ("--plate-format", "200", "expected 96, 384 or 1536"),
    ],
)
def test_option_values_out_of_range_are_usage_errors(tmp_path, option, value, said):
    # before, --fdr 0 gave exit 3, --min-rescue inf a traceback, nan a run.json with NaN
    out = tmp_path / "o"
    from secretome_rank.examples import example_screen_path

    r = runner.invoke(app, ["rank", str(example_screen_path()), "--out", str(out), option, value])
    assert r.exit_code == 2, r.output
    assert said in " ".join(r.output.split()) and not out.exists()


def test_qc_and_simulate(tmp_path):
    out = tmp_path / "sim.csv"
    r = runner.invoke(
        app,
        [
            "simulate",
            "--out",
            str(out),
            "--proteins",
            "50",
            "--cell-lines",
            "1",
            "--drugs",
            "1",
            "--truth",
            str(tmp_path / "truth.tsv"),
        ],
    )
    assert r.exit_code == 0
    r = runner.invoke(app, ["qc", str(out), "--format", "tsv"])
    assert r.exit_code == 0
    qc = r.stdout.splitlines()
    assert qc[0].startswith("plate\t") and len(qc) == 1 + pd.read_csv(out)["plate"].nunique()


def test_subprocess_smoke(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "secretome_rank", "demo", "--out", str(tmp_path / "d"), "-f", "tsv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    # the process ends without interpreter teardown (cli.entry_point): stdout must still be complete
    hits = pd.read_csv(tmp_path / "d" / "hits.tsv", sep="\t")
    assert r.stdout.splitlines() == (tmp_path / "d" / "hits.tsv").read_text().splitlines()
    assert len(hits) > 1000
    assert not [p for p in (tmp_path / "d").iterdir() if p.name.startswith(".")]


def test_subprocess_exit_codes_and_messages(tmp_path):
    def cli(*args):
        cmd = [sys.executable, "-m", "secretome_rank", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    missing = cli("rank", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 3 and "file not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    usage = cli("rank", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("secretome-rank ")


def test_receptors_command():
    r = runner.invoke(app, ["receptors", "HGF", "IL-6", "SF", "notaprotein", "--format", "tsv"])
    assert r.exit_code == 0, r.output
    rows = pd.read_csv(__import__("io").StringIO(r.stdout), sep="\t")
    assert list(rows.columns[:7]) == [
        "query",
        "symbol",
        "resolution",
        "receptor",
        "receptor_family",
        "role",
        "resources",
    ]
    assert "MET" in set(rows.loc[rows["query"] == "HGF", "receptor"])
    assert "IL6R+IL6ST" in set(rows.loc[rows["query"] == "IL-6", "receptor"])
    assert rows.loc[rows["query"] == "SF", "resolution"].iloc[0] == "ambiguous"
    assert rows.loc[rows["query"] == "notaprotein", "resolution"].iloc[0] == "unknown"


def test_annotate_command(tmp_path):
    p = tmp_path / "names.tsv"
    pd.DataFrame({"name": ["bFGF", "Recombinant Human HGF", "TGF-beta1"]}).to_csv(
        p, sep="\t", index=False
    )
    r = runner.invoke(
        app, ["annotate", str(p), "--column", "name", "--out", str(tmp_path / "a.tsv")]
    )
    assert r.exit_code == 0, r.output
    ann = pd.read_csv(tmp_path / "a.tsv", sep="\t")
    assert ann["symbol"].tolist() == ["FGF2", "HGF", "TGFB1"]
    r = runner.invoke(app, ["annotate", str(p), "--column", "nope"])
    assert r.exit_code == 3 and "--column" in r.stderr


def test_rank_with_pair_resource_and_expression(tmp_path, small_screen):
    wells, _ = small_screen
    screen = tmp_path / "s.csv"
    wells.to_csv(screen, index=False)
    pairs = tmp_path / "pairs.tsv"
    pd.DataFrame({"ligand": ["HGF"], "receptor": ["MET"]}).to_csv(pairs, sep="\t", index=False)
    expr = tmp_path / "expr.tsv"
    pd.DataFrame({"cell_line": ["A375"], "gene": ["MET"], "value": [0.0]}).to_csv(
        expr, sep="\t", index=False
    )
    r = runner.invoke(
        app,
        [
            "rank",
            str(screen),
            "--out",
            str(tmp_path / "o"),
            "--resource",
            str(pairs),
            "--expression",
            str(expr),
            "-f",
            "tsv",
        ],
    )
    assert r.exit_code == 0, r.output
    hits = pd.read_csv(tmp_path / "o" / "hits.tsv", sep="\t")
    receptors = set(hits["receptors"].dropna())
    assert receptors <= {"MET"}
    rec = pd.read_csv(tmp_path / "o" / "receptors.tsv", sep="\t")
    assert set(rec["receptor"]) <= {"MET"}
    assert "receptor_expressed" in hits.columns


@pytest.mark.filterwarnings("always::UserWarning")  # cellHTS2 has no treatment: the CLI logs it
def test_import_and_rank_cellhts2(tmp_path):
    from conftest import SHARED

    folder = SHARED / "real_plates" / "cellhts2" / "KcViabSmall"
    if not folder.is_dir():
        import pytest

        pytest.skip("../shared/real_plates not available")
    out = tmp_path / "kc.tsv"
    r = runner.invoke(app, ["import", "--cellhts2", str(folder), "--out", str(out)])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out, sep="\t")
    assert len(table) == 6 * 384 and table["plate"].nunique() == 6
    r = runner.invoke(
        app,
        [
            "rank",
            "--cellhts2",
            str(folder),
            "--normalization",
            "cellhts2",
            "--cellhts2-sign",
            "-1",
            "--no-report",
            "--out",
            str(tmp_path / "o"),
            "-f",
            "tsv",
        ],
    )
    assert r.exit_code == 0, r.output
    wells = pd.read_csv(tmp_path / "o" / "wells.tsv", sep="\t")
    assert wells["score"].notna().sum() > 2000
    # end to end through the CLI: per-plate agreement with the published 2003 scores
    published = pd.read_csv(folder / "Analysis2003_plates1-3.txt", sep="\t")
    wells["Plate"] = wells["plate"].str.extract(r"FT0(\d)")[0].astype(int)
    per_position = wells.groupby(["Plate", "well"], as_index=False)["summary_score"].first()
    both = published.merge(per_position, left_on=["Plate", "Well"], right_on=["Plate", "well"])
    for _, grp in both.groupby("Plate"):
        ok = grp["Score"].notna() & grp["summary_score"].notna()
        assert grp.loc[ok, "Score"].corr(grp.loc[ok, "summary_score"]) >= 0.99


def test_force_needed_for_non_empty_out(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    r = runner.invoke(app, ["demo", "--out", str(out), "--no-report", "-f", "tsv"])
    assert r.exit_code == 3 and "--force" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    r = runner.invoke(app, ["demo", "--out", str(out), "--no-report", "-f", "tsv", "--force"])
    assert r.exit_code == 0 and (out / "hits.tsv").exists()


@pytest.mark.filterwarnings("always::UserWarning")  # one replicate: the CLI logs that p = NA
def test_excel_and_safe_text_neutralise_formulas(tmp_path):
    import openpyxl

    df = tiny_table()
    df.loc[4, "protein"] = '=HYPERLINK("http://x","y")'
    df.loc[5, "protein"] = "@SUM(A1)"
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    out = tmp_path / "o"
    r = runner.invoke(
        app,
        ["rank", str(p), "--out", str(out), "--excel", "--safe-text", "--no-report", "-f", "tsv"],
    )
    assert r.exit_code == 0, r.output
    book = openpyxl.load_workbook(out / "results.xlsx")
    cells = [c.value for row in book["hits"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x","y")' in cells and "'@SUM(A1)" in cells
    assert not any(isinstance(c, str) and c.startswith(("=", "@")) for c in cells)
    hits = pd.read_csv(out / "hits.tsv", sep="\t")
    assert set(hits["protein"]) >= {'\'=HYPERLINK("http://x","y")', "'@SUM(A1)"}
    # negative numbers are numbers, never prefixed
    assert pd.api.types.is_float_dtype(hits["log2_fc"]) and (hits["log2_fc"] < 0).any()


def test_main_raises_system_exit_in_process():
    # code that calls main() keeps running (only the console script ends the process at once)
    from secretome_rank.cli import main

    argv = sys.argv
    sys.argv = ["secretome-rank", "--version"]
    try:
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        sys.argv = argv
    assert info.value.code in (0, None)


@pytest.mark.parametrize(("preset", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_command_process_uses_the_c_allocator_for_arrow(preset, expected):
    # cli._tune_process: a command's process allocates arrow memory with malloc (mimalloc
    # zeroed huge pages: about 15 % of a million-well run), unless the user chose a pool
    pytest.importorskip("pyarrow")
    code = (
        "from secretome_rank.cli import _tune_process; _tune_process();"
        "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == expected


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_command_process_starts_no_blas_threads():
    # cli._tune_process: OpenBLAS (numpy's and scipy's) starts no spinning worker threads
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    code = (
        "import os; from secretome_rank.cli import _tune_process; _tune_process();"
        "import numpy, scipy.special; print(len(os.listdir('/proc/self/task')))"
    )
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"


def test_importing_the_package_leaves_the_process_settings_alone():
    tuned = ("ARROW_DEFAULT_MEMORY_POOL", "OPENBLAS_NUM_THREADS")
    env = {k: v for k, v in os.environ.items() if k not in tuned}
    code = f"import secretome_rank.cli, os; print([os.environ.get(k) for k in {tuned!r}])"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[None, None]"


def test_python_warnings_reach_stderr(capsys):
    # an importer's warning (a truncated cellHTS2 result file, say) was sent to the
    # 'py.warnings' logger, which has no handler: the user never saw it
    import logging
    import warnings

    from secretome_rank._logging import setup_logging

    package = logging.getLogger("secretome_rank")
    before = (list(package.handlers), package.level)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            setup_logging()
            warnings.warn("result files list fewer than 384 wells", UserWarning, stacklevel=1)
    finally:
        package.handlers[:], package.level = before[0], before[1]
    assert "result files list fewer than 384 wells" in capsys.readouterr().err


def test_json_output_keeps_every_digit(tmp_path):
    # pandas' to_json rounds to 10 decimal places: a p-value of 6.7e-12 came out as 0.0
    import json

    out = tmp_path / "o"
    r = runner.invoke(app, ["demo", "--out", str(out), "-f", "json", "--no-report"])
    assert r.exit_code == 0, r.output
    records = json.loads(r.stdout)
    hits = pd.read_csv(out / "hits.tsv", sep="\t")
    p = pd.Series([rec["p_value"] for rec in records], dtype=float)
    assert p.min() < 1e-15
    assert np.array_equal(p.to_numpy(), hits["p_value"].to_numpy(), equal_nan=True)


def test_qc_out_that_is_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    from secretome_rank.examples import example_screen_path

    screen = str(example_screen_path())
    r = runner.invoke(app, ["qc", screen, "--out", str(tmp_path / "afile")])
    assert r.exit_code == 2 and "afile" in r.output and "Invalid value for '--out'" in r.output


def test_expression_file_problems_name_the_file_and_line(tmp_path):
    from secretome_rank.examples import example_screen_path

    bad = tmp_path / "expr.csv"
    bad.write_text("cell_line,gene,value\nA375,MET,5\nA375,KDR,abc\n", encoding="utf-8")
    args = ["rank", str(example_screen_path()), "--no-report", "--expression", str(bad)]
    r = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert r.exit_code == 3
    assert "expr.csv: column 'value' is not a number in line(s) 3 ('abc')" in " ".join(
        r.stderr.split()
    )


@pytest.mark.filterwarnings("always::UserWarning")  # the expression table lacks a cell line
def test_run_json_has_the_checksum_of_every_input_file(tmp_path):
    import json

    from secretome_rank.examples import example_screen_path

    expression = tmp_path / "expr.csv"
    expression.write_text("cell_line,gene,value\nA375,MET,5\n", encoding="utf-8")
    resource = tmp_path / "pairs.tsv"
    resource.write_text("ligand\treceptor\nHGF\tMET\n", encoding="utf-8")
    out = tmp_path / "o"
    r = runner.invoke(
        app,
        [
            "rank",
            str(example_screen_path()),
            "--no-report",
            "--out",
            str(out),
            "--expression",
            str(expression),
            "--resource",
            str(resource),
            "--resource-mode",
            "union",
        ],
    )
    assert r.exit_code == 0, r.output
    # a library warning (a Python warning, so that a notebook shows it) is a log line here
    assert "the expression table has no cell line SKMEL28" in r.stderr
    inputs = {
        Path(i["path"]).name: i["sha256"]
        for i in json.loads((out / "run.json").read_text())["inputs"]
    }
    assert set(inputs) == {"example_screen.csv", "expr.csv", "pairs.tsv"}
    assert all(len(v) == 64 for v in inputs.values())


def test_import_column_maps_plate_list_and_plate_map_columns(tmp_path):
    # the shell could not map a plate list's 'sampleID' to cell_line (Python only)
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
    for name in ("reader_rep1.txt", "reader_rep2.txt"):
        (tmp_path / name).write_bytes((fixtures / name).read_bytes())
    listing = (fixtures / "plate_list.csv").read_text().replace("cell_line", "sampleID")
    (tmp_path / "list.csv").write_text(listing.replace("A375", "PAT7"))
    mapping = (fixtures / "plate_map.csv").read_text().replace("well,name", "pos,name")
    (tmp_path / "map.csv").write_text(mapping)
    out = tmp_path / "screen.tsv"
    args = ["import", "--plate-map", str(tmp_path / "map.csv"), "--plate-list"]
    args += [str(tmp_path / "list.csv"), "--role-map", "pos=vehicle_control"]
    args += ["--role-map", "neg=drug_control", "--grid", "1", "--out", str(out)]
    r = runner.invoke(app, [*args, "--column", "cell_line=sampleID", "--column", "well=pos"])
    assert r.exit_code == 0, r.output
    wells = pd.read_csv(out, sep="\t")
    assert set(wells["cell_line"]) == {"PAT7"} and wells["well"].notna().all()
    r = runner.invoke(app, [*args, "--column", "value=Lum"])
    assert r.exit_code == 3 and "the values come from the grids" in " ".join(r.stderr.split())


def _qc_lines(table: pd.DataFrame, width: int) -> list[str]:
    import io

    from rich.console import Console

    from secretome_rank.cli.run import _qc_table

    console = Console(width=width, record=True, file=io.StringIO())
    console.print(_qc_table(table, width))
    return console.export_text().splitlines()


def test_qc_table_fits_the_terminal_and_never_cuts_a_plate_id():
    import secretome_rank as sr
    from secretome_rank.examples import example_screen_path
    from secretome_rank.normalize import normalize_plates
    from secretome_rank.qc import plate_qc

    qc = plate_qc(*normalize_plates(sr.read_screen(example_screen_path())))
    for width in (40, 50, 56, 66, 80, 100, 200):
        lines = _qc_lines(qc, width)
        assert max(len(line) for line in lines) <= width
        text = "\n".join(lines)
        assert all(plate in text for plate in qc["plate"])  # whole, never 'A375_…'
        assert "…" not in text
    # very narrow: robust Z' (56), then the reason (50) go too, and the caption says so
    at56 = _qc_lines(qc, 56)
    assert "reason" in at56[2] and "robust Z'" not in at56[2]
    at50 = _qc_lines(qc, 50)
    assert "reason" not in at50[2] and "reason" in " ".join(at50[-3:])
    # the example's plate ids spell out line and treatment: those columns go first
    narrow = "\n".join(_qc_lines(qc, 80))
    assert "left out for the terminal's width: treatment, cell line" in narrow
    assert "robust Z'" in narrow and "verdict" in narrow
    wide = _qc_lines(qc, 200)
    assert "cell line" in wide[2] and "edge log2" in wide[2] and "left out" not in "".join(wide)
    # plate ids that do not name line and treatment keep those columns longer
    numbered = qc.assign(plate=[f"P{i}" for i in range(len(qc))])
    text = "\n".join(_qc_lines(numbered, 90))
    assert "cell line" in text and "left out for the terminal's width: edge log2" in text


def test_annotate_finds_the_protein_column_as_read_screen_does(tmp_path):
    # 'Protein' (or 'PROTEIN ') names the protein column, as in a well table; before, only
    # the exact 'protein' did, in the command line and the API
    import secretome_rank as sr

    (tmp_path / "names.csv").write_text("Protein\n001\nHGF\n")
    r = runner.invoke(app, ["annotate", str(tmp_path / "names.csv"), "-f", "tsv"])
    assert r.exit_code == 0, r.output
    rows = [line.split("\t")[:3] for line in r.stdout.splitlines()]
    assert rows == [
        ["Protein", "symbol", "resolution"],
        ["001", "", "unknown"],
        ["HGF", "HGF", "exact"],
    ]
    out = sr.annotate(pd.DataFrame({"PROTEIN ": ["EGF"]}))
    assert out["symbol"].tolist() == ["EGF"] and "PROTEIN " in out.columns
    from secretome_rank.errors import SchemaError

    with pytest.raises(SchemaError, match="no column .protein."):  # two alike: no guess
        sr.annotate(pd.DataFrame({"Protein": ["EGF"], "protein ": ["HGF"]}))


# --- options that were ignored or failed late (a fresh-user audit) --------------------------


def test_default_fills_cellhts2_plates_and_is_refused_for_a_well_table(tmp_path):
    from conftest import SHARED

    folder = SHARED / "real_plates" / "cellhts2" / "KcViabSmall"
    table = tmp_path / "t.csv"
    tiny_table().to_csv(table, index=False)
    r = runner.invoke(app, ["rank", str(table), "--default", "treatment=none", "--out", "o"])
    assert r.exit_code == 3 and "a well table carries cell_line" in r.output
    if not folder.is_dir():
        pytest.skip("../shared/real_plates not available")
    out = tmp_path / "kc.tsv"
    r = runner.invoke(
        app, ["import", "--cellhts2", str(folder), "--default", "treatment=none", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert set(pd.read_csv(out, sep="\t")["treatment"]) == {"none"}
    r = runner.invoke(app, ["qc", "--cellhts2", str(folder), "--default", "foo=bar"])
    assert r.exit_code == 3 and "foo not a plate-level column" in r.output


def test_excel_without_openpyxl_stops_before_any_work(tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "openpyxl" else real_find_spec(name, *a),
    )
    out = tmp_path / "o"
    r = runner.invoke(app, ["demo", "--out", str(out), "--excel"])
    said = " ".join(r.output.split())
    assert r.exit_code == 3 and "results.xlsx: writing Excel needs openpyxl" in said
    assert not out.exists()  # nothing half-written: a rerun needs no --force


def test_plots_without_the_report_and_a_bad_sign_are_usage_errors(tmp_path):
    out = tmp_path / "o"
    r = runner.invoke(app, ["demo", "--out", str(out), "--no-report", "--plots", str(tmp_path)])
    assert r.exit_code == 2 and "--no-report" in r.output and not out.exists()
    table = tmp_path / "t.csv"
    tiny_table().to_csv(table, index=False)
    r = runner.invoke(app, ["rank", str(table), "--out", str(out), "--cellhts2-sign", "2"])
    assert r.exit_code == 2 and "2 is not 1 or -1" in " ".join(r.output.split())


def test_quiet_silences_simulate(tmp_path):
    out = tmp_path / "s.csv"
    args = ["simulate", "--out", str(out), "--cell-lines", "1", "--drugs", "1", "--proteins", "600"]
    loud = runner.invoke(app, args)
    assert loud.exit_code == 0 and "wrote" in loud.stderr and "note: --proteins" in loud.stderr
    quiet = runner.invoke(app, ["-q", *args])
    assert quiet.exit_code == 0 and quiet.stderr == "" and out.exists()


def test_problems_found_while_ranking_name_the_file(tmp_path):
    table = tmp_path / "vehicle_only.csv"
    frame = tiny_table()
    frame.assign(treatment="DMSO").to_csv(table, index=False)
    r = runner.invoke(app, ["rank", str(table), "--out", str(tmp_path / "o")])
    said = " ".join(r.output.split())
    assert r.exit_code == 3 and f"error: {table}: column 'treatment': every plate" in said
    frame.drop(columns="well").to_csv(table, index=False)
    r = runner.invoke(
        app, ["rank", str(table), "--spatial", "bscore", "--out", str(tmp_path / "p")]
    )
    said = " ".join(r.output.split())
    assert r.exit_code == 3 and f"error: {table}: 1 problem(s) found" in said


def test_plots_skipped_with_the_report_say_so(tmp_path, monkeypatch):
    import secretome_rank.cli.run as run

    monkeypatch.setattr(run, "REPORT_AUTO_MAX_WELLS", 10)  # the demo's wells count as "large"
    plots = tmp_path / "figs"
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "o"), "--plots", str(plots)])
    said = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert "report.html and its --plots figures skipped" in said
    assert f"secretome-rank report {tmp_path / 'o'} --plots {plots}" in said
    assert not plots.exists()


def test_cellhts2_default_cell_line_fills_only_the_importers_stand_in(tmp_path):
    # code review: the importer writes 'cells' where the Description has no Celltype, so
    # --default cell_line=... was ignored; a Celltype that is given still wins
    import shutil

    from conftest import ROOT

    folder = tmp_path / "mini"
    shutil.copytree(ROOT / "fixtures" / "imports" / "cellhts2_mini", folder)
    desc = folder / "Description.txt"
    out = tmp_path / "w.tsv"
    args = ["import", "--cellhts2", str(folder), "--role-map", "PosSpike=vehicle_control"]
    args += ["--default", "cell_line=HeLa", "--out", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert set(pd.read_csv(out, sep="\t")["cell_line"]) == {"A375"}  # Celltype: A375 wins
    desc.write_text("\n".join(x for x in desc.read_text().splitlines() if "Celltype" not in x))
    out.unlink()
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert set(pd.read_csv(out, sep="\t")["cell_line"]) == {"HeLa"}
