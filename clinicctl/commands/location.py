"""``clinicctl location``: where sessions happen, with their default place-of-service code."""

from __future__ import annotations

from typing import Annotated

import typer

from clinicctl.commands._common import (
    DryRunOption,
    FormatOption,
    command_group,
    created_id,
    output_format,
    report_change,
    session,
)
from clinicctl.output import message, render_list, render_object

app = command_group(help="Locations and their default place-of-service code.")

LOCATION_COLUMNS = [("id", "ID"), ("name", "Name"), ("pos", "POS")]


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="e.g. 'Main office' or Telehealth.")],
    pos: Annotated[str, typer.Option("--pos", help="Default CMS place-of-service code, "
                                     "e.g. 11 office, 10 telehealth in the patient's home.")],
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Add a location (owner, manager).

    Example: clinicctl location add "Main office" --pos 11
    """
    from clinicctl.scheduling import catalog

    with session(ctx, dry_run=dry_run) as (db, actor):
        location, created = catalog.add_location(db, actor, name, pos)
        row = {"id": created_id(location.id, dry_run=dry_run) if created else location.id,
               "name": location.name, "pos": location.pos_code}
    render_object(row, LOCATION_COLUMNS, output_format(ctx, fmt))
    if created and dry_run:
        report_change(f"would add location {row['name']!r}.", dry_run=True)
    elif created:
        report_change(f"Added location #{row['id']}.", dry_run=False)
    else:
        message(f"Location {row['name']!r} already exists; nothing changed.")


@app.command("list")
def list_locations(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """List locations.

    Example: clinicctl location list -o json
    """
    from clinicctl.scheduling import catalog

    with session(ctx, write=False) as (db, actor):
        rows = [{"id": loc.id, "name": loc.name, "pos": loc.pos_code}
                for loc in catalog.list_locations(db, actor)]
    render_list(rows, LOCATION_COLUMNS, output_format(ctx, fmt))
