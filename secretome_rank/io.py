"""Read well tables (CSV, TSV, Parquet, Excel) and write outputs atomically.

No statistics here: :func:`read_screen` reads, maps column names, and hands the frame to
:func:`secretome_rank.schema.validate_wells`, which reports every problem of the file at once.
"""

from __future__ import annotations

import csv
import io as _io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError
from secretome_rank.schema import validate_wells

__all__ = [
    "FORMULA_STARTS",
    "format_tsv",
    "neutralize_formulas",
    "read_screen",
    "read_table",
    "tsv_bytes",
    "write_bytes_atomic",
    "write_excel",
    "write_json",
    "write_table",
]

logger = logging.getLogger(__name__)

_EXCEL = {".xlsx", ".xlsm", ".xls"}
_PARQUET = {".parquet", ".pq"}
_SNIFF_BYTES = 64 * 1024


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


def read_table(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a delimited text, Parquet or Excel file into a DataFrame (no validation).

    Text files may start with a UTF-8 byte-order mark and use ``,``, ``;`` or tab as
    delimiter (sniffed from the header line); with ``;`` as delimiter, a decimal comma is
    accepted. Columns are read with pandas' type inference.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    sheet : str or int, optional
        Excel sheet name or index (default: the first sheet).

    Returns
    -------
    pandas.DataFrame
        The table as read, one row per data line.

    Raises
    ------
    SchemaError
        The file is missing, a directory, empty, not UTF-8 text, or cannot be parsed.
    """
    p = Path(path)
    if not p.exists():
        raise SchemaError(f"{p}: file not found; check the path")
    if p.is_dir():
        raise SchemaError(f"{p}: is a directory, expected a file (CSV, TSV, Parquet or Excel)")
    if p.stat().st_size == 0:
        raise SchemaError(f"{p}: the file is empty (0 bytes); expected a header line and rows")
    suffix = p.suffix.lower()
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
                chosen = 0 if sheet is None else sheet
                if isinstance(chosen, str) and chosen not in names:
                    raise SchemaError(f"{p}: no sheet {chosen!r}; sheets: {', '.join(names)}")
                frame = pd.read_excel(book, sheet_name=chosen)
        except SchemaError:
            raise
        except ImportError as exc:
            raise SchemaError(
                f"{p}: reading Excel needs openpyxl; install it with "
                "`pip install 'secretome-rank[excel]'`"
            ) from exc
        except Exception as exc:
            raise SchemaError(f"{p}: not a readable Excel file ({exc})") from exc
        if frame.empty:
            label = names[chosen] if isinstance(chosen, int) and chosen < len(names) else chosen
            raise SchemaError(
                f"{p}: sheet {label!r} is empty; expected a header row and one row per well "
                f"(choose another sheet with --sheet; sheets: {', '.join(names)})"
            )
        return frame
    raw = p.read_bytes()
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
            raise SchemaError(
                f"{p}: not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r}); "
                "re-save the file as UTF-8 (e.g. 'CSV UTF-8' in Excel)"
            ) from exc
        text_head = raw[: exc.start].decode("utf-8-sig")
    sep = _sniff_delimiter(text_head, p.name.lower())
    decimal = "," if sep == ";" else "."
    try:
        frame = pd.read_csv(
            _io.BytesIO(raw),
            sep=sep,
            decimal=decimal,
            encoding="utf-8-sig",
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
            low_memory=False,
        )
    except UnicodeDecodeError as exc:
        raise SchemaError(
            f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start}); re-save the file as UTF-8"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise SchemaError(f"{p}: no header line or data; expected a header line and rows") from exc
    except pd.errors.ParserError as exc:
        raise SchemaError(
            f"{p}: cannot be parsed as a {'tab' if sep == chr(9) else repr(sep)}-delimited table "
            f"({str(exc).strip()}); check quoting and that every line has the same number of fields"
        ) from exc
    if frame.empty:
        raise SchemaError(f"{p}: has a header line but no data rows")
    return frame


def _map_columns(
    frame: pd.DataFrame, columns: Mapping[str, str] | None, source: str
) -> pd.DataFrame:
    """Rename user columns to canonical names (case-insensitive), applying explicit mappings."""
    mapping = dict(columns or {})
    unknown = sorted(set(mapping) - set(C.INPUT_COLUMNS))
    problems = []
    if unknown:
        problems.append(
            f"--column names {unknown} are not canonical columns; expected one of "
            f"{', '.join(C.INPUT_COLUMNS)} (form NAME=THEIRS, e.g. value=Luminescence)"
        )
    by_lower: dict[str, str] = {}
    for col in frame.columns:
        by_lower.setdefault(str(col).strip().lower(), col)
    rename: dict[Any, str] = {}
    for canon, theirs in mapping.items():
        if canon not in C.INPUT_COLUMNS:
            continue
        found = by_lower.get(theirs.strip().lower())
        if found is None:
            problems.append(
                f"--column {canon}={theirs}: the file has no column {theirs!r} "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
        else:
            rename[found] = canon
    for canon in C.INPUT_COLUMNS:
        if canon in rename.values():
            continue
        found = by_lower.get(canon)
        if found is not None and found not in rename:
            rename[found] = canon
    if problems:
        raise SchemaError(f"{source}: column mapping problems", problems=problems)
    return frame.rename(columns=rename)


def read_screen(
    source: str | Path | pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    sheet: str | int | None = None,
    role_map: Mapping[str, str] | None = None,
    vehicle_words: tuple[str, ...] = C.DEFAULT_VEHICLE_WORDS,
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
        Without it, columns are matched to the canonical names case-insensitively.
    sheet : str or int, optional
        Excel sheet.
    role_map : mapping, optional
        Extra role words, e.g. ``{"neg": "drug_control", "pos": "vehicle_control"}``.
        Without it only the canonical roles are accepted.
    vehicle_words : tuple of str
        Treatment names (case-insensitive) that mark the vehicle (no drug) arm.
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
        columns carried through), with a RangeIndex and ``input_row`` (1-based line of the
        row in the file, counting the header as line 1).

    Raises
    ------
    SchemaError
        Every problem of the file at once, each naming rows or wells, the column, what was
        expected and how to fix it.

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
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        name = "input table"
    else:
        frame = read_table(source, sheet=sheet)
        name = str(source)
    frame = _map_columns(frame, columns, name)
    return validate_wells(
        frame,
        source=name,
        role_map=role_map,
        vehicle_words=vehicle_words,
        plate_format=plate_format,
        missing_controls=missing_controls,
    )


def _temp_beside(path: Path) -> Path:
    """A new empty temporary file in the folder of ``path`` (created if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _commit(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the usual permissions and rename it to ``path`` (atomic on one disk)."""
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600
    os.replace(tmp, path)


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file in the same folder, then rename it to ``path``.

    A crash or an error leaves no partial ``path`` behind.
    """
    tmp = _temp_beside(path)
    try:
        write(tmp)
        _commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_bytes(data: bytes) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        p.write_bytes(data)

    return write


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, then rename)."""
    p = Path(path)
    _atomic_write(p, _write_bytes(data))
    return p


def _bool_text(col: pd.Series) -> np.ndarray:
    """``true``/``false`` (``NA`` for missing) for a boolean column, nullable or not."""
    values = col.astype("boolean")
    text = np.where(values.fillna(False).to_numpy(dtype=bool), "true", "false").astype(object)
    text[values.isna().to_numpy()] = "NA"
    return text


def _arrow_table(frame: pd.DataFrame) -> Any:
    """Convert the frame to a pyarrow table the CSV writer formats natively.

    Categoricals become dictionary arrays, NaN becomes null, booleans stay booleans
    (written ``true``/``false``). Returns None when pyarrow is not installed or a column
    has mixed types pyarrow cannot hold.
    """
    try:
        import pyarrow as pa
    except ImportError:
        return None
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):  # columns pyarrow cannot hold
        return None
    # the writer has no dictionary or null-typed columns: decode / cast them to text
    columns = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        elif pa.types.is_null(col.type):
            col = pa.nulls(len(col), pa.string())
        columns.append(col)
    return pa.table(columns, names=[str(c) for c in frame.columns])


#: rows per slice formatted in parallel by :func:`_write_arrow`
_ROWS_PER_SLICE = 200_000


def _format_slices(table: Any, options: Any) -> list[Any]:
    """Format a pyarrow table as delimited text, large tables in parallel row slices.

    Arrow's writer runs without the GIL, so slices of a million-row table use every core.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def one(part: Any) -> Any:
        buf = pa.BufferOutputStream()
        pacsv.write_csv(part, buf, write_options=options)
        return buf.getvalue()

    n = table.num_rows
    if n <= _ROWS_PER_SLICE:
        return [one(table)]
    from concurrent.futures import ThreadPoolExecutor

    slices = [table.slice(i, _ROWS_PER_SLICE) for i in range(0, n, _ROWS_PER_SLICE)]
    with ThreadPoolExecutor(max_workers=min(len(slices), os.cpu_count() or 1)) as pool:
        return list(pool.map(one, slices))


def _write_arrow(frame: pd.DataFrame, sink: Any) -> bool:
    """Write TSV with pyarrow's C++ writer (about 10x faster than pandas).

    ``sink`` is a path or a binary stream. Returns False (nothing written) without pyarrow,
    for columns pyarrow cannot hold, or when a text cell needs quoting.
    """
    table = _arrow_table(frame)
    if table is None:
        return False
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = ("\t".join(map(str, frame.columns)) + "\n").encode("utf-8")
    options = pacsv.WriteOptions(
        include_header=False, delimiter="\t", quoting_style="none", null_string="NA"
    )
    try:
        parts = _format_slices(table, options)
    except pa.ArrowException:  # a tab, quote or newline inside a text cell
        return False
    if isinstance(sink, Path):
        with pa.OSFile(str(sink), "wb") as out:
            out.write(header)
            for part in parts:
                out.write(part)
    else:
        sink.write(header)
        for part in parts:
            sink.write(memoryview(part))
    return True


def _pandas_tsv(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_bool_dtype(out[name]):
            out[name] = _bool_text(out[name])
    buf = _io.StringIO()
    out.to_csv(buf, sep="\t", index=False, na_rep="NA", lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def tsv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as TSV bytes: ``NA`` for missing, ``true``/``false``, shortest exact floats."""
    buf = _io.BytesIO()
    if _write_arrow(frame, buf):
        return buf.getvalue()
    return _pandas_tsv(frame)


def format_tsv(frame: pd.DataFrame, handle: Any) -> None:
    """Write ``frame`` as TSV to an open text or binary handle (see :func:`tsv_bytes`)."""
    binary = getattr(handle, "buffer", None)
    if binary is not None:
        handle.flush()
        if not _write_arrow(frame, binary):
            binary.write(_pandas_tsv(frame))
        binary.flush()
    else:
        handle.write(tsv_bytes(frame).decode("utf-8"))


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a tab-separated table atomically (conventions of :func:`tsv_bytes`).

    Returns
    -------
    pathlib.Path
        The written path.
    """
    p = Path(path)
    _atomic_write(p, lambda tmp: _write_tsv(frame, tmp))
    return p


def _write_tsv(frame: pd.DataFrame, path: Path) -> None:
    if not _write_arrow(frame, path):
        path.write_bytes(_pandas_tsv(frame))


class BackgroundTable:
    """Write a table in a background thread; it appears under its name only on :meth:`commit`.

    Arrow formats text without the GIL, so a large table (``wells.tsv``) is written while
    the caller goes on computing. Until :meth:`commit` the text sits in a hidden temporary
    file beside ``path``; :meth:`discard` (or leaving the ``with`` block without committing)
    removes it (and the folder, if it was made for it), so a failed run leaves nothing.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with BackgroundTable(folder / "t.tsv") as job:
    ...     job.submit(pd.DataFrame({"a": [1.5, None]}))
    ...     path = job.commit()
    >>> path.read_text().splitlines()
    ['a', '1.5', 'NA']
    """

    def __init__(self, path: str | Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.path = Path(path)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._tmp: Path | None = None
        self._future: Any = None
        self._made_dir = False

    def submit(self, frame: pd.DataFrame) -> None:
        """Start writing ``frame`` (a shallow copy is taken: later edits do not reach it)."""
        if self._future is not None:
            raise RuntimeError(f"{self.path.name}: already submitted")
        self._made_dir = not self.path.parent.exists()
        self._tmp = _temp_beside(self.path)
        self._future = self._pool.submit(_write_tsv, frame.copy(deep=False), self._tmp)

    @property
    def submitted(self) -> bool:
        """True once :meth:`submit` was called."""
        return self._future is not None

    def commit(self) -> Path:
        """Wait for the write to finish and move the file to its name."""
        if self._future is None or self._tmp is None:
            raise RuntimeError(f"{self.path.name}: nothing submitted")
        self._future.result()
        _commit(self._tmp, self.path)
        self._tmp = None
        return self.path

    def discard(self) -> None:
        """Wait for a running write and delete its temporary file."""
        if self._future is not None:
            self._future.exception()  # wait; its error no longer matters
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None
            if self._made_dir and not any(self.path.parent.iterdir()):
                self.path.parent.rmdir()  # a folder made only for this file goes too
        self._pool.shutdown()

    def __enter__(self) -> BackgroundTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


#: first characters that make a spreadsheet treat a text cell as a formula (OWASP CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with ``'``.

    Text cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return become
    ``'=...`` etc.; numbers are left alone (a negative number is not text). Returns a copy.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"p": ["=cmd|' /C calc'!A0", "HGF"], "x": [-1.0, 2.0]}))
                         p    x
    0  '=cmd|' /C calc'!A0 -1.0
    1                  HGF  2.0
    """
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        text = col.astype(object)
        risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
        if risky.any():
            out[name] = text.where(~risky, "'" + text[risky].astype(str))
    return out


def write_excel(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write tables as sheets of one Excel workbook, atomically, formulas neutralised.

    Needs openpyxl (``pip install 'secretome-rank[excel]'``).
    """
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        raise SchemaError(
            "writing Excel needs openpyxl; install it with `pip install 'secretome-rank[excel]'`"
        ) from exc

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for name, frame in sheets.items():
                neutralize_formulas(frame).to_excel(xl, sheet_name=name[:31], index=False)

    p = Path(path)
    _atomic_write(p, write)
    return p


def write_json(obj: Any, path: str | Path) -> Path:
    """Write JSON atomically (sorted keys, indented)."""
    p = Path(path)
    _atomic_write(
        p,
        _write_bytes(
            (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")
        ),
    )
    return p
