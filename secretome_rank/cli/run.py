"""Commands that analyse a screen: ``rank``, ``demo`` and ``qc``.

``rank`` (the whole pipeline) and ``demo`` (the same on the bundled example) share ``_run_rank``,
which checks the output folder, loads and ranks the screen, writes the tables (and report.html)
and prints the results; ``qc`` stops after normalisation and plate QC. The library and pandas are
imported inside the commands, so importing this module stays cheap for ``--help``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from secretome_rank.errors import SchemaError

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

from secretome_rank.cli._common import (
    _STATE,
    REPORT_AUTO_MAX_WELLS,
    AdjustOpt,
    AdjustOptT,
    AlternativeOpt,
    AltOpt,
    CellHTS2Opt,
    CentreOpt,
    CentreOptT,
    ColumnOpt,
    DataDirOpt,
    DefaultOpt,
    ExcelOpt,
    ExcludeOpt,
    FdrOpt,
    ForceOpt,
    FormatOpt,
    FormatPlateOpt,
    GridOpt,
    InputsArg,
    MinRescueOpt,
    MissingControls,
    MissingOpt,
    Normalization,
    OutOpt,
    OutputFormat,
    PlateListOpt,
    PlateMapOpt,
    PlotsOpt,
    PoolOpt,
    ReportOpt,
    ResourceMode,
    ResourceModeOpt,
    ResourceOpt,
    RobustOpt,
    RoleMapOpt,
    SafeTextOpt,
    SheetOpt,
    SpatialOpt,
    SpatialOptT,
    Test,
    TestOpt,
    TopOpt,
    _guard,
    _load_wells,
    _need_inputs,
    _stdout,
)


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


def _one_or_minus_one(value: int) -> int:
    """``--cellhts2-sign``: 1 or -1, else a usage error (exit 2) like other option ranges."""
    if value not in (1, -1):
        raise typer.BadParameter(f"{value} is not 1 or -1")
    return value


def _naming(exc: SchemaError, label: Path | None) -> SchemaError:
    """``exc`` with its message led by the input's name (``input table`` replaced by it)."""
    text = str(exc)
    if label is None or text.startswith(str(label)):
        return exc
    if text.startswith("input table"):
        return SchemaError(f"{label}{text[len('input table') :]}")
    return SchemaError(f"{label}: {text}")


def _check_plots(output: _Output) -> None:
    """``--plots`` with ``--no-report`` is a usage error (exit 2): the figures are the report's."""
    if output.plots is not None and output.report is False:
        raise typer.BadParameter(
            "--plots saves the report's figures, and --no-report turns the report off; drop "
            "one of them",
            param_hint="--plots",
        )


def _run_rank(
    load: Callable[[], tuple[Any, list[Path]]],
    options: dict[str, Any],
    output: _Output,
    label: Path | None = None,
) -> None:
    """Check the output folder, load the screen, rank it, write everything, print results.

    ``label``: the input a problem found while ranking is reported against (the well table,
    the cellHTS2 folder or the plate map), as problems found while reading are.
    """
    from concurrent.futures import ThreadPoolExecutor

    import secretome_rank as sr
    from secretome_rank.io import format_tsv
    from secretome_rank.progress import Progress
    from secretome_rank.report import (
        EarlyTables,
        check_out_dir,
        hits_json,
        input_digests,
        render_summary,
        write_outputs,
    )

    if output.excel:  # before any work: fail fast
        from secretome_rank.writers import need_excel_writer

        need_excel_writer(output.out / "results.xlsx")
    check_out_dir(output.out, force=output.force)
    wells, sources = load()
    log = logging.getLogger("secretome_rank.cli")
    n_plates = wells["plate"].nunique()
    log.info("read %d wells on %d plates", len(wells), n_plates)
    report = output.report
    early = EarlyTables(output.out, safe_text=output.safe_text)
    hasher = ThreadPoolExecutor(max_workers=1)
    with Progress(quiet=_STATE["quiet"]) as progress, early, hasher:
        # run.json's input checksums and wells.tsv, hits.tsv, ... are made in the background
        # while the screen is ranked
        digests = hasher.submit(input_digests, sources)
        with progress.stage(f"ranking {len(wells):,} wells on {n_plates} plates"):
            try:
                result = sr.rank_screen(wells, on_table=early.hook, **options)
            except SchemaError as exc:
                raise _naming(exc, label) from exc
        stdout = _stdout()
        summary = None
        if output.fmt is OutputFormat.table:  # laid out while the tables are still formatting
            with stdout.capture() as captured:
                render_summary(result, stdout, top=output.top)
            summary = captured.get()
        with progress.stage("writing tables"):
            written = write_outputs(
                result,
                output.out,
                inputs=sources,
                command=" ".join(sys.argv),
                excel=output.excel,
                safe_text=output.safe_text,
                early=early,
                digests=digests.result(),
            )
        if report is None:
            report = len(wells) <= REPORT_AUTO_MAX_WELLS
            if not report:
                plots = f" --plots {output.plots}" if output.plots is not None else ""
                log.warning(
                    "report.html%s skipped for %d wells (it takes a while); build it with "
                    "`secretome-rank report %s%s`, or pass --report",
                    " and its --plots figures" if plots else "",
                    len(wells),
                    output.out,
                    plots,
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
        stdout.file.write(summary)
        stdout.file.flush()
        if not _STATE["quiet"]:
            # done: a reader that closed stderr (`2>&1 | head`) changes nothing now (rich
            # would turn the broken pipe into exit status 1)
            with contextlib.suppress(BrokenPipeError, ValueError):
                sys.stderr.write(f"outputs in {output.out}/\n")
                sys.stderr.flush()


def _expression(path: Path | None) -> Any:
    """The --expression table, checked here so that problems name the file and its lines."""
    if path is None:
        return None
    import pandas as pd

    from secretome_rank.io import read_table

    table = read_table(path, text=lambda header: header in ("cell_line", "gene"))
    missing = [c for c in ("cell_line", "gene", "value") if c not in table.columns]
    if missing:
        raise SchemaError(
            f"{path}: no column(s) {', '.join(missing)}; an expression table has the columns "
            "cell_line, gene and value (one row per cell line and gene)"
        )
    value = pd.to_numeric(table["value"], errors="coerce")
    bad = (value.isna() & table["value"].notna()).to_numpy().nonzero()[0]
    if bad.size:
        shown = ", ".join(f"{i + 2} ({table['value'].iloc[i]!r})" for i in bad[:5])
        raise SchemaError(
            f"{path}: column 'value' is not a number in line(s) {shown}"
            f"{f' and {bad.size - 5} more' if bad.size > 5 else ''}; expected expression "
            "levels (e.g. TPM), or an empty cell"
        )
    return table


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
    robust: RobustOpt = False,
    centre: CentreOptT = CentreOpt.median,
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
            "--cellhts2-sign",
            help="cellHTS2 score sign: -1 scores a loss of signal positive.",
            callback=_one_or_minus_one,
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
    resource_mode = resource_mode or ResourceMode.REPLACE
    _need_inputs(inputs, cellhts2, plate_list)

    options = {
        "fdr": fdr,
        "min_rescue": min_rescue,
        "test": test.value,
        "alternative": alternative.value,
        "adjust": adjust.value,
        "spatial": spatial.value,
        "exclude_failed": exclude_failed,
        "robust": robust,
        "centre": centre.value,
        "normalization": normalization.value,
        "cellhts2_sign": cellhts2_sign,
        "resource": resource,
        "resource_mode": resource_mode.value,
        "expression_threshold": expression_threshold,
        "pool": pool.value,
    }
    output = _Output(out, fmt, top, report, plots, excel, safe_text, force)
    _check_plots(output)

    def load() -> tuple[Any, list[Path]]:
        options["expression"] = _expression(expression)
        wells, sources = _load_wells(
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
        # run.json records the checksum of every file the result depends on
        return wells, [*sources, *(p for p in (resource, expression) if p is not None)]

    label = cellhts2 or plate_map or (inputs[0] if inputs and len(inputs) == 1 else None)
    _guard(lambda: _run_rank(load, options, output, label))


def demo(
    out: OutOpt = Path("secretome_rank_demo"),
    fdr: FdrOpt = 0.05,
    min_rescue: MinRescueOpt = 20.0,
    test: TestOpt = Test.moderated,
    spatial: SpatialOptT = SpatialOpt.none,
    robust: RobustOpt = False,
    centre: CentreOptT = CentreOpt.median,
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

    options = {
        "fdr": fdr,
        "min_rescue": min_rescue,
        "test": test.value,
        "spatial": spatial.value,
        "robust": robust,
        "centre": centre.value,
    }
    output = _Output(out, fmt, top, report, plots, excel, safe_text, force)
    _check_plots(output)
    _guard(lambda: _run_rank(lambda: _load_wells([example_screen_path()]), options, output))


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
        Path | None,
        typer.Option("--out", "-o", help="Also write qc.tsv into this folder.", file_okay=False),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Plate QC only: Z', CVs, signal window, edge and spatial effects, verdicts."""
    _need_inputs(inputs, cellhts2, plate_list)

    def run() -> None:
        from secretome_rank.io import format_tsv, write_table
        from secretome_rank.normalize import normalize_plates
        from secretome_rank.qc import plate_qc
        from secretome_rank.writers import json_records

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
        scored, plates = normalize_plates(wells, spatial=spatial.value)
        table = plate_qc(scored, plates)
        if out is not None:
            write_table(table, Path(out) / "qc.tsv")
        if fmt is OutputFormat.tsv:
            format_tsv(table, sys.stdout)
        elif fmt is OutputFormat.json:
            sys.stdout.write(json_records(table) + "\n")
        else:
            console = _stdout()
            console.print(_qc_table(table, console.width))

    _guard(run)


#: QC table columns: header, qc.tsv column, number format (None: text); dropped right to left
#: from the optional ones when the terminal is too narrow (qc.tsv keeps them all)
_QC_COLUMNS = (
    ("plate", "plate", None),
    ("cell line", "cell_line", None),
    ("treatment", "treatment", None),
    ("robust Z'", "robust_z_prime", ".2f"),
    ("Z'", "z_prime", ".2f"),
    ("CV drug %", "cv_drug_pct", ".1f"),
    ("edge log2", "edge_vs_centre_log2", ".2f"),
    ("verdict", "verdict", None),
)
_QC_SPEC = {head: spec for head, _, spec in _QC_COLUMNS}
_QC_DROP_ORDER = ("treatment", "cell line", "edge log2", "CV drug %", "Z'")
#: narrowest the reason column gets before optional columns are dropped
_QC_REASON_WIDTH = 28
#: narrowest the reason gets before robust Z' goes too (then the reason itself, if need be)
_QC_REASON_LEAST = 12


def _qc_table(table: pd.DataFrame, width: int) -> Table:
    """The plate QC table for a terminal ``width`` columns wide.

    Plate ids, numbers and verdicts are never wrapped or cut; the reason takes the rest.
    When the terminal is too narrow, columns are left out (the caption says which) rather
    than every column cut to a stump: cell line and treatment first when the plate ids spell
    them out, else the less used metrics first.
    """
    from rich.markup import escape
    from rich.table import Table

    from secretome_rank.report import _fmt  # '-' for a missing number, as rank shows

    cells = {
        head: [escape(str(v)) for v in table[col]]
        if spec is None
        else [_fmt(v, spec) for v in table[col]]
        for head, col, spec in _QC_COLUMNS
    }
    # a column is as wide as its widest cell or its header (neither wraps)
    widths = {head: max([len(head)] + [len(c) for c in cells[head]]) for head in cells}

    def fixed(heads: list[str]) -> int:  # each column: its width + 2 padding + 1 border
        return sum(widths[h] + 3 for h in heads) + 3 + 1  # + the reason's padding and border

    # cell line and treatment go first where every plate id spells them out already
    named = all(
        str(line) in str(plate) and str(drug) in str(plate)
        for plate, line, drug in zip(
            table["plate"], table["cell_line"], table["treatment"], strict=True
        )
    )
    order = _QC_DROP_ORDER if named else (*_QC_DROP_ORDER[2:], *_QC_DROP_ORDER[:2])
    shown = list(cells)
    dropped: list[str] = []
    for head in order:
        if fixed(shown) + _QC_REASON_WIDTH <= width:
            break
        shown.remove(head)
        dropped.append(head)
    # on a very narrow terminal robust Z', then the reason go too: plate ids and verdicts stay
    if fixed(shown) + _QC_REASON_LEAST > width:
        shown.remove("robust Z'")
        dropped.append("robust Z'")
    with_reason = fixed(shown) + _QC_REASON_LEAST <= width  # no word of it cut
    if not with_reason:
        dropped.append("reason")
    t = Table(title=f"Plate QC: {len(table)} plates")
    for head in shown:
        t.add_column(head, no_wrap=True, justify="left" if _QC_SPEC[head] is None else "right")
    if with_reason:
        t.add_column("reason", min_width=max(len("reason"), width - fixed(shown)))
    colours = {"pass": "green", "warn": "yellow", "fail": "red"}
    verdict = [f"[{colours.get(v, 'white')}]{escape(str(v))}[/]" for v in table["verdict"]]
    columns = [verdict if head == "verdict" else cells[head] for head in shown]
    if with_reason:
        columns.append([escape(str(v)) for v in table["reason"]])
    for row in zip(*columns, strict=True):
        t.add_row(*row)
    if dropped:
        t.caption = f"left out for the terminal's width: {', '.join(dropped)} (in qc.tsv)"
    return t
