"""Read well tables (CSV, TSV, Parquet, Excel); the writers live in :mod:`secretome_rank.writers`.

No statistics here: :func:`read_screen` reads, maps column names, and hands the frame to
:func:`secretome_rank.schema.validate_wells`, which reports every problem of the file at once.
The output writers are re-exported here, so ``secretome_rank.io`` stays the one place for
reading and writing tables.
"""

from __future__ import annotations

import csv
import logging
import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError, warn
from secretome_rank.schema import validate_wells
from secretome_rank.writers import (
    FORMULA_STARTS,
    TABLE_SUFFIXES,
    BackgroundTable,
    format_tsv,
    neutralize_formulas,
    tsv_bytes,
    write_by_suffix,
    write_bytes_atomic,
    write_excel,
    write_json,
    write_table,
)

__all__ = [
    "FORMULA_STARTS",
    "TABLE_SUFFIXES",
    "BackgroundTable",
    "format_tsv",
    "neutralize_formulas",
    "read_screen",
    "read_table",
    "tsv_bytes",
    "write_by_suffix",
    "write_bytes_atomic",
    "write_excel",
    "write_json",
    "write_table",
]

logger = logging.getLogger(__name__)

_EXCEL = {".xlsx", ".xlsm", ".xls"}
_PARQUET = {".parquet", ".pq"}
_SNIFF_BYTES = 64 * 1024
# the words pandas reads as a missing value by default ...
_NA_WORDS = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip
# ... and in a text column, where 'None' is a treatment (a vehicle word) and not a gap
_TEXT_NA_WORDS = tuple(w for w in _NA_WORDS if w != "None")
# well-table columns that hold names: read as written ('001' stays '001', 'None' stays 'None')
TEXT_INPUT = (C.PLATE, C.WELL, C.ROLE, C.PROTEIN, C.CELL_LINE, C.TREATMENT, C.BATCH)


def header_key(name: object) -> str:
    """A column name as matched to a canonical one: case, spaces, ``_``, ``-`` and ``.`` ignored.

    Examples
    --------
    >>> [header_key(n) for n in ("Cell Line", "cell_line", "cell.line", " CellLine ")]
    ['cellline', 'cellline', 'cellline', 'cellline']
    """
    return re.sub(r"[\s_.\-]+", "", str(name).lower())


def _na_rules(header: pd.Index, text: Callable[[str], bool]) -> tuple[list[str], dict[str, Any]]:
    """The ``text`` columns of ``header``, and the missing-value words of every column.

    The words go to ``read_csv``/``read_excel``; in the text columns ``None`` stays text.
    """
    text_cols = [str(h) for h in header if text(str(h))]
    words = {str(h): list(_TEXT_NA_WORDS if str(h) in text_cols else _NA_WORDS) for h in header}
    return text_cols, {"keep_default_na": False, "na_values": words}


def _sniff_delimiter(head: str, name: str) -> str:
    """Pick the delimiter of a text table from its first lines (tab, ``;`` or ``,``)."""
    lines = [ln for ln in head.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    header = lines[0]
    counts = {d: header.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return "\t" if name.endswith((".tsv", ".tab")) else ","
    return best


def _long_lines(path: Path, sep: str) -> list[tuple[int, int, int]]:
    """``(line, header fields, fields)`` of every line with more fields than the header.

    Only on the error path: pandas names the first such line and stops there.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter=sep)
        header = next(rows, [])
        return [(rows.line_num, len(header), len(r)) for r in rows if len(r) > len(header)]


def _sheet_index(sheet: str | int | None, names: list[str], path: Path) -> int:
    """The position of the chosen sheet: by name, else by number (from 1 as text, from 0 as int).

    On the command line ``--sheet 2`` is the sheet named ``2`` if there is one, else the
    second sheet; in Python an int counts from 0, as in pandas.
    """
    listing = ", ".join(f"{i + 1}: {n!r}" for i, n in enumerate(names))
    if sheet is None:
        return 0
    if isinstance(sheet, str) and sheet in names:
        return names.index(sheet)
    if isinstance(sheet, str) and sheet.strip().isdecimal():
        index = int(sheet) - 1
    elif isinstance(sheet, int):
        index = sheet
    else:
        raise SchemaError(f"{path}: no sheet {sheet!r}; the sheets are {listing}")
    if not 0 <= index < len(names):
        raise SchemaError(
            f"{path}: no sheet number {sheet}; the file has {len(names)} sheet(s): {listing}"
        )
    return index


def _parse_text(
    path: Path, *, sep: str, decimal: str, text: Callable[[str], bool] | None = None
) -> pd.DataFrame:
    """Parse delimited text with pandas' C parser; column types never depend on chunking.

    The parser reads large files in chunks of rows (faster, less memory than one piece) and
    infers each column's type per chunk. When chunks of a column got different types (say
    plate names ``001`` in one chunk and ``P2`` in another) pandas warns and mixes ints and
    text; the file is then parsed again in one piece, as if it had been read at once.
    """
    options: dict[str, Any] = {
        "compression": None,  # a compressed file is refused as binary before this
        "sep": sep,
        "encoding": "utf-8-sig",
        "quoting": csv.QUOTE_MINIMAL,
        "skip_blank_lines": True,
    }
    text_cols: list[str] = []
    if text is not None:
        text_cols, rules = _na_rules(pd.read_csv(path, nrows=0, **options).columns, text)
        options |= rules

    def parse(low_memory: bool) -> pd.DataFrame:
        parsed: pd.DataFrame = pd.read_csv(path, decimal=decimal, low_memory=low_memory, **options)
        return parsed

    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.DtypeWarning)
        try:
            frame = parse(low_memory=True)
        except pd.errors.DtypeWarning:  # chunks were typed differently: parse in one piece
            frame = parse(low_memory=False)
    # a name column the parser took for numbers ('001', '1E5') is read again as written:
    # only then, since asking for text up front makes pandas' parser several times slower
    redo = [
        c
        for c in text_cols
        if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    ]
    if redo:
        again = pd.read_csv(path, usecols=redo, dtype=dict.fromkeys(redo, str), **options)
        frame[redo] = again[redo]
    if decimal == ",":
        _decimal_commas(frame, skip=text_cols)
    return frame


_COMMA_NUMBER = r"[-+]?(?:\d+|\d{1,3}(?:\.\d{3})+),\d+"


def _decimal_commas(frame: pd.DataFrame, *, skip: list[str]) -> None:
    """Numbers written ``15369,8`` or ``15.369,8`` in a text column of a ``;`` file -> ``15369.8``.

    pandas parses decimal commas only in a column where every cell is a number; one bad
    cell leaves the whole column text, and validation would then list every number as bad.
    Columns where most cells look like such numbers get them rewritten with a decimal
    point (still text: validation converts them and names only the cells that are not).
    """
    for col in frame.columns:
        if str(col) in skip or pd.api.types.is_numeric_dtype(frame[col]):
            continue
        text = frame[col].dropna().astype(str).str.strip()
        looks = text.str.fullmatch(_COMMA_NUMBER)
        if len(text) and looks.mean() > 0.5:
            fixed = text[looks].str.replace(".", "", regex=False).str.replace(",", ".")
            frame[col] = frame[col].astype(object)
            frame.loc[fixed.index, col] = fixed


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    text: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """Read a delimited text, Parquet or Excel file into a DataFrame (no validation).

    Text files may start with a UTF-8 byte-order mark and use ``,``, ``;`` or tab as
    delimiter (sniffed from the header line); with ``;`` as delimiter, a decimal comma is
    accepted. Columns are read with pandas' type inference, except the ``text`` ones.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    sheet : str or int, optional
        Excel sheet: a name; else a number, from 1 as text (``"2"``, as ``--sheet 2``) or
        from 0 as int (as in pandas). Default: the first sheet.
    text : callable, optional
        ``text(header) -> bool``: columns of text and Excel files to read as written, with
        no type inference (``001`` stays ``001``, ``1E5`` stays ``1E5``); in them only empty
        cells and ``NA``-like words are missing, ``None`` is text. Parquet keeps its types.

    Returns
    -------
    pandas.DataFrame
        The table as read, one row per data line.

    Raises
    ------
    SchemaError
        The file is missing, a directory, empty, not UTF-8 text, or cannot be parsed.
    """
    p = Path(path).expanduser()  # "~/screen.csv" as pandas reads it
    if not p.exists():
        raise SchemaError(f"{p}: file not found; check the path")
    if p.is_dir():
        raise SchemaError(f"{p}: is a directory, expected a file (CSV, TSV, Parquet or Excel)")
    if p.stat().st_size == 0:
        raise SchemaError(f"{p}: the file is empty (0 bytes); expected a header line and rows")
    suffix = p.suffix.lower()
    if sheet is not None and suffix not in _EXCEL:
        warn(f"{p}: not an Excel file, so the sheet choice ({sheet!r}) is ignored")
    if suffix in _PARQUET:
        try:
            return pd.read_parquet(p)
        except ImportError as exc:
            raise SchemaError(
                f"{p}: reading Parquet needs pyarrow; install it with "
                "`pip install 'secretome-rank[parquet]'`"
            ) from exc
        except Exception as exc:
            raise SchemaError(f"{p}: not a readable Parquet file ({exc})") from exc
    if suffix in _EXCEL:
        try:
            with pd.ExcelFile(p) as book:
                names = [str(n) for n in book.sheet_names]
                chosen = _sheet_index(sheet, names, p)
                rules: dict[str, Any] = {}
                if text is not None:
                    header = pd.read_excel(book, sheet_name=chosen, nrows=0).columns
                    text_cols, rules = _na_rules(header, text)
                    rules["dtype"] = dict.fromkeys(text_cols, str)
                frame = _drop_trailing_empty_rows(pd.read_excel(book, sheet_name=chosen, **rules))
        except SchemaError:
            raise
        except ImportError as exc:
            raise SchemaError(
                f"{p}: reading Excel needs openpyxl; install it with "
                "`pip install 'secretome-rank[excel]'`"
            ) from exc
        except Exception as exc:
            why = (
                "its content is not an Excel workbook"
                if "format cannot be determined" in str(exc)
                else str(exc)
            )
            raise SchemaError(
                f"{p}: not a readable Excel file ({why}); save it again from Excel as .xlsx"
            ) from exc
        if frame.empty:
            label = names[chosen]
            raise SchemaError(
                f"{p}: sheet {label!r} is empty; expected a header row and one row per well "
                f"(choose another sheet with --sheet; sheets: {', '.join(names)})"
            )
        return frame
    with p.open("rb") as handle:  # the head is sniffed; pandas reads the file itself
        raw = handle.read(_SNIFF_BYTES + 1)
    if raw.startswith(b"\x1f\x8b"):
        raise SchemaError(
            f"{p}: is gzip-compressed; decompress it first (e.g. `gunzip -k {p.name}`) and "
            "pass the CSV/TSV file"
        )
    if raw.startswith(b"PK\x03\x04"):
        raise SchemaError(
            f"{p}: is a ZIP archive (an Excel workbook is one: then name the file .xlsx); "
            "expected CSV/TSV text, Parquet or Excel"
        )
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise SchemaError(f"{p}: looks like a binary file, expected CSV/TSV text, Parquet or Excel")
    first_break = min((i for i in (raw.find(b"\n"), raw.find(b"\r")) if i >= 0), default=len(raw))
    if first_break > _SNIFF_BYTES:
        raise SchemaError(
            f"{p}: line 1 is {first_break:,} bytes long with no line break; expected a header "
            "line and one line per well (is this a table? check the line endings)"
        )
    try:
        text_head = raw[:_SNIFF_BYTES].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the sniff boundary is fine; anything else is not UTF-8
        if exc.start < _SNIFF_BYTES - 4:
            line = raw[: exc.start].count(b"\n") + 1
            raise SchemaError(
                f"{p}: not UTF-8 text (line {line}, byte {exc.start}: "
                f"{raw[exc.start : exc.start + 1]!r}); re-save the file as UTF-8 (e.g. "
                "'CSV UTF-8' in Excel)"
            ) from exc
        text_head = raw[: exc.start].decode("utf-8-sig")
    sep = _sniff_delimiter(text_head, p.name.lower())
    decimal = "," if sep == ";" else "."
    try:
        frame = _parse_text(p, sep=sep, decimal=decimal, text=text)
    except UnicodeDecodeError as exc:
        raise SchemaError(
            f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start}); re-save the file as UTF-8"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise SchemaError(f"{p}: no header line or data; expected a header line and rows") from exc
    except pd.errors.ParserError as exc:
        long = _long_lines(p, sep)
        detail = (
            f"more fields than the header's {long[0][1]} in "
            + ", ".join(f"line {n} ({k})" for n, _, k in long[:5])
            + (f" and {len(long) - 5} more lines" if len(long) > 5 else "")
            if long
            else str(exc).strip()
        )
        raise SchemaError(
            f"{p}: cannot be parsed as a {'tab' if sep == chr(9) else repr(sep)}-delimited table "
            f"({detail}); check quoting and that every line has the same number of fields"
        ) from exc
    frame = _drop_trailing_empty_rows(frame)
    if frame.empty:
        raise SchemaError(f"{p}: has a header line but no data rows")
    return frame


def _drop_trailing_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Leave out the rows at the end with no value at all (``,,,,`` lines, as Excel writes).

    Only at the end, so that every other row keeps its line number in messages.
    """
    if len(frame) == 0 or not frame.iloc[-1].isna().all():
        return frame
    filled = frame.notna().any(axis=1).to_numpy()
    return frame.iloc[: int(filled.nonzero()[0].max()) + 1 if filled.any() else 0]


# headers that name an optional column's content under another name (matched by header_key)
_LOOKALIKES = {C.TREATMENT: ("drug", "inhibitor"), C.CELL_LINE: ("cell", "cells", "line")}


def _map_columns(
    frame: pd.DataFrame, columns: Mapping[str, str] | None, source: str
) -> pd.DataFrame:
    """Rename user columns to canonical names (see :func:`header_key`), applying explicit mappings.

    An explicit mapping wins over a column that already has the name (that column is left
    out, with a warning); two columns matching one name, one column mapped to two names, or
    a missing optional column whose content sits under a look-alike header are problems.
    """
    mapping = dict(columns or {})
    unknown = sorted(set(mapping) - set(C.INPUT_COLUMNS))
    problems = []
    if unknown:
        problems.append(
            f"--column names {unknown} are not canonical columns; expected one of "
            f"{', '.join(C.INPUT_COLUMNS)} (form NAME=THEIRS, e.g. value=Luminescence)"
        )
    by_key: dict[str, list[Any]] = {}
    for col in frame.columns:
        by_key.setdefault(header_key(col), []).append(col)
    rename: dict[Any, str] = {}
    for canon, theirs in mapping.items():
        if canon not in C.INPUT_COLUMNS:
            continue
        found = by_key.get(header_key(theirs), [])
        exact = [c for c in found if str(c).strip() == theirs.strip()]
        if not found:
            problems.append(
                f"--column {canon}={theirs}: the file has no column {theirs!r} "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
        elif len(found) > 1 and len(exact) != 1:
            problems.append(
                f"--column {canon}={theirs}: columns {', '.join(repr(str(c)) for c in found)} "
                "all match; rename them apart in the file"
            )
        elif (col := (exact or found)[0]) in rename:
            problems.append(
                f"--column {rename[col]}={theirs} and --column {canon}={theirs}: one column "
                "cannot be two; map each name to its own column"
            )
        else:
            rename[col] = canon
    replaced = []
    for canon in C.INPUT_COLUMNS:
        found = [c for c in by_key.get(header_key(canon), []) if c not in rename]
        if canon in rename.values():
            replaced += found  # the file's own column of that name gives way to the mapping
        elif len(found) > 1:
            problems.append(
                f"columns {', '.join(repr(str(c)) for c in found)} all match {canon!r}; "
                f"drop or rename all but one, or choose with --column {canon}={found[0]}"
            )
        elif found:
            rename[found[0]] = canon
        else:
            alike = [c for w in _LOOKALIKES.get(canon, ()) for c in by_key.get(w, [])]
            if alike:
                problems.append(
                    f"no column {canon!r}, but a column {str(alike[0])!r}: map it with "
                    f"--column {canon}={alike[0]} (or rename it to {canon!r} in the file); "
                    f"without a {canon!r} column every well would get the same {canon}"
                )
    if problems:
        raise SchemaError(f"{source}: column mapping problems", problems=problems)
    if replaced:
        unused = ", ".join(repr(str(c)) for c in replaced)
        warn(f"{source}: column(s) {unused} not used: --column maps another column to that name")
        frame = frame.drop(columns=replaced)
    return frame.rename(columns=rename)


def _text_columns(columns: Mapping[str, str] | None) -> Callable[[str], bool]:
    """Which headers of a well table hold names (:data:`TEXT_INPUT`), given ``--column``."""
    mapping = {canon: header_key(theirs) for canon, theirs in (columns or {}).items()}
    keys = {mapping.get(c, header_key(c)) for c in TEXT_INPUT}
    return lambda header: header_key(header) in keys


def read_screen(
    source: str | Path | pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    sheet: str | int | None = None,
    role_map: Mapping[str, str] | None = None,
    vehicle_words: tuple[str, ...] | str = C.DEFAULT_VEHICLE_WORDS,
    plate_format: int | None = None,
    missing_controls: str = "error",
) -> pd.DataFrame:
    """Read and validate a screen's well table (DESIGN section 1).

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV/TSV/Parquet/Excel file, or a DataFrame already in memory (not modified).
    columns : mapping, optional
        ``{canonical: theirs}`` column-name mapping, e.g. ``{"value": "Luminescence"}``.
        Without it, columns are matched to the canonical names ignoring case, spaces, ``_``,
        ``-`` and ``.`` (:func:`header_key`).
    sheet : str or int, optional
        Excel sheet, as in :func:`read_table`.
    role_map : mapping, optional
        Extra role words, e.g. ``{"neg": "drug_control", "pos": "vehicle_control"}``.
        Without it only the canonical roles are accepted.
    vehicle_words : tuple of str, or str
        Treatment names (case-insensitive) that mark the vehicle (no drug) arm; they
        replace the default ones. A str is one word.
    plate_format : {96, 384, 1536}, optional
        Plate format; inferred from the largest column number when omitted.
    missing_controls : {"error", "robust_z"}
        What to do with a drug-arm plate without drug controls: report it (default), or
        accept it and score it against its library median.

    Returns
    -------
    pandas.DataFrame
        The canonical well table: ``plate, well, row, col, value, role, protein, cell_line,
        treatment, replicate, arm`` (+ ``concentration``, ``batch`` and any other input
        columns carried through), with a RangeIndex and ``input_row`` (the line of the row
        in the file, counting the header as line 1; for a DataFrame source, the row's
        position in it, from 0 as ``df.iloc``).

    Raises
    ------
    SchemaError
        Every problem of the file at once, each naming rows or wells, the column, what was
        expected and how to fix it; also a ``source`` or ``columns`` of the wrong type.

    Examples
    --------
    >>> import pandas as pd, secretome_rank as sr
    >>> df = pd.DataFrame({"plate": ["P1"] * 3, "well": ["A1", "A2", "A3"],
    ...                    "value": [10.0, 100.0, 40.0],
    ...                    "role": ["drug_control", "vehicle_control", "sample"],
    ...                    "protein": [None, None, "HGF"]})
    >>> sr.read_screen(df)[["well", "role", "arm"]].to_dict("list")["well"]
    ['A01', 'A02', 'A03']
    """
    for option, value, example in (
        ("columns", columns, "{'value': 'Luminescence'}"),
        ("role_map", role_map, "{'neg': 'drug_control', 'pos': 'vehicle_control'}"),
    ):
        if value is not None and not isinstance(value, Mapping):
            raise SchemaError(f"{option}={value!r}: expected a mapping, e.g. {example}")
    if isinstance(vehicle_words, str):  # one word, not its letters
        vehicle_words = (vehicle_words,)
    if isinstance(source, pd.DataFrame):
        if isinstance(source.columns, pd.MultiIndex):
            raise SchemaError(
                "input table: its columns have several levels; expected one header row "
                "(flatten them first, e.g. df.columns = df.columns.get_level_values(-1))"
            )
        frame = source.copy()
        name = "input table"
    elif not isinstance(source, str | Path):
        raise SchemaError(
            f"read_screen: source of type {type(source).__name__}; expected the path of a "
            "CSV/TSV/Parquet/Excel file (str or pathlib.Path) or a pandas DataFrame"
        )
    else:
        frame = read_table(source, sheet=sheet, text=_text_columns(columns))
        name = str(source)
    frame = _map_columns(frame, columns, name)
    return validate_wells(
        frame,
        source=name,
        role_map=role_map,
        vehicle_words=vehicle_words,
        plate_format=plate_format,
        missing_controls=missing_controls,
        in_memory=isinstance(source, pd.DataFrame),
    )
