"""The public API as a notebook user meets it: reprs, input types, errors, no side effects."""

from __future__ import annotations

import numpy as np
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
    assert len(text.splitlines()) <= 16 and len(text) < 1200
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
