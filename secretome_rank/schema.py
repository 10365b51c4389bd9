"""Validation of the canonical well table: every problem of a file reported at once.

:func:`validate_wells` checks columns, roles, values, wells, duplicates, missing proteins and
controls, collects a readable message per problem (naming rows or wells, the column, what
was expected and how to fix it) and raises one :class:`~secretome_rank.errors.SchemaError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import SchemaError
from secretome_rank.layout import FORMATS, format_for, parse_wells, row_letters

__all__ = ["describe_rows", "validate_wells"]

_MAX_LISTED = 5


def describe_rows(lines: pd.Series, values: pd.Series | None = None) -> str:
    """Name the first few offending lines (and their values) and count the rest.

    Examples
    --------
    >>> describe_rows(pd.Series([3, 7]), pd.Series(["x", "y"]))
    "lines 3 ('x'), 7 ('y')"
    """
    lines = lines.reset_index(drop=True)
    shown = []
    for i in range(min(len(lines), _MAX_LISTED)):
        item = str(int(lines.iloc[i]))
        if values is not None:
            v = values.reset_index(drop=True).iloc[i]
            item += f" ({v!r})" if isinstance(v, str) else f" ({float(v):g})"
        shown.append(item)
    more = f" and {len(lines) - _MAX_LISTED} more" if len(lines) > _MAX_LISTED else ""
    word = "line" if len(lines) == 1 else "lines"
    return f"{word} {', '.join(shown)}{more}"


def _code_dtype(n_categories: int) -> type[np.signedinteger]:
    """The integer type pandas keeps the codes of ``n_categories`` categories in."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _run_starts(series: pd.Series) -> np.ndarray | None:
    """Where a text column differs from the row before (bool per row), if it has long runs.

    Plate, cell line and treatment come in runs of equal neighbours (a plate's wells are
    written together); comparing neighbours is several times cheaper than hashing every
    cell. ``None`` when the column is not text, or its first rows show few repeats.
    """
    n = len(series)
    if n < 2 or not isinstance(series.dtype, pd.StringDtype):
        return None
    values = series.array
    head = values[: min(n, 4096)]
    if np.count_nonzero(_differs(head[1:], head[:-1])) > len(head) // 8:
        return None
    change = np.empty(n, dtype=bool)
    change[0] = True
    change[1:] = _differs(values[1:], values[:-1])
    return change


def _differs(
    a: pd.api.extensions.ExtensionArray, b: pd.api.extensions.ExtensionArray
) -> np.ndarray:
    """Element-wise ``a != b`` of two text arrays; a missing cell differs from everything."""
    ne = a != b
    if isinstance(ne, pd.api.extensions.ExtensionArray):
        return np.asarray(ne.to_numpy(dtype=bool, na_value=True))
    return np.asarray(ne, dtype=bool)


def _text(series: pd.Series) -> pd.Series:
    """Strip text cells; empty strings become missing. Returns a categorical Series.

    Categories are sorted, so the result does not depend on the order of the rows. Works on
    the distinct values only (and on the first cell of each run of equal neighbours when the
    column has such runs), so a million wells cost what a few hundred do.
    """
    starts = _run_starts(series)
    if starts is None:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    else:
        # a boolean filter keeps pyarrow's chunks apart (taking positions joins them first)
        codes, uniques = pd.factorize(series[starts], use_na_sentinel=True)
    cleaned = [text.strip() for text in pd.Index(uniques).astype(str)]
    kept = sorted({text for text in cleaned if text})  # empty strings become missing
    position = {text: i for i, text in enumerate(kept)}
    categories = pd.Index(kept, dtype=object)
    # code -1 (missing) picks the appended -1
    lookup = np.array([*(position.get(t, -1) for t in cleaned), -1], dtype=_code_dtype(len(kept)))
    mapped = lookup[codes]
    if starts is not None:
        mapped = np.repeat(mapped, np.diff(np.flatnonzero(starts), append=len(series)))
    cat = pd.Categorical.from_codes(mapped, categories=categories, validate=False)
    return pd.Series(cat, index=series.index, copy=False)


def _recode(series: pd.Series, func: Callable[[str], str]) -> pd.Series:
    """Apply ``func`` to the categories of a :func:`_text` result, then clean them again."""
    cats = [func(c) for c in series.cat.categories]
    small = _text(pd.Series([*cats, None], dtype=object))
    new_codes = small.cat.codes.to_numpy()[series.cat.codes.to_numpy()]  # -1: the None
    return pd.Series(
        pd.Categorical.from_codes(new_codes, categories=small.cat.categories, validate=False),
        index=series.index,
        copy=False,
    )


def _parse_well_codes(well: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`~secretome_rank.layout.parse_wells` on the distinct ids of a categorical column.

    Returns the parsed ids, one row per category of ``well`` plus a last row for a missing
    id: ``well`` (categorical: canonical ids, the text of malformed ones), ``row``, ``col``
    and ``ok``; and ``well`` and ``ok`` spread over the wells (index of ``well``).
    """
    parsed = parse_wells(pd.Series(np.asarray(well.cat.categories, dtype=object)))
    canonical = pd.Categorical(parsed["well"].astype(object))

    def with_missing(values: pd.Series) -> pd.Series:
        return pd.concat([values, pd.Series([pd.NA], dtype=values.dtype)], ignore_index=True)

    ids = pd.DataFrame(
        {
            "well": pd.Categorical.from_codes(
                np.append(canonical.codes, -1), categories=canonical.categories
            ),
            "row": with_missing(parsed["row"]),
            "col": with_missing(parsed["col"]),
            "ok": np.append(parsed["ok"].to_numpy(dtype=bool), False),
        }
    )
    codes = well.cat.codes.to_numpy()  # -1 (missing) takes the last row
    per_well = pd.DataFrame(
        {k: ids[k].array.take(codes) for k in ("well", "ok")}, index=well.index, copy=False
    )
    return ids, per_well


def _well_key(plate: pd.Series, ids: pd.DataFrame, well: pd.Series) -> np.ndarray:
    """One int64 per well ordering by plate code, row, column (missing parts last).

    ``ids`` are the parsed categories of ``well`` (see :func:`_parse_well_codes`).
    """
    p = plate.cat.codes.to_numpy()
    key = p.astype(np.int64)
    missing = p < 0
    if missing.any():
        key[missing] = plate.cat.categories.size
    r = ids["row"].to_numpy(dtype=np.int64, na_value=63)  # rows <= 32, columns <= 999
    c = ids["col"].to_numpy(dtype=np.int64, na_value=1023)
    key <<= 16
    key |= ((r << 10) | c)[well.cat.codes.to_numpy()]
    return key


def _sort_wells(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable order of the well keys; which wells share their key; the keys in that order."""
    dup = np.zeros(key.size, dtype=bool)
    if key.size < 2 or bool(np.all(key[1:] > key[:-1])):  # sorted and unique: done
        return np.arange(key.size), dup, key
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    if same.any():
        dup[order[1:][same]] = True
        dup[order[:-1][same]] = True
    return order, dup, ordered


def _run_heads(*codes: np.ndarray) -> np.ndarray:
    """Rows where any of the equal-length ``codes`` differs from the row before (and row 0).

    Which combinations of codes occur, and the first row of each, can be read from these
    rows alone: a table written plate by plate has a few thousand of them per million wells.
    """
    change = np.zeros(len(codes[0]), dtype=bool)
    change[:1] = True
    for c in codes:
        change[1:] |= c[1:] != c[:-1]
    return np.flatnonzero(change)


def _mixed_plates(out: pd.DataFrame) -> list[object]:
    """Plates holding more than one cell line or treatment."""
    plate = out[C.PLATE].cat.codes.to_numpy()
    context = [
        pd.Series(out[col]).astype("category").cat.codes.to_numpy()
        for col in (C.CELL_LINE, C.TREATMENT)
    ]
    heads = _run_heads(plate, *context)
    plate = plate[heads]
    seen = plate >= 0
    mixed = np.zeros(out[C.PLATE].cat.categories.size, dtype=bool)
    for codes in (c[heads] for c in context):
        ref = np.full(mixed.size, -2)
        ref[plate[seen]] = codes[seen]  # one of each plate's codes
        mixed[plate[seen][codes[seen] != ref[plate[seen]]]] = True
    return list(out[C.PLATE].cat.categories[mixed])


def validate_wells(
    frame: pd.DataFrame,
    *,
    source: str = "input table",
    role_map: Mapping[str, str] | None = None,
    vehicle_words: tuple[str, ...] = C.DEFAULT_VEHICLE_WORDS,
    plate_format: int | None = None,
    missing_controls: str = "error",
) -> pd.DataFrame:
    """Validate a well table whose columns already carry canonical names.

    See :func:`secretome_rank.io.read_screen` for the parameters and the returned columns.

    Raises
    ------
    SchemaError
        With one line per problem.
    """
    if missing_controls not in ("error", "robust_z"):
        raise SchemaError(f"missing_controls={missing_controls!r}; expected 'error' or 'robust_z'")
    problems: list[str] = []
    missing = [c for c in C.REQUIRED_INPUT if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns))
        hints = [
            f"found columns: {found if len(found) < 300 else found[:300] + ' ...'}",
            "rename them in the file or map them with --column NAME=THEIRS "
            "(e.g. --column value=Luminescence)",
        ]
        if len(frame.columns) == 1:
            seps = [c for c in "|:/ " if c in str(frame.columns[0])]
            if seps:
                hints.insert(
                    0,
                    f"the header is one column holding {seps[0]!r}: the file seems delimited "
                    f"by {seps[0]!r}; save it with ',', ';' or tab as delimiter",
                )
        raise SchemaError(
            f"{source}: missing required column(s) {', '.join(missing)}", problems=hints
        )
    if len(frame) == 0:
        raise SchemaError(f"{source}: no rows; expected one row per well")

    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    line = pd.Series(np.arange(len(frame)) + 2, index=out.index, copy=False)
    out["input_row"] = line
    well_order: np.ndarray | None = None  # set from the well ids when the table has them
    well_keys = np.zeros(0, dtype=np.int64)  # their sorted keys (plate, row, column)

    # plate -----------------------------------------------------------------------------
    plate = _text(frame[C.PLATE].reset_index(drop=True))
    bad = plate.isna()
    if bad.any():
        problems.append(
            f"column 'plate': empty in {describe_rows(line[bad])}; every well needs a plate id"
        )
    out[C.PLATE] = plate

    # role ------------------------------------------------------------------------------
    role_raw = _text(frame[C.ROLE].reset_index(drop=True))
    role = _recode(role_raw, str.lower)
    if role_map:
        lower_map = {str(k).strip().lower(): str(v).strip().lower() for k, v in role_map.items()}
        bad_targets = sorted(set(lower_map.values()) - set(C.ROLES))
        if bad_targets:
            problems.append(
                f"role mapping targets {bad_targets} are not roles; expected one of "
                f"{', '.join(C.ROLES)}"
            )
        role = _recode(role, lambda c: lower_map.get(c, c))
    unknown_word = np.append(~role.cat.categories.isin(C.ROLES), False)  # last: missing
    unknown = pd.Series(unknown_word[role.cat.codes.to_numpy()], index=out.index, copy=False)
    if unknown.any():
        words = role_raw[unknown].astype(str).value_counts()
        listed = ", ".join(f"{w!r} ({n} rows)" for w, n in words.head(_MAX_LISTED).items())
        problems.append(
            f"column 'role': unknown value(s) {listed} in {describe_rows(line[unknown])}; "
            f"expected one of {', '.join(C.ROLES)}; map your words explicitly, e.g. "
            "--role-map neg=drug_control --role-map pos=vehicle_control"
        )
    if role.isna().any():
        problems.append(
            f"column 'role': empty in {describe_rows(line[role.isna()])}; "
            f"expected one of {', '.join(C.ROLES)}"
        )
    out[C.ROLE] = role

    # value -----------------------------------------------------------------------------
    raw_value = frame[C.VALUE].reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(raw_value) and not pd.api.types.is_bool_dtype(raw_value):
        value = raw_value.astype(float)
    else:
        text = _text(raw_value)
        value = pd.to_numeric(text, errors="coerce").astype(float)
        non_numeric = text.notna() & value.isna()
        # "inf"/"nan" words parse as numbers; NaN words are treated as missing values
        if non_numeric.any():
            decimal_comma = text[non_numeric].str.fullmatch(r"-?\d+,\d+").fillna(False)
            hint = (
                " (decimal commas: save the file with ';' as delimiter or use '.')"
                if decimal_comma.any()
                else ""
            )
            problems.append(
                f"column 'value': not a number in "
                f"{describe_rows(line[non_numeric], text[non_numeric])}; expected a finite "
                f"number >= 0, or an empty cell for a missing reading{hint}"
            )
    inf = np.isinf(value)
    if inf.any():
        problems.append(
            f"column 'value': infinite in {describe_rows(line[inf])}; expected a finite number "
            "(leave the cell empty if the reading is missing)"
        )
    neg = value < 0
    if neg.any():
        problems.append(
            f"column 'value': negative in {describe_rows(line[neg], value[neg])}; expected a "
            "raw readout >= 0 (subtract backgrounds after ranking, not before)"
        )
    out[C.VALUE] = value.where(~inf)

    # well ------------------------------------------------------------------------------
    if C.WELL in frame.columns:
        well_text = _text(frame[C.WELL].reset_index(drop=True))
        ids, parsed = _parse_well_codes(well_text)
        given = well_text.notna()
        malformed = given & ~parsed["ok"]
        if malformed.any():
            problems.append(
                f"column 'well': malformed well id in "
                f"{describe_rows(line[malformed], parsed['well'][malformed].astype(object))}; "
                "expected a row letter and a column number such as A1, A01 or A001"
            )
        if (~given).any():
            problems.append(
                f"column 'well': empty in {describe_rows(line[~given])}; give every well an id "
                "or drop the column"
            )
        ok = parsed["ok"]
        out[C.WELL] = parsed["well"]  # row and column: from the sorted keys, at the end
        if ok.any():
            fmt = FORMATS.get(plate_format) if plate_format else None
            if plate_format and fmt is None:
                problems.append(f"plate format {plate_format}: expected 96, 384 or 1536")
            if fmt is None:  # every id of the table is a category
                max_col = int(ids.loc[ids["ok"], "col"].max())
                fmt = format_for(1, max_col) or FORMATS[1536]
            too_far = ids["ok"] & ((ids["row"] > fmt.n_rows) | (ids["col"] > fmt.n_cols))
            outside = pd.Series(
                too_far.to_numpy(dtype=bool, na_value=False)[well_text.cat.codes.to_numpy()],
                index=out.index,
                copy=False,
            )
            if outside.any():
                last = row_letters(fmt.n_rows)[-1]
                problems.append(
                    f"column 'well': well outside a {fmt.n_wells}-well plate in "
                    f"{describe_rows(line[outside], parsed['well'][outside].astype(object))}; "
                    f"expected rows A-{last} and columns 1-{fmt.n_cols} (pass --plate-format if "
                    "the plates are larger)"
                )
            well_order, shared, well_keys = _sort_wells(_well_key(plate, ids, well_text))
            dup = ok & plate.notna() & shared
            if dup.any():
                pairs = (
                    out.loc[dup, C.PLATE].astype(str) + ":" + out.loc[dup, C.WELL].astype(str)
                ).rename(None)
                problems.append(
                    f"columns 'plate','well': duplicate wells in "
                    f"{describe_rows(line[dup], pairs[dup])}; each (plate, well) must appear once"
                )
    else:
        out[C.WELL] = pd.Categorical([None] * len(out), categories=pd.Index([], dtype=object))
        out[C.ROW] = pd.Series(pd.NA, index=out.index, dtype="Int64")
        out[C.COL] = pd.Series(pd.NA, index=out.index, dtype="Int64")

    # protein ---------------------------------------------------------------------------
    if C.PROTEIN in frame.columns:
        protein = _text(frame[C.PROTEIN].reset_index(drop=True))
    else:
        protein = pd.Series(
            pd.Categorical([None] * len(out), categories=pd.Index([], dtype=object)),
            index=out.index,
        )
    no_protein = (role == C.SAMPLE) & protein.isna()
    if no_protein.any():
        problems.append(
            "column 'protein': sample wells without a protein in "
            f"{describe_rows(line[no_protein])}; "
            "name the protein, or set role to 'empty' if the well holds none"
        )
    out[C.PROTEIN] = protein.where(role == C.SAMPLE)

    # context ---------------------------------------------------------------------------
    for col, default in ((C.CELL_LINE, C.DEFAULT_CELL_LINE), (C.TREATMENT, "drug")):
        if col in frame.columns:
            s = _text(frame[col].reset_index(drop=True))
            if s.isna().any() and s.notna().any():
                problems.append(
                    f"column {col!r}: empty in {describe_rows(line[s.isna()])} while other rows "
                    f"have one; fill it in on every row"
                )
            if s.isna().any() and default not in s.cat.categories:
                s = s.cat.add_categories([default])
            out[col] = s.fillna(default)
        else:
            out[col] = pd.Categorical([default] * len(out))
    vehicle = {w.lower() for w in vehicle_words}
    treatment = out[C.TREATMENT].astype("category")
    vehicle_cats = np.array([str(c).lower() in vehicle for c in treatment.cat.categories] + [False])
    is_vehicle = vehicle_cats[treatment.cat.codes.to_numpy()]
    out[C.ARM] = pd.Categorical.from_codes(
        is_vehicle.astype(np.int8), categories=pd.Index([C.ARM_DRUG, C.ARM_VEHICLE])
    )
    mixed = _mixed_plates(out)
    if len(mixed):
        problems.append(
            f"plates {', '.join(map(str, mixed[:_MAX_LISTED]))}: more than one cell line "
            "or treatment on one plate; each plate must be one cell line and one arm (give "
            "plates distinct ids)"
        )

    # carried columns -------------------------------------------------------------------
    if C.REPLICATE in frame.columns:
        out[C.REPLICATE] = frame[C.REPLICATE].reset_index(drop=True).to_numpy()
    for col in frame.columns:
        if col not in out.columns and col not in (C.WELL, C.ROW, C.COL, *C.INPUT_COLUMNS):
            out[str(col)] = frame[col].reset_index(drop=True).to_numpy()
    for col in (C.CONCENTRATION, C.BATCH):
        if col in frame.columns:
            out[col] = frame[col].reset_index(drop=True).to_numpy()

    # controls --------------------------------------------------------------------------
    if not problems:
        problems.extend(_check_controls(out, missing_controls))
    if problems:
        raise SchemaError(f"{source}: {len(problems)} problem(s) found", problems=problems)

    if C.REPLICATE not in out.columns:
        out[C.REPLICATE] = infer_replicates(out)
    first = list(C.WELL_TABLE_COLUMNS)
    rest = [c for c in out.columns if c not in first]
    # canonical row order (plate, well; then role, protein, value for tables without wells):
    # every later stage, and every output, is then independent of the input's row order
    # with well ids (valid and unique by now) the plate/row/column key alone decides
    order = well_order if well_order is not None else _canonical_order(out)
    if not bool(np.all(order[1:] > order[:-1])):  # a permutation: increasing = identity
        out = out.drop(columns="input_row").iloc[order].reset_index(drop=True)
        out["input_row"] = order + 2
    if well_order is not None:  # the sorted keys hold row and column
        no_mask = np.zeros(len(out), dtype=bool)
        out[C.ROW] = pd.arrays.IntegerArray((well_keys >> 10) & 63, no_mask)
        out[C.COL] = pd.arrays.IntegerArray(well_keys & 1023, no_mask.copy())
    out = out[first + rest]
    # categorical keys: grouping and mapping a million wells stays fast
    for col in (C.PLATE, C.WELL, C.ROLE, C.PROTEIN, C.CELL_LINE, C.TREATMENT, C.ARM):
        if not isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("category")
    return out


def _canonical_order(out: pd.DataFrame) -> np.ndarray:
    """Row order of a table without well ids: plate, role, protein, value, input line."""

    def codes(col: str) -> np.ndarray:
        c = out[col]
        if isinstance(c.dtype, pd.CategoricalDtype):
            k = np.asarray(c.cat.codes, dtype=np.int64)
        else:
            as_cat = pd.Categorical(c.astype(object).where(c.notna(), None))
            k = np.asarray(as_cat.codes, dtype=np.int64)
        return np.where(k < 0, np.iinfo(np.int64).max, k)

    def ints(col: str) -> np.ndarray:
        return out[col].astype("Float64").fillna(np.inf).to_numpy(dtype=float)

    value = out[C.VALUE].to_numpy(dtype=float)
    keys = (
        out["input_row"].to_numpy(),
        np.where(np.isnan(value), np.inf, value),
        codes(C.PROTEIN),
        codes(C.ROLE),
        ints(C.COL),
        ints(C.ROW),
        codes(C.PLATE),
    )
    return np.lexsort(keys)


def _equals(column: pd.Series, value: str) -> np.ndarray:
    """``column == value`` for a categorical column, compared on its codes."""
    categories = column.cat.categories
    if value not in categories:
        return np.zeros(len(column), dtype=bool)
    return np.asarray(column.cat.codes.to_numpy() == categories.get_loc(value))


def _check_controls(out: pd.DataFrame, missing_controls: str) -> list[str]:
    """Drug-arm plates need drug controls; every cell line needs a vehicle reference.

    Every well has a plate here (a missing plate id is reported before).
    """
    problems = []
    plate = out[C.PLATE].astype("category")
    pcodes = plate.cat.codes.to_numpy()

    def per_plate(role: str) -> np.ndarray:
        on = pcodes[_equals(out[C.ROLE], role)]
        return np.bincount(on[on >= 0], minlength=plate.cat.categories.size)

    heads = _run_heads(pcodes)
    first = heads[~pd.Series(pcodes[heads]).duplicated().to_numpy()]  # first row of each plate
    first_plate = pcodes[first]  # plates in order of first appearance
    drug = np.asarray(out[C.ARM].iloc[first] == C.ARM_DRUG)
    no_dc = plate.cat.categories[first_plate[drug & (per_plate(C.DRUG_CONTROL)[first_plate] == 0)]]
    if len(no_dc) and missing_controls == "error":
        extra = len(no_dc) - _MAX_LISTED
        more = f" and {extra} more" if extra > 0 else ""
        problems.append(
            f"plates {', '.join(map(str, no_dc[:_MAX_LISTED]))}"
            f"{more}"
            ": drug-arm plate without drug_control wells, so 0 % rescue is undefined; add the "
            "drug-only wells to the table, or pass --missing-controls robust-z to score such "
            "plates against their library median (rescue_pct is then not available)"
        )
    if missing_controls == "error":
        cell = out[C.CELL_LINE].astype("category").iloc[first]
        ccodes = cell.cat.codes.to_numpy()
        has_vc = np.bincount(
            ccodes,
            weights=per_plate(C.VEHICLE_CONTROL)[first_plate],
            minlength=cell.cat.categories.size,
        )
        need = pd.unique(ccodes[drug])  # in order of first appearance
        lacking = [cell.cat.categories[k] for k in need if has_vc[k] == 0]
        if lacking:
            problems.append(
                f"cell line(s) {', '.join(map(str, lacking[:_MAX_LISTED]))}: no vehicle_control "
                "wells on any plate, so 100 % rescue is undefined; add the no-drug control wells, "
                "or pass --missing-controls robust-z"
            )
    if not _equals(out[C.ROLE], C.SAMPLE).any():
        problems.append("no sample wells (role 'sample'): nothing to rank")
    return problems


def infer_replicates(wells: pd.DataFrame) -> pd.Series:
    """Number replicate wells of a protein within its (cell line, treatment) by plate order.

    The k-th well of a protein (plates sorted by id, then wells) is replicate k; control
    wells get the replicate most samples of their plate have.
    """
    order = wells.sort_values([C.PLATE, C.WELL], kind="stable").index
    samples = wells.loc[order]
    samples = samples[samples[C.ROLE] == C.SAMPLE]
    rep = pd.Series(np.nan, index=wells.index)
    rep[samples.index] = (
        samples.groupby([C.CELL_LINE, C.TREATMENT, C.PROTEIN], sort=False).cumcount() + 1
    ).to_numpy()
    plate_rep = rep.groupby(wells[C.PLATE]).agg(
        lambda s: s.mode().iloc[0] if s.notna().any() else 1
    )
    filled = rep.fillna(wells[C.PLATE].map(plate_rep))
    return filled.astype(int)
