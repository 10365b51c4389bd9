"""Frozen, keyword-only configuration of a ranking run, validated on construction."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from secretome_rank.errors import ConfigError
from secretome_rank.multitest import ADJUST_METHODS

__all__ = ["RankConfig"]


@dataclass(frozen=True, kw_only=True)
class RankConfig:
    """Parameters of :func:`secretome_rank.rank_screen` (recorded in ``run.json``)."""

    fdr: float = 0.05
    min_rescue: float = 20.0
    test: str = "moderated"
    alternative: str = "greater"
    adjust: str = "bh"
    spatial: str = "none"
    exclude_failed: bool = False
    ssmd_threshold: float = 3.0
    pool: str = "auto"
    normalization: str = "controls"
    cellhts2_sign: int = 1

    def __post_init__(self) -> None:
        from secretome_rank.hits import TESTS

        problems = []
        if not 0 < self.fdr <= 1:
            problems.append(f"fdr={self.fdr}: expected a number in (0, 1]")
        for name in ("min_rescue", "ssmd_threshold"):
            if not math.isfinite(getattr(self, name)):
                problems.append(f"{name}={getattr(self, name)}: expected a finite number")
        if self.test not in TESTS:
            problems.append(f"test={self.test!r}: expected one of {', '.join(TESTS)}")
        if self.alternative not in ("greater", "two-sided"):
            problems.append(f"alternative={self.alternative!r}: expected 'greater' or 'two-sided'")
        if self.adjust not in ADJUST_METHODS:
            problems.append(f"adjust={self.adjust!r}: expected one of {', '.join(ADJUST_METHODS)}")
        if self.spatial not in ("none", "bscore"):
            problems.append(f"spatial={self.spatial!r}: expected 'none' or 'bscore'")
        if self.pool not in ("auto", "none", "cell_line"):
            problems.append(f"pool={self.pool!r}: expected 'auto', 'none' or 'cell_line'")
        if self.normalization not in ("controls", "cellhts2"):
            problems.append(
                f"normalization={self.normalization!r}: expected 'controls' or 'cellhts2'"
            )
        if self.cellhts2_sign not in (1, -1):
            problems.append(f"cellhts2_sign={self.cellhts2_sign}: expected 1 or -1")
        if problems:
            raise ConfigError("invalid options", problems=problems)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for ``run.json``."""
        return asdict(self)
