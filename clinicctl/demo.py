"""``clinicctl demo``: a demo practice, and a walkthrough of sharing a client.

The practice is built and the walkthrough run only through the services, each action as a
staff member in its own transaction, the way each command runs: the demo goes through the
same authorisation code as every command and cannot show anything a command would refuse.
Every claim it prints is checked first; a failed check ends the demo with exit 1.

The walkthrough is a list of steps (``WALKTHROUGH``) so the booking paths can join it when
scheduling is built.
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
             f"filed {len(WALK_DOCUMENTS)} documents (1 clinical).")


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


# Booking paths (``appointment book``, ``availability find``) join here with scheduling.
WALKTHROUGH: list[Callable[[Demo], None]] = [
    share_demographics_only,
    start_chart_share,
    end_chart_share,
    sharing_and_access,
]


def conclude(demo: Demo) -> None:
    from clinicctl.services import audit

    out = demo.out
    with demo.acting_as(MANAGER) as (session, manager):
        denied = audit.list_for(session, manager, client_ref=WALK.name, outcome="denied")
        verified = audit.verify_for(session, manager)
    check(verified.ok, "the audit chain verifies")
    check(len(denied) == demo.refusals, "the refused attempts are in the audit trail")
    out.blank()
    out.line(f"Audit trail: {verified.events} events, hash chain intact; the {len(denied)} "
             "refused attempts above are recorded as denied (ids only, no PHI).")
    out.line("The booking paths (`appointment book`, `availability find`) join this walkthrough "
             "when scheduling is built.")
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
