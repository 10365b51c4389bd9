"""Column encoding: text cells to sorted categoricals, runs of equal neighbours, well keys.

:func:`clean_text` turns a text column into a categorical with sorted, stripped categories
(working on the distinct values, or on the first cell of each run of equal neighbours,
:func:`factorize_runs`); :func:`run_starts` marks where sorted keys change;
:func:`parse_well_codes`, :func:`well_key` and :func:`sort_wells` give each well one integer
key (plate, row, column) and find duplicates; :func:`canonical_order` and
:func:`equals_value` serve the checks of :mod:`secretome_rank.schema`. Light imports only:
validation, ranking and receptor grouping all use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.layout import parse_wells

_Ints = NDArray[np.intp]

__all__ = [
    "canonical_order",
    "clean_text",
    "equals_value",
    "factorize_runs",
    "parse_well_codes",
    "recode",
    "run_starts",
    "sort_wells",
    "well_key",
]


def _code_dtype(n_categories: int) -> type[np.signedinteger]:
    """The integer type pandas keeps the codes of ``n_categories`` categories in."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def run_starts(*keys: NDArray[Any]) -> NDArray[np.bool_]:
    """True at row 0 and wherever any of the equal-length ``keys`` differs from the row before."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[:1] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return change


def _text_run_starts(values: pd.Series) -> NDArray[np.bool_] | None:
    """Where a text column differs from the row before (bool per row), if it has long runs.

    Plate, cell line and treatment come in runs of equal neighbours (a plate's wells are
    written together; a hits table is sorted by context); comparing neighbours is several
    times cheaper than hashing every cell. ``None`` when the column is not text, its first
    rows show few repeats, or its cells do not compare to a boolean (``pd.NA``).
    """
    n = len(values)
    text = isinstance(values.dtype, pd.StringDtype)
    if n < 2 or not (text or values.dtype == object):
        return None
    cells = values.array if text else values.to_numpy()

    def differs(a: Any, b: Any) -> NDArray[np.bool_]:  # a missing cell differs from all
        ne = a != b
        if isinstance(ne, pd.api.extensions.ExtensionArray):
            return np.asarray(ne.to_numpy(dtype=bool, na_value=True))
        return np.asarray(ne, dtype=bool)

    try:
        head = cells[: min(n, 4096)]
        if np.count_nonzero(differs(head[1:], head[:-1])) > len(head) // 8:
            return None
        change = np.empty(n, dtype=bool)
        change[0] = True
        change[1:] = differs(cells[1:], cells[:-1])
    except (TypeError, ValueError):  # pd.NA or array-like cells in an object column
        return None
    return change


def factorize_runs(values: pd.Series, *, use_na_sentinel: bool = True) -> tuple[_Ints, pd.Index]:
    """``pd.factorize(values)``, hashing one value per run of equal neighbours.

    Parameters
    ----------
    values : pandas.Series
        Values, typically a column the table is sorted or written by (plate, cell line,
        treatment), so that equal values come in long runs.
    use_na_sentinel : bool
        As :func:`pandas.factorize`.

    Returns
    -------
    codes : numpy.ndarray
        Code per value, numbered in order of first appearance.
    uniques : pandas.Index
        The distinct values, as :func:`pandas.factorize` returns them.

    Notes
    -----
    Comparing neighbours is a few times cheaper than hashing every string; the run heads are
    factorized and their codes repeated. Columns that are not text, show few runs, or hold
    cells that do not compare to a boolean (``pd.NA``) are factorized directly.

    Examples
    --------
    >>> codes, uniq = factorize_runs(pd.Series(["b", "b", "a", "a", "b"], dtype=object))
    >>> codes.tolist(), uniq.tolist()
    ([0, 0, 1, 1, 0], ['b', 'a'])
    """
    starts = _text_run_starts(values)
    if starts is None:
        codes, uniq = pd.factorize(values, use_na_sentinel=use_na_sentinel)
        return np.asarray(codes, dtype=np.intp), uniq
    # a boolean filter keeps pyarrow's chunks apart (taking positions joins them first)
    codes, uniq = pd.factorize(values[starts], use_na_sentinel=use_na_sentinel)
    counts = np.diff(np.flatnonzero(starts), append=len(values))
    return np.repeat(np.asarray(codes, dtype=np.intp), counts), uniq


def clean_text(series: pd.Series) -> pd.Series:
    """Strip text cells; empty strings become missing. Returns a categorical Series.

    Categories are sorted, so the result does not depend on the order of the rows. Works on
    the distinct values only (and on the first cell of each run of equal neighbours when the
    column has such runs), so a million wells cost what a few hundred do.

    Examples
    --------
    >>> clean_text(pd.Series([" P2", "P1", "", None, "P2"])).tolist()
    ['P2', 'P1', nan, nan, 'P2']
    >>> clean_text(pd.Series(["P2", "P1"])).cat.categories.tolist()
    ['P1', 'P2']
    """
    codes, uniques = factorize_runs(series)
    cleaned = [text.strip() for text in pd.Index(uniques).astype(str)]
    kept = sorted({text for text in cleaned if text})  # empty strings become missing
    position = {text: i for i, text in enumerate(kept)}
    categories = pd.Index(kept, dtype=object)
    # code -1 (missing) picks the appended -1
    lookup = np.array([*(position.get(t, -1) for t in cleaned), -1], dtype=_code_dtype(len(kept)))
    mapped = lookup[codes]
    cat = pd.Categorical.from_codes(mapped, categories=categories, validate=False)
    return pd.Series(cat, index=series.index, copy=False)


def recode(series: pd.Series, func: Callable[[str], str]) -> pd.Series:
    """Apply ``func`` to the categories of a :func:`clean_text` result, then clean them again."""
    cats = [func(c) for c in series.cat.categories]
    small = clean_text(pd.Series([*cats, None], dtype=object))
    new_codes = small.cat.codes.to_numpy()[series.cat.codes.to_numpy()]  # -1: the None
    return pd.Series(
        pd.Categorical.from_codes(new_codes, categories=small.cat.categories, validate=False),
        index=series.index,
        copy=False,
    )


def parse_well_codes(well: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`~secretome_rank.layout.parse_wells` on the distinct ids of a categorical column.

    Returns the parsed ids, one row per category of ``well`` plus a last row for a missing
    id: ``well`` (categorical: canonical ids, the text of malformed ones), ``row``, ``col``
    and ``ok``; and ``well`` and ``ok`` spread over the wells (index of ``well``).
    """
    parsed = parse_wells(pd.Series(np.asarray(well.cat.categories, dtype=object)))
    canonical = pd.Categorical(parsed["well"].astype(object))

    def with_missing(values: pd.Series) -> pd.Series:
        return pd.concat([values, pd.Series([pd.NA], dtype=values.dtype)], ignore_index=True)

    ids = pd.DataFrame(
        {
            "well": pd.Categorical.from_codes(
                np.append(canonical.codes, -1), categories=canonical.categories
            ),
            "row": with_missing(parsed["row"]),
            "col": with_missing(parsed["col"]),
            "ok": np.append(parsed["ok"].to_numpy(dtype=bool), False),
        }
    )
    codes = well.cat.codes.to_numpy()  # -1 (missing) takes the last row
    per_well = pd.DataFrame(
        {k: ids[k].array.take(codes) for k in ("well", "ok")}, index=well.index, copy=False
    )
    return ids, per_well


def well_key(plate: pd.Series, ids: pd.DataFrame, well: pd.Series) -> np.ndarray:
    """One int64 per well ordering by plate code, row, column (missing parts last).

    ``ids`` are the parsed categories of ``well`` (see :func:`parse_well_codes`).
    """
    p = plate.cat.codes.to_numpy()
    key = p.astype(np.int64)
    missing = p < 0
    if missing.any():
        key[missing] = plate.cat.categories.size
    r = ids["row"].to_numpy(dtype=np.int64, na_value=63)  # rows <= 32, columns <= 999
    c = ids["col"].to_numpy(dtype=np.int64, na_value=1023)
    key <<= 16
    key |= ((r << 10) | c)[well.cat.codes.to_numpy()]
    return key


def sort_wells(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable order of the well keys; which wells share their key; the keys in that order."""
    dup = np.zeros(key.size, dtype=bool)
    if key.size < 2 or bool(np.all(key[1:] > key[:-1])):  # sorted and unique: done
        return np.arange(key.size), dup, key
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    if same.any():
        dup[order[1:][same]] = True
        dup[order[:-1][same]] = True
    return order, dup, ordered


def canonical_order(out: pd.DataFrame) -> np.ndarray:
    """Row order of a table without well ids: plate, role, protein, value, input line."""

    def codes(col: str) -> np.ndarray:
        c = out[col]
        if isinstance(c.dtype, pd.CategoricalDtype):
            k = np.asarray(c.cat.codes, dtype=np.int64)
        else:
            as_cat = pd.Categorical(c.astype(object).where(c.notna(), None))
            k = np.asarray(as_cat.codes, dtype=np.int64)
        return np.where(k < 0, np.iinfo(np.int64).max, k)

    def ints(col: str) -> np.ndarray:
        return out[col].astype("Float64").fillna(np.inf).to_numpy(dtype=float)

    value = out[C.VALUE].to_numpy(dtype=float)
    keys = (
        out["input_row"].to_numpy(),
        np.where(np.isnan(value), np.inf, value),
        codes(C.PROTEIN),
        codes(C.ROLE),
        ints(C.COL),
        ints(C.ROW),
        codes(C.PLATE),
    )
    return np.lexsort(keys)


def equals_value(column: pd.Series, value: str) -> np.ndarray:
    """``column == value`` for a categorical column, compared on its codes."""
    categories = column.cat.categories
    if value not in categories:
        return np.zeros(len(column), dtype=bool)
    return np.asarray(column.cat.codes.to_numpy() == categories.get_loc(value))
