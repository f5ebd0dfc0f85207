"""``export calendar``: one provider's appointments as an iCalendar (RFC 5545) file.

Calendars are synced to third parties (Google, Apple, Microsoft), so an event says only
that there is a client session (or a group session, for several clients), when, where, and
whether it still stands: never a client's name, initials, external id, contact details,
diagnosis or any note text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from clinicctl import __version__, access, trail
from clinicctl.actions import Action
from clinicctl.days import day_window, practice_zone
from clinicctl.errors import InvalidInput
from clinicctl.models import (
    CANCELLED_STATUSES,
    Appointment,
    AppointmentMove,
    AuditEvent,
    Location,
    Practice,
    Staff,
)
from clinicctl.people.practice import get_practice
from clinicctl.people.refs import parse_date, resolve_provider
from clinicctl.scheduling.places import places_of

SUMMARY = "Client session"
GROUP_SUMMARY = "Group session"  # a session of several clients: once, and nobody named
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class CalendarExport:
    ics: bytes
    events: int
    provider: str  # the provider's name, for the status line
    provider_id: int


def uid_domain(practice: Practice | None) -> str:
    """The right-hand side of every UID: the same for one database on every run and machine,
    and different for two practices that happen to share a name (a provider who works in
    both subscribes to both calendars)."""
    if practice is None:
        return "clinicctl"
    slug = _NOT_SLUG.sub("-", practice.name.casefold()).strip("-")[:40].strip("-") or "practice"
    created = practice.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    digest = hashlib.sha256(f"{practice.id}:{created}".encode()).hexdigest()[:8]
    return f"{slug}-{digest}.clinicctl"


def _window(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
    first = parse_date(start, "--from date") if start else None
    last = parse_date(end, "--to date") if end else None
    if first and last and last < first:
        raise InvalidInput(f"--to {last} is before --from {first}")
    return first, last


def _reschedules(session: Session, appointment_ids: list[int]) -> dict[int, int]:
    """How often each appointment was moved, from the audit trail (the appointment row keeps
    no revision counter). Feeds SEQUENCE, so calendar clients take a moved time as an update
    of the same event rather than keeping the stale copy."""
    if not appointment_ids:
        return {}
    from clinicctl.db import reads_through_functions

    if reads_through_functions(session):  # a staff login counts them through the database
        found = session.execute(text("SELECT appointment_id, reschedules FROM "
                                     "clinicctl_reschedule_counts(CAST(:ids AS integer[]))"),
                                {"ids": appointment_ids}).all()
        return {int(row[0]): int(row[1]) for row in found}
    rows = session.execute(
        select(AuditEvent.object_id, func.count())
        .where(AuditEvent.action == Action.APPOINTMENT_RESCHEDULE,
               AuditEvent.object_type == "appointment", AuditEvent.outcome == "ok",
               AuditEvent.object_id.in_(appointment_ids))
        .group_by(AuditEvent.object_id)
    ).all()
    return {object_id: count for object_id, count in rows if object_id is not None}


def _timezone_range(appointments: list[Appointment], zone: ZoneInfo
                    ) -> tuple[dt.date, dt.date]:
    """Whole years around the events: small, yet both DST rules of each year are in it
    (icalendar's default stops in 2038, before far-off series would end)."""
    first = min(a.start_at.astimezone(zone).year for a in appointments)
    last = max(a.end_at.astimezone(zone).year for a in appointments)
    return dt.date(first, 1, 1), dt.date(last + 1, 1, 1)


def _moves(session: Session, appointment_ids: list[int]) -> dict[int, int]:
    """How often each appointment changed provider (``appointment_move``)."""
    if not appointment_ids:
        return {}
    from clinicctl.db import reads_through_functions

    if reads_through_functions(session):  # a staff login reads only the moves it may see
        found = session.execute(text("SELECT appointment_id, moves FROM "
                                     "clinicctl_move_counts(CAST(:ids AS integer[]))"),
                                {"ids": appointment_ids}).all()
        return {int(row[0]): int(row[1]) for row in found}
    rows = session.execute(
        select(AppointmentMove.appointment_id, func.count())
        .where(AppointmentMove.appointment_id.in_(appointment_ids))
        .group_by(AppointmentMove.appointment_id)).all()
    return {int(appointment_id): int(count) for appointment_id, count in rows}


def ical_instant(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """An instant as the practice's wall-clock time (written with its TZID), except the
    second pass of the fall-back hour, written in UTC: RFC 5545 reads a local time that
    occurs twice as its first occurrence, so the repeated 01:30 written with a TZID would
    come back an hour early, and an event ending in it would end before it starts."""
    local = value.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return value.astimezone(dt.UTC)
    return local


def export_calendar(session: Session, actor: Staff, provider_ref: str, *,
                    start: str | None = None, end: str | None = None) -> CalendarExport:
    """The provider's appointments (every status) starting between ``start`` and ``end``,
    inclusive days in the practice's time zone, as an .ics file; the export is audited.

    Appointments moved from this provider to a colleague stay in it as cancelled events with
    the same UID, so a calendar that imported an earlier file drops them."""
    first, last = _window(start, end)
    # Roles first: a refused actor learns nothing about which staff exist, and the refusal
    # is audited whatever provider they typed. The provider scope is checked once resolved.
    access.authorize_export(session, actor, "calendar")
    provider = resolve_provider(session, provider_ref)
    access.authorize_export(session, actor, "calendar", provider=provider)

    zone = practice_zone(session)
    query = (select(Appointment).where(Appointment.provider_id == provider.id)
             .order_by(Appointment.start_at, Appointment.id))
    window_start, window_end = day_window(first, last, zone)
    if window_start:
        query = query.where(Appointment.start_at >= window_start)
    if window_end:
        query = query.where(Appointment.start_at < window_end)
    appointments = list(session.scalars(query))
    moved_away = (select(Appointment).where(
        Appointment.provider_id != provider.id,
        Appointment.id.in_(select(AppointmentMove.appointment_id)
                           .where(AppointmentMove.from_provider_id == provider.id))))
    if window_start:
        moved_away = moved_away.where(Appointment.start_at >= window_start)
    if window_end:
        moved_away = moved_away.where(Appointment.start_at < window_end)
    elsewhere = list(session.scalars(moved_away))
    gone = {a.id for a in elsewhere}
    appointments = sorted([*appointments, *elsewhere], key=lambda a: (a.start_at, a.id))
    locations = {loc.id: loc.name for loc in session.scalars(
        select(Location).where(Location.id.in_(
            {a.location_id for a in appointments if a.location_id is not None})))}
    ids = [a.id for a in appointments]
    reschedules = _reschedules(session, ids)
    handed_over = _moves(session, ids)
    sizes = {appointment_id: len(found)
             for appointment_id, found in places_of(session, ids).items()}

    cal = icalendar.Calendar()
    cal.add("prodid", f"-//clinicctl//clinicctl {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{provider.name} appointments")
    cal.add("x-wr-timezone", zone.key)
    domain = uid_domain(get_practice(session))
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for appointment in appointments:
        # Moved to a colleague: gone from this provider's calendar.
        cancelled = appointment.status in CANCELLED_STATUSES or appointment.id in gone
        event = icalendar.Event()
        event.add("uid", f"appointment-{appointment.id}@{domain}")
        event.add("dtstamp", stamp)
        event.add("created", appointment.created_at.astimezone(dt.UTC).replace(microsecond=0))
        event.add("dtstart", ical_instant(appointment.start_at, zone))
        event.add("dtend", ical_instant(appointment.end_at, zone))
        event.add("summary", GROUP_SUMMARY if sizes.get(appointment.id, 1) > 1 else SUMMARY)
        location = locations.get(appointment.location_id or 0)
        if location:
            event.add("location", location)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        # Up with every change a calendar must take as an update of the event it has.
        event.add("sequence", reschedules.get(appointment.id, 0)
                  + handed_over.get(appointment.id, 0) + (1 if cancelled else 0))
        # Shared calendars show a private event as "busy" only.
        event.add("class", "PRIVATE")
        event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
        cal.add_component(event)
    if appointments:
        first_day, last_day = _timezone_range(appointments, zone)
        cal.add_missing_timezones(first_date=first_day, last_date=last_day)

    trail.record(session, actor_id=actor.id, action=Action.EXPORT_CALENDAR, object_type="staff",
                 object_id=provider.id,
                 details={"events": len(appointments),
                          "from": first.isoformat() if first else None,
                          "to": last.isoformat() if last else None})
    return CalendarExport(ics=cal.to_ical(), events=len(appointments), provider=provider.name,
                          provider_id=provider.id)
