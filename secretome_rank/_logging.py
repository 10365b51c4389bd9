"""CLI-side logging: a rich handler on stderr. Library modules only call ``getLogger``."""

from __future__ import annotations

import logging
import warnings
from typing import TextIO


def setup_logging(*, verbose: int = 0, quiet: bool = False) -> None:
    """Install one stderr handler on the package logger (idempotent)."""
    from rich.console import Console
    from rich.logging import RichHandler

    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    logger = logging.getLogger("secretome_rank")
    logger.setLevel(level)
    for h in list(logger.handlers):
        if isinstance(h, RichHandler):
            logger.removeHandler(h)
    handler = RichHandler(console=Console(stderr=True), show_time=False, show_path=False)
    handler.setLevel(level)
    logger.addHandler(handler)
    warnings.showwarning = _show_warning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Show a Python warning (an importer's, say) as a log line of the package on stderr.

    ``logging.captureWarnings`` would send it to the ``py.warnings`` logger, which has no
    handler here: the warning was lost.
    """
    logging.getLogger("secretome_rank").warning("%s", message)
