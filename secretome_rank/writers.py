"""Write outputs: TSV, JSON, Excel, all atomically.

TSV comes from Arrow's C++ writer, or the same text from :mod:`~secretome_rank.tsvtext`.

Every file is written to a hidden temporary file beside its target and renamed when complete
(:func:`write_table`, :func:`write_json`, :func:`write_excel`, :func:`write_bytes_atomic`, and
:func:`write_by_suffix`, which picks CSV, TSV, Parquet or Excel from the file name);
:class:`BackgroundTable` writes a large table in a thread while the caller goes on. Text cells
that a spreadsheet would run as formulas can be neutralised (:func:`neutralize_formulas`).
"""

from __future__ import annotations

import functools
import io as _io
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from secretome_rank.errors import ConfigError, SchemaError
from secretome_rank.tsvtext import write_text_tsv

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = [
    "FORMULA_STARTS",
    "TABLE_SUFFIXES",
    "BackgroundTable",
    "format_tsv",
    "json_records",
    "neutralize_formulas",
    "tsv_bytes",
    "write_by_suffix",
    "write_bytes_atomic",
    "write_excel",
    "write_json",
    "write_table",
]


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


@functools.cache
def _writes_dictionaries() -> bool:
    """Whether this pyarrow's CSV writer takes dictionary (categorical) text columns.

    Recent ones do (26 does; pyproject allows 12): the categorical columns of
    ``wells.tsv`` are then written from their codes and a few distinct strings instead of
    being decoded to a million strings each first (about 35 MB less memory on a
    million-well ``rank``; the same bytes).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    probe = pa.DictionaryArray.from_arrays(pa.array([0, None], pa.int8()), pa.array(["a"]))
    try:
        pacsv.write_csv(pa.table({"p": probe}), pa.BufferOutputStream())
    except pa.ArrowException:
        return False
    return True


def _arrow_table(frame: pd.DataFrame) -> Any:
    """Convert the frame to a pyarrow table the CSV writer formats natively.

    Categoricals become dictionary arrays (decoded to text where the writer cannot take
    them, :func:`_writes_dictionaries`), NaN becomes null, booleans stay booleans (written
    ``true``/``false``). Returns None when pyarrow is not installed or a column has mixed
    types pyarrow cannot hold.
    """
    try:
        import pyarrow as pa
    except ImportError:
        return None
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):  # columns pyarrow cannot hold
        return None
    # the writer has no null-typed columns (cast them to text), and older ones no
    # dictionary columns (decode them)
    text_dictionaries = _writes_dictionaries()
    columns = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            values = col.type.value_type
            text = pa.types.is_string(values) or pa.types.is_large_string(values)
            if not (text and text_dictionaries):
                col = col.cast(values)
        elif pa.types.is_null(col.type):
            col = pa.nulls(len(col), pa.string())
        columns.append(col)
    return pa.table(columns, names=[str(c) for c in frame.columns])


#: rows per slice formatted in parallel by :func:`_write_arrow`
_ROWS_PER_SLICE = 50_000
#: rows arrow formats per batch when it streams into a file (about 2 MB of text for wells.tsv)
_BATCH_ROWS = 16_384


def _format_slices(table: Any, options: Any, threads: int | None = None) -> list[Any]:
    """Format a pyarrow table as delimited text, large tables in parallel row slices.

    Arrow's writer runs without the GIL, so slices of a million-row table use ``threads``
    cores (default: every core).
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
    workers = min(len(slices), threads or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, slices))


def _write_arrow(frame: pd.DataFrame, sink: Any, threads: int | None = None) -> bool:
    """Write TSV with pyarrow's C++ writer (about 10x faster than pandas).

    ``sink`` is a path or a binary stream; ``threads`` as in :func:`_format_slices`.
    Into a path, a table of one slice or on one thread (``threads=1``) is streamed batch by
    batch instead of held as text in memory first: with the 116 MB ``wells.tsv``, a
    million-well ``rank`` took about 150 MB less memory and 0.3 s less CPU (fresh pages and
    the copies of growing buffers). Returns False without pyarrow, for columns pyarrow
    cannot hold, or when a text cell or column name needs quoting; a path may then hold part of the
    table, which the caller overwrites (:func:`_write_tsv`), and a stream got nothing.
    """
    names = [str(c) for c in frame.columns]
    if any(ch in name for name in names for ch in '\t\n\r"'):
        return False  # a column name that needs quoting (a cell line called '"q" line')
    table = _arrow_table(frame)
    if table is None:
        return False
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = ("\t".join(names) + "\n").encode("utf-8")
    options = pacsv.WriteOptions(
        include_header=False,
        delimiter="\t",
        quoting_style="none",
        null_string="NA",
        batch_size=_BATCH_ROWS,
    )
    if isinstance(sink, Path) and (threads == 1 or table.num_rows <= _ROWS_PER_SLICE):
        try:
            with pa.OSFile(str(sink), "wb") as out:
                out.write(header)
                pacsv.write_csv(table, out, write_options=options)
        except pa.ArrowException:  # a tab, quote or newline inside a text cell
            return False
        return True
    try:
        parts = _format_slices(table, options, threads)
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


def tsv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as TSV bytes: ``NA`` for missing, ``true``/``false``, shortest exact floats."""
    buf = _io.BytesIO()
    if not _write_arrow(frame, buf):
        write_text_tsv(frame, buf)
    return buf.getvalue()


def format_tsv(frame: pd.DataFrame, handle: Any) -> None:
    """Write ``frame`` as TSV to an open text or binary handle (see :func:`tsv_bytes`)."""
    binary = getattr(handle, "buffer", None)
    if binary is not None:
        handle.flush()
        if not _write_arrow(frame, binary):
            write_text_tsv(frame, binary)
        binary.flush()
    else:
        handle.write(tsv_bytes(frame).decode("utf-8"))


def write_table(frame: pd.DataFrame, path: str | Path, *, threads: int | None = None) -> Path:
    """Write a tab-separated table atomically (conventions of :func:`tsv_bytes`).

    ``threads``: cores that format a large table (default every core; 1 streams it into the
    file batch by batch, with little memory, for tables written side by side).

    Returns
    -------
    pathlib.Path
        The written path.
    """
    p = Path(path)
    _atomic_write(p, lambda tmp: _write_tsv(frame, tmp, threads))
    return p


def _write_tsv(frame: pd.DataFrame, path: Path, threads: int | None = None) -> None:
    if not _write_arrow(frame, path, threads):
        with path.open("wb") as out:  # replaces whatever arrow wrote before it failed
            write_text_tsv(frame, out)


class BackgroundTable:
    """Write a table in a background thread; it appears under its name only on :meth:`commit`.

    Arrow formats text without the GIL, so a large table (``wells.tsv``) is written on one
    thread while the caller goes on computing. Until :meth:`commit` the text sits in a hidden
    temporary file beside ``path``; :meth:`discard` (or leaving the ``with`` block without
    committing) removes it (and the folder, if it was made for it), so a failed run leaves
    nothing.

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

    def __init__(self, path: str | Path, *, executor: Executor | None = None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.path = Path(path)
        # a shared executor (e.g. one thread for all tables of a run) belongs to the caller
        self._owns_pool = executor is None
        self._pool = executor if executor is not None else ThreadPoolExecutor(max_workers=1)
        self._tmp: Path | None = None
        self._future: Any = None
        self._made_dir = False

    def submit(self, frame: pd.DataFrame) -> None:
        """Start writing ``frame`` (a shallow copy is taken: later edits do not reach it)."""
        if self._future is not None:
            raise RuntimeError(f"{self.path.name}: already submitted")
        self._made_dir = not self.path.parent.exists()
        self._tmp = _temp_beside(self.path)
        # one formatting thread, streaming into the file: the caller's own work keeps a core
        # (measured faster than two threads for rank on 2 cores)
        self._future = self._pool.submit(_write_tsv, frame.copy(deep=False), self._tmp, 1)

    def commit(self) -> Path:
        """Wait for the write to finish and move the file to its name."""
        if self._future is None or self._tmp is None:
            raise RuntimeError(f"{self.path.name}: nothing submitted")
        self._future.result()
        _commit(self._tmp, self.path)
        self._tmp = None
        return self.path

    def cancel(self) -> bool:
        """Drop the write if it has not started (its thread is busy with earlier work).

        Returns True when dropped: nothing was written and the caller writes the table itself;
        False when the write is running or done (then :meth:`commit` it).
        """
        if self._future is None or not self._future.cancel():
            return False
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None
        self._future = None
        return True

    def discard(self) -> None:
        """Wait for a running write and delete its temporary file."""
        if self._future is not None and not self._future.cancel():  # queued: never runs
            self._future.exception()  # running: wait; its error no longer matters
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None
            if self._made_dir and not any(self.path.parent.iterdir()):
                self.path.parent.rmdir()  # a folder made only for this file goes too
        if self._owns_pool:
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


def need_excel_writer(path: str | Path) -> None:
    """Raise :class:`SchemaError` naming ``path`` when openpyxl is missing.

    Commands call it before they start, so that ``--excel`` without openpyxl stops at once
    instead of after the run with half the outputs written.
    """
    import importlib.util

    if importlib.util.find_spec("openpyxl") is None:
        raise SchemaError(
            f"{path}: writing Excel needs openpyxl; install it with "
            "`pip install 'secretome-rank[excel]'`, or leave out the .xlsx output"
        )


def write_excel(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write tables as sheets of one Excel workbook, atomically, formulas neutralised.

    Needs openpyxl (``pip install 'secretome-rank[excel]'``).
    """
    need_excel_writer(path)

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for name, frame in sheets.items():
                neutralize_formulas(frame).to_excel(xl, sheet_name=name[:31], index=False)

    p = Path(path)
    _atomic_write(p, write)
    return p


def json_records(frame: pd.DataFrame) -> str:
    """A table as a JSON array of records, numbers exact.

    Floats are written as Python writes them (the shortest text that reads back to the same
    number; pandas' ``to_json`` rounds to 10 decimal places, so a p-value of 6.7e-12 came
    out as 0.0). Missing and infinite numbers are ``null`` (JSON has no NaN or Infinity).

    Examples
    --------
    >>> json.loads(json_records(pd.DataFrame({"p": [6.7e-12, None], "hit": [True, False]})))
    [{'p': 6.7e-12, 'hit': True}, {'p': None, 'hit': False}]
    """
    import numpy as np

    columns: list[list[Any]] = []
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_float_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
            x = s.to_numpy(dtype=float, na_value=np.nan)
            cells = x.astype(object)
            cells[~np.isfinite(x)] = None
            columns.append(cells.tolist())
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_integer_dtype(s):
            columns.append(s.astype(object).where(s.notna(), None).tolist())
        else:
            columns.append(
                [
                    v if isinstance(v, str) or v is None else _json_value(v)
                    for v in s.astype(object).where(s.notna(), None).tolist()
                ]
            )
    names = [str(c) for c in frame.columns]
    return json.dumps(
        [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)],
        indent=1,
    )


def _json_value(v: Any) -> Any:
    """A cell of an object column as JSON takes it (numpy scalars as Python numbers)."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not (v == v and abs(v) != float("inf")):
        return None
    return v if isinstance(v, int | float | bool | str) else str(v)


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


#: file name suffixes :func:`write_by_suffix` writes, and the format of each
TABLE_SUFFIXES = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".parquet": "Parquet",
    ".pq": "Parquet",
    ".xlsx": "Excel",
}
#: rows of one Excel sheet, the header included
EXCEL_MAX_ROWS = 1_048_576


def write_by_suffix(frame: pd.DataFrame, path: str | Path, *, sheet: str = "Sheet1") -> Path:
    """Write a table in the format its file name says, atomically (see ``TABLE_SUFFIXES``).

    ``.csv``: comma-separated, missing values empty (pandas ``to_csv``); ``.tsv``:
    :func:`write_table`; ``.parquet``/``.pq``: Parquet (needs pyarrow); ``.xlsx``: one sheet
    named ``sheet`` (:func:`write_excel`, needs openpyxl). Missing folders are created.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ConfigError
        The suffix is none of ``TABLE_SUFFIXES``, or the table has too many rows for Excel.
    SchemaError
        The optional package the format needs is not installed.
    """
    p = Path(path)
    kind = TABLE_SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"{p}: cannot tell the format from the suffix {p.suffix or '(none)'!r}; "
            f"name the file {', '.join(TABLE_SUFFIXES)}"
        )
    if kind == "TSV":
        return write_table(frame, p)
    if kind == "Excel":
        if len(frame) >= EXCEL_MAX_ROWS:
            raise ConfigError(
                f"{p}: {len(frame):,} rows do not fit an Excel sheet (at most "
                f"{EXCEL_MAX_ROWS - 1:,} below the header); write .csv, .tsv or .parquet"
            )
        return write_excel({sheet: frame}, p)
    if kind == "CSV":
        _atomic_write(p, lambda tmp: frame.to_csv(tmp, index=False))
        return p

    def parquet(tmp: Path) -> None:
        try:
            frame.to_parquet(tmp, index=False)
        except ImportError as exc:
            raise SchemaError(
                f"{p}: writing Parquet needs pyarrow; install it with "
                "`pip install 'secretome-rank[parquet]'`"
            ) from exc

    _atomic_write(p, parquet)
    return p
