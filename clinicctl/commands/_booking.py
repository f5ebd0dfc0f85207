"""What the booking commands share (``appointment book``, ``availability find --book``): the
appointment options, an appointment as an output row, and the booking report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinicctl.commands._common import report_change
from clinicctl.output import NAME, Layout, render_list, render_object, warning

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from clinicctl.models import Appointment, Staff
    from clinicctl.scheduling.booking import BookingResult


# JSON keys and CSV columns (new ones are added at the end, so scripts reading CSV columns
# by position keep working); the table shows names and drops ids first on a narrow terminal.
COLUMNS = [("id", "ID"), ("client_id", "Client ID"), ("provider_id", "Provider ID"),
           ("provider", "Provider"), ("start", "Start"), ("end", "End"),
           ("status", "Status"), ("service", "Service"), ("pos", "POS"),
           ("location", "Location"), ("series_id", "Series"), ("client", "Client"),
           ("clients", "Clients")]
TABLE = Layout(
    [("id", "ID"), ("start", "Start"), ("end_time", "End"), ("client", "Client"),
     ("provider", "Provider"), ("status", "Status"), ("location", "Location"),
     ("service", "Service"), ("pos", "POS"), ("series_id", "Series"),
     ("client_id", "Client ID"), ("provider_id", "Provider ID")],
    optional=["provider_id", "client_id", "series_id", "pos", "service", "end_time",
              "location"],
    wrap={"client": NAME, "provider": NAME, "location": NAME},
    cells=lambda row: {"end_time": end_time(row["start"], row["end"])})
FIELDS = [("id", "ID"), ("client", "Client"), ("client_id", "Client ID"),
          ("provider", "Provider"), ("provider_id", "Provider ID"), ("start", "Start"),
          ("end", "End"), ("status", "Status"), ("service", "Service"), ("pos", "POS"),
          ("location", "Location"), ("series_id", "Series"), ("clients", "Clients")]


def end_time(start: dt.datetime, end: dt.datetime) -> str:
    """The end as a time of day when it is on the start's day, in the same offset."""
    if end.date() == start.date() and end.utcoffset() == start.utcoffset():
        return end.strftime("%H:%M")
    return end.strftime("%Y-%m-%d %H:%M %Z").strip()


ServiceOption = Annotated[str | None, typer.Option(
    "--service", help="Service code (default 90834); sets the default duration.")]



PosOption = Annotated[str | None, typer.Option(
    "--pos", help="Place-of-service code (default: the location's, else 11).")]



LocationOption = Annotated[str | None, typer.Option(
    "--location", help="Location name or #ID (default: the availability block's).")]



DurationOption = Annotated[int | None, typer.Option(
    "--duration", help="Minutes (default: the service's).")]



def appointment_row(appointment: Appointment, zone: ZoneInfo, *,
                    places: list[tuple[int, str | None]], names: dict[int, str],
                    provider: str | None, location: str | None) -> dict[str, Any]:
    """One appointment as an output row. ``places`` are the session's (client id,
    attendance) the viewer may see (``rows_for``), so a provider who sees a colleague's
    group session through one member learns nothing of the others. ``client_id`` is the
    client's when the session shows one client, and null when it shows several; ``client``
    is the names shown, comma-separated."""
    shown = [(client_id, attendance) for client_id, attendance in places
             if client_id in names]
    return {"id": appointment.id,
            "client_id": shown[0][0] if len(shown) == 1 else None,
            "client": ", ".join(names[client_id] for client_id, _ in shown) or None,
            "provider_id": appointment.provider_id, "provider": provider,
            "start": appointment.start_at.astimezone(zone),
            "end": appointment.end_at.astimezone(zone), "status": appointment.status,
            "service": appointment.service_code, "pos": appointment.pos_code,
            "location": location, "series_id": appointment.series_id,
            "clients": [{"client_id": client_id, "attendance": attendance}
                        for client_id, attendance in shown]}


def rows_for(db: Any, actor: Staff, appointments: list[Appointment]) -> list[dict[str, Any]]:
    """Output rows, with the clients of each session and the names of clients, providers
    and locations loaded for all the appointments at once."""
    from clinicctl.days import practice_zone
    from clinicctl.people.names import RESTRICTED_CLIENT, client_names, staff_names
    from clinicctl.scheduling.appointments import location_names, place_scope
    from clinicctl.scheduling.places import places_of

    zone = practice_zone(db)
    places = places_of(db, [a.id for a in appointments])
    names = client_names(db, actor, (client_id for session_places in places.values()
                                     for client_id, _ in session_places))
    scope = place_scope(db, actor, names)
    if scope is not None:
        # A session that is not the viewer's own shows only the clients they may see.
        own = {a.id for a in appointments if a.provider_id == actor.id}
        places = {appointment_id: found if appointment_id in own
                  else [(c, attendance) for c, attendance in found if c in scope]
                  for appointment_id, found in places.items()}
    # A place whose client has no name for the viewer is a restricted client outside their
    # care team: the slot shows, their name and details never do.
    for found in places.values():
        for client_id, _ in found:
            names.setdefault(client_id, RESTRICTED_CLIENT)
    providers = staff_names(db, actor, (a.provider_id for a in appointments))
    locations = location_names(db, (a.location_id for a in appointments))
    return [appointment_row(a, zone, places=places.get(a.id, []), names=names,
                            provider=providers.get(a.provider_id),
                            location=locations.get(a.location_id or 0)) for a in appointments]


def booking_data(db: Any, actor: Staff, result: BookingResult, *, dry_run: bool = False
                 ) -> dict[str, Any]:
    """The booking as JSON: ``new_provider`` (the first client was added to the provider's
    list) and ``reactivated_from`` (the status their inactive or discharged assignment had,
    else null); for a session of several clients ``new_to_provider`` and ``reactivated``
    name each client's (ids). A dry run writes nothing, so it hands out no ids: ``id`` and
    ``series_id`` are null (the database would give them to the next real booking)."""
    rows = rows_for(db, actor, result.appointments)
    if dry_run:
        for row in rows:
            row["id"] = row["series_id"] = None
    data: dict[str, Any] = {
        "appointments": rows, "series_id": None if dry_run else result.series_id,
        "new_provider": result.new_provider, "reactivated_from": result.reactivated}
    if result.others:
        data["new_to_provider"] = [p.client.id for p in result.places if p.new_provider]
        data["reactivated"] = {str(p.client.id): p.reactivated for p in result.places
                               if p.reactivated}
    return data


def print_booking(data: dict[str, Any], lines: list[str], fmt: str, dry_run: bool) -> None:
    if fmt == "json":
        render_object(data, [], fmt)
    else:
        render_list(data["appointments"], COLUMNS, fmt, table=TABLE)
    count = len(data["appointments"])
    first = data["appointments"][0]
    if dry_run:
        when = f"{first['start']:%Y-%m-%d %H:%M %Z}"
        if count > 1:
            when = f"from {when} to {data['appointments'][-1]['start']:%Y-%m-%d %H:%M %Z}"
        else:
            when = f"on {when}"
        report_change(f"would book {count} appointment{'s' if count != 1 else ''} with "
                      f"{first['provider']} {when}.", dry_run=True)
    else:
        what = (f"appointment #{first['id']}" if count == 1
                else f"{count} appointments (series #{data['series_id']})")
        report_change(f"Booked {what} with {first['provider']}.", dry_run=False)
    for line in lines:  # alerts: --quiet never hides them
        warning(line)
