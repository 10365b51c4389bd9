"""Command-line interface (typer). Thin: parse, call the library, write, render.

Exit codes: 0 ok, 2 usage error, 3 invalid input or options (message only), 1 bug.
Heavy modules (pandas, scipy) are imported inside the commands so that ``--help`` is fast.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="Rank secreted-protein rescue screens: plate QC, moderated statistics with FDR, "
    "drug-specific rescue vs growth, and the receptors of every hit.",
)

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


class Normalization(StrEnum):
    """Per-plate normalisation workflow."""

    controls = "controls"
    cellhts2 = "cellhts2"


class MissingControls(StrEnum):
    """What to do with drug-arm plates lacking drug controls."""

    error = "error"
    robust_z = "robust-z"


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _stdout() -> Any:
    from rich.console import Console

    return Console()


def _guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; our errors become one message on stderr and exit code 3."""
    from secretome_rank.errors import SecretomeRankError

    try:
        return fn()
    except SecretomeRankError as exc:
        from rich.markup import escape

        _stderr().print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    from secretome_rank.errors import ConfigError

    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(
                f"{option} {item!r}: expected NAME=VALUE, e.g. {option} value=Luminescence"
            )
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _version(value: bool) -> None:
    if value:
        from secretome_rank import __version__

        typer.echo(f"secretome-rank {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output on stderr.")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
) -> None:
    """Rank secreted-protein rescue screens."""
    from secretome_rank._logging import setup_logging

    _STATE["quiet"] = quiet
    setup_logging(verbose=verbose, quiet=quiet)


# shared options --------------------------------------------------------------------------
ColumnOpt = Annotated[
    list[str] | None,
    typer.Option("--column", help="Map a canonical column to yours: NAME=THEIRS (repeatable)."),
]
RoleMapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--role-map",
        help="Map your role words to ours: WORD=ROLE, e.g. neg=drug_control (repeatable).",
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.", file_okay=False)]
FdrOpt = Annotated[
    float, typer.Option("--fdr", help="q-value threshold of a hit.", min=0.0, max=1.0)
]
MinRescueOpt = Annotated[
    float, typer.Option("--min-rescue", help="Minimum mean % rescue of a hit.")
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
TopOpt = Annotated[int, typer.Option("--top", help="Rows per context in the table summary.")]
ExcludeOpt = Annotated[
    bool, typer.Option("--exclude-failed", help="Leave plates failing QC out of the statistics.")
]
MissingOpt = Annotated[
    MissingControls,
    typer.Option(
        "--missing-controls",
        help="Drug-arm plates without drug controls: error, or score against library median.",
    ),
]
FormatPlateOpt = Annotated[
    int | None, typer.Option("--plate-format", help="96, 384 or 1536 (default: inferred).")
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
    str | None, typer.Option("--sheet", help="Excel sheet name or number (default: the first).")
]
DefaultOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--default", help="Plate-level default for imports, e.g. treatment=none (repeatable)."
    ),
]


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
        frame, _ = import_cellhts2(cellhts2, role_map=roles or None, grid=_grid(grid))
        sources = sorted(p for p in Path(cellhts2).iterdir() if p.is_file())
    elif plate_map is not None or plate_list is not None:
        from secretome_rank.importers import import_plates

        if plate_map is None:
            raise ConfigError(
                "--plate-list needs --plate-map (which well holds which protein or control)"
            )
        frame = import_plates(
            files or None,
            plate_map=plate_map,
            plate_list=plate_list,
            role_map=roles or None,
            grid=_grid(grid),
            data_dir=data_dir,
            defaults=_pairs(default, "--default") or None,
        )
        sources = [*files, plate_map, *([plate_list] if plate_list else [])]
    else:
        if len(files) != 1:
            raise ConfigError(
                f"expected one well table, got {len(files)} file(s); for plate-reader exports "
                "pass --plate-map (and --plate-list), for a cellHTS2 folder --cellhts2 DIR"
            )
        frame, sources = files[0], files
        roles_for_table = roles
        wells = sr.read_screen(
            frame,
            columns=_pairs(column, "--column"),
            sheet=int(sheet) if sheet is not None and sheet.isdecimal() else sheet,
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


def _grid(grid: str | None) -> int | str | None:
    return int(grid) if grid is not None and grid.isdecimal() else grid


@dataclass(frozen=True)
class _Output:
    """Where and how `rank`/`demo` write their results."""

    out: Path
    fmt: OutputFormat
    top: int
    report: bool | None
    plots: Path | None
    excel: bool
    safe_text: bool
    force: bool


def _run_rank(
    load: Callable[[], tuple[Any, list[Path]]], options: dict[str, Any], output: _Output
) -> None:
    """Check the output folder, load the screen, rank it, write everything, print results."""
    import secretome_rank as sr
    from secretome_rank.io import format_tsv
    from secretome_rank.progress import Progress
    from secretome_rank.report import (
        check_out_dir,
        early_wells_writer,
        hits_json,
        render_summary,
        write_outputs,
    )

    check_out_dir(output.out, force=output.force)  # before any work: fail fast
    wells, sources = load()
    log = logging.getLogger("secretome_rank.cli")
    log.info("read %d wells on %d plates", len(wells), wells["plate"].nunique())
    report = output.report
    wells_job, on_wells = early_wells_writer(output.out, safe_text=output.safe_text)
    with Progress(quiet=_STATE["quiet"]) as progress, wells_job:
        with progress.stage(f"ranking {len(wells):,} wells on {wells['plate'].nunique()} plates"):
            # wells.tsv is written in the background while the statistics run
            result = sr.rank_screen(wells, on_wells=on_wells, **options)
        with progress.stage("writing tables"):
            written = write_outputs(
                result,
                output.out,
                inputs=sources,
                command=" ".join(sys.argv),
                excel=output.excel,
                safe_text=output.safe_text,
                wells_job=wells_job,
            )
        if report is None:
            report = len(wells) <= REPORT_AUTO_MAX_WELLS
            if not report:
                log.warning(
                    "report.html skipped for %d wells (it takes a while); build it with "
                    "`secretome-rank report %s`",
                    len(wells),
                    output.out,
                )
        if report:
            from secretome_rank.html_report import build_report

            written.append(build_report(output.out, plots_dir=output.plots, progress=progress))
    log.info("wrote %s", ", ".join(p.name for p in written))
    if output.fmt is OutputFormat.tsv:
        format_tsv(result.hits, sys.stdout)
    elif output.fmt is OutputFormat.json:
        sys.stdout.write(hits_json(result.hits) + "\n")
    else:
        render_summary(result, _stdout(), top=output.top)
        if not _STATE["quiet"]:
            _stderr().print(f"outputs in {output.out}/")


def _expression(path: Path | None) -> Any:
    if path is None:
        return None
    from secretome_rank.io import read_table

    return read_table(path)


ResourceOpt = Annotated[
    Path | None,
    typer.Option(
        "--resource",
        help="Ligand-receptor resource: CellPhoneDB folder, liana CSV, CellChat CSV "
        "or two-column TSV.",
    ),
]


class ResourceMode(StrEnum):
    """How an external resource combines with the bundled table."""

    replace = "replace"
    union = "union"


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


class PoolOpt(StrEnum):
    """Pooling of cell lines as replicates."""

    auto = "auto"
    none = "none"
    cell_line = "cell_line"


ResourceModeOpt = Annotated[
    ResourceMode,
    typer.Option("--resource-mode", help="Use only --resource, or add it to the bundled table."),
]


@app.command()
def rank(
    inputs: InputsArg = None,
    out: OutOpt = Path("secretome_rank_out"),
    column: ColumnOpt = None,
    role_map: RoleMapOpt = None,
    fdr: FdrOpt = 0.05,
    min_rescue: MinRescueOpt = 20.0,
    test: TestOpt = Test.moderated,
    alternative: AltOpt = AlternativeOpt.greater,
    adjust: AdjustOptT = AdjustOpt.bh,
    spatial: SpatialOptT = SpatialOpt.none,
    exclude_failed: ExcludeOpt = False,
    missing_controls: MissingOpt = MissingControls.error,
    plate_format: FormatPlateOpt = None,
    plate_map: PlateMapOpt = None,
    plate_list: PlateListOpt = None,
    data_dir: DataDirOpt = None,
    grid: GridOpt = None,
    cellhts2: CellHTS2Opt = None,
    default: DefaultOpt = None,
    sheet: SheetOpt = None,
    normalization: Annotated[
        Normalization,
        typer.Option(
            "--normalization", help="controls (default) or cellhts2 (cellHTS2's workflow)."
        ),
    ] = None,  # type: ignore[assignment]
    cellhts2_sign: Annotated[
        int,
        typer.Option(
            "--cellhts2-sign", help="cellHTS2 score sign: -1 scores a loss of signal positive."
        ),
    ] = 1,
    resource: ResourceOpt = None,
    resource_mode: ResourceModeOpt = None,  # type: ignore[assignment]
    expression: Annotated[
        Path | None,
        typer.Option("--expression", help="Receptor expression table: cell_line, gene, value."),
    ] = None,
    expression_threshold: Annotated[
        float, typer.Option("--expression-threshold", help="A gene is expressed at value >= this.")
    ] = 1.0,
    pool: Annotated[
        PoolOpt,
        typer.Option(
            "--pool",
            help="Pool cell lines as replicates per drug (auto: when contexts have one replicate).",
        ),
    ] = PoolOpt.auto,
    report: ReportOpt = None,
    plots: PlotsOpt = None,
    excel: ExcelOpt = False,
    safe_text: SafeTextOpt = False,
    force: ForceOpt = False,
    fmt: FormatOpt = OutputFormat.table,
    top: TopOpt = 10,
) -> None:
    """Rank a screen: normalise, QC, test, FDR, classify, map receptors; write --out DIR."""
    normalization = normalization or Normalization.controls
    resource_mode = resource_mode or ResourceMode.replace
    _need_inputs(inputs, cellhts2, plate_list)

    options = {
        "fdr": fdr,
        "min_rescue": min_rescue,
        "test": test.value,
        "alternative": alternative.value,
        "adjust": adjust.value,
        "spatial": spatial.value,
        "exclude_failed": exclude_failed,
        "normalization": normalization.value,
        "cellhts2_sign": cellhts2_sign,
        "resource": resource,
        "resource_mode": resource_mode.value,
        "expression_threshold": expression_threshold,
        "pool": pool.value,
    }
    output = _Output(out, fmt, top, report, plots, excel, safe_text, force)

    def load() -> tuple[Any, list[Path]]:
        options["expression"] = _expression(expression)
        return _load_wells(
            inputs,
            column=column,
            role_map=role_map,
            plate_format=plate_format,
            missing_controls=missing_controls,
            plate_map=plate_map,
            plate_list=plate_list,
            data_dir=data_dir,
            grid=grid,
            cellhts2=cellhts2,
            default=default,
            sheet=sheet,
        )

    _guard(lambda: _run_rank(load, options, output))


@app.command()
def demo(
    out: OutOpt = Path("secretome_rank_demo"),
    fdr: FdrOpt = 0.05,
    min_rescue: MinRescueOpt = 20.0,
    test: TestOpt = Test.moderated,
    spatial: SpatialOptT = SpatialOpt.none,
    report: ReportOpt = None,
    plots: PlotsOpt = None,
    excel: ExcelOpt = False,
    safe_text: SafeTextOpt = False,
    force: ForceOpt = False,
    fmt: FormatOpt = OutputFormat.table,
    top: TopOpt = 10,
) -> None:
    """Rank the bundled example screen (simulated, known answers) into --out DIR."""
    from secretome_rank.examples import example_screen_path

    options = {"fdr": fdr, "min_rescue": min_rescue, "test": test.value, "spatial": spatial.value}
    output = _Output(out, fmt, top, report, plots, excel, safe_text, force)
    _guard(lambda: _run_rank(lambda: _load_wells([example_screen_path()]), options, output))


@app.command()
def qc(
    inputs: InputsArg = None,
    column: ColumnOpt = None,
    role_map: RoleMapOpt = None,
    spatial: SpatialOptT = SpatialOpt.none,
    missing_controls: MissingOpt = MissingControls.error,
    plate_format: FormatPlateOpt = None,
    plate_map: PlateMapOpt = None,
    plate_list: PlateListOpt = None,
    data_dir: DataDirOpt = None,
    grid: GridOpt = None,
    cellhts2: CellHTS2Opt = None,
    default: DefaultOpt = None,
    sheet: SheetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write qc.tsv into this folder.")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Plate QC only: Z', CVs, signal window, edge and spatial effects, verdicts."""
    _need_inputs(inputs, cellhts2, plate_list)

    def run() -> None:
        from secretome_rank.io import format_tsv, write_table
        from secretome_rank.normalize import normalize_plates
        from secretome_rank.qc import plate_qc

        wells, _ = _load_wells(
            inputs,
            column=column,
            role_map=role_map,
            plate_format=plate_format,
            missing_controls=missing_controls,
            plate_map=plate_map,
            plate_list=plate_list,
            data_dir=data_dir,
            grid=grid,
            cellhts2=cellhts2,
            default=default,
            sheet=sheet,
        )
        scored, plates = normalize_plates(wells, spatial=spatial.value)  # type: ignore[arg-type]
        table = plate_qc(scored, plates)
        if out is not None:
            write_table(table, Path(out) / "qc.tsv")
        if fmt is OutputFormat.tsv:
            format_tsv(table, sys.stdout)
        elif fmt is OutputFormat.json:
            sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
        else:
            from rich.markup import escape
            from rich.table import Table

            t = Table(title=f"Plate QC: {len(table)} plates")
            for col in (
                "plate",
                "cell line",
                "treatment",
                "robust Z'",
                "Z'",
                "CV drug %",
                "edge log2",
                "verdict",
                "reason",
            ):
                t.add_column(col)
            colours = {"pass": "green", "warn": "yellow", "fail": "red"}
            for _, r in table.iterrows():
                t.add_row(
                    escape(str(r["plate"])),
                    escape(str(r["cell_line"])),
                    escape(str(r["treatment"])),
                    f"{r['robust_z_prime']:.2f}",
                    f"{r['z_prime']:.2f}",
                    f"{r['cv_drug_pct']:.1f}",
                    f"{r['edge_vs_centre_log2']:.2f}",
                    f"[{colours[r['verdict']]}]{r['verdict']}[/]",
                    escape(str(r["reason"])),
                )
            _stdout().print(t)

    _guard(run)


@app.command()
def simulate(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Well table to write (.csv, .tsv or .parquet).")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    cell_lines: Annotated[int, typer.Option("--cell-lines", help="Number of cell lines.")] = 2,
    drugs: Annotated[int, typer.Option("--drugs", help="Number of drugs.")] = 2,
    replicates: Annotated[int, typer.Option("--replicates", help="Replicate plates per arm.")] = 3,
    proteins: Annotated[
        int | None, typer.Option("--proteins", help="Library size (default: whole library).")
    ] = None,
    vehicle: Annotated[
        bool, typer.Option("--vehicle/--no-vehicle", help="Add a vehicle (DMSO) arm.")
    ] = True,
    truth: Annotated[
        Path | None, typer.Option("--truth", help="Also write the true effects here (TSV).")
    ] = None,
) -> None:
    """Simulate a screen with known rescuers, mitogens and toxic proteins."""

    def run() -> None:
        import secretome_rank as sr
        from secretome_rank.io import write_table

        names = ("vemurafenib", "trametinib", "dabrafenib", "erlotinib", "lapatinib", "crizotinib")
        drug_names = tuple(names[i] if i < len(names) else f"drug{i + 1}" for i in range(drugs))
        wells, true = sr.simulate_screen(
            seed,
            n_proteins=proteins,
            cell_lines=cell_lines,
            drugs=drug_names,
            n_replicates=replicates,
            vehicle_arm=vehicle,
        )
        if out.suffix.lower() in (".parquet", ".pq"):
            wells.to_parquet(out, index=False)
        elif out.suffix.lower() == ".csv":
            wells.to_csv(out, index=False)
        else:
            write_table(wells, out)
        if truth is not None:
            write_table(true, truth)
        _stderr().print(f"wrote {len(wells)} wells on {wells['plate'].nunique()} plates to {out}")

    _guard(run)


@app.command("report")
def report_(
    folder: Annotated[
        Path,
        typer.Argument(help="An output folder of `rank` (hits.tsv, qc.tsv, ...).", file_okay=False),
    ],
    plots: PlotsOpt = None,
) -> None:
    """Rebuild report.html from a rank output folder."""

    def run() -> None:
        from secretome_rank.html_report import build_report
        from secretome_rank.progress import Progress

        with Progress(quiet=_STATE["quiet"]) as progress:
            path = build_report(folder, plots_dir=plots, progress=progress)
        _stderr().print(f"wrote {path}")

    _guard(run)


@app.command("import")
def import_(
    inputs: InputsArg = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Well table to write (.tsv, .csv or .parquet).", dir_okay=False
        ),
    ] = Path("screen.tsv"),
    role_map: RoleMapOpt = None,
    plate_map: PlateMapOpt = None,
    plate_list: PlateListOpt = None,
    data_dir: DataDirOpt = None,
    grid: GridOpt = None,
    cellhts2: CellHTS2Opt = None,
    default: DefaultOpt = None,
) -> None:
    """Convert grid exports + plate map + plate list, or a cellHTS2 folder, to a well table."""

    def run() -> None:
        from secretome_rank.errors import ConfigError
        from secretome_rank.io import write_table

        if plate_map is None and cellhts2 is None:
            raise ConfigError(
                "import needs --plate-map (with grid exports / --plate-list) or --cellhts2 DIR"
            )
        frame, _ = _load_wells(
            inputs,
            role_map=role_map,
            plate_map=plate_map,
            plate_list=plate_list,
            data_dir=data_dir,
            grid=grid,
            cellhts2=cellhts2,
            default=default,
            validate=False,
        )
        if out.suffix.lower() in (".parquet", ".pq"):
            frame.to_parquet(out, index=False)
        elif out.suffix.lower() == ".csv":
            frame.to_csv(out, index=False)
        else:
            write_table(frame, out)
        _stderr().print(f"wrote {len(frame)} wells on {frame['plate'].nunique()} plates to {out}")

    _guard(run)


@app.command()
def annotate(
    table: Annotated[
        Path,
        typer.Argument(
            help="A table with protein names (e.g. hits.tsv), or '-' for names on stdin."
        ),
    ],
    column: Annotated[
        str, typer.Option("--column", help="Column holding the protein names.")
    ] = "protein",
    resource: ResourceOpt = None,
    resource_mode: ResourceModeOpt = None,  # type: ignore[assignment]
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the annotated table here (TSV).", dir_okay=False),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="stdout format.")
    ] = OutputFormat.tsv,
) -> None:
    """Add HGNC symbols and cognate receptors to a table of protein names."""

    def run() -> None:
        import pandas as pd

        from secretome_rank.errors import SchemaError
        from secretome_rank.io import format_tsv, read_table, write_table
        from secretome_rank.receptors import annotate as annotate_names
        from secretome_rank.receptors import load_resource

        if str(table) == "-":
            frame = pd.DataFrame({column: [ln.strip() for ln in sys.stdin if ln.strip()]})
        else:
            frame = read_table(table)
        if column not in frame.columns:
            raise SchemaError(
                f"{table}: no column {column!r} (columns: {', '.join(map(str, frame.columns))}); "
                "name the protein column with --column"
            )
        res = load_resource(resource, mode=(resource_mode or ResourceMode.replace).value)  # type: ignore[arg-type]
        ann = annotate_names(frame, column=column, resource=res)
        if out is not None:
            write_table(ann, out)
        if fmt is OutputFormat.json:
            sys.stdout.write(ann.to_json(orient="records", indent=1) + "\n")
        elif fmt is OutputFormat.tsv:
            format_tsv(ann, sys.stdout)
        else:
            _print_table(ann[[column, "symbol", "resolution", "receptors", "receptor_status"]])

    _guard(run)


@app.command()
def receptors(
    names: Annotated[
        list[str], typer.Argument(help="Protein names: symbols, aliases, vendor names, A+B.")
    ],
    resource: ResourceOpt = None,
    resource_mode: ResourceModeOpt = None,  # type: ignore[assignment]
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="stdout format.")
    ] = OutputFormat.table,
) -> None:
    """List the receptors of proteins: one row per query x receptor, with evidence."""

    def run() -> None:
        from secretome_rank.io import format_tsv
        from secretome_rank.receptors import load_resource, receptor_table

        res = load_resource(resource, mode=(resource_mode or ResourceMode.replace).value)  # type: ignore[arg-type]
        table = receptor_table(names, resource=res)
        cols = ["query", "symbol", "resolution", "receptor", "receptor_family", "role", "resources"]
        if fmt is OutputFormat.tsv:
            format_tsv(table[cols + [c for c in table.columns if c not in cols]], sys.stdout)
        elif fmt is OutputFormat.json:
            sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
        else:
            _print_table(table[cols])

    _guard(run)


def _print_table(frame: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table()
    for col in frame.columns:
        t.add_column(str(col))
    for row in frame.itertuples(index=False):
        t.add_row(*[escape("" if v is None or v != v else str(v)) for v in row])
    _stdout().print(t)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
