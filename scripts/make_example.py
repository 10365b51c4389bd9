"""Regenerate the bundled example screen: python scripts/make_example.py"""

from pathlib import Path

import secretome_rank as sr
from secretome_rank.examples import EXAMPLE_SEED

data = Path(__file__).resolve().parents[1] / "secretome_rank" / "data"
wells, truth = sr.simulate_screen(EXAMPLE_SEED)
wells.to_csv(data / "example_screen.csv", index=False)
truth.to_csv(data / "example_truth.tsv", sep="\t", index=False, float_format="%.4f")
print(f"{len(wells)} wells, {wells['plate'].nunique()} plates -> {data / 'example_screen.csv'}")
