"""Parse plate-reader grid text into :class:`Grid` blocks (the text side of the grid reader).

:func:`read_text` reads an export whatever its encoding and line ends; :func:`_scan` finds every
grid header (column numbers after an empty first cell), reads the lettered plate rows below it
with the grid's separator, converts the cells to floats (decimal comma, missing-value tokens)
and collects every problem with its line number and cell id instead of stopping at the first.
Choosing grids and turning them into well tables is :mod:`secretome_rank.importers.grid`.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank.layout import row_letters, well_id

__all__ = ["MISSING_TOKENS", "ROWS_FOR_COLS", "SEPARATORS", "Grid", "read_text"]

PathLike = str | os.PathLike[str]

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


def _parse_header(line: str) -> tuple[str, int, bool] | None:
    """``(separator, n_cols, ends_with_separator)`` if ``line`` numbers columns 1..n, else None.

    Any n >= 12 is returned (the caller reports counts no plate has, such as 25). A header
    that ends with a separator (``;01;...;24;``) says the rows end with one too.
    """
    for sep in SEPARATORS:
        if sep not in line:
            continue
        raw = _split(line, sep)
        cells = _trim(raw)
        if len(cells) < 13 or cells[0].isdecimal():
            continue
        numbers = cells[1:]
        if all(c.isdecimal() for c in numbers) and [int(c) for c in numbers] == list(
            range(1, len(numbers) + 1)
        ):
            return sep, len(numbers), len(raw) > len(cells)
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
        if header is not None and header[1] not in ROWS_FOR_COLS:
            problems.append(
                f"line {i + 1}: a grid header numbering {header[1]} columns; plates have 12, "
                "24 or 48 columns (96, 384 or 1536 wells); remove the extra columns"
            )
            header = None
        if header is None:
            i += 1
            continue
        sep, n_cols, trailing = header
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
            if trailing and len(cells) > 1 and cells[-1] == "":
                cells = cells[:-1]  # the separator that ends every line, as in the header
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
        if found == n_rows:  # a row after the last one: the plate is bigger than the header
            while j < n_lines and not lines[j].strip():
                j += 1
            after = _split(lines[j], sep) if j < n_lines else []
            if (
                len(after) > n_cols // 2
                and after[0].isalpha()
                and after[0].upper() not in letters
                and len(after[0]) <= 2
                and sum(c != "" for c in after[1:]) > n_cols // 2
            ):
                problems.append(
                    f"line {j + 1}, {name}: row {after[0]} after row {letters[-1]}; a "
                    f"{n_rows * n_cols}-well plate has rows {letters[0]}-{letters[-1]}; remove "
                    "the extra row or check the export"
                )
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
