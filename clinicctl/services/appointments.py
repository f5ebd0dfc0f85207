"""Booking appointments, recurrence, conflicts, and the appointment life cycle.

Booking with a provider who is new to the client puts the client in that provider's list
exactly as ``client share`` does: demographics only, never chart notes. Every occurrence of
a series is checked; if any fails, none is booked and every failure is listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clinicctl.errors import Conflict, InvalidInput, NotFound
from clinicctl.models import (
    APPOINTMENT_STATUSES,
    CANCELLED_STATUSES,
    Appointment,
    AppointmentSeries,
    AvailabilityBlock,
    Client,
    Location,
    Staff,
    utcnow,
)
from clinicctl.pos import DEFAULT_POS
from clinicctl.services import access, audit
from clinicctl.services.access import Action
from clinicctl.services.availability import Intervals, busy_intervals, fits_availability
from clinicctl.services.catalog import get_service, resolve_location, validate_pos
from clinicctl.services.clients import assign, get_assignment
from clinicctl.services.practice import practice_zone
from clinicctl.services.refs import parse_date, resolve_client, resolve_provider
from clinicctl.services.timeutil import (
    WEEKDAYS,
    localize,
    minutes,
    parse_local_datetime,
    parse_weekdays,
)

MAX_OCCURRENCES = 260  # five years of weekly sessions
REPEATS = {"weekly": ("weeks", 1), "biweekly": ("weeks", 2), "monthly": ("months", 1)}
UNITS = ("days", "weeks", "months")


@dataclass
class Recurrence:
    every: int
    unit: str  # days | weeks | months
    weekdays: int | None = None  # bit mask, weekly units only
    count: int | None = None
    until: dt.date | None = None

    def describe(self) -> str:
        unit = self.unit[:-1] if self.every == 1 else self.unit
        text = f"every {self.every} {unit}" if self.every > 1 else f"every {unit}"
        if self.weekdays:
            text += " on " + ",".join(d for i, d in enumerate(WEEKDAYS)
                                      if self.weekdays & (1 << i))
        if self.count:
            text += f", {self.count} times"
        if self.until:
            text += f", until {self.until.isoformat()}"
        return text


def make_recurrence(
    *,
    repeat: str | None = None,
    every: int | None = None,
    unit: str | None = None,
    on: str | None = None,
    count: int | None = None,
    until: str | None = None,
) -> Recurrence | None:
    """Validate the recurrence options together; None when the booking does not repeat."""
    if repeat and every is not None:
        raise InvalidInput("give either --repeat or --every N --unit U, not both")
    if unit is not None and every is None:
        raise InvalidInput("--unit needs --every N")
    if every is not None and unit is None:
        raise InvalidInput("--every needs --unit days, weeks or months")
    if count is not None and until is not None:
        raise InvalidInput("give either --count or --until, not both")
    if not repeat and every is None:
        if on or count is not None or until is not None:
            raise InvalidInput("--on, --count and --until need --repeat or --every")
        return None
    if repeat:
        if repeat not in REPEATS:
            raise InvalidInput(f"invalid --repeat {repeat!r}: expected weekly, biweekly or "
                               "monthly")
        unit, every = REPEATS[repeat]
    assert unit is not None and every is not None
    if unit not in UNITS:
        raise InvalidInput(f"invalid --unit {unit!r}: expected days, weeks or months")
    if every < 1:
        raise InvalidInput(f"--every must be at least 1, not {every}")
    if count is None and until is None:
        raise InvalidInput("a repeating booking needs --count N or --until DATE")
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise InvalidInput(f"--count must be between 1 and {MAX_OCCURRENCES}, not {count}")
    mask = parse_weekdays(on) if on else None
    if mask and unit != "weeks":
        raise InvalidInput("--on applies to weekly repeats only")
    return Recurrence(every, unit, mask, count,
                      parse_date(until, "--until date") if until else None)


def occurrences(first: dt.datetime, rule: Recurrence | None) -> list[dt.datetime]:
    """Local wall-clock start times (naive). The wall-clock time holds across DST."""
    if rule is None:
        return [first]
    from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule

    freq = {"days": DAILY, "weeks": WEEKLY, "months": MONTHLY}[rule.unit]
    byweekday = None
    if rule.weekdays:
        byweekday = [i for i in range(7) if rule.weekdays & (1 << i)]
    until = (dt.datetime.combine(rule.until, dt.time.max) if rule.until else None)
    if until is not None and until < first:
        raise InvalidInput(f"--until {rule.until} is before the first appointment")
    # count and until together are deprecated in dateutil (RFC 5545 forbids them): cap an
    # --until series by taking one occurrence more than allowed instead.
    from itertools import islice

    month_end: dict[str, object] = {}
    if rule.unit == "months" and first.day > 28:
        # "Monthly on the 31st" means the last day in shorter months, not skipping them:
        # the first of (that day, the month's last day) that the month has.
        month_end = {"bymonthday": (first.day, -1), "bysetpos": 1}
    starts = list(islice(rrule(freq, dtstart=first, interval=rule.every, byweekday=byweekday,
                               count=rule.count, until=until, **month_end),
                         MAX_OCCURRENCES + 1))
    if len(starts) > MAX_OCCURRENCES:
        raise InvalidInput(f"the series has more than {MAX_OCCURRENCES} occurrences; "
                           "choose an earlier --until")
    if not starts:
        raise InvalidInput("the repeat rule gives no occurrence")
    if starts[0] != first:
        # RFC 5545 leaves a start off the rule undefined; --count counts from --at.
        days = ",".join(d for i, d in enumerate(WEEKDAYS) if (rule.weekdays or 0) & (1 << i))
        raise InvalidInput(f"--at {first:%Y-%m-%d} is a {first:%A}, not one of --on {days}; "
                           "start the series on one of those days")
    return starts


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


def format_local(value: dt.datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


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


def ensure_in_list(session: Session, actor: Staff, result: BookingResult, action: str
                    ) -> None:
    """A provider new to the client gets them in their list, demographics only (origin
    ``appointment``); an inactive or discharged assignment is reactivated."""
    client, provider = result.client, result.provider
    assignment = get_assignment(session, client.id, provider.id)
    if assignment is None:
        assign(session, actor, client, provider, origin="appointment")
        result.new_provider = True
    elif assignment.status in ("inactive", "discharged"):
        result.reactivated = assignment.status
        assignment.status = "active"
        audit.record(session, actor_id=actor.id, action=Action.CLIENT_STATUS,
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
) -> BookingResult:
    """Book one appointment or a series. A provider new to the client gets the client in
    their list with demographics only (origin ``appointment``)."""
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
    if spans[0][0] <= utcnow() - dt.timedelta(days=366):
        raise InvalidInput("the appointment is more than a year in the past")
    fitted = check_occurrences(session, client=client, provider=provider, spans=spans,
                               zone=zone, outside_availability=outside_availability)

    result = BookingResult(client, provider, [], None, False)
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
    audit.record(session, actor_id=actor.id, action=Action.APPOINTMENT_BOOK,
                 object_type="appointment", object_id=result.appointments[0].id,
                 client_id=client.id,
                 details={"provider_id": provider.id,
                          "appointment_ids": [a.id for a in result.appointments],
                          "series_id": result.series_id, "new_provider": result.new_provider,
                          "outside_availability": outside})
    return result


# --- life cycle ------------------------------------------------------------------------------

def get_appointment(session: Session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"no appointment with id {appointment_id}")
    return appointment


def _authorize_existing(session: Session, actor: Staff, appointment: Appointment,
                        action: str) -> Client:
    client = session.get(Client, appointment.client_id)
    assert client is not None
    access.authorize_booking(session, actor, client, appointment.provider, action)
    return client


def visible_filter(session: Session, actor: Staff):  # type: ignore[no-untyped-def]
    """Providers see their own appointments and those of clients in their list; a records
    custodian the appointments of the clients in their scope (as their exports); the other
    roles see the practice's schedule."""
    from sqlalchemy import ColumnElement, false

    from clinicctl.models import Assignment

    access.require_active(actor, Action.APPOINTMENT_LIST, object_type="appointment")
    if actor.has_role("owner", "manager", "scheduler", "biller"):
        return None
    conditions: list[ColumnElement[bool]] = []
    if actor.has_role(access.CUSTODIAN):
        scope = access.custodian_scope(session, actor)
        if scope is None:
            return None
        conditions.append(Appointment.client_id.in_(
            select(Assignment.client_id).where(Assignment.provider_id.in_(scope))))
    if actor.has_role("provider"):
        assigned = select(Assignment.client_id).where(Assignment.provider_id == actor.id)
        conditions += [Appointment.provider_id == actor.id, Appointment.client_id.in_(assigned)]
    return or_(*conditions) if conditions else false()


def list_appointments(
    session: Session,
    actor: Staff,
    *,
    provider_ref: str | None = None,
    client_ref: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> list[Appointment]:
    zone = practice_zone(session)
    query = select(Appointment).order_by(Appointment.start_at, Appointment.id)
    if status:
        wanted = [s.strip() for s in status.split(",") if s.strip()]
        for s in wanted:
            if s not in APPOINTMENT_STATUSES:
                raise InvalidInput(f"invalid status {s!r}; expected "
                                   f"{', '.join(APPOINTMENT_STATUSES)}")
        query = query.where(Appointment.status.in_(wanted))
    first = parse_date(start_date, "--from date") if start_date else None
    last = parse_date(end_date, "--to date") if end_date else None
    if first and last and last < first:
        raise InvalidInput(f"--to {last} is before --from {first}")
    if first:
        query = query.where(
            Appointment.start_at >= dt.datetime.combine(first, dt.time(), tzinfo=zone))
    if last:
        query = query.where(Appointment.start_at < dt.datetime.combine(
            last + dt.timedelta(days=1), dt.time(), tzinfo=zone))
    if provider_ref:
        query = query.where(
            Appointment.provider_id == resolve_provider(session, provider_ref).id)
    if client_ref:
        query = query.where(Appointment.client_id == resolve_client(session, client_ref).id)
    restriction = visible_filter(session, actor)
    if restriction is not None:
        query = query.where(restriction)
    return list(session.scalars(query))


def show_appointment(session: Session, actor: Staff, appointment_id: int) -> Appointment:
    appointment = get_appointment(session, appointment_id)
    restriction = visible_filter(session, actor)
    if restriction is not None and session.scalar(
        select(Appointment.id).where(Appointment.id == appointment_id, restriction)
    ) is None:
        why = ("outside your records-custodian scope" if not actor.has_role("provider")
               else "not your appointment or client")
        raise access._deny(actor, Action.APPOINTMENT_SHOW, why,
                           client_id=appointment.client_id, object_type="appointment",
                           object_id=appointment_id)
    return appointment


CANCEL_SCOPES = ("this", "future", "series")


def cancel(session: Session, actor: Staff, appointment_id: int, *, reason: str | None = None,
           late: bool = False, no_show: bool = False, scope: str = "this"
           ) -> tuple[list[Appointment], bool]:
    """Cancel (or mark late-cancelled / no-show) one appointment or part of its series.

    Returns the appointments changed and whether anything changed."""
    if late and no_show:
        raise InvalidInput("give either --late or --no-show, not both")
    if scope not in CANCEL_SCOPES:
        raise InvalidInput(f"invalid --scope {scope!r}: expected this, future or series")
    new_status = "late-cancelled" if late else "no-show" if no_show else "cancelled"
    appointment = get_appointment(session, appointment_id)
    _authorize_existing(session, actor, appointment, Action.APPOINTMENT_CANCEL)
    if scope != "this" and appointment.series_id is None:
        raise InvalidInput(f"appointment #{appointment.id} is not part of a series")
    if no_show and scope != "this":
        raise InvalidInput("--no-show applies to one appointment: use --scope this")
    if appointment.status == new_status and scope == "this":
        return [appointment], False
    if appointment.status != "scheduled" and scope == "this":
        raise Conflict(f"appointment #{appointment.id} is {appointment.status}; only scheduled "
                       "appointments can be cancelled")
    if no_show and appointment.start_at > utcnow():
        raise Conflict(f"appointment #{appointment.id} has not started yet; it cannot be a "
                       "no-show")
    targets = [appointment]
    if scope != "this":
        # The scheduled rest of the series: the appointment named may itself be cancelled
        # already, and repeating a series cancellation is a no-op.
        query = select(Appointment).where(Appointment.series_id == appointment.series_id,
                                          Appointment.status == "scheduled")
        if scope == "future":
            query = query.where(Appointment.start_at >= appointment.start_at)
        targets = list(session.scalars(query.order_by(Appointment.start_at)))
        if not targets:
            return [appointment], False
    for target in targets:
        target.status = new_status
        target.cancellation_reason = (reason or "").strip() or None
    session.flush()
    audit.record(session, actor_id=actor.id, action=Action.APPOINTMENT_CANCEL,
                 object_type="appointment", object_id=appointment.id,
                 client_id=appointment.client_id,
                 details={"status": new_status, "scope": scope,
                          "appointment_ids": [t.id for t in targets]})
    return targets, True


def complete(session: Session, actor: Staff, appointment_id: int
             ) -> tuple[Appointment, bool]:
    appointment = get_appointment(session, appointment_id)
    _authorize_existing(session, actor, appointment, Action.APPOINTMENT_COMPLETE)
    if appointment.status == "completed":
        return appointment, False
    if appointment.status != "scheduled":
        raise Conflict(f"appointment #{appointment.id} is {appointment.status}; only scheduled "
                       "appointments can be completed")
    if appointment.start_at > utcnow():
        raise Conflict(f"appointment #{appointment.id} has not started yet")
    appointment.status = "completed"
    session.flush()
    audit.record(session, actor_id=actor.id, action=Action.APPOINTMENT_COMPLETE,
                 object_type="appointment", object_id=appointment.id,
                 client_id=appointment.client_id)
    return appointment, True


def reschedule(session: Session, actor: Staff, appointment_id: int, *, at: str,
               provider_ref: str | None = None, outside_availability: bool = False
               ) -> BookingResult:
    """Move a scheduled appointment (optionally to another provider) with booking's checks."""
    zone = practice_zone(session)
    start = parse_local_datetime(at, zone, "--at")
    appointment = get_appointment(session, appointment_id)
    client = _authorize_existing(session, actor, appointment, Action.APPOINTMENT_RESCHEDULE)
    provider = resolve_provider(session, provider_ref) if provider_ref else appointment.provider
    if not provider.active:
        raise InvalidInput(f"{provider.name} is deactivated; book with an active provider")
    if provider.id != appointment.provider_id:
        access.authorize_booking(session, actor, client, provider, Action.APPOINTMENT_RESCHEDULE)
    if appointment.status != "scheduled":
        raise Conflict(f"appointment #{appointment.id} is {appointment.status}; only scheduled "
                       "appointments can be rescheduled")
    length = appointment.end_at - appointment.start_at
    begin = start.astimezone(dt.UTC)
    if begin == appointment.start_at and provider.id == appointment.provider_id:
        return BookingResult(client, provider, [appointment], appointment.series_id, False,
                             changed=False)
    fitted = check_occurrences(session, client=client, provider=provider,
                               spans=[(begin, begin + length)], zone=zone,
                               outside_availability=outside_availability,
                               exclude_appointment_id=appointment.id)
    result = BookingResult(client, provider, [appointment], appointment.series_id, False)
    ensure_in_list(session, actor, result, Action.APPOINTMENT_RESCHEDULE)
    old = {"start": appointment.start_at.isoformat(), "provider_id": appointment.provider_id}
    appointment.start_at = begin
    appointment.end_at = begin + length
    appointment.provider_id = provider.id
    appointment.outside_availability = fitted[0] is None
    if fitted[0] is not None and fitted[0].location is not None and provider_ref:
        # The place of service follows the new location (office vs telehealth is billed).
        appointment.location_id = fitted[0].location.id
        appointment.pos_code = fitted[0].location.pos_code
    session.flush()
    session.refresh(appointment)
    result.outside_availability = fitted[0] is None
    audit.record(session, actor_id=actor.id, action=Action.APPOINTMENT_RESCHEDULE,
                 object_type="appointment", object_id=appointment.id, client_id=client.id,
                 details={"from": old, "provider_id": provider.id,
                          "new_provider": result.new_provider,
                          "outside_availability": result.outside_availability})
    return result


def upcoming_with(session: Session, client_id: int, provider_id: int) -> Appointment | None:
    """The next scheduled appointment of a client with a provider, if any."""
    return session.scalar(
        select(Appointment).where(
            Appointment.client_id == client_id, Appointment.provider_id == provider_id,
            Appointment.status == "scheduled", Appointment.start_at > utcnow(),
        ).order_by(Appointment.start_at).limit(1)
    )


def location_name(session: Session, location_id: int | None) -> str | None:
    if location_id is None:
        return None
    location = session.get(Location, location_id)
    return location.name if location else None
