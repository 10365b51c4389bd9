"""Import cellHTS2 screen folders (Boutros, Bras & Huber 2006; Pelz et al. 2010).

A cellHTS2 folder holds ``Platelist.txt`` (``Filename``, ``Plate``, ``Replicate``, optional
``Batch``/``Channel``), one result file per plate and replicate (three tab-separated columns
``plate id, well, value`` without header, or a plate-reader grid export), ``Plateconf.txt``
(header lines ``Wells: 384`` / ``Plates: 3``, then ``Plate Well Content`` rules with wildcards
and regular expressions, later rules overriding earlier ones), optionally ``Screenlog.txt``
(flagged wells, set to missing), ``Description.txt`` (kept as metadata) and a gene annotation
file (``GeneIDs*.txt``).

Each imported plate is named after its result file (``plate`` = file name stem); the
Platelist ``Plate`` number is kept as ``cellhts2_plate`` and ``Replicate`` as ``replicate``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import LayoutError, SchemaError
from secretome_rank.importers._tables import (
    CONTENT,
    SOURCE_FILE,
    PathLike,
    _lines,
    finish_well_table,
    read_table,
)
from secretome_rank.importers.cellhts2_conf import (
    CELLHTS2_PLATE,
    apply_plate_conf,
    read_plate_conf,
)
from secretome_rank.importers.cellhts2_files import (
    FLAG_COMMENT,
    _apply_screen_log,
    _col,
    _find,
    _int_column,
    _join_annotation,
    _read_three_columns,
    _require_columns,
    _values_from_three_columns,
    read_description,
)
from secretome_rank.importers.grid import GridSelector, find_grids, read_text, select_grids
from secretome_rank.importers.platemap import _suggest, map_roles, validate_role_map
from secretome_rank.layout import FORMATS, PlateFormat, format_for, well_id

__all__ = [
    "CELLHTS2_PLATE",
    "DEFAULT_CELLHTS2_ROLE_MAP",
    "FLAG_COMMENT",
    "apply_plate_conf",
    "import_cellhts2",
    "read_description",
    "read_plate_conf",
]

logger = logging.getLogger(__name__)

#: Default translation of cellHTS2 well contents (case-insensitive) to our roles.
#: cellHTS2's ``neg`` wells are the *no-effect* reference and ``pos`` wells the *full-effect*
#: reference, which is what our ``drug_control`` (0 % rescue) and ``vehicle_control`` (100 %
#: rescue) are; ``rescue_pct`` then reads as percent of the positive-control effect (cellHTS2's
#: NPI scale). ``other`` wells take part in nothing, like our ``empty``. Named controls
#: (``PosSpike``, ``mock``, ``up``, ...) have no default: map them with ``role_map``.
DEFAULT_CELLHTS2_ROLE_MAP: dict[str, str] = {
    "sample": C.SAMPLE,
    "neg": C.DRUG_CONTROL,
    "pos": C.VEHICLE_CONTROL,
    "other": C.EMPTY,
    "empty": C.EMPTY,
}


def import_cellhts2(
    folder: PathLike,
    *,
    role_map: Mapping[str, str] | None = None,
    grid: GridSelector = None,
    channel: int = 1,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Import a cellHTS2 screen folder as the canonical well table.

    Parameters
    ----------
    folder : str or os.PathLike
        The screen folder. File names come from ``Description.txt``'s ``[Files]`` section
        when present, else ``Platelist.txt``, ``Plateconf.txt``, ``Screenlog.txt`` and a
        single ``GeneIDs*.txt`` (names matched case-insensitively). Without a plate list,
        the files named on the description's ``plateList:`` line are read as multi-plate
        grid exports: file *k* is replicate *k* and its grid *j* is plate *j* (the
        ``KcCellTiter`` layout; the number of grids must equal ``Plates:``).
    role_map : mapping of str to str, optional
        Plate-configuration content -> role, case-insensitive, on top of
        :data:`DEFAULT_CELLHTS2_ROLE_MAP` (``sample`` -> sample, ``neg`` -> drug_control,
        ``pos`` -> vehicle_control, ``other``/``empty`` -> empty). Named controls such as
        ``PosSpike`` must be mapped (CLI ``--role-map PosSpike=vehicle_control``).
    grid : int, str, ``"all"`` or None
        Which grid of a grid-export result file to read (see
        :func:`~secretome_rank.importers.grid.select_grids`).
    channel : int, default 1
        For multi-channel plate lists (``Channel`` column), the channel to import.

    Returns
    -------
    wells : pandas.DataFrame
        One row per plate file and well: ``plate`` (result file name stem, ``_<k>`` added
        for grid *k* of a multi-plate file), ``well``, ``value`` (float; NaN for wells
        flagged in the screen log or missing), ``role``, ``protein`` (gene symbol, else gene
        id from the annotation, else ``P<plate>-<well>``; NaN for non-sample wells),
        ``cell_line`` (description ``Celltype``, else ``"cells"``), ``treatment`` (NaN),
        ``replicate`` (Platelist ``Replicate``), ``batch`` (if the Platelist has one),
        ``content`` (the plate-configuration content as written), ``cellhts2_plate``
        (Platelist ``Plate``), ``flag_comment`` (screen-log comment, NaN if not flagged),
        ``source_file``, then the annotation columns in snake case (e.g. ``gene_id``).
        Wells with content ``empty`` keep their reading (cellHTS2 sets them to NA); their
        role ``empty`` keeps them out of every statistic.
    metadata : dict
        JSON-serialisable: ``format``, ``folder``, ``files`` (which file played which part),
        ``description`` (sections of ``Description.txt``), ``n_wells``, ``n_plates``,
        ``n_replicates``, ``plate_conf`` (the rules), ``role_map`` (content -> role for the
        contents present), ``screen_log`` (flagged wells) and ``n_flagged``.

    Raises
    ------
    SchemaError
        Missing files, malformed plate list, plate configuration or screen log, unmapped
        contents (all listed with lines and a suggested ``role_map``).
    LayoutError
        Result files whose grid or wells do not fit the plate format.

    Notes
    -----
    Plate-configuration patterns follow cellHTS2 ``configure``: see :func:`apply_plate_conf`.
    Every screen-log row sets its well to missing whatever its ``Flag`` value, as cellHTS2
    does. Scores like cellHTS2's are computed by
    :func:`secretome_rank.normalize_cellhts2.cellhts2_scores`.

    References
    ----------
    Boutros M, Bras LP, Huber W (2006). Analysis of cell-based RNAi screens. Genome Biology
    7:R66. https://doi.org/10.1186/gb-2006-7-7-r66

    Pelz O, Gilsdorf M, Boutros M (2010). web cellHTS2: a web-application for the analysis
    of high-throughput screening data. BMC Bioinformatics 11:185.
    https://doi.org/10.1186/1471-2105-11-185

    Examples
    --------
    >>> from pathlib import Path
    >>> d = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "cellhts2_mini"
    >>> wells, meta = import_cellhts2(d, role_map={"PosSpike": "vehicle_control"})
    >>> len(wells), meta["n_plates"], meta["n_flagged"]
    (384, 2, 2)
    """
    root = Path(folder)
    if not root.is_dir():
        raise SchemaError(f"{root}: not a folder; expected a cellHTS2 screen folder")
    rmap = dict(DEFAULT_CELLHTS2_ROLE_MAP)
    rmap.update(validate_role_map(role_map))

    desc_path = _find(root, "Description.txt")
    description = read_description(desc_path) if desc_path else {}
    files_sec = {k.lower(): v for k, v in description.get("Files", {}).items()}
    screen_sec = description.get("Screen description", {})

    # --- which file is which --------------------------------------------------------------
    listed = files_sec.get("platelist", "").replace(",", " ").split()
    plist_path = None
    if len(listed) == 1:
        cand = _find(root, listed[0])
        if cand is not None and "filename" in (read_text(cand)[:1] or [""])[0].lower():
            plist_path = cand
    plist_path = plist_path or _find(root, "Platelist.txt")
    multi_files: list[Path] = []
    if plist_path is None:
        multi_files = [p for p in (_find(root, n) for n in listed) if p is not None]
        if not multi_files or len(multi_files) != len(listed):
            raise SchemaError(
                f"{root}: no plate list found; expected Platelist.txt (columns Filename, Plate, "
                "Replicate) or result files named on Description.txt's 'plateList:' line"
            )
    conf_path = _find(root, files_sec.get("plateconf") or "Plateconf.txt") or _find(
        root, "Plateconf.txt"
    )
    if conf_path is None:
        raise SchemaError(
            f"{root}: no Plateconf.txt found; cellHTS2 folders need a plate configuration "
            "(Wells:/Plates: lines and Plate, Well, Content rules)"
        )
    log_name = files_sec.get("screenlog", "")
    log_path = _find(root, log_name) if log_name else _find(root, "Screenlog.txt")
    ann_path = _find(root, files_sec.get("annotation", ""))
    if ann_path is None:
        genes = sorted(p for p in root.iterdir() if p.name.lower().startswith("geneids"))
        ann_path = genes[0] if len(genes) == 1 else None
    # a file Description.txt names but the folder lacks: say what is lost
    for kind, name, found, lost in (
        ("screen log", log_name, log_path, "no well is flagged"),
        (
            "annotation",
            files_sec.get("annotation", ""),
            ann_path,
            "proteins are named P<plate>-<well>",
        ),
    ):
        if name and found is None:
            warnings.warn(
                f"{root}: Description.txt names the {kind} {name!r}, which is not in the "
                f"folder: {lost}; add the file",
                UserWarning,
                stacklevel=2,
            )

    rules, header = read_plate_conf(conf_path)
    problems: list[str] = []
    batches: np.ndarray | None = None

    # --- plate list -> (file, plate, replicate, batch) -------------------------------------
    if plist_path is not None:
        plist = read_table(plist_path, what="plate list").frame
        src = plist_path.name
        need = _require_columns(
            plist,
            ("Filename", "Plate", "Replicate"),
            path=plist_path,
            what="plate list",
            expected="Filename, Plate, Replicate (tab-separated, with a header line)",
        )
        ch_col = _col(plist, "Channel")
        if ch_col is not None:
            ch = pd.to_numeric(plist[ch_col], errors="coerce")
            if not (ch == channel).any():
                raise SchemaError(
                    f"{plist_path}: no rows for channel {channel} (column {ch_col!r} has "
                    f"{', '.join(map(str, sorted(ch.dropna().unique())))}); pass channel=..."
                )
            plist = plist[(ch == channel).to_numpy()].reset_index(drop=True)
        plates = _int_column(plist, need["Plate"], "Plate", problems, source=src)
        reps = _int_column(plist, need["Replicate"], "Replicate", problems, source=src)
        entries = plist[need["Filename"]].astype(str).tolist()
        batch_col = _col(plist, "Batch")
        batches = plist[batch_col].to_numpy(dtype=object) if batch_col else None
        dup = pd.DataFrame({"p": plates, "r": reps}).duplicated(keep=False).to_numpy()
        if dup.any():
            problems.append(
                f"{src}, {_lines(plist, dup)}: Plate and Replicate pairs listed more than once; "
                "each plate file must be one plate of one replicate"
            )
        paths = [_find(root, Path(e.replace("\\", "/")).name) for e in entries]
        for e, p in zip(entries, paths, strict=True):
            if p is None:
                problems.append(f"{src}: file {e!r} not found in {root}")
        if problems:
            raise SchemaError(
                f"{root}: {len(problems)} problem(s) in the plate list", problems=problems
            )
        n_plates = int(plates.max())
    else:
        n_plates = header.get("Plates", 0)
        if n_plates < 1:
            raise SchemaError(
                f"{conf_path}: 'Plates: N' header needed to split multi-plate result files"
            )
    if "Plates" in header and header["Plates"] != n_plates:
        raise SchemaError(
            f"{conf_path}: header says 'Plates: {header['Plates']}' but the plate list has "
            f"plates 1-{n_plates}; fix one of them"
        )

    # --- result files -----------------------------------------------------------------------
    fmt: PlateFormat | None = FORMATS.get(header.get("Wells", 0))
    if "Wells" in header and fmt is None:
        raise SchemaError(
            f"{conf_path}: 'Wells: {header['Wells']}' is not a supported format; expected 96, "
            "384 or 1536"
        )
    values: list[np.ndarray] = []
    meta_rows: list[tuple[str, int, int, object, str]] = []
    n_missing: dict[str, int] = {}
    if plist_path is not None:
        for k, p in enumerate(paths):
            assert p is not None  # checked above
            three = _read_three_columns(read_text(p))
            if three is not None:
                if fmt is None:
                    fmt = format_for(int(three["row"].max()), int(three["col"].max()))
                    if fmt is None:
                        raise LayoutError(f"{p}: wells beyond a 1536-well plate")
                v, n_miss = _values_from_three_columns(three, fmt, p.name, problems)
            else:
                try:
                    g = select_grids(find_grids(p), grid, source=p)[0]
                except LayoutError as exc:
                    problems += [f"{p.name}: {q}" for q in exc.problems] or [str(exc)]
                    continue
                fmt = fmt or FORMATS[g.n_wells]
                if g.n_wells != fmt.n_wells:
                    problems.append(
                        f"{p.name}: {g.label()} has {g.n_wells} wells but Plateconf says "
                        f"Wells: {fmt.n_wells}"
                    )
                    continue
                v, n_miss = g.values.ravel(), 0
            if n_miss:
                n_missing[p.name] = n_miss
            values.append(v)
            batch = batches[k] if batches is not None else None
            meta_rows.append((p.stem, int(plates[k]), int(reps[k]), batch, p.name))
    else:
        for rep, p in enumerate(multi_files, start=1):
            try:
                grids = find_grids(p)
            except LayoutError as exc:
                problems += [f"{p.name}: {q}" for q in exc.problems] or [str(exc)]
                continue
            if len(grids) != n_plates:
                problems.append(
                    f"{p.name}: {len(grids)} grid(s) but Plateconf says Plates: {n_plates}; each "
                    "file of the description's plateList must hold one grid per plate"
                )
                continue
            for g in grids:
                fmt = fmt or FORMATS[g.n_wells]
                if g.n_wells != fmt.n_wells:
                    problems.append(f"{p.name}: {g.label()} does not have {fmt.n_wells} wells")
                    continue
                values.append(g.values.ravel())
                meta_rows.append((f"{p.stem}_{g.index}", g.index, rep, None, p.name))
    stems = pd.Series([m[0] for m in meta_rows])
    if stems.duplicated().any():
        problems.append(
            "several result files give the same plate id (file name without extension): "
            + ", ".join(stems[stems.duplicated()].unique())
            + "; rename the files"
        )
    if problems:
        raise LayoutError(
            f"{root}: {len(problems)} problem(s) in the result files", problems=problems
        )
    assert fmt is not None
    if n_missing:
        warnings.warn(
            f"{root}: result files list fewer than {fmt.n_wells} wells; the others are "
            f"missing: {', '.join(f'{k} ({v})' for k, v in n_missing.items())}",
            UserWarning,
            stacklevel=2,
        )

    # --- assemble ---------------------------------------------------------------------------
    n = fmt.n_wells
    meta = pd.DataFrame(
        meta_rows, columns=[C.PLATE, CELLHTS2_PLATE, C.REPLICATE, C.BATCH, SOURCE_FILE]
    )
    rows = np.repeat(np.arange(1, fmt.n_rows + 1), fmt.n_cols)
    cols = np.tile(np.arange(1, fmt.n_cols + 1), fmt.n_rows)
    wells = meta.loc[np.repeat(np.arange(len(meta)), n)].reset_index(drop=True)
    wells[C.WELL] = np.tile(well_id(rows, cols), len(meta))
    wells[C.VALUE] = np.concatenate(values)
    conf = apply_plate_conf(rules, n_plates=n_plates, fmt=fmt, source=str(conf_path))
    wells = wells.merge(conf, on=[CELLHTS2_PLATE, C.WELL], how="left", validate="many_to_one")

    roles, unmapped = map_roles(wells[CONTENT], rmap, strict=True)
    if unmapped.any():
        bad_words = wells.loc[unmapped, [CONTENT, "conf_line"]].drop_duplicates()
        msgs = []
        for word, grp in bad_words.groupby(bad_words[CONTENT].str.lower(), sort=True):
            original = grp[CONTENT].iloc[0]
            suggestion = _suggest(word)
            msgs.append(
                f"{conf_path.name} line(s) {', '.join(map(str, sorted(grp['conf_line'])))}: "
                f"content {original!r} is not mapped to a role; expected one of "
                f"{', '.join(C.ROLES)}; map it, e.g. role_map={{'{original}': '{suggestion}'}} "
                f"(CLI --role-map {original}={suggestion})"
            )
        raise SchemaError(
            f"{root}: plate-configuration contents without a role (defaults: "
            + ", ".join(f"{k}->{v}" for k, v in DEFAULT_CELLHTS2_ROLE_MAP.items())
            + ")",
            problems=msgs,
        )
    wells[C.ROLE] = roles.to_numpy()

    # --- screen log ---------------------------------------------------------------------------
    wells[FLAG_COMMENT] = None
    log_records: list[dict[str, object]] = []
    if log_path is not None:
        wells, log_records = _apply_screen_log(wells, log_path, channel=channel)

    # --- annotation -> protein ----------------------------------------------------------------
    ann_cols: list[str] = []
    if ann_path is not None:
        wells, ann_cols = _join_annotation(wells, ann_path)
    protein: pd.Series = pd.Series(np.nan, index=wells.index, dtype=object)
    preferred = [c for c in ("gene_symbol", "symbol", "gene_id", "geneid") if c in ann_cols]
    for c in preferred + [c for c in ann_cols if c not in preferred]:
        protein = protein.where(protein.notna(), wells[c])
    fallback = "P" + wells[CELLHTS2_PLATE].astype(str) + "-" + wells[C.WELL].astype(str)
    protein = protein.where(protein.notna(), fallback)
    wells[C.PROTEIN] = protein.where(wells[C.ROLE] == C.SAMPLE, None)
    wells[C.CELL_LINE] = screen_sec.get("Celltype") or C.DEFAULT_CELL_LINE
    wells[C.TREATMENT] = None
    if batches is None:
        wells = wells.drop(columns=C.BATCH)
    wells = wells.drop(columns="conf_line")
    out = finish_well_table(wells, lead=(CELLHTS2_PLATE, FLAG_COMMENT))

    metadata: dict[str, object] = {
        "format": "cellHTS2",
        "folder": str(root),
        "files": {
            "description": desc_path.name if desc_path else None,
            "plate_list": plist_path.name if plist_path else None,
            "plate_conf": conf_path.name,
            "screen_log": log_path.name if log_path else None,
            "annotation": ann_path.name if ann_path else None,
            "results": list(dict.fromkeys(str(m[4]) for m in meta_rows)),
        },
        "description": description,
        "n_wells": fmt.n_wells,
        "n_plates": n_plates,
        "n_replicates": int(meta[C.REPLICATE].nunique()),
        "plate_conf": [
            {"line": int(line), "plate": str(plate), "well": str(well), "content": str(content)}
            for line, plate, well, content in zip(
                rules["line"], rules["plate"], rules["well"], rules["content"], strict=True
            )
        ],
        "role_map": {
            str(w): str(r)
            for w, r in out[[CONTENT, C.ROLE]].drop_duplicates().itertuples(index=False)
        },
        "screen_log": log_records,
        "n_flagged": int(out[FLAG_COMMENT].notna().sum()),
    }
    logger.info(
        "cellHTS2 folder %s: %d plate files, %d wells, %d flagged",
        root,
        len(meta),
        len(out),
        metadata["n_flagged"],
    )
    return out, metadata
