"""Command-line interface (typer). Thin: parse, call the library, write, render.

Exit codes: 0 ok, 2 usage error, 3 invalid input or options (message only), 1 bug.
Heavy modules (pandas, scipy) are imported inside the commands so that ``--help`` is fast.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from enum import Enum
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


class OutputFormat(str, Enum):
    """Format of the results printed on stdout."""

    table = "table"
    tsv = "tsv"
    json = "json"


class Test(str, Enum):
    """Per-protein test."""

    moderated = "moderated"
    welch = "welch"
    ssmd = "ssmd"
    robust_z = "robust_z"


class AlternativeOpt(str, Enum):
    """Sidedness of the test."""

    greater = "greater"
    two_sided = "two-sided"


class AdjustOpt(str, Enum):
    """Multiple-testing adjustment."""

    bh = "bh"
    by = "by"
    holm = "holm"
    bonferroni = "bonferroni"
    hommel = "hommel"
    storey = "storey"


class SpatialOpt(str, Enum):
    """Spatial correction."""

    none = "none"
    bscore = "bscore"


class MissingControls(str, Enum):
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
            raise ConfigError(f"{option} {item!r}: expected NAME=VALUE, e.g. {option} value=Luminescence")
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
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output on stderr.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
) -> None:
    """Rank secreted-protein rescue screens."""
    from secretome_rank._logging import setup_logging

    setup_logging(verbose=verbose, quiet=quiet)


# shared options --------------------------------------------------------------------------
ColumnOpt = Annotated[
    list[str] | None,
    typer.Option("--column", help="Map a canonical column to yours: NAME=THEIRS (repeatable)."),
]
RoleMapOpt = Annotated[
    list[str] | None,
    typer.Option("--role-map", help="Map your role words to ours: WORD=ROLE, e.g. neg=drug_control (repeatable)."),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.", file_okay=False)]
FdrOpt = Annotated[float, typer.Option("--fdr", help="q-value threshold of a hit.", min=0.0, max=1.0)]
MinRescueOpt = Annotated[float, typer.Option("--min-rescue", help="Minimum mean % rescue of a hit.")]
TestOpt = Annotated[Test, typer.Option("--test", help="Per-protein test.")]
AltOpt = Annotated[AlternativeOpt, typer.Option("--alternative", help="One-sided rescue test or two-sided.")]
AdjustOptT = Annotated[AdjustOpt, typer.Option("--adjust", help="Multiple-testing adjustment within context.")]
SpatialOptT = Annotated[SpatialOpt, typer.Option("--spatial", help="Spatial correction before normalisation.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Results on stdout as table, tsv or json.")]
TopOpt = Annotated[int, typer.Option("--top", help="Rows per context in the table summary.")]
ExcludeOpt = Annotated[bool, typer.Option("--exclude-failed", help="Leave plates failing QC out of the statistics.")]
MissingOpt = Annotated[
    MissingControls,
    typer.Option("--missing-controls", help="Drug-arm plates without drug controls: error, or score against library median."),
]
FormatPlateOpt = Annotated[int | None, typer.Option("--plate-format", help="96, 384 or 1536 (default: inferred).")]
ScreenArg = Annotated[Path, typer.Argument(help="Well table: CSV, TSV, Parquet or Excel.")]


def _rank_and_write(
    screen: Path | None,
    frame: Any,
    *,
    out: Path,
    column: list[str] | None,
    role_map: list[str] | None,
    plate_format: int | None,
    missing_controls: MissingControls,
    options: dict[str, Any],
    fmt: OutputFormat,
    top: int,
) -> None:
    import secretome_rank as sr
    from secretome_rank.io import format_tsv
    from secretome_rank.report import hits_json, render_summary, write_outputs

    log = logging.getLogger("secretome_rank.cli")
    source = screen if screen is not None else frame
    wells = sr.read_screen(
        source,
        columns=_pairs(column, "--column"),
        role_map=_pairs(role_map, "--role-map"),
        plate_format=plate_format,
        missing_controls=missing_controls.value.replace("-", "_"),
    )
    log.info("read %d wells on %d plates", len(wells), wells["plate"].nunique())
    result = sr.rank_screen(wells, **options)
    written = write_outputs(result, out, inputs=[screen] if screen else [], command=" ".join(sys.argv))
    log.info("wrote %s", ", ".join(p.name for p in written))
    if fmt is OutputFormat.tsv:
        format_tsv(result.hits, sys.stdout)
    elif fmt is OutputFormat.json:
        sys.stdout.write(hits_json(result.hits) + "\n")
    else:
        render_summary(result, _stdout(), top=top)
        _stderr().print(f"outputs in {out}/")


@app.command()
def rank(
    screen: ScreenArg,
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
    fmt: FormatOpt = OutputFormat.table,
    top: TopOpt = 10,
) -> None:
    """Rank a screen: normalise, QC, test, FDR, classify, map receptors; write --out DIR."""
    options = {
        "fdr": fdr, "min_rescue": min_rescue, "test": test.value, "alternative": alternative.value,
        "adjust": adjust.value, "spatial": spatial.value, "exclude_failed": exclude_failed,
    }
    _guard(lambda: _rank_and_write(
        screen, None, out=out, column=column, role_map=role_map, plate_format=plate_format,
        missing_controls=missing_controls, options=options, fmt=fmt, top=top,
    ))


@app.command()
def demo(
    out: OutOpt = Path("secretome_rank_demo"),
    fdr: FdrOpt = 0.05,
    min_rescue: MinRescueOpt = 20.0,
    test: TestOpt = Test.moderated,
    spatial: SpatialOptT = SpatialOpt.none,
    fmt: FormatOpt = OutputFormat.table,
    top: TopOpt = 10,
) -> None:
    """Rank the bundled example screen (simulated, known answers) into --out DIR."""
    from secretome_rank.examples import example_screen_path

    path = example_screen_path()
    options = {"fdr": fdr, "min_rescue": min_rescue, "test": test.value, "spatial": spatial.value}
    _guard(lambda: _rank_and_write(
        path, None, out=out, column=None, role_map=None, plate_format=None,
        missing_controls=MissingControls.error, options=options, fmt=fmt, top=top,
    ))


@app.command()
def qc(
    screen: ScreenArg,
    column: ColumnOpt = None,
    role_map: RoleMapOpt = None,
    spatial: SpatialOptT = SpatialOpt.none,
    missing_controls: MissingOpt = MissingControls.error,
    plate_format: FormatPlateOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write qc.tsv into this folder.")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Plate QC only: Z', CVs, signal window, edge and spatial effects, verdicts."""

    def run() -> None:
        import secretome_rank as sr
        from secretome_rank.io import format_tsv, write_table
        from secretome_rank.normalize import normalize_plates
        from secretome_rank.qc import plate_qc

        wells = sr.read_screen(
            screen, columns=_pairs(column, "--column"), role_map=_pairs(role_map, "--role-map"),
            plate_format=plate_format, missing_controls=missing_controls.value.replace("-", "_"),
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
            for col in ("plate", "cell line", "treatment", "robust Z'", "Z'", "CV drug %", "edge log2", "verdict", "reason"):
                t.add_column(col)
            colours = {"pass": "green", "warn": "yellow", "fail": "red"}
            for _, r in table.iterrows():
                t.add_row(
                    escape(str(r["plate"])), escape(str(r["cell_line"])), escape(str(r["treatment"])),
                    f"{r['robust_z_prime']:.2f}", f"{r['z_prime']:.2f}", f"{r['cv_drug_pct']:.1f}",
                    f"{r['edge_vs_centre_log2']:.2f}", f"[{colours[r['verdict']]}]{r['verdict']}[/]",
                    escape(str(r["reason"])),
                )
            _stdout().print(t)

    _guard(run)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Well table to write (.csv, .tsv or .parquet).")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    cell_lines: Annotated[int, typer.Option("--cell-lines", help="Number of cell lines.")] = 2,
    drugs: Annotated[int, typer.Option("--drugs", help="Number of drugs.")] = 2,
    replicates: Annotated[int, typer.Option("--replicates", help="Replicate plates per arm.")] = 3,
    proteins: Annotated[int | None, typer.Option("--proteins", help="Library size (default: whole library).")] = None,
    vehicle: Annotated[bool, typer.Option("--vehicle/--no-vehicle", help="Add a vehicle (DMSO) arm.")] = True,
    truth: Annotated[Path | None, typer.Option("--truth", help="Also write the true effects here (TSV).")] = None,
) -> None:
    """Simulate a screen with known rescuers, mitogens and toxic proteins."""

    def run() -> None:
        import secretome_rank as sr
        from secretome_rank.io import write_table

        names = ("vemurafenib", "trametinib", "dabrafenib", "erlotinib", "lapatinib", "crizotinib")
        drug_names = tuple(names[i] if i < len(names) else f"drug{i + 1}" for i in range(drugs))
        wells, true = sr.simulate_screen(
            seed, n_proteins=proteins, cell_lines=cell_lines, drugs=drug_names,
            n_replicates=replicates, vehicle_arm=vehicle,
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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
