"""p-value adjustment against R p.adjust and qvalue (fixtures/reference)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import read_ref
from hypothesis import given, settings
from hypothesis import strategies as st

from secretome_rank import adjust_pvalues
from secretome_rank.errors import ConfigError
from secretome_rank.multitest import bh_grouped, storey_pi0

R_NAMES = {"bh": "BH", "by": "BY", "holm": "holm", "bonferroni": "bonferroni", "hommel": "hommel"}


@pytest.mark.parametrize("fixture", ["padjust", "padjust_small"])
@pytest.mark.parametrize("method", list(R_NAMES))
def test_matches_r_padjust(fixture, method):
    exp = read_ref(f"{fixture}_expected.tsv")
    ours = adjust_pvalues(exp["p"].to_numpy(), method)
    theirs = exp[R_NAMES[method]].to_numpy()
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_storey_matches_qvalue_on_hedenfalk():
    h = read_ref("qvalue_hedenfalk.tsv")
    pi0 = read_ref("qvalue_hedenfalk_pi0.tsv")["pi0"][0]
    assert storey_pi0(h["p"].to_numpy()) == pytest.approx(pi0, abs=1e-3)
    q = adjust_pvalues(h["p"].to_numpy(), "storey")
    assert np.max(np.abs(q - h["q"].to_numpy())) < 1e-3


def test_storey_bootstrap_pi0():
    h = read_ref("qvalue_hedenfalk.tsv")
    pi0 = read_ref("qvalue_hedenfalk_bootstrap_pi0.tsv")["pi0"][0]
    assert storey_pi0(h["p"].to_numpy(), method="bootstrap") == pytest.approx(pi0, rel=1e-12)


def test_nan_safe_and_m_counts_finite_only():
    p = np.array([0.01, np.nan, 0.02, 0.03, np.nan])
    q = adjust_pvalues(p, "bonferroni")
    assert np.isnan(q[[1, 4]]).all()
    np.testing.assert_allclose(q[[0, 2, 3]], [0.03, 0.06, 0.09])


def test_unknown_method_and_bad_p():
    with pytest.raises(ConfigError, match="expected one of"):
        adjust_pvalues([0.1], "fdr")
    with pytest.raises(ConfigError):
        adjust_pvalues([1.2], "bh")


pvals = st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(pvals, st.sampled_from(["bh", "by", "holm", "bonferroni", "hommel", "storey"]), st.randoms())
def test_properties(p, method, rnd):
    p = np.array(p)
    q = adjust_pvalues(p, method)
    assert np.array_equal(np.isnan(q), np.isnan(p))
    ok = ~np.isnan(p)
    if method == "storey":  # pi0 x BH, pi0 <= 1: below p where BH equals p (as R qvalue)
        assert np.all(q[ok] <= adjust_pvalues(p, "bh")[ok] + 1e-15) and np.all(q[ok] >= 0)
    else:
        assert np.all(q[ok] >= p[ok] - 1e-15) and np.all(q[ok] <= 1)
    perm = np.arange(p.size)
    rnd.shuffle(perm)
    np.testing.assert_allclose(adjust_pvalues(p[perm], method), q[perm], rtol=1e-12)


def test_a_storey_q_value_can_lie_below_its_p_value():
    # found by the property test above, which asserted q >= p for every method: with
    # pi0 < 1 the largest p-value's q is pi0 x 1 (R qvalue does the same)
    p = np.r_[np.zeros(19), 1.0]
    pi0 = storey_pi0(p)
    assert 0 < pi0 < 1
    q = adjust_pvalues(p, "storey")
    np.testing.assert_allclose(q, pi0 * adjust_pvalues(p, "bh"), rtol=1e-12)
    assert q[-1] < p[-1]


@pytest.mark.parametrize(
    "p",
    [
        np.arange(1, 95) / 100,  # 0.01..0.94: pi0 0.37 (q from 0.34 where BH gives 0.94)
        np.r_[np.full(20, 1e-6), np.linspace(0.001, 0.3, 8)],  # smoothed pi0 -0.037
    ],
)
def test_storey_without_a_p_value_in_the_top_bin_falls_back_to_bh(p):
    # found by a fuzz against R qvalue 2.30, which stops on these (its pi0 at lambda 0.95 is
    # 0/0): the estimate from the other lambdas was far too small, so q far too small
    assert storey_pi0(p) < 0.5
    with pytest.warns(UserWarning, match=r"no p-value reaches 0.95 .* using pi0 = 1 \(BH\)"):
        q = adjust_pvalues(p, "storey")
    np.testing.assert_allclose(q, adjust_pvalues(p, "bh"))
    p_one = np.r_[p, 0.97]  # one p-value up there: estimated again
    np.testing.assert_allclose(
        adjust_pvalues(p_one, "storey"), storey_pi0(p_one) * adjust_pvalues(p_one, "bh")
    )


def test_storey_nonpositive_pi0_falls_back_to_bh(monkeypatch):
    # R qvalue stops on an estimate <= 0 (met only with no p-value >= 0.95, handled above,
    # in every random search since): the estimate is replaced as R recommends
    import secretome_rank.multitest as mt

    monkeypatch.setattr(mt, "storey_pi0", lambda p: -0.037)
    p = np.r_[np.full(20, 1e-6), np.linspace(0.001, 0.99, 8)]
    with pytest.warns(UserWarning, match=r"Storey pi0 estimate -0.037 <= 0; using pi0 = 1"):
        q = adjust_pvalues(p, "storey")
    np.testing.assert_allclose(q, adjust_pvalues(p, "bh"))


# --- grouped BH: one kernel with adjust_pvalues ----------------------------------------


def test_bh_grouped_matches_r_padjust_per_family():
    # the two R fixtures as two families, rows interleaved and shuffled
    big, small = read_ref("padjust_expected.tsv"), read_ref("padjust_small_expected.tsv")
    p = np.r_[big["p"].to_numpy(), small["p"].to_numpy()]
    expected = np.r_[big["BH"].to_numpy(), small["BH"].to_numpy()]
    group = np.r_[np.full(len(big), "big"), np.full(len(small), "small")]
    perm = np.random.default_rng(0).permutation(p.size)
    q = bh_grouped(p[perm], group[perm])
    assert np.array_equal(np.isnan(q), np.isnan(expected[perm]))
    np.testing.assert_allclose(q, expected[perm], rtol=1e-12, atol=1e-15)


def _per_group_bh(p, group):
    out = np.full(p.size, np.nan)
    for g in np.unique(group):
        out[group == g] = adjust_pvalues(p[group == g], "bh")
    return out


grouped = st.lists(
    st.tuples(
        # ties (repeated values, 0 and 1), NaN, and arbitrary floats in [0, 1]
        st.one_of(
            st.sampled_from([0.0, 1e-300, 0.01, 0.05, 0.5, 1.0, float("nan")]), st.floats(0, 1)
        ),
        st.integers(0, 4),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(grouped, st.randoms())
def test_bh_grouped_equals_adjust_pvalues_per_group(rows, rnd):
    p = np.array([r[0] for r in rows], dtype=float)
    group = np.array([r[1] for r in rows], dtype=np.intp)
    expected = _per_group_bh(p, group)
    # any row order, bit for bit (NaN stays NaN, m counts the finite p of the group)
    np.testing.assert_array_equal(bh_grouped(p, group), expected)
    # rows sorted by group then p (NaN last) take the no-sort path: same bits
    order = np.lexsort((p, group))
    np.testing.assert_array_equal(bh_grouped(p[order], group[order]), expected[order])
    # group labels of another type, permuted rows: equivariant
    perm = np.arange(p.size)
    rnd.shuffle(perm)
    labels = np.array([f"ctx{g}" for g in group], dtype=object)
    np.testing.assert_array_equal(bh_grouped(p[perm], labels[perm]), expected[perm])


def test_bh_grouped_seeded_many_groups():
    rng = np.random.default_rng(1)
    group = rng.integers(0, 300, 20_000)
    p = rng.choice([0.0, 0.001, 0.01, 0.2, 1.0, np.nan], group.size) * rng.choice(
        [1.0, 0.5], group.size
    )
    p[rng.random(group.size) < 0.3] = rng.random()  # a tie shared across groups
    np.testing.assert_array_equal(bh_grouped(p, group), _per_group_bh(p, group))


def test_bh_grouped_unequal_families_and_negative_zero():
    # both leave the one-matrix path (too much padding; -0.0): the sorted step-up answers
    rng = np.random.default_rng(2)
    group = np.concatenate([np.zeros(6000, dtype=np.intp), rng.integers(1, 200, 300)])
    p = rng.choice([0.0, 0.001, 0.01, 0.2, 1.0, np.nan], group.size) * rng.random(group.size)
    perm = rng.permutation(group.size)
    p, group = p[perm], group[perm]
    np.testing.assert_array_equal(bh_grouped(p, group), _per_group_bh(p, group))
    balanced = rng.integers(0, 20, 2000)
    q = rng.random(balanced.size)
    q[:50] = -0.0
    np.testing.assert_array_equal(bh_grouped(q, balanced), _per_group_bh(q, balanced))


def test_bh_grouped_bad_input():
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        bh_grouped([0.5, 1.5], [0, 0])
    with pytest.raises(ConfigError, match="same length"):
        bh_grouped([0.5, 0.1], [0])
    assert bh_grouped([], []).size == 0
    assert np.isnan(bh_grouped([np.nan, np.nan], ["a", "b"])).all()
