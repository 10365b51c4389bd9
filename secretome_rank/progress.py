"""Progress display on stderr for long runs: stages and per-plate steps (rich).

Shown only when stderr is a terminal and the user did not ask for quiet; in a pipe, a file
or under ``--quiet`` every call is a cheap no-op and nothing is written. Library code may
accept a :class:`Progress` and call it unconditionally::

    with Progress(quiet=quiet) as progress:
        with progress.stage("reading screen"):
            wells = read_screen(path)
        with progress.stage("plate heatmaps", total=n_plates) as step:
            for plate in plates:
                ...
                step.advance()
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

__all__ = ["Progress", "Stage", "progress_enabled"]


def progress_enabled(*, quiet: bool = False, stream: IO[str] | None = None) -> bool:
    """Return True when progress should be drawn: ``stream`` (default stderr) is a TTY, not quiet.

    Parameters
    ----------
    quiet : bool
        The user asked for no progress (``--quiet``).
    stream : file object, optional
        The stream progress would be drawn on (default ``sys.stderr``).

    Returns
    -------
    bool
    """
    if quiet:
        return False
    s = sys.stderr if stream is None else stream
    try:
        return bool(s.isatty())
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


class Stage:
    """One stage of a :class:`Progress` (a task line); a no-op when progress is disabled."""

    def __init__(self, owner: Progress | None, task: TaskID | None) -> None:
        self._owner = owner
        self._task = task

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more steps (e.g. plates) done in this stage."""
        if self._owner is not None and self._owner._rich is not None and self._task is not None:
            self._owner._rich.advance(self._task, n)

    def update(self, *, description: str | None = None, total: int | None = None) -> None:
        """Change the stage's description or its number of steps."""
        if self._owner is not None and self._owner._rich is not None and self._task is not None:
            self._owner._rich.update(self._task, description=description, total=total)

    def done(self) -> None:
        """Mark the stage finished (bar full, spinner stopped)."""
        if self._owner is not None and self._owner._rich is not None and self._task is not None:
            rich = self._owner._rich
            task = next((t for t in rich.tasks if t.id == self._task), None)
            if task is None or task.finished and task.total is not None:
                return
            total = task.total if task.total is not None else 1
            rich.update(self._task, total=total, completed=total)
            rich.stop_task(self._task)

    def __enter__(self) -> Stage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.done()


class Progress:
    """Stage-wise progress on stderr (rich), silent unless stderr is a terminal.

    Parameters
    ----------
    enabled : bool, optional
        Force progress on or off; default: :func:`progress_enabled` (stderr is a TTY and not
        ``quiet``).
    quiet : bool
        Never show anything (``--quiet``); wins over ``enabled``.
    transient : bool
        Remove the progress lines when done (default keeps the finished stages visible).

    Examples
    --------
    >>> with Progress(enabled=False) as p:   # in a pipe: nothing is drawn
    ...     with p.stage("normalising", total=3) as step:
    ...         for _ in range(3):
    ...             step.advance()
    >>> p.enabled
    False
    """

    def __init__(
        self, *, enabled: bool | None = None, quiet: bool = False, transient: bool = False
    ) -> None:
        self.enabled = (progress_enabled(quiet=quiet) if enabled is None else enabled) and not quiet
        self._transient = transient
        self._rich: RichProgress | None = None
        self._current: Stage | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                SpinnerColumn(finished_text="[green]\u2713[/]"),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=self._transient,
            )
            self._rich.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._rich is not None:
            if exc_type is None and self._current is not None:
                self._current.done()
            self._rich.stop()
            self._rich = None
        self._current = None

    def stage(self, description: str, *, total: int | None = None) -> Stage:
        """Start a stage (and finish the previous one).

        Parameters
        ----------
        description : str
            What is being done, e.g. ``"normalising plates"`` (rich markup is escaped).
        total : int, optional
            Number of steps (plates, figures); without it the stage shows a spinner only.

        Returns
        -------
        Stage
            Call ``advance()`` per step; usable as a context manager that finishes the stage.
        """
        if self._rich is None:
            return Stage(None, None)
        from rich.markup import escape

        if self._current is not None:
            self._current.done()
        task = self._rich.add_task(escape(description), total=total)
        self._current = Stage(self, task)
        return self._current
