"""Booking appointments: every occurrence checked, conflicts listed, the client added to a new
provider's list.

Booking with a provider who is new to the client puts the client in that provider's list
exactly as ``client share`` does: demographics only, never chart notes. Every occurrence of
a series is checked; if any fails, none is booked and every failure is listed.

A session may have several clients (a group, a couple, a family: ``--client`` repeated or
``--group``): one provider, one appointment, a place for each client
(``AppointmentParticipant``). The provider's no-overlap rule is per appointment, each client's
per place; every client is checked and each one new to the provider gets their own alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.days import practice_zone
from clinicctl.errors import Conflict, InvalidInput
from clinicctl.models import (
    CANCELLED_STATUSES,
    Appointment,
    AppointmentSeries,
    AvailabilityBlock,
    Client,
    Staff,
    utcnow,
)
from clinicctl.people.refs import resolve_provider
from clinicctl.scheduling.availability import Intervals, busy_intervals, fits_availability
from clinicctl.scheduling.catalog import get_service, resolve_location, validate_pos
from clinicctl.scheduling.places import add_places, busy_places, members_of, resolve_clients
from clinicctl.scheduling.pos import DEFAULT_POS
from clinicctl.scheduling.provider_lists import (
    ClientPlace,
    ensure_place_in_list,
    place_messages,
)
from clinicctl.scheduling.recurrence import Recurrence, occurrences
from clinicctl.scheduling.timeutil import (
    localize,
    minutes,
    parse_local_datetime,
)


@dataclass
class BookingResult:
    client: Client
    provider: Staff
    appointments: list[Appointment]
    series_id: int | None
    new_provider: bool
    reactivated: str | None = None  # the previous status when an assignment was reactivated
    outside_availability: bool = False
    changed: bool = True  # False when a reschedule asks for the time it already has
    # Starts already past when booked (with force, for the record), in the practice's zone.
    past: list[str] = field(default_factory=list)
    others: list[ClientPlace] = field(default_factory=list)  # a group session's other clients

    @property
    def places(self) -> list[ClientPlace]:
        """Every client of the session, the first one first."""
        return [ClientPlace(self.client, self.new_provider, self.reactivated), *self.others]

    @property
    def clients(self) -> list[Client]:
        return [place.client for place in self.places]

    @property
    def messages(self) -> list[str]:
        """The alerts a scheduler needs: each client new to this provider and what that
        shares, a reactivated assignment, a booking outside the provider's availability or
        in the past. Printed even with --quiet."""
        lines = []
        provider = self.provider
        if self.past:
            lines.append(f"Warning: {_in_the_past(self.past)} (booked with --force, for the "
                         "record).")
        for place in self.places:
            lines += place_messages(place, provider)
        if self.outside_availability:
            lines.append("Booked outside the provider's availability (recorded in the audit "
                         "trail).")
        return lines



def format_local(value: dt.datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _in_the_past(starts: list[str]) -> str:
    shown = ", ".join(starts[:5]) + (f" and {len(starts) - 5} more" if len(starts) > 5 else "")
    return f"{shown} {'is' if len(starts) == 1 else 'are'} in the past"


def refuse_past(spans: list[tuple[dt.datetime, dt.datetime]], zone: ZoneInfo, *,
                force: bool, what: str = "booked") -> list[str]:
    """The starts that are already past; without ``force`` a Conflict listing them (a
    booking in the past is record keeping, and a mistyped date must not pass for one)."""
    now = utcnow()
    past = [format_local(start, zone) for start, _ in spans if start < now]
    if past and not force:
        total = len(spans)
        if total == 1:
            raise Conflict(f"{past[0]} is in the past; add --force to record it anyway")
        raise Conflict(f"{len(past)} of {total} occurrences are in the past; nothing was "
                       f"{what} (add --force to record them anyway)", details=past)
    return past



def check_occurrences(
    session: Session,
    *,
    client: Client,
    provider: Staff,
    spans: list[tuple[dt.datetime, dt.datetime]],
    zone: ZoneInfo,
    outside_availability: bool,
    exclude_appointment_id: int | None = None,
    outside_hint: str | None = "add --outside-availability to book anyway",
    others: Sequence[Client] = (),
    provider_free: bool = True,
) -> list[AvailabilityBlock | None]:
    """Check every occurrence; raise one Conflict listing each failing one.

    ``others`` are a group session's other clients: each one's places are checked like the
    first client's, and a conflict names whose it is. ``provider_free=False`` skips the
    provider's own appointments and availability (a client joining a session that is
    already booked). ``outside_hint`` tells the caller's user how to book outside
    availability anyway (an option of the command, a column of the file), or nothing when
    they cannot."""
    window_start = min(s for s, _ in spans)
    window_end = max(e for _, e in spans)
    clients = {c.id: c for c in (client, *others)}
    excluded = [Appointment.id != exclude_appointment_id] if exclude_appointment_id else []
    existing: list[tuple[str, int, dt.datetime, dt.datetime]] = []
    if provider_free:
        existing += [("the provider's", *row) for row in session.execute(
            select(Appointment.id, Appointment.start_at, Appointment.end_at).where(
                Appointment.provider_id == provider.id,
                Appointment.status.not_in(CANCELLED_STATUSES),
                Appointment.start_at < window_end, Appointment.end_at > window_start,
                *excluded))]
    seen = {appointment_id for _, appointment_id, _, _ in existing}
    for client_id, appointment_id, start, end in busy_places(
            session, list(clients), window_start, window_end,
            exclude_appointment_id=exclude_appointment_id):
        if appointment_id in seen and len(clients) == 1:
            continue
        whose = ("the client's" if len(clients) == 1 else
                 f"{clients[client_id].first_name} {clients[client_id].last_name}'s "
                 f"(client #{client_id})")
        existing.append((whose, appointment_id, start, end))
    existing.sort(key=lambda row: row[2])
    _, _, time_off = busy_intervals(session, [provider.id], None, window_start, window_end)
    off = Intervals(time_off.get(provider.id, []) if provider_free else [])
    blocks = list(session.scalars(
        select(AvailabilityBlock).where(AvailabilityBlock.provider_id == provider.id)))
    failures: list[str] = []
    fitted: list[AvailabilityBlock | None] = []
    for index, (start, end) in enumerate(spans):
        when = format_local(start, zone)
        reasons = []
        for whose, other_id, other_start, other_end in existing:
            if other_start < end and other_end > start:
                reasons.append(
                    f"overlaps {whose} appointment #{other_id} "
                    f"({format_local(other_start, zone)}-"
                    f"{other_end.astimezone(zone):%H:%M})")
        for other_start, other_end in spans[:index]:
            if other_start < end and other_end > start:
                reasons.append("overlaps another occurrence of this series")
        if off.overlaps(start, end):
            reasons.append(f"{provider.name} has time off")
        block = fits_availability(blocks, start, end, zone)
        fitted.append(block)
        if (block is None and provider_free and not outside_availability
                and not off.overlaps(start, end)):
            reasons.append(f"outside {provider.name}'s availability"
                           + (f" ({outside_hint})" if outside_hint else ""))
        if reasons:
            failures.append(f"{when}: {'; '.join(reasons)}")
    if failures:
        total = len(spans)
        head = (failures[0] if total == 1 else
                f"{len(failures)} of {total} occurrences cannot be booked; nothing was booked")
        raise Conflict(head, details=[] if total == 1 else failures)
    return fitted



def ensure_in_list(session: Session, actor: Staff, result: BookingResult, action: str,
                   *, origin: str = "appointment") -> None:
    """A provider new to a client of the session gets them in their list, demographics only
    (``origin``: ``appointment`` for a booking, ``group`` for a group's new member); an
    inactive or discharged assignment is reactivated. Each client on their own."""
    first = ClientPlace(result.client)
    for place in (first, *result.others):
        ensure_place_in_list(session, actor, place, result.provider, action, origin=origin)
    result.new_provider, result.reactivated = first.new_provider, first.reactivated


def book(
    session: Session,
    actor: Staff,
    *,
    client_ref: str | Sequence[str] = (),
    provider_ref: str | None = None,
    at: str | dt.datetime,
    group_ref: str | None = None,
    duration: int | None = None,
    service: str | None = None,
    pos: str | None = None,
    location_ref: str | None = None,
    recurrence: Recurrence | None = None,
    outside_availability: bool = False,
    force: bool = False,
) -> BookingResult:
    """Book one appointment or a series, for one client or several (``client_ref`` a list,
    or a client group's current members with ``group_ref``; the group's provider and
    service unless told). A provider new to a client gets the client in their list with
    demographics only (origin ``appointment``). An occurrence that starts in the past is
    refused unless ``force`` (record keeping; more than a year back never)."""
    zone = practice_zone(session)
    start = at if isinstance(at, dt.datetime) else parse_local_datetime(at, zone, "--at")
    refs = [client_ref] if isinstance(client_ref, str) else list(client_ref)
    if group_ref is not None:
        from clinicctl.scheduling.groups import group_session

        group, members = group_session(session, actor, group_ref, Action.APPOINTMENT_BOOK)
        provider_ref = provider_ref or f"#{group.provider_id}"
        service = service or group.service_code
        clients = resolve_clients(session, refs, first=members_of(session, members))
    elif not refs:
        raise InvalidInput("give --client (once per client of the session) or --group")
    else:
        clients = resolve_clients(session, refs)
    if provider_ref is None:
        raise InvalidInput("give --provider")
    service_code = get_service(session, service)
    length = minutes(duration, "--duration") if duration is not None else service_code.minutes
    pos_code = validate_pos(pos) if pos else None
    client, others = clients[0], clients[1:]
    provider = resolve_provider(session, provider_ref)
    if not provider.active:
        raise InvalidInput(f"{provider.name} is deactivated; book with an active provider")
    for each in clients:
        access.authorize_booking(session, actor, each, provider, Action.APPOINTMENT_BOOK)
    location = resolve_location(session, location_ref) if location_ref else None

    local_first = start.astimezone(zone).replace(tzinfo=None)
    spans = []
    for local in occurrences(local_first, recurrence):
        begin = localize(local, zone)
        spans.append((begin.astimezone(dt.UTC),
                      (begin.astimezone(dt.UTC) + dt.timedelta(minutes=length))))
    # The first occurrence is the instant asked for: a start given with its UTC offset may be
    # the second pass of the fall-back hour, which the wall-clock time alone cannot say.
    first = start.astimezone(dt.UTC)
    spans[0] = (first, first + dt.timedelta(minutes=length))
    if spans[0][0] <= utcnow() - dt.timedelta(days=366):
        raise InvalidInput("the appointment is more than a year in the past")
    past = refuse_past(spans, zone, force=force)
    fitted = check_occurrences(session, client=client, provider=provider, spans=spans,
                               zone=zone, outside_availability=outside_availability,
                               others=others)

    result = BookingResult(client, provider, [], None, False, past=past,
                           others=[ClientPlace(other) for other in others])
    ensure_in_list(session, actor, result, Action.APPOINTMENT_BOOK)

    series = None
    if recurrence is not None:
        series = AppointmentSeries(rule=recurrence.describe(), created_by_id=actor.id)
        session.add(series)
        session.flush()
        result.series_id = series.id
    outside = False
    for (begin, end), block in zip(spans, fitted, strict=True):
        place = location or (block.location if block is not None else None)
        outside = outside or block is None
        appointment = Appointment(
            client_id=client.id, provider_id=provider.id, start_at=begin, end_at=end,
            service_code=service_code.code,
            pos_code=pos_code or (place.pos_code if place else DEFAULT_POS),
            location_id=place.id if place else None, status="scheduled",
            series_id=series.id if series else None, outside_availability=block is None,
            created_by_id=actor.id, group_id=group.id if group_ref is not None else None,
        )
        session.add(appointment)
        result.appointments.append(appointment)
    session.flush()
    add_places(session, result.appointments, others)
    result.outside_availability = outside
    trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_BOOK,
                 object_type="appointment", object_id=result.appointments[0].id,
                 client_id=client.id,
                 details={"provider_id": provider.id,
                          "appointment_ids": [a.id for a in result.appointments],
                          "series_id": result.series_id, "new_provider": result.new_provider,
                          "outside_availability": outside,
                          **({"client_ids": [c.id for c in clients],
                              "new_to_provider": [p.client.id for p in result.places
                                                  if p.new_provider]} if others else {}),
                          **({"group_id": group.id} if group_ref is not None else {}),
                          **({"in_past": len(past)} if past else {})})
    return result
