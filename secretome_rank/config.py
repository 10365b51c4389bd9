"""Frozen, keyword-only configuration of a ranking run, validated on construction."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any, TypeGuard

import numpy as np

from secretome_rank.errors import ConfigError
from secretome_rank.multitest import ADJUST_METHODS

__all__ = ["RankConfig", "is_number"]


def is_number(value: object) -> TypeGuard[float]:
    """A real number (Python or numpy), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


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
    robust: bool = False
    centre: str = "median"

    def __post_init__(self) -> None:
        from secretome_rank.hits import TESTS

        problems = []
        if not is_number(self.fdr) or not 0 < self.fdr <= 1:
            problems.append(f"fdr={self.fdr!r}: expected a number in (0, 1]")
        for name in ("min_rescue", "ssmd_threshold"):
            value = getattr(self, name)
            if not is_number(value) or not math.isfinite(value):
                problems.append(f"{name}={value!r}: expected a finite number")
        for name in ("exclude_failed", "robust"):
            flag = getattr(self, name)
            if not isinstance(flag, bool | np.bool_):  # "no" would be true
                problems.append(f"{name}={flag!r}: expected True or False")
        choices: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("test", tuple(TESTS)),
            ("alternative", ("greater", "two-sided")),
            ("adjust", ADJUST_METHODS),
            ("spatial", ("none", "bscore")),
            ("pool", ("auto", "none", "cell_line")),
            ("normalization", ("controls", "cellhts2")),
            ("centre", ("median", "inactive")),
        )
        for name, allowed in choices:
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                problems.append(
                    f"{name}={value!r}: expected one of {', '.join(map(repr, allowed))}"
                )
        if not is_number(self.cellhts2_sign) or self.cellhts2_sign not in (1, -1):
            problems.append(f"cellhts2_sign={self.cellhts2_sign!r}: expected 1 or -1")
        if self.centre == "inactive" and self.normalization == "cellhts2":
            problems.append(
                "centre='inactive' re-centres the controls normalisation's test value; "
                "normalization='cellhts2' tests cellHTS2's own score: choose one"
            )
        if problems:
            raise ConfigError("invalid options", problems=problems)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for ``run.json``."""
        return asdict(self)
