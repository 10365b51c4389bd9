"""Presentation: output files with provenance (``run.json``) and the rich terminal summary."""

from __future__ import annotations

import hashlib
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from secretome_rank import columns as C
from secretome_rank.errors import ConfigError
from secretome_rank.writers import (
    BackgroundTable,
    neutralize_formulas,
    write_excel,
    write_json,
    write_table,
)

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console
    from rich.table import Table

    from secretome_rank.pipeline import PipelineResult

__all__ = [
    "check_out_dir",
    "EarlyTables",
    "file_sha256",
    "hits_json",
    "input_digests",
    "output_tables",
    "render_summary",
    "run_info",
    "write_outputs",
]

#: columns of wells.tsv (row/col follow from the well id, the arm from the treatment, the
#: normalisation method is per plate in qc.tsv)
WELL_COLUMNS = (
    C.PLATE,
    C.WELL,
    C.VALUE,
    C.ROLE,
    C.PROTEIN,
    C.CELL_LINE,
    C.TREATMENT,
    C.REPLICATE,
    C.RESCUE_PCT,
    C.LOG2_RATIO,
    C.GROWTH_LOG2,
    C.TEST_VALUE,
    C.BSCORE,
    C.FLAGS,
    "cellhts2_norm",
    "score",
    "summary_score",
)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file (hex)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_digests(inputs: Sequence[str | Path]) -> dict[str, str]:
    """SHA-256 of each input that is a file, by its path as given (folders are left out)."""
    return {str(p): file_sha256(p) for p in inputs if Path(p).is_file()}


def run_info(
    result: PipelineResult,
    *,
    inputs: Sequence[str | Path] = (),
    command: str = "",
    digests: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Provenance and counts of a run (the content of ``run.json``).

    ``digests``: :func:`input_digests` of ``inputs`` when already computed (the CLI hashes
    the input files in the background while the screen is ranked).
    """
    import numpy as np
    import scipy

    hits = result.hits
    if digests is None:
        digests = input_digests(inputs)
    return {
        "tool": "secretome_rank",
        "version": result.version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "parameters": result.config,
        "p_adjust": {"method": result.config.get("adjust"), "family": "cell_line x treatment"},
        "inputs": [{"path": path, "sha256": sha} for path, sha in digests.items()],
        "counts": {
            "wells": len(result.wells),
            "plates": int(result.qc.shape[0]),
            "proteins": int(hits[C.PROTEIN].nunique()),
            "contexts": int(hits[[C.CELL_LINE, C.TREATMENT]].drop_duplicates().shape[0]),
            "hits": int(hits[C.IS_HIT].sum()),
            "classes": {
                str(k): int(v) for k, v in hits[C.CLASS].value_counts().sort_index().items()
            },
            "qc_verdicts": {
                str(k): int(v) for k, v in result.qc[C.VERDICT].value_counts().sort_index().items()
            },
        },
        "notes": list(result.notes),
        "environment": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
    }


#: columns of the scored wells that wells.tsv leaves out (they follow from other columns)
_DERIVED_ELSEWHERE = frozenset({C.ROW, C.COL, C.ARM, C.NORM_METHOD, "input_row"})


def wells_table(wells: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``wells.tsv`` from the pipeline's scored wells.

    The input's own columns first (``concentration``, ``batch`` and any other column of the
    input after the canonical ones, as DESIGN section 1 carries them through), then the
    normalised values and flags.
    """
    split = WELL_COLUMNS.index(C.REPLICATE) + 1
    carried = [c for c in wells.columns if c not in WELL_COLUMNS and c not in _DERIVED_ELSEWHERE]
    names = [*WELL_COLUMNS[:split], *carried, *WELL_COLUMNS[split:]]
    return wells[[c for c in names if c in wells.columns]]


def output_tables(result: PipelineResult) -> dict[str, pd.DataFrame]:
    """The result tables by output name (``hits``, ``wells``, ``qc``, ...), present ones only."""
    tables = {
        "hits": result.hits,
        "wells": wells_table(result.wells),
        "qc": result.qc,
        "receptors": result.receptors,
        "receptor_families": result.receptor_families,
        "summary": result.summary,
        "rescue_matrix": result.rescue_matrix,
    }
    return {k: v for k, v in tables.items() if v is not None}


def check_out_dir(out_dir: str | Path, *, force: bool = False) -> None:
    """Refuse a non-empty output folder unless ``force`` (nothing is overwritten by accident).

    Raises
    ------
    ConfigError
        ``out_dir`` exists, is not a folder, or holds files and ``force`` is false.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder; choose a folder name")
    if out.is_dir() and not force:
        present = sorted(p.name for p in out.iterdir())
        if present:
            shown = ", ".join(present[:5]) + (
                f" and {len(present) - 5} more" if len(present) > 5 else ""
            )
            raise ConfigError(
                f"--out {out}: the folder is not empty ({shown}); pass --force to overwrite, "
                "or choose another --out"
            )


class EarlyTables:
    """Output tables written in the background as :func:`secretome_rank.rank_screen` finishes them.

    Pass :meth:`hook` as ``on_table`` to ``rank_screen`` and this object as ``early`` to
    :func:`write_outputs`: ``wells.tsv`` is then formatted while the statistics run, and
    ``hits.tsv`` and the receptor tables while the across-context summary runs. Each file
    appears under its name only when :func:`write_outputs` commits it; use the object as a
    context manager so a failed run leaves no temporary file.

    Examples
    --------
    >>> import tempfile
    >>> import secretome_rank as sr
    >>> wells, _ = sr.simulate_screen(seed=3, n_proteins=40, cell_lines=("A",), drugs=("x",))
    >>> folder = Path(tempfile.mkdtemp()) / "out"
    >>> with EarlyTables(folder) as early:
    ...     result = sr.rank_screen(wells, on_table=early.hook)
    ...     paths = write_outputs(result, folder, early=early)
    >>> sorted(early.names) == ["hits", "receptor_families", "receptors", "wells"]
    True
    """

    def __init__(self, out_dir: str | Path, *, safe_text: bool = False) -> None:
        self.out = Path(out_dir)
        self.safe_text = safe_text
        self._jobs: dict[str, BackgroundTable] = {}
        # one thread formats the tables one after the other, so the caller keeps a core
        self._pool = ThreadPoolExecutor(max_workers=1)

    def hook(self, name: str, frame: pd.DataFrame) -> None:
        """Start writing output table ``name`` (``wells``: the pipeline's scored wells)."""
        table = wells_table(frame) if name == "wells" else frame
        job = BackgroundTable(self.out / f"{name}.tsv", executor=self._pool)
        self._jobs[name] = job
        job.submit(neutralize_formulas(table) if self.safe_text else table)

    @property
    def names(self) -> list[str]:
        """Names of the tables handed to it, in that order."""
        return list(self._jobs)

    def commit(self, name: str) -> Path:
        """Wait for table ``name`` and move it to its file name."""
        return self._jobs[name].commit()

    def take_back(self) -> list[str]:
        """Drop the tables whose writes have not started; return their names.

        The caller writes them itself, side by side with the others (:func:`write_outputs`):
        when the computation is done, the formatting thread may still have a queue. The
        names stay in :attr:`names`; only the others are to be committed.
        """
        return [name for name, job in self._jobs.items() if job.cancel()]

    def __enter__(self) -> EarlyTables:
        return self

    def __exit__(self, *exc: object) -> None:
        # newest first: the first job made the folder (if it did) and removes it last
        for job in reversed(self._jobs.values()):
            job.discard()
        self._pool.shutdown()


def write_outputs(
    result: PipelineResult,
    out_dir: str | Path,
    *,
    inputs: Sequence[str | Path] = (),
    command: str = "",
    excel: bool = False,
    safe_text: bool = False,
    early: EarlyTables | None = None,
    digests: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write the output tables and ``run.json`` into ``out_dir``, each atomically.

    ``hits.tsv``, ``wells.tsv``, ``qc.tsv``, plus ``receptors.tsv``,
    ``receptor_families.tsv``, ``summary.tsv`` and ``rescue_matrix.tsv`` when present.
    ``excel`` also writes ``results.xlsx`` (every table but wells, one sheet each, text
    cells that would run as formulas neutralised); ``safe_text`` neutralises them in the
    TSV files too. ``early``: tables already being written in the background
    (:class:`EarlyTables`); they are committed instead of written again, except those whose
    write has not started yet, which are taken back and written here. Returns the
    written paths, in the order of :func:`output_tables`. ``digests``: see :func:`run_info`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = output_tables(result)
    # tables still queued on the background thread are written here, side by side
    taken = set() if early is None else set(early.take_back())
    started = set() if early is None else set(early.names) - taken
    late = {k: v for k, v in tables.items() if k not in started}

    def write(item: tuple[str, pd.DataFrame]) -> Path:
        name, t = item
        path = out / f"{name}.tsv"
        # a table taken back streams on one thread, as it would have on the background one
        threads = 1 if name in taken else None
        return write_table(neutralize_formulas(t) if safe_text else t, path, threads=threads)

    # Arrow formats text without the GIL: the tables are written side by side
    with ThreadPoolExecutor(max_workers=max(1, min(len(late), os.cpu_count() or 1))) as pool:
        done = dict(zip(late, pool.map(write, late.items()), strict=True))
    if early is not None:
        done |= {k: early.commit(k) for k in started}
    written = [done[k] for k in tables]
    if excel:
        sheets = {k: v for k, v in tables.items() if k != "wells"}
        written.append(write_excel(sheets, out / "results.xlsx"))
    info = run_info(result, inputs=inputs, command=command, digests=digests)
    info["outputs"] = {"excel": excel, "safe_text": safe_text}
    written.append(write_json(info, out / "run.json"))
    return written


def hits_json(hits: pd.DataFrame) -> str:
    """Hits as a JSON array of records (NaN -> null, numbers exact)."""
    from secretome_rank.writers import json_records

    return json_records(hits)


def _fmt(x: object, spec: str) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return "-"
    return format(x, spec)


#: above this many contexts the summary shows one overview table instead of one per context
MAX_CONTEXT_TABLES = 8


def render_summary(
    result: PipelineResult,
    console: Console,
    *,
    top: int = 10,
    max_contexts: int = MAX_CONTEXT_TABLES,
) -> None:
    """Print counts, QC verdicts and the top hits per context as rich tables.

    With more than ``max_contexts`` contexts, one overview table lists the ``top`` contexts
    with most hits (their best hits named) instead of a table per context.
    """
    from rich.markup import escape
    from rich.table import Table

    hits = result.hits
    qc = result.qc
    verdicts = qc[C.VERDICT].value_counts()
    console.print(
        f"[bold]secretome_rank {result.version}[/]: {hits[C.PROTEIN].nunique()} proteins, "
        f"{len(qc)} plates, {len(result.wells)} wells; "
        f"QC pass {verdicts.get(C.PASS, 0)} / warn {verdicts.get(C.WARN, 0)} "
        f"/ fail {verdicts.get(C.FAIL, 0)}"
    )
    bad = qc[qc[C.VERDICT] != C.PASS]
    if len(bad):
        t = Table(title="Plates with QC warnings or failures", title_justify="left")
        for col in ("plate", "verdict", "robust Z'", "reason"):
            t.add_column(col)
        for _, row in bad.head(top).iterrows():
            colour = "red" if row[C.VERDICT] == C.FAIL else "yellow"
            t.add_row(
                escape(str(row[C.PLATE])),
                f"[{colour}]{row[C.VERDICT]}[/]",
                _fmt(row["robust_z_prime"], ".2f"),
                str(row[C.REASON]),
            )
        if len(bad) > top:
            t.caption = f"{len(bad) - top} more in qc.tsv"
        console.print(t)
    contexts = hits.groupby([C.CELL_LINE, C.TREATMENT], sort=True, observed=True)
    if contexts.ngroups > max_contexts:
        console.print(_context_overview(hits, top=top))
        if result.summary is not None and len(result.summary):
            console.print(_protein_overview(result.summary, n_contexts=contexts.ngroups, top=top))
    else:
        for (line, drug), ctx in contexts:
            console.print(_context_table(line, drug, ctx, top=top))
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def _context_table(line: object, drug: object, ctx: pd.DataFrame, *, top: int) -> Table:
    """Top hits of one context."""
    from rich.markup import escape
    from rich.table import Table

    n_hit = int(ctx[C.IS_HIT].sum())
    classes = ctx.loc[ctx[C.IS_HIT], C.CLASS].value_counts()
    cls_text = ", ".join(f"{v} {k}" for k, v in classes.items())
    t = Table(
        title=f"{escape(str(line))} + {escape(str(drug))}: "
        f"{n_hit} hit(s) of {len(ctx)} proteins" + (f" ({cls_text})" if cls_text else ""),
        title_justify="left",
    )
    for col, justify in (
        ("rank", "right"),
        ("protein", "left"),
        ("symbol", "left"),
        ("rescue %", "right"),
        ("q", "right"),
        ("class", "left"),
        ("receptors", "left"),
    ):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for _, row in ctx.head(top).iterrows():
        style = "bold green" if row[C.IS_HIT] else ""
        receptors = row.get(C.RECEPTORS)
        rec = "" if receptors is None or pd.isna(receptors) else str(receptors)
        t.add_row(
            str(row[C.RANK]),
            escape(str(row[C.PROTEIN])),
            "" if pd.isna(row[C.SYMBOL]) else escape(str(row[C.SYMBOL])),
            _fmt(row[C.RESCUE_PCT], ".1f"),
            _fmt(row[C.Q_VALUE], ".2g"),
            str(row[C.CLASS]),
            escape(rec[:40] + ("..." if len(rec) > 40 else "")),
            style=style,
        )
    return t


def _context_overview(hits: pd.DataFrame, *, top: int) -> Table:
    """One row per context (most hits first, ``top`` rows): hit count, classes, best hits."""
    from rich.markup import escape
    from rich.table import Table

    keys = [C.CELL_LINE, C.TREATMENT]
    is_hit = hits[C.IS_HIT].to_numpy(dtype=bool)
    n_hit = hits.groupby(keys, sort=True, observed=True)[C.IS_HIT].sum().astype(int)
    order = n_hit.reset_index(name="n").sort_values("n", ascending=False, kind="mergesort")
    shown = order.head(top)
    hit_rows = hits[is_hit].sort_values([*keys, C.RANK], kind="mergesort")
    first3 = hit_rows.groupby(keys, sort=False, observed=True).head(3)
    best: dict[tuple[object, object], list[str]] = {}
    names = first3[C.PROTEIN].astype(str)
    for line, drug, name in zip(first3[C.CELL_LINE], first3[C.TREATMENT], names, strict=True):
        best.setdefault((line, drug), []).append(name)  # at most 3 per context
    t = Table(
        title=f"{len(order)} contexts: {int(is_hit.sum())} hits "
        f"({int((n_hit > 0).sum())} contexts with a hit)",
        title_justify="left",
    )
    for col, justify in (("cell line", "left"), ("treatment", "left"), ("hits", "right")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    t.add_column("best hits", justify="left")
    for line, drug, n in shown.itertuples(index=False):
        t.add_row(
            escape(str(line)),
            escape(str(drug)),
            str(n),
            escape(", ".join(best.get((line, drug), []))),
        )
    if len(order) > top:
        t.caption = f"{len(order) - top} more contexts: hits.tsv, summary.tsv"
    return t


def _protein_overview(summary: pd.DataFrame, *, n_contexts: int, top: int) -> Table:
    """The ``top`` proteins of the across-context summary (``summary.tsv`` order)."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title="Across contexts (summary.tsv)", title_justify="left")
    for col, justify in (
        ("protein", "left"),
        ("symbol", "left"),
        ("hit in", "right"),
        ("mean rescue %", "right"),
        ("pattern", "left"),
        ("receptors", "left"),
    ):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in summary.head(top).itertuples(index=False):
        # pandas-stubs types the fields as any scalar (Period, Interval, ...), more than
        # pd.isna and int() accept: these columns hold text or NaN, and a count
        receptors = cast("str | float", row.receptors)
        symbol = cast("str | float", row.symbol)
        n_hit = cast(int, row.n_hit)
        rec = "" if pd.isna(receptors) else str(receptors)
        pattern = f"{row.drug_pattern}, {row.line_pattern}"
        t.add_row(
            escape(str(row.protein)),
            "" if pd.isna(symbol) else escape(str(symbol)),
            f"{int(n_hit)} / {n_contexts}",
            _fmt(row.mean_rescue_pct, ".1f"),
            escape(pattern),
            escape(rec[:40] + ("..." if len(rec) > 40 else "")),
            style="bold green" if bool(row.is_combined_hit) else "",
        )
    if len(summary) > top:
        t.caption = f"{len(summary) - top} more proteins in summary.tsv"
    return t
