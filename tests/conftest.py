from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# CI (`.ci/run` sets CI): the same examples every run, so a landing never hangs on a random
# draw; elsewhere hypothesis draws anew (and keeps failing examples) to find new cases
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "fixtures" / "reference"
SHARED = ROOT.parent / "shared"


def read_ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, sep="\t")


@pytest.fixture(scope="session")
def small_screen():
    import secretome_rank as sr

    return sr.simulate_screen(seed=11, n_proteins=120, cell_lines=("A375",), drugs=("vemurafenib",))


@pytest.fixture(scope="session")
def example_result():
    import secretome_rank as sr
    from secretome_rank.examples import example_screen_path

    return sr.rank_screen(sr.read_screen(example_screen_path()))


def tiny_table(**overrides) -> pd.DataFrame:
    """A valid 1-plate table: 2 drug controls, 2 vehicle controls, 3 samples."""
    df = pd.DataFrame(
        {
            "plate": ["P1"] * 7,
            "well": ["A01", "B01", "A24", "B24", "C05", "C06", "C07"],
            "value": [10.0, 12.0, 100.0, 104.0, 50.0, 11.0, 9.0],
            "role": [
                "drug_control",
                "drug_control",
                "vehicle_control",
                "vehicle_control",
                "sample",
                "sample",
                "sample",
            ],
            "protein": [None, None, None, None, "HGF", "IL6", "CCL2"],
        }
    )
    for k, v in overrides.items():
        df[k] = v
    return df
