"""Plate lists (sample sheets): which file (and grid) is which plate of which context.

A **plate list** says, for each exported file (and grid), the plate id, cell line, treatment,
replicate and batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError
from secretome_rank.importers._tables import (
    _LINE,
    PathLike,
    _columns_text,
    _lines,
    _resolve,
    _to_float,
    read_table,
)

__all__ = ["read_plate_list"]

FILE = "file"
GRID = "grid"
LAYOUT = "layout"

_LIST_ALIASES: dict[str, tuple[str, ...]] = {
    FILE: ("file", "filename", "path", "filepath", "datafile", "resultfile", "rawfile"),
    C.PLATE: ("plate", "plateid", "platename", "barcode", "platebarcode"),
    GRID: ("grid", "gridtitle"),
    LAYOUT: ("layout", "platemap", "map", "libraryplate", "platelayout"),
    C.CELL_LINE: ("cellline", "cells", "celltype"),
    C.TREATMENT: ("treatment", "drug", "arm", "condition"),
    C.REPLICATE: ("replicate", "rep", "replicateid"),
    C.BATCH: ("batch", "batchid"),
    C.CONCENTRATION: ("concentration", "conc", "dose"),
}


def _file_name(entry: object) -> str:
    return Path(str(entry).replace("\\", "/")).name


def _read_plate_list(
    source: PathLike | pd.DataFrame, *, columns: Mapping[str, str] | None
) -> tuple[pd.DataFrame, str]:
    """Plate list with the source line of each row (column ``_line``) and the source name."""
    table = read_table(source, what="plate list")
    df, name = table.frame, table.source
    cols = _resolve(table, _LIST_ALIASES, columns, what="plate list")
    if FILE not in cols:
        raise SchemaError(
            f"{name}: plate list has no file column; expected 'file' (or filename, fileName, "
            f"path); columns are: {_columns_text(df)}"
        )
    problems: list[str] = []
    out = pd.DataFrame(index=df.index)
    files = df[cols[FILE]]
    if files.isna().any():
        problems.append(f"{_lines(df, files.isna())}, column {cols[FILE]!r}: empty file name")
    out[FILE] = files
    if GRID in cols:
        out[GRID] = df[cols[GRID]]
    stems = files.map(lambda f: None if f is None else Path(_file_name(f)).stem)
    if C.PLATE in cols:
        out[C.PLATE] = df[cols[C.PLATE]].where(df[cols[C.PLATE]].notna(), stems)
    else:
        out[C.PLATE] = stems
        if GRID in cols:
            multi = out.duplicated(FILE, keep=False)
            out.loc[multi, C.PLATE] = stems[multi] + "_" + df.loc[multi, cols[GRID]].astype(str)
    for col in (LAYOUT, C.CELL_LINE, C.TREATMENT, C.BATCH):
        if col in cols:
            out[col] = df[cols[col]]
    if C.REPLICATE in cols:
        rcol = cols[C.REPLICATE]
        rep = _to_float(table, rcol, what="replicate", problems=problems)
        bad = (rep.notna() & ((rep < 1) | (rep != np.floor(rep)))).to_numpy()
        missing = df[rcol].isna().to_numpy()
        if bad.any():
            problems.append(
                f"{_lines(df, bad)}, column {rcol!r}: replicate must be a whole number >= 1"
            )
        if missing.any():
            problems.append(
                f"{_lines(df, missing)}, column {rcol!r}: empty replicate; fill it or drop the "
                "column (replicates are then numbered within each context)"
            )
        out[C.REPLICATE] = rep
    if C.CONCENTRATION in cols:
        out[C.CONCENTRATION] = _to_float(
            table, cols[C.CONCENTRATION], what="concentration", problems=problems
        )
    used = set(cols.values())
    for extra in df.columns:
        if extra in used or extra == _LINE or extra in out.columns:
            continue
        trial: list[str] = []
        numeric = _to_float(table, extra, what=extra, problems=trial)
        out[extra] = numeric if not trial and df[extra].notna().any() else df[extra]
    out[_LINE] = df[_LINE]
    key = [FILE, GRID] if GRID in out.columns else [FILE]
    dup = (out.duplicated(key, keep=False) & out[FILE].notna()).to_numpy()
    if dup.any():
        for _, grp in out[dup].groupby(key, sort=False, dropna=False):
            grid_txt = f" grid {grp.iloc[0][GRID]}" if GRID in key else ""
            fix = (
                "keep one row per file and grid"
                if GRID in key
                else "keep one row per file (add a 'grid' column for files holding several plates)"
            )
            problems.append(
                f"{_lines(df, out.index.isin(grp.index))}: file {grp.iloc[0][FILE]!r}{grid_txt} "
                f"listed {len(grp)} times; {fix}"
            )
    pdup = (out.duplicated(C.PLATE, keep=False) & out[C.PLATE].notna()).to_numpy()
    if pdup.any():
        for plate, grp in out[pdup].groupby(C.PLATE, sort=False):
            problems.append(
                f"{_lines(df, out.index.isin(grp.index))}: plate id {plate!r} given to "
                f"{len(grp)} files ({', '.join(map(str, grp[FILE]))}); plate ids must be unique"
            )
    if problems:
        raise SchemaError(
            f"{name}: {len(problems)} problem(s) in the plate list", problems=problems
        )
    return out.reset_index(drop=True), name


def read_plate_list(
    source: PathLike | pd.DataFrame, *, columns: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read a plate list (sample sheet): file -> plate id, cell line, treatment, replicate.

    Columns (case-insensitive; ``columns`` maps our names to others, e.g.
    ``{"cell_line": "sampleID"}``): ``file`` (required; aliases ``filename``, ``path``),
    ``plate`` (default: the file name without extension), ``grid`` (which grid of the file,
    for files holding several plates: 1-based index or title text), ``layout`` (which
    per-plate map entry applies; default the plate id), ``cell_line``, ``treatment``,
    ``replicate``, ``batch``, ``concentration``. Other columns are kept (as numbers when all
    their cells are numbers).

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        The plate list.
    columns : mapping of str to str, optional
        Our column name -> the list's column name.

    Returns
    -------
    pandas.DataFrame
        One row per plate with the columns above that are present (``replicate`` as float).

    Raises
    ------
    SchemaError
        Missing file names, a file (and grid) listed twice, a plate id used twice, replicate
        not a whole number >= 1, bad numbers.
    """
    frame, _ = _read_plate_list(source, columns=columns)
    return frame.drop(columns=_LINE)
