"""The other files of a cellHTS2 screen folder: description, result files, screen log, annotation.

Helpers of :func:`~secretome_rank.importers.cellhts2.import_cellhts2`: find files by name,
read ``Description.txt``, parse three-column result files, set wells flagged in
``Screenlog.txt`` to missing and join the gene annotation (``GeneIDs*.txt``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError
from secretome_rank.importers._tables import _LINE, PathLike, _lines, _norm, read_table
from secretome_rank.importers.cellhts2_conf import CELLHTS2_PLATE, _snake
from secretome_rank.importers.grid import read_text
from secretome_rank.layout import PlateFormat, parse_wells

__all__ = ["FLAG_COMMENT", "read_description"]

FLAG_COMMENT = "flag_comment"


# ----------------------------------------------------------------------------------------
# small files
# ----------------------------------------------------------------------------------------
def _find(folder: Path, name: str | None) -> Path | None:
    """Find a file of the folder by exact or case-insensitive name."""
    if not name:
        return None
    exact = folder / name
    if exact.is_file():
        return exact
    lower = name.lower()
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.name.lower() == lower:
            return p
    return None


def read_description(path: PathLike) -> dict[str, dict[str, str]]:
    """Read a cellHTS2 ``Description.txt`` into sections of key/value pairs.

    Parameters
    ----------
    path : str or os.PathLike
        The description file (``[Section]`` lines followed by ``Key: value`` lines).

    Returns
    -------
    dict
        Section name -> {key -> value (stripped, ``""`` when empty)}; lines before the first
        section go to section ``""``.
    """
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in read_text(path):
        text = line.strip()
        if not text:
            continue
        if text.startswith("[") and text.endswith("]"):
            current = text[1:-1].strip()
            sections.setdefault(current, {})
            continue
        key, sep, value = text.partition(":")
        if sep:
            sections.setdefault(current, {})[key.strip()] = value.strip()
    return sections


# ----------------------------------------------------------------------------------------
# result files
# ----------------------------------------------------------------------------------------
def _read_three_columns(lines: Sequence[str]) -> pd.DataFrame | None:
    """Parse cellHTS2's default result format (``id<TAB>well<TAB>value``), or ``None``."""
    body = [line for line in lines if line.strip()]
    if not body:
        return None
    parts = pd.Series(body).str.split("\t", expand=True)
    if parts.shape[1] < 3:
        return None
    wells = parse_wells(parts[1].astype(object))
    if not wells["ok"].all():
        return None
    text = parts[2].fillna("").astype(str).str.strip()
    missing = text.str.lower().isin({"", "na", "nan", "n/a"})
    values = pd.to_numeric(text.where(~missing), errors="coerce")
    return pd.DataFrame(
        {
            "well": wells["well"].to_numpy(),
            "row": wells["row"].to_numpy(),
            "col": wells["col"].to_numpy(),
            "value": values.to_numpy(dtype=float),
            "bad": (values.isna() & ~missing).to_numpy(),
            "text": parts[2].to_numpy(),
            "line": np.flatnonzero((pd.Series(list(lines)).str.strip() != "").to_numpy()) + 1,
        }
    )


def _values_from_three_columns(
    table: pd.DataFrame, fmt: PlateFormat, name: str, problems: list[str]
) -> tuple[np.ndarray, int]:
    """Place three-column readings on the plate (NaN for wells not listed)."""
    out = np.full(fmt.n_wells, np.nan)
    outside = (table["row"] > fmt.n_rows) | (table["col"] > fmt.n_cols)
    if outside.any():
        problems.append(
            f"{name}: lines {', '.join(map(str, table.loc[outside, 'line'].head(5)))}: wells "
            f"{', '.join(table.loc[outside, 'well'].head(5))} outside a {fmt.n_wells}-well plate"
        )
    bad = table["bad"].to_numpy()
    if bad.any():
        problems.append(
            f"{name}: lines {', '.join(map(str, table.loc[bad, 'line'].head(5)))}: values "
            f"{', '.join(map(repr, table.loc[bad, 'text'].head(5)))} are not numbers; expected "
            "a number or NA in the third column"
        )
    dup = table.duplicated("well", keep=False).to_numpy()
    if dup.any():
        problems.append(
            f"{name}: wells listed more than once "
            f"({', '.join(table.loc[dup, 'well'].unique()[:5])}); keep one line per well"
        )
    ok = ~outside.to_numpy() & ~dup
    pos = (table["row"].to_numpy()[ok].astype(int) - 1) * fmt.n_cols + (
        table["col"].to_numpy()[ok].astype(int) - 1
    )
    out[pos] = table["value"].to_numpy()[ok]
    return out, fmt.n_wells - int(ok.sum())


# ----------------------------------------------------------------------------------------
# column lookup, screen log, annotation
# ----------------------------------------------------------------------------------------
def _col(table: pd.DataFrame, name: str) -> str | None:
    return next((c for c in table.columns if _norm(c) == _norm(name)), None)


def _require_columns(
    table: pd.DataFrame, names: tuple[str, ...], *, path: Path, what: str, expected: str
) -> dict[str, str]:
    """Map each required column to the table's own spelling; raise naming the absent ones."""
    found = {n: _col(table, n) for n in names}
    absent = [n for n, c in found.items() if c is None]
    if absent:
        raise SchemaError(
            f"{path}: {what} lacks column(s) {', '.join(absent)}; expected {expected}"
        )
    return {n: str(c) for n, c in found.items()}


def _int_column(
    df: pd.DataFrame, col: str, what: str, problems: list[str], *, source: str
) -> pd.Series:
    text = df[col].astype(object).where(df[col].notna(), "").astype(str)
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (values.isna() | (values < 1) | (values != np.floor(values))).to_numpy()
    if bad.any():
        problems.append(
            f"{source}, {_lines(df, bad)}, column {col!r}: {what} must be a whole number >= 1"
        )
    return values.where(~bad, 0).astype(np.int64)


def _apply_screen_log(
    wells: pd.DataFrame, log_path: Path, *, channel: int
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Set the wells flagged in the screen log to missing; return the wells and the flags."""
    problems: list[str] = []  # earlier stages raise on their own problems
    log = read_table(log_path, what="screen log").frame
    src = log_path.name
    need = _require_columns(
        log,
        ("Plate", "Well", "Flag"),
        path=log_path,
        what="screen log",
        expected="Plate, Well, Flag and optionally Sample (replicate), Channel, Comment",
    )
    lp = _int_column(log, need["Plate"], "Plate", problems, source=src)
    s_col = _col(log, "Sample")
    lr = (
        _int_column(log, s_col, "Sample", problems, source=src)
        if s_col
        else pd.Series(1, index=log.index)
    )
    c_col = _col(log, "Channel")
    keep = np.ones(len(log), dtype=bool)
    if c_col is not None:
        keep = (pd.to_numeric(log[c_col], errors="coerce") == channel).to_numpy()
    lw = parse_wells(log[need["Well"]].astype(object))
    bad = (~lw["ok"]).to_numpy()
    if bad.any():
        problems.append(
            f"{src}, {_lines(log, bad)}: not a well id "
            f"({', '.join(map(repr, log.loc[bad, need['Well']].head(5)))})"
        )
    comment_col = _col(log, "Comment")
    comment = log[comment_col] if comment_col else log[need["Flag"]]
    flags = pd.DataFrame(
        {
            CELLHTS2_PLATE: lp.to_numpy(),
            C.REPLICATE: lr.to_numpy(),
            C.WELL: lw["well"].to_numpy(),
            "_flag": comment.where(comment.notna(), "flagged").to_numpy(dtype=object),
            "_log_line": log[_LINE].to_numpy(),
            "_raw_flag": log[need["Flag"]].to_numpy(dtype=object),
        }
    )[keep & ~bad]
    hit = flags.merge(
        wells[[CELLHTS2_PLATE, C.REPLICATE, C.WELL]].drop_duplicates(),
        how="left",
        indicator=True,
    )
    nowhere = (hit["_merge"] == "left_only").to_numpy()
    if nowhere.any():
        problems.append(
            f"{src}: line(s) {', '.join(map(str, hit.loc[nowhere, '_log_line'].head(8)))} "
            "name a plate, replicate (Sample) or well that is not in the screen; fix them"
        )
    if problems:
        raise SchemaError(
            f"{log_path}: {len(problems)} problem(s) in the screen log", problems=problems
        )
    flags = flags.drop_duplicates([CELLHTS2_PLATE, C.REPLICATE, C.WELL], keep="last")
    wells = wells.merge(
        flags[[CELLHTS2_PLATE, C.REPLICATE, C.WELL, "_flag"]],
        how="left",
        on=[CELLHTS2_PLATE, C.REPLICATE, C.WELL],
        validate="many_to_one",
    )
    flagged = wells["_flag"].notna().to_numpy()
    wells.loc[flagged, C.VALUE] = np.nan
    wells[FLAG_COMMENT] = wells["_flag"]
    wells = wells.drop(columns="_flag")
    log_records: list[dict[str, object]] = [
        {
            "plate": int(r[CELLHTS2_PLATE]),
            "replicate": int(r[C.REPLICATE]),
            "well": str(r[C.WELL]),
            "flag": None if r["_raw_flag"] is None else str(r["_raw_flag"]),
            "comment": str(r["_flag"]),
        }
        for r in flags.to_dict("records")
    ]
    return wells, log_records


def _join_annotation(wells: pd.DataFrame, ann_path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Join the gene annotation by plate and well; return the wells and the added columns."""
    ann = read_table(ann_path, what="gene annotation").frame
    pc, wc = _col(ann, "Plate"), _col(ann, "Well")
    if pc is None or wc is None:
        raise SchemaError(f"{ann_path}: annotation needs columns Plate and Well")
    aw = parse_wells(ann[wc].astype(object))
    ap = pd.to_numeric(ann[pc], errors="coerce")
    ok = (aw["ok"] & ap.notna()).to_numpy()
    extra = [c for c in ann.columns if c not in (pc, wc, _LINE)]
    taken = set(wells.columns)
    rename = {}
    for c in extra:
        s = _snake(c)
        rename[c] = s if s not in taken else f"annotation_{s}"
    table = ann.loc[ok, extra].rename(columns=rename)
    table = table.mask(table.isin(["NA", "N/A", "NaN", ""]))
    table[CELLHTS2_PLATE] = ap[ok].astype(np.int64).to_numpy()
    table[C.WELL] = aw.loc[ok, "well"].to_numpy()
    table = table.drop_duplicates([CELLHTS2_PLATE, C.WELL], keep="last")
    wells = wells.merge(table, how="left", on=[CELLHTS2_PLATE, C.WELL], validate="many_to_one")
    ann_cols = list(rename.values())
    return wells, ann_cols
