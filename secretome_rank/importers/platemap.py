"""Plate maps, plate lists (sample sheets) and their join with grid exports.

A **plate map** says what is in each well: a role (``sample``, ``drug_control``,
``vehicle_control``, ``empty``) and, for samples, the protein (plus optional concentration).
It is one map for all plates, or per plate through a ``plate`` column. A **plate list** (sample
sheet) says, for each exported file (and grid), the plate id, cell line, treatment, replicate
and batch. :func:`import_plates` joins grid exports, plate map and plate list into the
canonical well table (DESIGN section 1).

Role words are never guessed: a map's own vocabulary (``DMSO``, ``PBS``, ``neg``, ``pos``,
``PosSpike``, ...) is turned into roles only through an explicit ``role_map``.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, LayoutError, SchemaError
from secretome_rank.importers.grid import (
    _DECIMAL_COMMA,
    Grid,
    GridSelector,
    _trim,
    find_grids,
    grids_to_frame,
    read_text,
    select_grids,
)
from secretome_rank.layout import FORMATS, parse_wells, row_letters

__all__ = [
    "CONTROL_WORDS",
    "Table",
    "finish_well_table",
    "import_plates",
    "map_roles",
    "read_plate_list",
    "read_plate_map",
    "read_table",
    "validate_role_map",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

CONTENT = "content"
SOURCE_FILE = "source_file"
FILE = "file"
GRID = "grid"
LAYOUT = "layout"
_LINE = "_line"

#: Words (lower case, without spaces, ``_`` or ``-``) that look like control or empty-well
#: labels. In a map's name column they are never taken as a protein: they must be mapped
#: with ``role_map`` (``neg``, ``pos1``, ``NegCtrl``, ``PosSpike`` are caught by a pattern).
CONTROL_WORDS = frozenset(
    {
        "dmso", "pbs", "neg", "pos", "negative", "positive", "blank", "control", "ctrl",
        "mock", "vehicle", "untreated", "none", "nodrug", "noprotein", "medium", "media",
        "buffer", "water", "h2o", "nc", "pc", "nt", "nontargeting", "scrambled", "bsa",
        "drugonly", "vehicleonly", "nothing", "na", "unused", "other", "up", "down", "gfp",
        "luciferase", "scramble",
    }
)  # fmt: skip
_CONTROL_PATTERN = re.compile(r"^(neg|pos)(itive|ative)?(ctrl|control|spike|barcode)?\d*$")

_MAP_ALIASES: dict[str, tuple[str, ...]] = {
    C.PLATE: ("plate", "plateid", "platename", "barcode", "platebarcode", "layout"),
    C.WELL: ("well", "wellid", "wellname", "wellposition", "position"),
    C.ROLE: ("role", "welltype", "wellrole", "controlstatus", "type"),
    C.PROTEIN: ("protein", "ligand", "name", "genesymbol", "symbol", "compound", "reagent"),
    CONTENT: ("content",),
    C.CONCENTRATION: ("concentration", "conc", "dose"),
}
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


# ----------------------------------------------------------------------------------------
# generic table reading
# ----------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------
# roles
# ----------------------------------------------------------------------------------------
def validate_role_map(role_map: Mapping[str, str] | None) -> dict[str, str]:
    """Check a role mapping and return it with lower-case, stripped keys.

    Parameters
    ----------
    role_map : mapping of str to str, optional
        Plate-map word -> role, e.g. ``{"DMSO": "vehicle_control", "neg": "drug_control"}``
        (CLI: ``--role-map DMSO=vehicle_control``). Words match case-insensitively.

    Returns
    -------
    dict
        Lower-case word -> role.

    Raises
    ------
    ConfigError
        When a value is not one of ``sample``, ``drug_control``, ``vehicle_control``, ``empty``.
    """
    out: dict[str, str] = {}
    bad = []
    for word, role in (role_map or {}).items():
        if str(role).strip() not in C.ROLES:
            bad.append(f"{word}={role}")
        out[str(word).strip().lower()] = str(role).strip()
    if bad:
        raise ConfigError(
            f"role_map: {', '.join(bad)}: not a role; roles are {', '.join(C.ROLES)} "
            "(e.g. --role-map neg=drug_control)"
        )
    return out


def _looks_like_control(words: pd.Series) -> pd.Series:
    key = words.str.lower().str.replace(r"[\s_\-.]+", "", regex=True)
    return key.isin(CONTROL_WORDS) | key.str.match(_CONTROL_PATTERN)


def map_roles(
    words: pd.Series,
    role_map: Mapping[str, str],
    *,
    strict: bool,
) -> tuple[pd.Series, pd.Series]:
    """Turn plate-map words into roles (vectorised).

    Parameters
    ----------
    words : pandas.Series
        Words as written (``None`` for empty cells).
    role_map : mapping
        Lower-case word -> role (see :func:`validate_role_map`); our role names map to
        themselves unless overridden.
    strict : bool
        ``True`` for a role column: every word must be a role or in ``role_map``.
        ``False`` for a name column: unmapped words are protein names (role ``sample``),
        except words that look like controls (:data:`CONTROL_WORDS`), which must be mapped.

    Returns
    -------
    roles : pandas.Series
        Role per word (``None`` where unmapped).
    unmapped : pandas.Series
        Boolean: the word needs a ``role_map`` entry.
    """
    full = {r: r for r in C.ROLES}
    full.update(role_map)
    text = words.astype(object).where(words.notna(), "").astype(str)
    key = text.str.strip().str.lower()
    roles = key.map(full)
    if strict:
        unmapped = roles.isna() & words.notna()
    else:
        unmapped = roles.isna() & words.notna() & _looks_like_control(text)
        roles = roles.where(roles.notna() | unmapped | words.isna(), C.SAMPLE)
    roles = roles.astype(object).where(roles.notna(), None)
    return roles, unmapped


def _suggest(word: str) -> str:
    """Role to show in the example of a fix: only ``neg``/``pos`` words have an obvious one."""
    key = word.strip().lower()
    if key.startswith("neg"):
        return C.DRUG_CONTROL
    if key.startswith("pos"):
        return C.VEHICLE_CONTROL
    return "<role>"


def _unmapped_problems(
    df: pd.DataFrame, col: str, unmapped: pd.Series, *, strict: bool
) -> list[str]:
    words = df.loc[unmapped, col]
    if words.empty:
        return []
    problems = []
    for word, group in words.groupby(words.str.lower(), sort=True):
        mask = unmapped & (df[col].astype(str).str.lower() == word)
        original = group.iloc[0]
        suggestion = _suggest(word)
        why = "" if strict else " (it looks like a control, not a protein)"
        problems.append(
            f"{_lines(df, mask)}, column {col!r}: word {original!r} ({int(mask.sum())} wells) "
            f"is not mapped to a role{why}; "
            f"expected one of {', '.join(C.ROLES)}; map it explicitly, e.g. "
            f"role_map={{'{original}': '{suggestion}'}} (CLI: --role-map {original}={suggestion})"
        )
    return problems


# ----------------------------------------------------------------------------------------
# plate map
# ----------------------------------------------------------------------------------------
def _columns_text(df: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in df.columns if c != _LINE)


def _read_plate_map(
    source: PathLike | pd.DataFrame,
    *,
    role_map: Mapping[str, str] | None,
    columns: Mapping[str, str] | None,
) -> tuple[pd.DataFrame, str]:
    """Plate map with the source line of each row (column ``_line``) and the source name."""
    rmap = validate_role_map(role_map)
    table = read_table(source, what="plate map")
    df, name = table.frame, table.source
    cols = _resolve(table, _MAP_ALIASES, columns, what="plate map")
    if C.WELL not in cols:
        raise SchemaError(
            f"{name}: plate map has no well column; expected a column named 'well' (or "
            f"wellID, well_id); columns are: {_columns_text(df)}. Rename it or map it "
            "(columns={'well': '<name>'})"
        )
    name_col = cols.get(C.PROTEIN) or cols.get(CONTENT)
    role_col = cols.get(C.ROLE)
    if role_col is None and name_col is None:
        raise SchemaError(
            f"{name}: plate map needs a 'role' column or a name column ('protein', 'name', "
            f"'content'); columns are: {_columns_text(df)}"
        )
    problems: list[str] = []
    layout_problems: list[str] = []
    wells = parse_wells(df[cols[C.WELL]].astype(object))
    biggest = FORMATS[1536]
    wells["ok"] = wells["ok"] & (wells["col"] <= biggest.n_cols).fillna(False).astype(bool)
    bad = ~wells["ok"] & df[cols[C.WELL]].notna()
    if bad.any():
        examples = ", ".join(repr(v) for v in df.loc[bad, cols[C.WELL]].head(5))
        layout_problems.append(
            f"{_lines(df, bad)}, column {cols[C.WELL]!r}: {examples} not a well id; expected "
            "a row letter (A-AF) and a column number (1-48) such as A1, A01 or A001"
        )
    if df[cols[C.WELL]].isna().any():
        layout_problems.append(
            f"{_lines(df, df[cols[C.WELL]].isna())}, column {cols[C.WELL]!r}: empty well id; "
            "fill it or delete the row"
        )
    out = pd.DataFrame(index=df.index)
    if C.PLATE in cols:
        plate = df[cols[C.PLATE]]
        if plate.isna().any():
            problems.append(
                f"{_lines(df, plate.isna())}, column {cols[C.PLATE]!r}: empty plate id; fill it "
                "(or drop the column to use one map for all plates)"
            )
        out[C.PLATE] = plate
    out[C.WELL] = wells["well"]
    if role_col is not None:
        roles, unmapped = map_roles(df[role_col], rmap, strict=True)
        problems += _unmapped_problems(df, role_col, unmapped, strict=True)
        empty = df[role_col].isna()
        if empty.any():
            problems.append(
                f"{_lines(df, empty)}, column {role_col!r}: empty role; expected one of "
                f"{', '.join(C.ROLES)} (write 'empty' for unused wells)"
            )
        content = df[role_col]
        protein = df[name_col] if name_col is not None else pd.Series(None, index=df.index)
    else:
        word_col = str(name_col)
        roles, unmapped = map_roles(df[word_col], rmap, strict=False)
        problems += _unmapped_problems(df, word_col, unmapped, strict=False)
        empty = df[word_col].isna()
        if empty.any():
            problems.append(
                f"{_lines(df, empty)}, column {word_col!r}: empty cell; expected a protein "
                "name or a control word (write 'empty' for unused wells)"
            )
        content = df[word_col]
        protein = df[word_col]
    is_sample = (roles == C.SAMPLE).to_numpy()
    no_protein = is_sample & protein.isna().to_numpy()
    if no_protein.any():
        problems.append(
            f"{_lines(df, no_protein)}: sample well without a protein name; add it to column "
            f"{name_col or 'protein'!r} or give the well a control role"
        )
    out[C.ROLE] = roles
    out[C.PROTEIN] = protein.where(is_sample, None)
    out[CONTENT] = content
    if C.CONCENTRATION in cols:
        out[C.CONCENTRATION] = _to_float(
            table, cols[C.CONCENTRATION], what="concentration", problems=problems
        )
    used = set(cols.values())
    for extra in df.columns:
        if extra not in used and extra != _LINE and extra not in out.columns:
            out[extra] = df[extra]
    out[_LINE] = df[_LINE]
    key = [C.PLATE, C.WELL] if C.PLATE in out.columns else [C.WELL]
    dup = (out.duplicated(key, keep=False) & wells["ok"]).to_numpy()
    if dup.any():
        for _, grp in out[dup].groupby(key, sort=False):
            where = " ".join(str(v) for v in grp.iloc[0][key])
            contents = (_key_text(grp[CONTENT]) + "/" + _key_text(grp[C.PROTEIN])).unique()
            contents = [c.removesuffix("/<NA>") for c in contents]
            kind = "conflicting" if len(contents) > 1 else "duplicate"
            listed = f" ({', '.join(contents)})" if len(contents) > 1 else ""
            problems.append(
                f"{_lines(df, out.index.isin(grp.index))}: {kind} entries for well "
                f"{where}{listed}; keep one row per well" + (" and plate" if len(key) == 2 else "")
            )
    if problems or layout_problems:
        err = SchemaError if problems else LayoutError
        everything = layout_problems + problems
        raise err(f"{name}: {len(everything)} problem(s) in the plate map", problems=everything)
    return out.reset_index(drop=True), name


def read_plate_map(
    source: PathLike | pd.DataFrame,
    *,
    role_map: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a plate map: well -> role, protein (and concentration).

    The map has a ``well`` column (``A1``, ``A01`` or ``A001``) and either

    - a ``role`` column (values: our roles or words mapped by ``role_map``; anything else is
      an error) plus an optional protein/name column, or
    - only a name column (``protein``, ``name``, ``ligand``, ``content``, ...): words in
      ``role_map`` (or equal to a role) give that role; other words are protein names (role
      ``sample``), except words that look like controls (``DMSO``, ``PBS``, ``neg``,
      ``PosSpike``, ``mock``, ...; :data:`CONTROL_WORDS`), which must be mapped explicitly.

    An optional ``plate`` column makes it a per-plate map (matched to the plate id, or to the
    plate list's ``layout`` column). Column names match case-insensitively; ``columns`` maps
    our names to others (``{"protein": "Drug"}``).

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        The map (CSV/TSV/``;``/Excel/Parquet; see :func:`read_table`).
    role_map : mapping of str to str, optional
        Word -> role, case-insensitive (CLI ``--role-map DMSO=vehicle_control``).
    columns : mapping of str to str, optional
        Our column name -> the map's column name (``plate``, ``well``, ``role``, ``protein``,
        ``content``, ``concentration``).

    Returns
    -------
    pandas.DataFrame
        One row per (plate,) well: ``plate`` (only for per-plate maps), ``well`` (canonical),
        ``role``, ``protein`` (None for non-sample wells), ``content`` (the word as written,
        before role mapping), ``concentration`` (float, if present), then other columns as
        they are.

    Raises
    ------
    SchemaError
        Unmapped control words, missing names, bad numbers, duplicate or conflicting wells.
    LayoutError
        Malformed well ids (when that is the only kind of problem).
    ConfigError
        Invalid ``role_map`` or ``columns``.

    Examples
    --------
    >>> from pathlib import Path
    >>> f = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "plate_map.csv"
    >>> m = read_plate_map(f, role_map={"neg": "drug_control", "pos": "vehicle_control"})
    >>> m["role"].value_counts().sort_index().to_dict()
    {'drug_control': 8, 'sample': 80, 'vehicle_control': 8}
    """
    frame, _ = _read_plate_map(source, role_map=role_map, columns=columns)
    return frame.drop(columns=_LINE)


# ----------------------------------------------------------------------------------------
# plate list
# ----------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------
# import: grids + map + list -> canonical well table
# ----------------------------------------------------------------------------------------
def _locate(entries: Sequence[str], base: Path, listname: str) -> list[Path]:
    """Find the plate list's files under ``base`` (as given, by name, or recursively)."""
    found: list[Path] = []
    missing: list[str] = []
    for entry in entries:
        p = Path(entry.replace("\\", "/"))
        candidates = [p] if p.is_absolute() else [base / p, base / p.name]
        hit = next((c for c in candidates if c.is_file()), None)
        if hit is None and not p.is_absolute():
            hit = next(iter(sorted(base.rglob(p.name))), None)
        if hit is None:
            missing.append(entry)
        else:
            found.append(hit)
    if missing:
        raise SchemaError(
            f"{listname}: {len(missing)} listed file(s) not found under {base}",
            problems=[
                f"{m}: no such file; pass the data folder (data_dir=...) or the files themselves"
                for m in missing
            ],
        )
    return found


def _key_text(s: pd.Series) -> pd.Series:
    """Text for grouping keys: missing values become ``"<NA>"`` (never dropped)."""
    return s.astype(object).where(s.notna(), "<NA>").astype(str)


def _signature(wells: pd.DataFrame) -> pd.Series:
    """Per plate, a code for its layout (well, role, protein, concentration)."""
    names = [C.WELL, C.ROLE, C.PROTEIN]
    if C.CONCENTRATION in wells.columns:
        names.append(C.CONCENTRATION)
    parts = [_key_text(wells[n]) for n in names]
    token = parts[0].str.cat(parts[1:], sep="|")
    joined = token.groupby(wells[C.PLATE], sort=False).agg(";".join)
    codes, _ = pd.factorize(joined)
    return pd.Series(codes, index=joined.index)


def _text_col(values: pd.Series | np.ndarray) -> pd.Series:
    """Text column with NaN for missing values (``str`` dtype on pandas >= 3)."""
    s = pd.Series(values).astype(object).reset_index(drop=True)
    present = s.notna()
    s = s.where(~present, s.astype(str)).where(present, np.nan)
    return pd.Series(s.to_numpy(dtype=object), dtype=_STR)


def _resolve_files(
    files: PathLike | Sequence[PathLike] | None,
    plist: pd.DataFrame | None,
    list_name: str,
    data_dir: PathLike | None,
) -> tuple[pd.DataFrame, list[Path]]:
    """Pair each plate-list row with a file path (or build the list from the files)."""
    if files is None:
        given: list[Path] = []
    elif isinstance(files, str | os.PathLike):
        given = [Path(files)]
    else:
        given = [Path(f) for f in files]
    missing = [str(p) for p in given if not p.is_file()]
    if missing:
        raise SchemaError(
            f"import_plates: {len(missing)} file(s) not found",
            problems=[f"{m}: no such file" for m in missing],
        )
    if plist is None:
        if not given:
            raise SchemaError("import_plates: give the grid files, a plate list, or both")
        stems = [p.stem for p in given]
        dup = sorted({s for s in stems if stems.count(s) > 1})
        if dup:
            raise SchemaError(
                f"import_plates: several files are named {', '.join(dup)}; without a plate "
                "list plate ids come from file names; give a plate list with a 'plate' column"
            )
        return pd.DataFrame({FILE: [p.name for p in given], C.PLATE: stems}), given
    if not given:
        base = Path(data_dir) if data_dir is not None else Path(list_name).parent
        return plist, _locate([str(f) for f in plist[FILE]], base, list_name)
    names = plist[FILE].map(lambda f: _file_name(f).lower())
    lookup = {p.name.lower(): p for p in given}
    unknown = [p.name for p in given if p.name.lower() not in set(names)]
    if unknown:
        raise SchemaError(
            f"{list_name}: {len(unknown)} given file(s) are not in the plate list",
            problems=[
                f"{u}: add a row for it to the plate list (column 'file') or leave it out"
                for u in unknown
            ],
        )
    keep = names.isin(lookup).to_numpy()
    if not keep.all():
        skipped = plist.loc[~keep, FILE].astype(str).tolist()
        warnings.warn(
            f"{list_name}: {len(skipped)} plate-list row(s) have no matching file among the "
            f"files given and are skipped ({', '.join(skipped[:5])}"
            f"{', ...' if len(skipped) > 5 else ''})",
            UserWarning,
            stacklevel=3,
        )
    return plist[keep].reset_index(drop=True), [lookup[n] for n in names[keep]]


def _read_all_grids(
    plist: pd.DataFrame, paths: Sequence[Path], grid: GridSelector
) -> tuple[pd.DataFrame, list[int]]:
    """Read the grids for every plate-list row; one error for all files' problems."""
    parsed: dict[Path, list[Grid]] = {}
    problems: list[str] = []
    for p in dict.fromkeys(paths):
        try:
            parsed[p] = find_grids(p)
        except LayoutError as exc:
            problems += [f"{p}: {q}" for q in exc.problems] or [str(exc)]
    if problems:
        raise LayoutError(f"{len(problems)} problem(s) in the grid exports", problems=problems)
    frames = []
    several: list[Path] = []
    for k, p in enumerate(paths):
        row = plist.iloc[k]
        sel = row[GRID] if GRID in plist.columns and pd.notna(row[GRID]) else grid
        if sel is None and len(parsed[p]) > 1:
            several.append(p)
        chosen = select_grids(parsed[p], sel, source=p, warn=False)
        plate = str(row[C.PLATE])
        names = [plate] if len(chosen) == 1 else [f"{plate}_{g.index}" for g in chosen]
        part = grids_to_frame(chosen, names, source=p)
        part["_order"] = k
        frames.append(part)
    if several:
        listed = ", ".join(p.name for p in several[:3]) + (", ..." if len(several) > 3 else "")
        warnings.warn(
            f"{len(several)} file(s) hold several grids ({listed}); using the first grid of "
            f"each ('{parsed[several[0]][0].title}'). Pass grid=<index or title text> "
            "(CLI --grid) to choose.",
            UserWarning,
            stacklevel=3,
        )
    wells = pd.concat(frames, ignore_index=True)
    counts = wells.drop_duplicates([C.PLATE, "_order"])[C.PLATE].value_counts()
    if (counts > 1).any():
        raise SchemaError(
            "import_plates: plate ids are not unique: "
            + ", ".join(counts.index[counts > 1].astype(str))
            + "; give distinct 'plate' ids in the plate list"
        )
    formats = sorted({g.n_wells for gl in parsed.values() for g in gl})
    return wells, formats


def _join_map(
    wells: pd.DataFrame, pmap: pd.DataFrame, map_name: str, formats: Sequence[int]
) -> pd.DataFrame:
    """Left-join the plate map; every plate well must have an entry, every entry fit."""
    per_plate = C.PLATE in pmap.columns
    problems: list[str] = []
    right = pmap.drop(columns=_LINE)
    if per_plate:
        key = wells[LAYOUT] if LAYOUT in wells.columns else wells["_list_plate"]
        wells["_key"] = key.where(key.notna(), wells["_list_plate"]).astype(str)
        right = right.rename(columns={C.PLATE: "_key"})
        right["_key"] = right["_key"].astype(str)
        known = sorted(set(right["_key"]))
        for k in wells.loc[~wells["_key"].isin(known), "_key"].unique():
            problems.append(
                f"{map_name}: no plate-map entries for plate {k!r} (the map's plate column has "
                f"{', '.join(known[:5])}{', ...' if len(known) > 5 else ''}); add rows for "
                "it or give a 'layout' column in the plate list"
            )
        on = ["_key", C.WELL]
    else:
        on = [C.WELL]
    parsed = parse_wells(pmap[C.WELL].astype(object))
    plate_size = wells.groupby(C.PLATE)[C.WELL].transform("size")
    for n_wells in formats:
        fmt = FORMATS[n_wells]
        outside = ((parsed["row"] > fmt.n_rows) | (parsed["col"] > fmt.n_cols)).fillna(False)
        outside = outside.to_numpy(dtype=bool)
        if per_plate:
            keys = set(wells.loc[plate_size == n_wells, "_key"])
            outside = outside & pmap[C.PLATE].astype(str).isin(keys).to_numpy()
        elif len(formats) > 1:
            continue  # one map for plates of several sizes: only wells missing matter
        if outside.any():
            ex = ", ".join(pmap.loc[outside, C.WELL].head(5))
            last = row_letters(fmt.n_rows)[-1]
            problems.append(
                f"{map_name}, {_lines(pmap, outside)}: well(s) {ex} outside a {n_wells}-well "
                f"plate (rows A-{last}, columns 1-{fmt.n_cols}); fix the well ids or check "
                "that the map belongs to these plates"
            )
    clash = [c for c in right.columns if c in wells.columns and c not in on]
    right = right.rename(columns={c: f"{c}_map" for c in clash})
    wells = wells.merge(right, on=on, how="left", validate="many_to_one", indicator="_m")
    unmapped = (wells["_m"] == "left_only").to_numpy()
    if unmapped.any():
        for plate, grp in wells[unmapped].groupby(C.PLATE, sort=False):
            ex = ", ".join(grp[C.WELL].head(6))
            problems.append(
                f"{map_name}: plate {plate!r}: {len(grp)} well(s) have no plate-map entry "
                f"({ex}{', ...' if len(grp) > 6 else ''}); add them to the map (role 'empty' "
                "for unused wells)"
            )
    if problems:
        raise LayoutError(
            f"{len(problems)} problem(s) joining the plate map to the plates", problems=problems
        )
    return wells.drop(columns=["_m", "_key"], errors="ignore")


def _replicates(wells: pd.DataFrame, list_name: str) -> pd.Series:
    """Replicate per plate: given (checked for clashes) or numbered within context + layout."""
    sig = _signature(wells)
    first = wells.drop_duplicates(C.PLATE)
    plates = pd.DataFrame(
        {
            C.PLATE: first[C.PLATE].to_numpy(),
            "_c": _key_text(first[C.CELL_LINE]).to_numpy(),
            "_t": _key_text(first[C.TREATMENT]).to_numpy(),
        }
    )
    plates["_sig"] = plates[C.PLATE].map(sig).to_numpy()
    if C.REPLICATE in first.columns:
        plates[C.REPLICATE] = first[C.REPLICATE].to_numpy()
        ctx = ["_c", "_t", "_sig", C.REPLICATE]
        clash = plates.duplicated(ctx, keep=False).to_numpy()
        if clash.any():
            found = [
                f"plates {', '.join(grp[C.PLATE])} all claim replicate "
                f"{int(grp[C.REPLICATE].iloc[0])} of cell line {grp['_c'].iloc[0]!r}, "
                f"treatment {grp['_t'].iloc[0]!r} with the same plate-map contents; fix the "
                "replicate column"
                for _, grp in plates[clash].groupby(ctx, sort=False)
            ]
            raise SchemaError(f"{list_name}: conflicting replicate numbers", problems=found)
    else:
        plates[C.REPLICATE] = plates.groupby(["_c", "_t", "_sig"], sort=False).cumcount() + 1
    return wells[C.PLATE].map(plates.set_index(C.PLATE)[C.REPLICATE])


def import_plates(
    files: PathLike | Sequence[PathLike] | None = None,
    *,
    plate_map: PathLike | pd.DataFrame,
    plate_list: PathLike | pd.DataFrame | None = None,
    role_map: Mapping[str, str] | None = None,
    grid: GridSelector = None,
    data_dir: PathLike | None = None,
    map_columns: Mapping[str, str] | None = None,
    list_columns: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Build the canonical well table from grid exports, a plate map and a plate list.

    Parameters
    ----------
    files : path or sequence of paths, optional
        Grid exports. If omitted, the plate list's ``file`` column is used (relative to
        ``data_dir``, else to the plate list's folder; searched recursively by name). If both
        are given, every file must be in the plate list (matched by file name); list rows
        whose file is not given are skipped with a ``UserWarning``.
    plate_map : path or pandas.DataFrame
        See :func:`read_plate_map`.
    plate_list : path or pandas.DataFrame, optional
        See :func:`read_plate_list`. Without it, plate ids are the file names without
        extension, the cell line is ``"cells"``, treatment is missing and replicates are
        numbered.
    role_map : mapping of str to str, optional
        Plate-map word -> role (case-insensitive), e.g.
        ``{"DMSO": "vehicle_control", "neg": "drug_control"}``.
    grid : int, str, ``"all"`` or None
        Grid choice for files whose plate-list row has no ``grid`` entry (see
        :func:`~secretome_rank.importers.grid.select_grids`). ``None``: the first grid, with a
        single ``UserWarning`` naming the files that hold several.
    data_dir : path, optional
        Folder holding the files named in the plate list.
    map_columns, list_columns : mapping of str to str, optional
        Column-name overrides for the plate map and plate list.
    defaults : mapping of str to str, optional
        Values of plate-level columns (``cell_line``, ``treatment``, ``batch``) for plates
        whose plate-list entry has none, e.g. ``{"treatment": "none"}`` for a screen without a
        drug arm (a plain viability screen is the vehicle arm of DESIGN section 1).

    Returns
    -------
    pandas.DataFrame
        One row per well, plates in plate-list (or file) order, wells row-major:
        ``plate``, ``well``, ``value`` (float, NaN = missing), ``role``, ``protein`` (NaN for
        non-sample wells), ``cell_line``, ``treatment`` (NaN when not given), ``replicate``
        (int; if not given: 1, 2, ... over plates with the same cell line, treatment and
        plate-map contents, in order), then ``concentration`` and ``batch`` when given,
        ``content`` (the plate-map word before role mapping), ``source_file``, and any other
        plate-list and plate-map columns.

    Raises
    ------
    LayoutError
        Grid problems (all files' problems in one error), map wells outside the plate,
        plate wells missing from the map.
    SchemaError
        Plate map or plate list problems, files not found or not in the plate list, two
        plates claiming the same replicate of the same layout and context.
    ConfigError
        Invalid ``role_map`` or column overrides.

    Examples
    --------
    >>> from pathlib import Path
    >>> d = Path(__file__).resolve().parents[2] / "fixtures" / "imports"
    >>> wells = import_plates(
    ...     plate_map=d / "plate_map.csv", plate_list=d / "plate_list.csv",
    ...     role_map={"neg": "drug_control", "pos": "vehicle_control"}, grid="Raw data")
    >>> wells.groupby("plate").size().to_dict()
    {'rep1': 96, 'rep2': 96}
    """
    pmap, map_name = _read_plate_map(plate_map, role_map=role_map, columns=map_columns)
    plist: pd.DataFrame | None = None
    list_name = ""
    if plate_list is not None:
        plist, list_name = _read_plate_list(plate_list, columns=list_columns)
    plist, paths = _resolve_files(files, plist, list_name, data_dir)
    wells, formats = _read_all_grids(plist, paths, grid)

    meta = plist.drop(columns=[c for c in (FILE, GRID, _LINE) if c in plist.columns])
    meta = meta.rename(columns={C.PLATE: "_list_plate"})
    meta["_order"] = np.arange(len(meta))
    wells = wells.merge(meta, on="_order", how="left", validate="many_to_one")
    wells = _join_map(wells, pmap, map_name, formats)

    bad_keys = sorted(set(defaults or {}) - {C.CELL_LINE, C.TREATMENT, C.BATCH})
    if bad_keys:
        raise ConfigError(
            f"defaults: {', '.join(bad_keys)} not a plate-level column; expected cell_line, "
            "treatment or batch"
        )
    for col, value in (defaults or {}).items():
        if col not in wells.columns:
            wells[col] = None
        wells[col] = wells[col].where(wells[col].notna(), str(value))
    if C.CELL_LINE not in wells.columns:
        wells[C.CELL_LINE] = None
    wells[C.CELL_LINE] = wells[C.CELL_LINE].where(wells[C.CELL_LINE].notna(), C.DEFAULT_CELL_LINE)
    if C.TREATMENT not in wells.columns:
        wells[C.TREATMENT] = None
    conc_map = C.CONCENTRATION + "_map"
    if conc_map in wells.columns:  # plate-wide concentration in the list; the map's wins
        wells[C.CONCENTRATION] = wells[conc_map].where(
            wells[conc_map].notna(), wells[C.CONCENTRATION]
        )
        wells = wells.drop(columns=conc_map)
    wells[C.REPLICATE] = _replicates(wells, list_name or "import_plates").to_numpy()
    wells = wells.sort_values("_order", kind="stable")
    drop = ["_order", "_list_plate", "grid", "grid_title", LAYOUT]
    wells = wells.drop(columns=[c for c in drop if c in wells.columns])
    logger.info("imported %d plates, %d wells", wells[C.PLATE].nunique(), len(wells))
    return finish_well_table(wells)


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
