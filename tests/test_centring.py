"""Centre of the test value: the off-centre note and ``centre="inactive"``."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import secretome_rank as sr
from secretome_rank.centring import OFF_CENTRE_T, centre_on_inactive, off_centre
from secretome_rank.cli import app
from secretome_rank.hits import protein_stats

KEY = ["cell_line", "treatment", "protein"]


def _screen(n_toxic, seed=100):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sr.simulate_screen(
            seed=seed, n_proteins=300, cell_lines=("A375", "SKMEL28"), n_toxic=n_toxic
        )


def _null_p05(result, truth):
    """Share of exact nulls (true rescue 0) with p < 0.05: 0.05 when calibrated."""
    h = result.hits.merge(truth[[*KEY, "true_rescue_pct"]], on=KEY)
    null = h[(h["true_rescue_pct"] == 0) & h["p_value"].notna()]
    assert len(null) > 300
    return float((null["p_value"] < 0.05).mean())


@pytest.fixture(scope="module")
def toxic_screen():
    return _screen(n_toxic=75)  # 25 % of the library kills the cells


def test_many_toxic_proteins_are_noted_and_centre_inactive_recalibrates(toxic_screen):
    wells, truth = toxic_screen
    plain = sr.rank_screen(wells)
    note = [n for n in plain.notes if "sit off the library median" in n]
    assert len(note) == 1 and "--centre inactive" in note[0]
    assert _null_p05(plain, truth) > 0.12  # the median sits below the inactive proteins
    fixed = sr.rank_screen(wells, centre="inactive")
    assert not any("sit off the library median" in n for n in fixed.notes)
    assert any("centred on the proteins found inactive" in n for n in fixed.notes)
    assert 0.02 <= _null_p05(fixed, truth) <= 0.08
    shift, _, n = off_centre(
        protein_stats(fixed.wells), alternative="greater", adjust="bh", fdr=0.05
    )
    assert n > 0 and shift < OFF_CENTRE_T / 2


def test_default_library_has_no_note_and_barely_moves():
    wells, _ = _screen(n_toxic=8)
    plain = sr.rank_screen(wells)
    assert not any("sit off the library median" in n for n in plain.notes)
    shift, n_off, n = off_centre(
        protein_stats(plain.wells), alternative="greater", adjust="bh", fdr=0.05
    )
    assert n == 4 and n_off == 0 and shift < 0.1
    _, moved = centre_on_inactive(plain.wells)
    assert moved.abs().max() < 0.02
    fixed = sr.rank_screen(wells, centre="inactive")
    a = plain.hits.set_index(KEY)["is_hit"]
    b = fixed.hits.set_index(KEY)["is_hit"].reindex(a.index)
    assert (a != b).sum() <= 2


def test_recentred_test_value_is_log2_ratio_minus_the_inactive_median(toxic_screen):
    wells, _ = toxic_screen
    scored = sr.rank_screen(wells).wells
    new, moved = centre_on_inactive(scored)
    drug = (new["arm"] == "drug").to_numpy() & (new["role"] == "sample").to_numpy()
    centre = (
        (new["log2_ratio"] - new["test_value"])[drug]
        .groupby(new["plate"][drug])
        .agg(["min", "max"])
    )
    np.testing.assert_allclose(centre["min"], centre["max"], atol=1e-12)  # one per plate
    old_centre = (
        (scored["log2_ratio"] - scored["test_value"])[drug].groupby(scored["plate"][drug]).first()
    )
    np.testing.assert_allclose(
        (centre["min"] - old_centre).to_numpy(), moved.reindex(centre.index).to_numpy(), atol=1e-12
    )
    assert moved.median() > 0.01  # toxic proteins had pulled the median down
    # the new centre is the median of the inactive proteins' wells: about half of them lie
    # above it, against well over half above the library median
    st = protein_stats(new, alternative="two-sided")
    inactive = st.loc[st["q_value"] > 0.05, KEY].astype(object)
    keys = pd.MultiIndex.from_frame(new[KEY].astype(object))
    inact = drug & np.asarray(keys.isin(pd.MultiIndex.from_frame(inactive)))
    assert abs((new.loc[inact, "test_value"] > 0).mean() - 0.5) < 0.03
    assert (scored.loc[inact, "test_value"] > 0).mean() > 0.55
    vehicle = (new["arm"] == "vehicle").to_numpy()
    pd.testing.assert_series_equal(new["test_value"][vehicle], scored["test_value"][vehicle])


def test_centre_option_is_checked():
    wells, _ = _screen(n_toxic=8)
    with pytest.raises(sr.SecretomeRankError, match="centre='middle': expected one of"):
        sr.rank_screen(wells, centre="middle")
    with pytest.raises(sr.SecretomeRankError, match="normalization='cellhts2' tests"):
        sr.rank_screen(wells, centre="inactive", normalization="cellhts2")


def test_cli_centre_inactive(tmp_path, toxic_screen):
    wells, _ = toxic_screen
    path = tmp_path / "screen.csv"
    wells.to_csv(path, index=False)
    out = tmp_path / "o"
    args = ["-q", "rank", str(path), "--out", str(out)]
    r = CliRunner().invoke(app, [*args, "--centre", "inactive"])
    assert r.exit_code == 0, r.output
    info = json.loads((out / "run.json").read_text())
    assert info["parameters"]["centre"] == "inactive"
    assert any("centred on the proteins found inactive" in n for n in info["notes"])
    r = CliRunner().invoke(app, [*args, "--force"])
    assert r.exit_code == 0, r.output
    info = json.loads((out / "run.json").read_text())
    assert any("--centre inactive" in n for n in info["notes"])


def test_plates_excluded_after_qc_stay_out_of_the_centring():
    # the centre is fitted after --exclude-failed: excluded plates keep no test value and
    # do not vote on which proteins are inactive
    wells, _ = sr.simulate_screen(seed=0, n_proteins=40)
    res = sr.rank_screen(wells, exclude_failed=True, centre="inactive")
    failed = res.qc.loc[res.qc["verdict"] == "fail", "plate"]
    drug_failed = res.qc.loc[(res.qc["verdict"] == "fail") & (res.qc["arm"] == "drug"), "plate"]
    assert len(drug_failed) >= 1
    on_failed = res.wells["plate"].isin(failed).to_numpy()
    assert res.wells.loc[on_failed, "test_value"].isna().all()
    sample = (res.wells["role"] == "sample").to_numpy() & ~on_failed
    assert res.wells.loc[sample, "test_value"].notna().mean() > 0.95
    # the function itself keeps a missing test value missing (it re-derived it from the
    # log2 ratio before)
    scored = sr.rank_screen(wells).wells
    plate = scored.loc[scored["arm"] == "drug", "plate"].iloc[0]
    cut = scored.assign(test_value=scored["test_value"].where(scored["plate"] != plate))
    new, moved = centre_on_inactive(cut)
    assert new.loc[new["plate"] == plate, "test_value"].isna().all()
    assert plate not in moved.index
