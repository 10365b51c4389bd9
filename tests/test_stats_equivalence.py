"""The code-based grouping of hits/specificity equals pandas groupby on the text keys, bit for bit.

protein_stats and interaction_stats group wells by integer key codes and sum with one pandas
groupby over those codes; these tests hold them to the plain pandas formulation (group_stats
on the keys, reindex by key, one moderated_t per call) that they replace, exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import secretome_rank as sr
from secretome_rank import columns as C
from secretome_rank.hits import (
    KEY,
    _welch,
    call_hits,
    combine_codes,
    context_codes,
    encode_keys,
    first_appearance,
    group_stats,
    group_sums,
    key_codes,
    moments,
    protein_stats,
)
from secretome_rank.moderated import group_median, moderate, moderated_t, t_sf
from secretome_rank.multitest import adjust_pvalues
from secretome_rank.normalize import normalize_plates
from secretome_rank.specificity import classify, interaction_stats, two_group_moderated


@pytest.fixture(scope="module")
def scored():
    wells, _ = sr.simulate_screen(seed=5, n_proteins=60, cell_lines=3, drugs=("vem", "tra"))
    out, _ = normalize_plates(sr.read_screen(wells))
    return out


def _random_keys(rng, n):
    a = rng.choice(["x", "y", "z", "w"], n)
    b = rng.choice([f"p{i}" for i in range(40)], n)
    return a, b


def test_group_sums_are_pandas_compensated_sums():
    rng = np.random.default_rng(1)
    n = 5000
    g = rng.integers(0, 700, n)
    values = rng.normal(size=(n, 2)) * 10.0 ** rng.integers(-3, 6, (n, 2))
    values[rng.random((n, 2)) < 0.1] = np.nan
    ours = group_sums(values, g, 702)  # groups 700, 701 have no rows
    ref = pd.DataFrame(values).groupby(g.astype(str)).sum()
    ref.index = ref.index.astype(int)
    ref = ref.reindex(range(702), fill_value=0.0).to_numpy()
    np.testing.assert_array_equal(ours, ref)
    # the data are such that plain (uncompensated) summation gives other bits
    naive = np.bincount(g, weights=np.nan_to_num(values[:, 0]), minlength=702)
    assert np.any(naive != ours[:, 0])


def test_moments_equal_group_stats():
    rng = np.random.default_rng(2)
    n = 3000
    a, b = _random_keys(rng, n)
    v = rng.normal(3.0, 0.5, n)
    v[rng.random(n) < 0.15] = np.nan
    frame = pd.DataFrame({"a": pd.Categorical(a), "b": b})
    ref = group_stats(pd.Series(v), [frame["a"], frame["b"]])
    codes = [key_codes(frame[k]) for k in ("a", "b")]
    ids, size = combine_codes([c for c, _ in codes], [len(lv) + 2 for _, lv in codes])
    gid, first = first_appearance(ids, size)
    ((cnt, mean, var),) = moments([v], gid, first.size)
    np.testing.assert_array_equal(cnt, ref["n"].to_numpy(float))
    np.testing.assert_array_equal(mean, ref["mean"].to_numpy())
    np.testing.assert_array_equal(var, ref["var"].to_numpy())
    # group order: first appearance, as groupby(sort=False)
    assert list(zip(a[first], b[first], strict=True)) == list(ref.index)


def test_first_appearance_is_groupby_order():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 50, 400) * 7
    gid, first = first_appearance(ids, 50 * 7)
    ref = pd.Series(ids).groupby(ids, sort=False).ngroup().to_numpy()
    np.testing.assert_array_equal(gid, ref)
    np.testing.assert_array_equal(first, pd.Series(ids).drop_duplicates().index.to_numpy())


def test_combine_codes_renumbers_sparse_products():
    rng = np.random.default_rng(4)
    c1, c2 = rng.integers(0, 3000, 100), rng.integers(0, 3000, 100)
    ids, size = combine_codes([c1, c2], [3000, 3000])
    assert size < 3000 * 3000
    assert ids.max() < size
    pairs = pd.Series(list(zip(c1, c2, strict=True)))
    np.testing.assert_array_equal(pd.factorize(pairs)[0], pd.factorize(ids)[0])


def test_encode_keys_shares_the_code_space():
    wells = pd.Series(pd.Categorical(["b", "a", None, "c"], categories=["c", "a", "b", "d"]))
    codes, levels = key_codes(wells)
    assert codes.tolist() == [2, 1, 4, 0]  # missing -> len(levels)
    table = pd.Series(["a", "zz", None, "d", "b"], dtype="str")
    assert encode_keys(table, levels).tolist() == [1, 5, 4, 3, 2]  # unknown -> len + 1


def test_group_median_equals_pandas_median():
    rng = np.random.default_rng(6)
    x = rng.gamma(2.0, size=2000) * 10.0 ** rng.integers(-4, 4, 2000)
    x[rng.random(2000) < 0.1] = np.nan
    g = rng.integers(0, 60, 2000)
    ref = pd.Series(x).groupby(g).median().reindex(range(62)).to_numpy()
    np.testing.assert_array_equal(group_median(x, g, 62), ref)


def test_moderated_t_two_sided_is_twice_the_smaller_tail():
    rng = np.random.default_rng(7)
    n = rng.integers(1, 5, 300).astype(float)
    coef = rng.normal(0, 1, 300)
    s2 = np.where(n > 1, rng.gamma(2.0, 0.05, 300), np.nan)
    fit = moderated_t(coef, 1 / np.sqrt(n), s2, n - 1)
    np.testing.assert_array_equal(
        fit.p_two_sided, np.minimum(2 * t_sf(np.abs(fit.t), fit.df_total), 1.0)
    )
    t, df, s2_post, s0, d0 = moderate(coef, 1 / np.sqrt(n), s2, n - 1)
    np.testing.assert_array_equal(t, fit.t)
    np.testing.assert_array_equal(np.where(np.isnan(t), np.nan, df), fit.df_total)
    np.testing.assert_array_equal(t_sf(t, df), fit.p_greater)
    np.testing.assert_array_equal(s2_post, fit.s2_post)
    np.testing.assert_array_equal(s0, fit.s2_prior)


def _reference_protein_stats(scored, test, alternative):
    """protein_stats written with pandas groupby on the text keys (the former runner)."""
    drug = scored[scored[C.ARM] == C.ARM_DRUG]
    samples = drug[drug[C.ROLE] == C.SAMPLE]
    keys = [samples[k] for k in KEY]
    tv = group_stats(samples[C.TEST_VALUE], keys)
    lr = group_stats(samples[C.LOG2_RATIO], keys)
    by_key = samples.groupby(KEY, sort=False, observed=True)
    res = pd.DataFrame({k: tv.index.get_level_values(i) for i, k in enumerate(KEY)})
    res["n_wells"] = by_key.size().reindex(tv.index).to_numpy()
    res[C.N_REPLICATES] = tv["n"].to_numpy()
    res[C.RESCUE_PCT] = by_key[C.RESCUE_PCT].mean().reindex(tv.index).to_numpy()
    res[C.LOG2_FC] = lr["mean"].to_numpy()
    dc = drug[drug[C.ROLE] == C.DRUG_CONTROL]
    ctrl = group_stats(dc[C.LOG2_RATIO], [dc[C.CELL_LINE], dc[C.TREATMENT]])
    ctrl = ctrl.reindex(pd.MultiIndex.from_frame(res[[C.CELL_LINE, C.TREATMENT]]))
    ctx = context_codes(res)
    var_p = lr["var"].to_numpy()
    med = pd.Series(var_p).groupby(ctx).transform("median").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        res[C.SSMD] = (res[C.LOG2_FC] - ctrl["mean"].to_numpy()) / np.sqrt(
            np.where(np.isnan(var_p), med, var_p) + ctrl["var"].to_numpy()
        )
    n = tv["n"].to_numpy(float)
    if test == "moderated":
        t, df = np.full(len(res), np.nan), np.full(len(res), np.nan)
        sel = n > 0
        fit = moderated_t(
            tv["mean"].to_numpy()[sel],
            1 / np.sqrt(n[sel]),
            tv["var"].to_numpy()[sel],
            n[sel] - 1,
            groups=pd.factorize(ctx[sel])[0],
        )
        t[sel], df[sel] = fit.t, fit.df_total
    else:
        t, df = _welch(
            res[C.LOG2_FC].to_numpy(),
            var_p,
            lr["n"].to_numpy(float),
            ctrl["mean"].to_numpy(),
            ctrl["var"].to_numpy(),
            ctrl["n"].to_numpy(float),
        )
    p = t_sf(t, df) if alternative == "greater" else 2 * t_sf(np.abs(t), df)
    res[C.T], res[C.DF], res[C.P_VALUE] = t, df, np.minimum(p, 1.0)
    q = np.full(len(res), np.nan)
    for code in np.unique(ctx):
        q[ctx == code] = adjust_pvalues(res[C.P_VALUE].to_numpy()[ctx == code])
    res[C.Q_VALUE] = q
    return res


@pytest.mark.parametrize(
    ("test", "alternative"), [("moderated", "greater"), ("welch", "two-sided")]
)
def test_protein_stats_equals_groupby_formulation(scored, test, alternative):
    ours = protein_stats(scored, test=test, alternative=alternative)
    ref = _reference_protein_stats(scored, test, alternative)
    assert list(ours.columns[: len(ref.columns)]) == list(ref.columns)
    for k in KEY:
        assert ours[k].dtype == "str"
        assert ours[k].tolist() == ref[k].astype(str).tolist()
    pd.testing.assert_frame_equal(
        ours[ref.columns[3:]], ref[ref.columns[3:]], check_exact=True, check_dtype=True
    )
    assert ours[C.P_VALUE].notna().sum() > 0.9 * len(ours)


def test_protein_stats_numbers_do_not_depend_on_context_order(scored):
    # reordering whole contexts reorders the table but changes no number in it
    order = scored.groupby([C.CELL_LINE, C.TREATMENT], observed=True).ngroup()
    perm = np.argsort(-order.to_numpy(), kind="stable")
    ours = protein_stats(scored.iloc[perm].reset_index(drop=True))
    base = protein_stats(scored)
    merged = base.merge(ours, on=KEY, suffixes=("", "_perm"))
    assert len(merged) == len(base)
    for col in (C.T, C.P_VALUE, C.Q_VALUE, C.SSMD, C.LOG2_FC):
        np.testing.assert_array_equal(merged[col], merged[f"{col}_perm"])
    assert ours[C.CELL_LINE].iloc[0] != base[C.CELL_LINE].iloc[0]


def test_interaction_stats_equals_reindexed_group_stats(scored):
    table = call_hits(protein_stats(scored))
    ours = interaction_stats(scored, table)
    samples = scored[scored[C.ROLE] == C.SAMPLE]
    veh = samples[samples[C.ARM] == C.ARM_VEHICLE]
    drug = samples[samples[C.ARM] == C.ARM_DRUG]
    key_v = pd.MultiIndex.from_frame(table[[C.CELL_LINE, C.PROTEIN]])
    key_d = pd.MultiIndex.from_frame(table[KEY])
    v = group_stats(veh[C.TEST_VALUE], [veh[C.CELL_LINE], veh[C.PROTEIN]]).reindex(key_v)
    vg = group_stats(veh[C.GROWTH_LOG2], [veh[C.CELL_LINE], veh[C.PROTEIN]]).reindex(key_v)
    d = group_stats(drug[C.TEST_VALUE], [drug[k] for k in KEY]).reindex(key_d)
    res = two_group_moderated(
        d["n"].fillna(0).to_numpy(),
        d["mean"].to_numpy(),
        d["var"].to_numpy(),
        v["n"].fillna(0).to_numpy(),
        v["mean"].to_numpy(),
        v["var"].to_numpy(),
        groups=context_codes(table),
    )
    np.testing.assert_array_equal(ours["n_vehicle"], v["n"].fillna(0).astype(int))
    np.testing.assert_array_equal(
        ours[C.INTERACTION_LOG2], table[C.LOG2_FC].to_numpy() - vg["mean"].to_numpy()
    )
    np.testing.assert_array_equal(ours["interaction_t"], res["t"])
    np.testing.assert_array_equal(ours["interaction_df"], res["df"])
    np.testing.assert_array_equal(ours["interaction_p"], res["p_greater"])
    assert np.isfinite(res["t"]).mean() > 0.9


def test_direction_and_class_are_str_columns(scored):
    table = classify(interaction_stats(scored, call_hits(protein_stats(scored))))
    for col in (C.DIRECTION, C.CLASS):
        assert table[col].dtype == pd.Series(np.array(["a"])).dtype
        assert table[col].notna().all()
    up = (table[C.Q_VALUE] <= 0.05) & (table[C.T] > 0) & (table[C.RESCUE_PCT] >= 20)
    assert (table[C.DIRECTION] == C.UP).tolist() == up.tolist()
    assert set(table[C.CLASS]) <= {
        C.CLASS_RESCUER,
        C.CLASS_MITOGEN,
        C.CLASS_SENSITIZER,
        C.CLASS_INACTIVE,
        C.CLASS_INSUFFICIENT,
        C.CLASS_UNCONFIRMED,
    }
    assert (table[C.CLASS] == C.CLASS_RESCUER).any()


@pytest.mark.parametrize("offset", [0.0, 1e2, 1e4, 1e6, 1e8])
def test_variance_keeps_its_digits_far_from_zero(offset):
    """Replicates far from 0 relative to their spread: the variance of the exact values.

    Sums of squares ((S2 - n mean^2) / (n - 1)) lost 7 digits at mean / SD ~ 3e4 and all of
    them at 1e8 (the fuzz against R limma); deviations from each group's first value do not.
    """
    from fractions import Fraction

    rng = np.random.default_rng(11)
    groups = np.repeat(np.arange(50), 4)
    v = offset + rng.normal(0, 0.01, groups.size) * rng.uniform(0.3, 3, 50)[groups]
    v[rng.random(v.size) < 0.1] = np.nan
    v[0] = np.nan  # the first row of group 0 is missing: its first value is the next one
    ((n, mean, var),) = moments([v], groups, 50)
    ref = group_stats(pd.Series(v), [pd.Series(groups)])
    np.testing.assert_array_equal(var, ref["var"].to_numpy())
    for g in range(50):
        x = [Fraction(float(a)) for a in v[groups == g] if not np.isnan(a)]
        assert n[g] == len(x)
        if len(x) < 2:
            assert np.isnan(var[g])
            continue
        m = sum(x) / len(x)
        exact = sum((a - m) ** 2 for a in x) / (len(x) - 1)
        assert abs(Fraction(float(var[g])) - exact) <= 1e-12 * exact


def test_moments_spread_only_where_asked():
    rng = np.random.default_rng(12)
    groups = rng.integers(0, 30, 500)
    a, b = rng.normal(size=500), rng.normal(5, 2, 500)
    both = moments([a, b], groups, 30)
    some = moments([a, b], groups, 30, spread=[False, True])
    np.testing.assert_array_equal(some[0][1], both[0][1])  # the same means
    assert np.isnan(some[0][2]).all()
    for k in range(3):
        np.testing.assert_array_equal(some[1][k], both[1][k])
