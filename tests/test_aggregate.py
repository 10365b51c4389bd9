"""Across-context summary: RRA against R RobustRankAggreg 1.2.1, Stouffer by hand, patterns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import read_ref
from scipy import stats

from secretome_rank.aggregate import (
    SUMMARY_COLUMNS,
    rescue_matrix,
    rra_pvalue,
    rra_rho,
    stouffer,
    summarize_contexts,
)
from secretome_rank.errors import SchemaError
from secretome_rank.multitest import adjust_pvalues


def _rank_matrix(name: str, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """RobustRankAggreg::rankMatrix: position / N, 1 where absent, rows = union of proteins."""
    inp = read_ref(f"{name}_input.tsv")
    exp = read_ref(f"{name}_expected.tsv")
    mat = (inp.pivot(index="protein", columns="list", values="position") / n).fillna(1.0)
    assert set(mat.index) == set(exp["protein"])
    return mat.reindex(exp["protein"]), exp


@pytest.mark.parametrize(("name", "n"), [("rra", 200), ("rra_partial", 300)])
def test_rra_kernel_matches_robustrankaggreg(name, n):
    mat, exp = _rank_matrix(name, n)
    rho = rra_rho(mat.to_numpy())
    p = rra_pvalue(rho, mat.shape[1])
    np.testing.assert_allclose(rho, exp["min_beta"], rtol=1e-10)
    np.testing.assert_allclose(p, exp["rho"], rtol=1e-10)
    np.testing.assert_allclose(p, exp["score"], rtol=1e-10)
    assert (exp["k"] == mat.shape[1]).all()


def test_rra_kernel_nan_entries_drop_out():
    r = np.array([[0.1, 0.2, np.nan], [0.1, 0.2, 1.0], [np.nan] * 3])
    rho = rra_rho(r)
    # k = 2: min(pbeta(0.1, 1, 2), pbeta(0.2, 2, 1)) = min(0.19, 0.04)
    np.testing.assert_allclose(rho[0], 0.04, rtol=1e-12)
    np.testing.assert_allclose(rho[1], min(1 - 0.9**3, 3 * 0.2**2 - 2 * 0.2**3, 1.0), rtol=1e-12)
    assert np.isnan(rho[2])
    with pytest.raises(ValueError, match="lie in"):
        rra_rho([[0.5, 1.5]])


def test_rra_through_summary_equals_r_on_full_lists():
    """Five complete rankings as five contexts: summary rra_rho / rra_p equal R."""
    inp = read_ref("rra_input.tsv")
    exp = read_ref("rra_expected.tsv").set_index("protein")
    hits = pd.DataFrame(
        {
            "cell_line": inp["list"],
            "treatment": "drug",
            "protein": inp["protein"],
            "p_value": 0.5,
            "is_hit": False,
            "rank": inp["position"],
        }
    )
    s = summarize_contexts(hits).set_index("protein").reindex(exp.index)
    np.testing.assert_allclose(s["rra_rho"], exp["min_beta"], rtol=1e-10)
    np.testing.assert_allclose(s["rra_p"], exp["score"], rtol=1e-10)
    np.testing.assert_allclose(
        s["rra_q"], adjust_pvalues(exp["score"].to_numpy(), method="bh"), rtol=1e-10
    )
    assert (s["n_contexts"] == 5).all()


def _hand_table() -> pd.DataFrame:
    """3 lines x 2 drugs; proteins with known patterns (p = 1e-6 for hits, 0.5 otherwise)."""
    rows = []
    lines, drugs = ("L1", "L2", "L3"), ("d1", "d2")
    hit_at = {
        "PAN": {("L1", "d1"), ("L1", "d2"), ("L2", "d1")},
        "SPEC": {("L1", "d1"), ("L2", "d1")},
        "LINE1": {("L1", "d1")},
        "MIX": {("L1", "d1"), ("L2", "d2")},
        "NONE": set(),
        "UND": {("L3", "d1")},
        "SENS": set(),
    }
    for prot, hits in hit_at.items():
        for line in lines:
            for drug in drugs:
                hit = (line, drug) in hits
                p = 1e-6 if hit else 0.5
                if prot == "UND" and (line, drug) != ("L3", "d1"):
                    p = np.nan  # tested only in L3 with d1
                down = prot == "SENS" and (line, drug) == ("L2", "d2")
                rows.append(
                    {
                        "cell_line": line,
                        "treatment": drug,
                        "protein": prot,
                        "p_value": p,
                        "t": 5.0 if hit else (-5.0 if down else 0.1),
                        "is_hit": hit or down,
                        "direction": "up" if hit else ("down" if down else "none"),
                        "class": "rescuer"
                        if hit and prot != "PAN"
                        else ("mitogen" if hit else "inactive"),
                        "rescue_pct": 50.0 if hit else 1.0,
                        "symbol": prot.lower(),
                    }
                )
    return pd.DataFrame(rows)


def test_patterns_on_hand_made_table():
    s = summarize_contexts(_hand_table()).set_index("protein")
    assert s.loc["PAN", "drug_pattern"] == "pan-drug"
    assert s.loc["PAN", "line_pattern"] == "pan-line"  # d1: 2 of 3 lines
    assert s.loc["SPEC", "drug_pattern"] == "drug-specific"
    assert s.loc["SPEC", "line_pattern"] == "pan-line"
    assert s.loc["LINE1", "drug_pattern"] == "drug-specific"
    assert s.loc["LINE1", "line_pattern"] == "line-specific"  # 1 of 3 lines
    assert s.loc["MIX", "drug_pattern"] == "mixed"
    assert s.loc["MIX", "line_pattern"] == "line-specific"
    assert s.loc["UND", "drug_pattern"] == "undetermined"  # no other drug tested in L3
    assert s.loc["UND", "line_pattern"] == "undetermined"  # d1 tested in L3 only
    for prot in ("NONE", "SENS"):
        assert s.loc[prot, "drug_pattern"] == "none" and s.loc[prot, "line_pattern"] == "none"
    # counts
    assert (
        s.loc["PAN", "n_hit"] == 3
        and s.loc["PAN", "n_rescuer"] == 0
        and s.loc["PAN", "n_rescue_hit"] == 3
    )
    assert (
        s.loc["SPEC", "n_rescuer"] == 2
        and s.loc["SPEC", "n_lines_hit"] == 2
        and s.loc["SPEC", "n_drugs_hit"] == 1
    )
    assert s.loc["SENS", "n_hit"] == 1 and s.loc["SENS", "n_rescue_hit"] == 0
    assert s.loc["UND", "n_contexts_tested"] == 1 and s.loc["UND", "n_contexts"] == 6
    assert s.loc["PAN", "symbol"] == "pan"
    # a stricter pan-line threshold turns 2 of 3 lines into line-specific
    strict = summarize_contexts(_hand_table(), pan_fraction=0.9).set_index("protein")
    assert strict.loc["PAN", "line_pattern"] == "line-specific"


def test_stouffer_by_hand():
    h = _hand_table()
    s = summarize_contexts(h).set_index("protein")
    z_expected = {}
    for prot, g in h.groupby("protein"):
        p = g["p_value"].dropna().to_numpy()
        z_expected[prot] = stats.norm.isf(p).sum() / np.sqrt(p.size)
    z = pd.Series(z_expected).reindex(s.index)
    np.testing.assert_allclose(s["stouffer_z"], z, rtol=1e-12)
    np.testing.assert_allclose(s["stouffer_p"], stats.norm.sf(z), rtol=1e-10)
    np.testing.assert_allclose(
        s["stouffer_q"], adjust_pvalues(stats.norm.sf(z.to_numpy()), method="bh"), rtol=1e-10
    )
    # kernel: NaN left out, p = 0 and 1 stay finite, empty group NaN
    zk, pk, k = stouffer(np.array([0.0, 1.0, np.nan, 0.3]), np.array([0, 0, 1, 2]), n_groups=4)
    assert np.isfinite(zk[0]) and np.isnan(zk[1]) and np.isnan(zk[3])
    np.testing.assert_allclose(zk[2], stats.norm.isf(0.3))
    np.testing.assert_array_equal(k, [2, 0, 1, 0])


def test_two_sided_p_turned_one_sided():
    h = _hand_table()
    h2 = h.assign(p_value=np.where(h["t"] > 0, 2 * h["p_value"], 2 * (1 - h["p_value"])))
    a = summarize_contexts(h).set_index("protein")
    b = summarize_contexts(h2, alternative="two-sided").set_index("protein")
    np.testing.assert_allclose(a["stouffer_z"], b["stouffer_z"], rtol=1e-9)


def test_summary_shape_ranks_and_order():
    h = _hand_table()
    s = summarize_contexts(h)
    assert tuple(s.columns) == SUMMARY_COLUMNS
    assert s["protein"].is_unique and len(s) == h["protein"].nunique()
    assert s["n_rescuer"].is_monotonic_decreasing  # most rescuer contexts first
    assert s["protein"].iloc[-1] in ("NONE", "SENS", "UND")
    # without a rank column, ranks follow the one-sided p within context
    spec = s.set_index("protein").loc["SPEC", "context_ranks"].split(";")
    assert spec[0].startswith("L1/d1:") and len(spec) == 6
    und = s.set_index("protein").loc["UND"]
    assert und["context_ranks"] == "L3/d1:1"
    # UND is tested only once: the other five contexts count as normalised rank 1
    n_tested = h[(h.cell_line == "L3") & (h.treatment == "d1")]["p_value"].notna().sum()
    np.testing.assert_allclose(und["rra_rho"], rra_rho([[1 / n_tested, 1, 1, 1, 1, 1]])[0])
    # never-tested proteins get NaN combined evidence
    h3 = pd.concat([h, h[h.protein == "NONE"].assign(protein="GHOST", p_value=np.nan)])
    ghost = summarize_contexts(h3).set_index("protein").loc["GHOST"]
    assert (
        ghost["n_contexts_tested"] == 0
        and np.isnan(ghost["rra_p"])
        and np.isnan(ghost["stouffer_p"])
    )
    assert not ghost["is_combined_hit"]
    # a context where nothing was tested is not a ranked list: it does not count in k
    empty = h[(h.cell_line == "L1") & (h.treatment == "d1")].assign(treatment="d3", p_value=np.nan)
    with_empty = summarize_contexts(pd.concat([h, empty])).set_index("protein")
    plain = s.set_index("protein")
    assert (with_empty["n_contexts"] == 7).all()
    np.testing.assert_allclose(with_empty["rra_p"], plain["rra_p"].reindex(with_empty.index))


def test_pooled_rows_left_out_by_default_and_errors():
    h = _hand_table()
    pooled = h[h.cell_line == "L1"].assign(cell_line="pooled")
    both = pd.concat([h, pooled], ignore_index=True)
    pd.testing.assert_frame_equal(summarize_contexts(both), summarize_contexts(h))
    assert summarize_contexts(both, include_pooled=True)["n_contexts"].iloc[0] == 8
    assert summarize_contexts(both, include_pooled=False)["n_contexts"].iloc[0] == 6
    # pooled design: no per-line context tested -> the pooled rows are the contexts
    panel = pd.concat([h.assign(p_value=np.nan, is_hit=False), pooled], ignore_index=True)
    auto = summarize_contexts(panel).set_index("protein")
    assert (auto["n_contexts"] == 2).all()
    assert auto.loc["PAN", "context_ranks"].startswith("pooled/d1:")
    pd.testing.assert_frame_equal(
        summarize_contexts(panel), summarize_contexts(pooled.reset_index(drop=True))
    )
    with pytest.raises(SchemaError, match="duplicated"):
        summarize_contexts(pd.concat([h, h.head(1)]))
    with pytest.raises(SchemaError, match="p_value"):
        summarize_contexts(h.drop(columns="p_value"))


def test_rescue_matrix():
    h = _hand_table()
    m = rescue_matrix(h)
    assert m.columns.tolist() == ["protein", "L1|d1", "L1|d2", "L2|d1", "L2|d2", "L3|d1", "L3|d2"]
    assert m["protein"].tolist() == sorted(h["protein"].unique())
    assert m.set_index("protein").loc["PAN", "L1|d2"] == 50.0
    assert m.set_index("protein").loc["NONE", "L3|d2"] == 1.0


def test_summary_on_simulated_screen():
    import secretome_rank as sr

    wells, truth = sr.simulate_screen(
        seed=5, n_proteins=100, cell_lines=("A", "B"), drugs=("x", "y")
    )
    hits = sr.rank_screen(wells).hits
    s = summarize_contexts(hits)
    kind = truth.drop_duplicates("protein").set_index("protein")["kind"]
    s["kind"] = s["protein"].map(kind)
    assert (s["n_contexts"] == 4).all()
    # planted mitogens are never counted as rescuers; combined hits are planted effects
    assert (s.loc[s["kind"] == "mitogen", "n_rescuer"] == 0).all()
    assert s.loc[s["is_combined_hit"], "kind"].isin(["rescuer", "mitogen"]).all()
    assert rescue_matrix(hits).shape == (hits["protein"].nunique(), 5)


def test_summary_order_past_the_underflow_of_stouffer_p():
    # two proteins hit everywhere, each ranked first in half the contexts (equal RRA), with
    # combined p underflowing to 0: the order fell to the name; the larger z now comes first
    table = _hand_table()
    table = table[table["protein"].isin(["PAN", "SPEC"])].copy()
    table["is_hit"], table["direction"], table["class"] = True, "up", "rescuer"
    pan = np.where(table["treatment"] == "d1", 1e-300, 1e-200)  # mean z 33.6
    table["p_value"] = np.where(table["protein"] == "PAN", pan, 1e-250)  # z 33.8
    s = summarize_contexts(table)
    assert s["rra_p"].nunique() == 1 and (s["stouffer_p"] == 0).all()
    assert list(s["protein"]) == ["SPEC", "PAN"]
