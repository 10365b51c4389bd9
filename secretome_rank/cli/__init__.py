"""Command-line interface (typer). Thin: parse, call the library, write, render.

This package builds ``app``: here the global callback (``--version``, ``-v``, ``-q``), ``main``
and the command list in ``--help`` order; ``_common`` holds what the commands share (option
types, ``_guard``, input loading), ``run`` the commands that analyse a screen (rank, demo, qc) and
``tools`` the others (simulate, report, import, annotate, receptors). Exit codes: 0 ok, 2 usage
error, 3 invalid input or options (message only), 1 bug. Heavy modules (pandas, scipy) are
imported inside the commands so that ``--help`` is fast.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from secretome_rank.cli._common import _STATE as _STATE
from secretome_rank.cli._common import EXIT_BAD_INPUT as EXIT_BAD_INPUT
from secretome_rank.cli._common import REPORT_AUTO_MAX_WELLS as REPORT_AUTO_MAX_WELLS
from secretome_rank.cli._common import _guard as _guard
from secretome_rank.cli._common import _load_wells as _load_wells
from secretome_rank.cli._common import _pairs as _pairs
from secretome_rank.cli.run import _Output as _Output
from secretome_rank.cli.run import _run_rank as _run_rank
from secretome_rank.cli.run import demo, qc, rank
from secretome_rank.cli.tools import annotate, import_, receptors, report_, simulate

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="Rank secreted-protein rescue screens: plate QC, moderated statistics with FDR, "
    "drug-specific rescue vs growth, and the receptors of every hit.",
)


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


# the commands, in the order --help lists them
app.command()(rank)
app.command()(demo)
app.command()(qc)
app.command()(simulate)
app.command("report")(report_)
app.command("import")(import_)
app.command()(annotate)
app.command()(receptors)


def main() -> None:
    """Run the CLI (``app``); ends with ``SystemExit`` like any typer app."""
    app()


def entry_point() -> None:
    """Console script and ``python -m secretome_rank``: :func:`main`, then a quick exit.

    When the command has finished, its output is flushed and the process ends at once
    (``os._exit``) instead of tearing the interpreter down: every file is written and renamed
    by then, and freeing the modules and memory pools of a million-well run took about
    0.15 s. An uncaught exception still ends the usual way, with its traceback. Call
    :func:`main` instead from Python code that must go on running.

    The process also gets the settings of :func:`_tune_process` first.
    """
    _tune_process()
    try:
        main()
    except SystemExit as done:
        _exit_now(done.code)
    _exit_now(0)


def _tune_process() -> None:
    """Process settings for a command run from the shell, unless the user chose otherwise.

    - pyarrow (which holds pandas' text columns and formats the TSV files) allocates from
      mimalloc by default. With transparent huge pages, its fresh arenas are zeroed 2 MB at
      a time: on a million-well ``rank`` that cost about 1 s of kernel time, and the C
      library's allocator made the run about 15 % faster and 140 MB smaller (9 interleaved
      runs each).
    - numpy and scipy each load an OpenBLAS that starts a worker thread per core, and the
      workers spin for a while before they sleep. No command multiplies matrices large
      enough to use them, and on two cores their spinning took about 4 % of a run's CPU
      from the threads that format the output files.

    Set before numpy and pyarrow are imported, and only in the process of a command:
    importing the package changes nothing.
    """
    import os

    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _exit_now(code: object) -> NoReturn:
    """Flush stdout, stderr and the log handlers, then end the process with ``code``."""
    import contextlib
    import logging
    import os
    import sys

    if isinstance(code, str):  # sys.exit("message"): shown, status 1
        sys.stderr.write(f"{code}\n")
    status = code if isinstance(code, int) else (0 if code is None else 1)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # the reader may be gone (`| head`) or the stream closed: nothing left to flush then
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(status)
