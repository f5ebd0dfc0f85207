"""Booking appointments: every occurrence checked, conflicts listed, the client added to a new
provider's list.

Booking with a provider who is new to the client puts the client in that provider's list
exactly as ``client share`` does: demographics only, never chart notes. Every occurrence of
a series is checked; if any fails, none is booked and every failure is listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
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
from clinicctl.people.clients import assign, get_assignment
from clinicctl.people.refs import resolve_client, resolve_provider
from clinicctl.scheduling.availability import Intervals, busy_intervals, fits_availability
from clinicctl.scheduling.catalog import get_service, resolve_location, validate_pos
from clinicctl.scheduling.pos import DEFAULT_POS
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

    @property
    def messages(self) -> list[str]:
        """The alerts a scheduler needs: the client is new to this provider and what that
        shares, a reactivated assignment, a booking outside the provider's availability or
        in the past. Printed even with --quiet."""
        lines = []
        client, provider = self.client, self.provider
        if self.past:
            lines.append(f"Warning: {_in_the_past(self.past)} (booked with --force, for the "
                         "record).")
        if self.new_provider:
            lines.append(
                f"Alert: client #{client.id} is new to {provider.name}: added to their list "
                "with demographics only (the client profile, including each provider's status "
                "and diagnosis, and non-clinical documents). No chart notes were shared.")
        if self.reactivated:
            lines.append(f"Client #{client.id} was {self.reactivated} in {provider.name}'s "
                         "list; reactivated.")
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
) -> list[AvailabilityBlock | None]:
    """Check every occurrence; raise one Conflict listing each failing one.

    ``outside_hint`` tells the caller's user how to book outside availability anyway (an
    option of the command, a column of the file), or nothing when they cannot."""
    window_start = min(s for s, _ in spans)
    window_end = max(e for _, e in spans)
    existing = list(session.scalars(
        select(Appointment).where(
            or_(Appointment.provider_id == provider.id, Appointment.client_id == client.id),
            Appointment.status.not_in(CANCELLED_STATUSES),
            Appointment.start_at < window_end,
            Appointment.end_at > window_start,
            *([Appointment.id != exclude_appointment_id] if exclude_appointment_id else []),
        ).order_by(Appointment.start_at)
    ))
    _, _, time_off = busy_intervals(session, [provider.id], None, window_start, window_end)
    off = Intervals(time_off.get(provider.id, []))
    blocks = list(session.scalars(
        select(AvailabilityBlock).where(AvailabilityBlock.provider_id == provider.id)))
    failures: list[str] = []
    fitted: list[AvailabilityBlock | None] = []
    for index, (start, end) in enumerate(spans):
        when = format_local(start, zone)
        reasons = []
        for other in existing:
            if other.start_at < end and other.end_at > start:
                whose = ("the provider's" if other.provider_id == provider.id
                         else "the client's")
                reasons.append(
                    f"overlaps {whose} appointment #{other.id} "
                    f"({format_local(other.start_at, zone)}-"
                    f"{other.end_at.astimezone(zone):%H:%M})")
        for other_start, other_end in spans[:index]:
            if other_start < end and other_end > start:
                reasons.append("overlaps another occurrence of this series")
        if off.overlaps(start, end):
            reasons.append(f"{provider.name} has time off")
        block = fits_availability(blocks, start, end, zone)
        fitted.append(block)
        if block is None and not outside_availability and not off.overlaps(start, end):
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
    """A provider new to the client gets them in their list, demographics only (``origin``:
    ``appointment`` for a booking, ``group`` for a group's new member); an inactive or
    discharged assignment is reactivated."""
    client, provider = result.client, result.provider
    assignment = get_assignment(session, client.id, provider.id)
    if assignment is None:
        assign(session, actor, client, provider, origin=origin)
        result.new_provider = True
    elif assignment.status in ("inactive", "discharged"):
        result.reactivated = assignment.status
        assignment.status = "active"
        trail.record(session, actor_id=actor.id, action=Action.CLIENT_STATUS,
                     object_type="assignment", object_id=assignment.id, client_id=client.id,
                     details={"provider_id": provider.id, "from": result.reactivated,
                              "to": "active", "by": action})



def book(
    session: Session,
    actor: Staff,
    *,
    client_ref: str,
    provider_ref: str,
    at: str | dt.datetime,
    duration: int | None = None,
    service: str | None = None,
    pos: str | None = None,
    location_ref: str | None = None,
    recurrence: Recurrence | None = None,
    outside_availability: bool = False,
    force: bool = False,
) -> BookingResult:
    """Book one appointment or a series. A provider new to the client gets the client in
    their list with demographics only (origin ``appointment``). An occurrence that starts in
    the past is refused unless ``force`` (record keeping; more than a year back never)."""
    zone = practice_zone(session)
    start = at if isinstance(at, dt.datetime) else parse_local_datetime(at, zone, "--at")
    service_code = get_service(session, service)
    length = minutes(duration, "--duration") if duration is not None else service_code.minutes
    pos_code = validate_pos(pos) if pos else None
    client = resolve_client(session, client_ref)
    provider = resolve_provider(session, provider_ref)
    if not provider.active:
        raise InvalidInput(f"{provider.name} is deactivated; book with an active provider")
    access.authorize_booking(session, actor, client, provider, Action.APPOINTMENT_BOOK)
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
                               zone=zone, outside_availability=outside_availability)

    result = BookingResult(client, provider, [], None, False, past=past)
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
            created_by_id=actor.id,
        )
        session.add(appointment)
        result.appointments.append(appointment)
    session.flush()
    result.outside_availability = outside
    trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_BOOK,
                 object_type="appointment", object_id=result.appointments[0].id,
                 client_id=client.id,
                 details={"provider_id": provider.id,
                          "appointment_ids": [a.id for a in result.appointments],
                          "series_id": result.series_id, "new_provider": result.new_provider,
                          "outside_availability": outside,
                          **({"in_past": len(past)} if past else {})})
    return result
