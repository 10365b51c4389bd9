from __future__ import annotations

import numpy as np
import pytest
from conftest import read_ref, tiny_table

import secretome_rank as sr
from secretome_rank.normalize import median_polish, normalize_plates


@pytest.mark.parametrize("name,shape", [("medpolish", (16, 24)), ("medpolish96", (8, 12))])
def test_median_polish_matches_r(name, shape):
    inp = read_ref(f"{name}_input.tsv")
    x = np.full(shape, np.nan)
    x[inp["row"] - 1, inp["col"] - 1] = inp["value"]
    overall, row, col, resid = median_polish(x)
    eff = read_ref(f"{name}_effects.tsv")
    assert float(overall) == pytest.approx(
        eff.loc[eff["kind"] == "overall", "effect"].iloc[0], rel=1e-10
    )
    np.testing.assert_allclose(row, eff.loc[eff["kind"] == "row", "effect"], atol=1e-10)
    np.testing.assert_allclose(col, eff.loc[eff["kind"] == "col", "effect"], atol=1e-10)
    exp = read_ref(f"{name}_expected.tsv")
    ours = resid[exp["row"] - 1, exp["col"] - 1]
    assert np.array_equal(np.isnan(ours), exp["residual"].isna())
    np.testing.assert_allclose(ours, exp["residual"], atol=1e-10)
    # B-score = residual / R mad(residual)
    med = np.nanmedian(resid)
    mad = 1.4826 * np.nanmedian(np.abs(resid - med))
    np.testing.assert_allclose(ours / mad, exp["bscore"], atol=1e-8)


def test_many_plates_at_once_equal_one_by_one():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 8, 12)) + np.arange(12) * 0.3
    x[0, 2, 3] = np.nan
    _, _, _, together = median_polish(x)
    for i in range(5):
        np.testing.assert_allclose(median_polish(x[i])[3], together[i], atol=1e-12)


def test_rescue_and_log2_by_hand():
    wells = sr.read_screen(tiny_table())
    scored, params = normalize_plates(wells)
    d, v = 11.0, 102.0
    s = scored.set_index("well")
    assert s.loc["C05", "rescue_pct"] == pytest.approx(100 * (50 - d) / (v - d))
    assert s.loc["C05", "log2_ratio"] == pytest.approx(np.log2(50 / d))
    # test value is centred on the plate's library median (here the IL6 well)
    assert s.loc["C05", "test_value"] == pytest.approx(np.log2(50 / 11.0))
    assert s.loc["C06", "test_value"] == pytest.approx(0.0)
    assert params.loc[0, "drug_median"] == d and params.loc[0, "vehicle_median"] == v


def test_plate_scale_invariance(small_screen):
    wells, _ = small_screen
    w2 = wells.copy()
    first = w2["plate"] == w2["plate"].iloc[0]
    w2.loc[first, "value"] *= 7.3
    a, _ = normalize_plates(sr.read_screen(wells))
    b, _ = normalize_plates(sr.read_screen(w2))
    np.testing.assert_allclose(a["rescue_pct"], b["rescue_pct"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a["test_value"], b["test_value"], atol=1e-9)


def test_growth_on_vehicle_plates(small_screen):
    wells, _ = small_screen
    scored, _ = normalize_plates(sr.read_screen(wells))
    veh = scored[scored["arm"] == "vehicle"]
    assert veh["growth_log2"].notna().any() and veh["log2_ratio"].isna().all()
    ctrl = veh[veh["role"] == "vehicle_control"]
    assert abs(ctrl["growth_log2"].median()) < 0.05


def test_robust_z_fallback_without_controls():
    df = tiny_table()
    df = df[df["role"] == "sample"].copy()
    df["role"] = "sample"
    with pytest.raises(sr.SecretomeRankError, match="missing-controls"):
        sr.read_screen(df)
    wells = sr.read_screen(df, missing_controls="robust_z")
    with pytest.warns(UserWarning, match="scored against their library median"):
        scored, params = normalize_plates(wells)
    assert params.loc[0, "norm_method"] == "sample_median"
    assert scored["rescue_pct"].isna().all()
    assert "no_drug_controls" in scored["flags"].iloc[0]


def test_bscore_removes_column_gradient(small_screen):
    wells, _ = small_screen
    w = wells.copy()
    w["value"] = w["value"] * np.exp(0.05 * w["well"].str[1:].astype(int))
    scored, _ = normalize_plates(sr.read_screen(w), spatial="bscore")
    s = scored[(scored["role"] == "sample") & (scored["arm"] == "drug")]
    col = s["col"].astype(float).to_numpy()
    slope_raw = np.polyfit(col, np.log(s["value"].clip(lower=1)), 1)[0]
    slope_corr = np.polyfit(col, s["test_value"].fillna(0), 1)[0]
    assert slope_raw > 0.04 and abs(slope_corr) < 0.01
    assert s["bscore"].notna().mean() > 0.9


def test_drug_controls_reading_zero_keep_the_plate_in_the_test(small_screen):
    # background-subtracted data of a complete kill: the drug controls read 0. The plate kept
    # log2 ratios of +inf and NaN test values (dropped from the test without a word) and a
    # numpy RuntimeWarning; the test value is centred on the library median, so it needs no D
    wells, _ = small_screen
    plate = wells.loc[wells["role"] == "drug_control", "plate"].iloc[0]
    zero = wells.copy()
    zero.loc[(zero["plate"] == plate) & (zero["role"] == "drug_control"), "value"] = 0.0
    with pytest.warns(UserWarning, match=r"1 plate\(s\) whose anchoring controls read 0"):
        scored, params = normalize_plates(sr.read_screen(zero))
    before, _ = normalize_plates(sr.read_screen(wells))
    on = (scored["plate"] == plate).to_numpy()
    sample = on & (scored["role"] == "sample").to_numpy()
    assert np.isfinite(scored.loc[on, "log2_ratio"]).all()
    assert np.isfinite(scored.loc[sample, "test_value"]).all()
    np.testing.assert_allclose(
        scored.loc[sample, "test_value"], before.loc[sample, "test_value"], atol=1e-12
    )
    # % rescue still runs from the drug controls (0) to the vehicle controls
    v = params.set_index("plate").loc[plate, "vehicle_median"]
    x = scored.loc[sample, "value"].to_numpy()
    np.testing.assert_allclose(scored.loc[sample, "rescue_pct"], 100 * x / v)
