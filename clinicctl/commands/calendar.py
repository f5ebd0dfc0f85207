"""``export calendar``: a provider's appointments as an iCalendar file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clinicctl.commands._common import output_file, session
from clinicctl.output import message


def calendar(
    ctx: typer.Context,
    provider: Annotated[str, typer.Option("--provider", help="Provider: email, #ID or name.")],
    output: Annotated[Path, typer.Option("--output", help="The .ics file ('-' for stdout).")],
    from_: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
) -> None:
    """A provider's appointments as an iCalendar (.ics) file with generic titles.

    Each appointment starting in the window (any status; cancelled ones marked
    CANCELLED) is a "Client session" event with its time and location, never
    the client's name or details. UIDs are stable: a later export updates the
    same events.

    Example: clinicctl export calendar --provider "Ana Ruiz" --output ana.ics
    """
    from clinicctl.scheduling.calendar import export_calendar

    # The file is opened (and an unwritable --output refused) before the database is touched,
    # and filled only after the export's audit event is committed.
    with output_file(output, newline="") as handle:
        with session(ctx) as (db, actor):
            result = export_calendar(db, actor, provider, start=from_, end=to)
        handle.write(result.ics.decode("utf-8"))
    where = "standard output" if str(output) == "-" else str(output)
    noun = "appointment" if result.events == 1 else "appointments"
    message(f"Wrote {result.events} {noun} of {result.provider} to {where}.")
