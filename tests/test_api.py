"""The public API as a notebook user meets it: reprs, input types, errors, no side effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import secretome_rank as sr


@pytest.fixture(scope="module")
def two_line_screen():
    wells, _ = sr.simulate_screen(seed=0, n_proteins=40)
    return wells


@pytest.fixture(scope="module")
def two_line_result(two_line_screen):
    return sr.rank_screen(two_line_screen)


def test_the_result_repr_is_a_short_overview(two_line_result):
    # the dataclass repr printed every table (about 11,000 characters for 7,000 wells)
    text = repr(two_line_result)
    # (this small library is mostly active proteins: its notes say so, at length)
    overview = [line for line in text.splitlines() if not line.startswith("  note: ")]
    assert len(overview) <= 12 and len("\n".join(overview)) < 800
    assert text.startswith("PipelineResult (secretome_rank ")
    assert "40 protein(s) in 4 context(s)" in text
    n_hits = int(two_line_result.hits["is_hit"].sum())
    assert f"{n_hits} hit(s)" in text
    assert "  .wells              6,912 rows x" in text
    assert "fdr=0.05" in text and "test='moderated'" in text
    for note in two_line_result.notes:
        assert note in text
    assert "A375_DMSO_R1_L1" not in text  # no table content


def test_a_filtered_table_from_read_screen_ranks_without_warnings(two_line_screen):
    # the plates filtered out stay categories of 'plate': plate QC divided 0 by 0 for them
    # and numpy warned three times (an error under pytest's filterwarnings)
    wells = sr.read_screen(two_line_screen)
    one_line = wells[wells["cell_line"] == "A375"]
    result = sr.rank_screen(one_line)
    assert set(result.hits["cell_line"]) == {"A375"}
    raw = sr.rank_screen(two_line_screen[two_line_screen["cell_line"] == "A375"])
    np.testing.assert_allclose(result.qc["replicate_r"], raw.qc["replicate_r"], rtol=1e-12)


def test_a_table_with_its_own_arm_column_is_validated(two_line_screen, two_line_result):
    # any 'arm' column made rank_screen skip read_screen: a user's own (treatment arms
    # named 'left' and 'right', say) gave "every plate is a vehicle-arm plate"
    wells = two_line_screen.assign(arm="left")
    result = sr.rank_screen(wells)
    pd.testing.assert_frame_equal(result.hits, two_line_result.hits)


def test_a_filter_that_leaves_no_wells_is_named(two_line_screen):
    wells = sr.read_screen(two_line_screen)
    with pytest.raises(sr.SecretomeRankError, match="no rows; expected one row per well"):
        sr.rank_screen(wells[wells["cell_line"] == "a375"])  # a typo in a notebook filter


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (-3.0, "column 'value': negative in input_row 7 (-3)"),
        (float("inf"), "column 'value': infinite in input_row 7 (inf)"),
    ],
)
def test_an_edited_table_from_read_screen_is_checked(two_line_screen, edit, said):
    # a validated table was ranked as it was: a reading edited to -3 went into the
    # statistics, and an infinite one made numpy warn
    wells = sr.read_screen(two_line_screen)
    wells.loc[wells["input_row"] == 7, "value"] = edit
    with pytest.raises(sr.SecretomeRankError) as info:
        sr.rank_screen(wells)
    assert said in str(info.value)


def test_an_in_memory_table_names_rows_by_position(two_line_screen):
    # a DataFrame has no lines: its rows were named "line N" with N = position + 2
    df = two_line_screen.reset_index(drop=True)
    df.loc[5, "value"] = -2.0
    with pytest.raises(sr.SecretomeRankError) as info:
        sr.read_screen(df)
    message = str(info.value)
    assert "negative in row 5 (-2) (counted from 0, as df.iloc)" in message
    assert df.iloc[5]["value"] == -2.0
    wells = sr.read_screen(two_line_screen)
    assert sorted(wells["input_row"]) == list(range(len(two_line_screen)))


def test_an_edited_role_or_arm_is_checked(two_line_screen):
    wells = sr.read_screen(two_line_screen)
    wells["arm"] = wells["arm"].cat.add_categories(["mock"])
    wells.loc[wells["input_row"] == 9, "arm"] = "mock"
    wells.loc[wells["input_row"] == 10, "role"] = None
    with pytest.raises(sr.SecretomeRankError) as info:
        sr.rank_screen(wells)
    message = str(info.value)
    assert "2 problem(s)" in message
    assert "column 'arm': input_row 9 ('mock'); expected one of drug, vehicle" in message
    assert "column 'role': input_row 10" in message


def test_a_table_without_row_and_col_is_read_again(two_line_screen, two_line_result):
    # a table with 'arm' but without 'row' and 'col' failed with KeyError: 'row'
    wells = sr.read_screen(two_line_screen).drop(columns=["row", "col"])
    pd.testing.assert_frame_equal(sr.rank_screen(wells).hits, two_line_result.hits)


def test_rank_screen_takes_a_path_and_refuses_other_things(
    tmp_path, two_line_screen, two_line_result
):
    path = tmp_path / "screen.csv"
    two_line_screen.to_csv(path, index=False)
    for source in (path, str(path)):
        pd.testing.assert_frame_equal(sr.rank_screen(source).hits, two_line_result.hits)
    with pytest.raises(sr.SecretomeRankError, match="wells is a Series; expected a well table"):
        sr.rank_screen(two_line_screen["value"])


def test_a_resource_table_in_union_mode_keeps_the_bundled_pairs(tmp_path, two_line_screen):
    # with a DataFrame as resource, resource_mode was ignored: "union" ranked with the
    # user's pairs only (no receptor for any other protein), and any mode was accepted
    wells = two_line_screen[two_line_screen["cell_line"] == "A375"]
    pairs = pd.DataFrame({"ligand": ["HGF"], "receptor": ["MET"]})
    pairs.to_csv(tmp_path / "pairs.tsv", sep="\t", index=False)
    from_file = sr.rank_screen(wells, resource=tmp_path / "pairs.tsv", resource_mode="union")
    result = sr.rank_screen(wells, resource=pairs, resource_mode="union")
    assert (result.hits["receptors"] != "").sum() > 10
    assert result.hits["receptors"].tolist() == from_file.hits["receptors"].tolist()
    only = sr.rank_screen(wells, resource=pairs, resource_mode="replace")
    assert set(only.hits["receptors"]) <= {"", "MET"}
    with pytest.raises(sr.SecretomeRankError, match="resource mode 'both'; expected one of"):
        sr.rank_screen(wells, resource=pairs, resource_mode="both")


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ({"fdr": "0.05"}, "fdr='0.05': expected a number in (0, 1]"),
        ({"fdr": None}, "fdr=None: expected a number in (0, 1]"),
        ({"min_rescue": None}, "min_rescue=None: expected a finite number"),
        ({"ssmd_threshold": "3"}, "ssmd_threshold='3': expected a finite number"),
        ({"exclude_failed": "no"}, "exclude_failed='no': expected True or False"),
        ({"robust": 1}, "robust=1: expected True or False"),
        ({"test": ["welch"]}, "test=['welch']: expected one of 'moderated', 'welch'"),
        ({"expression_threshold": float("nan")}, "expression_threshold=nan: expected a finite"),
    ],
)
def test_options_of_the_wrong_type_are_named(two_line_screen, option, said):
    # a text or None threshold failed inside a comparison with a bare TypeError, "no" for
    # exclude_failed excluded the failed plates, a NaN expression threshold was taken
    with pytest.raises(sr.SecretomeRankError) as info:
        sr.rank_screen(two_line_screen, **option)
    assert said in str(info.value)


def test_a_bad_expression_table_is_named_before_the_work(two_line_screen, monkeypatch):
    # it failed with KeyError: 'cell_line' after the whole run
    from secretome_rank import pipeline

    def not_reached(*args, **kwargs):
        raise AssertionError("the screen was normalised before the options were checked")

    monkeypatch.setattr(pipeline, "normalize_plates", not_reached)
    bad = pd.DataFrame({"line": ["A375"], "gene": ["MET"], "value": [3.0]})
    with pytest.raises(sr.SecretomeRankError, match="expression table lacks column.s. cell_line"):
        sr.rank_screen(two_line_screen, expression=bad)
    with pytest.raises(sr.SecretomeRankError, match="expression is a str; expected a table"):
        sr.rank_screen(two_line_screen, expression="expression.tsv")


def test_annotate_keeps_the_index_of_a_series():
    # a DataFrame kept its index, a Series lost it: the result did not align with the table
    # the names came from (hits.loc[hits.is_hit, "protein"], say)
    names = pd.Series(["HGF", "IL-6", "EGF"], index=[7, 3, 12], name="protein")
    out = sr.annotate(names)
    assert out.index.tolist() == [7, 3, 12]
    assert out["symbol"].tolist() == ["HGF", "IL6", "EGF"]
    assert sr.annotate(names.set_axis(["a", "b", "c"]))["symbol"]["b"] == "IL6"
    assert sr.annotate(names.reset_index(drop=True)).index.equals(pd.RangeIndex(3))


@pytest.mark.parametrize("names", [np.array([["HGF", "EGF"]]), None, 5])
def test_annotate_names_what_it_cannot_read(names):
    # a 2-D array failed with "unhashable type: 'numpy.ndarray'", None and 5 with TypeError
    with pytest.raises(sr.SecretomeRankError, match="expected protein names"):
        sr.annotate(names)


def test_adjust_pvalues_returns_a_series_for_a_series():
    # a Series came back as an array: its index (protein names, say) was lost
    p = pd.Series([0.01, 0.04, None, 0.03], index=["HGF", "EGF", "FGF2", "IL6"], name="p")
    q = sr.adjust_pvalues(p)
    assert isinstance(q, pd.Series)
    assert q.index.tolist() == p.index.tolist() and q.name == "p"
    np.testing.assert_allclose(q.to_numpy(), sr.adjust_pvalues(p.to_numpy()), rtol=0)
    filtered = sr.adjust_pvalues(p[p.index != "EGF"], method="holm")
    assert filtered.index.tolist() == ["HGF", "FGF2", "IL6"]


def test_adjust_pvalues_reads_missing_values_of_every_kind():
    # a list from a nullable column holds pd.NA: "float() argument must be ... not 'NAType'"
    q = sr.adjust_pvalues([0.01, pd.NA, 0.03, None, float("nan")])
    np.testing.assert_allclose(q, [0.02, np.nan, 0.03, np.nan, np.nan], rtol=1e-12)
    nullable = pd.Series([0.01, None, 0.03], dtype="Float64")
    np.testing.assert_allclose(sr.adjust_pvalues(nullable), [0.02, np.nan, 0.03], rtol=1e-12)


def test_adjust_pvalues_treats_any_shape_as_one_family_and_refuses_a_dataframe():
    p = np.array([[0.01, 0.04], [0.03, 0.5]])
    q = sr.adjust_pvalues(p)
    assert q.shape == (2, 2)
    np.testing.assert_allclose(q.ravel(), sr.adjust_pvalues(p.ravel()), rtol=0)
    assert sr.adjust_pvalues(0.03).shape == ()
    # a DataFrame was one family of all its values, returned as a bare array
    frame = pd.DataFrame({"a": [0.01, 0.02], "b": [0.5, 0.3]})
    with pytest.raises(sr.SecretomeRankError, match=r"df.apply\(adjust_pvalues\)"):
        sr.adjust_pvalues(frame)
    per_column = frame.apply(sr.adjust_pvalues)
    np.testing.assert_allclose(per_column["b"], [0.5, 0.5], rtol=0)


@pytest.mark.parametrize(
    ("p", "said"),
    [
        ([0.1, 1.5, -0.1], "2 p-value(s) outside [0, 1] (1.5, -0.1); expected probabilities"),
        (["0.1", "n.s."], "p holds 'n.s.', not a p-value; expected numbers in [0, 1]"),
        ([[0.1, 0.2], [0.3]], "p holds [0.1, 0.2], not a p-value"),
    ],
)
def test_adjust_pvalues_names_bad_values(p, said):
    # 'could not convert string to float', or "p-values must lie in [0, 1]" without which
    with pytest.raises(sr.SecretomeRankError) as info:
        sr.adjust_pvalues(p)
    assert said in str(info.value)


def test_one_vehicle_word_as_text_is_a_word_not_its_letters(two_line_screen):
    # vehicle_words="DMSO" was the letters d, m, s, o: the DMSO plates became drug-arm
    # plates, silently
    wells = sr.read_screen(two_line_screen, vehicle_words="DMSO")
    arms = wells.groupby("treatment", observed=True)["arm"].first().astype(str).to_dict()
    assert arms == {"DMSO": "vehicle", "trametinib": "drug", "vemurafenib": "drug"}


@pytest.mark.parametrize(
    ("source", "options", "said"),
    [
        (5, {}, "source of type int; expected the path of a CSV/TSV/Parquet/Excel file"),
        (None, {}, "source of type NoneType; expected the path"),
        ("df", {"columns": ["value"]}, "columns=['value']: expected a mapping, e.g."),
        ("df", {"role_map": "neg=drug_control"}, "role_map='neg=drug_control': expected a"),
    ],
)
def test_read_screen_names_arguments_of_the_wrong_type(two_line_screen, source, options, said):
    # "expected str, bytes or os.PathLike object, not int" from pathlib, or "dictionary
    # update sequence element #0 has length 5; 2 is required"
    source = two_line_screen if source == "df" else source
    with pytest.raises(sr.SecretomeRankError) as info:
        sr.read_screen(source, **options)
    assert said in str(info.value)


def test_read_screen_names_a_two_level_header(two_line_screen):
    # AttributeError: 'DataFrame' object has no attribute 'dtype'
    wells = two_line_screen.copy()
    wells.columns = pd.MultiIndex.from_arrays([["screen"] * wells.shape[1], wells.columns])
    with pytest.raises(sr.SecretomeRankError, match="columns have several levels"):
        sr.read_screen(wells)


def test_data_warnings_are_python_warnings_a_notebook_shows(two_line_screen):
    # they were log records of the package logger, which has only a NullHandler outside the
    # CLI: a notebook showed nothing (not even Python's last-resort handler)
    raw = two_line_screen.copy()
    raw.loc[raw["role"] == "drug_control", "protein"] = "HGF"
    with pytest.warns(UserWarning, match="control wells that name a protein") as record:
        wells = sr.read_screen(raw)
    assert record[0].filename == __file__  # attributed to the caller's line, not ours
    with pytest.warns(UserWarning, match="scored against their library median") as record:
        sr.rank_screen(wells[wells["role"] != "drug_control"])
    assert record[0].filename == __file__


def test_dir_lists_the_public_names_before_they_are_imported():
    # the names are imported lazily: dir(sr), which tab completion uses, listed none of them
    import subprocess
    import sys

    code = "import secretome_rank as sr; print(' '.join(dir(sr)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(sr.__all__) <= set(out.stdout.split())
    assert "__version__" in out.stdout.split()


def test_a_path_under_the_home_folder_may_start_with_a_tilde(tmp_path, monkeypatch):
    # pandas reads "~/screen.csv"; read_screen said "file not found", and so did a resource
    monkeypatch.setenv("HOME", str(tmp_path))
    wells, _ = sr.simulate_screen(seed=1, n_proteins=12, cell_lines=("A",), drugs=("x",))
    wells.to_csv(tmp_path / "screen.csv", index=False)
    pd.DataFrame({"ligand": ["HGF"], "receptor": ["MET"]}).to_csv(
        tmp_path / "pairs.tsv", sep="\t", index=False
    )
    assert len(sr.read_screen("~/screen.csv")) == len(wells)
    assert sr.annotate(["HGF"], resource="~/pairs.tsv")["receptors"].tolist() == ["MET"]


def test_a_wells_tsv_read_back_ranks_as_the_screen(tmp_path, two_line_screen, two_line_result):
    from secretome_rank.report import write_outputs

    write_outputs(two_line_result, tmp_path / "out")
    back = pd.read_csv(tmp_path / "out" / "wells.tsv", sep="\t")
    again = sr.rank_screen(back)
    for col in ("p_value", "q_value", "rescue_pct"):
        np.testing.assert_allclose(again.hits[col], two_line_result.hits[col], rtol=1e-9)
    assert again.hits["is_hit"].tolist() == two_line_result.hits["is_hit"].tolist()


def test_a_frame_and_its_csv_rank_alike_and_ranking_has_no_state(
    tmp_path, two_line_screen, two_line_result
):
    two_line_screen.to_csv(tmp_path / "screen.csv", index=False)
    runs = [
        sr.rank_screen(sr.read_screen(tmp_path / "screen.csv")),
        sr.rank_screen(sr.read_screen(two_line_screen)),
        sr.rank_screen(two_line_screen),  # again: no state kept between calls
        sr.rank_screen(two_line_result.wells),
    ]
    for run in runs:
        for name in ("hits", "qc", "receptors", "summary", "rescue_matrix"):
            pd.testing.assert_frame_equal(getattr(run, name), getattr(two_line_result, name))


def test_text_columns_of_the_result_share_one_dtype(two_line_result):
    # hits' cell_line, treatment and protein were object where the other text columns
    # were pandas' str dtype; so were receptors' ligand lists and qc's verdict and reason
    for name in ("hits", "receptors", "receptor_families", "qc", "summary"):
        table = getattr(two_line_result, name)
        assert not [c for c in table.columns if table[c].dtype == object], name
    assert two_line_result.hits["protein"].dtype == "str"
