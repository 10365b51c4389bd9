"""Reading the output folder for the HTML report.

:func:`_load` reads the tables a run wrote (``hits.tsv`` required; ``wells.tsv``, ``qc.tsv``,
``run.json``, ``receptors.tsv``, ``receptor_families.tsv``, ``summary.tsv`` and
``rescue_matrix.tsv`` when present) into one dict of DataFrames (``None`` for an absent table).
Identifier columns keep a literal ``NA``; wells get 1-based ``row``/``col`` parsed from ``well``
when the table lacks them. Nothing here writes HTML.
"""

from __future__ import annotations

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


def _read_tsv(path: Path, usecols: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Read an output table; identifier columns keep literal ``NA``, others read it as missing."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
    cols = [c for c in header if usecols is None or c in usecols]
    na = {c: ([""] if c in _TEXT_KEYS[:5] else ["", "NA", "NaN", "nan"]) for c in cols}
    try:
        return pd.read_csv(
            path,
            sep="\t",
            usecols=cols,
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

    pos = parse_wells(wells[C.WELL])
    wells[C.ROW] = pos["row"].astype("Float64").to_numpy(float, na_value=np.nan)
    wells[C.COL] = pos["col"].astype("Float64").to_numpy(float, na_value=np.nan)
    return wells


def _load(out: Path) -> dict[str, Any]:
    hits = _read_tsv(out / "hits.tsv")
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
        "wells": _positions(_read_tsv(out / "wells.tsv", _WELL_COLS)),
        "qc": _read_tsv(out / "qc.tsv"),
    }
    for name in ("receptors", "receptor_families", "summary", "rescue_matrix"):
        data[name] = _read_tsv(out / f"{name}.tsv")
    return data
