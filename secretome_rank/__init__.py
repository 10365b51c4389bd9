"""secretome_rank: rank secreted-protein rescue screens.

Public API (see DESIGN.md section 4)::

    import secretome_rank as sr
    wells = sr.read_screen("screen.csv")
    result = sr.rank_screen(wells, fdr=0.05, min_rescue=20.0)
    q = sr.adjust_pvalues(p, method="bh")
    wells, truth = sr.simulate_screen(seed=0)

Heavy modules (pandas, scipy) are imported lazily so that ``secretome-rank --help`` is fast.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

try:
    __version__ = version("secretome-rank")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    "read_screen": "secretome_rank.io",
    "rank_screen": "secretome_rank.pipeline",
    "PipelineResult": "secretome_rank.pipeline",
    "adjust_pvalues": "secretome_rank.multitest",
    "simulate_screen": "secretome_rank.simulate",
    "annotate": "secretome_rank.receptors",
    "SecretomeRankError": "secretome_rank.errors",
}

__all__ = sorted([*_LAZY, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    # `import x as x`: explicit re-exports (mypy cannot read the computed __all__ above)
    from secretome_rank.errors import SecretomeRankError as SecretomeRankError
    from secretome_rank.io import read_screen as read_screen
    from secretome_rank.multitest import adjust_pvalues as adjust_pvalues
    from secretome_rank.pipeline import PipelineResult as PipelineResult
    from secretome_rank.pipeline import rank_screen as rank_screen
    from secretome_rank.receptors import annotate as annotate
    from secretome_rank.simulate import simulate_screen as simulate_screen


def __getattr__(name: str) -> object:
    """Import public names on first use (keeps CLI start-up fast)."""
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        return getattr(module, name)
    raise AttributeError(f"module 'secretome_rank' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names too, not yet imported (``dir()``, tab completion in a notebook)."""
    return sorted({*globals(), *__all__})
