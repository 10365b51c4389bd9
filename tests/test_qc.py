from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import secretome_rank as sr
from secretome_rank.normalize import normalize_plates
from secretome_rank.qc import plate_qc


def _plate(d_vals, v_vals, samples=(50.0, 52.0, 48.0, 51.0)):
    n_d, n_v = len(d_vals), len(v_vals)
    wells = [f"{chr(65 + i)}01" for i in range(n_d)] + [f"{chr(65 + i)}24" for i in range(n_v)]
    wells += [f"{chr(65 + i)}10" for i in range(len(samples))]
    return pd.DataFrame(
        {
            "plate": "P",
            "well": wells,
            "value": [*d_vals, *v_vals, *samples],
            "role": ["drug_control"] * n_d + ["vehicle_control"] * n_v + ["sample"] * len(samples),
            "protein": [None] * (n_d + n_v) + [f"X{i}" for i in range(len(samples))],
        }
    )


def test_z_prime_by_hand():
    d = [10.0, 12.0, 11.0, 9.0, 13.0]
    v = [100.0, 96.0, 104.0, 98.0, 102.0]
    scored, params = normalize_plates(sr.read_screen(_plate(d, v)))
    q = plate_qc(scored, params).iloc[0]
    zp = 1 - 3 * (np.std(v, ddof=1) + np.std(d, ddof=1)) / abs(np.mean(v) - np.mean(d))
    mad = lambda a: 1.4826 * np.median(np.abs(np.array(a) - np.median(a)))  # noqa: E731
    rzp = 1 - 3 * (mad(v) + mad(d)) / abs(np.median(v) - np.median(d))
    assert q["z_prime"] == pytest.approx(zp)
    assert q["robust_z_prime"] == pytest.approx(rzp)
    assert q["cv_drug_pct"] == pytest.approx(100 * np.std(d, ddof=1) / np.mean(d))
    sw = (abs(np.mean(v) - np.mean(d)) - 3 * (np.std(v, ddof=1) + np.std(d, ddof=1))) / np.std(
        v, ddof=1
    )
    assert q["signal_window"] == pytest.approx(sw)
    assert q["verdict"] == "pass"


def test_overlapping_controls_fail():
    scored, params = normalize_plates(sr.read_screen(_plate([10, 50, 90, 30], [40, 100, 60, 20])))
    q = plate_qc(scored, params).iloc[0]
    assert q["verdict"] == "fail" and "do not separate" in q["reason"]


def test_edge_effect_detected():
    # drug controls in column 1 (edge) read 40 % lower than those in column 2
    df = _plate([10, 10, 10, 10], [100, 100, 100, 100])
    extra = pd.DataFrame(
        {
            "plate": "P",
            "well": ["C02", "D02", "E02", "F02"],
            "value": [16.0, 17.0, 16.5, 16.0],
            "role": "drug_control",
            "protein": None,
        }
    )
    df = pd.concat([df, extra], ignore_index=True)
    df.loc[df["well"].isin(["A01", "B01", "C01", "D01"]), "well"] = ["C01", "D01", "E01", "F01"]
    scored, params = normalize_plates(sr.read_screen(df))
    q = plate_qc(scored, params).iloc[0]
    assert q["edge_vs_centre_log2"] == pytest.approx(np.log2(10 / 16.25))
    assert "edge" in q["reason"]


def test_qc_on_simulated_screen(small_screen):
    wells, _ = small_screen
    scored, params = normalize_plates(sr.read_screen(wells))
    q = plate_qc(scored, params)
    assert len(q) == wells["plate"].nunique()
    assert set(q["verdict"]) <= {"pass", "warn", "fail"}
    assert (q["replicate_r"].dropna() > 0.3).all()
    assert q["robust_z_prime"].median() > 0.3
