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


# --- plates that are copies of another --------------------------------------------------


def _copied(seed=3):
    """A small simulated screen (one line, one drug) and its wells, read."""
    wells, _ = sr.simulate_screen(seed=seed, n_proteins=60, cell_lines=1, drugs=("vem",))
    return sr.read_screen(wells)


def _copy_values(w, src, dst):
    w = w.copy()
    w.loc[w["plate"] == dst, "value"] = w.loc[w["plate"] == src, "value"].to_numpy()
    return w


def test_copied_plates_named_once_per_group():
    from secretome_rank.qc import copied_plates

    w = _copied()
    assert copied_plates(w) == []
    plates = list(dict.fromkeys(w["plate"].astype(str)))
    src = plates[0]
    w2 = _copy_values(_copy_values(w, src, plates[2]), src, plates[4])
    assert copied_plates(w2) == [[src, plates[2], plates[4]]]
    # the same readouts in another row order (a sorted export) are still a copy: wells match
    shuffled = w2.sample(frac=1.0, random_state=1)
    (group,) = copied_plates(shuffled)
    assert sorted(group) == sorted([src, plates[2], plates[4]])


def test_near_copies_and_uninformative_plates_are_not_copies():
    from secretome_rank.qc import MIN_COPY_WELLS, copied_plates

    w = _copied()
    plates = list(dict.fromkeys(w["plate"].astype(str)))
    w2 = _copy_values(w, plates[0], plates[1])
    one = np.flatnonzero((w2["plate"] == plates[1]).to_numpy())[7]
    w2.loc[w2.index[one], "value"] += 0.1  # one well differs
    assert copied_plates(w2) == []
    w3 = _copy_values(w, plates[0], plates[1])
    w3.loc[w3.index[one], "value"] = np.nan  # a well missing on one plate only
    assert copied_plates(w3) == []
    w4 = w.copy()  # two plates with one value in every well: nothing to tell apart
    w4.loc[w4["plate"].isin(plates[:2]), "value"] = 1000.0
    assert copied_plates(w4) == []
    small = pd.DataFrame(
        {
            "plate": ["A"] * (MIN_COPY_WELLS - 1) + ["B"] * (MIN_COPY_WELLS - 1),
            "value": list(range(1, MIN_COPY_WELLS)) * 2,
            "role": "sample",
            "protein": [f"X{i}" for i in range(MIN_COPY_WELLS - 1)] * 2,
            "treatment": "vem",
        }
    )
    assert copied_plates(sr.read_screen(small, missing_controls="robust_z")) == []


def test_copies_without_well_ids_match_by_row_order():
    from secretome_rank.qc import copied_plates

    n = 40
    vals = np.arange(1.0, n + 1)
    table = pd.DataFrame(
        {
            "plate": ["A"] * n + ["B"] * n + ["C"] * n,
            "value": np.r_[vals, vals, vals[::-1]],  # C: the same values, another order
            "role": "sample",
            "protein": [f"X{i}" for i in range(n)] * 3,
            "treatment": "vem",
        }
    )
    assert copied_plates(sr.read_screen(table, missing_controls="robust_z")) == [["A", "B"]]


def test_rank_screen_warns_and_notes_copied_replicates():
    w = _copied()
    plates = list(dict.fromkeys(w["plate"].astype(str)))
    rep1 = [p for p in plates if "_R1_" in p]
    w2 = w
    for p in rep1:
        for rep in ("_R2_", "_R3_"):
            w2 = _copy_values(w2, p, p.replace("_R1_", rep))
    with pytest.warns(UserWarning) as record:
        result = sr.rank_screen(w2)
    messages = [str(r.message) for r in record]
    copies = [m for m in messages if "hold the same readout in every well" in m]
    assert len(copies) == 1 and rep1[0] in copies[0]
    assert copies[0] in result.notes
    # limma's warning, said once although the interaction fits the same zeros again
    assert sum("residual variances are exactly 0" in m for m in messages) == 1
