"""Read plate-reader grid exports (PerkinElmer EnVision, Tecan, BMG, Fusion, ...).

A grid export holds one or more plate grids among free-text metadata lines. A grid starts
with a header line of column numbers (``1..12``, ``1..24`` or ``1..48``, optionally zero
padded, after an empty first cell) and goes on with one line per plate row, starting with the
row letter (``A``..``H``, ``A``..``P`` or ``A``..``AF``). Cells are separated by tab, ``;``
or ``,``; numbers may use a decimal comma; lines may end in CR, LF or CRLF. The line above a
grid header (its *title*, e.g. ``Results for LW US LUM 384(1)``) names the grid, so a grid can
be chosen by a piece of its title.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import LayoutError
from secretome_rank.layout import row_letters, well_id

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

PathLike = str | os.PathLike[str]

#: Which grid(s) of a file to read: ``None`` (the first; warns when there are several),
#: a 1-based index, a piece of the title line (case-insensitive), or ``"all"``.
GridSelector = int | str | Literal["all"] | None

#: Number of plate rows for each supported number of columns.
ROWS_FOR_COLS = {12: 8, 24: 16, 48: 32}

SEPARATORS = ("\t", ";", ",")
_SEP_NAMES = {"\t": "tab", ";": "';'", ",": "','"}

#: Cell texts read as a missing value (NaN).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "#n/a", "-", "--", "null"})

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DECIMAL_COMMA = re.compile(r"^([+-]?\d*),(\d+(?:[eE][+-]?\d+)?)$")


@dataclass(frozen=True)
class Grid:
    """One plate grid found in a text export.

    Attributes
    ----------
    index : int
        1-based position of the grid in its file.
    title : str
        The non-blank line above the header (cells joined by single spaces); ``""`` if none.
    section : str
        All text between the previous grid (or the start of the file) and this header, used
        to find a grid by words that are not on its title line (e.g. a barcode).
    header_line : int
        1-based line number of the header with the column numbers.
    row_lines : tuple of int
        1-based line number of each plate row (``0`` for a row that is missing).
    separator : str
        Cell separator of the grid (tab, ``;`` or ``,``).
    values : numpy.ndarray
        ``n_rows x n_cols`` float array (NaN = empty or missing cell).
    """

    index: int
    title: str
    section: str
    header_line: int
    row_lines: tuple[int, ...]
    separator: str
    values: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of plate rows."""
        return int(self.values.shape[0])

    @property
    def n_cols(self) -> int:
        """Number of plate columns."""
        return int(self.values.shape[1])

    @property
    def n_wells(self) -> int:
        """Number of wells (96, 384 or 1536)."""
        return self.n_rows * self.n_cols

    def label(self) -> str:
        """Short human-readable name used in messages."""
        title = self.title if len(self.title) <= 60 else self.title[:57] + "..."
        return (
            f"grid {self.index} ({self.n_rows}x{self.n_cols}, line {self.header_line}, '{title}')"
        )


def read_text(path: PathLike) -> list[str]:
    """Read a text file as lines, whatever its encoding and line ends.

    UTF-8 (with or without byte-order mark) is tried first, then Latin-1 (which never fails),
    so exports from Windows instruments with e.g. a degree sign still load. CR, LF and CRLF
    line ends are all accepted (also mixed).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    list of str
        The lines without their line ends; line ``k`` (1-based) is element ``k - 1``.

    Raises
    ------
    SchemaError
        When the file cannot be read.
    """
    from secretome_rank.errors import SchemaError

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SchemaError(f"{p}: cannot read the file ({exc.strerror}); check the path.") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _split(line: str, sep: str) -> list[str]:
    """Split one line into stripped cells (quotes handled like CSV)."""
    if '"' in line:
        cells = next(csv.reader([line], delimiter=sep))
    else:
        cells = line.split(sep)
    return [c.strip() for c in cells]


def _trim(cells: list[str]) -> list[str]:
    """Drop trailing empty cells (exports often end lines with a separator)."""
    end = len(cells)
    while end > 0 and cells[end - 1] == "":
        end -= 1
    return cells[:end]


def _parse_header(line: str) -> tuple[str, int] | None:
    """Return ``(separator, n_cols)`` if ``line`` is a grid header, else ``None``."""
    for sep in SEPARATORS:
        if sep not in line:
            continue
        cells = _trim(_split(line, sep))
        if len(cells) < 13 or cells[0].isdecimal():
            continue
        numbers = cells[1:]
        n = len(numbers)
        if n not in ROWS_FOR_COLS or not all(c.isdecimal() for c in numbers):
            continue
        if [int(c) for c in numbers] == list(range(1, n + 1)):
            return sep, n
    return None


def _title(lines: list[str], start: int, header: int, sep: str) -> tuple[str, str]:
    """Title (nearest non-blank line above ``header``) and section text ``lines[start:header]``."""
    title = ""
    for k in range(header - 1, start - 1, -1):
        if lines[k].strip():
            title = " ".join(c for c in _split(lines[k], sep) if c)
            break
    section = "\n".join(line.strip() for line in lines[start:header] if line.strip())
    return title, section


def _parse_values(
    texts: np.ndarray,
    grid_name: str,
    line_of_cell: np.ndarray,
    cell_ids: np.ndarray,
    *,
    decimal_comma: bool,
) -> tuple[np.ndarray, list[str]]:
    """Convert cell texts to floats (vectorised); report cells that are not numbers.

    Decimal commas are read only when the separator is not ``,`` (in a comma-separated
    file a comma inside a quoted number could as well be a thousands separator).
    """
    s = pd.Series(texts, dtype=object).astype(str).str.strip()
    missing = s.str.lower().isin(MISSING_TOKENS)
    if decimal_comma:
        s = s.str.replace(_DECIMAL_COMMA, r"\1.\2", regex=True)
    hint = "decimal point or comma" if decimal_comma else "decimal point; no thousands separators"
    numbers = pd.to_numeric(s.where(~missing), errors="coerce").astype(float)
    bad = numbers.isna() & ~missing
    problems = [
        f"line {int(line_of_cell[i])}, {grid_name}, cell {cell_ids[i]}: {texts[i]!r} is not a "
        f"number; expected a number ({hint}) or an empty cell for a missing "
        "well; correct the cell or leave it empty"
        for i in np.flatnonzero(bad.to_numpy())
    ]
    values = numbers.to_numpy(dtype=float)
    infinite = np.isinf(values)
    problems += [
        f"line {int(line_of_cell[i])}, {grid_name}, cell {cell_ids[i]}: {texts[i]!r} is not "
        "finite; expected a finite number or an empty cell"
        for i in np.flatnonzero(infinite)
    ]
    return values, problems


def _scan(lines: list[str]) -> tuple[list[Grid], list[str]]:
    """Find and parse every grid in ``lines``; return grids and problems."""
    grids: list[Grid] = []
    problems: list[str] = []
    n_lines = len(lines)
    section_start = 0
    i = 0
    while i < n_lines:
        header = _parse_header(lines[i])
        if header is None:
            i += 1
            continue
        sep, n_cols = header
        n_rows = ROWS_FOR_COLS[n_cols]
        letters = row_letters(n_rows)
        index = len(grids) + 1
        title, section = _title(lines, section_start, i, sep)
        name = f"grid {index} (header at line {i + 1})"
        texts = np.full((n_rows, n_cols), "", dtype=object)
        row_lines = [0] * n_rows
        found = 0  # next expected row
        j = i + 1
        while found < n_rows and j < n_lines:
            line = lines[j]
            if not line.strip():
                j += 1
                continue
            cells = _split(line, sep)  # not trimmed: empty trailing cells are missing wells
            label = cells[0].upper() if cells else ""
            if label not in letters[found:]:
                break
            k = letters.index(label)
            if k > found:
                gone = letters[found:k]
                span = gone[0] if len(gone) == 1 else f"{gone[0]}-{gone[-1]}"
                problems.append(
                    f"line {j + 1}, {name}: row {span} missing (found row {label} after "
                    f"{'the header' if found == 0 else 'row ' + letters[found - 1]}); expected "
                    f"{n_rows} rows {letters[0]}-{letters[-1]} in order; add the missing "
                    "row(s) with empty cells for missing wells"
                )
            values = cells[1:]
            if len(values) > n_cols:
                extra = [c for c in values[n_cols:] if c and c.upper() != label]
                if extra:
                    problems.append(
                        f"line {j + 1}, {name}, row {label}: {len(values)} cells after the row "
                        f"letter, expected {n_cols}; remove the extra cells ({extra[:3]})"
                    )
                values = values[:n_cols]
            elif len(values) < n_cols:
                problems.append(
                    f"line {j + 1}, {name}, row {label}: {len(values)} cells after the row "
                    f"letter, expected {n_cols} (columns 1-{n_cols}); add the missing cells "
                    "(empty = missing well)"
                )
            texts[k, : len(values)] = values
            row_lines[k] = j + 1
            found = k + 1
            j += 1
        if found < n_rows:
            gone = letters[found:]
            span = gone[0] if len(gone) == 1 else f"{gone[0]}-{gone[-1]}"
            where = f"line {j + 1}" if j < n_lines else "end of file"
            problems.append(
                f"{where}, {name}: grid ends after "
                f"{'the header' if found == 0 else 'row ' + letters[found - 1]}; row {span} "
                f"missing; expected {n_rows} rows {letters[0]}-{letters[-1]} for a "
                f"{n_rows * n_cols}-well plate; add the missing row(s)"
            )
        rows = np.repeat(np.arange(1, n_rows + 1), n_cols)
        cols = np.tile(np.arange(1, n_cols + 1), n_rows)
        ids = well_id(rows, cols)
        line_of_cell = np.repeat(np.array(row_lines), n_cols)
        parsed, bad = _parse_values(
            texts.ravel(), name, line_of_cell, ids, decimal_comma=sep != ","
        )
        problems += bad
        grids.append(
            Grid(
                index=index,
                title=title,
                section=section,
                header_line=i + 1,
                row_lines=tuple(row_lines),
                separator=sep,
                values=parsed.reshape(n_rows, n_cols),
            )
        )
        section_start = j
        i = j
    return grids, problems


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
