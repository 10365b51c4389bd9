"""The bad-input corpus (tests/bad_inputs, made by make_corpus.py): every broken file gives
exit code 3, its one expected message, no traceback, and no output folder."""

from __future__ import annotations

import csv
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from secretome_rank.cli import app

HERE = Path(__file__).resolve().parent / "bad_inputs"
with (HERE / "expected.tsv").open(encoding="utf-8") as handle:
    CASES = list(csv.DictReader(handle, delimiter="\t"))


def test_corpus_is_large_and_distinct():
    assert len(CASES) >= 25
    assert len({c["message"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert case["file"] == "-" or (HERE / case["file"]).exists(), case["file"]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['file']}{' ' + c['args'] if c['args'] else ''}" for c in CASES]
)
def test_bad_input_gives_one_clear_message(case, tmp_path, monkeypatch):
    monkeypatch.chdir(HERE)
    out = tmp_path / "out"
    args = [
        "rank",
        *([] if case["file"] == "-" else [case["file"]]),
        *shlex.split(case["args"]),
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, (result.exit_code, result.output, result.exception)
    err = " ".join(result.stderr.split())
    assert case["message"] in err, err
    assert err.startswith("error:") and "Traceback" not in result.output + result.stderr
    assert not out.exists()
