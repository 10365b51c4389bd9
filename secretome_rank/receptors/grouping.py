"""Sorting and grouping kernels behind receptor ranking (numpy in, numpy out).

The long context x protein x receptor table is handled as integer codes: :func:`stable_order`
sorts rows by several keys, :func:`runs` finds the groups of sorted rows, :func:`repeat_pairs`
expands rows over their pairs and :func:`join_runs` writes each group's ``;``-joined names, all
without a Python loop over groups or rows. Per-group FDR is
:func:`secretome_rank.multitest.bh_grouped`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank.encode import factorize_runs, run_starts
from secretome_rank.names import SEP

_Ints = NDArray[np.intp]


def _digits(key: NDArray[Any]) -> list[NDArray[np.uint16]]:
    """16-bit digits, least significant first, of an order-preserving unsigned code of ``key``.

    Floats ascend with NaN last (-0.0 == 0.0); integers ascend. Few full-size temporaries:
    the digits are views of one code array (or one 16-bit array for a small integer range).
    """
    if key.size == 0:
        return []
    if key.dtype.kind == "f":
        x = np.ascontiguousarray(key, dtype=np.float64) + 0.0  # own copy; -0.0 -> 0.0
        nan = np.isnan(x)
        # negative: all bits flipped; otherwise the sign bit set
        flip = np.where(np.signbit(x), np.uint64(2**64 - 1), np.uint64(1 << 63))
        code = x.view(np.uint64)
        code ^= flip
        code[nan] = np.iinfo(np.uint64).max
        n_digits = 4
    else:
        ints = key.astype(np.int64, copy=False)
        lo = int(ints.min())
        if int(ints.max()) - lo < 1 << 16:
            return [np.subtract(ints, lo, out=np.empty(ints.size, np.uint16), casting="unsafe")]
        code = (ints - lo).astype(np.uint64)
        n_digits = (int(code.max()).bit_length() + 15) // 16
    words = code.view(np.uint16).reshape(-1, 4)
    return [words[:, j if np.little_endian else 3 - j] for j in range(n_digits)]


def stable_order(*keys: NDArray[Any]) -> _Ints:
    """Stable lexicographic order of rows, the first key most significant.

    Parameters
    ----------
    *keys : numpy.ndarray
        Equal-length integer or float keys; floats ascend with NaN last (``-0.0 == 0.0``).

    Returns
    -------
    numpy.ndarray
        Row order, as ``np.lexsort(keys[::-1])``; ties keep the row order.

    Notes
    -----
    An LSD radix sort: one stable argsort per varying 16-bit digit of each key's
    order-preserving unsigned code, which numpy does by counting sort; several times faster
    than ``np.lexsort`` with float keys.

    Examples
    --------
    >>> stable_order(np.array([1, 0, 1, 0]), np.array([0.5, np.nan, 0.1, 0.2])).tolist()
    [3, 1, 2, 0]
    """
    idx = np.arange(len(keys[0]))
    for key in reversed(keys):
        for digit in _digits(np.asarray(key)):
            if digit.min() != digit.max():
                idx = idx[np.argsort(digit[idx], kind="stable")]
    return idx


def runs(*keys: NDArray[Any]) -> tuple[_Ints, _Ints]:
    """Runs of equal keys in rows sorted by them.

    Parameters
    ----------
    *keys : numpy.ndarray
        Equal-length keys.

    Returns
    -------
    starts : numpy.ndarray
        First row of each run.
    run : numpy.ndarray
        Run number of each row (``0 .. len(starts) - 1``).

    Examples
    --------
    >>> [a.tolist() for a in runs(np.array([0, 0, 1, 1]), np.array([5, 5, 5, 6]))]
    [[0, 2, 3], [0, 0, 1, 2]]
    """
    new = run_starts(*keys)
    return np.flatnonzero(new), np.cumsum(new) - 1


def text_codes(values: pd.Series | pd.Index, *, in_runs: bool = False) -> tuple[_Ints, pd.Index]:
    """Integer codes of ``values.astype(str)`` whose order is the text order.

    Parameters
    ----------
    values : pandas.Series or pandas.Index
        Values (converted to text once per distinct value).
    in_runs : bool
        Equal values mostly come in runs (a Series the table is sorted by): factorize with
        :func:`factorize_runs`.

    Returns
    -------
    codes : numpy.ndarray
        Code per value.
    names : pandas.Index
        The sorted distinct texts (missing values last), indexed by code.

    Examples
    --------
    >>> codes, names = text_codes(pd.Series(["b", "a", "b"]))
    >>> codes.tolist(), names.tolist()
    ([1, 0, 1], ['a', 'b'])
    """
    if in_runs and isinstance(values, pd.Series):
        raw, uniq = factorize_runs(values)
    else:
        raw, uniq = pd.factorize(values)
    text = pd.Index(uniq).astype(str)
    if raw.size and raw.min() < 0:  # missing: a code of its own
        raw = np.where(raw < 0, len(uniq), raw)
        text = text.append(pd.Index([np.nan], dtype=text.dtype))
    codes, names = pd.factorize(text, sort=True, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp)[raw], names


def categorical(
    codes: _Ints, names: pd.Index, used: NDArray[np.bool_] | None = None
) -> pd.Categorical:
    """``names[codes]`` as a Categorical over the (used, non-missing) names, in their order.

    Examples
    --------
    >>> categorical(np.array([1, 1]), pd.Index(["a", "b", "c"]), np.array([0, 1, 1], bool))
    ['b', 'b']
    Categories (2, str): ['b', 'c']
    """
    keep = np.asarray(names.notna()) & (True if used is None else used)
    remap = np.where(keep, np.cumsum(keep) - 1, -1)
    return pd.Categorical.from_codes(remap[codes], categories=names[keep])


def first_rows(*keys: NDArray[Any]) -> NDArray[np.bool_]:
    """True at the first occurrence of each combination of the keys (any row order)."""
    return ~pd.DataFrame(dict(enumerate(keys))).duplicated().to_numpy()


def repeat_pairs(rows: _Ints, count: _Ints, start: _Ints, pair_index: _Ints) -> tuple[_Ints, _Ints]:
    """Repeat each row over its pairs.

    Parameters
    ----------
    rows : numpy.ndarray
        Row numbers, in the wanted order.
    count, start : numpy.ndarray
        Per row number: its number of pairs and the position of the first in ``pair_index``.
    pair_index : numpy.ndarray
        Pair numbers, those of one row contiguous.

    Returns
    -------
    tuple of numpy.ndarray
        Row and pair number of each (row, pair) combination, rows in the given order.

    Examples
    --------
    >>> out = repeat_pairs(np.array([1, 0]), np.array([1, 2]), np.array([0, 1]), np.arange(3))
    >>> [a.tolist() for a in out]
    [[1, 1, 0], [1, 2, 0]]
    """
    n = count[rows]
    out = np.repeat(rows, n)
    offsets = np.repeat(start[rows] - (np.cumsum(n) - n), n) + np.arange(out.size)
    return out, pair_index[offsets]


def join_runs(names: NDArray[np.object_], codes: _Ints, run: _Ints, n: int) -> NDArray[Any]:
    """``;``-join ``names[codes]`` within each run, in row order.

    Parameters
    ----------
    names : numpy.ndarray of str (object)
        Name per code.
    codes : numpy.ndarray
        Name code per row.
    run : numpy.ndarray
        Non-decreasing run number per row, ``0 .. n - 1`` (runs may be absent).
    n : int
        Number of runs.

    Returns
    -------
    numpy.ndarray of object
        The joined names per run; ``""`` for runs without rows.

    Notes
    -----
    ``np.add.reduceat`` concatenates the strings of every run in C; no Python call per run.

    Examples
    --------
    >>> names = np.array(["HGF", "EGF", "KGF"], dtype=object)
    >>> join_runs(names, np.array([2, 0, 1]), np.array([0, 0, 2]), 3).tolist()
    ['KGF;HGF', '', 'EGF']
    """
    out = np.full(n, "", dtype=object)
    if codes.size:
        starts, _ = runs(run)
        text = (SEP + names)[codes]
        text[starts] = names[codes[starts]]
        out[run[starts]] = np.add.reduceat(text, starts)
    return out
