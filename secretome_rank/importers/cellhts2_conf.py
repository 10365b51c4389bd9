"""cellHTS2 plate configurations (``Plateconf.txt``): rules with wildcards -> well contents.

:func:`read_plate_conf` reads the header (``Wells:``, ``Plates:``) and the ``Plate Well Content``
rules; :func:`apply_plate_conf` resolves them, in order, to one content per plate and well.
"""

from __future__ import annotations

import fnmatch
import re

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError
from secretome_rank.importers._tables import CONTENT, PathLike
from secretome_rank.importers.grid import read_text
from secretome_rank.layout import PlateFormat, parse_wells, well_id

__all__ = ["CELLHTS2_PLATE", "apply_plate_conf", "read_plate_conf"]

CELLHTS2_PLATE = "cellhts2_plate"

_PLAIN_WELL = re.compile(r"^[A-Za-z]{1,2}\d{1,3}$")
_GLOB = re.compile(r"^[A-Za-z0-9*?]+$")


def read_plate_conf(path: PathLike) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a cellHTS2 ``Plateconf.txt``.

    Parameters
    ----------
    path : str or os.PathLike
        Header lines (``Wells: 384``, ``Plates: 3``) followed by a tab-separated table with
        columns ``Plate``, ``Well``, ``Content`` (others are kept).

    Returns
    -------
    rules : pandas.DataFrame
        One row per rule, in file order: ``plate``, ``well``, ``content`` (as written) and
        ``line`` (1-based line in the file), plus any extra columns.
    header : dict
        ``{"Wells": int, "Plates": int}`` for the header lines present.

    Raises
    ------
    SchemaError
        No ``Plate Well Content`` header, rows with missing cells, non-integer header values.
    """
    lines = read_text(path)
    header: dict[str, int] = {}
    problems: list[str] = []
    start = None
    for k, line in enumerate(lines):
        cells = [c.strip() for c in re.split(r"\t|;|,", line)]
        if [c.lower() for c in cells[:3]] == ["plate", "well", "content"]:
            start = k
            break
        key, sep, value = line.partition(":")
        if sep and key.strip():
            try:
                header[key.strip().capitalize()] = int(value.strip().split()[0])
            except (ValueError, IndexError):
                problems.append(
                    f"line {k + 1}: {line.strip()!r}: expected '{key.strip()}: <whole number>'"
                )
    if start is None:
        raise SchemaError(
            f"{path}: no header line 'Plate<TAB>Well<TAB>Content' found; a cellHTS2 plate "
            "configuration has 'Wells: N' and 'Plates: N' lines, then that header and one "
            "rule per line"
        )
    sep = "\t" if "\t" in lines[start] else (";" if ";" in lines[start] else ",")
    names = [c.strip() for c in lines[start].split(sep)]
    rows = []
    for k in range(start + 1, len(lines)):
        if not lines[k].strip():
            continue
        cells = [c.strip() for c in lines[k].split(sep)]
        cells += [""] * (len(names) - len(cells))
        if not all(cells[:3]):
            problems.append(
                f"line {k + 1}: {lines[k].strip()!r}: expected Plate, Well and Content "
                "(tab-separated; '*' for all plates or wells)"
            )
            continue
        rows.append([*cells[: len(names)], k + 1])
    if problems:
        raise SchemaError(
            f"{path}: {len(problems)} problem(s) in the plate configuration", problems=problems
        )
    extra = [_snake(n) for n in names[3:]]
    rules = pd.DataFrame(rows, columns=["plate", "well", "content", *extra, "line"])
    return rules, header


def _snake(name: str) -> str:
    """``GeneSymbol`` -> ``gene_symbol``; ``HFAID`` -> ``hfaid``."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", s).strip("_").lower()


def _match(pattern: str, ids: pd.Series) -> np.ndarray:
    """Rows of ``ids`` matched by a cellHTS2 plate or well pattern (see import_cellhts2)."""
    p = pattern.strip()
    if p == "*":
        return np.ones(len(ids), dtype=bool)
    if _PLAIN_WELL.match(p):
        wells = parse_wells(pd.Series([p]))
        if bool(wells["ok"].iloc[0]):
            return (ids == str(wells["well"].iloc[0])).to_numpy()
    if p.isdecimal():
        return (ids == str(int(p))).to_numpy()
    if _GLOB.match(p):
        return ids.str.upper().str.match(fnmatch.translate(p.upper())).to_numpy()
    rx = re.compile(p)  # Python semantics (raises re.error), not the pyarrow engine's
    return ids.astype(object).str.contains(rx).to_numpy(dtype=bool)


def apply_plate_conf(
    rules: pd.DataFrame, *, n_plates: int, fmt: PlateFormat, source: str = "Plateconf.txt"
) -> pd.DataFrame:
    """Resolve plate-configuration rules to one content per plate and well.

    Rules are applied in order; later rules override earlier ones (cellHTS2 ``configure``).
    ``Plate``: ``*`` (all), a number, or a pattern matched against the plate numbers.
    ``Well``: ``*`` (all), a well id (``A1``/``A01``/``A001``, exact), a wildcard pattern of
    letters, digits, ``*`` and ``?`` matched against the whole canonical id (``?01`` = column 1,
    ``B*`` = row B), or else a regular expression searched in the canonical id as cellHTS2 does
    (``[A-P]02``, ``A0[1-2]``, ``B01|G02``).

    Parameters
    ----------
    rules : pandas.DataFrame
        From :func:`read_plate_conf`.
    n_plates : int
        Number of plates (Platelist ``Plate`` numbers 1..n).
    fmt : PlateFormat
        The plate format.
    source : str
        File name for messages.

    Returns
    -------
    pandas.DataFrame
        ``n_plates * n_wells`` rows: ``cellhts2_plate`` (int), ``well``, ``content`` and
        ``conf_line`` (the rule's line).

    Raises
    ------
    SchemaError
        Invalid regular expressions, rules that match no plate or no well, wells that no
        rule covers.
    """
    rows = np.repeat(np.arange(1, fmt.n_rows + 1), fmt.n_cols)
    cols = np.tile(np.arange(1, fmt.n_cols + 1), fmt.n_rows)
    ids = pd.Series(well_id(rows, cols))
    plate_ids = pd.Series([str(i) for i in range(1, n_plates + 1)])
    which = np.full((n_plates, fmt.n_wells), -1, dtype=np.int64)
    problems: list[str] = []
    for r, rule in enumerate(rules.itertuples(index=False)):
        try:
            pm = _match(str(rule.plate), plate_ids)
            wm = _match(str(rule.well), ids)
        except re.error as exc:
            problems.append(
                f"line {rule.line}: pattern {rule.plate!r}/{rule.well!r} is not a valid regular "
                f"expression ({exc}); fix the pattern"
            )
            continue
        if not pm.any():
            problems.append(
                f"line {rule.line}: Plate {rule.plate!r} matches none of plates 1-{n_plates}; "
                "fix the plate number or pattern"
            )
        if not wm.any():
            problems.append(
                f"line {rule.line}: Well {rule.well!r} matches no well of a {fmt.n_wells}-well "
                "plate; fix the well id or pattern"
            )
        which[np.ix_(pm, wm)] = r
    uncovered = which < 0
    if uncovered.any():
        p_idx, w_idx = np.nonzero(uncovered)
        ex = ", ".join(f"plate {p + 1} {ids[w]}" for p, w in zip(p_idx[:5], w_idx[:5], strict=True))
        problems.append(
            f"{int(uncovered.sum())} well(s) not covered by any rule ({ex}"
            f"{', ...' if uncovered.sum() > 5 else ''}); add a rule, e.g. '*<TAB>*<TAB>sample' "
            "as the first rule"
        )
    if problems:
        raise SchemaError(
            f"{source}: {len(problems)} problem(s) in the plate configuration", problems=problems
        )
    flat = which.ravel()
    return pd.DataFrame(
        {
            CELLHTS2_PLATE: np.repeat(np.arange(1, n_plates + 1), fmt.n_wells),
            C.WELL: np.tile(ids.to_numpy(dtype=object), n_plates),
            CONTENT: rules["content"].to_numpy(dtype=object)[flat],
            "conf_line": rules["line"].to_numpy()[flat],
        }
    )
