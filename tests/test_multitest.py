"""p-value adjustment against R p.adjust and qvalue (fixtures/reference)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import read_ref
from hypothesis import given, settings
from hypothesis import strategies as st

from secretome_rank import adjust_pvalues
from secretome_rank.errors import ConfigError
from secretome_rank.multitest import storey_pi0

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
    assert np.all(q[ok] >= p[ok] - 1e-15) and np.all(q[ok] <= 1)
    perm = np.arange(p.size)
    rnd.shuffle(perm)
    np.testing.assert_allclose(adjust_pvalues(p[perm], method), q[perm], rtol=1e-12)


def test_storey_nonpositive_pi0_falls_back_to_bh():
    # found by the pipeline property test: 28 p-values whose smoothed pi0 is -0.037
    p = np.r_[np.full(20, 1e-6), np.linspace(0.001, 0.3, 8)]
    assert storey_pi0(p) <= 0
    np.testing.assert_allclose(adjust_pvalues(p, "storey"), adjust_pvalues(p, "bh"))
