"""Shared parts of the command-line interface.

What several commands use: the invocation state set by the global callback, the stdout/stderr
consoles, ``_guard`` (our errors become one message and exit code 3), the option enums and the
``Annotated`` option types (so an option reads the same in every command), ``NAME=VALUE`` parsing,
the rich table printer and ``_load_wells``, which reads a screen from a well table, plate-reader
grid exports + plate map, or a cellHTS2 folder. Only typer is imported at module level.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

T = TypeVar("T")
EXIT_BAD_INPUT = 3
#: global flags of the invocation (set by the callback)
_STATE: dict[str, Any] = {"quiet": False}


class OutputFormat(StrEnum):
    """Format of the results printed on stdout."""

    table = "table"
    tsv = "tsv"
    json = "json"


class Test(StrEnum):
    """Per-protein test."""

    moderated = "moderated"
    welch = "welch"
    ssmd = "ssmd"
    robust_z = "robust_z"


class AlternativeOpt(StrEnum):
    """Sidedness of the test."""

    greater = "greater"
    two_sided = "two-sided"


class AdjustOpt(StrEnum):
    """Multiple-testing adjustment."""

    bh = "bh"
    by = "by"
    holm = "holm"
    bonferroni = "bonferroni"
    hommel = "hommel"
    storey = "storey"


class SpatialOpt(StrEnum):
    """Spatial correction."""

    none = "none"
    bscore = "bscore"


class CentreOpt(StrEnum):
    """Centre of the test value."""

    median = "median"
    inactive = "inactive"


class Normalization(StrEnum):
    """Per-plate normalisation workflow."""

    controls = "controls"
    cellhts2 = "cellhts2"


class MissingControls(StrEnum):
    """What to do with drug-arm plates lacking drug controls."""

    error = "error"
    robust_z = "robust-z"


class ResourceMode(StrEnum):
    """How an external resource combines with the bundled table."""

    REPLACE = "replace"  # upper case: a member named `replace` would hide str.replace
    UNION = "union"


class PoolOpt(StrEnum):
    """Pooling of cell lines as replicates."""

    auto = "auto"
    none = "none"
    cell_line = "cell_line"


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _say(message: str) -> None:
    """A line for the user on stderr (what was written, a note), unless ``-q`` was given."""
    if not _STATE["quiet"]:
        _stderr().print(message)


def _stdout() -> Any:
    from rich.console import Console

    return Console()


def _guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; our errors become one message on stderr and exit code 3.

    A reader that closed our stdout or stderr early (``| head``) is no error: the command
    stops writing and ends with status 0, as it does when the pipe breaks at the final flush.
    """
    from secretome_rank.errors import SecretomeRankError

    try:
        return fn()
    except SecretomeRankError as exc:
        from rich.markup import escape

        _stderr().print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except BrokenPipeError:  # the reader took what it wanted: no error, no traceback
        raise typer.Exit(0) from None


#: an example of each NAME=VALUE option, for its error message
_PAIR_EXAMPLES = {
    "--column": "value=Luminescence",
    "--role-map": "neg=drug_control",
    "--default": "treatment=vemurafenib",
}


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    from secretome_rank.errors import ConfigError

    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            example = _PAIR_EXAMPLES.get(option, "name=value")
            raise ConfigError(f"{option} {item!r}: expected NAME=VALUE, e.g. {option} {example}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _grid(grid: str | None) -> int | str | None:
    return int(grid) if grid is not None and grid.isdecimal() else grid


def _print_table(frame: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table()
    for col in frame.columns:
        t.add_column(str(col))
    for row in frame.itertuples(index=False):
        t.add_row(*[escape("" if v is None or v != v else str(v)) for v in row])
    _stdout().print(t)


# shared options --------------------------------------------------------------------------
ColumnOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        help="Map a canonical column to yours: NAME=THEIRS (repeatable; with grid exports, "
        "plate-map and plate-list columns).",
    ),
]
RoleMapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--role-map",
        help="Map your role words to ours: WORD=ROLE, e.g. neg=drug_control (repeatable).",
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.", file_okay=False)]


def _fdr(value: float) -> float:
    """Option callback: an FDR in (0, 1] (exit code 2 otherwise)."""
    if not 0 < value <= 1:  # NaN fails too
        raise typer.BadParameter(f"{value:g} is not in (0, 1]; e.g. --fdr 0.05")
    return value


def _finite(value: float) -> float:
    """Option callback: a finite number (exit code 2 otherwise)."""
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value:g} is not a finite number")
    return value


FdrOpt = Annotated[
    float, typer.Option("--fdr", help="q-value threshold of a hit, in (0, 1].", callback=_fdr)
]
MinRescueOpt = Annotated[
    float, typer.Option("--min-rescue", help="Minimum mean % rescue of a hit.", callback=_finite)
]
TestOpt = Annotated[Test, typer.Option("--test", help="Per-protein test.")]
AltOpt = Annotated[
    AlternativeOpt, typer.Option("--alternative", help="One-sided rescue test or two-sided.")
]
AdjustOptT = Annotated[
    AdjustOpt, typer.Option("--adjust", help="Multiple-testing adjustment within context.")
]
SpatialOptT = Annotated[
    SpatialOpt, typer.Option("--spatial", help="Spatial correction before normalisation.")
]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Results on stdout as table, tsv or json.")
]
TopOpt = Annotated[int, typer.Option("--top", help="Rows per context in the table summary.", min=0)]
ExcludeOpt = Annotated[
    bool, typer.Option("--exclude-failed", help="Leave plates failing QC out of the statistics.")
]
CentreOptT = Annotated[
    CentreOpt,
    typer.Option(
        "--centre",
        help="Centre of each plate's test value: median of its samples, or of the proteins "
        "a first pass finds inactive (libraries with many toxic or rescuing proteins).",
    ),
]
RobustOpt = Annotated[
    bool,
    typer.Option(
        "--robust",
        help="limma's robust variance prior: proteins with a wild replicate do not shrink "
        "every protein's prior df.",
    ),
]
MissingOpt = Annotated[
    MissingControls,
    typer.Option(
        "--missing-controls",
        help="Drug-arm plates without drug controls: error, or score against library median.",
    ),
]


def _plate_format(value: int | None) -> int | None:
    """Option callback: a plate format that exists (exit code 2 otherwise)."""
    if value is not None and value not in (96, 384, 1536):
        raise typer.BadParameter(f"{value} wells: expected 96, 384 or 1536")
    return value


FormatPlateOpt = Annotated[
    int | None,
    typer.Option(
        "--plate-format", help="96, 384 or 1536 (default: inferred).", callback=_plate_format
    ),
]
ScreenArg = Annotated[Path, typer.Argument(help="Well table: CSV, TSV, Parquet or Excel.")]
InputsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="A well table (CSV, TSV, Parquet, Excel), or plate-reader grid exports with "
        "--plate-map (files may also come from the plate list); none with --cellhts2."
    ),
]
PlateMapOpt = Annotated[
    Path | None, typer.Option("--plate-map", help="Plate map: well -> role, protein.")
]
PlateListOpt = Annotated[
    Path | None,
    typer.Option(
        "--plate-list", help="Plate list: file -> plate, cell line, treatment, replicate."
    ),
]
DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Folder of the files named in the plate list.")
]
GridOpt = Annotated[
    str | None,
    typer.Option("--grid", help="Which grid of multi-grid exports: number, title text, or 'all'."),
]
CellHTS2Opt = Annotated[
    Path | None, typer.Option("--cellhts2", help="A cellHTS2 screen folder.", file_okay=False)
]
SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", help="Excel sheet name, or number from 1 (default: the first)."),
]
DefaultOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--default", help="Plate-level default for imports, e.g. treatment=none (repeatable)."
    ),
]
ResourceOpt = Annotated[
    Path | None,
    typer.Option(
        "--resource",
        help="Ligand-receptor resource: CellPhoneDB folder, liana CSV, CellChat CSV "
        "or two-column TSV.",
    ),
]
ResourceModeOpt = Annotated[
    ResourceMode,
    typer.Option("--resource-mode", help="Use only --resource, or add it to the bundled table."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite a non-empty output folder.")]
ExcelOpt = Annotated[
    bool, typer.Option("--excel", help="Also write results.xlsx (formula-like text neutralised).")
]
SafeTextOpt = Annotated[
    bool,
    typer.Option(
        "--safe-text", help="Neutralise text cells starting with = + - @ in the TSV files too."
    ),
]
#: above this many wells, report.html is built only when asked (--report); `report DIR` later
REPORT_AUTO_MAX_WELLS = 1_000_000
ReportOpt = Annotated[
    bool | None,
    typer.Option(
        "--report/--no-report",
        help="Write report.html (default: yes up to 1,000,000 wells; larger screens: "
        "`secretome-rank report DIR` later, or --report).",
    ),
]
PlotsOpt = Annotated[
    Path | None,
    typer.Option(
        "--plots", help="Also save every report figure as PNG and SVG here.", file_okay=False
    ),
]


#: with grid exports, which table a --column NAME=THEIRS renames: the plate list (per plate)
_LIST_LEVEL = ("cell_line", "treatment", "replicate", "batch")
_MAP_LEVEL = ("well", "role", "protein", "concentration")


def _import_columns(
    mapping: dict[str, str], *, has_list: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """Split ``--column`` for grid exports into plate-map and plate-list column names.

    ``plate`` names the plate list's column when there is a plate list, else the map's.
    """
    from secretome_rank.errors import ConfigError

    to_map: dict[str, str] = {}
    to_list: dict[str, str] = {}
    for name, theirs in mapping.items():
        if name in _LIST_LEVEL or (name == "plate" and has_list):
            if not has_list:
                raise ConfigError(
                    f"--column {name}={theirs}: {name} is a plate-list column; pass "
                    f"--plate-list (or --default {name}=VALUE for every plate)"
                )
            to_list[name] = theirs
        elif name in (*_MAP_LEVEL, "plate"):
            to_map[name] = theirs
        else:
            raise ConfigError(
                f"--column {name}={theirs}: with grid exports the values come from the grids; "
                f"--column renames plate-map ({', '.join(_MAP_LEVEL)}) and plate-list "
                f"({', '.join(_LIST_LEVEL)}, plate) columns"
            )
    return to_map, to_list


def _load_wells(
    inputs: list[Path] | None,
    *,
    column: list[str] | None = None,
    role_map: list[str] | None = None,
    plate_format: int | None = None,
    missing_controls: MissingControls = MissingControls.error,
    plate_map: Path | None = None,
    plate_list: Path | None = None,
    data_dir: Path | None = None,
    grid: str | None = None,
    cellhts2: Path | None = None,
    default: list[str] | None = None,
    sheet: str | None = None,
    validate: bool = True,
) -> tuple[Any, list[Path]]:
    """Read the screen from a well table, grid exports + plate map, or a cellHTS2 folder."""
    import secretome_rank as sr
    from secretome_rank.errors import ConfigError

    files = list(inputs or [])
    roles = _pairs(role_map, "--role-map")
    if cellhts2 is not None:
        from secretome_rank.importers import import_cellhts2

        if files:
            raise ConfigError(
                "--cellhts2 reads the folder's own files; give no input files with it"
            )
        from secretome_rank.importers.assemble import apply_defaults

        frame, _ = import_cellhts2(cellhts2, role_map=roles or None, grid=_grid(grid))
        defaults = _pairs(default, "--default") or None
        if defaults and "cell_line" in defaults:  # the importer's stand-in counts as missing
            from secretome_rank.columns import DEFAULT_CELL_LINE

            stand_in = frame["cell_line"].astype(str) == DEFAULT_CELL_LINE
            frame["cell_line"] = frame["cell_line"].where(~stand_in, None)
        frame = apply_defaults(frame, defaults)
        sources = sorted(p for p in Path(cellhts2).iterdir() if p.is_file())
    elif plate_map is not None or plate_list is not None:
        from secretome_rank.importers import import_plates

        if plate_map is None:
            raise ConfigError(
                "--plate-list needs --plate-map (which well holds which protein or control)"
            )
        map_columns, list_columns = _import_columns(
            _pairs(column, "--column"), has_list=plate_list is not None
        )
        frame = import_plates(
            files or None,
            plate_map=plate_map,
            plate_list=plate_list,
            role_map=roles or None,
            grid=_grid(grid),
            data_dir=data_dir,
            defaults=_pairs(default, "--default") or None,
            map_columns=map_columns or None,
            list_columns=list_columns or None,
        )
        sources = [*files, plate_map, *([plate_list] if plate_list else [])]
    else:
        if len(files) != 1:
            raise ConfigError(
                f"expected one well table, got {len(files)} file(s); for plate-reader exports "
                "pass --plate-map (and --plate-list), for a cellHTS2 folder --cellhts2 DIR"
            )
        if default:
            raise ConfigError(
                "--default fills the plate-level columns of imported plates (plate-reader "
                "exports with --plate-map, --cellhts2); a well table carries cell_line, "
                "treatment and batch as columns: add the column to the table (or map one with "
                "--column treatment=THEIRS)"
            )
        sources = files
        roles_for_table = roles
        wells = sr.read_screen(
            files[0],
            columns=_pairs(column, "--column"),
            sheet=sheet,  # a name, else a number (read_table tells them apart)
            role_map=roles_for_table,
            plate_format=plate_format,
            missing_controls=missing_controls.value.replace("-", "_"),
        )
        return wells, sources
    if not validate:
        return frame, sources
    wells = sr.read_screen(
        frame, plate_format=plate_format, missing_controls=missing_controls.value.replace("-", "_")
    )
    return wells, sources


def _need_inputs(inputs: list[Path] | None, cellhts2: Path | None, plate_list: Path | None) -> None:
    """No input at all is a usage error (exit code 2)."""
    if not inputs and cellhts2 is None and plate_list is None:
        raise typer.BadParameter(
            "give a well table, grid exports with --plate-map, or --cellhts2 DIR",
            param_hint="INPUTS",
        )
