"""Exception hierarchy: every user-facing problem is a :class:`SecretomeRankError`.

The CLI maps these to exit code 3 and prints only the message (no traceback).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "LayoutError",
    "ResourceError",
    "SchemaError",
    "SecretomeRankError",
]


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
