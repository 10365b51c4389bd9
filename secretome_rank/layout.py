"""Plate geometry: 96/384/1536-well formats and well-id parsing (``"A1"`` -> ``"A01"``).

Rows are letters (A..P for 384, A..AF for 1536); columns are 1-based integers. The
canonical well id is the row letter(s) followed by a two-digit column (``A01``, ``P24``,
``AF48``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "FORMATS",
    "PlateFormat",
    "edge_mask",
    "format_for",
    "parse_wells",
    "row_letters",
    "well_id",
]


@dataclass(frozen=True)
class PlateFormat:
    """A plate format: number of wells, rows and columns."""

    n_wells: int
    n_rows: int
    n_cols: int


FORMATS: dict[int, PlateFormat] = {
    96: PlateFormat(96, 8, 12),
    384: PlateFormat(384, 16, 24),
    1536: PlateFormat(1536, 32, 48),
}


def row_letters(n_rows: int) -> list[str]:
    """Row labels for a plate with ``n_rows`` rows: A..Z then AA, AB, ...

    Examples
    --------
    >>> row_letters(3)
    ['A', 'B', 'C']
    >>> row_letters(32)[-1]
    'AF'
    """
    letters = [chr(ord("A") + i) for i in range(26)]
    return [letters[i] if i < 26 else "A" + letters[i - 26] for i in range(n_rows)]


def well_id(row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """Canonical well ids from 1-based row and column numbers.

    Examples
    --------
    >>> well_id(np.array([1, 16]), np.array([1, 24])).tolist()
    ['A01', 'P24']
    """
    labels = np.array(row_letters(32), dtype=object)
    r = labels[np.asarray(row, dtype=int) - 1]
    c = np.char.zfill(np.asarray(col, dtype=int).astype(str), 2).astype(object)
    return np.asarray(r + c)


def _row_index(letters: pd.Series) -> pd.Series:
    """Map row letters (``A``..``Z``, ``AA``..``AF``) to 1-based row numbers (``<NA>`` else).

    Called on distinct well ids only, so a loop over them is cheap.
    """

    def one(text: object) -> float:
        if not isinstance(text, str) or not 1 <= len(text) <= 2:
            return np.nan
        first = ord(text[0]) - ord("A") + 1
        return float(first if len(text) == 1 else 26 + ord(text[1]) - ord("A") + 1)

    return pd.Series([one(t) for t in letters.astype(object)], index=letters.index, dtype=float)


def parse_wells(wells: pd.Series) -> pd.DataFrame:
    """Parse well ids into row and column numbers.

    Accepts ``A1``, ``A01``, ``A001``, lower case and surrounding spaces, and two-letter rows
    up to ``AF`` (1536-well plates).

    Parameters
    ----------
    wells : pandas.Series
        Well ids as strings (missing values allowed).

    Returns
    -------
    pandas.DataFrame
        Same index as ``wells``; columns ``well`` (canonical id, or the original text when it
        cannot be parsed), ``row`` and ``col`` (1-based, ``<NA>`` when malformed) and ``ok``
        (bool: the id was well formed).
    """
    codes, uniques = pd.factorize(wells, use_na_sentinel=True)
    text = pd.Series(pd.Index(uniques).astype("string"), dtype="string").str.strip().str.upper()
    parts = text.str.extract(r"^([A-Z]{1,2})0*(\d{1,3})$")
    row = _row_index(parts[0]).astype("Int64")
    col = pd.to_numeric(parts[1], errors="coerce").astype("Int64")
    ok = (row.notna() & col.notna() & (row <= 32) & (col >= 1)).fillna(False).astype(bool)
    canonical = text.astype(object).copy()
    if ok.any():
        canonical[ok] = well_id(row[ok].to_numpy(), col[ok].to_numpy())
    # broadcast the parsed unique ids back to every well (missing ids -> not ok)
    take = np.where(codes < 0, len(uniques), codes)

    def pad(s: pd.Series, fill: object) -> pd.Series:
        return pd.concat(
            [s.reset_index(drop=True), pd.Series([fill], dtype=s.dtype)], ignore_index=True
        )

    return pd.DataFrame(
        {
            "well": pad(canonical, None).to_numpy()[take],
            "row": pad(row.where(ok), pd.NA).array.take(take),  # stays Int64
            "col": pad(col.where(ok), pd.NA).array.take(take),
            "ok": pad(ok, False).to_numpy(dtype=bool)[take],
        },
        index=wells.index,
    )


def format_for(max_row: int, max_col: int) -> PlateFormat | None:
    """Smallest standard plate format that holds a well at (``max_row``, ``max_col``).

    Examples
    --------
    >>> format_for(8, 12).n_wells
    96
    >>> format_for(9, 12).n_wells
    384
    >>> format_for(40, 1) is None
    True
    """
    for fmt in FORMATS.values():
        if max_row <= fmt.n_rows and max_col <= fmt.n_cols:
            return fmt
    return None


def edge_mask(row: np.ndarray, col: np.ndarray, fmt: PlateFormat) -> np.ndarray:
    """True for wells on the outer ring of the plate (first/last row or column)."""
    row = np.asarray(row)
    col = np.asarray(col)
    return np.asarray((row == 1) | (row == fmt.n_rows) | (col == 1) | (col == fmt.n_cols))
