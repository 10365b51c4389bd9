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
    ColumnOpt,
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
    _say,
)

#: what --out of simulate and import can be (writers.TABLE_SUFFIXES; spelled here for --help)
TABLE_FORMATS = ".csv, .tsv, .parquet or .xlsx"


def _table_file(value: Path | None) -> Path | None:
    """Option callback: a file name with a suffix we write, not a folder (else exit code 2)."""
    if value is None:
        return None
    from secretome_rank.writers import TABLE_SUFFIXES

    if value.is_dir():
        raise typer.BadParameter(
            f"{value} is a folder; give a file name, e.g. {value / 'screen.csv'}"
        )
    if value.suffix.lower() not in TABLE_SUFFIXES:
        given = f"{value.suffix!r} is not a format written here" if value.suffix else "no suffix"
        raise typer.BadParameter(
            f"{value}: {given}; end the file name with {TABLE_FORMATS}, "
            f"e.g. {value.with_suffix('.csv')}"
        )
    existing = next((d for d in value.parents if d.exists()), None)
    if existing is not None and not existing.is_dir():
        raise typer.BadParameter(
            f"{value}: {existing} is a file, not a folder; choose another path"
        )
    return value


def _write_frame(frame: Any, out: Path, sheet: str) -> None:
    """Write a table in the format of the suffix of ``out`` (missing folders are created)."""
    from secretome_rank.errors import ConfigError
    from secretome_rank.writers import write_by_suffix

    try:
        write_by_suffix(frame, out, sheet=sheet)
    except OSError as exc:  # no permission, disk full, ...
        raise ConfigError(
            f"cannot write {out}: {exc.strerror or exc}; choose another path"
        ) from exc


def _write_wells(wells: Any, out: Path) -> None:
    """Write a well table as CSV, TSV, Parquet or Excel (by the suffix of ``out``) and say so."""
    _write_frame(wells, out, "wells")
    _say(f"wrote {len(wells)} wells on {wells['plate'].nunique()} plates to {out}")


def simulate(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help=f"Well table to write ({TABLE_FORMATS}); missing folders are created.",
            callback=_table_file,
        ),
    ],
    seed: Annotated[int, typer.Option("--seed", help="Random seed.", min=0)] = 0,
    cell_lines: Annotated[
        int, typer.Option("--cell-lines", help="Number of cell lines.", min=1)
    ] = 2,
    drugs: Annotated[int, typer.Option("--drugs", help="Number of drugs.", min=1)] = 2,
    replicates: Annotated[
        int, typer.Option("--replicates", help="Replicate plates per arm.", min=1)
    ] = 3,
    proteins: Annotated[
        int | None,
        typer.Option(
            "--proteins", help="Library size (default and at most: the whole library).", min=1
        ),
    ] = None,
    vehicle: Annotated[
        bool, typer.Option("--vehicle/--no-vehicle", help="Add a vehicle (DMSO) arm.")
    ] = True,
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth",
            help=f"Also write the true effects here ({TABLE_FORMATS}).",
            callback=_table_file,
        ),
    ] = None,
) -> None:
    """Simulate a screen with known rescuers, mitogens and toxic proteins."""
    if truth is not None and truth.resolve() == out.resolve():
        raise typer.BadParameter(
            f"{truth} is also --out; give the true effects another file name",
            param_hint="'--truth'",
        )

    def run() -> None:
        import secretome_rank as sr
        from secretome_rank.simulate import library

        n_library = len(library())
        if proteins is not None and proteins > n_library:
            _say(
                f"note: --proteins {proteins} is more than the {n_library} proteins of the "
                f"bundled library; simulating all {n_library}"
            )
        names = ("vemurafenib", "trametinib", "dabrafenib", "erlotinib", "lapatinib", "crizotinib")
        drug_names = tuple(names[i] if i < len(names) else f"drug{i + 1}" for i in range(drugs))
        wells, true = sr.simulate_screen(
            seed,
            n_proteins=None if proteins is None else min(proteins, n_library),
            cell_lines=cell_lines,
            drugs=drug_names,
            n_replicates=replicates,
            vehicle_arm=vehicle,
        )
        _write_wells(wells, out)
        if truth is not None:
            _write_frame(true, truth, "truth")

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
        _say(f"wrote {path}")

    _guard(run)


def import_(
    inputs: InputsArg = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help=f"Well table to write ({TABLE_FORMATS}).",
            dir_okay=False,
            callback=_table_file,
        ),
    ] = Path("screen.tsv"),
    column: ColumnOpt = None,
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
            column=column,
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
        from secretome_rank.io import format_tsv, header_key, read_table, write_table
        from secretome_rank.receptors import annotate as annotate_names
        from secretome_rank.receptors import load_resource
        from secretome_rank.writers import json_records

        key = header_key(column)  # the column is matched as read_screen matches ('Protein')
        if str(table) == "-":
            frame = pd.DataFrame({column: [ln.strip() for ln in sys.stdin if ln.strip()]})
        else:  # names as written
            frame = read_table(table, text=lambda header: header_key(header) == key)
        alike = [str(c) for c in frame.columns if header_key(c) == key]
        name = column if column in frame.columns or len(alike) != 1 else alike[0]
        if name not in frame.columns:
            raise SchemaError(
                f"{table}: no column {column!r} (columns: {', '.join(map(str, frame.columns))}); "
                "name the protein column with --column"
            )
        res = load_resource(resource, mode=(resource_mode or ResourceMode.REPLACE).value)
        ann = annotate_names(frame, column=name, resource=res)
        if out is not None:
            write_table(ann, out)
        if fmt is OutputFormat.json:
            sys.stdout.write(json_records(ann) + "\n")
        elif fmt is OutputFormat.tsv:
            format_tsv(ann, sys.stdout)
        else:
            _print_table(ann[[name, "symbol", "resolution", "receptors", "receptor_status"]])

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
        from secretome_rank.writers import json_records

        res = load_resource(resource, mode=(resource_mode or ResourceMode.REPLACE).value)
        table = receptor_table(names, resource=res)
        cols = ["query", "symbol", "resolution", "receptor", "receptor_family", "role", "resources"]
        if fmt is OutputFormat.tsv:
            format_tsv(table[cols + [c for c in table.columns if c not in cols]], sys.stdout)
        elif fmt is OutputFormat.json:
            sys.stdout.write(json_records(table) + "\n")
        else:
            _print_table(table[cols])

    _guard(run)
