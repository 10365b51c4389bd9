from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
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
    assert info["parameters"]["fdr"] == 0.05 and len(info["inputs"][0]["sha256"]) == 64
    assert "rescuer" in r.stdout


def test_rank_tsv_and_json_to_stdout(tmp_path, small_screen):
    wells, _ = small_screen
    p = tmp_path / "s.csv"
    wells.to_csv(p, index=False)
    r = runner.invoke(app, ["rank", str(p), "--out", str(tmp_path / "o"), "--format", "tsv"])
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0].startswith("cell_line\ttreatment\tprotein")
    r = runner.invoke(app, ["rank", str(p), "--out", str(tmp_path / "o2"), "--format", "json", "--test", "welch"])
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


def test_column_option(tmp_path):
    df = tiny_table().rename(columns={"value": "Lum"})
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    r = runner.invoke(app, ["rank", str(p), "--column", "value=Lum", "--out", str(tmp_path / "o"), "-f", "tsv"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["rank", str(p), "--column", "valueLum", "--out", str(tmp_path / "o")])
    assert r.exit_code == 3


def test_usage_error_exit_2():
    r = runner.invoke(app, ["rank"])
    assert r.exit_code == 2


def test_qc_and_simulate(tmp_path):
    out = tmp_path / "sim.csv"
    r = runner.invoke(app, ["simulate", "--out", str(out), "--proteins", "50", "--cell-lines", "1", "--drugs", "1",
                            "--truth", str(tmp_path / "truth.tsv")])
    assert r.exit_code == 0
    r = runner.invoke(app, ["qc", str(out), "--format", "tsv"])
    assert r.exit_code == 0
    qc = r.stdout.splitlines()
    assert qc[0].startswith("plate\t") and len(qc) == 1 + pd.read_csv(out)["plate"].nunique()


def test_subprocess_smoke(tmp_path):
    r = subprocess.run([sys.executable, "-m", "secretome_rank", "demo", "--out", str(tmp_path / "d"), "-f", "tsv"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) > 1000
