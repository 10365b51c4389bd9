"""Reading the output folder for the HTML report.

:func:`_load` reads the tables a run wrote (``hits.tsv`` required; ``wells.tsv``, ``qc.tsv``,
``run.json``, ``receptors.tsv``, ``receptor_families.tsv``, ``summary.tsv`` and
``rescue_matrix.tsv`` when present) into one dict of DataFrames (``None`` for an absent table).
Identifier columns keep a literal ``NA``; wells get 1-based ``row``/``col`` parsed from ``well``
when the table lacks them. Tables are read with pyarrow's multi-threaded CSV reader when pyarrow
is installed (wells.tsv of a 1M-well screen: ~0.3 s instead of ~1.2 s), with pandas otherwise;
both give the same frame. Nothing here writes HTML.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError

_TEXT_KEYS = (
    C.PLATE,
    C.PROTEIN,
    C.CELL_LINE,
    C.TREATMENT,
    C.WELL,
    C.ROLE,
    C.ARM,
    C.SYMBOL,
    C.CLASS,
    C.RECEPTORS,
    C.VERDICT,
    C.REASON,
    "receptor",
    "receptor_family",
    "receptor_families",
)
_WELL_COLS = (*C.WELL_TABLE_COLUMNS, C.RESCUE_PCT, C.LOG2_RATIO, C.GROWTH_LOG2, C.TEST_VALUE)


_NA_TOKENS = ("", "NA", "NaN", "nan")
_ARROW_TYPES = ("int64", "double", "bool", "string", "null")  # anything else: pandas' parser


def _read_tsv_arrow(path: Path, cols: Sequence[str]) -> pd.DataFrame | None:
    """Read with pyarrow's multi-threaded CSV reader (about 4x faster on wells.tsv).

    Gives the frame :func:`_read_tsv`'s pandas parser gives (dtypes, ``NA`` rules), or None
    when pyarrow is missing or the table holds anything it might type differently (dates, an
    empty table, malformed rows), which then goes to pandas.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    if len(set(cols)) != len(cols):
        return None
    try:
        table = pacsv.read_csv(
            str(path),
            parse_options=pacsv.ParseOptions(delimiter="\t"),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(cols),
                column_types={c: pa.string() for c in cols if c in _TEXT_KEYS},
                null_values=list(_NA_TOKENS),
                strings_can_be_null=False,
                true_values=["True", "TRUE", "true"],
                false_values=["False", "FALSE", "false"],
            ),
        )
    except (pa.ArrowException, ValueError, KeyError, OSError):
        return None
    if table.num_rows == 0 or any(str(t) not in _ARROW_TYPES for t in table.schema.types):
        return None
    columns = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_string(col.type):  # the NA rules of the pandas reader
            tokens = pa.array([""] if name in _TEXT_KEYS[:5] else list(_NA_TOKENS))
            missing = pc.is_in(col, value_set=tokens)
            if pc.any(missing).as_py():
                col = pc.if_else(missing, pa.scalar(None, pa.string()), col)
        elif pa.types.is_null(col.type):  # all missing: pandas reads float NaN
            col = pa.nulls(len(col), pa.float64())
        columns.append(col)
    df: pd.DataFrame = pa.table(columns, names=table.column_names).to_pandas()
    for name in df.columns:  # booleans with gaps: object True/False/NaN, as pandas reads them
        if df[name].dtype == object:
            df[name] = df[name].where(df[name].notna(), np.nan)
    return df


def _read_tsv(path: Path, usecols: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Read an output table; identifier columns keep literal ``NA``, others read it as missing.

    With pyarrow (:func:`_read_tsv_arrow`) when it is installed and the table is plain, else
    with pandas' parser (:func:`_read_tsv_pandas`); both give the same frame.
    """
    if not path.is_file():
        return None
    with path.open("rb") as raw:  # our tables end with a line break: else cut short
        raw.seek(max(path.stat().st_size - 1, 0))
        if raw.read(1) not in (b"\n", b""):
            raise SchemaError(
                f"{path}: ends in the middle of a line (the file was cut short?); rebuild the "
                "folder with `secretome-rank rank SCREEN --out DIR`"
            )
    with path.open(encoding="utf-8", newline="") as handle:  # a quoted name is unquoted
        header = next(csv.reader(handle, delimiter="\t"), [])
    cols = [c for c in header if usecols is None or c in usecols]
    fast = _read_tsv_arrow(path, cols)
    return fast if fast is not None else _read_tsv_pandas(path, cols)


def _read_tsv_pandas(path: Path, cols: Sequence[str]) -> pd.DataFrame:
    """Read the columns ``cols`` of an output table with pandas' C parser."""
    na = {c: ([""] if c in _TEXT_KEYS[:5] else list(_NA_TOKENS)) for c in cols}
    try:
        return pd.read_csv(
            path,
            sep="\t",
            usecols=list(cols),
            keep_default_na=False,
            na_values=na,
            dtype={c: str for c in cols if c in _TEXT_KEYS},
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise SchemaError(
            f"{path}: cannot be read as a tab-separated output table ({exc}); "
            "rebuild the folder with `secretome-rank rank ... --out DIR`"
        ) from exc


def _as_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.astype(str).str.lower().isin(["true", "1", "yes"])


def _positions(wells: pd.DataFrame | None) -> pd.DataFrame | None:
    """Add 1-based ``row``/``col`` (float, NaN when unknown) parsed from ``well`` when absent."""
    if wells is None or {C.ROW, C.COL} <= set(wells.columns) or C.WELL not in wells.columns:
        return wells
    from secretome_rank.layout import parse_wells

    codes, uniques = pd.factorize(wells[C.WELL])  # a few hundred distinct ids: parse those
    pos = parse_wells(pd.Series(uniques, dtype=object))
    for key in (C.ROW, C.COL):
        values = np.append(pos[key].astype("Float64").to_numpy(float, na_value=np.nan), np.nan)
        wells[key] = values[codes]  # code -1 (missing id) -> the appended NaN
    return wells


#: per output table: the columns the report needs, and those of them that hold numbers
_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "hits": (
        (C.CELL_LINE, C.TREATMENT, C.PROTEIN, C.RESCUE_PCT, C.Q_VALUE),
        (C.RESCUE_PCT, C.Q_VALUE, C.P_VALUE, C.LOG2_FC, C.RANK),
    ),
    "qc": ((C.PLATE, C.VERDICT), ("robust_z_prime", "z_prime")),
    "wells": ((C.PLATE, C.VALUE, C.ROLE), (C.VALUE, C.RESCUE_PCT, C.TEST_VALUE)),
}


def _check(name: str, path: Path, frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """The table as read, or one SchemaError naming what is missing or not a number."""
    if frame is None:
        return None
    needed, numeric = _NEEDS[name]
    problems = []
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        problems.append(f"no column(s) {', '.join(missing)}")
    for col in (c for c in numeric if c in frame.columns):
        if pd.api.types.is_numeric_dtype(frame[col]) or frame[col].isna().all():
            continue
        bad = pd.to_numeric(frame[col], errors="coerce").isna() & frame[col].notna()
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:5])
        problems.append(
            f"column {col!r}: not a number in line(s) {lines} ({int(bad.sum())} in all)"
        )
    if name == "qc" and C.VERDICT in frame.columns:
        odd = ~frame[C.VERDICT].isin([C.PASS, C.WARN, C.FAIL])
        if odd.any():
            problems.append(
                f"column 'verdict': {frame[C.VERDICT][odd].iloc[0]!r} in line "
                f"{int(np.flatnonzero(odd)[0]) + 2}; expected pass, warn or fail"
            )
    if problems:
        raise SchemaError(
            f"{path}: not an output table of secretome-rank ({'; '.join(problems)}); rebuild "
            "the folder with `secretome-rank rank SCREEN --out DIR`"
        )
    return frame


def _load(out: Path) -> dict[str, Any]:
    hits = _check("hits", out / "hits.tsv", _read_tsv(out / "hits.tsv"))
    if hits is None:
        raise SchemaError(
            f"{out}: no hits.tsv; expected an output folder written by "
            "`secretome-rank rank SCREEN --out DIR` (hits.tsv, wells.tsv, qc.tsv, run.json)"
        )
    hits[C.IS_HIT] = _as_bool(hits[C.IS_HIT]) if C.IS_HIT in hits else False
    run: dict[str, Any] = {}
    if (out / "run.json").is_file():
        try:
            run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise SchemaError(f"{out / 'run.json'}: not valid JSON ({exc})") from exc
    data = {
        "hits": hits,
        "run": run,
        "wells": _positions(
            _check("wells", out / "wells.tsv", _read_tsv(out / "wells.tsv", _WELL_COLS))
        ),
        "qc": _check("qc", out / "qc.tsv", _read_tsv(out / "qc.tsv")),
    }
    for name in ("receptors", "receptor_families", "summary", "rescue_matrix"):
        data[name] = _read_tsv(out / f"{name}.tsv")
    return data
