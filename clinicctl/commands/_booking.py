"""What the booking commands share (``appointment book``, ``availability find --book``): the
appointment options, an appointment as an output row, and the booking report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinicctl.commands._common import report_change
from clinicctl.output import message, render_list, render_object

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



def booking_data(db: Any, result: BookingResult) -> dict[str, Any]:
    return {"appointments": rows_for(db, result.appointments), "series_id": result.series_id,
            "new_provider": result.new_provider}



def print_booking(data: dict[str, Any], lines: list[str], fmt: str, dry_run: bool) -> None:
    if fmt == "json":
        render_object(data, [], fmt)
    else:
        render_list(data["appointments"], COLUMNS, fmt)
    count = len(data["appointments"])
    first = data["appointments"][0]
    what = (f"appointment #{first['id']}" if count == 1
            else f"{count} appointments (series #{data['series_id']})")
    report_change(f"Booked {what} with {first['provider']}.", dry_run=dry_run)
    for line in lines:
        message(line)
