"""Practices for the scheduling tests: the standard cast plus locations and weekly
availability, built once per module and cloned per test (a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), which costs far less than building each time.

Dates are relative to today (slots in the past are never offered): ``MON`` is the first
Monday at least 30 days ahead, in the practice's time zone.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import OWNER_EMAIL, PRACTICE_TZ, Cast
from tests.practice_db import build_practice

ZONE = ZoneInfo(PRACTICE_TZ)
CAST = Cast()
SAM = CAST.provider_a  # Maya Chen's provider, author of her notes
ANA = CAST.provider_b  # new to Maya
LEE = CAST.provider_c  # new to Maya
MANAGER = CAST.manager
CUSTODIAN = CAST.custodian
SCHEDULER = CAST.scheduler
BILLER = CAST.biller
MAYA = CAST.client
OMAR = CAST.own_client


def first_monday(after_days: int = 30) -> dt.date:
    day = dt.datetime.now(ZONE).date() + dt.timedelta(days=after_days)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


MON = first_monday()
TUE = MON + dt.timedelta(days=1)
WED = MON + dt.timedelta(days=2)
THU = MON + dt.timedelta(days=3)


def at(day: dt.date, hhmm: str) -> str:
    """The ``--at`` text for a local wall-clock time."""
    return f"{day.isoformat()} {hhmm}"


def local(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(p) for p in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def iso(day: dt.date, hhmm: str) -> str:
    """How JSON output writes that instant: ISO 8601 with the practice's UTC offset."""
    return local(day, hhmm).isoformat()


def dst_changes(after: dt.date) -> tuple[dt.date, dt.date]:
    """The next day the clocks spring forward and the next day they fall back, after
    ``after``, in the practice zone."""
    spring = fall = None
    day = after
    while spring is None or fall is None:
        today = dt.datetime.combine(day, dt.time(12), tzinfo=ZONE).utcoffset()
        tomorrow = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12),
                                       tzinfo=ZONE).utcoffset()
        assert today is not None and tomorrow is not None
        if tomorrow > today and spring is None:
            spring = day + dt.timedelta(days=1)
        if tomorrow < today and fall is None and spring is not None:
            fall = day + dt.timedelta(days=1)
        day += dt.timedelta(days=1)
    return spring, fall


def alert(client_id: int, provider: str) -> str:
    return (f"Alert: client #{client_id} is new to {provider}: added to their list with "
            "demographics only (the client profile, including each provider's status and "
            "diagnosis, and non-clinical documents). No chart notes were shared.")


@dataclass
class Practice:
    url: str
    ids: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def session(self, *, write: bool = True, dry_run: bool = False) -> Iterator[Any]:
        from clinicctl.db import make_engine
        from clinicctl.runtime import unit_of_work

        engine = make_engine(self.url)
        try:
            with unit_of_work(engine, write=write, dry_run=dry_run) as db_session:
                yield db_session
        finally:
            engine.dispose()

    def book(self, client: str, provider: str, when: str, *, actor: str = OWNER_EMAIL,
             **options: Any) -> list[int]:
        """Book through the service (fast set-up); returns the appointment ids."""
        from clinicctl.people.refs import resolve_staff
        from clinicctl.scheduling import booking

        with self.session() as s:
            result = booking.book(s, resolve_staff(s, actor), client_ref=client,
                                       provider_ref=provider, at=when, **options)
            return [a.id for a in result.appointments]

    def appointments(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from clinicctl.models import Appointment

        with self.session(write=False) as s:
            return [{"id": a.id, "client_id": a.client_id, "provider_id": a.provider_id,
                     "start": a.start_at.astimezone(ZONE).isoformat(),
                     "end": a.end_at.astimezone(ZONE).isoformat(), "status": a.status,
                     "series_id": a.series_id, "reason": a.cancellation_reason,
                     "outside_availability": a.outside_availability}
                    for a in s.scalars(select(Appointment).order_by(Appointment.id))]

    def assignment(self, client_id: int, provider_id: int) -> tuple[str, str] | None:
        """(status, origin) of the client in the provider's list, or None."""
        from clinicctl.people.clients import get_assignment

        with self.session(write=False) as s:
            found = get_assignment(s, client_id, provider_id)
            return (found.status, found.origin) if found else None

    def last_event_id(self) -> int:
        from sqlalchemy import func, select

        from clinicctl.models import AuditEvent

        with self.session(write=False) as s:
            return s.scalar(select(func.max(AuditEvent.id))) or 0

    def events(self, after: int = 0) -> list[tuple[int | None, str, str, dict[str, Any]]]:
        """(actor id, action, outcome, details) of the audit events after id ``after``."""
        from sqlalchemy import select

        from clinicctl.models import AuditEvent

        with self.session(write=False) as s:
            return [(e.actor_id, e.action, e.outcome, json.loads(e.details))
                    for e in s.scalars(select(AuditEvent).where(AuditEvent.id > after)
                                       .order_by(AuditEvent.id))]


def build_schedule(backend: Any) -> Practice:
    """The cast's practice with two locations and weekly availability:

    - Ana Ruiz: Mondays 09:00-12:00 at Main office, Wednesdays 09:00-12:00 by Telehealth;
    - Lee Park: Mondays 09:30-11:30 by Telehealth;
    - Sam Okafor: weekdays 09:00-17:00 at Main office;
    all 50-minute sessions with 10-minute breaks.
    """
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability, catalog

    shared = build_practice(backend)
    practice = Practice(shared.url, dict(shared.ids))
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        practice.ids["main"] = catalog.add_location(s, owner, "Main office", "11")[0].id
        practice.ids["tele"] = catalog.add_location(s, owner, "Telehealth", "10")[0].id
        for key, provider, days, start, end, where in [
            ("ana_mon", ANA, "mon", "09:00", "12:00", "Main office"),
            ("ana_wed", ANA, "wed", "09:00", "12:00", "Telehealth"),
            ("lee_mon", LEE, "mon", "09:30", "11:30", "Telehealth"),
            ("sam_week", SAM, "mon,tue,wed,thu,fri", "09:00", "17:00", "Main office"),
        ]:
            practice.ids[key] = availability.add_block(
                s, owner, provider, days=days, start=start, end=end, location_ref=where).id
        for key, email in [("scheduler", SCHEDULER), ("biller", BILLER),
                           ("scoped", CAST.scoped_custodian)]:
            practice.ids[key] = resolve_staff(s, email).id
    return practice


def clone(backend: Any, source: Practice) -> Practice:
    """A fresh copy of ``source`` (which must have no open connections)."""
    if backend.is_postgres:
        template = source.url.rsplit("/", 1)[1]
        url = backend._pg_create(f"clinicctl_t_{uuid.uuid4().hex[:12]}", template=template)
    else:
        target = backend.workdir / f"sched-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(source.url.removeprefix("sqlite:///"), target)
        url = f"sqlite:///{target}"
    return Practice(url, dict(source.ids))
