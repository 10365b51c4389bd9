"""Edge cases in one place (STYLE section 8), including the crashes bench/fuzz.py found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_table

import secretome_rank as sr
from secretome_rank.errors import SecretomeRankError
from secretome_rank.layout import parse_wells


def test_parse_wells_all_malformed_does_not_crash():
    # found by bench/fuzz.py: a plate map whose well column holds no letter+number id
    parsed = parse_wells(pd.Series(["7", "xx", None, "", "０1"]))
    assert not parsed["ok"].any() and parsed["row"].isna().all()


def test_grid_header_with_superscript_digit_is_not_a_grid(tmp_path):
    # found by bench/fuzz.py: '0²' passed str.isdigit() but not int()
    from secretome_rank.importers import read_grid_file

    header = ";" + ";".join(f"{i:02d}" for i in range(1, 12)) + ";0\u00b2"
    rows = [f"{r};" + ";".join("1" for _ in range(12)) for r in "ABCDEFGH"]
    p = tmp_path / "g.txt"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(SecretomeRankError):
        read_grid_file(p)


def test_plate_with_all_readings_missing():
    df = tiny_table()
    extra = tiny_table()
    extra["plate"] = "P2"
    extra["value"] = np.nan
    with (
        pytest.warns(UserWarning, match="no protein could be tested"),
        pytest.warns(UserWarning, match="1 plate.s. without the controls that anchor them"),
    ):
        res = sr.rank_screen(sr.read_screen(pd.concat([df, extra], ignore_index=True)))
    qc = res.qc.set_index("plate")
    assert qc.loc["P2", "verdict"] == "fail" and "no sample readings" in qc.loc["P2", "reason"]
    assert set(res.hits["protein"]) == {"HGF", "IL6", "CCL2"}


def test_protein_absent_from_receptor_table_is_listed():
    df = tiny_table()
    df.loc[6, "protein"] = "Mystery factor 9"
    with pytest.warns(UserWarning, match="no protein could be tested"):
        hits = sr.rank_screen(sr.read_screen(df)).hits
    row = hits[hits["protein"] == "Mystery factor 9"].iloc[0]
    assert row["resolution"] == "unknown" and row["receptor_status"] == "unknown_name"
    assert not row["receptors"]


def test_single_sample_well_per_protein_ranked_without_p():
    # a warning a notebook shows (a log record was not)
    with pytest.warns(UserWarning, match="no protein could be tested"):
        hits = sr.rank_screen(sr.read_screen(tiny_table())).hits
    assert hits["p_value"].isna().all()
    assert hits["rank"].tolist() == [1, 2, 3]
    assert hits.iloc[0]["protein"] == "HGF"  # largest rescue first when nothing is testable


def test_unknown_options_are_config_errors():
    with pytest.raises(SecretomeRankError, match="expected one of"):
        sr.rank_screen(sr.read_screen(tiny_table()), test="anova")
    with pytest.raises(SecretomeRankError, match="fdr"):
        sr.rank_screen(sr.read_screen(tiny_table()), fdr=2.0)
