"""``clinicctl demo``: a demo practice, and a walkthrough of sharing a client.

The practice is built and the walkthrough run only through the services, each action as a
staff member in its own transaction, the way each command runs: the demo goes through the
same authorisation code as every command and cannot show anything a command would refuse.
Every claim it prints is checked first; a failed check ends the demo with exit 1.

The walkthrough is a list of steps (``WALKTHROUGH``): the client reaches a new provider in each
of the four ways (a share, a booking, find availability then a booking, a booking from the
client's side), and every step proves what the new provider can and cannot see. Appointments
are booked in the coming weeks, relative to today, so the demo never books in the past.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clinicctl.errors import ClinicError, Conflict, Denied, InvalidInput
from clinicctl.models import Staff

DEFAULT_URL = "sqlite:///clinicctl-demo.sqlite3"
PRACTICE = "Riverside Counseling"
TIMEZONE = "America/New_York"


# --- The cast --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str
    credentials: str | None = None
    records_owner: str = "group"

    @property
    def first(self) -> str:
        return self.name.split()[0]

    @property
    def label(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


OWNER = Person("Dana Reyes", "dana@riverside.example", "owner")
MANAGER = Person("Morgan Blake", "morgan@riverside.example", "manager")
SAM = Person("Sam Okafor", "sam@riverside.example", "provider", "LCSW")
ANA = Person("Ana Ruiz", "ana@riverside.example", "provider", "LMFT")
LEE = Person("Lee Park", "lee@riverside.example", "provider", "PhD")
PRIYA = Person("Priya Natarajan", "priya@riverside.example", "provider", "LPC")
# Owns her records: only she may start a chart share of her notes.
KIM = Person("Kim Novak", "kim@riverside.example", "provider", "PsyD", records_owner="provider")
CUSTODIAN = Person("Rae Quinn", "rae@riverside.example", "records-custodian", "RHIA")
SCHEDULER = Person("Jo Diaz", "jo@riverside.example", "scheduler")
BILLER = Person("Bo Grant", "bo@riverside.example", "biller", "CPC")
STAFF = (MANAGER, SAM, ANA, LEE, PRIYA, KIM, CUSTODIAN, SCHEDULER, BILLER)
PROVIDERS = (SAM, ANA, LEE, PRIYA, KIM)

DIAGNOSES = {
    "F41.1": "generalized anxiety",
    "F33.1": "recurrent depression",
    "F43.10": "post-traumatic stress",
    "F43.23": "adjustment with mixed anxiety and low mood",
    "F90.0": "attention difficulties",
    "F42.2": "obsessive-compulsive symptoms",
    "F32.1": "a depressive episode",
    "F43.22": "adjustment with anxiety",
    "F40.10": "social anxiety",
    "F33.0": "recurrent depression, mild",
    "F41.0": "panic attacks",
    "F34.1": "persistent low mood",
}


@dataclass(frozen=True)
class DemoClient:
    first: str
    last: str
    dob: str
    sex: str
    phone: str
    provider: Person
    diagnosis: str
    status: str  # the provider's status for the client after intake

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return f"{self.first}.{self.last}@example.com".lower()


CLIENTS = (
    DemoClient("Maya", "Chen", "1990-04-12", "F", "555-0101", SAM, "F41.1", "active"),
    DemoClient("Daniel", "Brooks", "1978-11-03", "M", "555-0102", SAM, "F33.1", "active"),
    DemoClient("Aisha", "Rahman", "1995-02-27", "F", "555-0103", SAM, "F43.10", "new"),
    DemoClient("Grace", "Whitfield", "1983-07-19", "F", "555-0104", ANA, "F43.23", "active"),
    DemoClient("Tomas", "Alvarez", "2001-09-08", "M", "555-0105", ANA, "F90.0", "active"),
    DemoClient("Jordan", "Ellis", "1999-05-30", "X", "555-0106", LEE, "F42.2", "active"),
    DemoClient("Eleanor", "Fitzgerald", "1956-01-14", "F", "555-0107", LEE, "F32.1", "active"),
    DemoClient("Marcus", "Bell", "1988-12-02", "M", "555-0108", LEE, "F43.22", "inactive"),
    DemoClient("Sofia", "Marino", "2006-03-21", "F", "555-0109", PRIYA, "F40.10", "active"),
    DemoClient("Benjamin", "Osei", "1970-08-09", "M", "555-0110", PRIYA, "F33.0", "discharged"),
    DemoClient("Omar", "Haddad", "1985-09-30", "M", "555-0111", KIM, "F41.0", "active"),
    DemoClient("Lucy", "Tran", "1992-06-25", "F", "555-0112", KIM, "F34.1", "new"),
)
WALK = CLIENTS[0]  # the client the walkthrough follows: Maya Chen, in Sam Okafor's list
FIRST, NEW = SAM, ANA  # the provider who has her, the provider she is shared with

# Sam's chart for Maya: (days before today, kind, body). Dates are relative to today so
# that no note is ever dated in the future, whatever the clock says.
WALK_NOTES = (
    (42, "intake", "Intake: referred by her primary care physician for a year of persistent "
     "worry and poor sleep. GAD-7 15. Goals: fewer worry spikes at work, 7 hours of sleep. "
     "Plan: weekly CBT."),
    (35, "progress", "Session 2: psychoeducation on the worry cycle; started a worry log. "
     "Homework: log worries at 6 pm daily."),
    (28, "progress", "Session 3: reviewed the worry log; practised paced breathing and "
     "scheduled worry time. GAD-7 12."),
    (28, "private", "Private note: impressions of family dynamics to explore later. Not part "
     "of the shared chart."),
)
WALK_DOCUMENTS = (
    ("Consent to treatment", False, b"Signed consent to treatment and practice policies."),
    ("Insurance card", False, b"Member ID RVS-0101, group 4471, copay $25."),
    ("Intake assessment (GAD-7, PHQ-9)", True, b"GAD-7 15 (moderate); PHQ-9 6 (mild)."),
)
NEW_PROVIDER_DOCUMENT = ("PHQ-9 screening", True, b"PHQ-9 5 (mild); no safety concerns.")

# The schedule. Locations with their default place of service, and each provider's weekly
# hours (50-minute sessions with a 10-minute break, the default).
LOCATIONS = (("Main office", "11"), ("Telehealth", "10"))
HOURS = (
    (SAM, "mon,tue,wed,thu", "09:00", "17:00", "Main office"),
    (ANA, "tue,wed,fri", "12:00", "20:00", "Main office"),
    (LEE, "tue,thu", "09:00", "17:00", "Main office"),
    (PRIYA, "mon,wed", "09:00", "13:00", "Main office"),
    (PRIYA, "fri", "09:00", "13:00", "Telehealth"),
    (KIM, "mon,thu", "10:30", "16:30", "Telehealth"),
)
# Next week's sessions with each client's own provider: (client, weekday (0 = Monday), time,
# weekly occurrences). Maya's weekly CBT with Sam is a series, as her intake plans it.
SESSIONS = (
    (CLIENTS[0], 0, "09:00", 4),   # Maya Chen, Sam
    (CLIENTS[1], 0, "10:00", 1),   # Daniel Brooks, Sam
    (CLIENTS[2], 2, "09:00", 1),   # Aisha Rahman, Sam (her first session)
    (CLIENTS[3], 1, "12:00", 1),   # Grace Whitfield, Ana
    (CLIENTS[4], 2, "16:00", 1),   # Tomas Alvarez, Ana
    (CLIENTS[5], 1, "09:00", 1),   # Jordan Ellis, Lee
    (CLIENTS[6], 3, "11:00", 1),   # Eleanor Fitzgerald, Lee
    (CLIENTS[8], 0, "10:00", 1),   # Sofia Marino, Priya
    (CLIENTS[10], 0, "10:30", 1),  # Omar Haddad, Kim
    (CLIENTS[11], 3, "10:30", 1),  # Lucy Tran, Kim (her first session)
)
# The booking paths: each takes Maya to a provider new to her.
BOOKED = LEE  # way 2: the scheduler books her with Lee from the calendar
BOOKED_AT = (1, "10:00")  # next Tuesday
SEARCHED = (PRIYA, KIM)  # way 3: find availability with two therapists, book the first slot
FOUND = PRIYA  # whose slot is first (checked)
SLOTS_SHOWN = 6
SERIES = KIM  # way 4: Sam books her, from her profile, a weekly series with Kim
SERIES_AT = (3, "14:30", 4)  # next Thursday, weekly, four sessions


# --- The run ---------------------------------------------------------------------------------

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
        """One transaction as one staff member, like one command run with ``--as``."""
        from clinicctl.db import session_scope
        from clinicctl.services.refs import resolve_staff

        with session_scope(self.engine) as session:
            yield session, resolve_staff(session, person.email)

    def refused(self, person: Person, attempt: Callable[[Session, Staff], Any],
                claim: str) -> Denied:
        """Run ``attempt`` as ``person`` and return the refusal; the session scope has
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


def run_demo(url: str = DEFAULT_URL, *, force: bool = False) -> None:
    """Build the demo practice in a fresh SQLite file and walk through sharing a client."""
    from clinicctl import migrate
    from clinicctl.db import make_engine, normalise_url

    url = normalise_url(url)
    path = _fresh_sqlite_file(url, force=force)
    out = Output()
    out.line(f"Building a demo practice in {path} ...")
    engine = make_engine(url, create=True)
    try:
        migrate.upgrade(engine)
        demo = Demo(engine, out, url)
        build_practice(demo)
        introduce(demo)
        for step in WALKTHROUGH:
            step(demo)
        conclude(demo)
    finally:
        engine.dispose()


def _fresh_sqlite_file(url: str, *, force: bool) -> Path:
    from sqlalchemy.exc import ArgumentError

    from clinicctl.db import sqlite_path

    try:
        path = sqlite_path(url)
    except ArgumentError:
        raise InvalidInput(f"invalid database URL {url!r}") from None
    if path is None:
        raise InvalidInput("the demo builds a fresh SQLite file; give --db sqlite:///PATH")
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory; give the demo a file name")
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    if any(f.exists() for f in files):
        if not force:
            raise Conflict(f"{path} already exists",
                           hint="pass --force to delete it and build the demo again")
        for f in files:
            try:
                f.unlink(missing_ok=True)
            except OSError as exc:
                raise ClinicError(f"cannot delete {f}: {exc.strerror}") from None
    return path


# --- Building the practice -------------------------------------------------------------------

def _days_ago(today: dt.date, days: int) -> str:
    return (today - dt.timedelta(days=days)).isoformat()


def build_practice(demo: Demo) -> None:
    """The practice, its staff, clients with their diagnoses, and the providers' records,
    each created by the staff member who would create it."""
    from clinicctl.services import clients, practice, records, staff

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
    today = dt.date.today()
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
    from zoneinfo import ZoneInfo

    from clinicctl.services import appointments, availability, catalog

    today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
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
            rule = (appointments.make_recurrence(repeat="weekly", count=count)
                    if count > 1 else None)
            result = appointments.book(session, scheduler, client_ref=c.name,
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
    from clinicctl.db import session_scope

    with session_scope(demo.engine) as session:
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


# --- The walkthrough -------------------------------------------------------------------------

def introduce(demo: Demo) -> None:
    from clinicctl.services import clients, staff

    out = demo.out
    n = demo.counts
    out.line(f"{PRACTICE} ({TIMEZONE}): {n['staff']} staff, {n['clients']} clients, "
             f"{n['notes']} chart notes, {n['documents']} documents.")
    out.line(f"Locations: {', '.join(f'{name} (POS {pos})' for name, pos in LOCATIONS)}. "
             f"Every provider has weekly hours; {n['appointments']} sessions are booked from "
             f"next week (week of {demo.monday:%a %Y-%m-%d}).")
    with demo.acting_as(MANAGER) as (session, manager):
        rows = []
        for member in staff.list_staff(session, manager, role=None, include_inactive=False):
            person = next(p for p in (OWNER, *STAFF) if p.email == member.email)
            extra = ""
            if person.role == "provider":
                count = len(clients.list_clients(session, manager, provider_ref=member.email,
                                                 status="all"))
                extra = f"{count} clients"
                if member.records_owner == "provider":
                    extra += "; only she may share her chart"
            elif person.role == "records-custodian":
                extra = f"covers {staff.custodian_description(session, member)}"
            text = f"{person.label} <{member.email}>" + (f": {extra}" if extra else "")
            rows.append((", ".join(member.roles), text, member.email))
    order = [p.email for p in (OWNER, *STAFF)]
    rows.sort(key=lambda r: order.index(r[2]))
    out.line("Staff (act as any of them with --as EMAIL):")
    out.pairs([(role, text) for role, text, _ in rows], indent=2)
    out.blank()
    out.line(f"The walkthrough follows {WALK.name} (client #{demo.client_id}, born {WALK.dob}), "
             f"a client of {FIRST.name} ({WALK.diagnosis}).")
    out.line(f"{FIRST.first} has written {len(WALK_NOTES)} chart notes for her (1 private) and "
             f"filed {len(WALK_DOCUMENTS)} documents (1 clinical); she sees him weekly.")
    number = {step: n for n, step in enumerate(WALKTHROUGH, start=1)}
    out.line(f"She reaches a new provider in each of the four ways: a share (step "
             f"{number[share_demographics_only]}), a booking (step "
             f"{number[book_with_new_provider]}), find availability then a booking (step "
             f"{number[find_availability_then_book]}), and a booking from her side (step "
             f"{number[book_from_client_side]}).")


def share_demographics_only(demo: Demo) -> None:
    """The client reaches a new provider by ``client share``: profile and non-clinical
    documents, never the first provider's chart."""
    from clinicctl.services import clients, records, sharing

    out = demo.out
    demo.step(f"{MANAGER.name} (practice manager) shares {WALK.name} with {NEW.name}, "
              "demographics only")
    demo.command(MANAGER, "client", "share", WALK.name, "--from", FIRST.name, "--to", NEW.name)
    with demo.acting_as(MANAGER) as (session, manager):
        result = sharing.share(session, manager, WALK.name, FIRST.email, NEW.email)
    check(result.assignment == "created" and result.chart_share == "none",
          "the share put the client in the new provider's list without a chart share")
    out.result(f"{WALK.name} is now in {NEW.name}'s list (origin: share); no chart share.")

    out.line(f"What {NEW.name} sees now (acting as {NEW.email}):", indent=2)
    with demo.acting_as(NEW) as (session, ana):
        listed = [c.id for c in clients.list_clients(session, ana, provider_ref=ana.email)]
        profile = clients.client_profile(session, ana, WALK.name)
        providers = "; ".join(_provider_setting(a) for a in profile.assignments)
        documents = records.list_documents(session, ana, WALK.name)
        notes = records.list_notes(session, ana, WALK.name)
    check(demo.client_id in listed, "the client is in the new provider's list")
    shown = [d.title for d in documents]
    plain = [t for t, clinical, _ in WALK_DOCUMENTS if not clinical]
    hidden = [t for t, clinical, _ in WALK_DOCUMENTS if clinical]
    check(shown == plain, "the new provider sees exactly the non-clinical documents")
    check(notes == [], "the new provider's note list is empty")
    own = sum(1 for c in CLIENTS if c.provider is NEW)
    out.yes(f"{WALK.name} in her client list (her {own} clients and the shared one)")
    out.yes(f"the profile: born {WALK.dob}, {WALK.phone}, {WALK.email}; {providers}")
    out.yes(f"non-clinical documents: {', '.join(shown)}")
    out.no(f"clinical document {', '.join(hidden)}: not listed")
    out.no(f"chart notes: `note list` shows 0 notes ({FIRST.first}'s "
           f"{len(WALK_NOTES)} are neither listed nor counted)")
    note_id = demo.note_ids["progress"]
    refusal = demo.refused(NEW, lambda s, a: records.show_note(s, a, note_id),
                           "reading the first provider's note")
    out.refused(f"`note show {note_id}` ({FIRST.first}'s progress note): {refusal.message}; "
                "the attempt is in the audit trail")


def start_chart_share(demo: Demo) -> None:
    """A one-way chart share: the new provider reads the first provider's chart, not the
    private notes, and the first provider gains nothing in return."""
    from clinicctl.services import records, sharing

    out = demo.out
    demo.step(f"{FIRST.name} starts a one-way chart share with {NEW.name}")
    demo.command(FIRST, "client", "share", WALK.name, "--from", FIRST.name, "--to", NEW.name,
                 "--chart")
    with demo.acting_as(FIRST) as (session, sam):
        result = sharing.share(session, sam, WALK.name, FIRST.email, NEW.email, chart=True)
    check(result.chart_share == "started", "the chart share started")
    out.result(f"Chart share {FIRST.name} -> {NEW.name} started (private notes not included).")

    out.line(f"Acting as {NEW.name}:", indent=2)
    with demo.acting_as(NEW) as (session, ana):
        notes = [(n.kind, n.date_of_service.isoformat()) for n in
                 records.list_notes(session, ana, WALK.name)]
        clinical = [d.title for d in records.list_documents(session, ana, WALK.name)
                    if d.clinical]
    check(sorted(notes) == sorted(demo.shared_notes),
          "the new provider reads exactly the non-private notes")
    out.yes(f"`note list` shows {len(notes)} of {FIRST.first}'s notes: "
            + ", ".join(f"{kind} {day}" for kind, day in notes))
    out.yes(f"clinical document {', '.join(clinical)}: listed now")
    private_id = demo.note_ids["private"]
    refusal = demo.refused(NEW, lambda s, a: records.show_note(s, a, private_id),
                           "reading the private note through a share without private notes")
    out.refused(f"`note show {private_id}` ({FIRST.first}'s private note): {refusal.message}")

    title, is_clinical, content = NEW_PROVIDER_DOCUMENT
    with demo.acting_as(NEW) as (session, ana):
        records.add_document(session, ana, WALK.name, title=title, content=content,
                             clinical=is_clinical)
    out.line(f"{NEW.first} files a clinical document, \"{title}\". Acting as {FIRST.name}:",
             indent=2)
    with demo.acting_as(FIRST) as (session, sam):
        titles = [d.title for d in records.list_documents(session, sam, WALK.name)]
    check(title not in titles, "the first provider does not see the new provider's document")
    out.no(f"\"{title}\" is not in his document list: the share is one way "
           f"({NEW.first} reads {FIRST.first}'s chart, not the reverse)")


def end_chart_share(demo: Demo) -> None:
    """Ending the chart share leaves demographics-only access, as the help article does with
    its red button."""
    from clinicctl.services import clients, records, sharing

    out = demo.out
    demo.step(f"{FIRST.name} ends the chart share; {WALK.name} stays in {NEW.name}'s list")
    demo.command(FIRST, "client", "unshare", WALK.name, "--from", FIRST.name, "--to", NEW.name)
    with demo.acting_as(FIRST) as (session, sam):
        result = sharing.unshare(session, sam, WALK.name, FIRST.email, NEW.email)
    check(result.chart_share == "ended" and result.assignment == "existing",
          "the chart share ended and the assignment stayed")
    out.result(f"Chart share ended; {NEW.name} keeps demographics-only access.")

    out.line(f"Acting as {NEW.name}:", indent=2)
    with demo.acting_as(NEW) as (session, ana):
        listed = [c.id for c in clients.list_clients(session, ana, provider_ref=ana.email)]
        notes = records.list_notes(session, ana, WALK.name)
        titles = [d.title for d in records.list_documents(session, ana, WALK.name)]
    hidden = [t for t, clinical, _ in WALK_DOCUMENTS if clinical]
    check(demo.client_id in listed, "the client stayed in the new provider's list")
    check(notes == [], "the notes are hidden again")
    check(not set(hidden) & set(titles), "the clinical documents are hidden again")
    out.yes(f"{WALK.name} is still in her client list")
    out.no("chart notes: `note list` shows 0 notes again")
    out.no(f"clinical document {', '.join(hidden)}: hidden again "
           f"(she sees {', '.join(titles)})")


def sharing_and_access(demo: Demo) -> None:
    """The chart-sharing section and the access report: who can see what, and why."""
    from clinicctl.services import sharing

    out = demo.out
    demo.step(f"The chart-sharing section and the access report for {WALK.name}")
    demo.command(MANAGER, "client", "sharing", WALK.name)
    with demo.acting_as(MANAGER) as (session, manager):
        _, section = sharing.sharing_section(session, manager, WALK.name)
        _, report = sharing.access_report(session, manager, WALK.name)
    check(all(not p.shares_to for p in section), "no chart share is active at the end")
    names = {p.provider_id: p.provider for p in section}
    out.table(["Provider", "Status", "Diagnosis", "Chart shared to"],
              [(p.provider, p.status, ", ".join(p.diagnosis) or "-",
                ", ".join(names.get(int(str(s["provider_id"])), f"#{s['provider_id']}")
                          for s in p.shares_to) or "nobody")
               for p in section])
    demo.command(MANAGER, "client", "access", WALK.name)
    out.line("Profile: demographics, each provider's status and diagnosis, non-clinical "
             "documents. Chart: notes, clinical documents.", indent=2)
    out.table(["Staff", "Profile", "Chart"],
              [(f"{r.staff} ({', '.join(r.roles)})",
                r.profile_reason if r.profile else "no",
                _chart_summary(r)) for r in report])


def _provider_setting(assignment: Any) -> str:
    codes = ", ".join(assignment.diagnosis_codes) or "no diagnosis yet"
    return f"{assignment.provider.name}: {assignment.status}, {codes}"


def _chart_summary(row: Any) -> str:
    if row.chart_notes in ("none", "own only"):
        return {"none": "none", "own only": "their own only"}[row.chart_notes]
    return f"{row.chart_notes}: {row.chart_reason}"


@dataclass(frozen=True)
class Booked:
    """An appointment as the demo prints it, read inside its transaction."""

    id: int
    provider_id: int
    provider: str
    start: dt.datetime  # in the practice's time zone
    end: dt.datetime
    location: str | None
    pos: str
    service: str
    series_id: int | None

    @classmethod
    def of(cls, appointment: Any) -> Booked:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(TIMEZONE)
        location = appointment.location
        return cls(appointment.id, appointment.provider_id, appointment.provider.name,
                   appointment.start_at.astimezone(zone), appointment.end_at.astimezone(zone),
                   location.name if location is not None else None, appointment.pos_code,
                   appointment.service_code, appointment.series_id)

    @property
    def when(self) -> str:
        return f"{self.start:%a %Y-%m-%d %H:%M}-{self.end:%H:%M}"

    @property
    def where(self) -> str:
        return f"{self.location or 'no location'} (POS {self.pos})"


def _proves_demographics_only(demo: Demo, provider: Person) -> None:
    """What a provider who got the client by a booking sees: the profile and the non-clinical
    documents, never the first provider's chart."""
    from clinicctl.services import clients, records

    out = demo.out
    out.line(f"What {provider.name} sees now (acting as {provider.email}):", indent=2)
    with demo.acting_as(provider) as (session, actor):
        listed = [c.id for c in clients.list_clients(session, actor, provider_ref=actor.email)]
        profile = clients.client_profile(session, actor, WALK.name)
        own = [(a.status, a.origin) for a in profile.assignments if a.provider_id == actor.id]
        documents = [d.title for d in records.list_documents(session, actor, WALK.name)]
        notes = records.list_notes(session, actor, WALK.name)
    plain = [t for t, clinical, _ in WALK_DOCUMENTS if not clinical]
    check(demo.client_id in listed, f"the client is in {provider.name}'s list")
    check(own == [("new", "appointment")], "the booking added the client with status new and "
          "origin appointment")
    check(documents == plain, f"{provider.name} sees exactly the non-clinical documents")
    check(notes == [], f"{provider.name}'s note list is empty")
    out.yes(f"{WALK.name} in {provider.first}'s client list (status new, origin appointment)")
    out.yes(f"the profile (born {WALK.dob}, {WALK.phone}) and the non-clinical documents: "
            f"{', '.join(documents)}")
    out.no("chart notes: `note list` shows 0 notes; no clinical document is listed")
    note_id = demo.note_ids["progress"]
    refusal = demo.refused(provider, lambda s, a: records.show_note(s, a, note_id),
                           f"{provider.name} reading the first provider's note")
    out.refused(f"`note show {note_id}` ({FIRST.first}'s progress note): {refusal.message}")


def book_with_new_provider(demo: Demo) -> None:
    """Way 2: from the provider's calendar, the scheduler books a client of the group who is
    new to that provider; the client joins the provider's list with demographics only."""
    from clinicctl.commands.appointment import booking_messages
    from clinicctl.services import appointments

    out = demo.out
    at = demo.at(*BOOKED_AT)
    demo.step(f"{SCHEDULER.name} (scheduler) books {WALK.name} with {BOOKED.name}, who is new "
              "to her")
    out.line(f"From {BOOKED.first}'s calendar: the provider and the time, then any client of "
             "the group.", indent=2)
    demo.command(SCHEDULER, "appointment", "book", "--provider", BOOKED.name, "--at", at,
                 "--client", WALK.name)
    with demo.acting_as(SCHEDULER) as (session, scheduler):
        result = appointments.book(session, scheduler, client_ref=WALK.name,
                                   provider_ref=BOOKED.email, at=at)
        booked = [Booked.of(a) for a in result.appointments]
        alert = booking_messages(result)
    check(len(booked) == 1 and booked[0].provider == BOOKED.name
          and f"{booked[0].start:%Y-%m-%d %H:%M}" == at, "one appointment at the time asked")
    check(result.new_provider and alert[:1] != [] and alert[0].startswith("Alert:"),
          "the booking says the client is new to the provider")
    [appointment] = booked
    out.result(f"Booked appointment #{appointment.id} with {BOOKED.name}: {appointment.when}, "
               f"{appointment.where}, service {appointment.service}.")
    for line in alert:
        out.result(line)
    _proves_demographics_only(demo, BOOKED)


def find_availability_then_book(demo: Demo) -> None:
    """Way 3: open slots for the client across two therapists, then booking one of them."""
    from clinicctl.commands.appointment import booking_messages
    from clinicctl.services import appointments, availability, clients
    from clinicctl.services.refs import resolve_staff

    out = demo.out
    first_day = demo.monday.isoformat()
    last_day = (demo.monday + dt.timedelta(days=6)).isoformat()
    names = " and ".join(p.name for p in SEARCHED)
    demo.step(f"{MANAGER.name} finds availability for {WALK.name} with {names}, and books "
              "the first open slot")
    therapists = [arg for p in SEARCHED for arg in ("--therapist", p.name)]
    find = ["availability", "find", "--client", WALK.name, *therapists, "--from", first_day,
            "--days", "7", "--limit", str(SLOTS_SHOWN)]
    demo.command(MANAGER, *find)

    def search(session: Session, actor: Staff) -> list[Any]:
        _, slots = availability.find_slots(
            session, actor, client_ref=WALK.name, therapist_refs=[p.email for p in SEARCHED],
            start_date=first_day, days=7, limit=SLOTS_SHOWN)
        return slots

    with demo.acting_as(MANAGER) as (session, manager):
        slots = search(session, manager)
        busy = [(a.provider_id, a.client_id, a.start_at, a.end_at) for a in
                appointments.list_appointments(session, manager, start_date=first_day,
                                               end_date=last_day, status="scheduled")]
        searched_ids = {resolve_staff(session, p.email).id for p in SEARCHED}
    check(len(slots) == SLOTS_SHOWN, f"the search found {SLOTS_SHOWN} open slots")
    check({s.provider for s in slots} == {p.name for p in SEARCHED},
          "the open slots are with both therapists")
    check(slots[0].provider == FOUND.name, "the first open slot is with the expected therapist")
    check(all(s.start.date() <= demo.monday + dt.timedelta(days=6) for s in slots),
          "the slots lie in the week searched")
    clashes = [s for s in slots for provider_id, client_id, start, end in busy
               if (provider_id == s.provider_id or client_id == demo.client_id)
               and start < s.end and end > s.start]
    check(clashes == [], "no open slot overlaps the therapists' or the client's appointments")
    check(any(provider_id in searched_ids for provider_id, _, _, _ in busy)
          and any(client_id == demo.client_id for _, client_id, _, _ in busy),
          "the therapists and the client have sessions that week")
    out.table(["#", "Therapist", "Start", "End", "Location"],
              [(str(n), s.provider, f"{s.start:%a %Y-%m-%d %H:%M}", f"{s.end:%H:%M}",
                s.location or "-") for n, s in enumerate(slots, start=1)])
    out.line("Earliest first, from the therapists' weekly hours, leaving out the times "
             f"either is booked and the times {WALK.first} already has a session.", indent=2)

    demo.command(MANAGER, *find, "--book", "1")
    with demo.acting_as(MANAGER) as (session, manager):
        slot = search(session, manager)[0]
        result = appointments.book(
            session, manager, client_ref=f"#{demo.client_id}",
            provider_ref=f"#{slot.provider_id}", at=slot.start,
            duration=int(slot.end.timestamp() - slot.start.timestamp()) // 60,
            location_ref=f"#{slot.location_id}" if slot.location_id else None)
        booked = [Booked.of(a) for a in result.appointments]
        alert = booking_messages(result)
    check((slot.provider_id, slot.start) == (slots[0].provider_id, slots[0].start),
          "`--book 1` booked the first slot listed")
    check(len(booked) == 1 and booked[0].provider == FOUND.name and result.new_provider,
          "the slot is booked with a therapist new to the client")
    [appointment] = booked
    out.result(f"Booked appointment #{appointment.id} with {FOUND.name}: {appointment.when}, "
               f"{appointment.where}.")
    for line in alert:
        out.result(line)
    others = [p for p in SEARCHED if p is not FOUND]
    with demo.acting_as(MANAGER) as (session, manager):
        unbooked = [p for p in others if demo.client_id not in
                    [c.id for c in clients.list_clients(session, manager,
                                                        provider_ref=p.email, status="all")]]
    check(unbooked == others, "searching alone added the client to nobody's list")
    for person in others:
        out.result(f"Searching shares nothing: {WALK.name} is not in {person.name}'s list.")
    _proves_demographics_only(demo, FOUND)


def book_from_client_side(demo: Demo) -> None:
    """Way 4: from the client's profile, her own provider books her a weekly series with a
    colleague new to her: the same command, starting from the client."""
    from clinicctl.commands.appointment import booking_messages
    from clinicctl.services import appointments

    out = demo.out
    weekday, time, count = SERIES_AT
    at = demo.at(weekday, time)
    demo.step(f"{FIRST.name} books {WALK.name}, from her profile, a weekly series with "
              f"{SERIES.name}")
    out.line(f"{FIRST.first} may: {WALK.first} is in his list. The same command, starting from "
             "the client:", indent=2)
    demo.command(FIRST, "appointment", "book", "--client", WALK.name, "--provider",
                 SERIES.name, "--at", at, "--repeat", "weekly", "--count", str(count))
    with demo.acting_as(FIRST) as (session, sam):
        rule = appointments.make_recurrence(repeat="weekly", count=count)
        result = appointments.book(session, sam, client_ref=WALK.name,
                                   provider_ref=SERIES.email, at=at, recurrence=rule)
        alert = booking_messages(result)
    check(result.new_provider and len(result.appointments) == count
          and result.series_id is not None, f"{count} appointments booked as one series")
    out.result(f"Booked {count} appointments (series #{result.series_id}) with {SERIES.name}.")
    for line in alert:
        out.result(line)

    demo.command(FIRST, "appointment", "list", "--client", WALK.name, "--provider",
                 SERIES.name)
    with demo.acting_as(FIRST) as (session, sam):
        series = [Booked.of(a) for a in appointments.list_appointments(
            session, sam, client_ref=WALK.name, provider_ref=SERIES.email)]
    first = series[0].start if series else None
    check(len(series) == count and first is not None
          and all(a.series_id == result.series_id for a in series)
          and [a.start.date() for a in series]
          == [first.date() + dt.timedelta(weeks=n) for n in range(count)]
          and all(f"{a.start:%H:%M}" == time for a in series),
          "the series is weekly at the same wall-clock time")
    check(len({a.where for a in series}) == 1, "every session of the series is at one place")
    out.table(["ID", "Start", "End", "Location", "POS", "Series"],
              [(str(a.id), f"{a.start:%a %Y-%m-%d %H:%M}", f"{a.end:%H:%M}",
                a.location or "-", a.pos, str(a.series_id)) for a in series])
    out.line(f"{count} {series[0].start:%A}s at {time} practice time (the clock time holds "
             f"across daylight-saving changes), at {series[0].where}: the location and "
             f"POS come from {SERIES.first}'s hours.", indent=2)
    _proves_demographics_only(demo, SERIES)


WALKTHROUGH: list[Callable[[Demo], None]] = [
    share_demographics_only,
    start_chart_share,
    end_chart_share,
    sharing_and_access,
    book_with_new_provider,
    find_availability_then_book,
    book_from_client_side,
]


def conclude(demo: Demo) -> None:
    from clinicctl.services import audit, sharing

    out = demo.out
    with demo.acting_as(MANAGER) as (session, manager):
        denied = audit.list_for(session, manager, client_ref=WALK.name, outcome="denied")
        verified = audit.verify_for(session, manager)
        _, section = sharing.sharing_section(session, manager, WALK.name)
        _, report = sharing.access_report(session, manager, WALK.name)
    check(verified.ok, "the audit chain verifies")
    check(len(denied) == demo.refusals, "the refused attempts are in the audit trail")
    providers = [p.provider for p in section]
    others = [p.name for p in PROVIDERS if p is not FIRST]
    check(providers == [FIRST.name, NEW.name, BOOKED.name, FOUND.name, SERIES.name]
          and sorted(providers[1:]) == sorted(others),
          "the client is in every provider's list, reached in the four ways")
    check(all(not p.shares_to for p in section), "no chart share is active at the end")
    readers = [r.staff for r in report if r.chart_notes not in ("none", "own only")
               and "provider" in r.roles]
    check(readers == [], "no provider reads another provider's chart of the client")
    out.blank()
    out.line(f"{WALK.name} is now in the lists of all {len(providers)} providers: "
             f"{FIRST.first} (intake), {NEW.first} (share), {BOOKED.first}, {FOUND.first} and "
             f"{SERIES.first} (appointment). No chart share is active: each provider reads "
             "only their own chart notes.")
    out.line(f"Audit trail: {verified.events} events, hash chain intact; the {len(denied)} "
             "refused attempts above are recorded as denied (ids only, no PHI).")
    out.blank()
    out.line("Explore the demo database, acting as anyone with their email in --as:")
    db = ["--db", demo.url]
    note_id = str(demo.note_ids["progress"])
    for person, args, comment in (
        (MANAGER, ["client", "list"], ""),
        (MANAGER, ["client", "show", WALK.name], ""),
        (MANAGER, ["client", "sharing", WALK.name], ""),
        (MANAGER, ["client", "access", WALK.name], ""),
        (NEW, ["note", "list", WALK.name], "no notes"),
        (NEW, ["note", "show", note_id], "refused: exit 4"),
        (FIRST, ["note", "list", WALK.name], f"his {len(WALK_NOTES)} notes"),
        (SCHEDULER, ["appointment", "list", "--client", WALK.name], ""),
        (SCHEDULER, ["appointment", "list", "--provider", SERIES.name], ""),
        (SCHEDULER, ["availability", "list"], ""),
        (SCHEDULER, ["availability", "find", "--client", WALK.name, "--therapist", NEW.name,
                     "--therapist", BOOKED.name, "--limit", "5"], ""),
        (MANAGER, ["audit", "list", "--client", WALK.name, "--outcome", "denied"], ""),
        (MANAGER, ["audit", "verify"], ""),
    ):
        out.command(["clinicctl", *db, "--as", person.email, *args], comment=comment)
    out.line(f"Tip: `export CLINICCTL_DB={shlex.quote(demo.url)}` saves typing --db.")


# --- Output ----------------------------------------------------------------------------------

class _TrimmedLines:
    """A text stream that drops trailing spaces from each line it passes on."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.pending = ""

    @property
    def encoding(self) -> str:
        return getattr(self.target, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        if lines:
            self.target.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.target.write(self.pending)
            self.pending = ""
        self.target.flush()


class Output:
    """Human messages on stderr through rich; plain when NO_COLOR is set or not a terminal."""

    LABEL_WIDTH = 9

    def __init__(self) -> None:
        from rich.console import Console

        no_color = True if os.environ.get("NO_COLOR") else None
        console = Console(stderr=True, highlight=False, no_color=no_color)
        if not console.is_terminal:
            # Redirected to a file or a pipe: do not fold the lines at 80 columns, and do
            # not leave rich's padding at the ends of the lines.
            console = Console(file=_TrimmedLines(console.file),  # type: ignore[arg-type]
                              highlight=False,
                              no_color=no_color, width=max(console.width, 120))
        self.console = console

    def _text(self, content: str, style: str = "") -> Any:
        from rich.text import Text

        return Text(content, style=style)

    def _indented(self, renderable: Any, indent: int) -> None:
        from rich.padding import Padding

        self.console.print(Padding(renderable, (0, 0, 0, indent), expand=False))

    def line(self, text: str, *, indent: int = 0) -> None:
        self._indented(self._text(text), indent)

    def blank(self) -> None:
        self.console.print()

    def heading(self, text: str) -> None:
        self.blank()
        self.console.print(self._text(text, "bold"))

    def command(self, argv: Sequence[str], *, indent: int = 2, comment: str = "") -> None:
        # Never folded: a command is for copying (the comment is a shell comment).
        text = self._text(" " * indent + "$ " + shlex.join(argv), "cyan")
        if comment:
            text.append(f"  # {comment}", style="dim")
        self.console.print(text, soft_wrap=True)

    def result(self, text: str) -> None:
        self.line(text, indent=2)

    def _item(self, label: str, style: str, text: str) -> None:
        from rich.table import Table

        grid = Table.grid()
        grid.add_column(width=self.LABEL_WIDTH, no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(self._text(label, style), self._text(text))
        self._indented(grid, 4)

    def pairs(self, rows: Sequence[tuple[str, str]], *, indent: int) -> None:
        """Label and text, the text folding under itself on a narrow terminal."""
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for label, text in rows:
            grid.add_row(self._text(label), self._text(text))
        self._indented(grid, indent)

    def yes(self, text: str) -> None:
        self._item("sees", "green", text)

    def no(self, text: str) -> None:
        self._item("hidden", "yellow", text)

    def refused(self, text: str) -> None:
        self._item("refused", "bold red", text)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
              indent: int = 2) -> None:
        from rich.box import SIMPLE_HEAD
        from rich.table import Table

        table = Table(box=SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*(self._text(cell) for cell in row))
        self._indented(table, indent)
