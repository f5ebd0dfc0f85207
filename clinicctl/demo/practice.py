"""Building the demo practice through the services, and what every step shares: one
transaction per action, as the person acting, through ``runtime.acting_as``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clinicctl.days import today_in
from clinicctl.demo.cast import (
    CLIENTS,
    DIAGNOSES,
    HOURS,
    LOCATIONS,
    MANAGER,
    OWNER,
    PRACTICE,
    PROVIDERS,
    SCHEDULER,
    SESSIONS,
    STAFF,
    TIMEZONE,
    WALK,
    WALK_DOCUMENTS,
    WALK_NOTES,
    DemoClient,
    Person,
)
from clinicctl.demo.console import Output
from clinicctl.errors import ClinicError, Denied
from clinicctl.models import Staff


@dataclass
class Demo:
    """What every step needs: the engine, the output, and the ids the setup created."""

    engine: Engine
    out: Output
    url: str
    client_id: int = 0
    note_ids: dict[str, int] = field(default_factory=dict)  # kind -> Sam's first note of it
    shared_notes: list[tuple[str, str]] = field(default_factory=list)  # non-private (kind, date)
    counts: dict[str, int] = field(default_factory=dict)
    monday: dt.date = dt.date.min  # next week's Monday, in the practice's time zone
    step_number: int = 0
    refusals: int = 0

    @contextmanager
    def acting_as(self, person: Person) -> Iterator[tuple[Session, Staff]]:
        """One transaction as one staff member, exactly as one command run with ``--as``:
        the actor is checked and a refusal recorded in the audit trail (``runtime``)."""
        from clinicctl.config import Settings
        from clinicctl.runtime import acting_as

        settings = Settings(values={"db": self.url, "actor": person.email})
        with acting_as(settings, engine=self.engine) as (session, actor):
            yield session, actor

    def refused(self, person: Person, attempt: Callable[[Session, Staff], Any],
                claim: str) -> Denied:
        """Run ``attempt`` as ``person`` and return the refusal; the runtime has
        recorded it in the audit trail as a denied event, as it does for every command."""
        try:
            with self.acting_as(person) as (session, actor):
                attempt(session, actor)
        except Denied as exc:
            self.refusals += 1
            return exc
        raise ClinicError(f"demo check failed: {claim} was allowed")

    def step(self, title: str) -> None:
        self.step_number += 1
        self.out.heading(f"Step {self.step_number}. {title}")

    def command(self, person: Person, *args: str) -> None:
        self.out.command(["clinicctl", "--as", person.email, *args])

    def at(self, weekday: int, time: str) -> str:
        """``YYYY-MM-DD HH:MM`` next week, as ``--at`` takes it."""
        return f"{(self.monday + dt.timedelta(days=weekday)).isoformat()} {time}"


def check(condition: bool, claim: str) -> None:
    """The demo states nothing it has not checked."""
    if not condition:
        raise ClinicError(f"demo check failed: {claim}")


def _days_ago(today: dt.date, days: int) -> str:
    return (today - dt.timedelta(days=days)).isoformat()


def build_practice(demo: Demo) -> None:
    """The practice, its staff, clients with their diagnoses, and the providers' records,
    each created by the staff member who would create it."""
    from clinicctl.charts import records
    from clinicctl.people import clients, practice, staff

    with _plain(demo) as session:
        practice.initialise(session, name=PRACTICE, timezone=TIMEZONE, owner_name=OWNER.name,
                            owner_email=OWNER.email)

    with demo.acting_as(OWNER) as (session, owner):
        for person in STAFF:
            staff.create_staff(session, name=person.name, email=person.email,
                               roles=[person.role], credentials=person.credentials,
                               records_owner=person.records_owner, created_by=owner)

    # The front desk takes each client in for their first provider...
    with demo.acting_as(SCHEDULER) as (session, scheduler):
        for c in CLIENTS:
            added = clients.add_client(session, scheduler, first_name=c.first,
                                       last_name=c.last, dob=c.dob, sex=c.sex, email=c.email,
                                       phone=c.phone, provider_ref=c.provider.email)
            if c is WALK:
                demo.client_id = added.client.id

    # ...and each provider sets their own diagnosis and status, and writes the chart.
    today = today_in(ZoneInfo(TIMEZONE))  # the practice's date: no note dated tomorrow
    notes = documents = 0
    for provider in PROVIDERS:
        with demo.acting_as(provider) as (session, actor):
            for c in CLIENTS:
                if c.provider is not provider:
                    continue
                clients.set_diagnosis(session, actor, c.name, actor.email, [c.diagnosis])
                if c.status != "new":
                    clients.set_status(session, actor, c.name, actor.email, c.status)
                for days, kind, body in _chart_of(c):
                    note = records.add_note(session, actor, c.name, body=body, kind=kind,
                                            date_of_service=_days_ago(today, days))
                    notes += 1
                    if c is WALK:
                        demo.note_ids.setdefault(kind, note.id)
                        if kind != "private":
                            demo.shared_notes.append((kind, note.date_of_service.isoformat()))
                for title, clinical, content in _documents_of(c):
                    records.add_document(session, actor, c.name, title=title,
                                         content=content, clinical=clinical)
                    documents += 1
    demo.counts = {"staff": len(STAFF) + 1, "clients": len(CLIENTS), "notes": notes,
                   "documents": documents}
    build_schedule(demo)


def build_schedule(demo: Demo) -> None:
    """Locations, each provider's weekly hours, and next week's sessions with each client's
    own provider, booked by the front desk."""

    from clinicctl.scheduling import availability, booking, catalog
    from clinicctl.scheduling.recurrence import make_recurrence

    today = today_in(ZoneInfo(TIMEZONE))
    demo.monday = today + dt.timedelta(days=7 - today.weekday())
    with demo.acting_as(MANAGER) as (session, manager):
        for name, pos in LOCATIONS:
            catalog.add_location(session, manager, name, pos)
        for person, days, start, end, location in HOURS:
            availability.add_block(session, manager, person.email, days=days, start=start,
                                   end=end, location_ref=location)
    booked = 0
    with demo.acting_as(SCHEDULER) as (session, scheduler):
        for c, weekday, time, count in SESSIONS:
            rule = (make_recurrence(repeat="weekly", count=count)
                    if count > 1 else None)
            result = booking.book(session, scheduler, client_ref=c.name,
                                       provider_ref=c.provider.email,
                                       at=demo.at(weekday, time), recurrence=rule)
            check(not result.new_provider, "the front desk booked each client with their "
                  "own provider")
            booked += len(result.appointments)
    check({person for person, *_ in HOURS} == set(PROVIDERS), "every provider has weekly hours")
    demo.counts |= {"locations": len(LOCATIONS), "blocks": len(HOURS), "appointments": booked}


@contextmanager
def _plain(demo: Demo) -> Iterator[Session]:
    """The one transaction with no actor: creating the practice and its owner (``init``)."""
    from clinicctl.runtime import unit_of_work

    with unit_of_work(demo.engine) as session:
        yield session


def _chart_of(c: DemoClient) -> Sequence[tuple[int, str, str]]:
    if c is WALK:
        return WALK_NOTES
    concern = DIAGNOSES[c.diagnosis]
    offset = CLIENTS.index(c) * 2
    notes = [(56 + offset, "intake", f"Intake: presenting with {concern}. Goals agreed with "
              "the client; plan weekly sessions.")]
    if c.status != "new":
        notes.append((49 + offset, "progress", f"Session 2: reviewed goals for {concern}; "
                      "practised a coping skill; homework agreed."))
    return notes


def _documents_of(c: DemoClient) -> Sequence[tuple[str, bool, bytes]]:
    if c is WALK:
        return WALK_DOCUMENTS
    return (("Consent to treatment", False, b"Signed consent to treatment."),
            ("Treatment plan", True, f"Treatment plan for {c.diagnosis}.".encode()))
