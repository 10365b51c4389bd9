"""Exception hierarchy: every user-facing problem is a :class:`SecretomeRankError`.

The CLI maps these to exit code 3 and prints only the message (no traceback). Problems that
are not fatal are Python warnings (:func:`warn`), which the CLI shows as log lines.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "ConfigError",
    "LayoutError",
    "ResourceError",
    "SchemaError",
    "SecretomeRankError",
    "warn",
]

_PACKAGE = str(Path(__file__).resolve().parent) + os.sep


class SecretomeRankError(ValueError):
    """Base class for invalid input, configuration or resources (CLI exit code 3)."""

    def __init__(self, message: str, *, problems: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        if self.problems:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{message}\n{listed}"
        super().__init__(message)


class SchemaError(SecretomeRankError):
    """A table does not have the required columns, types or values."""


class LayoutError(SecretomeRankError):
    """Plate geometry problem: malformed well ids, wells outside the plate, missing grid rows."""


class ConfigError(SecretomeRankError):
    """An option value is invalid (unknown method name, out-of-range threshold)."""


class ResourceError(SecretomeRankError):
    """A ligand-receptor resource or alias table cannot be read or is malformed."""


def warn(message: str) -> None:
    """Report a problem that is not fatal (a data issue, a fallback) as a ``UserWarning``.

    A warning, not a log record: a notebook shows it, while the package logger has only a
    ``NullHandler`` until the CLI installs its own (which shows warnings on stderr as log
    lines). It is attributed to the first caller outside the package, as pandas does.
    """
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
        _PACKAGE
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)
