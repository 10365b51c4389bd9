from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import secretome_rank as sr
from secretome_rank import columns as C


def test_every_protein_in_every_context(small_screen):
    wells, _ = small_screen
    res = sr.rank_screen(wells)
    h = res.hits
    n_ctx = h[["cell_line", "treatment"]].drop_duplicates().shape[0]
    assert (
        h.groupby(["cell_line", "treatment"])["protein"]
        .nunique()
        .eq(wells["protein"].dropna().nunique())
        .all()
    )
    assert len(h) == n_ctx * wells["protein"].dropna().nunique()
    assert not h.duplicated(list(C.HITS_KEY)).any()
    assert list(h.columns[: len(C.HITS_COLUMNS)]) == list(C.HITS_COLUMNS)
    for _, ctx in h.groupby(["cell_line", "treatment"]):
        assert sorted(ctx["rank"]) == list(range(1, len(ctx) + 1))


def test_ranking_order(small_screen):
    wells, _ = small_screen
    h = sr.rank_screen(wells).hits
    hits = h[h["is_hit"]]
    assert hits["rank"].max() < h.loc[~h["is_hit"], "rank"].min()
    assert ((h["q_value"] <= 0.05) & (h["rescue_pct"] >= 20)).sum() == h["is_hit"].sum()


def test_recovers_planted_rescuers_and_separates_mitogens():
    wells, truth = sr.simulate_screen(seed=5)
    h = sr.rank_screen(wells).hits.merge(truth, on=["cell_line", "treatment", "protein"])
    strong = h[h["is_rescuer"] & (h["true_rescue_pct"] >= 30)]
    assert (strong["class"] == "rescuer").mean() >= 0.9
    mit = h[h["kind"] == "mitogen"]
    assert (mit["class"] != "rescuer").mean() >= 0.9
    calls = h[h["class"] == "rescuer"]
    false = (~calls["is_rescuer"]).sum()
    assert false / max(len(calls), 1) <= 0.1


def test_null_p_values_calibrated():
    """Inactive proteins under edge loss and gradients: one-sided p close to uniform."""
    wells, truth = sr.simulate_screen(seed=8, n_rescuers=0, n_mitogens=0, n_toxic=0)
    h = sr.rank_screen(wells).hits
    p = h["p_value"].dropna().to_numpy()
    assert len(p) > 1500
    assert np.mean(p < 0.05) < 0.08
    assert stats.kstest(p, "uniform").statistic < 0.08
    assert (h["q_value"] <= 0.05).sum() <= 3


@pytest.mark.parametrize("test", ["welch", "ssmd", "robust_z"])
def test_alternative_tests_run(small_screen, test):
    wells, truth = small_screen
    h = sr.rank_screen(wells, test=test).hits
    assert len(h) == wells["protein"].dropna().nunique()
    if test == "ssmd":
        assert h["p_value"].isna().all() and h["ssmd"].notna().sum() > 100
    else:
        assert h["p_value"].between(0, 1).sum() > 100


def test_two_sided_finds_sensitizers():
    wells, truth = sr.simulate_screen(seed=4, n_toxic=12)
    h = sr.rank_screen(wells, alternative="two-sided").hits.merge(
        truth, on=["cell_line", "treatment", "protein"]
    )
    sens = h[h["class"] == "sensitizer"]
    assert len(sens) > 0 and (sens["kind"] == "toxic").mean() > 0.8


def test_no_vehicle_arm_is_unconfirmed():
    wells, _ = sr.simulate_screen(
        seed=2, n_proteins=100, cell_lines=("A",), drugs=("x",), vehicle_arm=False
    )
    res = sr.rank_screen(wells)
    assert set(res.hits.loc[res.hits["is_hit"], "class"]) == {"rescue_unconfirmed"}
    assert any("no vehicle arm" in n for n in res.notes)


def test_single_replicate_status():
    wells, _ = sr.simulate_screen(
        seed=2, n_proteins=100, cell_lines=("A",), drugs=("x",), n_replicates=1
    )
    with pytest.warns(UserWarning, match="no protein could be tested"):
        res = sr.rank_screen(wells, pool="none")
    h = res.hits
    assert (h["n_replicates"] <= 1).all()
    # with no replicate anywhere no prior can be estimated: ranked by effect, p missing
    assert h["p_value"].isna().all()
    assert h["status"].isin(["single_replicate_untested", "all_wells_missing"]).all()
    assert any("no protein could be tested" in n and "--test robust_z" in n for n in res.notes)
    assert h.sort_values("rank")["rescue_pct"].dropna().is_monotonic_decreasing


def test_protein_missing_from_a_context_still_listed(small_screen):
    wells, _ = small_screen
    w = wells[
        ~((wells["protein"] == wells["protein"].dropna().iloc[0]) & (wells["treatment"] != "DMSO"))
    ]
    h = sr.rank_screen(w).hits
    row = h[h["protein"] == wells["protein"].dropna().iloc[0]]
    assert len(row) == 1 and row["status"].iloc[0] == "not_on_plates"
    assert row["class"].iloc[0] == "insufficient_data"


def test_protein_with_only_vehicle_rows_informs_the_interaction_prior(small_screen):
    # limma fits every protein of the cell line: one with vehicle wells and no drug-arm rows
    # adds its vehicle variance to the prior, exactly as if its drug wells were empty
    wells, _ = small_screen
    odd = wells["protein"].dropna().unique()[:4]
    mine = wells["protein"].isin(odd).to_numpy()
    vehicle = (wells["treatment"] == "DMSO").to_numpy()
    rng = np.random.default_rng(0)
    w = wells.copy()
    w.loc[mine & vehicle, "value"] *= rng.lognormal(0.0, 0.8, int((mine & vehicle).sum()))
    empty = w.copy()
    empty.loc[mine & ~vehicle, "value"] = np.nan
    absent = w[~(mine & ~vehicle)]
    a = sr.rank_screen(empty).hits.set_index(list(C.HITS_KEY)).sort_index()
    b = sr.rank_screen(absent).hits.set_index(list(C.HITS_KEY)).sort_index()
    cols = ["interaction_t", "interaction_df", "interaction_p", "interaction_q", "n_vehicle"]
    assert a[cols].notna().any().all()
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=False, rtol=1e-12)
    n_vehicle = b.xs(odd[0], level=C.PROTEIN)["n_vehicle"]
    assert (n_vehicle == (mine & vehicle & (wells["protein"] == odd[0])).sum()).all()


def test_receptor_counts_include_ligands_that_could_not_be_tested(small_screen):
    # FGF8's wells all unread: still one of FGFR1's library ligands, just not a tested one
    wells, _ = small_screen
    w = wells.copy()
    w.loc[(w["protein"] == "FGF8").to_numpy(), "value"] = np.nan
    res = sr.rank_screen(w)
    row = res.receptors[res.receptors["receptor"] == "FGFR1"].iloc[0]
    ligands = row["ligands"].split(";")
    assert "FGF8" in ligands and row["n_ligands"] == len(ligands)
    assert row["n_tested"] == row["n_ligands"] - 1
    family = res.receptor_families[res.receptor_families["receptor_family"] == "FGFR"].iloc[0]
    assert "FGF8" in family["ligands"].split(";")


def test_a_co_receptor_alone_does_not_make_a_receptor_expressed(small_screen):
    # VEGF-D signals through FLT4/KDR (and ITGA9); NRP2 only helps: a line with NRP2 and none
    # of the signalling receptors does not express VEGF-D's receptor
    wells, _ = small_screen
    genes = ["FLT4", "KDR", "ITGA9", "NRP2"]
    expression = pd.DataFrame({"cell_line": "A375", "gene": genes, "value": [0.0, 0.0, 0.0, 50.0]})
    hits = sr.rank_screen(wells, expression=expression).hits
    row = hits[hits["protein"] == "VEGF-D"].iloc[0]
    assert pd.notna(row["receptor_expressed"]) and not bool(row["receptor_expressed"])
    assert row["expressed_receptors"] == ""
    expression.loc[expression["gene"] == "KDR", "value"] = 9.0
    row = sr.rank_screen(wells, expression=expression).hits.query("protein == 'VEGF-D'").iloc[0]
    assert bool(row["receptor_expressed"]) and row["expressed_receptors"] == "KDR"


def test_exclude_failed_plates(small_screen):
    wells, _ = small_screen
    w = wells.copy()
    bad = w["plate"] == w["plate"].iloc[0]
    w.loc[bad & (w["role"] == "drug_control"), "value"] = w.loc[
        bad & (w["role"] == "vehicle_control"), "value"
    ].median()
    res = sr.rank_screen(w, exclude_failed=True)
    assert (res.qc["verdict"] == "fail").sum() >= 1
    assert res.wells.loc[res.wells["plate"] == w["plate"].iloc[0], "test_value"].isna().all()


def test_the_counts_log_line_only_when_info_is_shown(small_screen, caplog):
    wells, _ = small_screen
    with caplog.at_level("WARNING", logger="secretome_rank"):
        sr.rank_screen(wells)
    assert not [r for r in caplog.records if r.getMessage().startswith("ranked ")]
    with caplog.at_level("INFO", logger="secretome_rank"):
        res = sr.rank_screen(wells)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ranked ")]
    n_ctx = len(res.hits[[C.CELL_LINE, C.TREATMENT]].drop_duplicates())
    expected = (
        f"ranked {res.hits[C.PROTEIN].nunique()} proteins in {n_ctx} context(s); "
        f"{int(res.hits[C.IS_HIT].sum())} hit(s)"
    )
    assert lines == [expected]


def test_strong_plate_patterns_bring_advice_to_use_bscore():
    # docs/formulas.md section 7: per-plate gradients of SD 1.0 gave an empirical FDR of 0.10
    kw = {"n_proteins": 120, "cell_lines": ("A375",), "drugs": ("vemurafenib",)}
    patterned, _ = sr.simulate_screen(seed=100, gradient=1.0, **kw)
    notes = sr.rank_screen(patterned).notes
    advice = [n for n in notes if "--spatial bscore" in n]
    assert len(advice) == 1 and advice[0].startswith(
        "3 of 3 drug-arm plates show row/column patterns"
    )
    assert not any(
        "--spatial bscore" in n for n in sr.rank_screen(patterned, spatial="bscore").notes
    )
    plain, _ = sr.simulate_screen(seed=100, **kw)
    assert not any("--spatial bscore" in n for n in sr.rank_screen(plain).notes)


def test_a_read_table_concatenated_with_itself_is_refused(small_screen):
    # every well would have counted twice as a replicate (n and df inflated, p too small)
    import pandas as pd

    from secretome_rank.errors import SchemaError

    wells = sr.read_screen(small_screen[0])
    twice = pd.concat([wells, wells], ignore_index=True)
    with pytest.raises(SchemaError) as err:
        sr.rank_screen(twice)
    text = str(err.value.problems)
    assert "duplicate wells" in text and "concatenated with itself" in text
    # a part of the table, and two different reads put together, are fine
    one = wells[wells["plate"] == wells["plate"].iloc[0]]
    other = wells[wells["plate"] != wells["plate"].iloc[0]]
    assert len(sr.rank_screen(pd.concat([one, other], ignore_index=True)).hits)


def test_a_library_bulk_above_zero_rescue_is_noted():
    # controls in the outer columns lose more signal than the library: every rescue_pct
    # runs high (docs/formulas.md section 7); the run now says so
    def bulk_notes(**kw):
        wells, _ = sr.simulate_screen(
            seed=100, n_proteins=150, cell_lines=("A375",), drugs=("vemurafenib",), **kw
        )
        res = sr.rank_screen(wells)
        return res, [n for n in res.notes if n.startswith("the library bulk reads")]

    res, notes = bulk_notes(edge_loss=0.5)
    assert len(notes) == 1 and "bulk_offset_log2" in notes[0]
    shown = float(notes[0].split("median ")[1].split(" %")[0])
    sample = (res.wells["role"] == "sample") & (res.wells["arm"] == "drug")
    per_plate = res.wells[sample].groupby("plate", observed=True)["rescue_pct"].median()
    assert abs(shown - per_plate.median()) < 2.0  # the bulk's own median % rescue
    assert not bulk_notes()[1]


def test_a_readout_that_falls_with_viability_is_tested_the_same_way():
    # found by a metamorphic audit: with a readout that falls as cells survive (V < D on
    # every drug-arm plate, which QC accepts with a warning) no hit could ever be called:
    # t ran negative for rescuers while the hit call wanted t > 0 and rescue_pct >= 20
    import warnings

    wells, _ = sr.simulate_screen(1, n_proteins=120, cell_lines=1, drugs=("vemurafenib",))
    inverted = wells.assign(value=1e9 / wells["value"].clip(lower=1))  # log2 flips sign
    for test in ("moderated", "welch", "ssmd", "robust_z"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # QC: V < D on every plate
            a = sr.rank_screen(wells, test=test)
            b = sr.rank_screen(inverted, test=test)
        ha = a.hits.set_index(["treatment", "protein"])
        hb = b.hits.set_index(["treatment", "protein"]).reindex(ha.index)
        # the tests centred on the library bulk see exactly the negated log2 values; those
        # against the drug controls (Welch, SSMD) nearly (the readout floor, even-count
        # control medians)
        exact = ("t", "p_value") if test in ("moderated", "robust_z") else ()
        for col in (*exact, "interaction_p"):
            np.testing.assert_allclose(hb[col], ha[col], rtol=1e-9, atol=1e-12, err_msg=col)
        for col in ("ssmd", "t") if test == "welch" else ("ssmd",):
            assert np.corrcoef(hb[col], ha[col])[0, 1] > 0.999, col
        assert np.corrcoef(hb["log2_fc"], ha["log2_fc"])[0, 1] < -0.999
        assert hb["is_hit"].sum() >= 0.8 * ha["is_hit"].sum() > 0
        assert any(n.startswith("the readout falls with viability") for n in b.notes)
        assert not any(n.startswith("the readout falls") for n in a.notes)


def test_a_gene_under_two_names_is_noted():
    # found by a metamorphic audit: 'FGF1' on one plate and 'aFGF' on the others were two
    # proteins, silently (one with a single replicate)
    wells, _ = sr.simulate_screen(1, n_proteins=120, cell_lines=1, drugs=("vemurafenib",))
    assert not any("more than one name" in n for n in sr.rank_screen(wells).notes)
    plate = wells["plate"] == "CL001_vemurafenib_R2_L1"
    wells.loc[plate, "protein"] = wells.loc[plate, "protein"].replace({"aFGF": "FGF1"})
    result = sr.rank_screen(wells)
    (note,) = [n for n in result.notes if "more than one name" in n]
    assert "FGF1 and aFGF (FGF1)" in note
    assert {"FGF1", "aFGF"} <= set(result.hits["protein"])  # still tested as named


def test_swapped_control_roles_are_named_in_the_bulk_note():
    # metamorphic audit: with drug and vehicle controls swapped on every plate the note said
    # "the drug controls read lower than the library wells", the opposite of the case
    import warnings

    wells, _ = sr.simulate_screen(1, n_proteins=120, cell_lines=1, drugs=("vemurafenib",))
    swap = {"drug_control": "vehicle_control", "vehicle_control": "drug_control"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # QC warns of V < D on every plate
        result = sr.rank_screen(wells.assign(role=wells["role"].replace(swap)))
    (note,) = [n for n in result.notes if n.startswith("the library bulk reads")]
    assert "are the control roles swapped" in note and "read lower" not in note


def test_a_protein_in_two_wells_of_a_plate_is_noted():
    # metamorphic audit: a second well of a protein on the same plate counts as a replicate
    # (as documented), which overstates technical duplicates: the run says so
    wells, _ = sr.simulate_screen(1, n_proteins=120, cell_lines=1, drugs=("vemurafenib",))
    assert not any("more than one sample well" in n for n in sr.rank_screen(wells).notes)
    empty = wells.index[wells["role"] == "empty"]
    plate = "CL001_vemurafenib_R1_L1"
    src = wells[(wells["protein"] == "ANGPTL1") & (wells["plate"] == plate)].iloc[0]
    if len(empty) == 0:
        pytest.skip("no empty well to fill in this layout")
    wells.loc[empty[0], ["plate", "role", "protein", "value"]] = [
        plate,
        "sample",
        "ANGPTL1",
        src["value"],
    ]
    (note,) = [n for n in sr.rank_screen(wells).notes if "more than one sample well" in n]
    assert note.startswith("1 protein(s)") and f"ANGPTL1 on {plate}" in note


def test_two_sided_runs_rank_receptors_and_contexts_by_rescue():
    # found by a docs audit: with alternative="two-sided" the receptor ranking combined
    # two-sided p-values and counted sensitizers as hit ligands (GAL made GALR1 a top
    # "rescue" receptor), and the rank aggregation put pure sensitizers on top
    import warnings

    wells, _ = sr.simulate_screen(1, n_toxic=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        two = sr.rank_screen(wells, alternative="two-sided")
        one = sr.rank_screen(wells)
    sensitizers = set(two.hits.loc[two.hits["class"] == "sensitizer", "protein"])
    assert sensitizers  # the screen has some
    hit_receptors = two.receptors[two.receptors["is_receptor_hit"]]
    for ligands in hit_receptors["hit_ligands"]:
        assert not set(str(ligands).split(";")) <= sensitizers
    key = ["cell_line", "treatment", "receptor"]
    a = one.receptors.set_index(key)["is_receptor_hit"]
    b = two.receptors.set_index(key)["is_receptor_hit"].reindex(a.index)
    assert (a == b).mean() > 0.98  # nearly the one-sided ranking (q from other p-values)
    s = two.summary
    assert not ((s["rra_q"] <= 0.05) & (s["stouffer_z"] < 0)).any()


def test_ssmd_runs_say_what_stays_empty(small_screen):
    wells, _ = small_screen
    result = sr.rank_screen(wells, test="ssmd")
    assert result.hits["p_value"].isna().all()
    assert any(n.startswith("--test ssmd gives no p-values") for n in result.notes)
    assert not any(n.startswith("--test ssmd") for n in sr.rank_screen(wells).notes)


def test_pooled_panels_of_a_readout_that_falls_with_viability():
    import warnings

    wells, _ = sr.simulate_screen(3, n_proteins=80, cell_lines=6, drugs=("vem",), n_replicates=1)
    inverted = wells.assign(value=1e9 / wells["value"].clip(lower=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        a, b = (sr.rank_screen(w).hits for w in (wells, inverted))
    pa = a[a["cell_line"] == "pooled"].set_index("protein")
    pb = b[b["cell_line"] == "pooled"].set_index("protein").reindex(pa.index)
    np.testing.assert_allclose(pb["t"], pa["t"], rtol=1e-9, atol=1e-12)
    assert np.corrcoef(pb["ssmd"], pa["ssmd"])[0, 1] > 0.999  # signed like the test
    assert pb["is_hit"].sum() == pa["is_hit"].sum() > 0


def test_cellhts2_scores_of_a_falling_readout_call_hits_with_every_test():
    # code review: with --normalization cellhts2 Welch's t and SSMD (from log2 ratios) were
    # left unsigned, so a readout that falls with viability called no hit under them
    import warnings

    wells, _ = sr.simulate_screen(
        1, n_proteins=120, cell_lines=1, drugs=("vem",), vehicle_arm=False
    )
    inverted = wells.assign(value=1e9 / wells["value"].clip(lower=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for test in ("moderated", "welch", "ssmd"):
            hits = sr.rank_screen(
                inverted, normalization="cellhts2", cellhts2_sign=-1, test=test
            ).hits
            assert hits["is_hit"].sum() > 10, test


def test_one_gene_named_apart_in_two_contexts_is_not_noted():
    # code review: every protein is listed in every context (0 wells where not on its
    # plates), so a name used in one context only looked like a second name in the other
    wells, _ = sr.simulate_screen(1, n_proteins=120, cell_lines=2, drugs=("vem",))
    line = wells["cell_line"] == wells["cell_line"].iloc[0]
    assert "aFGF" in set(wells["protein"])
    wells.loc[line, "protein"] = wells.loc[line, "protein"].replace({"aFGF": "FGF1"})
    result = sr.rank_screen(wells)
    assert {"FGF1", "aFGF"} <= set(result.hits["protein"])
    assert not any("more than one name" in n for n in result.notes)
