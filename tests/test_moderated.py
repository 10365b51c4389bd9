"""Moderated t against R limma 3.54 (fixtures/reference, made by make_reference.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import read_ref
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from secretome_rank.hits import group_stats
from secretome_rank.moderated import fit_f_dist, group_median, moderated_t, trigamma_inverse
from secretome_rank.specificity import two_group_moderated


def _one_sample(name):
    inp = read_ref(f"{name}_input.tsv")
    exp = read_ref(f"{name}_expected.tsv")
    g = group_stats(inp["value"], [inp["protein"]]).reindex(exp["protein"])
    n = g["n"].to_numpy(float)
    sel = n > 0
    fit = moderated_t(
        g["mean"].to_numpy()[sel], 1 / np.sqrt(n[sel]), g["var"].to_numpy()[sel], n[sel] - 1
    )
    return exp[sel].reset_index(drop=True), fit


@pytest.mark.parametrize("name", ["limma_onesample", "limma_onesample2", "limma_offset"])
def test_one_sample_matches_limma(name):
    exp, fit = _one_sample(name)
    prior = read_ref(f"{name}_prior.tsv")
    np.testing.assert_allclose(fit.df_prior, prior["df_prior"][0], rtol=1e-8)
    np.testing.assert_allclose(fit.s2_prior, prior["s2_prior"][0], rtol=1e-8)
    for ours, col in [
        (fit.t, "t"),
        (fit.df_total, "df_total"),
        (fit.p_two_sided, "p_two_sided"),
        (fit.p_greater, "p_greater"),
        (fit.s2_post, "s2_post"),
    ]:
        theirs = exp[col].to_numpy()
        assert np.array_equal(np.isnan(ours), np.isnan(theirs)), col
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, err_msg=col)


def test_single_replicates_tested_on_prior_df():
    exp, fit = _one_sample("limma_onesample")
    single = (exp["n"] == 1).to_numpy()
    assert single.sum() >= 5
    assert np.all(np.isfinite(fit.t[single]))
    np.testing.assert_allclose(fit.df_total[single], fit.df_prior[single])


def test_two_group_matches_limma():
    inp = read_ref("limma_twogroup_input.tsv")
    exp = read_ref("limma_twogroup_expected.tsv")
    d = inp[inp["arm"] == "drug"]
    v = inp[inp["arm"] == "vehicle"]
    gd = group_stats(d["value"], [d["protein"]]).reindex(exp["protein"])
    gv = group_stats(v["value"], [v["protein"]]).reindex(exp["protein"])
    res = two_group_moderated(
        gd["n"].fillna(0).to_numpy(),
        gd["mean"].to_numpy(),
        gd["var"].to_numpy(),
        gv["n"].fillna(0).to_numpy(),
        gv["mean"].to_numpy(),
        gv["var"].to_numpy(),
    )
    prior = read_ref("limma_twogroup_prior.tsv")
    np.testing.assert_allclose(res["df_prior"], prior["df_prior"][0], rtol=1e-8)
    np.testing.assert_allclose(res["s2_prior"], prior["s2_prior"][0], rtol=1e-8)
    for key, col in [
        ("coef", "coef"),
        ("t", "t"),
        ("p_two_sided", "p_two_sided"),
        ("p_greater", "p_greater"),
    ]:
        theirs = exp[col].to_numpy()
        assert np.array_equal(np.isnan(res[key]), np.isnan(theirs)), col
        np.testing.assert_allclose(res[key], theirs, rtol=1e-8, err_msg=col)
    ok = ~np.isnan(exp["t"].to_numpy())
    np.testing.assert_allclose(res["df"][ok], exp["df_total"].to_numpy()[ok], rtol=1e-8)


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=1e-5, max_value=1e5))
def test_trigamma_inverse_inverts(x):
    y = trigamma_inverse(x)[0]
    assert special.polygamma(1, y) == pytest.approx(x, rel=1e-6)


def test_prior_infinite_when_no_extra_spread():
    s2 = np.full(50, 0.2)
    s0, d0 = fit_f_dist(s2, np.full(50, 2.0))
    assert np.isinf(d0) and s0 == pytest.approx(0.2)


@pytest.mark.parametrize("sizes", ["similar", "unequal"])
def test_group_median_equals_pandas(sizes):
    # similar sizes: one padded row per group; very unequal: the sort-based fallback
    rng = np.random.default_rng(5)
    if sizes == "similar":
        groups = rng.integers(0, 40, 3000)
    else:
        groups = np.concatenate([np.zeros(8000, dtype=np.intp), rng.integers(1, 300, 400)])
    x = rng.normal(size=groups.size)
    x[rng.random(groups.size) < 0.1] = np.nan
    n_groups = int(groups.max()) + 2  # the last group has no values: NaN
    want = pd.Series(x).groupby(groups).median().reindex(range(n_groups)).to_numpy()
    np.testing.assert_array_equal(group_median(x, groups, n_groups), want)


def test_mostly_zero_variances_warn_as_limma():
    # from the fuzz against R: identical replicates (here exactly 0 apart, where R's QR
    # leaves 7.7e-34) for most proteins; limma warns "eBayes unreliable" and so does the tool
    from secretome_rank.moderated import ZERO_VARIANCES

    s2 = np.array([0.0, 0.0, 0.1233])
    with pytest.warns(UserWarning, match=ZERO_VARIANCES + r" in 1 of 1 prior fit"):
        s0, d0 = fit_f_dist(s2, np.full(3, 2.0))
    assert np.isfinite(s0[0])
    groups = np.array([0, 0, 0, 1, 1, 1])
    with pytest.warns(UserWarning, match=ZERO_VARIANCES + r" in 1 of 2 prior fit"):
        fit_f_dist(np.r_[s2, 0.1, 0.2, 0.3], np.full(6, 2.0), groups)
