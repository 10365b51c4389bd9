"""limma's robust empirical-Bayes prior (``eBayes(robust = TRUE)``) against R limma 3.54.

Fixtures ``limma_onesample_robust_*`` (one fit), ``limma_robust_groups_*`` (six groups
fitted separately, together taking every branch of ``fitFDistRobustly``) and
``limma_twogroup_robust_expected.tsv`` (drug vs vehicle), made by
``fixtures/reference/make_reference.R``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import read_ref
from typer.testing import CliRunner

import secretome_rank as sr
from secretome_rank.cli import app
from secretome_rank.hits import group_stats, protein_stats
from secretome_rank.moderated import fit_f_dist, moderated_t
from secretome_rank.robust_prior import _log_beta_series, _log_beta_tail, fit_f_dist_robust
from secretome_rank.specificity import two_group_moderated

#: limma's uniroot stops at tol 1e-8 on u = d0 / (1 + d0); ours solves to machine precision.
#: An error of 1e-8 in u is 1e-8 (1 + d0)^2 in d0 (measured: p within 6.7e-7 of limma's, at
#: p ~ 1e-49 and d0 = 130). The columns *_tight were made by limma's own code with tol 1e-14.
RTOL = 1e-6
TIGHT = 1e-10
COLUMNS = ["t", "df_total", "p_two_sided", "p_greater", "s2_post", "df_prior"]


def _fit(name, groups=None):
    inp = read_ref(f"{name}_input.tsv")
    exp = read_ref(f"{name}_expected.tsv")
    g = group_stats(inp["value"], [inp["protein"]]).reindex(exp["protein"])
    n = g["n"].to_numpy(float)
    codes = None if groups is None else pd.factorize(exp[groups])[0]
    fit = moderated_t(
        g["mean"].to_numpy(), 1 / np.sqrt(n), g["var"].to_numpy(), n - 1, codes, robust=True
    )
    return exp, fit, (np.where(n > 1, g["var"].to_numpy(), 0.0), n - 1, codes)


def _assert_close(ours, theirs, rtol, what):
    assert np.array_equal(np.isnan(ours), np.isnan(theirs)), what
    assert np.array_equal(np.isinf(ours), np.isinf(theirs)), what
    fin = np.isfinite(theirs)
    # t of a mean that is 0 up to rounding (R's QR gives 1.7e-16 where the mean is 0)
    atol = 1e-12 if what == "t" else 0.0
    np.testing.assert_allclose(ours[fin], theirs[fin], rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize(
    ("name", "groups"), [("limma_onesample_robust", None), ("limma_robust_groups", "group")]
)
def test_robust_moderated_t_matches_limma(name, groups):
    exp, fit, _ = _fit(name, groups)
    for col in COLUMNS:
        _assert_close(getattr(fit, col), exp[col].to_numpy(), RTOL, col)


def test_robust_moderated_t_matches_limma_at_the_exact_root():
    exp, fit, _ = _fit("limma_robust_groups", "group")
    for col in COLUMNS:
        _assert_close(getattr(fit, col), exp[f"{col}_tight"].to_numpy(), TIGHT, col)
    # where limma's uniroot did not run (d0 from the ordinary fit, or infinite), the
    # default columns are matched as tightly
    plain = exp["group"].isin(["flat", "small", "single"]).to_numpy()
    for col in COLUMNS:
        _assert_close(getattr(fit, col)[plain], exp[col].to_numpy()[plain], TIGHT, col)


def test_two_group_robust_matches_limma():
    inp = read_ref("limma_twogroup_input.tsv")
    exp = read_ref("limma_twogroup_robust_expected.tsv")
    arms = {}
    for arm in ("drug", "vehicle"):
        d = inp[inp["arm"] == arm]
        arms[arm] = group_stats(d["value"], [d["protein"]]).reindex(exp["protein"])
    res = two_group_moderated(
        *(
            arms[a][k].fillna(0).to_numpy() if k == "n" else arms[a][k].to_numpy()
            for a in ("drug", "vehicle")
            for k in ("n", "mean", "var")
        ),
        robust=True,
    )
    assert exp["df_prior"].nunique() > 10  # the robust prior differs between proteins
    for key, col in [("t", "t"), ("p_two_sided", "p_two_sided"), ("df_prior", "df_prior")]:
        _assert_close(np.asarray(res[key], dtype=float), exp[col].to_numpy(), RTOL, col)
    ok = ~np.isnan(exp["t"].to_numpy())
    _assert_close(res["df"][ok], exp["df_total"].to_numpy()[ok], RTOL, "df_total")


def test_robust_prior_per_group_matches_limma():
    _, _, (var, df, codes) = _fit("limma_robust_groups", "group")
    prior = read_ref("limma_robust_groups_prior.tsv")
    scale, df2, _ = fit_f_dist_robust(var, df, codes)
    _assert_close(scale, prior["scale"].to_numpy(), RTOL, "scale")
    _assert_close(df2, prior["df2"].to_numpy(), RTOL, "df2")


def test_prior_equals_the_exact_root():
    # the same R function with uniroot's tol at 1e-14: our bisection finds that root
    _, _, (var, df, codes) = _fit("limma_robust_groups", "group")
    prior = read_ref("limma_robust_groups_prior.tsv")
    scale, df2, _ = fit_f_dist_robust(var, df, codes)
    _assert_close(scale, prior["scale_tight"].to_numpy(), 1e-12, "scale")
    _assert_close(df2, prior["df2_tight"].to_numpy(), 1e-10, "df2")


def test_log_beta_tail_below_the_smallest_double():
    # the series equals betainc where betainc is still representable, and goes on below
    # 1e-308 where betainc gives 0 (its log -inf)
    from scipy import special

    a, b = np.full(6, 60.0), np.full(6, 1.5)
    y = np.array([1e-4, 1e-3, 1e-2, 3e-2, 0.05, 0.1])
    direct = np.log(special.betainc(a, b, y))
    assert np.all(np.isfinite(direct)) and direct.min() < np.log(1e-200)
    np.testing.assert_allclose(_log_beta_series(y, a, b), direct, rtol=1e-12)
    y2 = np.array([1e-9, 1e-8])
    assert np.all(special.betainc(a[:2], b[:2], y2) == 0)
    tail = _log_beta_tail(y2, a[:2], b[:2])
    assert np.all(np.isfinite(tail)) and tail[0] < tail[1] < np.log(1e-308)
    # the leading term dominates there: log I ~ a log y + b log(1 - y) - log(a B(a, b))
    lead = a[:2] * np.log(y2) + b[:2] * np.log1p(-y2) - np.log(a[:2]) - special.betaln(60, 1.5)
    np.testing.assert_allclose(tail, lead, rtol=1e-9)


def test_every_branch_of_the_fit_is_exercised():
    exp, fit, (var, df, codes) = _fit("limma_robust_groups", "group")
    prior = read_ref("limma_robust_groups_prior.tsv").set_index("group")
    by = exp.assign(ours=fit.df_prior).groupby("group")["ours"]
    # Winsorized spread within sampling: d0 infinite, outliers get a finite prior df
    assert np.isinf(prior.loc["flat", "df2"]) and np.isfinite(by.min()["flat"])
    # d0 solved by limma's uniroot (its tolerance shows against the exact root)
    for group in ("hyper", "mixed", "extreme"):
        assert prior.loc[group, "df2"] != prior.loc[group, "df2_tight"]
    # fewer than 10 proteins: the ordinary prior, the same for every protein
    small = (exp["group"] == "small").to_numpy()
    plain_s0, plain_d0 = fit_f_dist(var[small], df[small])
    assert by.nunique(dropna=False)["small"] == 1 and by.max()["small"] == plain_d0[0]
    np.testing.assert_allclose(fit.s2_prior[small], plain_s0[0], rtol=1e-14)
    # variances so extreme that their F tail is below 1e-308: limma's finite prior df
    extreme = exp[exp["group"] == "extreme"]
    assert (extreme["df_prior"] < 0.1).sum() == 3
    # single replicates (df 0) take the group's d0; mixed df were moved to the largest
    single = (exp["group"] == "single").to_numpy() & (exp["n"] == 1).to_numpy()
    assert single.sum() >= 10
    np.testing.assert_allclose(fit.df_prior[single], prior.loc["single", "df2"], rtol=1e-9)
    assert set(exp.loc[exp["group"] == "mixed", "n"]) == {2, 3, 4}


def test_groups_are_fitted_independently_and_in_any_order():
    _, _, (var, df, codes) = _fit("limma_robust_groups", "group")
    rng = np.random.default_rng(5)
    perm = rng.permutation(var.size)
    relabel = rng.permutation(codes.max() + 1)
    scale, df2, shrunk = fit_f_dist_robust(var, df, codes)
    s_p, _, sh_p = fit_f_dist_robust(var[perm], df[perm], relabel[codes[perm]])
    # sums in another order: equal to rounding
    np.testing.assert_allclose(sh_p, shrunk[perm], rtol=1e-9)
    np.testing.assert_allclose(s_p[relabel], scale, rtol=1e-9)
    for k in range(codes.max() + 1):  # one group alone gives the same fit
        alone = codes == k
        s1, d1, sh1 = fit_f_dist_robust(var[alone], df[alone])
        np.testing.assert_allclose(sh1, shrunk[alone], rtol=1e-9)
        np.testing.assert_allclose([s1[0], d1[0]], [scale[k], df2[k]], rtol=1e-9)


def test_without_outliers_the_robust_prior_is_close_to_the_ordinary_one():
    rng = np.random.default_rng(3)
    var = 0.04 * rng.chisquare(2, 500) / 2 * 6 / rng.chisquare(6, 500)
    s0, d0 = fit_f_dist(var, np.full(500, 2.0))
    scale, df2, shrunk = fit_f_dist_robust(var, np.full(500, 2.0))
    assert abs(scale[0] / s0[0] - 1) < 0.1 and abs(df2[0] / d0[0] - 1) < 0.5
    assert np.median(shrunk) == df2[0]


def test_rank_screen_robust_gives_outlier_proteins_their_own_prior_df(tmp_path):
    wells, _ = sr.simulate_screen(
        seed=4, n_proteins=150, cell_lines=("A375",), drugs=("vemurafenib",), outlier_rate=0.0
    )
    sample = wells.index[wells["role"] == "sample"]
    wild = wells.loc[sample, "protein"].drop_duplicates().iloc[:6]
    first = wells.loc[sample].groupby("protein").head(1)
    bump = first.index[first["protein"].isin(wild)]
    wells.loc[bump, "value"] *= 8.0  # one wild well for six proteins
    plain = sr.rank_screen(wells)
    robust = sr.rank_screen(wells, robust=True)
    h = robust.hits.set_index("protein")
    assert h.loc[wild, "df_prior"].max() < h["df_prior"].median()
    assert plain.hits["df_prior"].nunique() == 1
    assert h["df_prior"].median() > plain.hits["df_prior"].iloc[0]
    # the same wells, statistics only: protein_stats with robust=True is what the run used
    direct = protein_stats(robust.wells, robust=True).set_index("protein")
    np.testing.assert_allclose(direct.loc[h.index, "t"], h["t"], rtol=1e-12)
    out = tmp_path / "o"
    path = tmp_path / "screen.csv"
    wells.to_csv(path, index=False)
    r = CliRunner().invoke(app, ["-q", "rank", str(path), "--out", str(out), "--robust"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "run.json").read_text())["parameters"]["robust"] is True
    written = pd.read_csv(out / "hits.tsv", sep="\t").set_index("protein")
    np.testing.assert_allclose(written.loc[h.index, "t"], h["t"], rtol=1e-12)


def test_forty_random_cases_match_squeezevar():
    # sizes 9-300, mixed df with zeros, exact zero and missing variances, near-equal
    # variances, hypervariable proteins, one variance 1e12 times the others
    inp = read_ref("limma_robust_fuzz_input.tsv")
    exp = read_ref("limma_robust_fuzz_expected.tsv")
    assert inp["s2"].isna().any() and (inp["s2"] == 0).any() and (inp["df"] == 0).any()
    scale, _, shrunk = fit_f_dist_robust(
        inp["s2"].to_numpy(), inp["df"].to_numpy(dtype=float), inp["case"].to_numpy()
    )
    _assert_close(shrunk, exp["df_prior"].to_numpy(), RTOL, "df_prior")
    first = exp.groupby("case")["var_prior"].first()
    _assert_close(scale[first.index.to_numpy()], first.to_numpy(), RTOL, "var_prior")
    robust_cases = exp.groupby("case")["df_prior"].nunique() > 1
    assert robust_cases.sum() >= 10  # cases where proteins got prior df of their own
