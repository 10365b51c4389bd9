"""Join grid exports, a plate map and a plate list into the canonical well table.

:func:`import_plates` reads the plate map (:mod:`~secretome_rank.importers.platemap`), the plate
list (:mod:`~secretome_rank.importers.platelist`) and the grid exports
(:mod:`~secretome_rank.importers.grid`) and returns the well table of DESIGN section 1.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError, LayoutError, SchemaError
from secretome_rank.importers._tables import (
    _LINE,
    PathLike,
    _key_text,
    _lines,
    finish_well_table,
)
from secretome_rank.importers.grid import (
    Grid,
    GridSelector,
    find_grids,
    grids_to_frame,
    select_grids,
)
from secretome_rank.importers.platelist import FILE, GRID, LAYOUT, _file_name, _read_plate_list
from secretome_rank.importers.platemap import _read_plate_map
from secretome_rank.layout import FORMATS, parse_wells, row_letters

__all__ = ["apply_defaults", "import_plates"]

logger = logging.getLogger(__name__)


def _locate(entries: Sequence[str], base: Path, listname: str) -> list[Path]:
    """Find the plate list's files under ``base`` (as given, by name, or recursively)."""
    found: list[Path] = []
    missing: list[str] = []
    for entry in entries:
        p = Path(entry.replace("\\", "/"))
        candidates = [p] if p.is_absolute() else [base / p, base / p.name]
        hit = next((c for c in candidates if c.is_file()), None)
        if hit is None and not p.is_absolute():
            hit = next(iter(sorted(base.rglob(p.name))), None)
        if hit is None:
            missing.append(entry)
        else:
            found.append(hit)
    if missing:
        raise SchemaError(
            f"{listname}: {len(missing)} listed file(s) not found under {base}",
            problems=[
                f"{m}: no such file; pass the data folder (data_dir=...) or the files themselves"
                for m in missing
            ],
        )
    return found


def _signature(wells: pd.DataFrame) -> pd.Series:
    """Per plate, a code for its layout (well, role, protein, concentration)."""
    names = [C.WELL, C.ROLE, C.PROTEIN]
    if C.CONCENTRATION in wells.columns:
        names.append(C.CONCENTRATION)
    parts = [_key_text(wells[n]) for n in names]
    # pandas-stubs: `others` may not be a list of Series (pandas accepts one)
    token = parts[0].str.cat(parts[1:], sep="|")  # type: ignore[arg-type]
    joined = token.groupby(wells[C.PLATE], sort=False).agg(";".join)
    codes, _ = pd.factorize(joined)
    return pd.Series(codes, index=joined.index)


def _resolve_files(
    files: PathLike | Sequence[PathLike] | None,
    plist: pd.DataFrame | None,
    list_name: str,
    data_dir: PathLike | None,
) -> tuple[pd.DataFrame, list[Path]]:
    """Pair each plate-list row with a file path (or build the list from the files)."""
    if files is None:
        given: list[Path] = []
    elif isinstance(files, str | os.PathLike):
        given = [Path(files)]
    else:
        given = [Path(f) for f in files]
    missing = [str(p) for p in given if not p.is_file()]
    if missing:
        raise SchemaError(
            f"import_plates: {len(missing)} file(s) not found",
            problems=[f"{m}: no such file" for m in missing],
        )
    if plist is None:
        if not given:
            raise SchemaError("import_plates: give the grid files, a plate list, or both")
        stems = [p.stem for p in given]
        dup = sorted({s for s in stems if stems.count(s) > 1})
        if dup:
            raise SchemaError(
                f"import_plates: several files are named {', '.join(dup)}; without a plate "
                "list plate ids come from file names; give a plate list with a 'plate' column"
            )
        return pd.DataFrame({FILE: [p.name for p in given], C.PLATE: stems}), given
    if not given:
        base = Path(data_dir) if data_dir is not None else Path(list_name).parent
        return plist, _locate([str(f) for f in plist[FILE]], base, list_name)
    names = plist[FILE].map(lambda f: _file_name(f).lower())
    lookup = {p.name.lower(): p for p in given}
    unknown = [p.name for p in given if p.name.lower() not in set(names)]
    if unknown:
        raise SchemaError(
            f"{list_name}: {len(unknown)} given file(s) are not in the plate list",
            problems=[
                f"{u}: add a row for it to the plate list (column 'file') or leave it out"
                for u in unknown
            ],
        )
    keep = names.isin(lookup).to_numpy()
    if not keep.all():
        skipped = plist.loc[~keep, FILE].astype(str).tolist()
        warnings.warn(
            f"{list_name}: {len(skipped)} plate-list row(s) have no matching file among the "
            f"files given and are skipped ({', '.join(skipped[:5])}"
            f"{', ...' if len(skipped) > 5 else ''})",
            UserWarning,
            stacklevel=3,
        )
    return plist[keep].reset_index(drop=True), [lookup[n] for n in names[keep]]


def _read_all_grids(
    plist: pd.DataFrame, paths: Sequence[Path], grid: GridSelector
) -> tuple[pd.DataFrame, list[int]]:
    """Read the grids for every plate-list row; one error for all files' problems."""
    parsed: dict[Path, list[Grid]] = {}
    problems: list[str] = []
    for p in dict.fromkeys(paths):
        try:
            parsed[p] = find_grids(p)
        except LayoutError as exc:
            problems += [f"{p}: {q}" for q in exc.problems] or [str(exc)]
    if problems:
        raise LayoutError(f"{len(problems)} problem(s) in the grid exports", problems=problems)
    frames = []
    several: list[Path] = []
    for k, p in enumerate(paths):
        row = plist.iloc[k]
        sel = row[GRID] if GRID in plist.columns and pd.notna(row[GRID]) else grid
        if sel is None and len(parsed[p]) > 1:
            several.append(p)
        chosen = select_grids(parsed[p], sel, source=p, warn=False)
        plate = str(row[C.PLATE])
        names = [plate] if len(chosen) == 1 else [f"{plate}_{g.index}" for g in chosen]
        part = grids_to_frame(chosen, names, source=p)
        part["_order"] = k
        frames.append(part)
    if several:
        listed = ", ".join(p.name for p in several[:3]) + (", ..." if len(several) > 3 else "")
        warnings.warn(
            f"{len(several)} file(s) hold several grids ({listed}); using the first grid of "
            f"each ('{parsed[several[0]][0].title}'). Pass grid=<index or title text> "
            "(CLI --grid) to choose.",
            UserWarning,
            stacklevel=3,
        )
    wells = pd.concat(frames, ignore_index=True)
    counts = wells.drop_duplicates([C.PLATE, "_order"])[C.PLATE].value_counts()
    if (counts > 1).any():
        raise SchemaError(
            "import_plates: plate ids are not unique: "
            + ", ".join(counts.index[counts > 1].astype(str))
            + "; give distinct 'plate' ids in the plate list"
        )
    formats = sorted({g.n_wells for gl in parsed.values() for g in gl})
    return wells, formats


def _join_map(
    wells: pd.DataFrame, pmap: pd.DataFrame, map_name: str, formats: Sequence[int]
) -> pd.DataFrame:
    """Left-join the plate map; every plate well must have an entry, every entry fit."""
    per_plate = C.PLATE in pmap.columns
    problems: list[str] = []
    right = pmap.drop(columns=_LINE)
    if per_plate:
        key = wells[LAYOUT] if LAYOUT in wells.columns else wells["_list_plate"]
        wells["_key"] = key.where(key.notna(), wells["_list_plate"]).astype(str)
        right = right.rename(columns={C.PLATE: "_key"})
        right["_key"] = right["_key"].astype(str)
        known = sorted(set(right["_key"]))
        for k in wells.loc[~wells["_key"].isin(known), "_key"].unique():
            problems.append(
                f"{map_name}: no plate-map entries for plate {k!r} (the map's plate column has "
                f"{', '.join(known[:5])}{', ...' if len(known) > 5 else ''}); add rows for "
                "it or give a 'layout' column in the plate list"
            )
        on = ["_key", C.WELL]
    else:
        on = [C.WELL]
    parsed = parse_wells(pmap[C.WELL].astype(object))
    plate_size = wells.groupby(C.PLATE)[C.WELL].transform("size")
    for n_wells in formats:
        fmt = FORMATS[n_wells]
        too_far = (parsed["row"] > fmt.n_rows) | (parsed["col"] > fmt.n_cols)
        outside = too_far.fillna(False).to_numpy(dtype=bool)
        if per_plate:
            keys = set(wells.loc[plate_size == n_wells, "_key"])
            outside = outside & pmap[C.PLATE].astype(str).isin(keys).to_numpy()
        elif len(formats) > 1:
            continue  # one map for plates of several sizes: only wells missing matter
        if outside.any():
            ex = ", ".join(pmap.loc[outside, C.WELL].head(5))
            last = row_letters(fmt.n_rows)[-1]
            problems.append(
                f"{map_name}, {_lines(pmap, outside)}: well(s) {ex} outside a {n_wells}-well "
                f"plate (rows A-{last}, columns 1-{fmt.n_cols}); fix the well ids or check "
                "that the map belongs to these plates"
            )
    clash = [c for c in right.columns if c in wells.columns and c not in on]
    right = right.rename(columns={c: f"{c}_map" for c in clash})
    wells = wells.merge(right, on=on, how="left", validate="many_to_one", indicator="_m")
    unmapped = (wells["_m"] == "left_only").to_numpy()
    if unmapped.any():
        for plate, grp in wells[unmapped].groupby(C.PLATE, sort=False):
            ex = ", ".join(grp[C.WELL].head(6))
            problems.append(
                f"{map_name}: plate {plate!r}: {len(grp)} well(s) have no plate-map entry "
                f"({ex}{', ...' if len(grp) > 6 else ''}); add them to the map (role 'empty' "
                "for unused wells)"
            )
    if problems:
        raise LayoutError(
            f"{len(problems)} problem(s) joining the plate map to the plates", problems=problems
        )
    return wells.drop(columns=["_m", "_key"], errors="ignore")


def _replicates(wells: pd.DataFrame, list_name: str) -> pd.Series:
    """Replicate per plate: given (checked for clashes) or numbered within context + layout."""
    sig = _signature(wells)
    first = wells.drop_duplicates(C.PLATE)
    plates = pd.DataFrame(
        {
            C.PLATE: first[C.PLATE].to_numpy(),
            "_c": _key_text(first[C.CELL_LINE]).to_numpy(),
            "_t": _key_text(first[C.TREATMENT]).to_numpy(),
        }
    )
    plates["_sig"] = plates[C.PLATE].map(sig).to_numpy()
    if C.REPLICATE in first.columns:
        plates[C.REPLICATE] = first[C.REPLICATE].to_numpy()
        ctx = ["_c", "_t", "_sig", C.REPLICATE]
        clash = plates.duplicated(ctx, keep=False).to_numpy()
        if clash.any():
            found = [
                f"plates {', '.join(grp[C.PLATE])} all claim replicate "
                f"{int(grp[C.REPLICATE].iloc[0])} of cell line {grp['_c'].iloc[0]!r}, "
                f"treatment {grp['_t'].iloc[0]!r} with the same plate-map contents; fix the "
                "replicate column"
                for _, grp in plates[clash].groupby(ctx, sort=False)
            ]
            raise SchemaError(f"{list_name}: conflicting replicate numbers", problems=found)
    else:
        plates[C.REPLICATE] = plates.groupby(["_c", "_t", "_sig"], sort=False).cumcount() + 1
    return wells[C.PLATE].map(plates.set_index(C.PLATE)[C.REPLICATE])


def apply_defaults(wells: pd.DataFrame, defaults: Mapping[str, str] | None) -> pd.DataFrame:
    """Fill the plate-level columns ``cell_line``, ``treatment``, ``batch`` where missing.

    ``defaults`` maps a column to the value its missing cells (or the whole column, if
    absent) get, e.g. ``{"treatment": "none"}`` to mark imported plates as the vehicle arm.

    Raises
    ------
    ConfigError
        A key that is not one of the three columns.
    """
    bad_keys = sorted(set(defaults or {}) - {C.CELL_LINE, C.TREATMENT, C.BATCH})
    if bad_keys:
        raise ConfigError(
            f"defaults: {', '.join(bad_keys)} not a plate-level column; expected cell_line, "
            "treatment or batch"
        )
    for col, value in (defaults or {}).items():
        if col not in wells.columns:
            wells[col] = None
        wells[col] = wells[col].where(wells[col].notna(), str(value))
    return wells


def import_plates(
    files: PathLike | Sequence[PathLike] | None = None,
    *,
    plate_map: PathLike | pd.DataFrame,
    plate_list: PathLike | pd.DataFrame | None = None,
    role_map: Mapping[str, str] | None = None,
    grid: GridSelector = None,
    data_dir: PathLike | None = None,
    map_columns: Mapping[str, str] | None = None,
    list_columns: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Build the canonical well table from grid exports, a plate map and a plate list.

    Parameters
    ----------
    files : path or sequence of paths, optional
        Grid exports. If omitted, the plate list's ``file`` column is used (relative to
        ``data_dir``, else to the plate list's folder; searched recursively by name). If both
        are given, every file must be in the plate list (matched by file name); list rows
        whose file is not given are skipped with a ``UserWarning``.
    plate_map : path or pandas.DataFrame
        See :func:`read_plate_map`.
    plate_list : path or pandas.DataFrame, optional
        See :func:`read_plate_list`. Without it, plate ids are the file names without
        extension, the cell line is ``"cells"``, treatment is missing and replicates are
        numbered.
    role_map : mapping of str to str, optional
        Plate-map word -> role (case-insensitive), e.g.
        ``{"DMSO": "vehicle_control", "neg": "drug_control"}``.
    grid : int, str, ``"all"`` or None
        Grid choice for files whose plate-list row has no ``grid`` entry (see
        :func:`~secretome_rank.importers.grid.select_grids`). ``None``: the first grid, with a
        single ``UserWarning`` naming the files that hold several.
    data_dir : path, optional
        Folder holding the files named in the plate list.
    map_columns, list_columns : mapping of str to str, optional
        Column-name overrides for the plate map and plate list.
    defaults : mapping of str to str, optional
        Values of plate-level columns (``cell_line``, ``treatment``, ``batch``) for plates
        whose plate-list entry has none, e.g. ``{"treatment": "none"}`` for a screen without a
        drug arm (a plain viability screen is the vehicle arm of DESIGN section 1).

    Returns
    -------
    pandas.DataFrame
        One row per well, plates in plate-list (or file) order, wells row-major:
        ``plate``, ``well``, ``value`` (float, NaN = missing), ``role``, ``protein`` (NaN for
        non-sample wells), ``cell_line``, ``treatment`` (NaN when not given), ``replicate``
        (int; if not given: 1, 2, ... over plates with the same cell line, treatment and
        plate-map contents, in order), then ``concentration`` and ``batch`` when given,
        ``content`` (the plate-map word before role mapping), ``source_file``, and any other
        plate-list and plate-map columns.

    Raises
    ------
    LayoutError
        Grid problems (all files' problems in one error), map wells outside the plate,
        plate wells missing from the map.
    SchemaError
        Plate map or plate list problems, files not found or not in the plate list, two
        plates claiming the same replicate of the same layout and context.
    ConfigError
        Invalid ``role_map`` or column overrides.

    Examples
    --------
    >>> from pathlib import Path
    >>> d = Path(__file__).resolve().parents[2] / "fixtures" / "imports"
    >>> wells = import_plates(
    ...     plate_map=d / "plate_map.csv", plate_list=d / "plate_list.csv",
    ...     role_map={"neg": "drug_control", "pos": "vehicle_control"}, grid="Raw data")
    >>> wells.groupby("plate").size().to_dict()
    {'rep1': 96, 'rep2': 96}
    """
    pmap, map_name = _read_plate_map(plate_map, role_map=role_map, columns=map_columns)
    plist: pd.DataFrame | None = None
    list_name = ""
    if plate_list is not None:
        plist, list_name = _read_plate_list(plate_list, columns=list_columns)
    plist, paths = _resolve_files(files, plist, list_name, data_dir)
    wells, formats = _read_all_grids(plist, paths, grid)

    meta = plist.drop(columns=[c for c in (FILE, GRID, _LINE) if c in plist.columns])
    meta = meta.rename(columns={C.PLATE: "_list_plate"})
    meta["_order"] = np.arange(len(meta))
    wells = wells.merge(meta, on="_order", how="left", validate="many_to_one")
    wells = _join_map(wells, pmap, map_name, formats)

    wells = apply_defaults(wells, defaults)
    if C.CELL_LINE not in wells.columns:
        wells[C.CELL_LINE] = None
    wells[C.CELL_LINE] = wells[C.CELL_LINE].where(wells[C.CELL_LINE].notna(), C.DEFAULT_CELL_LINE)
    if C.TREATMENT not in wells.columns:
        wells[C.TREATMENT] = None
    conc_map = C.CONCENTRATION + "_map"
    if conc_map in wells.columns:  # plate-wide concentration in the list; the map's wins
        wells[C.CONCENTRATION] = wells[conc_map].where(
            wells[conc_map].notna(), wells[C.CONCENTRATION]
        )
        wells = wells.drop(columns=conc_map)
    wells[C.REPLICATE] = _replicates(wells, list_name or "import_plates").to_numpy()
    wells = wells.sort_values("_order", kind="stable")
    drop = ["_order", "_list_plate", "grid", "grid_title", LAYOUT]
    wells = wells.drop(columns=[c for c in drop if c in wells.columns])
    logger.info("imported %d plates, %d wells", wells[C.PLATE].nunique(), len(wells))
    return finish_well_table(wells)
