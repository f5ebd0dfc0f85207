"""``clinicctl location``: where sessions happen, with their default place-of-service code."""

from __future__ import annotations

from typing import Annotated

import typer

from clinicctl.choices import APPOINTMENT_SCOPES, completer
from clinicctl.commands._common import (
    DryRunOption,
    FormatOption,
    command_group,
    created_id,
    output_format,
    report_change,
    session,
)
from clinicctl.output import message, render_list, render_object, warning

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


@app.command()
def edit(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="LOCATION", help="#ID or name.")],
    name: Annotated[str | None, typer.Option(help="The new name.")] = None,
    pos: Annotated[str | None, typer.Option(
        "--pos", help="The new default place-of-service code.")] = None,
    appointments: Annotated[str | None, typer.Option(
        "--appointments", metavar="future", autocompletion=completer(APPOINTMENT_SCOPES),
        help="With --pos: give the location's scheduled future appointments that have the "
        "old code the new one too.")] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Rename a location or change its default POS code (owner, manager).

    Appointments show the location's new name; each keeps the POS code it was booked with,
    unless --appointments future gives the new code to the scheduled future ones that had
    the old code (past and completed appointments keep what was billed).
    Example: clinicctl location edit "Main office" --pos 11 --appointments future
    """
    from clinicctl.scheduling import catalog

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = catalog.edit_location(db, actor, ref, name=name, pos=pos,
                                       appointments=appointments)
        location = result.location
        row = {"id": location.id, "name": location.name, "pos": location.pos_code,
               "changed": bool(result.changes),
               "appointments_changed": result.appointments_changed,
               "appointments_kept": result.appointments_kept}
    render_object(row, LOCATION_COLUMNS, output_format(ctx, fmt))
    if not result.changes:
        message(f"Location {row['name']!r} already has these values; nothing changed.")
        return
    words = {"name": "name", "pos": "POS"}
    changed = ", ".join(f"{words[key]} {_shown(change['from'])} -> {_shown(change['to'])}"
                        for key, change in result.changes.items())
    text = f"Changed location #{row['id']}: {changed}"
    if result.appointments_changed:
        text += (f"; {_count(len(result.appointments_changed), 'scheduled appointment')} "
                 f"there now {'has' if len(result.appointments_changed) == 1 else 'have'} "
                 f"POS {row['pos']}")
    report_change(text + ".", dry_run=dry_run)
    if result.appointments_kept:
        kept = len(result.appointments_kept)
        old = result.changes["pos"]["from"]
        warning(f"{_count(kept, 'scheduled future appointment')} there "
                f"{'keeps' if kept == 1 else 'keep'} POS {old} "
                f"({', '.join(f'#{i}' for i in result.appointments_kept)}); add "
                f"--appointments future to give {'it' if kept == 1 else 'them'} "
                f"POS {row['pos']}.")


def _shown(value: str) -> str:
    return value if value.isdigit() else repr(value)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


@app.command("list")
def list_locations(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """List locations.

    Example: clinicctl location list -o json
    """
    from clinicctl.scheduling import catalog

    with session(ctx, write=False) as (db, actor):
        rows = [{"id": loc.id, "name": loc.name, "pos": loc.pos_code}
                for loc in catalog.list_locations(db, actor)]
    render_list(rows, LOCATION_COLUMNS, output_format(ctx, fmt),
                empty="No locations yet: add one with `clinicctl location add`.")
