"""``clinicctl availability``: weekly blocks, time off, and finding open slots."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from clinicctl.choices import WEEKDAYS, completer
from clinicctl.commands._booking import (
    DurationOption,
    LocationOption,
    PosOption,
    ServiceOption,
    booking_data,
    end_time,
    print_booking,
)
from clinicctl.commands._common import (
    DryRunOption,
    ForceOption,
    FormatOption,
    command_group,
    created_id,
    output_format,
    report_change,
    session,
)
from clinicctl.output import NAME, Layout, message, render_list, render_object, warning

app = command_group(help="Availability: weekly blocks, time off, finding open slots.")

# The table's columns; JSON and CSV have every field of the one shape (BLOCK_FIELDS).
BLOCK_COLUMNS = [("id", "ID"), ("provider_id", "Provider ID"), ("provider", "Provider"),
                 ("weekdays", "Days"), ("start_time", "Start"), ("end_time", "End"),
                 ("location", "Location"), ("session_minutes", "Session"),
                 ("break_minutes", "Break"), ("effective_from", "From"),
                 ("effective_until", "Until")]
TIME_OFF_COLUMNS = [("id", "ID"), ("provider_id", "Provider ID"), ("provider", "Provider"),
                    ("start", "Start"), ("end", "End"), ("reason", "Reason")]
SLOT_COLUMNS = [("n", "#"), ("provider_id", "Provider ID"), ("provider", "Therapist"),
                ("start", "Start"), ("end", "End"), ("location", "Location")]
BLOCK_TABLE = Layout(
    [("id", "ID"), ("provider", "Provider"), ("days", "Days"), ("hours", "Hours"),
     ("location", "Location"), ("minutes", "Session"), ("applies", "Applies"),
     ("provider_id", "Provider ID")],
    optional=["provider_id", "minutes"],
    wrap={"provider": NAME, "location": NAME, "applies": NAME},
    cells=lambda row: {
        "days": ",".join(row["weekdays"]),
        "hours": f"{row['start_time']}-{row['end_time']}",
        "minutes": f"{row['session_minutes']}+{row['break_minutes']}",
        "applies": " ".join(f"{word} {day}" for word, day in
                            (("from", row["effective_from"]),
                             ("until", row["effective_until"])) if day)})
SLOT_TABLE = Layout([("n", "#"), ("provider", "Therapist"), ("start", "Start"),
                     ("end_time", "End"), ("location", "Location"),
                     ("provider_id", "Provider ID")],
                    optional=["provider_id", "location"],
                    wrap={"provider": NAME, "location": NAME},
                    cells=lambda row: {"end_time": end_time(row["start"], row["end"])})


def _before_today(db: Any, day: str) -> bool:
    from clinicctl.days import practice_today
    from clinicctl.people.refs import parse_date

    return parse_date(day, "--from date") < practice_today(db)


def _columns(table: list[tuple[str, str]], fields: tuple[str, ...], fmt: str
             ) -> list[tuple[str, str]]:
    return table if fmt == "table" else [(name, name) for name in fields]


@app.command()
def add(
    ctx: typer.Context,
    provider: Annotated[str, typer.Argument(help="Email, #ID or full name.")],
    days: Annotated[str, typer.Option(help="Weekdays, e.g. mon,tue,thu.",
                                      autocompletion=completer(WEEKDAYS, separated=True))],
    start: Annotated[str, typer.Option(help="HH:MM, practice time.")],
    end: Annotated[str, typer.Option(help="HH:MM, practice time.")],
    location: Annotated[str | None, typer.Option(help="Location name or #ID.")] = None,
    session_minutes: Annotated[int, typer.Option("--session", help="Session minutes.")] = 50,
    break_minutes: Annotated[int, typer.Option("--break", help="Break after each session.")
                             ] = 10,
    from_: Annotated[str | None, typer.Option("--from", help="First day it applies.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day it applies.")] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Add a weekly availability block for a provider.

    The same block again is a no-op; a block that overlaps another of the provider's (a
    weekday, hours and days in common) exits 5 and names it.
    Example: clinicctl availability add "Ana Ruiz" --days mon,wed --start 09:00 --end 17:00
    --location "Main office"
    """
    from clinicctl.scheduling import availability

    fmt_ = output_format(ctx, fmt)
    with session(ctx, dry_run=dry_run) as (db, actor):
        block, added = availability.ensure_block(
            db, actor, provider, days=days, start=start, end=end, location_ref=location,
            session_minutes=session_minutes, break_minutes=break_minutes,
            effective_from=from_, effective_until=until)
        row = availability.block_record(block)
        if added:
            row["id"] = created_id(row["id"], dry_run=dry_run)
    render_object(row, _columns(BLOCK_COLUMNS, availability.BLOCK_FIELDS, fmt_), fmt_)
    if not added:
        message(f"{row['provider']} already has this availability block (#{row['id']}); "
                "nothing changed.")
    elif dry_run:
        report_change(f"would add an availability block for {row['provider']}.", dry_run=True)
    else:
        report_change(f"Added availability block #{row['id']} for {row['provider']}.",
                      dry_run=False)


@app.command("list")
def list_blocks(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Argument(help="Only this provider.")] = None,
    fmt: FormatOption = None,
) -> None:
    """List availability blocks (the columns of `export availability`).

    Example: clinicctl availability list "Ana Ruiz"
    """
    from clinicctl.scheduling import availability

    fmt_ = output_format(ctx, fmt)
    with session(ctx, write=False) as (db, actor):
        rows = [availability.block_record(b)
                for b in availability.list_blocks(db, actor, provider)]
    render_list(rows, _columns(BLOCK_COLUMNS, availability.BLOCK_FIELDS, fmt_), fmt_,
                table=BLOCK_TABLE,
                empty=f"No availability blocks for {provider.strip()}." if provider
                else "No availability blocks yet.")


@app.command()
def remove(ctx: typer.Context, block_id: Annotated[int, typer.Argument(metavar="ID")],
           dry_run: DryRunOption = False, fmt: FormatOption = None) -> None:
    """Remove an availability block (booked appointments stay).

    Example: clinicctl availability remove 3
    """
    from clinicctl.scheduling import availability

    fmt_ = output_format(ctx, fmt)
    with session(ctx, dry_run=dry_run) as (db, actor):
        row = availability.block_record(availability.remove_block(db, actor, block_id))
    render_object(row, _columns(BLOCK_COLUMNS, availability.BLOCK_FIELDS, fmt_), fmt_)
    report_change(f"Removed availability block #{row['id']}.", dry_run=dry_run)


# --- time off -------------------------------------------------------------------------------

SUBCOMMANDS = ("add", "list", "remove")


class TimeOffGroup(TyperGroup):
    """``availability timeoff PROVIDER --start ... --end ...`` adds time off, as it always
    has: anything but a subcommand's name (``add``, ``list``, ``remove``, in any case) in
    first place is the provider. Those words are therefore never a staff reference here: a
    provider named "List" is given by email or ``#ID``."""

    default_command = "add"

    def get_command(self, ctx: Any, name: str) -> Any:
        return super().get_command(ctx, name.lower() if name.lower() in SUBCOMMANDS else name)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in ctx.help_option_names:
            if args[0].lower() in SUBCOMMANDS:
                args = [args[0].lower(), *args[1:]]
            else:
                args = [self.default_command, *args]
        return super().parse_args(ctx, args)


timeoff_app = command_group(
    help="Time off: add it (`availability timeoff PROVIDER --start ... --end ...`, the same "
    "as `availability timeoff add ...`), list it, remove it. No slot is offered and no "
    "booking accepted during time off.", cls=TimeOffGroup)
app.add_typer(timeoff_app, name="timeoff")


def _time_off_row(change: Any, zone: Any, *, dry_run: bool) -> dict[str, Any]:
    from clinicctl.scheduling.time_off import time_off_record

    row = time_off_record(change.time_off, change.provider, zone)
    if change.created:
        row["id"] = created_id(row["id"], dry_run=dry_run)
    row["booked_appointments"] = [a.id for a in change.booked]
    return row


@timeoff_app.command("add")
def timeoff_add(
    ctx: typer.Context,
    provider: Annotated[str, typer.Argument(help="Email, #ID or full name.")],
    start: Annotated[str, typer.Option(help="'YYYY-MM-DD HH:MM', or a date for the whole day.")],
    end: Annotated[str, typer.Option(help="'YYYY-MM-DD HH:MM', or a date (inclusive).")],
    reason: Annotated[str | None, typer.Option(help="e.g. vacation (no clinical detail).")
                      ] = None,
    force: ForceOption = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Record time off: no slots are offered and no bookings accepted then.

    Time off over the provider's booked appointments exits 5 and lists them; with --force it
    is recorded anyway, the appointments stay booked, and the command lists them. The same
    time off again is a no-op. `availability timeoff PROVIDER ...` is short for this.
    Example: clinicctl availability timeoff "Ana Ruiz" --start 2026-12-24 --end 2026-12-26
    --reason holiday
    """
    from clinicctl.days import practice_zone
    from clinicctl.scheduling import time_off
    from clinicctl.scheduling.time_off import TIME_OFF_FIELDS, appointment_lines

    fmt_ = output_format(ctx, fmt)
    with session(ctx, dry_run=dry_run) as (db, actor):
        change = time_off.add_time_off(db, actor, provider, start=start, end=end,
                                       reason=reason, force=force)
        zone = practice_zone(db)
        row = _time_off_row(change, zone, dry_run=dry_run)
        affected = appointment_lines(change.booked, zone)
    render_object(row, _columns(TIME_OFF_COLUMNS, (*TIME_OFF_FIELDS, "booked_appointments"),
                                fmt_), fmt_)
    if not change.created:
        message(f"{row['provider']} already has this time off (#{row['id']}); nothing "
                "changed.")
        return
    if dry_run:
        report_change(f"would record time off for {row['provider']}.", dry_run=True)
    else:
        report_change(f"Recorded time off #{row['id']} for {row['provider']}.", dry_run=False)
    if affected:
        count = len(change.booked)
        warning(f"Warning: {row['provider']} has {count} booked appointment"
                f"{'' if count == 1 else 's'} during this time off, still booked (cancel or "
                f"reschedule {'it' if count == 1 else 'them'}): {'; '.join(affected)}.")


@timeoff_app.command("list")
def timeoff_list(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Argument(help="Only this provider.")] = None,
    from_: Annotated[str | None, typer.Option(
        "--from", help="Time off on or after this day (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="Time off on or before this day, inclusive.")] = None,
    fmt: FormatOption = None,
) -> None:
    """List time off, earliest first, with the ids `timeoff remove` takes (the columns of
    `export timeoff`). A provider sees their own.

    Example: clinicctl availability timeoff list "Ana Ruiz" --from 2026-12-01 -o json
    """
    from clinicctl.days import practice_zone
    from clinicctl.scheduling import time_off

    fmt_ = output_format(ctx, fmt)
    with session(ctx, write=False) as (db, actor):
        zone = practice_zone(db)
        rows = [time_off.time_off_record(entry, staff, zone) for entry, staff in
                time_off.list_time_off(db, actor, provider, first_day=from_, last_day=to)]
    render_list(rows, _columns(TIME_OFF_COLUMNS, time_off.TIME_OFF_FIELDS, fmt_), fmt_,
                empty=f"No time off for {provider.strip()}." if provider
                else "No time off recorded.")


@timeoff_app.command("remove")
def timeoff_remove(ctx: typer.Context,
                   time_off_id: Annotated[int, typer.Argument(metavar="ID")],
                   dry_run: DryRunOption = False, fmt: FormatOption = None) -> None:
    """Remove time off (audited). An id that is not there (removed already) exits 3.

    Example: clinicctl availability timeoff remove 7
    """
    from clinicctl.days import practice_zone
    from clinicctl.scheduling import time_off

    fmt_ = output_format(ctx, fmt)
    with session(ctx, dry_run=dry_run) as (db, actor):
        entry, staff = time_off.remove_time_off(db, actor, time_off_id)
        row = time_off.time_off_record(entry, staff, practice_zone(db))
    render_object(row, _columns(TIME_OFF_COLUMNS, time_off.TIME_OFF_FIELDS, fmt_), fmt_)
    report_change(f"Removed time off #{row['id']} of {row['provider']}.", dry_run=dry_run)


@app.command()
def find(
    ctx: typer.Context,
    client: Annotated[list[str] | None, typer.Option(
        "--client", help="#ID, external id or full name; repeat it for a couple, family or "
        "group session (slots when every client is free).")] = None,
    group: Annotated[str | None, typer.Option(
        "--group", help="A client group (name or #ID): slots when its provider and every "
        "current member are free, as long as the group's service unless --duration or "
        "--service.")] = None,
    therapist: Annotated[list[str] | None, typer.Option(
        "--therapist", help="A therapist to search (repeat for several; with --group the "
        "group's provider unless given).")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="First day (default today).")
                     ] = None,
    days: Annotated[int, typer.Option(help="Days to search.")] = 14,
    duration: DurationOption = None,
    location: LocationOption = None,
    limit: Annotated[int, typer.Option(help="At most this many slots.")] = 20,
    book_n: Annotated[int | None, typer.Option("--book", metavar="N",
                                               help="Book the Nth slot listed.")] = None,
    book_first: Annotated[bool, typer.Option("--book-first", help="Book the first slot.")
                          ] = False,
    service: ServiceOption = None,
    pos: PosOption = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Find open slots for a client, or several, with one or more therapists, earliest
    first; optionally book one. --client repeated or --group finds times when the therapist
    and every client are free, and books one session for all of them. Booking with a
    therapist new to a client shares demographics only, and says so for each such client.

    Example: clinicctl availability find --client "Maya Chen" --therapist "Ana Ruiz"
    --therapist "Lee Park" --days 7 --book 2
    """
    from clinicctl.commands._common import usage_error
    from clinicctl.days import practice_today
    from clinicctl.errors import Conflict, InvalidInput
    from clinicctl.scheduling import availability, booking

    if not client and not group:
        raise usage_error("Missing option '--client'. Give it once per client of the "
                          "session, or give --group.", ctx)
    if not therapist and not group:
        raise usage_error("Missing option '--therapist'.", ctx)
    if book_n is not None and book_first:
        raise InvalidInput("give either --book N or --book-first, not both")
    if book_n is not None and book_n < 1:
        raise InvalidInput(f"--book must be 1 or more, not {book_n}")
    wanted = 1 if book_first else book_n
    fmt_ = output_format(ctx, fmt)
    with session(ctx, write=wanted is not None, dry_run=dry_run) as (db, actor):
        found = availability.search_slots(
            db, actor, client_ref=client or [], group_ref=group, therapist_refs=therapist or [],
            start_date=from_, days=days, duration=duration, service=service,
            location_ref=location, limit=limit)
        slots = found.slots
        rows = [{"n": n, "provider_id": s.provider_id, "provider": s.provider,
                 "start": s.start, "end": s.end, "location": s.location}
                for n, s in enumerate(slots, start=1)]
        if wanted is None:
            first_day = from_ or practice_today(db).isoformat()
            past = " (that day is in the past)" if from_ and _before_today(db, from_) else ""
            who = (" or ".join(t.strip() for t in therapist) if therapist
                   else found.providers[0].name)
            free = (f" when all {len(found.clients)} clients are free"
                    if len(found.clients) > 1 else "")
            render_list([{k: v for k, v in r.items() if k != "n"} for r in rows]
                        if fmt_ != "table" else rows,
                        SLOT_COLUMNS[1:], fmt_, table=SLOT_TABLE,
                        empty=f"No open slots with {who}{free} from {first_day} for {days} "
                        f"day{'s' if days != 1 else ''}{past}.")
            return
        if wanted > len(slots):
            raise Conflict(f"there is no slot {wanted}: {len(slots)} open slot(s) found")
        slot = slots[wanted - 1]
        members = set(found.member_ids)
        result = booking.book(
            db, actor, client_ref=[f"#{c.id}" for c in found.clients if c.id not in members],
            group_ref=f"#{found.group.id}" if found.group is not None else None,
            provider_ref=f"#{slot.provider_id}",
            # timestamps, not ``end - start``: two times in one zone subtract as wall-clock
            # times, which is an hour off across a DST change.
            at=slot.start, duration=int(slot.end.timestamp() - slot.start.timestamp()) // 60,
            service=service, pos=pos,
            location_ref=f"#{slot.location_id}" if slot.location_id else None)
        data = booking_data(db, actor, result, dry_run=dry_run)
        lines = result.messages
    print_booking(data, lines, fmt_, dry_run)
