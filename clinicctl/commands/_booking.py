"""What the booking commands share (``appointment book``, ``availability find --book``): the
appointment options, an appointment as an output row, and the booking report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinicctl.commands._common import report_change
from clinicctl.output import render_list, render_object, warning

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from clinicctl.models import Appointment
    from clinicctl.scheduling.booking import BookingResult


COLUMNS = [("id", "ID"), ("client_id", "Client"), ("provider_id", "Provider ID"),
           ("provider", "Provider"), ("start", "Start"), ("end", "End"),
           ("status", "Status"), ("service", "Service"), ("pos", "POS"),
           ("location", "Location"), ("series_id", "Series")]



ServiceOption = Annotated[str | None, typer.Option(
    "--service", help="Service code (default 90834); sets the default duration.")]



PosOption = Annotated[str | None, typer.Option(
    "--pos", help="Place-of-service code (default: the location's, else 11).")]



LocationOption = Annotated[str | None, typer.Option(
    "--location", help="Location name or #ID (default: the availability block's).")]



DurationOption = Annotated[int | None, typer.Option(
    "--duration", help="Minutes (default: the service's).")]



def appointment_row(appointment: Appointment, zone: ZoneInfo, location: str | None
                    ) -> dict[str, Any]:
    return {"id": appointment.id, "client_id": appointment.client_id,
            "provider_id": appointment.provider_id, "provider": appointment.provider.name,
            "start": appointment.start_at.astimezone(zone),
            "end": appointment.end_at.astimezone(zone), "status": appointment.status,
            "service": appointment.service_code, "pos": appointment.pos_code,
            "location": location, "series_id": appointment.series_id}



def rows_for(db: Any, appointments: list[Appointment]) -> list[dict[str, Any]]:
    from clinicctl.days import practice_zone
    from clinicctl.scheduling.appointments import location_name

    zone = practice_zone(db)
    names: dict[int | None, str | None] = {}
    rows = []
    for appointment in appointments:
        if appointment.location_id not in names:
            names[appointment.location_id] = location_name(db, appointment.location_id)
        rows.append(appointment_row(appointment, zone, names[appointment.location_id]))
    return rows



def booking_data(db: Any, result: BookingResult, *, dry_run: bool = False) -> dict[str, Any]:
    """The booking as JSON: ``new_provider`` (the client was added to the provider's list)
    and ``reactivated_from`` (the status an inactive or discharged assignment had, else
    null). A dry run writes nothing, so it hands out no ids: ``id`` and ``series_id`` are
    null (the database would give them to the next real booking)."""
    rows = rows_for(db, result.appointments)
    if dry_run:
        for row in rows:
            row["id"] = row["series_id"] = None
    return {"appointments": rows, "series_id": None if dry_run else result.series_id,
            "new_provider": result.new_provider, "reactivated_from": result.reactivated}


def print_booking(data: dict[str, Any], lines: list[str], fmt: str, dry_run: bool) -> None:
    if fmt == "json":
        render_object(data, [], fmt)
    else:
        render_list(data["appointments"], COLUMNS, fmt)
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
