"""Read plate-reader grid exports (PerkinElmer EnVision, Tecan, BMG, Fusion, ...).

A grid export holds one or more plate grids among free-text metadata lines. A grid starts
with a header line of column numbers (``1..12``, ``1..24`` or ``1..48``, optionally zero
padded, after an empty first cell) and goes on with one line per plate row, starting with the
row letter (``A``..``H``, ``A``..``P`` or ``A``..``AF``). Cells are separated by tab, ``;``
or ``,``; numbers may use a decimal comma; lines may end in CR, LF or CRLF. The line above a
grid header (its *title*, e.g. ``Results for LW US LUM 384(1)``) names the grid, so a grid can
be chosen by a piece of its title.

Parsing the text into :class:`Grid` blocks is in :mod:`secretome_rank.importers.grid_parse`;
this module finds, lists and selects grids and turns them into long well tables.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import LayoutError
from secretome_rank.importers.grid_parse import (  # noqa: F401  (re-exported for the importers)
    _DECIMAL_COMMA,
    MISSING_TOKENS,
    ROWS_FOR_COLS,
    SEPARATORS,
    Grid,
    PathLike,
    _scan,
    _trim,
    read_text,
)
from secretome_rank.layout import well_id

__all__ = [
    "Grid",
    "GridSelector",
    "find_grids",
    "list_grids",
    "read_grid_file",
    "read_text",
    "select_grids",
]

logger = logging.getLogger(__name__)

#: Which grid(s) of a file to read: ``None`` (the first; warns when there are several),
#: a 1-based index, a piece of the title line (case-insensitive), or ``"all"``.
GridSelector = int | str | Literal["all"] | None


def find_grids(path: PathLike) -> list[Grid]:
    """Find and parse every plate grid in a text export.

    Parameters
    ----------
    path : str or os.PathLike
        The export file.

    Returns
    -------
    list of Grid
        In file order (``Grid.index`` 1, 2, ...).

    Raises
    ------
    LayoutError
        When no grid is found, or a grid has missing rows, short rows or cells that are not
        numbers. All problems of the file are listed in one error.
    """
    lines = read_text(path)
    grids, problems = _scan(lines)
    if problems:
        raise LayoutError(
            f"{path}: {len(problems)} problem(s) in the plate-reader grid export",
            problems=problems,
        )
    if not grids:
        raise LayoutError(
            f"{path}: no plate grid found in {len(lines)} lines. Expected a header line with the "
            "column numbers 1..12, 1..24 or 1..48 (after an empty first cell; separated by tab, "
            "';' or ',') followed by one line per row starting with its letter (A, B, ...). "
            "Check that this is a plate-reader export and not a well table or plate map."
        )
    return grids


def list_grids(path: PathLike) -> pd.DataFrame:
    """Describe the grids of an export (to choose one by index or title).

    Parameters
    ----------
    path : str or os.PathLike
        The export file.

    Returns
    -------
    pandas.DataFrame
        One row per grid: ``grid`` (1-based index), ``title``, ``line`` (header line),
        ``n_rows``, ``n_cols``, ``n_wells``, ``n_missing`` (empty cells).

    Raises
    ------
    LayoutError
        As :func:`find_grids`.
    """
    grids = find_grids(path)
    return pd.DataFrame(
        {
            "grid": [g.index for g in grids],
            "title": [g.title for g in grids],
            "line": [g.header_line for g in grids],
            "n_rows": [g.n_rows for g in grids],
            "n_cols": [g.n_cols for g in grids],
            "n_wells": [g.n_wells for g in grids],
            "n_missing": [int(np.isnan(g.values).sum()) for g in grids],
        }
    )


def _describe(grids: Sequence[Grid]) -> str:
    return "; ".join(g.label() for g in grids)


def select_grids(
    grids: Sequence[Grid], grid: GridSelector, *, source: PathLike, warn: bool = True
) -> list[Grid]:
    """Pick grid(s) from the grids of one file.

    Parameters
    ----------
    grids : sequence of Grid
        As returned by :func:`find_grids`.
    grid : int, str, ``"all"`` or None
        ``None``: the first grid (a ``UserWarning`` says so when there are several, unless
        ``warn=False``); an ``int``: the grid with that 1-based index; ``"all"``: every grid;
        another ``str``: the one grid whose title line contains it (case-insensitive); if no
        title contains it, the one grid whose preceding metadata section does (e.g. a barcode).
    source : str or os.PathLike
        File name for messages.
    warn : bool, default True
        Warn when ``grid`` is None and the file has several grids.

    Returns
    -------
    list of Grid

    Raises
    ------
    LayoutError
        When the index is out of range or the text matches no grid or several grids.
    """
    if grid is None:
        if len(grids) > 1 and warn:
            warnings.warn(
                f"{source}: {len(grids)} grids found ({_describe(grids)}); using the first. "
                "Pass grid=<index or title text> (CLI: --grid) to choose another.",
                UserWarning,
                stacklevel=3,
            )
        return [grids[0]]
    if isinstance(grid, bool) or not isinstance(grid, int | str):
        raise LayoutError(
            f"{source}: grid={grid!r} is not valid; expected a 1-based index, a piece of the "
            "grid title, 'all' or None"
        )
    if isinstance(grid, int):
        if not 1 <= grid <= len(grids):
            raise LayoutError(
                f"{source}: grid {grid} requested but the file has {len(grids)} grid(s) "
                f"({_describe(grids)}); grid indices start at 1"
            )
        return [grids[grid - 1]]
    if grid.strip().lower() == "all":
        return list(grids)
    if grid.strip().isdecimal():
        return select_grids(grids, int(grid.strip()), source=source, warn=warn)
    needle = grid.strip().lower()
    hits = [g for g in grids if needle in g.title.lower()]
    if not hits:
        hits = [g for g in grids if needle in g.section.lower()]
    if len(hits) == 1:
        return hits
    what = "no grid" if not hits else f"{len(hits)} grids"
    raise LayoutError(
        f"{source}: {what} match grid={grid!r} (grids: {_describe(grids)}); pass a text that "
        "occurs in exactly one grid title, or the grid's 1-based index"
    )


def grids_to_frame(
    grids: Sequence[Grid], plates: Sequence[str], *, source: PathLike
) -> pd.DataFrame:
    """Long table ``plate, well, value, source_file, grid, grid_title`` from parsed grids.

    Parameters
    ----------
    grids : sequence of Grid
        Grids to convert (one plate each).
    plates : sequence of str
        Plate id for each grid.
    source : str or os.PathLike
        The file the grids came from (its base name goes to ``source_file``).

    Returns
    -------
    pandas.DataFrame
        One row per well, row-major (A01, A02, ...) within each plate.
    """
    frames = []
    name = Path(source).name
    for g, plate in zip(grids, plates, strict=True):
        rows = np.repeat(np.arange(1, g.n_rows + 1), g.n_cols)
        cols = np.tile(np.arange(1, g.n_cols + 1), g.n_rows)
        frames.append(
            pd.DataFrame(
                {
                    C.PLATE: np.full(g.n_wells, plate, dtype=object),
                    C.WELL: well_id(rows, cols),
                    C.VALUE: g.values.ravel().astype(float),
                    "source_file": np.full(g.n_wells, name, dtype=object),
                    "grid": np.full(g.n_wells, g.index, dtype=np.int64),
                    "grid_title": np.full(g.n_wells, g.title, dtype=object),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    for col in (C.PLATE, C.WELL, "source_file", "grid_title"):
        out[col] = pd.Series(out[col].to_numpy(dtype=object))
    return out


def read_grid_file(
    path: PathLike,
    *,
    grid: GridSelector = None,
    plate: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a plate-reader grid export into a long ``plate, well, value`` table.

    Parameters
    ----------
    path : str or os.PathLike
        The export (any text format described in the module docstring).
    grid : int, str, ``"all"`` or None, default None
        Which grid to read (see :func:`select_grids`). ``None`` reads the first one and warns
        (``UserWarning``) when the file holds several. ``"all"`` reads every grid as its own
        plate (files that hold several plates, e.g. cellHTS2's KcCellTiter example).
    plate : str or sequence of str, optional
        Plate id. Default: the file name without extension; with several grids read, the
        default (or a single ``str``) gets the suffix ``_1``, ``_2``, ... by grid order; a
        sequence gives one id per grid read.

    Returns
    -------
    pandas.DataFrame
        One row per well, row-major (``A01``, ``A02``, ... ``P24``):

        - ``plate`` (str): plate id;
        - ``well`` (str): canonical well id (``A01``);
        - ``value`` (float): the reading; NaN for an empty or ``NA`` cell;
        - ``source_file`` (str): base name of ``path``;
        - ``grid`` (int): 1-based index of the grid in the file;
        - ``grid_title`` (str): the title line of the grid.

    Raises
    ------
    LayoutError
        No grid, missing or short rows, non-numeric cells (all listed with line numbers and
        cell ids), an unknown ``grid`` selection, or a wrong number of plate ids.

    Examples
    --------
    >>> from pathlib import Path
    >>> f = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "reader_rep1.txt"
    >>> wells = read_grid_file(f, grid="Raw data")
    >>> wells.shape, wells["well"].iloc[-1]
    ((96, 6), 'H12')
    """
    grids = find_grids(path)
    chosen = select_grids(grids, grid, source=path)
    stem = Path(path).stem
    if plate is None or isinstance(plate, str):
        base = stem if plate is None else plate
        plates = [base] if len(chosen) == 1 else [f"{base}_{g.index}" for g in chosen]
    else:
        plates = [str(p) for p in plate]
        if len(plates) != len(chosen):
            raise LayoutError(
                f"{path}: {len(plates)} plate id(s) given for {len(chosen)} grid(s) read; "
                "give one plate id per grid"
            )
    logger.debug("read %d grid(s) from %s", len(chosen), path)
    return grids_to_frame(chosen, plates, source=path)
