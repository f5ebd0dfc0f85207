"""Importing appointments: each row checked as a booking is (the provider's and each
client's other appointments, the provider's list), series rebuilt from the file's series
ids. A row books one client (the client's key columns) or several (``clients``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clinicctl import access
from clinicctl.actions import Action
from clinicctl.errors import Conflict, InvalidInput
from clinicctl.exchange.cells import Cells
from clinicctl.exchange.exports import CLIENT_KEY
from clinicctl.exchange.import_rows import RowContext, _changed, _find_client, _present
from clinicctl.models import (
    APPOINTMENT_STATUSES,
    CANCELLED_STATUSES,
    Appointment,
    AppointmentParticipant,
    AppointmentSeries,
    Client,
    Staff,
    utcnow,
)
from clinicctl.people.refs import resolve_provider
from clinicctl.scheduling.booking import (
    BookingResult,
    check_occurrences,
    ensure_in_list,
)
from clinicctl.scheduling.catalog import (
    get_service,
    resolve_location,
    validate_pos,
)
from clinicctl.scheduling.places import add_places, places_of, resolve_clients
from clinicctl.scheduling.pos import DEFAULT_POS
from clinicctl.scheduling.provider_lists import ClientPlace
from clinicctl.scheduling.timeutil import parse_local_datetime


def appointment_row(context: RowContext, cells: Cells) -> str:
    session, actor, zone = context.session, context.actor, context.zone
    client, others = _row_clients(context, cells)
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
    for each in (client, *others):
        access.authorize_booking(session, actor, each, provider, Action.APPOINTMENT_IMPORT)
    everyone = [client.id, *(c.id for c in others)]
    wanted = {"client_id": client.id, "end_at": end, "status": status,
              "service_code": service.code, "pos_code": pos,
              "location_id": location.id if location else None,
              "cancellation_reason": reason, "outside_availability": outside}
    existing = session.scalar(select(Appointment).where(
        Appointment.provider_id == provider.id, Appointment.start_at == start))
    if existing is not None:
        theirs = [c for c, _ in places_of(session, [existing.id]).get(existing.id, [])]
        if theirs[:1] != everyone[:1] or set(theirs) != set(everyone):
            raise Conflict(f"{provider.name} already has appointment #{existing.id} at this "
                           "start with "
                           + ("another client" if len(theirs) == len(everyone) == 1
                              else "other clients"))
        asked = _present(cells, {column: (field, wanted[field])
                                 for column, field in _APPOINTMENT_FIELDS.items()})
        changes = {k: v for k, v in asked.items() if getattr(existing, k) != v}
        if not changes:
            return "unchanged"
        if ({"status", "end_at"} & set(changes)
                and changes.get("status", existing.status) not in CANCELLED_STATUSES):
            _refuse_overlap(context, [client, *others], provider, start,
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
                                   outside_hint="set outside_availability to true to keep it",
                                   others=others)
        wanted["outside_availability"] = fitted[0] is None
    elif status not in CANCELLED_STATUSES:
        _refuse_overlap(context, [client, *others], provider, start, end, None)
    booking = BookingResult(client, provider, [], None, False,
                            others=[ClientPlace(c) for c in others])
    ensure_in_list(session, actor, booking, Action.APPOINTMENT_IMPORT)
    # As `appointment book` says it: each client new to the provider, or reactivated.
    context.alerts.extend(booking.messages)
    for place in booking.places:
        if place.new_provider:
            context.count("new_to_provider")
        if place.reactivated:
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
    add_places(session, [appointment], others)
    return "created"


def _row_clients(context: RowContext, cells: Cells) -> tuple[Client, list[Client]]:
    """The row's first client and the others. The client's key columns name one client;
    ``clients`` names several (``;``-separated: ``#ID`` or the bare id an export writes, an
    external id or a name, as ``appointment book --client`` takes them). With both, the
    key's client comes first, then the others of ``clients``; an entry that is the row's
    ``client_id`` (how an export names a one-client session's client) is the key's
    client."""
    session = context.session
    refs = [part.strip() for part in (cells.get("clients") or "").split(";") if part.strip()]
    listed = resolve_clients(session, [f"#{ref}" if ref.isascii() and ref.isdigit()
                                       else ref for ref in refs])
    if not any(cells.get(key) for key in CLIENT_KEY):
        cells.done()
        if not listed:
            raise InvalidInput("no client: give the client's columns or clients")
        return listed[0], listed[1:]
    own_id = cells.get("client_id")
    client = _find_client(context, cells)
    others = [c for c, ref in zip(listed, refs, strict=True)
              if c.id != client.id and ref.lstrip("#") != own_id]
    return client, others


# Appointment columns and the fields they set; on an existing appointment only the columns
# the file has are compared, so a file without a column leaves that detail as it is.
_APPOINTMENT_FIELDS = {"end": "end_at", "status": "status", "service": "service_code",
                       "pos": "pos_code", "location": "location_id",
                       "cancellation_reason": "cancellation_reason",
                       "outside_availability": "outside_availability"}


def _refuse_overlap(context: RowContext, clients: list[Client], provider: Staff,
                    start: dt.datetime, end: dt.datetime, exclude_id: int | None) -> None:
    """Past and non-scheduled appointments are history, not bookings, but they still never
    overlap another appointment of the same provider or of any of the session's clients
    (their places, whoever is the other session's first client)."""
    Place = AppointmentParticipant
    other = context.session.scalar(select(Appointment).where(
        or_(Appointment.provider_id == provider.id,
            Appointment.id.in_(select(Place.appointment_id).where(
                Place.client_id.in_([c.id for c in clients]), Place.active.is_(True),
                Place.start_at < end, Place.end_at > start))),
        Appointment.status.not_in(CANCELLED_STATUSES),
        Appointment.start_at < end, Appointment.end_at > start,
        *([Appointment.id != exclude_id] if exclude_id else []))
        .order_by(Appointment.provider_id != provider.id, Appointment.start_at).limit(1))
    if other is not None:
        local = other.start_at.astimezone(context.zone)
        raise Conflict(f"overlaps {_whose(context.session, other, clients, provider)} "
                       f"appointment #{other.id} ({local:%Y-%m-%d %H:%M})")


def _whose(session: Session, other: Appointment, clients: list[Client], provider: Staff
           ) -> str:
    if other.provider_id == provider.id:
        return "the provider's"
    if len(clients) == 1:
        return "the client's"
    theirs = {c for c, _ in places_of(session, [other.id]).get(other.id, [])}
    client = next(c for c in clients if c.id in theirs)
    return f"{client.first_name} {client.last_name}'s (client #{client.id})"
