"""Pooled design: cell lines as replicates per drug."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import secretome_rank as sr
from secretome_rank import columns as C
from secretome_rank.errors import SchemaError
from secretome_rank.moderated import moderated_t
from secretome_rank.pooled import N_LINES_RESCUED, POOLED, needs_pooling, pooled_stats

N_LINES = 30


@pytest.fixture(scope="module")
def panel():
    """30 lines x 1 replicate, one drug + vehicle, no well positions."""
    wells, truth = sr.simulate_screen(
        seed=21,
        n_proteins=120,
        cell_lines=N_LINES,
        n_replicates=1,
        drugs=("vemurafenib",),
        line_activity=0.6,
        with_wells=False,
    )
    with pytest.warns(UserWarning, match="no protein could be tested"):  # one well per line
        res = sr.rank_screen(wells, pool="none")
    return wells, truth, res, pooled_stats(res.wells)


def test_rows_and_columns_like_per_context_rows(panel):
    wells, _, res, p = panel
    assert C.WELL not in wells.columns
    assert (p[C.CELL_LINE] == POOLED).all()
    assert list(p.columns[: len(C.HITS_COLUMNS)]) == list(C.HITS_COLUMNS)
    assert set(p.columns) - {N_LINES_RESCUED} <= set(res.hits.columns)
    pre_receptor = [
        c
        for c in res.hits.columns
        if c
        not in ("resolution", "candidates", "receptor_families", "n_resources", "receptor_status")
    ]
    assert set(pre_receptor) <= set(p.columns)
    # one row per protein and drug, nothing dropped, ranked 1..n
    assert p[C.PROTEIN].is_unique
    assert set(p[C.PROTEIN]) == set(wells[C.PROTEIN].dropna())
    assert sorted(p[C.RANK]) == list(range(1, len(p) + 1))
    assert (
        p[C.CLASS]
        .isin([C.CLASS_RESCUER, C.CLASS_MITOGEN, C.CLASS_INACTIVE, C.CLASS_INSUFFICIENT])
        .all()
    )


def test_n_replicates_is_lines_with_data(panel):
    _, _, res, p = panel
    w = res.wells
    d = w[(w[C.ROLE] == C.SAMPLE) & (w[C.ARM] == C.ARM_DRUG) & w[C.TEST_VALUE].notna()]
    n_lines = d.groupby(C.PROTEIN, observed=True)[C.CELL_LINE].nunique()
    got = p.set_index(C.PROTEIN)[C.N_REPLICATES]
    pd.testing.assert_series_equal(
        got.reindex(n_lines.index), n_lines, check_names=False, check_dtype=False
    )
    assert got.max() == N_LINES
    assert (p.loc[p[C.N_REPLICATES] >= 2, C.STATUS] == "ok").all()


def test_numbers_by_hand_for_one_protein(panel):
    _, _, res, p = panel
    w = res.wells
    s = w[(w[C.ROLE] == C.SAMPLE)]
    top = p.iloc[0]
    prot = top[C.PROTEIN]
    dr = s[(s[C.PROTEIN] == prot) & (s[C.ARM] == C.ARM_DRUG)].groupby(C.CELL_LINE, observed=True)
    tv = dr[C.TEST_VALUE].mean()
    np.testing.assert_allclose(top[C.LOG2_FC], dr[C.LOG2_RATIO].mean().mean(), rtol=1e-12)
    np.testing.assert_allclose(top[C.RESCUE_PCT], dr[C.RESCUE_PCT].mean().mean(), rtol=1e-12)
    assert top[N_LINES_RESCUED] == int((dr[C.RESCUE_PCT].mean() >= 20).sum())
    # moderated t: coef = mean over lines minus the library median of those means,
    # s2 = variance over lines, prior from the library
    d = s[s[C.ARM] == C.ARM_DRUG]
    per_line = d.groupby([C.PROTEIN, C.CELL_LINE], observed=True)[C.TEST_VALUE].mean().dropna()
    g = per_line.groupby(level=0, observed=True)
    bulk = g.mean()[g.size() >= 2].median()
    assert abs(bulk) < 0.05
    assert top[C.T] > 0
    s2_post = (top[C.DF] - top["df_prior"]) * tv.var(ddof=1) + top["df_prior"] * top["s2_prior"]
    s2_post /= top[C.DF]
    np.testing.assert_allclose(
        top[C.T], (tv.mean() - bulk) / np.sqrt(s2_post / tv.size), rtol=1e-10
    )
    # the prior is limma's, fitted on all proteins' across-line variances
    means, var, n = g.mean(), g.var(ddof=1), g.size().astype(float)
    fit = moderated_t(
        (means - bulk).to_numpy(), 1 / np.sqrt(n.to_numpy()), var.to_numpy(), n.to_numpy() - 1
    )
    np.testing.assert_allclose(top["df_prior"], fit.df_prior[0], rtol=1e-10)
    np.testing.assert_allclose(top[C.T], fit.t[means.index.get_loc(prot)], rtol=1e-10)
    # interaction: per-line difference drug - vehicle
    vh = s[(s[C.PROTEIN] == prot) & (s[C.ARM] == C.ARM_VEHICLE)].groupby(C.CELL_LINE, observed=True)
    diff = (dr[C.LOG2_RATIO].mean() - vh[C.GROWTH_LOG2].mean()).dropna()
    np.testing.assert_allclose(top["interaction_log2"], diff.mean(), rtol=1e-10)
    assert top["n_vehicle"] == diff.size


def test_recall_and_fdr_on_small_panel(panel):
    _, truth, _, p = panel
    frac = truth.groupby(C.PROTEIN)["is_rescuer"].mean()
    strong = (
        truth.assign(s=truth["is_rescuer"] & (truth["true_rescue_pct"] >= 20))
        .groupby(C.PROTEIN)["s"]
        .mean()
    )
    kind = truth.drop_duplicates(C.PROTEIN).set_index(C.PROTEIN)["kind"]
    p = p.assign(
        frac=p[C.PROTEIN].map(frac), strong=p[C.PROTEIN].map(strong), kind=p[C.PROTEIN].map(kind)
    )
    called = p[C.CLASS] == C.CLASS_RESCUER
    target = p["strong"] >= 0.3
    assert target.sum() >= 5
    assert (called & target).sum() / target.sum() >= 0.8
    assert (called & (p["frac"] == 0)).sum() <= max(1, 0.05 * called.sum())
    # mitogens rescue in every line but are not drug-specific
    mit = p[p["kind"] == "mitogen"]
    assert (mit[C.CLASS] != C.CLASS_RESCUER).all()


def test_without_vehicle_arm_and_without_positions():
    wells, _ = sr.simulate_screen(
        seed=4,
        n_proteins=60,
        cell_lines=8,
        n_replicates=1,
        drugs=("a", "b"),
        vehicle_arm=False,
        with_wells=False,
    )
    with pytest.warns(UserWarning, match="no protein could be tested"):
        result = sr.rank_screen(wells, pool="none")
    scored = result.wells.drop(columns=[C.WELL, C.ROW, C.COL], errors="ignore")
    p = pooled_stats(scored)
    assert set(p[C.TREATMENT]) == {"a", "b"} and len(p) == 2 * 60
    assert p["interaction_q"].isna().all() and (p["n_vehicle"] == 0).all()
    assert set(p.loc[p[C.IS_HIT], C.CLASS]) <= {C.CLASS_UNCONFIRMED}
    assert p.loc[p[C.IS_HIT], C.CLASS].size > 0
    # the line-count effect condition: requiring every line removes hits
    strict = pooled_stats(scored, min_line_fraction=1.0)
    assert strict[C.IS_HIT].sum() <= p[C.IS_HIT].sum()
    assert (
        strict.loc[strict[C.IS_HIT], N_LINES_RESCUED]
        == strict.loc[strict[C.IS_HIT], C.N_REPLICATES]
    ).all()


def test_needs_pooling(panel, small_screen):
    wells, *_ = panel
    assert needs_pooling(wells)
    assert not needs_pooling(small_screen[0])  # 1 line x 3 replicates
    two_lines, _ = sr.simulate_screen(
        seed=1, n_proteins=30, cell_lines=2, n_replicates=1, drugs=("x",)
    )
    assert not needs_pooling(two_lines)
    assert not needs_pooling(wells.drop(columns=[C.CELL_LINE]))


def test_bad_input():
    with pytest.raises(SchemaError, match="test_value"):
        pooled_stats(pd.DataFrame({"role": [], "protein": []}))
