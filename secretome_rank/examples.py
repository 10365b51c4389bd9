"""The bundled example screen (made by :func:`secretome_rank.simulate_screen`, fixed seed).

Regenerate with ``python scripts/make_example.py``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["EXAMPLE_SEED", "example_screen_path", "example_truth_path"]

#: seed of the bundled example (see scripts/make_example.py)
EXAMPLE_SEED = 2026


def example_screen_path() -> Path:
    """Path of the bundled example well table (CSV)."""
    return Path(str(resources.files("secretome_rank") / "data" / "example_screen.csv"))


def example_truth_path() -> Path:
    """Path of the true effects of the example screen (TSV)."""
    return Path(str(resources.files("secretome_rank") / "data" / "example_truth.tsv"))
