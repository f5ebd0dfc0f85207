"""``clinicctl availability``: weekly blocks, time off, and finding open slots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

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
    FormatOption,
    command_group,
    output_format,
    report_change,
    session,
)
from clinicctl.output import NAME, Layout, render_list, render_object

if TYPE_CHECKING:
    from clinicctl.models import AvailabilityBlock

app = command_group(help="Availability: weekly blocks, time off, finding open slots.")

BLOCK_COLUMNS = [("id", "ID"), ("provider_id", "Provider ID"), ("provider", "Provider"),
                 ("days", "Days"), ("start", "Start"), ("end", "End"),
                 ("location", "Location"), ("session", "Session"), ("break", "Break"),
                 ("from", "From"), ("until", "Until")]
SLOT_COLUMNS = [("n", "#"), ("provider_id", "Provider ID"), ("provider", "Therapist"),
                ("start", "Start"), ("end", "End"), ("location", "Location")]
BLOCK_TABLE = Layout(
    [("id", "ID"), ("provider", "Provider"), ("days", "Days"), ("hours", "Hours"),
     ("location", "Location"), ("minutes", "Session"), ("applies", "Applies"),
     ("provider_id", "Provider ID")],
    optional=["provider_id", "minutes"],
    wrap={"provider": NAME, "location": NAME, "applies": NAME},
    cells=lambda row: {
        "days": ",".join(row["days"]),
        "hours": f"{row['start']}-{row['end']}",
        "minutes": f"{row['session']}+{row['break']}",
        "applies": " ".join(f"{word} {day}" for word, day in
                            (("from", row["from"]), ("until", row["until"])) if day)})
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


def block_row(block: AvailabilityBlock) -> dict[str, Any]:
    from clinicctl.scheduling.timeutil import weekday_names

    return {"id": block.id, "provider_id": block.provider_id, "provider": block.provider.name,
            "days": weekday_names(block.weekdays),
            "start": block.start_time.strftime("%H:%M"),
            "end": block.end_time.strftime("%H:%M"),
            "location": block.location.name if block.location else None,
            "session": block.session_minutes, "break": block.break_minutes,
            "from": block.effective_from, "until": block.effective_until}


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

    Example: clinicctl availability add "Ana Ruiz" --days mon,wed --start 09:00 --end 17:00
    --location "Main office"
    """
    from clinicctl.scheduling import availability

    with session(ctx, dry_run=dry_run) as (db, actor):
        row = block_row(availability.add_block(
            db, actor, provider, days=days, start=start, end=end, location_ref=location,
            session_minutes=session_minutes, break_minutes=break_minutes,
            effective_from=from_, effective_until=until))
    render_object(row, BLOCK_COLUMNS, output_format(ctx, fmt))
    report_change(f"Added availability block #{row['id']} for {row['provider']}.",
                  dry_run=dry_run)


@app.command("list")
def list_blocks(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Argument(help="Only this provider.")] = None,
    fmt: FormatOption = None,
) -> None:
    """List availability blocks.

    Example: clinicctl availability list "Ana Ruiz"
    """
    from clinicctl.scheduling import availability

    with session(ctx, write=False) as (db, actor):
        rows = [block_row(b) for b in availability.list_blocks(db, actor, provider)]
    render_list(rows, BLOCK_COLUMNS, output_format(ctx, fmt), table=BLOCK_TABLE,
                empty=f"No availability blocks for {provider.strip()}." if provider
                else "No availability blocks yet.")


@app.command()
def remove(ctx: typer.Context, block_id: Annotated[int, typer.Argument(metavar="ID")],
           dry_run: DryRunOption = False, fmt: FormatOption = None) -> None:
    """Remove an availability block (booked appointments stay).

    Example: clinicctl availability remove 3
    """
    from clinicctl.scheduling import availability

    with session(ctx, dry_run=dry_run) as (db, actor):
        row = block_row(availability.remove_block(db, actor, block_id))
    render_object(row, BLOCK_COLUMNS, output_format(ctx, fmt))
    report_change(f"Removed availability block #{row['id']}.", dry_run=dry_run)


@app.command()
def timeoff(
    ctx: typer.Context,
    provider: Annotated[str, typer.Argument(help="Email, #ID or full name.")],
    start: Annotated[str, typer.Option(help="'YYYY-MM-DD HH:MM', or a date for the whole day.")],
    end: Annotated[str, typer.Option(help="'YYYY-MM-DD HH:MM', or a date (inclusive).")],
    reason: Annotated[str | None, typer.Option(help="e.g. vacation (no clinical detail).")
                      ] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Record time off: no slots are offered and no bookings accepted then.

    Example: clinicctl availability timeoff "Ana Ruiz" --start 2026-12-24 --end 2026-12-26
    --reason holiday
    """
    from clinicctl.days import practice_zone
    from clinicctl.scheduling import availability

    with session(ctx, dry_run=dry_run) as (db, actor):
        time_off = availability.add_time_off(db, actor, provider, start=start, end=end,
                                             reason=reason)
        zone = practice_zone(db)
        row = {"id": time_off.id, "provider_id": time_off.provider_id,
               "start": time_off.start_at.astimezone(zone),
               "end": time_off.end_at.astimezone(zone), "reason": time_off.reason}
    render_object(row, [("id", "ID"), ("provider_id", "Provider ID"), ("start", "Start"),
                        ("end", "End"), ("reason", "Reason")], output_format(ctx, fmt))
    report_change(f"Recorded time off #{row['id']}.", dry_run=dry_run)


@app.command()
def find(
    ctx: typer.Context,
    client: Annotated[str, typer.Option("--client", help="#ID, external id or full name.")],
    therapist: Annotated[list[str], typer.Option(
        "--therapist", help="A therapist to search (repeat for several).")],
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
    """Find open slots for a client with one or more therapists, earliest first; optionally
    book one. Booking with a therapist new to the client shares demographics only.

    Example: clinicctl availability find --client "Maya Chen" --therapist "Ana Ruiz"
    --therapist "Lee Park" --days 7 --book 2
    """
    from clinicctl.days import practice_today
    from clinicctl.errors import Conflict, InvalidInput
    from clinicctl.scheduling import availability, booking
    from clinicctl.scheduling.catalog import get_service

    if book_n is not None and book_first:
        raise InvalidInput("give either --book N or --book-first, not both")
    if book_n is not None and book_n < 1:
        raise InvalidInput(f"--book must be 1 or more, not {book_n}")
    wanted = 1 if book_first else book_n
    fmt_ = output_format(ctx, fmt)
    with session(ctx, write=wanted is not None, dry_run=dry_run) as (db, actor):
        length = duration
        if length is None and service is not None:
            length = get_service(db, service).minutes
        found, slots = availability.find_slots(
            db, actor, client_ref=client, therapist_refs=therapist, start_date=from_,
            days=days, duration=length, location_ref=location, limit=limit)
        rows = [{"n": n, "provider_id": s.provider_id, "provider": s.provider,
                 "start": s.start, "end": s.end, "location": s.location}
                for n, s in enumerate(slots, start=1)]
        if wanted is None:
            first_day = from_ or practice_today(db).isoformat()
            past = " (that day is in the past)" if from_ and _before_today(db, from_) else ""
            render_list([{k: v for k, v in r.items() if k != "n"} for r in rows]
                        if fmt_ != "table" else rows,
                        SLOT_COLUMNS[1:], fmt_, table=SLOT_TABLE,
                        empty=f"No open slots with {' or '.join(t.strip() for t in therapist)} "
                        f"from {first_day} for {days} day{'s' if days != 1 else ''}{past}.")
            return
        if wanted > len(slots):
            raise Conflict(f"there is no slot {wanted}: {len(slots)} open slot(s) found")
        slot = slots[wanted - 1]
        result = booking.book(
            db, actor, client_ref=f"#{found.id}", provider_ref=f"#{slot.provider_id}",
            # timestamps, not ``end - start``: two times in one zone subtract as wall-clock
            # times, which is an hour off across a DST change.
            at=slot.start, duration=int(slot.end.timestamp() - slot.start.timestamp()) // 60,
            service=service, pos=pos,
            location_ref=f"#{slot.location_id}" if slot.location_id else None)
        data = booking_data(db, actor, result)
        lines = result.messages
    print_booking(data, lines, fmt_, dry_run)
