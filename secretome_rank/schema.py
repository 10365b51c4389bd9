"""Validation of the canonical well table: every problem of a file reported at once.

:func:`validate_wells` checks columns, roles, values, wells, duplicates, missing proteins and
controls, collects a readable message per problem (naming rows or wells, the column, what
was expected and how to fix it) and raises one :class:`~secretome_rank.errors.SchemaError`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from secretome_rank import columns as C
from secretome_rank.encode import (
    canonical_order,
    clean_text,
    equals_value,
    parse_well_codes,
    recode,
    run_starts,
    sort_wells,
    well_key,
)
from secretome_rank.errors import SchemaError, warn
from secretome_rank.layout import FORMATS, PlateFormat, row_letters

__all__ = ["READ_COLUMNS", "check_read", "describe_rows", "validate_wells"]

logger = logging.getLogger(__name__)

_MAX_LISTED = 5


#: how rows are named in messages, by the name of the Series of their numbers: lines of a
#: file (header = line 1), rows of an in-memory table (positions, as ``df.iloc``), or the
#: ``input_row`` column of :func:`~secretome_rank.read_screen`'s output
ROW_WORDS = {"line": "lines", "row": "rows", "input_row": "input_row"}


def describe_rows(lines: pd.Series, values: pd.Series | None = None) -> str:
    """Name the first few offending lines (and their values) and count the rest.

    The word is the name of ``lines`` when it is one of :data:`ROW_WORDS` (else "line").

    Examples
    --------
    >>> describe_rows(pd.Series([3, 7]), pd.Series(["x", "y"]))
    "lines 3 ('x'), 7 ('y')"
    >>> describe_rows(pd.Series([0], name="row"))
    'row 0 (counted from 0, as df.iloc)'
    """
    singular = lines.name if lines.name in ROW_WORDS else "line"
    lines = lines.reset_index(drop=True)
    shown = []
    for i in range(min(len(lines), _MAX_LISTED)):
        item = str(int(lines.iloc[i]))
        if values is not None:
            v = values.reset_index(drop=True).iloc[i]
            item += f" ({v!r})" if isinstance(v, str) else f" ({float(v):g})"
        shown.append(item)
    more = f" and {len(lines) - _MAX_LISTED} more" if len(lines) > _MAX_LISTED else ""
    word = singular if len(lines) == 1 else ROW_WORDS[str(singular)]
    how = " (counted from 0, as df.iloc)" if singular == "row" else ""
    return f"{word} {', '.join(shown)}{more}{how}"


def _mixed_plates(out: pd.DataFrame) -> list[object]:
    """Plates holding more than one cell line or treatment."""
    plate = out[C.PLATE].cat.codes.to_numpy()
    context = [
        pd.Series(out[col]).astype("category").cat.codes.to_numpy()
        for col in (C.CELL_LINE, C.TREATMENT)
    ]
    heads = np.flatnonzero(run_starts(plate, *context))
    plate = plate[heads]
    seen = plate >= 0
    mixed = np.zeros(out[C.PLATE].cat.categories.size, dtype=bool)
    for codes in (c[heads] for c in context):
        ref = np.full(mixed.size, -2)
        ref[plate[seen]] = codes[seen]  # one of each plate's codes
        mixed[plate[seen][codes[seen] != ref[plate[seen]]]] = True
    return list(out[C.PLATE].cat.categories[mixed])


#: wells (share of the table) that may lie outside the inferred plate format: they are then
#: reported as typos instead of making every plate of the table a larger format
FORMAT_SLACK = 0.01


def _infer_format(ids: pd.DataFrame, codes: NDArray[np.integer[Any]]) -> PlateFormat:
    """The plate format of a table from its well ids (:func:`parse_well_codes` ``ids``).

    The smallest standard format that holds the wells, with two rules against typos: rows
    beyond P alone never make a table 1536-well (columns beyond 24 do), and in a table of 96
    wells or more a few wells outside a format (at most 1 %, :data:`FORMAT_SLACK`, or one
    well) do not count. ``A25`` in a 384-well screen is then reported as outside the plate,
    instead of making the whole screen 1536-well and moving every plate's edge; a real
    1536-well screen has most of its wells beyond column 24.
    """
    ok = ids["ok"].to_numpy(dtype=bool)
    counts = np.bincount(codes[codes >= 0], minlength=len(ids))[: len(ids)]
    row = ids["row"].to_numpy(dtype=float, na_value=0.0)
    col = ids["col"].to_numpy(dtype=float, na_value=0.0)
    n = int(counts[ok].sum())
    slack = max(1.0, FORMAT_SLACK * n) if n >= 96 else 0.0

    def beyond(where: NDArray[np.bool_]) -> bool:
        return int(counts[ok & where].sum()) > slack

    small, medium, large = FORMATS.values()  # 96, 384, 1536
    if beyond(col > medium.n_cols):
        return large
    if not beyond((row > small.n_rows) | (col > small.n_cols)):
        return small
    return medium


def validate_wells(
    frame: pd.DataFrame,
    *,
    source: str = "input table",
    role_map: Mapping[str, str] | None = None,
    vehicle_words: tuple[str, ...] = C.DEFAULT_VEHICLE_WORDS,
    plate_format: int | None = None,
    missing_controls: str = "error",
    in_memory: bool = False,
) -> pd.DataFrame:
    """Validate a well table whose columns already carry canonical names.

    See :func:`secretome_rank.io.read_screen` for the parameters and the returned columns.
    ``in_memory``: the table was a DataFrame, not a file; messages then name rows by their
    position (from 0, as ``df.iloc``) instead of lines of a file, and so does ``input_row``.

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
    number_from = 0 if in_memory else 2  # a file's line 1 is its header
    line = pd.Series(
        np.arange(len(frame)) + number_from,
        index=out.index,
        copy=False,
        name="row" if in_memory else "line",
    )
    out["input_row"] = line
    well_order: np.ndarray | None = None  # set from the well ids when the table has them
    well_keys = np.zeros(0, dtype=np.int64)  # their sorted keys (plate, row, column)

    # plate -----------------------------------------------------------------------------
    plate = clean_text(frame[C.PLATE].reset_index(drop=True))
    bad = plate.isna()
    if bad.any():
        problems.append(
            f"column 'plate': empty in {describe_rows(line[bad])}; every well needs a plate id"
        )
    out[C.PLATE] = plate

    # role ------------------------------------------------------------------------------
    role_raw = clean_text(frame[C.ROLE].reset_index(drop=True))
    role = recode(role_raw, str.lower)
    if role_map:
        lower_map = {str(k).strip().lower(): str(v).strip().lower() for k, v in role_map.items()}
        bad_targets = sorted(set(lower_map.values()) - set(C.ROLES))
        if bad_targets:
            problems.append(
                f"role mapping targets {bad_targets} are not roles; expected one of "
                f"{', '.join(C.ROLES)}"
            )
        role = recode(role, lambda c: lower_map.get(c, c))
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
        text = clean_text(raw_value)
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
        well_text = clean_text(frame[C.WELL].reset_index(drop=True))
        ids, parsed = parse_well_codes(well_text)
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
            if fmt is None:
                fmt = _infer_format(ids, well_text.cat.codes.to_numpy())
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
                    f"{describe_rows(line[outside], well_text[outside].astype(object))}; "
                    f"expected rows A-{last} and columns 1-{fmt.n_cols} (pass --plate-format if "
                    "the plates are larger)"
                )
            well_order, shared, well_keys = sort_wells(well_key(plate, ids, well_text))
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
        protein = clean_text(frame[C.PROTEIN].reset_index(drop=True))
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
    named_control = role.isin([C.DRUG_CONTROL, C.VEHICLE_CONTROL]) & protein.notna()
    if named_control.any():  # a sample labelled as a control would shift the plate's scale
        shown = describe_rows(line[named_control], protein[named_control].astype(object))
        warn(
            f"{source}: control wells that name a protein in {shown}; they are used as "
            "controls (the protein is ignored); if they are samples, set their role to 'sample'"
        )
    out[C.PROTEIN] = protein.where(role == C.SAMPLE)

    # context ---------------------------------------------------------------------------
    for col, default in ((C.CELL_LINE, C.DEFAULT_CELL_LINE), (C.TREATMENT, "drug")):
        if col in frame.columns:
            s = clean_text(frame[col].reset_index(drop=True))
            if s.isna().any() and s.notna().any():
                problems.append(
                    f"column {col!r}: empty in {describe_rows(line[s.isna()])} while other rows "
                    f"have one; fill it in on every row"
                )
            if s.isna().all():
                warn(
                    f"{source}: column {col!r} is empty in every row; every well gets "
                    f"{col} {default!r}"
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
    for col in (C.CONCENTRATION, C.BATCH):
        if col in frame.columns:
            out[col] = frame[col].reset_index(drop=True).to_numpy()
    for col in frame.columns:
        if col not in out.columns and col not in (C.WELL, C.ROW, C.COL, *C.INPUT_COLUMNS):
            out[str(col)] = frame[col].reset_index(drop=True).to_numpy()

    # controls (also beside other problems, so that one run lists them all) --------------
    if not plate.isna().any():
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
    order = well_order if well_order is not None else canonical_order(out)
    if not bool(np.all(order[1:] > order[:-1])):  # a permutation: increasing = identity
        out = out.drop(columns="input_row").iloc[order].reset_index(drop=True)
        out["input_row"] = order + number_from
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


def _check_controls(out: pd.DataFrame, missing_controls: str) -> list[str]:
    """Drug-arm plates need drug controls; every cell line needs a vehicle reference.

    Controls count only with a reading: a control well whose value is empty anchors nothing.
    A plate without any reading (a plate the reader missed) needs no controls: QC fails it.
    Every well has a plate here (a missing plate id is reported before).
    """
    problems = []
    plate = out[C.PLATE].astype("category")
    pcodes = plate.cat.codes.to_numpy()
    read = out[C.VALUE].notna().to_numpy()

    def per_plate(role: str) -> np.ndarray:
        on = pcodes[equals_value(out[C.ROLE], role) & read]
        return np.bincount(on[on >= 0], minlength=plate.cat.categories.size)

    heads = np.flatnonzero(run_starts(pcodes))
    first = heads[~pd.Series(pcodes[heads]).duplicated().to_numpy()]  # first row of each plate
    first_plate = pcodes[first]  # plates in order of first appearance
    drug = np.asarray(out[C.ARM].iloc[first] == C.ARM_DRUG)
    read_plate = np.bincount(pcodes[read], minlength=plate.cat.categories.size)[first_plate] > 0
    drug_read = drug & read_plate
    no_dc = plate.cat.categories[
        first_plate[drug_read & (per_plate(C.DRUG_CONTROL)[first_plate] == 0)]
    ]
    if len(no_dc) and missing_controls == "error":
        extra = len(no_dc) - _MAX_LISTED
        more = f" and {extra} more" if extra > 0 else ""
        problems.append(
            f"plates {', '.join(map(str, no_dc[:_MAX_LISTED]))}"
            f"{more}"
            ": drug-arm plate without drug_control wells (or with no value in any of them), so "
            "0 % rescue is undefined; add the drug-only wells to the table, or pass "
            "--missing-controls robust-z (missing_controls='robust_z' in Python) to score such "
            "plates against their library median "
            "(rescue_pct is then not available)"
        )
    if missing_controls == "error":
        cell = out[C.CELL_LINE].astype("category").iloc[first]
        ccodes = cell.cat.codes.to_numpy()
        has_vc = np.bincount(
            ccodes,
            weights=per_plate(C.VEHICLE_CONTROL)[first_plate],
            minlength=cell.cat.categories.size,
        )
        need: list[int] = pd.unique(ccodes[drug_read]).tolist()  # in order of first appearance
        lacking = [cell.cat.categories[k] for k in need if has_vc[k] == 0]
        if lacking:
            problems.append(
                f"cell line(s) {', '.join(map(str, lacking[:_MAX_LISTED]))}: no vehicle_control "
                "wells with a value on any plate, so 100 % rescue is undefined; add the no-drug "
                "control wells, or pass --missing-controls robust-z "
                "(missing_controls='robust_z' in Python)"
            )
    if not equals_value(out[C.ROLE], C.SAMPLE).any():
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


#: the columns of :func:`~secretome_rank.read_screen`'s output: a table with all of them
#: (that output, a filtered copy, a result's ``wells``) need not be read again; a
#: ``wells.tsv`` read back lacks ``arm`` and ``input_row``
READ_COLUMNS = (*C.WELL_TABLE_COLUMNS, "input_row")


def check_read(wells: pd.DataFrame) -> None:
    """Check what an edit can break in a table :func:`~secretome_rank.read_screen` returned.

    No rows left, roles and arms outside the allowed words, readings that are not finite
    numbers >= 0 (lines named by ``input_row``): about 10 ms per million wells, where reading
    the table again would take seconds.

    Raises
    ------
    SchemaError
        Every problem found, at once.
    """
    source = "input table"
    if len(wells) == 0:
        raise SchemaError(
            f"{source}: no rows; expected one row per well (did a filter leave none?)"
        )
    problems = []
    # rows named by input_row: a line of the file read, or a position in the table given
    line = pd.Series(wells["input_row"].to_numpy(), copy=False, name="input_row")
    for col, allowed in ((C.ROLE, C.ROLES), (C.ARM, (C.ARM_DRUG, C.ARM_VEHICLE))):
        words = wells[col].reset_index(drop=True)
        if not isinstance(words.dtype, pd.CategoricalDtype):  # a wells.tsv read back, say
            words = words.astype("category")
        known = np.append(words.cat.categories.isin(allowed), False)  # last: missing
        bad = pd.Series(~known[words.cat.codes.to_numpy()], copy=False)
        if bad.any():
            problems.append(
                f"column {col!r}: {describe_rows(line[bad], words[bad].astype(object))}; "
                f"expected one of {', '.join(allowed)}"
            )
    raw = pd.Series(wells[C.VALUE].to_numpy(), copy=False)
    value = pd.to_numeric(raw, errors="coerce").astype(float)
    with np.errstate(invalid="ignore"):
        below = value.to_numpy() < 0
    for bad, what in (
        (value.isna() & raw.notna(), "not a number"),
        (pd.Series(np.isinf(value.to_numpy()), copy=False), "infinite"),
        (pd.Series(below, copy=False), "negative"),
    ):
        if bad.any():
            problems.append(
                f"column 'value': {what} in {describe_rows(line[bad], raw[bad])}; expected a "
                "finite number >= 0, or a missing value"
            )
    # a table put together from two reads (pd.concat of a screen with itself, say) would
    # count each well twice as a replicate
    row = wells[C.ROW].to_numpy(dtype=float, na_value=np.nan)
    column = wells[C.COL].to_numpy(dtype=float, na_value=np.nan)
    placed = ~(np.isnan(row) | np.isnan(column))
    if placed.any():
        plate = wells[C.PLATE].reset_index(drop=True)
        if not isinstance(plate.dtype, pd.CategoricalDtype):  # read_screen's is categorical
            plate = plate.astype("category")
        codes = plate.cat.codes.to_numpy().astype(np.int64)
        r = np.where(placed, row, 1).astype(np.int64) - 1
        c = np.where(placed, column, 1).astype(np.int64) - 1
        n_cols = int(c.max()) + 1
        # one slot per (plate, row, column): counting them is cheaper than hashing the keys
        key = ((codes + 1) * (int(r.max()) + 1) + r) * n_cols + c  # code -1: no plate
        counts = np.bincount(key[placed], minlength=int(key.max()) + 1)
        dup = pd.Series(placed & (counts[key] > 1), copy=False)
        if dup.any():
            pairs = (
                plate.astype(str)
                + ":"
                + pd.Series(wells[C.WELL].to_numpy(), copy=False).astype(str)
            )
            problems.append(
                f"columns 'plate','well': duplicate wells in "
                f"{describe_rows(line[dup], pairs[dup])}; each (plate, well) must appear once "
                "(was the table concatenated with itself?)"
            )
    if problems:
        raise SchemaError(
            f"{source}: {len(problems)} problem(s) found in a table with read_screen's columns "
            "(changed since it was read?)",
            problems=problems,
        )
