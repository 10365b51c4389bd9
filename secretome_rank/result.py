"""The result of :func:`secretome_rank.rank_screen`: every stage table and the run's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from secretome_rank import __version__
from secretome_rank import columns as C

__all__ = ["PipelineResult", "text_as_str"]


def text_as_str(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns of dtype ``object`` given pandas' ``str`` dtype.

    Columns built from Python strings come out as ``object`` while the others are ``str``:
    a result's text columns then all have one dtype. Only columns whose values are all
    strings (or missing) change; the frame is not copied when none does.
    """
    text = [
        c
        for c in frame.columns
        if frame[c].dtype == object and pd.api.types.infer_dtype(frame[c]) in ("string", "empty")
    ]
    if not text:
        return frame
    out = frame.copy(deep=False)
    for c in text:
        out[c] = out[c].astype("str")
    return out


#: the tables of a :class:`PipelineResult`, in the order of its fields
_RESULT_TABLES = (
    "hits",
    "wells",
    "qc",
    "plates",
    "receptors",
    "receptor_families",
    "summary",
    "rescue_matrix",
)


@dataclass(frozen=True, repr=False)
class PipelineResult:
    """Every stage table of a run plus its resolved configuration.

    Its ``repr`` is a short overview (counts, parameters, notes), not the tables.

    Attributes
    ----------
    hits : pandas.DataFrame
        One row per protein x context (DESIGN section 3), ranked.
    wells : pandas.DataFrame
        Normalised wells with ``test_value`` and flags.
    qc : pandas.DataFrame
        One row per plate with metrics and verdict.
    plates : pandas.DataFrame
        Per-plate normalisation parameters.
    receptors : pandas.DataFrame or None
        Receptor ranking per context (``receptors.tsv``).
    receptor_families : pandas.DataFrame or None
        Family roll-up per context (``receptor_families.tsv``).
    summary : pandas.DataFrame or None
        Across-context summary per protein (``summary.tsv``).
    rescue_matrix : pandas.DataFrame or None
        Protein x context matrix of ``rescue_pct`` (``rescue_matrix.tsv``).
    config : dict
        Resolved parameters.
    version : str
        secretome_rank version.
    notes : tuple of str
        Human-readable notes about the run (fallbacks, exclusions).
    """

    hits: pd.DataFrame
    wells: pd.DataFrame
    qc: pd.DataFrame
    plates: pd.DataFrame
    receptors: pd.DataFrame | None = None
    receptor_families: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    rescue_matrix: pd.DataFrame | None = None
    config: dict[str, Any] = field(default_factory=dict)
    version: str = __version__
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        """One line per table with its size, the main parameters and the notes.

        The dataclass default printed every table in full, tens of lines per table: in a
        notebook, the output of ``result`` buried what it holds.
        """
        hits = self.hits
        n_hits = int(hits[C.IS_HIT].sum()) if C.IS_HIT in hits.columns else 0
        keys = [c for c in (C.CELL_LINE, C.TREATMENT) if c in hits.columns]
        n_contexts = len(hits[keys].drop_duplicates()) if keys else 0
        n_proteins = hits[C.PROTEIN].nunique() if C.PROTEIN in hits.columns else 0
        lines = [
            f"PipelineResult (secretome_rank {self.version}): {n_proteins:,} protein(s) in "
            f"{n_contexts:,} context(s), {n_hits:,} hit(s)"
        ]
        for name in _RESULT_TABLES:
            table = getattr(self, name)
            size = "None" if table is None else f"{len(table):,} rows x {table.shape[1]} columns"
            lines.append(f"  .{name:<18} {size}")
        if C.VERDICT in self.qc.columns and len(self.qc):
            counts = self.qc[C.VERDICT].value_counts()
            verdicts = ", ".join(f"{counts.get(v, 0)} {v}" for v in (C.PASS, C.WARN, C.FAIL))
            lines.append(f"  plate QC: {verdicts}")
        shown = ("test", "alternative", "adjust", "fdr", "min_rescue")
        params = ", ".join(f"{k}={self.config[k]!r}" for k in shown if k in self.config)
        if params:
            lines.append(f"  parameters: {params}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)
