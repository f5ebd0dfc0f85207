"""``clinicctl appointment``: book (including with a provider new to the client, and for
several clients at once), list, show, cancel, complete, reschedule, clients, attendance."""

from __future__ import annotations

from typing import Annotated

import typer

from clinicctl.choices import (
    APPOINTMENT_STATUSES,
    ATTENDANCE,
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
    usage_error,
)
from clinicctl.output import message, render_list, render_object, warning

app = command_group(help="Appointments: book, list, show, cancel, complete, reschedule; a "
                         "session's clients and their attendance.")


@app.command("book")
def book(
    ctx: typer.Context,
    at: Annotated[str, typer.Option("--at", metavar="DATETIME",
                                    help="'YYYY-MM-DD HH:MM' in the practice's time zone.")],
    client: Annotated[list[str] | None, typer.Option(
        "--client", help="#ID, external id or full name; repeat it for a couple, family or "
        "group session.")] = None,
    provider: Annotated[str | None, typer.Option(
        "--provider", help="Email, #ID or full name (with --group: the group's provider "
        "unless given).")] = None,
    group: Annotated[str | None, typer.Option(
        "--group", help="A client group (name or #ID): one session for its current members, "
        "with the group's service unless --service.")] = None,
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
    """Book an appointment (or a series), for one client or several: --client repeated for a
    couple or family, --group for a client group. Every client is checked for overlaps; each
    one new to the provider gets the client in their list with demographics only, and the
    command says so, client by client. A start in the past is refused (exit 5) unless
    --force, which books it for the record and says so.

    Example: clinicctl appointment book --client "Maya Chen" --provider "Ana Ruiz"
    --at "2026-12-03 10:00" --repeat weekly --count 6
    """
    from clinicctl.scheduling import booking
    from clinicctl.scheduling.recurrence import make_recurrence

    if not client and not group:
        raise usage_error("Missing option '--client'. Give it once per client of the "
                          "session, or give --group.", ctx)
    if not provider and not group:
        raise usage_error("Missing option '--provider'.", ctx)
    rule = make_recurrence(repeat=repeat, every=every, unit=unit, on=on,
                                        count=count, until=until)
    fmt_ = output_format(ctx, fmt)
    with session(ctx, dry_run=dry_run) as (db, actor):
        result = booking.book(
            db, actor, client_ref=client or [], provider_ref=provider, group_ref=group, at=at,
            duration=duration,
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
        changed_rows, changed, marked = appointments.cancel(
            db, actor, appointment_id, reason=reason, late=late, no_show=no_show, scope=scope)
        rows = rows_for(db, actor, changed_rows)
    render_list(rows, COLUMNS, output_format(ctx, fmt), table=TABLE)
    if changed:
        report_change(f"{len(rows)} appointment(s) now {rows[0]['status']}.", dry_run=dry_run)
        if marked:
            # Each client's attendance changed too (billable for a late cancellation or a
            # no-show): said even with --quiet.
            warning(f"{len(marked)} client place(s) marked {rows[0]['status']} (those not "
                    "marked before; see `clients`).")
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
        appointment, changed, marked = appointments.complete(db, actor, appointment_id)
        row = rows_for(db, actor, [appointment])[0]
    render_object(row, COLUMNS, output_format(ctx, fmt), table=FIELDS)
    if changed:
        report_change(f"Appointment #{row['id']} completed.", dry_run=dry_run)
        if marked:
            warning(f"Client {', '.join(f'#{c}' for c in marked)} marked attended (not "
                    "marked before).")
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
    as a cancelled event; a client new to that provider gets the alert, and the JSON says
    so as a booking's does (new_provider, reactivated_from).

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
    # As a booking says it (JSON only): whether the move put a client in the provider's list.
    moved = {**row, "new_provider": result.new_provider, "reactivated_from": result.reactivated,
             **({"new_to_provider": [p.client.id for p in result.places if p.new_provider]}
                if result.others else {})}
    render_object(moved if fmt_ == "json" else row, COLUMNS, fmt_, table=FIELDS)
    if not result.changed:
        message(f"Appointment #{row['id']} is already at {row['start']:%Y-%m-%d %H:%M} with "
                f"{row['provider']}; nothing changed.")
        return
    report_change(f"Appointment #{row['id']} is now {row['start']:%Y-%m-%d %H:%M} with "
                  f"{row['provider']}.", dry_run=dry_run)
    for line in lines:  # alerts: --quiet never hides them
        warning(line)


@app.command("clients")
def clients(
    ctx: typer.Context,
    appointment_id: Annotated[int, typer.Argument(metavar="ID")],
    add: Annotated[list[str] | None, typer.Option(
        "--add", help="A client to add to the session (repeat for several).")] = None,
    remove: Annotated[list[str] | None, typer.Option(
        "--remove", help="A client to take out of the session (repeat for several).")
    ] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Change who is in one scheduled session (a group, couple or family session). Each
    added client is checked like a booking, and one new to the provider gets the client in
    their list with demographics only, and the command says so. The last client is never
    removed: cancel the session instead.

    Example: clinicctl appointment clients 42 --add "Omar Haddad" --remove "#7"
    """
    from clinicctl.scheduling import appointments

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = appointments.change_clients(db, actor, appointment_id, add=add or [],
                                             remove=remove or [])
        row = rows_for(db, actor, [result.appointment])[0]
    render_object(row, COLUMNS, output_format(ctx, fmt), table=FIELDS)
    said = []
    if result.added:
        said.append("added " + ", ".join(f"#{c}" for c in result.added))
    if result.removed:
        said.append("removed " + ", ".join(f"#{c}" for c in result.removed))
    unchanged = [f"#{c} is already in it" for c in result.already_in] + [
        f"#{c} is not in it" for c in result.not_in]
    if said:
        report_change(f"Appointment #{appointment_id}: {'; '.join(said)}.", dry_run=dry_run)
    if unchanged:
        message(f"Appointment #{appointment_id}: {'; '.join(unchanged)}"
                + ("." if said else "; nothing changed."))
    for line in result.alerts:  # alerts: --quiet never hides them
        warning(line)


@app.command("attendance")
def attendance(
    ctx: typer.Context,
    appointment_id: Annotated[int, typer.Argument(metavar="ID")],
    client: Annotated[str, typer.Option("--client", help="#ID, external id or full name.")],
    set_: Annotated[str, typer.Option(
        "--set", help="attended, no-show, late-cancelled or cancelled.",
        autocompletion=completer(ATTENDANCE))],
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Mark one client's attendance of a session. A client whose place is cancelled or
    late-cancelled is free at that time again; the session goes on for the others. Marking
    what is already marked changes nothing. `appointment complete` marks the clients not yet
    marked as attended; cancelling the session marks them cancelled.

    Example: clinicctl appointment attendance 42 --client "Omar Haddad" --set no-show
    """
    from clinicctl.scheduling import appointments

    with session(ctx, dry_run=dry_run) as (db, actor):
        found, client_id, before, changed = appointments.set_attendance(
            db, actor, appointment_id, client_ref=client, attendance=set_)
        row = rows_for(db, actor, [found])[0]
    render_object(row, COLUMNS, output_format(ctx, fmt), table=FIELDS)
    if changed:
        report_change(f"Appointment #{appointment_id}: client #{client_id} {set_}"
                      + (f" (was {before})." if before else "."), dry_run=dry_run)
    else:
        message(f"Appointment #{appointment_id}: client #{client_id} is already {set_}; "
                "nothing changed.")
