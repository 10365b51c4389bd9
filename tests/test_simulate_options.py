"""`simulate`: invalid option values and output paths are usage errors with one clear message;
the output format follows the file name; `simulate_screen` names its invalid parameters."""

from __future__ import annotations

import pytest

import secretome_rank as sr
from secretome_rank.errors import ConfigError

SMALL = {"n_proteins": 20, "cell_lines": 1, "drugs": ("x",), "n_replicates": 1}


# --- the Python API -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n_replicates", 0),
        ("n_replicates", -1),
        ("n_proteins", 0),
        ("n_proteins", -3),
        ("cell_lines", 0),
        ("cell_lines", ()),
        ("drugs", ()),
        ("drugs", "vemurafenib"),
        ("drugs", ("x", "x")),
        ("drugs", ("DMSO",)),
        ("seed", -1),
        ("n_rescuers", -1),
        ("n_mitogens", -2),
        ("n_toxic", -1),
        ("drug_survival", 0.0),
        ("drug_survival", 1.0),
        ("noise_sd", -0.1),
        ("noise_sd", float("nan")),
        ("edge_loss", 1.0),
        ("gradient", -1.0),
        ("outlier_rate", 1.5),
        ("missing_rate", -0.1),
        ("line_activity", 2.0),
        ("strength_sd", float("inf")),
        ("drug_specific_fraction", -0.5),
    ],
)
def test_simulate_screen_names_the_invalid_parameter(name, value):
    with pytest.raises(ValueError, match=name) as info:
        sr.simulate_screen(**{**SMALL, name: value})
    assert isinstance(info.value, ConfigError)
    assert "expected" in str(info.value) or "give" in str(info.value)


def test_simulate_screen_reports_every_invalid_parameter_at_once():
    with pytest.raises(ConfigError) as info:
        sr.simulate_screen(n_replicates=0, noise_sd=-1.0, missing_rate=2.0)
    assert "3 invalid" in str(info.value)
    assert len(info.value.problems) == 3


@pytest.mark.parametrize("n", [5, 10])
def test_simulate_screen_small_library_has_no_crash(n):
    # n_proteins=10 failed for seeds 0-3 (too few non-classic rescuer candidates to draw)
    for seed in range(4):
        wells, truth = sr.simulate_screen(seed, **{**SMALL, "n_proteins": n})
        assert truth["protein"].nunique() == n
        assert wells["protein"].dropna().nunique() == n


def test_simulate_screen_more_proteins_than_library_warns():
    from secretome_rank.simulate import library

    n_library = len(library())
    with pytest.warns(UserWarning, match="n_proteins"):
        _, truth = sr.simulate_screen(
            0, n_proteins=n_library + 100, cell_lines=1, drugs=("x",), n_replicates=1
        )
    assert truth["protein"].nunique() == n_library
