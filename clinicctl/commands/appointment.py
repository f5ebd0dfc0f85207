"""``clinicctl appointment``: book (including with a provider new to the client), list,
show, cancel, complete, reschedule."""

from __future__ import annotations

from typing import Annotated

import typer

from clinicctl.choices import (
    APPOINTMENT_STATUSES,
    CANCEL_SCOPES,
    REPEATS,
    UNITS,
    WEEKDAYS,
    completer,
)
from clinicctl.commands._booking import (
    COLUMNS,
    FIELDS,
    TABLE,
    DurationOption,
    LocationOption,
    PosOption,
    ServiceOption,
    booking_data,
    print_booking,
    rows_for,
)
from clinicctl.commands._common import (
    DryRunOption,
    ForceOption,
    FormatOption,
    command_group,
    output_format,
    report_change,
    session,
)
from clinicctl.output import message, render_list, render_object, warning

app = command_group(help="Appointments: book, list, show, cancel, complete, reschedule.")


@app.command("book")
def book(
    ctx: typer.Context,
    client: Annotated[str, typer.Option("--client", help="#ID, external id or full name.")],
    provider: Annotated[str, typer.Option("--provider", help="Email, #ID or full name.")],
    at: Annotated[str, typer.Option("--at", metavar="DATETIME",
                                    help="'YYYY-MM-DD HH:MM' in the practice's time zone.")],
    duration: DurationOption = None,
    service: ServiceOption = None,
    pos: PosOption = None,
    location: LocationOption = None,
    repeat: Annotated[str | None, typer.Option(help="weekly, biweekly or monthly.",
                                               autocompletion=completer(REPEATS))] = None,
    every: Annotated[int | None, typer.Option(help="Repeat every N units.")] = None,
    unit: Annotated[str | None, typer.Option(help="days, weeks or months (with --every).",
                                             autocompletion=completer(UNITS))] = None,
    on: Annotated[str | None, typer.Option(help="Weekdays for weekly repeats: mon,thu.",
                                           autocompletion=completer(WEEKDAYS, separated=True))
                  ] = None,
    count: Annotated[int | None, typer.Option(help="Number of occurrences, the first included.")
                     ] = None,
    until: Annotated[str | None, typer.Option(help="Last date of the series (YYYY-MM-DD).")
                     ] = None,
    outside_availability: Annotated[bool, typer.Option(
        "--outside-availability", help="Book even outside the provider's availability.")
    ] = False,
    force: ForceOption = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Book an appointment (or a series). A provider new to the client gets the client in
    their list with demographics only, and the command says so. A start in the past is
    refused (exit 5) unless --force, which books it for the record and says so.

    Example: clinicctl appointment book --client "Maya Chen" --provider "Ana Ruiz"
    --at "2026-12-03 10:00" --repeat weekly --count 6
    """
    from clinicctl.scheduling import booking
    from clinicctl.scheduling.recurrence import make_recurrence

    rule = make_recurrence(repeat=repeat, every=every, unit=unit, on=on,
                                        count=count, until=until)
    fmt_ = output_format(ctx, fmt)
    with session(ctx, dry_run=dry_run) as (db, actor):
        result = booking.book(
            db, actor, client_ref=client, provider_ref=provider, at=at, duration=duration,
            service=service, pos=pos, location_ref=location, recurrence=rule,
            outside_availability=outside_availability, force=force,
        )
        data = booking_data(db, actor, result, dry_run=dry_run)
        lines = result.messages
    print_booking(data, lines, fmt_, dry_run)


@app.command("list")
def list_appointments(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    client: Annotated[str | None, typer.Option(help="Only this client.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="From this date.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Up to and including this date.")
                  ] = None,
    status: Annotated[str | None, typer.Option(
        help="scheduled, completed, cancelled, late-cancelled, no-show (comma-separated).",
        autocompletion=completer(APPOINTMENT_STATUSES, separated=True))
    ] = None,
    fmt: FormatOption = None,
) -> None:
    """List appointments, earliest first.

    Example: clinicctl appointment list --provider "Ana Ruiz" --from 2026-12-01 --to 2026-12-07
    """
    from clinicctl.scheduling import appointments

    with session(ctx, write=False) as (db, actor):
        rows = rows_for(db, actor, appointments.list_appointments(
            db, actor, provider_ref=provider, client_ref=client, start_date=from_,
            end_date=to, status=status))
    searched = " ".join(f"{what} {value.strip()}" for what, value in (
        ("of", client), ("with", provider), ("from", from_), ("to", to),
        ("with status", " or ".join(s.strip() for s in (status or "").split(",") if s.strip())))
        if value)
    render_list(rows, COLUMNS, output_format(ctx, fmt), table=TABLE,
                empty=f"No appointments {searched}." if searched else "No appointments yet.")


@app.command()
def show(ctx: typer.Context, appointment_id: Annotated[int, typer.Argument(metavar="ID")],
         fmt: FormatOption = None) -> None:
    """Show one appointment.

    Example: clinicctl appointment show 42
    """
    from clinicctl.scheduling import appointments

    with session(ctx, write=False) as (db, actor):
        found = appointments.show_appointment(db, actor, appointment_id)
        row = rows_for(db, actor, [found])[0]
    render_object(row, COLUMNS, output_format(ctx, fmt), table=FIELDS)


@app.command()
def cancel(
    ctx: typer.Context,
    appointment_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str | None, typer.Option(help="Why (no clinical detail).")] = None,
    late: Annotated[bool, typer.Option("--late", help="A late cancellation.")] = False,
    no_show: Annotated[bool, typer.Option("--no-show", help="The client did not come.")
                       ] = False,
    scope: Annotated[str, typer.Option(help="this, future (this and later in the series) "
                                       "or series.", autocompletion=completer(CANCEL_SCOPES))
                     ] = "this",
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Cancel an appointment, mark it late-cancelled or no-show; or part of its series.

    Example: clinicctl appointment cancel 42 --late --reason "called an hour before"
    """
    from clinicctl.scheduling import appointments

    with session(ctx, dry_run=dry_run) as (db, actor):
        changed_rows, changed = appointments.cancel(
            db, actor, appointment_id, reason=reason, late=late, no_show=no_show, scope=scope)
        rows = rows_for(db, actor, changed_rows)
    render_list(rows, COLUMNS, output_format(ctx, fmt), table=TABLE)
    if changed:
        report_change(f"{len(rows)} appointment(s) now {rows[0]['status']}.", dry_run=dry_run)
    else:
        message(f"Appointment #{appointment_id} is already {rows[0]['status']}; "
                "nothing changed.")


@app.command()
def complete(ctx: typer.Context, appointment_id: Annotated[int, typer.Argument(metavar="ID")],
             dry_run: DryRunOption = False, fmt: FormatOption = None) -> None:
    """Mark an appointment that has taken place as completed.

    Example: clinicctl appointment complete 42
    """
    from clinicctl.scheduling import appointments

    with session(ctx, dry_run=dry_run) as (db, actor):
        appointment, changed = appointments.complete(db, actor, appointment_id)
        row = rows_for(db, actor, [appointment])[0]
    render_object(row, COLUMNS, output_format(ctx, fmt), table=FIELDS)
    if changed:
        report_change(f"Appointment #{row['id']} completed.", dry_run=dry_run)
    else:
        message(f"Appointment #{row['id']} is already completed; nothing changed.")


@app.command()
def reschedule(
    ctx: typer.Context,
    appointment_id: Annotated[int, typer.Argument(metavar="ID")],
    at: Annotated[str, typer.Option("--at", metavar="DATETIME", help="New start time.")],
    provider: Annotated[str | None, typer.Option(help="Move to another provider.")] = None,
    outside_availability: Annotated[bool, typer.Option(
        "--outside-availability", help="Move it even outside the provider's availability.")
    ] = False,
    force: ForceOption = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Move an appointment, with the same checks as booking (a time in the past only with
    --force). Moved to another provider, it stays in the former provider's calendar export
    as a cancelled event.

    Example: clinicctl appointment reschedule 42 --at "2026-12-04 15:00"
    """
    from clinicctl.scheduling import appointments

    fmt_ = output_format(ctx, fmt)
    with session(ctx, dry_run=dry_run) as (db, actor):
        result = appointments.reschedule(db, actor, appointment_id, at=at,
                                         provider_ref=provider,
                                         outside_availability=outside_availability,
                                         force=force)
        row = rows_for(db, actor, result.appointments)[0]
        lines = result.messages
    render_object(row, COLUMNS, fmt_, table=FIELDS)
    if not result.changed:
        message(f"Appointment #{row['id']} is already at {row['start']:%Y-%m-%d %H:%M} with "
                f"{row['provider']}; nothing changed.")
        return
    report_change(f"Appointment #{row['id']} is now {row['start']:%Y-%m-%d %H:%M} with "
                  f"{row['provider']}.", dry_run=dry_run)
    for line in lines:  # alerts: --quiet never hides them
        warning(line)
