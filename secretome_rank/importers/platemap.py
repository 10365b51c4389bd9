"""Plate maps: what is in each well (role, protein, concentration).

A **plate map** says what is in each well: a role (``sample``, ``drug_control``,
``vehicle_control``, ``empty``) and, for samples, the protein (plus optional concentration).
It is one map for all plates, or per plate through a ``plate`` column.

Role words are never guessed: a map's own vocabulary (``DMSO``, ``PBS``, ``neg``, ``pos``,
``PosSpike``, ...) is turned into roles only through an explicit ``role_map``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, LayoutError, SchemaError
from secretome_rank.importers._tables import (
    _LINE,
    CONTENT,
    PathLike,
    _columns_text,
    _key_text,
    _lines,
    _resolve,
    _to_float,
    read_table,
)
from secretome_rank.layout import FORMATS, parse_wells

__all__ = ["CONTROL_WORDS", "map_roles", "read_plate_map", "validate_role_map"]


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
            pairs = (_key_text(grp[CONTENT]) + "/" + _key_text(grp[C.PROTEIN])).unique()
            contents = [c.removesuffix("/<NA>") for c in pairs]
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
