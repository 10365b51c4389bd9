"""Receptor ranking on integer codes: hand-made expected rows and oracle tests of the kernels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secretome_rank.multitest import adjust_pvalues
from secretome_rank.receptors import (
    combine_pvalues_grouped,
    rank_receptor_families,
    rank_receptors,
    rank_receptors_and_families,
)
from secretome_rank.receptors.grouping import (
    join_runs,
    repeat_pairs,
    stable_order,
    text_codes,
)

RESOURCE = pd.DataFrame(
    {
        "ligand": ["PDGFA", "PDGFB", "PDGFB", "FGF2", "FGF7", "FGF7", "FGF10", "HGF"],
        "receptor": ["PDGFRA", "PDGFRA", "PDGFRB", "FGFR1", "FGFR1", "FGFR2", "FGFR1", "MET"],
    }
)


def _hits() -> pd.DataFrame:
    nan = np.nan
    return pd.DataFrame(
        {
            "cell_line": ["A"] * 5 + ["B"] * 2,
            "treatment": ["drug"] * 7,
            "protein": ["PDGF-AB", "bFGF", "KGF", "FGF-10", "HGF", "HGF", "KGF"],
            # PDGF-AB reaches PDGFRA through both of its symbols: one ligand, not two
            "symbol": ["PDGFA;PDGFB", "FGF2", "FGF7", "FGF10", "HGF", "HGF", "FGF7"],
            "p_value": [0.01, 0.01, nan, 0.01, 0.2, 0.001, 0.04],
            "q_value": [0.02, 0.02, nan, 0.02, 0.3, 0.002, 0.08],
            "is_hit": [True, True, False, True, False, True, False],
            # bFGF and FGF-10 tie on q, p and rescue: the name decides ("FGF-10" < "bFGF")
            "rescue_pct": [50.0, 60.0, nan, 60.0, 5.0, 70.0, 10.0],
        }
    )


def test_receptor_rows_ties_nan_and_two_symbols() -> None:
    out = rank_receptors(_hits(), resource=RESOURCE)
    a = out[out["cell_line"] == "A"].set_index("receptor")
    # FGFR1, PDGFRA, PDGFRB tie on combined q and p; more hit ligands, then the name decide
    assert a.index.tolist() == ["FGFR1", "PDGFRA", "PDGFRB", "MET", "FGFR2"]
    assert a["rank"].tolist() == [1, 2, 3, 4, 5]
    assert a["n_ligands"].tolist() == [3, 1, 1, 1, 1]
    assert a["n_tested"].tolist() == [2, 1, 1, 1, 0]
    assert a["n_hit_ligands"].tolist() == [2, 1, 1, 0, 0]
    assert a.loc["FGFR1", "ligands"] == "FGF-10;bFGF;KGF"
    assert a.loc["FGFR1", "hit_ligands"] == "FGF-10;bFGF"
    assert a["best_ligand"].tolist() == ["FGF-10", "PDGF-AB", "PDGF-AB", "HGF", "KGF"]
    assert a.loc["FGFR2", "hit_ligands"] == "" and np.isnan(a.loc["FGFR2", "best_q_value"])
    np.testing.assert_allclose(a["best_rescue_pct"], [60.0, 50.0, 50.0, 5.0, np.nan])
    # Simes of (0.01, 0.01) = 0.01; BH over the 4 receptors with a p-value (NaN not counted)
    np.testing.assert_allclose(a["combined_p"], [0.01, 0.01, 0.01, 0.2, np.nan])
    np.testing.assert_allclose(a["combined_q"], [0.04 / 3] * 3 + [0.2, np.nan])
    assert a["is_receptor_hit"].tolist() == [True, True, True, False, False]
    assert a["receptor_family"].tolist() == ["FGFR", "PDGFR", "PDGFR", "MET", "FGFR"]
    b = out[out["cell_line"] == "B"].set_index("receptor")
    assert b.index.tolist() == ["MET", "FGFR1", "FGFR2"]  # FGFR1/2 tie on all: name order
    np.testing.assert_allclose(b["combined_q"], [0.003, 0.04, 0.04])
    assert out["cell_line"].dtype == "category" and out["ligands"].dtype == object
    assert out.index.equals(pd.RangeIndex(len(out)))


def test_family_rows_ties_and_receptor_lists() -> None:
    out = rank_receptor_families(_hits(), resource=RESOURCE)
    a = out[out["cell_line"] == "A"].set_index("receptor_family")
    assert a.index.tolist() == ["FGFR", "PDGFR", "MET"]
    assert a["receptors"].tolist() == ["FGFR1;FGFR2", "PDGFRA;PDGFRB", "MET"]
    assert a["n_receptors"].tolist() == [2, 2, 1]
    assert a["n_ligands"].tolist() == [3, 1, 1]
    assert a.loc["FGFR", "ligands"] == "FGF-10;bFGF;KGF"
    assert a["summary"].tolist() == [
        "FGFR: 2 of 3 ligands hit",
        "PDGFR: 1 of 1 ligands hit",
        "MET: 0 of 1 ligands hit",
    ]
    np.testing.assert_allclose(a["combined_q"], [0.015, 0.015, 0.2])
    assert a["rank"].tolist() == [1, 2, 3]


def test_one_pass_equals_separate_calls_and_row_order_is_irrelevant() -> None:
    hits = _hits()
    rec, fam = rank_receptors_and_families(hits, resource=RESOURCE, method="fisher")
    shuffled = hits.sample(frac=1.0, random_state=3).set_index(np.arange(len(hits)) * 7)
    pd.testing.assert_frame_equal(rec, rank_receptors(shuffled, resource=RESOURCE, method="fisher"))
    pd.testing.assert_frame_equal(
        fam, rank_receptor_families(shuffled, resource=RESOURCE, method="fisher")
    )


def test_stable_order_matches_lexsort() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(0, 60))
        keys = (
            rng.choice([0, 1, 70_000, -3], n),
            rng.choice([np.nan, -0.0, 0.0, 1e-300, 0.5, -2.0, np.inf, -np.inf], n),
            rng.integers(-5, 5, n),
            rng.random(n),
        )
        np.testing.assert_array_equal(stable_order(*keys), np.lexsort(keys[::-1]))


def _random_hits(seed: int) -> pd.DataFrame:
    """Hits of every resource ligand in 6 contexts, p-values with ties, zeros, ones and NaN."""
    rng = np.random.default_rng(seed)
    ligands = RESOURCE["ligand"].unique()
    n = 6 * ligands.size
    p = rng.choice([0.0, 0.001, 0.01, 0.01, 0.2, 1.0, np.nan], n)
    return pd.DataFrame(
        {
            "cell_line": np.repeat(["A", "B", "C"], 2 * ligands.size),
            "treatment": np.tile(np.repeat(["drug", "none"], ligands.size), 3),
            "protein": np.tile(ligands, 6),
            "p_value": p,
            "q_value": adjust_pvalues(p),
            "is_hit": p < 0.05,
            "rescue_pct": rng.choice([10.0, 50.0, np.nan], n),
        }
    )


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("method", ["simes", "fisher"])
def test_combined_q_is_adjust_pvalues_per_context(seed: int, method: str) -> None:
    # the ranking's grouped BH (multitest.bh_grouped) gives each context what adjust_pvalues gives
    rec, fam = rank_receptors_and_families(_random_hits(seed), resource=RESOURCE, method=method)
    for out in (rec, fam):
        for _, ctx in out.groupby(["cell_line", "treatment"], observed=True):
            np.testing.assert_array_equal(
                ctx["combined_q"].to_numpy(), adjust_pvalues(ctx["combined_p"].to_numpy())
            )


def test_simes_sorted_input_equals_unsorted_input() -> None:
    rng = np.random.default_rng(2)
    groups = np.sort(rng.integers(0, 50, 400))
    p = rng.choice([0.001, 0.01, 0.05, 0.3, np.nan], 400)
    order = stable_order(groups, p)
    shuffle = rng.permutation(400)
    np.testing.assert_array_equal(
        combine_pvalues_grouped(p[order], groups[order]),
        combine_pvalues_grouped(p[shuffle], groups[shuffle]),
    )


def test_join_runs_and_repeat_pairs() -> None:
    names = np.array(["a", "b", "c"], dtype=object)
    codes, run = np.array([2, 1, 0, 0]), np.array([0, 0, 2, 3])
    assert join_runs(names, codes, run, 5).tolist() == ["c;b", "", "a", "a", ""]
    rows, pairs = repeat_pairs(
        np.array([2, 0]), np.array([2, 0, 1]), np.array([0, 2, 2]), np.arange(3)
    )
    assert rows.tolist() == [2, 0, 0] and pairs.tolist() == [2, 0, 1]


@pytest.mark.parametrize("values", [["b", "B", "a"], [3, 10, 2]])
def test_text_codes_follow_text_order(values: list[object]) -> None:
    codes, names = text_codes(pd.Series(values, dtype=object))
    text = [str(v) for v in values]
    assert names.tolist() == sorted(set(text))
    assert [names[c] for c in codes] == text
