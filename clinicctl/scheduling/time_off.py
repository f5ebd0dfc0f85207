"""Time off: when a provider takes no appointments. Added, listed, removed, exported and
imported (``exchange/``) with the permissions of adding it.

Time off over the provider's booked appointments would leave them booked while the provider
is away: it is refused (exit 5, listing them) unless forced, and forced it still says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.days import day_start, day_window, practice_zone
from clinicctl.errors import Conflict, InvalidInput, NotFound
from clinicctl.models import CANCELLED_STATUSES, Appointment, Staff, TimeOff
from clinicctl.people.refs import parse_date, resolve_provider
from clinicctl.scheduling.timeutil import parse_local_datetime

# One shape for `availability timeoff list`, `export timeoff` and what `import timeoff` reads.
TIME_OFF_FIELDS = ("id", "provider_id", "provider", "provider_email", "start", "end", "reason")
# How many affected appointments a refusal or a warning names before "... and N more".
SHOWN = 10


@dataclass
class TimeOffChange:
    time_off: TimeOff
    provider: Staff
    # The provider's booked (non-cancelled) appointments during it: kept, with force.
    booked: list[Appointment] = field(default_factory=list)
    created: bool = True


def time_off_record(time_off: TimeOff, provider: Staff, zone: ZoneInfo) -> dict[str, Any]:
    return {"id": time_off.id, "provider_id": provider.id, "provider": provider.name,
            "provider_email": provider.email, "start": time_off.start_at.astimezone(zone),
            "end": time_off.end_at.astimezone(zone), "reason": time_off.reason}


def booked_during(session: Session, provider_id: int, start_at: dt.datetime,
                  end_at: dt.datetime) -> list[Appointment]:
    return list(session.scalars(
        select(Appointment).where(
            Appointment.provider_id == provider_id,
            Appointment.status.not_in(CANCELLED_STATUSES),
            Appointment.start_at < end_at, Appointment.end_at > start_at,
        ).order_by(Appointment.start_at, Appointment.id)))


def appointment_lines(appointments: list[Appointment], zone: ZoneInfo,
                      shown: int = SHOWN) -> list[str]:
    """``appointment #12 2026-12-24 10:00 EST-10:50`` each, the first ``shown`` of them."""
    lines = [f"appointment #{a.id} {a.start_at.astimezone(zone):%Y-%m-%d %H:%M %Z}-"
             f"{a.end_at.astimezone(zone):%H:%M}" for a in appointments[:shown]]
    if len(appointments) > shown:
        lines.append(f"... and {len(appointments) - shown} more")
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def booked_conflict(provider: Staff, booked: list[Appointment], zone: ZoneInfo,
                    how: str = "add --force to record the time off anyway") -> Conflict:
    return Conflict(f"{provider.name} has {_count(len(booked), 'booked appointment')} during "
                    f"this time off; cancel or reschedule {'it' if len(booked) == 1 else 'them'} "
                    f"first, or {how}", details=appointment_lines(booked, zone))


def instant(value: str, zone: ZoneInfo, what: str, *, end_of_day: bool) -> dt.datetime:
    """A date means the whole day: its start for --start, the next midnight for --end."""
    text = value.strip()
    if len(text) == 10:
        day = parse_date(text, f"{what} date")
        if end_of_day:
            day += dt.timedelta(days=1)
        return day_start(day, zone)
    return parse_local_datetime(text, zone, what)


def add_time_off(session: Session, actor: Staff, provider_ref: str, *, start: str, end: str,
                 reason: str | None = None, force: bool = False) -> TimeOffChange:
    """Record time off. The same time off again is a no-op; over booked appointments it is
    refused unless ``force`` (the appointments stay booked and the change lists them)."""
    zone = practice_zone(session)
    start_at = instant(start, zone, "--start", end_of_day=False)
    end_at = instant(end, zone, "--end", end_of_day=True)
    if end_at <= start_at:
        raise InvalidInput(f"--end {end} is not after --start {start}")
    provider = resolve_provider(session, provider_ref)
    access.authorize_availability(actor, provider, Action.AVAILABILITY_TIMEOFF)
    existing = session.scalar(select(TimeOff).where(
        TimeOff.provider_id == provider.id, TimeOff.start_at == start_at,
        TimeOff.end_at == end_at).order_by(TimeOff.id).limit(1))
    if existing is not None:
        return TimeOffChange(existing, provider, created=False)
    booked = booked_during(session, provider.id, start_at, end_at)
    if booked and not force:
        raise booked_conflict(provider, booked, zone)
    return record_time_off(session, actor, provider, start_at, end_at, reason, booked)


def record_time_off(session: Session, actor: Staff, provider: Staff, start_at: dt.datetime,
                    end_at: dt.datetime, reason: str | None, booked: list[Appointment]
                    ) -> TimeOffChange:
    """Write checked time off (``add_time_off``, ``import timeoff``) and its audit event."""
    time_off = TimeOff(provider_id=provider.id, start_at=start_at, end_at=end_at,
                       reason=(reason or "").strip() or None, created_by_id=actor.id)
    session.add(time_off)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.AVAILABILITY_TIMEOFF,
                 object_type="time_off", object_id=time_off.id,
                 details={"provider_id": provider.id,
                          "booked_appointment_ids": [a.id for a in booked]})
    return TimeOffChange(time_off, provider, booked)


def list_time_off(session: Session, actor: Staff, provider_ref: str | None = None, *,
                  first_day: str | None = None, last_day: str | None = None
                  ) -> list[tuple[TimeOff, Staff]]:
    """Time off that touches the days from ``first_day`` to ``last_day`` (both included),
    earliest first; a provider without a scheduling role sees only their own."""
    first = parse_date(first_day, "--from date") if first_day else None
    last = parse_date(last_day, "--to date") if last_day else None
    if first and last and last < first:
        raise InvalidInput(f"--to {last} is before --from {first}")
    provider = resolve_provider(session, provider_ref) if provider_ref else None
    only = access.authorize_time_off_listing(actor, provider)
    query = (select(TimeOff, Staff).join(Staff, Staff.id == TimeOff.provider_id)
             .order_by(TimeOff.start_at, TimeOff.id))
    if only is not None:
        query = query.where(TimeOff.provider_id == only)
    start, end = day_window(first, last, practice_zone(session))
    if start is not None:
        query = query.where(TimeOff.end_at > start)
    if end is not None:
        query = query.where(TimeOff.start_at < end)
    return [(time_off, staff) for time_off, staff in session.execute(query)]


def remove_time_off(session: Session, actor: Staff, time_off_id: int
                    ) -> tuple[TimeOff, Staff]:
    """Remove time off (appointments are not touched). An id that is not there, never was
    or was removed already, is exit 3: removed time off leaves no row to compare with."""
    access.require_roles(actor, Action.AVAILABILITY_TIMEOFF_REMOVE, access.AVAILABILITY_EDITORS,
                         object_type="time_off", object_id=time_off_id)
    time_off = session.get(TimeOff, time_off_id)
    if time_off is None:
        raise NotFound(f"no time off with id {time_off_id} (removed already, or never "
                       "recorded: see `clinicctl availability timeoff list`)")
    provider = session.get(Staff, time_off.provider_id)
    assert provider is not None
    access.authorize_availability(actor, provider, Action.AVAILABILITY_TIMEOFF_REMOVE)
    session.delete(time_off)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.AVAILABILITY_TIMEOFF_REMOVE,
                 object_type="time_off", object_id=time_off_id,
                 details={"provider_id": provider.id})
    return time_off, provider
