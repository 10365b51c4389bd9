"""Commands around the pipeline: ``simulate``, ``report``, ``import``, ``annotate``, ``receptors``.

They make a test screen, rebuild report.html from a ``rank`` output folder, convert plate-reader
or cellHTS2 input to a well table, and look up receptors of protein names (as a table annotation
or a direct query). The library and pandas are imported inside the commands, so importing this
module stays cheap for ``--help``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from secretome_rank.cli._common import (
    _STATE,
    CellHTS2Opt,
    DataDirOpt,
    DefaultOpt,
    GridOpt,
    InputsArg,
    OutputFormat,
    PlateListOpt,
    PlateMapOpt,
    PlotsOpt,
    ResourceMode,
    ResourceModeOpt,
    ResourceOpt,
    RoleMapOpt,
    _guard,
    _load_wells,
    _print_table,
    _stderr,
)


def _write_wells(wells: Any, out: Path) -> None:
    """Write a well table as Parquet, CSV or TSV (by the suffix of ``out``) and say so."""
    from secretome_rank.io import write_table

    if out.suffix.lower() in (".parquet", ".pq"):
        wells.to_parquet(out, index=False)
    elif out.suffix.lower() == ".csv":
        wells.to_csv(out, index=False)
    else:
        write_table(wells, out)
    _stderr().print(f"wrote {len(wells)} wells on {wells['plate'].nunique()} plates to {out}")


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
        _write_wells(wells, out)
        if truth is not None:
            write_table(true, truth)

    _guard(run)


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
        _write_wells(frame, out)

    _guard(run)


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
        res = load_resource(resource, mode=(resource_mode or ResourceMode.REPLACE).value)
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

        res = load_resource(resource, mode=(resource_mode or ResourceMode.REPLACE).value)
        table = receptor_table(names, resource=res)
        cols = ["query", "symbol", "resolution", "receptor", "receptor_family", "role", "resources"]
        if fmt is OutputFormat.tsv:
            format_tsv(table[cols + [c for c in table.columns if c not in cols]], sys.stdout)
        elif fmt is OutputFormat.json:
            sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
        else:
            _print_table(table[cols])

    _guard(run)
