"""Hit-calling accuracy on simulated screens with known answers.

    python bench/accuracy.py [--seeds 5]

For each seed, simulates the default screen (2 cell lines x 2 drugs + vehicle arm, 3
replicates, ~490 proteins, controls in the outer columns with edge loss and gradients) and
scores, per drug context:

- truth: a protein truly rescues when its expected rescue (truth ``true_rescue_pct``) is
  >= 20 % (rescuers and strong mitogens alike: both raise drug-arm viability); it is null
  when its expected rescue is <= 0 (inactive or toxic proteins);
- precision and recall of hit calls against "truly rescues", and the empirical FDR =
  calls whose truth is null / calls (what BH controls);
- AUPRC of the ranking score (average precision over all contexts pooled).

Methods: ours (default: moderated t on library-centred log2 ratios, BH, min rescue 20 %);
baseline A: per-well robust z of raw values (plate median/MAD of samples) averaged over
replicates, hit when mean z > 3; baseline B: Welch t-test of log2 ratios against the
context's drug controls, BH, hit when q <= 0.05 (no effect-size filter).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import secretome_rank as sr

KEY = ["cell_line", "treatment", "protein"]


def average_precision(score: np.ndarray, positive: np.ndarray) -> float:
    order = np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")
    pos = positive[order]
    tp = np.cumsum(pos)
    precision = tp / np.arange(1, pos.size + 1)
    return float(np.sum(precision * pos) / max(pos.sum(), 1))


def robust_z_baseline(wells: pd.DataFrame) -> pd.DataFrame:
    w = wells[(wells["role"] == "sample") & (wells["treatment"] != "DMSO")].copy()
    g = w.groupby("plate")["value"]
    med = g.transform("median")
    mad = (w["value"] - med).abs().groupby(w["plate"]).transform("median") * 1.4826
    w["z"] = (w["value"] - med) / mad
    out = w.groupby(KEY, observed=True)["z"].mean().rename("score").reset_index()
    out["call"] = out["score"] > 3
    return out


def evaluate(calls: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    m = truth.merge(calls, on=KEY, how="left")
    m["call"] = m["call"].fillna(False).astype(bool)
    pos = (m["true_rescue_pct"] >= 20).to_numpy()
    null = (m["true_rescue_pct"] <= 0).to_numpy()
    c = m["call"].to_numpy()
    n_calls = int(c.sum())
    return {
        "calls": n_calls,
        "precision": float((c & pos).sum() / max(n_calls, 1)),
        "recall": float((c & pos).sum() / max(pos.sum(), 1)),
        "fdr": float((c & null).sum() / max(n_calls, 1)),
        "auprc": average_precision(m["score"].to_numpy(dtype=float), pos),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for seed in range(args.seeds):
        wells, truth = sr.simulate_screen(seed=100 + seed)
        ours = sr.rank_screen(wells).hits
        ours = ours.assign(call=ours["is_hit"], score=ours["t"])[[*KEY, "call", "score"]]
        # the baseline's call is q <= 0.05 alone (below), so min_rescue plays no part
        welch = sr.rank_screen(wells, test="welch").hits
        welch = welch.assign(call=welch["q_value"] <= 0.05, score=welch["t"])[
            [*KEY, "call", "score"]
        ]
        rz = robust_z_baseline(wells)
        for name, calls in (
            ("ours (moderated t)", ours),
            ("robust z > 3", rz),
            ("Welch vs controls + BH", welch),
        ):
            rows.append({"seed": 100 + seed, "method": name, **evaluate(calls, truth)})
    res = pd.DataFrame(rows)
    pd.set_option("display.width", 120)
    print(res.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print("\nmean over seeds:")
    print(
        res.groupby("method", sort=False)[["calls", "precision", "recall", "fdr", "auprc"]]
        .mean()
        .to_string(float_format=lambda x: f"{x:.3f}")
    )


if __name__ == "__main__":
    main()
