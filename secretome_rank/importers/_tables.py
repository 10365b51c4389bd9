"""Shared helpers of the importers: small annotation tables as text cells, the well table's end.

* :func:`read_table`: a plate map, plate list, cellHTS2 plate list or screen log (CSV, TSV,
  ``;``-separated, Excel, Parquet or a DataFrame) as stripped text cells with source lines.
* :func:`finish_well_table`: canonical column order and dtypes of an imported well table.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, SchemaError
from secretome_rank.importers.grid_parse import _DECIMAL_COMMA, _trim, read_text

__all__ = ["Table", "finish_well_table", "read_table"]

PathLike = str | os.PathLike[str]

CONTENT = "content"
SOURCE_FILE = "source_file"
_LINE = "_line"

_STR = pd.Series(["x"]).dtype  # "str" on pandas >= 3, object before


@dataclass(frozen=True)
class Table:
    """A small annotation table read as text cells.

    Attributes
    ----------
    frame : pandas.DataFrame
        Object columns of stripped ``str`` or ``None``; column ``_line`` holds the 1-based
        source line of each row (header = line 1; for a DataFrame, row position + 2).
    source : str
        File name (or ``"<DataFrame>"``) for messages.
    decimal_comma : bool
        Numbers may use a decimal comma (the file is not comma-separated).
    """

    frame: pd.DataFrame
    source: str
    decimal_comma: bool


def _norm(name: object) -> str:
    """Column-name key: lower case without spaces, ``_``, ``-`` and ``.``."""
    return re.sub(r"[\s_\-.]+", "", str(name).strip().lower())


def _clean_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Strip cells; make missing or blank cells ``None`` (vectorised per column)."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col].astype(object)
        text = s.astype(str).str.strip()
        present = s.notna().to_numpy() & (text != "").to_numpy()
        out[col] = text.where(present, None).astype(object)
    return out


def read_table(source: PathLike | pd.DataFrame, *, what: str = "table") -> Table:
    """Read a small annotation table (plate map, plate list) as text cells.

    CSV, TSV and ``;``-separated text (separator sniffed from the header line; any encoding
    and line ends, see :func:`~secretome_rank.importers.grid.read_text`), Excel
    (``.xlsx``/``.xls``, needs ``openpyxl``) and Parquet are read; a DataFrame is used as is.
    Blank lines are skipped; the source line of each row is kept for messages.

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        The table.
    what : str, default "table"
        What the table is, for messages (``"plate map"``, ``"plate list"``).

    Returns
    -------
    Table
        The cells, their source lines, the source name and whether decimal commas are allowed.

    Raises
    ------
    SchemaError
        When the file cannot be read or parsed, or is empty.
    ConfigError
        When an Excel file is given but ``openpyxl`` is not installed.
    """
    decimal_comma = False
    if isinstance(source, pd.DataFrame):
        df = source.reset_index(drop=True)
        lines = np.arange(2, len(df) + 2)
        name = "<DataFrame>"
    else:
        path = Path(source)
        name = str(path)
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xls", ".xlsm"):
            try:
                df = pd.read_excel(path, dtype=str, header=0)
            except ImportError as exc:
                raise ConfigError(
                    f"{path}: reading Excel files needs openpyxl; install it "
                    "(pip install 'secretome-rank[excel]') or save the sheet as CSV"
                ) from exc
            except (OSError, ValueError) as exc:
                raise SchemaError(f"{path}: cannot read the Excel file ({exc})") from exc
            lines = np.arange(2, len(df) + 2)
            decimal_comma = True
        elif suffix in (".parquet", ".pq"):
            try:
                df = pd.read_parquet(path)
            except (ImportError, OSError, ValueError) as exc:
                raise SchemaError(f"{path}: cannot read the Parquet file ({exc})") from exc
            lines = np.arange(2, len(df) + 2)
        else:
            text_lines = read_text(path)
            keep = [k for k, line in enumerate(text_lines) if line.strip()]
            if not keep:
                raise SchemaError(f"{path}: the {what} is empty; expected a header line and rows")
            header = text_lines[keep[0]]
            counts = {sep: header.count(sep) for sep in ("\t", ";", ",")}
            sep = max(counts, key=lambda s: counts[s])
            if counts[sep] == 0:
                sep = "\t"
            decimal_comma = sep != ","
            widths = [
                len(_trim(r)) for r in csv.reader((text_lines[k] for k in keep), delimiter=sep)
            ]
            n_head = len(_trim(next(csv.reader([header], delimiter=sep))))
            wide = [keep[i] + 1 for i, w in enumerate(widths) if w > max(n_head, 1)]
            if wide:
                shown = ", ".join(str(k) for k in wide[:8]) + (" ..." if len(wide) > 8 else "")
                raise SchemaError(
                    f"{path}: line {shown} has {widths[keep.index(wide[0] - 1)]} cells but the "
                    f"header has {n_head} ({sep!r}-separated); quote cells that contain the "
                    "separator or remove the extra cells"
                )
            body = "\n".join(text_lines[k] for k in keep)
            try:
                df = pd.read_csv(
                    io.StringIO(body), sep=sep, dtype=str, keep_default_na=False, quotechar='"'
                )
            except (pd.errors.ParserError, ValueError) as exc:
                raise SchemaError(
                    f"{path}: cannot parse the {what} as a {sep!r}-separated table ({exc}); "
                    "check that every line has the same number of cells"
                ) from exc
            lines = np.array(keep[1:], dtype=np.int64)[: len(df)] + 1
    df = _clean_cells(df)
    df.columns = pd.Index([str(c).strip() for c in df.columns], dtype=object)
    df[_LINE] = lines
    blank_unnamed = [
        c for c in df.columns if c.lower().startswith("unnamed:") and df[c].isna().all()
    ]
    df = df.drop(columns=blank_unnamed)
    data_cols = [c for c in df.columns if c != _LINE]
    df = df[df[data_cols].notna().any(axis=1)].reset_index(drop=True)
    return Table(df, name, decimal_comma)


def _resolve(
    table: Table,
    aliases: Mapping[str, tuple[str, ...]],
    columns: Mapping[str, str] | None,
    *,
    what: str,
) -> dict[str, str]:
    """Map our column names to the table's columns (case-insensitive aliases, overrides)."""
    df = table.frame
    present = {_norm(c): c for c in df.columns if c != _LINE}
    found: dict[str, str] = {}
    problems: list[str] = []
    for ours, theirs in (columns or {}).items():
        if ours not in aliases:
            raise ConfigError(
                f"{what} column mapping {ours}={theirs}: unknown column {ours!r}; expected one "
                f"of {', '.join(aliases)}"
            )
        if _norm(theirs) not in present:
            problems.append(
                f"column {theirs!r} (mapped to {ours!r}) not found; columns are: "
                f"{', '.join(c for c in df.columns if c != _LINE)}"
            )
        else:
            found[ours] = present[_norm(theirs)]
    if problems:
        raise SchemaError(f"{table.source}: {what} column mapping does not fit", problems=problems)
    taken = set(found.values())
    for ours, names in aliases.items():
        if ours in found:
            continue
        for alias in (ours, *names):
            col = present.get(_norm(alias))
            if col is not None and col not in taken:
                found[ours] = col
                taken.add(col)
                break
    return found


def _lines(df: pd.DataFrame, mask: np.ndarray | pd.Series, limit: int = 8) -> str:
    """``'lines 3, 4, 9 (+2 more)'`` for the rows in ``mask``."""
    nums = df.loc[np.asarray(mask, dtype=bool), _LINE].astype(int).tolist()
    head = ", ".join(str(n) for n in nums[:limit])
    more = f" (+{len(nums) - limit} more)" if len(nums) > limit else ""
    return f"line{'s' if len(nums) > 1 else ''} {head}{more}"


def _to_float(table: Table, col: str, *, what: str, problems: list[str]) -> pd.Series:
    """Parse a text column to float (decimal comma allowed unless the file is comma-separated)."""
    df = table.frame
    s = df[col].astype(object)
    text = s.where(s.notna(), "").astype(str)
    if table.decimal_comma:
        text = text.str.replace(_DECIMAL_COMMA, r"\1.\2", regex=True)
    out = pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)
    bad = out.isna() & s.notna()
    if bad.any():
        examples = ", ".join(repr(v) for v in s[bad].unique()[:5])
        comma = " or comma" if table.decimal_comma else ""
        problems.append(
            f"{_lines(df, bad)}, column {col!r}: {examples} not a number; expected numbers "
            f"for {what} (decimal point{comma}); fix or empty the cells"
        )
    return out


def _columns_text(df: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in df.columns if c != _LINE)


def _key_text(s: pd.Series) -> pd.Series:
    """Text for grouping keys: missing values become ``"<NA>"`` (never dropped)."""
    return s.astype(object).where(s.notna(), "<NA>").astype(str)


def _text_col(values: pd.Series | np.ndarray) -> pd.Series:
    """Text column with NaN for missing values (``str`` dtype on pandas >= 3)."""
    s = pd.Series(values).astype(object).reset_index(drop=True)
    present = s.notna()
    s = s.where(~present, s.astype(str)).where(present, np.nan)
    return pd.Series(s.to_numpy(dtype=object), dtype=_STR)


def finish_well_table(wells: pd.DataFrame, *, lead: Iterable[str] = ()) -> pd.DataFrame:
    """Order columns canonically and set dtypes (text as ``str`` with NaN for missing).

    Parameters
    ----------
    wells : pandas.DataFrame
        An imported well table with at least the canonical columns.
    lead : iterable of str
        Importer-specific columns to place right after ``content``.

    Returns
    -------
    pandas.DataFrame
        Columns ``plate, well, value, role, protein, cell_line, treatment, replicate``, then
        ``concentration``/``batch`` if present, ``content``, ``lead``, ``source_file`` and
        the rest in their order; a fresh RangeIndex.
    """
    canon = [C.PLATE, C.WELL, C.VALUE, C.ROLE, C.PROTEIN, C.CELL_LINE, C.TREATMENT, C.REPLICATE]
    optional = [c for c in (C.CONCENTRATION, C.BATCH) if c in wells.columns]
    front = [c for c in (CONTENT, *lead, SOURCE_FILE) if c in wells.columns]
    rest = [c for c in wells.columns if c not in {*canon, *optional, *front}]
    out = wells[canon + optional + front + rest].reset_index(drop=True)
    text_cols = (C.PLATE, C.WELL, C.ROLE, C.PROTEIN, C.CELL_LINE, C.TREATMENT, CONTENT, SOURCE_FILE)
    for col in out.columns:
        if col in text_cols or (
            out[col].dtype == object and not pd.api.types.is_numeric_dtype(out[col])
        ):
            out[col] = _text_col(out[col])
    out[C.VALUE] = out[C.VALUE].astype(float)
    out[C.REPLICATE] = out[C.REPLICATE].astype(np.int64)
    if C.CONCENTRATION in out.columns:
        out[C.CONCENTRATION] = out[C.CONCENTRATION].astype(float)
    return out
