"""Importing appointments: each row checked as a booking is (the provider's and the client's
other appointments, the provider's list), series rebuilt from the file's series ids."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from clinicctl import access
from clinicctl.actions import Action
from clinicctl.errors import Conflict, InvalidInput
from clinicctl.exchange.cells import Cells
from clinicctl.exchange.import_rows import RowContext, _changed, _find_client, _present
from clinicctl.models import (
    APPOINTMENT_STATUSES,
    CANCELLED_STATUSES,
    Appointment,
    AppointmentSeries,
    Client,
    Staff,
    utcnow,
)
from clinicctl.people.refs import resolve_provider
from clinicctl.scheduling.booking import BookingResult, check_occurrences, ensure_in_list
from clinicctl.scheduling.catalog import (
    get_service,
    resolve_location,
    validate_pos,
)
from clinicctl.scheduling.pos import DEFAULT_POS
from clinicctl.scheduling.timeutil import parse_local_datetime


def appointment_row(context: RowContext, cells: Cells) -> str:
    session, actor, zone = context.session, context.actor, context.zone
    client = _find_client(context, cells)
    provider = resolve_provider(session, cells.text("provider"))
    start = parse_local_datetime(cells.text("start"), zone,
                                 "start").astimezone(dt.UTC)
    service = get_service(session, cells.get("service"))
    end_text = cells.get("end")
    end = (parse_local_datetime(end_text, zone, "end").astimezone(dt.UTC) if end_text
           else start + dt.timedelta(minutes=service.minutes))
    if end <= start:
        raise InvalidInput("end is not after start")
    status = cells.get("status") or "scheduled"
    if status not in APPOINTMENT_STATUSES:
        raise InvalidInput(f"invalid status {status!r}; expected "
                           f"{', '.join(APPOINTMENT_STATUSES)}")
    location_name = cells.get("location")
    location = resolve_location(session, location_name) if location_name else None
    pos_text = cells.get("pos")
    pos = validate_pos(pos_text) if pos_text else (location.pos_code if location
                                                   else DEFAULT_POS)
    outside = cells.flag("outside_availability", False)
    reason = cells.get("cancellation_reason")
    cells.done()
    access.authorize_booking(session, actor, client, provider, Action.APPOINTMENT_IMPORT)
    wanted = {"client_id": client.id, "end_at": end, "status": status,
              "service_code": service.code, "pos_code": pos,
              "location_id": location.id if location else None,
              "cancellation_reason": reason, "outside_availability": outside}
    existing = session.scalar(select(Appointment).where(
        Appointment.provider_id == provider.id, Appointment.start_at == start))
    if existing is not None:
        if existing.client_id != client.id:
            raise Conflict(f"{provider.name} already has appointment #{existing.id} at this "
                           "start with another client")
        asked = _present(cells, {column: (field, wanted[field])
                                 for column, field in _APPOINTMENT_FIELDS.items()})
        changes = {k: v for k, v in asked.items() if getattr(existing, k) != v}
        if not changes:
            return "unchanged"
        if ({"status", "end_at"} & set(changes)
                and changes.get("status", existing.status) not in CANCELLED_STATUSES):
            _refuse_overlap(context, client, provider, start,
                            changes.get("end_at", existing.end_at), existing.id)
        for key, value in changes.items():
            setattr(existing, key, value)
        session.flush()
        return _changed(context, Action.APPOINTMENT_UPDATE, "appointment", existing.id, changes)

    if status == "scheduled" and start > utcnow():
        # A future booking gets every check a booking gets, availability included.
        fitted = check_occurrences(session, client=client, provider=provider,
                                   spans=[(start, end)], zone=zone,
                                   outside_availability=outside,
                                   outside_hint="set outside_availability to true to keep it")
        wanted["outside_availability"] = fitted[0] is None
    elif status not in CANCELLED_STATUSES:
        _refuse_overlap(context, client, provider, start, end, None)
    booking = BookingResult(client, provider, [], None, False)
    ensure_in_list(session, actor, booking, Action.APPOINTMENT_IMPORT)
    # As `appointment book` says it: the client new to the provider, or reactivated.
    context.alerts.extend(booking.messages)
    if booking.new_provider:
        context.count("new_to_provider")
    if booking.reactivated:
        context.count("reactivated")
    series_ref = cells.get("series_id")
    series_id = None
    if series_ref is not None:
        if series_ref not in context.series:
            series = AppointmentSeries(rule=cells.get("series_rule") or "imported",
                                       created_by_id=actor.id)
            session.add(series)
            session.flush()
            context.series[series_ref] = series.id
        series_id = context.series[series_ref]
    appointment = Appointment(provider_id=provider.id, start_at=start, series_id=series_id,
                              created_by_id=actor.id, **wanted)
    session.add(appointment)
    session.flush()
    return "created"


# Appointment columns and the fields they set; on an existing appointment only the columns
# the file has are compared, so a file without a column leaves that detail as it is.
_APPOINTMENT_FIELDS = {"end": "end_at", "status": "status", "service": "service_code",
                       "pos": "pos_code", "location": "location_id",
                       "cancellation_reason": "cancellation_reason",
                       "outside_availability": "outside_availability"}


def _refuse_overlap(context: RowContext, client: Client, provider: Staff, start: dt.datetime,
                    end: dt.datetime, exclude_id: int | None) -> None:
    """Past and non-scheduled appointments are history, not bookings, but they still never
    overlap another appointment of the same provider or client."""
    other = context.session.scalar(select(Appointment).where(
        or_(Appointment.provider_id == provider.id, Appointment.client_id == client.id),
        Appointment.status.not_in(CANCELLED_STATUSES),
        Appointment.start_at < end, Appointment.end_at > start,
        *([Appointment.id != exclude_id] if exclude_id else [])).limit(1))
    if other is not None:
        whose = "the provider's" if other.provider_id == provider.id else "the client's"
        local = other.start_at.astimezone(context.zone)
        raise Conflict(f"overlaps {whose} appointment #{other.id} ({local:%Y-%m-%d %H:%M})")
