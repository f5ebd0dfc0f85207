"""Progress bars for work that can take more than a second, on stderr only.

A bar is drawn only for a person watching: stderr is a terminal, ``--quiet`` is off and
``TERM`` is not ``dumb``. Otherwise (cron, pipes, CI, tests) ``advance`` is a no-op and rich
is never imported, so a script pays nothing for it.

Example::

    with progress("Sharing") as advance:
        for row in rows:
            ...
            advance(1)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from clinicctl import output


def _noop(_n: int) -> None:
    return None


def enabled(stream: TextIO | None = None) -> bool:
    """Whether a bar would be drawn on ``stream`` (default: the current stderr)."""
    stream = sys.stderr if stream is None else stream
    if output.is_quiet() or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; a transient rich bar on stderr when a person is watching.

    ``total=None`` shows an indeterminate bar with a running count. Advancing once per row
    is fine (rich throttles redraws), but callers with very cheap rows may batch.
    """
    stream = sys.stderr
    if not enabled(stream):
        yield _noop
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    # The console writes to stderr explicitly. stdout is never redirected through the bar:
    # data printed meanwhile must stay on stdout, untouched.
    console = output.rich_console(file=stream)  # no escapes but the bar's under NO_COLOR
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=True,
    )
    with bar:
        task = bar.add_task(description, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance
